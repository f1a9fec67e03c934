import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MEMORY_PAGE_BYTES } from '../src/backend/layout.js';
import type { GpuVm, GpuVmOps } from '../src/gpuvm/GpuVm.js';
import { MapleError } from '../src/tree/errors.js';
import { MapleTree } from '../src/tree/MapleTree.js';
import { exhaustPool } from './faults.pool.js';
import { coreBackends } from './support/cores.js';
import { makeVm } from './support/gpuvmBackends.js';
import { canonVas } from './support/gpuvmModel.js';
import { snapshotOf } from './support/model.js';

/** Stops a k loop that never ends (the workload makes far fewer requests). */
const K_MAX = 400;
/** Steps of the workload that allocate at least (16-slot nodes; more with tiny ones). */
const GROWTH_FAILURES_MIN = 15;

/** The state one workload changes: a plain tree, a gap-tracking tree and a GPU VA manager. */
interface World {
  tree: MapleTree<number>;
  alloc: MapleTree<number>;
  vm: GpuVm<string>;
}

interface Step {
  name: string;
  run: (w: World) => void;
}

/** `count` steps, one write each, named `name` and its index. */
function steps(name: string, count: number, run: (w: World, i: number) => void): Step[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${name} ${i}`, run: (w: World) => run(w, i) }));
}

/**
 * One write per step, so each failure can be checked for a partial effect: every store type
 * (appends, splits, node stores, spanning stores, rebalances), erases, dup, allocations, a
 * GpuVm apply and atomic smMap.
 */
const STEPS: Step[] = [
  ...steps('ascending store', 60, (w, i) => w.tree.store(10 * i, i)),
  ...steps('store inside a range', 20, (w, i) => w.tree.storeRange(10 * i + 3, 10 * i + 5, 1000 + i)),
  { name: 'spanning store', run: (w) => w.tree.storeRange(95, 405, 7) },
  ...steps('erase', 10, (w, i) => void w.tree.erase(410 + 20 * i)),
  { name: 'spanning NULL store', run: (w) => w.tree.storeRange(2, 93, null) },
  { name: 'dup', run: (w) => w.tree.dup().free() },
  ...steps('allocRange', 30, (w, i) => void w.alloc.allocRange(1 + (i % 4), i)),
  { name: 'GpuVm apply', run: (w) => w.vm.apply(w.vm.smMapOps({ addr: 64, range: 512, obj: 'B' })) },
  { name: 'atomic smMap', run: (w) => void w.vm.smMap({ addr: 300, range: 1000, obj: 'C' }, undefined, { atomic: true }) },
  { name: 'GpuVm unmap', run: (w) => w.vm.apply(w.vm.smUnmapOps(100, 300)) },
];

function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function snapshotWorld(w: World): unknown {
  return { tree: snapshotOf(w.tree), alloc: snapshotOf(w.alloc), vas: canonVas(w.vm.vas()) };
}

function validateWorld(w: World): void {
  w.tree.validate();
  w.alloc.validate();
  w.vm._tree.validate();
}

describe.each(coreBackends())('fault injection ($name core)', ({ name, make }) => {
  const makeWorld = (): World => {
    const core = make();
    const ops: GpuVmOps<string> = {};
    const vm = makeVm<string>(name, { start: 0, range: 1 << 20, ops });
    Object.assign(ops, {
      smStepMap: (op) => void vm.applyMap(op),
      smStepRemap: (op) => void vm.applyRemap(op),
      smStepUnmap: (op) => void vm.applyUnmap(op),
    } satisfies GpuVmOps<string>);
    for (let i = 0; i < 12; i++) vm.insert({ addr: 40 * i, range: 24, obj: 'A', offset: 0 });
    return { tree: new MapleTree<number>({ _core: core }), alloc: new MapleTree<number>({ _core: core, allocRange: true }), vm };
  };
  const freeWorld = (w: World) => {
    w.tree.free();
    w.alloc.free();
  };

  /**
   * Runs the workload with the k-th event of this kind failing. The step it fails in must
   * throw ENOMEM with every structure exactly as before and valid, then succeed once the
   * fault has fired. Returns whether the fault fired at all.
   */
  const runWithFault = (core: CoreAdapter, kind: 'nodes', k: number): boolean => {
    const w = makeWorld();
    let fired = false;
    try {
      core.setFault(kind, k);
      for (const step of STEPS) {
        const before = snapshotWorld(w);
        try {
          step.run(w);
        } catch (err) {
          expect(err, `${step.name} (k = ${k})`).toBeInstanceOf(MapleError);
          expect((err as MapleError).code, `${step.name} (k = ${k}): ${(err as Error).message}`).toBe('ENOMEM');
          expect(snapshotWorld(w), `${step.name} left a partial effect (k = ${k})`).toEqual(before);
          validateWorld(w);
          expect(core.faultPending(kind)).toBe(0);
          fired = true;
          step.run(w);
        }
        validateWorld(w);
      }
      if (core.faultPending(kind) === 0) fired = true;
    } finally {
      core.setFault(kind, 0);
      freeWorld(w);
    }
    return fired;
  };

  it('every failed node request is ENOMEM with nothing changed, and the retry succeeds', () => {
    const core = make() as CoreAdapter;
    let k = 1;
    while (k <= K_MAX && runWithFault(core, 'nodes', k)) k++;
    expect(k).toBeLessThanOrEqual(K_MAX);
    expect(k).toBeGreaterThan(10);
  });

  /**
   * Runs the workload with the pool exhausted before every step and memory allowed one more
   * page, so each step that needs a node must grow memory, and that growth fails. The step
   * throws ENOMEM with nothing changed, or succeeds; after a failure the retry grows and
   * succeeds.
   * Returns how many steps failed.
   */
  const runWithGrowthFailing = (core: CoreAdapter): number => {
    const w = makeWorld();
    let failed = 0;
    try {
      for (const step of STEPS) {
        const before = snapshotWorld(w);
        const release = exhaustPool(core, core.memoryBytes() + MEMORY_PAGE_BYTES);
        try {
          core.setFault('grow', 1);
          // A write that shrinks may succeed past the failed growth, from the shrink reserve.
          const err = thrownBy(() => step.run(w));
          if (err !== undefined) {
            expect(err, step.name).toBeInstanceOf(MapleError);
            expect((err as MapleError).code, `${step.name}: ${(err as Error).message}`).toBe('ENOMEM');
            expect(core.faultPending('grow'), `${step.name} failed without a failed growth`).toBe(0);
            expect(snapshotWorld(w), `${step.name} left a partial effect`).toEqual(before);
            validateWorld(w);
            failed++;
            step.run(w);
          }
        } finally {
          core.setFault('grow', 0);
          release();
          core.setMemoryCap(0);
        }
        validateWorld(w);
      }
    } finally {
      freeWorld(w);
    }
    return failed;
  };

  it('every failed memory growth is ENOMEM with nothing changed, and the retry succeeds', () => {
    const core = make() as CoreAdapter;
    // Appends and in-place stores allocate nothing; splits, dup, allocations and the VM do.
    expect(runWithGrowthFailing(core)).toBeGreaterThan(GROWTH_FAILURES_MIN);
  });

  it('a fault fires once: the event after it succeeds', () => {
    const core = make() as CoreAdapter;
    const tree = new MapleTree<number>({ _core: core });
    for (let i = 0; i < 40; i++) tree.store(3 * i, i);
    core.setFault('nodes', 1);
    expect(() => tree.dup()).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    expect(core.faultPending('nodes')).toBe(0);
    const copy = tree.dup();
    expect(snapshotOf(copy)).toEqual(snapshotOf(tree));
    copy.free();
    tree.free();
  });
});
