// One shared tree, several agents (worker_threads), on both backends: readers in two workers
// check that everything they see is self-consistent while the main thread stores, erases and
// overwrites ranges spanning many nodes (memory growing meanwhile); writers in three agents
// increment a counter under the tree lock with no lost update; the lock errors across agents;
// a worker terminated inside a read section holds reclamation back until forgetAgent.
import { describe, expect, it } from 'vitest';
import { MapleTree } from '../../src/index.js';
import type { SharedCore } from '../../src/shared/treeCore.js';
import { expectMapleError } from '../support/model.js';
import { Rng } from '../support/rng.js';
import { AgentWorker, useAgents } from './agentWorker.js';
import { checkRead, checkRun, encodeRange, KEY_SPACE, MAX_SPAN } from './workers/treeChecks.mjs';

const TREE_AGENT = new URL('./workers/treeAgent.mjs', import.meta.url);
/** How long the writer writes while the readers read (short: the machine is shared). */
const STRESS_MS = 1500;
/** Small enough that the stress writes grow it. */
const MAX_MEMORY = 64 << 20;

const spawn = useAgents(TREE_AGENT);

async function spawnAttached(tree: MapleTree<number>, n: number): Promise<AgentWorker[]> {
  const agents = spawn(n);
  const handle = tree.share();
  for (const agent of agents) expect(await agent.call<number>('attach', { handle })).toBeGreaterThan(0);
  return agents;
}

/** Spins (the main thread may block in Node) until `count` agents marked the control word. */
function waitFor(control: Int32Array, index: number, count: number): void {
  while (Atomics.load(control, index) < count) Atomics.wait(control, index, Atomics.load(control, index), 5);
}

/** One random write of the stress: narrow stores, wide stores spanning many leaves, erases. */
function stressWrite(tree: MapleTree<number>, rng: Rng): void {
  const first = rng.int(0, KEY_SPACE - MAX_SPAN - 1);
  const roll = rng.next();
  const span = roll < 0.7 ? rng.int(0, 8) : rng.int(64, MAX_SPAN);
  if (roll > 0.9) tree.storeRange(first, first + span, null);
  else tree.storeRange(first, first + span, encodeRange(first, first + span));
}

describe.each(['wasm', 'ts'] as const)('a shared tree across workers (%s)', (backend) => {
  it('gives readers in two workers only self-consistent ranges while a writer rewrites, and memory grows', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: MAX_MEMORY });
    const rng = new Rng(99);
    for (let i = 0; i < 100; i++) stressWrite(tree, rng);
    const core = tree._core as SharedCore;
    const before = core.memoryBytes();
    const readers = await spawnAttached(tree, 2);
    const control = new Int32Array(new SharedArrayBuffer(8));
    const results = readers.map((agent, k) => agent.call<{ reads: number; violationCount: number; violations: string[]; rewalks: number }>(
      'stressRead', { control: control.buffer, keys: KEY_SPACE, seed: 17 + k }));
    waitFor(control, 1, readers.length);
    const start = performance.now();
    let writes = 0;
    // Rewrites until the time is up; then (wasm: the readers' instances must catch up with it)
    // new one-key ranges above the readers' keys until the memory has grown: rewrites alone
    // grow it only when readers happen to hold retired nodes back. The TS backend's views span
    // the whole buffer from the start, so its growth is only a size word.
    while (performance.now() < start + STRESS_MS) {
      stressWrite(tree, rng);
      writes++;
    }
    if (backend === 'wasm') {
      for (let key = KEY_SPACE; core.memoryBytes() <= before && key < 2 * KEY_SPACE - MAX_SPAN; key += 2) {
        tree.store(key, encodeRange(key, key));
      }
    }
    Atomics.store(control, 0, 1);
    const seen = await Promise.all(results);
    for (const result of seen) {
      expect(result.violations).toEqual([]);
      expect(result.violationCount).toBe(0);
      expect(result.reads).toBeGreaterThan(100);
    }
    expect(writes).toBeGreaterThan(300);
    if (backend === 'wasm') expect(core.memoryBytes()).toBeGreaterThan(before); // the pool grew while the readers ran
    tree.lock();
    try {
      expect(tree.validate()).toBeUndefined();
    } finally {
      tree.unlock();
    }
    for (let i = 0; i < KEY_SPACE; i += 997) expect(checkRead(tree, i)).toBeNull();
    expect(checkRun(tree, 0, KEY_SPACE)).toBeNull();
  });

  it('loses no increment of three agents writing under the tree lock', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: MAX_MEMORY });
    const agents = await spawnAttached(tree, 2);
    const control = new Int32Array(new SharedArrayBuffer(8));
    const iterations = 2000;
    const counts = agents.map((agent) => agent.call('count', { iterations, control: control.buffer, parties: 3 }));
    Atomics.add(control, 1, 1);
    waitFor(control, 1, 3);
    for (let n = 0; n < iterations; n++) {
      tree.lock();
      tree.state(0).store((tree.load(0) ?? 0) + 1);
      tree.unlock();
    }
    await Promise.all(counts);
    expect(tree.load(0)).toBe(3 * iterations);
  });

  it('reports the lock errors across agents: tryLock, ENOLCK, EDEADLK, EINVAL', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: MAX_MEMORY });
    const [other] = await spawnAttached(tree, 1);
    await other.call('lock');
    expect(tree.tryLock()).toBe(false);
    expect(tree.isLocked()).toBe(false);
    expectMapleError(() => tree.state(1).store(1), 'ENOLCK');
    expectMapleError(() => tree.unlock(), 'EINVAL');
    expect(await other.failure('lock')).toBe('EDEADLK');
    expect(await other.failure('store', { first: 1, last: 1, entry: 1 })).toBe('EDEADLK');
    await other.call('stateStore', { index: 7, entry: 70 });
    await other.call('unlock');
    expect(tree.tryLock()).toBe(true);
    expect(await other.call('tryLock')).toBe(false);
    expect(await other.failure('stateStore', { index: 8, entry: 80 })).toBe('ENOLCK');
    expectMapleError(() => tree.lock(), 'EDEADLK');
    tree.unlock();
    expect(tree.load(7)).toBe(70);
    expectMapleError(() => tree.store(1, -1), 'EINVAL');
    expectMapleError(() => tree.store(1, 2 ** 31), 'EINVAL');
    tree.store(1, 2 ** 31 - 1);
    expect(await other.call('load', { index: 1 })).toBe(2 ** 31 - 1);
  });

  it('reclaims what a worker terminated inside a read section held back, once it is forgotten', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: MAX_MEMORY });
    for (let i = 0; i < 500; i++) tree.storeRange(i * 10, i * 10 + 5, i);
    const [stuck] = await spawnAttached(tree, 1);
    const stuckId = await stuck.call<number>('attach', { handle: tree.share() }); // a second id for this worker
    await stuck.call('stallInRead');
    await stuck.worker.terminate();
    const core = tree._core as SharedCore;
    tree.lock();
    try {
      core.reclaim();
    } finally {
      tree.unlock();
    }
    for (let round = 0; round < 5; round++) tree.storeRange(0, 5000, round); // replaces most nodes
    const held = core.retired;
    expect(held).toBeGreaterThan(0);
    tree.lock();
    try {
      expect(core.reclaim()).toBe(0); // the dead reader's epoch predates every retirement
      expect(tree.forgetAgent(stuckId)).toBe(true);
      expect(tree.forgetAgent(stuckId)).toBe(false);
      expect(core.reclaim()).toBe(held);
    } finally {
      tree.unlock();
    }
    expect(core.retired).toBe(0);
  });
});

describe('the stress checks', () => {
  it('catch an entry outside its range and iteration out of order (control)', () => {
    const tree = new MapleTree<number>({ backend: 'ts' });
    tree.storeRange(100, 120, encodeRange(100, 110)); // names a narrower range than it holds
    expect(checkRead(tree, 105)).not.toBeNull(); // find reports [100, 120]
    expect(checkRead(tree, 115)).not.toBeNull();
    expect(checkRun(tree, 0, 1000)).not.toBeNull();
    tree.storeRange(100, 120, encodeRange(90, 130));
    expect(checkRun(tree, 0, 1000)).toBeNull();
  });
});
