// The core's debug asserts: the debug WASM build (asc --target debug) and the TS cores check
// height, path, big-node and pool invariants with a reason; the release build has none. The
// debug build runs here through the same CoreAdapter as the shipped backend, with an abort
// import that decodes the assert's reason string.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { CoreAdapter, type RawCore } from '../../src/backend/adapter.js';
import { EntryTable } from '../../src/backend/entries.js';
import { TREE_ALLOC_RANGE } from '../../src/backend/layout.js';
import type { CoreBackend } from '../../src/backend/backend.js';
import { tinyBackend } from '../support/tinyBackend.js';

const build = (name: string) => readFileSync(new URL(`../../build/${name}`, import.meta.url));

/** An AssemblyScript string in memory: UTF-16LE, its byte length in the word before it. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** A fresh instance of the debug build behind a CoreAdapter; aborts throw with the assert's reason. */
async function debugCore(): Promise<CoreAdapter> {
  const entries = new EntryTable();
  let adapter: CoreAdapter | null = null;
  let memory: WebAssembly.Memory | null = null;
  const env = {
    entryRetain: (handle: number) => entries.retain(handle),
    entryReleaseBatch: () => adapter!.onReleaseQueueFull(),
    rcuHook: (kind: number) => adapter!.onRcuHook(kind),
    abort: (message: number, file: number, line: number) => {
      throw new Error(`core assertion failed: ${readAsString(memory!, message)} (${readAsString(memory!, file)}:${line})`);
    },
  };
  const { instance } = await WebAssembly.instantiate(build('debug.wasm'), { env });
  const exports = instance.exports as unknown as RawCore & { memory: WebAssembly.Memory };
  memory = exports.memory;
  let view = new Float64Array(memory.buffer);
  adapter = new CoreAdapter('wasm', exports, entries, () => (view.length === 0 ? (view = new Float64Array(memory!.buffer)) : view));
  return adapter;
}

/** Random overwrites and erases over a small key space, validated as they go. */
function workload(core: CoreBackend, flags: number): void {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const tree = core.treeCreate(flags, 0);
  for (let op = 0; op < 3000; op++) {
    const first = next() % 5000;
    const last = first + (next() % 8 === 0 ? next() % 600 : next() % 5);
    const handle = next() % 4 === 0 ? 0 : core.entries.alloc(op);
    expect(core.store(tree, first, last, handle, 0)).toBeGreaterThanOrEqual(0);
    if (op % 100 === 0) expect(core.validate(tree), `op ${op}`).toBeNull();
  }
  expect(core.height(tree)).toBeGreaterThan(1);
  core.treeRelease(tree);
}

describe('the debug WebAssembly build', () => {
  it('runs a workload through the CoreAdapter with every assert holding', async () => {
    const core = await debugCore();
    workload(core, 0);
    workload(core, TREE_ALLOC_RANGE);
    expect(core.liveNodes()).toBe(0);
  });

  it('stops on a broken pool invariant with the reason', async () => {
    const core = await debugCore();
    const tree = core.treeCreate(0, 0);
    core.treeRelease(tree);
    // The facade never does this; the raw ABI lets a test free the header twice.
    expect(() => core.raw.treeRelease(tree)).toThrow(/core assertion failed: double free of a pool node \(.*pool\.ts:\d+\)/);
  });

  it('the release build carries no asserts', () => {
    const reason = Buffer.from('double free of a pool node', 'utf16le');
    expect(build('debug.wasm').includes(reason)).toBe(true);
    expect(build('release.wasm').includes(reason)).toBe(false);
  });
});

describe('the TS cores', () => {
  it('map assert to a throw with the reason', () => {
    const core = tinyBackend() as CoreAdapter;
    workload(core, TREE_ALLOC_RANGE);
    const tree = core.treeCreate(0, 0);
    core.treeRelease(tree);
    expect(() => core.raw.treeRelease(tree)).toThrow('maple-gpuvm: core assertion failed: double free of a pool node');
  });
});
