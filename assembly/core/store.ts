/**
 * The write path, shaped like the kernel's mas_wr_store_entry: storeClassify() walks to the
 * leaf holding `first`, fills the write state (the kernel's ma_wr_state, in scratch memory:
 * see WR in scratch.ts) and names the store type; storeNodesNeeded() is that type's worst-case
 * node count; a store makes sure it can allocate that many, preallocate adds it to the tree's
 * reservation; storeCommit() dispatches to one routine per type. Nothing in the tree changes
 * before storeCommit, so a caller can refuse or change a type in between (RCU readers forbid
 * in-place appends and node stores).
 */

import {
  NODE_LEAF, NODE_SIZE, MODE_INSERT, MODE_OVERWRITE, RANGE_PIVOTS, EEXIST, ENOMEM, RES_FIRST, RES_LAST, RANGE_SLOTS,
  RANGE_MIN_END, WR_NEW_ROOT, WR_STORE_ROOT, WR_EXACT_FIT, WR_SPANNING_STORE, WR_SPLIT_STORE, WR_REBALANCE,
  WR_APPEND, WR_NODE_STORE, WR_SLOT_STORE, WR_NOTHING, WR_INVALID,
} from "../shared/layout";
import { ld32, st32, ld64, st64, stKeyF64, memMove, hostRetain, hostRelease } from "./mem";
import { nodeType, nodeEnd, nodeSetEnd, nodeSlot, nodeSetSlot, nodePivot, nodeSetPivot, nodeFind, nodeSetStamp, slotMin, slotMax } from "./node";
import {
  treeRoot, treeHeight, treeSetRoot, treeTouch, treeCanAllocate, treeNodeAlloc, treeNodeFree,
  treeNewStamp, treeIsAlloc, treeIsRcu, treeNodes, treeKeyMax, SPAN_NODES, RCU_SPAN_NODES,
} from "./tree";
import { pathWalk, pathWalkLeft, pathKeep, pathNode, pathOff, pathMin, pathMax, pathSet } from "./walk";
import { rcuPublishChild, rcuPublishEnd, rcuSetSlot } from "./rcu";
import { bigSet, bigPivot, bigSlot, bigAppendNode, bigCoalesce, nodeWriteBig, treeRebuild, gapUpdateUp } from "./rebalance";
import {
  RES, LPATH, RPATH, PATH_BYTES, BIG_A, G_STAMP, G_NO_GROW, WR, WS_LEAF, WS_OFFSET, WS_OFFSET_END, WS_END, WS_ENTRY,
  WS_OLD, WS_END_SLOT, WS_LO, WS_HI, WS_NEW_END, WS_FLAGS, WS_ROWS, WS_RIGHT, WS_RIGHT_OFF, WS_FIRST, WS_LAST,
  WS_LEAF_MIN, WS_LEAF_MAX, WS_R_MIN, WS_END_PIVOT, WS_MID_MIN, WS_MID_MAX,
} from "./scratch";

/** WS_FLAGS bits: which remnants of the overwritten ranges survive, and a write that empties the tree. */
const KEEP_LEFT: i32 = 1;
const KEEP_RIGHT: i32 = 2;
const EMPTIES: i32 = 4;
/** The most merged leaf rows two leaves hold: every slot of both. */
const SHRINK_ROWS_MAX: i32 = 2 * RANGE_SLOTS;

// @ts-ignore: decorator
@inline function ws(field: i32): i32 { return ld32(WR + field); }
// @ts-ignore: decorator
@inline function wsSet(field: i32, value: i32): void { st32(WR + field, value); }
// @ts-ignore: decorator
@inline function wsKey(field: i32): u64 { return ld64(WR + field); }
// @ts-ignore: decorator
@inline function wsSetKey(field: i32, value: u64): void { st64(WR + field, value); }

function resRange(first: u64, last: u64): void {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
}

/**
 * Stores `entry` over [first, last] (see CoreBackend.store). Returns the store type, or
 * EEXIST / ENOMEM with nothing changed.
 */
export function treeStore(tree: i32, first: u64, last: u64, entry: i32, mode: i32): i32 {
  let type = WR_INVALID;
  if (entry != 0 && mode == MODE_OVERWRITE && treeRoot(tree) != 0 && !treeIsRcu(tree)) {
    type = storeInLeafDirect(tree, first, last, entry);
    if (type != WR_INVALID && type != WR_SPLIT_STORE && type != WR_REBALANCE) return type; // written in place
  }
  if (type == WR_INVALID) type = storeClassify(tree, first, last, entry, mode);
  if (type < 0 || type == WR_NOTHING) return type;
  const need = storeNodesNeeded(type, treeHeight(tree), treeIsRcu(tree));
  if (need > 0 && !treeCanAllocate(tree, need, false)) return storeOverBudget(tree, type, need);
  storeCommit(tree, type);
  return type;
}

/**
 * A write whose worst case the budget refuses. A NULL write that adds no range is held only
 * to what it can add, which is nothing when cut so the tree cannot grow (storeShrinks).
 * Anything else is ENOMEM, nothing changed.
 */
function storeOverBudget(tree: i32, type: i32, need: i32): i32 {
  if (!storeShrinks(tree, type) || !treeCanAllocate(tree, need, true)) return ENOMEM;
  storeCommitNoGrow(tree, type);
  return type;
}

/** Commits a write that adds no range over the node cap, cutting runs so the tree cannot grow. */
function storeCommitNoGrow(tree: i32, type: i32): void {
  const before = treeNodes(tree);
  st32(G_NO_GROW, 1);
  storeCommit(tree, type);
  st32(G_NO_GROW, 0);
  assert(treeNodes(tree) <= before, "a write that adds no range grew the tree");
}

/**
 * Whether a classified write is a NULL write that adds no range to the leaf level (an erase,
 * or a NULL store starting and ending on range boundaries or inside NULL ranges). Cut with
 * G_NO_GROW, such a write ends with no more nodes than it found, so it may overdraw the node
 * cap while it runs: its new nodes are allocated before the ones it replaces are freed. A
 * spanning one's merged rows replace at least two leaves, and two hold them: where no cut
 * lets the left leaf end on an entry, it ends on its NULL range (see bigCut). A NULL store
 * that punches a hole into an entry adds ranges and is held to the cap.
 */
function storeShrinks(tree: i32, type: i32): bool {
  if (ws(WS_ENTRY) != 0) return false;
  if (type != WR_SPANNING_STORE) return ws(WS_NEW_END) <= ws(WS_END);
  return ws(WS_ROWS) <= SHRINK_ROWS_MAX;
}

/**
 * The leaf before the left path's leaf when it ends in NULL, else 0. Only the rightmost leaf
 * ends in NULL in the kernel's layout; a NULL write over the budget may leave another so
 * (see bigCut), and a NULL write at the start of the next leaf must then take that NULL in.
 * Reads only.
 */
function leafBeforeEndingNull(bottom: i32): i32 {
  let d = bottom - 1;
  while (d >= 0 && pathOff(LPATH, d) == 0) d--;
  if (d < 0) return 0;
  const parent = pathNode(LPATH, d);
  let node = nodeSlot(parent, nodeType(parent), pathOff(LPATH, d) - 1);
  while (nodeType(node) != NODE_LEAF) node = nodeSlot(node, nodeType(node), nodeEnd(node));
  return nodeSlot(node, NODE_LEAF, nodeEnd(node)) == 0 ? node : 0;
}

/**
 * The kernel's mas_preallocate count: the worst case of this store in the tree as it is now
 * (0 for a write that changes nothing). Earlier writes can make it too small, which is why
 * reservations use treeStoreBound instead; kept to show and test the difference.
 */
export function treeNodesNeeded(tree: i32, first: u64, last: u64, entry: i32): i32 {
  const type = storeClassify(tree, first, last, entry, MODE_OVERWRITE);
  return type == WR_NOTHING ? 0 : storeNodesNeeded(type, treeHeight(tree), treeIsRcu(tree));
}

/**
 * Worst-case nodes a store type may allocate in a tree of this height (kernel
 * mas_prealloc_calc). A write that leaves the tree one NULL range only frees nodes. In RCU
 * mode a node store builds its new leaf (one node), and rebuilt levels reuse no node.
 */
// @ts-ignore: decorator
@inline export function storeNodesNeeded(type: i32, height: i32, rcu: bool): i32 {
  if ((ws(WS_FLAGS) & EMPTIES) != 0) return 0;
  if (type == WR_SPANNING_STORE) return (rcu ? RCU_SPAN_NODES : SPAN_NODES) * height + 1;
  if (type == WR_SPLIT_STORE || type == WR_REBALANCE) return (rcu ? 3 : 2) * height + 1;
  if (type == WR_NEW_ROOT || type == WR_STORE_ROOT || (rcu && type == WR_NODE_STORE)) return 1;
  return 0;
}

////////////////////////////////////////////////////////////////////////////////////////////
// Classification: reads the tree, writes only the write state, RES and scratch buffers.

/**
 * Names the store type of writing `entry` over [first, last] and records everything the
 * commit needs in the write state. RES is the range the write will cover (widened by NULL
 * coalescing). Returns WR_NOTHING for a write that changes nothing, EEXIST for an insert
 * over an entry.
 */
export function storeClassify(tree: i32, first: u64, last: u64, entry: i32, mode: i32): i32 {
  wsRecordWrite(first, last, entry);
  if (treeRoot(tree) == 0) return classifyEmpty(first, last, entry, mode, treeKeyMax(tree));
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
  if (mode == MODE_INSERT) {
    if (old != 0 || last > rMax) return EEXIST;
    if (entry == 0) {
      resRange(first, last);
      return WR_NOTHING;
    }
  }
  if (entry == 0) {
    if (old == 0) {
      if (last <= rMax) {
        resRange(rMin, rMax);
        return WR_NOTHING;
      }
    } else if (offset == 0 && wsKey(WS_FIRST) == leafMin && leafMin > 0) {
      // No two NULL ranges in a row: a NULL from the leaf's first key joins one ending the leaf before.
      const before = leafBeforeEndingNull(bottom);
      if (before != 0) return storeClassify(tree, slotMin(before, nodeEnd(before), 0), last, 0, MODE_OVERWRITE);
    }
  }
  wsRecordLeaf(leaf, offset, end, old, leafMin, leafMax, rMin);
  // A NULL write ending a leaf other than the rightmost is a spanning store (the kernel's
  // mas_is_span_wr): it merges with a NULL starting the next leaf, and the rebuild keeps
  // NULLs off leaf ends where it can.
  if (last > leafMax || (entry == 0 && last == leafMax && leafMax != treeKeyMax(tree))) return classifySpanning(tree, bottom);
  const type = classifyInLeaf(height);
  // RCU mode bans in-place appends and multi-slot writes: the leaf is rebuilt (kernel: wr_node_store).
  return treeIsRcu(tree) && (type == WR_APPEND || type == WR_SLOT_STORE) ? WR_NODE_STORE : type;
}

/** The first store into an empty tree: one leaf, or nothing for a NULL. */
function classifyEmpty(first: u64, last: u64, entry: i32, mode: i32, keyMax: u64): i32 {
  if (entry == 0) {
    if (mode == MODE_INSERT) resRange(first, last);
    else resRange(0, keyMax);
    return WR_NOTHING;
  }
  resRange(first, last);
  return first == 0 && last == keyMax ? WR_NEW_ROOT : WR_STORE_ROOT;
}

/**
 * A write inside one leaf (the kernel's mas_wr_end_piv, mas_wr_extend_null, mas_wr_new_end):
 * slots lo..hi become up to three rows (left remnant, entry, right remnant), a NULL write
 * absorbing NULL neighbours, and the leaf ends at newEnd. Classified after NULL extension,
 * as the kernel does: a NULL write that absorbed a neighbour is no longer an exact fit.
 */
// @ts-ignore: decorator
@inline function classifyInLeaf(height: i32): i32 {
  const leaf = ws(WS_LEAF);
  const end = ws(WS_END);
  const entry = ws(WS_ENTRY);
  const first = wsKey(WS_FIRST);
  const last = wsKey(WS_LAST);
  const rMin = wsKey(WS_R_MIN);
  const leafMax = wsKey(WS_LEAF_MAX);
  let lo = ws(WS_OFFSET);
  let hi = nodeFind(leaf, end, last);
  const endPivot = slotMax(leaf, hi, end, leafMax);
  const endSlot = nodeSlot(leaf, NODE_LEAF, hi);
  wsRecordWriteEnd(hi, endSlot, endPivot);
  let keepLeft = rMin < first;
  let keepRight = last < endPivot;
  let midMin = first;
  let midMax = last;
  if (entry == 0) {
    if (keepLeft && ws(WS_OLD) == 0) { keepLeft = false; midMin = rMin; }
    else if (!keepLeft && lo > 0 && nodeSlot(leaf, NODE_LEAF, lo - 1) == 0) { lo--; midMin = slotMin(leaf, lo, wsKey(WS_LEAF_MIN)); }
    if (keepRight && endSlot == 0) { keepRight = false; midMax = endPivot; }
    else if (!keepRight && hi < end && nodeSlot(leaf, NODE_LEAF, hi + 1) == 0) { hi++; midMax = slotMax(leaf, hi, end, leafMax); }
  }
  const rows = 1 + (keepLeft ? 1 : 0) + (keepRight ? 1 : 0);
  const newEnd = end + rows - (hi - lo + 1);
  const flags = (keepLeft ? KEEP_LEFT : 0) | (keepRight ? KEEP_RIGHT : 0) | (newEnd == 0 && entry == 0 ? EMPTIES : 0);
  wsRecordRows(lo, hi, newEnd, flags, midMin, midMax);
  return inLeafType(height, end, newEnd, lo, hi, rows, entry);
}

/** The write state's request part: the range and entry written, no flags yet. */
// @ts-ignore: decorator
@inline function wsRecordWrite(first: u64, last: u64, entry: i32): void {
  wsSet(WS_FLAGS, 0);
  wsSet(WS_ENTRY, entry);
  wsSetKey(WS_FIRST, first);
  wsSetKey(WS_LAST, last);
}

/** The write state's leaf part: the leaf, the write's first slot, its range start and the leaf's bounds. */
// @ts-ignore: decorator
@inline function wsRecordLeaf(leaf: i32, offset: i32, end: i32, old: i32, leafMin: u64, leafMax: u64, rMin: u64): void {
  wsSet(WS_LEAF, leaf);
  wsSet(WS_OFFSET, offset);
  wsSet(WS_END, end);
  wsSet(WS_OLD, old);
  wsSetKey(WS_LEAF_MIN, leafMin);
  wsSetKey(WS_LEAF_MAX, leafMax);
  wsSetKey(WS_R_MIN, rMin);
}

/** The write state's end part: the slot the write ends in, its entry and its last index. */
// @ts-ignore: decorator
@inline function wsRecordWriteEnd(hi: i32, endSlot: i32, endPivot: u64): void {
  wsSet(WS_OFFSET_END, hi);
  wsSet(WS_END_SLOT, endSlot);
  wsSetKey(WS_END_PIVOT, endPivot);
}

/** The write state's plan for an in-leaf write (slots lo..hi become the rows; the leaf ends at newEnd), and RES. */
// @ts-ignore: decorator
@inline function wsRecordRows(lo: i32, hi: i32, newEnd: i32, flags: i32, midMin: u64, midMax: u64): void {
  wsSet(WS_LO, lo);
  wsSet(WS_HI, hi);
  wsSet(WS_NEW_END, newEnd);
  wsSet(WS_FLAGS, flags);
  wsSetKey(WS_MID_MIN, midMin);
  wsSetKey(WS_MID_MAX, midMax);
  resRange(midMin, midMax);
}

/** The store type of a write that turns slots lo..hi of a leaf ending at `end` into `rows` rows. */
// @ts-ignore: decorator
@inline function inLeafType(height: i32, end: i32, newEnd: i32, lo: i32, hi: i32, rows: i32, entry: i32): i32 {
  if (newEnd >= RANGE_SLOTS) return WR_SPLIT_STORE;
  if (height > 1 && newEnd < RANGE_MIN_END) return WR_REBALANCE;
  if (newEnd == 0 && entry == 0) return WR_NEW_ROOT; // the only leaf becomes one NULL range
  if (lo == hi && rows == 1) return WR_EXACT_FIT;
  if (lo == end) return WR_APPEND;
  if (newEnd == end) return WR_SLOT_STORE;
  return WR_NODE_STORE;
}

/**
 * storeClassify + storeCommit for the commonest write, with the plan in locals instead of the
 * write state: an entry (not NULL, so no NULL extension) stored over part of one leaf of a
 * tree without RCU readers, in place (exact fit, append, slot store, node store: no nodes
 * needed, so nothing to reserve). Small trees' writes are mostly these, and the round trip
 * through scratch memory was a tenth of their cost. A split store or rebalance of such a
 * write is classified here but not committed: its plan goes to the write state as
 * storeClassify would record it, and its type is returned for treeStore's general path
 * (classifying it again was a tenth of a small tree's splitting write). Returns WR_INVALID,
 * having changed nothing, for a write past the leaf (the general path then finds the walked
 * path recorded).
 */
function storeInLeafDirect(tree: i32, first: u64, last: u64, entry: i32): i32 {
  const height = treeHeight(tree);
  const bottom = height - 1;
  pathWalkLeft(tree, first);
  const leafMax = pathMax(LPATH, bottom);
  if (last > leafMax) return WR_INVALID; // spanning
  const leaf = pathNode(LPATH, bottom);
  const lo = pathOff(LPATH, bottom);
  const end = nodeEnd(leaf);
  const hi = nodeFind(leaf, end, last);
  const rMin = slotMin(leaf, lo, pathMin(LPATH, bottom));
  const endPivot = slotMax(leaf, hi, end, leafMax);
  const keepLeft = rMin < first;
  const keepRight = last < endPivot;
  const flags = (keepLeft ? KEEP_LEFT : 0) | (keepRight ? KEEP_RIGHT : 0);
  const rows = 1 + (keepLeft ? 1 : 0) + (keepRight ? 1 : 0);
  const newEnd = end + rows - (hi - lo + 1);
  const type = inLeafType(height, end, newEnd, lo, hi, rows, entry);
  if (type == WR_SPLIT_STORE || type == WR_REBALANCE) {
    wsRecordEntryInLeaf(leaf, lo, hi, end, newEnd, flags, first, last, entry, pathMin(LPATH, bottom), leafMax, rMin, endPivot);
    return type;
  }
  resRange(first, last);
  treeTouch(tree);
  if (type == WR_EXACT_FIT) storeExactFit(tree, leaf, lo, entry);
  else leafWrite(tree, leaf, lo, hi, newEnd, flags, first, last, entry);
  return type;
}

/**
 * The write state and RES storeClassify (with classifyInLeaf) records for an entry written
 * over slots lo..hi of the path's leaf, through the same recorders: no NULL extension, so the
 * written range is [first, last] and the tree cannot empty.
 */
function wsRecordEntryInLeaf(
  leaf: i32, lo: i32, hi: i32, end: i32, newEnd: i32, flags: i32, first: u64, last: u64, entry: i32,
  leafMin: u64, leafMax: u64, rMin: u64, endPivot: u64,
): void {
  wsRecordWrite(first, last, entry);
  wsRecordLeaf(leaf, lo, end, nodeSlot(leaf, NODE_LEAF, lo), leafMin, leafMax, rMin);
  wsRecordWriteEnd(hi, nodeSlot(leaf, NODE_LEAF, hi), endPivot);
  wsRecordRows(lo, hi, newEnd, flags, first, last);
}

/**
 * A write past its leaf (or a NULL write ending it). The leaf level's new rows, from the
 * left leaf's first slot to the right leaf's last, are merged in BIG_A here rather than in
 * the commit: their count tells a write that empties the tree, which needs no nodes.
 */
function classifySpanning(tree: i32, bottom: i32): i32 {
  const last = wsKey(WS_LAST);
  const keyMax = treeKeyMax(tree);
  pathWalk(tree, RPATH, last == keyMax ? last : last + 1);
  const right = pathNode(RPATH, bottom);
  const rightOff = pathOff(RPATH, bottom);
  wsSet(WS_RIGHT, right);
  wsSet(WS_RIGHT_OFF, rightOff);
  let n = bigRowsBeforeEnd();
  if (last < keyMax) n = bigAppendNode(BIG_A, n, right, rightOff, nodeEnd(right), pathMax(RPATH, bottom));
  n = bigCoalesce(BIG_A, n);
  wsSet(WS_ROWS, n);
  if (n == 1 && ws(WS_ENTRY) == 0) wsSet(WS_FLAGS, EMPTIES);
  resWritten(n, wsKey(WS_LEAF_MIN), wsKey(WS_FIRST));
  return WR_SPANNING_STORE;
}

/** Writes the leaf's rows before the write, its left remnant and the entry to BIG_A; returns the row count. */
function bigRowsBeforeEnd(): i32 {
  const leaf = ws(WS_LEAF);
  const offset = ws(WS_OFFSET);
  const first = wsKey(WS_FIRST);
  let n = offset > 0 ? bigAppendNode(BIG_A, 0, leaf, 0, offset - 1, wsKey(WS_LEAF_MAX)) : 0;
  if (wsKey(WS_R_MIN) < first) bigSet(BIG_A, n++, first - 1, ws(WS_OLD), 0);
  bigSet(BIG_A, n++, wsKey(WS_LAST), ws(WS_ENTRY), 0);
  return n;
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

////////////////////////////////////////////////////////////////////////////////////////////
// Commit: one routine per store type, run once the nodes it may need are secured.

/** Carries out a classified store (the caller has made sure its nodes can be allocated). */
export function storeCommit(tree: i32, type: i32): void {
  treeTouch(tree); // first: an in-leaf write records its path as describing the changed tree
  switch (type) {
    case WR_NEW_ROOT: storeNewRoot(tree); break;
    case WR_STORE_ROOT: storeRootLeaf(tree); break;
    case WR_EXACT_FIT: storeExactFit(tree, ws(WS_LEAF), ws(WS_LO), ws(WS_ENTRY)); break;
    case WR_APPEND: storeInLeaf(tree); break;
    case WR_SLOT_STORE: storeInLeaf(tree); break;
    case WR_NODE_STORE: if (treeIsRcu(tree)) storeLeafCopy(tree); else storeInLeaf(tree); break;
    case WR_SPLIT_STORE: storeRebuild(tree); break;
    case WR_REBALANCE: storeRebuild(tree); break;
    case WR_SPANNING_STORE: storeSpanning(tree); break;
  }
  if (treeIsRcu(tree)) rcuPublishEnd();
}

/**
 * RCU node store: the leaf's new contents go into a copy, published in its parent's slot (or
 * as the root) with one atomic store; the old leaf is retired once the write has published.
 */
function storeLeafCopy(tree: i32): void {
  const old = ws(WS_LEAF);
  const bottom = treeHeight(tree) - 1;
  const copy = treeNodeAlloc(tree);
  memMove(copy, old, NODE_SIZE);
  wsSet(WS_LEAF, copy);
  pathSet(LPATH, bottom, copy, pathOff(LPATH, bottom), pathMin(LPATH, bottom), pathMax(LPATH, bottom));
  storeInLeaf(tree); // on the copy, which no reader sees yet; gaps above change in place
  if (bottom == 0) treeSetRoot(tree, copy, 1);
  else {
    const parent = pathNode(LPATH, bottom - 1);
    rcuPublishChild(parent, nodeType(parent), pathOff(LPATH, bottom - 1), copy);
  }
  treeNodeFree(tree, old);
}

/** The tree becomes one range: a root leaf over everything, or no root for a NULL write over the last entries. */
function storeNewRoot(tree: i32): void {
  const leaf = treeRoot(tree);
  if (leaf == 0) {
    storeRootLeaf(tree);
    return;
  }
  pathKeep(0);
  const end = nodeEnd(leaf);
  for (let i = 0; i <= end; i++) hostRelease(nodeSlot(leaf, NODE_LEAF, i));
  treeNodeFree(tree, leaf);
  treeSetRoot(tree, 0, 0);
}

/** A store into an empty tree: one leaf with up to three ranges. */
function storeRootLeaf(tree: i32): void {
  const first = wsKey(WS_FIRST);
  const last = wsKey(WS_LAST);
  let n = 0;
  if (first > 0) bigSet(BIG_A, n++, first - 1, 0, 0);
  bigSet(BIG_A, n++, last, ws(WS_ENTRY), 0);
  const keyMax = treeKeyMax(tree);
  if (last < keyMax) bigSet(BIG_A, n++, keyMax, 0, 0);
  treeNewStamp();
  const leaf = treeNodeAlloc(tree);
  nodeWriteBig(leaf, NODE_LEAF, BIG_A, 0, n, 0, keyMax, treeIsAlloc(tree));
  treeSetRoot(tree, leaf, 1);
}

/** Replaces slot lo's entry: no boundaries move; gaps change only if its NULL-ness does. */
function storeExactFit(tree: i32, leaf: i32, lo: i32, entry: i32): void {
  const old = nodeSlot(leaf, NODE_LEAF, lo);
  if (treeIsRcu(tree)) rcuSetSlot(leaf, NODE_LEAF, lo, entry);
  else nodeSetSlot(leaf, NODE_LEAF, lo, entry);
  hostRelease(old);
  if (treeIsAlloc(tree) && (entry == 0) != (old == 0)) gapUpdateUp(treeHeight(tree) - 1);
  pathKeep(tree); // nodes above the leaf did not change
}

/** Append, slot store and node store, as classified into the write state. */
function storeInLeaf(tree: i32): void {
  leafWrite(tree, ws(WS_LEAF), ws(WS_LO), ws(WS_HI), ws(WS_NEW_END), ws(WS_FLAGS), wsKey(WS_FIRST), wsKey(WS_MID_MAX), ws(WS_ENTRY));
}

/**
 * The in-leaf write (append, slot store, node store) of the path's leaf: slots lo..hi become
 * the left remnant (KEEP_LEFT in `flags`), the entry up to midMax, and the right remnant
 * (KEEP_RIGHT), the tail moving by the change in slot count (an append or slot store moves
 * none), and the leaf ends at newEnd. The remnants' entries and bounds are read from the leaf
 * before it changes.
 */
// @ts-ignore: decorator
@inline function leafWrite(tree: i32, leaf: i32, lo: i32, hi: i32, newEnd: i32, flags: i32, first: u64, midMax: u64, entry: i32): void {
  const bottom = treeHeight(tree) - 1;
  const end = nodeEnd(leaf);
  const leafMax = pathMax(LPATH, bottom);
  const old = nodeSlot(leaf, NODE_LEAF, lo);
  const endSlot = nodeSlot(leaf, NODE_LEAF, hi);
  const endPivot = slotMax(leaf, hi, end, leafMax);
  leafRelease(leaf, lo, hi, flags);
  const delta = newEnd - end;
  if (delta > 0) {
    for (let i = end; i > hi; i--) leafMoveSlot(leaf, i, i + delta, leafMax);
  } else if (delta < 0) {
    for (let i = hi + 1; i <= end; i++) leafMoveSlot(leaf, i, i + delta, leafMax);
  }
  let at = lo;
  if ((flags & KEEP_LEFT) != 0) {
    nodeSetPivot(leaf, at, first - 1);
    nodeSetSlot(leaf, NODE_LEAF, at, old);
    at++;
  }
  if (at < RANGE_PIVOTS) nodeSetPivot(leaf, at, midMax);
  nodeSetSlot(leaf, NODE_LEAF, at, entry);
  at++;
  if ((flags & KEEP_RIGHT) != 0) {
    if (at < RANGE_PIVOTS) nodeSetPivot(leaf, at, endPivot);
    nodeSetSlot(leaf, NODE_LEAF, at, endSlot);
  }
  // A non-full node ends on its max.
  for (let i = newEnd + 1; i <= end; i++) {
    nodeSetSlot(leaf, NODE_LEAF, i, 0);
    if (i < RANGE_PIVOTS) nodeSetPivot(leaf, i, 0);
  }
  if (newEnd < RANGE_PIVOTS) nodeSetPivot(leaf, newEnd, leafMax);
  nodeSetEnd(leaf, newEnd);
  if (treeIsAlloc(tree)) gapUpdateUp(bottom);
  pathKeep(tree); // nodes above the leaf did not change
}

/**
 * References of an in-leaf or rebuilt write over slots lo..hi: every overwritten range goes,
 * remnants stay, and a range split in two is held once more (the entry's own reference is
 * taken by the host, saving a call out of WebAssembly per store). Slots a NULL write absorbed,
 * and remnants it dropped, are NULL: nothing to count.
 */
// @ts-ignore: decorator
@inline function leafRelease(leaf: i32, lo: i32, hi: i32, flags: i32): void {
  for (let i = lo; i <= hi; i++) {
    const kept = (i == lo && (flags & KEEP_LEFT) != 0 ? 1 : 0) + (i == hi && (flags & KEEP_RIGHT) != 0 ? 1 : 0);
    const handle = nodeSlot(leaf, NODE_LEAF, i);
    if (handle <= 1) continue; // NULL and ZERO_ENTRY hold no reference: no call for the NULLs a NULL write absorbs
    if (kept == 0) hostRelease(handle);
    else if (kept == 2) hostRetain(handle);
  }
}

/** Moves leaf slot i (and its pivot; the last slot has the implied max) to slot j. */
function leafMoveSlot(leaf: i32, i: i32, j: i32, leafMax: u64): void {
  nodeSetSlot(leaf, NODE_LEAF, j, nodeSlot(leaf, NODE_LEAF, i));
  if (j < RANGE_PIVOTS) nodeSetPivot(leaf, j, i < RANGE_PIVOTS ? nodePivot(leaf, i) : leafMax);
}

/**
 * Split store and rebalance (the kernel's mas_wr_bnode): the leaf's new rows go to BIG_A and
 * the level loop (rebalance.ts) cuts, pushes, pulls and climbs.
 */
function storeRebuild(tree: i32): void {
  pathKeep(0); // the level loop moves and rewrites nodes on the path
  treeNewStamp();
  const leaf = ws(WS_LEAF);
  const end = ws(WS_END);
  const offsetEnd = ws(WS_OFFSET_END);
  const endPivot = wsKey(WS_END_PIVOT);
  let n = bigRowsBeforeEnd();
  if (wsKey(WS_LAST) < endPivot) bigSet(BIG_A, n++, endPivot, ws(WS_END_SLOT), 0);
  if (offsetEnd < end) n = bigAppendNode(BIG_A, n, leaf, offsetEnd + 1, end, wsKey(WS_LEAF_MAX));
  n = bigCoalesce(BIG_A, n);
  memMove(RPATH, LPATH, PATH_BYTES);
  leafRelease(leaf, ws(WS_LO), ws(WS_HI), ws(WS_FLAGS));
  nodeSetStamp(leaf, ld32(G_STAMP));
  treeRebuild(tree, treeHeight(tree) - 1, BIG_A, n);
}

/**
 * A write from one leaf into another (the kernel's mas_wr_spanning_store): everything from
 * the left path's slot to the right path's slot is overwritten; the merged rows are already
 * in BIG_A (classifySpanning).
 */
function storeSpanning(tree: i32): void {
  pathKeep(0);
  treeNewStamp();
  const leaf = ws(WS_LEAF);
  const offset = ws(WS_OFFSET);
  const end = ws(WS_END);
  const right = ws(WS_RIGHT);
  const keepLeft = wsKey(WS_R_MIN) < wsKey(WS_FIRST);
  for (let i = offset; i <= end; i++) {
    if (i == offset && keepLeft) continue;
    hostRelease(nodeSlot(leaf, NODE_LEAF, i));
  }
  const rightEnd = wsKey(WS_LAST) == treeKeyMax(tree) ? nodeEnd(right) : ws(WS_RIGHT_OFF) - 1;
  for (let i = 0; i <= rightEnd; i++) hostRelease(nodeSlot(right, NODE_LEAF, i));
  nodeSetStamp(right, ld32(G_STAMP));
  nodeSetStamp(leaf, ld32(G_STAMP));
  treeRebuild(tree, treeHeight(tree) - 1, BIG_A, ws(WS_ROWS));
}
