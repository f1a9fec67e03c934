/**
 * Empty-area search (mas_empty_area / mas_empty_area_rev): the lowest or highest run of `size`
 * NULL indices inside a window. In allocRange trees every arange slot carries the largest gap
 * below it, so whole subtrees whose gap is too small are skipped; stored gaps are not clipped
 * to the window, so a subtree may be entered and left without a fit. Other trees are scanned
 * leaf by leaf, so the search works on every tree.
 */

import { NODE_LEAF, NODE_ARANGE, OK, EBUSY, RES_FIRST, RES_LAST, RES_GAP_FIRST, RES_GAP_LAST } from "../shared/layout";
import { stKeyF64 } from "./mem";
import { nodeType, nodeEnd, nodeSlot, nodeGap, slotMin, slotMax } from "./node";
import { treeRoot } from "./tree";
import { RES, KEY_MAX } from "./scratch";

/** Reports the fit and the NULL range holding it (saves the caller a walk). */
function resFound(first: u64, last: u64, gapFirst: u64, gapLast: u64): bool {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
  stKeyF64(RES + (RES_GAP_FIRST << 3), gapFirst);
  stKeyF64(RES + (RES_GAP_LAST << 3), gapLast);
  return true;
}

function gapForward(node: i32, min: u64, max: u64, wmin: u64, wmax: u64, size: u64): bool {
  const type = nodeType(node);
  const end = nodeEnd(node);
  for (let i = 0; i <= end; i++) {
    const hi = slotMax(node, i, end, max);
    if (hi < wmin) continue;
    const lo = slotMin(node, i, min);
    if (lo > wmax) return false;
    if (type == NODE_LEAF) {
      if (nodeSlot(node, type, i) != 0) continue;
      const start = lo > wmin ? lo : wmin;
      const stop = hi < wmax ? hi : wmax;
      if (stop - start + 1 >= size) return resFound(start, start + size - 1, lo, hi);
    } else {
      if (type == NODE_ARANGE && nodeGap(node, i) < size) continue;
      if (gapForward(nodeSlot(node, type, i), lo, hi, wmin, wmax, size)) return true;
    }
  }
  return false;
}

function gapReverse(node: i32, min: u64, max: u64, wmin: u64, wmax: u64, size: u64): bool {
  const type = nodeType(node);
  const end = nodeEnd(node);
  for (let i = end; i >= 0; i--) {
    const lo = slotMin(node, i, min);
    if (lo > wmax) continue;
    const hi = slotMax(node, i, end, max);
    if (hi < wmin) return false;
    if (type == NODE_LEAF) {
      if (nodeSlot(node, type, i) != 0) continue;
      const start = lo > wmin ? lo : wmin;
      const stop = hi < wmax ? hi : wmax;
      if (stop - start + 1 >= size) return resFound(stop - size + 1, stop, lo, hi);
    } else {
      if (type == NODE_ARANGE && nodeGap(node, i) < size) continue;
      if (gapReverse(nodeSlot(node, type, i), lo, hi, wmin, wmax, size)) return true;
    }
  }
  return false;
}

/** The window [wmin, wmax] must hold at least `size` indices (checked by the caller). */
export function treeEmptyArea(tree: i32, wmin: u64, wmax: u64, size: u64, rev: bool): i32 {
  const root = treeRoot(tree);
  if (root == 0) {
    if (rev) resFound(wmax - size + 1, wmax, 0, KEY_MAX);
    else resFound(wmin, wmin + size - 1, 0, KEY_MAX);
    return OK;
  }
  const found = rev ? gapReverse(root, 0, KEY_MAX, wmin, wmax, size) : gapForward(root, 0, KEY_MAX, wmin, wmax, size);
  return found ? OK : EBUSY;
}
