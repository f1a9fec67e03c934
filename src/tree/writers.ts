/**
 * What MapleTree does under the writer lock — the normal-API writes (store, erase) and the
 * lifetime steps that change the backend tree (build, dup, destroy, free) — and the tree's
 * creation and finalizer, which frees a tree whose MapleTree became unreachable. Taking the
 * writer lock is what makes each of these assert an external lock or throw EDEADLK.
 */

import { checkEntry } from './args.js';
import { buildFrom, type FromRows } from './bulk.js';
import { TreeContext } from './context.js';
import { selectCore, selectWideCore } from './cores.js';
import { keySpace, NUMBER_KEYS, type Key } from './keys.js';
import { MapleError } from '../backend/errors.js';
import { isExternalLock, TreeLock, type ExternalLock } from './lock.js';
import type { MapleTreeOptions } from './options.js';
import { ENTRY_NULL, MODE_INSERT, MODE_OVERWRITE, RES_FIRST, RES_LAST, TREE_ALLOC_RANGE } from '../backend/layout.js';
import type { CoreBackend } from '../backend/backend.js';
import { DEFAULT_MAX_MEMORY, SharedCore } from '../shared/treeCore.js';
import { detachTree } from './share.js';
import { DEFAULT_MAX_AGENTS } from '../shared/region.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../shared/SharedMutex.js';

// Frees the backend's tree once its MapleTree is unreachable. The held value is the tree's
// context (it does not reach the MapleTree), so free() needs no unregister token: it marks the
// context freed and the finalizer then does nothing. A token would make every registration
// and every collection of a tree cost more (small trees are made by the thousand).
const releaser: FinalizationRegistry<TreeContext> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<TreeContext>((ctx) => ctx.release())
    : null;

/** Symbol.dispose where the runtime has it (Node ≥ 20, recent browsers), else a stand-in. */
export const DISPOSE: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

/**
 * The context of a new backend tree for `owner` (options already checked), or of the
 * options' `_tree` (a dup), released by the finalizer when `owner` is unreachable.
 */
export function openTree(owner: object, method: string, options: MapleTreeOptions<number | bigint>): TreeContext {
  if (options.shared === true && options._core === undefined) return openShared(method, options);
  const keys = keySpace(options.keys);
  const core = keys === NUMBER_KEYS ? selectCore(method, options.backend, options._core) : selectWideCore(method, options.backend, options._core);
  const flags = options.allocRange ? TREE_ALLOC_RANGE : 0;
  const id = options._tree ?? core.treeCreate(flags, options.maxNodes ?? 0);
  if (id <= 0) throw new MapleError('ENOMEM', `${method}: out of memory`);
  if (core instanceof SharedCore) return sharedContext(core, id, options, flags !== 0);
  const ctx = new TreeContext(core, id, new TreeLock(externalLock(options)), flags !== 0, keys); // a dup has its source's options
  releaser?.register(owner, ctx);
  return ctx;
}

/**
 * The options that open a dup `id` of ctx's tree like its source: the same core, key kind,
 * gap tracking and lock (a shared source's core makes the dup's context shared as well).
 */
export function dupOptions(ctx: TreeContext, id: number): MapleTreeOptions<number | bigint> {
  const lock = ctx.lock.external ?? undefined;
  return { keys: ctx.keys.kind, allocRange: ctx.gapTracking, lock, _core: ctx.core, _tree: id };
}

/** The caller's lock from the options, if it is one (ExternalLock). */
function externalLock(options: MapleTreeOptions<number | bigint>): ExternalLock | null {
  return isExternalLock(options.lock) ? options.lock : null;
}

/** A shared tree's context: its internal lock is the memory's lock word. */
function sharedContext(core: SharedCore, id: number, options: MapleTreeOptions<number | bigint>, allocRange: boolean): TreeContext {
  return new TreeContext(core, id, new TreeLock(externalLock(options), core.lockCell), allocRange, NUMBER_KEYS);
}

/**
 * A new shared tree in a memory of its own. No finalizer: other agents may use the tree after
 * this agent drops its MapleTree (detach() or free() end its use).
 */
function openShared(method: string, options: MapleTreeOptions<number | bigint>): TreeContext {
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'ts') selectCore(method, backend, undefined); // throws EINVAL
  const { core, tree } = SharedCore.create(method, {
    backend,
    rcu: options.rcu ?? true,
    allocRange: options.allocRange === true,
    maxNodes: options.maxNodes ?? 0,
    maxMemory: options.maxMemory ?? DEFAULT_MAX_MEMORY,
    maxAgents: options.maxAgents ?? DEFAULT_MAX_AGENTS,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  });
  return sharedContext(core, tree, options, options.allocRange === true);
}

/** Normal-API write of the one index `index` in `mode` (store, insert), its arguments checked first. */
export function writeIndex(ctx: TreeContext, method: string, index: unknown, entry: unknown, mode: number): void {
  const i = ctx.keys.index(method, 'index', index);
  if (mode === MODE_INSERT) checkEntry(method, entry);
  writeEntry(ctx, method, i, i, entry, mode);
}

/** Normal-API write of [first, last] in `mode` (storeRange, insertRange), its arguments checked first. */
export function writeRange(ctx: TreeContext, method: string, first: unknown, last: unknown, entry: unknown, mode: number): void {
  // Two index checks, then range() only to throw: its pair is an array per store.
  const keys = ctx.keys;
  const f = keys.index(method, 'first', first);
  const l = keys.index(method, 'last', last);
  if (f > l) keys.range(method, f, l);
  if (mode === MODE_INSERT) checkEntry(method, entry);
  writeEntry(ctx, method, f, l, entry, mode);
}

/** Normal-API write of [first, last] (checked): converts the entry, stores it in `mode`. */
function writeEntry(ctx: TreeContext, method: string, first: Key, last: Key, entry: unknown, mode: number): void {
  const taken = ctx.lock.enterWriter(method);
  try {
    ctx.store(method, first, last, ctx.handleFor(entry), mode);
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** `mtree_erase` of the range containing `index` (checked): its entry, or undefined if empty. */
export function eraseEntry(ctx: TreeContext, method: string, index: Key): unknown {
  const taken = ctx.lock.enterWriter(method);
  try {
    const core = ctx.core;
    const handle = core.walk(ctx.id, index);
    if (handle === ENTRY_NULL) return undefined;
    const value = core.entries.get(handle);
    ctx.store(method, core.res[RES_FIRST], core.res[RES_LAST], ENTRY_NULL, MODE_OVERWRITE);
    return value;
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** Builds checked, sorted `rows` into the new empty tree; frees it if the build fails. */
export function fillTree(owner: object, ctx: TreeContext, method: string, rows: FromRows): void {
  const taken = ctx.lock.enterWriter(method);
  try {
    buildFrom(ctx, method, rows);
  } catch (err) {
    ctx.lock.exitWriter(taken);
    freeTree(owner, ctx);
    throw err;
  }
  ctx.lock.exitWriter(taken);
}

/** `mtree_dup` in the core: the copy's id, under the source's writer lock. */
export function dupTree(ctx: TreeContext, method: string): number {
  const taken = ctx.lock.enterWriter(method);
  try {
    const id = ctx.core.dup(ctx.id);
    if (id <= 0) throw MapleError.fromErrno(id, `${method}: out of nodes`);
    return id;
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** `mtree_destroy`: every entry and node gone, flags kept. */
export function clearTree(ctx: TreeContext, method: string): void {
  const taken = ctx.lock.enterWriter(method);
  try {
    ctx.core.treeClear(ctx.id);
  } finally {
    ctx.lock.exitWriter(taken);
  }
}

/** Returns the tree to its core now, once; the finalizer then finds its context freed. */
export function freeTree(owner: object, ctx: TreeContext): void {
  if (ctx.isFreed) return;
  // Other agents may still use a shared tree: this agent only ends its own use.
  if (ctx.core instanceof SharedCore) return detachTree(ctx);
  const taken = ctx.lock.enterWriter('MapleTree.free');
  try {
    ctx.release();
  } finally {
    ctx.lock.exitWriter(taken);
  }
}
