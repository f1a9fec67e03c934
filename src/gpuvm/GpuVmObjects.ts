/**
 * The buffer-object half of GpuVm's public API: VmBos (drm_gpuvm_bo_obtain / _put), VA links
 * (drm_gpuva_link / _unlink, deferred variants), the external-object and evicted lists and
 * drm_gpuvm_validate. GpuVm extends this class; the bookkeeping itself is the VmBo registry's
 * (registry.ts), and each method here checks its arguments and the VM's guard first.
 */

import { checkLinkable, checkOwnBo, checkVa } from './checks.js';
import { gpuvmError } from './errors.js';
import type { GpuVa } from './GpuVa.js';
import type { GpuVm } from './GpuVm.js';
import type { VmGuard } from './guard.js';
import type { Journal } from './journal.js';
import type { GpuVmOps } from './options.js';
import { BoRegistry, liveBos } from './registry.js';
import type { VmBo } from './VmBo.js';

/** What the object half needs from its VM. */
export interface ObjectsSetup<O, C> {
  readonly guard: VmGuard;
  readonly journal: Journal;
  readonly ops: GpuVmOps<O, C>;
  readonly isExtObj: ((obj: O) => boolean) | null;
}

/**
 * K: the VM's key type (GpuVm's K). The public signatures carry it (a bigint VM's VmBos list
 * bigint-typed VAs); inside, VmBos and VAs are handled as VmBo<O> / GpuVa<O> (keys.ts).
 */
export abstract class GpuVmObjects<O = unknown, C = unknown, K extends number | bigint = number> {
  /** @internal The VmBo registry (the VM's bind queue defers destruction through it). */
  protected readonly bos: BoRegistry<O>;
  readonly #guard: VmGuard;
  readonly #ops: GpuVmOps<O, C, K>;
  readonly #extObjTest: ((obj: O) => boolean) | null;

  /** @internal Only GpuVm extends this class. */
  protected constructor(setup: ObjectsSetup<O, C>) {
    this.#guard = setup.guard;
    this.#ops = setup.ops as GpuVmOps<O, C, K>;
    this.#extObjTest = setup.isExtObj;
    this.bos = new BoRegistry<O>(this as unknown as GpuVm<O>, setup.journal);
  }

  /**
   * drm_gpuvm_bo_obtain(): the unique VmBo of (this VM, obj), created on first use; takes a
   * reference (drop it with putBo).
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a null or undefined obj.
   * @example
   * const vmBo = vm.obtainBo(bo); // drop with vm.putBo(vmBo)
   */
  obtainBo(obj: O): VmBo<O, K> {
    this.#guard.held('obtainBo');
    if (obj === null || obj === undefined) {
      throw gpuvmError('EINVAL', 'obtainBo', 'a VmBo needs a non-null object');
    }
    return this.bos.obtain(obj) as VmBo<O, K>;
  }

  /** drm_gpuvm_bo_find() without taking a reference: the live VmBo of obj, if any. */
  findBo(obj: O): VmBo<O, K> | undefined {
    this.#guard.live('findBo');
    return this.bos.find(obj) as VmBo<O, K> | undefined;
  }

  /**
   * drm_gpuvm_bo_put(): drops a reference the caller took with obtainBo; the last one removes
   * the VmBo from the VM and its lists. Returns whether it was destroyed.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL for a VmBo of another VM or one already destroyed, and for a put
   *   beyond the caller's references (the ones linked VAs hold go with unlink).
   */
  putBo(vmBo: VmBo<O, K>): boolean {
    this.#guard.held('putBo');
    checkOwnBo('putBo', this, vmBo);
    return this.bos.put('putBo', vmBo as VmBo<O>);
  }

  /**
   * drm_gpuva_link(): appends va to vmBo.vas and takes a VmBo reference. A no-op for a NULL-
   * object VA.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL if va is already linked, or vmBo belongs to another VM or object.
   * @example
   * vm.link(vm.insert({ addr: 0x1000, range: 0x1000, obj: bo }), vm.obtainBo(bo));
   */
  link(va: GpuVa<O, K>, vmBo: VmBo<O, K>): void {
    this.#guard.held('link');
    checkVa('link', va);
    if (va.obj === null) return;
    checkLinkable('link', this, va, vmBo);
    this.bos.link(va as GpuVa<O>, vmBo as VmBo<O>);
  }

  /**
   * drm_gpuva_unlink(): removes va from its VmBo's list and drops that reference (which may
   * destroy the VmBo). A no-op for a NULL-object or unlinked VA.
   * Locking: asserts the external lock.
   * @example
   * vm.remove(va);
   * vm.unlink(va);
   */
  unlink(va: GpuVa<O, K>): void {
    this.#guard.held('unlink');
    checkVa('unlink', va);
    const vmBo = va._vmBo;
    if (va.obj === null || vmBo === null) return;
    if ((vmBo.vm as object) !== this) throw gpuvmError('EINVAL', 'unlink', 'the VA is linked in another VM');
    this.bos.unlink(va as GpuVa<O>, vmBo);
  }

  /**
   * drm_gpuva_unlink_defer(): unlink, except that a last reference does not destroy the VmBo:
   * it leaves the VM (obtainBo makes a fresh one) and waits on the deferred list, skipped by
   * extObjs() and evicted(), until deferredCleanup(). Inside a job's run, unlink does this.
   * Locking: asserts the external lock.
   */
  unlinkDefer(va: GpuVa<O, K>): void {
    this.bos.deferDuring(() => this.unlink(va));
  }

  /**
   * drm_gpuvm_bo_put_deferred(): putBo whose last reference defers the destruction as
   * unlinkDefer does. Returns whether that was the last reference. Inside a job's run, putBo
   * does this.
   * Locking: asserts the external lock.
   */
  putBoDeferred(vmBo: VmBo<O, K>): boolean {
    this.#guard.held('putBoDeferred');
    checkOwnBo('putBoDeferred', this, vmBo);
    return this.bos.put('putBoDeferred', vmBo as VmBo<O>, true);
  }

  /**
   * drm_gpuvm_bo_deferred_cleanup(): takes every VmBo whose destruction was deferred off the
   * external-object and evicted lists; returns them (in the order they were deferred).
   * Locking: asserts the external lock.
   */
  deferredCleanup(): VmBo<O, K>[] {
    this.#guard.held('deferredCleanup');
    return this.bos.cleanup() as VmBo<O, K>[];
  }

  /** drm_gpuvm_is_extobj(): whether obj is external to this VM (the isExtObj option). */
  isExtObj(obj: O): boolean {
    return this.#extObjTest !== null && this.#extObjTest(obj);
  }

  /**
   * drm_gpuvm_bo_extobj_add(): puts vmBo on the external-object list if its object is
   * external and it is not there yet.
   * Locking: asserts the external lock.
   */
  extobjAdd(vmBo: VmBo<O, K>): void {
    this.#guard.held('extobjAdd');
    checkOwnBo('extobjAdd', this, vmBo);
    if (this.isExtObj(vmBo.obj)) this.bos.extAdd(vmBo as VmBo<O>);
  }

  /**
   * drm_gpuvm_bo_evict(): marks vmBo evicted or not, adding it to the tail of the evicted
   * list or taking it off.
   * Locking: asserts the external lock.
   */
  evict(vmBo: VmBo<O, K>, evict: boolean): void {
    this.#guard.held('evict');
    checkOwnBo('evict', this, vmBo);
    this.bos.evict(vmBo as VmBo<O>, evict);
  }

  /** drm_gpuvm_bo_gem_evict() for this VM: evict(findBo(obj), evict) if obj has a VmBo. */
  evictObj(obj: O, evict: boolean): void {
    const vmBo = this.findBo(obj);
    if (vmBo) this.evict(vmBo, evict);
  }

  /** The external-object list, in the order VmBos were added. Safe to modify while iterating. */
  extObjs(): IterableIterator<VmBo<O, K>> {
    this.#guard.live('extObjs');
    return liveBos(this.bos.extList) as IterableIterator<VmBo<O, K>>;
  }

  /** The evicted list, in the order VmBos were evicted. Safe to modify while iterating. */
  evicted(): IterableIterator<VmBo<O, K>> {
    this.#guard.live('evicted');
    return liveBos(this.bos.evictList) as IterableIterator<VmBo<O, K>>;
  }

  /**
   * drm_gpuvm_validate(): calls ops.vmBoValidate(vmBo, ctx) for each evicted VmBo; a throw
   * stops and propagates.
   * Locking: asserts the external lock.
   * @throws MapleError EINVAL without ops.vmBoValidate.
   */
  validate(ctx?: C): void {
    this.#guard.held('validate');
    const fn = this.#ops.vmBoValidate;
    if (!fn) throw gpuvmError('EINVAL', 'validate', 'ops.vmBoValidate is not set');
    for (const vmBo of liveBos(this.bos.evictList)) fn.call(this.#ops, vmBo as VmBo<O, K>, ctx as C);
  }
}
