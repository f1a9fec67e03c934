/**
 * What the allocation-free request path must not change: ops stay the contract's plain objects
 * (their stamp is invisible, and copies of them are hand-built ops), walks nested inside
 * driver callbacks do not disturb the walk that called them (the VA tree reuses one cursor),
 * a prepared job's pre-applied results belong to that job's VM, and a failed apply leaves
 * the list's tickets current however far it got.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import type { GpuVaOp, GpuVaOpMap, GpuVaOpRemap, GpuVaOpUnmap } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { canonOp, canonVas, rng } from './support/gpuvmModel.js';

const WINDOW = { start: 0, range: 1 << 20 };

/** Own keys of each op type, exactly as the contract lists them. */
const KEYS: Record<GpuVaOp['type'], string[]> = {
  map: ['type', 'addr', 'range', 'obj', 'offset'],
  remap: ['type', 'unmap', 'prev', 'next'],
  unmap: ['type', 'va', 'keep'],
  prefetch: ['type', 'va'],
};

/** A VM of VAs [64i, 64i + 48) for i < count, objects A/B alternating, offsets continuing. */
function striped(backend: string, count: number, ops = {}): GpuVm<string> {
  const vm = makeVm<string>(backend, { ...WINDOW, ops });
  for (let i = 0; i < count; i++) vm.insert({ addr: 64 * i, range: 48, obj: i % 2 ? 'B' : 'A', offset: 64 * i });
  return vm;
}

function expectPlain(op: GpuVaOp<string>): void {
  expect(Object.getPrototypeOf(op)).toBe(Object.prototype);
  expect(Reflect.ownKeys(op)).toEqual(KEYS[op.type]);
  expect(op).toStrictEqual({ ...op });
  if (op.type === 'remap') {
    expect(Reflect.ownKeys(op.unmap)).toEqual(['va', 'keep']);
    for (const piece of [op.prev, op.next]) if (piece) expect(Reflect.ownKeys(piece)).toEqual(['addr', 'range', 'obj', 'offset']);
  }
}

describe.each(GPUVM_BACKENDS)('the request path keeps the contract (%s)', (backend) => {
  prepareBackend(backend);

  it('every op kind is a plain object with exactly the contract keys; JSON shows only those', () => {
    const vm = striped(backend, 8);
    const lists: GpuVaOp<string>[][] = [
      vm.smMapOps({ addr: 40, range: 100, obj: 'C', offset: 7 }),
      vm.smUnmapOps(100, 200),
      vm.madviseOps({ addr: 10, range: 20 }),
      vm.prefetchOps(0, 300),
      vm.boUnmapOps(vm.obtainBo('A')),
    ];
    const seen = new Set<string>();
    for (const op of lists.flat()) {
      expectPlain(op);
      seen.add(op.type);
      expect(Object.keys(JSON.parse(JSON.stringify(op)))).toEqual(KEYS[op.type]);
    }
    expect([...seen].sort()).toEqual(['map', 'prefetch', 'remap', 'unmap']);
  });

  it('a spread copy of a stale op is a hand-built op: checked by its content, not refused as stale', () => {
    const vm = striped(backend, 4);
    const ops = vm.smUnmapOps(64, 48); // UNMAP of [64, 112)
    vm.insert({ addr: 1000, range: 8, obj: 'C' });
    expect(() => vm.apply(ops)).toThrow(/stale op/);
    vm.apply(ops.map((op) => ({ ...op })));
    expect(vm.find(64, 48)).toBeUndefined();
    vm._tree.validate();
  });

  it('walks nested inside step callbacks leave the outer walk intact (same steps and VAs as list mode)', () => {
    const r = rng(7);
    const steps: unknown[] = [];
    let at = 0;
    const nested = () => {
      // Other walks, over other VAs, from inside the callback; then the step's own apply.
      vm.objectsTouched({ addr: at, range: 300, kind: 'unmap' });
      vm.smUnmapOps(at, 300);
    };
    const vm: GpuVm<string> = striped(backend, 100, {
      smStepMap: (op: GpuVaOpMap<string>) => (steps.push(canonOp(op)), nested(), vm.applyMap(op)),
      smStepRemap: (op: GpuVaOpRemap<string>) => (steps.push(canonOp(op)), nested(), vm.applyRemap(op)),
      smStepUnmap: (op: GpuVaOpUnmap<string>) => (steps.push(canonOp(op)), nested(), vm.applyUnmap(op)),
    });
    const twin = striped(backend, 100);
    for (let round = 0; round < 60; round++) {
      steps.length = 0;
      at = r.int(0, 6000);
      const addr = r.int(0, 6000);
      const range = r.int(1, 700);
      const req = { addr, range, obj: r.pick(['A', 'B', 'C']), offset: r.int(0, 99) };
      const ops = round % 2 ? twin.smMapOps(req) : twin.smUnmapOps(addr, range);
      twin.apply(ops);
      if (round % 2) vm.smMap(req);
      else vm.smUnmap(addr, range);
      expect(steps, `round ${round}`).toEqual(ops.map(canonOp));
      expect(canonVas(vm), `round ${round}`).toEqual(canonVas(twin));
    }
    vm._tree.validate();
  });

  it("a job's pre-applied results are handed back once, and only by the job's VM", () => {
    const results: unknown[] = [];
    const other = striped(backend, 4);
    let vm: GpuVm<string> | null = null;
    const stepOps: GpuVaOp<string>[] = [];
    vm = striped(backend, 4, {
      smStepRemap: (op: GpuVaOpRemap<string>) => {
        stepOps.push(op);
        expect(() => other.applyRemap(op)).toThrow(/another GpuVm/);
        results.push(vm!.applyRemap(op));
      },
      smStepMap: (op: GpuVaOpMap<string>) => {
        stepOps.push(op);
        results.push(vm!.applyMap(op));
      },
    });
    vm.prepare({ addr: 40, range: 16, obj: 'C' }).run();
    expect(stepOps.map((op) => op.type)).toEqual(['remap', 'map']);
    expect(results[0]).toEqual({ prev: vm.find(0, 40) });
    expect(results[1]).toBe(vm.find(40, 16));
    // Handed back once: applying the same op again is now an ordinary (stale) apply.
    expect(() => vm!.applyMap(stepOps[1] as GpuVaOpMap<string>)).toThrow(/stale op/);
  });

  it('a failed apply leaves every ticket of the list current, however many ops it applied first', () => {
    for (let failAt = 1; failAt <= 3; failAt++) {
      const vm = striped(backend, 6);
      const ops = vm.smUnmapOps(30, 200); // REMAP, UNMAP, UNMAP, REMAP
      expect(ops).toHaveLength(4);
      const broken = ops.map((op, i) => (i === failAt ? ({ type: 'frobnicate' } as never) : op));
      const gen = vm.generation;
      expect(() => vm.apply(broken)).toThrow(new RegExp(`op ${failAt}: unknown op type`));
      expect(vm.generation).toBe(gen);
      vm.apply(ops); // the very same list still applies
      expect(vm.findFirst(30, 200)).toBeUndefined();
      vm._tree.validate();
    }
  });
});
