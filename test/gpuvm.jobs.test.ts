/**
 * Prepared bind jobs: bounded stores per run, queued runs against a model under tight budgets
 * with direct changes and cancellations in between, opt-in merge against a model, deferred VmBo
 * cleanup, and EINVAL at prepare.
 */

import { describe, expect, it } from 'vitest';
import type { BindJob } from '../src/gpuvm/bindJob.js';
import { MAP_STORES, UNMAP_STORES } from '../src/gpuvm/bindJob.js';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import type { GpuVaOp } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm } from './support/gpuvmBackends.js';
import { type CanonOp, GpuVmModel, type ModelVa, canonOp, canonVas, rng } from './support/gpuvmModel.js';
import { STAND_IN_NODES_PER_STORE, installReserveStandIn, setStandInBudget, treeHasReserve } from './support/gpuvmReserve.js';

installReserveStandIn();

const OBJECTS = ['A', 'B', 'C', 'D'];
const WINDOW = { start: 0, range: 4096 };
const RESERVED = { reserveOffset: 4096 - 64, reserveRange: 64 };
const USABLE_END = RESERVED.reserveOffset;

type Rng = ReturnType<typeof rng>;
interface Req extends ModelVa {
  kind: 'map' | 'unmap';
}

function randomRequest(r: Rng): Req {
  const kind = r.next() < 0.7 ? 'map' : 'unmap';
  const addr = r.int(0, USABLE_END - 1);
  const range = Math.min(USABLE_END - addr, r.int(1, r.next() < 0.9 ? 64 : 700));
  const obj = r.next() < 0.1 ? null : r.pick(OBJECTS);
  // Offsets on a per-object line half the time, so that merges happen.
  const offset = r.next() < 0.5 && obj !== null ? addr + 10_000 : r.int(0, 50) * 4096;
  return { kind, addr, range, obj, offset };
}

function budgetedVm(backend: string, maxNodes: number, ops = {}): GpuVm<string, unknown> {
  const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED, maxNodes, ops });
  setStandInBudget(vm._tree as never, maxNodes);
  return vm;
}

/** Applies a request to the model, merged like `merge: true` when asked. */
function modelApply(model: GpuVmModel, req: Req, merge: boolean): void {
  if (req.kind === 'unmap') return model.apply(model.unmapOps(req.addr, req.range));
  model.apply(model.mapOps(merge ? modelWiden(model, req) : req));
}

/** The model's merge: widen over touching VAs of the same object and delta, until none is left. */
function modelWiden(model: GpuVmModel, req: ModelVa): ModelVa {
  if (req.obj === null) return req;
  let { addr, offset } = req;
  let end = req.addr + req.range;
  const same = (v: ModelVa) => v.obj === req.obj && v.offset - req.offset === v.addr - req.addr;
  for (let grew = true; grew; ) {
    grew = false;
    for (const v of model.vas) {
      if (!same(v)) continue;
      if (v.addr < addr && v.addr + v.range >= addr) [addr, offset, grew] = [v.addr, v.offset, true];
      if (v.addr + v.range > end && v.addr <= end) [end, grew] = [v.addr + v.range, true];
    }
  }
  return { addr, range: end - addr, obj: req.obj, offset };
}

function listVas(vm: GpuVm<string, unknown>) {
  return canonVas([...vm.vas()].filter((va) => va !== vm.reserved));
}

for (const backend of GPUVM_BACKENDS) {
  describe(`GpuVm bind jobs [${backend}]`, () => {
    it('a run does a bounded number of tree writes and reports the kernel ops in order', () => {
      const seen: CanonOp[] = [];
      const vm = makeVm<string>(backend, {
        ...WINDOW,
        ops: {
          smStepMap: (op) => void seen.push(canonOp(op)),
          smStepRemap: (op) => void seen.push(canonOp(op)),
          smStepUnmap: (op) => void seen.push(canonOp(op)),
        },
      });
      for (let a = 0; a < 2000; a += 10) vm.insert({ addr: a, range: 8, obj: 'A', offset: a });
      const map = vm.prepare({ addr: 5, range: 1500, obj: 'B', offset: 0 });
      const unmap = vm.prepare({ addr: 1502, range: 300 }, 'unmap');
      for (const [job, bound] of [[map, MAP_STORES], [unmap, UNMAP_STORES]] as const) {
        seen.length = 0;
        const r = job.request;
        const expected = (job.kind === 'map' ? vm.smMapOps(r) : vm.smUnmapOps(r.addr, r.range)).map(canonOp);
        const writes = countWrites(vm, () => job.run());
        expect(writes).toBeLessThanOrEqual(bound);
        expect(seen).toEqual(expected);
        expect(job.state).toBe('done');
        vm._tree.validate();
      }
      expect(vm.reservedNodes).toBe(0);
    });

    it('callbacks that apply ops (as for smMap) get what the run made', () => {
      const vm = makeVm<string>(backend, {
        ...WINDOW,
        ops: {
          smStepMap: (op) => {
            const va = vm.applyMap(op);
            vm.link(va, vm.obtainBo(va.obj!));
            vm.putBo(vm.findBo(va.obj!)!);
          },
          smStepRemap: (op) => {
            const { prev, next } = vm.applyRemap(op);
            for (const va of [prev, next]) if (va) vm.link(va, vm.findBo(va.obj!)!);
            vm.unlink(op.unmap.va);
          },
          smStepUnmap: (op) => {
            vm.applyUnmap(op);
            vm.unlink(op.va);
          },
        },
      });
      vm.prepare({ addr: 0, range: 100, obj: 'A', offset: 0 }).run();
      const a = vm.findBo('A')!;
      vm.extobjAdd(a);
      const job = vm.prepare({ addr: 0, range: 100, obj: 'B', offset: 0 });
      job.run();
      // Inside the run the last unlink deferred A's destruction.
      expect(vm.findBo('A')).toBeUndefined();
      expect(a.refs).toBe(0);
      expect([...vm.evicted()]).toEqual([]);
      expect(vm.deferredCleanup()).toEqual([a]);
      expect(vm.deferredCleanup()).toEqual([]);
      expect(vm.findBo('B')!.vas.map((va) => va.addr)).toEqual([0]);
      expect(() => job.run()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(() => job.cancel()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    });

    it('unlinkDefer / putBoDeferred defer the last reference; extObjs skips the zombie', () => {
      const vm = makeVm<string>(backend, { ...WINDOW, isExtObj: () => true });
      const va = vm.insert({ addr: 0, range: 10, obj: 'A' });
      const bo = vm.obtainBo('A');
      vm.link(va, bo);
      vm.extobjAdd(bo);
      expect(vm.putBoDeferred(bo)).toBe(false);
      vm.unlinkDefer(va);
      expect([...vm.extObjs()]).toEqual([]);
      expect(vm.obtainBo('A')).not.toBe(bo);
      expect(vm.deferredCleanup()).toEqual([bo]);
    });

    it('bad requests are EINVAL at prepare and reserve nothing', () => {
      const vm = budgetedVm(backend, 400);
      const bad: [unknown, unknown, unknown][] = [
        [{ addr: 0, range: 0 }, 'map', {}],
        [{ addr: -1, range: 4 }, 'map', {}],
        [{ addr: USABLE_END - 2, range: 4 }, 'unmap', {}],
        [{ addr: 0, range: 4, offset: 0.5 }, 'map', {}],
        [{ addr: 0, range: 4 }, 'remap', {}],
        [{ addr: 0, range: 4 }, 'map', null],
        [null, 'map', {}],
        [null, 'unmap', {}],
      ];
      for (const [req, kind, opts] of bad) {
        expect(() => vm.prepare(req as never, kind as never, opts as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      }
      expect(vm.pendingJobs).toBe(0);
      expect(vm.reservedNodes).toBe(0);
    });

    it('merge: smMapOps widens over same-object neighbours with matching offsets (model)', () => {
      const r = rng(7);
      const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED });
      const model = new GpuVmModel();
      for (let i = 0; i < 3000; i++) {
        const req = randomRequest(r);
        const ops = req.kind === 'map' ? vm.smMapOps(req, { merge: true }) : vm.smUnmapOps(req.addr, req.range);
        for (const op of ops) if (op.type === 'unmap' && op.va.obj === req.obj && req.kind === 'map') expectKeepWhenSameLine(op, req);
        vm.apply(ops);
        modelApply(model, req, true);
        expect(listVas(vm)).toEqual(canonVas(model.vas));
      }
    });

    it('merge off is exactly the kernel; NULL objects and the reserved VA never merge', () => {
      const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED });
      vm.insert({ addr: 0, range: 10, obj: 'A', offset: 100 });
      expect(vm.smMapOps({ addr: 10, range: 5, obj: 'A', offset: 110 }).map(canonOp)).toEqual([['map', 10, 5, 'A', 110]]);
      const merged = vm.smMapOps({ addr: 10, range: 5, obj: 'A', offset: 110 }, { merge: true }).map(canonOp);
      expect(merged).toEqual([['unmap', '0+10:A@100', true], ['map', 0, 15, 'A', 100]]);
      vm.insert({ addr: 20, range: 10, obj: null });
      expect(vm.smMapOps({ addr: 30, range: 5, obj: null }, { merge: true }).map(canonOp)).toEqual([['map', 30, 5, null, 0]]);
      const last = vm.smMapOps({ addr: USABLE_END - 4, range: 4, obj: 'B' }, { merge: true }).map(canonOp);
      expect(last).toEqual([['map', USABLE_END - 4, 4, 'B', 0]]);
    });

    for (const merge of [false, true]) {
      it(`thousands of queued jobs under a tight budget match the model (merge ${merge})`, () => {
        for (const seed of [1, 2]) queuedRun(backend, seed, merge);
      });
    }
  });
}

function expectKeepWhenSameLine(op: GpuVaOp<string> & { type: 'unmap' }, req: Req): void {
  const sameLine = op.va.offset - req.offset === op.va.addr - req.addr;
  expect(op.keep).toBe(sameLine);
}

/** Tree writes fn makes, counted on the facade's write methods. */
function countWrites(vm: GpuVm<string, unknown>, fn: () => void): number {
  const tree = vm._tree as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ['store', 'storeRange', 'insert', 'insertRange', 'erase'];
  const saved = names.map((n) => tree[n]);
  let writes = 0;
  names.forEach((n, i) => {
    tree[n] = (...a: unknown[]) => {
      writes++;
      return saved[i].apply(tree, a);
    };
  });
  try {
    fn();
  } finally {
    for (const n of names) delete tree[n];
  }
  return writes;
}

/**
 * Jobs prepared, run oldest first, cancelled, with direct changes between: after every run the
 * VAs equal a model applying the same requests in the same order; refused prepares change
 * nothing; every reservation comes back; objectsTouched at submit covers the run when only
 * jobs ran in between.
 */
function queuedRun(backend: string, seed: number, merge: boolean): void {
  const r = rng(seed * 31 + (merge ? 1 : 0));
  const maxNodes = 12 * STAND_IN_NODES_PER_STORE;
  const vm = budgetedVm(backend, maxNodes);
  const model = new GpuVmModel();
  const queue: { job: BindJob<string, unknown>; req: Req; clean: boolean }[] = [];
  let refused = 0;
  let runs = 0;
  for (let step = 0; step < 2500; step++) {
    const roll = r.next();
    if (roll < 0.45) {
      const req = randomRequest(r);
      const before = listVas(vm);
      const reserved = vm.reservedNodes;
      try {
        const job = vm.prepare(req, req.kind, { merge });
        queue.push({ job, req, clean: true });
      } catch (err) {
        expect(err).toMatchObject({ code: 'ENOMEM' });
        expect(listVas(vm)).toEqual(before);
        expect(vm.reservedNodes).toBe(reserved);
        refused++;
      }
    } else if (roll < 0.85 && queue.length > 0) {
      const { job, req, clean } = queue.shift()!;
      const touched = req.kind === 'map' ? vm.objectsTouched(merge ? modelWiden(model, req) as never : req) : vm.objectsTouched({ ...req, kind: 'unmap' });
      if (clean) for (const o of touched) expect(job.objectsTouched).toContain(o);
      job.run();
      runs++;
      modelApply(model, req, merge);
      expect(listVas(vm)).toEqual(canonVas(model.vas));
    } else if (roll < 0.93 && queue.length > 0) {
      queue.splice(r.int(0, queue.length - 1), 1)[0].job.cancel();
    } else if (treeHasReserve || vm._tree.nodeCount + vm.reservedNodes + 2 * STAND_IN_NODES_PER_STORE <= maxNodes) {
      // A direct change (the stand-in does not hold nodes: only with headroom beyond them).
      const req = randomRequest(r);
      try {
        vm.apply(req.kind === 'map' ? vm.smMapOps(req) : vm.smUnmapOps(req.addr, req.range));
        modelApply(model, req, false);
        for (const q of queue) q.clean = false;
      } catch (err) {
        expect(err).toMatchObject({ code: 'ENOMEM' });
      }
      expect(listVas(vm)).toEqual(canonVas(model.vas));
    }
  }
  for (const { job } of queue) job.cancel();
  expect(vm.reservedNodes).toBe(0);
  expect(vm.pendingJobs).toBe(0);
  expect(runs).toBeGreaterThan(500);
  expect(refused).toBeGreaterThan(0);
  vm._tree.validate();
}
