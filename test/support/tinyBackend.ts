// The pure-TS core rebuilt with 6-slot leaves and 4-slot arange nodes (scripts/gen-ts-core.mjs
// --tiny, run by `npm run gen`): a few dozen entries already need splits, rebalances and
// multi-level spanning stores.
import type { CoreBackend } from '../../src/tree/backend.js';
import { createTsCore } from '../../src/ts/TsBackend.js';
import * as mem from '../generated/core-tiny/mem.js';
import * as pool from '../generated/core-tiny/pool.js';
import * as tree from '../generated/core-tiny/tree.js';
import * as walk from '../generated/core-tiny/walk.js';
import * as store from '../generated/core-tiny/store.js';
import * as gap from '../generated/core-tiny/gap.js';
import * as debug from '../generated/core-tiny/debug.js';
import * as scratch from '../generated/core-tiny/scratch.js';

let backend: CoreBackend | null = null;

export function tinyBackend(): CoreBackend {
  return (backend ??= createTsCore({ mem, pool, tree, walk, store, gap, debug, scratch }));
}
