// SharedMutex and the lock word across agents: no lost update, the lock errors, a dead owner,
// and the polling mode of agents that cannot block.
import { describe, expect, it } from 'vitest';
import { MapleTree, SharedMutex } from '../../src/index.js';
import { acquireLock, agentCanBlock, breakLock, LOCK_WAITERS, releaseLock, tryAcquireLock } from '../../src/shared/lockWord.js';
import { useAgents } from './agentWorker.js';
import { expectMapleError } from '../support/model.js';

const spawn = useAgents();


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lock word', () => {
  const view = () => new Int32Array(new SharedArrayBuffer(8));

  it('holds the owner id, and the waiters bit only when someone sleeps', () => {
    const word = view();
    expect(tryAcquireLock(word, 1, 7, 'test')).toBe(true);
    expect(word[1]).toBe(7);
    expect(tryAcquireLock(word, 1, 8, 'test')).toBe(false);
    expectMapleError(() => tryAcquireLock(word, 1, 7, 'test'), 'EDEADLK');
    expectMapleError(() => acquireLock(word, 1, 7, { blocking: true, timeoutMs: 0 }, 'test'), 'EDEADLK');
    expectMapleError(() => releaseLock(word, 1, 8, 'test'), 'EINVAL');
    expect(word[1]).toBe(7);
    releaseLock(word, 1, 7, 'test');
    expect(word[1]).toBe(0);
    expectMapleError(() => releaseLock(word, 1, 7, 'test'), 'EINVAL');
  });

  it('breaks only a lock held by the given agent', () => {
    const word = view();
    word[1] = 5 | LOCK_WAITERS;
    expect(breakLock(word, 1, 6)).toBe(false);
    expect(breakLock(word, 1, 5)).toBe(true);
    expect(word[1]).toBe(0);
    expect(breakLock(word, 1, 5)).toBe(false);
  });

  it('times out with EBUSY when polling, leaving the word as it was', () => {
    const word = view();
    word[1] = 3;
    const start = performance.now();
    expectMapleError(() => acquireLock(word, 1, 4, { blocking: false, timeoutMs: 30 }, 'test'), 'EBUSY');
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    expect(word[1]).toBe(3);
  });
});

describe('SharedMutex in one agent', () => {
  it('locks, reports holding, and rejects misuse with MapleError codes', () => {
    const mutex = new SharedMutex();
    expect(mutex.agentId).toBeGreaterThanOrEqual(1);
    expect(mutex.isHeld()).toBe(false);
    mutex.lock();
    expect(mutex.isHeld()).toBe(true);
    expectMapleError(() => mutex.lock(), 'EDEADLK');
    expectMapleError(() => mutex.tryLock(), 'EDEADLK');
    mutex.unlock();
    expectMapleError(() => mutex.unlock(), 'EINVAL');
    expect(mutex.tryLock()).toBe(true);
    mutex.free();
    expect(mutex.isHeld()).toBe(false);
    expect(mutex.agentId).toBe(0);
    expectMapleError(() => mutex.lock(), 'EINVAL');
    expectMapleError(() => mutex.share(), 'EINVAL');
    mutex.free(); // idempotent
  });

  it('validates options and handles', () => {
    expectMapleError(() => new SharedMutex({ lockTimeoutMs: -1 }), 'EINVAL');
    expectMapleError(() => new SharedMutex({ lockTimeoutMs: Infinity }), 'EINVAL');
    expectMapleError(() => new SharedMutex({ maxAgents: 0 }), 'EINVAL');
    expectMapleError(() => new SharedMutex({ blocking: 'yes' as never }), 'EINVAL');
    expectMapleError(() => new SharedMutex(5 as never), 'EINVAL');
    expectMapleError(() => SharedMutex.attach(null as never), 'EINVAL');
    expectMapleError(() => SharedMutex.attach({ buffer: new SharedArrayBuffer(64), lockTimeoutMs: 1 }), 'EINVAL');
    const mutex = new SharedMutex();
    expectMapleError(() => SharedMutex.attach(mutex.share(), { lockTimeoutMs: NaN }), 'EINVAL');
    expectMapleError(() => mutex.forgetAgent(mutex.agentId), 'EINVAL');
    expectMapleError(() => mutex.forgetAgent(1.5), 'EINVAL');
    expect(mutex.forgetAgent(12345)).toBe(false);
  });

  it('shares a structured-cloneable handle, and is an ExternalLock for a tree', () => {
    const mutex = new SharedMutex();
    const clone = SharedMutex.attach(structuredClone(mutex.share()));
    clone.lock();
    expect(mutex.owner).toBe(clone.agentId);
    expect(mutex.isHeld()).toBe(false);
    const tree = new MapleTree<number>({ backend: 'ts', lock: mutex });
    expectMapleError(() => tree.store(1, 1), 'ENOLCK');
    clone.unlock();
    mutex.lock();
    tree.store(1, 1);
    expect(tree.load(1)).toBe(1);
  });

  it('hands out one slot per attached agent and EBUSY when they are all taken', () => {
    const first = new SharedMutex({ maxAgents: 2 });
    const second = SharedMutex.attach(first.share());
    expect(second.agentId).not.toBe(first.agentId);
    expectMapleError(() => SharedMutex.attach(first.share()), 'EBUSY');
    const secondId = second.agentId;
    second.free();
    const third = SharedMutex.attach(first.share());
    expect(third.agentId).not.toBe(secondId); // a new generation: old ids stay dead
    expect(first.forgetAgent(secondId)).toBe(false);
    expect(first.forgetAgent(third.agentId)).toBe(true);
  });

  it('detects that Node agents may block, and polls with EBUSY when told it cannot', () => {
    expect(agentCanBlock()).toBe(true);
    const owner = new SharedMutex({ lockTimeoutMs: 40 });
    const mainThread = SharedMutex.attach(owner.share(), { blocking: false });
    expect(mainThread.blocking).toBe(false);
    expect(mainThread.lockTimeoutMs).toBe(40); // the creator's default travels in the handle
    owner.lock();
    const start = performance.now();
    expectMapleError(() => mainThread.lock(), 'EBUSY');
    expect(performance.now() - start).toBeGreaterThanOrEqual(39);
    expect(owner.isHeld()).toBe(true);
    expect(mainThread.isHeld()).toBe(false);
    owner.unlock();
    mainThread.lock();
    expect(mainThread.isHeld()).toBe(true);
  });
});

describe('SharedMutex across worker threads', () => {
  it('loses no update when four workers increment a plain counter under it', async () => {
    const WORKERS = 4;
    const ITERATIONS = 20_000;
    const mutex = new SharedMutex();
    const counter = new SharedArrayBuffer(8);
    const workers = spawn(WORKERS);
    // Two workers sleep in Atomics.wait, two poll: both paths hand the lock over correctly.
    await Promise.all(workers.map((w, i) => w.call('attachMutex', { handle: mutex.share(), options: { blocking: i % 2 === 0, lockTimeoutMs: 60_000 } })));
    await Promise.all(workers.map((w) => w.call('count', { counter, iterations: ITERATIONS, parties: WORKERS })));
    expect(new Int32Array(counter)[0]).toBe(WORKERS * ITERATIONS);
    expect(mutex.tryLock()).toBe(true);
  });

  it('reports tryLock, EDEADLK and EINVAL per agent, and wakes a sleeping waiter on unlock', async () => {
    const mutex = new SharedMutex();
    const [worker] = spawn(1);
    const workerId = await worker!.call<number>('attachMutex', { handle: mutex.share() });
    expect(workerId).not.toBe(mutex.agentId);

    mutex.lock();
    expect(await worker!.call('tryLock')).toBe(false);
    expect(await worker!.failure('unlock')).toBe('EINVAL');
    expect(await worker!.call('isHeld')).toBe(false);
    expect(mutex.isHeld()).toBe(true);

    let acquired = false;
    const waiting = worker!.call('lock').then(() => (acquired = true));
    await sleep(100);
    expect(acquired).toBe(false);
    mutex.unlock();
    await waiting;
    expect(mutex.owner).toBe(workerId);
    expect(await worker!.failure('lock')).toBe('EDEADLK');
    expect(await worker!.failure('tryLock')).toBe('EDEADLK');
    expect(mutex.isHeld()).toBe(false);
    expectMapleError(() => mutex.unlock(), 'EINVAL');
    expect(mutex.tryLock()).toBe(false);
    await worker!.call('unlock');
    expect(mutex.tryLock()).toBe(true);
  });

  it('times out with EBUSY in a worker that polls while another agent holds it', async () => {
    const mutex = new SharedMutex();
    const [worker] = spawn(1);
    await worker!.call('attachMutex', { handle: mutex.share(), options: { blocking: false, lockTimeoutMs: 50 } });
    mutex.lock();
    expect(await worker!.failure('lock')).toBe('EBUSY');
    mutex.unlock();
    await worker!.call('lock');
    expect(await worker!.call('isHeld')).toBe(true);
  });

  it('stays held by a terminated worker until forgetAgent, which hands it to a waiter', async () => {
    const mutex = new SharedMutex();
    const [dying, waiter] = spawn(2);
    const dyingId = await dying!.call<number>('attachMutex', { handle: mutex.share() });
    const waiterId = await waiter!.call<number>('attachMutex', { handle: mutex.share() });
    await dying!.call('lock');
    const waiting = waiter!.call('lock');
    await dying!.terminate();
    await sleep(50);
    expect(mutex.owner).toBe(dyingId);
    expect(mutex.tryLock()).toBe(false);

    expect(mutex.forgetAgent(dyingId)).toBe(true);
    await waiting;
    expect(mutex.owner).toBe(waiterId);
    expect(mutex.forgetAgent(dyingId)).toBe(false);
    await waiter!.call('unlock');
    expect(mutex.tryLock()).toBe(true);
  });
});
