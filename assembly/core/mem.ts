/**
 * Memory primitives for the AssemblyScript build of the core. Every other core file reaches
 * linear memory only through these functions, so the same sources also compile with tsc
 * against src/ts/mem.ts (typed arrays over an ArrayBuffer) — that is the pure-TS backend.
 * Pointers and small integers are i32; keys and gaps are u64 (kept below 2^53 by the facade).
 */

import { RELEASES, RELEASE_CAP, G_RELEASED, G_GROW_GEN } from "./scratch";

// @ts-ignore: decorator
@external("env", "entryRetain")
declare function entryRetain(handle: i32): void;
// @ts-ignore: decorator
@external("env", "entryReleaseBatch")
declare function entryReleaseBatch(count: i32): void;
// @ts-ignore: decorator
@external("env", "rcuHook")
declare function rcuHook(kind: i32): void;

/** Calls the host's RCU test hook (rcu.ts: a writer step or a reader step reached its countdown). */
export function hostRcuHook(kind: i32): void { rcuHook(kind); }

/** Counts one more range holding handle (handles 0 and 1 are never counted). */
// @ts-ignore: decorator
@inline export function hostRetain(handle: i32): void {
  if (handle > 1) entryRetain(handle);
}

/**
 * Counts one range fewer holding handle. Releases are queued in linear memory and handed to
 * the host in batches (here when the queue fills, else by the host after the call): a call
 * out of WebAssembly per overwritten range cost about a tenth of a random overwrite.
 */
export function hostRelease(handle: i32): void {
  if (handle <= 1) return;
  const count = load<i32>(<usize>G_RELEASED) + 1;
  store<i32>(<usize>(RELEASES + ((count - 1) << 2)), handle);
  store<i32>(<usize>G_RELEASED, count);
  if (count == RELEASE_CAP) entryReleaseBatch(count); // the host drains and resets the count
}

// @ts-ignore: decorator
@inline export function ld64(p: i32): u64 { return load<u64>(<usize>p); }
// @ts-ignore: decorator
@inline export function st64(p: i32, v: u64): void { store<u64>(<usize>p, v); }
// @ts-ignore: decorator
@inline export function ld32(p: i32): i32 { return load<i32>(<usize>p); }
// @ts-ignore: decorator
@inline export function st32(p: i32, v: i32): void { store<i32>(<usize>p, v); }
// @ts-ignore: decorator
@inline export function ld8(p: i32): i32 { return <i32>load<u8>(<usize>p); }
// @ts-ignore: decorator
@inline export function st8(p: i32, v: i32): void { store<u8>(<usize>p, <u8>v); }
/**
 * Words other agents race on (RCU slots and root, dead marks, epoch words): atomic in the
 * threads build, plain loads and stores in the single-threaded one (same code, no agents).
 */
// @ts-ignore: decorator
@inline export function atomicLd32(p: i32): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(<usize>p);
  return load<i32>(<usize>p);
}
/**
 * A racy word (a node's slot or parent word, the pool's bump) read where program order alone
 * orders it: its address depends on an earlier racy read, or nothing hangs on it being fresh
 * (rcuRead.ts says why for each use). Atomic in the threads build (as atomicLd32: costs
 * nothing there); the TS build reads it plainly (aligned Int32Array reads of a
 * SharedArrayBuffer never tear), where Atomics.load is a builtin call of ~10 ns.
 */
// @ts-ignore: decorator
@inline export function racyLd32(p: i32): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(<usize>p);
  return load<i32>(<usize>p);
}
// @ts-ignore: decorator
@inline export function atomicSt32(p: i32, v: i32): void {
  if (ASC_FEATURE_THREADS) atomic.store<i32>(<usize>p, v);
  else store<i32>(<usize>p, v);
}
/**
 * Whether the running call is a *64 entry point (a TREE_KEYS64 tree): its keys in result
 * registers and pages are u64 words, not f64. Set and cleared by assembly/index.ts.
 */
let keysWide: bool = false;
export function memKeysWide(wide: bool): void { keysWide = wide; }
/**
 * Writes an entry handle in a page row's format (f64, or a u64 word in a *64 call), read as
 * unsigned: a shared tree's integer entries use all 32 bits.
 */
// @ts-ignore: decorator
@inline export function stHandleF64(p: i32, handle: i32): void {
  if (keysWide) store<u64>(<usize>p, <u64><u32>handle);
  else store<f64>(<usize>p, <f64><u32>handle);
}
/** Writes a key in the format JS reads from result registers and pages: f64, or u64 in a *64 call. */
// @ts-ignore: decorator
@inline export function stKeyF64(p: i32, v: u64): void {
  if (keysWide) store<u64>(<usize>p, v);
  else store<f64>(<usize>p, <f64>v);
}
/** Reads a key JS wrote: f64 (exact below 2^53), or u64 in a *64 call. */
// @ts-ignore: decorator
@inline export function ldKeyF64(p: i32): u64 { return keysWide ? load<u64>(<usize>p) : <u64>load<f64>(<usize>p); }
// @ts-ignore: decorator
@inline export function memZero(p: i32, n: i32): void { memory.fill(<usize>p, 0, <usize>n); }
// @ts-ignore: decorator
@inline export function memFill(p: i32, byte: i32, n: i32): void { memory.fill(<usize>p, <u8>byte, <usize>n); }
// @ts-ignore: decorator
@inline export function memMove(dst: i32, src: i32, n: i32): void { memory.copy(<usize>dst, <usize>src, <usize>n); }
// @ts-ignore: decorator
@inline export function ctz32(x: i32): i32 { return ctz<i32>(x); }
// @ts-ignore: decorator
@inline export function idiv(a: i32, b: i32): i32 { return a / b; }

/** Stops on a broken build (never on user input). */
export function memAbort(): void { unreachable(); }
/** True when the AssemblyScript static data ends below `base` (checked once at start). */
export function memFitsBelow(base: i32): bool { return <i32>__heap_base <= base; }
/** The grow generation (G_GROW_GEN) this instance last caught up with. */
let memSeen: i32 = -1;
/**
 * Threads build: makes this instance see memory that another agent grew before it touches the
 * new pages (a grow by 0 refreshes an instance's bounds), once per grow generation. A no-op in
 * the single-threaded build, whose memory only this instance grows.
 */
export function memSync(): void {
  if (ASC_FEATURE_THREADS) {
    const gen = atomic.load<i32>(<usize>G_GROW_GEN);
    if (gen != memSeen) {
      memory.grow(0);
      memSeen = gen;
    }
  }
}
/** Whether the `n` bytes at `p` lie inside the memory this instance sees, after catching up with growth. */
export function memReaches(p: i32, n: i32): bool {
  const end = <u64><u32>p + <u64>n;
  if (end <= (<u64>memory.size() << 16)) return true;
  memSync();
  return end <= (<u64>memory.size() << 16);
}
/** Current memory size in 64 KiB pages (65,536 of them at 4 GiB: bytes would not fit an i32). */
export function memPages(): i32 { return memory.size(); }
/** Grows memory by `pages` 64 KiB pages; false if the host refuses. */
export function memGrow(pages: i32): bool { return memory.grow(pages) >= 0; }
/** An address as an unsigned number: pointers are i32 and read negative from 2 GiB up. */
// @ts-ignore: decorator
@inline export function memAddr(p: i32): u64 { return <u64><u32>p; }
