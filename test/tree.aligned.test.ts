/**
 * Aligned gap search (`align`, `nospan`) on every backend: seeded allocations and searches
 * against a linear scan over candidate starts, the scan itself checked against brute force on
 * a small key space, bad options, window and MAX_INDEX edges, and the allocCyclic wrap flag.
 */

import { describe, expect, it } from 'vitest';
import { MAX_INDEX, MapleTree, type AllocOptions, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectMapleError, expectUnchangedAfterError, snapshotOf } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

/**
 * Searches and allocations of the seeded run, per backend: on a gap-tracking tree, and fewer on
 * a plain tree, whose search visits every leaf in the window (as the kernel's does).
 */
const SEEDED_OPS = 50_000;
const PLAIN_OPS = 10_000;
/** The seeded run's time limit on a busy machine. */
const SEEDED_TIMEOUT_MS = 180_000;
/** Searches of the brute-force check, per backend. */
const BRUTE_OPS = 5_000;
/** The brute-force key space: ranges in [0, BRUTE_KEYS - 1], windows clipped to BRUTE_LIMIT. */
const BRUTE_KEYS = 512;
const BRUTE_LIMIT = BRUTE_KEYS + 8192;
/** The seeded run's ranges lie below this; searches reach beyond it. */
const SEEDED_SPACE = 1 << 16;
/** Chance that a window reaches MAX_INDEX; the others end within a few blocks past SEEDED_SPACE. */
const TOP_WINDOW = 0.05;
/** Chance that an allocation is followed by erasing a random range (keeps the range count level). */
const ERASE_AFTER_ALLOC = 0.9;
const MAX_SIZE = 128;
const ALIGNS = [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 4096];
/** `nospan` as a multiple of the size rounded up to a power of two (0: none). */
const NOSPAN_FACTORS = [0, 0, 1, 1, 2, 4, 64];
const TOP_BLOCK = 2 ** 52;

interface Span {
  first: number;
  last: number;
}

interface Search {
  min: number;
  max: number;
  size: number;
  rev: boolean;
  align: number;
  nospan: number;
}

const crosses = (s: number, size: number, nospan: number): boolean =>
  nospan > 0 && Math.floor(s / nospan) !== Math.floor((s + size - 1) / nospan);

/**
 * The occupied ranges in order and the linear scan over candidate starts: from the window's
 * end, step by `align` past every occupied range and every start whose range crosses a nospan
 * boundary, stop at the first start that passes.
 */
class ScanModel {
  spans: Span[] = [];

  /** Index of the first span with `below(span)` false (spans are ordered by first and last). */
  private bound(below: (span: Span) => boolean): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (below(this.spans[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first occupied span meeting [first, last], if any. */
  blocker(first: number, last: number): Span | undefined {
    const span = this.spans[this.bound((x) => x.last < first)];
    return span && span.first <= last ? span : undefined;
  }

  /** The last occupied span meeting [first, last], if any. */
  lastBlocker(first: number, last: number): Span | undefined {
    const span = this.spans[this.bound((x) => x.first <= last) - 1];
    return span && span.last >= first ? span : undefined;
  }

  insert(first: number, last: number): void {
    this.spans.splice(this.bound((x) => x.last < first), 0, { first, last });
  }

  removeAt(i: number): Span {
    return this.spans.splice(i, 1)[0];
  }

  fit({ min, max, size, rev, align, nospan }: Search): number {
    return rev ? this.scanDown(min, max, size, align, nospan) : this.scanUp(min, max, size, align, nospan);
  }

  private scanUp(min: number, max: number, size: number, align: number, nospan: number): number {
    for (let s = Math.ceil(min / align) * align; s <= max - size + 1; ) {
      const block = this.blocker(s, s + size - 1);
      if (block) s = Math.ceil((block.last + 1) / align) * align;
      else if (crosses(s, size, nospan)) s += align;
      else return s;
    }
    return -1;
  }

  private scanDown(min: number, max: number, size: number, align: number, nospan: number): number {
    for (let s = Math.floor((max - size + 1) / align) * align; s >= min; ) {
      const block = this.lastBlocker(s, s + size - 1);
      if (block) s = Math.floor((block.first - size) / align) * align;
      else if (crosses(s, size, nospan)) s -= align;
      else return s;
    }
    return -1;
  }
}

/** The smallest power of two >= n. */
const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(n));

function randomSearch(rng: Rng, space: number, maxSize: number): Search {
  const size = rng.int(1, maxSize);
  const factor = rng.pick(NOSPAN_FACTORS);
  const align = rng.pick(ALIGNS);
  const min = rng.chance(0.3) ? 0 : rng.int(0, space - 1);
  const max = rng.chance(TOP_WINDOW) ? MAX_INDEX : min + size - 1 + rng.int(0, rng.chance(0.5) ? 2048 : space);
  return { min, max, size, rev: rng.chance(0.5), align, nospan: factor * pow2AtLeast(size) };
}

const optsOf = ({ align, nospan }: Search): AllocOptions => (nospan > 0 ? { align, nospan } : { align });

/** Many small gaps: runs of 1..64 taken indices separated by 0..96 free ones. */
function fillSmallGaps<V>(rng: Rng, tree: MapleTree<V>, model: ScanModel, entry: V, space: number): void {
  for (let at = rng.int(0, 96); at < space; ) {
    const last = at + rng.int(0, 63);
    tree.storeRange(at, last, entry);
    model.insert(at, last);
    at = last + 1 + rng.int(0, 96);
  }
}

/** The MaState search's start, or -1 after EBUSY. */
function stateSearch<V>(tree: MapleTree<V>, q: Search): number {
  const mas = tree.state(0);
  try {
    if (q.rev) mas.emptyAreaRev(q.min, q.max, q.size, optsOf(q));
    else mas.emptyArea(q.min, q.max, q.size, optsOf(q));
  } catch (err) {
    if ((err as { code?: string }).code !== 'EBUSY') throw err;
    return -1;
  }
  if (mas.last !== mas.index + q.size - 1) expect(mas.last).toBe(mas.index + q.size - 1);
  return mas.index;
}

describe.each(backends)('aligned gap search ($name backend)', ({ options }) => {
  const make = <V = string>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  describe.each([
    { kind: 'gap-tracking', allocRange: true, ops: SEEDED_OPS },
    { kind: 'plain', allocRange: false, ops: PLAIN_OPS },
  ])('seeded against a linear scan ($kind tree)', ({ allocRange, ops }) => {
    it(`${ops} aligned / nospan allocations and searches agree with the scan`, () => {
      const rng = new Rng(seedFromEnv(allocRange ? 0xa11e : 0x9a9));
      const tree = make({ allocRange });
      const model = new ScanModel();
      fillSmallGaps(rng, tree, model, 'fill', SEEDED_SPACE);
      let allocated = 0;
      let beyondFirstGap = 0;
      for (let op = 0; op < ops; op++) {
        const q = randomSearch(rng, SEEDED_SPACE, MAX_SIZE);
        const expected = model.fit(q);
        const agree = (got: number) => {
          if (got !== expected) expect(got, `seed ${rng.seed} op ${op}: ${JSON.stringify(q)}`).toBe(expected);
        };
        if (expected >= 0 && expected !== model.fit({ ...q, align: 1, nospan: 0 })) beyondFirstGap++;
        const allocate = rng.chance(0.4);
        if (allocate && allocRange) {
          const alloc = () => (q.rev ? tree.allocRRange : tree.allocRange).call(tree, q.size, 'a', q.min, q.max, optsOf(q));
          if (expected < 0) {
            expectMapleError(alloc, 'EBUSY');
            continue;
          }
          agree(alloc());
        } else {
          agree(stateSearch(tree, q));
          if (!allocate || expected < 0) continue;
          tree.insertRange(expected, expected + q.size - 1, 'a');
        }
        model.insert(expected, expected + q.size - 1);
        allocated++;
        if (rng.chance(ERASE_AFTER_ALLOC) && model.spans.length > 0) {
          const gone = model.removeAt(rng.int(0, model.spans.length - 1));
          tree.erase(gone.first);
        }
      }
      tree.validate();
      expect(snapshotOf(tree).map(([first, last]) => ({ first, last }))).toEqual(model.spans);
      // The run must exercise what an unaligned search would get wrong.
      expect(allocated).toBeGreaterThan(ops / 10);
      expect(beyondFirstGap).toBeGreaterThan(ops / 4);
    }, SEEDED_TIMEOUT_MS);
  });

  it(`the scan and the tree agree with brute force on ${BRUTE_KEYS} keys`, () => {
    const rng = new Rng(seedFromEnv(0xb7));
    for (let round = 0; round < BRUTE_OPS / 100; round++) {
      const tree = make({ allocRange: true });
      const model = new ScanModel();
      const taken = new Uint8Array(BRUTE_KEYS);
      for (let at = rng.int(0, 8); at < BRUTE_KEYS; ) {
        const last = Math.min(BRUTE_KEYS - 1, at + rng.int(0, 7));
        tree.storeRange(at, last, 'x');
        model.insert(at, last);
        taken.fill(1, at, last + 1);
        at = last + 1 + rng.int(0, 24);
      }
      const prefix = new Int32Array(BRUTE_KEYS + 1);
      for (let i = 0; i < BRUTE_KEYS; i++) prefix[i + 1] = prefix[i] + taken[i];
      const at = (i: number) => prefix[Math.min(i, BRUTE_KEYS)];
      const free = (s: number, size: number) => at(s + size) === at(s);
      for (let i = 0; i < 100; i++) {
        const drawn = randomSearch(rng, BRUTE_KEYS, 24);
        const q = { ...drawn, max: Math.min(drawn.max, BRUTE_LIMIT) };
        let brute = -1;
        for (let s = q.min; s <= q.max - q.size + 1; s++) {
          if (s % q.align !== 0 || !free(s, q.size) || crosses(s, q.size, q.nospan)) continue;
          brute = s;
          if (!q.rev) break;
        }
        const what = `seed ${rng.seed} round ${round}: ${JSON.stringify(q)}`;
        expect(model.fit(q), what).toBe(brute);
        expect(stateSearch(tree, q), what).toBe(brute);
      }
    }
  });

  describe('bad options', () => {
    const badOpts: unknown[] = [
      null, 5, 'x', { align: 0 }, { align: 3 }, { align: 1.5 }, { align: -2 }, { align: '4' }, { align: NaN },
      { align: 2 ** 53 }, { align: 4n }, { nospan: 0 }, { nospan: 24 }, { nospan: 8 }, { nospan: 2 ** 53 },
      { align: 16, nospan: 12 },
    ];

    it('EINVAL from every call, the tree and the state unchanged', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(100, 199, 'x');
      for (const opts of badOpts) {
        const o = opts as AllocOptions;
        expectUnchangedAfterError(tree, () => tree.allocRange(16, 'a', 0, MAX_INDEX, o), 'EINVAL');
        expectUnchangedAfterError(tree, () => tree.allocRRange(16, 'a', 0, MAX_INDEX, o), 'EINVAL');
        const mas = tree.state(5, 7);
        expectMapleError(() => mas.emptyArea(0, 1000, 16, o), 'EINVAL');
        expectMapleError(() => mas.emptyAreaRev(0, 1000, 16, o), 'EINVAL');
        expect([mas.index, mas.last, mas.status]).toEqual([5, 7, 'start']);
      }
    });

    it('nospan equal to the size and undefined fields are accepted', () => {
      const tree = make({ allocRange: true });
      expect(tree.allocRange(16, 'a', 1, MAX_INDEX, { nospan: 16 })).toBe(16);
      expect(tree.allocRange(16, 'b', 1, MAX_INDEX, { align: undefined, nospan: undefined })).toBe(32);
      expect(tree.allocRange(4, 'c', 0, MAX_INDEX, {})).toBe(0);
    });
  });

  describe('no fit', () => {
    it('EBUSY when only unaligned or spanning fits exist, the tree unchanged', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(0, 9, 'x');
      tree.storeRange(30, MAX_INDEX, 'y');
      // Free: [10, 29] (20 indices).
      expect(tree.state(0).emptyArea(0, MAX_INDEX, 20)).toBeUndefined();
      expectUnchangedAfterError(tree, () => tree.allocRange(16, 'a', 0, MAX_INDEX, { align: 16 }), 'EBUSY');
      expectUnchangedAfterError(tree, () => tree.allocRRange(15, 'a', 0, MAX_INDEX, { nospan: 16 }), 'EBUSY');
      expectUnchangedAfterError(tree, () => tree.allocRange(8, 'a', 0, MAX_INDEX, { align: 32 }), 'EBUSY');
      const mas = tree.state(0);
      expectMapleError(() => mas.emptyArea(0, MAX_INDEX, 15, { nospan: 16 }), 'EBUSY', /aligned|within/);
      expect([mas.index, mas.last, mas.status]).toEqual([0, MAX_INDEX, 'error']);
      // What does fit.
      expect(tree.allocRange(6, 'a', 0, MAX_INDEX, { nospan: 16 })).toBe(10);
      expect(tree.allocRRange(8, 'b', 0, MAX_INDEX, { align: 8, nospan: 8 })).toBe(16);
    });

    it('align larger than the window: only a window starting on a multiple fits', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(5000, 5000, 'x');
      expectMapleError(() => tree.state(0).emptyArea(1, 1000, 1, { align: 1024 }), 'EBUSY');
      expectMapleError(() => tree.state(0).emptyAreaRev(1, 1000, 1, { align: 1024 }), 'EBUSY');
      expectUnchangedAfterError(tree, () => tree.allocRange(1, 'a', 1, 1000, { align: 1024 }), 'EBUSY');
      expect(tree.allocRange(1, 'a', 0, 1000, { align: 1024 })).toBe(0);
      expect(tree.allocRRange(1, 'b', 1, 2047, { align: 1024 })).toBe(1024);
    });

    it('an empty tree honours the options too', () => {
      const tree = make({ allocRange: true });
      const mas = tree.state(0);
      mas.emptyArea(3, 100, 4, { align: 8 });
      expect([mas.index, mas.last, mas.status]).toEqual([8, 11, 'none']);
      mas.reset();
      mas.emptyAreaRev(3, 100, 8, { align: 4, nospan: 8 });
      expect([mas.index, mas.last]).toEqual([88, 95]);
      mas.reset();
      expectMapleError(() => mas.emptyArea(3, 7, 4, { align: 8 }), 'EBUSY');
      expect(mas.status).toBe('error');
    });
  });

  describe('window and MAX_INDEX edges', () => {
    it('fits flush with min and max', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(0, 63, 'x');
      tree.storeRange(128, 191, 'y');
      expect(tree.allocRange(64, 'a', 64, 127, { align: 64, nospan: 64 })).toBe(64);
      tree.erase(64);
      expect(tree.allocRRange(64, 'a', 64, 127, { align: 64, nospan: 64 })).toBe(64);
      expect(tree.allocRRange(8, 'b', 0, 199, { align: 8 })).toBe(192);
      expectUnchangedAfterError(tree, () => tree.allocRRange(8, 'c', 0, 198, { align: 8 }), 'EBUSY');
    });

    it('the top of the key space', () => {
      const tree = make({ allocRange: true });
      expect(tree.allocRRange(16, 'a', 0, MAX_INDEX, { align: 16 })).toBe(MAX_INDEX - 15);
      expect(tree.allocRRange(1, 'b', 0, MAX_INDEX, { align: TOP_BLOCK })).toBe(TOP_BLOCK);
      expect(tree.allocRRange(1, 'c', 0, MAX_INDEX, { align: TOP_BLOCK })).toBe(0);
      expectUnchangedAfterError(tree, () => tree.allocRange(1, 'd', 0, MAX_INDEX, { align: TOP_BLOCK }), 'EBUSY');
      expectMapleError(() => tree.state(0).emptyArea(MAX_INDEX - 16, MAX_INDEX - 16, 1, { align: 2 }), 'EBUSY');
      const mas = tree.state(0);
      mas.emptyArea(TOP_BLOCK + 1, MAX_INDEX, 16, { align: 16 });
      expect(mas.index).toBe(TOP_BLOCK + 16);
    });

    it('nospan at 2^52: a fit across the top block boundary moves to either side', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(0, TOP_BLOCK - 3, 'low');
      tree.storeRange(TOP_BLOCK + 2, MAX_INDEX, 'high');
      // Free: [2^52 − 2, 2^52 + 1], which holds a 4-index fit only across 2^52.
      expect(tree.state(0).emptyArea(0, MAX_INDEX, 4)).toBeUndefined();
      expectUnchangedAfterError(tree, () => tree.allocRange(4, 'a', 0, MAX_INDEX, { nospan: TOP_BLOCK }), 'EBUSY');
      expect(tree.allocRange(2, 'a', 0, MAX_INDEX, { nospan: TOP_BLOCK })).toBe(TOP_BLOCK - 2);
      expect(tree.allocRRange(2, 'b', 0, MAX_INDEX, { nospan: TOP_BLOCK })).toBe(TOP_BLOCK);
      tree.validate();
    });
  });

  it('align above nospan: aligned starts never span', () => {
    const tree = make({ allocRange: true });
    tree.storeRange(0, 5, 'x');
    expect(tree.allocRange(4, 'a', 0, MAX_INDEX, { align: 64, nospan: 4 })).toBe(64);
    expect(tree.allocRRange(4, 'b', 0, 200, { align: 64, nospan: 4 })).toBe(192);
  });

  it('allocCyclic keeps the wrap flag when its second search succeeds (mas_alloc_cyclic)', () => {
    const tree = make({ allocRange: true });
    tree.storeRange(5, 10, 'taken');
    expect(tree.allocCyclic('top', 2, MAX_INDEX, MAX_INDEX)).toEqual({ start: MAX_INDEX, next: 0, wrapped: false });
    // [5, 10] is full: the first search fails, the second wraps to 2 and leaves the flag set …
    expect(tree.allocCyclic('a', 2, 10, 5)).toEqual({ start: 2, next: 3, wrapped: true });
    // … so the next first-search success reports the wrap and consumes it.
    expect(tree.allocCyclic('b', 2, 100, 3)).toEqual({ start: 3, next: 4, wrapped: true });
    expect(tree.allocCyclic('c', 2, 100, 4)).toEqual({ start: 4, next: 5, wrapped: false });
  });
});
