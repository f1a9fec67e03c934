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

import type { Reservation } from '../tree/MapleTree.js';
import { type OpApplier, remnants } from './apply.js';
import { checkObject, checkRequest, mapRequest } from './checks.js';
import { gpuvmError } from './errors.js';
import type { OpGenerator } from './generate.js';
import { GpuVa } from './GpuVa.js';
import type { GpuVmKey, Key } from './keys.js';
import type { GpuVaOp } from './ops.js';
import type { GpuVmMapRequest, MapOptions } from './options.js';
import type { VmParts } from './parts.js';
import { TouchedSink } from './sinks.js';
import { type MapRequest, splitMergeMap, splitMergeUnmap } from './splitMerge.js';

/** Writes of a map job's run: the NULL store, prev remnant, next remnant, new VA. */
export const MAP_STORES = 4;
/** Writes of an unmap job's run: the NULL store and the two remnants. */
export const UNMAP_STORES = 3;

export type BindKind = 'map' | 'unmap';
export type BindState = 'pending' | 'done' | 'cancelled';

/** The GpuVm side of a job: runs it (then calls _finish), or drops it and its reservation. */
export interface BindHost<O, C> {
  run(job: BindJob<O, C>, ctx: C | undefined): void;
  cancel(job: BindJob<O, C>): void;
}

/** A queued bind: GpuVm.prepare's result. */
export class BindJob<O = unknown, C = unknown, K extends number | bigint = number> {
  #state: BindState = 'pending';

  /** @internal Made by GpuVm.prepare. */
  constructor(
    private readonly host: BindHost<O, C>,
    /** 'map' or 'unmap'. */
    readonly kind: BindKind,
    /** The validated request (obj null and offset 0 for an unmap). */
    readonly request: Readonly<{ addr: GpuVmKey<K>; range: GpuVmKey<K>; obj: O | null; offset: GpuVmKey<K> }>,
    /** Whether the map widens over mergeable neighbours when it runs. */
    readonly merge: boolean,
    /**
     * Every object the run may touch, computed at submit (see GpuVm.prepare for what is
     * guaranteed): lock these, and the run touches no other.
     */
    readonly objectsTouched: readonly O[],
    /** @internal The tree writes held for the run. */
    readonly _reservation: Reservation,
    /** @internal Blank VAs for the new mapping and the prev / next remnants. */
    readonly _vas: readonly [GpuVa<O>, GpuVa<O>, GpuVa<O>],
  ) {}

  get state(): BindState {
    return this.#state;
  }

  /** Tree nodes the job holds for its run (0 once it ran or was cancelled). */
  get reservedNodes(): number {
    return this._reservation.nodes;
  }

  get [Symbol.toStringTag](): string {
    return 'BindJob';
  }

  /**
   * Executes the request against the VM as it is now (see GpuVm.prepare). Never ENOMEM.
   * @throws MapleError EINVAL if the job is not pending; whatever a driver callback throws
   *   (the VM change is made by then and the job is done).
   * @example
   * const job = vm.prepare({ addr: 0x1000, range: 0x1000 }, 'unmap');
   * job.run(ctx);
   */
  run(ctx?: C): void {
    this.assertPending('BindJob.run');
    this.host.run(this as unknown as BindJob<O, C>, ctx);
  }

  /**
   * Drops the job and returns its reservation.
   * @throws MapleError EINVAL if the job is not pending.
   * @example
   * vm.prepare({ addr: 0x1000, range: 0x1000, obj: bo }).cancel(); // reservation returned
   */
  cancel(): void {
    this.assertPending('BindJob.cancel');
    this.host.cancel(this as unknown as BindJob<O, C>);
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

/**
 * A GpuVm's prepared jobs: makes them (GpuVm.prepare), runs them — the ops against the VM as it
 * is then, the whole change in a bounded number of stores on the job's reservation, then the
 * driver's step callbacks in order — and drops them.
 */
export class BindQueue<O, C> implements BindHost<O, C> {
  /** Prepared jobs not yet run or cancelled, in submit order. */
  readonly #pending = new Set<BindJob<O, C>>();

  constructor(
    private readonly p: VmParts<O, C>,
    private readonly generator: OpGenerator<O, C>,
    private readonly applier: OpApplier<O>,
  ) {}

  /** Prepared jobs neither run nor cancelled. */
  get size(): number {
    return this.#pending.size;
  }

  /** GpuVm.prepare. */
  prepare(req: GpuVmMapRequest<O>, kind: BindKind, options: MapOptions): BindJob<O, C> {
    if (kind !== 'map' && kind !== 'unmap') {
      throw gpuvmError('EINVAL', 'prepare', `kind must be 'map' or 'unmap', not ${String(kind)}`);
    }
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw gpuvmError('EINVAL', 'prepare', 'options must be an object { merge? }');
    }
    const request = kind === 'map' ? mapRequest('prepare', this.p.vm, req) : this.unmapRequest(req);
    const merge = kind === 'map' && options.merge === true;
    const objects = this.queuedObjects(request, kind);
    const reservation = this.p.vas.reserveRun('prepare', kind === 'map' ? MAP_STORES : UNMAP_STORES);
    const blanks = [blankVa<O>(), blankVa<O>(), blankVa<O>()] as const;
    const job = new BindJob<O, C>(this, kind, Object.freeze(request), merge, Object.freeze(objects), reservation, blanks);
    this.#pending.add(job);
    return job;
  }

  /** BindJob.run. */
  run(job: BindJob<O, C>, ctx: C | undefined): void {
    this.p.guard.held('BindJob.run');
    const req = job.request as MapRequest<O>;
    const sink = this.generator.listSink();
    const walk = this.p.vas.walk;
    if (job.kind === 'map') splitMergeMap(walk, job.merge ? this.generator.widen(req) : req, sink);
    else splitMergeUnmap(walk, req.addr, req.range, sink);
    const span = spanOf(req, sink.ops);
    const { removed, placed } = this.placeOps(sink.ops, job._vas);
    job._reservation.run(() => this.p.vas.replaceSpan(span.addr, span.end, removed, placed));
    this.drop(job);
    job._finish();
    this.p.bos.deferDuring(() => this.callSteps(sink.ops, ctx));
  }

  /** BindJob.cancel. */
  cancel(job: BindJob<O, C>): void {
    this.p.guard.held('BindJob.cancel');
    this.drop(job);
  }

  private drop(job: BindJob<O, C>): void {
    this.#pending.delete(job);
    job._reservation.release();
  }

  /** Gives the job's blank VAs the mappings the ops create; records what applying each returns. */
  private placeOps(ops: readonly GpuVaOp<O>[], blanks: readonly GpuVa<O>[]): { removed: GpuVa<O>[]; placed: GpuVa<O>[] } {
    const removed: GpuVa<O>[] = [];
    const placed: GpuVa<O>[] = [];
    const place = (blank: GpuVa<O>, piece: { addr: Key; range: Key; obj: O | null; offset: Key }) => {
      placed.push(blank._place(piece.addr, piece.range, piece.obj, piece.offset));
      return blank;
    };
    for (const op of ops) {
      if (op.type === 'map') this.applier.recordApplied(op, place(blanks[0], op));
      else if (op.type === 'unmap') {
        removed.push(op.va);
        this.applier.recordApplied(op, true);
      } else if (op.type === 'remap') {
        removed.push(op.unmap.va);
        const prev = op.prev ? place(blanks[1], op.prev) : undefined;
        const next = op.next ? place(blanks[2], op.next) : undefined;
        this.applier.recordApplied(op, remnants(prev, next));
      }
    }
    return { removed, placed };
  }

  /** The driver's step callbacks for ops already applied. */
  private callSteps(ops: readonly GpuVaOp<O>[], ctx: C | undefined): void {
    const cb = this.p.ops;
    for (const op of ops) {
      if (op.type === 'map') cb.smStepMap?.(op, ctx as C);
      else if (op.type === 'remap') cb.smStepRemap?.(op, ctx as C);
      else if (op.type === 'unmap') cb.smStepUnmap?.(op, ctx as C);
    }
  }

  /** The objects a queued job may touch (see GpuVm.prepare). */
  private queuedObjects(req: MapRequest<O>, kind: BindKind): O[] {
    const sink = new TouchedSink<O>();
    if (kind === 'map') sink.add(req.obj);
    this.p.vas.walk(req.addr, req.addr + req.range, (va) => {
      sink.add(va.obj);
      return true;
    });
    const end = req.addr + req.range;
    for (const job of this.#pending) {
      const r = job.request;
      const reaches = job.merge || (r.addr < end && req.addr < r.addr + r.range);
      if (job.kind === 'map' && reaches) sink.add(r.obj);
    }
    return sink.objects;
  }

  private unmapRequest(req: { addr: Key; range: Key } | null | undefined): MapRequest<O> {
    checkObject('prepare', req, 'the request must be an object { addr, range }');
    const { addr, range } = req as { addr: Key; range: Key };
    checkRequest('prepare', this.p.vm, addr, range);
    return { addr, range, obj: null, offset: this.p.vm._keys.zero };
  }
}

/** A VA a prepared job may place when it runs (its mapping comes with _place). */
function blankVa<O>(): GpuVa<O> {
  return new GpuVa<O>(0, 0, null, 0, 0);
}

/**
 * The span [addr, end) a run's NULL store covers: the (widened) map's range, or the unmap
 * request. The map op, when there is one, is the last op.
 */
function spanOf<O>(req: MapRequest<O>, ops: readonly GpuVaOp<O>[]): { addr: Key; end: Key } {
  const last = ops[ops.length - 1];
  const range = last?.type === 'map' ? last : req;
  return { addr: range.addr, end: range.addr + range.range };
}
