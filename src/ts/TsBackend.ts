/**
 * The pure-TypeScript backend: the AssemblyScript core's own sources, compiled by tsc
 * (src/core/ is generated from assembly/ by scripts/gen-ts-core.mjs) over typed arrays.
 * Same algorithm, same node layout, same status codes — only the compiler differs.
 */

import type { CoreBackend } from '../backend/backend.js';
import { CoreAdapter } from '../backend/adapter.js';
import { EntryTable } from '../backend/entries.js';
import * as mem from '../core/mem.js';
import * as core from '../core/index.js';

/** A generated core's ABI module and its memory (a test build with another node geometry has the same shape). */
export type TsCoreAbi = typeof core;
export type TsCoreMemory = Pick<typeof mem, 'setEntryHooks' | 'setRcuHook' | 'memStart' | 'memF64'>;

/** Wires a generated core to the adapter; its memory is allocated here, not at import. */
export function createTsCore(abi: TsCoreAbi, memory: TsCoreMemory): CoreAdapter {
  const entries = new EntryTable();
  // The TS core releases entries directly through these hooks; its release queue stays empty.
  memory.setEntryHooks((h) => entries.retain(h), (h) => entries.release(h));
  memory.memStart();
  abi.coreStart();
  const adapter = new CoreAdapter('ts', abi, entries, memory.memF64);
  memory.setRcuHook((kind) => adapter.onRcuHook(kind));
  return adapter;
}

let backend: CoreAdapter | null = null;

/** The pure-TypeScript backend (created on first use; needs no init()). */
export function tsBackend(): CoreBackend {
  return (backend ??= createTsCore(core, mem));
}
