/**
 * Replays test/fixtures/gpuvm.json (the kernel-doc Split and Merge cases 1-15 and their note
 * variants, sm_unmap cases, a map into empty space, a bad request) in list mode and in
 * callback mode, checking the ops, the hole of each remap, and the VAs after applying.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import { type GpuVaOp, remapToUnmapRange } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
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

/** A VM holding the vector's initial mappings, and the VA -> vector id naming. */
function setup(backend: string, v: Vector, withCallbacks: (vm: GpuVm<string>) => object = () => ({})) {
  const names = new Map<GpuVa<string>, string>();
  const callbacks = {};
  const vm = makeVm<string>(backend, {
    start: v.vm.mm_start,
    range: v.vm.mm_range,
    reserveOffset: v.vm.reserve_offset,
    reserveRange: v.vm.reserve_range,
    ops: callbacks,
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
    ? vm.smMapOps({ addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? 0 })
    : vm.smUnmapOps(r.addr, r.range);
}

describe.each(GPUVM_BACKENDS)('gpuvm.json vectors (%s)', (backend) => {
  prepareBackend(backend);
  describe('list mode', () => {
    it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
      const { vm, names } = setup(backend, v);
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
    it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
      const seen: unknown[] = [];
      const { vm, names } = setup(backend, v, (vm) => ({
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
          ? vm.smMap({ addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? 0 })
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
