/**
 * GpuVm: a GPU virtual address space (the kernel's struct drm_gpuvm, drivers/gpu/drm/drm_gpuvm.c).
 *
 * VAs live in a MapleTree keyed by the closed interval [addr, addr + range - 1], the GpuVa
 * object itself being the entry. The split/merge decisions come from one generator
 * (splitMerge.ts) feeding three sinks (sinks.ts): op lists, driver callbacks and the set of
 * objects a request touches. On top of the kernel's behaviour the VM refuses stale ops (each op
 * carries the generation of the VM it was computed against), applies op lists atomically, can
 * roll a callback-driven request back, and rejects bad requests with EINVAL before any step.
 * The buffer-object half of the API (VmBos, links, object lists) is GpuVmObjects, which this
 * class extends.
 *
 * Locking: as in the kernel, the VM takes no lock of its own; the driver serialises access.
 * With `lock: ExternalLock`, every mutation and every op generation asserts `isHeld()` and
 * throws ENOLCK otherwise; lookups and iteration do not (guard.ts).
 */

import { MapleTree } from '../tree/MapleTree.js';
import { OpApplier } from './apply.js';
import { BindJob, type BindKind, BindQueue } from './bindJob.js';
import { checkBound, checkIndex, checkInterval, checkObject, checkRemovable, checkRequest, checkReusable, checkSpan, newVa, requestProblem } from './checks.js';
import { gpuvmError } from './errors.js';
import { OpGenerator } from './generate.js';
import { GpuVa } from './GpuVa.js';
import { GpuVmObjects } from './GpuVmObjects.js';
import { VmGuard } from './guard.js';
import { INSPECT, inspectView } from './inspect.js';
import { Journal } from './journal.js';
import { type GpuVmKey, type Key, type KeyKind, type KeySpace, keySpaceOf } from './keys.js';
import type { GpuVaOp, GpuVaOpMap, GpuVaOpPrefetch, GpuVaOpRemap, GpuVaOpUnmap } from './ops.js';
import type { GpuVaInit, GpuVmKeysOption, GpuVmMapRequest, GpuVmOps, GpuVmOptions, MapOptions, SmOptions } from './options.js';
import { Generations } from './tickets.js';
import { treeOptions, VaTree } from './vaTree.js';
import type { VmBo } from './VmBo.js';

/** Symbol.dispose where the runtime has it (Node >= 20), else the name Node registers for it. */
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

export type { GpuVaInit, GpuVmKeysOption, GpuVmMapRequest, GpuVmOps, GpuVmOptions, MapOptions, SmOptions } from './options.js';

/**
 * K is the key type: number (the default), or bigint for `keys: 'bigint'`, inferred from the
 * options' `start` or given as `GpuVm<O, C, bigint>`. Every address, range and offset the VM
 * takes and returns, in its VAs and ops too, is then GpuVmKey<K>. The implementation is one
 * for both kinds and handles keys as the type Key (keys.ts); the public signatures cast.
 */
export class GpuVm<O = unknown, C = unknown, K extends number | bigint = number> extends GpuVmObjects<O, C, K> {
  /** First address of the managed window. */
  readonly start: GpuVmKey<K>;
  /** Length of the managed window. */
  readonly range: GpuVmKey<K>;
  /** @internal The key kind's constants and limits (options.keys). */
  readonly _keys: KeySpace;
  readonly name: string;
  /** The kernel-reserved VA (a NULL-object VA), or null without reserveRange. */
  readonly reserved: GpuVa<O, K> | null;

  readonly #guard: VmGuard;
  /** Changes of the VA tree; op tickets are checked against the current one. */
  readonly #gens: Generations;
  readonly #vas: VaTree<O>;
  readonly #generator: OpGenerator<O, C>;
  readonly #applier: OpApplier<O>;
  readonly #jobs: BindQueue<O, C>;

  /**
   * drm_gpuvm_init().
   * @throws MapleError EINVAL for a window or reserved range that is not integral (or not of
   *   the key kind), is empty or runs past the key space (MAX_INDEX + 1, or 2^64); an unknown
   *   `keys`.
   */
  constructor(options: GpuVmOptions<O, C, K> & GpuVmKeysOption<K>) {
    checkObject('constructor', options, 'options must be an object { start, range, … }');
    const guard = new VmGuard(options.lock ?? null);
    const gens = new Generations();
    const journal = new Journal(gens);
    const ops = (options.ops ?? {}) as GpuVmOps<O, C>;
    super({ guard, journal, ops, isExtObj: options.isExtObj ?? null });
    const keys = keySpaceOf(options.keys);
    if (keys === null) throw gpuvmError('EINVAL', 'constructor', `keys must be 'number' or 'bigint', got ${String(options.keys)}`);
    const start = options.start as Key;
    const range = options.range as Key;
    checkIndex('constructor', keys, 'start', start);
    checkSpan('constructor', keys, start, range);
    this._keys = keys;
    this.start = start as GpuVmKey<K>;
    this.range = range as GpuVmKey<K>;
    this.name = options.name ?? 'gpuvm';
    this.#guard = guard;
    this.#gens = gens;
    const tree = new MapleTree<GpuVa<O>>(treeOptions(options));
    const vm = this as unknown as GpuVm<O>;
    this.#vas = new VaTree<O>(tree, vm, journal, gens, options.maxNodes !== undefined, keys);
    const parts = { vm, vas: this.#vas, journal, gens, ops, guard, bos: this.bos };
    this.#generator = new OpGenerator<O, C>(parts);
    this.#applier = new OpApplier<O>(parts);
    this.#jobs = new BindQueue<O, C>(parts, this.#generator, this.#applier);
    const reserved = this.insertReserved((options.reserveOffset as Key | undefined) ?? keys.zero, (options.reserveRange as Key | undefined) ?? keys.zero);
    this.reserved = reserved as GpuVa<O, K> | null;
  }

  /** Exclusive end of the managed window. */
  get end(): GpuVmKey<K> {
    return ((this.start as Key) + (this.range as Key)) as GpuVmKey<K>;
  }

  /** The key kind: 'number' (addresses up to MAX_INDEX) or 'bigint' (the whole u64 space). */
  get keys(): KeyKind {
    return this._keys.kind;
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
  rangeValid(addr: GpuVmKey<K>, range: GpuVmKey<K>): boolean {
    return !this.#guard.freed && requestProblem(this as unknown as GpuVm<O>, addr as Key, range as Key) === null;
  }

  /**
   * drm_gpuvm_interval_empty(): no VA (the kernel-reserved one included) intersects
   * [addr, addr + range).
   * @throws MapleError EINVAL for a malformed interval.
   */
  intervalEmpty(addr: GpuVmKey<K>, range: GpuVmKey<K>): boolean {
    return this.findFirstChecked('intervalEmpty', addr as Key, range as Key) === undefined;
  }

  /**
   * drm_gpuva_find(): the VA exactly at [addr, addr + range), else undefined.
   * @example
   * vm.find(0x1000, 0x2000)?.obj; // bo
   */
  find(addr: GpuVmKey<K>, range: GpuVmKey<K>): GpuVa<O, K> | undefined {
    const va = this.findFirstChecked('find', addr as Key, range as Key);
    return va && va.addr === addr && va.range === range ? (va as GpuVa<O, K>) : undefined;
  }

  /**
   * drm_gpuva_find_first(): the lowest VA intersecting [addr, addr + range).
   * @example
   * const first = vm.findFirst(0, 0x10000); // the lowest VA below 0x10000
   */
  findFirst(addr: GpuVmKey<K>, range: GpuVmKey<K>): GpuVa<O, K> | undefined {
    return this.findFirstChecked('findFirst', addr as Key, range as Key) as GpuVa<O, K> | undefined;
  }

  /**
   * The VA ending exactly at start - 1 (drm_gpuva_find_prev as documented).
   * @example
   * vm.findPrev(0x3000); // the VA ending at 0x2fff
   */
  findPrev(start: GpuVmKey<K>): GpuVa<O, K> | undefined {
    this.#guard.live('findPrev');
    const ks = this._keys;
    const at = start as Key;
    checkBound('findPrev', ks, 'start', at);
    if (at === ks.zero) return undefined;
    const va = this.#vas.tree.load(at - ks.one);
    return va && va.addr + va.range === at ? (va as GpuVa<O, K>) : undefined;
  }

  /**
   * The VA starting exactly at end (drm_gpuva_find_next as documented).
   * @example
   * vm.findNext(0x3000); // the VA starting at 0x3000
   */
  findNext(end: GpuVmKey<K>): GpuVa<O, K> | undefined {
    this.#guard.live('findNext');
    const at = end as Key;
    checkBound('findNext', this._keys, 'end', at);
    if (at > this._keys.max) return undefined;
    const va = this.#vas.tree.load(at);
    return va && va.addr === at ? (va as GpuVa<O, K>) : undefined;
  }

  /**
   * VAs intersecting [addr, addr + range) in ascending order, the kernel-reserved VA included
   * (drm_gpuvm_for_each_va_range). Default: the managed window; without range, from addr to
   * the window's end. Arguments are checked at the call. The VM may change during the walk;
   * it continues after the last VA returned.
   * @example
   * for (const va of vm.vas(0x1000, 0x4000)) console.log(va.addr, va.range);
   */
  vas(from: GpuVmKey<K> = this.start, range?: GpuVmKey<K>): IterableIterator<GpuVa<O, K>> {
    this.#guard.live('vas');
    const ks = this._keys;
    const addr = from as Key;
    checkIndex('vas', ks, 'addr', addr);
    const end = this.end as Key;
    const length = (range as Key | undefined) ?? (addr < end ? end - addr : ks.zero);
    if (range === undefined && length === ks.zero) return [][Symbol.iterator]();
    checkSpan('vas', ks, addr, length);
    return this.iterateVas(addr, addr + length - ks.one);
  }

  /** vas(): every VA of the window, ascending. */
  [Symbol.iterator](): IterableIterator<GpuVa<O, K>> {
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
  insert(init: GpuVaInit<O, K> | GpuVa<O, K>): GpuVa<O, K> {
    this.#guard.held('insert');
    const vm = this as unknown as GpuVm<O>;
    let va: GpuVa<O>;
    if (init instanceof GpuVa) checkReusable(vm, (va = init as GpuVa<O>));
    else va = newVa('insert', vm, init as GpuVaInit<O>);
    checkRequest('insert', vm, va.addr, va.range);
    this.#vas.insert('insert', va);
    return va as GpuVa<O, K>;
  }

  /**
   * drm_gpuva_remove(). The VA keeps its VmBo link; unlink it separately.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for the kernel-reserved VA or a VA not in this VM.
   * @example
   * vm.remove(vm.find(0x1000, 0x2000)!);
   */
  remove(va: GpuVa<O, K>): void {
    this.#guard.held('remove');
    checkRemovable('remove', this as unknown as GpuVm<O>, va as GpuVa<O>);
    this.#vas.erase('remove', va as GpuVa<O>);
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
  smMapOps(req: GpuVmMapRequest<O, K>, options: MapOptions = {}): GpuVaOp<O, K>[] {
    this.#guard.held('smMapOps');
    return this.#generator.mapOps(req as GpuVmMapRequest<O>, options) as GpuVaOp<O, K>[];
  }

  /**
   * drm_gpuvm_sm_unmap_ops_create(): UNMAP for VAs inside [addr, addr + range), REMAP for
   * VAs sticking out of it. keep is always false.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range.
   * @example
   * vm.apply(vm.smUnmapOps(0x2000, 0x1000));
   */
  smUnmapOps(addr: GpuVmKey<K>, range: GpuVmKey<K>): GpuVaOp<O, K>[] {
    this.#guard.held('smUnmapOps');
    return this.#generator.unmapOps(addr as Key, range as Key) as GpuVaOp<O, K>[];
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
  smMap(req: GpuVmMapRequest<O, K>, ctx?: C, options: SmOptions = {}): void {
    this.#guard.held('smMap');
    this.#generator.smMap(req as GpuVmMapRequest<O>, ctx, options);
  }

  /**
   * drm_gpuvm_sm_unmap(): the smUnmapOps steps through ops.smStepRemap / smStepUnmap.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for an invalid range or a missing callback; whatever a callback
   *   throws (after rolling back with `atomic: true`).
   * @example
   * vm.smUnmap(0x2000, 0x1000, ctx);
   */
  smUnmap(addr: GpuVmKey<K>, range: GpuVmKey<K>, ctx?: C, options: SmOptions = {}): void {
    this.#guard.held('smUnmap');
    this.#generator.smUnmap(addr as Key, range as Key, ctx, options);
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
  madviseOps(req: GpuVmMapRequest<O, K>): GpuVaOp<O, K>[] {
    this.#guard.held('madviseOps');
    return this.#generator.madviseOps(req as GpuVmMapRequest<O>) as GpuVaOp<O, K>[];
  }

  /**
   * drm_gpuvm_prefetch_ops_create(): one PREFETCH per VA intersecting [addr, addr + range),
   * not clipped to it. As in the kernel the kernel-reserved VA is not excluded.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a range that is empty, overflows or leaves the window.
   * @example
   * for (const op of vm.prefetchOps(0x1000, 0x4000)) migrate(op.va);
   */
  prefetchOps(addr: GpuVmKey<K>, range: GpuVmKey<K>): GpuVaOpPrefetch<O, K>[] {
    this.#guard.held('prefetchOps');
    return this.#generator.prefetchOps(addr as Key, range as Key) as GpuVaOpPrefetch<O, K>[];
  }

  /**
   * drm_gpuvm_bo_unmap_ops_create(): one UNMAP (keep false) per VA linked to vmBo, in link order.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM.
   * @example
   * vm.apply(vm.boUnmapOps(vm.findBo(bo)!));
   */
  boUnmapOps(vmBo: VmBo<O, K>): GpuVaOpUnmap<O, K>[] {
    this.#guard.held('boUnmapOps');
    return this.#generator.boUnmapOps(vmBo as VmBo<O>) as GpuVaOpUnmap<O, K>[];
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
  objectsTouched(req: GpuVmMapRequest<O, K> & { kind?: 'map' | 'unmap' }): O[] {
    this.#guard.held('objectsTouched');
    return this.#generator.objectsTouched(req as GpuVmMapRequest<O> & { kind?: 'map' | 'unmap' });
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
  applyMap(op: GpuVaOpMap<O, K>): GpuVa<O, K> {
    this.#guard.held('applyMap');
    return this.#applier.map(op as GpuVaOpMap<O>) as GpuVa<O, K>;
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
  applyRemap(op: GpuVaOpRemap<O, K>): { prev?: GpuVa<O, K>; next?: GpuVa<O, K> } {
    this.#guard.held('applyRemap');
    return this.#applier.remap(op as GpuVaOpRemap<O>) as { prev?: GpuVa<O, K>; next?: GpuVa<O, K> };
  }

  /**
   * drm_gpuva_unmap(): removes op.va. It stays linked to its VmBo until unlinked.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a stale or malformed op.
   * @example
   * for (const op of vm.smUnmapOps(0x1000, 0x2000)) if (op.type === 'unmap') vm.applyUnmap(op);
   */
  applyUnmap(op: GpuVaOpUnmap<O, K>): void {
    this.#guard.held('applyUnmap');
    this.#applier.unmap(op as GpuVaOpUnmap<O>);
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
  apply(ops: readonly GpuVaOp<O, K>[]): void {
    this.#guard.held('apply');
    this.#applier.list(ops as readonly GpuVaOp<O>[]);
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
  prepare(req: GpuVmMapRequest<O, K>, kind: BindKind = 'map', options: MapOptions = {}): BindJob<O, C, K> {
    this.#guard.held('prepare');
    return this.#jobs.prepare(req as GpuVmMapRequest<O>, kind, options) as unknown as BindJob<O, C, K>;
  }

  /** Tree nodes held by reservations (prepared jobs included). */
  get reservedNodes(): number {
    this.#guard.live('reservedNodes');
    return this.#vas.tree.reservedNodes;
  }

  /** Tree nodes the VAs use now (reserved ones not counted): with reservedNodes, what maxNodes caps. */
  get nodeCount(): number {
    this.#guard.live('nodeCount');
    return this.#vas.tree.nodeCount;
  }

  /** Prepared jobs neither run nor cancelled. */
  get pendingJobs(): number {
    this.#guard.live('pendingJobs');
    return this.#jobs.size;
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
    if (this.#guard.freed) return;
    this.#guard.held('free');
    this.#vas.tree.free();
    this.#guard.freed = true;
  }

  /** free(), for `using`. */
  [DISPOSE](): void {
    this.free();
  }

  /** util.inspect / console.log: the window and the VAs, no internals. */
  [INSPECT](): object {
    const fields = { name: this.name, start: this.start, range: this.range };
    if (this.#guard.freed) return inspectView('GpuVm', { ...fields, freed: true });
    return inspectView('GpuVm', { ...fields, vas: [...this.vas()] });
  }

  // ---------------------------------------------------------------- internals

  /** The kernel-reserved VA of the constructor's options, or null for reserveRange 0. */
  private insertReserved(offset: Key, range: Key): GpuVa<O> | null {
    const ks = this._keys;
    checkIndex('constructor', ks, 'reserveOffset', offset);
    if (range === ks.zero) return null;
    checkSpan('constructor', ks, offset, range);
    this.#guard.held('constructor');
    return this.#vas.insertReserved(offset, range);
  }

  private *iterateVas(first: Key, last: Key): IterableIterator<GpuVa<O, K>> {
    for (const [, , va] of this.#vas.tree.entries(first, last)) yield va as GpuVa<O, K>;
  }

  private findFirstChecked(method: string, addr: Key, range: Key): GpuVa<O> | undefined {
    this.#guard.live(method);
    checkInterval(method, this._keys, addr, range);
    return this.#vas.tree.find(addr, addr + range - this._keys.one)?.entry;
  }
}
