// PLACEHOLDER — being written by the core author. Signatures are final.
import type { CoreBackend } from '../tree/backend.js';

export type WasmSource =
  | WebAssembly.Module
  | BufferSource
  | URL
  | string
  | Response
  | PromiseLike<WebAssembly.Module | BufferSource | URL | string | Response>;

/** Compiles and instantiates the WebAssembly core once; idempotent; concurrent calls share one promise. */
export function init(_source?: WasmSource): Promise<void> {
  return Promise.reject(new Error('maple-gpuvm: the WebAssembly core is not built yet'));
}

/** The WASM backend once init() resolved, else null. */
export function wasmBackend(): CoreBackend | null {
  return null;
}
