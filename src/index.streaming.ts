/**
 * maple-gpuvm loading maple.wasm as a separate file (`maple-gpuvm/streaming`): bundlers that
 * turn `new URL('./x.wasm', import.meta.url)` into an asset (Vite, webpack) emit it, and
 * browsers compile it while it downloads. The same API as the main entry.
 */
import { setDefaultSource } from './wasm/load.js';

setDefaultSource(() => new URL('./maple.wasm', import.meta.url));

export * from './index.js';
