/**
 * Applying ops to a GpuVm (drm_gpuva_map / remap / unmap, and whole lists atomically). An op a
 * prepared job's run already applied is recorded here with its result, which the apply helper
 * then hands back once instead of applying it again.
 */

import { checkObject, checkOpType, checkRemap, checkRemovable, vaFromPiece } from './checks.js';
import { gpuvmError, withContext } from './errors.js';
import type { GpuVa } from './GpuVa.js';
import type { GpuVaOp, GpuVaOpMap, GpuVaOpRemap, GpuVaOpUnmap } from './ops.js';
import type { VmParts } from './parts.js';
import { advanceTicket, checkTicket, markApplied, renewTickets, takeApplied } from './tickets.js';

/** The VAs a REMAP leaves: its prev / next remnants. */
export type Remnants<O> = { prev?: GpuVa<O>; next?: GpuVa<O> };

/** What an apply helper returns for an op a job's run applied: the VA, the remnants, or true. */
export type PreApplied<O> = GpuVa<O> | Remnants<O> | true;

export class OpApplier<O> {
  constructor(private readonly p: VmParts<O, unknown>) {}

  /** GpuVm.applyMap. */
  map(op: GpuVaOpMap<O>): GpuVa<O> {
    const done = this.takePreApplied(op);
    if (done !== undefined) return done as GpuVa<O>;
    this.checkOp('applyMap', op, 'map');
    const va = vaFromPiece('applyMap', this.p.vm, op);
    this.p.vas.insert('applyMap', va);
    advanceTicket(op, this.p.gens.current);
    return va;
  }

  /** GpuVm.applyRemap. */
  remap(op: GpuVaOpRemap<O>): Remnants<O> {
    return this.p.journal.atomically(() => this.remapNow(op, true)!);
  }

  /** GpuVm.applyUnmap. */
  unmap(op: GpuVaOpUnmap<O>): void {
    if (this.takePreApplied(op) !== undefined) return;
    this.checkOp('applyUnmap', op, 'unmap');
    checkRemovable('applyUnmap', this.p.vm, op.va);
    this.p.vas.erase('applyUnmap', op.va);
    advanceTicket(op, this.p.gens.current);
  }

  /** GpuVm.apply: all ops or none; a failure leaves the list's tickets current. */
  list(ops: readonly GpuVaOp<O>[]): void {
    if (!Array.isArray(ops)) throw gpuvmError('EINVAL', 'apply', 'ops must be an array');
    for (let i = 0; i < ops.length; i++) {
      if (!(i in ops)) throw gpuvmError('EINVAL', 'apply', `op ${i}: the array has a hole here`);
    }
    const { journal, gens } = this.p;
    const gen = gens.current;
    const issued = gens.issued;
    const mark = journal.begin();
    try {
      for (let i = 0; i < ops.length; i++) this.applyAt(ops[i], i);
    } catch (err) {
      try {
        journal.fail(mark, gen);
      } finally {
        renewTickets(ops, this.p.vm, issued, gens.current);
      }
      throw err;
    }
    journal.commit();
  }

  /** Records that a job's run applied op (stamped by this VM), and what applying it returns. */
  recordApplied(op: GpuVaOp<O>, done: PreApplied<O>): void {
    markApplied(op, done);
  }

  /** What applying op returned when a job's run applied it (once), else undefined. */
  private takePreApplied(op: GpuVaOp<O>): PreApplied<O> | undefined {
    return takeApplied(op, this.p.vm) as PreApplied<O> | undefined;
  }

  private applyAt(op: GpuVaOp<O>, index: number): void {
    try {
      switch (op?.type) {
        case 'map':
          this.map(op);
          return;
        case 'remap':
          this.remapNow(op, false);
          return;
        case 'unmap':
          this.unmap(op);
          return;
        case 'prefetch':
          return;
        default:
          throw gpuvmError('EINVAL', 'apply', `unknown op type ${String((op as { type?: unknown })?.type)}`);
      }
    } catch (err) {
      throw withContext(err, 'apply', `op ${index}`);
    }
  }

  /**
   * Checks and applies a REMAP (inside an open section: a failed insert leaves the erase to
   * the section's rollback). Returns what applyRemap returns when asked to, else null.
   */
  private remapNow(op: GpuVaOpRemap<O>, result: boolean): Remnants<O> | null {
    const done = this.takePreApplied(op);
    if (done !== undefined) return result ? (done as Remnants<O>) : null;
    this.checkOp('applyRemap', op, 'remap');
    checkObject('applyRemap', op.unmap, 'malformed remap: unmap must be { va, keep }');
    const old = op.unmap.va;
    checkRemovable('applyRemap', this.p.vm, old);
    const prev = op.prev ? vaFromPiece('applyRemap', this.p.vm, op.prev) : undefined;
    const next = op.next ? vaFromPiece('applyRemap', this.p.vm, op.next) : undefined;
    checkRemap('applyRemap', op);
    this.p.vas.erase('applyRemap', old);
    if (prev) this.p.vas.insert('applyRemap', prev);
    if (next) this.p.vas.insert('applyRemap', next);
    advanceTicket(op, this.p.gens.current);
    return result ? remnants(prev, next) : null;
  }

  private checkOp(method: string, op: GpuVaOp<O>, type: GpuVaOp['type']): void {
    checkOpType(method, op, type);
    checkTicket(method, op, this.p.vm, this.p.gens.current);
  }
}

/** What applyRemap returns: only the remnants there are. */
export function remnants<O>(prev: GpuVa<O> | undefined, next: GpuVa<O> | undefined): Remnants<O> {
  if (prev && next) return { prev, next };
  return prev ? { prev } : next ? { next } : {};
}
