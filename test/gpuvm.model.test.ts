/**
 * Differential test: seeded random map/unmap requests over many objects, run through
 *   - a list-mode VM (smMapOps / smUnmapOps, then apply),
 *   - a callback-mode VM (smMap / smUnmap whose callbacks apply each op as it arrives, so the
 *     VM changes under the generator's walk),
 *   - the naive model of the decision table,
 * comparing the op lists and the VA lists after every request, and the VmBo links of the
 * list-mode VM against the model's VAs per object.
 */

import { describe, expect, it } from 'vitest';
import type { GpuVa } from '../src/gpuvm/GpuVa.js';
import type { GpuVm } from '../src/gpuvm/GpuVm.js';
import type { GpuVaOp } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { type CanonOp, GpuVmModel, canonOp, canonVas, rng } from './support/gpuvmModel.js';

const OBJECTS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L'];
/** Each object's VA-to-offset delta when a request is "contiguous" with earlier ones. */
const BASE: Record<string, number> = Object.fromEntries(OBJECTS.map((o, i) => [o, 100_000 * (i + 1)]));
const WINDOW = { start: 64, range: 2048 };
const RESERVED = { reserveOffset: 64 + 2048 - 128, reserveRange: 128 };
const USABLE_END = RESERVED.reserveOffset;
const REQUESTS_PER_SEED = 5_000;
const SEEDS = [1, 2, 3, 4];

interface Req {
  kind: 'map' | 'unmap';
  addr: number;
  range: number;
  obj: string | null;
  offset: number;
}

function randomRequest(r: ReturnType<typeof rng>): Req {
  const kind = r.next() < 0.72 ? 'map' : 'unmap';
  const addr = r.int(WINDOW.start, USABLE_END - 1);
  const maxRange = USABLE_END - addr;
  const range = Math.min(maxRange, r.next() < 0.85 ? r.int(1, 96) : r.int(1, 600));
  const obj = r.next() < 0.15 ? null : r.pick(OBJECTS);
  const offset = obj !== null && r.next() < 0.5 ? BASE[obj] + addr : r.int(0, 4096);
  return { kind, addr, range, obj, offset };
}

/** Links VAs created by ops to their VmBo and unlinks VAs the ops removed. */
function relink(vm: GpuVm<string>, ops: GpuVaOp<string>[], created: GpuVa<string>[]): void {
  for (const op of ops) {
    if (op.type === 'unmap') vm.unlink(op.va);
    if (op.type === 'remap') vm.unlink(op.unmap.va);
  }
  for (const va of created) {
    if (va.obj === null) continue;
    const vmBo = vm.obtainBo(va.obj);
    vm.link(va, vmBo);
    vm.putBo(vmBo);
  }
}

function applyWithCreated(vm: GpuVm<string>, ops: GpuVaOp<string>[]): GpuVa<string>[] {
  const created: GpuVa<string>[] = [];
  for (const op of ops) {
    if (op.type === 'map') created.push(vm.applyMap(op));
    if (op.type === 'remap') {
      const { prev, next } = vm.applyRemap(op);
      if (prev) created.push(prev);
      if (next) created.push(next);
    }
    if (op.type === 'unmap') vm.applyUnmap(op);
  }
  return created;
}

function callbackVm(backend: string) {
  const seen: CanonOp[] = [];
  const callbacks = {};
  const vm = makeVm<string>(backend, { ...WINDOW, ...RESERVED, ops: callbacks });
  Object.assign(callbacks, {
    smStepMap(op: GpuVaOp<string> & { type: 'map' }) {
      seen.push(canonOp(op));
      vm.applyMap(op);
    },
    smStepRemap(op: GpuVaOp<string> & { type: 'remap' }) {
      seen.push(canonOp(op));
      vm.applyRemap(op);
    },
    smStepUnmap(op: GpuVaOp<string> & { type: 'unmap' }) {
      seen.push(canonOp(op));
      vm.applyUnmap(op);
    },
  });
  return { vm, seen };
}

function checkLinks(vm: GpuVm<string>, model: GpuVmModel): void {
  for (const obj of OBJECTS) {
    const linked = vm.findBo(obj)?.vas ?? [];
    const sorted = canonVas(linked).sort((a, b) => a[0] - b[0]);
    expect(sorted).toEqual(canonVas(model.vas.filter((va) => va.obj === obj)));
  }
}

describe.each(GPUVM_BACKENDS)('split/merge against the naive model (%s)', (backend) => {
  prepareBackend(backend);
  it.each(SEEDS)('seed %i', (seed) => {
    const r = rng(seed);
    const model = new GpuVmModel();
    const listVm = makeVm<string>(backend, { ...WINDOW, ...RESERVED });
    const cb = callbackVm(backend);
    const tally = new Map<string, number>();

    for (let step = 0; step < REQUESTS_PER_SEED; step++) {
      const req = randomRequest(r);
      const expected = req.kind === 'map' ? model.mapOps(req) : model.unmapOps(req.addr, req.range);
      const ops = req.kind === 'map' ? listVm.smMapOps(req) : listVm.smUnmapOps(req.addr, req.range);
      const where = `seed ${seed} step ${step} ${JSON.stringify(req)}`;
      expect(ops.map(canonOp), where).toEqual(expected);
      for (const op of expected) tally.set(shape(op), (tally.get(shape(op)) ?? 0) + 1);

      cb.seen.length = 0;
      if (req.kind === 'map') cb.vm.smMap(req);
      else cb.vm.smUnmap(req.addr, req.range);
      expect(cb.seen, where).toEqual(expected);

      relink(listVm, ops, applyWithCreated(listVm, ops));
      model.apply(expected);
      const want = canonVas(model.vas);
      const user = (vm: GpuVm<string>) => [...vm.vas()].filter((va) => va !== vm.reserved);
      expect(canonVas(user(listVm)), where).toEqual(want);
      expect(canonVas(user(cb.vm)), where).toEqual(want);
      if (step % 500 === 0) {
        checkLinks(listVm, model);
        listVm._tree.validate();
        cb.vm._tree.validate();
      }
    }
    checkLinks(listVm, model);
    // Every row kind of the decision table came up, with and without keep.
    for (const kind of ['unmap', 'unmap keep', 'remap prev', 'remap next', 'remap prev+next',
      'remap prev keep', 'remap next keep', 'remap prev+next keep', 'map']) {
      expect(tally.get(kind) ?? 0, kind).toBeGreaterThan(2);
    }
  });
});

function shape(op: CanonOp): string {
  if (op[0] === 'map') return 'map';
  if (op[0] === 'unmap') return op[2] ? 'unmap keep' : 'unmap';
  if (op[0] !== 'remap') return op[0];
  const parts = [op[3] && 'prev', op[4] && 'next'].filter(Boolean).join('+');
  return `remap ${parts}${op[2] ? ' keep' : ''}`;
}
