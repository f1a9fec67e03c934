/**
 * The pure-TypeScript backend: the AssemblyScript core's own sources, compiled by tsc
 * (src/core/ is generated from assembly/core/ by scripts/gen-ts-core.mjs) over typed arrays.
 * Same algorithm, same node layout, same status codes — only the compiler differs.
 */

import type { CoreBackend } from '../tree/backend.js';
import { CoreAdapter, type RawCore } from '../tree/coreAdapter.js';
import { EntryTable } from '../tree/entries.js';
import { setEntryHooks, memF64 } from './mem.js';
import { poolInit, poolLive } from '../core/pool.js';
import {
  treeCreate, treeRelease, treeClear, treeDup, treeFlags, treeSetFlags, treeGeneration, treeHeight,
  treeNodes, treeReserved, treeRoot, treeUnreserve,
} from '../core/tree.js';
import { treeLoad, treeWalk, treePage } from '../core/walk.js';
import { treeStore } from '../core/store.js';
import { treeEmptyArea } from '../core/gap.js';
import { treeValidate, nodeRead } from '../core/debug.js';
import { RES, PAGE, LPATH } from '../core/scratch.js';

let backend: CoreAdapter | null = null;

function createTsBackend(): CoreAdapter {
  const entries = new EntryTable();
  setEntryHooks((h) => entries.retain(h), (h) => entries.release(h));
  poolInit();
  const raw: RawCore = {
    resAddr: () => RES,
    pageAddr: () => PAGE,
    poolLiveNodes: poolLive,
    treeCreate,
    treeRelease,
    treeClear,
    treeFlags,
    setFlags: treeSetFlags,
    generation: treeGeneration,
    height: treeHeight,
    nodeCount: treeNodes,
    reservedCount: treeReserved,
    rootNode: treeRoot,
    load: treeLoad,
    walk: treeWalk,
    store: (tree, first, last, handle, mode) => treeStore(tree, first, last, handle, mode, false),
    preallocate: (tree, first, last, handle) => {
      const status = treeStore(tree, first, last, handle, 0, true);
      return status < 0 ? status : 0;
    },
    unreserve: treeUnreserve,
    emptyArea: (tree, min, max, size, rev) => treeEmptyArea(tree, min, max, size, rev !== 0),
    page: (tree, first, last) => treePage(tree, LPATH, first, last),
    dup: treeDup,
    validate: treeValidate,
    nodeRead,
  };
  return new CoreAdapter('ts', raw, entries, memF64);
}

/** The pure-TypeScript backend (created on first use; needs no init()). */
export function tsBackend(): CoreBackend {
  return (backend ??= createTsBackend());
}
