// RCU mode in one agent, at the core level: writes keep the tree identical to a non-RCU
// tree's contents, every replaced node is retired and reclaimed, and — in the manner of the
// kernel's check_rcu_simulated — a reader run between any two visible steps of a write, of
// every store type, sees each index's old or new range, never anything else. A reader hook
// replaces the node a reader is reading to force its dead-node rewalk.
import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../../src/backend/adapter.js';
import type { NodeView } from '../../src/backend/backend.js';
import { MODE_OVERWRITE, TREE_RCU, WR_EXACT_FIT, WR_NEW_ROOT, WR_NODE_STORE, WR_REBALANCE, WR_SPANNING_STORE, WR_SPLIT_STORE, WR_STORE_ROOT } from '../../src/backend/layout.js';
import { MAX_INDEX } from '../../src/tree/args.js';
import { coreBackends } from '../support/cores.js';
import { Rng } from '../support/rng.js';

/** The raw core's hook kinds (assembly/core/rcu.ts). */
const HOOK_WRITER = 1;
const HOOK_READER = 2;
/** No reclamation is held back: no reader is inside a read section. */
const NO_READER = -1;

type Triple = [handle: number, first: number, last: number];

function rcuTree(core: CoreAdapter): number {
  const tree = core.treeCreate(TREE_RCU, 0);
  expect(tree).toBeGreaterThan(0);
  return tree;
}

function walkAt(core: CoreAdapter, tree: number, index: number): Triple {
  const handle = core.walk(tree, index);
  return [handle, core.res[0], core.res[1]];
}

/** Stores a fresh entry over [first, last] (NULL when `erase`); returns its handle. */
function storeFresh(core: CoreAdapter, tree: number, first: number, last: number, erase: boolean): { handle: number; type: number } {
  const handle = erase ? 0 : core.entries.alloc({ first, last });
  const type = core.store(tree, first, last, handle, MODE_OVERWRITE);
  expect(type).toBeGreaterThanOrEqual(0);
  return { handle, type };
}

/** Ranges of every boundary and midpoint: each range the tree holds is probed at both ends. */
function probes(core: CoreAdapter, tree: number, extra: number[]): number[] {
  const set = new Set<number>(extra);
  for (let at = 0, n = 0; n < 400; n++) {
    const [, first, last] = walkAt(core, tree, at);
    set.add(first).add(last).add(Math.floor((first + last) / 2));
    if (last >= MAX_INDEX) break;
    at = last + 1;
  }
  return [...set];
}

describe.each(coreBackends())('RCU writes on the $name core', ({ make }) => {
  const core = make() as CoreAdapter;

  it('matches a non-RCU tree through random writes, and reclaims what it retired', () => {
    const rng = new Rng(1010);
    const rcu = rcuTree(core);
    const plain = core.treeCreate(0, 0);
    for (let step = 0; step < 1500; step++) {
      const first = rng.int(0, 5000);
      const last = first + (rng.chance(0.1) ? rng.int(0, 2000) : rng.int(0, 20));
      const erase = rng.chance(0.3);
      const handle = erase ? 0 : core.entries.alloc(step);
      expect(core.store(rcu, first, last, handle, MODE_OVERWRITE)).toBeGreaterThanOrEqual(0);
      core.entries.retain(handle); // the plain tree holds the same handle
      expect(core.store(plain, first, last, handle, MODE_OVERWRITE)).toBeGreaterThanOrEqual(0);
      core.entries.release(handle);
      if (step % 100 === 0) {
        expect(core.validate(rcu)).toBeNull();
        core.raw.reclaim(0, NO_READER);
        expect(core.raw.retiredCount()).toBe(0);
      }
    }
    expect(core.validate(rcu)).toBeNull();
    for (let i = 0; i < 7100; i += 7) expect(walkAt(core, rcu, i)).toEqual(walkAt(core, plain, i));
    expect(core.nodeCount(rcu)).toBeGreaterThan(1);
    core.treeRelease(rcu);
    core.treeRelease(plain);
    core.raw.reclaim(0, NO_READER);
    expect(core.raw.retiredCount()).toBe(0);
  });

  it('keeps retired nodes until every reader older than them has left', () => {
    const tree = rcuTree(core);
    for (let i = 0; i < 40; i++) storeFresh(core, tree, i * 10, i * 10 + 4, false);
    core.raw.reclaim(0, NO_READER);
    storeFresh(core, tree, 0, 200, false); // retires the nodes it replaced, tagged epoch 0
    const retired = core.raw.retiredCount();
    expect(retired).toBeGreaterThan(0);
    expect(core.raw.reclaim(1, 0)).toBe(0); // a reader still in epoch 0
    expect(core.raw.retiredCount()).toBe(retired);
    expect(core.raw.reclaim(1, 1)).toBe(retired); // the oldest reader entered after the retirement
    core.treeRelease(tree);
    core.raw.reclaim(0, NO_READER);
  });

  it('shows a reader stopped at every visible step of every store type the old or the new range', () => {
    const rng = new Rng(77);
    const seen = new Set<number>();
    const wanted = [WR_STORE_ROOT, WR_NEW_ROOT, WR_EXACT_FIT, WR_NODE_STORE, WR_SPLIT_STORE, WR_REBALANCE, WR_SPANNING_STORE];
    const base = rcuTree(core);
    let checks = 0;
    for (let round = 0; round < 200; round++) {
      const { first, last, erase } = pickWrite(core, base, rng, round);
      const where = probes(core, base, [first, last, Math.max(0, first - 1), last + 1]);
      const before = where.map((i) => walkAt(core, base, i));
      // The reference: the same write, no hook, on a copy.
      const reference = core.dup(base);
      const ref = storeFresh(core, reference, first, last, erase);
      const after = where.map((i) => walkAt(core, reference, i));
      core.treeRelease(reference);
      seen.add(ref.type);
      for (let k = 1; ; k++) {
        const copy = core.dup(base);
        let fired = false;
        let handle = -1;
        core.rcuHook = (kind) => {
          expect(kind).toBe(HOOK_WRITER);
          fired = true;
          where.forEach((i, n) => {
            const got = walkAt(core, copy, i);
            const renamed: Triple = after[n][0] === ref.handle && ref.handle !== 0 ? [handle, after[n][1], after[n][2]] : after[n];
            if (!(sameTriple(got, before[n]) || sameTriple(got, renamed))) {
              throw new Error(`round ${round} step ${k}: index ${i} read ${got}, old ${before[n]}, new ${renamed}`);
            }
            checks++;
          });
        };
        handle = erase ? 0 : core.entries.alloc('under test');
        core.raw.setRcuHook(HOOK_WRITER, k);
        core.store(copy, first, last, handle, MODE_OVERWRITE);
        core.raw.setRcuHook(HOOK_WRITER, 0);
        core.rcuHook = null;
        expect(core.validate(copy)).toBeNull();
        core.treeRelease(copy);
        if (!fired) break;
      }
      // The base moves on with the write (a fresh entry), so later rounds see other shapes.
      storeFresh(core, base, first, last, erase);
      core.raw.reclaim(0, NO_READER);
    }
    core.treeRelease(base);
    core.raw.reclaim(0, NO_READER);
    for (const type of wanted) expect(seen, `store type ${type} was exercised`).toContain(type);
    expect(checks).toBeGreaterThan(1000);
  });

  it('rewalks from the root when the node a reader is reading dies under it', () => {
    const tree = rcuTree(core);
    const fill = () => {
      for (let i = 0; i < 300; i++) storeFresh(core, tree, i * 10, i * 10 + 4, false);
    };
    fill();
    const height = core.height(tree);
    expect(height).toBeGreaterThan(1);
    // One reader step per level: stop the reader at each, on the root, the internal nodes, the leaf.
    for (let step = 1; step <= height; step++) {
      fill();
      const index = 1234;
      let replacement = -1;
      core.rcuHook = (kind) => {
        expect(kind).toBe(HOOK_READER);
        // One range over everything: every node on the reader's path dies, root included.
        replacement = storeFresh(core, tree, 0, MAX_INDEX, false).handle;
      };
      const before = core.raw.rewalkCount();
      core.raw.setRcuHook(HOOK_READER, step);
      const got = core.load(tree, index);
      core.raw.setRcuHook(HOOK_READER, 0);
      core.rcuHook = null;
      expect(replacement).toBeGreaterThan(1);
      expect(core.raw.rewalkCount()).toBe(before + 1);
      expect(got).toBe(replacement);
      expect(core.validate(tree)).toBeNull();
    }
    core.treeRelease(tree);
    core.raw.reclaim(0, NO_READER);
  });

  it('poisons reclaimed nodes in debug mode, and readers of the live tree never meet poison', () => {
    const tree = rcuTree(core);
    core.raw.setPoison(1);
    try {
      const rng = new Rng(5);
      for (let step = 0; step < 600; step++) {
        const first = rng.int(0, 4000);
        storeFresh(core, tree, first, first + rng.int(0, 300), rng.chance(0.3));
        core.raw.reclaim(0, NO_READER);
        if (step % 50 === 0) {
          for (let i = 0; i < 4400; i += 3) {
            const [handle] = walkAt(core, tree, i);
            expect(handle >= 0 && handle < 0x7fffffff).toBe(true); // poison reads as a negative handle
          }
          expect(core.validate(tree)).toBeNull();
        }
      }
    } finally {
      core.raw.setPoison(0);
      core.treeRelease(tree);
      core.raw.reclaim(0, NO_READER);
    }
  });
});

/**
 * The write of a round: the whole key space stored then erased (new root), a first store into
 * the empty tree (store root), an existing range overwritten exactly (exact fit) every fifth
 * round, and otherwise random narrow and wide writes (node stores, splits, rebalances,
 * spanning stores).
 */
function pickWrite(core: CoreAdapter, tree: number, rng: Rng, round: number): { first: number; last: number; erase: boolean } {
  if (round < 2) return { first: 0, last: MAX_INDEX, erase: round === 1 };
  const first = rng.int(0, 3000);
  if (round === 2) return { first, last: first + 5, erase: false };
  if (round % 5 === 0) {
    const [handle, lo, hi] = walkAt(core, tree, first);
    if (handle !== 0 && hi < MAX_INDEX) return { first: lo, last: hi, erase: false };
  }
  if (round % 7 === 3 && core.height(tree) > 1) {
    // Emptying most of one leaf leaves it below its minimum occupancy (rebalance).
    const leaves = leavesOf(core.nodes(tree));
    const leaf = leaves[rng.int(0, leaves.length - 2)];
    if (leaf && leaf.max - leaf.min > 2) return { first: leaf.min + 1, last: leaf.max - 1, erase: true };
  }
  const wide = rng.chance(0.25);
  return { first, last: first + (wide ? rng.int(50, 1500) : rng.int(0, 8)), erase: rng.chance(0.35) };
}

function leavesOf(view: NodeView | null): NodeView[] {
  if (!view) return [];
  return view.children ? view.children.flatMap(leavesOf) : [view];
}

function sameTriple(a: Triple, b: Triple): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
