/**
 * The seam between the facade (MapleTree, MaState, GpuVm) and a tree core.
 *
 * Both cores — the AssemblyScript core compiled to WebAssembly and the same sources compiled
 * by tsc (the pure-TS backend) — implement this interface. It is deliberately low-level and
 * stateless: keys are numbers in [0, MAX_INDEX], entries are u32 handles (0 = NULL,
 * 1 = ZERO_ENTRY) owned by an EntryTable, and multi-value results land in result registers.
 * All cursor semantics (the kernel's ma_state status machine) live in the facade, once.
 */

import type { EntryTable } from './entries.js';

export type BackendKind = 'wasm' | 'ts';

/** One node of a tree as seen by dump() and the demo (preorder, children inline); K: the tree's key type. */
export interface NodeView<K extends number | bigint = number> {
  /** Address of the node in the backend's memory (stable while the tree is unchanged). */
  addr: number;
  type: 'leaf' | 'range' | 'arange';
  min: K;
  max: K;
  /** 0-based index of the last used slot. */
  end: number;
  /** Inclusive upper bound of each used slot; the last is the node max. Length end + 1. */
  pivots: K[];
  /** Leaf: entry handles (0 = NULL). Internal: child node addresses. Length end + 1. */
  slots: number[];
  /** arange nodes: the largest gap below each child. */
  gaps?: K[];
  children?: NodeView<K>[];
}

export interface CoreBackend {
  readonly kind: BackendKind;
  /** Values behind entry handles, shared by every tree of this backend. */
  readonly entries: EntryTable;
  /**
   * Result registers, RES_FIRST / RES_LAST / RES_GAP_* (see assembly/shared/layout.ts).
   * Read the property again after every call: a backend may replace the array when its
   * memory grows.
   */
  readonly res: Float64Array;
  /** Iteration page written by page(): PAGE_ROWS rows of [first, last, handle]. Re-read after calls. */
  readonly pageBuf: Float64Array;
  /**
   * Counts the calls that overwrote pageBuf: a reader that keeps rows in place across user code
   * (forEach) compares it to know its page still holds what it fetched.
   */
  readonly pageWrites: number;

  /** A new empty tree; flags are TREE_* bits. maxNodes 0 = unlimited. Returns 0 when out of memory. */
  treeCreate(flags: number, maxNodes: number): number;
  /** Frees the tree's nodes and its header; releases every handle it held. */
  treeRelease(tree: number): void;
  /** mtree_destroy: removes every entry, frees all nodes, keeps flags. */
  treeClear(tree: number): void;
  flags(tree: number): number;
  setFlags(tree: number, flags: number): void;
  /** Incremented by every change to the tree (used to revalidate iteration pages). */
  generation(tree: number): number;
  height(tree: number): number;
  /** Nodes alive in this tree (not counting the header), and nodes reserved for it. */
  nodeCount(tree: number): number;
  reservedCount(tree: number): number;
  isEmpty(tree: number): boolean;

  /** mtree_load: the handle of the range containing index (0 if none). */
  load(tree: number, index: number): number;
  /**
   * The range containing index, NULL ranges included: returns the handle and sets
   * res[RES_FIRST], res[RES_LAST]. An empty tree returns 0 with [0, MAX_INDEX].
   */
  walk(tree: number, index: number): number;
  /**
   * Batched mtree_load: replaces the first `count` (<= PAGE_ROWS * PAGE_ROW_WORDS) keys the
   * caller wrote into pageBuf with the handles load() would return for them.
   */
  loadMany(tree: number, count: number): void;
  /**
   * Bulk build (MapleTree.from) into an empty tree: lays the first `count` (<= PAGE_ROWS)
   * [first, last, handle] rows the caller wrote into pageBuf — ascending, after every earlier
   * row, handles never NULL — into the tree, retaining each handle. Returns OK, or ENOMEM (node
   * cap or memory) with the tree empty and nothing retained. The tree is not walkable until
   * buildEnd().
   */
  buildPage(tree: number, count: number): number;
  /** Finishes a bulk build: OK, or ENOMEM with the tree empty. An empty build leaves it empty. */
  buildEnd(tree: number): number;
  /**
   * mt_find in one walk: the first range holding an entry (ZERO_ENTRY skipped) intersecting
   * [index, max]. Returns its handle and sets res[RES_FIRST], res[RES_LAST]; 0 when none.
   */
  find(tree: number, index: number, max: number): number;
  /** mt_next in one walk: find() after the range containing index, for ranges starting <= max. */
  next(tree: number, index: number, max: number): number;
  /** mt_prev in one walk: the last range holding an entry before the range containing index, ending >= min. */
  prev(tree: number, index: number, min: number): number;
  /**
   * Stores handle over [first, last] (first <= last, checked by the caller).
   * mode MODE_OVERWRITE: overwrite; a NULL handle erases with coalescing.
   * mode MODE_INSERT: -EEXIST unless every index in [first, last] is NULL (ZERO counts as used).
   * Returns the store type (WR_*, >= 0) or a negative errno (ENOMEM, EEXIST); on error nothing
   * changed. On success — WR_NOTHING included — res[RES_FIRST..RES_LAST] is the range written
   * (widened by NULL coalescing; for a NULL write into a NULL range, that whole range).
   * Takes reserved nodes only as far as setDraw() allows; every other node comes on top of
   * all reservations, within the node cap.
   */
  store(tree: number, first: number, last: number, handle: number, mode: number): number;
  /**
   * The kernel's mas_preallocate count for storing a handle of this NULL-ness over
   * [first, last] in the tree as it is now (0: the store changes nothing). Reserves nothing.
   */
  nodesNeeded(tree: number, first: number, last: number, handle: number): number;
  /** The most nodes one store of any kind can take in this tree, whatever its shape then. */
  storeBound(tree: number): number;
  /** Sets `count` more nodes aside in the tree, within the node cap and memory: false if not. */
  reserve(tree: number, count: number): boolean;
  /** Returns `count` of the tree's reserved nodes (count <= reservedCount). */
  unreserve(tree: number, count: number): void;
  /**
   * How many reserved nodes the next stores may take (0 after every call that set it: the
   * caller resets it); draw() is what is left of it. A store that takes n of them lowers both
   * draw() and reservedCount() by n.
   */
  setDraw(count: number): void;
  draw(): number;
  /**
   * Gap search: lowest (rev = false) or highest (rev = true) [s, s + size - 1] inside
   * [min, max] that is entirely NULL, with s a multiple of `align` (a power of two, 1 = any)
   * and the range crossing no multiple of `nospan` (a power of two ≥ size, 0 = no limit).
   * Window and option checks (EINVAL) are the caller's. Returns 0 and
   * sets res[RES_FIRST], res[RES_LAST] (and res[RES_GAP_FIRST..RES_GAP_LAST], the whole NULL
   * range holding the fit), or -EBUSY.
   */
  emptyArea(tree: number, min: number, max: number, size: number, rev: boolean, align?: number, nospan?: number): number;
  /**
   * Writes up to PAGE_ROWS non-NULL ranges (ZERO included) that intersect [first, last], in
   * ascending order, starting with the range containing `first`, into pageBuf as
   * [first, last, handle] rows. Returns the row count.
   */
  page(tree: number, first: number, last: number): number;
  /** mtree_dup: a new tree with the same flags and entries (handles retained). >0 tree, or -ENOMEM. */
  dup(tree: number): number;
  /** Null when every invariant holds, else a message naming the first violation. */
  validate(tree: number): string | null;
  /** The node structure, or null for an empty tree. */
  nodes(tree: number): NodeView | null;
}

/**
 * A core that also holds TREE_KEYS64 trees (the whole u64 key space): the same calls with
 * bigint keys, through the *64 entry points. Their result registers and pages hold u64 words,
 * read through res64 and pageBuf64 (re-read after every call, like res). Trees are created
 * with TREE_KEYS64 in their flags; the number calls must not be used on them, nor these on
 * number trees. Every key must lie in [0, 2^64 - 1] (the caller checks: the WASM boundary
 * would wrap a larger one, and the bigint TS core would walk past the end). The WASM backend serves both kinds from one memory; the pure-TS backend has a
 * second core for them (src/core64, u64 as bigint).
 */
export interface CoreBackend64 extends CoreBackend {
  readonly res64: BigUint64Array;
  readonly pageBuf64: BigUint64Array;
  /** Brings res64/pageBuf64 up to date with memory; call it before writing keys into pageBuf64. */
  views64(): void;
  load64(tree: number, index: bigint): number;
  walk64(tree: number, index: bigint): number;
  loadMany64(tree: number, count: number): void;
  buildPage64(tree: number, count: number): number;
  find64(tree: number, index: bigint, max: bigint): number;
  next64(tree: number, index: bigint, max: bigint): number;
  prev64(tree: number, index: bigint, min: bigint): number;
  store64(tree: number, first: bigint, last: bigint, handle: number, mode: number): number;
  nodesNeeded64(tree: number, first: bigint, last: bigint, handle: number): number;
  emptyArea64(tree: number, min: bigint, max: bigint, size: bigint, rev: boolean, align?: bigint, nospan?: bigint): number;
  page64(tree: number, first: bigint, last: bigint): number;
  validate64(tree: number): string | null;
  nodes64(tree: number): NodeView<bigint> | null;
}
