/**
 * MapleTree: the kernel's maple tree (lib/maple_tree.c) for JavaScript — the normal API
 * (mtree_*, mt_*) and the tree's lifetime, over the stateless CoreBackend both cores implement.
 * Every method validates all of its arguments before it touches the backend, and backends
 * report errors before they change anything, so a call that throws leaves the tree as it was.
 * The jobs live by name: args.ts (checks), iterate.ts (find/next/prev and iteration),
 * bulk.ts (loadMany, from), allocate.ts, reserve.ts, describe.ts (dump, inspect), writers.ts
 * (the writer-locked bodies and the finalizer), share.ts (the lock and sharing methods, which
 * MapleTree inherits); MaState shares a TreeContext with the tree. Keys are numbers or, on a
 * bigint tree, bigints: the same code serves both (keys.ts says how).
 *
 * Both APIs write through TreeContext.store, but the normal readers do not ride on a MaState:
 * a MaState step re-walks from the root per range, while iteration reads 256 ranges per core
 * call, and load/erase through a fresh MaState would pay an object (and the lock protocol).
 */

import type { BackendKind, CoreBackend, NodeView } from '../backend/backend.js';
import { allocateCyclic, allocateRange, type AllocOptions, type CyclicAllocation } from './allocate.js';
import type { TreeContext } from './context.js';
import { prepareCore } from './cores.js';
import { dumpTree, inspectTree, NOT_CLONEABLE, validateTree, type InspectFn, type InspectOptions } from './describe.js';
import { collectFromRanges, loadEntries } from './bulk.js';
import { countEntries, findEntry, forEachEntry, nextEntry, prevEntry, walkEntries, type Range, type Yield } from './iterate.js';
import { ENTRY_ZERO, MODE_INSERT, MODE_OVERWRITE } from '../backend/layout.js';
import { clearTree, DISPOSE, dupOptions, dupTree, eraseEntry, fillTree, freeTree, openTree, writeIndex, writeRange } from './writers.js';
import { MaState } from './MaState.js';
import { type Reservation, reserveStores } from './reserve.js';
import { checkTreeOptions, storeTypeName, type MapleTreeOptions, type StoreType } from './options.js';
import type { ZeroEntry } from './zeroEntry.js';
import { attachTree, SharingTree } from './share.js';
import { keySpace, type Key } from './keys.js';
import type { SharedTreeHandle } from '../shared/treeCore.js';

/** The options of `new MapleTree()`: one shared object, not a fresh `{}` per tree. */
const NO_OPTIONS: MapleTreeOptions<never> = Object.freeze({});

export { MAX_INDEX } from './args.js';
export { MAX_INDEX_64, type KeyKind } from './keys.js';
export type { ExternalLock } from './lock.js';
export type { AllocOptions, CyclicAllocation } from './allocate.js';
export type { Range } from './iterate.js';
export type { MapleTreeOptions, StoreType } from './options.js';
export { Reservation } from './reserve.js';
export type { SharedTreeHandle } from '../shared/treeCore.js';

/**
 * A maple tree: non-overlapping inclusive ranges [first, last] over [0, MAX_INDEX], each
 * holding one entry (any value except null/undefined; ZERO_ENTRY reserves a range that reads
 * as empty). K is the key type: `number`, or `bigint` for a tree created with
 * `{ keys: 'bigint' }`, whose keys cover the kernel's whole u64 space [0n, MAX_INDEX_64].
 *
 * @example
 * await init();
 * const tree = new MapleTree<string>();
 * tree.storeRange(10, 19, 'a');
 * tree.load(15); // 'a'
 * const kernel = new MapleTree<string, bigint>({ keys: 'bigint' });
 * kernel.storeRange(0xffff_8000_0000_0000n, MAX_INDEX_64, 'kernel half');
 */
export class MapleTree<V = unknown, K extends number | bigint = number> extends SharingTree implements Iterable<[K, K, V]> {
  /**
   * @internal Makes structuredClone(tree) fail with a DataCloneError that says what to use
   * instead; the only enumerable own property (the rest is private).
   */
  readonly cloneGuard = NOT_CLONEABLE;
  readonly #ctx: TreeContext;

  /**
   * Creates an empty tree. With the default 'wasm' backend, `init()` must have resolved.
   * Locking: none (the tree is new).
   *
   * @example
   * const ids = new MapleTree<object>({ backend: 'ts', allocRange: true });
   */
  constructor(options: MapleTreeOptions<K> = NO_OPTIONS) {
    super();
    checkTreeOptions(options);
    // No copy of the options is kept: dup() rebuilds the ones that matter from the context.
    this.#ctx = openTree(this, 'new MapleTree', options);
  }

  /**
   * Async constructor: awaits `init()` first when the WASM backend is selected.
   * Locking: none.
   *
   * @example
   * const tree = await MapleTree.create<string>();
   */
  static async create<V = unknown, K extends number | bigint = number>(options: MapleTreeOptions<K> = {}): Promise<MapleTree<V, K>> {
    await prepareCore(options.backend, options._core);
    return new MapleTree<V, K>(options);
  }

  /**
   * A new tree holding `ranges` — `[first, last, entry]`, ascending and non-overlapping —
   * with the same entries as storing them one by one. Any invalid, unsorted or overlapping
   * range throws EINVAL and builds nothing. Locking: none (the tree is new).
   *
   * @example
   * const tree = MapleTree.from<string>([[0, 9, 'a'], [20, 29, 'b']], { backend: 'ts' });
   */
  static from<V = unknown, K extends number | bigint = number>(
    ranges: Iterable<readonly [K, K, V]>, options: MapleTreeOptions<K> = {}): MapleTree<V, K> {
    checkTreeOptions(options);
    const rows = collectFromRanges(keySpace(options.keys), 'MapleTree.from', ranges);
    const tree = new MapleTree<V, K>(options);
    fillTree(tree, tree.#ctx, 'MapleTree.from', rows);
    return tree;
  }

  /**
   * A tree over the memory of a shared tree from another agent (`handle` from its `share()`,
   * posted here); this agent joins the memory with an id of its own.
   * @throws MapleError EINVAL for a value that is not a handle; EBUSY when maxAgents are attached.
   *
   * @example
   * parentPort.on('message', async (handle) => {
   *   const tree = await MapleTree.attach(handle);
   *   tree.load(5);
   * });
   */
  static async attach(handle: SharedTreeHandle): Promise<MapleTree<number>> {
    const { core, tree, allocRange } = attachTree(handle);
    return new MapleTree<number>({ shared: true, allocRange, _core: core, _tree: tree });
  }

  /** @internal The core this tree runs on (tests). */
  get _core(): CoreBackend {
    return this.#ctx.core;
  }

  /** @internal The tree's id in its core (tests). */
  get _id(): number {
    return this.#ctx.id;
  }

  /** Which core this tree runs on. Locking: none. */
  get backend(): BackendKind {
    return this.#ctx.core.kind;
  }

  /** True when the tree tracks gaps (created with the allocRange option). */
  get gapTracking(): boolean {
    return this.#live('MapleTree.gapTracking').gapTracking;
  }

  /**
   * The kernel store-type name of the last successful write through this tree
   * ('nothing' for a NULL write that changed nothing), or undefined before the first write.
   * Useful to watch the core pick slot-store, append, split-store and so on.
   */
  get lastStoreType(): StoreType | undefined {
    return storeTypeName(this.#ctx.lastStoreType);
  }

  /** `mt_height`: 0 for an empty tree, 1 for a single leaf. Locking: none (reader). */
  get height(): number {
    const ctx = this.#live('MapleTree.height');
    return ctx.core.height(ctx.id);
  }

  /**
   * Nodes alive in this tree (256 bytes each in the backend's node pool), not counting the
   * tree header or reserved nodes. Locking: none (reader).
   */
  get nodeCount(): number {
    const ctx = this.#live('MapleTree.nodeCount');
    return ctx.core.nodeCount(ctx.id);
  }

  /** Nodes set aside by reservations (tree.reserve, MaState.preallocate) and not yet used. Locking: none. */
  get reservedNodes(): number {
    const ctx = this.#live('MapleTree.reservedNodes');
    return ctx.core.reservedCount(ctx.id);
  }

  /**
   * Sets aside, from maxNodes, the nodes `stores` writes of any kind can need whatever the
   * tree looks like when they run (other writes and reservations may change it first):
   * ENOMEM now if the budget cannot cover it, never in the writes made inside
   * `reservation.run(fn)`. See Reservation for the rules. Locking: none (no entry changes).
   *
   * @example
   * const job = tree.reserve(2);
   * tree.storeRange(0, 99, 'other');     // cannot take job's nodes
   * job.run(() => { tree.store(5, 'a'); tree.erase(50); }); // cannot run out of nodes
   * job.release();
   */
  reserve(stores = 1): Reservation {
    return reserveStores(this.#live('MapleTree.reserve'), 'MapleTree.reserve', stores);
  }

  /**
   * The number of ranges holding an entry (ZERO_ENTRY ranges not counted). Counted by
   * iteration, one core call per 256 ranges: O(n). Locking: none (reader).
   *
   * @example
   * tree.storeRange(0, 9, 'a');
   * tree.store(20, 'b');
   * tree.size; // 2
   */
  get size(): number {
    return countEntries(this.#live('MapleTree.size'));
  }

  /** `Object.prototype.toString.call(tree)` is `[object MapleTree]`. */
  get [Symbol.toStringTag](): string {
    return 'MapleTree';
  }

  /** `mtree_empty`. Locking: none (reader). */
  isEmpty(): boolean {
    const ctx = this.#live('MapleTree.isEmpty');
    return ctx.core.isEmpty(ctx.id);
  }

  /**
   * `mtree_load`: the entry of the range containing `index`; ZERO_ENTRY reads as undefined.
   * Locking: none (reader).
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * tree.load(12); // 'a'
   * tree.load(20); // undefined
   */
  load(index: K): V | undefined {
    const ctx = this.#live('MapleTree.load');
    const i = ctx.keys.index('MapleTree.load', 'index', index);
    return ctx.userValue(ctx.core.load(ctx.id, i)) as V | undefined;
  }

  /**
   * Whether a range holding an entry contains `index` (ZERO_ENTRY reads as empty, as in load()).
   * Locking: none (reader).
   *
   * @example
   * tree.store(5, 'x');
   * tree.has(5); // true
   * tree.has(6); // false
   */
  has(index: K): boolean {
    const ctx = this.#live('MapleTree.has');
    const i = ctx.keys.index('MapleTree.has', 'index', index);
    return ctx.core.load(ctx.id, i) > ENTRY_ZERO;
  }

  /**
   * `mtree_store`: storeRange(index, index, entry). Locking: takes the tree lock.
   *
   * @example
   * tree.store(7, 'seven');
   */
  store(index: K, entry: V | ZeroEntry | null | undefined): void {
    writeIndex(this.#live('MapleTree.store'), 'MapleTree.store', index, entry, MODE_OVERWRITE);
  }

  /**
   * `mtree_store_range`: overwrites [first, last]; parts of old ranges outside it keep their
   * entry; null/undefined erases. Locking: takes the tree lock.
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * tree.storeRange(15, 15, 'b'); // [10,14]→a [15,15]→b [16,19]→a
   */
  storeRange(first: K, last: K, entry: V | ZeroEntry | null | undefined): void {
    writeRange(this.#live('MapleTree.storeRange'), 'MapleTree.storeRange', first, last, entry, MODE_OVERWRITE);
  }

  /**
   * `mtree_insert`: stores only into an empty index, else EEXIST. Locking: takes the tree lock.
   *
   * @example
   * tree.insert(3, 'c'); // EEXIST if 3 is taken
   */
  insert(index: K, entry: V | ZeroEntry): void {
    writeIndex(this.#live('MapleTree.insert'), 'MapleTree.insert', index, entry, MODE_INSERT);
  }

  /**
   * `mtree_insert_range`: stores only if every index in [first, last] is empty (ZERO_ENTRY
   * counts as used), else EEXIST. Locking: takes the tree lock.
   *
   * @example
   * tree.insertRange(100, 199, 'block');
   */
  insertRange(first: K, last: K, entry: V | ZeroEntry): void {
    writeRange(this.#live('MapleTree.insertRange'), 'MapleTree.insertRange', first, last, entry, MODE_INSERT);
  }

  /**
   * `load` of every index, in order, in one call: the same results as a loop of load(), with
   * the lookups walked a group at a time so their cache misses overlap. Locking: none (reader).
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * tree.loadMany([5, 10, 15]); // [undefined, 'a', 'a']
   */
  loadMany(indices: ArrayLike<K>): (V | undefined)[] {
    const method = 'MapleTree.loadMany';
    return loadEntries<V>(this.#live(method), method, indices);
  }

  /**
   * `mtree_erase`: removes the whole range containing `index` and returns its entry
   * (ZERO_ENTRY for a zero range). Locking: takes the tree lock.
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * tree.erase(12); // 'a'; [10, 19] is empty now
   */
  erase(index: K): V | ZeroEntry | undefined {
    const method = 'MapleTree.erase';
    const ctx = this.#live(method);
    return eraseEntry(ctx, method, ctx.keys.index(method, 'index', index)) as V | ZeroEntry | undefined;
  }

  /**
   * `mt_find`: the first entry whose range intersects [index, max] (ZERO_ENTRY skipped), or
   * undefined if none or index > max. Locking: none (reader).
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * tree.find(0); // { first: 10, last: 19, entry: 'a' }
   */
  find(index: K, max?: K): Range<V, K> | undefined {
    const ctx = this.#live('MapleTree.find');
    return findEntry<V>(ctx, 'MapleTree.find', index, max === undefined ? ctx.keys.max : max) as Range<V, K> | undefined;
  }

  /**
   * `mt_next`: the first entry after the range containing `index` whose start is <= max
   * (ZERO_ENTRY skipped). Locking: none (reader).
   *
   * @example
   * tree.store(1, 'a'); tree.store(5, 'b');
   * tree.next(1); // { first: 5, last: 5, entry: 'b' }
   */
  next(index: K, max?: K): Range<V, K> | undefined {
    const ctx = this.#live('MapleTree.next');
    return nextEntry<V>(ctx, 'MapleTree.next', index, max === undefined ? ctx.keys.max : max) as Range<V, K> | undefined;
  }

  /**
   * `mt_prev`: the last entry before the range containing `index` whose end is >= min
   * (ZERO_ENTRY skipped). Locking: none (reader).
   *
   * @example
   * tree.store(1, 'a'); tree.store(5, 'b');
   * tree.prev(5); // { first: 1, last: 1, entry: 'a' }
   */
  prev(index: K, min?: K): Range<V, K> | undefined {
    const ctx = this.#live('MapleTree.prev');
    return prevEntry<V>(ctx, 'MapleTree.prev', index, min === undefined ? ctx.keys.zero : min) as Range<V, K> | undefined;
  }

  /**
   * `mt_for_each`: every entry intersecting [first, last], ascending, as
   * [rangeFirst, rangeLast, entry] (full ranges, ZERO_ENTRY skipped); nothing when
   * first > last. The tree may be modified during the walk: it continues after the last range
   * returned, as the tree is then. Locking: none (reader).
   *
   * @example
   * for (const [first, last, entry] of tree.entries(0, 99)) console.log(first, last, entry);
   */
  entries(first?: K, last?: K): IterableIterator<[K, K, V]> {
    return this.#walk<[K, K, V]>('MapleTree.entries', first, last, 'tuple');
  }

  /**
   * The ranges of entries() without their entries, as [first, last]. Locking: none (reader).
   *
   * @example
   * [...tree.keys()]; // [[10, 14], [15, 15]]
   */
  keys(first?: K, last?: K): IterableIterator<[K, K]> {
    return this.#walk<[K, K]>('MapleTree.keys', first, last, 'key');
  }

  /**
   * The entries of entries() without their ranges. Locking: none (reader).
   *
   * @example
   * [...tree.values()]; // ['a', 'b']
   */
  values(first?: K, last?: K): IterableIterator<V> {
    return this.#walk<V>('MapleTree.values', first, last, 'value');
  }

  /** Same as entries(). Locking: none (reader). */
  [Symbol.iterator](): IterableIterator<[K, K, V]> {
    return this.entries();
  }

  /**
   * entries() without tuples: calls fn(entry, first, last) per entry; returning false stops.
   * Locking: none (reader).
   *
   * @example
   * let total = 0;
   * tree.forEach((entry, first, last) => { total += last - first + 1; });
   */
  forEach(fn: (entry: V, first: K, last: K) => void | false, first?: K, last?: K): void {
    const ctx = this.#live('MapleTree.forEach');
    const { zero, max } = ctx.keys;
    forEachEntry<V>(ctx, 'MapleTree.forEach', fn as (entry: V, first: Key, last: Key) => void | false,
      first === undefined ? zero : first, last === undefined ? max : last);
  }

  /**
   * `mtree_alloc_range`: stores `entry` at the lowest s with [s, s + size - 1] inside
   * [min, max] and empty; returns s. `opts.align` makes s a multiple of it, `opts.nospan`
   * keeps the range from crossing a multiple of it (see AllocOptions). EBUSY if none fits.
   * Locking: takes the tree lock.
   *
   * @example
   * const ids = new MapleTree<object>({ allocRange: true });
   * ids.allocRange(4096, {}, 0, MAX_INDEX); // 0
   * ids.allocRange(100, {}, 0, MAX_INDEX, { align: 4096 }); // 4096
   */
  allocRange(size: K, entry: V, min?: K, max?: K, opts?: AllocOptions<K>): K {
    const { zero, max: top } = this.#ctx.keys;
    return allocateRange(this.#ctx, 'MapleTree.allocRange', size, entry, min === undefined ? zero : min, max === undefined ? top : max, false, opts) as K;
  }

  /**
   * `mtree_alloc_rrange`: as allocRange, the highest fit. Locking: takes the tree lock.
   *
   * @example
   * ids.allocRRange(16, {}); // MAX_INDEX - 15 on an empty tree
   */
  allocRRange(size: K, entry: V, min?: K, max?: K, opts?: AllocOptions<K>): K {
    const { zero, max: top } = this.#ctx.keys;
    return allocateRange(this.#ctx, 'MapleTree.allocRRange', size, entry, min === undefined ? zero : min, max === undefined ? top : max, true, opts) as K;
  }

  /**
   * `mtree_alloc_cyclic`: one index, searched in [max(lo, next), hi] and then [lo, hi].
   * `wrapped` is true when the second search found it or the previous allocation wrapped
   * `next` past MAX_INDEX (the ALLOC_WRAPPED tree flag, which survives destroy()).
   * Locking: takes the tree lock.
   *
   * @example
   * let next = 0;
   * const { start, next: after } = ids.allocCyclic({}, 1, 1000, next); // start 1
   * next = after;
   */
  allocCyclic(entry: V, lo: K, hi: K, next: K): CyclicAllocation<K> {
    return allocateCyclic(this.#ctx, 'MapleTree.allocCyclic', entry, lo, hi, next) as unknown as CyclicAllocation<K>;
  }

  /**
   * `mtree_dup`: an independent copy with the same options and entries (entries are shared,
   * not cloned). Locking: takes the tree lock (EDEADLK if held), as mtree_dup locks the source.
   *
   * @example
   * const copy = tree.dup();
   * copy.store(0, 'only in the copy');
   */
  dup(): MapleTree<V, K> {
    const method = 'MapleTree.dup';
    const ctx = this.#live(method);
    return new MapleTree<V, K>(dupOptions(ctx, dupTree(ctx, method)) as MapleTreeOptions<K>);
  }

  /**
   * `mtree_destroy`: removes every entry and frees all nodes; flags (allocRange, the cyclic
   * wrap flag) are kept and the tree stays usable. Locking: takes the tree lock.
   *
   * @example
   * tree.destroy();
   * tree.isEmpty(); // true
   */
  destroy(): void {
    clearTree(this.#live('MapleTree.destroy'), 'MapleTree.destroy');
  }

  /**
   * Releases the tree now: every node and the tree header go back to the core's pool, the
   * entries are released. Afterwards every call on the tree or its MaStates throws EINVAL;
   * free() and [Symbol.dispose]() again do nothing. Locking: takes the tree lock, as destroy().
   * On a shared tree it is detach(): the other agents keep the tree.
   *
   * @example
   * const scratch = new MapleTree<number>({ backend: 'ts' });
   * scratch.store(1, 1);
   * scratch.free();
   */
  free(): void {
    freeTree(this, this.#ctx);
  }

  /**
   * free() for `using`: the tree is released when the block ends.
   *
   * @example
   * {
   *   using tree = new MapleTree<string>({ backend: 'ts' });
   *   tree.store(1, 'a');
   * } // freed here
   */
  [DISPOSE](): void {
    this.free();
  }

  /** `mt_validate`: throws an Error naming the first violated invariant. Locking: none (reader). */
  validate(): void {
    validateTree(this.#live('MapleTree.validate'));
  }

  /** The node structure (preorder, children inline), or null for an empty tree. Locking: none. */
  nodes(): NodeView | null {
    const ctx = this.#live('MapleTree.nodes');
    return ctx.core.nodes(ctx.id);
  }

  /**
   * `mt_dump`: a node-by-node picture of the tree. Locking: none.
   *
   * @example
   * console.log(tree.dump()); // maple_tree(wasm) flags 0x0 height 1 nodes 1 …
   */
  dump(): string {
    return dumpTree(this.#live('MapleTree.dump'));
  }

  /**
   * The entries as `[[first, last, entry], …]`, what JSON.stringify(tree) writes. Like
   * entries(), ZERO_ENTRY ranges are left out: the JSON form is what the normal API reads.
   *
   * @example
   * tree.storeRange(10, 19, 'a');
   * JSON.stringify(tree); // '[[10,19,"a"]]'
   */
  toJSON(): [K, K, V][] {
    return [...this.#walk<[K, K, V]>('MapleTree.toJSON', undefined, undefined, 'tuple')];
  }

  /**
   * `MA_STATE(mas, tree, index, last)`: an advanced-API cursor on [index, last].
   * Locking: none to create; its writers need the write lock.
   *
   * @example
   * const mas = tree.state(0);
   * for (let e = mas.find(MAX_INDEX); e !== undefined; e = mas.find(MAX_INDEX)) console.log(mas.index, e);
   */
  state(index?: K, last?: K): MaState<V, K> {
    const ctx = this.#live('MapleTree.state');
    const keys = ctx.keys;
    // Two index checks, no pair array: a fresh state per gap search or lookup is a common pattern.
    const f = index === undefined ? keys.zero : keys.index('MapleTree.state', 'first', index);
    const l = last === undefined ? f : keys.index('MapleTree.state', 'last', last);
    if (f > l) keys.range('MapleTree.state', f, l); // throws the range's EINVAL
    return new MaState<V, K>(ctx, f, l);
  }

  /** util.inspect / console.log: the backend, the entry count and the entries; no internals. */
  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: InspectOptions, inspect?: InspectFn): string {
    return inspectTree(this.#ctx, depth, options, inspect);
  }

  /** An iterator over [first, last] (defaults: the whole key space), its arguments checked now. */
  #walk<T>(method: string, first: K | undefined, last: K | undefined, shape: Yield): IterableIterator<T> {
    const ctx = this.#live(method);
    return walkEntries<T>(ctx, method, first === undefined ? ctx.keys.zero : first, last === undefined ? ctx.keys.max : last, shape);
  }

  /** The context after checking the tree was not freed. */
  #live(method: string): TreeContext {
    const ctx = this.#ctx;
    ctx.assertLive(method);
    return ctx;
  }

  /** @internal The context of SharingTree's methods. */
  protected _context(method?: string): TreeContext {
    return method === undefined ? this.#ctx : this.#live(method);
  }
}
