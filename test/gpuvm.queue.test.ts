/**
 * An outside check of queued binds and reservations: the public API only, against models of its
 * own (what each address maps to), under node budgets tight on the backend at hand. Jobs run
 * after other jobs, cancellations and direct changes; direct changes may find the budget full,
 * jobs and reservation runs never do; every reservation comes back.
 */

import { describe, expect, it } from 'vitest';
import { type BindJob, type GpuVm, MapleTree } from '../src/index.js';
import { backends } from './support/backends.js';
import { type BindRequest, peakNodes, tightBudget } from './support/gpuvmBudget.js';
import { GPUVM_BACKENDS, makeVm } from './support/gpuvmBackends.js';
import { Rng, seedFromEnv } from './support/rng.js';

/** Addresses (VM) and keys (tree) the checks use: small, so that requests collide. */
const SPAN = 1024;
const OBJECTS = ['P', 'Q', 'R'];
/** Map jobs' worth of reservations (4 stores each) the budget holds beside the peak live nodes. */
const JOB_STORES_THAT_FIT = 12;
const STEPS = 2000;

function randomBind(r: Rng): BindRequest {
  const addr = r.int(0, SPAN - 1);
  const range = Math.min(SPAN - addr, r.int(1, r.chance(0.9) ? 40 : 400));
  return { kind: r.chance(0.7) ? 'map' : 'unmap', addr, range, obj: r.chance(0.1) ? null : r.pick(OBJECTS), offset: r.int(0, 99) * 4096 };
}

/**
 * What each address maps to: the write that placed it (a fresh id per map), its object and
 * its offset. VAs are the maximal runs of one id: a VA split by a map keeps its id in both
 * remnants, which the new mapping separates.
 */
class AddressModel {
  private readonly id = new Int32Array(SPAN);
  private readonly obj: (string | null)[] = new Array(SPAN).fill(null);
  private readonly offset = new Float64Array(SPAN);
  private writes = 0;

  apply(req: BindRequest): void {
    const id = req.kind === 'map' ? ++this.writes : 0;
    for (let a = req.addr; a < req.addr + req.range; a++) {
      this.id[a] = id;
      this.obj[a] = req.obj;
      this.offset[a] = req.offset + (a - req.addr);
    }
  }

  vas(): [number, number, string | null, number][] {
    const out: [number, number, string | null, number][] = [];
    for (let a = 0; a < SPAN; ) {
      if (this.id[a] === 0) {
        a++;
        continue;
      }
      let end = a + 1;
      while (end < SPAN && this.id[end] === this.id[a]) end++;
      out.push([a, end - a, this.obj[a], this.offset[a]]);
      a = end;
    }
    return out;
  }
}

function vmVas(vm: GpuVm<string>): [number, number, string | null, number][] {
  return [...vm.vas()].map((va) => [va.addr, va.range, va.obj, va.offset]);
}

function isNoMem(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ENOMEM';
}

for (const backend of GPUVM_BACKENDS) {
  describe(`queued binds from outside [${backend}]`, () => {
    it('random jobs, cancellations and direct changes under a tight budget match the model', () => {
      const seed = seedFromEnv(11);
      const window = { start: 0, range: SPAN };
      const probe = new Rng(seed ^ 0x5eed);
      const live = peakNodes(backend, window, Array.from({ length: 1000 }, () => randomBind(probe)));
      const vm = makeVm<string>(backend, { ...window, maxNodes: tightBudget(backend, live, JOB_STORES_THAT_FIT) });
      const r = new Rng(seed);
      const model = new AddressModel();
      const pending: { job: BindJob<string>; req: BindRequest }[] = [];
      const counts = { runs: 0, refusedPrepares: 0, refusedDirect: 0 };
      for (let step = 0; step < STEPS; step++) {
        const roll = r.next();
        if (roll < 0.4) {
          const req = randomBind(r);
          const [before, held] = [vmVas(vm), vm.reservedNodes];
          try {
            pending.push({ job: vm.prepare(req, req.kind), req });
          } catch (err) {
            expect(isNoMem(err), `prepare at step ${step} (seed ${seed})`).toBe(true);
            expect([vmVas(vm), vm.reservedNodes]).toEqual([before, held]);
            counts.refusedPrepares++;
          }
        } else if (roll < 0.75 && pending.length > 0) {
          // Oldest first mostly, as a driver's queue runs; any pending one sometimes.
          const at = r.chance(0.8) ? 0 : r.int(0, pending.length - 1);
          const { job, req } = pending.splice(at, 1)[0];
          job.run();
          model.apply(req);
          counts.runs++;
          expect(vmVas(vm), `run at step ${step} (seed ${seed})`).toEqual(model.vas());
        } else if (roll < 0.83 && pending.length > 0) {
          const { job } = pending.splice(r.int(0, pending.length - 1), 1)[0];
          job.cancel();
          expect(job.state).toBe('cancelled');
        } else {
          const req = randomBind(r);
          const before = vmVas(vm);
          try {
            vm.apply(req.kind === 'map' ? vm.smMapOps(req) : vm.smUnmapOps(req.addr, req.range));
            model.apply(req);
          } catch (err) {
            expect(isNoMem(err), `direct change at step ${step} (seed ${seed})`).toBe(true);
            expect(vmVas(vm)).toEqual(before);
            counts.refusedDirect++;
          }
          expect(vmVas(vm)).toEqual(model.vas());
        }
      }
      for (const { job } of pending) job.cancel();
      expect(vm.reservedNodes).toBe(0);
      expect(vm.pendingJobs).toBe(0);
      expect(counts.runs).toBeGreaterThan(STEPS / 5);
      expect(counts.refusedPrepares).toBeGreaterThan(0);
      expect(counts.refusedDirect).toBeGreaterThan(0);
      vm._tree.validate();
    });
  });
}

describe.each(backends)('tree.reserve().run() from outside ($name backend)', ({ name, options }) => {
  it('reservations taken, run in pieces and released between direct writes match the model', () => {
    const seed = seedFromEnv(12);
    const r = new Rng(seed);
    // Two-store reservations; the tree's live nodes stay near those of SPAN keys in short ranges.
    const fill = new MapleTree<number>(options());
    for (let k = 0; k < SPAN; k += 3) fill.storeRange(k, k + 1, k);
    const maxNodes = tightBudget(name, fill.nodeCount, 3 * RESERVED_STORES);
    fill.free();
    const tree = new MapleTree<number>({ ...options(), maxNodes });
    const model: (number | undefined)[] = new Array(SPAN).fill(undefined);
    const held: Reservation[] = [];
    const counts = { refusedReserves: 0, refusedDirect: 0, reservedWrites: 0 };
    let value = 0;
    const write = (single = false) => {
      const first = r.int(0, SPAN - 1);
      const last = single ? first : Math.min(SPAN - 1, first + r.int(0, r.chance(0.9) ? 3 : 300));
      const v = r.chance(0.25) ? undefined : ++value;
      tree.storeRange(first, last, v ?? null);
      model.fill(v, first, last + 1);
    };
    const expectModel = (step: number) => {
      for (let k = 0; k < SPAN; k++) if (tree.load(k) !== model[k]) expect(tree.load(k), `key ${k} at step ${step} (seed ${seed})`).toBe(model[k]);
    };
    /** One write outside any reservation: false if the budget refused it (tree unchanged). */
    const directWrite = (step: number, single: boolean): boolean => {
      const snapshot = [...tree.entries()];
      try {
        write(single);
        return true;
      } catch (err) {
        expect(isNoMem(err), `direct write at step ${step} (seed ${seed})`).toBe(true);
        expect([...tree.entries()]).toEqual(snapshot);
        counts.refusedDirect++;
        return false;
      }
    };
    for (let step = 0; step < STEPS; step++) {
      const roll = r.next();
      if (roll < 0.3) {
        const reserved = tree.reservedNodes;
        try {
          held.push(tree.reserve(RESERVED_STORES));
        } catch (err) {
          expect(isNoMem(err)).toBe(true);
          expect(tree.reservedNodes).toBe(reserved);
          counts.refusedReserves++;
        }
      } else if (roll < 0.6 && held.length > 0) {
        // One or all of its writes now; a reservation with writes left stays held.
        const res = held[r.int(0, held.length - 1)];
        const writes = r.chance(0.5) ? 1 : res.remaining;
        res.run(() => {
          for (let i = 0; i < writes; i++) write();
        });
        counts.reservedWrites += writes;
        if (res.remaining === 0) held.splice(held.indexOf(res), 1);
        expectModel(step);
      } else if (roll < 0.68 && held.length > 0) {
        held.splice(r.int(0, held.length - 1), 1)[0].release();
      } else {
        // Direct writes, now and then a burst of one-key ones that runs into the budget.
        const burst = r.chance(0.1) ? BURST_WRITES : 1;
        for (let i = 0; i < burst && directWrite(step, burst > 1); i++);
        expectModel(step);
      }
    }
    for (const res of held) res.release();
    expect(tree.reservedNodes).toBe(0);
    expect(counts.reservedWrites).toBeGreaterThan(STEPS / 5);
    expect(counts.refusedReserves).toBeGreaterThan(0);
    expect(counts.refusedDirect).toBeGreaterThan(0);
    tree.validate();
  });
});

type Reservation = ReturnType<MapleTree<number>['reserve']>;

/** Stores per tree reservation in the tree check. */
const RESERVED_STORES = 2;
/** One-key direct writes in a burst: enough to use up what the reservations leave. */
const BURST_WRITES = 200;
