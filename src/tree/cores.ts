/**
 * Backend selection: the one module of the facade that knows the concrete cores. The facade
 * imports it; the cores never import the facade.
 */

import type { BackendKind, CoreBackend } from '../backend/backend.js';
import { describeArg } from './args.js';
import { MapleError } from '../backend/errors.js';
import { tsBackend } from '../ts/TsBackend.js';
import { init, wasmBackend } from '../wasm/load.js';

const WASM_NOT_LOADED =
  "maple-gpuvm: the WebAssembly core is not loaded; `await init()` first, use `await MapleTree.create()`, or pass { backend: 'ts' }";

/** The core for a backend kind (`test` overrides the choice); 'wasm' needs init() resolved. */
export function selectCore(method: string, kind: unknown, test: CoreBackend | undefined): CoreBackend {
  if (test) return test;
  const chosen = kind ?? 'wasm';
  if (chosen === 'ts') return tsBackend();
  if (chosen !== 'wasm') {
    throw new MapleError('EINVAL', `${method}: backend must be 'wasm' or 'ts', got ${describeArg(chosen)}`);
  }
  const core = wasmBackend();
  if (!core) throw new Error(WASM_NOT_LOADED);
  return core;
}

/** Loads the WASM core when `kind` selects it. */
export async function prepareCore(kind: BackendKind | undefined, test: CoreBackend | undefined): Promise<void> {
  if (!test && (kind ?? 'wasm') === 'wasm') await init();
}
