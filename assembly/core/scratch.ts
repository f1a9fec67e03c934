/**
 * Fixed areas at the bottom of the core's memory, from BASE = 64 KiB up. Everything the core
 * keeps between calls lives here or in pool nodes, so the state is a plain region of linear
 * memory. Two kinds of area:
 *
 *  GLOBALS   one per memory (a shared tree's memory is used by several agents at once): the
 *            pool, the write stamp and the RCU retire list, one i32 each (G_*), at fixed addresses
 *  AGENT     one per agent (the default one sits here; a shared memory carves one per agent
 *            slot from its pool, see scratchUse): the per-call globals (A_*), then
 *    RES       result registers, RES_COUNT × f64
 *    LPATH     left path:  node[PATH_DEPTH] i32 · offset[..] i32 · min[..] u64 · max[..] u64
 *    RPATH     right path: same layout
 *    BIG_A     big-node buffer: pivot[BIG_CAP] u64 · slot[BIG_CAP] i32 · gap[BIG_CAP] u64
 *    BIG_B     the second big-node buffer (a level's parents are built while its pieces are read)
 *    PIECES    end rows of the pieces of one level, and the push-to-sibling cut
 *    RELEASES  released entry handles, RELEASE_CAP × i32
 *    WR        the write state of the running store (the kernel's ma_wr_state; WS_* fields)
 *    PAGE      iteration page: PAGE_ROWS × PAGE_ROW_WORDS f64 (also node reads for dump())
 *  BITMAP    free-node bitmap: one bit per pool node (4 GiB of nodes)
 *  POOL_START  the first pool node
 *
 * The agent addresses are globals (per WebAssembly instance, per module in the TS core), not
 * constants: readers in two agents must not share result registers, pages or paths.
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
/** The id of the running write (see treeNewStamp and the node stamp word); one per memory, as writes are. */
export const G_STAMP: i32 = GLOBALS + 28;
/** A cap on the pool's memory in 64 KiB pages, below MEMORY_MAX_PAGES (0: none; see poolSetMemoryCap). */
export const G_MEM_CAP: i32 = GLOBALS + 32;
/**
 * Fault injection for tests: when non-zero, the k-th node request (poolEnsure) or the k-th
 * memory growth from now fails as if memory were exhausted; each counts down to 0 (off).
 */
export const G_FAULT_NODES: i32 = GLOBALS + 36;
export const G_FAULT_GROW: i32 = GLOBALS + 40;
/**
 * RCU trees (rcu.ts): the retire list — nodes unlinked from a tree and waiting for a grace
 * period, oldest first, linked through a spare word of each node — and its length; the
 * nodes the running write unlinked (published together when it ends); the address of the
 * epoch words (src/shared/epoch.ts layout; 0: none, every retired node is tagged 0); and
 * the debug switch that poisons reclaimed nodes.
 */
export const G_RETIRE_HEAD: i32 = GLOBALS + 44;
export const G_RETIRE_TAIL: i32 = GLOBALS + 48;
export const G_RETIRED: i32 = GLOBALS + 52;
export const G_UNLINKED: i32 = GLOBALS + 56;
export const G_EPOCH_WORDS: i32 = GLOBALS + 60;
export const G_POISON: i32 = GLOBALS + 64;
/** Bumped whenever the pool's memory grows: agents that keep views over the memory compare it. */
export const G_GROW_GEN: i32 = GLOBALS + 68;
const GLOBALS_BYTES: i32 = 72;

// Byte offsets inside an agent block: its i32 globals first (A_*), then the areas.
/**
 * The tree (and its generation) the left path still describes after an in-place write, so
 * the next write landing in the same leaf (appends, ascending erases) can skip the descent.
 */
const A_PATH_TREE: i32 = 0;
const A_PATH_GEN: i32 = 4;
/** Entry handles queued in RELEASES. */
const A_RELEASED: i32 = 8;
/**
 * Reserved nodes the running write may take (treeNodeAlloc): set by the host for a write
 * made on behalf of a reservation's owner, 0 for every other write, so those cannot touch
 * what others reserved.
 */
const A_DRAW: i32 = 12;
/**
 * Set while a write that adds no range runs over the node cap (see treeStore): the level
 * loop then cuts a run in two wherever two nodes hold it, so the write never ends with more
 * nodes than it found.
 */
const A_NO_GROW: i32 = 16;
/** validate(): the NULL-ness of the previous leaf slot, and the nodes counted. */
const A_PREV_NULL: i32 = 20;
const A_SEEN: i32 = 24;
/** RCU readers: restarts from the root after meeting a dead node (a counter for tests and the demo). */
const A_REWALKS: i32 = 28;
/** Test hooks (rcu.ts): countdowns to the writer step and the reader step that call the host. */
const A_STEP_HOOK: i32 = 32;
const A_READ_HOOK: i32 = 36;
/** RCU readers: the bounds of the leaf the last descent ended in (u64 each). */
const A_LEAF_MIN: i32 = 40;
const A_LEAF_MAX: i32 = 48;
const A_GLOBALS_BYTES: i32 = 56;

const A_RES: i32 = A_GLOBALS_BYTES;
const RES_BYTES: i32 = RES_COUNT << 3;

/** Entries per path array: one per level, HEIGHT_MAX levels and a spare. */
export const PATH_DEPTH: i32 = 32;
export const P_NODE: i32 = 0;
export const P_OFF: i32 = P_NODE + (PATH_DEPTH << 2);
export const P_MIN: i32 = P_OFF + (PATH_DEPTH << 2);
export const P_MAX: i32 = P_MIN + (PATH_DEPTH << 3);
export const PATH_BYTES: i32 = P_MAX + (PATH_DEPTH << 3);
const A_LPATH: i32 = A_RES + RES_BYTES;
const A_RPATH: i32 = A_LPATH + PATH_BYTES;

/** Rows per big-node buffer: a spanning store's two leaves plus a pulled neighbour fit with room. */
export const BIG_CAP: i32 = 64;
export const BIG_SLOT: i32 = BIG_CAP << 3;
export const BIG_GAP: i32 = BIG_SLOT + (BIG_CAP << 2);
const BIG_BYTES: i32 = BIG_GAP + (BIG_CAP << 3);
const A_BIG_A: i32 = A_RPATH + PATH_BYTES;
const A_BIG_B: i32 = A_BIG_A + BIG_BYTES;

/** A level is cut into at most four pieces (kernel: mid_split gives three, a push one more). */
export const PIECE_CAP: i32 = 4;
const A_PIECES: i32 = A_BIG_B + BIG_BYTES;
/** After the piece ends: the left-piece size a push to a sibling asks for. */
const A_PUSH_CUT: i32 = A_PIECES + (PIECE_CAP << 2);
const PIECES_BYTES: i32 = (PIECE_CAP + 2) << 2; // piece ends, the push cut, padding to 8 bytes

/** Entry handles released by the running call, drained by the host after it (or when full). */
export const RELEASE_CAP: i32 = 512;
const A_RELEASES: i32 = A_PIECES + PIECES_BYTES;
const RELEASES_BYTES: i32 = RELEASE_CAP << 2;

/** The write state: i32 fields, then u64 fields (byte offsets from WR). */
const A_WR: i32 = A_RELEASES + RELEASES_BYTES;
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

const A_PAGE: i32 = A_WR + WR_BYTES;
export const PAGE_BYTES: i32 = (PAGE_ROWS * PAGE_ROW_WORDS) << 3;
/** Bytes of one agent block (a multiple of 8, so every block keeps the areas' alignment). */
export const AGENT_BYTES: i32 = A_PAGE + PAGE_BYTES;

/** The default agent block: the only one of a memory no other agent uses. */
export const AGENT_DEFAULT: i32 = GLOBALS + GLOBALS_BYTES;

export let G_PATH_TREE: i32 = AGENT_DEFAULT + A_PATH_TREE;
export let G_PATH_GEN: i32 = AGENT_DEFAULT + A_PATH_GEN;
export let G_RELEASED: i32 = AGENT_DEFAULT + A_RELEASED;
export let G_DRAW: i32 = AGENT_DEFAULT + A_DRAW;
export let G_NO_GROW: i32 = AGENT_DEFAULT + A_NO_GROW;
export let G_PREV_NULL: i32 = AGENT_DEFAULT + A_PREV_NULL;
export let G_SEEN: i32 = AGENT_DEFAULT + A_SEEN;
export let G_REWALKS: i32 = AGENT_DEFAULT + A_REWALKS;
export let G_STEP_HOOK: i32 = AGENT_DEFAULT + A_STEP_HOOK;
export let G_READ_HOOK: i32 = AGENT_DEFAULT + A_READ_HOOK;
export let G_LEAF_MIN: i32 = AGENT_DEFAULT + A_LEAF_MIN;
export let G_LEAF_MAX: i32 = AGENT_DEFAULT + A_LEAF_MAX;
export let RES: i32 = AGENT_DEFAULT + A_RES;
export let LPATH: i32 = AGENT_DEFAULT + A_LPATH;
export let RPATH: i32 = AGENT_DEFAULT + A_RPATH;
export let BIG_A: i32 = AGENT_DEFAULT + A_BIG_A;
export let BIG_B: i32 = AGENT_DEFAULT + A_BIG_B;
export let PIECES: i32 = AGENT_DEFAULT + A_PIECES;
export let PUSH_CUT: i32 = AGENT_DEFAULT + A_PUSH_CUT;
export let RELEASES: i32 = AGENT_DEFAULT + A_RELEASES;
export let WR: i32 = AGENT_DEFAULT + A_WR;
export let PAGE: i32 = AGENT_DEFAULT + A_PAGE;

/**
 * Points this instance's per-agent areas at the agent block at `base` (AGENT_BYTES, 8-byte
 * aligned). Each agent of a shared memory calls it once with the block of its slot.
 */
export function scratchUse(base: i32): void {
  G_PATH_TREE = base + A_PATH_TREE;
  G_PATH_GEN = base + A_PATH_GEN;
  G_RELEASED = base + A_RELEASED;
  G_DRAW = base + A_DRAW;
  G_NO_GROW = base + A_NO_GROW;
  G_PREV_NULL = base + A_PREV_NULL;
  G_SEEN = base + A_SEEN;
  G_REWALKS = base + A_REWALKS;
  G_STEP_HOOK = base + A_STEP_HOOK;
  G_READ_HOOK = base + A_READ_HOOK;
  G_LEAF_MIN = base + A_LEAF_MIN;
  G_LEAF_MAX = base + A_LEAF_MAX;
  RES = base + A_RES;
  LPATH = base + A_LPATH;
  RPATH = base + A_RPATH;
  BIG_A = base + A_BIG_A;
  BIG_B = base + A_BIG_B;
  PIECES = base + A_PIECES;
  PUSH_CUT = base + A_PUSH_CUT;
  RELEASES = base + A_RELEASES;
  WR = base + A_WR;
  PAGE = base + A_PAGE;
}

export const BITMAP: i32 = AGENT_DEFAULT + AGENT_BYTES;
export const BITMAP_BYTES: i32 = 2 << 20;
export const POOL_START: i32 = BITMAP + BITMAP_BYTES;

/** The top of the key space (the kernel's ULONG_MAX): 2^53 - 1. */
export const KEY_MAX: u64 = 9007199254740991;
