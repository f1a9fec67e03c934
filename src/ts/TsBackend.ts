// PLACEHOLDER — being written by the core author. Signature is final.
import type { CoreBackend } from '../tree/backend.js';

/** The pure-TypeScript backend (created on first use; needs no init()). */
export function tsBackend(): CoreBackend {
  throw new Error('maple-gpuvm: the pure-TS core is not built yet');
}
