/**
 * Operations produced by the split/merge generator (the kernel's struct drm_gpuva_op).
 *
 * Ops are plain objects exactly as API.md shows them; tickets.ts stamps the ones a GpuVm hands
 * out.
 */

import { remapProblem } from './checks.js';
import { MapleError } from '../backend/errors.js';
import type { GpuVa } from './GpuVa.js';
import type { GpuVmKey, Key } from './keys.js';

/** A mapping to create: drm_gpuva_op_map (addr, range, obj, offset; never flags). */
export interface OpMap<O = unknown, K extends number | bigint = number> {
  addr: GpuVmKey<K>;
  range: GpuVmKey<K>;
  obj: O | null;
  offset: GpuVmKey<K>;
}

/** drm_gpuva_op_unmap: the VA to remove; keep = its page-table entries stay valid. */
export interface OpUnmap<O = unknown, K extends number | bigint = number> {
  va: GpuVa<O, K>;
  keep: boolean;
}

export interface GpuVaOpMap<O = unknown, K extends number | bigint = number> extends OpMap<O, K> {
  type: 'map';
}

/** Remove unmap.va and map the remnants prev and/or next (at least one is non-null). */
export interface GpuVaOpRemap<O = unknown, K extends number | bigint = number> {
  type: 'remap';
  unmap: OpUnmap<O, K>;
  prev: OpMap<O, K> | null;
  next: OpMap<O, K> | null;
}

export interface GpuVaOpUnmap<O = unknown, K extends number | bigint = number> extends OpUnmap<O, K> {
  type: 'unmap';
}

export interface GpuVaOpPrefetch<O = unknown, K extends number | bigint = number> {
  type: 'prefetch';
  va: GpuVa<O, K>;
}

/** An op of a VM with key type K (GpuVm's K): its addresses, ranges and offsets are GpuVmKey<K>. */
export type GpuVaOp<O = unknown, K extends number | bigint = number> =
  | GpuVaOpMap<O, K>
  | GpuVaOpRemap<O, K>
  | GpuVaOpUnmap<O, K>
  | GpuVaOpPrefetch<O, K>;

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
export function remapToUnmapRange<O, K extends number | bigint = number>(
  remap: Pick<GpuVaOpRemap<O, K>, 'unmap' | 'prev' | 'next'>,
): { addr: GpuVmKey<K>; range: GpuVmKey<K> } {
  // The key arithmetic below is one code for both kinds (keys.ts), typed as numbers.
  const op = remap as Pick<GpuVaOpRemap<O>, 'unmap' | 'prev' | 'next'>;
  const problem = remapProblem(op);
  if (problem) throw new MapleError('EINVAL', `remapToUnmapRange: malformed remap: ${problem}`);
  const va = op.unmap.va;
  const start: Key = op.prev ? op.prev.addr + op.prev.range : va.addr;
  const end: Key = op.next ? op.next.addr : va.addr + va.range;
  return { addr: start, range: end - start } as { addr: GpuVmKey<K>; range: GpuVmKey<K> };
}
