/**
 * Whether a GpuVm may be used now: not freed, and for mutations and op generation the
 * driver's lock held. As in the kernel the VM takes no lock of its own; with `lock:
 * ExternalLock` it asserts `isHeld()` and throws ENOLCK otherwise. Lookups and iteration only
 * need the VM alive.
 */

import type { ExternalLock } from '../tree/lock.js';
import { gpuvmError } from './errors.js';

export class VmGuard {
  /** Set by GpuVm.free(): every later call throws EINVAL. */
  freed = false;

  constructor(private readonly lock: ExternalLock | null) {}

  /** EINVAL once the VM was freed. */
  live(method: string): void {
    if (this.freed) throw gpuvmError('EINVAL', method, 'the VM was freed');
  }

  /** live(), and ENOLCK when the VM has an external lock that is not held. */
  held(method: string): void {
    this.live(method);
    if (this.lock !== null && !this.lock.isHeld()) {
      throw gpuvmError('ENOLCK', method, 'the external lock is not held');
    }
  }
}
