import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MEMORY_MAX_BYTES, MEMORY_MAX_PAGES, MEMORY_PAGE_BYTES } from '../src/backend/layout.js';
import { MapleTree } from '../src/tree/MapleTree.js';
import { exhaustPool, storeUntilRefused } from './faults.pool.js';
import { coreBackends } from './support/cores.js';
import { expectUnchangedAfterError, snapshotOf } from './support/model.js';

/** Room the pool gets above the memory it holds: a few thousand nodes. */
const CAP_HEADROOM = 1 << 20;

describe.each(coreBackends())('the memory limit ($name core)', ({ make }) => {
  it('past the memory cap every write is ENOMEM, the tree unchanged, and the backend stays usable', () => {
    const core = make() as CoreAdapter;
    const tree = new MapleTree<number>({ _core: core });
    // Only the headroom is left to fill: the nodes memory already holds are reserved away.
    const release = exhaustPool(core, core.memoryBytes() + CAP_HEADROOM);
    try {
      const stored = storeUntilRefused(tree);
      expect(core.memoryBytes()).toBeLessThanOrEqual(MEMORY_MAX_BYTES);
      const before = snapshotOf(tree);
      expect(before.length).toBe(stored);
      expectUnchangedAfterError(tree, () => tree.store(2 * stored, stored), 'ENOMEM');
      expectUnchangedAfterError(tree, () => tree.dup(), 'ENOMEM');
      // Freeing the tree returns its nodes, and they serve the next trees under the same cap.
      tree.free();
      const fresh = new MapleTree<string>({ _core: core });
      fresh.store(1, 'x');
      expect(fresh.load(1)).toBe('x');
      fresh.free();
    } finally {
      core.setMemoryCap(0);
      release();
    }
  });
});

describe('the documented memory limit', () => {
  it('is the 4 GiB a 32-bit WebAssembly memory addresses, in whole 64 KiB pages', () => {
    expect(MEMORY_PAGE_BYTES).toBe(65536);
    expect(MEMORY_MAX_PAGES).toBe(65536);
    expect(MEMORY_MAX_BYTES).toBe(MEMORY_MAX_PAGES * MEMORY_PAGE_BYTES);
  });

  it('is one the TS backend reaches too: Node\'s engine allows a 4 GiB ArrayBuffer and views over it', () => {
    // Allocation is lazy: untouched pages of a zero-filled buffer take no memory.
    const buffer = new ArrayBuffer(MEMORY_MAX_BYTES);
    const u8 = new Uint8Array(buffer);
    u8[MEMORY_MAX_BYTES - 1] = 7;
    expect(u8[MEMORY_MAX_BYTES - 1]).toBe(7);
    expect(new Float64Array(buffer).length).toBe(MEMORY_MAX_BYTES / 8);
    expect(() => new Uint8Array(new ArrayBuffer(MEMORY_MAX_BYTES + MEMORY_PAGE_BYTES))).toThrow(RangeError);
  });
});
