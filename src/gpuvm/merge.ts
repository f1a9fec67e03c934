/**
 * Opt-in merge (beyond the kernel, which dropped its merge in 2023): a map request widened over
 * the contiguous VAs of the same object whose VA-to-offset delta matches, so that the ordinary
 * split/merge walk UNMAPs them with keep = true and the one MAP covers them all. NULL-object
 * requests never merge, and since the kernel-reserved VA has a NULL object a widened request
 * never reaches into it.
 */

import type { GpuVa } from './GpuVa.js';
import type { Key, KeySpace } from './keys.js';
import type { MapRequest } from './splitMerge.js';

/** The VA holding an address, if any. */
export type VaAt<O> = (addr: Key) => GpuVa<O> | undefined;

/** req widened to every mergeable neighbour chain on both sides (req itself if none). */
export function widenForMerge<O>(vaAt: VaAt<O>, ks: KeySpace, req: MapRequest<O>): MapRequest<O> {
  if (req.obj === null) return req;
  const { zero, one, max } = ks;
  let addr = req.addr;
  let end = req.addr + req.range;
  let offset = req.offset;
  for (let va = addr > zero ? vaAt(addr - one) : undefined; va && mergeable(va, req); ) {
    addr = va.addr;
    offset = va.offset;
    va = addr > zero ? vaAt(addr - one) : undefined;
  }
  for (let va = end <= max ? vaAt(end) : undefined; va && mergeable(va, req); ) {
    end = va.addr + va.range;
    va = end <= max ? vaAt(end) : undefined;
  }
  return addr === req.addr && end === req.addr + req.range ? req : { addr, range: end - addr, obj: req.obj, offset };
}

/** Same object and the same VA-to-offset delta (compared as differences: no rounding near 2^53). */
function mergeable<O>(va: GpuVa<O>, req: MapRequest<O>): boolean {
  return va.obj === req.obj && va.offset - req.offset === va.addr - req.addr;
}
