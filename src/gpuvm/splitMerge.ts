/**
 * The split/merge generator: the kernel's __drm_gpuvm_sm_map() and __drm_gpuvm_sm_unmap(),
 * written once and feeding any StepSink (op list, driver callbacks, objects touched).
 *
 * The generator only decides; it never changes the VM. It walks the VAs intersecting the
 * request in ascending order through a VaWalk, which must tolerate the sink inserting and
 * removing VAs between steps (immediate-mode drivers update the VM inside their callbacks).
 * A sink that throws stops the walk; the exception propagates unchanged.
 *
 * Decision table for sm_map, per visited VA [addr, end) at offset off (req = request):
 *
 *   addr vs req.addr | end vs reqEnd | step                                   | walk
 *   -----------------+---------------+----------------------------------------+---------
 *   ==               | ==            | UNMAP                                  | stop
 *   ==               | <             | UNMAP                                  | continue
 *   ==               | >             | REMAP(next=[reqEnd,end))               | stop
 *   <                | ==            | REMAP(prev=[addr,req.addr))            | stop
 *   <                | <             | REMAP(prev)                            | continue
 *   <                | >             | REMAP(prev, next)                      | stop
 *   >                | ==            | UNMAP                                  | stop
 *   >                | <             | UNMAP                                  | continue
 *   >                | >             | REMAP(next)                            | stop
 *
 * then MAP of exactly the request. keep = the VA has an object, the same object as the request,
 * and the same VA-to-object delta (three per-row equalities, as the kernel writes them).
 * prev keeps the VA's offset; next gets off + (reqEnd - addr).
 */

import type { GpuVa } from './GpuVa.js';
import { type Key, zeroOf } from './keys.js';
import {
  type GpuVaOpMap,
  type GpuVaOpRemap,
  type GpuVaOpUnmap,
  type OpMap,
  mapOp,
  mapPiece,
  remapOp,
  unmapOp,
} from './ops.js';

/** Receives the steps of one generator run, in order. Throwing aborts the run. */
export interface StepSink<O> {
  map(op: GpuVaOpMap<O>): void;
  remap(op: GpuVaOpRemap<O>): void;
  unmap(op: GpuVaOpUnmap<O>): void;
}

/**
 * Visits, in ascending order, every VA intersecting [addr, end) until visit returns false.
 * visit may insert and remove VAs. (An exclusive end: the walk, which knows its key kind,
 * forms the last key, so the generator needs no literal.)
 */
export type VaWalk<O> = (addr: Key, end: Key, visit: (va: GpuVa<O>) => boolean) => void;

/** A validated map request (drm_gpuvm_map_req). */
export interface MapRequest<O> {
  addr: Key;
  range: Key;
  obj: O | null;
  offset: Key;
}

/**
 * sm_map: steps that make room for req and map it. With madvise (Xe's split-only mode), VAs
 * backed by an object are skipped, UNMAPs are suppressed, and MAPs cover only the pieces of
 * the request that fell inside split NULL-object VAs.
 */
export function splitMergeMap<O>(
  walk: VaWalk<O>,
  req: MapRequest<O>,
  sink: StepSink<O>,
  madvise = false,
): void {
  const reqEnd = req.addr + req.range;
  let finalMap: GpuVaOpMap<O> | null = madvise ? null : requestMap(req);

  walk(req.addr, reqEnd, (va) => {
    if (madvise && va.obj !== null) return true;
    if (va.addr === req.addr) return stepAtStart(va, req, reqEnd, sink, madvise, setFinal);
    if (va.addr < req.addr) return stepBeforeStart(va, req, reqEnd, sink, madvise, setFinal);
    return stepAfterStart(va, req, reqEnd, sink, madvise, setFinal);
  });

  if (finalMap) sink.map(finalMap);

  function setFinal(op: GpuVaOpMap<O> | null): void {
    finalMap = op;
  }
}

type SetFinal<O> = (op: GpuVaOpMap<O> | null) => void;

/** Rows "addr == req.addr". Returns whether the walk continues. */
function stepAtStart<O>(
  va: GpuVa<O>,
  req: MapRequest<O>,
  reqEnd: Key,
  sink: StepSink<O>,
  madvise: boolean,
  setFinal: SetFinal<O>,
): boolean {
  const end = va.addr + va.range;
  const keep = va.obj !== null && va.obj === req.obj && va.offset === req.offset;
  if (end <= reqEnd) {
    if (!madvise) sink.unmap(unmapOp(va, keep));
    return end < reqEnd;
  }
  const next = mapPiece(reqEnd, va.range - req.range, va.obj, va.offset + req.range);
  sink.remap(remapOp(va, keep, null, next));
  if (madvise) setFinal(requestMap(req));
  return false;
}

/** Rows "addr < req.addr": the VA straddles the request's start. */
function stepBeforeStart<O>(
  va: GpuVa<O>,
  req: MapRequest<O>,
  reqEnd: Key,
  sink: StepSink<O>,
  madvise: boolean,
  setFinal: SetFinal<O>,
): boolean {
  const end = va.addr + va.range;
  const lsRange = req.addr - va.addr;
  const prev = mapPiece(va.addr, lsRange, va.obj, va.offset);
  const keep = va.obj !== null && va.obj === req.obj && va.offset + lsRange === req.offset;

  if (end === reqEnd) {
    sink.remap(remapOp(va, keep, prev, null));
    if (madvise) setFinal(requestMap(req));
    return false;
  }
  if (end < reqEnd) {
    sink.remap(remapOp(va, keep, prev, null));
    if (madvise) sink.map(mapOp<O>(req.addr, end - req.addr, null, zeroOf(end)));
    return true;
  }
  const next = mapPiece(reqEnd, end - reqEnd, va.obj, va.offset + (reqEnd - va.addr));
  sink.remap(remapOp(va, keep, prev, next));
  if (madvise) setFinal(requestMap(req));
  return false;
}

/** Rows "addr > req.addr": the VA starts inside the request. */
function stepAfterStart<O>(
  va: GpuVa<O>,
  req: MapRequest<O>,
  reqEnd: Key,
  sink: StepSink<O>,
  madvise: boolean,
  setFinal: SetFinal<O>,
): boolean {
  const end = va.addr + va.range;
  const keep =
    va.obj !== null && va.obj === req.obj && va.offset === req.offset + (va.addr - req.addr);
  if (end <= reqEnd) {
    if (!madvise) sink.unmap(unmapOp(va, keep));
    return end < reqEnd;
  }
  // Parenthesised: va.offset + reqEnd can pass 2^53 and round; their difference cannot.
  const next = mapPiece(reqEnd, end - reqEnd, va.obj, va.offset + (reqEnd - va.addr));
  sink.remap(remapOp(va, keep, null, next));
  if (madvise) {
    // The kernel returns right here: this MAP replaces the final one.
    sink.map(mapOp<O>(va.addr, reqEnd - va.addr, null, zeroOf(reqEnd)));
    setFinal(null);
  }
  return false;
}

function requestMap<O>(req: MapRequest<O>): GpuVaOpMap<O> {
  return mapOp(req.addr, req.range, req.obj, req.offset);
}

/**
 * sm_unmap: a VA entirely inside [addr, addr + range) is UNMAPped, one that sticks out on
 * either side is REMAPped to the parts outside. keep is always false.
 */
export function splitMergeUnmap<O>(
  walk: VaWalk<O>,
  addr: Key,
  range: Key,
  sink: StepSink<O>,
): void {
  const reqEnd = addr + range;
  walk(addr, reqEnd, (va) => {
    const end = va.addr + va.range;
    const prev: OpMap<O> | null =
      va.addr < addr ? mapPiece(va.addr, addr - va.addr, va.obj, va.offset) : null;
    const next: OpMap<O> | null =
      end > reqEnd ? mapPiece(reqEnd, end - reqEnd, va.obj, va.offset + (reqEnd - va.addr)) : null;
    if (prev || next) sink.remap(remapOp(va, false, prev, next));
    else sink.unmap(unmapOp(va, false));
    return true;
  });
}
