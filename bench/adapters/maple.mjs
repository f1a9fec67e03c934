/**
 * The project's own contenders, 'wasm' and 'ts': the built package (dist/index.js) used the
 * way a user would, through the public API only. No adapter is needed for W1–W5: MapleTree
 * has storeRange, load, forEach, erase natively. W6 uses the advanced API as the anchors
 * do (a fresh MaState per search, under the tree lock); W3 also has an MaState find() loop
 * and an entries() row. dispose() calls destroy() so a tree's nodes return to the pool right
 * away (the tree handle itself is released when the tree is garbage collected).
 */

import { init, MapleTree, MAX_INDEX, MAX_INDEX_64 } from '../../dist/index.js';

export const notes = {};

/**
 * Loads the package's own maple.wasm, as a user would. For profiling only, BENCH_WASM may name
 * another build of the same core (e.g. one with a name section, so profiles show function names).
 */
export async function setup() {
  if (process.env.BENCH_WASM) {
    const { readFile } = await import('node:fs/promises');
    await init(await readFile(process.env.BENCH_WASM));
  } else {
    await init();
  }
}

export function create(backend, options = {}) {
  return new MapleTree({ backend, ...options });
}

/** MapleTree.from: a bulk build of sorted [first, last, entry] ranges. */
export function from(backend, ranges) {
  return MapleTree.from(ranges, { backend });
}

/** Lowest free [s, s + size - 1] in [0, MAX_INDEX]: fresh MA_STATE + mas_empty_area under the lock. */
export function emptyArea(tree, size) {
  const mas = tree.state(0);
  tree.lock();
  try {
    mas.emptyArea(0, MAX_INDEX, size);
  } finally {
    tree.unlock();
  }
  return mas.index;
}

/** emptyArea on a `keys: 'bigint'` tree: the same search over [0n, MAX_INDEX_64]; the start as a bigint. */
export function emptyArea64(tree, size) {
  const mas = tree.state(0n);
  tree.lock();
  try {
    mas.emptyArea(0n, MAX_INDEX_64, size);
  } finally {
    tree.unlock();
  }
  return mas.index;
}

/**
 * W10's contender: VMA trees with gap tracking (the kernel's mm tree is MT_FLAGS_ALLOC_RANGE).
 * The top-down search is a fresh MA_STATE + mas_empty_area_rev under the lock, as mmap's
 * unmapped_area_topdown does; -1 when nothing fits (EBUSY).
 */
export function vmaContender(backend) {
  return {
    create: () => new MapleTree({ backend, allocRange: true }),
    dup: (tree) => tree.dup(),
    destroy: (tree) => tree.destroy(),
    emptyAreaRev(tree, min, max, size) {
      const mas = tree.state(0);
      tree.lock();
      try {
        mas.emptyAreaRev(min, max, size);
        return mas.index;
      } catch (err) {
        if (err.code === 'EBUSY') return -1;
        throw err;
      } finally {
        tree.unlock();
      }
    },
  };
}

export function dispose(tree) {
  tree.destroy();
}

/** Nodes of the tree: the facade's nodeCount when it has one, else counted from nodes(). */
export function nodeCount(tree) {
  if (typeof tree.nodeCount === 'number') return tree.nodeCount;
  let count = 0;
  const stack = [];
  const root = tree.nodes();
  if (root) stack.push(root);
  while (stack.length) {
    const n = stack.pop();
    count++;
    if (n.children) for (const c of n.children) stack.push(c);
  }
  return count;
}

export { MAX_INDEX };
