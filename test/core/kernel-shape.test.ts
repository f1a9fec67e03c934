// Node-for-node fidelity with the kernel where the kernel's own numbers pin the shape:
// - check_dfs_preorder: the check_seq(1000) tree (singletons 0..1000, flags 0) takes 74
//   steps of mas_dfs_preorder — the start state plus 73 nodes;
// - performance-anchors.md §3.2: the W1 build (1e6 ranges [16i, 16i+9]) is 133,932 nodes
//   at height 6 (checked through the public API in test/tree.large.test.ts).
import { describe, it, expect } from 'vitest';
import { tsBackend } from '../../src/ts/TsBackend.js';
import { wasmBackend } from '../../src/wasm/load.js';
import type { CoreBackend } from '../../src/backend/backend.js';

const cores: [string, () => CoreBackend][] = [
  ['wasm', () => wasmBackend()!],
  ['ts', tsBackend],
];

describe.each(cores)('kernel tree shapes (%s)', (_name, make) => {
  it('check_seq(1000) builds 73 nodes at height 3, like the kernel', () => {
    const core = make();
    const tree = core.treeCreate(0, 0);
    for (let i = 0; i <= 1000; i++) expect(core.store(tree, i, i, core.entries.alloc(i), 1)).toBeGreaterThanOrEqual(0);
    expect(core.validate(tree)).toBeNull();
    expect(core.height(tree)).toBe(3);
    expect(core.nodeCount(tree)).toBe(73);
    core.treeRelease(tree);
  });
});
