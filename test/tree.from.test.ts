/**
 * MapleTree.from's bottom-up build, on every backend: the built tree equals one built store
 * by store, validates, has no more nodes, and stays sound under random stores and erases
 * afterwards; gap-tracking trees give the same gap search answers; node budgets fail cleanly.
 */

import { describe, expect, it } from 'vitest';
import { MAX_INDEX, MapleTree } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectMapleError } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

const SEED = seedFromEnv(0x66726f6d);

type Row = [number, number, string];

/** Disjoint ascending ranges; gap 0 (touching) about half the time so NULL slots vary. */
function rows(rng: Rng, count: number, start = 0): Row[] {
  const out: Row[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const last = at + rng.int(0, 3);
    out.push([at, last, `v${i}`]);
    at = last + 1 + (rng.chance(0.5) ? 0 : rng.int(1, 20));
  }
  return out;
}

function nodes(tree: MapleTree<unknown>): number {
  return tree._core.nodeCount(tree._id);
}

function oneByOne(input: Row[], options: object): MapleTree<string> {
  const tree = new MapleTree<string>(options);
  for (const [f, l, e] of input) tree.storeRange(f, l, e);
  return tree;
}

/** Sizes around leaf and level boundaries of both node geometries. */
const SIZES = [1, 2, 3, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 90, 120, 129, 255, 256, 257, 600, 1500];

describe.each(backends)('MapleTree.from ($name backend)', ({ options }) => {
  it('builds the same entries as one-by-one stores, validates, with no more nodes', () => {
    const rng = new Rng(SEED);
    for (const alloc of [false, true]) {
      for (const size of SIZES) {
        for (const start of [0, 1, 7]) {
          const input = rows(rng, size, start);
          const opts = { ...options, allocRange: alloc };
          const built = MapleTree.from(input, opts);
          const stored = oneByOne(input, opts);
          built.validate();
          expect([...built.entries()]).toEqual([...stored.entries()]);
          expect(nodes(built)).toBeLessThanOrEqual(nodes(stored));
          built.free();
          stored.free();
        }
      }
    }
  });

  it('takes ranges at 0 and at MAX_INDEX, an empty input and a single range', () => {
    const empty = MapleTree.from([], { ...options });
    empty.validate();
    expect([...empty.entries()]).toEqual([]);
    empty.free();
    for (const input of [[[0, 0, 'a']], [[MAX_INDEX, MAX_INDEX, 'z']], [[0, MAX_INDEX, 'all']], [[5, 9, 'x']],
      [[0, 3, 'a'], [MAX_INDEX - 3, MAX_INDEX, 'z']]] as Row[][]) {
      const tree = MapleTree.from(input, { ...options });
      tree.validate();
      expect([...tree.entries()]).toEqual(input);
      expect(tree.load(input[0][0])).toBe(input[0][2]);
      tree.free();
    }
    const rng = new Rng(SEED + 1);
    const input = rows(rng, 300, MAX_INDEX - 10_000);
    input[input.length - 1][1] = MAX_INDEX;
    const tree = MapleTree.from(input, { ...options });
    tree.validate();
    expect(tree.load(MAX_INDEX)).toBe(input[input.length - 1][2]);
    tree.free();
  });

  it('stays sound under random stores and erases after the build', () => {
    const rng = new Rng(SEED + 2);
    for (const alloc of [false, true]) {
      for (const size of [17, 120, 700]) {
        const input = rows(rng, size);
        const opts = { ...options, allocRange: alloc };
        const built = MapleTree.from(input, opts);
        const model = oneByOne(input, opts);
        const top = input[input.length - 1][1] + 50;
        for (let step = 0; step < 300; step++) {
          const first = rng.int(0, top);
          const last = first + rng.int(0, 30);
          if (rng.chance(0.4)) {
            built.erase(first);
            model.erase(first);
          } else {
            built.storeRange(first, last, `s${step}`);
            model.storeRange(first, last, `s${step}`);
          }
          if (step % 25 === 0) built.validate();
        }
        built.validate();
        expect([...built.entries()]).toEqual([...model.entries()]);
        built.free();
        model.free();
      }
    }
  });

  it('gives the same gap search answers as a tree stored one by one', () => {
    const rng = new Rng(SEED + 3);
    const input = rows(rng, 900);
    const opts = { ...options, allocRange: true };
    const built = MapleTree.from(input, opts);
    const stored = oneByOne(input, opts);
    for (let i = 0; i < 200; i++) {
      const size = rng.int(1, 25);
      const min = rng.int(0, 4000);
      const a = built.allocRange(size, `a${i}`, min);
      const b = stored.allocRange(size, `a${i}`, min);
      expect(a).toBe(b);
    }
    built.validate();
    built.free();
    stored.free();
  });

  it('fails with ENOMEM inside maxNodes and builds nothing', () => {
    const rng = new Rng(SEED + 4);
    const input = rows(rng, 500);
    // Under a cap every leaf keeps a spare slot (bulk.ts levelFillEnd), so the capped build's
    // node count is what the budget must hold; any cap lays the tree out the same way.
    const probe = MapleTree.from(input, { ...options, maxNodes: 1 << 30 });
    const need = nodes(probe);
    const entries = probe._core.entries;
    probe.free();
    const live = entries.liveCount;
    for (const maxNodes of [1, 2, need - 1, need >> 1]) {
      expectMapleError(() => MapleTree.from(input, { ...options, maxNodes }), 'ENOMEM');
      // Every entry placed before the failure was released, none once too often.
      expect(entries.liveCount).toBe(live);
      expect((entries as unknown as { refs: Int32Array }).refs.every((r) => r >= 0)).toBe(true);
    }
    const exact = MapleTree.from(input, { ...options, maxNodes: need });
    exact.validate();
    expect(nodes(exact)).toBe(need);
    exact.free();
  });
});
