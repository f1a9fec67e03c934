/**
 * Bottom-up bulk build (MapleTree.from): ascending, non-overlapping ranges arrive a page at a
 * time and are laid into leaves left to right, each filled to the last slot (the NULL ranges
 * between entries count as slots; under a node cap, to one short: levelFillEnd). A node that fills is closed into an open node one level up,
 * so every level keeps one open node, its rightmost. At the end the open nodes are closed from
 * the leaves up; the last node of each level is merged into or balanced with its left sibling
 * so that every node meets validate()'s occupancy rules.
 *
 * Build state lives in a pool node (not counted in the tree) whose address is kept in the
 * tree header's unused tail. A failed allocation (node cap or memory) frees everything built
 * and releases the entries placed so far: ENOMEM, the tree left empty.
 */

import { NODE_LEAF, NODE_ARANGE, OK, ENOMEM, PAGE_ROW_WORDS, ROW_FIRST, ROW_LAST, ROW_HANDLE } from "../shared/layout";
import { ld32, st32, ld64, st64, ldKeyF64, hostRetain } from "./mem";
import {
  nodeSetType, nodeEnd, nodeSetEnd, nodeSlot, nodeSetSlot, nodePivot, nodeSetPivot, nodeGap, nodeSetGap,
  nodeSetParent, typeSlots, typePivots, typeMinEnd, slotMin, slotMax, leafMaxGap, arangeMaxGap,
} from "./node";
import { poolEnsure, poolAlloc, poolFree } from "./pool";
import {
  treeRoot, treeIsAlloc, treeInternalType, treeCanAllocate, treeNodeAlloc, treeNodeFree, treeSetRoot, treeTouch,
  treeNewStamp, treeDestroySubtree, treeKeyMax, treeHasCap,
} from "./tree";
import { PAGE } from "./scratch";

/** Header byte holding the build state node: the first byte past the header's fields. */
const TREE_BUILD: i32 = 64;
/** Levels the state node tracks (12 levels of even the tiny core's nodes exceed memory). */
const BUILD_LEVELS: i32 = 12;
/**
 * State node layout: open node per level (i32), its min and max (u64), the next index, the
 * levels in use, and whether a row ended at the tree's last index (the next index then
 * does not exist: keyMax + 1 wraps in a 2^64 key space).
 */
const S_NODE: i32 = 0;
const S_MIN: i32 = S_NODE + (BUILD_LEVELS << 2);
const S_MAX: i32 = S_MIN + (BUILD_LEVELS << 3);
const S_NEXT: i32 = S_MAX + (BUILD_LEVELS << 3);
const S_TOP: i32 = S_NEXT + 8;
const S_FULL: i32 = S_TOP + 4;

// @ts-ignore: decorator
@inline function openNode(s: i32, k: i32): i32 { return ld32(s + S_NODE + (k << 2)); }
// @ts-ignore: decorator
@inline function setOpenNode(s: i32, k: i32, node: i32): void { st32(s + S_NODE + (k << 2), node); }
// @ts-ignore: decorator
@inline function openMin(s: i32, k: i32): u64 { return ld64(s + S_MIN + (k << 3)); }
// @ts-ignore: decorator
@inline function setOpenMin(s: i32, k: i32, min: u64): void { st64(s + S_MIN + (k << 3), min); }
// @ts-ignore: decorator
@inline function openMax(s: i32, k: i32): u64 { return ld64(s + S_MAX + (k << 3)); }
// @ts-ignore: decorator
@inline function setOpenMax(s: i32, k: i32, max: u64): void { st64(s + S_MAX + (k << 3), max); }

// @ts-ignore: decorator
@inline function levelType(tree: i32, k: i32): i32 { return k == 0 ? NODE_LEAF : treeInternalType(tree); }

/** The largest gap below a node, as its parent records it (only gap-tracking trees record gaps). */
function nodeMaxGap(tree: i32, node: i32, k: i32, min: u64, max: u64): u64 {
  if (!treeIsAlloc(tree)) return 0;
  return k == 0 ? leafMaxGap(node, min, max) : arangeMaxGap(node);
}

/** Writes slot i of a node (slot, pivot where the node has one, gap) and makes it the last. */
function slotPut(node: i32, type: i32, i: i32, max: u64, slot: i32, gap: u64): void {
  nodeSetSlot(node, type, i, slot);
  if (i < typePivots(type)) nodeSetPivot(node, i, max);
  if (type == NODE_ARANGE) nodeSetGap(node, i, gap);
  if (type != NODE_LEAF) nodeSetParent(slot, node, i);
  nodeSetEnd(node, i);
}

/** Empties slot i (slots past the end must read zero). */
function slotClear(node: i32, type: i32, i: i32): void {
  nodeSetSlot(node, type, i, 0);
  if (i < typePivots(type)) nodeSetPivot(node, i, 0);
  if (type == NODE_ARANGE) nodeSetGap(node, i, 0);
}

/** Copies slot si of src (whose data ends at srcEnd, range at srcMax) to slot di of dst. */
function slotCopy(dst: i32, di: i32, src: i32, si: i32, srcEnd: i32, srcMax: u64, type: i32): void {
  const gap = type == NODE_ARANGE ? nodeGap(src, si) : 0;
  const slot = nodeSlot(src, type, si);
  nodeSetSlot(dst, type, di, slot);
  if (di < typePivots(type)) nodeSetPivot(dst, di, slotMax(src, si, srcEnd, srcMax));
  if (type == NODE_ARANGE) nodeSetGap(dst, di, gap);
  if (type != NODE_LEAF) nodeSetParent(slot, dst, di);
}

/** A new tree node of level k, or 0 when the node cap or memory refuses. */
function buildAlloc(tree: i32, k: i32): i32 {
  if (k >= BUILD_LEVELS || !treeCanAllocate(tree, 1, false)) return 0;
  const node = treeNodeAlloc(tree);
  nodeSetType(node, levelType(tree, k));
  return node;
}

/** Opens level k's node with its first slot. */
function levelOpen(tree: i32, s: i32, k: i32, min: u64, max: u64, slot: i32, gap: u64): bool {
  const node = buildAlloc(tree, k);
  if (node == 0) return false;
  slotPut(node, levelType(tree, k), 0, max, slot, gap);
  setOpenNode(s, k, node);
  setOpenMin(s, k, min);
  setOpenMax(s, k, max);
  if (k >= ld32(s + S_TOP)) st32(s + S_TOP, k + 1);
  return true;
}

/** Closes level k's open node into level k + 1. */
function levelClose(tree: i32, s: i32, k: i32): bool {
  const node = openNode(s, k);
  const min = openMin(s, k);
  const max = openMax(s, k);
  if (!levelPush(tree, s, k + 1, min, max, node, nodeMaxGap(tree, node, k, min, max))) return false;
  setOpenNode(s, k, 0);
  return true;
}

/**
 * Removes a full leaf's trailing NULL range (only the rightmost leaf may end in NULL), closes
 * the leaf and opens the next one with that range.
 */
function leafCarryNull(tree: i32, s: i32, leaf: i32, end: i32): bool {
  const nullMin = slotMin(leaf, end, openMin(s, 0));
  const nullMax = openMax(s, 0);
  slotClear(leaf, NODE_LEAF, end);
  nodeSetEnd(leaf, end - 1);
  setOpenMax(s, 0, nodePivot(leaf, end - 1));
  return levelClose(tree, s, 0) && levelOpen(tree, s, 0, nullMin, nullMax, 0, 0);
}

/**
 * The last slot a build fills in a level-k node. Under a node cap a leaf keeps one slot
 * spare: erasing a full leaf's last entry leaves a NULL that may not end the leaf, and with
 * the neighbour full too only a new leaf takes the rows, which a tree at its cap cannot add.
 * With a spare slot next door the rebuild cuts the rows in two again.
 */
function levelFillEnd(tree: i32, k: i32): i32 {
  const end = typeSlots(levelType(tree, k)) - 1;
  return k == 0 && treeHasCap(tree) ? end - 1 : end;
}

/** Appends [min, max] → slot to level k, closing the open node first when it is full. */
function levelPush(tree: i32, s: i32, k: i32, min: u64, max: u64, slot: i32, gap: u64): bool {
  const type = levelType(tree, k);
  let node = openNode(s, k);
  if (node != 0 && nodeEnd(node) == levelFillEnd(tree, k)) {
    const end = nodeEnd(node);
    if (k == 0 && nodeSlot(node, type, end) == 0) {
      if (!leafCarryNull(tree, s, node, end)) return false;
      node = openNode(s, 0);
    } else {
      if (!levelClose(tree, s, k)) return false;
      node = 0;
    }
  }
  if (node == 0) return levelOpen(tree, s, k, min, max, slot, gap);
  slotPut(node, type, nodeEnd(node) + 1, max, slot, gap);
  setOpenMax(s, k, max);
  return true;
}

/**
 * Appends the NULL range after the last row. The rightmost leaf may end in NULL and nothing
 * follows it, so the range takes the slot levelFillEnd keeps spare rather than a leaf of its
 * own that closing would fold back: the build then never holds a node more than it keeps.
 */
function leafPushLast(tree: i32, s: i32, min: u64, max: u64): bool {
  const leaf = openNode(s, 0);
  if (leaf == 0 || nodeEnd(leaf) >= typeSlots(NODE_LEAF) - 1) return levelPush(tree, s, 0, min, max, 0, 0);
  slotPut(leaf, NODE_LEAF, nodeEnd(leaf) + 1, max, 0, 0);
  setOpenMax(s, 0, max);
  return true;
}

/** The state node of a build in progress, created by the first page. 0 when memory is exhausted. */
function buildState(tree: i32): i32 {
  let s = ld32(tree + TREE_BUILD);
  if (s != 0) return s;
  assert(treeRoot(tree) == 0, "bulk build into a tree that is not empty");
  if (!poolEnsure(1)) return 0;
  s = poolAlloc();
  st32(tree + TREE_BUILD, s);
  return s;
}

/** Frees everything built so far and the state: the tree is empty again. */
function buildAbort(tree: i32, s: i32): i32 {
  treeNewStamp(); // fresh nodes carry stamp 0: no stale stamp may make the teardown skip them
  const top = ld32(s + S_TOP);
  for (let k = 0; k < top; k++) {
    const node = openNode(s, k);
    if (node != 0) treeDestroySubtree(tree, node);
  }
  poolFree(s);
  st32(tree + TREE_BUILD, 0);
  return ENOMEM;
}

/**
 * Lays the first `count` page rows [first, last, handle] (ascending, not overlapping any
 * earlier row) into the tree being built, with the NULL range before each. OK or ENOMEM
 * (then the tree is empty). The host retains the rows' handles after OK: one loop in JS
 * instead of a call out of WebAssembly per row.
 */
export function treeBuildPage(tree: i32, count: i32): i32 {
  const s = buildState(tree);
  if (s == 0) return ENOMEM;
  let next = ld64(s + S_NEXT);
  for (let r = 0; r < count; r++) {
    const row = PAGE + ((r * PAGE_ROW_WORDS) << 3);
    const first = ldKeyF64(row + (ROW_FIRST << 3));
    const last = ldKeyF64(row + (ROW_LAST << 3));
    const handle = <i32>ldKeyF64(row + (ROW_HANDLE << 3));
    if (first > next && !levelPush(tree, s, 0, next, first - 1, 0, 0)) return buildFail(tree, s, r);
    if (!levelPush(tree, s, 0, first, last, handle, 0)) return buildFail(tree, s, r);
    if (last == treeKeyMax(tree)) st32(s + S_FULL, 1);
    else next = last + 1;
  }
  st64(s + S_NEXT, next);
  return OK;
}

/**
 * ENOMEM at row `placed` of a page: the rows placed before it are retained first, so that
 * the teardown's releases balance (the host retains only the rows of a page that succeeded).
 */
function buildFail(tree: i32, s: i32, placed: i32): i32 {
  for (let r = 0; r < placed; r++) hostRetain(<i32>ldKeyF64(PAGE + ((r * PAGE_ROW_WORDS + ROW_HANDLE) << 3)));
  return buildAbort(tree, s);
}

/** Min of the last child of level k + 1's open node. */
function lastChildMin(s: i32, k: i32, parent: i32, pend: i32): u64 {
  return slotMin(parent, pend, openMin(s, k + 1));
}

/** Records a changed last child of level k + 1's open node: its max and gap. */
function lastChildUpdate(tree: i32, s: i32, k: i32, child: i32, min: u64, max: u64): void {
  const parent = openNode(s, k + 1);
  const pend = nodeEnd(parent);
  const ptype = levelType(tree, k + 1);
  if (pend < typePivots(ptype)) nodeSetPivot(parent, pend, max);
  if (ptype == NODE_ARANGE) nodeSetGap(parent, pend, nodeMaxGap(tree, child, k, min, max));
  setOpenMax(s, k + 1, max);
}

/**
 * Folds level k's open node into its left sibling when both fit one node (the sibling then
 * ends the level). False when they do not fit.
 */
function levelMerge(tree: i32, s: i32, k: i32): bool {
  const type = levelType(tree, k);
  const last = openNode(s, k);
  const parent = openNode(s, k + 1);
  const pend = nodeEnd(parent);
  const sib = nodeSlot(parent, levelType(tree, k + 1), pend);
  const sibCount = nodeEnd(sib) + 1;
  const lastEnd = nodeEnd(last);
  if (sibCount + lastEnd + 1 > typeSlots(type)) return false;
  const max = openMax(s, k);
  for (let i = 0; i <= lastEnd; i++) slotCopy(sib, sibCount + i, last, i, lastEnd, max, type);
  nodeSetEnd(sib, sibCount + lastEnd);
  treeNodeFree(tree, last);
  setOpenNode(s, k, 0);
  lastChildUpdate(tree, s, k, sib, lastChildMin(s, k, parent, pend), max);
  return true;
}

/**
 * Moves the tail of the left sibling into level k's open node until it holds half the
 * slots of the two (one more when the sibling would end in NULL). Runs when the open node is
 * below the occupancy floor and the two do not fit one node.
 */
function levelBalance(tree: i32, s: i32, k: i32): void {
  const type = levelType(tree, k);
  const last = openNode(s, k);
  const lastEnd = nodeEnd(last);
  if (lastEnd >= typeMinEnd(type)) return;
  const parent = openNode(s, k + 1);
  const pend = nodeEnd(parent);
  const sib = nodeSlot(parent, levelType(tree, k + 1), pend);
  const sibEnd = nodeEnd(sib);
  const sibMax = openMax(s, k + 1);
  const total = sibEnd + lastEnd + 2;
  let keep = total - (total >> 1);
  if (type == NODE_LEAF && nodeSlot(sib, type, keep - 1) == 0) keep--;
  const moved = sibEnd + 1 - keep;
  const lastMax = openMax(s, k);
  for (let i = lastEnd; i >= 0; i--) slotCopy(last, i + moved, last, i, lastEnd, lastMax, type);
  for (let i = 0; i < moved; i++) slotCopy(last, i, sib, keep + i, sibEnd, sibMax, type);
  nodeSetEnd(last, lastEnd + moved);
  const sibNewMax = nodePivot(sib, keep - 1);
  for (let i = keep; i <= sibEnd; i++) slotClear(sib, type, i);
  nodeSetEnd(sib, keep - 1);
  setOpenMin(s, k, sibNewMax + 1);
  lastChildUpdate(tree, s, k, sib, lastChildMin(s, k, parent, pend), sibNewMax);
}

/**
 * Finishes the build: the NULL range after the last row, then every level's open node closed
 * from the leaves up. OK or ENOMEM (the tree is then empty). A build with no rows is empty.
 */
export function treeBuildEnd(tree: i32): i32 {
  const s = ld32(tree + TREE_BUILD);
  if (s == 0) return OK;
  const next = ld64(s + S_NEXT);
  if (ld32(s + S_FULL) == 0 && !leafPushLast(tree, s, next, treeKeyMax(tree))) return buildAbort(tree, s);
  let k = 0;
  while (openNode(s, k + 1) != 0) {
    if (!levelMerge(tree, s, k)) {
      levelBalance(tree, s, k);
      if (!levelClose(tree, s, k)) return buildAbort(tree, s);
    }
    k++;
  }
  let root = openNode(s, k);
  let height = k + 1;
  if (height > 1 && nodeEnd(root) == 0) { // a merge left the root one child
    const child = nodeSlot(root, levelType(tree, k), 0);
    treeNodeFree(tree, root);
    root = child;
    height--;
  }
  if (levelType(tree, height - 1) == NODE_ARANGE) arangeMaxGap(root); // the root was never closed
  poolFree(s);
  st32(tree + TREE_BUILD, 0);
  treeSetRoot(tree, root, height);
  treeTouch(tree);
  return OK;
}
