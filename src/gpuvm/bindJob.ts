/**
 * Prepared bind jobs (drm_gpuvm immediate mode with queued VM_BIND jobs): a request validated and
 * provisioned at submit time, executed later against whatever the VM has become by then.
 *
 * Why this is bounded: a job's run changes the tree with one NULL store over the request (it
 * erases every covered VA at once and trims the keys of the two that straddle its ends) and one
 * store per VA it places — the prev remnant, the next remnant and, for a map, the new VA — so at
 * most MAP_STORES (map) or UNMAP_STORES (unmap) writes, however many VAs the request covers when
 * it runs. `tree.reserve(stores)` sizes its reservation for that many writes whatever the tree
 * looks like when they happen, so a reservation taken at submit still covers the run after any
 * number of other changes. The three GpuVa objects a run may place are made at submit too
 * (the drivers' preallocated_vmas[3]).
 */

import type { GpuVa } from './GpuVa.js';
import { gpuvmError } from './errors.js';

/** Writes of a map job's run: the NULL store, prev remnant, next remnant, new VA. */
export const MAP_STORES = 4;
/** Writes of an unmap job's run: the NULL store and the two remnants. */
export const UNMAP_STORES = 3;

/** The tree reservation a job holds (MapleTree.reserve's Reservation). */
export interface NodeReservation {
  readonly remaining: number;
  run<T>(fn: () => T): T;
  release(): void;
}

/** What a job needs of its tree. */
export interface ReservingTree {
  reserve?(stores: number): NodeReservation;
  readonly reservedNodes?: number;
}

/** Stands in for a reservation on a tree without a node budget, where writes cannot run out. */
const UNBUDGETED: NodeReservation = {
  remaining: Infinity,
  run: (fn) => fn(),
  release: () => {},
};

/**
 * The reservation for stores writes: the tree's own, or none needed without a budget.
 * @throws MapleError ENOMEM if the budget cannot cover it; EINVAL for a budgeted tree that
 *   cannot reserve.
 */
export function reserveStores(method: string, tree: ReservingTree, stores: number, capped: boolean): NodeReservation {
  if (typeof tree.reserve === 'function') return tree.reserve(stores);
  if (!capped) return UNBUDGETED;
  throw gpuvmError('EINVAL', method, 'the tree cannot reserve nodes');
}

export type BindKind = 'map' | 'unmap';
export type BindState = 'pending' | 'done' | 'cancelled';

/** The GpuVm side of a job: runs it (then calls _finish), or drops it and its reservation. */
export interface BindHost<O, C> {
  run(job: BindJob<O, C>, ctx: C | undefined): void;
  cancel(job: BindJob<O, C>): void;
}

/** A queued bind: GpuVm.prepare's result. */
export class BindJob<O = unknown, C = unknown> {
  #state: BindState = 'pending';

  /** @internal Made by GpuVm.prepare. */
  constructor(
    private readonly host: BindHost<O, C>,
    /** 'map' or 'unmap'. */
    readonly kind: BindKind,
    /** The validated request (obj null and offset 0 for an unmap). */
    readonly request: Readonly<{ addr: number; range: number; obj: O | null; offset: number }>,
    /** Whether the map widens over mergeable neighbours when it runs. */
    readonly merge: boolean,
    /**
     * Every object the run may touch, computed at submit (see GpuVm.prepare for what is
     * guaranteed): lock these, and the run touches no other.
     */
    readonly objectsTouched: readonly O[],
    /** @internal The tree writes held for the run. */
    readonly _reservation: NodeReservation,
    /** @internal Blank VAs for the new mapping and the prev / next remnants. */
    readonly _vas: readonly [GpuVa<O>, GpuVa<O>, GpuVa<O>],
  ) {}

  get state(): BindState {
    return this.#state;
  }

  get [Symbol.toStringTag](): string {
    return 'BindJob';
  }

  /**
   * Executes the request against the VM as it is now (see GpuVm.prepare). Never ENOMEM.
   * @throws MapleError EINVAL if the job is not pending; whatever a driver callback throws
   *   (the VM change is made by then and the job is done).
   */
  run(ctx?: C): void {
    this.assertPending('BindJob.run');
    this.host.run(this, ctx);
  }

  /**
   * Drops the job and returns its reservation.
   * @throws MapleError EINVAL if the job is not pending.
   */
  cancel(): void {
    this.assertPending('BindJob.cancel');
    this.host.cancel(this);
    this.#state = 'cancelled';
  }

  /** @internal Marks the job run (its reservation is back by then). */
  _finish(): void {
    this.#state = 'done';
  }

  private assertPending(method: string): void {
    if (this.#state !== 'pending') throw gpuvmError('EINVAL', method, `the job is ${this.#state}`);
  }
}
