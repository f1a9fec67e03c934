/**
 * Operations produced by the split/merge generator (the kernel's struct drm_gpuva_op).
 *
 * Ops are plain objects exactly as API.md shows them; tickets.ts stamps the ones a GpuVm hands
 * out.
 */

import { remapProblem } from './checks.js';
import { MapleError } from '../backend/errors.js';
import type { GpuVa } from './GpuVa.js';
import type { Key } from './keys.js';

/** A mapping to create: drm_gpuva_op_map (addr, range, obj, offset; never flags). */
export interface OpMap<O = unknown> {
  addr: Key;
  range: Key;
  obj: O | null;
  offset: Key;
}

/** drm_gpuva_op_unmap: the VA to remove; keep = its page-table entries stay valid. */
export interface OpUnmap<O = unknown> {
  va: GpuVa<O>;
  keep: boolean;
}

export interface GpuVaOpMap<O = unknown> extends OpMap<O> {
  type: 'map';
}

/** Remove unmap.va and map the remnants prev and/or next (at least one is non-null). */
export interface GpuVaOpRemap<O = unknown> {
  type: 'remap';
  unmap: OpUnmap<O>;
  prev: OpMap<O> | null;
  next: OpMap<O> | null;
}

export interface GpuVaOpUnmap<O = unknown> extends OpUnmap<O> {
  type: 'unmap';
}

export interface GpuVaOpPrefetch<O = unknown> {
  type: 'prefetch';
  va: GpuVa<O>;
}

export type GpuVaOp<O = unknown> =
  | GpuVaOpMap<O>
  | GpuVaOpRemap<O>
  | GpuVaOpUnmap<O>
  | GpuVaOpPrefetch<O>;

export function mapPiece<O>(addr: Key, range: Key, obj: O | null, offset: Key): OpMap<O> {
  return { addr, range, obj, offset };
}

export function mapOp<O>(addr: Key, range: Key, obj: O | null, offset: Key): GpuVaOpMap<O> {
  return { type: 'map', addr, range, obj, offset };
}

export function remapOp<O>(
  va: GpuVa<O>,
  keep: boolean,
  prev: OpMap<O> | null,
  next: OpMap<O> | null,
): GpuVaOpRemap<O> {
  return { type: 'remap', unmap: { va, keep }, prev, next };
}

export function unmapOp<O>(va: GpuVa<O>, keep: boolean): GpuVaOpUnmap<O> {
  return { type: 'unmap', va, keep };
}

export function prefetchOp<O>(va: GpuVa<O>): GpuVaOpPrefetch<O> {
  return { type: 'prefetch', va };
}

/**
 * The range a remap actually vacates (drm_gpuva_op_remap_to_unmap_range): from the end of prev
 * (or the old VA's start) to the start of next (or the old VA's end). Using the old VA's whole
 * range instead is the bug behind CVE-2024-36018.
 */
export function remapToUnmapRange<O>(op: Pick<GpuVaOpRemap<O>, 'unmap' | 'prev' | 'next'>): {
  addr: Key;
  range: Key;
} {
  const problem = remapProblem(op);
  if (problem) throw new MapleError('EINVAL', `remapToUnmapRange: malformed remap: ${problem}`);
  const va = op.unmap.va;
  const start = op.prev ? op.prev.addr + op.prev.range : va.addr;
  const end = op.next ? op.next.addr : va.addr + va.range;
  return { addr: start, range: end - start };
}
