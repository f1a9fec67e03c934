/**
 * Fixed areas at the bottom of the core's memory (from BASE = 64 KiB): pool globals, result registers, the two
 * walk paths, two big-node buffers and the iteration page. Everything the core keeps between
 * calls lives here or in pool nodes — nothing in wasm globals — so the state is a plain
 * region of linear memory.
 *
 *  base+0      pool globals (G_*)
 *  base+256    result registers, 8 × f64
 *  base+512    left path:  node[32] i32 · offset[32] i32 · min[32] u64 · max[32] u64
 *  base+1280   right path: same layout
 *  base+2048   big buffer A: pivot[64] u64 · slot[64] i32 · gap[64] u64
 *  base+3328   big buffer B
 *  base+4608   piece table (up to 4 new nodes of a level)
 *  base+5120   released entry handles, 512 × i32
 *  base+8192   iteration page: PAGE_ROWS × [first f64, last f64, handle f64]
 *  base+16384  free-node bitmap, 1 MiB: one bit per pool node (2 GiB of nodes)
 *  base+16384+1 MiB  first pool node
 */

/** Fixed, so every address below is a compile-time constant (the core has no static data). */
export const BASE: i32 = 65536;

export const G_BUMP: i32 = BASE + 0;
export const G_LIMIT: i32 = BASE + 4;
export const G_HINT: i32 = BASE + 8;
export const G_FREE_COUNT: i32 = BASE + 12;
export const G_RESERVED: i32 = BASE + 16;
export const G_LIVE: i32 = BASE + 20;
export const G_READY: i32 = BASE + 28;
export const G_STAMP: i32 = BASE + 32;
/** validate(): the NULL-ness of the previous leaf slot, and the nodes counted. */
export const G_PREV_NULL: i32 = BASE + 36;
export const G_SEEN: i32 = BASE + 40;
/**
 * The tree (and its generation) the left path still describes after an in-place write, so
 * the next write landing in the same leaf (appends, ascending erases) can skip the descent.
 */
export const G_PATH_TREE: i32 = BASE + 44;
export const G_PATH_GEN: i32 = BASE + 48;

export const RES: i32 = BASE + 256;

export const LPATH: i32 = BASE + 512;
export const RPATH: i32 = BASE + 1280;
export const P_NODE: i32 = 0;
export const P_OFF: i32 = 128;
export const P_MIN: i32 = 256;
export const P_MAX: i32 = 512;
export const PATH_BYTES: i32 = 768;

export const BIG_A: i32 = BASE + 2048;
export const BIG_B: i32 = BASE + 3328;
export const BIG_CAP: i32 = 64;
export const BIG_SLOT: i32 = 512;
export const BIG_GAP: i32 = 768;

export const PIECES: i32 = BASE + 4608;
/** Entry handles released by the running call, drained by the host after it (or when full). */
export const RELEASES: i32 = BASE + 5120;
export const RELEASE_CAP: i32 = 512;
export const G_RELEASED: i32 = BASE + 52;

export const PAGE: i32 = BASE + 8192;
export const BITMAP: i32 = BASE + 16384;
export const BITMAP_BYTES: i32 = 1 << 20;
export const POOL_START: i32 = BITMAP + BITMAP_BYTES;

/** The top of the key space (the kernel's ULONG_MAX): 2^53 - 1. */
export const KEY_MAX: u64 = 9007199254740991;
