/**
 * The tree lock: the kernel's internal spinlock (mtree_lock) or an external lock the caller
 * owns (MT_FLAGS_LOCK_EXTERN plus the lockdep assertion).
 *
 * JavaScript has no concurrent writer, so the internal lock only records who may write:
 * a normal-API writer holds it for its duration, and finding it already held means the caller
 * would deadlock in the kernel (EDEADLK). Advanced-API (MaState) writers require it held.
 */

import { MapleError } from './errors.js';

/** A lock owned by the caller; every write asserts `isHeld()`. */
export interface ExternalLock {
  isHeld(): boolean;
}

export function isExternalLock(value: unknown): value is ExternalLock {
  return typeof value === 'object' && value !== null && typeof (value as ExternalLock).isHeld === 'function';
}

export class TreeLock {
  private held = false;

  constructor(readonly external: ExternalLock | null) {}

  get isExternal(): boolean {
    return this.external !== null;
  }

  /** True while the internal lock is taken, or while the external lock reports held. */
  isLocked(): boolean {
    return this.external ? this.external.isHeld() === true : this.held;
  }

  /** mtree_lock(): taking a lock this context already holds would deadlock. */
  acquire(method: string): void {
    if (this.external) throw new MapleError('EINVAL', `${method}: the tree uses an external lock`);
    if (this.held) throw new MapleError('EDEADLK', `${method}: the tree lock is already held`);
    this.held = true;
  }

  release(method: string): void {
    if (this.external) throw new MapleError('EINVAL', `${method}: the tree uses an external lock`);
    if (!this.held) throw new MapleError('EINVAL', `${method}: the tree lock is not held`);
    this.held = false;
  }

  /**
   * Enters a normal-API write: takes the internal lock (EDEADLK if already held) or asserts the
   * external one (ENOLCK). Returns whether exitWriter() must drop the internal lock.
   */
  enterWriter(method: string): boolean {
    if (this.external) {
      if (this.external.isHeld() !== true) {
        throw new MapleError('ENOLCK', `${method}: the external lock is not held`);
      }
      return false;
    }
    if (this.held) {
      throw new MapleError('EDEADLK', `${method}: called while the tree lock is held (use the MaState API)`);
    }
    this.held = true;
    return true;
  }

  exitWriter(taken: boolean): void {
    if (taken) this.held = false;
  }

  /** Advanced-API writers run under the caller's write lock. */
  assertHeldForState(method: string): void {
    if (!this.isLocked()) {
      const which = this.external ? 'the external lock' : 'the tree lock (tree.lock())';
      throw new MapleError('ENOLCK', `${method}: ${which} must be held`);
    }
  }
}
