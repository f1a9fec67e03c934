/**
 * maple-gpuvm: the Linux kernel's maple tree and DRM GPU VA manager for JavaScript.
 * Everything in the public contract is exported from here.
 */

export { init } from './wasm/load.js';
export type { WasmSource, WasmModule, WasmResponse } from './wasm/load.js';
export { MapleTree, MAX_INDEX, MAX_INDEX_64, Reservation } from './tree/MapleTree.js';
export type { Range, AllocOptions, CyclicAllocation, MapleTreeOptions, StoreType, ExternalLock, SharedTreeHandle, KeyKind } from './tree/MapleTree.js';
export { MaState } from './tree/MaState.js';
export type { MaStatus } from './tree/MaState.js';
export { MapleError } from './backend/errors.js';
export type { MapleErrorCode } from './backend/errors.js';
export { ZERO_ENTRY, isZeroEntry } from './tree/zeroEntry.js';
export type { ZeroEntry } from './tree/zeroEntry.js';
export type { NodeView, BackendKind } from './backend/backend.js';
export * from './gpuvm/index.js';
export * from './shared/index.js';
