/**
 * validate() and the node reader behind dump(). validate checks every invariant the kernel's
 * mt_validate checks: pivots ascending inside the node's range, the last pivot of a non-full
 * node equal to its max, parent pointers and slots, all leaves at the tree's height, no two
 * NULL ranges in a row (across leaves too: the kernel's mt_validate_nulls), minimum occupancy
 * below the root, stored gaps, cleared slots past the end, and the node count. A leaf other
 * than the rightmost may end in NULL (a write that adds no range over the node budget leaves
 * one so rather than add a leaf); the next one then starts with an entry. It returns a V_*
 * code and leaves the node and slot in RES for the message.
 */

import {
  NODE_LEAF, NODE_ARANGE, NODE_TREE, OK, RES_BAD_NODE, RES_BAD_SLOT, NODE_READ_TYPE, NODE_READ_END, NODE_READ_GAP_OFFSET,
  NODE_READ_WIDTH, NODE_READ_PIVOTS, NODE_READ_SLOTS, NODE_READ_GAPS, V_PIVOTS, V_LAST_PIVOT, V_PARENT, V_NULLS,
  V_OCCUPANCY, V_GAP, V_STALE, V_COUNT, V_TYPE, V_ROOT,
} from "../shared/layout";
import { ld32, st32, stKeyF64, memAddr } from "./mem";
import {
  nodeType, nodeEnd, nodeSlot, nodePivot, nodeGap, nodeGapOffset, nodeParent, nodeParentSlot,
  typeSlots, typePivots, typeMinEnd, slotMin, slotMax, leafMaxGap,
} from "./node";
import { treeRoot, treeHeight, treeNodes, treeInternalType, treeKeyMax } from "./tree";
import { RES, PAGE, G_PREV_NULL, G_SEEN } from "./scratch";

function fail(code: i32, node: i32, slot: i32): i32 {
  stKeyF64(RES + (RES_BAD_NODE << 3), memAddr(node));
  stKeyF64(RES + (RES_BAD_SLOT << 3), <u64>slot);
  return code;
}

/** Largest gap below a node, recomputed from the leaves. */
function nodeTrueGap(node: i32, min: u64, max: u64): u64 {
  const type = nodeType(node);
  if (type == NODE_LEAF) return leafMaxGap(node, min, max);
  const end = nodeEnd(node);
  let best: u64 = 0;
  for (let i = 0; i <= end; i++) {
    const gap = nodeTrueGap(nodeSlot(node, type, i), slotMin(node, i, min), slotMax(node, i, end, max));
    if (gap > best) best = gap;
  }
  return best;
}

function validateNode(tree: i32, node: i32, min: u64, max: u64, depth: i32, height: i32): i32 {
  st32(G_SEEN, ld32(G_SEEN) + 1);
  const type = nodeType(node);
  const leaf = depth == height - 1;
  if (leaf ? type != NODE_LEAF : type != treeInternalType(tree)) return fail(V_TYPE, node, 0);
  const end = nodeEnd(node);
  if (end >= typeSlots(type)) return fail(V_STALE, node, end);
  if (depth > 0 && end < typeMinEnd(type)) return fail(V_OCCUPANCY, node, end);
  if (depth == 0 && !leaf && end == 0) return fail(V_ROOT, node, 0);
  const pivots = typePivots(type);
  let lo = min;
  for (let i = 0; i <= end; i++) {
    const hi = slotMax(node, i, end, max);
    if (hi < lo || hi > max) return fail(V_PIVOTS, node, i);
    lo = hi + 1;
  }
  if (end < pivots && nodePivot(node, end) != max) return fail(V_LAST_PIVOT, node, end);
  for (let i = end + 1; i < typeSlots(type); i++) {
    if (nodeSlot(node, type, i) != 0 || (i < pivots && nodePivot(node, i) != 0)) return fail(V_STALE, node, i);
  }
  for (let i = 0; i <= end; i++) {
    const slot = nodeSlot(node, type, i);
    if (leaf) {
      const isNull = slot == 0;
      if (isNull && ld32(G_PREV_NULL) != 0) return fail(V_NULLS, node, i);
      st32(G_PREV_NULL, isNull ? 1 : 0);
      continue;
    }
    if (slot == 0) return fail(V_PARENT, node, i);
    if (nodeParent(slot) != node || nodeParentSlot(slot) != i) return fail(V_PARENT, slot, i);
    const cmin = slotMin(node, i, min);
    const cmax = slotMax(node, i, end, max);
    if (type == NODE_ARANGE && nodeGap(node, i) != nodeTrueGap(slot, cmin, cmax)) return fail(V_GAP, node, i);
    const code = validateNode(tree, slot, cmin, cmax, depth + 1, height);
    if (code != OK) return code;
  }
  if (type == NODE_ARANGE) {
    let best: u64 = 0;
    for (let i = 0; i <= end; i++) if (nodeGap(node, i) > best) best = nodeGap(node, i);
    if (nodeGapOffset(node) > end || nodeGap(node, nodeGapOffset(node)) != best) return fail(V_GAP, node, nodeGapOffset(node));
  }
  return OK;
}

export function treeValidate(tree: i32): i32 {
  if (nodeType(tree) != NODE_TREE) return fail(V_TYPE, tree, 0);
  const root = treeRoot(tree);
  st32(G_PREV_NULL, 0);
  st32(G_SEEN, 0);
  if (root == 0) return treeHeight(tree) == 0 && treeNodes(tree) == 0 ? OK : fail(V_COUNT, tree, 0);
  if (nodeParent(root) != 0) return fail(V_PARENT, root, 0);
  if (treeHeight(tree) == 1 && nodeEnd(root) == 0 && nodeSlot(root, NODE_LEAF, 0) == 0) return fail(V_ROOT, root, 0);
  const code = validateNode(tree, root, 0, treeKeyMax(tree), 0, treeHeight(tree));
  if (code != OK) return code;
  if (ld32(G_SEEN) != treeNodes(tree)) return fail(V_COUNT, tree, ld32(G_SEEN));
  return OK;
}

/** Copies one node into the page for dump() (word layout: NODE_READ_* in shared/layout.ts). */
export function nodeRead(node: i32): void {
  const type = nodeType(node);
  const end = nodeEnd(node);
  stKeyF64(PAGE + (NODE_READ_TYPE << 3), <u64>type);
  stKeyF64(PAGE + (NODE_READ_END << 3), <u64>end);
  stKeyF64(PAGE + (NODE_READ_GAP_OFFSET << 3), <u64>nodeGapOffset(node));
  for (let i = 0; i < NODE_READ_WIDTH; i++) {
    const inUse = i <= end;
    stKeyF64(PAGE + ((NODE_READ_PIVOTS + i) << 3), inUse && i < typePivots(type) ? nodePivot(node, i) : 0);
    stKeyF64(PAGE + ((NODE_READ_SLOTS + i) << 3), inUse ? memAddr(nodeSlot(node, type, i)) : 0);
    stKeyF64(PAGE + ((NODE_READ_GAPS + i) << 3), inUse && type == NODE_ARANGE ? nodeGap(node, i) : 0);
  }
}
