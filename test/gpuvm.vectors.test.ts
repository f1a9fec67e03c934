/**
 * Replays test/fixtures/gpuvm.json (the kernel-doc Split and Merge cases 1-15 and their note
 * variants, sm_unmap cases, a map into empty space, a bad request) in list mode and in
 * callback mode, checking the ops, the hole of each remap, and the VAs after applying.
 *
 * Number VMs replay the vectors as they are. Bigint VMs (`keys: 'bigint'`) replay them at full
 * width twice: with every value read exactly as a u64 (the fixture keeps integers above 2^53 as
 * decimal strings; today it has none), and moved to the top of the u64 space — addresses so
 * that the window ends at 2^64, offsets so that the largest offset + range is 2^64 — where
 * every address, remnant offset and hole must come out exact.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import { type GpuVaOp, remapToUnmapRange } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, GPUVM_BACKENDS_64, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { treeFailure } from './support/treeFailure.js';

interface VecMapping {
  id?: string;
  addr: number;
  range: number;
  bo: string | null;
  offset: number;
}

interface Vector {
  id: string;
  vm: { mm_start: number; mm_range: number; reserve_offset: number; reserve_range: number };
  initial: VecMapping[];
  request: { kind: 'map' | 'unmap'; addr: number; range: number; bo?: string | null; offset?: number };
  expected_ops: unknown[];
  expected_final: VecMapping[] | null;
  expected_error?: string;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./fixtures/gpuvm.json', import.meta.url), 'utf8'),
).vectors;

/** Which fields of a vector hold addresses, and which hold lengths or offsets. */
const ADDRESS_FIELDS = new Set(['addr', 'mm_start', 'reserve_offset']);
const OFFSET_FIELDS = new Set(['offset']);
const LENGTH_FIELDS = new Set(['range', 'mm_range', 'reserve_range']);

/** A vector number read exactly (a decimal string above 2^53, or a JSON number). */
const u64 = (value: unknown): bigint => BigInt(value as string | number);

/**
 * The vector with every address, length and offset a bigint: read exactly, addresses moved by
 * addrShift and offsets by offShift. Typed as the number vector (the VM's key type at run time).
 */
function rekeyed(value: unknown, addrShift: bigint, offShift: bigint, field = ''): unknown {
  if (Array.isArray(value)) return value.map((x) => rekeyed(x, addrShift, offShift, field));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, rekeyed(x, addrShift, offShift, k)]));
  }
  if (ADDRESS_FIELDS.has(field)) return u64(value) + addrShift;
  if (OFFSET_FIELDS.has(field)) return u64(value) + offShift;
  if (LENGTH_FIELDS.has(field)) return u64(value);
  return value;
}

/** The largest offset + range anywhere in v (every mapping fits below it). */
function offsetTop(v: Vector): bigint {
  let top = 0n;
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if ('offset' in o && 'range' in o) top = [top, u64(o.offset) + u64(o.range)].reduce((a, b) => (a > b ? a : b));
      Object.values(o).forEach(visit);
    }
  };
  visit(v);
  return top;
}

const TOP = 2n ** 64n;

/** The vector at full width: as it is, or moved to the top of the u64 space. */
function fullWidth(v: Vector, top: boolean): Vector {
  const addrShift = top ? TOP - (u64(v.vm.mm_start) + u64(v.vm.mm_range)) : 0n;
  const offShift = top ? TOP - offsetTop(v) : 0n;
  return rekeyed(v, addrShift, offShift) as Vector;
}

/** A replay: the vectors as the VMs of one key kind see them. */
interface Replay {
  label: string;
  backends: string[];
  keys: 'number' | 'bigint';
  vector(v: Vector): Vector;
}

const REPLAYS: Replay[] = [
  { label: 'number keys', backends: GPUVM_BACKENDS, keys: 'number', vector: (v) => v },
  { label: 'bigint keys, as they are', backends: GPUVM_BACKENDS_64, keys: 'bigint', vector: (v) => fullWidth(v, false) },
  { label: 'bigint keys, at the top of the space', backends: GPUVM_BACKENDS_64, keys: 'bigint', vector: (v) => fullWidth(v, true) },
];

/** A VM holding the vector's initial mappings, and the VA -> vector id naming. */
function setup(backend: string, keys: Replay['keys'], v: Vector, withCallbacks: (vm: GpuVm<string>) => object = () => ({})) {
  const names = new Map<GpuVa<string>, string>();
  const callbacks = {};
  const vm = makeVm<string>(backend, {
    start: v.vm.mm_start,
    range: v.vm.mm_range,
    reserveOffset: v.vm.reserve_offset,
    reserveRange: v.vm.reserve_range,
    ops: callbacks,
    ...(keys === 'bigint' && { keys }),
  });
  // The VM keeps the ops object it was given, so callbacks can be filled in once vm exists.
  Object.assign(callbacks, withCallbacks(vm));
  for (const m of v.initial) {
    names.set(vm.insert({ addr: m.addr, range: m.range, obj: m.bo, offset: m.offset }), m.id!);
  }
  return { vm, names };
}

function piece(p: { addr: number; range: number; obj: string | null; offset: number } | null) {
  return p && { addr: p.addr, range: p.range, bo: p.obj, offset: p.offset };
}

/** An op in the fixture's notation. */
function vectorOp(op: GpuVaOp<string>, names: Map<GpuVa<string>, string>): unknown {
  switch (op.type) {
    case 'map':
      return { op: 'map', addr: op.addr, range: op.range, bo: op.obj, offset: op.offset };
    case 'unmap':
      return { op: 'unmap', va: names.get(op.va), keep: op.keep };
    case 'remap':
      return {
        op: 'remap',
        unmap: { va: names.get(op.unmap.va), keep: op.unmap.keep },
        prev: piece(op.prev),
        next: piece(op.next),
        hole: remapToUnmapRange(op),
      };
    default:
      throw new Error(`unexpected ${op.type}`);
  }
}

/** toEqual, with the VM's tree dump in the message when it fails. */
function expectVm(vm: GpuVm<string>, got: unknown, want: unknown, context: string): void {
  try {
    expect(got).toEqual(want);
  } catch (err) {
    throw treeFailure(`${context}\n${(err as Error).message}`, { 'VA tree': vm._tree });
  }
}

function finalVas(vm: GpuVm<string>) {
  return [...vm.vas()].filter((va) => va !== vm.reserved).map((va) => piece(va));
}

function request(vm: GpuVm<string>, v: Vector): GpuVaOp<string>[] {
  const r = v.request;
  return r.kind === 'map'
    ? vm.smMapOps({ addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? vm._keys.zero })
    : vm.smUnmapOps(r.addr, r.range);
}

describe.each(REPLAYS.flatMap((replay) => replay.backends.map((backend) => [replay.label, backend, replay] as const)))(
  'gpuvm.json vectors (%s, %s)', (_label, backend, replay) => {
  prepareBackend(backend);
  const cases = vectors.map((v) => [v.id, replay.vector(v)] as const);
  describe('list mode', () => {
    it.each(cases)('%s', (_id, v) => {
      const { vm, names } = setup(backend, replay.keys, v);
      if (v.expected_error) {
        const before = vm.generation;
        expect(() => request(vm, v)).toThrow(expect.objectContaining({ code: v.expected_error }));
        expect(vm.generation).toBe(before);
        return;
      }
      const ops = request(vm, v);
      expectVm(vm, ops.map((op) => vectorOp(op, names)), v.expected_ops, `${v.id}: ops`);
      vm.apply(ops);
      expectVm(vm, finalVas(vm), v.expected_final, `${v.id}: VAs after apply`);
      vm._tree.validate();
    });
  });

  describe('callback mode', () => {
    it.each(cases)('%s', (_id, v) => {
      const seen: unknown[] = [];
      const { vm, names } = setup(backend, replay.keys, v, (vm) => ({
        smStepMap: (op: GpuVaOp<string> & { type: 'map' }) => {
          seen.push(vectorOp(op, names));
          vm.applyMap(op);
        },
        smStepRemap: (op: GpuVaOp<string> & { type: 'remap' }) => {
          seen.push(vectorOp(op, names));
          vm.applyRemap(op);
        },
        smStepUnmap: (op: GpuVaOp<string> & { type: 'unmap' }) => {
          seen.push(vectorOp(op, names));
          vm.applyUnmap(op);
        },
      }));
      const r = v.request;
      const run = () =>
        r.kind === 'map'
          ? vm.smMap({ addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? vm._keys.zero })
          : vm.smUnmap(r.addr, r.range);
      if (v.expected_error) {
        expect(run).toThrow(expect.objectContaining({ code: v.expected_error }));
        expect(seen).toEqual([]);
        return;
      }
      run();
      expectVm(vm, seen, v.expected_ops, `${v.id}: callback steps`);
      expectVm(vm, finalVas(vm), v.expected_final, `${v.id}: VAs after the callbacks`);
      vm._tree.validate();
    });
  });
});
