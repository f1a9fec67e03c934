/** The pieces of a GpuVm its op generator, op applier and bind queue work on. */

import type { VmWindow } from './checks.js';
import type { GpuVa } from './GpuVa.js';
import type { VmGuard } from './guard.js';
import type { Journal } from './journal.js';
import type { GpuVmOps } from './options.js';
import type { BoRegistry } from './registry.js';
import type { Generations } from './tickets.js';
import type { VaTree } from './vaTree.js';

export interface VmParts<O, C> {
  /** The VM itself: its window, its reserved VA, and the identity tickets name. */
  readonly vm: VmWindow & { readonly reserved: GpuVa<O> | null };
  readonly vas: VaTree<O>;
  readonly journal: Journal;
  readonly gens: Generations;
  readonly ops: GpuVmOps<O, C>;
  readonly guard: VmGuard;
  readonly bos: BoRegistry<O>;
}
