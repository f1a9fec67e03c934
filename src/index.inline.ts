/**
 * maple-gpuvm with the WebAssembly core embedded in the JS (`maple-gpuvm/inline`, and what
 * bundlers get from `maple-gpuvm`): `init()` needs no .wasm file, fetch or bundler setup.
 * The same API as the main entry.
 */
import { setDefaultSource } from './wasm/load.js';
import { inlinedWasm } from './wasm/inline.js';

setDefaultSource(inlinedWasm);

export * from './index.js';
