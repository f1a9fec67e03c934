/**
 * Issue 15, "erasing under a budget": trees filled by writes until the node budget refuses
 * them, in several sizes and shapes, with gap tracking on and off; then every erase and NULL
 * store that adds no range among those listed below (at every leaf edge, spans across
 * leaves, a seeded sample of the rest), each on its own copy of the full tree, must succeed,
 * keep the tree valid and within maxNodes, and leave exactly the model's ranges.
 */
import { describe, expect, it } from 'vitest';
import { MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import type { NodeView } from '../src/backend/backend.js';
import { backends } from './support/backends.js';
import { snapshotOf } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

type Row = [number, number, number];

/** Key space of the random shapes. */
const KEY_SPAN = 200_000;
/** Random stores refused in a row before a tree counts as full. */
const REFUSALS_TO_FULL = 30;
/** Most ops tried per tree beyond the leaf-edge ones (a seeded sample of the rest). */
const SAMPLE = 60;

/** More rows than any node holds: a bound for the bulk-built shape's search. */
const RANGE_ROWS_PER_NODE_MAX = 16;

/** Stores until the budget refuses; ENOMEM is the only error allowed. */
function refused(store: () => void): boolean {
  try {
    store();
    return false;
  } catch (err) {
    expect((err as { code: string }).code).toBe('ENOMEM');
    return true;
  }
}

/** Shapes of a full tree: how it is filled. */
const shapes: { name: string; fill: (options: MapleTreeOptions & { maxNodes: number }, rng: Rng) => MapleTree<number> }[] = [
  {
    name: 'random ranges',
    fill: (options, rng) => {
      const tree = new MapleTree<number>(options);
      for (let misses = 0, v = 0; misses < REFUSALS_TO_FULL; ) {
        const first = rng.int(0, KEY_SPAN);
        misses = refused(() => tree.storeRange(first, first + rng.int(0, 40), v++)) ? misses + 1 : 0;
      }
      return tree;
    },
  },
  {
    // Contiguous ranges appended in order: leaves packed full, no NULL between entries.
    name: 'contiguous appends',
    fill: (options) => {
      const tree = new MapleTree<number>(options);
      for (let i = 0; !refused(() => tree.storeRange(10 * i, 10 * i + 9, i)); i++);
      return tree;
    },
  },
  {
    // Bulk-built packed leaves (a small share of what the budget holds), then appends
    // until refused: erases at the packed leaves' edges must add a leaf.
    name: 'packed leaves, then appends',
    fill: (options) => {
      const bulk = 3 * options.maxNodes;
      const tree = MapleTree.from<number>(Array.from({ length: bulk }, (_, i): Row => [10 * i, 10 * i + 9, i]), options);
      for (let i = bulk; !refused(() => tree.storeRange(10 * i, 10 * i + 9, i)); i++);
      return tree;
    },
  },
  {
    // Contiguous ranges bulk-built to the most rows the budget takes: no spare node at all,
    // so an erase that the no-NULL-at-a-leaf-end rule makes add a leaf has none to add.
    name: 'bulk-built to its budget',
    fill: (options) => {
      const build = (n: number) => MapleTree.from<number>(Array.from({ length: n }, (_, i): Row => [10 * i, 10 * i + 9, i]), options);
      let fits = 1;
      let over = RANGE_ROWS_PER_NODE_MAX * options.maxNodes + 1;
      while (over - fits > 1) {
        const mid = (fits + over) >> 1;
        if (refused(() => build(mid).free())) over = mid;
        else fits = mid;
      }
      const tree = build(fits);
      expect(refused(() => build(fits + 1))).toBe(true);
      return tree;
    },
  },
  {
    // Singletons with a NULL key between: every other row NULL.
    name: 'spaced singletons',
    fill: (options) => {
      const tree = new MapleTree<number>(options);
      for (let i = 0; !refused(() => tree.store(2 * i, i)); i++);
      return tree;
    },
  },
];

/** Leaves in key order. */
function leavesOf(view: NodeView | null, out: NodeView[] = []): NodeView[] {
  if (view === null) return out;
  if (view.type === 'leaf') out.push(view);
  for (const child of view.children ?? []) leavesOf(child, out);
  return out;
}

/** Rows of the leaf level: the entries plus the NULL ranges between and around them. */
function rowCount(ranges: Row[]): number {
  let rows = ranges.length;
  let next = 0;
  for (const [first, last] of ranges) {
    if (first > next) rows++;
    next = last + 1;
  }
  return rows + 1; // the NULL range after the last entry (keys never reach MAX_INDEX here)
}

/** The ranges after a NULL store over [first, last]. */
function withNull(ranges: Row[], first: number, last: number): Row[] {
  const out: Row[] = [];
  for (const [f, l, v] of ranges) {
    if (l < first || f > last) out.push([f, l, v]);
    else {
      if (f < first) out.push([f, first - 1, v]);
      if (l > last) out.push([last + 1, l, v]);
    }
  }
  return out;
}

/**
 * NULL stores [first, last] worth trying on a full tree: at every leaf edge (from the left
 * leaf's last range or the one before it, whole or keeping its start, to the right leaf's
 * first range or the one after it, whole or keeping its end), across two edges, and a seeded
 * sample of spans and single ranges elsewhere.
 */
function candidates(tree: MapleTree<number>, ranges: Row[], rng: Rng): [number, number][] {
  const out: [number, number][] = [];
  const leaves = leavesOf(tree.nodes());
  const starts = (r: Row) => (r[1] > r[0] ? [r[0], r[0] + 1] : [r[0]]);
  const ends = (r: Row) => (r[1] > r[0] ? [r[1], r[1] - 1] : [r[1]]);
  const entryAt = (key: number) => ranges.findIndex(([f, l]) => f <= key && key <= l);
  for (let i = 0; i + 1 < leaves.length; i++) {
    const edge = leaves[i].max;
    // The entries nearest the edge on each side (a NULL edge row falls back to its neighbour).
    let a = entryAt(edge);
    if (a < 0) a = ranges.findIndex(([, l]) => l > edge) - 1;
    const b = a + 1;
    if (a < 0 || b >= ranges.length) continue;
    for (const left of [a, a - 1].filter((k) => k >= 0)) {
      for (const right of [b, b + 1].filter((k) => k < ranges.length)) {
        for (const first of starts(ranges[left])) for (const last of ends(ranges[right])) out.push([first, last]);
      }
      out.push([ranges[left][0], ranges[left][1]]);
    }
    const far = ranges.findIndex(([f]) => f > (leaves[i + 2]?.min ?? Infinity));
    if (far > 0) out.push([ranges[a][0], ranges[far][1]]);
  }
  for (let n = 0; n < SAMPLE; n++) {
    const left = rng.int(0, ranges.length - 1);
    const right = Math.min(ranges.length - 1, left + (rng.chance(0.5) ? 0 : rng.int(1, 40)));
    out.push([rng.pick(starts(ranges[left])), rng.pick(ends(ranges[right]))]);
  }
  return out;
}

/** Ranges to erase: the first and last of every leaf, and a seeded sample of the rest. */
function erasures(tree: MapleTree<number>, ranges: Row[], rng: Rng): Row[] {
  const edges = new Set<number>();
  for (const leaf of leavesOf(tree.nodes())) edges.add(leaf.min).add(leaf.max);
  const atEdge = ranges.filter(([first, last]) => [...edges].some((key) => first <= key && key <= last));
  const sample = Array.from({ length: SAMPLE }, () => rng.pick(ranges));
  return atEdge.concat(sample);
}

describe.each(backends.filter((b) => b.name !== 'naive'))('erasing a tree full to its budget ($name backend)', ({ options }) => {
  const cases = shapes.flatMap((shape) =>
    [20, 64].flatMap((maxNodes) => [false, true].map((allocRange) => ({ shape, maxNodes, allocRange }))),
  );

  it.each(cases)('$shape.name, maxNodes $maxNodes, allocRange $allocRange: every erase and shrinking NULL store succeeds', ({ shape, maxNodes, allocRange }) => {
    const seed = seedFromEnv(15_4 + maxNodes + (allocRange ? 1 : 0));
    const rng = new Rng(seed);
    const full = shape.fill({ ...options(), maxNodes, allocRange }, rng);
    const ranges = snapshotOf(full);
    const rows = rowCount(ranges);
    let tried = 0;
    const attempt = (what: string, write: (tree: MapleTree<number>) => void, expected: Row[]) => {
      const tree = full.dup();
      try {
        write(tree);
        tree.validate();
        expect(tree.nodeCount + tree.reservedNodes).toBeLessThanOrEqual(maxNodes);
        expect(snapshotOf(tree)).toEqual(expected);
      } catch (err) {
        throw new Error(`seed ${seed}: ${what} on the full tree failed: ${(err as Error).message}\n${full.dump()}`);
      } finally {
        tree.free();
      }
      tried++;
    };
    for (const [first, last] of erasures(full, ranges, rng)) attempt(`erase(${first})`, (t) => t.erase(first), withNull(ranges, first, last));
    for (const [first, last] of candidates(full, ranges, rng)) {
      const expected = withNull(ranges, first, last);
      if (rowCount(expected) > rows) continue; // it adds a range: a growing write
      attempt(`storeRange(${first}, ${last}, null)`, (t) => t.storeRange(first, last, null), expected);
    }
    expect(tried).toBeGreaterThan(leavesOf(full.nodes()).length);
    full.validate();
    full.free();
  }, 180_000);
});
