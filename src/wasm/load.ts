/**
 * Isomorphic loading of the WebAssembly core. init() compiles and instantiates it once;
 * concurrent calls share one promise, and a failed attempt can be retried. Without a source
 * it uses the default source the package entry registered (the inline entry: the embedded
 * bytes; the streaming entry: maple.wasm as a bundler asset), else maple.wasm next to the
 * built JS: a file read on Node, fetch + compileStreaming in browsers. A caller may pass a
 * Module, bytes, a URL (or string), a Response, or a promise of any of these. We use
 * AssemblyScript's raw bindings through this small loader rather than @assemblyscript/loader,
 * which is deprecated since AS 0.20.
 *
 * The public types here are structural, so the typings need no DOM lib.
 */

import type { CoreBackend, CoreBackend64 } from '../backend/backend.js';
import type { RawCore } from '../backend/adapter.js';
import { CoreAdapter64, type RawCore64 } from '../backend/adapter64.js';
import { EntryTable } from '../backend/entries.js';

/** A compiled `WebAssembly.Module`. */
export type WasmModule = object;

/** The part of a fetch `Response` the loader reads (a real `Response` is streamed). */
export interface WasmResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * What init() accepts. A string is a URL; in Node a string without a scheme is a file path,
 * resolved against the current working directory (not the package's folder).
 */
export type WasmSource =
  | WasmModule
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | WasmResponse
  | PromiseLike<WasmModule | ArrayBuffer | ArrayBufferView | URL | string | WasmResponse>;

/** The WebAssembly API the loader uses (global in every supported runtime). */
interface WasmApi {
  Module: new (bytes: ArrayBufferView | ArrayBuffer) => object;
  compile(bytes: ArrayBufferView | ArrayBuffer): Promise<object>;
  compileStreaming?(response: WasmResponse): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: unknown }>;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Every WebAssembly binary starts with "\0asm". */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Bytes shown in a "not WebAssembly" error. */
const SNIFF_BYTES = 8;
/**
 * The default file, beside the built JS. Resolved against a copy of import.meta.url, not in a
 * `new URL('…', import.meta.url)` literal, so bundlers neither emit it as an asset nor warn.
 */
const WASM_FILE = '../maple.wasm';
const MODULE_URL = import.meta.url;
/** Schemes a string source may carry; anything else is a path (Node) or relative URL (browsers). */
const URL_SCHEME = /^(?:https?|file|data|blob):/i;

let pending: Promise<void> | null = null;
let backend: CoreAdapter64 | null = null;
let defaultSource: (() => WasmSource) | null = null;

/** Compiles and instantiates the WebAssembly core once; idempotent; concurrent calls share one promise. */
export function init(source?: WasmSource): Promise<void> {
  if (backend) return Promise.resolve();
  pending ??= instantiateCore(source ?? defaultSource?.()).then(
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

/** The same backend for bigint-keyed (TREE_KEYS64) trees: one core and memory serve both kinds. */
export function wasmBackend64(): CoreBackend64 | null {
  return backend;
}

/** @internal Sets what init() loads when called without a source (used by the package entries). */
export function setDefaultSource(source: () => WasmSource): void {
  defaultSource = source;
}

function fail(message: string, cause?: unknown): Error {
  return new Error(`maple-gpuvm: ${message}`, cause === undefined ? undefined : { cause });
}

function isResponse(value: unknown): value is WasmResponse {
  return typeof value === 'object' && value !== null && 'arrayBuffer' in value && 'headers' in value && 'ok' in value;
}

function isModule(value: unknown): boolean {
  return value instanceof wasm.Module;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function asBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Throws, naming where the bytes came from, unless they start with the WebAssembly magic. */
function checkMagic(bytes: Uint8Array, from: string, contentType?: string): void {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const type = contentType ? `content-type ${contentType}, ` : '';
  throw fail(
    `${from} is not WebAssembly (${type}starts with ${hex(bytes.subarray(0, SNIFF_BYTES)) || 'nothing'}; ` +
      'a WebAssembly binary starts with 00 61 73 6d). The server or bundler answered with something else: ' +
      'import from maple-gpuvm/inline, or pass init() the URL or bytes of maple.wasm.',
  );
}

async function compileBytes(value: ArrayBuffer | ArrayBufferView, from: string, contentType?: string): Promise<object> {
  const bytes = asBytes(value);
  checkMagic(bytes, from, contentType);
  try {
    return await wasm.compile(bytes);
  } catch (error) {
    throw fail(`compiling ${from} failed: ${(error as Error).message}`, error);
  }
}

async function compileResponse(response: WasmResponse, url?: string): Promise<object> {
  const from = url ?? (response.url || 'the response');
  if (!response.ok) throw fail(`fetching the WebAssembly core from ${from} failed: HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (wasm.compileStreaming && type.startsWith('application/wasm')) {
    try {
      return await wasm.compileStreaming(response);
    } catch (error) {
      throw fail(`compiling ${from} failed: ${(error as Error).message}`, error);
    }
  }
  return compileBytes(await response.arrayBuffer(), from, type);
}

/** A module name hidden from bundlers, so browser builds neither resolve nor warn about it. */
function nodeImport<T>(name: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name) as Promise<T>;
}

function inBrowser(): boolean {
  return typeof (globalThis as { location?: unknown }).location !== 'undefined';
}

/** A string source: a URL with a scheme; else relative to the page, or in Node a path relative to the cwd. */
async function resolveString(value: string): Promise<URL> {
  if (URL_SCHEME.test(value)) return new URL(value);
  if (inBrowser()) return new URL(value, (globalThis as unknown as { location: { href: string } }).location.href);
  const { pathToFileURL } = await nodeImport<typeof import('node:url')>('node:url');
  return pathToFileURL(value);
}

async function compileUrl(url: URL): Promise<object> {
  if (url.protocol === 'file:') {
    const { readFile } = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(url);
    } catch (error) {
      throw fail(`reading the WebAssembly core ${url.href} failed: ${(error as Error).message}`, error);
    }
    return compileBytes(bytes, url.href);
  }
  let response: WasmResponse;
  try {
    response = (await fetch(url)) as WasmResponse;
  } catch (error) {
    throw fail(`fetching the WebAssembly core from ${url.href} failed: ${(error as Error).message}`, error);
  }
  return compileResponse(response, url.href);
}

async function compileSource(source?: WasmSource): Promise<object> {
  let value = await source;
  if (value === undefined) value = new URL(WASM_FILE, MODULE_URL);
  if (typeof value === 'string') value = await resolveString(value);
  if (value instanceof URL) return compileUrl(value);
  if (isModule(value)) return value;
  if (isResponse(value)) return compileResponse(value);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return compileBytes(value, 'the bytes passed to init()');
  throw fail('init() takes a WebAssembly.Module, bytes, a URL or path, a Response, or a promise of one');
}

/** Exports every core build has; a module lacking one is not this package's core. */
const CORE_FUNCTIONS = ['resAddr', 'pageAddr', 'releasesAddr', 'releasedCountAddr', 'drawAddr', 'treeCreate', 'store', 'load', 'store64', 'load64'];

/** The instance's exports as the core's ABI, or a clear error for a foreign module. */
function checkCoreExports(exports: unknown): RawCore & RawCore64 & { memory: WasmMemory } {
  const found = (exports ?? {}) as Record<string, unknown>;
  const memory = found.memory as { buffer?: unknown } | undefined;
  const missing = CORE_FUNCTIONS.filter((name) => typeof found[name] !== 'function');
  if (!(memory && memory.buffer instanceof ArrayBuffer)) missing.unshift('memory');
  if (missing.length > 0) {
    throw fail(`the WebAssembly module is not the maple-gpuvm core (missing exports: ${missing.join(', ')})`);
  }
  return found as unknown as RawCore & RawCore64 & { memory: WasmMemory };
}

async function instantiateCore(source?: WasmSource): Promise<CoreAdapter64> {
  const module = await compileSource(source);
  const entries = new EntryTable();
  let adapter: CoreAdapter64 | null = null;
  const imports = {
    env: {
      entryRetain: (handle: number) => entries.retain(handle),
      entryReleaseBatch: () => adapter!.onReleaseQueueFull(),
      rcuHook: (kind: number) => adapter!.onRcuHook(kind),
      abort: (_message: number, _file: number, line: number, column: number) => {
        throw fail(`WebAssembly core aborted at ${line}:${column}`);
      },
    },
  };
  const instance = await wasm.instantiate(module, imports);
  const exports = checkCoreExports(instance.exports);
  const memory = exports.memory;
  let view = new Float64Array(memory.buffer);
  // A grown (non-shared) memory detaches old views; length 0 is the cheap test for that.
  const memoryF64 = () => (view.length === 0 ? (view = new Float64Array(memory.buffer)) : view);
  // One memory serves number trees and TREE_KEYS64 trees: the adapter has both kinds of call.
  adapter = new CoreAdapter64('wasm', exports, exports, entries, memoryF64);
  return adapter;
}
