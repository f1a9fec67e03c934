/**
 * The VM's safety beyond the kernel: stale ops are refused, apply(ops) is all-or-nothing
 * (including ENOMEM part-way), bad requests are EINVAL before any op or callback, and an
 * external lock is asserted by every mutation and op generation.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm, GpuVmOps } from '../src/gpuvm/GpuVm.js';
import type { GpuVaOp, GpuVaOpUnmap } from '../src/gpuvm/ops.js';
import { MAX_INDEX } from '../src/tree/MapleTree.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { canonVas } from './support/gpuvmModel.js';

const WINDOW = { start: 1024, range: 4096 };
const RESERVED = { reserveOffset: 4096, reserveRange: 256 };

function sameVas(vm: GpuVm<string>, before: GpuVa<string>[]): void {
  const now = [...vm.vas()];
  expect(now).toHaveLength(before.length);
  now.forEach((va, i) => expect(va).toBe(before[i]));
  vm._tree.validate();
}

const einval = (method: string) =>
  expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(new RegExp(`^GpuVm\\.${method}: `)) });

describe.each(GPUVM_BACKENDS)('stale ops (%s)', (backend) => {
  prepareBackend(backend);
  function vm3() {
    const vm = makeVm<string>(backend, WINDOW);
    for (let i = 0; i < 3; i++) vm.insert({ addr: 1024 + i * 64, range: 64, obj: 'A', offset: i * 64 });
    return vm;
  }

  it('ops applied after another change to the VM are refused and change nothing', () => {
    const vm = vm3();
    const ops = vm.smMapOps({ addr: 1056, range: 64, obj: 'B' });
    vm.insert({ addr: 2048, range: 16, obj: 'C' });
    const before = [...vm.vas()];
    for (const op of ops) {
      const apply = () =>
        op.type === 'map' ? vm.applyMap(op) : op.type === 'remap' ? vm.applyRemap(op) : vm.applyUnmap(op as GpuVaOpUnmap<string>);
      expect(apply).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/stale op/) }));
    }
    expect(() => vm.apply(ops)).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/^GpuVm\.apply: op 0: stale op/) }));
    sameVas(vm, before);
  });

  it('a list applies op by op in order; a second list computed alongside it is then stale', () => {
    const vm = vm3();
    const first = vm.smUnmapOps(1040, 32);
    const second = vm.smMapOps({ addr: 1100, range: 8, obj: 'B' });
    for (const op of first) {
      if (op.type === 'remap') vm.applyRemap(op);
      if (op.type === 'unmap') vm.applyUnmap(op);
    }
    expect(() => vm.apply(second)).toThrow(/stale op/);
    vm.apply(vm.smMapOps({ addr: 1100, range: 8, obj: 'B' }));
    expect(vm.find(1100, 8)?.obj).toBe('B');
  });

  it('a callback-mode op kept and applied after other changes is stale', () => {
    const kept: GpuVaOp<string>[] = [];
    const ops: GpuVmOps<string> = {
      smStepMap: (op) => void kept.push(op),
      smStepRemap: (op) => void kept.push(op),
      smStepUnmap: (op) => void kept.push(op),
    };
    const vm = makeVm<string>(backend, { ...WINDOW, ops });
    vm.insert({ addr: 1024, range: 64, obj: 'A' });
    vm.smMap({ addr: 1024, range: 64, obj: 'B' });
    vm.insert({ addr: 3000, range: 1, obj: 'C' });
    expect(() => vm.apply(kept)).toThrow(/stale op/);
  });

  it('ops from another VM are refused; hand-built ops are accepted', () => {
    const vm = vm3();
    const other = vm3();
    expect(() => vm.apply(other.smMapOps({ addr: 2048, range: 16, obj: 'B' }))).toThrow(/another GpuVm/);
    const va = vm.applyMap({ type: 'map', addr: 2048, range: 16, obj: 'B', offset: 0 });
    expect(vm.find(2048, 16)).toBe(va);
    vm.applyUnmap({ type: 'unmap', va, keep: false });
    expect(vm.find(2048, 16)).toBeUndefined();
  });
});

describe.each(GPUVM_BACKENDS)('atomic apply (%s)', (backend) => {
  prepareBackend(backend);
  it('a bad op part-way undoes the ops before it; the good list still applies afterwards', () => {
    const vm = makeVm<string>(backend, WINDOW);
    for (let i = 0; i < 6; i++) vm.insert({ addr: 1024 + i * 32, range: 32, obj: 'A', offset: i * 32 });
    const ops = vm.smMapOps({ addr: 1040, range: 128, obj: 'B' });
    const ghost = vm.insert({ addr: 3000, range: 8, obj: 'Z' });
    vm.remove(ghost);
    const fresh = vm.smMapOps({ addr: 1040, range: 128, obj: 'B' });
    const bad: GpuVaOp<string>[] = [...fresh.slice(0, -1), { type: 'unmap', va: ghost, keep: false }, fresh.at(-1)!];
    const before = [...vm.vas()];
    expect(() => vm.apply(bad)).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: `GpuVm.apply: op ${fresh.length - 1}: the VA [3000, 3008) is not in this VM` }),
    );
    sameVas(vm, before);
    expect(() => vm.apply(ops)).toThrow(/stale/);
    vm.apply(fresh);
    expect(canonVas(vm.vas())).toEqual([
      [1024, 16, 'A', 0],
      [1040, 128, 'B', 0],
      [1168, 16, 'A', 144],
      [1184, 32, 'A', 160],
    ]);
  });

  it('unknown op types and non-arrays are EINVAL with nothing applied', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const ops = vm.smMapOps({ addr: 1024, range: 16, obj: 'A' });
    expect(() => vm.apply([...ops, { type: 'frobnicate' } as never])).toThrow(/op 1: unknown op type frobnicate/);
    expect([...vm.vas()]).toEqual([]);
    expect(() => vm.apply('ops' as never)).toThrow(einval('apply'));
    vm.apply([...ops, { type: 'prefetch', va: null as never }]);
    expect([...vm.vas()]).toHaveLength(1);
  });

  it('ENOMEM part-way restores the VM exactly', () => {
    let failures = 0;
    for (let maxNodes = 1; maxNodes <= 40; maxNodes++) {
      let vm: GpuVm<string>;
      try {
        vm = makeVm<string>(backend, { start: 0, range: 1 << 20, maxNodes });
        for (let i = 0; i < 40; i++) vm.insert({ addr: i * 64, range: 48, obj: 'A', offset: i * 64 });
      } catch (err) {
        expect(err).toMatchObject({ code: 'ENOMEM' });
        continue;
      }
      // Punch a hole in the middle of every VA: each remap turns one VA into two, so the tree
      // grows op by op. The lists come from separate requests, so hand-built copies (which
      // carry no generation) are batched into one apply.
      const before = [...vm.vas()];
      const batch = before.flatMap((va) => vm.smUnmapOps(va.addr + 16, 8).map((op) => ({ ...op }) as GpuVaOp<string>));
      try {
        vm.apply(batch);
      } catch (err) {
        expect(err).toMatchObject({ code: 'ENOMEM', message: expect.stringMatching(/^GpuVm\.apply: (op \d+: )?out of tree nodes/) });
        failures++;
        sameVas(vm, before);
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});

describe.each(GPUVM_BACKENDS)('bad requests (%s)', (backend) => {
  prepareBackend(backend);
  const calls: string[] = [];
  const ops: GpuVmOps<string> = {
    smStepMap: () => void calls.push('map'),
    smStepRemap: () => void calls.push('remap'),
    smStepUnmap: () => void calls.push('unmap'),
  };

  const badSpans: [string, number, number][] = [
    ['range 0', 2048, 0],
    ['negative range', 2048, -16],
    ['fractional range', 2048, 1.5],
    ['NaN range', 2048, Number.NaN],
    ['string range', 2048, '16' as never],
    ['infinite range', 2048, Number.POSITIVE_INFINITY],
    ['negative addr', -16, 32],
    ['fractional addr', 2048.5, 16],
    ['NaN addr', Number.NaN, 16],
    ['addr past MAX_INDEX', MAX_INDEX + 1, 1],
    ['end past MAX_INDEX', MAX_INDEX - 4, 16],
    ['below the window', 1000, 32],
    ['past the window end', 5100, 32],
    ['overlapping the kernel-reserved VA', 4000, 200],
  ];

  const methods: [string, (vm: GpuVm<string>, addr: number, range: number) => unknown][] = [
    ['smMapOps', (vm, addr, range) => vm.smMapOps({ addr, range, obj: 'A' })],
    ['smUnmapOps', (vm, addr, range) => vm.smUnmapOps(addr, range)],
    ['smMap', (vm, addr, range) => vm.smMap({ addr, range, obj: 'A' })],
    ['smUnmap', (vm, addr, range) => vm.smUnmap(addr, range)],
    ['madviseOps', (vm, addr, range) => vm.madviseOps({ addr, range })],
    ['objectsTouched', (vm, addr, range) => vm.objectsTouched({ addr, range, obj: 'A' })],
    ['insert', (vm, addr, range) => vm.insert({ addr, range, obj: 'A' })],
  ];

  it.each(methods)('%s refuses every bad span before any op or callback', (method, call) => {
    const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED, ops });
    vm.insert({ addr: 2048, range: 64, obj: 'A' });
    const gen = vm.generation;
    for (const [what, addr, range] of badSpans) {
      expect(() => call(vm, addr, range), what).toThrow(einval(method));
      expect(vm.rangeValid(addr, range), what).toBe(false);
    }
    expect(calls).toEqual([]);
    expect(vm.generation).toBe(gen);
  });

  it('bad offsets are EINVAL', () => {
    const vm = makeVm<string>(backend, { ...WINDOW, ops });
    for (const offset of [-1, 0.5, Number.NaN, MAX_INDEX - 8]) {
      expect(() => vm.smMapOps({ addr: 2048, range: 16, obj: 'A', offset }), String(offset)).toThrow(einval('smMapOps'));
      expect(() => vm.insert({ addr: 2048, range: 16, obj: 'A', offset }), String(offset)).toThrow(einval('insert'));
    }
    expect(vm.insert({ addr: 2048, range: 16, obj: 'A', offset: MAX_INDEX - 15 }).offset).toBe(MAX_INDEX - 15);
  });

  it('prefetchOps checks the span and the window but, as the kernel, not the reserved VA', () => {
    const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED });
    for (const [what, addr, range] of badSpans.slice(0, -1)) {
      expect(() => vm.prefetchOps(addr, range), what).toThrow(einval('prefetchOps'));
    }
    expect(vm.prefetchOps(4000, 200)).toEqual([{ type: 'prefetch', va: vm.reserved }]);
  });

  it('bad windows and reserved ranges are EINVAL', () => {
    const bad = [
      { start: -1, range: 16 },
      { start: 0, range: 0 },
      { start: 0.5, range: 16 },
      { start: 16, range: MAX_INDEX },
      { start: 0, range: 16, reserveOffset: -1, reserveRange: 1 },
      { start: 0, range: 16, reserveOffset: MAX_INDEX, reserveRange: 2 },
    ];
    for (const opts of bad) expect(() => makeVm<string>(backend, opts), JSON.stringify(opts)).toThrow(einval('constructor'));
  });

  it('a window may end at MAX_INDEX + 1', () => {
    const vm = makeVm<string>(backend, { start: 0, range: MAX_INDEX + 1 });
    const top = vm.insert({ addr: MAX_INDEX, range: 1, obj: 'A' });
    expect(vm.findNext(MAX_INDEX)).toBe(top);
    expect(vm.findNext(MAX_INDEX + 1)).toBeUndefined();
    expect(vm.findPrev(MAX_INDEX + 1)).toBe(top);
    const ops = vm.smMapOps({ addr: MAX_INDEX - 9, range: 10, obj: 'B' });
    expect(ops.map((op) => op.type)).toEqual(['unmap', 'map']);
    vm.apply(ops);
    expect(vm.find(MAX_INDEX - 9, 10)?.obj).toBe('B');
    expect(vm.rangeValid(0, MAX_INDEX + 1)).toBe(true);
  });
});

describe.each(GPUVM_BACKENDS)('external lock (%s)', (backend) => {
  prepareBackend(backend);
  it('every mutation and op generation asserts the lock; lookups do not', () => {
    const lock = { held: true, isHeld() { return this.held; } };
    const ops: GpuVmOps<string> = { smStepMap() {}, smStepRemap() {}, smStepUnmap() {}, vmBoValidate() {} };
    const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED, lock, ops, isExtObj: () => true });
    const va = vm.insert({ addr: 2048, range: 64, obj: 'A' });
    const vmBo = vm.obtainBo('A');
    const list = vm.smUnmapOps(2048, 16);
    lock.held = false;

    const guarded: [string, () => unknown][] = [
      ['insert', () => vm.insert({ addr: 1024, range: 16, obj: 'B' })],
      ['remove', () => vm.remove(va)],
      ['smMapOps', () => vm.smMapOps({ addr: 2048, range: 16, obj: 'B' })],
      ['smUnmapOps', () => vm.smUnmapOps(2048, 16)],
      ['smMap', () => vm.smMap({ addr: 2048, range: 16, obj: 'B' })],
      ['smUnmap', () => vm.smUnmap(2048, 16)],
      ['madviseOps', () => vm.madviseOps({ addr: 2048, range: 16 })],
      ['prefetchOps', () => vm.prefetchOps(2048, 16)],
      ['boUnmapOps', () => vm.boUnmapOps(vmBo)],
      ['objectsTouched', () => vm.objectsTouched({ addr: 2048, range: 16 })],
      ['applyMap', () => vm.applyMap({ type: 'map', addr: 1024, range: 16, obj: 'B', offset: 0 })],
      ['applyRemap', () => vm.applyRemap(list[0] as never)],
      ['applyUnmap', () => vm.applyUnmap({ type: 'unmap', va, keep: false })],
      ['apply', () => vm.apply(list)],
      ['obtainBo', () => vm.obtainBo('B')],
      ['putBo', () => vm.putBo(vmBo)],
      ['link', () => vm.link(va, vmBo)],
      ['unlink', () => vm.unlink(va)],
      ['extobjAdd', () => vm.extobjAdd(vmBo)],
      ['evict', () => vm.evict(vmBo, true)],
      ['validate', () => vm.validate()],
    ];
    const gen = vm.generation;
    for (const [method, call] of guarded) {
      expect(call, method).toThrow(
        expect.objectContaining({ code: 'ENOLCK', message: `GpuVm.${method}: the external lock is not held` }),
      );
    }
    expect(vm.generation).toBe(gen);
    expect(vmBo.refs).toBe(1);

    expect(vm.find(2048, 64)).toBe(va);
    expect(vm.findFirst(2000, 100)).toBe(va);
    expect([...vm.vas()]).toEqual([va, vm.reserved]);
    expect(vm.intervalEmpty(1024, 16)).toBe(true);
    expect(vm.rangeValid(1024, 16)).toBe(true);
    expect(vm.findBo('A')).toBe(vmBo);

    lock.held = true;
    vm.apply(list);
    expect(vm.find(2064, 48)?.offset).toBe(16);
  });

  it('a reserved range needs the lock held at construction', () => {
    const lock = { isHeld: () => false };
    expect(() => makeVm<string>(backend, { ...WINDOW, ...RESERVED, lock })).toThrow(
      expect.objectContaining({ code: 'ENOLCK', message: expect.stringMatching(/^GpuVm\.constructor: /) }),
    );
    expect(() => makeVm<string>(backend, { ...WINDOW, lock })).not.toThrow();
  });
});
