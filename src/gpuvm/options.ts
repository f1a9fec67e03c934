/** The options, requests and driver callbacks of GpuVm. */

import type { CoreBackend } from '../backend/backend.js';
import type { ExternalLock } from '../tree/lock.js';
import type { GpuVmKey } from './keys.js';
import type { StepCallbacks } from './sinks.js';
import type { VmBo } from './VmBo.js';

/** Driver callbacks (drm_gpuvm_ops). */
export interface GpuVmOps<O = unknown, C = unknown, K extends number | bigint = number> extends StepCallbacks<O, C, K> {
  /** Called by GpuVm.validate for every evicted VmBo; expected to call evict(vmBo, false). */
  vmBoValidate?(vmBo: VmBo<O, K>, ctx: C): void;
}

/**
 * Options of `new GpuVm`. K, the VM's key type, is inferred from `start` (`start: 0n` makes a
 * bigint VM's types) or given as GpuVm's third type argument; `keys` must name it.
 */
export interface GpuVmOptions<O = unknown, C = unknown, K extends number | bigint = number> {
  /**
   * Managed window [start, start + range); its end may be at most MAX_INDEX + 1 (number keys)
   * or 2^64 (bigint keys).
   */
  start: K;
  range: GpuVmKey<K>;
  /** Kernel-reserved VA [reserveOffset, reserveOffset + reserveRange), inserted if reserveRange > 0. */
  reserveOffset?: GpuVmKey<K>;
  reserveRange?: GpuVmKey<K>;
  /**
   * 'number' (default): addresses are numbers up to MAX_INDEX. 'bigint': every address, range
   * and offset, given and returned, is a bigint over the whole u64 space.
   */
  keys?: K extends bigint ? 'bigint' : 'number';
  /** Tree backend, passed to MapleTree (default: MapleTree's default). */
  backend?: 'wasm' | 'ts';
  /** The driver's lock, asserted on every mutation and op generation. */
  lock?: ExternalLock;
  /** Driver callbacks: smStepMap/Remap/Unmap for smMap/smUnmap, vmBoValidate for validate. */
  ops?: GpuVmOps<O, C, K>;
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

/**
 * What `new GpuVm` adds to GpuVmOptions: a VM typed with bigint keys must say
 * `keys: 'bigint'` (without it the VM takes numbers and would refuse its own window).
 */
export type GpuVmKeysOption<K extends number | bigint> = K extends bigint ? { keys: 'bigint' } : { keys?: 'number' };

/** A map request (drm_gpuvm_map_req); obj defaults to null and offset to 0. */
export interface GpuVmMapRequest<O = unknown, K extends number | bigint = number> {
  addr: GpuVmKey<K>;
  range: GpuVmKey<K>;
  obj?: O | null;
  offset?: GpuVmKey<K>;
}

/** What GpuVm.insert creates a VA from. */
export interface GpuVaInit<O = unknown, K extends number | bigint = number> extends GpuVmMapRequest<O, K> {
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
