// The README's code blocks, statement by statement, with the results their comments claim.
import { describe, it, expect } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MapleTree, MAX_INDEX } from '../src/tree/MapleTree.js';
import { MapleError } from '../src/tree/errors.js';
import { isZeroEntry } from '../src/tree/zeroEntry.js';
import { SharedMutex } from '../src/shared/SharedMutex.js';

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
