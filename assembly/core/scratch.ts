/**
 * Fixed areas at the bottom of the core's memory, from BASE = 64 KiB up, each starting where
 * the previous one ends. Everything the core keeps between calls lives here or in pool nodes —
 * nothing in wasm globals — so the state is a plain region of linear memory.
 *
 *  GLOBALS   pool and call globals, one i32 each (G_*), including the hidden path cache
 *            G_PATH_TREE / G_PATH_GEN (see walk.ts pathWalkLeft)
 *  RES       result registers, RES_COUNT × f64
 *  LPATH     left path:  node[PATH_DEPTH] i32 · offset[..] i32 · min[..] u64 · max[..] u64
 *  RPATH     right path: same layout
 *  BIG_A     big-node buffer: pivot[BIG_CAP] u64 · slot[BIG_CAP] i32 · gap[BIG_CAP] u64
 *  BIG_B     the second big-node buffer (a level's parents are built while its pieces are read)
 *  PIECES    end rows of the pieces of one level, and the push-to-sibling cut
 *  RELEASES  released entry handles, RELEASE_CAP × i32
 *  WR        the write state of the running store (the kernel's ma_wr_state; WS_* fields)
 *  PAGE      iteration page: PAGE_ROWS × PAGE_ROW_WORDS f64 (also node reads for dump())
 *  BITMAP    free-node bitmap: one bit per pool node (4 GiB of nodes)
 *  POOL_START  the first pool node
 */

import { RES_COUNT, PAGE_ROWS, PAGE_ROW_WORDS } from "../shared/layout";

/** Fixed, so every address below is a compile-time constant (the core has no static data). */
export const BASE: i32 = 65536;

export const GLOBALS: i32 = BASE;
/** Pool nodes carved from memory so far, and the most it holds now (counted from POOL_START). */
export const G_BUMP: i32 = GLOBALS + 0;
export const G_LIMIT: i32 = GLOBALS + 4;
export const G_HINT: i32 = GLOBALS + 8;
export const G_FREE_COUNT: i32 = GLOBALS + 12;
export const G_RESERVED: i32 = GLOBALS + 16;
export const G_LIVE: i32 = GLOBALS + 20;
export const G_READY: i32 = GLOBALS + 24;
/** The id of the running write (see treeNewStamp and the node stamp word). */
export const G_STAMP: i32 = GLOBALS + 28;
/** validate(): the NULL-ness of the previous leaf slot, and the nodes counted. */
export const G_PREV_NULL: i32 = GLOBALS + 32;
export const G_SEEN: i32 = GLOBALS + 36;
/**
 * The tree (and its generation) the left path still describes after an in-place write, so
 * the next write landing in the same leaf (appends, ascending erases) can skip the descent.
 */
export const G_PATH_TREE: i32 = GLOBALS + 40;
export const G_PATH_GEN: i32 = GLOBALS + 44;
/** Entry handles queued in RELEASES. */
export const G_RELEASED: i32 = GLOBALS + 48;
/**
 * Reserved nodes the running write may take (treeNodeAlloc): set by the host for a write
 * made on behalf of a reservation's owner, 0 for every other write, so those cannot touch
 * what others reserved.
 */
export const G_DRAW: i32 = GLOBALS + 52;
/**
 * Set while a write that adds no range runs over the node cap (see treeStore): the level
 * loop then cuts a run in two wherever two nodes hold it, so the write never ends with more
 * nodes than it found.
 */
export const G_NO_GROW: i32 = GLOBALS + 56;
/** A cap on the pool's memory in 64 KiB pages, below MEMORY_MAX_PAGES (0: none; see poolSetMemoryCap). */
export const G_MEM_CAP: i32 = GLOBALS + 60;
/**
 * Fault injection for tests: when non-zero, the k-th node request (poolEnsure) or the k-th
 * memory growth from now fails as if memory were exhausted; each counts down to 0 (off).
 */
export const G_FAULT_NODES: i32 = GLOBALS + 64;
export const G_FAULT_GROW: i32 = GLOBALS + 68;
const GLOBALS_BYTES: i32 = 72;

export const RES: i32 = GLOBALS + GLOBALS_BYTES;
const RES_BYTES: i32 = RES_COUNT << 3;

/** Entries per path array: one per level, HEIGHT_MAX levels and a spare. */
export const PATH_DEPTH: i32 = 32;
export const P_NODE: i32 = 0;
export const P_OFF: i32 = P_NODE + (PATH_DEPTH << 2);
export const P_MIN: i32 = P_OFF + (PATH_DEPTH << 2);
export const P_MAX: i32 = P_MIN + (PATH_DEPTH << 3);
export const PATH_BYTES: i32 = P_MAX + (PATH_DEPTH << 3);
export const LPATH: i32 = RES + RES_BYTES;
export const RPATH: i32 = LPATH + PATH_BYTES;

/** Rows per big-node buffer: a spanning store's two leaves plus a pulled neighbour fit with room. */
export const BIG_CAP: i32 = 64;
export const BIG_SLOT: i32 = BIG_CAP << 3;
export const BIG_GAP: i32 = BIG_SLOT + (BIG_CAP << 2);
const BIG_BYTES: i32 = BIG_GAP + (BIG_CAP << 3);
export const BIG_A: i32 = RPATH + PATH_BYTES;
export const BIG_B: i32 = BIG_A + BIG_BYTES;

/** A level is cut into at most four pieces (kernel: mid_split gives three, a push one more). */
export const PIECE_CAP: i32 = 4;
export const PIECES: i32 = BIG_B + BIG_BYTES;
/** After the piece ends: the left-piece size a push to a sibling asks for. */
export const PUSH_CUT: i32 = PIECES + (PIECE_CAP << 2);
const PIECES_BYTES: i32 = (PIECE_CAP + 2) << 2; // piece ends, the push cut, padding to 8 bytes

/** Entry handles released by the running call, drained by the host after it (or when full). */
export const RELEASE_CAP: i32 = 512;
export const RELEASES: i32 = PIECES + PIECES_BYTES;
const RELEASES_BYTES: i32 = RELEASE_CAP << 2;

/** The write state: i32 fields, then u64 fields (byte offsets from WR). */
export const WR: i32 = RELEASES + RELEASES_BYTES;
/** The leaf holding `first`, the slot of `first` and of `last`, the leaf's end. */
export const WS_LEAF: i32 = 0;
export const WS_OFFSET: i32 = 4;
export const WS_OFFSET_END: i32 = 8;
export const WS_END: i32 = 12;
/** The new entry, the one at `first`, and the one at `last`. */
export const WS_ENTRY: i32 = 16;
export const WS_OLD: i32 = 20;
export const WS_END_SLOT: i32 = 24;
/** Slots replaced after NULL extension, the leaf's new end, remnant / empties flags. */
export const WS_LO: i32 = 28;
export const WS_HI: i32 = 32;
export const WS_NEW_END: i32 = 36;
export const WS_FLAGS: i32 = 40;
/** Spanning store: merged leaf rows in BIG_A, the leaf holding last + 1 and its slot. */
export const WS_ROWS: i32 = 44;
export const WS_RIGHT: i32 = 48;
export const WS_RIGHT_OFF: i32 = 52;
export const WS_FIRST: i32 = 56;
export const WS_LAST: i32 = 64;
export const WS_LEAF_MIN: i32 = 72;
export const WS_LEAF_MAX: i32 = 80;
/** Where the range holding `first` starts (kernel r_min) and the last pivot the write reaches (end_piv). */
export const WS_R_MIN: i32 = 88;
export const WS_END_PIVOT: i32 = 96;
/** The entry's range after NULL extension. */
export const WS_MID_MIN: i32 = 104;
export const WS_MID_MAX: i32 = 112;
const WR_BYTES: i32 = 120;

export const PAGE: i32 = WR + WR_BYTES;
export const PAGE_BYTES: i32 = (PAGE_ROWS * PAGE_ROW_WORDS) << 3;

export const BITMAP: i32 = PAGE + PAGE_BYTES;
export const BITMAP_BYTES: i32 = 2 << 20;
export const POOL_START: i32 = BITMAP + BITMAP_BYTES;

/** The top of a number tree's key space (its ULONG_MAX): 2^53 - 1, the last exact f64 integer. */
export const KEY_MAX: u64 = 9007199254740991;
/** The top of a TREE_KEYS64 tree's key space: the kernel's ULONG_MAX, 2^64 - 1. */
export const KEY_MAX_64: u64 = <u64>0xffffffffffffffff;
