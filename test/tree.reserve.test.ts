import { describe, expect, it } from 'vitest';
import { MapleTree, type MapleTreeOptions, type Reservation } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectMapleError, expectUnchangedAfterError, RangeModel, snapshotOf } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';

describe.each(backends)('reservations ($name backend)', ({ options }) => {
  const make = <V = unknown>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  /** A tree at height >= 2 under a budget, with every other index holding an entry. */
  const filled = (maxNodes: number, count: number) => {
    const tree = make<unknown>({ maxNodes });
    for (let i = 0; i < count; i++) tree.store(2 * i, i);
    return tree;
  };

  it('reserve(stores) holds stores × the per-store bound against maxNodes, release() returns it', () => {
    const tree = filled(200, 40);
    const nodes = tree.nodeCount;
    const one = tree.reserve();
    expect(one.remaining).toBe(1);
    expect(tree.reservedNodes).toBe(one.nodes);
    const three = tree.reserve(3);
    expect(three.nodes).toBe(3 * one.nodes);
    expect(tree.reservedNodes).toBe(4 * one.nodes);
    expect(tree.nodeCount).toBe(nodes);
    three.release();
    three.release();
    expect(three.remaining).toBe(0);
    expect(tree.reservedNodes).toBe(one.nodes);
    one.release();
    expect(tree.reservedNodes).toBe(0);
    expectMapleError(() => three.run(() => 0), 'EINVAL', /released/);
  });

  it('reserve refuses what the budget cannot cover, now and with nothing held', () => {
    const tree = filled(60, 30);
    const held: Reservation[] = [];
    for (;;) {
      try {
        held.push(tree.reserve());
      } catch (err) {
        expect((err as { code: string }).code).toBe('ENOMEM');
        break;
      }
    }
    const total = tree.reservedNodes;
    expectUnchangedAfterError(tree, () => tree.reserve(), 'ENOMEM');
    expect(tree.reservedNodes).toBe(total);
    expect(tree.nodeCount + total).toBeLessThanOrEqual(60);
    for (const r of held) r.release();
    expect(tree.reservedNodes).toBe(0);
  });

  it('bad arguments: EINVAL, nothing reserved', () => {
    const tree = make({ maxNodes: 100 });
    for (const bad of [0, -1, 1.5, NaN, '2', null]) {
      expectMapleError(() => tree.reserve(bad as number), 'EINVAL');
    }
    expectMapleError(() => tree.reserve(2 ** 40), 'ENOMEM');
    expect(tree.reservedNodes).toBe(0);
    const r = tree.reserve();
    expectMapleError(() => r.run(42 as unknown as () => void), 'EINVAL');
    r.release();
  });

  it('writes outside run() cannot take reserved nodes; writes inside never run out', () => {
    const tree = filled(80, 30);
    const job = tree.reserve(2);
    const held = tree.reservedNodes;
    // Fill the rest of the budget with direct writes until they are refused.
    let refused = false;
    for (let i = 0; i < 2000 && !refused; i++) {
      try {
        tree.store(2 * i + 1, -i);
      } catch (err) {
        expect((err as { code: string }).code).toBe('ENOMEM');
        refused = true;
      }
    }
    expect(refused).toBe(true);
    expect(tree.reservedNodes).toBe(held);
    job.run(() => {
      tree.storeRange(7, 900, 1);
      tree.store(3001, 2);
    });
    expect(job.remaining).toBe(0);
    expect(tree.load(500)).toBe(1);
    expect(tree.load(3001)).toBe(2);
    expect(tree.reservedNodes).toBe(0);
    tree.validate();
  });

  it('a write past remaining throws ENOMEM inside run() before any change', () => {
    const tree = filled(100, 20);
    const job = tree.reserve(1);
    const before = snapshotOf(tree);
    job.run(() => tree.store(1, 100));
    expectUnchangedAfterError(tree, () => job.run(() => tree.store(3, 101)), 'ENOMEM');
    expect(snapshotOf(tree)).toEqual([...before, [1, 1, 100]].sort((a, b) => a[0] - b[0]));
    job.release();
  });

  it('nested run(): the innermost reservation is drawn; a failed write uses none; run returns fn\'s result', () => {
    const tree = filled(150, 20);
    const outer = tree.reserve(2);
    const inner = tree.reserve(1);
    const result = outer.run(() => {
      tree.store(1, 1);
      inner.run(() => {
        expectMapleError(() => tree.insert(2, 0), 'EEXIST');
        tree.store(3, 3);
      });
      tree.store(5, 5);
      return 'done';
    });
    expect(result).toBe('done');
    expect([outer.remaining, inner.remaining]).toEqual([0, 0]);
    expect(tree.reservedNodes).toBe(0);
  });

  it('a reservation survives destroy() of the tree and is dropped by free()', () => {
    const tree = filled(100, 20);
    const job = tree.reserve(1);
    tree.destroy();
    expect(tree.reservedNodes).toBe(job.nodes);
    job.run(() => tree.store(4, 4));
    expect(tree.load(4)).toBe(4);
    const late = tree.reserve(1);
    tree.free();
    expectMapleError(() => late.run(() => 0), 'EINVAL');
    late.release();
  });

  describe('MaState.preallocate is per cursor (issue 15 item 3)', () => {
    it('another cursor\'s store cannot take a\'s nodes, and its destroy() cannot drop them', () => {
      const tree = filled(60, 30);
      tree.lock();
      const a = tree.state(100, 1000);
      a.preallocate(7777);
      const held = tree.reservedNodes;
      const b = tree.state(0);
      let refused = false;
      for (let i = 0; i < 2000 && !refused; i++) {
        b.setRange(2 * i + 1, 2 * i + 1);
        try {
          b.store(-i);
        } catch (err) {
          expect((err as { code: string }).code).toBe('ENOMEM');
          refused = true;
        }
      }
      expect(refused).toBe(true);
      tree.state(0).destroy();
      b.destroy();
      expect(tree.reservedNodes).toBe(held);
      a.storePrealloc(7777); // cannot fail, though the tree changed after preallocate
      expect(tree.load(500)).toBe(7777);
      expect(tree.reservedNodes).toBe(0);
      tree.unlock();
      tree.validate();
    });

    it('preallocate again keeps one reservation; destroy() drops only its own', () => {
      const tree = filled(200, 20);
      tree.lock();
      const a = tree.state(1, 1);
      const c = tree.state(3, 3);
      a.preallocate(1);
      a.preallocate(1);
      c.preallocate(3);
      const each = tree.reservedNodes / 2;
      a.destroy();
      expect(tree.reservedNodes).toBe(each);
      c.storePrealloc(3);
      expect(tree.reservedNodes).toBe(0);
      tree.unlock();
    });
  });

  it('random reservations, direct writes and runs under a tight budget: runs never fail, all nodes return', () => {
    const seed = seedFromEnv(1501);
    const rng = new Rng(seed);
    const tree = make<number>({ maxNodes: 90 });
    const model = new RangeModel<number>();
    const jobs: Reservation[] = [];
    let runs = 0;
    let refused = 0;
    const write = (op: number) => {
      const first = rng.int(0, 3000);
      const last = Math.min(3000, first + (rng.chance(0.8) ? rng.int(0, 4) : rng.int(0, 500)));
      const value = rng.chance(0.3) ? null : op;
      tree.storeRange(first, last, value);
      model.storeRange(first, last, value ?? undefined);
    };
    for (let op = 0; op < 3000; op++) {
      const roll = rng.next();
      if (roll < 0.1) {
        try {
          jobs.push(tree.reserve(rng.int(1, 3)));
        } catch (err) {
          expect((err as { code: string }).code, `seed ${seed} op ${op}`).toBe('ENOMEM');
          refused++;
        }
      } else if (roll < 0.4 && jobs.length > 0) {
        const job = jobs[rng.int(0, jobs.length - 1)];
        if (job.remaining > 0) {
          job.run(() => write(op));
          runs++;
        }
        if (job.remaining === 0 || rng.chance(0.2)) {
          job.release();
          jobs.splice(jobs.indexOf(job), 1);
        }
      } else {
        try {
          write(op);
        } catch (err) {
          expect((err as { code: string }).code, `seed ${seed} op ${op}`).toBe('ENOMEM');
          refused++;
        }
      }
      expect(tree.nodeCount + tree.reservedNodes, `seed ${seed} op ${op}`).toBeLessThanOrEqual(90);
      expect(tree.reservedNodes).toBe(jobs.reduce((sum, j) => sum + j.nodes, 0));
      if (op % 100 === 0) {
        tree.validate();
        expect(snapshotOf(tree), `seed ${seed} op ${op}`).toEqual(model.snapshot());
      }
    }
    for (const job of jobs) job.release();
    expect(tree.reservedNodes).toBe(0);
    expect(runs).toBeGreaterThan(100);
    // The naive model's nodes hold 8 ranges each and a store needs one: its budget never binds here.
    if (tree._core.storeBound(tree._id) > 1) expect(refused, 'the budget was tight').toBeGreaterThan(0);
  });
});
