/**
 * Op generation for a GpuVm: the split/merge walks (splitMerge.ts) into op lists, driver
 * callbacks or touched-object sets, and the per-VA op lists (prefetch, bo unmap). Every op is
 * stamped with the ticket of the VM generation it was computed against.
 */

import { checkCallbacks, checkOwnBo, checkRequest, checkWindow, mapRequest } from './checks.js';
import { gpuvmError } from './errors.js';
import type { Key } from './keys.js';
import { widenForMerge } from './merge.js';
import { type GpuVaOp, type GpuVaOpPrefetch, type GpuVaOpUnmap, prefetchOp, unmapOp } from './ops.js';
import type { GpuVmMapRequest, MapOptions, SmOptions } from './options.js';
import type { VmParts } from './parts.js';
import { CallbackSink, ListSink, TouchedSink } from './sinks.js';
import { type MapRequest, type StepSink, splitMergeMap, splitMergeUnmap } from './splitMerge.js';
import { type OpTicket, stampOp } from './tickets.js';
import type { VmBo } from './VmBo.js';

export class OpGenerator<O, C> {
  constructor(private readonly p: VmParts<O, C>) {}

  /** GpuVm.smMapOps. */
  mapOps(req: GpuVmMapRequest<O>, options: MapOptions): GpuVaOp<O>[] {
    const sink = this.listSink();
    splitMergeMap(this.p.vas.walk, this.mapRequestWith('smMapOps', req, options), sink);
    return sink.ops;
  }

  /** GpuVm.smUnmapOps. */
  unmapOps(addr: Key, range: Key): GpuVaOp<O>[] {
    checkRequest('smUnmapOps', this.p.vm, addr, range);
    const sink = this.listSink();
    splitMergeUnmap(this.p.vas.walk, addr, range, sink);
    return sink.ops;
  }

  /** GpuVm.smMap. */
  smMap(req: GpuVmMapRequest<O>, ctx: C | undefined, options: SmOptions): void {
    checkCallbacks('smMap', this.p.ops, ['smStepMap', 'smStepRemap', 'smStepUnmap']);
    const mreq = this.mapRequestWith('smMap', req, options);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeMap(this.p.vas.walk, mreq, sink));
  }

  /** GpuVm.smUnmap. */
  smUnmap(addr: Key, range: Key, ctx: C | undefined, options: SmOptions): void {
    checkCallbacks('smUnmap', this.p.ops, ['smStepRemap', 'smStepUnmap']);
    checkRequest('smUnmap', this.p.vm, addr, range);
    const sink = this.callbackSink(ctx);
    this.maybeAtomic(options, () => splitMergeUnmap(this.p.vas.walk, addr, range, sink));
  }

  /** GpuVm.madviseOps. */
  madviseOps(req: GpuVmMapRequest<O>): GpuVaOp<O>[] {
    const sink = this.listSink();
    splitMergeMap(this.p.vas.walk, mapRequest('madviseOps', this.p.vm, req), sink, true);
    return sink.ops;
  }

  /** GpuVm.prefetchOps. */
  prefetchOps(addr: Key, range: Key): GpuVaOpPrefetch<O>[] {
    checkWindow('prefetchOps', this.p.vm, addr, range);
    const ticket = this.ticket();
    const ops: GpuVaOpPrefetch<O>[] = [];
    this.p.vas.walk(addr, addr + range, (va) => {
      const op = prefetchOp(va);
      stampOp(op, ticket);
      ops.push(op);
      return true;
    });
    return ops;
  }

  /** GpuVm.boUnmapOps. */
  boUnmapOps(vmBo: VmBo<O>): GpuVaOpUnmap<O>[] {
    checkOwnBo('boUnmapOps', this.p.vm, vmBo);
    const ticket = this.ticket();
    return vmBo.vas.map((va) => {
      const op = unmapOp(va, false);
      stampOp(op, ticket);
      return op;
    });
  }

  /** GpuVm.objectsTouched. */
  objectsTouched(req: GpuVmMapRequest<O> & { kind?: 'map' | 'unmap' }): O[] {
    const sink = new TouchedSink<O>();
    if (req?.kind === 'unmap') {
      checkRequest('objectsTouched', this.p.vm, req.addr, req.range);
      splitMergeUnmap(this.p.vas.walk, req.addr, req.range, sink);
    } else {
      const mreq = mapRequest('objectsTouched', this.p.vm, req);
      sink.add(mreq.obj);
      splitMergeMap(this.p.vas.walk, mreq, sink);
    }
    return sink.objects;
  }

  /** One ticket for the whole list: applying its ops in order keeps the rest current. */
  listSink(): ListSink<O> {
    return new ListSink<O>(this.ticket());
  }

  /** req widened over its mergeable neighbours (MapOptions.merge). */
  widen(req: MapRequest<O>): MapRequest<O> {
    return widenForMerge((addr) => this.p.vas.tree.load(addr), this.p.vm._keys, req);
  }

  private mapRequestWith(method: string, req: GpuVmMapRequest<O>, options: MapOptions): MapRequest<O> {
    if (options === null || typeof options !== 'object') {
      throw gpuvmError('EINVAL', method, 'options must be an object');
    }
    const mreq = mapRequest(method, this.p.vm, req);
    return options.merge === true ? this.widen(mreq) : mreq;
  }

  private maybeAtomic(options: SmOptions, fn: () => void): void {
    if (options?.atomic) this.p.journal.atomically(fn, true);
    else fn();
  }

  private ticket(): OpTicket {
    return { vm: this.p.vm, gen: this.p.gens.current };
  }

  /** A ticket per step, taken when the step is emitted. */
  private callbackSink(ctx: C | undefined): StepSink<O> {
    return new CallbackSink<O, C>(this.p.ops, ctx as C, (op) => stampOp(op, this.ticket()));
  }
}
