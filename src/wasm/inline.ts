/** The embedded WebAssembly core (see scripts/inline-wasm.mjs), decoded on first use. */
import { WASM_BASE64 } from './inlined.js';
import { decodeBase64 } from './base64.js';

/** The core's bytes, from the base64 text bundled with the JS. */
export function inlinedWasm(): Uint8Array {
  return decodeBase64(WASM_BASE64);
}
