/**
 * The two kinds of lock a tree can have, as interfaces: the caller's external lock, and the
 * cell holding the tree's internal lock (a flag in src/tree/lock.ts for a tree one agent
 * uses, a lock word in shared memory for a shared tree: src/shared/treeCore.ts). They live
 * here, below the facade, so that SharedMutex and SharedCore implement them without
 * importing src/tree.
 */

/** A lock owned by the caller; every write asserts `isHeld()`. */
export interface ExternalLock {
  isHeld(): boolean;
}

/**
 * Where the internal lock lives: a flag for a tree only this agent uses, a lock word in
 * shared memory for a shared tree (src/shared/treeCore.ts), where "held" means held by this
 * agent and `take` waits while another agent holds it.
 */
export interface LockCell {
  /** True while this agent holds the lock. */
  held(): boolean;
  /** Takes the lock (waiting if another agent holds it); EDEADLK if this agent does. */
  take(method: string): void;
  /** Takes the lock if it is free; EDEADLK if this agent holds it. */
  tryTake(method: string): boolean;
  /** Drops the lock; EINVAL if this agent does not hold it. */
  drop(method: string): void;
}
