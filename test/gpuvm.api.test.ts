/**
 * Lookups, VA flags, the kernel-reserved VA, madvise / prefetch / bo_unmap op lists, the
 * objects-touched sink, and VmBo tracking with the external-object and evicted lists.
 */

import { describe, expect, it } from 'vitest';
import { GPUVA_INVALIDATED, GPUVA_SPARSE, GPUVA_USERBITS } from '../src/gpuvm/GpuVa.js';
import type { GpuVm, GpuVmOps } from '../src/gpuvm/GpuVm.js';
import { remapToUnmapRange } from '../src/gpuvm/ops.js';
import { GPUVM_BACKENDS, makeVm, prepareBackend } from './support/gpuvmBackends.js';
import { canonOp, canonVas } from './support/gpuvmModel.js';

const WINDOW = { start: 0, range: 1 << 16 };

describe.each(GPUVM_BACKENDS)('GpuVm lookups and VAs (%s)', (backend) => {
  prepareBackend(backend);

  it('insert, find, findFirst, findPrev, findNext, intervalEmpty, vas', () => {
    const vm = makeVm<string>(backend, { ...WINDOW, reserveOffset: 60000, reserveRange: 16 });
    const a = vm.insert({ addr: 0, range: 16, obj: 'A', offset: 5 });
    const b = vm.insert({ addr: 16, range: 16, obj: 'B' });
    const c = vm.insert({ addr: 64, range: 16 });
    expect(a.toJSON()).toEqual({ addr: 0, range: 16, obj: 'A', offset: 5, flags: 0 });
    expect(c.obj).toBeNull();
    expect(vm.find(16, 16)).toBe(b);
    expect(vm.find(16, 8)).toBeUndefined();
    expect(vm.findFirst(8, 100)).toBe(a);
    expect(vm.findFirst(32, 32)).toBeUndefined();
    expect(vm.findPrev(16)).toBe(a);
    expect(vm.findPrev(64)).toBeUndefined();
    expect(vm.findPrev(0)).toBeUndefined();
    expect(vm.findNext(16)).toBe(b);
    expect(vm.findNext(32)).toBeUndefined();
    expect(vm.intervalEmpty(32, 32)).toBe(true);
    expect(vm.intervalEmpty(32, 33)).toBe(false);
    expect(vm.intervalEmpty(60008, 1)).toBe(false);
    expect([...vm.vas()]).toEqual([a, b, c, vm.reserved]);
    expect([...vm.vas(20, 50)]).toEqual([b, c]);
    expect(() => vm.insert({ addr: 8, range: 16, obj: 'X' })).toThrow(
      expect.objectContaining({ code: 'EEXIST', message: 'GpuVm.insert: [8, 24) overlaps an existing VA' }),
    );
    vm.remove(b);
    expect(b.vm).toBeNull();
    expect(() => vm.remove(b)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => vm.remove(vm.reserved!)).toThrow(/kernel-reserved VA cannot be removed/);
    expect(vm.insert(b)).toBe(b);
    expect(vm.find(16, 16)).toBe(b);
  });

  it('flags: invalidated, sparse and driver bits', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const va = vm.insert({ addr: 0, range: 16, flags: GPUVA_SPARSE | (GPUVA_USERBITS << 1) });
    expect(va.invalidated).toBe(false);
    va.invalidate();
    expect(va.flags).toBe(GPUVA_INVALIDATED | GPUVA_SPARSE | (GPUVA_USERBITS << 1));
    va.invalidate(false);
    expect(va.invalidated).toBe(false);
    expect(() => vm.insert({ addr: 32, range: 1, flags: -1 })).toThrow(/flags/);
  });

  it('remapToUnmapRange is the hole between the remnants', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const va = vm.insert({ addr: 0, range: 0x100000 >> 4, obj: 'A' });
    const [prevOnly] = vm.smUnmapOps(0x1000, 0xf000);
    expect(remapToUnmapRange(prevOnly as never)).toEqual({ addr: 0x1000, range: 0xf000 });
    const [both] = vm.smUnmapOps(16, 16);
    expect(remapToUnmapRange(both as never)).toEqual({ addr: 16, range: 16 });
    const [nextOnly] = vm.smUnmapOps(0, 16);
    expect(remapToUnmapRange(nextOnly as never)).toEqual({ addr: va.addr, range: 16 });
  });
});

describe.each(GPUVM_BACKENDS)('madvise, prefetch, bo_unmap, objectsTouched (%s)', (backend) => {
  prepareBackend(backend);

  it('madviseOps: splits NULL-object VAs only, never unmaps, may return nothing', () => {
    const vm = makeVm<string>(backend, WINDOW);
    vm.insert({ addr: 0, range: 64 });
    // Centred inside one NULL VA: REMAP(prev, next) then MAP of the request.
    expect(vm.madviseOps({ addr: 20, range: 20 }).map(canonOp)).toEqual([
      ['remap', '0+64:null@0', false, [0, 20, null, 0], [40, 24, null, 40]],
      ['map', 20, 20, null, 0],
    ]);
    // Both ends aligned: nothing to split.
    expect(vm.madviseOps({ addr: 0, range: 64 })).toEqual([]);
    // Left-aligned: REMAP(next) then MAP.
    expect(vm.madviseOps({ addr: 0, range: 16 }).map(canonOp)).toEqual([
      ['remap', '0+64:null@0', false, null, [16, 48, null, 16]],
      ['map', 0, 16, null, 0],
    ]);

    const two = makeVm<string>(backend, WINDOW);
    two.insert({ addr: 0, range: 16 });
    two.insert({ addr: 16, range: 48 });
    // Spanning two NULL VAs: each split is followed by a MAP of its covered part.
    expect(two.madviseOps({ addr: 8, range: 32 }).map(canonOp)).toEqual([
      ['remap', '0+16:null@0', false, [0, 8, null, 0], null],
      ['map', 8, 8, null, 0],
      ['remap', '16+48:null@0', false, null, [40, 24, null, 24]],
      ['map', 16, 24, null, 0],
    ]);

    const mixed = makeVm<string>(backend, WINDOW);
    mixed.insert({ addr: 0, range: 16, obj: 'A' });
    mixed.insert({ addr: 16, range: 48 });
    expect(mixed.madviseOps({ addr: 8, range: 32 }).map(canonOp)).toEqual([
      ['remap', '16+48:null@0', false, null, [40, 24, null, 24]],
      ['map', 16, 24, null, 0],
    ]);
    expect(makeVm<string>(backend, WINDOW).madviseOps({ addr: 0, range: 8 })).toEqual([]);
  });

  it('prefetchOps: one op per intersecting VA, not clipped', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const a = vm.insert({ addr: 0, range: 16, obj: 'A' });
    const b = vm.insert({ addr: 16, range: 16, obj: 'B' });
    vm.insert({ addr: 100, range: 16, obj: 'C' });
    expect(vm.prefetchOps(8, 20)).toEqual([
      { type: 'prefetch', va: a },
      { type: 'prefetch', va: b },
    ]);
  });

  it('boUnmapOps: one UNMAP per linked VA in link order, applicable as a list', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const vmBo = vm.obtainBo('A');
    const vas = [32, 0, 64].map((addr) => vm.insert({ addr, range: 16, obj: 'A', offset: addr }));
    for (const va of vas) vm.link(va, vmBo);
    const ops = vm.boUnmapOps(vmBo);
    expect(ops).toEqual(vas.map((va) => ({ type: 'unmap', va, keep: false })));
    vm.apply(ops);
    expect([...vm.vas()]).toEqual([]);
  });

  it('objectsTouched: request object first, then REMAP/UNMAP objects, once each', () => {
    const vm = makeVm<string>(backend, WINDOW);
    vm.insert({ addr: 0, range: 16, obj: 'A' });
    vm.insert({ addr: 16, range: 16, obj: 'B' });
    vm.insert({ addr: 32, range: 16 });
    vm.insert({ addr: 48, range: 16, obj: 'A', offset: 48 });
    vm.insert({ addr: 64, range: 16, obj: 'C' });
    expect(vm.objectsTouched({ addr: 8, range: 48, obj: 'X' })).toEqual(['X', 'A', 'B']);
    expect(vm.objectsTouched({ addr: 8, range: 64, kind: 'unmap' })).toEqual(['A', 'B', 'C']);
    expect(vm.objectsTouched({ addr: 200, range: 8 })).toEqual([]);
  });
});

describe.each(GPUVM_BACKENDS)('VmBo tracking (%s)', (backend) => {
  prepareBackend(backend);

  it('obtainBo is unique per object; links keep order; the last reference destroys it', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const bo = vm.obtainBo('A');
    expect(vm.obtainBo('A')).toBe(bo);
    expect(bo.refs).toBe(2);
    vm.putBo(bo);
    const [x, y] = [vm.insert({ addr: 16, range: 8, obj: 'A' }), vm.insert({ addr: 0, range: 8, obj: 'A' })];
    vm.link(x, bo);
    vm.link(y, bo);
    expect(bo.vas).toEqual([x, y]);
    expect(x.vmBo).toBe(bo);
    expect(() => vm.link(x, bo)).toThrow(/already linked/);
    expect(() => vm.link(vm.insert({ addr: 32, range: 8, obj: 'B' }), bo)).toThrow(/not the VmBo's/);
    vm.link(vm.insert({ addr: 48, range: 8 }), bo); // NULL-object VAs are never linked
    expect(bo.vas).toHaveLength(2);
    vm.putBo(bo);
    expect(vm.findBo('A')).toBe(bo);
    vm.unlink(x);
    vm.unlink(y);
    expect(bo.refs).toBe(0);
    expect(vm.findBo('A')).toBeUndefined();
    expect(() => vm.putBo(bo)).toThrow(/already destroyed/);
    expect(vm.obtainBo('A')).not.toBe(bo);
    expect(() => vm.obtainBo(null as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('external-object and evicted lists, and validate()', () => {
    const validated: string[] = [];
    const ops: GpuVmOps<string> = {};
    const vm: GpuVm<string> = makeVm<string>(backend, { ...WINDOW, ops, isExtObj: (obj) => obj.startsWith('ext') });
    ops.vmBoValidate = (vmBo) => {
      validated.push(vmBo.obj);
      vm.evict(vmBo, false);
    };
    const [p, e1, e2] = ['priv', 'ext1', 'ext2'].map((o) => vm.obtainBo(o));
    for (const bo of [e2, p, e1, e2]) vm.extobjAdd(bo);
    expect([...vm.extObjs()]).toEqual([e2, e1]);
    vm.evict(e1, true);
    vm.evict(p, true);
    vm.evict(e1, true);
    expect([...vm.evicted()]).toEqual([e1, p]);
    expect(e1.evicted).toBe(true);
    vm.evict(e1, false);
    vm.evict(e2, true);
    expect([...vm.evicted()]).toEqual([p, e2]);
    vm.validate();
    expect(validated).toEqual(['priv', 'ext2']);
    expect([...vm.evicted()]).toEqual([]);
    vm.evictObj('ext1', true);
    vm.putBo(e1);
    expect([...vm.evicted()]).toEqual([]);
    expect([...vm.extObjs()]).toEqual([e2]);
    expect(() => makeVm<string>(backend, WINDOW).validate()).toThrow(/vmBoValidate/);
  });

  it('remnants created by applyRemap are linked by the driver, as in the kernel', () => {
    const vm = makeVm<string>(backend, WINDOW);
    const bo = vm.obtainBo('A');
    const va = vm.insert({ addr: 0, range: 64, obj: 'A', flags: GPUVA_SPARSE });
    vm.link(va, bo);
    const [remap] = vm.smUnmapOps(16, 16);
    const { prev, next } = vm.applyRemap(remap as never);
    expect(canonVas([prev!, next!])).toEqual([
      [0, 16, 'A', 0],
      [32, 32, 'A', 32],
    ]);
    expect(prev!.flags).toBe(0);
    expect(bo.vas).toEqual([va]);
    vm.unlink(va);
    vm.link(prev!, bo);
    vm.link(next!, bo);
    expect(bo.vas).toEqual([prev, next]);
  });
});
