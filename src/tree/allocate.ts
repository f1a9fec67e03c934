/**
 * Allocation through gap tracking: mtree_alloc_range / mtree_alloc_rrange (a free range of a
 * size, optionally aligned and kept inside 2^k blocks, as GPU VA allocators need) and
 * mtree_alloc_cyclic (one free index, searched from a moving start).
 */

import { checkEntry, checkIndex, checkOrderedPair, checkWindow, describeArg, MAX_INDEX } from './args.js';
import type { TreeContext } from './context.js';
import { MapleError } from '../backend/errors.js';
import { EBUSY, MODE_INSERT, RES_FIRST, TREE_ALLOC_WRAPPED } from '../backend/layout.js';
import { ZERO_ENTRY } from './zeroEntry.js';

/** Result of allocCyclic(): `wrapped` is the kernel's return value 1. */
export interface CyclicAllocation {
  start: number;
  next: number;
  wrapped: boolean;
}

/**
 * Placement constraints of a gap search (emptyArea, emptyAreaRev, allocRange, allocRRange).
 * `align`: the found start is a multiple of it (a power of two; default 1). `nospan`: the found
 * range does not cross a multiple of it (a power of two ≥ size; default: no limit), like Mesa's
 * util_vma_heap nospan_shift. The result is the lowest (or highest) such fit.
 */
export interface AllocOptions {
  align?: number;
  nospan?: number;
}

/** Checked placement constraints as the core takes them: nospan 0 means no limit. */
export interface Placement {
  align: number;
  nospan: number;
}

/** No constraint: the core's unaligned search. */
export const UNALIGNED: Placement = { align: 1, nospan: 0 };

function isPowerOfTwo(value: number): boolean {
  return 2 ** Math.round(Math.log2(value)) === value;
}

/** A power of two in [1, MAX_INDEX], named `name` in the error. */
function checkPowerOfTwo(method: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || !isPowerOfTwo(value)) {
    throw new MapleError('EINVAL', `${method}: ${name} must be a power of two, got ${describeArg(value)}`);
  }
  return value;
}

/** The opts argument of a gap search for `size` (already checked): undefined or AllocOptions. */
export function checkPlacement(method: string, opts: unknown, size: number): Placement {
  if (opts === undefined) return UNALIGNED;
  if (typeof opts !== 'object' || opts === null) {
    throw new MapleError('EINVAL', `${method}: opts must be an object, got ${describeArg(opts)}`);
  }
  const { align, nospan } = opts as AllocOptions;
  const a = align === undefined ? 1 : checkPowerOfTwo(method, 'align', align);
  if (nospan === undefined) return a === 1 ? UNALIGNED : { align: a, nospan: 0 };
  const n = checkPowerOfTwo(method, 'nospan', nospan);
  if (n < size) throw new MapleError('EINVAL', `${method}: nospan (${n}) is smaller than size ${size}`);
  return { align: a, nospan: n };
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
  opts: unknown,
): number {
  ctx.assertLive(method);
  checkAllocEntry(method, entry);
  const [s, lo, hi] = checkWindow(method, size, min, max);
  const { align, nospan } = checkPlacement(method, opts, s);
  checkGapTracking(ctx, method);
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    if (core.emptyArea(ctx.id, lo, hi, s, rev, align, nospan) === EBUSY) {
      throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]${describePlacement(align, nospan)}`);
    }
    const start = core.res[RES_FIRST];
    ctx.store(method, start, start + s - 1, core.entries.alloc(entry), MODE_INSERT);
    return start;
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** The constraints of a failed search, for its error message. */
export function describePlacement(align: number, nospan: number): string {
  return (align > 1 ? ` aligned to ${align}` : '') + (nospan > 0 ? ` within ${nospan}-blocks` : '');
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
 * As in mas_alloc_cyclic, only a first search that succeeds consumes the flag: a wrapped second
 * search leaves it set, so the next allocation reports `wrapped` as well.
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
    let flags = core.flags(ctx.id);
    let wrapped = false;
    let start = lowestFreeIndex(ctx, searchFrom, high);
    // As mas_alloc_cyclic, only a first search that succeeds consumes the remembered wrap;
    // after a failed first search it survives, so the next allocation reports it too.
    if (start >= 0) {
      wrapped = (flags & TREE_ALLOC_WRAPPED) !== 0;
      flags &= ~TREE_ALLOC_WRAPPED;
    } else if (searchFrom > low) {
      start = lowestFreeIndex(ctx, low, high);
      wrapped = true;
    }
    if (start < 0) throw new MapleError('EBUSY', `${method}: no free index in [${low}, ${high}]`);
    ctx.store(method, start, start, core.entries.alloc(entry), MODE_INSERT);
    core.setFlags(ctx.id, start === MAX_INDEX ? flags | TREE_ALLOC_WRAPPED : flags);
    return { start, next: start === MAX_INDEX ? 0 : start + 1, wrapped };
  } finally {
    ctx.lock.exitWriter(taken);
  }
}
