/**
 * The node pool: 256-byte nodes carved from linear memory above the scratch areas, geometric
 * growth, and reservation by count. A write first asks for the worst-case number of nodes its
 * store type can need (poolEnsure), so once it starts mutating it can never run out half-way.
 *
 * Free nodes are tracked in a bitmap and the lowest free address is always taken first, so
 * a tree built after others were freed lies in address order again (iteration over an
 * address-ordered pool is several times faster than over a recycled LIFO free list).
 */

import { NODE_SIZE, NODE_SHIFT, MEMORY_MAX_BYTES } from "../shared/layout";
import { ld32, st32, memZero, memBytes, memGrow, memFitsBelow, memAbort, ctz32 } from "./mem";
import { BASE, BITMAP, BITMAP_BYTES, G_BUMP, G_LIMIT, G_HINT, G_FREE_COUNT, G_RESERVED, G_LIVE, G_READY, G_MEM_CAP, G_FAULT_NODES, G_FAULT_GROW, G_GROW_GEN, POOL_START } from "./scratch";

/** Bytes per WebAssembly page (the cap is set in pages). */
const PAGE_BYTES: u64 = 65536;

/** Sets up the pool globals once per memory. */
export function poolInit(): void {
  if (ld32(G_READY) != 0) return;
  if (!memFitsBelow(BASE)) memAbort(); // a build with static data above BASE is broken
  if (memBytes() < POOL_START + NODE_SIZE * 64) memGrow(<u64>(POOL_START + NODE_SIZE * 64 - memBytes()));
  st32(G_BUMP, POOL_START);
  st32(G_LIMIT, memBytes());
  st32(G_HINT, 0);
  st32(G_FREE_COUNT, 0);
  st32(G_RESERVED, 0);
  st32(G_LIVE, 0);
  st32(G_READY, 1);
}

/** Nodes obtainable without growing memory. */
function poolAvailable(): i32 {
  return ld32(G_FREE_COUNT) + ((ld32(G_LIMIT) - ld32(G_BUMP)) >> NODE_SHIFT);
}

/** The most bytes of memory the pool may use: MEMORY_MAX_BYTES, or the lower cap set by poolSetMemoryCap. */
function poolCapBytes(): u64 {
  const pages = ld32(G_MEM_CAP);
  const max = <u64>MEMORY_MAX_BYTES;
  const cap = <u64>pages * PAGE_BYTES;
  return pages > 0 && cap < max ? cap : max;
}

/** Caps the memory the pool may grow to, in 64 KiB pages (0: MEMORY_MAX_BYTES); memory already used stays. */
export function poolSetMemoryCap(pages: i32): void {
  st32(G_MEM_CAP, pages > 0 ? pages : 0);
}

/**
 * Grows memory so that `want` more bytes are usable, by as much as the memory already is
 * when the cap allows (geometric growth), and never past the cap. False (nothing changed)
 * when the cap or the host refuses. Sizes are u64: they pass 2^31 near the limit.
 */
function poolGrow(want: u64): bool {
  if (poolFault(G_FAULT_GROW)) return false;
  const size = <u64>memBytes();
  const cap = poolCapBytes();
  if (size + want > cap) return false;
  const room = cap - size;
  const grow = size < room ? (want > size ? want : size) : want;
  if (!memGrow(grow) && (grow == want || !memGrow(want))) return false;
  const top = <u64>memBytes();
  st32(G_LIMIT, <i32>(top < cap ? top : cap));
  st32(G_GROW_GEN, ld32(G_GROW_GEN) + 1);
  return true;
}

/**
 * Takes `bytes` (rounded up to whole nodes) of contiguous memory above the pool's nodes, for
 * good: a shared memory's lock, agent table, epoch words and agent blocks. 0 when memory
 * cannot grow.
 */
export function poolCarve(bytes: i32): i32 {
  const size = (bytes + NODE_SIZE - 1) & ~(NODE_SIZE - 1);
  const at = ld32(G_BUMP);
  const short = at + size - ld32(G_LIMIT);
  if (short > 0 && !poolGrow(<u64>short)) return 0;
  st32(G_BUMP, at + size);
  return at;
}

/**
 * Makes sure `count` more nodes can be allocated on top of every outstanding reservation,
 * growing memory geometrically if needed. False when memory cannot grow (ENOMEM).
 */
export function poolEnsure(count: i32): bool {
  if (poolFault(G_FAULT_NODES)) return false;
  const missing = ld32(G_RESERVED) + count - poolAvailable();
  if (missing <= 0) return true;
  return poolGrow(<u64>missing * <u64>NODE_SIZE);
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
  let node = 0;
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
    node = POOL_START + (((at << 5) + ctz32(word)) << NODE_SHIFT);
  } else {
    node = ld32(G_BUMP);
    // Writes secure their worst case first (poolEnsure); growing here is a last resort.
    if (node + NODE_SIZE > ld32(G_LIMIT) && !poolGrow(<u64>NODE_SIZE)) memAbort();
    st32(G_BUMP, node + NODE_SIZE);
  }
  memZero(node, NODE_SIZE);
  st32(G_LIVE, ld32(G_LIVE) + 1);
  return node;
}

/** Marks a node free. Its bytes are left alone (write stamps stay readable). */
export function poolFree(node: i32): void {
  const index = (node - POOL_START) >> NODE_SHIFT;
  const at = index >> 5;
  assert(node >= POOL_START && node < ld32(G_BUMP) && (node & (NODE_SIZE - 1)) == (POOL_START & (NODE_SIZE - 1)), "freeing an address that is not a pool node");
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
