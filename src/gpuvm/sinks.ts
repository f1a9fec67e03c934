/**
 * The sinks of the split/merge generator (the kernel's gpuvm_list_ops, the driver's
 * drm_gpuvm_ops and lock_ops): one collects an op list, one calls the driver's step callbacks,
 * one collects the objects a request would touch.
 */

import type { GpuVaOp, GpuVaOpMap, GpuVaOpRemap, GpuVaOpUnmap } from './ops.js';
import type { StepSink } from './splitMerge.js';
import { type OpTicket, stampOp } from './tickets.js';

/** Collects every step into an array, stamping each with the list's shared ticket. */
export class ListSink<O> implements StepSink<O> {
  readonly ops: GpuVaOp<O>[] = [];

  constructor(private readonly ticket: OpTicket) {}

  map(op: GpuVaOpMap<O>): void {
    this.push(op);
  }

  remap(op: GpuVaOpRemap<O>): void {
    this.push(op);
  }

  unmap(op: GpuVaOpUnmap<O>): void {
    this.push(op);
  }

  private push(op: GpuVaOp<O>): void {
    stampOp(op, this.ticket);
    this.ops.push(op);
  }
}

/** Driver callbacks for GpuVm.smMap / smUnmap (the sm_step_* members of drm_gpuvm_ops). */
export interface StepCallbacks<O, C, K extends number | bigint = number> {
  smStepMap?(op: GpuVaOpMap<O, K>, ctx: C): void;
  smStepRemap?(op: GpuVaOpRemap<O, K>, ctx: C): void;
  smStepUnmap?(op: GpuVaOpUnmap<O, K>, ctx: C): void;
}

/**
 * Hands each step to the driver as it is generated. Each op is stamped when it is emitted, so
 * it stays applicable whatever the driver did to the VM during earlier steps.
 */
export class CallbackSink<O, C> implements StepSink<O> {
  constructor(
    private readonly callbacks: StepCallbacks<O, C>,
    private readonly ctx: C,
    private readonly stamp: (op: GpuVaOp<O>) => void,
  ) {}

  map(op: GpuVaOpMap<O>): void {
    this.stamp(op);
    this.callbacks.smStepMap!(op, this.ctx);
  }

  remap(op: GpuVaOpRemap<O>): void {
    this.stamp(op);
    this.callbacks.smStepRemap!(op, this.ctx);
  }

  unmap(op: GpuVaOpUnmap<O>): void {
    this.stamp(op);
    this.callbacks.smStepUnmap!(op, this.ctx);
  }
}

/**
 * Collects the objects a request touches, first touch first, each once (drm_exec with
 * IGNORE_DUPLICATES): the objects of REMAPped and UNMAPped VAs. The request's own object is
 * added by the caller before the walk, as drm_gpuvm_sm_map_exec_lock() prepares it first.
 */
export class TouchedSink<O> implements StepSink<O> {
  private readonly seen = new Set<O>();
  readonly objects: O[] = [];

  add(obj: O | null): void {
    if (obj === null || this.seen.has(obj)) return;
    this.seen.add(obj);
    this.objects.push(obj);
  }

  map(_op: GpuVaOpMap<O>): void {}

  remap(op: GpuVaOpRemap<O>): void {
    this.add(op.unmap.va.obj);
  }

  unmap(op: GpuVaOpUnmap<O>): void {
    this.add(op.va.obj);
  }
}
