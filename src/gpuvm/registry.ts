/**
 * The VmBo registry of one VM: the unique VmBo per object (drm_gpuvm_bo_obtain / _put), the
 * VA links (drm_gpuva_link / _unlink), and the external-object and evicted lists. Reference
 * counting is the kernel's: obtainBo takes a reference, every linked VA holds one, the last
 * one destroys the VmBo. A put may only drop references the caller took: those held by
 * linked VAs go with unlink, so a VmBo is never destroyed while VAs are linked to it.
 *
 * Every change records its inverse in the journal before it is made.
 *
 * While deferring (a prepared job's run calling the driver, or unlinkDefer), a last reference
 * does not destroy its VmBo but defers that to cleanup(), as the kernel's _defer variants do.
 */

import { gpuvmError } from './errors.js';
import type { GpuVa } from './GpuVa.js';
import type { GpuVm } from './GpuVm.js';
import type { Journal } from './journal.js';
import { OrderedSet } from './orderedSet.js';
import { VmBo } from './VmBo.js';

export class BoRegistry<O> {
  private readonly bos = new Map<O, VmBo<O>>();
  /** drm_gpuvm.extobj.list, in the order VmBos were added. */
  readonly extList = new OrderedSet<VmBo<O>>();
  /** drm_gpuvm.evict.list, in the order VmBos were evicted. */
  readonly evictList = new OrderedSet<VmBo<O>>();
  /**
   * drm_gpuvm.bo_defer: VmBos whose last reference went with a deferred put or unlink. They are
   * out of the object map (obtain creates a fresh one) but still on the external-object and
   * evicted lists, as zombies the list walkers skip, until cleanup() takes them off.
   */
  readonly deferList: VmBo<O>[] = [];
  /** Depth of deferDuring calls. */
  private deferDepth = 0;

  constructor(
    private readonly vm: GpuVm<O>,
    private readonly journal: Journal,
  ) {}

  /** Whether a last reference defers the VmBo's destruction now. */
  get deferring(): boolean {
    return this.deferDepth > 0;
  }

  /** Runs fn with VmBo destruction deferred. */
  deferDuring(fn: () => void): void {
    this.deferDepth++;
    try {
      fn();
    } finally {
      this.deferDepth--;
    }
  }

  find(obj: O): VmBo<O> | undefined {
    return this.bos.get(obj);
  }

  obtain(obj: O): VmBo<O> {
    const found = this.bos.get(obj);
    if (found) {
      this.journal.record(() => void found._refs--);
      found._refs++;
      return found;
    }
    const vmBo = new VmBo<O>(this.vm, obj);
    this.journal.record(() => {
      if (this.bos.get(obj) === vmBo) this.bos.delete(obj);
      vmBo._refs = 0;
    });
    this.bos.set(obj, vmBo);
    return vmBo;
  }

  /** Drops one of the caller's references; EINVAL when only linked VAs hold it. */
  put(method: string, vmBo: VmBo<O>, defer = this.deferring): boolean {
    const linked = vmBo._vas.length;
    if (vmBo._refs <= linked) {
      throw gpuvmError(
        'EINVAL',
        method,
        `no reference left to put: the ${linked} linked VA(s) hold the VmBo's ${vmBo._refs} reference(s); unlink them`,
      );
    }
    return this.dropRef(vmBo, defer);
  }

  link(va: GpuVa<O>, vmBo: VmBo<O>): void {
    this.journal.record(() => {
      if (vmBo._vas.at(-1) === va) vmBo._vas.pop();
      vmBo._refs--;
      va._vmBo = null;
    });
    vmBo._vas.push(va);
    vmBo._refs++;
    va._vmBo = vmBo;
  }

  unlink(va: GpuVa<O>, vmBo: VmBo<O>, defer = this.deferring): void {
    const at = vmBo._vas.indexOf(va);
    this.journal.record(() => {
      if (vmBo._vas[at] !== va) vmBo._vas.splice(at, 0, va);
      va._vmBo = vmBo;
    });
    vmBo._vas.splice(at, 1);
    va._vmBo = null;
    this.dropRef(vmBo, defer);
  }

  /** drm_gpuvm_bo_deferred_cleanup(): takes the zombies off the lists; returns them. */
  cleanup(): VmBo<O>[] {
    const zombies = this.deferList.splice(0);
    for (const vmBo of zombies) {
      this.extList.remove(vmBo);
      this.evictList.remove(vmBo);
    }
    return zombies;
  }

  extAdd(vmBo: VmBo<O>): void {
    if (this.extList.has(vmBo)) return;
    this.journal.record(() => void this.extList.remove(vmBo));
    this.extList.add(vmBo);
  }

  evict(vmBo: VmBo<O>, evict: boolean): void {
    const was = vmBo._evicted;
    const listed = this.evictList.has(vmBo);
    const after = listed ? this.evictList.before(vmBo) : null;
    this.journal.record(() => {
      vmBo._evicted = was;
      if (listed) this.evictList.insertAfter(after, vmBo);
      else this.evictList.remove(vmBo);
    });
    vmBo._evicted = evict;
    if (evict) this.evictList.add(vmBo);
    else this.evictList.remove(vmBo);
  }

  /**
   * The last reference removes the VmBo from the VM and its lists, or with defer only from the
   * VM, leaving it on the lists for cleanup().
   */
  private dropRef(vmBo: VmBo<O>, defer: boolean): boolean {
    if (vmBo._refs > 1) {
      this.journal.record(() => void vmBo._refs++);
      vmBo._refs--;
      return false;
    }
    if (defer) return this.deferLast(vmBo);
    const ext = this.extList.has(vmBo);
    const evicted = this.evictList.has(vmBo);
    // Where it sat in each list, so that the inverse puts it back in place.
    const extAfter = ext ? this.extList.before(vmBo) : null;
    const evictAfter = evicted ? this.evictList.before(vmBo) : null;
    this.journal.record(() => {
      vmBo._refs++;
      this.bos.set(vmBo.obj, vmBo);
      if (ext) this.extList.insertAfter(extAfter, vmBo);
      if (evicted) this.evictList.insertAfter(evictAfter, vmBo);
    });
    vmBo._refs--;
    if (this.bos.get(vmBo.obj) === vmBo) this.bos.delete(vmBo.obj);
    this.extList.remove(vmBo);
    this.evictList.remove(vmBo);
    return true;
  }

  private deferLast(vmBo: VmBo<O>): boolean {
    this.journal.record(() => {
      vmBo._refs++;
      this.bos.set(vmBo.obj, vmBo);
      if (this.deferList.at(-1) === vmBo) this.deferList.pop();
    });
    vmBo._refs--;
    if (this.bos.get(vmBo.obj) === vmBo) this.bos.delete(vmBo.obj);
    this.deferList.push(vmBo);
    return true;
  }
}

/** The live VmBos of a list: those whose destruction is deferred are skipped. */
export function* liveBos<O>(list: Iterable<VmBo<O>>): IterableIterator<VmBo<O>> {
  for (const vmBo of list) if (vmBo._refs > 0) yield vmBo;
}
