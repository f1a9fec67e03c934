// The pure-TS core rebuilt with 6-slot leaves and 4-slot arange nodes (scripts/gen-ts-core.mjs
// --tiny, run by `npm run gen`): a few dozen entries already need splits, rebalances and
// multi-level spanning stores.
import type { CoreBackend } from '../../src/backend/backend.js';
import { createTsCore } from '../../src/ts/TsBackend.js';
import * as mem from '../generated/core-tiny/mem.js';
import * as core from '../generated/core-tiny/index.js';

let backend: CoreBackend | null = null;

export function tinyBackend(): CoreBackend {
  return (backend ??= createTsCore(core, mem));
}
