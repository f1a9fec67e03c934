/**
 * Empty-area search (mas_empty_area / mas_empty_area_rev): the lowest or highest run of `size`
 * NULL indices inside a window. In allocRange trees every arange slot carries the largest gap
 * below it, so whole subtrees whose gap is too small are skipped; stored gaps are not clipped
 * to the window, so a subtree may be entered and left without a fit. Other trees are scanned
 * leaf by leaf, so the search works on every tree.
 *
 * Aligned searches (`align`, `nospan`) descend on the same gap ≥ size test, which every fit
 * needs, and place the fit inside each candidate NULL range; a range without an aligned,
 * non-spanning fit sends the search on to the next candidate, so the result is the one a
 * linear scan would find (the kernel's unmapped_area over-asks size + align instead, which
 * misses fits that need no padding). Arithmetic is by `%`, never bit masks: the generated TS
 * core has 53-bit numbers where `|`/`&` would truncate to 32 bits.
 */

import { NODE_LEAF, NODE_ARANGE, OK, EBUSY, RES_FIRST, RES_LAST, RES_GAP_FIRST, RES_GAP_LAST } from "../shared/layout";
import { stKeyF64 } from "./mem";
import { nodeType, nodeEnd, nodeSlot, nodeGap, slotMin, slotMax } from "./node";
import { treeRoot, treeKeyMax } from "./tree";
import { RES } from "./scratch";

/** The search's alignment (power of two; 1 = none) and span boundary (power of two ≥ size; 0 = none). */
let gAlign: u64 = 1;
let gNospan: u64 = 0;
/** Where fitLow / fitHigh placed the fit. */
let gFit: u64 = 0;

/**
 * The lowest aligned start s in [start, stop] whose [s, s + size - 1] ends by `stop` and does
 * not cross a multiple of nospan (a crossing fit moves to that multiple, which is aligned
 * because align ≤ nospan whenever a crossing is possible). The caller checked the unaligned fit.
 */
function fitLow(start: u64, stop: u64, size: u64): bool {
  let s = start;
  const misalign = s % gAlign;
  if (misalign != 0) {
    if (gAlign - misalign > stop - s) return false;
    s += gAlign - misalign;
  }
  if (gNospan != 0) {
    const offset = s % gNospan;
    if (offset > gNospan - size) {
      if (gNospan - offset > stop - s) return false;
      s += gNospan - offset;
    }
  }
  if (stop - s < size - 1) return false;
  gFit = s;
  return true;
}

/**
 * The highest such start: the aligned start of the fit ending at `stop`, or, when that fit
 * crosses a multiple m of nospan, the aligned fit ending at m - 1 (m ≥ nospan ≥ size, so no
 * underflow). The caller checked stop - start ≥ size - 1.
 */
function fitHigh(start: u64, stop: u64, size: u64): bool {
  let s = stop - (size - 1);
  s -= s % gAlign;
  if (gNospan != 0) {
    const end = s + size - 1;
    const offset = end % gNospan;
    if (offset < size - 1) {
      s = end - offset - size;
      s -= s % gAlign;
    }
  }
  if (s < start) return false;
  gFit = s;
  return true;
}

/** True when the search has no alignment or span constraint (the fit is the gap's edge). */
// @ts-ignore: decorator
@inline function unconstrained(): bool {
  return gAlign == 1 && gNospan == 0;
}

/** Reports the fit and the NULL range holding it (saves the caller a walk). */
function resFound(first: u64, last: u64, gapFirst: u64, gapLast: u64): bool {
  stKeyF64(RES + (RES_FIRST << 3), first);
  stKeyF64(RES + (RES_LAST << 3), last);
  stKeyF64(RES + (RES_GAP_FIRST << 3), gapFirst);
  stKeyF64(RES + (RES_GAP_LAST << 3), gapLast);
  return true;
}

/**
 * A slot the search can skip before its bounds are read: an occupied leaf slot, or a subtree
 * whose largest gap is below size. Testing this first saves the pivot loads (and, in the bigint
 * TS core, the BigInt allocations) of most slots; a skipped slot past the window only delays
 * the early exit to the next slot that could fit, so the result is the same.
 */
// @ts-ignore: decorator
@inline function slotCannotFit(node: i32, type: i32, i: i32, size: u64): bool {
  if (type == NODE_LEAF) return nodeSlot(node, type, i) != 0;
  return type == NODE_ARANGE && nodeGap(node, i) < size;
}

function gapForward(node: i32, min: u64, max: u64, wmin: u64, wmax: u64, size: u64): bool {
  const type = nodeType(node);
  const end = nodeEnd(node);
  for (let i = 0; i <= end; i++) {
    if (slotCannotFit(node, type, i, size)) continue;
    const hi = slotMax(node, i, end, max);
    if (hi < wmin) continue;
    const lo = slotMin(node, i, min);
    if (lo > wmax) return false;
    if (type == NODE_LEAF) {
      const start = lo > wmin ? lo : wmin;
      const stop = hi < wmax ? hi : wmax;
      if (stop - start + 1 < size) continue;
      if (unconstrained()) return resFound(start, start + size - 1, lo, hi);
      if (fitLow(start, stop, size)) return resFound(gFit, gFit + size - 1, lo, hi);
    } else {
      if (gapForward(nodeSlot(node, type, i), lo, hi, wmin, wmax, size)) return true;
    }
  }
  return false;
}

function gapReverse(node: i32, min: u64, max: u64, wmin: u64, wmax: u64, size: u64): bool {
  const type = nodeType(node);
  const end = nodeEnd(node);
  for (let i = end; i >= 0; i--) {
    if (slotCannotFit(node, type, i, size)) continue;
    const lo = slotMin(node, i, min);
    if (lo > wmax) continue;
    const hi = slotMax(node, i, end, max);
    if (hi < wmin) return false;
    if (type == NODE_LEAF) {
      const start = lo > wmin ? lo : wmin;
      const stop = hi < wmax ? hi : wmax;
      if (stop - start + 1 < size) continue;
      if (unconstrained()) return resFound(stop - size + 1, stop, lo, hi);
      if (fitHigh(start, stop, size)) return resFound(gFit, gFit + size - 1, lo, hi);
    } else {
      if (gapReverse(nodeSlot(node, type, i), lo, hi, wmin, wmax, size)) return true;
    }
  }
  return false;
}

/**
 * The window [wmin, wmax] must hold at least `size` indices, `align` must be a power of two
 * and `nospan` 0 or a power of two ≥ size (all checked by the caller).
 */
export function treeEmptyArea(tree: i32, wmin: u64, wmax: u64, size: u64, rev: bool, align: u64, nospan: u64): i32 {
  gAlign = align;
  gNospan = nospan;
  const root = treeRoot(tree);
  const keyMax = treeKeyMax(tree);
  if (root == 0) {
    if (!(rev ? fitHigh(wmin, wmax, size) : fitLow(wmin, wmax, size))) return EBUSY;
    resFound(gFit, gFit + size - 1, 0, keyMax);
    return OK;
  }
  const found = rev ? gapReverse(root, 0, keyMax, wmin, wmax, size) : gapForward(root, 0, keyMax, wmin, wmax, size);
  return found ? OK : EBUSY;
}
