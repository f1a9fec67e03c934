import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import type { NodeView } from '../src/backend/backend.js';
import { MEMORY_MAX_BYTES } from '../src/backend/layout.js';
import { MapleTree } from '../src/tree/MapleTree.js';
import { skipPoolTo, storeUntilRefused } from './faults.pool.js';
import { coreBackends } from './support/cores.js';
import { expectUnchangedAfterError, snapshotOf } from './support/model.js';

/** Where i32 pointers turn negative. */
const TWO_GIB = 2 ** 31;
/** Fresh nodes left free below the top of memory after a skip: room for the workload. */
const KEEP_NODES = 4096;
/** Ranges the workload stores: several levels of nodes. */
const RANGES = 2000;

function nodeAddresses(view: NodeView | null, out: number[] = []): number[] {
  if (view === null) return out;
  out.push(view.addr);
  for (const child of view.children ?? []) nodeAddresses(child, out);
  return out;
}

/** Every node of the tree, and its header, lies at 2 GiB or above. */
function expectHigh(tree: MapleTree<unknown>): void {
  expect(tree._id).toBeGreaterThanOrEqual(TWO_GIB);
  const addrs = nodeAddresses(tree.nodes());
  expect(addrs.length).toBeGreaterThan(0);
  for (const addr of addrs) expect(addr).toBeGreaterThanOrEqual(TWO_GIB);
}

/**
 * Stores of every kind, loads, a gap search, erases, NULL stores and a dup, all in nodes above
 * 2 GiB, checked against a plain model after every phase.
 */
function workloadAbove2GiB(core: CoreAdapter): void {
  const tree = new MapleTree<number>({ _core: core });
  const model = new Map<number, number>();
  for (let i = 0; i < RANGES; i++) {
    tree.storeRange(10 * i, 10 * i + 4, i);
    for (let k = 0; k <= 4; k++) model.set(10 * i + k, i);
  }
  for (let i = 0; i < RANGES; i += 3) {
    tree.erase(10 * i + 2);
    for (let k = 0; k <= 4; k++) model.delete(10 * i + k);
  }
  tree.storeRange(3_001, 8_999, -1); // a spanning store
  for (let k = 3_001; k <= 8_999; k++) model.set(k, -1);
  tree.storeRange(12_000, 15_000, null);
  for (let k = 12_000; k <= 15_000; k++) model.delete(k);
  tree.validate();
  expectHigh(tree);
  for (let k = 0; k < 10 * RANGES; k += 7) expect(tree.load(k)).toBe(model.get(k));
  const copy = tree.dup();
  copy.validate();
  expectHigh(copy);
  expect(snapshotOf(copy)).toEqual(snapshotOf(tree));
  copy.free();

  const ids = new MapleTree<number>({ _core: core, allocRange: true });
  for (let i = 0; i < RANGES; i++) expect(ids.allocRange(1 + (i % 5), i)).toBeGreaterThanOrEqual(0);
  ids.validate();
  expectHigh(ids);
  ids.free();

  while (!tree.isEmpty) {
    const [first] = snapshotOf(tree)[0];
    tree.erase(first);
  }
  tree.validate();
  tree.free();
}

describe.each(coreBackends())('the 4 GiB pool ($name core)', ({ name, make }) => {
  it('works in nodes above 2 GiB, refuses past 4 GiB with ENOMEM, the tree unchanged, and stays usable', () => {
    const core = make() as CoreAdapter;
    // The TS backends copy their memory on growth: they go to the top in one step.
    if (name === 'wasm') {
      skipPoolTo(core, TWO_GIB + KEEP_NODES * 2 * 256, KEEP_NODES);
      workloadAbove2GiB(core);
    }
    skipPoolTo(core, MEMORY_MAX_BYTES, KEEP_NODES);
    expect(core.memoryBytes()).toBe(MEMORY_MAX_BYTES);
    workloadAbove2GiB(core);

    const full = new MapleTree<number>({ _core: core });
    const count = storeUntilRefused(full);
    expect(core.memoryBytes()).toBe(MEMORY_MAX_BYTES);
    full.validate();
    expectHigh(full);
    expectUnchangedAfterError(full, () => full.storeRange(2 * count + 10, 2 * count + 10, 1), 'ENOMEM');
    expectUnchangedAfterError(full, () => full.dup(), 'ENOMEM');
    // Erasing needs no memory the tree does not hold; what it frees serves the next trees.
    for (let i = 0; i < count; i += 2) full.erase(2 * i);
    full.validate();
    const fresh = new MapleTree<string>({ _core: core });
    fresh.store(1, 'x');
    expect(fresh.load(1)).toBe('x');
    fresh.validate();
    fresh.free();
    full.free();
  });
});
