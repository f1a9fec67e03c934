/**
 * The GpuVm differential run shared by the number and bigint model suites: seeded random
 * map/unmap requests through
 *   - a list-mode VM (smMapOps / smUnmapOps, then apply),
 *   - a callback-mode VM (smMap / smUnmap whose callbacks apply each op as it arrives, so the
 *     VM changes under the generator's walk),
 *   - the naive model of the decision table (./gpuvmModel.ts),
 * comparing the op lists and the VA lists after every request, and the VmBo links of the
 * list-mode VM against the model's VAs per object. Addresses are numbers or bigints (typed as
 * numbers), as the VM's `keys` option says.
 */

import { expect } from 'vitest';
import type { GpuVa } from '../../src/gpuvm/GpuVa.js';
import type { GpuVm } from '../../src/gpuvm/GpuVm.js';
import type { GpuVaOp } from '../../src/gpuvm/ops.js';
import { makeVm, type VmOptions } from './gpuvmBackends.js';
import { byAddr, type CanonOp, GpuVmModel, canonOp, canonVas, type rng } from './gpuvmModel.js';

export const OBJECTS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L'];

export interface Req {
  kind: 'map' | 'unmap';
  addr: number;
  range: number;
  obj: string | null;
  offset: number;
}

export interface DifferentialSpace {
  /** The VMs' window, reserved VA and key kind. */
  vm: VmOptions<string, unknown>;
  /** The next request (inside the window, clear of the reserved VA). */
  request(r: ReturnType<typeof rng>): Req;
  requests: number;
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

function callbackVm(backend: string, options: VmOptions<string, unknown>) {
  const seen: CanonOp[] = [];
  const callbacks = {};
  const vm = makeVm<string>(backend, { ...options, ops: callbacks });
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
    const sorted = canonVas(linked).sort((a, b) => byAddr(a[0], b[0]));
    expect(sorted).toEqual(canonVas(model.vas.filter((va) => va.obj === obj)));
  }
}

/** The op kinds of the decision table (with and without keep), as shape() names them. */
export const OP_SHAPES = ['unmap', 'unmap keep', 'remap prev', 'remap next', 'remap prev+next',
  'remap prev keep', 'remap next keep', 'remap prev+next keep', 'map'];

/** Runs one seed; returns how often each op shape came up. */
export function runDifferential(backend: string, space: DifferentialSpace, r: ReturnType<typeof rng>, seed: number): Map<string, number> {
  const model = new GpuVmModel();
  const listVm = makeVm<string>(backend, space.vm);
  const cb = callbackVm(backend, space.vm);
  const tally = new Map<string, number>();
  const show = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

  for (let step = 0; step < space.requests; step++) {
    const req = space.request(r);
    const expected = req.kind === 'map' ? model.mapOps(req) : model.unmapOps(req.addr, req.range);
    const ops = req.kind === 'map' ? listVm.smMapOps(req) : listVm.smUnmapOps(req.addr, req.range);
    const where = `seed ${seed} step ${step} ${show(req)}`;
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
  return tally;
}

function shape(op: CanonOp): string {
  if (op[0] === 'map') return 'map';
  if (op[0] === 'unmap') return op[2] ? 'unmap keep' : 'unmap';
  if (op[0] !== 'remap') return op[0];
  const parts = [op[3] && 'prev', op[4] && 'next'].filter(Boolean).join('+');
  return `remap ${parts}${op[2] ? ' keep' : ''}`;
}
