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

import type { CoreBackend } from '../backend/backend.js';
import type { ExternalLock } from '../tree/lock.js';
import { MAX_INDEX, MapleTree } from '../tree/MapleTree.js';
import { gpuvmError, isMapleError, withContext } from './errors.js';
import { GpuVa, vaLast } from './GpuVa.js';
import {
  type GpuVaOp,
  type GpuVaOpMap,
  type GpuVaOpPrefetch,
  type GpuVaOpRemap,
  type GpuVaOpUnmap,
  type OpMap,
  type OpTicket,
  opTicket,
  prefetchOp,
  stampOp,
  unmapOp,
} from './ops.js';
import { CallbackSink, ListSink, type StepCallbacks, TouchedSink } from './sinks.js';
import { type MapRequest, type StepSink, type VaWalk, splitMergeMap, splitMergeUnmap } from './splitMerge.js';
import { VmBo } from './VmBo.js';


/** Driver callbacks (drm_gpuvm_ops). */
export interface GpuVmOps<O = unknown, C = unknown> extends StepCallbacks<O, C> {
  /** Called by GpuVm.validate for every evicted VmBo; expected to call evict(vmBo, false). */
  vmBoValidate?(vmBo: VmBo<O>, ctx: C): void;
}

export interface GpuVmOptions<O = unknown, C = unknown> {
  /** Managed window [start, start + range); its end may be at most MAX_INDEX + 1. */
  start: number;
  range: number;
  /** Kernel-reserved VA [reserveOffset, reserveOffset + reserveRange), inserted if reserveRange > 0. */
  reserveOffset?: number;
  reserveRange?: number;
  /** Tree backend, passed to MapleTree (default: MapleTree's default). */
  backend?: 'wasm' | 'ts';
  /** The driver's lock, asserted on every mutation and op generation. */
  lock?: ExternalLock;
  /** Driver callbacks: smStepMap/Remap/Unmap for smMap/smUnmap, vmBoValidate for validate. */
  ops?: GpuVmOps<O, C>;
  /** A label for messages and dumps (not used otherwise). */
  name?: string;
  /** Cap on tree nodes, passed to MapleTree; beyond it inserts throw ENOMEM. */
  maxNodes?: number;
  /**
   * Whether obj is an external object (its reservation differs from the VM's; the kernel's
   * drm_gpuvm_is_extobj). Default: no object is external.
   */
  isExtObj?: (obj: O) => boolean;
  /** @internal Passed through to MapleTree's internal `_core` option (test cores). */
  _core?: CoreBackend;
}

/** A map request (drm_gpuvm_map_req); obj defaults to null and offset to 0. */
export interface GpuVmMapRequest<O = unknown> {
  addr: number;
  range: number;
  obj?: O | null;
  offset?: number;
}

/** What GpuVm.insert creates a VA from. */
export interface GpuVaInit<O = unknown> extends GpuVmMapRequest<O> {
  flags?: number;
}

/** Options of smMap / smUnmap. */
export interface SmOptions {
  /** Roll the VM back to its state before the request if a callback throws. */
  atomic?: boolean;
}

type Undo = () => void;

/** One undo step; tree steps are skipped when a snapshot of the tree is restored instead. */
interface UndoStep {
  undo: Undo;
  tree: boolean;
}

export class GpuVm<O = unknown, C = unknown> {
  /** First address of the managed window. */
  readonly start: number;
  /** Length of the managed window. */
  readonly range: number;
  readonly name: string;
  /** The kernel-reserved VA (a NULL-object VA), or null without reserveRange. */
  readonly reserved: GpuVa<O> | null;

  private tree: MapleTree<GpuVa<O>>;
  private readonly capped: boolean;
  private readonly lock: ExternalLock | null;
  private readonly ops: GpuVmOps<O, C>;
  private readonly extObjTest: ((obj: O) => boolean) | null;
  /** Bumped by every change to the tree; op tickets are checked against it. */
  private gen = 0;
  /** Undo steps of the open atomic section(s), newest last; null outside one. */
  private journal: UndoStep[] | null = null;
  /** Under maxNodes: the tree as the outermost atomic section found it, and the VAs it touched. */
  private snapshot: MapleTree<GpuVa<O>> | null = null;
  private touched: Set<GpuVa<O>> | null = null;
  private readonly bos = new Map<O, VmBo<O>>();
  private extList = new Set<VmBo<O>>();
  private evictList = new Set<VmBo<O>>();

  /**
   * drm_gpuvm_init().
   * @throws MapleError EINVAL for a window or reserved range that is not integral, is empty or
   *   runs past MAX_INDEX.
   */
  constructor(options: GpuVmOptions<O, C>) {
    const { start, range } = options;
    checkIndex('constructor', 'start', start);
    checkSpan('constructor', start, range);
    this.start = start;
    this.range = range;
    this.name = options.name ?? 'gpuvm';
    this.lock = options.lock ?? null;
    this.ops = options.ops ?? {};
    this.extObjTest = options.isExtObj ?? null;
    this.tree = new MapleTree<GpuVa<O>>(treeOptions(options));
    this.capped = options.maxNodes !== undefined;
    this.reserved = this.insertReserved(options.reserveOffset ?? 0, options.reserveRange ?? 0);
  }

  /** Exclusive end of the managed window. */
  get end(): number {
    return this.start + this.range;
  }

  /** Changes to the VA tree so far; ops computed at another generation are stale. */
  get generation(): number {
    return this.gen;
  }

  /** @internal The underlying tree (tests validate it). */
  get _tree(): MapleTree<GpuVa<O>> {
    return this.tree;
  }

  // ---------------------------------------------------------------- ranges and lookups

  /**
   * drm_gpuvm_range_valid(): range >= 1, no overflow past MAX_INDEX, inside the window and
   * clear of the kernel-reserved VA. Never throws.
   */
  rangeValid(addr: number, range: number): boolean {
    return this.requestProblem(addr, range) === null;
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
    checkBound('findPrev', 'start', start);
    if (start === 0) return undefined;
    const va = this.tree.load(start - 1);
    return va && va.addr + va.range === start ? va : undefined;
  }

  /** The VA starting exactly at end (drm_gpuva_find_next as documented). */
  findNext(end: number): GpuVa<O> | undefined {
    checkBound('findNext', 'end', end);
    if (end > MAX_INDEX) return undefined;
    const va = this.tree.load(end);
    return va && va.addr === end ? va : undefined;
  }

  /**
   * VAs intersecting [addr, addr + range) in ascending order, the kernel-reserved VA included
   * (drm_gpuvm_for_each_va_range). Default: the managed window. The VM may change during the
   * walk; it continues after the last VA returned.
   */
  *vas(addr = this.start, range = this.range): IterableIterator<GpuVa<O>> {
    checkIndex('vas', 'addr', addr);
    checkSpan('vas', addr, range);
    for (const [, , va] of this.tree.entries(addr, addr + range - 1)) yield va;
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
    const va = init instanceof GpuVa ? this.reusable(init) : this.newVa('insert', init);
    this.checkRequest('insert', va.addr, va.range);
    this.treeInsert('insert', va);
    return va;
  }

  /**
   * drm_gpuva_remove(). The VA keeps its VmBo link; unlink it separately.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for the kernel-reserved VA or a VA not in this VM.
   */
  remove(va: GpuVa<O>): void {
    this.assertHeld('remove');
    this.checkRemovable('remove', va);
    this.treeErase(va);
  }

  // ---------------------------------------------------------------- op generation

  /**
   * drm_gpuvm_sm_map_ops_create(): the ops that map req: at most one REMAP of the VA
   * straddling the start, UNMAPs of covered VAs, at most one REMAP of the VA straddling the
   * end, then a MAP of exactly req.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid request.
   */
  smMapOps(req: GpuVmMapRequest<O>): GpuVaOp<O>[] {
    this.assertHeld('smMapOps');
    const sink = this.listSink();
    splitMergeMap(this.walk, this.mapRequest('smMapOps', req), sink);
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
    this.checkRequest('smUnmapOps', addr, range);
    const sink = this.listSink();
    splitMergeUnmap(this.walk, addr, range, sink);
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
    this.checkCallbacks('smMap', ['smStepMap', 'smStepRemap', 'smStepUnmap']);
    const mreq = this.mapRequest('smMap', req);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeMap(this.walk, mreq, sink));
  }

  /**
   * drm_gpuvm_sm_unmap(): the smUnmapOps steps through ops.smStepRemap / smStepUnmap.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range or a missing callback; whatever a callback
   *   throws (after rolling back with `atomic: true`).
   */
  smUnmap(addr: number, range: number, ctx?: C, options: SmOptions = {}): void {
    this.assertHeld('smUnmap');
    this.checkCallbacks('smUnmap', ['smStepRemap', 'smStepUnmap']);
    this.checkRequest('smUnmap', addr, range);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeUnmap(this.walk, addr, range, sink));
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
    splitMergeMap(this.walk, this.mapRequest('madviseOps', req), sink, true);
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
    this.checkWindow('prefetchOps', addr, range);
    const ticket = this.ticket();
    const ops: GpuVaOpPrefetch<O>[] = [];
    this.walk(addr, addr + range - 1, (va) => {
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
    this.checkOwnBo('boUnmapOps', vmBo);
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
    if (req.kind === 'unmap') {
      this.checkRequest('objectsTouched', req.addr, req.range);
      splitMergeUnmap(this.walk, req.addr, req.range, sink);
    } else {
      const mreq = this.mapRequest('objectsTouched', req);
      sink.add(mreq.obj);
      splitMergeMap(this.walk, mreq, sink);
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
    this.checkOp('applyMap', op, 'map');
    const va = this.vaFromPiece('applyMap', op);
    this.treeInsert('applyMap', va);
    this.advance(op);
    return va;
  }

  /**
   * drm_gpuva_remap(): removes op.unmap.va and inserts the prev / next remnants as new VAs.
   * Flags and driver data are not carried over (copy them from op.unmap.va), and the old VA
   * stays linked to its VmBo until unlinked. All or nothing.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op; EEXIST / ENOMEM as insert.
   */
  applyRemap(op: GpuVaOpRemap<O>): { prev?: GpuVa<O>; next?: GpuVa<O> } {
    this.assertHeld('applyRemap');
    this.checkOp('applyRemap', op, 'remap');
    const old = op.unmap?.va;
    this.checkRemovable('applyRemap', old);
    const prev = op.prev ? this.vaFromPiece('applyRemap', op.prev) : undefined;
    const next = op.next ? this.vaFromPiece('applyRemap', op.next) : undefined;
    this.atomically(() => {
      this.treeErase(old);
      if (prev) this.treeInsert('applyRemap', prev);
      if (next) this.treeInsert('applyRemap', next);
    });
    this.advance(op);
    return { ...(prev && { prev }), ...(next && { next }) };
  }

  /**
   * drm_gpuva_unmap(): removes op.va. It stays linked to its VmBo until unlinked.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op.
   */
  applyUnmap(op: GpuVaOpUnmap<O>): void {
    this.assertHeld('applyUnmap');
    this.checkOp('applyUnmap', op, 'unmap');
    this.checkRemovable('applyUnmap', op.va);
    this.treeErase(op.va);
    this.advance(op);
  }

  /**
   * Applies ops in order (PREFETCH ops are skipped). Atomic: if any op fails, every op already
   * applied is undone and the VM is exactly as before; the list may then be applied again.
   * Locking: asserts the external lock.
   * @throws MapleError as the apply helper of the failing op, its message naming the op index.
   */
  apply(ops: readonly GpuVaOp<O>[]): void {
    this.assertHeld('apply');
    if (!Array.isArray(ops)) throw gpuvmError('EINVAL', 'apply', 'ops must be an array');
    const live = this.liveTickets(ops);
    try {
      this.atomically(() => ops.forEach((op, i) => this.applyAt(op, i)));
    } catch (err) {
      for (const t of live) t.gen = this.gen;
      throw err;
    }
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
    this.recordBo(this.bos.get(obj));
    let vmBo = this.bos.get(obj);
    if (vmBo) {
      vmBo._refs++;
      return vmBo;
    }
    vmBo = new VmBo<O>(this, obj);
    this.bos.set(obj, vmBo);
    const created = vmBo;
    this.record(() => {
      this.bos.delete(obj);
      created._refs = 0;
    });
    return vmBo;
  }

  /** drm_gpuvm_bo_find() without taking a reference: the live VmBo of obj, if any. */
  findBo(obj: O): VmBo<O> | undefined {
    return this.bos.get(obj);
  }

  /**
   * drm_gpuvm_bo_put(): drops a reference; the last one removes the VmBo from the VM and its
   * lists. Returns whether it was destroyed.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM or one already destroyed.
   */
  putBo(vmBo: VmBo<O>): boolean {
    this.assertHeld('putBo');
    this.checkOwnBo('putBo', vmBo);
    this.recordBo(vmBo);
    return this.dropRef(vmBo);
  }

  /**
   * drm_gpuva_link(): appends va to vmBo.vas and takes a VmBo reference. A no-op for a NULL-
   * object VA.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL if va is already linked, or vmBo belongs to another VM or object.
   */
  link(va: GpuVa<O>, vmBo: VmBo<O>): void {
    this.assertHeld('link');
    if (va.obj === null) return;
    this.checkOwnBo('link', vmBo);
    if (va.obj !== vmBo.obj) throw gpuvmError('EINVAL', 'link', "the VA's object is not the VmBo's");
    if (va._vmBo !== null) throw gpuvmError('EINVAL', 'link', 'the VA is already linked');
    this.recordBo(vmBo);
    this.recordLink(va);
    vmBo._vas.push(va);
    vmBo._refs++;
    va._vmBo = vmBo;
  }

  /**
   * drm_gpuva_unlink(): removes va from its VmBo's list and drops that reference (which may
   * destroy the VmBo). A no-op for a NULL-object or unlinked VA.
   * Locking: asserts the external lock.
   */
  unlink(va: GpuVa<O>): void {
    this.assertHeld('unlink');
    const vmBo = va._vmBo;
    if (va.obj === null || vmBo === null) return;
    this.recordBo(vmBo);
    this.recordLink(va);
    vmBo._vas.splice(vmBo._vas.indexOf(va), 1);
    va._vmBo = null;
    this.dropRef(vmBo);
  }

  /** drm_gpuvm_is_extobj(): whether obj is external to this VM (the isExtObj option). */
  isExtObj(obj: O): boolean {
    return this.extObjTest !== null && this.extObjTest(obj);
  }

  /**
   * drm_gpuvm_bo_extobj_add(): puts vmBo on the external-object list if its object is
   * external and it is not there yet.
   * Locking: asserts the external lock.
   */
  extobjAdd(vmBo: VmBo<O>): void {
    this.assertHeld('extobjAdd');
    this.checkOwnBo('extobjAdd', vmBo);
    if (!this.isExtObj(vmBo.obj) || this.extList.has(vmBo)) return;
    this.recordBo(vmBo);
    this.extList.add(vmBo);
  }

  /**
   * drm_gpuvm_bo_evict(): marks vmBo evicted or not, adding it to the tail of the evicted
   * list or taking it off.
   * Locking: asserts the external lock.
   */
  evict(vmBo: VmBo<O>, evict: boolean): void {
    this.assertHeld('evict');
    this.checkOwnBo('evict', vmBo);
    this.recordBo(vmBo);
    vmBo._evicted = evict;
    if (evict) {
      if (!this.evictList.has(vmBo)) this.evictList.add(vmBo);
    } else {
      this.evictList.delete(vmBo);
    }
  }

  /** drm_gpuvm_bo_gem_evict() for this VM: evict(findBo(obj), evict) if obj has a VmBo. */
  evictObj(obj: O, evict: boolean): void {
    const vmBo = this.bos.get(obj);
    if (vmBo) this.evict(vmBo, evict);
  }

  /** The external-object list, in the order VmBos were added. Safe to modify while iterating. */
  *extObjs(): IterableIterator<VmBo<O>> {
    yield* this.extList;
  }

  /** The evicted list, in the order VmBos were evicted. Safe to modify while iterating. */
  *evicted(): IterableIterator<VmBo<O>> {
    yield* this.evictList;
  }

  /**
   * drm_gpuvm_validate(): calls ops.vmBoValidate(vmBo, ctx) for each evicted VmBo; a throw
   * stops and propagates.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL without ops.vmBoValidate.
   */
  validate(ctx?: C): void {
    this.assertHeld('validate');
    const fn = this.ops.vmBoValidate;
    if (!fn) throw gpuvmError('EINVAL', 'validate', 'ops.vmBoValidate is not set');
    for (const vmBo of this.evictList) fn.call(this.ops, vmBo, ctx as C);
  }

  // ---------------------------------------------------------------- internals: walking

  /**
   * Visits the VAs intersecting [first, last] with an advanced-API cursor. The cursor is
   * paused before each visit so the visitor may change the tree; the next find() re-walks
   * from just after the visited VA. A VA that then starts before the end of the one just
   * visited was inserted by the visitor behind the walk and is skipped, as the kernel's
   * prefetched-successor walk would.
   */
  private readonly walk: VaWalk<O> = (first, last, visit) => {
    const mas = this.tree.state(first);
    let resume = -1;
    for (let va = mas.find(last); va !== undefined; va = mas.find(last)) {
      mas.pause();
      if (va.addr < resume) continue;
      resume = va.addr + va.range;
      if (!visit(va)) return;
    }
  };

  private findFirstChecked(method: string, addr: number, range: number): GpuVa<O> | undefined {
    checkIndex(method, 'addr', addr);
    checkSpan(method, addr, range);
    return this.tree.find(addr, addr + range - 1)?.entry;
  }

  // ---------------------------------------------------------------- internals: tree changes

  private treeInsert(method: string, va: GpuVa<O>): void {
    try {
      this.tree.insertRange(va.addr, vaLast(va), va);
    } catch (err) {
      if (isMapleError(err, 'EEXIST')) {
        throw gpuvmError('EEXIST', method, `${span(va.addr, va.range)} overlaps an existing VA`);
      }
      if (isMapleError(err, 'ENOMEM')) throw gpuvmError('ENOMEM', method, 'out of tree nodes');
      throw err;
    }
    va._vm = this;
    this.gen++;
    this.touched?.add(va);
    this.recordTree(() => this.treeErase(va));
  }

  private treeErase(va: GpuVa<O>): void {
    try {
      this.tree.erase(va.addr);
    } catch (err) {
      // Erasing can need nodes too (rebalancing); the tree is unchanged when it throws.
      if (isMapleError(err, 'ENOMEM')) throw gpuvmError('ENOMEM', 'remove', 'out of tree nodes');
      throw err;
    }
    va._vm = null;
    this.gen++;
    this.touched?.add(va);
    this.recordTree(() => this.treeInsert('rollback', va));
  }

  private insertReserved(addr: number, range: number): GpuVa<O> | null {
    checkIndex('constructor', 'reserveOffset', addr);
    if (range === 0) return null;
    checkSpan('constructor', addr, range);
    this.assertHeld('constructor');
    const va = new GpuVa<O>(addr, range, null, 0, 0);
    this.tree.insertRange(addr, vaLast(va), va);
    va._vm = this;
    return va;
  }

  // ---------------------------------------------------------------- internals: atomicity

  /** Appends an undo step when inside an atomic section. */
  private record(undo: Undo): void {
    if (this.journal !== null) this.journal.push({ undo, tree: false });
  }

  private recordTree(undo: Undo): void {
    if (this.journal !== null) this.journal.push({ undo, tree: true });
  }

  /**
   * Runs fn; if it throws, undoes every change it made (newest first) and rethrows. Nests:
   * an inner section's steps join the outer one on success.
   *
   * Under a node cap (maxNodes) undoing can itself run out of nodes, since erasing and
   * re-inserting may restructure the tree. The outermost section then keeps a duplicate of
   * the tree (O(n), within the same cap) and restores by swapping it back in.
   */
  private atomically<T>(fn: () => T): T {
    const outer = this.journal;
    const journal = outer ?? [];
    const mark = journal.length;
    if (outer === null && this.capped) this.takeSnapshot();
    this.journal = journal;
    try {
      const result = fn();
      if (outer === null) this.dropSnapshot();
      return result;
    } catch (err) {
      this.journal = outer;
      this.rollback(journal, mark, outer === null);
      throw err;
    } finally {
      this.journal = outer;
    }
  }

  private rollback(journal: UndoStep[], mark: number, outermost: boolean): void {
    if (journal.length === mark) {
      if (outermost) this.dropSnapshot();
      return;
    }
    const saved = this.journal;
    this.journal = null;
    const swap = outermost && this.snapshot !== null;
    try {
      while (journal.length > mark) {
        const step = journal.pop()!;
        if (!(swap && step.tree)) step.undo();
      }
      if (swap) this.restoreSnapshot();
    } finally {
      this.journal = saved;
      if (outermost) this.dropSnapshot();
      // A fresh generation: anything stamped in the abandoned state is stale.
      this.gen++;
    }
  }

  private takeSnapshot(): void {
    try {
      this.snapshot = this.tree.dup();
    } catch (err) {
      if (isMapleError(err, 'ENOMEM')) throw gpuvmError('ENOMEM', 'apply', 'out of tree nodes');
      throw err;
    }
    this.touched = new Set();
  }

  /** Puts the snapshot back as the tree and re-derives which touched VAs are in it. */
  private restoreSnapshot(): void {
    const dropped = this.tree;
    this.tree = this.snapshot!;
    this.snapshot = dropped;
    for (const va of this.touched!) va._vm = this.tree.load(va.addr) === va ? this : null;
  }

  private dropSnapshot(): void {
    this.snapshot?.destroy();
    this.snapshot = null;
    this.touched = null;
  }

  private maybeAtomic(options: SmOptions, fn: () => void): void {
    if (options.atomic) this.atomically(fn);
    else fn();
  }

  /** Records how vmBo and the VM's object lists look now, to restore them on rollback. */
  private recordBo(vmBo: VmBo<O> | undefined): void {
    if (this.journal === null) return;
    const ext = new Set(this.extList);
    const evicted = new Set(this.evictList);
    const state = vmBo && { refs: vmBo._refs, vas: vmBo._vas.slice(), flag: vmBo._evicted };
    const listed = vmBo !== undefined && this.bos.get(vmBo.obj) === vmBo;
    this.record(() => {
      this.extList = ext;
      this.evictList = evicted;
      if (!vmBo || !state) return;
      vmBo._refs = state.refs;
      vmBo._vas = state.vas;
      vmBo._evicted = state.flag;
      if (listed) this.bos.set(vmBo.obj, vmBo);
    });
  }

  private recordLink(va: GpuVa<O>): void {
    const was = va._vmBo;
    this.record(() => {
      va._vmBo = was;
    });
  }

  private dropRef(vmBo: VmBo<O>): boolean {
    if (--vmBo._refs > 0) return false;
    if (this.bos.get(vmBo.obj) === vmBo) this.bos.delete(vmBo.obj);
    this.extList.delete(vmBo);
    this.evictList.delete(vmBo);
    return true;
  }

  // ---------------------------------------------------------------- internals: tickets

  private ticket(): OpTicket {
    return { vm: this, gen: this.gen };
  }

  /** One ticket for the whole list: applying its ops in order keeps the rest current. */
  private listSink(): ListSink<O> {
    const ticket = this.ticket();
    return new ListSink<O>((op) => stampOp(op, ticket));
  }

  /** A ticket per step, taken when the step is emitted. */
  private callbackSink(ctx: C | undefined): StepSink<O> {
    return new CallbackSink<O, C>(this.ops, ctx as C, (op) => stampOp(op, this.ticket()));
  }

  private advance(op: object): void {
    const t = opTicket(op);
    if (t) t.gen = this.gen;
  }

  private liveTickets(ops: readonly object[]): Set<OpTicket> {
    const live = new Set<OpTicket>();
    for (const op of ops) {
      const t = op !== null && typeof op === 'object' ? opTicket(op) : undefined;
      if (t && t.vm === this && t.gen === this.gen) live.add(t);
    }
    return live;
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

  // ---------------------------------------------------------------- internals: checks

  private assertHeld(method: string): void {
    if (this.lock !== null && !this.lock.isHeld()) {
      throw gpuvmError('ENOLCK', method, 'the external lock is not held');
    }
  }

  /** Why [addr, addr + range) is not a valid request, or null. */
  private requestProblem(addr: number, range: number): string | null {
    const bad = indexProblem('addr', addr) ?? spanProblem(addr, range);
    if (bad) return bad;
    if (addr < this.start || range > this.end - addr) {
      return `${span(addr, range)} is outside the managed window ${span(this.start, this.range)}`;
    }
    const k = this.reserved;
    if (k && addr < k.addr + k.range && k.addr < addr + range) {
      return `${span(addr, range)} overlaps the kernel-reserved VA ${span(k.addr, k.range)}`;
    }
    return null;
  }

  private checkRequest(method: string, addr: number, range: number): void {
    const problem = this.requestProblem(addr, range);
    if (problem) throw gpuvmError('EINVAL', method, problem);
  }

  /** Window containment only (prefetch, like the kernel, does not avoid the reserved VA). */
  private checkWindow(method: string, addr: number, range: number): void {
    checkIndex(method, 'addr', addr);
    checkSpan(method, addr, range);
    if (addr < this.start || range > this.end - addr) {
      throw gpuvmError(
        'EINVAL',
        method,
        `${span(addr, range)} is outside the managed window ${span(this.start, this.range)}`,
      );
    }
  }

  private mapRequest(method: string, req: GpuVmMapRequest<O>): MapRequest<O> {
    if (req === null || typeof req !== 'object') {
      throw gpuvmError('EINVAL', method, 'the request must be an object { addr, range, obj?, offset? }');
    }
    const { addr, range } = req;
    this.checkRequest(method, addr, range);
    const offset = req.offset ?? 0;
    checkOffset(method, offset, range);
    return { addr, range, obj: req.obj ?? null, offset };
  }

  private newVa(method: string, init: GpuVaInit<O>): GpuVa<O> {
    const req = this.mapRequest(method, init);
    const flags = init.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff) {
      throw gpuvmError('EINVAL', method, `flags must be a non-negative 31-bit integer, got ${flags}`);
    }
    return new GpuVa<O>(req.addr, req.range, req.obj, req.offset, flags);
  }

  private reusable(va: GpuVa<O>): GpuVa<O> {
    if (va._vm !== null) throw gpuvmError('EINVAL', 'insert', 'the VA is already in a VM');
    checkOffset('insert', va.offset, va.range);
    return va;
  }

  private vaFromPiece(method: string, piece: OpMap<O>): GpuVa<O> {
    if (piece === null || typeof piece !== 'object') {
      throw gpuvmError('EINVAL', method, 'malformed op: a mapping must be { addr, range, obj, offset }');
    }
    const req = this.mapRequest(method, piece);
    return new GpuVa<O>(req.addr, req.range, req.obj, req.offset, 0);
  }

  private checkOp(method: string, op: GpuVaOp<O>, type: GpuVaOp['type']): void {
    if (op === null || typeof op !== 'object' || op.type !== type) {
      throw gpuvmError('EINVAL', method, `expected a ${type} op`);
    }
    const t = opTicket(op);
    if (!t) return;
    if (t.vm !== this) throw gpuvmError('EINVAL', method, 'the op was computed by another GpuVm');
    if (t.gen !== this.gen) {
      throw gpuvmError(
        'EINVAL',
        method,
        `stale op: it was computed against VM generation ${t.gen}, but the VM has changed ` +
          `since (generation ${this.gen}); compute the ops again`,
      );
    }
  }

  private checkRemovable(method: string, va: GpuVa<O> | undefined): asserts va is GpuVa<O> {
    if (!(va instanceof GpuVa)) throw gpuvmError('EINVAL', method, 'not a GpuVa');
    if (va === this.reserved) {
      throw gpuvmError('EINVAL', method, 'the kernel-reserved VA cannot be removed');
    }
    if (va._vm !== this) throw gpuvmError('EINVAL', method, `the VA ${span(va.addr, va.range)} is not in this VM`);
  }

  private checkOwnBo(method: string, vmBo: VmBo<O>): void {
    if (!(vmBo instanceof VmBo) || vmBo.vm !== this) {
      throw gpuvmError('EINVAL', method, 'the VmBo belongs to another VM');
    }
    if (vmBo._refs <= 0) throw gpuvmError('EINVAL', method, 'the VmBo was already destroyed');
  }

  private checkCallbacks(method: string, names: (keyof StepCallbacks<O, C>)[]): void {
    const missing = names.filter((n) => typeof this.ops[n] !== 'function');
    if (missing.length > 0) {
      throw gpuvmError('EINVAL', method, `missing driver callback(s): ops.${missing.join(', ops.')}`);
    }
  }
}

// ---------------------------------------------------------------- argument checks

function treeOptions<O, C>(options: GpuVmOptions<O, C>): ConstructorParameters<typeof MapleTree>[0] {
  const opts: Record<string, unknown> = {};
  if (options.backend !== undefined) opts.backend = options.backend;
  if (options.lock !== undefined) opts.lock = options.lock;
  if (options.maxNodes !== undefined) opts.maxNodes = options.maxNodes;
  if (options._core !== undefined) opts._core = options._core;
  return opts as ConstructorParameters<typeof MapleTree>[0];
}

/** [addr, addr + range) for messages. */
function span(addr: number, range: number): string {
  return `[${addr}, ${addr + range})`;
}

function indexProblem(name: string, v: number): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INDEX) {
    return `${name} must be an integer in [0, MAX_INDEX], got ${String(v)}`;
  }
  return null;
}

/** range >= 1 and addr + range <= MAX_INDEX + 1 (evaluated without rounding). */
function spanProblem(addr: number, range: number): string | null {
  if (typeof range !== 'number' || !Number.isInteger(range) || range < 1) {
    return `range must be an integer >= 1, got ${String(range)}`;
  }
  if (range > MAX_INDEX + 1 - addr) return `[${addr}, ${addr} + ${range}) runs past MAX_INDEX`;
  return null;
}

function checkIndex(method: string, name: string, v: number): void {
  const problem = indexProblem(name, v);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

function checkSpan(method: string, addr: number, range: number): void {
  const problem = spanProblem(addr, range);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

/** An address that may be one past MAX_INDEX (an exclusive end). */
function checkBound(method: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INDEX + 1) {
    throw gpuvmError('EINVAL', method, `${name} must be an integer in [0, MAX_INDEX + 1], got ${String(v)}`);
  }
}

/** Offsets stay exact: offset + range <= MAX_INDEX + 1, so remnant offsets never round. */
function checkOffset(method: string, offset: number, range: number): void {
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > MAX_INDEX + 1 - range) {
    throw gpuvmError(
      'EINVAL',
      method,
      `offset must be an integer >= 0 with offset + range <= MAX_INDEX + 1, got ${String(offset)}`,
    );
  }
}
