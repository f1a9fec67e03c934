/** The GPU VA manager's public surface. */

export { GpuVm } from './GpuVm.js';
export { BindJob, MAP_STORES, UNMAP_STORES } from './bindJob.js';
export type { BindKind, BindState } from './bindJob.js';
export type { GpuVmKey } from './keys.js';
export type {
  GpuVaInit,
  GpuVmKeysOption,
  GpuVmMapRequest,
  GpuVmOps,
  GpuVmOptions,
  MapOptions,
  SmOptions,
} from './GpuVm.js';
export { GpuVa, GPUVA_INVALIDATED, GPUVA_SPARSE, GPUVA_USERBITS } from './GpuVa.js';
export { VmBo } from './VmBo.js';
export { remapToUnmapRange } from './ops.js';
export type {
  GpuVaOp,
  GpuVaOpMap,
  GpuVaOpPrefetch,
  GpuVaOpRemap,
  GpuVaOpUnmap,
  OpMap,
  OpUnmap,
} from './ops.js';
export type { StepCallbacks } from './sinks.js';
