/**
 * Tight node budgets for queued-bind tests, sized on the backend at hand: the per-store bound
 * of tree.reserve differs by core (1 node for the naive core, 3·H + 1 for the real ones, H
 * growing with the budget), so a fixed maxNodes that is tight on one core is loose on another.
 */

import { makeVm, type VmOptions } from './gpuvmBackends.js';

/** A request as the queued tests issue it. */
export interface BindRequest {
  kind: 'map' | 'unmap';
  addr: number;
  range: number;
  obj: string | null;
  offset: number;
}

/** The most tree nodes an unbudgeted VM holds while applying requests directly. */
export function peakNodes(backend: string, options: VmOptions<string, unknown>, requests: Iterable<BindRequest>): number {
  const vm = makeVm<string>(backend, options);
  let peak = vm._tree.nodeCount;
  for (const req of requests) {
    vm.apply(req.kind === 'map' ? vm.smMapOps(req) : vm.smUnmapOps(req.addr, req.range));
    peak = Math.max(peak, vm._tree.nodeCount);
  }
  vm.free();
  return peak;
}

/**
 * The budget that holds `live` nodes plus reservations for `stores` stores on this backend.
 * The per-store bound grows with the budget, so it is iterated down from a generous budget
 * to the fixed point (the bound only falls as the budget does).
 */
export function tightBudget(backend: string, live: number, stores: number): number {
  let maxNodes = live + GENEROUS_NODES_PER_STORE * stores;
  for (let prev = 0; maxNodes !== prev; ) {
    prev = maxNodes;
    maxNodes = live + stores * perStoreBound(backend, prev);
  }
  return maxNodes;
}

/** Above the per-store bound of any budget (3 · 23 + 1 for the whole key space). */
const GENEROUS_NODES_PER_STORE = 100;

/** The nodes tree.reserve(1) holds in an empty VM's tree with this budget. */
function perStoreBound(backend: string, maxNodes: number): number {
  const vm = makeVm<string>(backend, { start: 0, range: 1, maxNodes });
  const one = vm._tree.reserve(1);
  const nodes = one.nodes;
  one.release();
  vm.free();
  return nodes;
}
