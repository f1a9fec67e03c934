/**
 * Accessors for one 256-byte node (layout diagram in ../shared/layout.ts). Range and leaf
 * nodes have 16 slots and 15 pivots; arange nodes (internal nodes of allocRange trees) have
 * 10 slots, 9 pivots and 10 max-gaps. Slot i covers [pivot[i-1] + 1, pivot[i]]; slot 0 starts
 * at the node min and the last used slot ends at the node max. Unless the node is full, the
 * pivot of the last used slot holds the node max, so a lookup can stop at the first pivot
 * >= index without knowing where the data ends.
 */

import {
  OFF_PARENT, OFF_PARENT_SLOT, OFF_TYPE, OFF_END, OFF_GAP_OFFSET, OFF_PIVOTS, OFF_RANGE_SLOTS,
  OFF_ARANGE_SLOTS, OFF_ARANGE_GAPS, OFF_STAMP, NODE_LEAF, NODE_ARANGE, RANGE_SLOTS, ARANGE_SLOTS,
  RANGE_PIVOTS, ARANGE_PIVOTS, RANGE_MIN_END, ARANGE_MIN_END,
} from "../shared/layout";
import { ld64, st64, ld32, st32, ld8, st8 } from "./mem";

// @ts-ignore: decorator
@inline export function nodeType(node: i32): i32 { return ld8(node + OFF_TYPE); }
// @ts-ignore: decorator
@inline export function nodeSetType(node: i32, type: i32): void { st8(node + OFF_TYPE, type); }
// @ts-ignore: decorator
@inline export function nodeEnd(node: i32): i32 { return ld8(node + OFF_END); }
// @ts-ignore: decorator
@inline export function nodeSetEnd(node: i32, end: i32): void { st8(node + OFF_END, end); }
// @ts-ignore: decorator
@inline export function nodeParent(node: i32): i32 { return ld32(node + OFF_PARENT); }
// @ts-ignore: decorator
@inline export function nodeParentSlot(node: i32): i32 { return ld8(node + OFF_PARENT_SLOT); }
// @ts-ignore: decorator
@inline export function nodeSetParent(node: i32, parent: i32, slot: i32): void {
  st32(node + OFF_PARENT, parent);
  st8(node + OFF_PARENT_SLOT, slot);
}
// @ts-ignore: decorator
@inline export function nodeGapOffset(node: i32): i32 { return ld8(node + OFF_GAP_OFFSET); }
// @ts-ignore: decorator
@inline export function nodeSetGapOffset(node: i32, offset: i32): void { st8(node + OFF_GAP_OFFSET, offset); }
// @ts-ignore: decorator
@inline export function nodeStamp(node: i32): i32 { return ld32(node + OFF_STAMP); }
// @ts-ignore: decorator
@inline export function nodeSetStamp(node: i32, stamp: i32): void { st32(node + OFF_STAMP, stamp); }

// @ts-ignore: decorator
@inline export function nodePivot(node: i32, i: i32): u64 { return ld64(node + OFF_PIVOTS + (i << 3)); }
// @ts-ignore: decorator
@inline export function nodeSetPivot(node: i32, i: i32, pivot: u64): void { st64(node + OFF_PIVOTS + (i << 3), pivot); }

/** Byte offset of slot 0 for a node type. */
// @ts-ignore: decorator
@inline export function typeSlotBase(type: i32): i32 { return type == NODE_ARANGE ? OFF_ARANGE_SLOTS : OFF_RANGE_SLOTS; }
// @ts-ignore: decorator
@inline export function nodeSlot(node: i32, type: i32, i: i32): i32 { return ld32(node + typeSlotBase(type) + (i << 3)); }
// @ts-ignore: decorator
@inline export function nodeSetSlot(node: i32, type: i32, i: i32, value: i32): void { st32(node + typeSlotBase(type) + (i << 3), value); }
// @ts-ignore: decorator
@inline export function nodeGap(node: i32, i: i32): u64 { return ld64(node + OFF_ARANGE_GAPS + (i << 3)); }
// @ts-ignore: decorator
@inline export function nodeSetGap(node: i32, i: i32, gap: u64): void { st64(node + OFF_ARANGE_GAPS + (i << 3), gap); }

// @ts-ignore: decorator
@inline export function typeSlots(type: i32): i32 { return type == NODE_ARANGE ? ARANGE_SLOTS : RANGE_SLOTS; }
// @ts-ignore: decorator
@inline export function typePivots(type: i32): i32 { return type == NODE_ARANGE ? ARANGE_PIVOTS : RANGE_PIVOTS; }
// @ts-ignore: decorator
@inline export function typeMinEnd(type: i32): i32 { return type == NODE_ARANGE ? ARANGE_MIN_END : RANGE_MIN_END; }
// @ts-ignore: decorator
@inline export function isLeafType(type: i32): bool { return type == NODE_LEAF; }

/** First index covered by slot i of a node whose range starts at min. */
// @ts-ignore: decorator
@inline export function slotMin(node: i32, i: i32, min: u64): u64 { return i > 0 ? nodePivot(node, i - 1) + 1 : min; }
/** Last index covered by slot i of a node whose data ends at end and whose range ends at max. */
// @ts-ignore: decorator
@inline export function slotMax(node: i32, i: i32, end: i32, max: u64): u64 { return i < end ? nodePivot(node, i) : max; }

/**
 * Offset of the slot containing index (scans pivots; the last used slot takes the rest).
 * The last slot is tested first: appends and right-edge walks then cost one compare.
 */
// @ts-ignore: decorator
@inline export function nodeFind(node: i32, end: i32, index: u64): i32 {
  if (end > 0 && nodePivot(node, end - 1) < index) return end;
  let i = 0;
  while (i < end && nodePivot(node, i) < index) i++;
  return i;
}

/** Largest NULL range in a leaf, for gap tracking. */
export function leafMaxGap(node: i32, min: u64, max: u64): u64 {
  const end = nodeEnd(node);
  let best: u64 = 0;
  for (let i = 0; i <= end; i++) {
    if (nodeSlot(node, NODE_LEAF, i) != 0) continue;
    const gap = slotMax(node, i, end, max) - slotMin(node, i, min) + 1;
    if (gap > best) best = gap;
  }
  return best;
}

/** Recomputes an arange node's largest-gap offset and returns that gap. */
export function arangeMaxGap(node: i32): u64 {
  const end = nodeEnd(node);
  let best: u64 = 0;
  let at = 0;
  for (let i = 0; i <= end; i++) {
    const gap = nodeGap(node, i);
    if (gap > best) { best = gap; at = i; }
  }
  nodeSetGapOffset(node, at);
  return best;
}

/** Address of slot i (its low word) in a node of `type`. */
// @ts-ignore: decorator
@inline export function nodeSlotAddr(node: i32, type: i32, i: i32): i32 { return node + typeSlotBase(type) + (i << 3); }
