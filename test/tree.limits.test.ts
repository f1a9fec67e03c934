import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MEMORY_MAX_BYTES } from '../src/backend/layout.js';
import { MapleTree } from '../src/tree/MapleTree.js';
import { coreBackends } from './support/cores.js';
import { expectUnchangedAfterError, snapshotOf } from './support/model.js';

/** Room the pool gets above the memory it holds: a few thousand nodes. */
const CAP_HEADROOM = 1 << 20;
/** Stores tried before the capped pool must have refused one. */
const STORE_LIMIT = 1_000_000;

describe.each(coreBackends())('the memory limit ($name core)', ({ make }) => {
  it('past the memory cap every write is ENOMEM, the tree unchanged, and the backend stays usable', () => {
    const core = make() as CoreAdapter;
    const tree = new MapleTree<number>({ _core: core });
    core.setMemoryCap(core.memoryBytes() + CAP_HEADROOM);
    try {
      let stored = 0;
      for (; stored < STORE_LIMIT; stored++) {
        try {
          tree.store(2 * stored, stored);
        } catch (err) {
          expect((err as { code: string }).code).toBe('ENOMEM');
          break;
        }
      }
      expect(stored).toBeLessThan(STORE_LIMIT);
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
    }
  });
});

describe('the documented memory limit', () => {
  it('is one constant, below 2 GiB, in whole 64 KiB pages', () => {
    expect(MEMORY_MAX_BYTES).toBeLessThan(2 ** 31);
    expect(MEMORY_MAX_BYTES % 65536).toBe(0);
  });
});
