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
import { OpApplier } from './apply.js';
import { BindJob, type BindKind, BindQueue } from './bindJob.js';
import { checkBound, checkIndex, checkInterval, checkObject, checkOwnBo, checkRemovable, checkRequest, checkReusable, checkSpan, checkVa, newVa, requestProblem } from './checks.js';
import { gpuvmError } from './errors.js';
import { OpGenerator } from './generate.js';
import { GpuVa } from './GpuVa.js';
import { INSPECT, inspectView } from './inspect.js';
import { Journal } from './journal.js';
import type { GpuVaOp, GpuVaOpMap, GpuVaOpPrefetch, GpuVaOpRemap, GpuVaOpUnmap } from './ops.js';
import type { GpuVaInit, GpuVmMapRequest, GpuVmOps, GpuVmOptions, MapOptions, SmOptions } from './options.js';
import { BoRegistry } from './registry.js';
import { Generations } from './tickets.js';
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
  readonly #generator: OpGenerator<O, C>;
  readonly #applier: OpApplier<O>;
  readonly #jobs: BindQueue<O, C>;

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
    this.#vas = new VaTree<O>(tree, this, this.#journal, this.#gens, capped, this.#lock);
    this.#bos = new BoRegistry<O>(this, this.#journal);
    const parts = { vm: this, vas: this.#vas, journal: this.#journal, gens: this.#gens, ops: this.#ops };
    this.#generator = new OpGenerator<O, C>(parts);
    this.#applier = new OpApplier<O>(parts);
    this.#jobs = new BindQueue<O, C>(parts, this.#generator, this.#applier, (method) => this.assertHeld(method));
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

  /**
   * drm_gpuva_find(): the VA exactly at [addr, addr + range), else undefined.
   * @example
   * vm.find(0x1000, 0x2000)?.obj; // bo
   */
  find(addr: number, range: number): GpuVa<O> | undefined {
    const va = this.findFirstChecked('find', addr, range);
    return va && va.addr === addr && va.range === range ? va : undefined;
  }

  /**
   * drm_gpuva_find_first(): the lowest VA intersecting [addr, addr + range).
   * @example
   * const first = vm.findFirst(0, 0x10000); // the lowest VA below 0x10000
   */
  findFirst(addr: number, range: number): GpuVa<O> | undefined {
    return this.findFirstChecked('findFirst', addr, range);
  }

  /**
   * The VA ending exactly at start - 1 (drm_gpuva_find_prev as documented).
   * @example
   * vm.findPrev(0x3000); // the VA ending at 0x2fff
   */
  findPrev(start: number): GpuVa<O> | undefined {
    this.assertLive('findPrev');
    checkBound('findPrev', 'start', start);
    if (start === 0) return undefined;
    const va = this.#vas.tree.load(start - 1);
    return va && va.addr + va.range === start ? va : undefined;
  }

  /**
   * The VA starting exactly at end (drm_gpuva_find_next as documented).
   * @example
   * vm.findNext(0x3000); // the VA starting at 0x3000
   */
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
   * @example
   * for (const va of vm.vas(0x1000, 0x4000)) console.log(va.addr, va.range);
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
   * @example
   * const va = vm.insert({ addr: 0x1000, range: 0x2000, obj: bo, offset: 0 });
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
   * @example
   * vm.remove(vm.find(0x1000, 0x2000)!);
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
   * @example
   * const ops = vm.smMapOps({ addr: 0x2000, range: 0x1000, obj: bo, offset: 0 });
   * vm.apply(ops); // REMAP of the VA there, then the MAP
   */
  smMapOps(req: GpuVmMapRequest<O>, options: MapOptions = {}): GpuVaOp<O>[] {
    this.assertHeld('smMapOps');
    return this.#generator.mapOps(req, options);
  }

  /**
   * drm_gpuvm_sm_unmap_ops_create(): UNMAP for VAs inside [addr, addr + range), REMAP for
   * VAs sticking out of it. keep is always false.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range.
   * @example
   * vm.apply(vm.smUnmapOps(0x2000, 0x1000));
   */
  smUnmapOps(addr: number, range: number): GpuVaOp<O>[] {
    this.assertHeld('smUnmapOps');
    return this.#generator.unmapOps(addr, range);
  }

  /**
   * drm_gpuvm_sm_map(): the smMapOps steps, handed one by one to ops.smStepRemap /
   * smStepUnmap / smStepMap(op, ctx) as they are generated. Callbacks may change the VM
   * (typically by applying the op). A throw stops the walk and propagates; with
   * `atomic: true` the VM is first rolled back to its state before the request.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request or a missing callback; whatever a
   *   callback throws.
   * @example
   * vm.smMap({ addr: 0x2000, range: 0x1000, obj: bo, offset: 0 }, ctx, { atomic: true });
   */
  smMap(req: GpuVmMapRequest<O>, ctx?: C, options: SmOptions = {}): void {
    this.assertHeld('smMap');
    this.#generator.smMap(req, ctx, options);
  }

  /**
   * drm_gpuvm_sm_unmap(): the smUnmapOps steps through ops.smStepRemap / smStepUnmap.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range or a missing callback; whatever a callback
   *   throws (after rolling back with `atomic: true`).
   * @example
   * vm.smUnmap(0x2000, 0x1000, ctx);
   */
  smUnmap(addr: number, range: number, ctx?: C, options: SmOptions = {}): void {
    this.assertHeld('smUnmap');
    this.#generator.smUnmap(addr, range, ctx, options);
  }

  /**
   * drm_gpuvm_madvise_ops_create(): split-only ops for assigning attributes to NULL-object
   * VAs. VAs with an object are skipped, nothing is UNMAPped, and MAPs cover only the split
   * parts (at most two REMAPs and two MAPs; possibly no op at all).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   * @example
   * vm.apply(vm.madviseOps({ addr: 0x2000, range: 0x1000 }));
   */
  madviseOps(req: GpuVmMapRequest<O>): GpuVaOp<O>[] {
    this.assertHeld('madviseOps');
    return this.#generator.madviseOps(req);
  }

  /**
   * drm_gpuvm_prefetch_ops_create(): one PREFETCH per VA intersecting [addr, addr + range),
   * not clipped to it. As in the kernel the kernel-reserved VA is not excluded.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a range that is empty, overflows or leaves the window.
   * @example
   * for (const op of vm.prefetchOps(0x1000, 0x4000)) migrate(op.va);
   */
  prefetchOps(addr: number, range: number): GpuVaOpPrefetch<O>[] {
    this.assertHeld('prefetchOps');
    return this.#generator.prefetchOps(addr, range);
  }

  /**
   * drm_gpuvm_bo_unmap_ops_create(): one UNMAP (keep false) per VA linked to vmBo, in link order.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM.
   * @example
   * vm.apply(vm.boUnmapOps(vm.findBo(bo)!));
   */
  boUnmapOps(vmBo: VmBo<O>): GpuVaOpUnmap<O>[] {
    this.assertHeld('boUnmapOps');
    return this.#generator.boUnmapOps(vmBo);
  }

  /**
   * The objects a request would touch (drm_gpuvm_sm_map_exec_lock / sm_unmap_exec_lock):
   * for a map, the request's object first, then the object of every VA it would REMAP or
   * UNMAP; each once, NULL objects left out. `kind: 'unmap'` treats req as an unmap range.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   * @example
   * for (const obj of vm.objectsTouched({ addr: 0x2000, range: 0x1000, obj: bo })) lock(obj);
   */
  objectsTouched(req: GpuVmMapRequest<O> & { kind?: 'map' | 'unmap' }): O[] {
    this.assertHeld('objectsTouched');
    return this.#generator.objectsTouched(req);
  }

  // ---------------------------------------------------------------- applying ops

  /**
   * drm_gpuva_map(): inserts a new VA (flags 0) described by a MAP op.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op; EEXIST if its range is occupied;
   *   ENOMEM if the tree is out of nodes.
   * @example
   * const [op] = vm.smMapOps({ addr: 0x8000, range: 0x1000, obj: bo }); // an empty range
   * if (op.type === 'map') vm.link(vm.applyMap(op), vm.obtainBo(bo));
   */
  applyMap(op: GpuVaOpMap<O>): GpuVa<O> {
    this.assertHeld('applyMap');
    return this.#applier.map(op);
  }

  /**
   * drm_gpuva_remap(): removes op.unmap.va and inserts the prev / next remnants as new VAs.
   * Flags and driver data are not carried over (copy them from op.unmap.va), and the old VA
   * stays linked to its VmBo until unlinked. All or nothing.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op (remnants that do not describe the
   *   VA); EEXIST / ENOMEM as insert.
   * @example
   * const [op] = vm.smUnmapOps(0x2000, 0x1000); // inside a larger VA
   * if (op.type === 'remap') vm.applyRemap(op).prev; // the VA left below 0x2000
   */
  applyRemap(op: GpuVaOpRemap<O>): { prev?: GpuVa<O>; next?: GpuVa<O> } {
    this.assertHeld('applyRemap');
    return this.#applier.remap(op);
  }

  /**
   * drm_gpuva_unmap(): removes op.va. It stays linked to its VmBo until unlinked.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op.
   * @example
   * for (const op of vm.smUnmapOps(0x1000, 0x2000)) if (op.type === 'unmap') vm.applyUnmap(op);
   */
  applyUnmap(op: GpuVaOpUnmap<O>): void {
    this.assertHeld('applyUnmap');
    this.#applier.unmap(op);
  }

  /**
   * Applies ops in order (PREFETCH ops are skipped). Atomic: if any op fails, every op already
   * applied is undone in place and the VM is exactly as before — the same generation, so op
   * lists computed before stay valid and this list may be applied again.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a non-array or an array with holes; otherwise as the apply
   *   helper of the failing op, its message naming the op index.
   * @example
   * vm.apply(vm.smMapOps({ addr: 0x1000, range: 0x1000, obj: bo })); // all or nothing
   */
  apply(ops: readonly GpuVaOp<O>[]): void {
    this.assertHeld('apply');
    this.#applier.list(ops);
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
   * @example
   * const job = vm.prepare({ addr: 0x1000, range: 0x1000, obj: bo }); // may throw ENOMEM
   * job.run(ctx); // later: never ENOMEM
   */
  prepare(req: GpuVmMapRequest<O>, kind: BindKind = 'map', options: MapOptions = {}): BindJob<O, C> {
    this.assertHeld('prepare');
    return this.#jobs.prepare(req, kind, options);
  }

  /** Tree nodes held by reservations (prepared jobs included). */
  get reservedNodes(): number {
    this.assertLive('reservedNodes');
    return this.#vas.tree.reservedNodes;
  }

  /** Tree nodes the VAs use now (reserved ones not counted): with reservedNodes, what maxNodes caps. */
  get nodeCount(): number {
    this.assertLive('nodeCount');
    return this.#vas.tree.nodeCount;
  }

  /** Prepared jobs neither run nor cancelled. */
  get pendingJobs(): number {
    this.assertLive('pendingJobs');
    return this.#jobs.size;
  }

  // ---------------------------------------------------------------- VmBo and object lists

  /**
   * drm_gpuvm_bo_obtain(): the unique VmBo of (this VM, obj), created on first use; takes a
   * reference (drop it with putBo).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a null or undefined obj.
   * @example
   * const vmBo = vm.obtainBo(bo); // drop with vm.putBo(vmBo)
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
    return this.#bos.put('putBo', vmBo, this.#jobs.deferring);
  }

  /**
   * drm_gpuva_link(): appends va to vmBo.vas and takes a VmBo reference. A no-op for a NULL-
   * object VA.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL if va is already linked, or vmBo belongs to another VM or object.
   * @example
   * vm.link(vm.insert({ addr: 0x1000, range: 0x1000, obj: bo }), vm.obtainBo(bo));
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
   * @example
   * vm.remove(va);
   * vm.unlink(va);
   */
  unlink(va: GpuVa<O>): void {
    this.assertHeld('unlink');
    checkVa('unlink', va);
    const vmBo = va._vmBo;
    if (va.obj === null || vmBo === null) return;
    if (vmBo.vm !== this) throw gpuvmError('EINVAL', 'unlink', 'the VA is linked in another VM');
    this.#bos.unlink(va, vmBo, this.#jobs.deferring);
  }

  /**
   * drm_gpuva_unlink_defer(): unlink, except that a last reference does not destroy the VmBo:
   * it leaves the VM (obtainBo makes a fresh one) and waits on the deferred list, skipped by
   * extObjs() and evicted(), until deferredCleanup(). Inside a job's run, unlink does this.
   * Locking: asserts the external lock.
   */
  unlinkDefer(va: GpuVa<O>): void {
    this.#jobs.deferDuring(() => this.unlink(va));
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
   * @example
   * vm.free(); // vm.find(0, 1) now throws EINVAL
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

  private assertLive(method: string): void {
    if (this.#freed) throw gpuvmError('EINVAL', method, 'the VM was freed');
  }

  private assertHeld(method: string): void {
    this.assertLive(method);
    if (this.#lock !== null && !this.#lock.isHeld()) {
      throw gpuvmError('ENOLCK', method, 'the external lock is not held');
    }
  }
}

/** The live VmBos of a list: those whose destruction is deferred are skipped. */
function* liveBos<O>(list: Iterable<VmBo<O>>): IterableIterator<VmBo<O>> {
  for (const vmBo of list) if (vmBo._refs > 0) yield vmBo;
}
