/**
 * Bigint VMs (`keys: 'bigint'`) against the naive model over the whole u64 space, and against
 * number VMs below 2^53.
 *
 * The differential window is all of [0, 2^64) with the kernel-reserved VA at its start;
 * requests fall in four clusters — just above the reserved VA, across 2^53 (where numbers stop
 * being exact), across 2^63 (the sign bit of the i64 the WASM core receives) and at the very
 * top, ending at 2^64 — and half of the mapped ones continue their object's offset from near
 * 2^64, so remnant offsets near 2^64 come up all the time.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import { GPUVM_BACKENDS_64, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { type DifferentialSpace, OBJECTS, OP_SHAPES, type Req, runDifferential } from './support/gpuvmDifferential.js';
import { canonOp, canonVas, rng } from './support/gpuvmModel.js';

const TOP = 2n ** 64n;
/** Addresses of one cluster: [base, base + SPAN). */
const SPAN = 2048n;
const RESERVED = 16n;
const CLUSTERS = [RESERVED, 2n ** 53n - SPAN / 2n, 2n ** 63n - SPAN / 2n, TOP - SPAN];
/** Object i's offsets continue from OFFSET_BASE[i] at its cluster's base (offset + range <= 2^64). */
const OFFSET_BASE = OBJECTS.map((_, i) => TOP - (2n ** 20n) * BigInt(i + 1));
const SEEDS = [1, 2];

/** Typed as the number the test helpers carry; a bigint at run time. */
const key = (v: bigint): number => v as unknown as number;

function bigintRequest(r: ReturnType<typeof rng>): Req {
  const kind = r.next() < 0.72 ? 'map' : 'unmap';
  const base = CLUSTERS[r.int(0, CLUSTERS.length - 1)];
  const at = BigInt(r.int(0, Number(SPAN) - 1));
  const room = SPAN - at;
  const want = BigInt(r.next() < 0.85 ? r.int(1, 96) : r.int(1, 600));
  const range = want < room ? want : room;
  const objIndex = r.int(0, OBJECTS.length - 1);
  const obj = r.next() < 0.15 ? null : OBJECTS[objIndex];
  const offset = obj !== null && r.next() < 0.5 ? OFFSET_BASE[objIndex] + at : randomOffset(r, range);
  return { kind, addr: key(base + at), range: key(range), obj, offset: key(offset) };
}

/** An offset near 0, across 2^53, or as close to 2^64 as the range allows. */
function randomOffset(r: ReturnType<typeof rng>, range: bigint): bigint {
  const jitter = BigInt(r.int(0, 4096));
  const where = r.int(0, 2);
  if (where === 0) return jitter;
  if (where === 1) return 2n ** 53n - 2048n + jitter;
  return TOP - range - jitter;
}

const SPACE: DifferentialSpace = {
  vm: { start: key(0n), range: key(TOP), reserveOffset: key(0n), reserveRange: key(RESERVED), keys: 'bigint' },
  request: bigintRequest,
  requests: 2_500,
};

/** The bigint TS core is slower than the number one; a loaded 2-core machine slower still. */
const TIMEOUT = 180_000;

describe.each(GPUVM_BACKENDS_64)('bigint VM: split/merge against the naive model over the u64 space (%s)', (backend) => {
  prepareBackend(backend);
  it.each(SEEDS)('seed %i', (seed) => {
    const tally = runDifferential(backend, SPACE, rng(seed), seed);
    for (const kind of OP_SHAPES) expect(tally.get(kind) ?? 0, kind).toBeGreaterThan(2);
  }, TIMEOUT);
});

// ---------------------------------------------------------------- bigint vs number below 2^53

/** Windows of a number VM: a low one, and one ending at the number VMs' limit 2^53. */
const NUMBER_WINDOWS = [
  { start: 64, range: 2048, reserveOffset: 64 + 2048 - 128, reserveRange: 128 },
  { start: 2 ** 53 - 4096, range: 4096, reserveOffset: 2 ** 53 - 4096, reserveRange: 64 },
];

type Window = (typeof NUMBER_WINDOWS)[number];

function numberRequest(r: ReturnType<typeof rng>, w: Window): Req {
  const low = w.reserveOffset === w.start ? w.start + w.reserveRange : w.start;
  const high = w.reserveOffset === w.start ? w.start + w.range : w.reserveOffset;
  const kind = r.next() < 0.72 ? 'map' : 'unmap';
  const addr = r.int(low, high - 1);
  const range = Math.min(high - addr, r.next() < 0.85 ? r.int(1, 96) : r.int(1, 600));
  const objIndex = r.int(0, OBJECTS.length - 1);
  const obj = r.next() < 0.15 ? null : OBJECTS[objIndex];
  // Offsets up to the number VMs' limit: offset + range <= 2^53.
  const offset = obj !== null && r.next() < 0.5 ? 2 ** 52 + 1000 * objIndex + (addr - w.start) : r.int(0, 2 ** 53 - 1 - range);
  return { kind, addr, range, obj, offset };
}

/** A number-VM value as the bigint VM takes it. */
function wide<T>(value: T): T {
  if (typeof value === 'number') return BigInt(value) as unknown as T;
  if (Array.isArray(value)) return value.map(wide) as unknown as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'kind' || k === 'obj' ? v : wide(v)])) as T;
  }
  return value;
}

function run(vm: GpuVm<string>, req: Req) {
  const ops = req.kind === 'map' ? vm.smMapOps(req) : vm.smUnmapOps(req.addr, req.range);
  vm.apply(ops);
  return ops.map(canonOp);
}

describe.each(GPUVM_BACKENDS_64)('bigint and number VMs agree below 2^53 (%s)', (backend) => {
  prepareBackend(backend);
  it.each(NUMBER_WINDOWS.map((w, i) => [i, w] as const))('window %i', (i, w) => {
    const r = rng(100 + i);
    const narrow = makeVm<string>(backend, w);
    const big = makeVm<string>(backend, { ...wide(w), keys: 'bigint' });
    for (let step = 0; step < 2_000; step++) {
      const req = numberRequest(r, w);
      const where = `window ${i} step ${step} ${JSON.stringify(req)}`;
      expect(run(big, wide(req)), where).toEqual(wide(run(narrow, req)));
      if (step % 500 === 0) {
        expect(canonVas(big.vas())).toEqual(wide(canonVas(narrow.vas())));
        big._tree.validate();
      }
    }
    expect(canonVas(big.vas())).toEqual(wide(canonVas(narrow.vas())));
    expect(big.generation).toBe(narrow.generation);
  }, TIMEOUT);
});
