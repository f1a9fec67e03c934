// The README's code blocks, statement by statement, with the results their comments claim.
import { describe, it, expect } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MapleTree, MAX_INDEX, MAX_INDEX_64 } from '../src/tree/MapleTree.js';
import { MapleError } from '../src/backend/errors.js';
import { isZeroEntry } from '../src/tree/zeroEntry.js';
import { SharedMutex } from '../src/shared/SharedMutex.js';
import { GpuVm } from '../src/gpuvm/GpuVm.js';

function errorCode(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    return (e as MapleError).code;
  }
  return 'no error';
}

describe.each(['wasm', 'ts'] as const)('README example (%s)', (backend) => {
  it('does what its comments say', () => {
    const tree = new MapleTree<string>({ backend });
    tree.storeRange(10, 19, 'a');
    tree.storeRange(15, 15, 'b');
    expect([...tree]).toEqual([[10, 14, 'a'], [15, 15, 'b'], [16, 19, 'a']]);
    expect(tree.load(17)).toBe('a');
    expect(tree.erase(12)).toBe('a');
    expect(tree.find(0)).toEqual({ first: 15, last: 15, entry: 'b' });

    const ids = new MapleTree<object>({ backend, allocRange: true });
    expect(ids.allocRange(4096, {}, 0, MAX_INDEX)).toBe(0);
    expect(ids.allocRRange(16, {})).toBe(MAX_INDEX - 15);

    const before = [...tree];
    expect(errorCode(() => tree.insertRange(15, 20, 'c'))).toBe('EEXIST');
    expect([...tree]).toEqual(before);
  });

  it('aligned allocation places what its comments say', () => {
    const PAGE = 4096, VA_START = 0x100000, VA_END = 2 ** 47 - 1;
    const heap = new MapleTree<string>({ backend, allocRange: true });
    const vbo = heap.allocRange(1 << 20, 'vbo', VA_START, VA_END, { align: 1 << 16 });
    expect(vbo).toBe(0x100000);
    const shaders = heap.allocRRange(3 << 20, 'shaders', VA_START, VA_END, { align: PAGE, nospan: 2 ** 32 });
    expect(shaders).toBe(2 ** 47 - (3 << 20));
    expect(shaders % PAGE).toBe(0);
    expect(Math.floor(shaders / 2 ** 32)).toBe(Math.floor((shaders + (3 << 20) - 1) / 2 ** 32));
    heap.insertRange(0x2000_0000, 0x2000_ffff, 'fixed');
    expect(errorCode(() => heap.insertRange(0x2000_8000, 0x2000_8fff, 'x'))).toBe('EEXIST');
    expect(heap.erase(vbo)).toBe('vbo');
    expect(heap.load(vbo)).toBeUndefined();
    heap.validate();
  });

  it('64-bit keys do what their comments say', () => {
    const KERNEL = 0xffff_8000_0000_0000n;
    const vm = new MapleTree<string, bigint>({ backend, keys: 'bigint', allocRange: true });
    vm.storeRange(KERNEL, MAX_INDEX_64, 'kernel');
    expect(vm.load(0xffff_ffff_8100_0000n)).toBe('kernel');
    expect(vm.allocRRange(1n << 21n, 'stack', 0n, KERNEL - 1n, { align: 1n << 21n })).toBe(0xffff_7fff_ffe0_0000n);
    expect(vm.next(KERNEL)).toBeUndefined();
  });

  it('a bigint GpuVm does what the 64-bit addresses example says', () => {
    const bo = { name: 'bo' };
    const top = new GpuVm<typeof bo, unknown, bigint>({ keys: 'bigint', start: 0n, range: 2n ** 64n, backend });
    const high = top.insert({ addr: 2n ** 64n - 0x4000n, range: 0x4000n, obj: bo, offset: 2n ** 64n - 0x4000n });
    const [op] = top.smUnmapOps(2n ** 64n - 0x3000n, 0x1000n);
    expect(op.type === 'remap' && op.unmap.va).toBe(high);
    expect(op.type === 'remap' && op.prev).toEqual({ addr: 2n ** 64n - 0x4000n, range: 0x1000n, obj: bo, offset: 2n ** 64n - 0x4000n });
    expect(op.type === 'remap' && op.next).toEqual({ addr: 2n ** 64n - 0x2000n, range: 0x2000n, obj: bo, offset: 2n ** 64n - 0x2000n });
  });

  it('a reservation covers its writes whatever happens in between', () => {
    const tree = new MapleTree<number>({ backend, maxNodes: 400 });
    const r = tree.reserve(2);
    const held = tree.reservedNodes;
    expect(held).toBeGreaterThan(0);
    let i = 0;
    try {
      for (; i < 100_000; i++) tree.store(2 * i + 1000, i); // fill the rest of the budget
    } catch (e) {
      expect((e as MapleError).code).toBe('ENOMEM');
    }
    expect(tree.reservedNodes).toBe(held);
    r.run(() => { tree.storeRange(0, 99, 1); tree.storeRange(40, 59, 2); });
    expect([...tree.entries(0, 99)]).toEqual([[0, 39, 1], [40, 59, 2], [60, 99, 1]]);
    r.release();
    expect(tree.reservedNodes).toBe(0);
    tree.validate();
  });

  it('the advanced-API loop erases while it walks', () => {
    const tree = new MapleTree<number>({ backend });
    for (let i = 0; i < 100; i++) tree.storeRange(10 * i, 10 * i + 4, i);
    tree.lock();
    const mas = tree.state(0);
    for (let e = mas.find(MAX_INDEX); e !== undefined; e = mas.find(MAX_INDEX)) {
      if (!isZeroEntry(e) && e % 3 === 0) mas.erase(); // MaState readers may return ZERO_ENTRY
    }
    mas.setRange(2000, 2099);
    mas.preallocate(7);
    mas.storePrealloc(7);
    tree.unlock();
    const left = [...tree].map(([, , v]) => v);
    expect(left).toEqual([...Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0), 7]);
    tree.validate();
  });

  it('using frees the scratch tree at the end of its block', () => {
    const core = new MapleTree({ backend })._core as CoreAdapter;
    const liveBefore = core.liveNodes();
    let escaped: MapleTree<string> | undefined;
    {
      using scratch = new MapleTree<string>({ backend });
      scratch.storeRange(0, 9, 'tmp');
      expect(core.liveNodes()).toBeGreaterThan(liveBefore);
      escaped = scratch;
    }
    expect(core.liveNodes()).toBe(liveBefore);
    expect(errorCode(() => escaped!.load(0))).toBe('EINVAL');
  });

  it('a SharedMutex is the external lock of a tree', () => {
    const mutex = new SharedMutex();
    const guarded = new MapleTree<number>({ backend, lock: mutex });
    expect(errorCode(() => guarded.store(1, 1))).toBe('ENOLCK');
    mutex.lock();
    try {
      guarded.store(1, 1);
    } finally {
      mutex.unlock();
    }
    expect(guarded.load(1)).toBe(1);
    expect(mutex.share().buffer).toBeInstanceOf(SharedArrayBuffer);
    mutex.free();
  });
});
