/**
 * GpuVm construction for tests, once per tree backend listed by ./backends.ts ('naive' runs
 * the tree facade over the test-only sorted-array core; 'ts' and 'wasm' are the real cores).
 */

import { GpuVm, type GpuVmOptions } from '../../src/gpuvm/GpuVm.js';
import { type BackendCase, backends } from './backends.js';

export type GpuVmBackend = string;

/** Names of the backends the GpuVm suites run on. */
export const GPUVM_BACKENDS: GpuVmBackend[] = backends.map((b) => b.name);

/** The backends of bigint VMs (`keys: 'bigint'`): the two real cores. */
export const GPUVM_BACKENDS_64: GpuVmBackend[] = ['wasm', 'ts'];

export type VmOptions<O, C> = Omit<GpuVmOptions<O, C>, 'backend' | '_core'>;

function backendCase(name: GpuVmBackend): BackendCase {
  const found = backends.find((b) => b.name === name);
  if (!found) throw new Error(`unknown backend ${name}`);
  return found;
}

/**
 * Hook for per-backend preparation before a suite; nothing to do today, since test/setup.ts
 * instantiates the WASM core before any suite runs.
 */
export function prepareBackend(name: GpuVmBackend): void {
  backendCase(name);
}

/** A GpuVm whose tree runs on the named backend. */
export function makeVm<O = string, C = unknown>(name: GpuVmBackend, options: VmOptions<O, C>): GpuVm<O, C> {
  const { backend, _core } = backendCase(name).options();
  return new GpuVm<O, C>({
    ...options,
    ...(backend !== undefined && { backend }),
    ...(_core !== undefined && { _core }),
  });
}
