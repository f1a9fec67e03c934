/**
 * Allocation through gap tracking: mtree_alloc_range / mtree_alloc_rrange (a free range of a
 * size, optionally aligned and kept inside 2^k blocks, as GPU VA allocators need) and
 * mtree_alloc_cyclic (one free index, searched from a moving start).
 */

import { checkEntry, describeArg } from './args.js';
import type { TreeContext } from './context.js';
import type { Key, KeySpace } from './keys.js';
import { MapleError } from '../backend/errors.js';
import { EBUSY, MODE_INSERT, RES_FIRST, TREE_ALLOC_WRAPPED } from '../backend/layout.js';
import { ZERO_ENTRY } from './zeroEntry.js';

/** Result of allocCyclic(): `wrapped` is the kernel's return value 1; K: the tree's key type. */
export interface CyclicAllocation<K extends number | bigint = number> {
  start: K;
  next: K;
  wrapped: boolean;
}

/**
 * Placement constraints of a gap search (emptyArea, emptyAreaRev, allocRange, allocRRange).
 * `align`: the found start is a multiple of it (a power of two; default 1). `nospan`: the found
 * range does not cross a multiple of it (a power of two ≥ size; default: no limit), like Mesa's
 * util_vma_heap nospan_shift. The result is the lowest (or highest) such fit. K: the tree's
 * key type (bigints on a bigint tree).
 */
export interface AllocOptions<K extends number | bigint = number> {
  align?: K;
  nospan?: K;
}

/** Checked placement constraints as the core takes them: nospan 0 means no limit. */
export interface Placement {
  align: Key;
  nospan: Key;
}

/** No constraint: the core's unaligned search, with number or bigint keys. */
const UNALIGNED: Placement = { align: 1, nospan: 0 };
const UNALIGNED_BIGINT: Placement = { align: 1n as unknown as Key, nospan: 0n as unknown as Key };

function unaligned(keys: KeySpace): Placement {
  return keys.kind === 'bigint' ? UNALIGNED_BIGINT : UNALIGNED;
}

/** The opts argument of a gap search for `size` (already checked): undefined or AllocOptions. */
export function checkPlacement(keys: KeySpace, method: string, opts: unknown, size: Key): Placement {
  if (opts === undefined) return unaligned(keys);
  if (typeof opts !== 'object' || opts === null) {
    throw new MapleError('EINVAL', `${method}: opts must be an object, got ${describeArg(opts)}`);
  }
  const { align, nospan } = opts as AllocOptions;
  const a = align === undefined ? keys.one : keys.powerOfTwo(method, 'align', align);
  if (nospan === undefined) return a === keys.one ? unaligned(keys) : { align: a, nospan: keys.zero };
  const n = keys.powerOfTwo(method, 'nospan', nospan);
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
): Key {
  ctx.assertLive(method);
  checkAllocEntry(method, entry);
  const keys = ctx.keys;
  const w = keys.window(method, size, min, max);
  const s = w[0], lo = w[1], hi = w[2];
  const { align, nospan } = checkPlacement(keys, method, opts, s);
  checkGapTracking(ctx, method);
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    if (core.emptyArea(ctx.id, lo, hi, s, rev, align, nospan) === EBUSY) {
      throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]${describePlacement(keys, align, nospan)}`);
    }
    const start = core.res[RES_FIRST];
    ctx.store(method, start, start + (s - keys.one), core.entries.alloc(entry), MODE_INSERT);
    return start;
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** The constraints of a failed search, for its error message. */
export function describePlacement(keys: KeySpace, align: Key, nospan: Key): string {
  return (align > keys.one ? ` aligned to ${align}` : '') + (nospan > keys.zero ? ` within ${nospan}-blocks` : '');
}

/** The lowest empty index in [lo, hi], or null (also when lo > hi, the kernel's EINVAL). */
function lowestFreeIndex(ctx: TreeContext, lo: Key, hi: Key): Key | null {
  if (lo > hi) return null;
  if (ctx.core.emptyArea(ctx.id, lo, hi, ctx.keys.one, false) < 0) return null;
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
  const keys = ctx.keys;
  const [low, high] = keys.orderedPair(method, 'lo', lo, 'hi', hi);
  const from = keys.index(method, 'next', next);
  checkGapTracking(ctx, method);
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    const searchFrom = low > from ? low : from;
    let flags = core.flags(ctx.id);
    let wrapped = false;
    let start = lowestFreeIndex(ctx, searchFrom, high);
    // As mas_alloc_cyclic, only a first search that succeeds consumes the remembered wrap;
    // after a failed first search it survives, so the next allocation reports it too.
    if (start !== null) {
      wrapped = (flags & TREE_ALLOC_WRAPPED) !== 0;
      flags &= ~TREE_ALLOC_WRAPPED;
    } else if (searchFrom > low) {
      start = lowestFreeIndex(ctx, low, high);
      wrapped = true;
    }
    if (start === null) throw new MapleError('EBUSY', `${method}: no free index in [${low}, ${high}]`);
    ctx.store(method, start, start, core.entries.alloc(entry), MODE_INSERT);
    const after = keys.after(start);
    core.setFlags(ctx.id, after === null ? flags | TREE_ALLOC_WRAPPED : flags);
    return { start, next: after ?? keys.zero, wrapped };
  } finally {
    ctx.lock.exitWriter(taken);
  }
}
