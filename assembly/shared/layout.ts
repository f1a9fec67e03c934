/**
 * Layout constants and status codes shared by the AssemblyScript core, the generated
 * pure-TypeScript core and the TypeScript facade. This one file is compiled by both `asc`
 * and `tsc` (scripts/gen-ts-core.mjs copies it into src/core/), so the backends cannot drift.
 * Plain `const`s, not `const enum`s: enums do not survive isolatedModules bundlers.
 */

// Node geometry: 256-byte nodes laid out like the kernel's 64-bit maple nodes.
//
//  range/leaf node (16 slots, 15 pivots)      arange node (10 slots, 9 pivots, 10 gaps)
//  ┌──────────┬──────────────┬────────────┐   ┌────────┬───────────┬───────────┬───────────┬──────┐
//  │ header 8 │ pivot[15] u64│ slot[16]   │   │ hdr 8  │ pivot[9]  │ slot[10]  │ gap[10]   │ 16   │
//  └──────────┴──────────────┴────────────┘   └────────┴───────────┴───────────┴───────────┴──────┘
//  0          8              128        256   0        8           80          160         240  256
//  header: parent u32 · parent slot u8 · type u8 · end u8 · gap offset u8
//  slot: 8 bytes, low u32 used (an entry handle in leaves, a child node in internal nodes)
//  stamp: the u32 at byte 252 (slot 15's unused high word; in arange nodes the spare 16
//         bytes) holds the id of the last write that consumed or rewrote the node (OFF_STAMP)
//
//  tree header (a pool node of type NODE_TREE), i32 fields unless noted:
//  ┌────────┬──────┬────────┬───────┬───────┬──────────┬───────────┬────────────┬───────────┬─────────────┬─────────────┐
//  │ hdr 8  │ root │ height │ flags │ nodes │ reserved │ max nodes │ generation │ cache     │ cache gen   │ cache min,  │
//  │        │      │        │       │       │          │           │            │ leaf      │             │ max (u64)   │
//  └────────┴──────┴────────┴───────┴───────┴──────────┴───────────┴────────────┴───────────┴─────────────┴─────────────┘
//  0        8      12       16      20      24         28          32           36          40            48     56   64
//  The cache (TREE_CACHE_*) is the leaf the last walk ended in; it and the core's path cache
//  (G_PATH_TREE / G_PATH_GEN in core/scratch.ts) are valid while the generation is unchanged.
export const NODE_SIZE = 256;
export const NODE_SHIFT = 8;
export const RANGE_SLOTS = 16;
export const RANGE_PIVOTS = 15;
export const ARANGE_SLOTS = 10;
export const ARANGE_PIVOTS = 9;
/** Occupancy floor, compared with the 0-based end (kernel mt_min_slots). */
export const RANGE_MIN_END = 6;
export const ARANGE_MIN_END = 4;
export const HEIGHT_MAX = 31;

export const OFF_PARENT = 0;
export const OFF_PARENT_SLOT = 4;
export const OFF_TYPE = 5;
export const OFF_END = 6;
export const OFF_GAP_OFFSET = 7;
export const OFF_PIVOTS = 8;
export const OFF_RANGE_SLOTS = 128;
export const OFF_ARANGE_SLOTS = 80;
export const OFF_ARANGE_GAPS = 160;
export const OFF_STAMP = 252;

/** Node types (kernel enum maple_type; dense nodes are never created). */
export const NODE_LEAF = 1;
export const NODE_RANGE = 2;
export const NODE_ARANGE = 3;
/** Pool bookkeeping: a node that holds a tree header instead of tree data. */
export const NODE_TREE = 7;

/** Tree header (a pool node of type NODE_TREE): byte offsets of its i32 fields. */
export const TREE_ROOT = 8;
export const TREE_HEIGHT = 12;
export const TREE_FLAGS = 16;
export const TREE_NODES = 20;
export const TREE_RESERVED = 24;
export const TREE_MAX_NODES = 28;
/** Bumped by every change; the facade reads it straight from memory to revalidate pages. */
export const TREE_GENERATION = 32;
/** The leaf the last walk ended in (valid while the generation is unchanged): leaf, gen, min, max. */
export const TREE_CACHE_LEAF = 36;
export const TREE_CACHE_GEN = 40;
export const TREE_CACHE_MIN = 48;
export const TREE_CACHE_MAX = 56;
/** The tree's last index (u64, set at creation): 2^53 - 1, or 2^64 - 1 for TREE_KEYS64 trees. */
export const TREE_KEY_MAX = 72;

/** Tree flags (kernel MT_FLAGS_*). */
export const TREE_ALLOC_RANGE = 0x01;
/** RCU mode: readers in other agents run without the lock (assembly/core/rcu.ts). */
export const TREE_RCU = 0x02;
export const TREE_ALLOC_WRAPPED = 0x800;
/**
 * Not a kernel flag: the tree spans the whole u64 key space (bigint keys). Its keys cross the
 * ABI through the *64 entry points, and result registers and pages hold them as u64 words.
 */
export const TREE_KEYS64 = 0x1000;

/** Entry handles with a fixed meaning. */
export const ENTRY_NULL = 0;
export const ENTRY_ZERO = 1;

/** Status codes: negative errno values, as the kernel returns them. */
export const OK = 0;
export const ENOMEM = -12;
export const EBUSY = -16;
export const EEXIST = -17;
export const EINVAL = -22;
export const EDEADLK = -35;
export const ENOLCK = -37;

/** Store types, in the order of the kernel's enum store_type. */
export const WR_INVALID = 0;
export const WR_NEW_ROOT = 1;
export const WR_STORE_ROOT = 2;
export const WR_EXACT_FIT = 3;
export const WR_SPANNING_STORE = 4;
export const WR_SPLIT_STORE = 5;
export const WR_REBALANCE = 6;
export const WR_APPEND = 7;
export const WR_NODE_STORE = 8;
export const WR_SLOT_STORE = 9;
/** Returned by an insert of NULL or a NULL store that changed nothing. */
export const WR_NOTHING = 10;

/** Store modes. */
export const MODE_OVERWRITE = 0;
export const MODE_INSERT = 1;

/** Result registers (f64 each, u64 during a *64 call) written by walk, store and the gap search. */
export const RES_FIRST = 0;
export const RES_LAST = 1;
/** emptyArea: the whole NULL range the fit was found in. */
export const RES_GAP_FIRST = 3;
export const RES_GAP_LAST = 4;
/** validate(): the node and slot of the first violation. */
export const RES_BAD_NODE = 0;
export const RES_BAD_SLOT = 1;
export const RES_COUNT = 8;

/** Rows per iteration page, PAGE_ROW_WORDS f64 each: [first, last, handle]. */
export const PAGE_ROWS = 256;
export const PAGE_ROW_WORDS = 3;
/** Word offsets inside one page row. */
export const ROW_FIRST = 0;
export const ROW_LAST = 1;
export const ROW_HANDLE = 2;

/**
 * nodeRead() writes one node to the page as f64 words: type, end, gap offset, then
 * NODE_READ_WIDTH pivots, slots and gaps (unused ones read 0).
 */
export const NODE_READ_TYPE = 0;
export const NODE_READ_END = 1;
export const NODE_READ_GAP_OFFSET = 2;
export const NODE_READ_WIDTH = 16;
export const NODE_READ_PIVOTS = 3;
export const NODE_READ_SLOTS = NODE_READ_PIVOTS + NODE_READ_WIDTH;
export const NODE_READ_GAPS = NODE_READ_SLOTS + NODE_READ_WIDTH;

/** validate() codes: the first invariant a tree breaks (OK when none). */
export const V_PIVOTS = 1;
export const V_LAST_PIVOT = 2;
export const V_PARENT = 3;
export const V_DEPTH = 4;
export const V_NULLS = 5;
export const V_OCCUPANCY = 7;
export const V_GAP = 8;
export const V_STALE = 9;
export const V_COUNT = 10;
export const V_TYPE = 11;
export const V_ROOT = 12;

/** WebAssembly's page: memory grows, and is capped, in whole pages on both backends. */
export const MEMORY_PAGE_BYTES = 65536;
/**
 * Largest memory either backend's node pool grows to: 65,536 pages, the 4 GiB a 32-bit
 * WebAssembly memory can address (Node's V8 also allows a 4 GiB ArrayBuffer, so the TS
 * backend refuses at the same size). Past it a write throws ENOMEM and changes nothing.
 */
export const MEMORY_MAX_PAGES = 65536;
export const MEMORY_MAX_BYTES = 4294967296;
