/**
 * The node pool: 256-byte nodes carved from linear memory above the scratch areas, a free
 * list threaded through the first word of free nodes, geometric growth, and reservation by
 * count. A write first asks for the worst-case number of nodes its store type can need
 * (poolEnsure), so once it starts mutating it can never run out half-way.
 */

import { NODE_SIZE, NODE_SHIFT } from "../shared/layout";
import { ld32, st32, memZero, memBytes, memGrow } from "./mem";
import { G_BUMP, G_LIMIT, G_FREE_HEAD, G_FREE_COUNT, G_RESERVED, G_LIVE, G_GROWS, G_READY, POOL_START } from "./scratch";

/** Sets up the pool globals once per memory. */
export function poolInit(): void {
  if (ld32(G_READY) != 0) return;
  if (memBytes() < POOL_START + NODE_SIZE * 64) memGrow(POOL_START + NODE_SIZE * 64 - memBytes());
  st32(G_BUMP, POOL_START);
  st32(G_LIMIT, memBytes());
  st32(G_FREE_HEAD, 0);
  st32(G_FREE_COUNT, 0);
  st32(G_RESERVED, 0);
  st32(G_LIVE, 0);
  st32(G_GROWS, 0);
  st32(G_READY, 1);
}

/** Nodes obtainable without growing memory. */
function poolAvailable(): i32 {
  return ld32(G_FREE_COUNT) + ((ld32(G_LIMIT) - ld32(G_BUMP)) >> NODE_SHIFT);
}

/**
 * Makes sure `count` more nodes can be allocated on top of every outstanding reservation,
 * growing memory geometrically if needed. False when memory cannot grow (ENOMEM).
 */
export function poolEnsure(count: i32): bool {
  const missing = ld32(G_RESERVED) + count - poolAvailable();
  if (missing <= 0) return true;
  const want = missing << NODE_SHIFT;
  const size = memBytes();
  const grow = want > size ? want : size;
  if (size + grow > 0x7fff0000 || !memGrow(grow)) {
    if (!memGrow(want)) return false;
  }
  st32(G_LIMIT, memBytes());
  st32(G_GROWS, ld32(G_GROWS) + 1);
  return true;
}

/** Takes a zeroed node; the caller has made sure one is available. */
export function poolAlloc(): i32 {
  let node = ld32(G_FREE_HEAD);
  if (node != 0) {
    st32(G_FREE_HEAD, ld32(node));
    st32(G_FREE_COUNT, ld32(G_FREE_COUNT) - 1);
  } else {
    node = ld32(G_BUMP);
    st32(G_BUMP, node + NODE_SIZE);
  }
  memZero(node, NODE_SIZE);
  st32(G_LIVE, ld32(G_LIVE) + 1);
  return node;
}

/** Returns a node to the free list. Only the first word is overwritten. */
export function poolFree(node: i32): void {
  st32(node, ld32(G_FREE_HEAD));
  st32(G_FREE_HEAD, node);
  st32(G_FREE_COUNT, ld32(G_FREE_COUNT) + 1);
  st32(G_LIVE, ld32(G_LIVE) - 1);
}

export function poolReserve(count: i32): void {
  st32(G_RESERVED, ld32(G_RESERVED) + count);
}

export function poolUnreserve(count: i32): void {
  st32(G_RESERVED, ld32(G_RESERVED) - count);
}

export function poolLive(): i32 { return ld32(G_LIVE); }
export function poolGrows(): i32 { return ld32(G_GROWS); }
