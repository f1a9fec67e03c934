/**
 * SharedCore: one agent's CoreBackend over a shared tree memory — the internal interface the
 * facade's shared trees run on (MapleTree's `shared` option, share(), attach(), detach(),
 * forgetAgent()).
 *
 * A shared memory is a whole core memory (pool globals, bitmap, nodes) that every agent maps:
 * a shared WebAssembly.Memory instantiated by the threads build of the core in each agent
 * (wasm), or a growable SharedArrayBuffer under the shared variant of the generated TS core
 * (ts; it grows up to `maxMemory`). Carved from its pool at creation, for good:
 *
 *   region   the SharedRegion layout (region.ts): lock word, agent table, epoch words
 *   agents   one AGENT_BYTES scratch block per agent slot (result registers, paths, big-node
 *            buffers, write state, page), so that agents never share scratch memory
 *
 * Protocol: writers hold the region's lock word (LockCell, via TreeLock). Readers of an RCU
 * tree never lock: each read call is one epoch read section (enterRead ... leaveRead) around a
 * lock-free core walk (assembly/core/rcuRead.ts); without RCU they need the lock held by this
 * agent (ENOLCK). Writers retire replaced nodes in the core; before a write, and when a write
 * finds the pool short (ENOMEM), the writer ends a grace period (graceBound) and the core
 * reclaims what no reader can reach. Writers never wait for readers.
 */

import { CoreAdapter, type RawCore } from '../backend/adapter.js';
import { ENOMEM, TREE_ALLOC_RANGE, TREE_RCU } from '../backend/layout.js';
import * as sharedAbi from '../core-shared/index.js';
import * as sharedMem from '../core-shared/mem.js';
import type { LockCell } from './locks.js';
import { MapleError } from '../backend/errors.js';
import { THREADS_WASM_BASE64 } from '../wasm/inlinedThreads.js';
import { decodeBase64 } from '../wasm/base64.js';
import { enterRead, graceBound, leaveRead } from './epoch.js';
import { acquireLock, agentCanBlock, lockOwner, releaseLock, tryAcquireLock, type LockWaitOptions } from './lockWord.js';
import { regionByteLength, SharedRegion } from './region.js';
import { IntegerEntries } from './treeEntries.js';

/** WebAssembly's page: shared memories are sized and capped in pages. */
const PAGE_BYTES = 65536;
/** The first size of a shared memory: the pool's fixed areas and some nodes (it grows from there). */
const INITIAL_BYTES = 2 << 20;
/** Retired nodes that make a writer end a grace period before it writes. */
const RECLAIM_BATCH = 256;
/** Default cap on a shared tree's memory. */
export const DEFAULT_MAX_MEMORY = 1 << 30;
/** The largest memory either core addresses (assembly/shared/layout.ts MEMORY_MAX_BYTES). */
export const SHARED_MEMORY_MAX = 0x7fff0000;

/** What a shared tree is created with (checked by the facade). */
export interface SharedTreeSetup {
  backend: 'wasm' | 'ts';
  rcu: boolean;
  allocRange: boolean;
  maxNodes: number;
  maxMemory: number;
  maxAgents: number;
  lockTimeoutMs: number;
}

/** A structured-cloneable value: `postMessage` it, then `MapleTree.attach(handle)` there. */
export interface SharedTreeHandle {
  readonly backend: 'wasm' | 'ts';
  /** The shared memory: a WebAssembly.Memory (wasm) or a SharedArrayBuffer (ts). */
  readonly memory: object;
  /** The threads build, compiled (wasm). */
  readonly module?: object;
  readonly region: number;
  readonly agents: number;
  readonly tree: number;
  readonly rcu: boolean;
  readonly lockTimeoutMs: number;
}

interface WasmMemoryLike {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemoryLike;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let threadsModule: object | null = null;

/** The threads build, compiled once per agent (synchronously: it is about 24 KB). */
function compileThreads(): object {
  if (threadsModule) return threadsModule;
  return (threadsModule = new wasmApi.Module(decodeBase64(THREADS_WASM_BASE64)));
}

/** The SharedCore whose memory the shared TS core runs over now (one module state per agent). */
let activeTs: SharedCore | null = null;
let tsHooksSet = false;

/** The shared TS core's exports, each switching the core to its SharedCore's memory first. */
function tsRaw(owner: () => SharedCore): RawCore {
  if (!tsHooksSet) {
    tsHooksSet = true;
    sharedMem.setEntryHooks(() => {}, () => {});
    sharedMem.setRcuHook((kind) => activeTs?.onRcuHook(kind));
  }
  const raw: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sharedAbi)) {
    if (typeof fn !== 'function' || name === 'coreStart') continue;
    const call = fn as (...args: unknown[]) => unknown;
    // Fixed arity (the widest export takes seven): a rest parameter costs an array per call.
    raw[name] = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown) => {
      const core = owner(); // null while the core is being built (its memory is attached then)
      if (core && activeTs !== core) core.activate();
      return call(a, b, c, d, e, f, g);
    };
  }
  return raw as unknown as RawCore;
}

/** The internal lock of a shared tree: the region's lock word, owned by agent ids. */
class WordCell implements LockCell {
  constructor(private readonly region: SharedRegion, private readonly wait: LockWaitOptions) {}
  held(): boolean {
    return this.region.attached && lockOwner(this.region.view, this.region.lockIndex) === this.region.agentId;
  }
  take(method: string): void {
    this.region.assertAttached(method);
    acquireLock(this.region.view, this.region.lockIndex, this.region.agentId, this.wait, method);
  }
  tryTake(method: string): boolean {
    this.region.assertAttached(method);
    return tryAcquireLock(this.region.view, this.region.lockIndex, this.region.agentId, method);
  }
  drop(method: string): void {
    this.region.assertAttached(method);
    releaseLock(this.region.view, this.region.lockIndex, this.region.agentId, method);
  }
}

/** One agent's way into a shared memory: the core's exports and views over the memory. */
interface OpenMemory {
  readonly kind: 'wasm' | 'ts';
  /** The exports the SharedCore calls (ts: each switches the shared TS core to this memory). */
  readonly raw: RawCore;
  /**
   * The exports without the switch: for setting the memory up before the SharedCore exists,
   * and for the hot readers, which switch once per call themselves (enter).
   */
  readonly direct: RawCore;
  /** The memory as a handle carries it, and the compiled threads build (wasm). */
  readonly memory: object;
  readonly module?: object;
  buffer(): SharedArrayBuffer;
  f64(): Float64Array;
  /** Bytes in use (ts: the logical size; the buffer may be longer). */
  bytes(): number;
  /** The shared TS core's views of this memory (activate switches to them). */
  readonly views?: sharedMem.SharedViews;
}

/** Where the import callbacks find the core, which exists only after instantiation. */
interface CoreHolder {
  core: SharedCore | null;
}

const NOT_LOCKED = 'a shared tree with rcu: false is read under the tree lock held by this agent';

export class SharedCore extends CoreAdapter {
  readonly lockCell: LockCell;
  /** RCU mode (every tree of a memory has its creator's): readers lock-free, else under the lock. */
  readonly rcu: boolean;
  private readonly agentBase: number;
  /** Writes this agent made (see generation). */
  private ownWrites = 0;
  /** This agent's slot in the region (its epoch word and scratch block). */
  private readonly slot: number;

  private constructor(
    private readonly open: OpenMemory,
    private readonly handleBase: Omit<SharedTreeHandle, 'tree'>,
    private readonly region: SharedRegion,
  ) {
    super(open.kind, open.raw, new IntegerEntries(), open.f64);
    const bytes = open.direct.agentBytes();
    this.slot = region.slot;
    this.agentBase = handleBase.agents + this.slot * bytes;
    new Uint8Array(open.buffer(), this.agentBase, bytes).fill(0); // a forgotten agent may have used the slot
    this.rcu = handleBase.rcu;
    this.lockCell = new WordCell(region, { blocking: agentCanBlock(), timeoutMs: handleBase.lockTimeoutMs });
    this.activate();
    this.rebase();
  }

  /** Creates a shared memory holding one new tree; returns its core and the tree. */
  static create(method: string, setup: SharedTreeSetup): { core: SharedCore; tree: number } {
    const holder: CoreHolder = { core: null };
    const open = setup.backend === 'wasm'
      ? newWasmMemory(setup.maxMemory, holder)
      : openTs(sharedMem.sharedBuffer(INITIAL_BYTES, setup.maxMemory), INITIAL_BYTES, holder);
    const raw = open.direct;
    raw.setMemoryCap(Math.floor(setup.maxMemory / PAGE_BYTES));
    const region = raw.carve(regionByteLength(setup.maxAgents));
    const agents = region === 0 ? 0 : raw.carve(setup.maxAgents * raw.agentBytes());
    if (agents === 0) throw new MapleError('ENOMEM', `${method}: maxMemory cannot hold ${setup.maxAgents} agents`);
    const shared = SharedRegion.createAt(open.buffer(), region, setup.maxAgents, method);
    raw.setEpochWords(shared.epochByteOffset);
    const base = { backend: setup.backend, memory: open.memory, module: open.module, region, agents, rcu: setup.rcu, lockTimeoutMs: setup.lockTimeoutMs };
    const core = (holder.core = new SharedCore(open, base, shared));
    const tree = core.treeCreate((setup.rcu ? TREE_RCU : 0) | (setup.allocRange ? TREE_ALLOC_RANGE : 0), setup.maxNodes);
    if (tree <= 0) throw new MapleError('ENOMEM', `${method}: out of memory`);
    return { core, tree };
  }

  /** Attaches this agent to the memory of a handle from share(). @throws MapleError EINVAL, EBUSY. */
  static attach(method: string, handle: SharedTreeHandle): { core: SharedCore; tree: number } {
    if (typeof handle !== 'object' || handle === null || (handle.backend !== 'wasm' && handle.backend !== 'ts')) {
      throw new MapleError('EINVAL', `${method}: not a shared tree handle (use share() on the original)`);
    }
    const holder: CoreHolder = { core: null };
    const open = handle.backend === 'wasm'
      ? openWasm(handle.memory as WasmMemoryLike, handle.module ?? compileThreads(), holder)
      : openTs(handle.memory as SharedArrayBuffer, 0, holder);
    const region = SharedRegion.attachAt(open.buffer(), handle.region, method);
    const { tree, ...base } = handle;
    const core = (holder.core = new SharedCore(open, base, region));
    return { core, tree };
  }

  /** This agent's id in the memory's registry (0 after detach). */
  get agentId(): number {
    return this.region.agentId;
  }

  /** Whether this agent has detached. */
  get detached(): boolean {
    return !this.region.attached;
  }

  /** The handle of `tree` in this memory. */
  handle(tree: number): SharedTreeHandle {
    this.region.assertAttached('MapleTree.share');
    return { ...this.handleBase, tree };
  }

  /** Makes the shared TS core run over this memory, with this agent's scratch block. */
  activate(): void {
    if (this.open.views) {
      activeTs = this;
      sharedMem.memAttach(this.open.views);
    }
    this.open.direct.useAgent(this.agentBase);
  }

  /** Unregisters an agent that ended without detaching (its read section and lock are released). */
  forgetAgent(agentId: number): boolean {
    return this.region.forget(agentId, 'MapleTree.forgetAgent');
  }

  /** Ends this agent's use of the memory: drops the lock if held, then its slot. Idempotent. */
  detach(): void {
    if (this.lockCell.held()) this.lockCell.drop('MapleTree.detach');
    this.region.detach();
  }

  /** Restarts this agent's RCU readers made after meeting dead nodes. */
  get rewalks(): number {
    return this.raw.rewalkCount();
  }

  /** Retired nodes waiting for a grace period. */
  get retired(): number {
    return this.raw.retiredCount();
  }

  /** Ends a grace period and returns to the pool what no reader can reach (under the lock). */
  reclaim(): number {
    const { current, oldest } = graceBound(this.region.epochs);
    return this.raw.reclaim(current, oldest);
  }

  override memoryBytes(): number {
    return this.open.bytes();
  }

  /**
   * What iteration compares to know its page is stale: this agent's own writes only. Pages
   * hold ranges each read from a live leaf, so another agent's writes do not make them wrong
   * (iteration is not a snapshot), while refetching after each of them would cost one core
   * call per range under a busy writer.
   */
  override generation(_tree: number): number {
    return this.ownWrites;
  }

  override treeClear(tree: number): void {
    this.ownWrites++;
    super.treeClear(tree);
  }

  override store(tree: number, first: number, last: number, handle: number, mode: number): number {
    this.ownWrites++;
    if (this.rcu && this.raw.retiredCount() >= RECLAIM_BATCH) this.reclaim();
    const status = super.store(tree, first, last, handle, mode);
    if (status !== ENOMEM || this.raw.retiredCount() === 0 || this.reclaim() === 0) return status;
    return super.store(tree, first, last, handle, mode); // ENOMEM changed nothing: retry once
  }

  /** Reservations change the pool's counters, which every writer shares: under the lock. */
  override reserve(tree: number, count: number): boolean {
    return this.underLock('MapleTree.reserve', () => super.reserve(tree, count));
  }

  override unreserve(tree: number, count: number): void {
    this.underLock('Reservation.release', () => super.unreserve(tree, count));
  }

  /** Runs fn holding the lock, taking it (and dropping it after) unless this agent holds it. */
  private underLock<T>(method: string, fn: () => T): T {
    const taken = !this.lockCell.held();
    if (taken) this.lockCell.take(method);
    try {
      return fn();
    } finally {
      if (taken) this.lockCell.drop(method);
    }
  }

  override load(tree: number, index: number): number {
    const slot = this.enter();
    try {
      return this.open.direct.load(tree, index) >>> 0;
    } finally {
      this.leave(slot);
    }
  }

  override walk(tree: number, index: number): number {
    const slot = this.enter();
    try {
      return this.open.direct.walk(tree, index) >>> 0;
    } finally {
      this.leave(slot);
    }
  }

  override find(tree: number, index: number, max: number): number {
    const slot = this.enter();
    try {
      return this.open.direct.find(tree, index, max) >>> 0;
    } finally {
      this.leave(slot);
    }
  }

  override next(tree: number, index: number, max: number): number {
    const slot = this.enter();
    try {
      return this.open.direct.next(tree, index, max) >>> 0;
    } finally {
      this.leave(slot);
    }
  }

  override prev(tree: number, index: number, min: number): number {
    const slot = this.enter();
    try {
      return this.open.direct.prev(tree, index, min) >>> 0;
    } finally {
      this.leave(slot);
    }
  }

  override page(tree: number, first: number, last: number): number {
    const slot = this.enter();
    try {
      return super.page(tree, first, last);
    } finally {
      this.leave(slot);
    }
  }

  override loadMany(tree: number, count: number): void {
    const slot = this.enter();
    try {
      super.loadMany(tree, count);
    } finally {
      this.leave(slot);
    }
  }

  /** Gap search, validate and node dumps walk the tree the non-RCU way: they need the lock. */
  override emptyArea(tree: number, min: number, max: number, size: number, rev: boolean, align?: number, nospan?: number): number {
    this.assertLocked('MapleTree: a gap search of a shared tree runs under the tree lock held by this agent');
    return super.emptyArea(tree, min, max, size, rev, align, nospan);
  }

  override validate(tree: number): string | null {
    this.assertLocked('MapleTree.validate: a shared tree is validated under the tree lock held by this agent');
    return super.validate(tree);
  }

  override nodes(tree: number): ReturnType<CoreAdapter['nodes']> {
    this.assertLocked('MapleTree.nodes: a shared tree is read node by node under the tree lock held by this agent');
    return super.nodes(tree);
  }

  /** Starts a read call: a read section (RCU), else the lock check. Returns the epoch slot, or -1. */
  private enter(): number {
    if (this.open.views && activeTs !== this) this.activate(); // the hot readers call the core directly
    if (!this.rcu) {
      this.assertLocked(`MapleTree: ${NOT_LOCKED}`);
      return -1;
    }
    this.region.assertAttached('MapleTree');
    enterRead(this.region.epochs, this.slot);
    return this.slot;
  }

  private leave(slot: number): void {
    if (slot >= 0) leaveRead(this.region.epochs, slot);
  }

  private assertLocked(message: string): void {
    if (!this.lockCell.held()) throw new MapleError('ENOLCK', message);
  }
}

function newWasmMemory(maxMemory: number, holder: CoreHolder): OpenMemory {
  const maximum = Math.floor(maxMemory / PAGE_BYTES);
  const memory = new wasmApi.Memory({ initial: Math.ceil(INITIAL_BYTES / PAGE_BYTES), maximum, shared: true });
  return openWasm(memory, compileThreads(), holder);
}

/** Instantiates the threads build over `memory` (its start sets the pool up in a new memory only). */
function openWasm(memory: WasmMemoryLike, module: object, holder: CoreHolder): OpenMemory {
  const imports = {
    env: {
      memory,
      entryRetain: () => {},
      entryReleaseBatch: () => holder.core!.onReleaseQueueFull(),
      rcuHook: (kind: number) => holder.core!.onRcuHook(kind),
    },
  };
  let raw: RawCore;
  try {
    raw = new wasmApi.Instance(module, imports).exports as RawCore;
  } catch (error) {
    throw new MapleError('EINVAL', `MapleTree.attach: not a shared tree handle (${(error as Error).message})`);
  }
  const growWord = raw.growGenAddr() >>> 2;
  let view = new Float64Array(memory.buffer);
  let words = new Int32Array(view.buffer, 0, growWord + 1);
  let seen = Atomics.load(words, growWord);
  return {
    kind: 'wasm',
    raw,
    direct: raw,
    memory,
    module,
    buffer: () => memory.buffer as SharedArrayBuffer,
    bytes: () => memory.buffer.byteLength,
    // Another agent may have grown the memory: a new view once the grow word moved.
    f64: () => {
      const gen = Atomics.load(words, growWord);
      if (gen !== seen) {
        seen = gen;
        view = new Float64Array(memory.buffer);
        words = new Int32Array(view.buffer, 0, growWord + 1);
      }
      return view;
    },
  };
}

/** Runs the shared TS core over `buffer` (a new memory starts at `initialBytes`). */
function openTs(buffer: SharedArrayBuffer, initialBytes: number, holder: CoreHolder): OpenMemory {
  if (!(buffer instanceof SharedArrayBuffer)) throw new MapleError('EINVAL', 'MapleTree.attach: not a shared tree handle');
  const views = sharedMem.sharedViews(buffer, initialBytes);
  activeTs = null;
  sharedMem.memAttach(views);
  sharedAbi.coreStart(); // sets the pool up in a new memory; nothing in an existing one
  return {
    kind: 'ts',
    raw: tsRaw(() => holder.core!),
    direct: sharedAbi as unknown as RawCore,
    memory: buffer,
    views,
    buffer: () => buffer,
    bytes: () => sharedMem.sharedBytes(views),
    f64: () => views.f64, // re-made by memSync when the buffer grew
  };
}
