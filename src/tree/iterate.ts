/**
 * The normal API's readers past load(): find/next/prev (one core walk each), iteration over a
 * tree's ranges a page of PAGE_ROWS ranges per core call (entries/keys/values, the forEach
 * loop), and counting. Each public entry point checks its arguments first.
 *
 * A page is [first, last, handle] rows in the core's memory, read in place. The tree may change
 * while a walk is paused (a loop body that writes), or the page be overwritten (a loop body
 * that iterates); the tree's generation and the core's page-write count show it, and the walk
 * then refetches from just after the last range it returned, as the tree is then.
 */

import { checkFunction } from './args.js';
import type { TreeContext } from './context.js';
import type { Key } from './keys.js';
import {
  ENTRY_NULL, ENTRY_ZERO, PAGE_ROWS, PAGE_ROW_WORDS, RES_FIRST, RES_LAST, ROW_FIRST, ROW_HANDLE, ROW_LAST,
} from '../backend/layout.js';

/** A stored range and its entry; K: the tree's key type. */
export interface Range<V, K extends number | bigint = number> {
  first: K;
  last: K;
  entry: V;
}

/**
 * Walks the non-NULL ranges (ZERO_ENTRY included) intersecting [from, until], reading rows
 * in place from the core's page. The page is valid while the tree's generation and the core's
 * page-write count are what they were at the fetch; otherwise the walk refetches from just
 * after the last range it returned.
 */
class RangeCursor {
  first = 0;
  last = 0;
  handle = 0;
  private count = 0;
  private at = 0;
  private gen = -1;
  private writes = -1;
  private lastOnPage: Key = 0;
  private resumeFrom: Key;
  private done: boolean;
  /** Whether a range was returned: later ones must start after it. */
  private returned = false;

  constructor(
    private readonly ctx: TreeContext,
    private readonly method: string,
    from: Key,
    private readonly until: Key,
  ) {
    this.resumeFrom = from;
    this.done = from > until;
  }

  /** Steps to the next range; false at the end. A tree freed mid-walk throws EINVAL. */
  advance(): boolean {
    const core = this.ctx.core;
    while (!this.done) {
      this.ctx.assertLive(this.method);
      if (this.at < this.count && core.pageWrites === this.writes && core.generation(this.ctx.id) === this.gen) {
        const rows = core.pageBuf;
        const o = this.at++ * PAGE_ROW_WORDS;
        this.first = rows[o + ROW_FIRST];
        this.last = rows[o + ROW_LAST];
        this.handle = rows[o + ROW_HANDLE];
        // Another agent's write may have merged a returned range into this one: skip it.
        if (this.returned && this.first < this.resumeFrom) continue;
        return true;
      }
      this.fetch();
    }
    return false;
  }

  /** Marks the current range as returned: a refetch resumes after it (none after the last index). */
  markReturned(): void {
    const keys = this.ctx.keys;
    if (this.last >= keys.max) this.done = true;
    else this.resumeFrom = this.last + keys.one;
    this.returned = true;
  }

  private fetch(): void {
    const core = this.ctx.core;
    const tree = this.ctx.id;
    if (this.at >= this.count && this.gen !== -1 && core.generation(tree) === this.gen) {
      // Page used up: it was the last page unless it was full.
      if (this.count < PAGE_ROWS || this.lastOnPage >= this.until) return this.finish();
      const after = this.lastOnPage + this.ctx.keys.one; // lastOnPage < until: no overflow
      if (this.resumeFrom < after) this.resumeFrom = after;
    }
    if (this.resumeFrom > this.until) return this.finish();
    const n = core.page(tree, this.resumeFrom, this.until);
    this.count = n;
    this.at = 0;
    this.gen = core.generation(tree);
    this.writes = core.pageWrites;
    if (n === 0) return this.finish();
    this.lastOnPage = core.pageBuf[(n - 1) * PAGE_ROW_WORDS + ROW_LAST];
  }

  private finish(): void {
    this.done = true;
  }
}

/** The range in the result registers with the entry behind handle, or undefined for handle 0. */
function resultRange<V>(ctx: TreeContext, handle: number): Range<V> | undefined {
  if (handle === ENTRY_NULL) return undefined;
  const core = ctx.core;
  const res = core.res;
  return { first: res[RES_FIRST], last: res[RES_LAST], entry: core.entries.get(handle) as V };
}

/** mt_find: the first range holding an entry (ZERO_ENTRY skipped) that intersects [index, max]; one core walk. */
export function findEntry<V>(ctx: TreeContext, method: string, index: unknown, max: unknown): Range<V> | undefined {
  const i = ctx.keys.index(method, 'index', index);
  const m = ctx.keys.index(method, 'max', max);
  return resultRange<V>(ctx, ctx.core.find(ctx.id, i, m));
}

/** mt_next: the first range holding an entry after the range containing `index`, starting <= max. */
export function nextEntry<V>(ctx: TreeContext, method: string, index: unknown, max: unknown): Range<V> | undefined {
  const i = ctx.keys.index(method, 'index', index);
  const m = ctx.keys.index(method, 'max', max);
  return resultRange<V>(ctx, ctx.core.next(ctx.id, i, m));
}

/** mt_prev: the last range holding an entry before the range containing `index`, ending >= min. */
export function prevEntry<V>(ctx: TreeContext, method: string, index: unknown, min: unknown): Range<V> | undefined {
  const i = ctx.keys.index(method, 'index', index);
  const m = ctx.keys.index(method, 'min', min);
  return resultRange<V>(ctx, ctx.core.prev(ctx.id, i, m));
}

/** What a walk yields per range: [first, last, entry], [first, last], or the entry. */
export type Yield = 'tuple' | 'key' | 'value';

/**
 * The ranges holding an entry intersecting [first, last], ascending, shaped by `shape`; the
 * arguments are checked now, not at the first step.
 */
export function walkEntries<T>(ctx: TreeContext, method: string, first: unknown, last: unknown, shape: Yield): IterableIterator<T> {
  const f = ctx.keys.index(method, 'first', first);
  const l = ctx.keys.index(method, 'last', last);
  return new EntryIterator<T>(ctx, new RangeCursor(ctx, method, f, l), shape);
}

/**
 * The iterator of entries/keys/values: a plain object rather than a generator, whose
 * suspend and resume cost more per entry than the rest of the step (see bench/RESULTS.md).
 * return() ends it, as a generator's does when a for-of loop breaks.
 */
class EntryIterator<T> implements IterableIterator<T> {
  constructor(
    private readonly ctx: TreeContext,
    private cursor: RangeCursor | null,
    private readonly shape: Yield,
  ) {}

  next(): IteratorResult<T, undefined> {
    const cursor = this.cursor;
    if (cursor !== null) {
      while (cursor.advance()) {
        if (cursor.handle === ENTRY_ZERO) continue;
        cursor.markReturned();
        return { value: this.shaped(cursor), done: false };
      }
      this.cursor = null;
    }
    return { value: undefined, done: true };
  }

  return(): IteratorResult<T, undefined> {
    this.cursor = null;
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }

  private shaped(cursor: RangeCursor): T {
    const shape = this.shape;
    if (shape === 'key') return [cursor.first, cursor.last] as T;
    const entry = this.ctx.core.entries.get(cursor.handle);
    return (shape === 'tuple' ? [cursor.first, cursor.last, entry] : entry) as T;
  }
}

/**
 * The forEach loop, reading pages in place rather than through RangeCursor (the hot loop of
 * iteration): one core call per PAGE_ROWS ranges. After each call of fn it checks the tree's
 * generation (fn wrote) and the core's page-write count (fn iterated, reusing the page); on
 * either it refetches after the last range it returned.
 */
export function forEachEntry<V>(
  ctx: TreeContext,
  method: string,
  fn: (entry: V, first: Key, last: Key) => void | false,
  firstArg: unknown,
  lastArg: unknown,
): void {
  checkFunction(method, 'fn', fn);
  const first = ctx.keys.index(method, 'first', firstArg);
  const last = ctx.keys.index(method, 'last', lastArg);
  const one = ctx.keys.one;
  const core = ctx.core;
  const tree = ctx.id;
  const entries = core.entries;
  // The row layout in locals: an imported constant is a module cell to V8, loaded and checked
  // for the temporal dead zone at every use (a third of this loop's instructions per range).
  const words = PAGE_ROW_WORDS;
  const rowFirst = ROW_FIRST;
  const rowLast = ROW_LAST;
  const rowHandle = ROW_HANDLE;
  const zeroEntry = ENTRY_ZERO;
  let from = first;
  while (from <= last) {
    ctx.assertLive(method); // fn may have freed the tree
    const n = core.page(tree, from, last);
    if (n === 0) return;
    const gen = core.generation(tree);
    const writes = core.pageWrites;
    const end = n * words;
    let o = 0;
    for (; o < end; o += words) {
      const rows = core.pageBuf; // re-read: memory may have grown during fn
      const rangeLast = rows[o + rowLast];
      const handle = rows[o + rowHandle];
      if (from > first && rows[o + rowFirst] < from) continue; // merged into a returned range by another agent
      if (handle !== zeroEntry && fn(entries.get(handle) as V, rows[o + rowFirst], rangeLast) === false) return;
      if (rangeLast >= last) return;
      from = rangeLast + one; // rangeLast < last: no overflow
      if (ctx.isFreed || core.pageWrites !== writes || core.generation(tree) !== gen) break;
    }
    if (o >= end && n < PAGE_ROWS) return;
  }
}

/** Ranges holding an entry, ZERO_ENTRY ranges not counted: one core call per page. */
export function countEntries(ctx: TreeContext): number {
  const core = ctx.core;
  const tree = ctx.id;
  const { max, one } = ctx.keys;
  let count = 0;
  let from = ctx.keys.zero;
  for (;;) {
    const n = core.page(tree, from, max);
    const rows = core.pageBuf;
    for (let o = ROW_HANDLE; o < n * PAGE_ROW_WORDS; o += PAGE_ROW_WORDS) if (rows[o] !== ENTRY_ZERO) count++;
    if (n < PAGE_ROWS) return count;
    const lastOnPage = rows[(n - 1) * PAGE_ROW_WORDS + ROW_LAST];
    if (lastOnPage >= max) return count;
    from = lastOnPage + one;
  }
}
