/**
 * The single-walk readers (find/next/prev), in-place page iteration, loadMany and
 * MapleTree.from, on every backend: differential against an array of the stored ranges,
 * loops of load(), and trees built one store at a time.
 */

import { describe, expect, it } from 'vitest';
import { ZERO_ENTRY } from '../src/backend/entries.js';
import { MAX_INDEX, MapleTree, type Range } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectMapleError } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

const SEED = seedFromEnv(0x62756c6b);

interface Stored {
  first: number;
  last: number;
  entry: unknown;
}

/** Disjoint ranges with random gaps (some none, so ranges touch), about one in six ZERO_ENTRY. */
function randomRanges(rng: Rng, count: number): Stored[] {
  const out: Stored[] = [];
  let at = rng.int(0, 5);
  for (let i = 0; i < count; i++) {
    const first = at;
    const last = first + rng.int(0, 7);
    out.push({ first, last, entry: rng.chance(1 / 6) ? ZERO_ENTRY : `v${i}` });
    at = last + 1 + (rng.chance(0.3) ? 0 : rng.int(1, 9));
  }
  return out;
}

function asRange(s: Stored | undefined): Range<unknown> | undefined {
  return s === undefined ? undefined : { first: s.first, last: s.last, entry: s.entry };
}

const isEntry = (s: Stored): boolean => s.entry !== ZERO_ENTRY;

/** The last index of the range (stored or NULL gap) containing index. */
function rangeEnd(ranges: Stored[], index: number): number {
  const hit = ranges.find((s) => s.last >= index);
  if (hit === undefined) return MAX_INDEX;
  return hit.first <= index ? hit.last : hit.first - 1;
}

function rangeStart(ranges: Stored[], index: number): number {
  const hit = [...ranges].reverse().find((s) => s.first <= index);
  if (hit === undefined) return 0;
  return hit.last >= index ? hit.first : hit.last + 1;
}

function expectedFind(ranges: Stored[], index: number, max: number): Range<unknown> | undefined {
  if (index > max) return undefined;
  return asRange(ranges.find((s) => isEntry(s) && s.last >= index && s.first <= max));
}

function expectedNext(ranges: Stored[], index: number, max: number): Range<unknown> | undefined {
  if (index >= max) return undefined;
  const end = rangeEnd(ranges, index);
  return end >= max ? undefined : expectedFind(ranges, end + 1, max);
}

function expectedPrev(ranges: Stored[], index: number, min: number): Range<unknown> | undefined {
  if (index <= min) return undefined;
  const start = rangeStart(ranges, index);
  return asRange([...ranges].reverse().find((s) => isEntry(s) && s.last < start && s.last >= min));
}

describe.each(backends)('bulk and single-walk readers ($name backend)', ({ options }) => {
  function buildOneByOne(ranges: Stored[], extra = {}): MapleTree<unknown> {
    const tree = new MapleTree<unknown>({ ...options(), ...extra });
    for (const s of ranges) tree.storeRange(s.first, s.last, s.entry);
    return tree;
  }

  describe('find, next and prev in one walk', () => {
    it('agree with the stored ranges at every index and many windows', () => {
      const rng = new Rng(SEED);
      for (const count of [0, 1, 7, 60, 700]) {
        const ranges = randomRanges(rng, count);
        const tree = buildOneByOne(ranges);
        const top = (ranges.at(-1)?.last ?? 10) + 3;
        for (let index = 0; index <= top; index++) {
          const bound = rng.chance(0.2) ? MAX_INDEX : index + rng.int(0, 40);
          const low = Math.max(0, index - rng.int(0, 40));
          const where = `count ${count}, index ${index}, seed ${SEED}`;
          expect(tree.find(index, bound), `find ${where} max ${bound}`).toEqual(expectedFind(ranges, index, bound));
          expect(tree.find(index), `find ${where}`).toEqual(expectedFind(ranges, index, MAX_INDEX));
          expect(tree.next(index, bound), `next ${where} max ${bound}`).toEqual(expectedNext(ranges, index, bound));
          expect(tree.prev(index, low), `prev ${where} min ${low}`).toEqual(expectedPrev(ranges, index, low));
          expect(tree.prev(index), `prev ${where}`).toEqual(expectedPrev(ranges, index, 0));
        }
        tree.free();
      }
    });

    it('see writes made between calls (the leaf cache is invalidated)', () => {
      const tree = new MapleTree<string>(options());
      for (let i = 0; i < 400; i++) tree.storeRange(i * 10, i * 10 + 4, `a${i}`);
      expect(tree.find(1006)).toEqual({ first: 1010, last: 1014, entry: 'a101' });
      tree.storeRange(1005, 1009, 'new');
      expect(tree.find(1006)).toEqual({ first: 1005, last: 1009, entry: 'new' });
      tree.storeRange(1000, 1100, null);
      expect(tree.find(1006)).toEqual({ first: 1101, last: 1104, entry: 'a110' });
      expect(tree.prev(1101)).toEqual({ first: 990, last: 994, entry: 'a99' });
      expect(tree.next(995)).toEqual({ first: 1101, last: 1104, entry: 'a110' });
      expect(tree.find(3995, MAX_INDEX)).toEqual(undefined);
    });
  });

  describe('iteration reading pages in place', () => {
    it('forEach and entries() stay right when the loop body iterates, dumps or loads many', () => {
      const rng = new Rng(SEED + 1);
      const ranges = randomRanges(rng, 900).filter(isEntry);
      const tree = buildOneByOne(ranges);
      const expected = ranges.map((s) => [s.first, s.last, s.entry]);
      const seen: unknown[] = [];
      let inner = 0;
      tree.forEach((entry, first, last) => {
        seen.push([first, last, entry]);
        if (seen.length % 97 === 0) tree.forEach(() => { inner++; }, first, MAX_INDEX);
        if (seen.length % 89 === 0) tree.loadMany([0, 1, 2, 3, 4, 5, 6, 7]);
        if (seen.length % 301 === 0) tree.dump();
      });
      expect(seen).toEqual(expected);
      expect(inner).toBeGreaterThan(0);

      const viaEntries: unknown[] = [];
      let n = 0;
      for (const row of tree.entries()) {
        viaEntries.push(row);
        if (++n % 50 === 0) expect([...tree.keys(row[0], row[0] + 100)].length).toBeGreaterThan(0);
      }
      expect(viaEntries).toEqual(expected);
    });

    it('two interleaved entries() iterators each see every range', () => {
      const tree = new MapleTree<number>(options());
      for (let i = 0; i < 1200; i++) tree.store(i * 3, i);
      const a = tree.values();
      const b = tree.values(1500);
      const fromA: number[] = [];
      const fromB: number[] = [];
      for (;;) {
        const x = a.next();
        const y = b.next();
        if (!x.done) fromA.push(x.value);
        if (!y.done) fromB.push(y.value);
        if (x.done && y.done) break;
      }
      expect(fromA).toEqual(Array.from({ length: 1200 }, (_, i) => i));
      expect(fromB).toEqual(Array.from({ length: 700 }, (_, i) => i + 500));
    });
  });

  describe('loadMany', () => {
    it('equals a loop of load for batches of every size class', () => {
      const rng = new Rng(SEED + 2);
      const ranges = randomRanges(rng, 3000);
      const tree = buildOneByOne(ranges);
      const top = ranges.at(-1)!.last + 20;
      for (const size of [0, 1, 3, 4, 5, 16, 17, 100, 768, 769, 5000]) {
        const keys = Array.from({ length: size }, () => (rng.chance(0.01) ? MAX_INDEX : rng.int(0, top)));
        expect(tree.loadMany(keys), `size ${size}, seed ${SEED}`).toEqual(keys.map((k) => tree.load(k)));
        expect(tree.loadMany(Float64Array.from(keys))).toEqual(keys.map((k) => tree.load(k)));
      }
    });

    it('on an empty tree and a single leaf', () => {
      const tree = new MapleTree<string>(options());
      expect(tree.loadMany([0, 5, 9, MAX_INDEX, 3, 3])).toEqual(new Array(6).fill(undefined));
      tree.storeRange(2, 4, 'a');
      tree.store(6, ZERO_ENTRY);
      expect(tree.loadMany([0, 2, 4, 5, 6, 7])).toEqual([undefined, 'a', 'a', undefined, undefined, undefined]);
    });

    it('rejects bad arguments with EINVAL before any lookup', () => {
      const tree = new MapleTree<string>(options());
      tree.store(1, 'a');
      expectMapleError(() => tree.loadMany([1, 2, -1, 4, 5]), 'EINVAL', /indices\[2\]/);
      expectMapleError(() => tree.loadMany([1, 2, 3, 4, 0.5]), 'EINVAL');
      expectMapleError(() => tree.loadMany(null as unknown as number[]), 'EINVAL');
      expectMapleError(() => tree.loadMany(7 as unknown as number[]), 'EINVAL');
      expect(tree.load(1)).toBe('a');
      tree.free();
      expectMapleError(() => tree.loadMany([1]), 'EINVAL');
    });
  });

  describe('MapleTree.from', () => {
    it('builds the same entries as storing one by one, and validates', () => {
      const rng = new Rng(SEED + 3);
      for (const count of [0, 1, 15, 16, 17, 200, 4000]) {
        const ranges = randomRanges(rng, count);
        const expected = buildOneByOne(ranges);
        for (const extra of [{}, { allocRange: true }]) {
          const built = MapleTree.from<unknown>(ranges.map((s) => [s.first, s.last, s.entry] as const), { ...options(), ...extra });
          built.validate();
          expect([...built.entries()], `count ${count}`).toEqual([...expected.entries()]);
          expect(built.loadMany(ranges.map((s) => s.first))).toEqual(ranges.map((s) => expected.load(s.first)));
          expect(built.gapTracking).toBe('allocRange' in extra);
          if (!('allocRange' in extra)) expect(built.nodeCount).toBeLessThanOrEqual(Math.max(expected.nodeCount, 1));
          built.free();
        }
        expected.free();
      }
    });

    it('accepts any iterable, a generator included', () => {
      function* gen(): Generator<[number, number, string]> {
        for (let i = 0; i < 50; i++) yield [i * 4, i * 4 + 1, `g${i}`];
      }
      const tree = MapleTree.from(gen(), options());
      expect(tree.size).toBe(50);
      expect(tree.find(10)).toEqual({ first: 12, last: 13, entry: 'g3' });
    });

    it('rejects unsorted, overlapping or malformed input with EINVAL and builds nothing', () => {
      const probe = new MapleTree<string>(options());
      const live = (): number => probe._core.entries.liveCount;
      const before = live();
      const bad: unknown[] = [
        [[0, 9, 'a'], [5, 12, 'b']], // overlap
        [[10, 19, 'a'], [0, 5, 'b']], // descending
        [[0, 9, 'a'], [9, 9, 'b']], // shares index 9
        [[0, 9, 'a'], [12, 11, 'b']], // first > last
        [[0, 9, 'a'], [12, 13, null]], // null entry
        [[0, 9, 'a'], [12, 13]], // not a triple
        [[0, 9, 'a'], [-1, 3, 'b']],
        [[0, 9, 'a'], 'x'],
        [[0, MAX_INDEX + 1, 'a']],
      ];
      for (const input of bad) {
        expectMapleError(() => MapleTree.from(input as [number, number, string][], options()), 'EINVAL');
        expect(live()).toBe(before);
      }
      expectMapleError(() => MapleTree.from(null as unknown as [number, number, string][], options()), 'EINVAL');
      expectMapleError(() => MapleTree.from(5 as unknown as [number, number, string][], options()), 'EINVAL');
      probe.free();
    });
  });
});
