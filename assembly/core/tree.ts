/**
 * Tree headers and whole-tree operations. A header is a pool node of type NODE_TREE holding
 * the root, height, flags, node accounting (live and reserved, against an optional cap) and a
 * generation counter that every change bumps.
 */

import {
  NODE_SIZE, HEIGHT_MAX, NODE_TREE, NODE_LEAF, NODE_RANGE, NODE_ARANGE, TREE_ALLOC_RANGE, TREE_ROOT, TREE_HEIGHT, TREE_FLAGS,
  TREE_NODES, TREE_RESERVED, TREE_MAX_NODES, TREE_GENERATION, TREE_KEY_MAX, TREE_KEYS64, RANGE_MIN_END, ARANGE_MIN_END, TREE_RCU,
} from "../shared/layout";
import { ld32, st32, ld64, st64, atomicSt32, memMove, hostRetain, hostRelease } from "./mem";
import { rcuUnlink, rcuPublishEnd, rcuStep } from "./rcu";
import { poolEnsure, poolAlloc, poolFree, poolReserve, poolUnreserve } from "./pool";
import { nodeType, nodeSetType, nodeEnd, nodeSlot, nodeSetSlot, nodeSetParent, nodeStamp, isLeafType } from "./node";
import { G_STAMP, G_PATH_TREE, G_DRAW, KEY_MAX, KEY_MAX_64 } from "./scratch";

const T_ROOT: i32 = TREE_ROOT;
const T_HEIGHT: i32 = TREE_HEIGHT;
const T_FLAGS: i32 = TREE_FLAGS;
const T_NODES: i32 = TREE_NODES;
const T_RESERVED: i32 = TREE_RESERVED;
const T_MAX_NODES: i32 = TREE_MAX_NODES;
const T_GEN: i32 = TREE_GENERATION;

// @ts-ignore: decorator
@inline export function treeRoot(tree: i32): i32 { return ld32(tree + T_ROOT); }
// @ts-ignore: decorator
@inline export function treeHeight(tree: i32): i32 { return ld32(tree + T_HEIGHT); }
// @ts-ignore: decorator
@inline export function treeFlags(tree: i32): i32 { return ld32(tree + T_FLAGS); }
// @ts-ignore: decorator
@inline export function treeNodes(tree: i32): i32 { return ld32(tree + T_NODES); }
// @ts-ignore: decorator
@inline export function treeReserved(tree: i32): i32 { return ld32(tree + T_RESERVED); }
// @ts-ignore: decorator
@inline export function treeGeneration(tree: i32): i32 { return ld32(tree + T_GEN); }
// @ts-ignore: decorator
@inline export function treeIsAlloc(tree: i32): bool { return (ld32(tree + T_FLAGS) & TREE_ALLOC_RANGE) != 0; }
/** The tree's last index: KEY_MAX, or KEY_MAX_64 for a TREE_KEYS64 tree. */
// @ts-ignore: decorator
@inline export function treeKeyMax(tree: i32): u64 { return ld64(tree + TREE_KEY_MAX); }
/** RCU mode: no visible node is rewritten; replaced nodes are retired (rcu.ts). */
// @ts-ignore: decorator
@inline export function treeIsRcu(tree: i32): bool { return (ld32(tree + T_FLAGS) & TREE_RCU) != 0; }
/** Internal node type of a tree: arange nodes carry gaps, only in allocRange trees. */
// @ts-ignore: decorator
@inline export function treeInternalType(tree: i32): i32 { return treeIsAlloc(tree) ? NODE_ARANGE : NODE_RANGE; }

export function treeSetFlags(tree: i32, flags: i32): void { st32(tree + T_FLAGS, flags); }
export function treeSetRoot(tree: i32, root: i32, height: i32): void {
  assert(height <= HEIGHT_MAX, "tree height above HEIGHT_MAX");
  if (root != 0) nodeSetParent(root, 0, 0);
  // RCU readers descend by node type, not height, so the root word alone publishes the tree.
  atomicSt32(tree + T_ROOT, root);
  st32(tree + T_HEIGHT, height);
  if (treeIsRcu(tree)) rcuStep();
}
export function treeTouch(tree: i32): void { st32(tree + T_GEN, ld32(tree + T_GEN) + 1); }

/** A new empty tree, or 0 when memory is exhausted. */
export function treeCreate(flags: i32, maxNodes: i32): i32 {
  if (!poolEnsure(1)) return 0;
  const tree = poolAlloc();
  st32(tree + T_FLAGS, flags);
  st32(tree + T_MAX_NODES, maxNodes);
  st64(tree + TREE_KEY_MAX, (flags & TREE_KEYS64) != 0 ? KEY_MAX_64 : KEY_MAX);
  nodeSetType(tree, NODE_TREE);
  return tree;
}

/** The node cap, or 0 for none (a cap above 2^31 reads negative: as good as none). */
// @ts-ignore: decorator
@inline function treeCap(tree: i32): i32 { const cap = ld32(tree + T_MAX_NODES); return cap > 0 ? cap : 0; }

/** Whether the tree has a node cap (maxNodes). */
// @ts-ignore: decorator
@inline export function treeHasCap(tree: i32): bool { return treeCap(tree) > 0; }

/** Whether `count` more nodes fit the cap on top of the live and reserved ones (u64: no wrap). */
function treeFitsCap(tree: i32, count: i32): bool {
  const cap = treeCap(tree);
  return cap == 0 || <u64>treeNodes(tree) + <u64>treeReserved(tree) + <u64>count <= <u64>cap;
}

/**
 * Checks that `count` nodes can be allocated for the running write: first from the reserved
 * nodes it may draw on (G_DRAW), the rest on top of everything reserved in the tree, against
 * the node cap (live + reserved + new <= maxNodes) and the pool. A write that ends with no
 * more nodes than it found (`shrinks`) is not held to the cap, only to the pool: erasing
 * must succeed whenever the budget held the tree before, and it may use the pool's shrink
 * reserve, so it succeeds when memory is full too. Nothing is changed.
 */
export function treeCanAllocate(tree: i32, count: i32, shrinks: bool): bool {
  const extra = count - ld32(G_DRAW);
  if (extra <= 0) return true;
  return (shrinks || treeFitsCap(tree, extra)) && poolEnsure(extra, shrinks);
}

/** Adds `count` nodes to the tree's reservations (false: cap or memory exhausted). */
export function treeReserve(tree: i32, count: i32): bool {
  if (!treeFitsCap(tree, count) || !poolEnsure(count)) return false;
  st32(tree + T_RESERVED, treeReserved(tree) + count);
  poolReserve(count);
  return true;
}

/** Returns `count` reserved nodes (an owner's unused share) to the budget. */
export function treeUnreserve(tree: i32, count: i32): void {
  assert(count >= 0 && count <= treeReserved(tree), "unreserving more nodes than the tree has reserved");
  poolUnreserve(count);
  st32(tree + T_RESERVED, treeReserved(tree) - count);
}

/** Allocates a node for the tree, from the reserved nodes the running write may draw on first. */
export function treeNodeAlloc(tree: i32): i32 {
  const draw = ld32(G_DRAW);
  if (draw > 0) {
    st32(G_DRAW, draw - 1);
    st32(tree + T_RESERVED, treeReserved(tree) - 1);
    poolUnreserve(1);
  }
  st32(tree + T_NODES, treeNodes(tree) + 1);
  return poolAlloc();
}

/**
 * The most nodes one store of any kind can allocate, whatever the tree looks like when it
 * runs (reservations are sized by it). A store into a tree of height h allocates at most
 * 3h + 1 nodes (a spanning store rebuilds both boundary paths and may add a root: see
 * storeNodesNeeded), so the bound is 3·H + 1 with H the greatest height the tree can reach:
 *
 * - Below the root every internal node has at least m = minEnd + 1 children and every leaf
 *   at least RANGE_MIN_END + 1 slots (validate's occupancy rule); a root above the leaves has
 *   at least 2 children. A tree of height h >= 2 therefore has at least
 *   1 + 2·(1 + m + … + m^(h-2)) nodes and 2·m^(h-2)·(RANGE_MIN_END + 1) leaf slots.
 * - Leaf slots are distinct ranges of [0, keyMax], so they number at most keyMax + 1; live
 *   nodes number at most maxNodes (reservations count against it too).
 *
 * H is the largest h meeting both (never above HEIGHT_MAX): 23 levels for the 2^53 key space
 * alone (m = 5; 27 for 2^64), 5 for a 400-node gap-tracking tree.
 */
export function treeStoreBound(tree: i32): i32 {
  const m: u64 = <u64>((treeIsAlloc(tree) ? ARANGE_MIN_END : RANGE_MIN_END) + 1);
  const cap = <u64>treeCap(tree);
  const leafSlots: u64 = <u64>(RANGE_MIN_END + 1);
  const levelMax = slotsPer(treeKeyMax(tree), leafSlots);
  let height = 1;
  let level: u64 = 2; // nodes on the level below the root of a height + 1 tree
  let nodes: u64 = 1 + level;
  while (height < HEIGHT_MAX) {
    if (level > levelMax || (cap > 0 && nodes > cap)) break;
    height++;
    level *= m;
    nodes += level;
  }
  return (treeIsRcu(tree) ? RCU_SPAN_NODES : SPAN_NODES) * height + 1;
}

/**
 * The most leaves of `slots` slots each that distinct ranges of [0, keyMax] can fill:
 * floor((keyMax + 1) / slots), without forming keyMax + 1 (2^64 wraps). Division by `%`
 * first, so the f64 TS core divides exactly too.
 */
function slotsPer(keyMax: u64, slots: u64): u64 {
  const whole = (keyMax - keyMax % slots) / slots;
  return keyMax % slots == slots - 1 ? whole + 1 : whole;
}

/**
 * New nodes a spanning store may take per level: three, reusing the two it replaces; in RCU
 * mode every piece is new, and a level can be cut into PIECE_CAP pieces.
 */
export const SPAN_NODES: i32 = 3;
export const RCU_SPAN_NODES: i32 = 4;

/** Frees a node of the tree; in RCU mode it is retired instead, once the write has published. */
export function treeNodeFree(tree: i32, node: i32): void {
  st32(tree + T_NODES, treeNodes(tree) - 1);
  if (treeIsRcu(tree)) rcuUnlink(node);
  else poolFree(node);
}

/**
 * Frees a subtree wholly inside an overwritten range and releases its entries. Nodes stamped
 * by the running write were consumed into a big-node buffer (their children live on) and
 * are skipped.
 */
export function treeDestroySubtree(tree: i32, node: i32): void {
  if (nodeStamp(node) == ld32(G_STAMP)) return;
  const type = nodeType(node);
  const end = nodeEnd(node);
  for (let i = 0; i <= end; i++) {
    const slot = nodeSlot(node, type, i);
    if (isLeafType(type)) hostRelease(slot);
    else treeDestroySubtree(tree, slot);
  }
  treeNodeFree(tree, node);
}

/** Starts a new write: a fresh stamp that no existing node carries. */
export function treeNewStamp(): i32 {
  const stamp = ld32(G_STAMP) + 1;
  st32(G_STAMP, stamp);
  return stamp;
}

/** mtree_destroy: frees every node and releases every entry; flags survive. */
export function treeClear(tree: i32): void {
  st32(G_PATH_TREE, 0);
  const root = treeRoot(tree);
  treeNewStamp();
  if (root != 0) treeDestroySubtree(tree, root);
  treeSetRoot(tree, 0, 0);
  treeTouch(tree);
  rcuPublishEnd();
}

/**
 * Frees the tree, its reservations and its header (treeClear forgets any recorded path to
 * it). treeClear alone keeps reservations: their owners still hold them.
 */
export function treeRelease(tree: i32): void {
  treeClear(tree);
  treeUnreserve(tree, treeReserved(tree));
  if (!treeIsRcu(tree)) {
    poolFree(tree);
    return;
  }
  rcuUnlink(tree); // readers in other agents may still read the header
  rcuPublishEnd();
}

function dupNode(dst: i32, src: i32, parent: i32, slot: i32): i32 {
  const node = treeNodeAlloc(dst);
  memMove(node, src, NODE_SIZE);
  nodeSetParent(node, parent, slot);
  const type = nodeType(src);
  const end = nodeEnd(src);
  for (let i = 0; i <= end; i++) {
    const child = nodeSlot(src, type, i);
    if (type == NODE_LEAF) hostRetain(child);
    else nodeSetSlot(node, type, i, dupNode(dst, child, node, i));
  }
  return node;
}

/** mtree_dup into a new tree: node for node, entries retained. 0 when out of memory. */
export function treeDup(src: i32): i32 {
  const count = treeNodes(src);
  if (!poolEnsure(count + 1)) return 0;
  const dst = treeCreate(treeFlags(src), ld32(src + T_MAX_NODES));
  const root = treeRoot(src);
  if (root != 0) treeSetRoot(dst, dupNode(dst, root, 0, 0), treeHeight(src));
  return dst;
}
