/**
 * Batched point lookups (loadMany). One lookup is bound by memory latency: each level's node
 * is a cache miss the next level waits for. A group of independent lookups walked level by
 * level — every lookup of the group takes one step before any takes the next — issues the
 * group's misses together, so they overlap instead of queueing.
 */

import { ld32, st32, stKeyF64, ldKeyF64, stHandleF64 } from "./mem";
import { nodeType, nodeEnd, nodeSlot, nodeFind } from "./node";
import { treeRoot, treeHeight, treeIsRcu } from "./tree";
import { rcuLoadMany } from "./rcuRead";
import { PAGE, RPATH, P_NODE } from "./scratch";

/** Lookups walked together: enough misses in flight to cover the latency, few enough to stay in registers' reach. */
export const MANY_GROUP: i32 = 16;


// @ts-ignore: decorator
@inline function manyKey(at: i32): u64 { return ldKeyF64(PAGE + (at << 3)); }

/**
 * Replaces the first `count` keys in the page (f64 each) with the handles of the ranges
 * holding them, as treeLoad would return them.
 */
export function treeLoadMany(tree: i32, count: i32): void {
  if (treeIsRcu(tree)) {
    rcuLoadMany(tree, count);
    return;
  }
  // The group's current nodes, one i32 each (the right path's node array is free between stores).
  const GROUP_NODES = RPATH + P_NODE;
  const root = treeRoot(tree);
  const height = treeHeight(tree);
  for (let start = 0; start < count; start += MANY_GROUP) {
    const size = count - start < MANY_GROUP ? count - start : MANY_GROUP;
    if (root == 0) {
      for (let k = 0; k < size; k++) stKeyF64(PAGE + ((start + k) << 3), 0);
      continue;
    }
    for (let k = 0; k < size; k++) st32(GROUP_NODES + (k << 2), root);
    for (let level = 0; level < height; level++) {
      for (let k = 0; k < size; k++) {
        const node = ld32(GROUP_NODES + (k << 2));
        const slot = nodeSlot(node, nodeType(node), nodeFind(node, nodeEnd(node), manyKey(start + k)));
        st32(GROUP_NODES + (k << 2), slot);
      }
    }
    for (let k = 0; k < size; k++) stHandleF64(PAGE + ((start + k) << 3), ld32(GROUP_NODES + (k << 2)));
  }
}
