/**
 * Callback mode (smMap / smUnmap): drivers that change the VM while the generator walks it,
 * callbacks that throw with and without `atomic`, and missing callbacks.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm, GpuVmOps } from '../src/gpuvm/GpuVm.js';
import type { GpuVaOpMap, GpuVaOpRemap, GpuVaOpUnmap } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { canonOp, canonVas } from './support/gpuvmModel.js';

const WINDOW = { start: 0, range: 1 << 20 };

/** A VM whose callbacks are whatever `ops(vm)` returns. */
function vmWith(backend: string, ops: (vm: GpuVm<string>) => GpuVmOps<string>) {
  const callbacks: GpuVmOps<string> = {};
  const vm = makeVm<string>(backend, { ...WINDOW, ops: callbacks });
  Object.assign(callbacks, ops(vm));
  return vm;
}

/** Callbacks that apply every op immediately (an immediate-mode driver) and log them. */
function applying(vm: GpuVm<string>, log: string[] = []): GpuVmOps<string> {
  return {
    smStepMap: (op) => {
      log.push(`map ${op.addr}`);
      vm.applyMap(op);
    },
    smStepRemap: (op) => {
      log.push(`remap ${op.unmap.va.addr}`);
      vm.applyRemap(op);
    },
    smStepUnmap: (op) => {
      log.push(`unmap ${op.va.addr}`);
      vm.applyUnmap(op);
    },
  };
}

/** Four VAs of 16 at 0, 16, 32, 48 (objects A..D) plus one at 100 (E). */
function populate(vm: GpuVm<string>): GpuVa<string>[] {
  const vas = ['A', 'B', 'C', 'D'].map((obj, i) => vm.insert({ addr: i * 16, range: 16, obj, offset: 0 }));
  vas.push(vm.insert({ addr: 100, range: 16, obj: 'E', offset: 0 }));
  return vas;
}

function snapshot(vm: GpuVm<string>) {
  return [...vm.vas()];
}

describe.each(GPUVM_BACKENDS)('callback mode (%s)', (backend) => {
  prepareBackend(backend);
  it('a driver using insert/remove directly (kernel style) gets the same steps as list mode', () => {
    const list = makeVm<string>(backend, WINDOW);
    populate(list);
    const expected = list.smMapOps({ addr: 8, range: 40, obj: 'X', offset: 0 }).map(canonOp);
    list.apply(list.smMapOps({ addr: 8, range: 40, obj: 'X', offset: 0 }));

    const seen: unknown[] = [];
    const vm = vmWith(backend, (vm) => ({
      smStepMap(op: GpuVaOpMap<string>) {
        seen.push(canonOp(op));
        vm.insert(op);
      },
      smStepRemap(op: GpuVaOpRemap<string>) {
        seen.push(canonOp(op));
        vm.remove(op.unmap.va);
        if (op.prev) vm.insert(op.prev);
        if (op.next) vm.insert(op.next);
      },
      smStepUnmap(op: GpuVaOpUnmap<string>) {
        seen.push(canonOp(op));
        vm.remove(op.va);
      },
    }));
    populate(vm);
    vm.smMap({ addr: 8, range: 40, obj: 'X', offset: 0 });
    expect(seen).toEqual(expected);
    expect(canonVas(vm.vas())).toEqual(canonVas(list.vas()));
    vm._tree.validate();
  });

  it('a VA removed by a callback before the walk reaches it is not visited', () => {
    const log: string[] = [];
    const vm = vmWith(backend, (vm) => {
      const base = applying(vm, log);
      return {
        ...base,
        smStepRemap(op) {
          base.smStepRemap!(op, undefined);
          const ahead = vm.find(32, 16);
          if (ahead) vm.remove(ahead);
        },
      };
    });
    populate(vm);
    vm.smMap({ addr: 8, range: 48, obj: 'X', offset: 0 });
    expect(log).toEqual(['remap 0', 'unmap 16', 'remap 48', 'map 8']);
    expect(canonVas(vm.vas())).toEqual([
      [0, 8, 'A', 0],
      [8, 48, 'X', 0],
      [56, 8, 'D', 8],
      [100, 16, 'E', 0],
    ]);
  });

  it('a VA inserted across the resume point is skipped; one inserted ahead of it is visited', () => {
    const log: string[] = [];
    const vm = vmWith(backend, (vm) => {
      const base = applying(vm, log);
      return {
        ...base,
        smStepUnmap(op) {
          base.smStepUnmap!(op, undefined);
          if (op.va.addr !== 16) return;
          // Replace [32, 48) by [24, 40), which starts behind the walk, and fill [64, 72) ahead.
          vm.remove(vm.find(32, 16)!);
          vm.insert({ addr: 24, range: 16, obj: 'straddle', offset: 0 });
          vm.insert({ addr: 64, range: 8, obj: 'ahead', offset: 0 });
        },
        smStepMap() {},
      };
    });
    populate(vm);
    vm.smMap({ addr: 16, range: 64, obj: 'X', offset: 0 });
    expect(log).toEqual(['unmap 16', 'unmap 48', 'unmap 64']);
  });

  it('a throwing callback stops the walk and leaves earlier steps applied', () => {
    const boom = new Error('driver failure');
    const log: string[] = [];
    const vm = vmWith(backend, (vm) => ({
      ...applying(vm, log),
      smStepUnmap(op) {
        log.push(`unmap ${op.va.addr}`);
        if (op.va.addr === 32) throw boom;
        vm.applyUnmap(op);
      },
    }));
    populate(vm);
    expect(() => vm.smMap({ addr: 8, range: 48, obj: 'X', offset: 0 })).toThrow(boom);
    expect(log).toEqual(['remap 0', 'unmap 16', 'unmap 32']);
    expect(canonVas(vm.vas())).toEqual([
      [0, 8, 'A', 0],
      [32, 16, 'C', 0],
      [48, 16, 'D', 0],
      [100, 16, 'E', 0],
    ]);
  });

  it('atomic: a throwing callback rolls the VM back to exactly its state before the request', () => {
    const boom = new Error('driver failure');
    const vm = vmWith(backend, (vm) => ({
      ...applying(vm),
      smStepMap(op) {
        vm.applyMap(op);
        throw boom;
      },
    }));
    const vas = populate(vm);
    const links = vas.map((va) => {
      const vmBo = vm.obtainBo(va.obj!);
      vm.link(va, vmBo);
      return vmBo;
    });
    const before = snapshot(vm);
    const gen = vm.generation;
    expect(() => vm.smMap({ addr: 8, range: 48, obj: 'X', offset: 0 }, undefined, { atomic: true })).toThrow(boom);
    const after = snapshot(vm);
    expect(after).toHaveLength(before.length);
    after.forEach((va, i) => expect(va).toBe(before[i]));
    // Exactly as before: the same generation, so lists computed before stay valid.
    expect(vm.generation).toBe(gen);
    links.forEach((vmBo, i) => expect(vmBo.vas).toEqual([vas[i]]));
    vm._tree.validate();
  });

  it('atomic rollback also restores links, VmBos and the evicted list changed by callbacks', () => {
    const boom = new Error('late failure');
    const vm = vmWith(backend, (vm) => ({
      smStepRemap(op) {
        vm.unlink(op.unmap.va);
        const { prev, next } = vm.applyRemap(op);
        for (const va of [prev, next]) if (va) vm.link(va, vm.obtainBo(va.obj!));
      },
      smStepUnmap(op) {
        vm.unlink(op.va);
        vm.applyUnmap(op);
      },
      smStepMap(op) {
        const va = vm.applyMap(op);
        const vmBo = vm.obtainBo(va.obj!);
        vm.link(va, vmBo);
        vm.evict(vmBo, true);
        throw boom;
      },
    }));
    const vas = populate(vm);
    for (const va of vas) {
      const vmBo = vm.obtainBo(va.obj!);
      vm.link(va, vmBo);
      vm.putBo(vmBo);
    }
    const a = vm.findBo('A')!;
    const b = vm.findBo('B')!;
    vm.evict(a, true);
    const before = { vas: snapshot(vm), aVas: a.vas, aRefs: a.refs, bRefs: b.refs };
    expect(() => vm.smMap({ addr: 8, range: 48, obj: 'X', offset: 0 }, undefined, { atomic: true })).toThrow(boom);
    expect(snapshot(vm)).toEqual(before.vas);
    snapshot(vm).forEach((va, i) => expect(va).toBe(before.vas[i]));
    expect(a.vas).toEqual(before.aVas);
    expect([a.refs, b.refs]).toEqual([before.aRefs, before.bRefs]);
    expect(vm.findBo('B')).toBe(b);
    expect(vm.findBo('X')).toBeUndefined();
    expect([...vm.evicted()]).toEqual([a]);
    for (const va of vas) expect(va.vmBo).toBe(vm.findBo(va.obj!));
  });

  it('atomic smUnmap rolls back too', () => {
    const boom = new Error('unmap failure');
    const vm = vmWith(backend, (vm) => ({
      ...applying(vm),
      smStepRemap(op) {
        vm.applyRemap(op);
        if (op.prev === null) throw boom;
      },
    }));
    populate(vm);
    const before = snapshot(vm);
    expect(() => vm.smUnmap(8, 48, undefined, { atomic: true })).toThrow(boom);
    snapshot(vm).forEach((va, i) => expect(va).toBe(before[i]));
    expect(snapshot(vm)).toHaveLength(before.length);
  });

  it('missing callbacks are EINVAL before any step', () => {
    const calls: string[] = [];
    const vm = vmWith(backend, () => ({ smStepUnmap: () => void calls.push('unmap'), smStepRemap: () => void calls.push('remap') }));
    populate(vm);
    expect(() => vm.smMap({ addr: 0, range: 16, obj: 'X' })).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/^GpuVm\.smMap: .*smStepMap/) }),
    );
    expect(calls).toEqual([]);
    const bare = makeVm<string>(backend, WINDOW);
    expect(() => bare.smUnmap(0, 16)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    vm.smUnmap(0, 16);
    expect(calls).toEqual(['unmap']);
  });

  it('passes ctx to every callback', () => {
    const ctxs: unknown[] = [];
    const vm = vmWith(backend, () => ({
      smStepMap: (_op, ctx) => void ctxs.push(ctx),
      smStepRemap: (_op, ctx) => void ctxs.push(ctx),
      smStepUnmap: (_op, ctx) => void ctxs.push(ctx),
    }));
    populate(vm);
    const ctx = { job: 7 };
    vm.smMap({ addr: 8, range: 16, obj: 'X' }, ctx);
    expect(ctxs).toEqual([ctx, ctx, ctx]);
    expect(ctxs[0]).toBe(ctx);
  });
});
