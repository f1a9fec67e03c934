/**
 * Memory primitives for the pure-TS build of the core: scripts/gen-ts-core.mjs copies this
 * file next to the generated core files (src/core/mem.ts, and a private copy in the tiny test
 * core), which import it instead of assembly/core/mem.ts. Memory is one ArrayBuffer with three
 * views; u64 fields are stored as f64, which is exact for every key below 2^53. Growing copies
 * into a larger buffer, so addresses stay valid.
 *
 * The shared-tree variant of the core (src/core-shared/) runs over SharedArrayBuffers instead
 * (memAttach): Node 20 has no growable SharedArrayBuffer, so a shared memory is allocated at
 * its maximum and "grows" by raising a logical size in pages kept in its first word, which
 * every agent reads; an agent holding several shared trees switches between their memories.
 */

import { MEMORY_MAX_PAGES, MEMORY_PAGE_BYTES } from '../core/layout.js';

/** The first memory of a backend, in pages: room for the scratch areas and a few thousand nodes. */
const INITIAL_PAGES = 256;

// Empty until memStart(): importing the package allocates nothing.
let buffer: ArrayBufferLike = new ArrayBuffer(0);
let F64: Float64Array<ArrayBufferLike> = new Float64Array(buffer);
let I32: Int32Array<ArrayBufferLike> = new Int32Array(buffer);
let U8: Uint8Array<ArrayBufferLike> = new Uint8Array(buffer);

/** A shared memory's logical size in pages lives in word 0 (below BASE, which the core never uses). */
const SHARED_SIZE_WORD = 0;
let shared = false;

let retainHook: (handle: number) => void = () => {};
let releaseHook: (handle: number) => void = () => {};

/** Connects the core's entry reference counting to an EntryTable. */
export function setEntryHooks(retain: (h: number) => void, release: (h: number) => void): void {
  retainHook = retain;
  releaseHook = release;
}

export function hostRetain(handle: number): void {
  if (handle > 1) retainHook(handle);
}

export function hostRelease(handle: number): void {
  if (handle > 1) releaseHook(handle);
}

let rcuHook: (kind: number) => void = () => {};

/** Connects the core's RCU test hook (see assembly/core/rcu.ts). */
export function setRcuHook(hook: (kind: number) => void): void {
  rcuHook = hook;
}

export function hostRcuHook(kind: number): void {
  rcuHook(kind);
}

/** Racy words (see assembly/core/mem.ts): Atomics, which also work on a non-shared Int32Array. */
export function atomicLd32(p: number): number { return Atomics.load(I32, p >>> 2); }
export function atomicSt32(p: number, v: number): void { Atomics.store(I32, p >>> 2, v); }
export function stHandleF64(p: number, handle: number): void { F64[p >>> 3] = handle >>> 0; }

export function ld64(p: number): number { return F64[p >>> 3]; }
export function st64(p: number, v: number): void { F64[p >>> 3] = v; }
export function ld32(p: number): number { return I32[p >>> 2]; }
export function st32(p: number, v: number): void { I32[p >>> 2] = v; }
// Addresses from 2 GiB up arrive as negative i32 values (as in WebAssembly): `>>> 0` makes
// them indexes; the wider views shift them unsigned anyway.
export function ld8(p: number): number { return U8[p >>> 0]; }
export function st8(p: number, v: number): void { U8[p >>> 0] = v; }
export function stKeyF64(p: number, v: number): void { F64[p >>> 3] = v; }
export function ldKeyF64(p: number): number { return F64[p >>> 3]; }
export function memZero(p: number, n: number): void {
  const at = p >>> 0;
  // Nodes are 8-byte aligned: a short f64 loop beats TypedArray.fill's call overhead.
  if (((at | n) & 7) === 0) {
    for (let i = at >>> 3, stop = i + (n >>> 3); i < stop; i++) F64[i] = 0;
  } else {
    U8.fill(0, at, at + n);
  }
}
export function memFill(p: number, byte: number, n: number): void {
  const at = p >>> 0;
  U8.fill(byte, at, at + n);
}
export function memMove(dst: number, src: number, n: number): void {
  const from = src >>> 0;
  U8.copyWithin(dst >>> 0, from, from + n);
}
export function memAddr(p: number): number { return p >>> 0; }
export function ctz32(x: number): number { return 31 - Math.clz32(x & -x); }
export function idiv(a: number, b: number): number { return (a / b) | 0; }

/** Allocates the first memory (once; the backend calls it when its first tree is created). */
export function memStart(): void {
  if (buffer.byteLength === 0) memGrow(INITIAL_PAGES);
}

/** The core's debug asserts (AssemblyScript's assert; the release WASM build compiles them out). */
export function assert(ok: boolean, reason?: string): void {
  if (!ok) throw new Error(`maple-gpuvm: core assertion failed: ${reason ?? 'no reason given'}`);
}

export function memAbort(): void { throw new Error('maple-gpuvm: core memory layout is broken'); }
export function memFitsBelow(_base: number): boolean { return true; }
/**
 * The views cover the whole buffer (a shared one is allocated at its maximum), so there is
 * nothing to catch up with, and any pool address can be read.
 */
export function memSync(): void {}
export function memReaches(_p: number, _n: number): boolean { return true; }
export function memPages(): number {
  return shared ? Atomics.load(I32, SHARED_SIZE_WORD) : buffer.byteLength / MEMORY_PAGE_BYTES;
}
/**
 * Grows memory by `pages` 64 KiB pages, as WebAssembly does; false past MEMORY_MAX_PAGES or
 * when the engine cannot allocate the larger buffer (growing copies: old and new coexist).
 */
export function memGrow(pages: number): boolean {
  if (shared) {
    // Writers grow under the tree lock; readers only ever read the word.
    const next = memPages() + pages;
    if (next * MEMORY_PAGE_BYTES > buffer.byteLength) return false;
    Atomics.store(I32, SHARED_SIZE_WORD, next);
    return true;
  }
  const size = buffer.byteLength + pages * MEMORY_PAGE_BYTES;
  if (size > MEMORY_MAX_PAGES * MEMORY_PAGE_BYTES) return false;
  let grown: ArrayBuffer;
  try {
    grown = new ArrayBuffer(size);
  } catch {
    return false; // RangeError: the engine refused the allocation
  }
  new Uint8Array(grown).set(U8);
  buffer = grown;
  F64 = new Float64Array(buffer);
  I32 = new Int32Array(buffer);
  U8 = new Uint8Array(buffer);
  return true;
}

/** The views of one shared memory, made once per memory and agent (memAttach switches to them). */
export interface SharedViews {
  readonly buffer: SharedArrayBuffer;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
}

/** Views over a shared memory; a new one (logical size 0) starts at `initialBytes`. */
export function sharedViews(sab: SharedArrayBuffer, initialBytes: number): SharedViews {
  const views = { buffer: sab, f64: new Float64Array(sab), i32: new Int32Array(sab), u8: new Uint8Array(sab) };
  const pages = Math.floor(Math.min(initialBytes, sab.byteLength) / MEMORY_PAGE_BYTES);
  Atomics.compareExchange(views.i32, SHARED_SIZE_WORD, 0, pages);
  return views;
}

/** A shared memory's logical size in bytes. */
export function sharedBytes(views: SharedViews): number {
  return Atomics.load(views.i32, SHARED_SIZE_WORD) * MEMORY_PAGE_BYTES;
}

/** Makes the core run over a shared memory from now on (until the next memAttach). */
export function memAttach(views: SharedViews): void {
  shared = true;
  buffer = views.buffer;
  F64 = views.f64;
  I32 = views.i32;
  U8 = views.u8;
}

/** Views for the backend wrapper (re-read after any call that may grow memory). */
export function memF64(): Float64Array { return F64; }
