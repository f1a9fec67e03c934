/**
 * The sharing half of MapleTree (share, attach, detach, forgetAgent, agentId): what a tree's
 * context does when its core is a SharedCore (treeCore.ts), and EINVAL when it is not.
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
