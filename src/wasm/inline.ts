/** The embedded WebAssembly core (see scripts/inline-wasm.mjs), decoded on first use. */
import { WASM_BASE64 } from './inlined.js';

/** The core's bytes, from the base64 text bundled with the JS. */
export function inlinedWasm(): Uint8Array {
  const text = atob(WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
