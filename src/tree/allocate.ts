/**
 * Allocation through gap tracking: mtree_alloc_range / mtree_alloc_rrange (a free range of a
 * size) and mtree_alloc_cyclic (one free index, searched from a moving start).
 */

import { checkEntry, checkIndex, checkOrderedPair, checkWindow, MAX_INDEX } from './args.js';
import type { TreeContext } from './context.js';
import { MapleError } from './errors.js';
import { EBUSY, MODE_INSERT, RES_FIRST, TREE_ALLOC_WRAPPED } from '../backend/layout.js';
import { ZERO_ENTRY } from './zeroEntry.js';

/** Result of allocCyclic(): `wrapped` is the kernel's return value 1. */
export interface CyclicAllocation {
  start: number;
  next: number;
  wrapped: boolean;
}

/** An entry to allocate for: any entry except ZERO_ENTRY, which the kernel reserves. */
function checkAllocEntry(method: string, entry: unknown): void {
  checkEntry(method, entry);
  if (entry === ZERO_ENTRY) throw new MapleError('EINVAL', `${method}: ZERO_ENTRY is reserved`);
}

function checkGapTracking(ctx: TreeContext, method: string): void {
  if (!ctx.gapTracking) {
    throw new MapleError('EINVAL', `${method}: the tree was not created with { allocRange: true }`);
  }
}

/** Stores `entry` at the lowest (or, `rev`, highest) free [s, s + size - 1] in [min, max]; returns s. */
export function allocateRange(
  ctx: TreeContext,
  method: string,
  size: unknown,
  entry: unknown,
  min: unknown,
  max: unknown,
  rev: boolean,
): number {
  ctx.assertLive(method);
  checkAllocEntry(method, entry);
  const [s, lo, hi] = checkWindow(method, size, min, max);
  checkGapTracking(ctx, method);
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    if (core.emptyArea(ctx.id, lo, hi, s, rev) === EBUSY) {
      throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]`);
    }
    const start = core.res[RES_FIRST];
    ctx.store(method, start, start + s - 1, core.entries.alloc(entry), MODE_INSERT);
    return start;
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** The lowest empty index in [lo, hi], or -1 (also when lo > hi, the kernel's EINVAL). */
function lowestFreeIndex(ctx: TreeContext, lo: number, hi: number): number {
  if (lo > hi) return -1;
  if (ctx.core.emptyArea(ctx.id, lo, hi, 1, false) < 0) return -1;
  return ctx.core.res[RES_FIRST];
}

/**
 * One free index in [max(lo, next), hi], else in [lo, hi]; `wrapped` when the second search
 * found it or the previous allocation wrapped `next` past MAX_INDEX (the ALLOC_WRAPPED flag).
 */
export function allocateCyclic(
  ctx: TreeContext,
  method: string,
  entry: unknown,
  lo: unknown,
  hi: unknown,
  next: unknown,
): CyclicAllocation {
  ctx.assertLive(method);
  checkAllocEntry(method, entry);
  const [low, high] = checkOrderedPair(method, 'lo', lo, 'hi', hi);
  const from = checkIndex(method, 'next', next);
  checkGapTracking(ctx, method);
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    const searchFrom = Math.max(low, from);
    let wrapped = false;
    let start = lowestFreeIndex(ctx, searchFrom, high);
    // As mas_alloc_cyclic, only a first search that succeeds consumes the remembered wrap;
    // after a failed first search it survives, so the next allocation reports it too.
    const firstFound = start >= 0;
    if (firstFound) {
      wrapped = (core.flags(ctx.id) & TREE_ALLOC_WRAPPED) !== 0;
    } else if (searchFrom > low) {
      start = lowestFreeIndex(ctx, low, high);
      wrapped = true;
    }
    if (start < 0) throw new MapleError('EBUSY', `${method}: no free index in [${low}, ${high}]`);
    ctx.store(method, start, start, core.entries.alloc(entry), MODE_INSERT);
    const flags = firstFound ? core.flags(ctx.id) & ~TREE_ALLOC_WRAPPED : core.flags(ctx.id);
    core.setFlags(ctx.id, start === MAX_INDEX ? flags | TREE_ALLOC_WRAPPED : flags);
    return { start, next: start === MAX_INDEX ? 0 : start + 1, wrapped };
  } finally {
    ctx.lock.exitWriter(taken);
  }
}
