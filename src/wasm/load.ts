/**
 * Isomorphic loading of the WebAssembly core. init() compiles and instantiates it once;
 * concurrent calls share one promise, and a failed attempt can be retried. Without a source
 * the package finds its own maple.wasm next to the built JS: a file read on Node, fetch +
 * compileStreaming in browsers. A caller may pass a Module, bytes, a URL (or string), a
 * Response, or a promise of any of these. We use AssemblyScript's raw bindings through this
 * small loader rather than @assemblyscript/loader, which is deprecated since AS 0.20.
 */

import type { CoreBackend } from '../backend/backend.js';
import { CoreAdapter, type RawCore } from '../backend/adapter.js';
import { EntryTable } from '../backend/entries.js';

export type WasmSource =
  | WebAssembly.Module
  | BufferSource
  | URL
  | string
  | Response
  | PromiseLike<WebAssembly.Module | BufferSource | URL | string | Response>;

let pending: Promise<void> | null = null;
let backend: CoreAdapter | null = null;

/** Compiles and instantiates the WebAssembly core once; idempotent; concurrent calls share one promise. */
export function init(source?: WasmSource): Promise<void> {
  if (backend) return Promise.resolve();
  pending ??= instantiateCore(source).then(
    (core) => {
      backend = core;
    },
    (error: unknown) => {
      pending = null;
      throw error;
    },
  );
  return pending;
}

/** The WASM backend once init() resolved, else null. */
export function wasmBackend(): CoreBackend | null {
  return backend;
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== 'undefined' && value instanceof Response;
}

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`maple-gpuvm: fetching the WebAssembly core failed: HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function compileSource(source?: WasmSource): Promise<WebAssembly.Module> {
  let value = await source;
  if (value === undefined) value = new URL('../maple.wasm', import.meta.url);
  if (value instanceof WebAssembly.Module) return value;
  if (typeof value === 'string') value = new URL(value, typeof location !== 'undefined' ? location.href : import.meta.url);
  if (value instanceof URL) {
    if (value.protocol === 'file:') {
      const fs = 'node:fs/promises';
      const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
      return WebAssembly.compile(await readFile(value));
    }
    return compileResponse(await fetch(value));
  }
  if (isResponse(value)) return compileResponse(value);
  return WebAssembly.compile(value as BufferSource);
}

async function instantiateCore(source?: WasmSource): Promise<CoreAdapter> {
  const module = await compileSource(source);
  const entries = new EntryTable();
  let adapter: CoreAdapter | null = null;
  const imports = {
    env: {
      entryRetain: (handle: number) => entries.retain(handle),
      entryReleaseBatch: () => adapter!.onReleaseQueueFull(),
      abort: (_message: number, _file: number, line: number, column: number) => {
        throw new Error(`maple-gpuvm: WebAssembly core aborted at ${line}:${column}`);
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const exports = instance.exports as unknown as RawCore & { memory: WebAssembly.Memory };
  const memory = exports.memory;
  let view = new Float64Array(memory.buffer);
  // A grown (non-shared) memory detaches old views; length 0 is the cheap test for that.
  const memoryF64 = () => (view.length === 0 ? (view = new Float64Array(memory.buffer)) : view);
  adapter = new CoreAdapter('wasm', exports, entries, memoryF64);
  return adapter;
}
