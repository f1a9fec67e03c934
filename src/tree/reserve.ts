/**
 * Reservations that survive tree changes: nodes set aside from the tree's budget for a
 * number of future writes, sized by the core's state-independent bound (treeStoreBound in
 * assembly/core/tree.ts: 3·H + 1 nodes per store, H the greatest height the node budget and
 * key space allow), so they fit whatever other writes do to the tree in between.
 *
 * Ownership is per holder, not per tree: a write takes reserved nodes only when it runs on
 * behalf of a holder (NodeSource, installed by TreeContext.drawingFrom) and then only that
 * holder's; every other write must find its nodes outside all reservations.
 */

import { checkFunction, describeArg } from './args.js';
import { MapleError } from '../backend/errors.js';
import type { TreeContext } from './context.js';

/** The core counts nodes in i32. */
const MAX_RESERVED_NODES = 0x7fffffff;

/** Reserved nodes one write may take, and what it gives back. */
export interface NodeSource {
  /** Nodes the next write may draw; throws ENOMEM when the holder has no write left. */
  take(method: string): number;
  /** The write succeeded having drawn `taken` of the nodes `take` offered (`offered` in all). */
  settle(offered: number, taken: number): void;
}

/** Sets aside `count` nodes in ctx's tree; ENOMEM (nothing reserved) if the budget cannot. */
export function reserveNodes(ctx: TreeContext, method: string, count: number): void {
  if (!ctx.core.reserve(ctx.id, count)) {
    throw new MapleError('ENOMEM', `${method}: ${count} nodes do not fit the node budget`);
  }
}

/** tree.reserve(stores): the nodes `stores` writes of any kind can need, set aside now or ENOMEM. */
export function reserveStores(ctx: TreeContext, method: string, stores: unknown): Reservation {
  if (typeof stores !== 'number' || !Number.isSafeInteger(stores) || stores < 1) {
    throw new MapleError('EINVAL', `${method}: stores must be a positive integer, got ${describeArg(stores)}`);
  }
  const perStore = ctx.core.storeBound(ctx.id);
  const nodes = stores * perStore;
  if (nodes > MAX_RESERVED_NODES) throw new MapleError('ENOMEM', `${method}: ${stores} stores need more nodes than any budget`);
  reserveNodes(ctx, method, nodes);
  return new Reservation(ctx, stores, perStore);
}

/**
 * A reservation for `stores` writes of any kind (tree.reserve). Each write made inside
 * run() uses one; what a write leaves of its share goes back to the budget at once.
 *
 * Nesting: inside run(fn), the innermost run() in progress on the same tree is the one drawn
 * on (a MaState.storePrealloc always draws on its own cursor's reservation). Writes to other
 * trees are unaffected. run() may be called again from fn (reentrant) and after it returns,
 * as long as writes remain; a failed write (EEXIST, EINVAL …) uses none.
 */
export class Reservation {
  // A NodeSource structurally: an `implements` clause would outlive stripInternal in the .d.ts.
  #ctx: TreeContext | null;
  #stores: number;
  readonly #perStore: number;

  /** @internal Use tree.reserve(). */
  constructor(ctx: TreeContext, stores: number, perStore: number) {
    this.#ctx = ctx;
    this.#stores = stores;
    this.#perStore = perStore;
  }

  /** Writes left. 0 after release(). */
  get remaining(): number {
    return this.#stores;
  }

  /** Nodes still held: remaining × the per-store bound. */
  get nodes(): number {
    return this.#stores * this.#perStore;
  }

  /**
   * Runs fn with the tree's writes drawing on this reservation, and returns fn's result.
   * A write when none remain throws ENOMEM before any change. EINVAL after release() or
   * when the tree was freed.
   */
  run<T>(fn: () => T): T {
    const method = 'Reservation.run';
    checkFunction(method, 'fn', fn);
    const ctx = this.#live(method);
    return ctx.drawingFrom(this, fn);
  }

  /** Returns every node still held to the budget; later run() calls throw EINVAL. Idempotent. */
  release(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    this.#ctx = null;
    if (!ctx.isFreed) ctx.core.unreserve(ctx.id, this.nodes);
    this.#stores = 0;
  }

  /** @internal */
  take(method: string): number {
    if (this.#stores === 0) throw new MapleError('ENOMEM', `${method}: the reservation has no writes left`);
    return this.#perStore;
  }

  /** @internal */
  settle(offered: number, taken: number): void {
    this.#stores--;
    const ctx = this.#ctx as TreeContext;
    ctx.core.unreserve(ctx.id, offered - taken);
  }

  #live(method: string): TreeContext {
    const ctx = this.#ctx;
    if (ctx === null) throw new MapleError('EINVAL', `${method}: the reservation was released`);
    ctx.assertLive(method);
    return ctx;
  }
}
