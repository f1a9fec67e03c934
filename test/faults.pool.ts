// Pool pressure for the limit and fault tests: real exhaustion of a core's node pool, and
// real growth to addresses past 2 GiB, through the core's test hooks.
import { expect } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MEMORY_PAGE_BYTES } from '../src/backend/layout.js';
import type { MapleTree } from '../src/tree/MapleTree.js';

/** Stores tried before a full memory must have refused one. */
const STORE_LIMIT = 1_000_000;
/** Larger than any pool: the first reservation tried when exhausting one. */
const RESERVE_MAX_SHIFT = 24;

/**
 * Makes every node of the pool unobtainable without growing memory, by reserving them for a
 * ballast tree while memory is capped where it is; then caps memory at `capBytes` (0: the
 * documented limit). Returns the release of the ballast.
 */
export function exhaustPool(core: CoreAdapter, capBytes = 0): () => void {
  const ballast = core.treeCreate(0, 0);
  core.setMemoryCap(core.memoryBytes());
  let held = 0;
  for (let n = 1 << RESERVE_MAX_SHIFT; n >= 1; n >>= 1) if (core.reserve(ballast, n)) held += n;
  core.setMemoryCap(capBytes);
  return () => {
    core.unreserve(ballast, held);
    core.treeRelease(ballast);
  };
}

/**
 * Grows the core's memory to `bytes` and leaves only the top `keep` fresh nodes free below
 * its end, so the next nodes lie there (see poolSkip in assembly/core/pool.ts).
 */
export function skipPoolTo(core: CoreAdapter, bytes: number, keep: number): void {
  const ok = core.raw.skipPool(bytes / MEMORY_PAGE_BYTES, keep) !== 0;
  core.refresh();
  if (!ok) throw new Error(`the pool cannot grow to ${bytes} bytes`);
}

/** Stores ascending one-key ranges (2i → i) until memory refuses one with ENOMEM; returns how many went in. */
export function storeUntilRefused(tree: MapleTree<number>): number {
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
  return stored;
}
