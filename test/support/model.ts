/**
 * A deliberately simple model of the public MapleTree API (a sorted array of non-NULL ranges,
 * linear scans), used as the oracle of the differential tests, plus helpers shared by the
 * tree suites.
 */

import { expect } from 'vitest';
import { ZERO_ENTRY } from '../../src/backend/entries.js';
import { MapleError, type MapleErrorCode } from '../../src/backend/errors.js';
import { MAX_INDEX, type MapleTree, type Range } from '../../src/tree/MapleTree.js';

export interface ModelRange<V> {
  first: number;
  last: number;
  entry: V;
}

export class RangeModel<V> {
  ranges: ModelRange<V>[] = [];

  /** The raw entry at index (ZERO_ENTRY included). */
  raw(index: number): V | undefined {
    const r = this.ranges[this.lowerBound(index)];
    return r && r.first <= index ? r.entry : undefined;
  }

  load(index: number): V | undefined {
    return this.visible(this.raw(index));
  }

  storeRange(first: number, last: number, entry: V | undefined): void {
    const lo = this.lowerBound(first);
    let hi = lo;
    while (hi < this.ranges.length && this.ranges[hi].first <= last) hi++;
    const replacement: ModelRange<V>[] = [];
    const head = this.ranges[lo];
    const tail = this.ranges[hi - 1];
    if (hi > lo && head.first < first) replacement.push({ first: head.first, last: first - 1, entry: head.entry });
    if (entry !== undefined) replacement.push({ first, last, entry });
    if (hi > lo && tail.last > last) replacement.push({ first: last + 1, last: tail.last, entry: tail.entry });
    this.ranges.splice(lo, hi - lo, ...replacement);
  }

  /** True if every index in [first, last] is empty (ZERO_ENTRY counts as used). */
  isFree(first: number, last: number): boolean {
    const r = this.ranges[this.lowerBound(first)];
    return !r || r.first > last;
  }

  erase(index: number): V | undefined {
    const at = this.lowerBound(index);
    const r = this.ranges[at];
    if (!r || r.first > index) return undefined;
    this.ranges.splice(at, 1);
    return r.entry;
  }

  /** Position of the first range whose last >= index. */
  private lowerBound(index: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid].last < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(index: number, max: number): ModelRange<V> | undefined {
    if (index > max) return undefined;
    return this.ranges.find((r) => r.last >= index && r.first <= max && r.entry !== ZERO_ENTRY);
  }

  next(index: number, max: number): ModelRange<V> | undefined {
    if (index >= max) return undefined;
    const end = this.rangeAround(index)[1];
    if (end >= max) return undefined;
    return this.ranges.find((r) => r.first > end && r.first <= max && r.entry !== ZERO_ENTRY);
  }

  prev(index: number, min: number): ModelRange<V> | undefined {
    if (index <= min) return undefined;
    let start = this.rangeAround(index)[0];
    while (start > min) {
      const [first] = this.rangeAround(start - 1);
      const r = this.ranges.find((x) => x.first === first);
      if (r && r.entry !== ZERO_ENTRY) return r;
      start = first;
    }
    return undefined;
  }

  entries(first: number, last: number): [number, number, V][] {
    if (first > last) return [];
    return this.ranges
      .filter((r) => r.last >= first && r.first <= last && r.entry !== ZERO_ENTRY)
      .map((r) => [r.first, r.last, r.entry]);
  }

  /** Lowest (or highest) start s with [s, s + size - 1] inside [min, max] and free, else -1. */
  emptyArea(min: number, max: number, size: number, rev: boolean): number {
    let best = -1;
    for (const [gapFirst, gapLast] of this.gaps()) {
      const lo = Math.max(gapFirst, min);
      const hi = Math.min(gapLast, max);
      if (hi < lo || hi - lo + 1 < size) continue;
      if (!rev) return lo;
      best = hi - size + 1;
    }
    return best;
  }

  snapshot(): [number, number, V][] {
    return this.ranges.map((r) => [r.first, r.last, r.entry]);
  }

  private visible(entry: V | undefined): V | undefined {
    return entry === ZERO_ENTRY ? undefined : entry;
  }

  /** The stored range or NULL gap containing index. */
  private rangeAround(index: number): [number, number] {
    const r = this.ranges.find((x) => x.first <= index && index <= x.last);
    if (r) return [r.first, r.last];
    const before = this.ranges.filter((x) => x.last < index).pop();
    const after = this.ranges.find((x) => x.first > index);
    return [before ? before.last + 1 : 0, after ? after.first - 1 : MAX_INDEX];
  }

  private *gaps(): Generator<[number, number]> {
    let next = 0;
    for (const r of this.ranges) {
      if (r.first > next) yield [next, r.first - 1];
      next = r.last + 1;
    }
    const lastRange = this.ranges[this.ranges.length - 1];
    if (!lastRange || lastRange.last < MAX_INDEX) yield [next, MAX_INDEX];
  }
}

/** Every stored range, ZERO_ENTRY included, through a MaState walk. */
export function snapshotOf<V>(tree: MapleTree<V>): [number, number, V][] {
  const out: [number, number, V][] = [];
  const mas = tree.state(0);
  for (let e = mas.find(); e !== undefined; e = mas.find()) out.push([mas.index, mas.last, e as V]);
  return out;
}

/** Runs fn, expecting a MapleError with this code; returns it. */
/** The code of the MapleError `call` throws, or null when it returns; any other error is rethrown. */
export function mapleErrorCode(call: () => unknown): MapleErrorCode | null {
  try {
    call();
    return null;
  } catch (err) {
    if (!(err instanceof MapleError)) throw err;
    return err.code as MapleErrorCode;
  }
}

export function expectMapleError(fn: () => unknown, code: MapleErrorCode, message?: RegExp): MapleError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(MapleError);
  const err = caught as MapleError;
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** Asserts fn throws `code` and leaves the tree's ranges exactly as they were. */
export function expectUnchangedAfterError<V>(tree: MapleTree<V>, fn: () => unknown, code: MapleErrorCode): MapleError {
  const before = snapshotOf(tree);
  const err = expectMapleError(fn, code);
  expect(snapshotOf(tree)).toEqual(before);
  tree.validate();
  return err;
}

export function rangeOf<V>(r: Range<V> | ModelRange<V> | undefined): [number, number, V] | undefined {
  return r ? [r.first, r.last, r.entry] : undefined;
}
