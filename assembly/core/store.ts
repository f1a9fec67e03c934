/**
 * The write path. A store walks to the leaf holding `first` (or reuses the path of the
 * previous in-place write), classifies the write into the kernel's store types and secures
 * the nodes its type may need before anything changes. Then it dispatches: a non-NULL exact
 * fit swaps one slot; a write that fits the leaf (append, slot store, node store) shifts the
 * leaf in place; everything else — split, rebalance, spanning store, a tree that empties —
 * builds the leaf level in a big-node buffer and goes through the level loop in rebalance.ts.
 */

import {
  NODE_LEAF, MODE_INSERT, RANGE_PIVOTS, EEXIST, ENOMEM, RES_FIRST, RES_LAST, RES_OLD, RANGE_SLOTS, RANGE_MIN_END,
  WR_NEW_ROOT, WR_STORE_ROOT, WR_EXACT_FIT, WR_SPANNING_STORE, WR_SPLIT_STORE, WR_REBALANCE,
  WR_APPEND, WR_NODE_STORE, WR_SLOT_STORE, WR_NOTHING,
} from "../shared/layout";
import { stKeyF64, memMove, hostRetain, hostRelease } from "./mem";
import { nodeEnd, nodeSetEnd, nodeSlot, nodeSetSlot, nodePivot, nodeSetPivot, nodeFind, nodeSetStamp, slotMin, slotMax } from "./node";
import {
  treeRoot, treeHeight, treeSetRoot, treeTouch, treeCanAllocate, treeReserve, treeNodeAlloc,
  treeNewStamp, treeIsAlloc,
} from "./tree";
import { pathWalk, pathWalkLeft, pathKeep, pathNode, pathOff, pathMin, pathMax } from "./walk";
import { bigSet, bigPivot, bigAppendNode, bigCoalesce, nodeWriteBig, treeRebuild, gapUpdateUp } from "./rebalance";
import { RES, LPATH, RPATH, PATH_BYTES, BIG_A, KEY_MAX, G_STAMP } from "./scratch";
import { ld32 } from "./mem";

function resRange(first: u64, last: u64): void {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
}

function resOld(handle: i32): void {
  stKeyF64(RES + (RES_OLD << 3), <u64>handle);
}

/** Worst-case nodes a store type may allocate in a tree of this height (kernel mas_prealloc_calc). */
function storeNodesNeeded(type: i32, height: i32): i32 {
  if (type == WR_SPANNING_STORE) return 3 * height + 1;
  if (type == WR_SPLIT_STORE || type == WR_REBALANCE) return 2 * height + 1;
  if (type == WR_NEW_ROOT || type == WR_STORE_ROOT) return 1;
  return 0;
}

/** A store into an empty tree: one leaf with up to three ranges. */
function storeEmpty(tree: i32, first: u64, last: u64, entry: i32, reserveOnly: bool): i32 {
  resOld(0);
  if (entry == 0) {
    resRange(0, KEY_MAX);
    return WR_NOTHING;
  }
  resRange(first, last);
  const type = first == 0 && last == KEY_MAX ? WR_NEW_ROOT : WR_STORE_ROOT;
  if (reserveOnly) return treeReserve(tree, 1) ? type : ENOMEM;
  if (!treeCanAllocate(tree, 1)) return ENOMEM;
  let n = 0;
  if (first > 0) bigSet(BIG_A, n++, first - 1, 0, 0);
  bigSet(BIG_A, n++, last, entry, 0);
  if (last < KEY_MAX) bigSet(BIG_A, n++, KEY_MAX, 0, 0);
  treeNewStamp();
  const leaf = treeNodeAlloc(tree);
  nodeWriteBig(leaf, NODE_LEAF, BIG_A, 0, n, 0, KEY_MAX, treeIsAlloc(tree));
  treeSetRoot(tree, leaf, 1);
  treeTouch(tree);
  return type;
}

/** Sets RES to the range of the buffer row containing `first` (after NULL coalescing). */
function resWritten(n: i32, min: u64, first: u64): void {
  let lo = min;
  for (let i = 0; i < n; i++) {
    const hi = bigPivot(BIG_A, i);
    if (hi >= first) {
      resRange(lo, hi);
      return;
    }
    lo = hi + 1;
  }
}

/**
 * Stores `entry` over [first, last] (see CoreBackend.store). With reserveOnly it classifies
 * the write and reserves its worst-case node count instead (mas_preallocate).
 * Returns the store type, or EEXIST / ENOMEM with nothing changed.
 */
export function treeStore(tree: i32, first: u64, last: u64, entry: i32, mode: i32, reserveOnly: bool): i32 {
  if (treeRoot(tree) == 0) {
    if (mode == MODE_INSERT && entry == 0) {
      resOld(0);
      resRange(first, last);
      return WR_NOTHING;
    }
    return storeEmpty(tree, first, last, entry, reserveOnly);
  }
  const height = treeHeight(tree);
  const bottom = height - 1;
  pathWalkLeft(tree, first);
  const leaf = pathNode(LPATH, bottom);
  const offset = pathOff(LPATH, bottom);
  const leafMin = pathMin(LPATH, bottom);
  const leafMax = pathMax(LPATH, bottom);
  const end = nodeEnd(leaf);
  const rMin = slotMin(leaf, offset, leafMin);
  const rMax = slotMax(leaf, offset, end, leafMax);
  const old = nodeSlot(leaf, NODE_LEAF, offset);
  resOld(old);

  if (mode == MODE_INSERT) {
    if (old != 0 || last > rMax) return EEXIST;
    if (entry == 0) {
      resRange(first, last);
      return WR_NOTHING;
    }
  }
  if (entry == 0 && old == 0 && last <= rMax) {
    resRange(rMin, rMax);
    return WR_NOTHING;
  }
  if (rMin == first && rMax == last && entry != 0 && old != 0) {
    resRange(first, last);
    if (reserveOnly) return WR_EXACT_FIT;
    return storeExactFit(tree, leaf, offset, entry, old);
  }

  // A NULL write may not end a non-rightmost leaf: it must merge with the next leaf.
  const spanning = last > leafMax || (entry == 0 && last == leafMax && leafMax != KEY_MAX);
  if (!spanning) {
    const type = storeInLeaf(tree, leaf, offset, end, rMin, old, first, last, entry, height > 1, reserveOnly);
    if (type >= 0) {
      if (!reserveOnly) pathKeep(tree); // nodes above the leaf did not change
      return type;
    }
  }
  pathKeep(0); // the level loop moves and rewrites nodes on the path
  treeNewStamp();
  let n = offset > 0 ? bigAppendNode(BIG_A, 0, leaf, 0, offset - 1, leafMax) : 0;
  if (rMin < first) bigSet(BIG_A, n++, first - 1, old, 0);
  bigSet(BIG_A, n++, last, entry, 0);

  let offsetEnd = 0;
  let endPivot: u64 = 0;
  let right = 0;
  let rightOff = 0;
  if (!spanning) {
    offsetEnd = nodeFind(leaf, end, last);
    endPivot = slotMax(leaf, offsetEnd, end, leafMax);
    if (last < endPivot) bigSet(BIG_A, n++, endPivot, nodeSlot(leaf, NODE_LEAF, offsetEnd), 0);
    if (offsetEnd < end) n = bigAppendNode(BIG_A, n, leaf, offsetEnd + 1, end, leafMax);
    memMove(RPATH, LPATH, PATH_BYTES);
  } else {
    pathWalk(tree, RPATH, last == KEY_MAX ? last : last + 1);
    right = pathNode(RPATH, bottom);
    rightOff = pathOff(RPATH, bottom);
    if (last < KEY_MAX) n = bigAppendNode(BIG_A, n, right, rightOff, nodeEnd(right), pathMax(RPATH, bottom));
  }
  n = bigCoalesce(BIG_A, n);
  resWritten(n, leafMin, first);

  // What the in-place leaf write could not take: a spanning store, a split, a rebalance, or
  // a write that leaves one NULL range over everything (the tree empties: a new root).
  let type = WR_NODE_STORE;
  if (spanning) type = WR_SPANNING_STORE;
  else if (n > RANGE_SLOTS) type = WR_SPLIT_STORE;
  else if (n - 1 < RANGE_MIN_END && height > 1) type = WR_REBALANCE;
  else if (n == 1 && entry == 0) type = WR_NEW_ROOT;

  // A write that collapses the tree into one NULL range only frees nodes.
  const need = n == 1 && entry == 0 ? 0 : storeNodesNeeded(type, height);
  if (reserveOnly) return treeReserve(tree, need) ? type : ENOMEM;
  if (!treeCanAllocate(tree, need)) return ENOMEM;

  // Committed: account for the ranges that disappear or split (the caller retains the new
  // entry itself, saving a call out of WebAssembly per store).
  if (!spanning) {
    for (let i = offset; i <= offsetEnd; i++) {
      let kept = 0;
      if (i == offset && rMin < first) kept++;
      if (i == offsetEnd && last < endPivot) kept++;
      const handle = nodeSlot(leaf, NODE_LEAF, i);
      if (kept == 0) hostRelease(handle);
      else if (kept == 2) hostRetain(handle);
    }
  } else {
    for (let i = offset; i <= end; i++) {
      if (i == offset && rMin < first) continue;
      hostRelease(nodeSlot(leaf, NODE_LEAF, i));
    }
    const rightEnd = last == KEY_MAX ? nodeEnd(right) : rightOff - 1;
    for (let i = 0; i <= rightEnd; i++) hostRelease(nodeSlot(right, NODE_LEAF, i));
    nodeSetStamp(right, ld32(G_STAMP));
  }
  nodeSetStamp(leaf, ld32(G_STAMP));
  treeRebuild(tree, bottom, BIG_A, n);
  treeTouch(tree);
  return type;
}

/** Replaces one non-NULL slot with another: no boundaries move, no gaps change. */
function storeExactFit(tree: i32, leaf: i32, offset: i32, entry: i32, old: i32): i32 {
  nodeSetSlot(leaf, NODE_LEAF, offset, entry);
  hostRelease(old);
  treeTouch(tree);
  pathKeep(tree);
  return WR_EXACT_FIT;
}

/**
 * The in-place leaf write behind append, slot store and node store: slots offset..offsetEnd
 * are replaced by up to three rows (left remnant, entry, right remnant), NULL rows absorbing
 * NULL neighbours, and the tail of the node moves by the difference. Returns -1 (nothing
 * done) when the result would overflow the leaf or leave a non-root leaf deficient; the
 * level loop handles those.
 */
function storeInLeaf(
  tree: i32, leaf: i32, offset: i32, end: i32, rMin: u64, old: i32,
  first: u64, last: u64, entry: i32, deficientMatters: bool, reserveOnly: bool,
): i32 {
  const leafMax = pathMax(LPATH, treeHeight(tree) - 1);
  let lo = offset;
  let hi = nodeFind(leaf, end, last);
  const endPivot = slotMax(leaf, hi, end, leafMax);
  const endSlot = nodeSlot(leaf, NODE_LEAF, hi);
  let keepLeft = rMin < first;
  let keepRight = last < endPivot;
  let midMin = first;
  let midMax = last;
  if (entry == 0) {
    if (keepLeft && old == 0) { keepLeft = false; midMin = rMin; }
    else if (!keepLeft && lo > 0 && nodeSlot(leaf, NODE_LEAF, lo - 1) == 0) { lo--; midMin = slotMin(leaf, lo, pathMin(LPATH, treeHeight(tree) - 1)); }
    if (keepRight && endSlot == 0) { keepRight = false; midMax = endPivot; }
    else if (!keepRight && hi < end && nodeSlot(leaf, NODE_LEAF, hi + 1) == 0) { hi++; midMax = slotMax(leaf, hi, end, leafMax); }
  }
  const rows = 1 + (keepLeft ? 1 : 0) + (keepRight ? 1 : 0);
  const newEnd = end + rows - (hi - lo + 1);
  if (newEnd >= RANGE_SLOTS || (deficientMatters && newEnd < RANGE_MIN_END)) return -1;
  if (newEnd == 0 && entry == 0) return -1; // the tree empties: the root path frees the leaf
  resRange(midMin, midMax);
  // Classified after NULL extension, as the kernel does: a NULL write that absorbed a
  // neighbour is no longer an exact fit.
  let type = WR_NODE_STORE;
  if (lo == hi && rows == 1) type = WR_EXACT_FIT;
  else if (lo == end) type = WR_APPEND;
  else if (newEnd == end) type = WR_SLOT_STORE;
  if (reserveOnly) return type;

  // References: every replaced slot goes, remnants come back (the entry: see treeStore).
  if (keepLeft && keepRight && offset == hi) hostRetain(old);
  for (let i = lo; i <= hi; i++) {
    const handle = nodeSlot(leaf, NODE_LEAF, i);
    if ((i == offset && keepLeft) || (i == hi && keepRight)) continue;
    hostRelease(handle);
  }

  // Move the tail by the change in slot count, then write the new rows at lo.
  const delta = lo + rows - hi - 1;
  if (delta > 0) {
    for (let i = end; i > hi; i--) leafMoveSlot(leaf, i, i + delta, leafMax);
  } else if (delta < 0) {
    for (let i = hi + 1; i <= end; i++) leafMoveSlot(leaf, i, i + delta, leafMax);
  }
  let at = lo;
  if (keepLeft) { nodeSetPivot(leaf, at, first - 1); nodeSetSlot(leaf, NODE_LEAF, at, old); at++; }
  if (at < RANGE_PIVOTS) nodeSetPivot(leaf, at, midMax);
  nodeSetSlot(leaf, NODE_LEAF, at, entry);
  at++;
  if (keepRight) {
    if (at < RANGE_PIVOTS) nodeSetPivot(leaf, at, endPivot);
    nodeSetSlot(leaf, NODE_LEAF, at, endSlot);
  }
  // Clear what the node no longer uses; a non-full node ends on its max.
  for (let i = newEnd + 1; i <= end; i++) {
    nodeSetSlot(leaf, NODE_LEAF, i, 0);
    if (i < RANGE_PIVOTS) nodeSetPivot(leaf, i, 0);
  }
  if (newEnd < RANGE_PIVOTS) nodeSetPivot(leaf, newEnd, leafMax);
  nodeSetEnd(leaf, newEnd);
  if (treeIsAlloc(tree)) gapUpdateUp(treeHeight(tree) - 1);
  treeTouch(tree);
  return type;
}

/** Moves leaf slot i (and its pivot; slot 15 has the implied max) to slot j. */
function leafMoveSlot(leaf: i32, i: i32, j: i32, leafMax: u64): void {
  nodeSetSlot(leaf, NODE_LEAF, j, nodeSlot(leaf, NODE_LEAF, i));
  if (j < RANGE_PIVOTS) nodeSetPivot(leaf, j, i < RANGE_PIVOTS ? nodePivot(leaf, i) : leafMax);
}
