/**
 * GpuVa: one mapping of a GPU VA space (the kernel's struct drm_gpuva).
 *
 * A VA covers [addr, addr + range) and is stored in its VM's maple tree under the closed key
 * [addr, addr + range - 1]; the object itself is the tree entry, so its identity is the VA's
 * identity. What the VM relies on (addr, range, obj, offset, and the links to the VM and the
 * VmBo) lives in private fields behind getters, so it cannot be changed behind the VM's back;
 * flags and any driver data the caller adds stay writable.
 */

import type { GpuVm } from './GpuVm.js';
import { INSPECT, inspectView } from './inspect.js';
import type { GpuVmKey, Key } from './keys.js';
import type { VmBo } from './VmBo.js';

/** DRM_GPUVA_INVALIDATED: the backing object was evicted or invalidated. */
export const GPUVA_INVALIDATED = 1 << 0;
/** DRM_GPUVA_SPARSE: informational only; the VM never reads it. */
export const GPUVA_SPARSE = 1 << 1;
/** DRM_GPUVA_USERBITS: the first bit free for driver use. */
export const GPUVA_USERBITS = 1 << 2;

/**
 * K: the key type of the VM (GpuVm's K); addr, range, offset and end are GpuVmKey<K>, that
 * is bigints for a bigint VM. The VM's own code handles VAs as GpuVa<O> (number-typed keys
 * that are bigints at run time on a bigint VM, see keys.ts).
 */
export class GpuVa<O = unknown, K extends number | bigint = number> {
  /** GPUVA_* bits plus driver bits from GPUVA_USERBITS up. */
  flags: number;
  // Private fields behind prototype accessors: read-only to everyone but this class, no own
  // enumerable properties besides flags, and unlike Object.defineProperty per instance they
  // keep VA creation on V8's fast path (about 9% of the W7 trace).
  #addr: Key;
  #range: Key;
  #obj: O | null;
  #offset: Key;
  #vm: GpuVm<O> | null = null;
  #vmBo: VmBo<O> | null = null;

  /** @internal Created by GpuVm.insert and the apply helpers. */
  constructor(addr: Key, range: Key, obj: O | null, offset: Key, flags: number) {
    this.#addr = addr;
    this.#range = range;
    this.#obj = obj;
    this.#offset = offset;
    this.flags = flags;
  }

  /** First address of the mapping. */
  /**
   * @internal Gives a blank VA (made ahead of time by a prepared bind job, never yet in a VM)
   * its mapping when the job runs.
   */
  _place(addr: Key, range: Key, obj: O | null, offset: Key): this {
    this.#addr = addr;
    this.#range = range;
    this.#obj = obj;
    this.#offset = offset;
    return this;
  }

  get addr(): GpuVmKey<K> {
    return this.#addr as GpuVmKey<K>;
  }

  /** Length of the mapping (>= 1); the mapping ends before addr + range. */
  get range(): GpuVmKey<K> {
    return this.#range as GpuVmKey<K>;
  }

  /** Backing object, or null for a sparse / NULL mapping. */
  get obj(): O | null {
    return this.#obj;
  }

  /** Offset of addr inside obj. */
  get offset(): GpuVmKey<K> {
    return this.#offset as GpuVmKey<K>;
  }

  /** @internal The VM holding this VA in its tree, or null. */
  get _vm(): GpuVm<O> | null {
    return this.#vm;
  }
  set _vm(vm: GpuVm<O> | null) {
    this.#vm = vm;
  }

  /** @internal The VmBo this VA is linked to, or null. */
  get _vmBo(): VmBo<O> | null {
    return this.#vmBo;
  }
  set _vmBo(vmBo: VmBo<O> | null) {
    this.#vmBo = vmBo;
  }

  /** The plain { addr, range, obj, offset, flags } this VA describes. */
  toJSON(): { addr: GpuVmKey<K>; range: GpuVmKey<K>; obj: O | null; offset: GpuVmKey<K>; flags: number } {
    const addr = this.#addr as GpuVmKey<K>;
    const range = this.#range as GpuVmKey<K>;
    return { addr, range, obj: this.#obj, offset: this.#offset as GpuVmKey<K>, flags: this.flags };
  }

  get [Symbol.toStringTag](): string {
    return 'GpuVa';
  }

  /** util.inspect: the mapping, not the links. */
  [INSPECT](): object {
    return inspectView('GpuVa', this.toJSON());
  }

  /** The VM whose tree holds this VA, or null once removed. */
  get vm(): GpuVm<O, unknown, K> | null {
    return this._vm as GpuVm<O, unknown, K> | null;
  }

  /** The VmBo this VA is linked to (GpuVm.link), or null. */
  get vmBo(): VmBo<O, K> | null {
    return this._vmBo as VmBo<O, K> | null;
  }

  /** Exclusive end: addr + range. */
  get end(): GpuVmKey<K> {
    return (this.#addr + this.#range) as GpuVmKey<K>;
  }

  /** drm_gpuva_invalidated(). */
  get invalidated(): boolean {
    return (this.flags & GPUVA_INVALIDATED) !== 0;
  }

  /** drm_gpuva_invalidate(): sets or clears GPUVA_INVALIDATED. */
  invalidate(invalidate = true): void {
    this.flags = invalidate ? this.flags | GPUVA_INVALIDATED : this.flags & ~GPUVA_INVALIDATED;
  }
}
