/**
 * MapleTree: the kernel's maple tree (lib/maple_tree.c) for JavaScript, written once over the
 * stateless CoreBackend that both cores implement.
 *
 * Every method validates all of its arguments before it touches the backend, and backends
 * report errors before they change anything, so a call that throws leaves the tree as it was.
 */

import type { BackendKind, CoreBackend, NodeView } from '../backend/backend.js';
import { ZERO_ENTRY } from '../backend/entries.js';
import { MapleError } from './errors.js';
import {
  EBUSY,
  ENTRY_NULL,
  ENTRY_ZERO,
  MODE_INSERT,
  MODE_OVERWRITE,
  PAGE_ROWS,
  RES_FIRST,
  RES_LAST,
  TREE_ALLOC_RANGE,
  TREE_ALLOC_WRAPPED,
} from '../backend/layout.js';
import { isExternalLock, TreeLock, type ExternalLock } from './lock.js';
import { MaState } from './MaState.js';
import { tsBackend } from '../ts/TsBackend.js';
import { init, wasmBackend } from '../wasm/load.js';

export type { ExternalLock } from './lock.js';

/** The top of the key space; plays the role of the kernel's ULONG_MAX. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** A stored range and its entry. */
export interface Range<V> {
  first: number;
  last: number;
  entry: V;
}

/** Result of allocCyclic(): `wrapped` is the kernel's return value 1. */
export interface CyclicAllocation {
  start: number;
  next: number;
  wrapped: boolean;
}

export interface MapleTreeOptions {
  /** 'wasm' (default; needs `await init()` first) or 'ts'. */
  backend?: BackendKind;
  /** Gap tracking (MT_FLAGS_ALLOC_RANGE); required by allocRange/allocRRange/allocCyclic. */
  allocRange?: boolean;
  /** 'internal' (default) or a caller-owned lock asserted by every write. */
  lock?: 'internal' | ExternalLock;
  /** Cap on tree nodes alive at once, reservations included; beyond it writes throw ENOMEM. */
  maxNodes?: number;
  /** @internal Overrides backend selection (tests). */
  _core?: CoreBackend;
  /** @internal Adopts an existing tree of `_core` instead of creating one (dup). */
  _tree?: number;
}

/** The kernel's store-type names (enum store_type), as reported by lastStoreType. */
export type StoreType =
  | 'new-root'
  | 'store-root'
  | 'exact-fit'
  | 'spanning-store'
  | 'split-store'
  | 'rebalance'
  | 'append'
  | 'node-store'
  | 'slot-store'
  | 'nothing';

const STORE_TYPES: readonly (StoreType | undefined)[] = [
  undefined,
  'new-root',
  'store-root',
  'exact-fit',
  'spanning-store',
  'split-store',
  'rebalance',
  'append',
  'node-store',
  'slot-store',
  'nothing',
];

/** Validates an index argument: an integer in [0, MAX_INDEX]. Returns it with -0 folded to 0. */
export function checkIndex(method: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MapleError('EINVAL', `${method}: ${name} must be an integer in [0, MAX_INDEX], got ${describeArg(value)}`);
  }
  return value + 0;
}

/** Validates [first, last]: two indices with first <= last. */
export function checkRange(method: string, first: unknown, last: unknown): [number, number] {
  const f = checkIndex(method, 'first', first);
  const l = checkIndex(method, 'last', last);
  if (f > l) throw new MapleError('EINVAL', `${method}: first (${f}) > last (${l})`);
  return [f, l];
}

/** Validates a gap-search window and size (the kernel's EINVAL rules for mas_empty_area). */
export function checkWindow(method: string, size: unknown, min: unknown, max: unknown): [number, number, number] {
  const s = checkSize(method, size);
  const lo = checkIndex(method, 'min', min);
  const hi = checkIndex(method, 'max', max);
  if (lo > hi) throw new MapleError('EINVAL', `${method}: min (${lo}) > max (${hi})`);
  if (hi - lo < s - 1) throw new MapleError('EINVAL', `${method}: window [${lo}, ${hi}] is smaller than size ${s}`);
  return [s, lo, hi];
}

function checkSize(method: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MapleError('EINVAL', `${method}: size must be an integer in [1, MAX_INDEX], got ${describeArg(value)}`);
  }
  return value;
}

function checkEntry(method: string, entry: unknown): void {
  if (entry === null || entry === undefined) {
    throw new MapleError('EINVAL', `${method}: entry must not be null or undefined`);
  }
}

function checkAllocEntry(method: string, entry: unknown): void {
  checkEntry(method, entry);
  if (entry === ZERO_ENTRY) throw new MapleError('EINVAL', `${method}: ZERO_ENTRY is reserved`);
}

export function describeArg(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

function describeEntry(value: unknown): string {
  if (value === ZERO_ENTRY) return 'zero';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'object':
    case 'function': {
      const name = (value as object).constructor?.name;
      return name && name !== 'Object' ? `<${name}>` : Object.prototype.toString.call(value);
    }
    default:
      return String(value);
  }
}

function selectBackend(options: MapleTreeOptions): CoreBackend {
  if (options._core) return options._core;
  const kind = options.backend ?? 'wasm';
  if (kind === 'ts') return tsBackend();
  if (kind !== 'wasm') {
    throw new MapleError('EINVAL', `new MapleTree: backend must be 'wasm' or 'ts', got ${describeArg(kind)}`);
  }
  const core = wasmBackend();
  if (!core) {
    throw new Error("maple-gpuvm: the WebAssembly core is not loaded; `await init()` first, use `await MapleTree.create()`, or pass { backend: 'ts' }");
  }
  return core;
}

function checkOptions(options: MapleTreeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new MapleError('EINVAL', `new MapleTree: options must be an object`);
  }
  const { allocRange, lock, maxNodes } = options;
  if (allocRange !== undefined && typeof allocRange !== 'boolean') {
    throw new MapleError('EINVAL', `new MapleTree: allocRange must be a boolean`);
  }
  if (lock !== undefined && lock !== 'internal' && !isExternalLock(lock)) {
    throw new MapleError('EINVAL', `new MapleTree: lock must be 'internal' or { isHeld(): boolean }`);
  }
  if (maxNodes !== undefined && (!Number.isSafeInteger(maxNodes) || maxNodes < 1 || maxNodes > 0xffffffff)) {
    throw new MapleError('EINVAL', `new MapleTree: maxNodes must be a positive integer, got ${describeArg(maxNodes)}`);
  }
}

interface TreeHandle {
  core: CoreBackend;
  id: number;
}

// Frees the backend's tree header once the MapleTree object is unreachable.
const releaser: FinalizationRegistry<TreeHandle> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<TreeHandle>(({ core, id }) => core.treeRelease(id))
    : null;

/**
 * Walks the non-NULL ranges intersecting [first, last] a page at a time. When the tree
 * changes between two steps, it refetches from just after the last range it returned.
 */
class RangeCursor {
  first = 0;
  last = 0;
  handle = 0;
  private rows = new Float64Array(0);
  private count = 0;
  private at = 0;
  private gen = -1;
  private resumeFrom: number;
  private done = false;

  constructor(
    private readonly core: CoreBackend,
    private readonly tree: number,
    from: number,
    private readonly until: number,
  ) {
    this.resumeFrom = from;
    this.done = from > until;
  }

  /** Steps to the next range (ZERO_ENTRY ranges included); false at the end. */
  advance(): boolean {
    while (!this.done) {
      if (this.at < this.count && this.core.generation(this.tree) === this.gen) {
        const o = this.at++ * 3;
        this.first = this.rows[o];
        this.last = this.rows[o + 1];
        this.handle = this.rows[o + 2];
        return true;
      }
      this.fetch();
    }
    return false;
  }

  /** Marks the current range as returned: a refetch resumes after it. */
  markReturned(): void {
    if (this.last >= MAX_INDEX) this.resumeFrom = -1;
    else this.resumeFrom = this.last + 1;
  }

  private fetch(): void {
    const started = this.gen !== -1;
    if (started && this.core.generation(this.tree) === this.gen) {
      // Page used up: it was the last page unless it was full.
      if (this.count < PAGE_ROWS) return this.finish();
      const lastOnPage = this.rows[this.count * 3 - 2];
      if (lastOnPage >= this.until) return this.finish();
      if (this.resumeFrom < lastOnPage + 1) this.resumeFrom = lastOnPage + 1;
    }
    if (this.resumeFrom < 0 || this.resumeFrom > this.until) return this.finish();
    const n = this.core.page(this.tree, this.resumeFrom, this.until);
    this.rows = this.core.pageBuf.slice(0, n * 3);
    this.count = n;
    this.at = 0;
    this.gen = this.core.generation(this.tree);
    if (n === 0) this.finish();
  }

  private finish(): void {
    this.done = true;
  }
}

/**
 * A maple tree: non-overlapping inclusive ranges [first, last] over [0, MAX_INDEX], each
 * holding one entry (any value except null/undefined).
 */
export class MapleTree<V = unknown> implements Iterable<[number, number, V]> {
  /** @internal */
  readonly _core: CoreBackend;
  /** @internal */
  readonly _id: number;
  /** @internal */
  readonly _lock: TreeLock;
  private readonly options: MapleTreeOptions;
  private storeType: StoreType | undefined;

  /**
   * Creates an empty tree. With the default 'wasm' backend, `init()` must have resolved.
   * Locking: none (the tree is new).
   */
  constructor(options: MapleTreeOptions = {}) {
    checkOptions(options);
    const core = selectBackend(options);
    const flags = options.allocRange ? TREE_ALLOC_RANGE : 0;
    const id = options._tree ?? core.treeCreate(flags, options.maxNodes ?? 0);
    if (id <= 0) throw new MapleError('ENOMEM', 'new MapleTree: out of memory');
    this._core = core;
    this._id = id;
    this.options = { ...options, _tree: undefined };
    this._lock = new TreeLock(isExternalLock(options.lock) ? options.lock : null);
    releaser?.register(this, { core, id });
  }

  /**
   * Async constructor: awaits `init()` first when the WASM backend is selected.
   * Locking: none.
   */
  static async create<V = unknown>(options: MapleTreeOptions = {}): Promise<MapleTree<V>> {
    if (!options._core && (options.backend ?? 'wasm') === 'wasm') await init();
    return new MapleTree<V>(options);
  }

  /** Which core this tree runs on. Locking: none. */
  get backend(): BackendKind {
    return this._core.kind;
  }

  /** True when the tree tracks gaps (created with the allocRange option). */
  get gapTracking(): boolean {
    return (this._core.flags(this._id) & TREE_ALLOC_RANGE) !== 0;
  }

  /**
   * The kernel store-type name of the last successful write through this tree
   * ('nothing' for a NULL write that changed nothing), or undefined before the first write.
   * Useful to watch the core pick slot-store, append, split-store and so on.
   */
  get lastStoreType(): StoreType | undefined {
    return this.storeType;
  }

  /** `mt_height`: 0 for an empty tree, 1 for a single leaf. Locking: none (reader). */
  get height(): number {
    return this._core.height(this._id);
  }

  /**
   * Nodes alive in this tree (256 bytes each in the backend's node pool), not counting the
   * tree header or reserved nodes. Locking: none (reader).
   */
  get nodeCount(): number {
    return this._core.nodeCount(this._id);
  }

  /** `mtree_empty`. Locking: none (reader). */
  isEmpty(): boolean {
    return this._core.isEmpty(this._id);
  }

  /**
   * `mtree_load`: the entry of the range containing `index`; ZERO_ENTRY reads as undefined.
   * Locking: none (reader).
   */
  load(index: number): V | undefined {
    const i = checkIndex('MapleTree.load', 'index', index);
    return this.userValue(this._core.load(this._id, i));
  }

  /** `mtree_store`: storeRange(index, index, entry). Locking: takes the tree lock. */
  store(index: number, entry: V | null | undefined): void {
    const i = checkIndex('MapleTree.store', 'index', index);
    this.write('MapleTree.store', i, i, entry, MODE_OVERWRITE);
  }

  /**
   * `mtree_store_range`: overwrites [first, last]; parts of old ranges outside it keep their
   * entry; null/undefined erases. Locking: takes the tree lock.
   */
  storeRange(first: number, last: number, entry: V | null | undefined): void {
    const [f, l] = checkRange('MapleTree.storeRange', first, last);
    this.write('MapleTree.storeRange', f, l, entry, MODE_OVERWRITE);
  }

  /** `mtree_insert`: stores only into an empty index, else EEXIST. Locking: takes the tree lock. */
  insert(index: number, entry: V): void {
    const i = checkIndex('MapleTree.insert', 'index', index);
    checkEntry('MapleTree.insert', entry);
    this.write('MapleTree.insert', i, i, entry, MODE_INSERT);
  }

  /**
   * `mtree_insert_range`: stores only if every index in [first, last] is empty (ZERO_ENTRY
   * counts as used), else EEXIST. Locking: takes the tree lock.
   */
  insertRange(first: number, last: number, entry: V): void {
    const [f, l] = checkRange('MapleTree.insertRange', first, last);
    checkEntry('MapleTree.insertRange', entry);
    this.write('MapleTree.insertRange', f, l, entry, MODE_INSERT);
  }

  /**
   * `mtree_erase`: removes the whole range containing `index` and returns its entry
   * (ZERO_ENTRY for a zero range). Locking: takes the tree lock.
   */
  erase(index: number): V | undefined {
    const method = 'MapleTree.erase';
    const i = checkIndex(method, 'index', index);
    const taken = this._lock.enterWriter(method);
    try {
      const core = this._core;
      const handle = core.walk(this._id, i);
      if (handle === ENTRY_NULL) return undefined;
      const value = core.entries.get(handle) as V;
      const first = core.res[RES_FIRST];
      const last = core.res[RES_LAST];
      this.commitStore(method, first, last, ENTRY_NULL, MODE_OVERWRITE);
      return value;
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /**
   * `mt_find`: the first entry whose range intersects [index, max] (ZERO_ENTRY skipped), or
   * undefined if none or index > max. Locking: none (reader).
   */
  find(index: number, max: number = MAX_INDEX): Range<V> | undefined {
    const i = checkIndex('MapleTree.find', 'index', index);
    const m = checkIndex('MapleTree.find', 'max', max);
    return this.firstUserRange(i, m);
  }

  /**
   * `mt_next`: the first entry after the range containing `index` whose start is <= max
   * (ZERO_ENTRY skipped). Locking: none (reader).
   */
  next(index: number, max: number = MAX_INDEX): Range<V> | undefined {
    const i = checkIndex('MapleTree.next', 'index', index);
    const m = checkIndex('MapleTree.next', 'max', max);
    if (i >= m) return undefined;
    this._core.walk(this._id, i);
    const end = this._core.res[RES_LAST];
    if (end >= m) return undefined;
    return this.firstUserRange(end + 1, m);
  }

  /**
   * `mt_prev`: the last entry before the range containing `index` whose end is >= min
   * (ZERO_ENTRY skipped). Locking: none (reader).
   */
  prev(index: number, min = 0): Range<V> | undefined {
    const i = checkIndex('MapleTree.prev', 'index', index);
    const m = checkIndex('MapleTree.prev', 'min', min);
    if (i <= m) return undefined;
    const core = this._core;
    core.walk(this._id, i);
    let start = core.res[RES_FIRST];
    while (start > m) {
      const handle = core.walk(this._id, start - 1);
      const first = core.res[RES_FIRST];
      if (handle > ENTRY_ZERO) {
        return { first, last: core.res[RES_LAST], entry: core.entries.get(handle) as V };
      }
      start = first;
    }
    return undefined;
  }

  /**
   * `mt_for_each`: every entry intersecting [first, last], ascending, as
   * [rangeFirst, rangeLast, entry] (full ranges, ZERO_ENTRY skipped); nothing when
   * first > last. The tree may be modified during the walk: it continues after the last range
   * returned, as the tree is then. Locking: none (reader).
   */
  entries(first = 0, last: number = MAX_INDEX): IterableIterator<[number, number, V]> {
    const f = checkIndex('MapleTree.entries', 'first', first);
    const l = checkIndex('MapleTree.entries', 'last', last);
    return this.iterate(f, l);
  }

  /** Same as entries(). Locking: none (reader). */
  [Symbol.iterator](): IterableIterator<[number, number, V]> {
    return this.entries();
  }

  /**
   * entries() without tuples: calls fn(entry, first, last) per entry; returning false stops.
   * Locking: none (reader).
   */
  forEach(fn: (entry: V, first: number, last: number) => void | false, first = 0, last: number = MAX_INDEX): void {
    if (typeof fn !== 'function') throw new MapleError('EINVAL', 'MapleTree.forEach: fn must be a function');
    const f = checkIndex('MapleTree.forEach', 'first', first);
    const l = checkIndex('MapleTree.forEach', 'last', last);
    // The hot loop of iteration, so it reads pages directly rather than through RangeCursor:
    // one core call per PAGE_ROWS ranges, one generation read per range to notice writes
    // made by fn (then it refetches after the last range it returned).
    const core = this._core;
    const tree = this._id;
    const entries = core.entries;
    let from = f;
    while (from <= l) {
      const n = core.page(tree, from, l);
      if (n === 0) return;
      const rows = core.pageBuf.slice(0, n * 3); // fn may iterate too, reusing the page buffer
      const gen = core.generation(tree);
      let changed = false;
      for (let o = 0; o < n * 3; o += 3) {
        const rangeLast = rows[o + 1];
        const handle = rows[o + 2];
        if (handle !== ENTRY_ZERO && fn(entries.get(handle) as V, rows[o], rangeLast) === false) return;
        if (rangeLast >= l) return;
        from = rangeLast + 1;
        if (core.generation(tree) !== gen) {
          changed = true;
          break;
        }
      }
      if (!changed && n < PAGE_ROWS) return;
    }
  }

  /**
   * `mtree_alloc_range`: stores `entry` at the lowest s with [s, s + size - 1] inside
   * [min, max] and empty; returns s. EBUSY if none fits. Locking: takes the tree lock.
   */
  allocRange(size: number, entry: V, min = 0, max: number = MAX_INDEX): number {
    return this.allocate('MapleTree.allocRange', size, entry, min, max, false);
  }

  /** `mtree_alloc_rrange`: as allocRange, the highest fit. Locking: takes the tree lock. */
  allocRRange(size: number, entry: V, min = 0, max: number = MAX_INDEX): number {
    return this.allocate('MapleTree.allocRRange', size, entry, min, max, true);
  }

  /**
   * `mtree_alloc_cyclic`: one index, searched in [max(lo, next), hi] and then [lo, hi].
   * `wrapped` is true when the second search found it or the previous allocation wrapped
   * `next` past MAX_INDEX (the ALLOC_WRAPPED tree flag, which survives destroy()).
   * Locking: takes the tree lock.
   */
  allocCyclic(entry: V, lo: number, hi: number, next: number): CyclicAllocation {
    const method = 'MapleTree.allocCyclic';
    checkAllocEntry(method, entry);
    const low = checkIndex(method, 'lo', lo);
    const high = checkIndex(method, 'hi', hi);
    const from = checkIndex(method, 'next', next);
    if (low > high) throw new MapleError('EINVAL', `${method}: lo (${low}) > hi (${high})`);
    this.checkAllocTree(method);
    const taken = this._lock.enterWriter(method);
    try {
      const core = this._core;
      const searchFrom = Math.max(low, from);
      let wrapped = false;
      let start = this.lowestFreeIndex(searchFrom, high);
      if (start >= 0) {
        wrapped = (core.flags(this._id) & TREE_ALLOC_WRAPPED) !== 0;
      } else if (searchFrom > low) {
        start = this.lowestFreeIndex(low, high);
        wrapped = true;
      }
      if (start < 0) {
        throw new MapleError('EBUSY', `${method}: no free index in [${low}, ${high}]`);
      }
      this.commitStore(method, start, start, core.entries.alloc(entry), MODE_INSERT);
      const flags = core.flags(this._id) & ~TREE_ALLOC_WRAPPED;
      core.setFlags(this._id, start === MAX_INDEX ? flags | TREE_ALLOC_WRAPPED : flags);
      return { start, next: start === MAX_INDEX ? 0 : start + 1, wrapped };
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /**
   * `mtree_dup`: an independent copy with the same options and entries (entries are shared,
   * not cloned). Locking: takes the tree lock (EDEADLK if held), as mtree_dup locks the source.
   */
  dup(): MapleTree<V> {
    const method = 'MapleTree.dup';
    const taken = this._lock.isExternal ? false : this._lock.enterWriter(method);
    try {
      const id = this._core.dup(this._id);
      if (id <= 0) throw MapleError.fromErrno(id, `${method}: out of nodes`);
      return new MapleTree<V>({ ...this.options, _core: this._core, _tree: id });
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /**
   * `mtree_destroy`: removes every entry and frees all nodes; flags (allocRange, the cyclic
   * wrap flag) are kept and the tree stays usable. Locking: takes the tree lock.
   */
  destroy(): void {
    const taken = this._lock.enterWriter('MapleTree.destroy');
    try {
      this._core.treeClear(this._id);
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /** `mt_validate`: throws an Error naming the first violated invariant. Locking: none (reader). */
  validate(): void {
    const problem = this._core.validate(this._id);
    if (problem !== null) throw new Error(`MapleTree.validate: ${problem}`);
  }

  /** The node structure (preorder, children inline), or null for an empty tree. Locking: none. */
  nodes(): NodeView | null {
    return this._core.nodes(this._id);
  }

  /** `mt_dump`: a node-by-node picture of the tree. Locking: none. */
  dump(): string {
    const core = this._core;
    const lines = [
      `maple_tree(${core.kind}) flags 0x${core.flags(this._id).toString(16)} height ${this.height} nodes ${core.nodeCount(this._id)}`,
    ];
    const root = core.nodes(this._id);
    if (root) this.dumpNode(root, 0, lines);
    else lines.push('(empty)');
    return lines.join('\n');
  }

  /**
   * `mtree_lock`: takes the internal lock, which MaState writers require and during which
   * normal-API writers throw EDEADLK. Locking: EDEADLK if already held; EINVAL on an
   * external-lock tree.
   */
  lock(): void {
    this._lock.acquire('MapleTree.lock');
  }

  /** `mtree_unlock`. Locking: EINVAL if not held or on an external-lock tree. */
  unlock(): void {
    this._lock.release('MapleTree.unlock');
  }

  /**
   * Whether the internal lock is held (or, for an external lock, whether it reports held).
   * Locking: none.
   */
  isLocked(): boolean {
    return this._lock.isLocked();
  }

  /**
   * `MA_STATE(mas, tree, index, last)`: an advanced-API cursor on [index, last].
   * Locking: none to create; its writers need the write lock.
   */
  state(index = 0, last: number = index): MaState<V> {
    const [f, l] = checkRange('MapleTree.state', index, last);
    return new MaState<V>(this, f, l);
  }

  /** @internal Stores handle over [first, last] for a write already holding the lock. */
  _store(method: string, first: number, last: number, handle: number, mode: number): number {
    return this.commitStore(method, first, last, handle, mode);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const shown: string[] = [];
    let more = false;
    this.forEach((entry, first, last) => {
      if (shown.length === 8) {
        more = true;
        return false;
      }
      shown.push(`[${first}, ${last}] => ${describeEntry(entry)}`);
    });
    return `MapleTree(${this._core.kind}) { ${shown.join(', ')}${more ? ', …' : ''} }`;
  }

  private userValue(handle: number): V | undefined {
    return handle > ENTRY_ZERO ? (this._core.entries.get(handle) as V) : undefined;
  }

  /** Normal-API write: lock, convert the entry, store. */
  private write(method: string, first: number, last: number, entry: V | null | undefined, mode: number): void {
    const taken = this._lock.enterWriter(method);
    try {
      const handle = entry === null || entry === undefined ? ENTRY_NULL : this._core.entries.alloc(entry);
      this.commitStore(method, first, last, handle, mode);
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /** Runs one backend store; on failure drops the unused handle and throws. */
  private commitStore(method: string, first: number, last: number, handle: number, mode: number): number {
    const core = this._core;
    const status = core.store(this._id, first, last, handle, mode);
    if (status < 0) {
      core.entries.dropIfUnused(handle);
      const why = status === -17 ? 'overlaps an entry' : 'node budget exhausted';
      throw MapleError.fromErrno(status, `${method}: [${first}, ${last}] ${why}`);
    }
    core.entries.dropIfUnused(handle);
    this.storeType = STORE_TYPES[status];
    return status;
  }

  private checkAllocTree(method: string): void {
    if (!this.gapTracking) {
      throw new MapleError('EINVAL', `${method}: the tree was not created with { allocRange: true }`);
    }
  }

  private allocate(method: string, size: number, entry: V, min: number, max: number, rev: boolean): number {
    checkAllocEntry(method, entry);
    const [s, lo, hi] = checkWindow(method, size, min, max);
    this.checkAllocTree(method);
    const taken = this._lock.enterWriter(method);
    try {
      const core = this._core;
      if (core.emptyArea(this._id, lo, hi, s, rev) === EBUSY) {
        throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]`);
      }
      const start = core.res[RES_FIRST];
      this.commitStore(method, start, start + s - 1, core.entries.alloc(entry), MODE_INSERT);
      return start;
    } finally {
      this._lock.exitWriter(taken);
    }
  }

  /** The lowest empty index in [lo, hi], or -1 (also when lo > hi, the kernel's EINVAL). */
  private lowestFreeIndex(lo: number, hi: number): number {
    if (lo > hi) return -1;
    if (this._core.emptyArea(this._id, lo, hi, 1, false) < 0) return -1;
    return this._core.res[RES_FIRST];
  }

  private firstUserRange(from: number, max: number): Range<V> | undefined {
    const cursor = new RangeCursor(this._core, this._id, from, max);
    while (cursor.advance()) {
      if (cursor.handle !== ENTRY_ZERO) {
        return { first: cursor.first, last: cursor.last, entry: this._core.entries.get(cursor.handle) as V };
      }
    }
    return undefined;
  }

  private *iterate(first: number, last: number): IterableIterator<[number, number, V]> {
    const cursor = new RangeCursor(this._core, this._id, first, last);
    while (cursor.advance()) {
      if (cursor.handle === ENTRY_ZERO) continue;
      cursor.markReturned();
      yield [cursor.first, cursor.last, this._core.entries.get(cursor.handle) as V];
    }
  }

  private dumpNode(node: NodeView, depth: number, lines: string[]): void {
    const pad = '  '.repeat(depth);
    const gaps = node.gaps ? ` gaps [${node.gaps.join(', ')}]` : '';
    lines.push(`${pad}${node.min}-${node.max}: ${node.type} @0x${node.addr.toString(16)} end ${node.end}${gaps}`);
    let min = node.min;
    for (let slot = 0; slot <= node.end; slot++) {
      const max = node.pivots[slot];
      if (node.type === 'leaf') {
        const handle = node.slots[slot];
        const shown = handle === ENTRY_NULL ? '(null)' : `${describeEntry(this._core.entries.get(handle))} #${handle}`;
        lines.push(`${pad}  ${min === max ? `${min}` : `${min}-${max}`}: ${shown}`);
      } else {
        const child = node.children?.[slot];
        if (child) this.dumpNode(child, depth + 1, lines);
        else lines.push(`${pad}  ${min}-${max}: child @0x${node.slots[slot].toString(16)}`);
      }
      min = max + 1;
    }
  }
}
