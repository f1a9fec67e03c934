/**
 * The pure-TypeScript backend: the AssemblyScript core's own sources, compiled by tsc
 * (src/core/ is generated from assembly/ by scripts/gen-ts-core.mjs) over typed arrays.
 * Same algorithm, same node layout, same status codes — only the compiler differs.
 */

import type { CoreBackend, CoreBackend64 } from '../backend/backend.js';
import { CoreAdapter } from '../backend/adapter.js';
import { CoreAdapter64 } from '../backend/adapter64.js';
import { EntryTable } from '../backend/entries.js';
import * as mem from '../core/mem.js';
import * as core from '../core/index.js';
import * as mem64 from '../core64/mem.js';
import * as core64 from '../core64/index.js';

/** A generated core's ABI module and its memory (a test build with another node geometry has the same shape). */
export type TsCoreAbi = typeof core;
export type TsCore64Abi = typeof core64;
export type TsCoreMemory = Pick<typeof mem, 'setEntryHooks' | 'setRcuHook' | 'memStart' | 'memF64'>;

/** Starts a generated core: its memory is allocated here, not at import. Returns its entry table. */
function startTsCore(abi: { coreStart(): void }, memory: TsCoreMemory): EntryTable {
  const entries = new EntryTable();
  // The TS core releases entries directly through these hooks; its release queue stays empty.
  memory.setEntryHooks((h) => entries.retain(h), (h) => entries.release(h));
  memory.memStart();
  abi.coreStart();
  return entries;
}

/** Connects the core's RCU test hook to the adapter, which hands it to the tests' hook. */
function wireRcuHook<A extends CoreAdapter>(adapter: A, memory: TsCoreMemory): A {
  memory.setRcuHook((kind) => adapter.onRcuHook(kind));
  return adapter;
}

/** Wires a generated core to the adapter. */
export function createTsCore(abi: TsCoreAbi, memory: TsCoreMemory): CoreAdapter {
  return wireRcuHook(new CoreAdapter('ts', abi, startTsCore(abi, memory), memory.memF64), memory);
}

/** Wires a generated bigint core (gen-ts-core --bigint) to the adapter of TREE_KEYS64 trees. */
export function createTsCore64(abi: TsCore64Abi, memory: TsCoreMemory): CoreAdapter64 {
  return wireRcuHook(new CoreAdapter64('ts', abi, abi, startTsCore(abi, memory), memory.memF64), memory);
}

let backend: CoreAdapter | null = null;
let backend64: CoreAdapter64 | null = null;

/** The pure-TypeScript backend (created on first use; needs no init()). */
export function tsBackend(): CoreBackend {
  return (backend ??= createTsCore(core, mem));
}

/** The pure-TypeScript backend of bigint-keyed trees: its own core and memory (created on first use). */
export function tsBackend64(): CoreBackend64 {
  return (backend64 ??= createTsCore64(core64, mem64));
}
