/**
 * Where a repeated gap search resumes (mas_empty_area / mas_empty_area_rev on a state that is
 * already on a range): the kernel steps back two slots (`offset -= 2`) before searching again.
 * The cursor has no node, so "two slots back" is two ranges back from the current slot.
 */

import type { TreeContext } from './context.js';
import type { Key } from './keys.js';
import { RES_FIRST, RES_LAST } from '../backend/layout.js';

/** How many ranges back the kernel's resumed search starts. */
const RESUME_RANGES_BACK = 2;

/** Forward: the start of the range two before the slot, else the next range's start; null at the end. */
export function fwdResumeBound(ctx: TreeContext, slotFirst: Key, slotLast: Key): Key | null {
  const back = rangeStartBefore(ctx, slotFirst, RESUME_RANGES_BACK);
  if (back !== null) return back;
  return ctx.keys.after(slotLast);
}

/** Reverse: the end of the range two before the slot; fewer before restarts from the top; at 0: null. */
export function revResumeBound(ctx: TreeContext, slotFirst: Key): Key | null {
  if (slotFirst === ctx.keys.zero) return null;
  const back = rangeStartBefore(ctx, slotFirst, RESUME_RANGES_BACK);
  if (back === null) return ctx.keys.max;
  ctx.core.walk(ctx.id, back);
  return ctx.core.res[RES_LAST];
}

/** The start of the range `count` ranges before the one starting at `first`, if any. */
function rangeStartBefore(ctx: TreeContext, first: Key, count: number): Key | null {
  const { zero, one } = ctx.keys;
  let at = first;
  for (let i = 0; i < count; i++) {
    if (at === zero) return null;
    ctx.core.walk(ctx.id, at - one);
    at = ctx.core.res[RES_FIRST];
  }
  return at;
}
