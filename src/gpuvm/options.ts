/** The options, requests and driver callbacks of GpuVm. */

import type { CoreBackend } from '../backend/backend.js';
import type { ExternalLock } from '../tree/lock.js';
import type { Key, KeyKind } from './keys.js';
import type { StepCallbacks } from './sinks.js';
import type { VmBo } from './VmBo.js';

/** Driver callbacks (drm_gpuvm_ops). */
export interface GpuVmOps<O = unknown, C = unknown> extends StepCallbacks<O, C> {
  /** Called by GpuVm.validate for every evicted VmBo; expected to call evict(vmBo, false). */
  vmBoValidate?(vmBo: VmBo<O>, ctx: C): void;
}

export interface GpuVmOptions<O = unknown, C = unknown> {
  /**
   * Managed window [start, start + range); its end may be at most MAX_INDEX + 1 (number keys)
   * or 2^64 (bigint keys).
   */
  start: Key;
  range: Key;
  /** Kernel-reserved VA [reserveOffset, reserveOffset + reserveRange), inserted if reserveRange > 0. */
  reserveOffset?: Key;
  reserveRange?: Key;
  /**
   * 'number' (default): addresses are numbers up to MAX_INDEX. 'bigint': every address, range
   * and offset, given and returned, is a bigint over the whole u64 space.
   */
  keys?: KeyKind;
  /** Tree backend, passed to MapleTree (default: MapleTree's default). */
  backend?: 'wasm' | 'ts';
  /** The driver's lock, asserted on every mutation and op generation. */
  lock?: ExternalLock;
  /** Driver callbacks: smStepMap/Remap/Unmap for smMap/smUnmap, vmBoValidate for validate. */
  ops?: GpuVmOps<O, C>;
  /** A label for messages and dumps (not used otherwise). */
  name?: string;
  /** Cap on tree nodes, passed to MapleTree; beyond it inserts throw ENOMEM. */
  maxNodes?: number;
  /**
   * Whether obj is an external object (its reservation differs from the VM's; the kernel's
   * drm_gpuvm_is_extobj). Default: no object is external.
   */
  isExtObj?: (obj: O) => boolean;
  /** @internal Passed through to MapleTree's internal `_core` option (test cores). */
  _core?: CoreBackend;
}

/** A map request (drm_gpuvm_map_req); obj defaults to null and offset to 0. */
export interface GpuVmMapRequest<O = unknown> {
  addr: Key;
  range: Key;
  obj?: O | null;
  offset?: Key;
}

/** What GpuVm.insert creates a VA from. */
export interface GpuVaInit<O = unknown> extends GpuVmMapRequest<O> {
  flags?: number;
}

/** Options of a map request's op generation (smMapOps, smMap, prepare). */
export interface MapOptions {
  /**
   * Beyond the kernel: widen the MAP over the contiguous VAs of the same object whose
   * VA-to-offset delta matches, UNMAPping them with keep = true. Never for a NULL object.
   */
  merge?: boolean;
}

/** Options of smMap / smUnmap (merge applies to smMap only). */
export interface SmOptions extends MapOptions {
  /** Roll the VM back to its state before the request if a callback throws. */
  atomic?: boolean;
}
