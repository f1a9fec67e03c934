/**
 * RCU readers: lookups and walks that run in any agent while another agent writes, without
 * the lock (the kernel's rcu_read_lock() readers; the host brackets each call in a read
 * section). Each node's pivots and slot are read first, then the node is checked alive; a
 * dead node means a writer replaced it meanwhile, and the reader starts again from the root
 * with the index it was looking for (mas_rewalk). Every loop is bounded by node capacity and
 * tree depth, a slot is followed as a node only after its node proved alive, and an address
 * outside the pool restarts the walk, so a stale node can never lead a reader astray. Nothing
 * shared is written: results go to this agent's registers and page.
 *
 * Which reads are atomic (what the TS build, where Atomics.load is a builtin call, pays for):
 *  - the root word: the first shared read of a section, after the section's atomic store of
 *    its epoch word (src/shared/epoch.ts: the grace-period proof needs that store ordered before
 *    the section's pointer reads; an atomic load after an atomic store is, and it acquires);
 *  - a leaf's slots, the words exact-fit writes change in place, so that the leaf's dead check
 *    (a plain read after them) cannot be satisfied before them.
 * Every other read is racy (racyLd32, plain in TS): internal slots, dead marks, the pool's
 * bump. They stay ordered without a fence: each node is reached through the slot read before
 * it (an address dependency: neither V8 nor the CPU can load from an address before loading
 * the address), after the acquiring root read; a node's pivots and slots do not change from
 * its publication (release: an atomic store) until it is reclaimed, bar single words stored
 * atomically and read whole, so an internal node's dead check gives the same answer read
 * before or after its slot; and a stale bump only makes a node look outside the pool, which
 * is checked again with an atomic read before the walk restarts.
 */

import { NODE_LEAF, NODE_SIZE, NODE_SHIFT, TREE_ROOT, ENTRY_NULL, ENTRY_ZERO, PAGE_ROWS, PAGE_ROW_WORDS, RES_FIRST, RES_LAST } from "../shared/layout";
import { atomicLd32, racyLd32, ld64, st64, stKeyF64, ldKeyF64, stHandleF64, memAbort, memReaches } from "./mem";
import { nodeType, nodeEnd, nodeFind, nodeSlotAddr, typeSlots, slotMin, slotMax } from "./node";
import { nodeIsDead, rcuReadStep, rcuCountRewalk } from "./rcu";
import { treeKeyMax } from "./tree";
import { G_BUMP, G_LEAF_MIN, G_LEAF_MAX, PATH_DEPTH, POOL_START, RES, PAGE } from "./scratch";

/** Restarts one call may make before the memory is declared corrupt (a live tree needs a handful). */
const REWALK_LIMIT: i32 = 1 << 24;

/** Whether `node` is the address of one of the pool's first `bump` nodes. */
// @ts-ignore: decorator
@inline function inPool(node: i32, bump: i32): bool { return ((node - POOL_START) & (NODE_SIZE - 1)) == 0 && ((node - POOL_START) >>> NODE_SHIFT) < bump; }

/**
 * `bump`, a count of pool nodes, if the memory this instance sees holds that many (another
 * agent may just have grown it), else 0: a walk checks memory once per bump it reads, not per node.
 */
function reachedBump(bump: i32): i32 {
  // The last such node's address (an i32 that reads negative from 2 GiB up, as every pointer).
  return bump > 0 && memReaches((POOL_START + ((bump - 1) << NODE_SHIFT)) | 0, NODE_SIZE) ? bump : 0;
}

/**
 * The pool's bump if `node` lies in the pool, else 0. `bump` is the bump as the walk last
 * read it; a node past it (allocated since, or not a node) makes the walk read it again,
 * atomically. (Below POOL_START the offset wraps past every node.)
 */
function poolBump(node: i32, bump: i32): i32 {
  if (inPool(node, bump)) return bump;
  const now = reachedBump(atomicLd32(G_BUMP));
  return inPool(node, now) ? now : 0;
}

/** The node's end, never past its capacity whatever its bytes say. */
// @ts-ignore: decorator
@inline function boundedEnd(node: i32, type: i32): i32 {
  const end = nodeEnd(node);
  const cap = typeSlots(type) - 1;
  return end < cap ? end : cap;
}

/** Counts a restart; a reader restarting without end means the memory is corrupt. */
function rewalk(tries: i32): i32 {
  rcuCountRewalk();
  if (tries >= REWALK_LIMIT) memAbort();
  return tries + 1;
}

/** Checks, after reading a leaf, that it was not replaced meanwhile (then the read is retried). */
function leafDied(leaf: i32): bool {
  rcuReadStep();
  return nodeIsDead(leaf);
}

/** The slot of `index` in a leaf (an atomic read: exact-fit writes change slots in place). */
// @ts-ignore: decorator
@inline function leafSlotAt(leaf: i32, i: i32): i32 { return atomicLd32(nodeSlotAddr(leaf, NODE_LEAF, i)); }

/**
 * Descends from the root to the leaf holding index, each internal node checked alive after
 * its slot is read; the leaf's bounds go to G_LEAF_MIN/G_LEAF_MAX. 0 for an empty tree. The
 * caller reads the leaf, then checks it alive itself.
 */
export function rcuDescend(tree: i32, index: u64): i32 {
  let tries = 0;
  while (true) {
    let node = atomicLd32(tree + TREE_ROOT);
    if (node == 0) return 0;
    let bump = reachedBump(racyLd32(G_BUMP));
    let min: u64 = 0;
    let max: u64 = treeKeyMax(tree);
    for (let depth = 0; depth < PATH_DEPTH; depth++) {
      bump = poolBump(node, bump);
      if (bump == 0) break;
      const type = nodeType(node);
      if (type == NODE_LEAF) {
        st64(G_LEAF_MIN, min);
        st64(G_LEAF_MAX, max);
        return node;
      }
      const end = boundedEnd(node, type);
      const i = nodeFind(node, end, index);
      const childMin = slotMin(node, i, min);
      const childMax = slotMax(node, i, end, max);
      const child = racyLd32(nodeSlotAddr(node, type, i));
      rcuReadStep();
      if (nodeIsDead(node)) break;
      node = child;
      min = childMin;
      max = childMax;
    }
    tries = rewalk(tries);
  }
  return 0;
}

function resRange(first: u64, last: u64): void {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
}

// @ts-ignore: decorator
@inline function isEntry(handle: i32): bool { return handle != ENTRY_NULL && handle != ENTRY_ZERO; }

/**
 * treeLoad for RCU trees: rcuDescend's walk without the bounds a lookup does not need (every
 * call of the TS build's shared load runs it). Each node's slot is read, then the node checked alive.
 */
export function rcuLoad(tree: i32, index: u64): i32 {
  let tries = 0;
  while (true) {
    let node = atomicLd32(tree + TREE_ROOT);
    if (node == 0) return 0;
    let bump = reachedBump(racyLd32(G_BUMP));
    for (let depth = 0; depth < PATH_DEPTH; depth++) {
      bump = poolBump(node, bump);
      if (bump == 0) break;
      const type = nodeType(node);
      const at = nodeSlotAddr(node, type, nodeFind(node, boundedEnd(node, type), index));
      const slot = type == NODE_LEAF ? atomicLd32(at) : racyLd32(at);
      rcuReadStep();
      if (nodeIsDead(node)) break;
      if (type == NODE_LEAF) return slot;
      node = slot;
    }
    tries = rewalk(tries);
  }
  return 0;
}

/** treeWalk for RCU trees: the range holding index, bounds in RES. */
export function rcuWalk(tree: i32, index: u64): i32 {
  let tries = 0;
  while (true) {
    const leaf = rcuDescend(tree, index);
    if (leaf == 0) {
      resRange(0, treeKeyMax(tree));
      return 0;
    }
    const end = boundedEnd(leaf, NODE_LEAF);
    const i = nodeFind(leaf, end, index);
    const lo = slotMin(leaf, i, ld64(G_LEAF_MIN));
    const hi = slotMax(leaf, i, end, ld64(G_LEAF_MAX));
    const handle = leafSlotAt(leaf, i);
    if (!leafDied(leaf)) {
      resRange(lo, hi);
      return handle;
    }
    tries = rewalk(tries);
  }
  return 0;
}

/** After a leaf scan: false if the leaf died (the scan is retried), else true, RES set if it found an entry. */
function leafSettled(leaf: i32, found: i32, lo: u64, hi: u64): bool {
  if (leafDied(leaf)) return false;
  if (found != 0) resRange(lo, hi);
  return true;
}

/** treeFind for RCU trees: the first entry intersecting [index, max], leaf by leaf, each checked alive. */
export function rcuFind(tree: i32, index: u64, max: u64): i32 {
  if (index > max) return 0;
  let from = index;
  let tries = 0;
  while (true) {
    const leaf = rcuDescend(tree, from);
    if (leaf == 0) return 0;
    const end = boundedEnd(leaf, NODE_LEAF);
    const leafMin = ld64(G_LEAF_MIN);
    const leafMax = ld64(G_LEAF_MAX);
    let found = 0;
    let lo: u64 = 0;
    let hi: u64 = 0;
    for (let i = nodeFind(leaf, end, from); i <= end; i++) {
      lo = slotMin(leaf, i, leafMin);
      if (lo > max) break;
      const handle = leafSlotAt(leaf, i);
      if (isEntry(handle)) {
        found = handle;
        hi = slotMax(leaf, i, end, leafMax);
        break;
      }
    }
    if (!leafSettled(leaf, found, lo, hi)) {
      tries = rewalk(tries);
      continue;
    }
    if (found != 0) return found;
    if (lo > max || leafMax >= max) return 0;
    from = leafMax + 1;
  }
  return 0;
}

/** treeNext for RCU trees: rcuFind after the range holding index. */
export function rcuNext(tree: i32, index: u64, max: u64): i32 {
  if (index >= max) return 0;
  rcuWalk(tree, index);
  const last = ldKeyF64(RES + (RES_LAST << 3));
  if (last >= max) return 0;
  return rcuFind(tree, last + 1, max);
}

/** treePrev for RCU trees: the last entry before the range holding index, ending >= min. */
export function rcuPrev(tree: i32, index: u64, min: u64): i32 {
  if (index <= min) return 0;
  let at = index;
  let skipHolding = true; // the range holding index itself is not a candidate
  let tries = 0;
  while (true) {
    const leaf = rcuDescend(tree, at);
    if (leaf == 0) return 0;
    const end = boundedEnd(leaf, NODE_LEAF);
    const leafMin = ld64(G_LEAF_MIN);
    let i = nodeFind(leaf, end, at) - (skipHolding ? 1 : 0);
    let found = 0;
    let lo: u64 = 0;
    let hi: u64 = 0;
    for (; i >= 0; i--) {
      hi = slotMax(leaf, i, end, ld64(G_LEAF_MAX));
      if (hi < min) break;
      const handle = leafSlotAt(leaf, i);
      if (isEntry(handle)) {
        found = handle;
        lo = slotMin(leaf, i, leafMin);
        break;
      }
    }
    if (!leafSettled(leaf, found, lo, hi)) {
      tries = rewalk(tries);
      continue;
    }
    if (found != 0) return found;
    if (i >= 0 || leafMin <= min) return 0;
    at = leafMin - 1;
    skipHolding = false;
  }
  return 0;
}

/**
 * treePage for RCU trees: one descent per leaf (paths through internal nodes may go stale);
 * a leaf found dead after its rows were copied is read again. Rows stay ascending and
 * non-overlapping: a range starting before where the previous leaf ended (a write merged
 * ranges meanwhile) is skipped.
 */
export function rcuPage(tree: i32, first: u64, last: u64): i32 {
  let rows = 0;
  let from = first;
  let tries = 0;
  while (true) {
    const leaf = rcuDescend(tree, from);
    if (leaf == 0) return rows;
    const end = boundedEnd(leaf, NODE_LEAF);
    const leafMin = ld64(G_LEAF_MIN);
    const leafMax = ld64(G_LEAF_MAX);
    const mark = rows;
    let full = false;
    for (let i = nodeFind(leaf, end, from); i <= end; i++) {
      const lo = slotMin(leaf, i, leafMin);
      if (lo > last) break;
      const handle = leafSlotAt(leaf, i);
      if (handle == 0 || (rows > 0 && lo < from)) continue;
      const row = PAGE + ((rows * PAGE_ROW_WORDS) << 3);
      stKeyF64(row, lo);
      stKeyF64(row + 8, slotMax(leaf, i, end, leafMax));
      stHandleF64(row + 16, handle);
      rows++;
      if (rows == PAGE_ROWS) {
        full = true;
        break;
      }
    }
    if (leafDied(leaf)) {
      rows = mark;
      tries = rewalk(tries);
      continue;
    }
    if (full || leafMax >= last) return rows;
    from = leafMax + 1;
  }
  return rows;
}

/** treeLoadMany for RCU trees: one lookup after another (a group walk would follow stale nodes). */
export function rcuLoadMany(tree: i32, count: i32): void {
  for (let k = 0; k < count; k++) {
    const at = PAGE + (k << 3);
    stHandleF64(at, rcuLoad(tree, ldKeyF64(at)));
  }
}
