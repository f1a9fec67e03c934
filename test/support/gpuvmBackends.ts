/**
 * GpuVm construction for tests, once per tree backend listed by ./backends.ts ('naive' runs
 * the tree facade over the test-only sorted-array core; 'ts' and 'wasm' are the real cores).
 */

import { GpuVm, type GpuVmOptions } from '../../src/gpuvm/GpuVm.js';
import type { GpuVmKeysOption } from '../../src/gpuvm/options.js';
import type { KeyKind } from '../../src/gpuvm/keys.js';
import { type BackendCase, backends } from './backends.js';

export type GpuVmBackend = string;

/** Names of the backends the GpuVm suites run on. */
export const GPUVM_BACKENDS: GpuVmBackend[] = backends.map((b) => b.name);

/** The backends of bigint VMs (`keys: 'bigint'`): the two real cores. */
export const GPUVM_BACKENDS_64: GpuVmBackend[] = ['wasm', 'ts'];

/**
 * Options of makeVm: number-typed keys whatever `keys` says, so that one model and one suite
 * drive both kinds (a bigint VM's keys are bigints at run time behind the number type, as
 * inside the VM). makeVmOf types a VM by its key type instead.
 */
export type VmOptions<O, C> = Omit<GpuVmOptions<O, C>, 'backend' | '_core' | 'keys'> & { keys?: KeyKind };

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
  return makeVmOf<O, C>(name, options as Omit<GpuVmOptions<O, C>, 'backend' | '_core'> & GpuVmKeysOption<number>);
}

/** A GpuVm typed by its key type K (inferred from options.start), on the named backend. */
export function makeVmOf<O = string, C = unknown, K extends number | bigint = number>(
  name: GpuVmBackend,
  options: Omit<GpuVmOptions<O, C, K>, 'backend' | '_core'> & GpuVmKeysOption<K>,
): GpuVm<O, C, K> {
  const { backend, _core } = backendCase(name).options();
  const full = { ...options, ...(backend !== undefined && { backend }), ...(_core !== undefined && { _core }) };
  return new GpuVm<O, C, K>(full as GpuVmOptions<O, C, K> & GpuVmKeysOption<K>);
}
