// Large trees through the public API: a million ranges stored, validated, erased again, and
// every pool node and entry handle given back.
import { describe, it, expect } from 'vitest';
import { MapleTree } from '../src/tree/MapleTree.js';
import type { CoreAdapter } from '../src/backend/adapter.js';

const N = 1_000_000;

describe.each(['wasm', 'ts'] as const)('large tree (%s)', (backend) => {
  it(`stores and erases ${N.toLocaleString('en')} ranges, returning every node`, () => {
    const tree = new MapleTree<number>({ backend });
    const core = tree._core as CoreAdapter;
    const liveBefore = core.liveNodes();
    const entriesBefore = core.entries.liveCount;
    for (let i = 0; i < N; i++) tree.storeRange(16 * i, 16 * i + 9, i);
    tree.validate();
    expect(tree.height).toBe(6);
    // The kernel builds this exact tree in 133,932 nodes (34.29 bytes per range).
    expect(tree.nodeCount).toBe(133_932);
    expect(core.entries.liveCount - entriesBefore).toBe(N);
    for (let i = 0; i < N; i += 97) expect(tree.load(16 * i + 5)).toBe(i);
    for (let i = 0; i < N; i += 2) expect(tree.erase(16 * i)).toBe(i);
    tree.validate();
    for (let i = 1; i < N; i += 2) tree.storeRange(16 * i, 16 * i + 9, null);
    tree.validate();
    expect(tree.isEmpty()).toBe(true);
    expect(tree.nodeCount).toBe(0);
    expect(core.liveNodes()).toBe(liveBefore);
    expect(core.entries.liveCount).toBe(entriesBefore);
  }, 120_000);
});
