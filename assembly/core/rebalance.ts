/**
 * The restructuring half of the write path: big-node buffers, split calculation, push to a
 * sibling, rebalance and spanning store, all driven by one bottom-up level loop.
 *
 * At each level a *run* of adjacent nodes (from the left path's node to the right path's
 * node) is replaced by the content of a big-node buffer. The buffer is cut into 1–4 pieces
 * that reuse the run's nodes, then the parents' buffer is built from the left parent's slots
 * before the run, the pieces, and the right parent's slots after it. Slots strictly between
 * the two paths were wholly overwritten and are destroyed. The loop stops as soon as a level
 * rewrites a single node in place, or at the root.
 */

import { NODE_LEAF, NODE_ARANGE, NODE_SIZE, OFF_PIVOTS } from "../shared/layout";
import { ld32, st32, ld64, st64, memZero, idiv } from "./mem";
import {
  nodeType, nodeSetType, nodeEnd, nodeSetEnd, nodeSlot, nodeSetSlot, nodeSetPivot,
  nodeGap, nodeSetGap, nodeGapOffset, nodeSetParent, nodeSetStamp, typeSlots, typePivots, typeMinEnd, slotMax, leafMaxGap, arangeMaxGap,
} from "./node";
import {
  treeHeight, treeSetRoot, treeIsAlloc, treeIsRcu, treeInternalType, treeNodeAlloc, treeNodeFree,
  treeDestroySubtree, treeKeyMax,
} from "./tree";
import { pathNode, pathOff, pathMin, pathMax, pathNextNode, pathPrevNode, pathSet } from "./walk";
import { rcuPublishChild } from "./rcu";
import { LPATH, RPATH, BIG_A, BIG_B, BIG_CAP, BIG_SLOT, BIG_GAP, PIECES, PIECE_CAP, PUSH_CUT, G_STAMP, G_NO_GROW } from "./scratch";

////////////////////////////////////////////////////////////////////////////////////////////
// Big-node buffers: [pivot u64, slot i32, gap u64] rows, every pivot explicit.

// @ts-ignore: decorator
@inline export function bigPivot(b: i32, i: i32): u64 { return ld64(b + (i << 3)); }
// @ts-ignore: decorator
@inline export function bigSlot(b: i32, i: i32): i32 { return ld32(b + BIG_SLOT + (i << 2)); }
// @ts-ignore: decorator
@inline export function bigGap(b: i32, i: i32): u64 { return ld64(b + BIG_GAP + (i << 3)); }
// @ts-ignore: decorator
@inline export function bigSetPivot(b: i32, i: i32, pivot: u64): void { st64(b + (i << 3), pivot); }

export function bigSet(b: i32, i: i32, pivot: u64, slot: i32, gap: u64): void {
  assert(i < BIG_CAP, "big-node buffer overflow: more rows than BIG_CAP");
  st64(b + (i << 3), pivot);
  st32(b + BIG_SLOT + (i << 2), slot);
  st64(b + BIG_GAP + (i << 3), gap);
}

/** Appends slots from..to of node (whose range ends at max) to buffer b at row n. */
export function bigAppendNode(b: i32, n: i32, node: i32, from: i32, to: i32, max: u64): i32 {
  const type = nodeType(node);
  const end = nodeEnd(node);
  const gaps = type == NODE_ARANGE;
  for (let i = from; i <= to; i++) {
    bigSet(b, n++, slotMax(node, i, end, max), nodeSlot(node, type, i), gaps ? nodeGap(node, i) : 0);
  }
  return n;
}

/** Shifts rows right by `by` to make room at the front. */
function bigShift(b: i32, n: i32, by: i32): void {
  for (let i = n - 1; i >= 0; i--) bigSet(b, i + by, bigPivot(b, i), bigSlot(b, i), bigGap(b, i));
}

/** Merges adjacent NULL rows (leaf buffers): NULL ranges always coalesce. */
export function bigCoalesce(b: i32, n: i32): i32 {
  let w = 0;
  for (let r = 0; r < n; r++) {
    if (w > 0 && bigSlot(b, r) == 0 && bigSlot(b, w - 1) == 0) {
      bigSetPivot(b, w - 1, bigPivot(b, r));
    } else {
      if (w != r) bigSet(b, w, bigPivot(b, r), bigSlot(b, r), bigGap(b, r));
      w++;
    }
  }
  return w;
}

////////////////////////////////////////////////////////////////////////////////////////////
// Writing nodes.

/** Consumes a node into a buffer: the running write will reuse or free it, never destroy it. */
// @ts-ignore: decorator
@inline function nodeConsume(node: i32): void { nodeSetStamp(node, ld32(G_STAMP)); }

/**
 * Writes rows from..from+count-1 of b into node as a node of `type`, clearing stale data,
 * and adopts the children of an internal node. Returns the node's max gap (allocRange trees).
 */
export function nodeWriteBig(node: i32, type: i32, b: i32, from: i32, count: i32, min: u64, max: u64, alloc: bool): u64 {
  memZero(node + OFF_PIVOTS, NODE_SIZE - OFF_PIVOTS); // everything but the header
  nodeSetType(node, type);
  nodeSetEnd(node, count - 1);
  nodeSetStamp(node, ld32(G_STAMP));
  const pivots = typePivots(type);
  for (let i = 0; i < count; i++) {
    if (i < pivots) nodeSetPivot(node, i, bigPivot(b, from + i));
    const slot = bigSlot(b, from + i);
    nodeSetSlot(node, type, i, slot);
    if (type != NODE_LEAF) nodeSetParent(slot, node, i);
    if (type == NODE_ARANGE) nodeSetGap(node, i, bigGap(b, from + i));
  }
  if (!alloc) return 0;
  if (type == NODE_LEAF) return leafMaxGap(node, min, max);
  return arangeMaxGap(node);
}

/** Propagates a changed max gap from the node at `depth` of the left path towards the root. */
export function gapUpdateUp(depth: i32): void {
  let node = pathNode(LPATH, depth);
  let gap = nodeType(node) == NODE_LEAF
    ? leafMaxGap(node, pathMin(LPATH, depth), pathMax(LPATH, depth))
    : nodeGap(node, nodeGapOffset(node));
  for (let d = depth - 1; d >= 0; d--) {
    const parent = pathNode(LPATH, d);
    const slot = pathOff(LPATH, d);
    if (nodeGap(parent, slot) == gap) return;
    nodeSetGap(parent, slot, gap);
    gap = arangeMaxGap(parent);
  }
}

////////////////////////////////////////////////////////////////////////////////////////////
// Split calculation.

/**
 * Finds cuts for rows from..n-1 into k pieces, each holding minCount..slots rows, none but
 * the last ending on a NULL leaf slot when `leaf` (the kernel's layout: only the rightmost
 * leaf ends in NULL). Cuts are tried nearest the even split first (or nearest `prefer`, for
 * a push to a sibling), one step right before one step left, as the kernel moves a split off
 * a NULL slot. Writes the end row of each piece to PIECES[j..]; false when no cut fits.
 */
function bigCutFrom(b: i32, from: i32, n: i32, k: i32, j: i32, leaf: bool, slots: i32, minCount: i32, prefer: i32): bool {
  const rows = n - from;
  if (k == 1) {
    if (rows < minCount || rows > slots) return false;
    st32(PIECES + (j << 2), n);
    return true;
  }
  const even = from + idiv(rows + k - 1, k);
  const start = prefer > 0 ? from + prefer : even;
  for (let step = 0; step < 2 * slots; step++) {
    const cut = start + ((step & 1) != 0 ? (step + 1) >> 1 : -(step >> 1));
    const size = cut - from;
    if (size < minCount || size > slots) continue;
    if (leaf && bigSlot(b, cut - 1) == 0) continue;
    if (bigCutFrom(b, cut, n, k - 1, j + 1, leaf, slots, minCount, 0)) {
      st32(PIECES + (j << 2), cut);
      return true;
    }
  }
  return false;
}

/**
 * Cuts rows 0..n-1 into at least k pieces (one more if no k-way cut fits, except under
 * G_NO_GROW, where a leaf may end on NULL instead), writing the end row of each piece to
 * PIECES. `leftFull` > 0 asks for a left piece of that size (a push to a
 * sibling). Returns the number of pieces.
 */
function bigCut(b: i32, n: i32, k: i32, type: i32, leftFull: i32): i32 {
  const slots = typeSlots(type);
  const minCount = k == 1 ? 1 : typeMinEnd(type) + 1;
  const leaf = type == NODE_LEAF;
  if (k == 1) {
    st32(PIECES, n);
    return 1;
  }
  if (bigCutFrom(b, 0, n, k, 0, leaf, slots, minCount, leftFull)) return k;
  // A write that must not grow the tree ends a leaf on NULL rather than add one: legal, as no
  // two NULL ranges are in a row (merged rows are coalesced), only not the kernel's layout.
  if (leaf && ld32(G_NO_GROW) != 0 && bigCutFrom(b, 0, n, k, 0, false, slots, minCount, leftFull)) return k;
  bigCutFrom(b, 0, n, k + 1, 0, leaf, slots, minCount, 0);
  return k + 1;
}

/**
 * Tries to absorb an overflowing single-node run into a sibling under the same parent so the
 * parent keeps its slot count (the kernel's push-left / push-right). Returns the new row
 * count and leaves the wanted left-piece size at PUSH_CUT (0 when neither sibling has room).
 */
function runPushSibling(b: i32, n: i32, depth: i32, type: i32): i32 {
  st32(PUSH_CUT, 0);
  const slots = typeSlots(type);
  let space = 2 * slots - 2;
  if (type == NODE_LEAF) space--;
  if (pathMax(RPATH, depth) == pathMax(RPATH, 0)) space--; // the rightmost node: its range ends the tree's
  const parent = pathNode(LPATH, depth - 1);
  const off = pathOff(LPATH, depth - 1);
  if (off > 0) {
    const sibling = nodeSlot(parent, nodeType(parent), off - 1);
    const count = nodeEnd(sibling) + 1;
    if (count + n < space) {
      pathPrevNode(LPATH, depth);
      nodeConsume(sibling);
      bigShift(b, n, count);
      bigAppendNode(b, 0, sibling, 0, count - 1, pathMax(LPATH, depth));
      st32(PUSH_CUT, slots - 1);
      return n + count;
    }
  }
  if (off < nodeEnd(parent)) {
    const sibling = nodeSlot(parent, nodeType(parent), off + 1);
    const count = nodeEnd(sibling) + 1;
    if (count + n < space) {
      pathNextNode(RPATH, depth);
      nodeConsume(sibling);
      bigAppendNode(b, n, sibling, 0, count - 1, pathMax(RPATH, depth));
      st32(PUSH_CUT, n + count - (slots - 1));
      return n + count;
    }
  }
  return n;
}

/** Pulls the next (else previous) node of the level into a deficient run. Returns the new row count. */
function runPullNeighbour(b: i32, n: i32, depth: i32): i32 {
  if (pathNextNode(RPATH, depth)) {
    const node = pathNode(RPATH, depth);
    nodeConsume(node);
    return bigAppendNode(b, n, node, 0, nodeEnd(node), pathMax(RPATH, depth));
  }
  if (pathPrevNode(LPATH, depth)) {
    const node = pathNode(LPATH, depth);
    const count = nodeEnd(node) + 1;
    nodeConsume(node);
    bigShift(b, n, count);
    bigAppendNode(b, 0, node, 0, count - 1, pathMax(LPATH, depth));
    return n + count;
  }
  return n;
}

/**
 * How many nodes an overflowing run of n rows is cut into: two while each of them keeps a
 * spare slot (n <= 2 × slots − 2), so a cut can move one row off a NULL slot either way —
 * a leaf keeps NULL off its end (the kernel's mab_no_null_split); three above that (the
 * kernel's mid_split in mab_calc_split, taken from b_end >= 2 × slots, or 2 × slots − 1 with
 * a NULL at the cut). bigCut adds one more piece when no cut fits. Only spanning-store and
 * rebalance data get this big. A write that must not grow the tree (G_NO_GROW) is cut in two
 * whenever two hold it.
 */
function pieceCount(n: i32, slots: i32): i32 {
  if (ld32(G_NO_GROW) != 0 && n <= 2 * slots) return 2;
  return n <= 2 * slots - 2 ? 2 : 3;
}

/**
 * Writes the k pieces cut from buffer b (ends in PIECES) into nodes — `left`, then `right`
 * when it is another node, then fresh ones (all fresh when both are 0: RCU mode) — and
 * records each as a row of the parent buffer pb from row `at`: [piece max, node, piece gap].
 */
function piecesWrite(tree: i32, b: i32, k: i32, type: i32, min: u64, left: i32, right: i32, pb: i32, at: i32, alloc: bool): void {
  assert(k <= PIECE_CAP, "more pieces than PIECE_CAP");
  let from = 0;
  let pieceMin = min;
  for (let j = 0; j < k; j++) {
    const to = ld32(PIECES + (j << 2));
    let node = j == 0 ? left : (j == 1 && right != left ? right : 0);
    if (node == 0) node = treeNodeAlloc(tree);
    const pieceMax = bigPivot(b, to - 1);
    const gap = nodeWriteBig(node, type, b, from, to - from, pieceMin, pieceMax, alloc);
    bigSet(pb, at + j, pieceMax, node, gap);
    pieceMin = pieceMax + 1;
    from = to;
  }
}

////////////////////////////////////////////////////////////////////////////////////////////
// The level loop.

/** Destroys the slots from..to of an internal node (wholly overwritten subtrees). */
function dropSlots(tree: i32, node: i32, from: i32, to: i32): void {
  const type = nodeType(node);
  for (let i = from; i <= to; i++) treeDestroySubtree(tree, nodeSlot(node, type, i));
}

/**
 * Replaces the run at `depth` (LPATH..RPATH) with rows 0..n-1 of buffer b, climbing until a
 * level is rewritten in place or the root is reached. The run's nodes must already be
 * consumed (stamped). The caller has made sure enough nodes can be allocated.
 */
export function treeRebuild(tree: i32, depth: i32, b: i32, n: i32): void {
  const height = treeHeight(tree);
  const alloc = treeIsAlloc(tree);
  const rcu = treeIsRcu(tree);
  const internal = treeInternalType(tree);
  while (true) {
    const type = depth == height - 1 ? NODE_LEAF : internal;
    const slots = typeSlots(type);
    if (depth == 0) {
      rootWrite(tree, b, n, type, height, alloc);
      return;
    }
    const oldLeft = pathNode(LPATH, depth);
    const oldRight = pathNode(RPATH, depth);
    if (n - 1 < typeMinEnd(type)) n = runPullNeighbour(b, n, depth);
    let leftFull = 0;
    if (n > slots && oldLeft == oldRight && pathNode(LPATH, depth) == pathNode(RPATH, depth)) {
      n = runPushSibling(b, n, depth, type);
      leftFull = ld32(PUSH_CUT);
    }
    const left = pathNode(LPATH, depth);
    const right = pathNode(RPATH, depth);
    const min = pathMin(LPATH, depth);
    const max = pathMax(RPATH, depth);
    if (left == right && n <= slots && n - 1 >= typeMinEnd(type)) {
      // Same node, same range: rewrite in place (RCU: a copy in its place); only gaps can change above.
      if (rcu) {
        rcuReplaceNode(tree, depth, type, b, n, min, max, alloc);
        return;
      }
      nodeWriteBig(left, type, b, 0, n, min, max, alloc);
      if (alloc) gapUpdateUp(depth);
      return;
    }
    const k = bigCut(b, n, n <= slots ? 1 : pieceCount(n, slots), type, leftFull);

    // The parent level's buffer: left parent's slots before the run, k pieces, right
    // parent's slots after it; everything in between is dropped.
    const pb = b == BIG_A ? BIG_B : BIG_A;
    const lp = pathNode(LPATH, depth - 1);
    const lo = pathOff(LPATH, depth - 1);
    const rp = pathNode(RPATH, depth - 1);
    const ro = pathOff(RPATH, depth - 1);
    nodeConsume(lp);
    nodeConsume(rp);
    let m = lo > 0 ? bigAppendNode(pb, 0, lp, 0, lo - 1, pathMax(LPATH, depth - 1)) : 0;
    const piecesAt = m;
    m += k;
    if (lp == rp) {
      dropSlots(tree, lp, lo + 1, ro - 1);
    } else {
      dropSlots(tree, lp, lo + 1, nodeEnd(lp));
      dropSlots(tree, rp, 0, ro - 1);
    }
    if (ro < nodeEnd(rp)) m = bigAppendNode(pb, m, rp, ro + 1, nodeEnd(rp), pathMax(RPATH, depth - 1));

    if (rcu) {
      piecesWrite(tree, b, k, type, min, 0, 0, pb, piecesAt, alloc);
      runRetire(tree, oldLeft, oldRight, left, right);
    } else {
      piecesWrite(tree, b, k, type, min, left, right, pb, piecesAt, alloc);
      if (k == 1 && right != left) treeNodeFree(tree, right);
      if (oldLeft != left && oldLeft != right) treeNodeFree(tree, oldLeft);
      if (oldRight != oldLeft && oldRight != left && oldRight != right) treeNodeFree(tree, oldRight);
    }

    b = pb;
    n = m;
    depth--;
  }
}

/** Writes the top level: in place, collapsed to its only child, emptied, or split under a new root. */
function rootWrite(tree: i32, b: i32, n: i32, type: i32, height: i32, alloc: bool): void {
  const root = pathNode(LPATH, 0);
  if (n == 1 && type != NODE_LEAF) {
    // A single child becomes the root; keep collapsing while that is so.
    treeNodeFree(tree, root);
    let child = bigSlot(b, 0);
    let h = height - 1;
    while (nodeType(child) != NODE_LEAF && nodeEnd(child) == 0) {
      const next = nodeSlot(child, nodeType(child), 0);
      treeNodeFree(tree, child);
      child = next;
      h--;
    }
    if (nodeType(child) == NODE_LEAF && nodeEnd(child) == 0 && nodeSlot(child, NODE_LEAF, 0) == 0) {
      // Everything coalesced into one NULL range: the tree is empty.
      treeNodeFree(tree, child);
      treeSetRoot(tree, 0, 0);
      return;
    }
    treeSetRoot(tree, child, h);
    return;
  }
  if (n == 1 && bigSlot(b, 0) == 0) {
    treeNodeFree(tree, root);
    treeSetRoot(tree, 0, 0);
    return;
  }
  const slots = typeSlots(type);
  // RCU: the new root is built beside the old one, which is retired once the root word moved.
  const rcu = treeIsRcu(tree);
  const reuse = rcu ? 0 : root;
  if (rcu) treeNodeFree(tree, root);
  if (n <= slots) {
    const node = reuse != 0 ? reuse : treeNodeAlloc(tree);
    nodeWriteBig(node, type, b, 0, n, 0, treeKeyMax(tree), alloc);
    treeSetRoot(tree, node, height);
    return;
  }
  const k = bigCut(b, n, pieceCount(n, slots), type, 0);
  const pb = b == BIG_A ? BIG_B : BIG_A;
  piecesWrite(tree, b, k, type, 0, reuse, reuse, pb, 0, alloc);
  const top = treeNodeAlloc(tree);
  nodeWriteBig(top, treeInternalType(tree), pb, 0, k, 0, treeKeyMax(tree), alloc);
  treeSetRoot(tree, top, height + 1);
}

/**
 * RCU: the run at `depth` is one node keeping its range; its new contents go to a new node,
 * published in the parent's slot once the gaps above are up to date.
 */
function rcuReplaceNode(tree: i32, depth: i32, type: i32, b: i32, n: i32, min: u64, max: u64, alloc: bool): void {
  const old = pathNode(LPATH, depth);
  const node = treeNodeAlloc(tree);
  nodeWriteBig(node, type, b, 0, n, min, max, alloc);
  pathSet(LPATH, depth, node, pathOff(LPATH, depth), min, max);
  if (alloc) gapUpdateUp(depth);
  const parent = pathNode(LPATH, depth - 1);
  rcuPublishChild(parent, nodeType(parent), pathOff(LPATH, depth - 1), node);
  treeNodeFree(tree, old);
}

/** RCU: retires the nodes a rebuilt level replaced (all of them: its pieces are new). */
function runRetire(tree: i32, oldLeft: i32, oldRight: i32, left: i32, right: i32): void {
  treeNodeFree(tree, oldLeft);
  if (oldRight != oldLeft) treeNodeFree(tree, oldRight);
  if (left != oldLeft && left != oldRight) treeNodeFree(tree, left);
  if (right != left && right != oldLeft && right != oldRight) treeNodeFree(tree, right);
}
