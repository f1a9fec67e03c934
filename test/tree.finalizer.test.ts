// The FinalizationRegistry releases a dropped tree once, and never one that free() released.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MapleTree } from '../src/tree/MapleTree.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets finalizers run until `done()` holds (false after `rounds`). */
async function collectUntil(done: () => boolean, rounds = 50): Promise<boolean> {
  for (let round = 0; round < rounds; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (done()) return true;
  }
  return done();
}

/** Fills `count` trees of 200 ranges each; frees them when `free`, drops them otherwise. */
function fillTrees(backend: 'wasm' | 'ts', count: number, free: boolean): void {
  for (let t = 0; t < count; t++) {
    const tree = new MapleTree<number>({ backend });
    for (let i = 0; i < 200; i++) tree.storeRange(16 * i, 16 * i + 9, i);
    if (free) tree.free();
  }
}

describe.each(['wasm', 'ts'] as const)('finalizer (%s)', (backend) => {
  it('releases the nodes and header of trees dropped without free()', async () => {
    const probe = new MapleTree({ backend }); // held to the end: its header stays counted
    const core = probe._core as CoreAdapter;
    const liveBefore = core.liveNodes();
    fillTrees(backend, 20, false);
    expect(core.liveNodes()).toBeGreaterThan(liveBefore);
    expect(await collectUntil(() => core.liveNodes() <= liveBefore)).toBe(true);
    expect(core.liveNodes()).toBe(liveBefore);
    probe.free();
  });

  it('does not release a freed tree a second time when it is collected', async () => {
    const probe = new MapleTree({ backend });
    const core = probe._core as CoreAdapter;
    const liveBefore = core.liveNodes();
    fillTrees(backend, 20, true);
    expect(core.liveNodes()).toBe(liveBefore);
    // A second release would free pool nodes twice; trees made afterwards would then share
    // nodes. Collect, then check that new trees are still sound and apart.
    await collectUntil(() => false, 8);
    const a = new MapleTree<number>({ backend });
    const b = new MapleTree<number>({ backend });
    for (let i = 0; i < 300; i++) {
      a.storeRange(16 * i, 16 * i + 9, i);
      b.storeRange(16 * i + 3, 16 * i + 5, -i);
    }
    a.validate();
    b.validate();
    expect(a.load(16 * 7 + 4)).toBe(7);
    expect(b.load(16 * 7 + 4)).toBe(-7);
    a.free();
    b.free();
    expect(core.liveNodes()).toBe(liveBefore);
    probe.free();
  });
});
