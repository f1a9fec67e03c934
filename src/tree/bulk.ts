/**
 * Bulk operations of the normal API: loadMany (batched lookups, walked by the core a group at
 * a time so their cache misses overlap) and MapleTree.from (the whole input checked first,
 * then handed to the core's bottom-up build a page of rows at a time).
 */

import { checkEntry, describeArg } from './args.js';
import type { TreeContext } from './context.js';
import type { Key, KeySpace } from './keys.js';
import { MapleError } from '../backend/errors.js';
import { OK, PAGE_ROWS, PAGE_ROW_WORDS, ROW_FIRST, ROW_HANDLE, ROW_LAST } from '../backend/layout.js';

/** Keys per core call: the page holds PAGE_ROWS rows of PAGE_ROW_WORDS f64. */
const MANY_CHUNK = PAGE_ROWS * PAGE_ROW_WORDS;
/** Below this many keys a loop of load() beats filling the page (no group to overlap). */
const MANY_MIN_BATCH = 4;

/** The indices of loadMany, checked before any lookup. */
function checkIndices(keys: KeySpace, method: string, indices: unknown): ArrayLike<Key> {
  const length = (indices as ArrayLike<unknown> | null)?.length;
  if (typeof indices !== 'object' || indices === null || typeof length !== 'number') {
    throw new MapleError('EINVAL', `${method}: indices must be an array-like of indices, got ${describeArg(indices)}`);
  }
  const list = indices as ArrayLike<unknown>;
  for (let i = 0; i < length; i++) keys.index(method, `indices[${i}]`, list[i]);
  return list as ArrayLike<Key>;
}

/** mtree_load of every index, in order; ZERO_ENTRY reads as undefined, as in load(). */
export function loadEntries<V>(ctx: TreeContext, method: string, indices: unknown): (V | undefined)[] {
  const keys = checkIndices(ctx.keys, method, indices);
  const core = ctx.core;
  const tree = ctx.id;
  const count = keys.length;
  const out = new Array<V | undefined>(count);
  if (count < MANY_MIN_BATCH) {
    for (let i = 0; i < count; i++) out[i] = ctx.userValue(core.load(tree, keys[i])) as V | undefined;
    return out;
  }
  for (let start = 0; start < count; start += MANY_CHUNK) {
    const n = Math.min(MANY_CHUNK, count - start);
    let page = core.pageBuf;
    for (let k = 0; k < n; k++) page[k] = keys[start + k];
    core.loadMany(tree, n);
    page = core.pageBuf;
    for (let k = 0; k < n; k++) out[start + k] = ctx.userValue(page[k]) as V | undefined;
  }
  return out;
}

/**
 * Reads ranges[at] — [first, last, entry] starting after prevLast, the previous range's last
 * index (ignored for the first) — checks it and appends it to rows; returns its last index.
 * Each element is read once, so what is checked is what is built; a valid range costs no
 * message (the argument names are only made for an error).
 */
function readFromRange(keys: KeySpace, method: string, at: number, range: unknown, prevLast: Key, rows: FromRows): Key {
  let first: unknown;
  let last: unknown;
  let entry: unknown;
  if (Array.isArray(range) && range.length === 3) {
    first = range[0];
    last = range[1];
    entry = range[2];
  } else {
    if (typeof range !== 'object' || range === null || (range as ArrayLike<unknown>).length !== 3) {
      throw new MapleError('EINVAL', `${method}: ranges[${at}] must be [first, last, entry], got ${describeArg(range)}`);
    }
    [first, last, entry] = range as [unknown, unknown, unknown];
  }
  if (!keys.isIndex(first) || !keys.isIndex(last) || (first as Key) > (last as Key) || (at > 0 && (first as Key) <= prevLast) ||
    entry === null || entry === undefined) {
    explainFromRange(keys, method, at, first, last, entry, prevLast);
  }
  // Adding the key space's zero folds a number's -0 to 0 (and keeps a bigint a bigint).
  const l = (last as Key) + keys.zero;
  rows.firsts.push((first as Key) + keys.zero);
  rows.lasts.push(l);
  rows.entries.push(entry);
  return l;
}

/** Throws the EINVAL naming what is wrong with ranges[at] (see readFromRange). */
function explainFromRange(keys: KeySpace, method: string, at: number, first: unknown, last: unknown, entry: unknown, prevLast: Key): never {
  const f = keys.index(method, `ranges[${at}][0]`, first);
  const l = keys.index(method, `ranges[${at}][1]`, last);
  if (f > l) throw new MapleError('EINVAL', `${method}: ranges[${at}]: first (${f}) > last (${l})`);
  if (at > 0 && f <= prevLast) {
    throw new MapleError('EINVAL', `${method}: ranges[${at}] starts at ${f}, not after the previous range's last (${prevLast}): ranges must ascend without overlap`);
  }
  checkEntry(`${method}: ranges[${at}]`, entry);
  throw new Error(`${method}: ranges[${at}] failed a check that names no reason`); // unreachable
}

/** MapleTree.from's input, checked: parallel arrays of firsts, lasts and entries. */
export interface FromRows {
  readonly firsts: Key[];
  readonly lasts: Key[];
  readonly entries: unknown[];
}

/** Reads and checks every range before anything is built (a bad one throws, nothing built). */
export function collectFromRanges(keys: KeySpace, method: string, ranges: unknown): FromRows {
  if (ranges === null || typeof (ranges as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
    throw new MapleError('EINVAL', `${method}: ranges must be an iterable of [first, last, entry]`);
  }
  const rows: FromRows = { firsts: [], lasts: [], entries: [] };
  let prevLast = keys.zero;
  let at = 0;
  for (const range of ranges as Iterable<unknown>) prevLast = readFromRange(keys, method, at++, range, prevLast, rows);
  return rows;
}

/** Builds the checked rows into ctx's empty tree; ENOMEM (cap or memory) leaves it empty. */
export function buildFrom(ctx: TreeContext, method: string, rows: FromRows): void {
  const core = ctx.core;
  const count = rows.firsts.length;
  for (let start = 0; start < count; start += PAGE_ROWS) {
    const n = Math.min(PAGE_ROWS, count - start);
    const page = core.pageBuf;
    for (let k = 0; k < n; k++) {
      const at = k * PAGE_ROW_WORDS;
      page[at + ROW_FIRST] = rows.firsts[start + k];
      page[at + ROW_LAST] = rows.lasts[start + k];
      page[at + ROW_HANDLE] = ctx.handleFor(rows.entries[start + k]);
    }
    const status = core.buildPage(ctx.id, n);
    if (status !== OK) {
      // The page may be stale after memory growth: the handles are read back from a fresh view.
      const handles = core.pageBuf;
      for (let k = 0; k < n; k++) core.entries.dropIfUnused(handles[k * PAGE_ROW_WORDS + ROW_HANDLE]);
      throw MapleError.fromErrno(status, `${method}: node budget exhausted at ranges[${start}..${start + n - 1}]`);
    }
  }
  const status = core.buildEnd(ctx.id);
  if (status !== OK) throw MapleError.fromErrno(status, `${method}: node budget exhausted closing the tree`);
}
