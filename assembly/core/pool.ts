/**
 * The node pool: 256-byte nodes carved from linear memory above the scratch areas, geometric
 * growth, and reservation by count. A write first asks for the worst-case number of nodes its
 * store type can need (poolEnsure), so once it starts mutating it can never run out half-way.
 *
 * Free nodes are tracked in a bitmap and the lowest free address is always taken first, so
 * a tree built after others were freed lies in address order again (iteration over an
 * address-ordered pool is several times faster than over a recycled LIFO free list).
 */

import { NODE_SIZE, NODE_SHIFT, HEIGHT_MAX, MEMORY_MAX_PAGES } from "../shared/layout";
import { ld32, st32, memZero, memPages, memGrow, memFitsBelow, memAbort, ctz32 } from "./mem";
import { BASE, BITMAP, BITMAP_BYTES, G_BUMP, G_LIMIT, G_HINT, G_FREE_COUNT, G_RESERVED, G_LIVE, G_READY, G_MEM_CAP, G_FAULT_NODES, G_FAULT_GROW, G_GROW_GEN, POOL_START } from "./scratch";

/** Nodes per 64 KiB page, as a shift. Pool sizes are kept in nodes and pages: bytes reach 2^32. */
const PAGE_NODES_SHIFT: i32 = 16 - NODE_SHIFT;
/** Nodes the first memory holds at least. */
const INITIAL_NODES: i32 = 64;
/** The address of pool node `index` (an i32 that reads negative from 2 GiB up, as every pointer). */
// @ts-ignore: decorator
@inline function poolNodeAt(index: i32): i32 { return (POOL_START + (index << NODE_SHIFT)) | 0; }

/** Pool nodes that fit below the end of `pages` pages of memory. */
function poolNodesBelow(pages: i32): i32 {
  return (pages << PAGE_NODES_SHIFT) - ((POOL_START + NODE_SIZE - 1) >> NODE_SHIFT);
}

/** Pages of memory that hold `nodes` pool nodes. */
function poolPagesFor(nodes: i32): i32 {
  const total = nodes + ((POOL_START + NODE_SIZE - 1) >> NODE_SHIFT);
  return (total + (1 << PAGE_NODES_SHIFT) - 1) >> PAGE_NODES_SHIFT;
}

/**
 * Sets up the pool globals once per memory. G_BUMP and G_LIMIT count nodes from POOL_START
 * (carved so far, and the most the memory holds), so they stay small at 4 GiB.
 */
export function poolInit(): void {
  if (ld32(G_READY) != 0) return;
  if (!memFitsBelow(BASE)) memAbort(); // a build with static data above BASE is broken
  const pages = poolPagesFor(INITIAL_NODES);
  if (memPages() < pages) memGrow(pages - memPages());
  st32(G_BUMP, 0);
  poolSetLimit();
  st32(G_HINT, 0);
  st32(G_FREE_COUNT, 0);
  st32(G_RESERVED, 0);
  st32(G_LIVE, 0);
  st32(G_READY, 1);
}

/** Nodes obtainable without growing memory. */
function poolAvailable(): i32 {
  return ld32(G_FREE_COUNT) + ld32(G_LIMIT) - ld32(G_BUMP);
}

/** The most pages of memory the pool may use: MEMORY_MAX_PAGES, or the lower cap set by poolSetMemoryCap. */
function poolCapPages(): i32 {
  const pages = ld32(G_MEM_CAP);
  return pages > 0 && pages < MEMORY_MAX_PAGES ? pages : MEMORY_MAX_PAGES;
}

/** Caps the memory the pool may grow to, in 64 KiB pages (0: MEMORY_MAX_PAGES); memory already used stays. */
export function poolSetMemoryCap(pages: i32): void {
  st32(G_MEM_CAP, pages > 0 ? pages : 0);
}

/**
 * Grows memory so that `missing` more nodes fit: by as much as the memory already is when the
 * cap has room (geometric growth, so the TS backend's copying growth stays rare), and never
 * past the cap. False (nothing changed) when the cap or the host refuses.
 */
function poolGrow(missing: i32): bool {
  if (poolFault(G_FAULT_GROW)) return false;
  const size = memPages();
  const cap = poolCapPages();
  const want = poolPagesFor(ld32(G_LIMIT) + missing) - size;
  if (want > cap - size) return false;
  const room = cap - size;
  const grow = want > size ? want : (size < room ? size : room);
  if (!memGrow(grow) && (grow == want || !memGrow(want))) return false;
  poolSetLimit();
  return true;
}

/**
 * Sets G_LIMIT to the nodes the memory holds, up to the cap, and bumps the grow generation:
 * agents sharing the memory catch up with its size before they touch new pages (memSync).
 */
function poolSetLimit(): void {
  const top = memPages();
  const cap = poolCapPages();
  st32(G_LIMIT, poolNodesBelow(top < cap ? top : cap));
  st32(G_GROW_GEN, ld32(G_GROW_GEN) + 1);
}

/**
 * Takes `bytes` (rounded up to whole nodes) of contiguous memory from the pool for good: a
 * shared memory's lock, agent table, epoch words and agent blocks. 0 when memory cannot grow.
 */
export function poolCarve(bytes: i32): i32 {
  const nodes = (bytes + NODE_SIZE - 1) >> NODE_SHIFT;
  const at = ld32(G_BUMP);
  const short = at + nodes - ld32(G_LIMIT);
  if (short > 0 && !poolGrow(short)) return 0;
  st32(G_BUMP, at + nodes);
  return poolNodeAt(at);
}

/**
 * Nodes the pool keeps back for writes that shrink a tree: the most one store can allocate
 * (3 per level and a root) at the greatest height. Such a write allocates its new nodes before
 * it frees the old ones but ends with no more than it found, so the reserve is whole again
 * after it, and erasing succeeds even when memory is full (24 KiB of 4 GiB).
 */
const SHRINK_RESERVE: i32 = 3 * HEIGHT_MAX + 1;

/**
 * Makes sure `count` more nodes can be allocated on top of every outstanding reservation and
 * of the shrink reserve (which a `shrinking` write may use), growing memory geometrically if
 * needed. False when memory cannot grow (ENOMEM).
 */
export function poolEnsure(count: i32, shrinking: bool = false): bool {
  if (poolFault(G_FAULT_NODES)) return false;
  const held = ld32(G_RESERVED) + (shrinking ? 0 : SHRINK_RESERVE);
  const missing = held + count - poolAvailable();
  if (missing <= 0) return true;
  return poolGrow(missing);
}

/**
 * Test hook: grows memory to `pages` pages and carves every node never handed out but the
 * last `keep` below its end, keeping them, so the next new nodes lie near the top: the limit
 * tests reach 2 GiB and 4 GiB for real without filling (or touching) the memory below.
 * False, nothing carved, when memory cannot grow so far or reservations would lose nodes.
 */
export function poolSkip(pages: i32, keep: i32): bool {
  const size = memPages();
  if (pages > size && (pages > poolCapPages() || !memGrow(pages - size))) return false;
  poolSetLimit();
  const bump = ld32(G_BUMP);
  const target = ld32(G_LIMIT) - keep;
  if (target <= bump) return true;
  st32(G_BUMP, target);
  if (ld32(G_RESERVED) + SHRINK_RESERVE <= poolAvailable()) return true;
  st32(G_BUMP, bump);
  return false;
}

/** Arms fault injection: the k-th node request (kind 0) or memory growth (kind 1) fails; 0 disarms. */
export function poolSetFault(kind: i32, k: i32): void {
  st32(kind == 0 ? G_FAULT_NODES : G_FAULT_GROW, k > 0 ? k : 0);
}

/** Events left before the armed fault of this kind fires (0: fired or off). */
export function poolFaultPending(kind: i32): i32 {
  return ld32(kind == 0 ? G_FAULT_NODES : G_FAULT_GROW);
}

/** Counts one event against an armed fault; true for the one that fails. Off costs one load. */
function poolFault(counter: i32): bool {
  const k = ld32(counter);
  if (k == 0) return false;
  st32(counter, k - 1);
  return k == 1;
}

/** Takes the lowest free node (zeroed); the caller has made sure one is available. */
export function poolAlloc(): i32 {
  let index = 0;
  const free = ld32(G_FREE_COUNT);
  if (free > 0) {
    let at = ld32(G_HINT);
    let word = ld32(BITMAP + (at << 2));
    while (word == 0) {
      at++;
      assert(at < (BITMAP_BYTES >> 2), "free count says a node is free but the bitmap has none");
      word = ld32(BITMAP + (at << 2));
    }
    st32(BITMAP + (at << 2), word & (word - 1));
    st32(G_HINT, at);
    st32(G_FREE_COUNT, free - 1);
    index = (at << 5) + ctz32(word);
  } else {
    index = ld32(G_BUMP);
    // Writes secure their worst case first (poolEnsure); growing here is a last resort.
    if (index >= ld32(G_LIMIT) && !poolGrow(1)) memAbort();
    st32(G_BUMP, index + 1);
  }
  const node = poolNodeAt(index);
  memZero(node, NODE_SIZE);
  st32(G_LIVE, ld32(G_LIVE) + 1);
  return node;
}

/** Marks a node free. Its bytes are left alone (write stamps stay readable). */
export function poolFree(node: i32): void {
  const offset = node - POOL_START; // unsigned from here: below POOL_START it wraps past every node
  const index = offset >>> NODE_SHIFT;
  const at = index >> 5;
  assert(index < ld32(G_BUMP) && (offset & (NODE_SIZE - 1)) == 0, "freeing an address that is not a pool node");
  assert((ld32(BITMAP + (at << 2)) & (1 << (index & 31))) == 0, "double free of a pool node");
  st32(BITMAP + (at << 2), ld32(BITMAP + (at << 2)) | (1 << (index & 31)));
  if (at < ld32(G_HINT)) st32(G_HINT, at);
  st32(G_FREE_COUNT, ld32(G_FREE_COUNT) + 1);
  st32(G_LIVE, ld32(G_LIVE) - 1);
}

export function poolReserve(count: i32): void {
  assert(count >= 0, "negative reservation");
  st32(G_RESERVED, ld32(G_RESERVED) + count);
}

export function poolUnreserve(count: i32): void {
  assert(count <= ld32(G_RESERVED), "unreserving more nodes than the pool has reserved");
  st32(G_RESERVED, ld32(G_RESERVED) - count);
}

export function poolLive(): i32 { return ld32(G_LIVE); }
