/**
 * GpuVm: a GPU virtual address space (the kernel's struct drm_gpuvm, drivers/gpu/drm/drm_gpuvm.c).
 *
 * VAs live in a MapleTree keyed by the closed interval [addr, addr + range - 1], the GpuVa
 * object itself being the entry. The split/merge decisions come from one generator
 * (splitMerge.ts) feeding three sinks (sinks.ts): op lists, driver callbacks and the set of
 * objects a request touches. On top of the kernel's behaviour the VM refuses stale ops (each op
 * carries the generation of the VM it was computed against), applies op lists atomically, can
 * roll a callback-driven request back, and rejects bad requests with EINVAL before any step.
 *
 * Locking: as in the kernel, the VM takes no lock of its own; the driver serialises access.
 * With `lock: ExternalLock`, every mutation and every op generation asserts `isHeld()` and
 * throws ENOLCK otherwise; lookups and iteration do not.
 */

import type { ExternalLock } from '../tree/lock.js';
import { MAX_INDEX, MapleTree } from '../tree/MapleTree.js';
import {
  checkBound,
  checkCallbacks,
  checkIndex,
  checkInterval,
  checkObject,
  checkOpType,
  checkOwnBo,
  checkRemap,
  checkRemovable,
  checkRequest,
  checkReusable,
  checkSpan,
  checkVa,
  checkWindow,
  mapRequest,
  newVa,
  requestProblem,
  vaFromPiece,
} from './checks.js';
import {
  type BindHost,
  BindJob,
  type BindKind,
  MAP_STORES,
  type ReservingTree,
  reserveStores,
  UNMAP_STORES,
} from './bindJob.js';
import { gpuvmError, withContext } from './errors.js';
import { GpuVa } from './GpuVa.js';
import { INSPECT, inspectView } from './inspect.js';
import { Journal } from './journal.js';
import { widenForMerge } from './merge.js';
import {
  type GpuVaOp,
  type GpuVaOpMap,
  type GpuVaOpPrefetch,
  type GpuVaOpRemap,
  type GpuVaOpUnmap,
  prefetchOp,
  unmapOp,
} from './ops.js';
import { BoRegistry } from './registry.js';
import type { GpuVaInit, GpuVmMapRequest, GpuVmOps, GpuVmOptions, MapOptions, SmOptions } from './options.js';
import { CallbackSink, ListSink, TouchedSink } from './sinks.js';
import { type MapRequest, type StepSink, splitMergeMap, splitMergeUnmap } from './splitMerge.js';
import { advanceTicket, checkTicket, Generations, liveTickets, type OpTicket, stampOp } from './tickets.js';
import { treeOptions, VaTree } from './vaTree.js';
import { VmBo } from './VmBo.js';

/** Symbol.dispose where the runtime has it (Node >= 20), else the name Node registers for it. */
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

export type { GpuVaInit, GpuVmMapRequest, GpuVmOps, GpuVmOptions, MapOptions, SmOptions } from './options.js';

export class GpuVm<O = unknown, C = unknown> {
  /** First address of the managed window. */
  readonly start: number;
  /** Length of the managed window. */
  readonly range: number;
  readonly name: string;
  /** The kernel-reserved VA (a NULL-object VA), or null without reserveRange. */
  readonly reserved: GpuVa<O> | null;

  readonly #lock: ExternalLock | null;
  readonly #ops: GpuVmOps<O, C>;
  readonly #extObjTest: ((obj: O) => boolean) | null;
  /** Changes of the VA tree; op tickets are checked against the current one. */
  readonly #gens = new Generations();
  readonly #journal: Journal = new Journal(this.#gens, () => this.#vas.releaseReserve());
  readonly #vas: VaTree<O>;
  readonly #bos: BoRegistry<O>;
  #freed = false;
  readonly #capped: boolean;
  /** Prepared jobs not yet run or cancelled, in submit order. */
  readonly #pending = new Set<BindJob<O, C>>();
  /** Ops a job's run has already applied, with what applying them returns. */
  readonly #preApplied = new WeakMap<GpuVaOp<O>, PreApplied<O>>();
  /** Depth of job runs calling the driver: unlink and putBo defer the VmBo's destruction. */
  #inJob = 0;
  readonly #host: BindHost<O, C> = {
    run: (job, ctx) => this.runJob(job, ctx),
    cancel: (job) => {
      this.assertHeld('BindJob.cancel');
      this.dropJob(job);
    },
  };

  /**
   * drm_gpuvm_init().
   * @throws MapleError EINVAL for a window or reserved range that is not integral, is empty or
   *   runs past MAX_INDEX.
   */
  constructor(options: GpuVmOptions<O, C>) {
    checkObject('constructor', options, 'options must be an object { start, range, … }');
    const { start, range } = options;
    checkIndex('constructor', 'start', start);
    checkSpan('constructor', start, range);
    this.start = start;
    this.range = range;
    this.name = options.name ?? 'gpuvm';
    this.#lock = options.lock ?? null;
    this.#ops = options.ops ?? {};
    this.#extObjTest = options.isExtObj ?? null;
    const tree = new MapleTree<GpuVa<O>>(treeOptions(options));
    const capped = options.maxNodes !== undefined;
    this.#capped = capped;
    this.#vas = new VaTree<O>(tree, this, this.#journal, this.#gens, capped, this.#lock);
    this.#bos = new BoRegistry<O>(this, this.#journal);
    const reserveOffset = options.reserveOffset ?? 0;
    const reserveRange = options.reserveRange ?? 0;
    checkIndex('constructor', 'reserveOffset', reserveOffset);
    if (reserveRange !== 0) {
      checkSpan('constructor', reserveOffset, reserveRange);
      this.assertHeld('constructor');
    }
    this.reserved = reserveRange === 0 ? null : this.#vas.insertReserved(reserveOffset, reserveRange);
  }

  /** Exclusive end of the managed window. */
  get end(): number {
    return this.start + this.range;
  }

  /**
   * The VA tree's state: it changes with every change to the VAs, returns to its earlier value
   * when a failed atomic call is rolled back, and never repeats otherwise. Ops computed at
   * another generation are stale.
   */
  get generation(): number {
    return this.#gens.current;
  }

  /** @internal The underlying tree (tests validate it). */
  get _tree(): MapleTree<GpuVa<O>> {
    return this.#vas.tree;
  }

  get [Symbol.toStringTag](): string {
    return 'GpuVm';
  }

  // ---------------------------------------------------------------- ranges and lookups

  /**
   * drm_gpuvm_range_valid(): range >= 1, no overflow past MAX_INDEX, inside the window and
   * clear of the kernel-reserved VA. Never throws (false once freed).
   */
  rangeValid(addr: number, range: number): boolean {
    return !this.#freed && requestProblem(this, addr, range) === null;
  }

  /**
   * drm_gpuvm_interval_empty(): no VA (the kernel-reserved one included) intersects
   * [addr, addr + range).
   * @throws MapleError EINVAL for a malformed interval.
   */
  intervalEmpty(addr: number, range: number): boolean {
    return this.findFirstChecked('intervalEmpty', addr, range) === undefined;
  }

  /** drm_gpuva_find(): the VA exactly at [addr, addr + range), else undefined. */
  find(addr: number, range: number): GpuVa<O> | undefined {
    const va = this.findFirstChecked('find', addr, range);
    return va && va.addr === addr && va.range === range ? va : undefined;
  }

  /** drm_gpuva_find_first(): the lowest VA intersecting [addr, addr + range). */
  findFirst(addr: number, range: number): GpuVa<O> | undefined {
    return this.findFirstChecked('findFirst', addr, range);
  }

  /** The VA ending exactly at start - 1 (drm_gpuva_find_prev as documented). */
  findPrev(start: number): GpuVa<O> | undefined {
    this.assertLive('findPrev');
    checkBound('findPrev', 'start', start);
    if (start === 0) return undefined;
    const va = this.#vas.tree.load(start - 1);
    return va && va.addr + va.range === start ? va : undefined;
  }

  /** The VA starting exactly at end (drm_gpuva_find_next as documented). */
  findNext(end: number): GpuVa<O> | undefined {
    this.assertLive('findNext');
    checkBound('findNext', 'end', end);
    if (end > MAX_INDEX) return undefined;
    const va = this.#vas.tree.load(end);
    return va && va.addr === end ? va : undefined;
  }

  /**
   * VAs intersecting [addr, addr + range) in ascending order, the kernel-reserved VA included
   * (drm_gpuvm_for_each_va_range). Default: the managed window; without range, from addr to
   * the window's end. Arguments are checked at the call. The VM may change during the walk;
   * it continues after the last VA returned.
   */
  vas(addr: number = this.start, range?: number): IterableIterator<GpuVa<O>> {
    this.assertLive('vas');
    const length = range ?? Math.max(this.end - addr, 0);
    if (range === undefined && length === 0) {
      checkIndex('vas', 'addr', addr);
      return [][Symbol.iterator]();
    }
    checkInterval('vas', addr, length);
    return this.iterateVas(addr, addr + length - 1);
  }

  /** vas(): every VA of the window, ascending. */
  [Symbol.iterator](): IterableIterator<GpuVa<O>> {
    return this.vas();
  }

  // ---------------------------------------------------------------- insert / remove

  /**
   * drm_gpuva_insert(): creates a VA and stores it. A removed GpuVa may be passed back in to
   * re-insert that same object.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range, offset or flags, or a VA already in a VM;
   *   EEXIST if the range intersects a VA; ENOMEM if the tree is out of nodes.
   */
  insert(init: GpuVaInit<O> | GpuVa<O>): GpuVa<O> {
    this.assertHeld('insert');
    let va: GpuVa<O>;
    if (init instanceof GpuVa) checkReusable((va = init));
    else va = newVa('insert', this, init);
    checkRequest('insert', this, va.addr, va.range);
    this.#vas.insert('insert', va);
    return va;
  }

  /**
   * drm_gpuva_remove(). The VA keeps its VmBo link; unlink it separately.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for the kernel-reserved VA or a VA not in this VM.
   */
  remove(va: GpuVa<O>): void {
    this.assertHeld('remove');
    checkRemovable('remove', this, va);
    this.#vas.erase('remove', va);
  }

  // ---------------------------------------------------------------- op generation

  /**
   * drm_gpuvm_sm_map_ops_create(): the ops that map req: at most one REMAP of the VA
   * straddling the start, UNMAPs of covered VAs, at most one REMAP of the VA straddling the
   * end, then a MAP of exactly req. With `merge: true` (beyond the kernel) req is first
   * widened over its mergeable neighbours (see MapOptions.merge).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   */
  smMapOps(req: GpuVmMapRequest<O>, options: MapOptions = {}): GpuVaOp<O>[] {
    this.assertHeld('smMapOps');
    const sink = this.listSink();
    splitMergeMap(this.#vas.walk, this.mapRequestWith('smMapOps', req, options), sink);
    return sink.ops;
  }

  /**
   * drm_gpuvm_sm_unmap_ops_create(): UNMAP for VAs inside [addr, addr + range), REMAP for
   * VAs sticking out of it. keep is always false.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range.
   */
  smUnmapOps(addr: number, range: number): GpuVaOp<O>[] {
    this.assertHeld('smUnmapOps');
    checkRequest('smUnmapOps', this, addr, range);
    const sink = this.listSink();
    splitMergeUnmap(this.#vas.walk, addr, range, sink);
    return sink.ops;
  }

  /**
   * drm_gpuvm_sm_map(): the smMapOps steps, handed one by one to ops.smStepRemap /
   * smStepUnmap / smStepMap(op, ctx) as they are generated. Callbacks may change the VM
   * (typically by applying the op). A throw stops the walk and propagates; with
   * `atomic: true` the VM is first rolled back to its state before the request.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request or a missing callback; whatever a
   *   callback throws.
   */
  smMap(req: GpuVmMapRequest<O>, ctx?: C, options: SmOptions = {}): void {
    this.assertHeld('smMap');
    checkCallbacks('smMap', this.#ops, ['smStepMap', 'smStepRemap', 'smStepUnmap']);
    const mreq = this.mapRequestWith('smMap', req, options);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeMap(this.#vas.walk, mreq, sink));
  }

  /**
   * drm_gpuvm_sm_unmap(): the smUnmapOps steps through ops.smStepRemap / smStepUnmap.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range or a missing callback; whatever a callback
   *   throws (after rolling back with `atomic: true`).
   */
  smUnmap(addr: number, range: number, ctx?: C, options: SmOptions = {}): void {
    this.assertHeld('smUnmap');
    checkCallbacks('smUnmap', this.#ops, ['smStepRemap', 'smStepUnmap']);
    checkRequest('smUnmap', this, addr, range);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeUnmap(this.#vas.walk, addr, range, sink));
  }

  /**
   * drm_gpuvm_madvise_ops_create(): split-only ops for assigning attributes to NULL-object
   * VAs. VAs with an object are skipped, nothing is UNMAPped, and MAPs cover only the split
   * parts (at most two REMAPs and two MAPs; possibly no op at all).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   */
  madviseOps(req: GpuVmMapRequest<O>): GpuVaOp<O>[] {
    this.assertHeld('madviseOps');
    const sink = this.listSink();
    splitMergeMap(this.#vas.walk, mapRequest('madviseOps', this, req), sink, true);
    return sink.ops;
  }

  /**
   * drm_gpuvm_prefetch_ops_create(): one PREFETCH per VA intersecting [addr, addr + range),
   * not clipped to it. As in the kernel the kernel-reserved VA is not excluded.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a range that is empty, overflows or leaves the window.
   */
  prefetchOps(addr: number, range: number): GpuVaOpPrefetch<O>[] {
    this.assertHeld('prefetchOps');
    checkWindow('prefetchOps', this, addr, range);
    const ticket = this.ticket();
    const ops: GpuVaOpPrefetch<O>[] = [];
    this.#vas.walk(addr, addr + range - 1, (va) => {
      const op = prefetchOp(va);
      stampOp(op, ticket);
      ops.push(op);
      return true;
    });
    return ops;
  }

  /**
   * drm_gpuvm_bo_unmap_ops_create(): one UNMAP (keep false) per VA linked to vmBo, in link order.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM.
   */
  boUnmapOps(vmBo: VmBo<O>): GpuVaOpUnmap<O>[] {
    this.assertHeld('boUnmapOps');
    checkOwnBo('boUnmapOps', this, vmBo);
    const ticket = this.ticket();
    return vmBo.vas.map((va) => {
      const op = unmapOp(va, false);
      stampOp(op, ticket);
      return op;
    });
  }

  /**
   * The objects a request would touch (drm_gpuvm_sm_map_exec_lock / sm_unmap_exec_lock):
   * for a map, the request's object first, then the object of every VA it would REMAP or
   * UNMAP; each once, NULL objects left out. `kind: 'unmap'` treats req as an unmap range.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   */
  objectsTouched(req: GpuVmMapRequest<O> & { kind?: 'map' | 'unmap' }): O[] {
    this.assertHeld('objectsTouched');
    const sink = new TouchedSink<O>();
    if (req?.kind === 'unmap') {
      checkRequest('objectsTouched', this, req.addr, req.range);
      splitMergeUnmap(this.#vas.walk, req.addr, req.range, sink);
    } else {
      const mreq = mapRequest('objectsTouched', this, req);
      sink.add(mreq.obj);
      splitMergeMap(this.#vas.walk, mreq, sink);
    }
    return sink.objects;
  }

  // ---------------------------------------------------------------- applying ops

  /**
   * drm_gpuva_map(): inserts a new VA (flags 0) described by a MAP op.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op; EEXIST if its range is occupied;
   *   ENOMEM if the tree is out of nodes.
   */
  applyMap(op: GpuVaOpMap<O>): GpuVa<O> {
    this.assertHeld('applyMap');
    const done = this.takePreApplied(op);
    if (done !== undefined) return done as GpuVa<O>;
    this.checkOp('applyMap', op, 'map');
    const va = vaFromPiece('applyMap', this, op);
    this.#vas.insert('applyMap', va);
    advanceTicket(op, this.#gens.current);
    return va;
  }

  /**
   * drm_gpuva_remap(): removes op.unmap.va and inserts the prev / next remnants as new VAs.
   * Flags and driver data are not carried over (copy them from op.unmap.va), and the old VA
   * stays linked to its VmBo until unlinked. All or nothing.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op (remnants that do not describe the
   *   VA); EEXIST / ENOMEM as insert.
   */
  applyRemap(op: GpuVaOpRemap<O>): { prev?: GpuVa<O>; next?: GpuVa<O> } {
    this.assertHeld('applyRemap');
    const done = this.takePreApplied(op);
    if (done !== undefined) return done as { prev?: GpuVa<O>; next?: GpuVa<O> };
    this.checkOp('applyRemap', op, 'remap');
    checkObject('applyRemap', op.unmap, 'malformed remap: unmap must be { va, keep }');
    const old = op.unmap.va;
    checkRemovable('applyRemap', this, old);
    const prev = op.prev ? vaFromPiece('applyRemap', this, op.prev) : undefined;
    const next = op.next ? vaFromPiece('applyRemap', this, op.next) : undefined;
    checkRemap('applyRemap', op);
    this.#journal.atomically(() => {
      this.#vas.erase('applyRemap', old);
      if (prev) this.#vas.insert('applyRemap', prev);
      if (next) this.#vas.insert('applyRemap', next);
    });
    advanceTicket(op, this.#gens.current);
    return { ...(prev && { prev }), ...(next && { next }) };
  }

  /**
   * drm_gpuva_unmap(): removes op.va. It stays linked to its VmBo until unlinked.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op.
   */
  applyUnmap(op: GpuVaOpUnmap<O>): void {
    this.assertHeld('applyUnmap');
    if (this.takePreApplied(op) !== undefined) return;
    this.checkOp('applyUnmap', op, 'unmap');
    checkRemovable('applyUnmap', this, op.va);
    this.#vas.erase('applyUnmap', op.va);
    advanceTicket(op, this.#gens.current);
  }

  /**
   * Applies ops in order (PREFETCH ops are skipped). Atomic: if any op fails, every op already
   * applied is undone in place and the VM is exactly as before — the same generation, so op
   * lists computed before stay valid and this list may be applied again.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a non-array or an array with holes; otherwise as the apply
   *   helper of the failing op, its message naming the op index.
   */
  apply(ops: readonly GpuVaOp<O>[]): void {
    this.assertHeld('apply');
    if (!Array.isArray(ops)) throw gpuvmError('EINVAL', 'apply', 'ops must be an array');
    for (let i = 0; i < ops.length; i++) {
      if (!(i in ops)) throw gpuvmError('EINVAL', 'apply', `op ${i}: the array has a hole here`);
    }
    const live = liveTickets(ops, this, this.#gens.current);
    try {
      this.#journal.atomically(() => {
        for (let i = 0; i < ops.length; i++) this.applyAt(ops[i], i);
      });
    } catch (err) {
      for (const t of live) t.gen = this.#gens.current;
      throw err;
    }
  }

  // ---------------------------------------------------------------- queued binds

  /**
   * A bind job for later: validates the request now and reserves now everything its run may
   * need whatever the VM looks like by then — tree writes for MAP_STORES (map) or UNMAP_STORES
   * (unmap) stores via tree.reserve, and the three VAs a run may place — so that job.run()
   * never throws ENOMEM. req is a map request ({ addr, range, obj?, offset? }) or, for
   * kind 'unmap', { addr, range }; `merge` as for smMapOps, decided at run time.
   *
   * job.objectsTouched is the request's object, the objects of the VAs intersecting the
   * request now, and the objects of the pending map jobs prepared earlier that can reach it (a
   * merging one always can). If only jobs run between this submit and this run (the queued
   * case), every VA the run removes has one of those objects: a remnant keeps the object of a
   * VA that intersected the request, and a VA an earlier job made has that job's object.
   * Direct changes in between (insert, apply, smMap) are not covered.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request, kind or options (nothing reserved);
   *   ENOMEM if the node budget cannot cover the run (nothing changed).
   */
  prepare(req: GpuVmMapRequest<O>, kind: BindKind = 'map', options: MapOptions = {}): BindJob<O, C> {
    this.assertHeld('prepare');
    if (kind !== 'map' && kind !== 'unmap') {
      throw gpuvmError('EINVAL', 'prepare', `kind must be 'map' or 'unmap', not ${String(kind)}`);
    }
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw gpuvmError('EINVAL', 'prepare', 'options must be an object { merge? }');
    }
    const request = kind === 'map' ? mapRequest('prepare', this, req) : this.unmapRequest('prepare', req);
    const merge = kind === 'map' && options.merge === true;
    const objects = this.queuedObjects(request, kind);
    const stores = kind === 'map' ? MAP_STORES : UNMAP_STORES;
    const reservation = reserveStores('prepare', this.#vas.tree as ReservingTree, stores, this.#capped);
    const blanks = [blankVa<O>(), blankVa<O>(), blankVa<O>()] as const;
    const job = new BindJob<O, C>(this.#host, kind, Object.freeze(request), merge, Object.freeze(objects), reservation, blanks);
    this.#pending.add(job);
    return job;
  }

  /** Tree nodes held by reservations (prepared jobs included). */
  get reservedNodes(): number {
    this.assertLive('reservedNodes');
    return (this.#vas.tree as ReservingTree).reservedNodes ?? 0;
  }

  /** Prepared jobs neither run nor cancelled. */
  get pendingJobs(): number {
    this.assertLive('pendingJobs');
    return this.#pending.size;
  }

  // ---------------------------------------------------------------- VmBo and object lists

  /**
   * drm_gpuvm_bo_obtain(): the unique VmBo of (this VM, obj), created on first use; takes a
   * reference (drop it with putBo).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a null or undefined obj.
   */
  obtainBo(obj: O): VmBo<O> {
    this.assertHeld('obtainBo');
    if (obj === null || obj === undefined) {
      throw gpuvmError('EINVAL', 'obtainBo', 'a VmBo needs a non-null object');
    }
    return this.#bos.obtain(obj);
  }

  /** drm_gpuvm_bo_find() without taking a reference: the live VmBo of obj, if any. */
  findBo(obj: O): VmBo<O> | undefined {
    this.assertLive('findBo');
    return this.#bos.find(obj);
  }

  /**
   * drm_gpuvm_bo_put(): drops a reference the caller took with obtainBo; the last one removes
   * the VmBo from the VM and its lists. Returns whether it was destroyed.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM or one already destroyed, and for a put
   *   beyond the caller's references (the ones linked VAs hold go with unlink).
   */
  putBo(vmBo: VmBo<O>): boolean {
    this.assertHeld('putBo');
    checkOwnBo('putBo', this, vmBo);
    return this.#bos.put('putBo', vmBo, this.#inJob > 0);
  }

  /**
   * drm_gpuva_link(): appends va to vmBo.vas and takes a VmBo reference. A no-op for a NULL-
   * object VA.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL if va is already linked, or vmBo belongs to another VM or object.
   */
  link(va: GpuVa<O>, vmBo: VmBo<O>): void {
    this.assertHeld('link');
    checkVa('link', va);
    if (va.obj === null) return;
    checkOwnBo('link', this, vmBo);
    if (va.obj !== vmBo.obj) throw gpuvmError('EINVAL', 'link', "the VA's object is not the VmBo's");
    if (va._vmBo !== null) throw gpuvmError('EINVAL', 'link', 'the VA is already linked');
    this.#bos.link(va, vmBo);
  }

  /**
   * drm_gpuva_unlink(): removes va from its VmBo's list and drops that reference (which may
   * destroy the VmBo). A no-op for a NULL-object or unlinked VA.
   * Locking: asserts the external lock.
   */
  unlink(va: GpuVa<O>): void {
    this.assertHeld('unlink');
    checkVa('unlink', va);
    const vmBo = va._vmBo;
    if (va.obj === null || vmBo === null) return;
    if (vmBo.vm !== this) throw gpuvmError('EINVAL', 'unlink', 'the VA is linked in another VM');
    this.#bos.unlink(va, vmBo, this.#inJob > 0);
  }

  /**
   * drm_gpuva_unlink_defer(): unlink, except that a last reference does not destroy the VmBo:
   * it leaves the VM (obtainBo makes a fresh one) and waits on the deferred list, skipped by
   * extObjs() and evicted(), until deferredCleanup(). Inside a job's run, unlink does this.
   * Locking: asserts the external lock.
   */
  unlinkDefer(va: GpuVa<O>): void {
    this.#inJob++;
    try {
      this.unlink(va);
    } finally {
      this.#inJob--;
    }
  }

  /**
   * drm_gpuvm_bo_put_deferred(): putBo whose last reference defers the destruction as
   * unlinkDefer does. Returns whether that was the last reference. Inside a job's run, putBo
   * does this.
   * Locking: asserts the external lock.
   */
  putBoDeferred(vmBo: VmBo<O>): boolean {
    this.assertHeld('putBoDeferred');
    checkOwnBo('putBoDeferred', this, vmBo);
    return this.#bos.put('putBoDeferred', vmBo, true);
  }

  /**
   * drm_gpuvm_bo_deferred_cleanup(): takes every VmBo whose destruction was deferred off the
   * external-object and evicted lists; returns them (in the order they were deferred).
   * Locking: asserts the external lock.
   */
  deferredCleanup(): VmBo<O>[] {
    this.assertHeld('deferredCleanup');
    return this.#bos.cleanup();
  }

  /** drm_gpuvm_is_extobj(): whether obj is external to this VM (the isExtObj option). */
  isExtObj(obj: O): boolean {
    return this.#extObjTest !== null && this.#extObjTest(obj);
  }

  /**
   * drm_gpuvm_bo_extobj_add(): puts vmBo on the external-object list if its object is
   * external and it is not there yet.
   * Locking: asserts the external lock.
   */
  extobjAdd(vmBo: VmBo<O>): void {
    this.assertHeld('extobjAdd');
    checkOwnBo('extobjAdd', this, vmBo);
    if (this.isExtObj(vmBo.obj)) this.#bos.extAdd(vmBo);
  }

  /**
   * drm_gpuvm_bo_evict(): marks vmBo evicted or not, adding it to the tail of the evicted
   * list or taking it off.
   * Locking: asserts the external lock.
   */
  evict(vmBo: VmBo<O>, evict: boolean): void {
    this.assertHeld('evict');
    checkOwnBo('evict', this, vmBo);
    this.#bos.evict(vmBo, evict);
  }

  /** drm_gpuvm_bo_gem_evict() for this VM: evict(findBo(obj), evict) if obj has a VmBo. */
  evictObj(obj: O, evict: boolean): void {
    const vmBo = this.findBo(obj);
    if (vmBo) this.evict(vmBo, evict);
  }

  /** The external-object list, in the order VmBos were added. Safe to modify while iterating. */
  extObjs(): IterableIterator<VmBo<O>> {
    this.assertLive('extObjs');
    return liveBos(this.#bos.extList);
  }

  /** The evicted list, in the order VmBos were evicted. Safe to modify while iterating. */
  evicted(): IterableIterator<VmBo<O>> {
    this.assertLive('evicted');
    return liveBos(this.#bos.evictList);
  }

  /**
   * drm_gpuvm_validate(): calls ops.vmBoValidate(vmBo, ctx) for each evicted VmBo; a throw
   * stops and propagates.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL without ops.vmBoValidate.
   */
  validate(ctx?: C): void {
    this.assertHeld('validate');
    const fn = this.#ops.vmBoValidate;
    if (!fn) throw gpuvmError('EINVAL', 'validate', 'ops.vmBoValidate is not set');
    for (const vmBo of liveBos(this.#bos.evictList)) fn.call(this.#ops, vmBo, ctx as C);
  }

  // ---------------------------------------------------------------- lifetime and display

  /**
   * Frees the VM's tree now (every node and the header) instead of at garbage collection.
   * Any later call on the VM throws EINVAL; freeing twice is a no-op.
   * Locking: asserts the external lock.
   */
  free(): void {
    if (this.#freed) return;
    this.assertHeld('free');
    this.#vas.tree.free();
    this.#freed = true;
  }

  /** free(), for `using`. */
  [DISPOSE](): void {
    this.free();
  }

  /** util.inspect / console.log: the window and the VAs, no internals. */
  [INSPECT](): object {
    const fields = { name: this.name, start: this.start, range: this.range };
    if (this.#freed) return inspectView('GpuVm', { ...fields, freed: true });
    return inspectView('GpuVm', { ...fields, vas: [...this.vas()] });
  }

  // ---------------------------------------------------------------- internals

  private *iterateVas(first: number, last: number): IterableIterator<GpuVa<O>> {
    for (const [, , va] of this.#vas.tree.entries(first, last)) yield va;
  }

  private findFirstChecked(method: string, addr: number, range: number): GpuVa<O> | undefined {
    this.assertLive(method);
    checkInterval(method, addr, range);
    return this.#vas.tree.find(addr, addr + range - 1)?.entry;
  }

  /**
   * A job's run: the ops against the VM as it is now, the whole change in a bounded number of
   * stores on the job's reservation, then the driver's step callbacks in order (each op is
   * applied by then; the apply helpers hand back what it made).
   */
  private runJob(job: BindJob<O, C>, ctx: C | undefined): void {
    this.assertHeld('BindJob.run');
    const req = job.request as MapRequest<O>;
    const sink = this.listSink();
    if (job.kind === 'map') splitMergeMap(this.#vas.walk, job.merge ? this.widen(req) : req, sink);
    else splitMergeUnmap(this.#vas.walk, req.addr, req.range, sink);
    const span = spanOf(req, sink.ops);
    const { removed, placed } = this.placeOps(sink.ops, job._vas);
    job._reservation.run(() => this.#vas.replaceSpan(span.first, span.last, removed, placed));
    this.dropJob(job);
    job._finish();
    this.callSteps(sink.ops, ctx);
  }

  /** Gives the job's blank VAs the mappings the ops create; records what applying each returns. */
  private placeOps(ops: readonly GpuVaOp<O>[], blanks: readonly GpuVa<O>[]): { removed: GpuVa<O>[]; placed: GpuVa<O>[] } {
    const removed: GpuVa<O>[] = [];
    const placed: GpuVa<O>[] = [];
    const place = (blank: GpuVa<O>, piece: { addr: number; range: number; obj: O | null; offset: number }) => {
      placed.push(blank._place(piece.addr, piece.range, piece.obj, piece.offset));
      return blank;
    };
    for (const op of ops) {
      if (op.type === 'map') this.#preApplied.set(op, place(blanks[0], op));
      else if (op.type === 'unmap') {
        removed.push(op.va);
        this.#preApplied.set(op, true);
      } else if (op.type === 'remap') {
        removed.push(op.unmap.va);
        const prev = op.prev ? place(blanks[1], op.prev) : undefined;
        const next = op.next ? place(blanks[2], op.next) : undefined;
        this.#preApplied.set(op, { ...(prev && { prev }), ...(next && { next }) });
      }
    }
    return { removed, placed };
  }

  /** The driver's step callbacks for ops already applied; VmBo destruction is deferred meanwhile. */
  private callSteps(ops: readonly GpuVaOp<O>[], ctx: C | undefined): void {
    const cb = this.#ops;
    this.#inJob++;
    try {
      for (const op of ops) {
        if (op.type === 'map') cb.smStepMap?.(op, ctx as C);
        else if (op.type === 'remap') cb.smStepRemap?.(op, ctx as C);
        else if (op.type === 'unmap') cb.smStepUnmap?.(op, ctx as C);
      }
    } finally {
      this.#inJob--;
    }
  }

  private dropJob(job: BindJob<O, C>): void {
    this.#pending.delete(job);
    job._reservation.release();
  }

  /** What applying op returned when a job's run applied it (once), else undefined. */
  private takePreApplied(op: GpuVaOp<O>): PreApplied<O> | undefined {
    if (op === null || typeof op !== 'object') return undefined;
    const done = this.#preApplied.get(op);
    if (done !== undefined) this.#preApplied.delete(op);
    return done;
  }

  /** The objects a queued job may touch (see prepare). */
  private queuedObjects(req: MapRequest<O>, kind: BindKind): O[] {
    const sink = new TouchedSink<O>();
    if (kind === 'map') sink.add(req.obj);
    this.#vas.walk(req.addr, req.addr + req.range - 1, (va) => {
      sink.add(va.obj);
      return true;
    });
    const end = req.addr + req.range;
    for (const job of this.#pending) {
      const r = job.request;
      const reaches = job.merge || (r.addr < end && req.addr < r.addr + r.range);
      if (job.kind === 'map' && reaches) sink.add(r.obj);
    }
    return sink.objects;
  }

  private unmapRequest(method: string, req: { addr: number; range: number } | null | undefined): MapRequest<O> {
    checkObject(method, req, 'the request must be an object { addr, range }');
    const { addr, range } = req as { addr: number; range: number };
    checkRequest(method, this, addr, range);
    return { addr, range, obj: null, offset: 0 };
  }

  private mapRequestWith(method: string, req: GpuVmMapRequest<O>, options: MapOptions): MapRequest<O> {
    if (options === null || typeof options !== 'object') {
      throw gpuvmError('EINVAL', method, 'options must be an object');
    }
    const mreq = mapRequest(method, this, req);
    return options.merge === true ? this.widen(mreq) : mreq;
  }

  private widen(req: MapRequest<O>): MapRequest<O> {
    return widenForMerge((addr) => this.#vas.tree.load(addr), req);
  }

  private maybeAtomic(options: SmOptions, fn: () => void): void {
    if (options?.atomic) this.#journal.atomically(fn, true);
    else fn();
  }

  private ticket(): OpTicket {
    return { vm: this, gen: this.#gens.current };
  }

  /** One ticket for the whole list: applying its ops in order keeps the rest current. */
  private listSink(): ListSink<O> {
    const ticket = this.ticket();
    return new ListSink<O>((op) => stampOp(op, ticket));
  }

  /** A ticket per step, taken when the step is emitted. */
  private callbackSink(ctx: C | undefined): StepSink<O> {
    return new CallbackSink<O, C>(this.#ops, ctx as C, (op) => stampOp(op, this.ticket()));
  }

  private applyAt(op: GpuVaOp<O>, index: number): void {
    try {
      switch (op?.type) {
        case 'map':
          this.applyMap(op);
          return;
        case 'remap':
          this.applyRemap(op);
          return;
        case 'unmap':
          this.applyUnmap(op);
          return;
        case 'prefetch':
          return;
        default:
          throw gpuvmError('EINVAL', 'apply', `unknown op type ${String((op as { type?: unknown })?.type)}`);
      }
    } catch (err) {
      throw withContext(err, 'apply', `op ${index}`);
    }
  }

  private assertLive(method: string): void {
    if (this.#freed) throw gpuvmError('EINVAL', method, 'the VM was freed');
  }

  private assertHeld(method: string): void {
    this.assertLive(method);
    if (this.#lock !== null && !this.#lock.isHeld()) {
      throw gpuvmError('ENOLCK', method, 'the external lock is not held');
    }
  }

  private checkOp(method: string, op: GpuVaOp<O>, type: GpuVaOp['type']): void {
    checkOpType(method, op, type);
    checkTicket(method, op, this, this.#gens.current);
  }
}

/** What an apply helper returns for an op a job's run applied: the VA, the remnants, or true. */
type PreApplied<O> = GpuVa<O> | { prev?: GpuVa<O>; next?: GpuVa<O> } | true;

/** A VA a prepared job may place when it runs. */
function blankVa<O>(): GpuVa<O> {
  return new GpuVa<O>(0, 0, null, 0, 0);
}

/**
 * The keys a run's NULL store covers: the (widened) map's range, or the unmap request. The
 * map op, when there is one, is the last op.
 */
function spanOf<O>(req: MapRequest<O>, ops: readonly GpuVaOp<O>[]): { first: number; last: number } {
  const last = ops[ops.length - 1];
  const range = last?.type === 'map' ? last : req;
  return { first: range.addr, last: range.addr + range.range - 1 };
}

/** The live VmBos of a list: those whose destruction is deferred are skipped. */
function* liveBos<O>(list: Iterable<VmBo<O>>): IterableIterator<VmBo<O>> {
  for (const vmBo of list) if (vmBo._refs > 0) yield vmBo;
}
