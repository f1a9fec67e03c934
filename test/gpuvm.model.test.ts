/**
 * Differential test of number VMs: seeded random map/unmap requests over many objects in a
 * small window, through a list-mode VM, a callback-mode VM and the naive model
 * (support/gpuvmDifferential.ts), every row kind of the decision table coming up.
 */

import { describe, expect, it } from 'vitest';
import { GPUVM_BACKENDS, prepareBackend } from './support/gpuvmBackends.js';
import { type DifferentialSpace, OBJECTS, OP_SHAPES, type Req, runDifferential } from './support/gpuvmDifferential.js';
import { rng } from './support/gpuvmModel.js';

/** Each object's VA-to-offset delta when a request is "contiguous" with earlier ones. */
const BASE: Record<string, number> = Object.fromEntries(OBJECTS.map((o, i) => [o, 100_000 * (i + 1)]));
const WINDOW = { start: 64, range: 2048 };
const RESERVED = { reserveOffset: 64 + 2048 - 128, reserveRange: 128 };
const USABLE_END = RESERVED.reserveOffset;
const SEEDS = [1, 2, 3, 4];

function randomRequest(r: ReturnType<typeof rng>): Req {
  const kind = r.next() < 0.72 ? 'map' : 'unmap';
  const addr = r.int(WINDOW.start, USABLE_END - 1);
  const maxRange = USABLE_END - addr;
  const range = Math.min(maxRange, r.next() < 0.85 ? r.int(1, 96) : r.int(1, 600));
  const obj = r.next() < 0.15 ? null : r.pick(OBJECTS);
  const offset = obj !== null && r.next() < 0.5 ? BASE[obj] + addr : r.int(0, 4096);
  return { kind, addr, range, obj, offset };
}

const SPACE: DifferentialSpace = { vm: { ...WINDOW, ...RESERVED }, request: randomRequest, requests: 5_000 };

describe.each(GPUVM_BACKENDS)('split/merge against the naive model (%s)', (backend) => {
  prepareBackend(backend);
  it.each(SEEDS)('seed %i', (seed) => {
    const tally = runDifferential(backend, SPACE, rng(seed), seed);
    // Every row kind of the decision table came up, with and without keep.
    for (const kind of OP_SHAPES) expect(tally.get(kind) ?? 0, kind).toBeGreaterThan(2);
  });
});
