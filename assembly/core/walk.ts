/**
 * Read paths: point lookup, range walk, the recorded root-to-leaf paths the write path uses,
 * stepping a path to the next or previous node of a level, and iteration pages.
 */

import {
  NODE_LEAF, ENTRY_ZERO, PAGE_ROWS, PAGE_ROW_WORDS, ROW_FIRST, ROW_LAST, ROW_HANDLE, RES_FIRST, RES_LAST, TREE_CACHE_LEAF, TREE_CACHE_GEN, TREE_CACHE_MIN, TREE_CACHE_MAX,
} from "../shared/layout";
import { ld32, st32, ld64, st64, stKeyF64, stHandleF64 } from "./mem";
import { nodeType, nodeEnd, nodeSlot, nodeFind, slotMin, slotMax } from "./node";
import { treeRoot, treeHeight, treeGeneration, treeKeyMax, treeIsRcu } from "./tree";
import { rcuLoad, rcuWalk, rcuFind, rcuNext, rcuPrev, rcuPage } from "./rcuRead";
import { RES, LPATH, PATH_DEPTH, P_NODE, P_OFF, P_MIN, P_MAX, PAGE, G_PATH_TREE, G_PATH_GEN } from "./scratch";

// @ts-ignore: decorator
@inline export function pathNode(path: i32, depth: i32): i32 { return ld32(path + P_NODE + (depth << 2)); }
// @ts-ignore: decorator
@inline export function pathOff(path: i32, depth: i32): i32 { return ld32(path + P_OFF + (depth << 2)); }
// @ts-ignore: decorator
@inline export function pathMin(path: i32, depth: i32): u64 { return ld64(path + P_MIN + (depth << 3)); }
// @ts-ignore: decorator
@inline export function pathMax(path: i32, depth: i32): u64 { return ld64(path + P_MAX + (depth << 3)); }
// @ts-ignore: decorator
@inline export function pathSetOff(path: i32, depth: i32, off: i32): void { st32(path + P_OFF + (depth << 2), off); }

export function pathSet(path: i32, depth: i32, node: i32, off: i32, min: u64, max: u64): void {
  assert(depth >= 0 && depth < PATH_DEPTH, "path depth outside the path arrays");
  st32(path + P_NODE + (depth << 2), node);
  st32(path + P_OFF + (depth << 2), off);
  st64(path + P_MIN + (depth << 3), min);
  st64(path + P_MAX + (depth << 3), max);
}

/**
 * Records the left path to the slot containing index, reusing the recorded path when it
 * still describes this tree and its leaf holds index (see G_PATH_TREE).
 */
export function pathWalkLeft(tree: i32, index: u64): void {
  const bottom = treeHeight(tree) - 1;
  if (ld32(G_PATH_TREE) == tree && ld32(G_PATH_GEN) == treeGeneration(tree)
      && index >= pathMin(LPATH, bottom) && index <= pathMax(LPATH, bottom)) {
    const leaf = pathNode(LPATH, bottom);
    pathSetOff(LPATH, bottom, nodeFind(leaf, nodeEnd(leaf), index));
    return;
  }
  pathWalk(tree, LPATH, index);
  pathKeep(tree);
}

/** Marks the left path as describing `tree` as it is now (0: describes nothing). */
export function pathKeep(tree: i32): void {
  st32(G_PATH_TREE, tree);
  if (tree != 0) st32(G_PATH_GEN, treeGeneration(tree));
}

/** Records the root-to-leaf path to the slot containing index (tree must not be empty). */
export function pathWalk(tree: i32, path: i32, index: u64): void {
  const height = treeHeight(tree);
  let node = treeRoot(tree);
  let min: u64 = 0;
  let max: u64 = treeKeyMax(tree);
  for (let depth = 0; depth < height; depth++) {
    const end = nodeEnd(node);
    const i = nodeFind(node, end, index);
    pathSet(path, depth, node, i, min, max);
    if (depth == height - 1) break;
    const childMin = slotMin(node, i, min);
    max = slotMax(node, i, end, max);
    min = childMin;
    node = nodeSlot(node, nodeType(node), i);
  }
}

/** Points depth..bottom of a path at the child in slot `off` of the node at `depth`, then leftmost (or rightmost) below. */
function pathDescend(path: i32, depth: i32, bottom: i32, rightmost: bool): void {
  for (let d = depth; d < bottom; d++) {
    const node = pathNode(path, d);
    const i = pathOff(path, d);
    const end = nodeEnd(node);
    const child = nodeSlot(node, nodeType(node), i);
    const childOff = rightmost ? nodeEnd(child) : 0;
    pathSet(path, d + 1, child, childOff, slotMin(node, i, pathMin(path, d)), slotMax(node, i, end, pathMax(path, d)));
  }
}

/** Moves the path to the next node at `depth` (a sibling or a cousin); false at the right edge. */
export function pathNextNode(path: i32, depth: i32): bool {
  let d = depth - 1;
  while (d >= 0 && pathOff(path, d) >= nodeEnd(pathNode(path, d))) d--;
  if (d < 0) return false;
  pathSetOff(path, d, pathOff(path, d) + 1);
  pathDescend(path, d, depth, false);
  return true;
}

/** Moves the path to the previous node at `depth`; false at the left edge. */
export function pathPrevNode(path: i32, depth: i32): bool {
  let d = depth - 1;
  while (d >= 0 && pathOff(path, d) == 0) d--;
  if (d < 0) return false;
  pathSetOff(path, d, pathOff(path, d) - 1);
  pathDescend(path, d, depth, true);
  return true;
}

/** mtree_load: the handle of the range containing index (inlined: the ABI's load is this walk and nothing else). */
// @ts-ignore: decorator
@inline export function treeLoad(tree: i32, index: u64): i32 {
  if (treeIsRcu(tree)) return rcuLoad(tree, index);
  let node = treeRoot(tree);
  if (node == 0) return 0;
  while (true) {
    const type = nodeType(node);
    const slot = nodeSlot(node, type, nodeFind(node, nodeEnd(node), index));
    if (type == NODE_LEAF) return slot;
    node = slot;
  }
  return 0;
}

/**
 * Descends to the leaf holding index and returns it; its bounds are then in the tree's leaf
 * cache (TREE_CACHE_MIN/MAX). Walks that stay in the leaf the previous walk ended in (cursor
 * loops: find/next/prev, the VA manager's walks) skip the descent; any change to the tree
 * invalidates that leaf. The tree must not be empty.
 */
function leafWalk(tree: i32, index: u64): i32 {
  let node = treeRoot(tree);
  let min: u64 = 0;
  let max: u64 = treeKeyMax(tree);
  const leaf = ld32(tree + TREE_CACHE_LEAF);
  if (leaf != 0 && ld32(tree + TREE_CACHE_GEN) == treeGeneration(tree)) {
    const leafMin = ld64(tree + TREE_CACHE_MIN);
    const leafMax = ld64(tree + TREE_CACHE_MAX);
    if (index >= leafMin && index <= leafMax) return leaf;
  }
  while (nodeType(node) != NODE_LEAF) {
    const end = nodeEnd(node);
    const i = nodeFind(node, end, index);
    const childMin = slotMin(node, i, min);
    max = slotMax(node, i, end, max);
    min = childMin;
    node = nodeSlot(node, nodeType(node), i);
  }
  st32(tree + TREE_CACHE_LEAF, node);
  st32(tree + TREE_CACHE_GEN, treeGeneration(tree));
  st64(tree + TREE_CACHE_MIN, min);
  st64(tree + TREE_CACHE_MAX, max);
  return node;
}

// @ts-ignore: decorator
@inline function leafMin(tree: i32): u64 { return ld64(tree + TREE_CACHE_MIN); }
// @ts-ignore: decorator
@inline function leafMax(tree: i32): u64 { return ld64(tree + TREE_CACHE_MAX); }

/**
 * The range containing index, NULL ranges included: returns its handle, bounds in RES.
 * An empty tree is one NULL range [0, treeKeyMax]. Walks through the recorded left path, so a
 * write of the range found (erase: walk, then store NULL over it) reuses it instead of
 * descending again.
 */
export function treeWalk(tree: i32, index: u64): i32 {
  if (treeIsRcu(tree)) return rcuWalk(tree, index);
  if (treeRoot(tree) == 0) {
    resRange(0, treeKeyMax(tree));
    return 0;
  }
  pathWalkLeft(tree, index);
  const bottom = treeHeight(tree) - 1;
  const leaf = pathNode(LPATH, bottom);
  const i = pathOff(LPATH, bottom);
  resRange(slotMin(leaf, i, pathMin(LPATH, bottom)), slotMax(leaf, i, nodeEnd(leaf), pathMax(LPATH, bottom)));
  return nodeSlot(leaf, NODE_LEAF, i);
}

/**
 * mt_find in one call: the first range holding an entry (ZERO skipped) that intersects
 * [index, max]; returns its handle with its bounds in RES, or 0. Scans on from the leaf
 * holding index, re-walking only when a leaf runs out (NULL ranges coalesce, so rarely twice).
 */
export function treeFind(tree: i32, index: u64, max: u64): i32 {
  if (treeIsRcu(tree)) return rcuFind(tree, index, max);
  if (treeRoot(tree) == 0 || index > max) return 0;
  let from = index;
  while (true) {
    const leaf = leafWalk(tree, from);
    const end = nodeEnd(leaf);
    const min = leafMin(tree);
    for (let i = nodeFind(leaf, end, from); i <= end; i++) {
      const lo = slotMin(leaf, i, min);
      if (lo > max) return 0;
      const handle = nodeSlot(leaf, NODE_LEAF, i);
      if (handle != 0 && handle != ENTRY_ZERO) { // unsigned: a shared tree's entries use all 32 bits
        resRange(lo, slotMax(leaf, i, end, leafMax(tree)));
        return handle;
      }
    }
    const last = leafMax(tree);
    if (last >= max) return 0;
    from = last + 1;
  }
  return 0;
}

/** mt_next in one call: treeFind after the range containing index, for ranges starting <= max. */
export function treeNext(tree: i32, index: u64, max: u64): i32 {
  if (treeIsRcu(tree)) return rcuNext(tree, index, max);
  if (treeRoot(tree) == 0 || index >= max) return 0;
  const leaf = leafWalk(tree, index);
  const end = nodeEnd(leaf);
  const last = slotMax(leaf, nodeFind(leaf, end, index), end, leafMax(tree));
  if (last >= max) return 0;
  return treeFind(tree, last + 1, max);
}

/**
 * mt_prev in one call: the last range holding an entry (ZERO skipped) before the range
 * containing index and ending >= min; returns its handle with its bounds in RES, or 0.
 */
export function treePrev(tree: i32, index: u64, min: u64): i32 {
  if (treeIsRcu(tree)) return rcuPrev(tree, index, min);
  if (treeRoot(tree) == 0 || index <= min) return 0;
  let leaf = leafWalk(tree, index);
  let i = nodeFind(leaf, nodeEnd(leaf), index) - 1;
  while (true) {
    const end = nodeEnd(leaf);
    const lo = leafMin(tree);
    for (; i >= 0; i--) {
      const hi = slotMax(leaf, i, end, leafMax(tree));
      if (hi < min) return 0;
      const handle = nodeSlot(leaf, NODE_LEAF, i);
      if (handle != 0 && handle != ENTRY_ZERO) { // unsigned: a shared tree's entries use all 32 bits
        resRange(slotMin(leaf, i, lo), hi);
        return handle;
      }
    }
    if (lo <= min) return 0;
    leaf = leafWalk(tree, lo - 1);
    i = nodeEnd(leaf);
  }
  return 0;
}

function resRange(first: u64, last: u64): void {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
}


/**
 * Fills the iteration page with the non-NULL ranges intersecting [first, last], starting
 * with the range containing first. Uses the left path as its cursor. NULL slots cost one load:
 * a row's bounds are read from the pivots only for slots that hold an entry.
 */
export function treePage(tree: i32, path: i32, first: u64, last: u64): i32 {
  if (treeIsRcu(tree)) return rcuPage(tree, first, last);
  if (path == LPATH) pathKeep(0);
  if (treeRoot(tree) == 0) return 0;
  const bottom = treeHeight(tree) - 1;
  pathWalk(tree, path, first);
  let rows = 0;
  let row = PAGE;
  while (true) {
    const leaf = pathNode(path, bottom);
    const end = nodeEnd(leaf);
    const max = pathMax(path, bottom);
    const min = pathMin(path, bottom);
    for (let i = pathOff(path, bottom); i <= end; i++) {
      const handle = nodeSlot(leaf, NODE_LEAF, i);
      if (handle == 0) continue; // a NULL range starting past last is followed by no row either
      const lo = slotMin(leaf, i, min);
      if (lo > last) return rows;
      stKeyF64(row + (ROW_FIRST << 3), lo);
      stKeyF64(row + (ROW_LAST << 3), slotMax(leaf, i, end, max));
      stHandleF64(row + (ROW_HANDLE << 3), handle);
      row += PAGE_ROW_WORDS << 3;
      if (++rows == PAGE_ROWS) return rows;
    }
    if (max >= last || !pathNextNode(path, bottom)) return rows;
  }
  return rows;
}
