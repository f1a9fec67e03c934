// `using` frees a tree at the end of its block (TypeScript downlevels the declaration).
import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MapleTree } from '../src/tree/MapleTree.js';

describe.each(['wasm', 'ts'] as const)('using (%s)', (backend) => {
  it('frees the tree and returns its nodes when the block ends', () => {
    let escaped: MapleTree<number> | undefined;
    const core = new MapleTree({ backend })._core as CoreAdapter;
    const liveBefore = core.liveNodes();
    {
      using tree = new MapleTree<number>({ backend });
      for (let i = 0; i < 1000; i++) tree.store(i * 2, i);
      expect(core.liveNodes()).toBeGreaterThan(liveBefore);
      escaped = tree;
    }
    expect(core.liveNodes()).toBe(liveBefore);
    expect(() => escaped!.load(0)).toThrow(/freed/);
  });
});
