/**
 * A temporary stand-in for MapleTree.reserve (the contract of API.md "Reservations that survive
 * tree changes") until the tree provides it: installed only where the tree lacks it. It counts
 * nodes against the budget it is told (a fixed bound per store) but does not hold them in the
 * core, so tests using it make direct changes only with headroom beyond the reserved nodes.
 */

import { MapleError } from '../../src/tree/errors.js';
import { MapleTree } from '../../src/tree/MapleTree.js';

/** Nodes the stand-in counts per reserved store (3 * H_MAX + 1 for a generous H_MAX). */
export const STAND_IN_NODES_PER_STORE = 3 * 8 + 1;

interface Budgeted {
  reserve?: unknown;
  __standInReserved?: number;
  __standInMax?: number;
}

/** Whether the tree class has its own reserve (then the stand-in is not installed). */
export const treeHasReserve = typeof (MapleTree.prototype as Budgeted).reserve === 'function';

/** Installs the stand-in on MapleTree.prototype if the tree lacks reserve; budget per tree. */
export function installReserveStandIn(): void {
  if (treeHasReserve) return;
  const proto = MapleTree.prototype as unknown as Budgeted & Record<string, unknown>;
  Object.defineProperty(proto, 'reservedNodes', {
    configurable: true,
    get(this: Budgeted) {
      return this.__standInReserved ?? 0;
    },
  });
  proto.reserve = function reserve(this: MapleTree<unknown> & Budgeted, stores = 1) {
    const nodes = stores * STAND_IN_NODES_PER_STORE;
    const held = this.__standInReserved ?? 0;
    const max = this.__standInMax ?? Infinity;
    if (this.nodeCount + held + nodes > max) throw new MapleError('ENOMEM', 'reserve: node budget exhausted');
    this.__standInReserved = held + nodes;
    let remaining = stores;
    const tree = this;
    return {
      get remaining() {
        return remaining;
      },
      run<T>(fn: () => T): T {
        return fn();
      },
      release() {
        tree.__standInReserved = (tree.__standInReserved ?? 0) - remaining * STAND_IN_NODES_PER_STORE;
        remaining = 0;
      },
    };
  };
}

/** Tells the stand-in a tree's budget (the maxNodes it was made with). */
export function setStandInBudget(tree: MapleTree<unknown>, maxNodes: number): void {
  (tree as unknown as Budgeted).__standInMax = maxNodes;
}
