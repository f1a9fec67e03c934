/**
 * The tree lock: the kernel's internal spinlock (mtree_lock) or an external lock the caller
 * owns (MT_FLAGS_LOCK_EXTERN plus the lockdep assertion).
 *
 * A tree only this agent can reach has no concurrent writer, so its internal lock only records
 * who may write; a shared tree's is a real lock word (LockCell). A normal-API writer holds it
 * for its duration, and finding it already held by this agent means the caller would deadlock
 * in the kernel (EDEADLK). Advanced-API (MaState) writers require it held.
 */

import { MapleError } from '../backend/errors.js';
import type { ExternalLock, LockCell } from '../shared/locks.js';

export type { ExternalLock, LockCell } from '../shared/locks.js';

export function isExternalLock(value: unknown): value is ExternalLock {
  return typeof value === 'object' && value !== null && typeof (value as ExternalLock).isHeld === 'function';
}

export class TreeLock {
  /** The internal lock of a tree no other agent can reach (no cell): only records who may write. */
  private flag = false;

  /**
   * `cell`: a shared tree's lock word. Without one the lock is the flag above, kept here
   * rather than in a cell object of its own: small trees are made by the thousand.
   */
  constructor(readonly external: ExternalLock | null, private readonly cell: LockCell | null = null) {}

  get isExternal(): boolean {
    return this.external !== null;
  }

  /** True while the internal lock is taken (by this agent), or while the external lock reports held. */
  isLocked(): boolean {
    return this.external ? this.external.isHeld() === true : this.held();
  }

  /** mtree_lock(): taking a lock this agent already holds would deadlock. */
  acquire(method: string): void {
    this.assertInternal(method);
    this.take(method);
  }

  /** Takes the internal lock if no agent holds it (false if another one does). */
  tryAcquire(method: string): boolean {
    this.assertInternal(method);
    return this.cell === null ? this.tryTakeFlag(method) : this.cell.tryTake(method);
  }

  release(method: string): void {
    this.assertInternal(method);
    this.drop(method);
  }

  /**
   * Enters a normal-API write: takes the internal lock (EDEADLK if this agent holds it, waits
   * while another does) or asserts the external one (ENOLCK). Returns whether exitWriter()
   * must drop the internal lock.
   */
  enterWriter(method: string): boolean {
    if (this.external) {
      if (this.external.isHeld() !== true) {
        throw new MapleError('ENOLCK', `${method}: the external lock is not held`);
      }
      return false;
    }
    if (this.held()) {
      throw new MapleError('EDEADLK', `${method}: called while the tree lock is held (use the MaState API)`);
    }
    this.take(method);
    return true;
  }

  /** Leaves a normal-API write; `taken` means this agent holds the internal lock (no check needed). */
  exitWriter(taken: boolean): void {
    if (!taken) return;
    if (this.cell === null) this.flag = false;
    else this.cell.drop('MapleTree');
  }

  /** Advanced-API writers run under the caller's write lock. */
  assertHeldForState(method: string): void {
    if (!this.isLocked()) {
      const which = this.external ? 'the external lock' : 'the tree lock (tree.lock())';
      throw new MapleError('ENOLCK', `${method}: ${which} must be held`);
    }
  }

  /** The internal lock's state, from the flag or the shared cell. */
  private held(): boolean {
    return this.cell === null ? this.flag : this.cell.held();
  }

  private take(method: string): void {
    if (this.cell === null) this.tryTakeFlag(method); // no other agent can hold the flag
    else this.cell.take(method);
  }

  private tryTakeFlag(method: string): boolean {
    if (this.flag) throw new MapleError('EDEADLK', `${method}: the tree lock is already held`);
    this.flag = true;
    return true;
  }

  private drop(method: string): void {
    if (this.cell !== null) return this.cell.drop(method);
    if (!this.flag) throw new MapleError('EINVAL', `${method}: the tree lock is not held`);
    this.flag = false;
  }

  private assertInternal(method: string): void {
    if (this.external) throw new MapleError('EINVAL', `${method}: the tree uses an external lock`);
  }
}
