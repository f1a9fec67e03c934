// A shared tree in one agent, on both backends: the same answers as an ordinary tree, integer
// entries, option checks, share/attach/detach, dup, rcu: false readers, and the ENOMEM cap.
import { describe, expect, it } from 'vitest';
import { MapleTree, MAX_INDEX, SharedMutex, ZERO_ENTRY } from '../../src/index.js';
import type { SharedCore } from '../../src/shared/treeCore.js';
import { expectMapleError } from '../support/model.js';
import { Rng } from '../support/rng.js';

const SMALL = 16 << 20;
/** setRcuHook's kind for reader steps (assembly/core/rcu.ts). */
const READER_STEP = 2;

describe.each(['wasm', 'ts'] as const)('a shared tree in one agent (%s)', (backend) => {
  it('answers as an ordinary tree through random writes', () => {
    const shared = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL });
    const plain = new MapleTree<number>({ backend });
    const rng = new Rng(3);
    for (let step = 0; step < 3000; step++) {
      const first = rng.int(0, 20000);
      const last = first + (rng.chance(0.1) ? rng.int(0, 3000) : rng.int(0, 30));
      const entry = rng.chance(0.25) ? null : rng.int(0, 2 ** 31 - 1);
      shared.storeRange(first, last, entry);
      plain.storeRange(first, last, entry);
    }
    expect([...shared]).toEqual([...plain]);
    for (let i = 0; i < 24000; i += 13) {
      expect(shared.load(i)).toBe(plain.load(i));
      expect(shared.find(i)).toEqual(plain.find(i));
      expect(shared.next(i)).toEqual(plain.next(i));
      expect(shared.prev(i)).toEqual(plain.prev(i));
    }
    const keys = Array.from({ length: 500 }, () => rng.int(0, 24000));
    expect(shared.loadMany(keys)).toEqual(plain.loadMany(keys));
    const seen: number[] = [];
    shared.forEach((entry) => { seen.push(entry); });
    expect(seen).toEqual(plain.values ? [...plain.values()] : seen);
    shared.lock();
    try {
      expect(shared.validate()).toBeUndefined();
    } finally {
      shared.unlock();
    }
  });

  it('stores integers and ZERO_ENTRY only, and checks its options', () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL });
    tree.store(1, ZERO_ENTRY as unknown as number);
    expect(tree.load(1)).toBeUndefined();
    expect(tree.state(1).walk()).toBe(ZERO_ENTRY);
    for (const bad of [-1, 1.5, 2 ** 31, '7', {}, NaN]) expectMapleError(() => tree.store(2, bad as number), 'EINVAL');
    expect(tree.load(2)).toBeUndefined();
    expectMapleError(() => new MapleTree({ rcu: true }), 'EINVAL');
    expectMapleError(() => new MapleTree({ shared: true, backend, maxMemory: 1 << 10 }), 'EINVAL');
    expectMapleError(() => new MapleTree({ shared: true, backend, maxAgents: 0 }), 'EINVAL');
    expectMapleError(() => new MapleTree({ shared: 1 as unknown as boolean }), 'EINVAL');
    expectMapleError(() => new MapleTree<number>({ backend }).share(), 'EINVAL');
    expect(new MapleTree<number>({ backend }).agentId).toBe(0);
  });

  it('attaches a second agent in the same thread, detaches it, and dups in the same memory', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL, allocRange: true });
    tree.storeRange(0, 99, 7);
    const other = await MapleTree.attach(tree.share());
    expect(other.agentId).not.toBe(tree.agentId);
    expect(other.gapTracking).toBe(true);
    expect(other.load(50)).toBe(7);
    other.storeRange(100, 199, 8);
    expect(tree.load(150)).toBe(8);
    expect(tree.allocRange(10, 9)).toBe(200);
    other.lock();
    expect(tree.tryLock()).toBe(false);
    other.detach(); // drops the lock it held
    expect(tree.tryLock()).toBe(true);
    tree.unlock();
    expectMapleError(() => other.load(1), 'EINVAL');
    const copy = tree.dup();
    copy.store(5, 55);
    expect(tree.load(5)).toBe(7);
    expect(copy.load(5)).toBe(55);
    expect((await MapleTree.attach(copy.share())).load(150)).toBe(8);
    await expect(MapleTree.attach({} as never)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('free() of a shared tree ends only this agent\'s use', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL });
    tree.storeRange(10, 20, 5);
    const other = await MapleTree.attach(tree.share());
    tree.free();
    expectMapleError(() => tree.load(10), 'EINVAL');
    expect(other.load(15)).toBe(5);
    other.storeRange(30, 40, 6);
    expect([...other]).toEqual([[10, 20, 5], [30, 40, 6]]);
    other.free();
  });

  it('takes a SharedMutex as its external lock: every write asserts it', async () => {
    const mutex = new SharedMutex();
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL, lock: mutex });
    expectMapleError(() => tree.store(1, 1), 'ENOLCK');
    mutex.lock();
    tree.store(1, 1);
    mutex.unlock();
    const other = await MapleTree.attach(tree.share());
    expect(other.load(1)).toBe(1);
    other.free();
    tree.free();
    mutex.free();
  });

  it('counts in rewalks the reads that met a node a writer replaced', () => {
    expect(new MapleTree<number>({ backend }).rewalks).toBe(0);
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL });
    for (let i = 0; i < 300; i++) tree.storeRange(i * 10, i * 10 + 4, i);
    expect(tree.rewalks).toBe(0);
    const core = tree._core as SharedCore;
    // The reader stops at its first step (the root) while one range over everything replaces
    // every node on its path: it must walk again and find the new range.
    core.rcuHook = () => { tree.storeRange(0, MAX_INDEX, 7); };
    core.raw.setRcuHook(READER_STEP, 1);
    let got: number | undefined;
    try {
      got = tree.load(1234);
    } finally {
      core.raw.setRcuHook(READER_STEP, 0);
      core.rcuHook = null;
    }
    expect(got).toBe(7);
    expect(tree.rewalks).toBe(1);
  });

  it('makes readers of an rcu: false tree hold the lock', () => {
    const tree = new MapleTree<number>({ shared: true, backend, rcu: false, maxMemory: SMALL });
    tree.storeRange(0, 9, 1);
    expectMapleError(() => tree.load(5), 'ENOLCK');
    expectMapleError(() => [...tree], 'ENOLCK');
    tree.lock();
    try {
      expect(tree.load(5)).toBe(1);
      expect([...tree]).toEqual([[0, 9, 1]]);
    } finally {
      tree.unlock();
    }
  });

  it('starts small, grows toward maxMemory as it fills, and an agent attached earlier reads the new memory', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: 256 << 20 });
    const handle = tree.share();
    const bytes = (): number => {
      const memory = handle.memory as SharedArrayBuffer | WebAssembly.Memory;
      return memory instanceof SharedArrayBuffer ? memory.byteLength : memory.buffer.byteLength;
    };
    const first = bytes();
    expect(first).toBeLessThan(16 << 20); // the fixed areas and agent blocks, not maxMemory
    const reader = await MapleTree.attach(handle);
    const count = 200_000; // about 8 MiB of leaves
    for (let i = 0; i < count; i++) tree.storeRange(i * 4, i * 4 + 1, i);
    expect(bytes()).toBeGreaterThan(first + (4 << 20));
    expect(bytes()).toBeLessThanOrEqual(256 << 20);
    for (let i = 0; i < count; i += 997) expect(reader.load(i * 4 + 1)).toBe(i);
    expect(reader.load(count * 4 - 3)).toBe(count - 1);
    tree.lock();
    expect(tree.validate()).toBeUndefined();
    tree.unlock();
  });

  it('throws ENOMEM at maxMemory with nothing changed, and works again after erasing', () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: 8 << 20 });
    let stored = 0;
    try {
      for (; stored < 1_000_000; stored++) tree.storeRange(stored * 4, stored * 4 + 1, stored);
    } catch (error) {
      expect((error as { code: string }).code).toBe('ENOMEM');
    }
    expect(stored).toBeGreaterThan(1000);
    expect(stored).toBeLessThan(1_000_000);
    expect(tree.load((stored - 1) * 4)).toBe(stored - 1);
    expect(tree.load(stored * 4)).toBeUndefined();
    tree.storeRange(0, MAX_INDEX, null); // frees everything (after a grace period)
    expect(tree.isEmpty()).toBe(true);
    (tree._core as SharedCore).reclaim();
    tree.storeRange(0, 9, 1);
    expect(tree.load(3)).toBe(1);
  });
});

describe.each(['wasm', 'ts'] as const)('reservations of a shared tree (%s)', (backend) => {
  it('are taken and released under the lock, and cover the writes they were made for', async () => {
    const tree = new MapleTree<number>({ shared: true, backend, maxMemory: SMALL, maxNodes: 400 });
    const other = await MapleTree.attach(tree.share());
    const job = tree.reserve(2);
    expect(tree.reservedNodes).toBeGreaterThan(0);
    tree.lock();
    const second = tree.reserve(1); // under a lock this agent already holds
    tree.unlock();
    second.release();
    job.run(() => {
      tree.storeRange(0, 99, 1);
      tree.storeRange(40, 59, 2);
    });
    job.release();
    expect(tree.reservedNodes).toBe(0);
    expect(other.load(50)).toBe(2);
  });
});
