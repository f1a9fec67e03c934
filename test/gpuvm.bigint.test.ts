/**
 * Bigint VMs (`keys: 'bigint'`) at the top of the u64 space, and every way of giving one a bad
 * key: windows ending at 2^64, VAs at 2^64 − k, remnant offsets near 2^64 exact to the unit,
 * numbers on a bigint VM and bigints on a number VM, negatives, fractions and overflows past
 * 2^64 refused with EINVAL before anything changes.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import { type GpuVaOp, remapToUnmapRange } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS_64, makeVm, makeVmOf, prepareBackend } from './support/gpuvmBackends.js';
import { canonVas } from './support/gpuvmModel.js';

const TOP = 2n ** 64n;
/** Typed as the number the VM's types say; a bigint at run time. */
const k = (v: bigint): number => v as unknown as number;
/** The bigint behind a key the VM returned. */
const big = (v: number): bigint => v as unknown as bigint;

const einval = (method: string) =>
  expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(new RegExp(`^GpuVm\\.${method}: `)) });

function topVm(backend: string, extra: object = {}): GpuVm<string> {
  return makeVm<string>(backend, { start: k(TOP - 2n ** 40n), range: k(2n ** 40n), keys: 'bigint', ...extra });
}

/** Every method that takes a span, called with addr and range. */
const SPAN_METHODS: [string, (vm: GpuVm<string>, addr: number, range: number) => unknown][] = [
  ['smMapOps', (vm, addr, range) => vm.smMapOps({ addr, range, obj: 'A' })],
  ['smUnmapOps', (vm, addr, range) => vm.smUnmapOps(addr, range)],
  ['smMap', (vm, addr, range) => vm.smMap({ addr, range, obj: 'A' })],
  ['smUnmap', (vm, addr, range) => vm.smUnmap(addr, range)],
  ['madviseOps', (vm, addr, range) => vm.madviseOps({ addr, range })],
  ['prefetchOps', (vm, addr, range) => vm.prefetchOps(addr, range)],
  ['objectsTouched', (vm, addr, range) => vm.objectsTouched({ addr, range, obj: 'A' })],
  ['insert', (vm, addr, range) => vm.insert({ addr, range, obj: 'A' })],
  ['prepare', (vm, addr, range) => vm.prepare({ addr, range, obj: 'A' })],
  ['intervalEmpty', (vm, addr, range) => vm.intervalEmpty(addr, range)],
  ['find', (vm, addr, range) => vm.find(addr, range)],
  ['findFirst', (vm, addr, range) => vm.findFirst(addr, range)],
  ['vas', (vm, addr, range) => vm.vas(addr, range)],
];

const noop = () => undefined;
const CALLBACKS = { smStepMap: noop, smStepRemap: noop, smStepUnmap: noop };

describe.each(GPUVM_BACKENDS_64)('bigint VM at the top of the u64 space (%s)', (backend) => {
  prepareBackend(backend);

  it('a window ending at 2^64 holds VAs up to 2^64 − 1', () => {
    const vm = makeVm<string>(backend, { start: k(0n), range: k(TOP), keys: 'bigint' });
    expect(vm.keys).toBe('bigint');
    expect(big(vm.end)).toBe(TOP);
    const top = vm.insert({ addr: k(TOP - 1n), range: k(1n), obj: 'A', offset: k(TOP - 1n) });
    const below = vm.insert({ addr: k(TOP - 4097n), range: k(4096n), obj: 'B', offset: k(TOP - 4096n) });
    expect(big(top.end)).toBe(TOP);
    expect(vm.findNext(k(TOP - 1n))).toBe(top);
    expect(vm.findNext(k(TOP))).toBeUndefined();
    expect(vm.findPrev(k(TOP))).toBe(top);
    expect(vm.findPrev(k(TOP - 1n))).toBe(below);
    expect(vm.find(k(TOP - 1n), k(1n))).toBe(top);
    expect(vm.findFirst(k(TOP - 2n ** 20n), k(2n ** 20n))).toBe(below);
    expect([...vm.vas(k(TOP - 4097n))]).toEqual([below, top]);
    expect([...vm]).toEqual([below, top]);
    expect(vm.rangeValid(k(0n), k(TOP))).toBe(true);
    expect(vm.rangeValid(k(TOP - 1n), k(2n))).toBe(false);
    expect(vm.intervalEmpty(k(2n ** 63n), k(2n ** 62n))).toBe(true);
    expect(vm.toString()).toBe('[object GpuVm]');
    vm._tree.validate();
  });

  it('remnant offsets near 2^64 are exact', () => {
    const vm = topVm(backend);
    const addr = TOP - 2n ** 20n;
    const offset = TOP - 2n ** 20n - 7n; // offset + range = 2^64 − 7
    const va = vm.insert({ addr: k(addr), range: k(2n ** 20n), obj: 'A', offset: k(offset) });
    const ops = vm.smUnmapOps(k(addr + 0x1000n), k(0x2000n));
    expect(ops).toHaveLength(1);
    const op = ops[0] as GpuVaOp<string> & { type: 'remap' };
    expect(op.unmap.va).toBe(va);
    expect(op.prev).toEqual({ addr: addr, range: 0x1000n, obj: 'A', offset });
    expect(op.next).toEqual({ addr: addr + 0x3000n, range: 2n ** 20n - 0x3000n, obj: 'A', offset: offset + 0x3000n });
    expect(remapToUnmapRange(op)).toEqual({ addr: addr + 0x1000n, range: 0x2000n });
    const { prev, next } = vm.applyRemap(op);
    expect(big(next!.offset) + big(next!.range)).toBe(TOP - 7n);
    expect(canonVas(vm.vas())).toEqual([
      [addr, 0x1000n, 'A', offset],
      [addr + 0x3000n, 2n ** 20n - 0x3000n, 'A', offset + 0x3000n],
    ]);
    expect(prev!.vm).toBe(vm);
    vm._tree.validate();
  });

  it('maps over the last unit, with keep and merge, and madvise splits at the top', () => {
    const vm = topVm(backend);
    const a = vm.insert({ addr: k(TOP - 0x3000n), range: k(0x1000n), obj: 'A', offset: k(TOP - 0x3000n) });
    vm.insert({ addr: k(TOP - 0x1000n), range: k(0x1000n), obj: 'A', offset: k(TOP - 0x1000n) });
    // The request fills the hole with A's continuing offset: merge widens it over both neighbours.
    const ops = vm.smMapOps({ addr: k(TOP - 0x2000n), range: k(0x1000n), obj: 'A', offset: k(TOP - 0x2000n) }, { merge: true });
    expect(ops.map((op) => op.type)).toEqual(['unmap', 'unmap', 'map']);
    expect(ops.slice(0, 2).every((op) => op.type === 'unmap' && op.keep)).toBe(true);
    expect(ops[2]).toEqual({ type: 'map', addr: TOP - 0x3000n, range: 0x3000n, obj: 'A', offset: TOP - 0x3000n });
    expect(ops[0].type === 'unmap' && ops[0].va).toBe(a);
    vm.apply(ops);
    expect(canonVas(vm.vas())).toEqual([[TOP - 0x3000n, 0x3000n, 'A', TOP - 0x3000n]]);

    const sparse = topVm(backend);
    sparse.insert({ addr: k(TOP - 0x4000n), range: k(0x4000n), obj: null, offset: k(0n) });
    const split = sparse.madviseOps({ addr: k(TOP - 0x3000n), range: k(0x1000n) });
    expect(split.map((op) => op.type)).toEqual(['remap', 'map']);
    expect(split[1]).toEqual({ type: 'map', addr: TOP - 0x3000n, range: 0x1000n, obj: null, offset: 0n });
    sparse.apply(split);
    expect(canonVas(sparse.vas())).toEqual([
      [TOP - 0x4000n, 0x1000n, null, 0n],
      [TOP - 0x3000n, 0x1000n, null, 0n],
      [TOP - 0x2000n, 0x2000n, null, 0x2000n],
    ]);
    sparse._tree.validate();
  });

  it('callbacks, prepared jobs, prefetch and bo unmap at the top', () => {
    const seen: string[] = [];
    const ops = {
      smStepMap: (op: GpuVaOp<string> & { type: 'map' }) => void seen.push(`map ${op.addr}+${op.range}@${op.offset}`),
      smStepRemap: (op: GpuVaOp<string> & { type: 'remap' }) => void seen.push(`remap next@${op.next?.offset}`),
      smStepUnmap: () => void seen.push('unmap'),
    };
    const vm = topVm(backend, { ops });
    const va = vm.insert({ addr: k(TOP - 0x2000n), range: k(0x2000n), obj: 'A', offset: k(TOP - 0x2000n) });
    vm.link(va, vm.obtainBo('A'));
    const job = vm.prepare({ addr: k(TOP - 0x2000n), range: k(0x1000n), obj: 'B', offset: k(5n) });
    expect(job.request).toEqual({ addr: TOP - 0x2000n, range: 0x1000n, obj: 'B', offset: 5n });
    expect(job.objectsTouched).toEqual(['B', 'A']);
    job.run();
    expect(seen).toEqual([`remap next@${TOP - 0x1000n}`, `map ${TOP - 0x2000n}+${0x1000n}@5`]);
    expect(canonVas(vm.vas())).toEqual([
      [TOP - 0x2000n, 0x1000n, 'B', 5n],
      [TOP - 0x1000n, 0x1000n, 'A', TOP - 0x1000n],
    ]);
    expect(vm.prefetchOps(k(TOP - 1n), k(1n)).map((op) => op.va.addr)).toEqual([TOP - 0x1000n]);
    expect(vm.boUnmapOps(vm.findBo('A')!).map((op) => op.va)).toEqual([va]);
    vm._tree.validate();
  });

  it('a reserved VA at the top is refused to requests', () => {
    const vm = topVm(backend, { reserveOffset: k(TOP - 0x1000n), reserveRange: k(0x1000n), ops: CALLBACKS });
    expect(big(vm.reserved!.addr)).toBe(TOP - 0x1000n);
    expect(() => vm.smMapOps({ addr: k(TOP - 0x1800n), range: k(0x1000n), obj: 'A' })).toThrow(einval('smMapOps'));
    expect(vm.rangeValid(k(TOP - 0x2000n), k(0x1000n))).toBe(true);
    expect(() => vm.remove(vm.reserved!)).toThrow(einval('remove'));
  });
});

describe.each(GPUVM_BACKENDS_64)('a bigint-typed VM (%s)', (backend) => {
  prepareBackend(backend);

  // No casts: the VM is typed GpuVm<string, unknown, bigint>, and the values are the bigints its types say.
  it('takes and returns bigints as its types say: VAs, ops, remnants, VmBos, jobs, callbacks', () => {
    const steps: bigint[] = [];
    const vm = makeVmOf<string, unknown, bigint>(backend, {
      keys: 'bigint', start: TOP - 2n ** 32n, range: 2n ** 32n,
      ops: { smStepMap: (op) => void steps.push(op.addr, op.range, op.offset) },
    });
    const a = vm.insert({ addr: TOP - 0x4000n, range: 0x4000n, obj: 'A', offset: TOP - 0x4000n });
    vm.link(a, vm.obtainBo('A'));
    const end: bigint = a.end;
    expect(end).toBe(TOP);
    expect(vm.findBo('A')?.vas.map((va) => va.addr)).toEqual([TOP - 0x4000n]);
    const [op] = vm.smUnmapOps(TOP - 0x3000n, 0x1000n);
    if (op?.type !== 'remap') throw new Error('expected a remap');
    expect(remapToUnmapRange(op)).toEqual({ addr: TOP - 0x3000n, range: 0x1000n });
    expect([op.prev?.offset, op.next?.offset]).toEqual([TOP - 0x4000n, TOP - 0x2000n]);
    vm.apply([op]);
    expect(vm.find(TOP - 0x2000n, 0x2000n)?.offset).toBe(TOP - 0x2000n);
    const job = vm.prepare({ addr: TOP - 0x3000n, range: 0x1000n, obj: 'B' });
    expect(job.request.offset).toBe(0n);
    job.run();
    expect(steps).toEqual([TOP - 0x3000n, 0x1000n, 0n]);
    expect(vm.findFirst(vm.start, vm.range)?.addr).toBe(TOP - 0x4000n);
    vm._tree.validate();
  });
});

describe.each(GPUVM_BACKENDS_64)('bad keys (%s)', (backend) => {
  prepareBackend(backend);

  it('an unknown keys option is EINVAL', () => {
    for (const keys of ['BigInt', 'u64', 64, null]) {
      expect(() => makeVm<string>(backend, { start: 0, range: 16, keys: keys as never }), String(keys)).toThrow(einval('constructor'));
    }
  });

  it('bad bigint windows and reserved ranges are EINVAL', () => {
    const bad: object[] = [
      { start: 0, range: 16n },
      { start: 0n, range: 16 },
      { start: -1n, range: 16n },
      { start: 0n, range: 0n },
      { start: TOP, range: 1n },
      { start: 1n, range: TOP },
      { start: TOP - 16n, range: 17n },
      { start: 0n, range: 16n, reserveOffset: 0, reserveRange: 1n },
      { start: 0n, range: 16n, reserveOffset: TOP - 1n, reserveRange: 2n },
      { start: 0n, range: 16n, reserveOffset: -1n, reserveRange: 1n },
    ];
    for (const opts of bad) {
      expect(() => makeVm<string>(backend, { ...(opts as { start: number; range: number }), keys: 'bigint' }), String(Object.values(opts))).toThrow(einval('constructor'));
    }
  });

  it('every span method refuses numbers, negatives and overflows past 2^64 on a bigint VM, changing nothing', () => {
    const badSpans: [string, unknown, unknown][] = [
      ['number addr', 0x1000, 0x1000n],
      ['number range', k(TOP - 0x10000n), 0x1000],
      ['both numbers', 0x1000, 0x1000],
      ['fractional range', k(TOP - 0x10000n), 1.5],
      ['string addr', '4096', 0x1000n],
      ['negative addr', -1n, 2n],
      ['negative range', k(TOP - 0x10000n), -1n],
      ['range 0', k(TOP - 0x10000n), 0n],
      ['addr 2^64', TOP, 1n],
      ['addr + range past 2^64', TOP - 0x1000n, 0x1001n],
      ['range 2^64 from 1', 1n, TOP],
      ['range past 2^64', 0n, TOP + 1n],
    ];
    for (const [method, call] of SPAN_METHODS) {
      const vm = makeVm<string>(backend, { start: k(0n), range: k(TOP), keys: 'bigint', ops: CALLBACKS });
      vm.insert({ addr: k(TOP - 0x2000n), range: k(0x1000n), obj: 'A' });
      const gen = vm.generation;
      const before = [...vm.vas()];
      for (const [what, addr, range] of badSpans) {
        expect(() => call(vm, addr as number, range as number), `${method}: ${what}`).toThrow(einval(method));
        expect(vm.rangeValid(addr as number, range as number), what).toBe(false);
      }
      expect(vm.generation).toBe(gen);
      expect([...vm.vas()]).toEqual(before);
      expect(vm.pendingJobs).toBe(0);
      vm._tree.validate();
    }
  });

  it('bad offsets on a bigint VM are EINVAL; offset + range = 2^64 is the limit', () => {
    const vm = topVm(backend);
    const addr = k(TOP - 0x1000n);
    for (const offset of [16, -1n, 0.5, TOP - 0xfffn, TOP, '0']) {
      expect(() => vm.smMapOps({ addr, range: k(0x1000n), obj: 'A', offset: offset as number }), String(offset)).toThrow(einval('smMapOps'));
      expect(() => vm.insert({ addr, range: k(0x1000n), obj: 'A', offset: offset as number }), String(offset)).toThrow(einval('insert'));
    }
    expect(big(vm.insert({ addr, range: k(0x1000n), obj: 'A', offset: k(TOP - 0x1000n) }).offset)).toBe(TOP - 0x1000n);
    // The default offset is the kind's zero.
    expect(big(vm.insert({ addr: k(TOP - 0x2000n), range: k(0x1000n), obj: 'B' }).offset)).toBe(0n);
  });

  it('findPrev, findNext and vas refuse numbers and values past 2^64', () => {
    const vm = topVm(backend);
    for (const v of [0, TOP + 1n, -1n, 1.5]) {
      expect(() => vm.findPrev(v as number), String(v)).toThrow(einval('findPrev'));
      expect(() => vm.findNext(v as number), String(v)).toThrow(einval('findNext'));
      expect(() => vm.vas(v as number), String(v)).toThrow(einval('vas'));
    }
    expect([...vm.vas(k(TOP - 1n))]).toEqual([]);
  });

  it('a number VM refuses bigints everywhere', () => {
    const vm = makeVm<string>(backend, { start: 0, range: 2 ** 40, ops: CALLBACKS });
    vm.insert({ addr: 0x1000, range: 0x1000, obj: 'A' });
    const gen = vm.generation;
    for (const [method, call] of SPAN_METHODS) {
      for (const [addr, range] of [[0x1000n, 0x1000], [0x1000, 0x1000n], [0x1000n, 0x1000n]]) {
        expect(() => call(vm, addr as number, range as number), method).toThrow(einval(method));
      }
    }
    expect(() => vm.smMapOps({ addr: 0x4000, range: 0x1000, obj: 'A', offset: 0n as unknown as number })).toThrow(einval('smMapOps'));
    expect(() => vm.findPrev(16n as unknown as number)).toThrow(einval('findPrev'));
    expect(() => vm.findNext(16n as unknown as number)).toThrow(einval('findNext'));
    expect(() => makeVm<string>(backend, { start: 0n as unknown as number, range: 16 })).toThrow(einval('constructor'));
    expect(vm.generation).toBe(gen);
  });

  it('ops and VAs of one key kind are refused by a VM of the other', () => {
    const narrow = makeVm<string>(backend, { start: 0, range: 2 ** 40 });
    const wide = makeVm<string>(backend, { start: k(0n), range: k(2n ** 40n), keys: 'bigint' });
    // A hand-built MAP with the other kind's keys.
    expect(() => wide.applyMap({ type: 'map', addr: 0x1000, range: 0x1000, obj: 'A', offset: 0 })).toThrow(einval('applyMap'));
    expect(() => narrow.applyMap({ type: 'map', addr: k(0x1000n), range: k(0x1000n), obj: 'A', offset: k(0n) })).toThrow(einval('applyMap'));
    // A hand-built REMAP whose remnant mixes kinds.
    const va = wide.insert({ addr: k(0x1000n), range: k(0x3000n), obj: 'A', offset: k(0n) });
    const gen = wide.generation;
    const remap = { type: 'remap' as const, unmap: { va, keep: false }, prev: { addr: 0x1000, range: 0x1000, obj: 'A', offset: 0 }, next: null };
    expect(() => wide.applyRemap(remap)).toThrow(einval('applyRemap'));
    expect(() => remapToUnmapRange(remap)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(wide.generation).toBe(gen);
    // A removed bigint VA cannot go into a number VM.
    wide.remove(va);
    expect(() => narrow.insert(va as GpuVa<string>)).toThrow(einval('insert'));
    expect([...narrow.vas()]).toEqual([]);
    narrow._tree.validate();
    wide._tree.validate();
  });
});
