/**
 * The lock word: a mutex in one 32-bit word of shared memory, owned by an agent id.
 *
 * The word holds 0 (free) or the owner's agent id (1 .. MAX_AGENT_ID), plus the WAITERS bit once
 * some agent may be sleeping in `Atomics.wait` on it — the three states of Drepper's "Futexes
 * are tricky" (free / locked / locked-with-waiters), with the owner kept in the low bits so that
 * unlock by a non-owner and re-acquire by the owner are caught, and a dead owner can be found.
 *
 *   bit 31     bit 30     bits 29..0
 *   ┌────────┬──────────┬──────────────────────────┐
 *   │ 0      │ WAITERS  │ owner agent id (0: free) │
 *   └────────┴──────────┴──────────────────────────┘
 *
 * Acquire: one compare-and-swap 0 → id; a short bounded spin of the same; then either a futex
 * wait (agents that may block: workers, the Node main thread) or, where the agent cannot block
 * (a browser main thread), polling until `timeoutMs` and EBUSY. Release: swap in 0 and notify
 * one sleeper only if the WAITERS bit was set, so an uncontended unlock is one atomic op.
 *
 * These are free functions over (view, index, agentId) so that the same routines serve a
 * standalone SharedMutex and, later, the tree's internal lock (a word in the tree's memory).
 * They are written in JS on purpose: on Node 20 the WebAssembly `memory.atomic.wait32` clobbers
 * live locals (V8 Liftoff), and a JS `Atomics.wait` does not.
 */

import { MapleError } from '../backend/errors.js';

/** Set while some agent may be sleeping on the word: unlock must notify. */
export const LOCK_WAITERS = 1 << 30;
/** The owner bits; agent ids are 1 .. MAX_AGENT_ID. */
export const LOCK_OWNER_MASK = LOCK_WAITERS - 1;
export const MAX_AGENT_ID = LOCK_OWNER_MASK;
/** Compare-and-swap attempts before sleeping: long enough for a short critical section to end. */
export const LOCK_SPIN_LIMIT = 100;
/** Polling iterations between clock reads when the agent cannot block. */
const POLLS_PER_CLOCK_READ = 64;

/** How an acquirer waits once the spin is over. */
export interface LockWaitOptions {
  /** True where `Atomics.wait` is allowed (workers, Node); false on a browser main thread. */
  blocking: boolean;
  /** Non-blocking agents give up with EBUSY after this many milliseconds. */
  timeoutMs: number;
}

/**
 * Checks whether this agent may block in `Atomics.wait` (a browser main thread may not).
 * The check throws before comparing the value, so a mismatched value never sleeps.
 */
export function agentCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The owner's agent id, or 0 when the lock is free. */
export function lockOwner(view: Int32Array, index: number): number {
  return Atomics.load(view, index) & LOCK_OWNER_MASK;
}

/**
 * Takes the lock only if it is free.
 * @returns true if `agentId` now holds it, false if another agent does.
 * @throws MapleError EDEADLK if `agentId` already holds it.
 */
export function tryAcquireLock(view: Int32Array, index: number, agentId: number, method: string): boolean {
  assertNotOwner(view, index, agentId, method);
  return Atomics.compareExchange(view, index, 0, agentId) === 0;
}

/**
 * Takes the lock, waiting while another agent holds it.
 * Blocking agents sleep until woken and never give up; non-blocking agents poll.
 * @throws MapleError EDEADLK if `agentId` already holds it; EBUSY if the agent cannot block
 * and the lock stayed taken for `timeoutMs`. The word is unchanged by a throw.
 */
export function acquireLock(
  view: Int32Array,
  index: number,
  agentId: number,
  wait: LockWaitOptions,
  method: string,
): void {
  if (tryAcquireLock(view, index, agentId, method)) return;
  if (spinAcquire(view, index, agentId)) return;
  if (wait.blocking) sleepAcquire(view, index, agentId);
  else pollAcquire(view, index, agentId, wait.timeoutMs, method);
}

/**
 * Drops the lock and wakes one sleeper if any may be waiting.
 * @throws MapleError EINVAL if `agentId` does not hold it (the word is unchanged).
 */
export function releaseLock(view: Int32Array, index: number, agentId: number, method: string): void {
  const owner = lockOwner(view, index);
  if (owner !== agentId) {
    const holder = owner === 0 ? 'nobody' : `agent ${owner}`;
    throw new MapleError('EINVAL', `${method}: the lock is held by ${holder}, not by agent ${agentId}`);
  }
  // Only the owner clears the owner bits; others may only add WAITERS meanwhile.
  if (Atomics.exchange(view, index, 0) & LOCK_WAITERS) Atomics.notify(view, index, 1);
}

/**
 * Releases the lock on behalf of an agent that died holding it.
 * Wakes every sleeper: the word lost its WAITERS history, and each will re-mark it.
 * @returns true if `deadAgentId` held the lock and it is now free.
 */
export function breakLock(view: Int32Array, index: number, deadAgentId: number): boolean {
  for (;;) {
    const word = Atomics.load(view, index);
    if ((word & LOCK_OWNER_MASK) !== deadAgentId) return false;
    if (Atomics.compareExchange(view, index, word, 0) === word) {
      Atomics.notify(view, index);
      return true;
    }
  }
}

function assertNotOwner(view: Int32Array, index: number, agentId: number, method: string): void {
  if (lockOwner(view, index) === agentId) {
    throw new MapleError('EDEADLK', `${method}: agent ${agentId} already holds the lock`);
  }
}

/** Retries the free → owned swap a bounded number of times, reading before each swap. */
function spinAcquire(view: Int32Array, index: number, agentId: number): boolean {
  for (let i = 0; i < LOCK_SPIN_LIMIT; i++) {
    if (Atomics.load(view, index) === 0 && Atomics.compareExchange(view, index, 0, agentId) === 0) return true;
  }
  return false;
}

/**
 * Drepper's mutex, with the owner id: mark the word WAITERS, sleep while it still reads as
 * marked, and on finding it free take it *with* the mark, since other sleepers may remain.
 */
function sleepAcquire(view: Int32Array, index: number, agentId: number): void {
  const marked = agentId | LOCK_WAITERS;
  for (;;) {
    const word = Atomics.load(view, index);
    if (word === 0) {
      if (Atomics.compareExchange(view, index, 0, marked) === 0) return;
      continue;
    }
    const sleepOn = word | LOCK_WAITERS;
    if (word !== sleepOn && Atomics.compareExchange(view, index, word, sleepOn) !== word) continue;
    Atomics.wait(view, index, sleepOn);
  }
}

/** Polls the word without sleeping (and without the WAITERS mark) until the deadline. */
function pollAcquire(view: Int32Array, index: number, agentId: number, timeoutMs: number, method: string): void {
  const deadline = performance.now() + timeoutMs;
  for (let i = 1; ; i++) {
    if (Atomics.load(view, index) === 0 && Atomics.compareExchange(view, index, 0, agentId) === 0) return;
    if (i % POLLS_PER_CLOCK_READ === 0 && performance.now() >= deadline) {
      throw new MapleError(
        'EBUSY',
        `${method}: agent ${lockOwner(view, index)} held the lock for ${timeoutMs} ms and this agent cannot block`,
      );
    }
  }
}
