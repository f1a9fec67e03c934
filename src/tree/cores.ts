/**
 * Backend selection: the one module of the facade that knows the concrete cores. The facade
 * imports it; the cores never import the facade.
 */

import type { BackendKind, CoreBackend, CoreBackend64 } from '../backend/backend.js';
import { describeArg } from './args.js';
import { MapleError } from '../backend/errors.js';
import { tsBackend, tsBackend64 } from '../ts/TsBackend.js';
import { init, wasmBackend, wasmBackend64 } from '../wasm/load.js';
import { WideCore, wideCore } from '../backend/wide.js';

const WASM_NOT_LOADED =
  "maple-gpuvm: the WebAssembly core is not loaded; `await init()` first, use `await MapleTree.create()`, or pass { backend: 'ts' }";

/** The backend a `backend` option names ('wasm' by default), or EINVAL. */
function backendKind(method: string, kind: unknown): BackendKind {
  const chosen = kind ?? 'wasm';
  if (chosen !== 'ts' && chosen !== 'wasm') {
    throw new MapleError('EINVAL', `${method}: backend must be 'wasm' or 'ts', got ${describeArg(chosen)}`);
  }
  return chosen;
}

/** The WASM core once init() resolved. */
function loaded<T>(core: T | null): T {
  if (!core) throw new Error(WASM_NOT_LOADED);
  return core;
}

/** The core for a backend kind (`test` overrides the choice); 'wasm' needs init() resolved. */
export function selectCore(method: string, kind: unknown, test: CoreBackend | undefined): CoreBackend {
  if (test) return test;
  return backendKind(method, kind) === 'ts' ? tsBackend() : loaded(wasmBackend());
}

/**
 * The core of a bigint tree: the backend's TREE_KEYS64 calls behind a WideCore. `test` is a
 * CoreBackend64 to wrap, or the WideCore of the tree being duplicated.
 */
export function selectWideCore(method: string, kind: unknown, test: CoreBackend | undefined): WideCore {
  if (test instanceof WideCore) return test;
  if (test) return wideCore(test as CoreBackend64);
  return wideCore(backendKind(method, kind) === 'ts' ? tsBackend64() : loaded(wasmBackend64()));
}

/** Loads the WASM core when `kind` selects it. */
export async function prepareCore(kind: BackendKind | undefined, test: CoreBackend | undefined): Promise<void> {
  if (!test && (kind ?? 'wasm') === 'wasm') await init();
}
