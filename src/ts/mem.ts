/**
 * Memory primitives for the pure-TS build of the core: scripts/gen-ts-core.mjs copies this
 * file next to the generated core files (src/core/mem.ts, and a private copy in the tiny test
 * core), which import it instead of assembly/core/mem.ts. Memory is one ArrayBuffer with four
 * views; u64 fields are stored as f64, which is exact for every key below 2^53. The bigint
 * variant of the core (`gen-ts-core --bigint`: u64 is bigint) gets this file with the five
 * u64 accessors below reading and writing the U64 view instead, exact over all of u64.
 * Growing copies into a larger buffer, so addresses stay valid.
 *
 * The shared-tree variant of the core (src/core-shared/) runs over SharedArrayBuffers instead
 * (memAttach). A shared memory is a growable SharedArrayBuffer (one allocated at its maximum
 * where the engine has none); its logical size in pages is kept in its first word, which
 * every agent reads. The writer grows the buffer, then raises the word; each agent re-makes
 * its fixed-length views when it sees the buffer longer than they are (memSync) — views that
 * track a growable buffer's length cost about twice as much per access. An agent holding
 * several shared trees switches between their memories. Shared trees have number keys, so
 * that variant never uses the U64 view.
 */

import { MEMORY_MAX_PAGES, MEMORY_PAGE_BYTES } from '../core/layout.js';

/** The first memory of a backend, in pages: room for the scratch areas and a few thousand nodes. */
const INITIAL_PAGES = 256;

// Empty until memStart(): importing the package allocates nothing.
let buffer: ArrayBufferLike = new ArrayBuffer(0);
let F64: Float64Array<ArrayBufferLike> = new Float64Array(buffer);
let U64: BigUint64Array<ArrayBufferLike> = new BigUint64Array(buffer);
let I32: Int32Array<ArrayBufferLike> = new Int32Array(buffer);
let U8: Uint8Array<ArrayBufferLike> = new Uint8Array(buffer);

/** A shared memory's logical size in pages lives in word 0 (below BASE, which the core never uses). */
const SHARED_SIZE_WORD = 0;
let shared = false;
/** The shared memory the views are over (null: a private memory, whose views never go stale). */
let viewed: SharedViews | null = null;

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
/** A racy word read that needs no fence (see assembly/core/mem.ts): plain, it never tears. */
export function racyLd32(p: number): number { return I32[p >>> 2]; }

// The core's u64 words (the bigint variant swaps these five lines for U64 ones).
export function stHandleF64(p: number, handle: number): void { F64[p >>> 3] = handle >>> 0; }
export function ld64(p: number): number { return F64[p >>> 3]; }
export function st64(p: number, v: number): void { F64[p >>> 3] = v; }
export function stKeyF64(p: number, v: number): void { F64[p >>> 3] = v; }
export function ldKeyF64(p: number): number { return F64[p >>> 3]; }
export function ld32(p: number): number { return I32[p >>> 2]; }
export function st32(p: number, v: number): void { I32[p >>> 2] = v; }
// Addresses from 2 GiB up arrive as negative i32 values (as in WebAssembly): `>>> 0` makes
// them indexes; the wider views shift them unsigned anyway.
export function ld8(p: number): number { return U8[p >>> 0]; }
export function st8(p: number, v: number): void { U8[p >>> 0] = v; }
/** Result registers and pages always hold keys in this core's own u64 format: nothing to switch. */
export function memKeysWide(_wide: boolean): void {}
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
/** Catches up with a shared memory another agent grew: views over the whole buffer again. */
export function memSync(): void {
  if (viewed !== null && viewed.buffer.byteLength !== U8.length) memAttach(remakeViews(viewed));
}
/** Whether the `n` bytes at `p` lie inside the views, after catching up with growth. */
export function memReaches(p: number, n: number): boolean {
  const end = (p >>> 0) + n;
  if (end <= U8.length) return true;
  memSync();
  return end <= U8.length;
}
export function memPages(): number {
  return shared ? Atomics.load(I32, SHARED_SIZE_WORD) : buffer.byteLength / MEMORY_PAGE_BYTES;
}
/**
 * Grows memory by `pages` 64 KiB pages, as WebAssembly does; false past MEMORY_MAX_PAGES or
 * when the engine cannot allocate the larger buffer (growing copies: old and new coexist).
 */
export function memGrow(pages: number): boolean {
  if (shared) return growShared(pages);
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
  U64 = new BigUint64Array(buffer);
  I32 = new Int32Array(buffer);
  U8 = new Uint8Array(buffer);
  return true;
}

/** ES2024's growable SharedArrayBuffer (the project's lib is ES2022). */
interface Growable extends SharedArrayBuffer {
  readonly growable?: boolean;
  readonly maxByteLength: number;
  grow(bytes: number): void;
}
type GrowableConstructor = new (bytes: number, options: { maxByteLength: number }) => Growable;

/**
 * Raises a shared memory's logical size (writers grow under the tree lock; readers only ever
 * read the word), growing the buffer first where the new size passes its end.
 */
function growShared(pages: number): boolean {
  const next = memPages() + pages;
  const bytes = next * MEMORY_PAGE_BYTES;
  const sab = viewed!.buffer as Growable;
  if (bytes > sab.byteLength) {
    if (!sab.growable || bytes > sab.maxByteLength) return false;
    try {
      sab.grow(bytes);
    } catch {
      return false; // RangeError: the engine refused the memory
    }
    memSync();
  }
  Atomics.store(I32, SHARED_SIZE_WORD, next);
  return true;
}

/** The views of one shared memory, made per memory and agent (memAttach switches to them). */
export interface SharedViews {
  readonly buffer: SharedArrayBuffer;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
}

/**
 * A shared memory of `initialBytes` that may grow to `maxBytes`: a growable SharedArrayBuffer,
 * or one of `maxBytes` where the engine cannot grow them.
 */
export function sharedBuffer(initialBytes: number, maxBytes: number): SharedArrayBuffer {
  const sab = new (SharedArrayBuffer as unknown as GrowableConstructor)(initialBytes, { maxByteLength: maxBytes });
  return sab.growable === true ? sab : new SharedArrayBuffer(maxBytes);
}

/** Views over a shared memory; a new one (logical size 0) starts at `initialBytes`. */
export function sharedViews(sab: SharedArrayBuffer, initialBytes: number): SharedViews {
  const views = remakeViews({ buffer: sab, f64: new Float64Array(0), i32: new Int32Array(0), u8: new Uint8Array(0) });
  const pages = Math.floor(Math.min(initialBytes, sab.byteLength) / MEMORY_PAGE_BYTES);
  Atomics.compareExchange(views.i32, SHARED_SIZE_WORD, 0, pages);
  return views;
}

/** Fixed-length views over all of the buffer as long as it is now. */
function remakeViews(views: SharedViews): SharedViews {
  const sab = views.buffer;
  const bytes = sab.byteLength;
  views.f64 = new Float64Array(sab, 0, bytes >>> 3);
  views.i32 = new Int32Array(sab, 0, bytes >>> 2);
  views.u8 = new Uint8Array(sab, 0, bytes);
  return views;
}

/** A shared memory's logical size in bytes. */
export function sharedBytes(views: SharedViews): number {
  return Atomics.load(views.i32, SHARED_SIZE_WORD) * MEMORY_PAGE_BYTES;
}

/** Makes the core run over a shared memory from now on (until the next memAttach). */
export function memAttach(views: SharedViews): void {
  shared = true;
  viewed = views;
  buffer = views.buffer;
  F64 = views.f64;
  I32 = views.i32;
  U8 = views.u8;
}

/** Views for the backend wrapper (re-read after any call that may grow memory). */
export function memF64(): Float64Array { return F64; }
export function memU64(): BigUint64Array { return U64; }
