// Epoch-based reclamation across agents: the grace-period rule, dead readers, and a stress run
// in which reclaimed slots are poisoned and readers inside read sections must never see poison.
import { describe, expect, it } from 'vitest';
import { SharedEpoch } from '../../src/index.js';
import { Reclaimer, enterRead, globalEpoch, leaveRead, type EpochWords } from '../../src/shared/epoch.js';
import { useAgents, type AgentWorker } from './agentWorker.js';
import { expectMapleError } from '../support/model.js';
import { Rng } from '../support/rng.js';

const spawn = useAgents();


describe('Reclaimer over epoch words', () => {
  const words = (capacity: number): EpochWords => ({ view: new Int32Array(new SharedArrayBuffer(4 * (1 + capacity))), base: 0, capacity });

  it('reclaims everything at once when nobody reads', () => {
    const reclaimer = new Reclaimer(words(2));
    for (let i = 0; i < 200; i++) reclaimer.retire(i); // past the initial capacity
    expect(reclaimer.pending).toBe(200);
    expect(reclaimer.reclaim()).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(reclaimer.reclaim()).toEqual([]);
    expectMapleError(() => reclaimer.retire(2 ** 31), 'EINVAL');
    expectMapleError(() => reclaimer.retire(0.5), 'EINVAL');
  });

  it('holds back exactly what a reader might have reached, in FIFO order with reuse of space', () => {
    const epochs = words(2);
    const reclaimer = new Reclaimer(epochs);
    const rng = new Rng(10);
    const reading: (number | undefined)[] = [undefined, undefined];
    let retired = 0;
    let reclaimed = 0;
    /** Enters or leaves slot's read section, remembering how many items were retired on entry. */
    const toggleReader = (slot: number) => {
      if (reading[slot] === undefined) enterRead(epochs, slot);
      else leaveRead(epochs, slot);
      reading[slot] = reading[slot] === undefined ? retired : undefined;
    };
    for (let step = 0; step < 5000; step++) {
      const roll = rng.next();
      if (roll < 0.5) reclaimer.retire(retired++);
      else if (roll < 0.6) toggleReader(rng.int(0, 1));
      else {
        const got = reclaimer.reclaim();
        for (const item of got) expect(item).toBe(reclaimed++); // oldest first, nothing skipped
        // An item retired after a reader entered is never returned while it reads.
        for (const since of reading) if (since !== undefined) expect(reclaimed).toBeLessThanOrEqual(since);
      }
    }
    expect(reclaimed).toBeGreaterThan(1000);
  });

  it('keeps the epoch from lapping a reader stuck in a read section', () => {
    const epochs = words(1);
    const reclaimer = new Reclaimer(epochs);
    epochs.view[0] = 2 ** 31 - 5; // near the wrap
    enterRead(epochs, 0);
    Atomics.store(epochs.view, 0, epochs.view[0]! + 2 ** 30 - 3); // almost a half-lap later
    reclaimer.retire(1);
    for (let i = 0; i < 10; i++) expect(reclaimer.reclaim()).toEqual([]);
    const stuck = globalEpoch(epochs);
    expect(stuck).toBe(((2 ** 31 - 5) + 2 ** 30 - 1) & 0x7fffffff); // stopped one short of the guard
    leaveRead(epochs, 0);
    expect(reclaimer.reclaim()).toEqual([1]);
  });
});

describe('SharedEpoch in one agent', () => {
  it('nests read sections and rejects misuse', () => {
    const epoch = new SharedEpoch();
    const other = SharedEpoch.attach(epoch.share());
    expectMapleError(() => other.readUnlock(), 'EINVAL');
    other.readLock();
    other.readLock();
    epoch.retire(7);
    expect(epoch.reclaim()).toEqual([]);
    other.readUnlock();
    expect(other.inReadSection).toBe(true);
    expect(epoch.isReading(other.agentId)).toBe(true);
    expect(epoch.reclaim()).toEqual([]);
    other.readUnlock();
    expect(epoch.reclaim()).toEqual([7]);
    expectMapleError(() => SharedEpoch.attach({ buffer: new SharedArrayBuffer(8) }), 'EINVAL');
    expectMapleError(() => new SharedEpoch({ maxAgents: 1.5 }), 'EINVAL');
    other.readLock();
    other.free(); // leaves its read section
    epoch.retire(8);
    expect(epoch.reclaim()).toEqual([8]);
    expectMapleError(() => other.readLock(), 'EINVAL');
    expect(other.inReadSection).toBe(false);
  });
});

describe('SharedEpoch across worker threads', () => {
  it('a reader inside a read section holds back what was retired after it entered', async () => {
    const epoch = new SharedEpoch();
    const [first, second] = spawn(2);
    await first!.call('attachEpoch', { handle: epoch.share() });
    const secondId = await second!.call<number>('attachEpoch', { handle: epoch.share() });

    epoch.retire(1);
    expect(epoch.reclaim()).toEqual([1]); // nobody reading
    await first!.call('readLock');
    epoch.retire(2);
    epoch.retire(3);
    expect(epoch.reclaim()).toEqual([]);
    expect(epoch.pending).toBe(2);
    // A reader entering now cannot reach 2 or 3 (unlinked before it entered): it holds back nothing older.
    await second!.call('readLock');
    expect(epoch.isReading(secondId)).toBe(true);
    epoch.retire(4);
    await first!.call('readUnlock');
    expect(epoch.reclaim()).toEqual([2, 3]);
    await second!.call('readUnlock');
    expect(epoch.reclaim()).toEqual([4]);
    expect(epoch.pending).toBe(0);
  });

  it('a reader terminated mid-read holds memory back until forgetAgent', async () => {
    const epoch = new SharedEpoch();
    const [reader] = spawn(1);
    const readerId = await reader!.call<number>('attachEpoch', { handle: epoch.share() });
    await reader!.call('readLock');
    await reader!.terminate();
    epoch.retire(10);
    expect(epoch.reclaim()).toEqual([]);
    expect(epoch.isReading(readerId)).toBe(true);
    expect(epoch.forgetAgent(readerId)).toBe(true);
    expect(epoch.isReading(readerId)).toBe(false);
    expect(epoch.reclaim()).toEqual([10]);
    expect(epoch.forgetAgent(readerId)).toBe(false);
  });

  /** Pool slots are SLOT_WORDS words: word j holds word 0 + j; a reclaimed slot holds POISON. */
  const SLOT_WORDS = 8;
  const POOL_SLOTS = 64;
  const DIRECTORY = 8;
  const POISON = -0x21524111; // 0xdeadbeef
  const STRESS_MS = 1500;

  /**
   * The writer (this thread) replaces directory entries with freshly written slots, retires the
   * old ones and reclaims them, poisoning each reclaimed slot before it is reused. Returns the
   * readers' counts and the writer's.
   */
  async function stress(readers: AgentWorker[], protect: boolean) {
    const epoch = new SharedEpoch();
    const pool = new SharedArrayBuffer(4 * POOL_SLOTS * SLOT_WORDS);
    const directory = new SharedArrayBuffer(4 * DIRECTORY);
    const control = new SharedArrayBuffer(8); // [stop, readers ready]
    const words = new Int32Array(pool);
    const dir = new Int32Array(directory);
    const ctl = new Int32Array(control);
    let version = 1;
    const fill = (slot: number) => {
      for (let j = 0; j < SLOT_WORDS; j++) words[slot * SLOT_WORDS + j] = version + j;
      version = (version + SLOT_WORDS) % 0x3fff_ffff;
    };
    for (let d = 0; d < DIRECTORY; d++) { fill(d); dir[d] = d; }
    const free = Array.from({ length: POOL_SLOTS - DIRECTORY }, (_, i) => DIRECTORY + i);
    const poisonInto = (slots: number[]) => {
      for (const slot of slots) words.fill(POISON, slot * SLOT_WORDS, (slot + 1) * SLOT_WORDS);
      free.push(...slots);
      return slots.length;
    };

    await Promise.all(readers.map((r) => r.call('attachEpoch', { handle: epoch.share() })));
    const results = readers.map((r) => r.call<{ reads: number; violations: number }>('stressRead', {
      pool, directory, control, slotWords: SLOT_WORDS, rereads: 32, protect, poison: POISON,
    }));
    while (Atomics.load(ctl, 1) < readers.length) await new Promise((resolve) => setTimeout(resolve, 5));

    let replaced = 0;
    let reclaimed = 0;
    let stalls = 0;
    const rng = new Rng(99);
    const end = performance.now() + STRESS_MS;
    while (performance.now() < end) {
      if (replaced % 4 === 0 || free.length === 0) reclaimed += poisonInto(epoch.reclaim());
      if (free.length === 0) { stalls++; continue; } // writers never wait for readers
      const slot = free.pop()!;
      fill(slot);
      const d = rng.int(0, DIRECTORY - 1);
      const old = Atomics.exchange(dir, d, slot); // the unlink
      epoch.retire(old);
      replaced++;
    }
    Atomics.store(ctl, 0, 1);
    const read = await Promise.all(results);
    return {
      reads: read.reduce((n, r) => n + r.reads, 0),
      violations: read.reduce((n, r) => n + r.violations, 0),
      replaced, reclaimed, stalls,
    };
  }

  it('readers inside read sections never see a reclaimed (poisoned) slot while the writer reuses them', async () => {
    const run = await stress(spawn(2), true);
    expect(run.violations).toBe(0);
    expect(run.reads).toBeGreaterThan(1000);
    expect(run.reclaimed).toBeGreaterThan(2 * POOL_SLOTS); // every slot was reused, on average more than once
  });

  it('control: the same readers outside read sections do see poison, so the check can fail', async () => {
    const run = await stress(spawn(2), false);
    expect(run.violations).toBeGreaterThan(0);
  });
});
