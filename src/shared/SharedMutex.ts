/**
 * SharedMutex: a mutex that works across agents (main thread, worker_threads, browser Workers),
 * over a lock word in a SharedArrayBuffer. It satisfies ExternalLock, so it can be the external
 * lock of a tree written from several agents.
 */

import { MapleError } from '../backend/errors.js';
import type { ExternalLock } from './locks.js';
import { acquireLock, agentCanBlock, lockOwner, releaseLock, tryAcquireLock } from './lockWord.js';
import { checkMaxAgents, checkOptions, constructOver, SharedRegion } from './region.js';

/** How long a non-blocking agent waits for the lock before EBUSY, unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 1000;

/** Per-agent waiting behaviour. */
export interface SharedMutexAttachOptions {
  /**
   * Milliseconds an agent that cannot block (a browser main thread) polls for the lock before
   * `lock()` throws EBUSY. Default: the creator's value, else 1000. Blocking agents never time out.
   */
  lockTimeoutMs?: number;
  /**
   * Whether `lock()` may sleep in `Atomics.wait`. Default: detected (false on a browser main
   * thread). `false` elsewhere makes the agent poll and time out as a browser main thread does.
   */
  blocking?: boolean;
}

export interface SharedMutexOptions extends SharedMutexAttachOptions {
  /** Agents that may be attached at once (default 64). */
  maxAgents?: number;
}

/** A structured-cloneable value: `postMessage` it, then `SharedMutex.attach(handle)` there. */
export interface SharedMutexHandle {
  readonly buffer: SharedArrayBuffer;
  readonly lockTimeoutMs: number;
}

function checkTimeout(value: unknown, fallback: number, method: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw new MapleError('EINVAL', `${method}: lockTimeoutMs must be a finite number >= 0`);
  }
  return value;
}

function checkBlocking(value: unknown, method: string): boolean {
  if (value === undefined) return agentCanBlock();
  if (typeof value !== 'boolean') throw new MapleError('EINVAL', `${method}: blocking must be a boolean`);
  return value;
}

/**
 * A mutex over a SharedArrayBuffer, shared by handle with other agents.
 *
 * @example
 * const mutex = new SharedMutex();
 * const tree = new MapleTree<number>({ lock: mutex });
 * worker.postMessage(mutex.share()); // there: SharedMutex.attach(handle)
 */
export class SharedMutex implements ExternalLock {
  /** Milliseconds a non-blocking `lock()` polls before EBUSY. */
  readonly lockTimeoutMs: number;
  /** Whether `lock()` sleeps while it waits (false: it polls, then EBUSY). */
  readonly blocking: boolean;
  private readonly region: SharedRegion;

  /**
   * Creates the mutex and attaches this agent to it. Throws EINVAL for bad options.
   *
   * @example
   * const mutex = new SharedMutex({ maxAgents: 8, lockTimeoutMs: 50 });
   */
  constructor(options?: SharedMutexOptions) {
    const method = 'new SharedMutex';
    const opts = checkOptions(options, method);
    const maxAgents = checkMaxAgents(opts.maxAgents, method);
    this.lockTimeoutMs = checkTimeout(opts.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, method);
    this.blocking = checkBlocking(opts.blocking, method);
    this.region = SharedRegion.createOrAdopt(maxAgents, method);
  }

  /** This agent's id (≥ 1) in the mutex's registry; 0 after free(). */
  get agentId(): number {
    return this.region.agentId;
  }

  /**
   * The handle other agents attach with. @throws MapleError EINVAL after free().
   *
   * @example
   * worker.postMessage({ mutex: mutex.share() });
   */
  share(): SharedMutexHandle {
    this.region.assertAttached('SharedMutex.share');
    return { buffer: this.region.buffer, lockTimeoutMs: this.lockTimeoutMs };
  }

  /**
   * Attaches this agent to a mutex shared by another (synchronous), as a new agent.
   * @throws MapleError EINVAL for a value that is not a handle or bad options; EBUSY when
   * every agent slot is taken.
   *
   * @example
   * // in the worker
   * parentPort.on('message', ({ mutex: handle }) => {
   *   const mutex = SharedMutex.attach(handle);
   * });
   */
  static attach(handle: SharedMutexHandle, options?: SharedMutexAttachOptions): SharedMutex {
    const method = 'SharedMutex.attach';
    if (typeof handle !== 'object' || handle === null) throw new MapleError('EINVAL', `${method}: not a handle`);
    const opts = checkOptions(options, method);
    const lockTimeoutMs = opts.lockTimeoutMs ?? checkTimeout(handle.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, method);
    const region = SharedRegion.attach(handle.buffer, method);
    return constructOver(region, () => new SharedMutex({ ...opts, lockTimeoutMs } as SharedMutexOptions));
  }

  /**
   * Takes the mutex, waiting while another agent holds it.
   * @throws MapleError EDEADLK if this agent holds it; EBUSY if this agent cannot block and it
   * stayed held for `lockTimeoutMs`; EINVAL after free().
   *
   * @example
   * mutex.lock();
   * try { tree.store(5, 'x'); } finally { mutex.unlock(); }
   */
  lock(): void {
    const method = 'SharedMutex.lock';
    this.region.assertAttached(method);
    const wait = { blocking: this.blocking, timeoutMs: this.lockTimeoutMs };
    acquireLock(this.region.view, this.region.lockIndex, this.agentId, wait, method);
  }

  /**
   * Takes the mutex if it is free.
   * @returns false if another agent holds it.
   * @throws MapleError EDEADLK if this agent holds it; EINVAL after free().
   *
   * @example
   * if (mutex.tryLock()) {
   *   try { tree.store(5, 'x'); } finally { mutex.unlock(); }
   * }
   */
  tryLock(): boolean {
    const method = 'SharedMutex.tryLock';
    this.region.assertAttached(method);
    return tryAcquireLock(this.region.view, this.region.lockIndex, this.agentId, method);
  }

  /**
   * Releases the mutex. @throws MapleError EINVAL if this agent does not hold it.
   *
   * @example
   * mutex.lock();
   * mutex.unlock();
   * mutex.isHeld(); // false
   */
  unlock(): void {
    const method = 'SharedMutex.unlock';
    this.region.assertAttached(method);
    releaseLock(this.region.view, this.region.lockIndex, this.agentId, method);
  }

  /**
   * True while this agent holds the mutex (ExternalLock).
   *
   * @example
   * mutex.lock();
   * mutex.isHeld(); // true
   */
  isHeld(): boolean {
    return this.region.attached && lockOwner(this.region.view, this.region.lockIndex) === this.agentId;
  }

  /** The agent id holding the mutex, or 0. */
  get owner(): number {
    return lockOwner(this.region.view, this.region.lockIndex);
  }

  /**
   * Unregisters an agent that ended without free() (a terminated worker: call this from the
   * worker's `exit` event with the id it reported). If it held the mutex, the mutex is released
   * and a waiter woken — whatever the mutex guarded may be half-updated.
   * @returns false if `agentId` was not attached.
   * @throws MapleError EINVAL for this agent's own id, or after free().
   *
   * @example
   * worker.on('message', (id: number) => { workerAgent = id; }); // the worker posts mutex.agentId
   * worker.on('exit', () => mutex.forgetAgent(workerAgent));
   */
  forgetAgent(agentId: number): boolean {
    return this.region.forget(agentId, 'SharedMutex.forgetAgent');
  }

  /**
   * Ends this agent's use: releases the mutex if held, then the agent slot. Idempotent.
   *
   * @example
   * mutex.free();
   * mutex.agentId; // 0
   */
  free(): void {
    if (this.isHeld()) this.unlock();
    this.region.detach();
  }

  /**
   * free() for `using`: this agent's slot is given up when the block ends.
   *
   * @example
   * {
   *   using mutex = SharedMutex.attach(handle);
   *   mutex.lock();
   * } // unlocked and detached here
   */
  [Symbol.dispose](): void {
    this.free();
  }
}
