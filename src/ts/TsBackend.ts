/**
 * The pure-TypeScript backend: the AssemblyScript core's own sources, compiled by tsc
 * (src/core/ is generated from assembly/core/ by scripts/gen-ts-core.mjs) over typed arrays.
 * Same algorithm, same node layout, same status codes — only the compiler differs.
 */

import type { CoreBackend } from '../tree/backend.js';
import { CoreAdapter, type RawCore } from '../tree/coreAdapter.js';
import { EntryTable } from '../tree/entries.js';
import * as mem from './mem.js';
import * as pool from '../core/pool.js';
import * as tree from '../core/tree.js';
import * as walk from '../core/walk.js';
import * as store from '../core/store.js';
import * as gap from '../core/gap.js';
import * as debug from '../core/debug.js';
import * as scratch from '../core/scratch.js';

/** The generated core's modules (a test build with another node geometry has the same shape). */
export interface TsCoreModules {
  mem: Pick<typeof mem, 'setEntryHooks' | 'memF64'>;
  pool: Pick<typeof pool, 'poolInit' | 'poolLive'>;
  tree: typeof tree;
  walk: Pick<typeof walk, 'treeLoad' | 'treeWalk' | 'treePage'>;
  store: Pick<typeof store, 'treeStore'>;
  gap: Pick<typeof gap, 'treeEmptyArea'>;
  debug: Pick<typeof debug, 'treeValidate' | 'nodeRead'>;
  scratch: Pick<typeof scratch, 'RES' | 'PAGE' | 'LPATH' | 'RELEASES' | 'G_RELEASED'>;
}

/** Wires a generated core to the adapter: the TS counterpart of assembly/index.ts. */
export function createTsCore(m: TsCoreModules): CoreAdapter {
  const entries = new EntryTable();
  m.mem.setEntryHooks((h) => entries.retain(h), (h) => entries.release(h));
  m.pool.poolInit();
  const t = m.tree;
  const raw: RawCore = {
    resAddr: () => m.scratch.RES,
    pageAddr: () => m.scratch.PAGE,
    // The TS core releases entries directly through setEntryHooks; its queue stays empty.
    releasesAddr: () => m.scratch.RELEASES,
    releasedCountAddr: () => m.scratch.G_RELEASED,
    poolLiveNodes: m.pool.poolLive,
    treeCreate: t.treeCreate,
    treeRelease: t.treeRelease,
    treeClear: t.treeClear,
    treeFlags: t.treeFlags,
    setFlags: t.treeSetFlags,
    height: t.treeHeight,
    nodeCount: t.treeNodes,
    reservedCount: t.treeReserved,
    rootNode: t.treeRoot,
    load: m.walk.treeLoad,
    walk: m.walk.treeWalk,
    store: (tr, first, last, handle, mode) => m.store.treeStore(tr, first, last, handle, mode, false),
    preallocate: (tr, first, last, handle) => {
      const status = m.store.treeStore(tr, first, last, handle, 0, true);
      return status < 0 ? status : 0;
    },
    unreserve: t.treeUnreserve,
    emptyArea: (tr, min, max, size, rev) => m.gap.treeEmptyArea(tr, min, max, size, rev !== 0),
    page: (tr, first, last) => m.walk.treePage(tr, m.scratch.LPATH, first, last),
    dup: t.treeDup,
    validate: m.debug.treeValidate,
    nodeRead: m.debug.nodeRead,
  };
  return new CoreAdapter('ts', raw, entries, m.mem.memF64);
}

let backend: CoreAdapter | null = null;

/** The pure-TypeScript backend (created on first use; needs no init()). */
export function tsBackend(): CoreBackend {
  return (backend ??= createTsCore({ mem, pool, tree, walk, store, gap, debug, scratch }));
}
