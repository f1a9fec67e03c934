/**
 * The sharing half of MapleTree (share, attach, detach, forgetAgent, agentId, rewalks): what a
 * tree's context does when its core is a SharedCore (treeCore.ts), and EINVAL when it is not.
 * MapleTree inherits these and the lock methods (lock, tryLock, unlock, isLocked) from
 * SharingTree, so its own file keeps the tree's other jobs.
 */

import type { TreeContext } from './context.js';
import { MapleError } from '../backend/errors.js';
import { TREE_ALLOC_RANGE } from '../backend/layout.js';
import { SharedCore, type SharedTreeHandle } from '../shared/treeCore.js';

function sharedCore(ctx: TreeContext, method: string): SharedCore {
  const core = ctx.core;
  if (!(core instanceof SharedCore)) throw new MapleError('EINVAL', `${method}: not a shared tree (create it with { shared: true })`);
  return core;
}

/** The handle other agents attach with. */
export function shareTree(ctx: TreeContext): SharedTreeHandle {
  return sharedCore(ctx, 'MapleTree.share').handle(ctx.id);
}

/** The core and tree an attaching agent opens, with the tree's gap tracking. */
export function attachTree(handle: SharedTreeHandle): { core: SharedCore; tree: number; allocRange: boolean } {
  const { core, tree } = SharedCore.attach('MapleTree.attach', handle);
  return { core, tree, allocRange: (core.flags(tree) & TREE_ALLOC_RANGE) !== 0 };
}

/** Ends this agent's use of the tree's memory; the tree lives on in the other agents. */
export function detachTree(ctx: TreeContext): void {
  sharedCore(ctx, 'MapleTree.detach').detach();
  ctx.abandon();
}

export function forgetTreeAgent(ctx: TreeContext, agentId: number): boolean {
  return sharedCore(ctx, 'MapleTree.forgetAgent').forgetAgent(agentId);
}

/** This agent's id in a shared tree's memory; 0 for a tree that is not shared. */
export function treeAgentId(ctx: TreeContext): number {
  return ctx.core instanceof SharedCore ? ctx.core.agentId : 0;
}

/** This agent's RCU read restarts in the tree's memory; 0 for a tree that is not shared. */
export function treeRewalks(ctx: TreeContext): number {
  return ctx.core instanceof SharedCore ? ctx.core.rewalks : 0;
}

/**
 * MapleTree's lock and sharing methods (a shared tree's lock is the one its agents share);
 * MapleTree gives them its context.
 */
export abstract class SharingTree {
  /** @internal The tree's context; checked live for `method` when one is named. */
  protected abstract _context(method?: string): TreeContext;

  /**
   * `mtree_lock`: takes the internal lock, which MaState writers require and during which
   * normal-API writers throw EDEADLK. Locking: EDEADLK if already held; EINVAL on an
   * external-lock tree.
   *
   * @example
   * tree.lock();
   * try { tree.state(5).store('x'); } finally { tree.unlock(); }
   */
  lock(): void {
    this._context('MapleTree.lock').lock.acquire('MapleTree.lock');
  }

  /**
   * Takes the internal lock if no agent holds it: false if another agent does. Locking:
   * EDEADLK if this agent holds it; EINVAL on an external-lock tree.
   */
  tryLock(): boolean {
    return this._context('MapleTree.tryLock').lock.tryAcquire('MapleTree.tryLock');
  }

  /** `mtree_unlock`. Locking: EINVAL if not held or on an external-lock tree. */
  unlock(): void {
    this._context('MapleTree.unlock').lock.release('MapleTree.unlock');
  }

  /**
   * Whether the internal lock is held (or, for an external lock, whether it reports held).
   * Locking: none.
   */
  isLocked(): boolean {
    return this._context('MapleTree.isLocked').lock.isLocked();
  }


  /**
   * The structured-cloneable handle other agents attach with. Locking: none.
   * @throws MapleError EINVAL unless the tree was created with `{ shared: true }`.
   *
   * @example
   * const tree = new MapleTree<number>({ shared: true });
   * worker.postMessage(tree.share());
   */
  share(): SharedTreeHandle {
    return shareTree(this._context('MapleTree.share'));
  }

  /**
   * Ends this agent's use of a shared tree (the lock is dropped if held); the tree lives on in
   * the other agents, and every later call here throws EINVAL.
   */
  detach(): void {
    detachTree(this._context('MapleTree.detach'));
  }

  /**
   * Unregisters an agent that ended without detach() (a terminated worker), so that it no
   * longer holds memory back or the lock: call it from the worker's `exit` event with the
   * `agentId` the worker reported. Returns false if that agent was not attached.
   */
  forgetAgent(agentId: number): boolean {
    return forgetTreeAgent(this._context('MapleTree.forgetAgent'), agentId);
  }

  /** This agent's id in a shared tree's memory (0 for a tree that is not shared). */
  get agentId(): number {
    return treeAgentId(this._context());
  }

  /**
   * How often this agent's lock-free reads of a shared RCU tree met a node a writer had
   * replaced and walked again from the root (the kernel's mas_rewalk); 0 for other trees.
   */
  get rewalks(): number {
    return treeRewalks(this._context());
  }
}
