/**
 * VmBo: the unique pairing of one VM and one backing object (the kernel's struct drm_gpuvm_bo).
 *
 * It lists the VAs of that object in that VM in link order, and is the element of the VM's
 * external-object and evicted lists. It is reference counted as in the kernel: obtainBo takes
 * a reference, every linked VA holds one, and the last putBo/unlink destroys it (drops it from
 * the VM's lists), after which obtainBo creates a fresh one.
 */

import type { GpuVa } from './GpuVa.js';
import type { GpuVm } from './GpuVm.js';

/** K: the key type of the VM (GpuVm's K), which its VAs' addresses have. */
export class VmBo<O = unknown, K extends number | bigint = number> {
  /** The VM side of the pair. */
  readonly vm: GpuVm<O, unknown, K>;
  /** The object side of the pair. */
  readonly obj: O;
  /** @internal Linked VAs, link order. */
  declare _vas: GpuVa<O>[];
  /** @internal References: obtainBo calls not yet put, plus linked VAs. */
  declare _refs: number;
  /** @internal drm_gpuvm_bo.evicted. */
  declare _evicted: boolean;

  /** @internal Created by GpuVm.obtainBo. */
  constructor(vm: GpuVm<O>, obj: O) {
    this.vm = vm as GpuVm<O, unknown, K>;
    this.obj = obj;
    Object.defineProperty(this, '_vas', { value: [], writable: true, enumerable: false });
    Object.defineProperty(this, '_refs', { value: 1, writable: true, enumerable: false });
    Object.defineProperty(this, '_evicted', { value: false, writable: true, enumerable: false });
  }

  /** The VAs linked to this VmBo, in link order (a copy: safe to unlink while iterating). */
  get vas(): GpuVa<O, K>[] {
    return this._vas.slice() as GpuVa<O, K>[];
  }

  /** Whether GpuVm.evict marked the object evicted. */
  get evicted(): boolean {
    return this._evicted;
  }

  /** Live references; 0 once destroyed. */
  get refs(): number {
    return this._refs;
  }
}
