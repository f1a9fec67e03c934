import { describe, expect, it } from 'vitest';
import { MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { snapshotOf } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

/** The node budget of the trees below: several levels on every backend. */
const BUDGET = 400;
/** Keys the random ranges are drawn from. */
const KEY_SPAN = 1_000_000;
/** Random stores refused in a row before a tree counts as filled to its budget. */
const REFUSALS_TO_FULL = 40;

describe.each(backends)('erasing under a node budget ($name backend)', ({ options }) => {
  const make = <V = unknown>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  /** Stores random ranges until the budget refuses REFUSALS_TO_FULL of them in a row. */
  const fillToBudget = (tree: MapleTree<number>, rng: Rng) => {
    let refused = 0;
    let value = 0;
    while (refused < REFUSALS_TO_FULL) {
      const first = rng.int(0, KEY_SPAN);
      const last = first + rng.int(0, 50);
      try {
        tree.storeRange(first, last, value++);
        refused = 0;
      } catch (err) {
        expect((err as { code: string }).code).toBe('ENOMEM');
        refused++;
      }
    }
  };

  /**
   * A NULL store that adds no range: it starts at an entry's first key or inside a NULL
   * range, and ends at an entry's last key or inside a NULL range.
   */
  const shrinkingNullStore = (tree: MapleTree<number>, rng: Rng): [number, number] => {
    const ranges = snapshotOf(tree);
    const a = rng.int(0, ranges.length - 1);
    const b = Math.min(ranges.length - 1, a + rng.int(0, 3));
    const first = rng.chance(0.5) || a === 0 ? ranges[a][0] : ranges[a - 1][1] + 1;
    const last = rng.chance(0.5) || b === ranges.length - 1 ? ranges[b][1] : ranges[b + 1][0] - 1;
    return [first, Math.max(first, last)];
  };

  /** Empties a full tree by erases and NULL stores in random order; none may fail. */
  const emptyUnderBudget = (tree: MapleTree<number>, rng: Rng) => {
    while (snapshotOf(tree).length > 0) {
      const ranges = snapshotOf(tree);
      if (rng.chance(0.7)) {
        const [first, last] = ranges[rng.int(0, ranges.length - 1)];
        tree.erase(rng.int(first, last));
      } else {
        const [first, last] = shrinkingNullStore(tree, rng);
        tree.storeRange(first, last, null);
      }
      tree.validate();
      expect(tree.nodeCount + tree.reservedNodes).toBeLessThanOrEqual(BUDGET);
    }
  };

  it('a tree filled to its budget empties by random erases and NULL stores without ENOMEM', () => {
    const rng = new Rng(seedFromEnv(15_2));
    const tree = make<number>({ maxNodes: BUDGET });
    fillToBudget(tree, rng);
    expect(tree.nodeCount).toBeGreaterThan(BUDGET * 0.9);
    emptyUnderBudget(tree, rng);
    expect(snapshotOf(tree)).toEqual([]);
    tree.store(7, 7);
    expect(tree.load(7)).toBe(7);
  });

  it('with reservations held, the tree still empties without ENOMEM and the reservations survive', () => {
    const rng = new Rng(seedFromEnv(15_3));
    const tree = make<number>({ maxNodes: BUDGET });
    for (let i = 0; i < 200; i++) tree.store(3 * i, i);
    const held = [tree.reserve(), tree.reserve(2)];
    const reserved = tree.reservedNodes;
    fillToBudget(tree, rng);
    emptyUnderBudget(tree, rng);
    expect(tree.reservedNodes).toBe(reserved);
    held[1].run(() => tree.storeRange(10, 20, 1));
    expect(tree.load(15)).toBe(1);
    for (const r of held) r.release();
    expect(tree.reservedNodes).toBe(0);
  });
});
