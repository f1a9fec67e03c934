/**
 * GpuVm construction for tests, once per tree backend. 'naive' runs the tree facade over the
 * test-only sorted-array core; 'ts' and 'wasm' are the real cores.
 */

import { GpuVm, type GpuVmOptions } from '../../src/gpuvm/GpuVm.js';
import { NaiveBackend } from './NaiveBackend.js';

export type GpuVmBackend = 'naive' | 'ts' | 'wasm';

/** Backends the GpuVm suites run on. */
export const GPUVM_BACKENDS: GpuVmBackend[] = ['naive'];

export type VmOptions<O, C> = Omit<GpuVmOptions<O, C>, 'backend' | '_core'>;

/** A GpuVm whose tree runs on backend. */
export function makeVm<O = string, C = unknown>(backend: GpuVmBackend, options: VmOptions<O, C>): GpuVm<O, C> {
  if (backend === 'naive') return new GpuVm<O, C>({ ...options, _core: new NaiveBackend() });
  return new GpuVm<O, C>({ ...options, backend });
}
