/**
 * MapleTree's constructor options, their checks, and the store-type names the tree reports.
 */

import type { BackendKind, CoreBackend } from '../backend/backend.js';
import { checkOptionalBoolean, checkOptionsObject, describeArg } from './args.js';
import { MapleError } from '../backend/errors.js';
import { isExternalLock, type ExternalLock } from './lock.js';

/** The largest node budget the core's u32 field holds. */
const MAX_NODE_BUDGET = 0xffffffff;

/**
 * Options of `new MapleTree`; K: the tree's key type, which `keys` must name (a
 * `MapleTree<V, bigint>` takes `{ keys: 'bigint' }`, a number tree no `keys` or 'number').
 */
export interface MapleTreeOptions<K extends number | bigint = number> {
  /** 'wasm' (default; needs `await init()` first) or 'ts'. */
  backend?: BackendKind;
  /**
   * 'number' (default): keys are numbers in [0, MAX_INDEX]. 'bigint': keys are bigints in
   * [0n, MAX_INDEX_64], the kernel's whole u64 space; type such a tree `MapleTree<V, bigint>`.
   * Not for shared trees.
   */
  keys?: K extends bigint ? 'bigint' : 'number';
  /** Gap tracking (MT_FLAGS_ALLOC_RANGE); required by allocRange/allocRRange/allocCyclic. */
  allocRange?: boolean;
  /** 'internal' (default) or a caller-owned lock asserted by every write. */
  lock?: 'internal' | ExternalLock;
  /** Cap on tree nodes alive at once, reservations included; beyond it writes throw ENOMEM. */
  maxNodes?: number;
  /**
   * Keeps the tree in memory that other agents (workers) attach to with `share()` and
   * `MapleTree.attach()`; entries are integers in [0, 2^31 - 1] or ZERO_ENTRY, and the lock is
   * real. See the README, "Sharing a tree between workers".
   */
  shared?: boolean;
  /** Shared trees: readers in any agent run without the lock (default true); false: they need it. */
  rcu?: boolean;
  /** Shared trees: the most bytes its memory may grow to (default 1 GiB); past it writes throw ENOMEM. */
  maxMemory?: number;
  /** Shared trees: agents that may be attached at once (default 64). */
  maxAgents?: number;
  /** Shared trees: how long an agent that cannot block (a browser main thread) waits for the lock before EBUSY (default 1000 ms). */
  lockTimeoutMs?: number;
  /** @internal Overrides backend selection (tests). */
  _core?: CoreBackend;
  /** @internal Adopts an existing tree of `_core` instead of creating one (dup). */
  _tree?: number;
}

/** Validates the options of `new MapleTree` (the backend name is checked on selection). */
export function checkTreeOptions(options: MapleTreeOptions<number | bigint>): void {
  const method = 'new MapleTree';
  checkOptionsObject(method, options);
  const { allocRange, lock, maxNodes, keys } = options;
  checkOptionalBoolean(method, 'allocRange', allocRange);
  if (keys !== undefined && keys !== 'number' && keys !== 'bigint') {
    throw new MapleError('EINVAL', `${method}: keys must be 'number' or 'bigint', got ${describeArg(keys)}`);
  }
  if (keys === 'bigint' && options.shared === true) {
    throw new MapleError('EINVAL', `${method}: shared trees take number keys only; { shared: true, keys: 'bigint' } is not supported`);
  }
  if (lock !== undefined && lock !== 'internal' && !isExternalLock(lock)) {
    throw new MapleError('EINVAL', `${method}: lock must be 'internal' or { isHeld(): boolean }`);
  }
  if (maxNodes !== undefined && (!Number.isSafeInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_NODE_BUDGET)) {
    throw new MapleError('EINVAL', `${method}: maxNodes must be a positive integer, got ${describeArg(maxNodes)}`);
  }
  checkSharedOptions(method, options);
}

/** The largest memory a shared tree may have (the cores' i32 addresses). */
const SHARED_MEMORY_MAX = 0x7fff0000;
const SHARED_AGENTS_MAX = 1 << 16;

function checkSharedOptions(method: string, options: MapleTreeOptions<number | bigint>): void {
  const { shared, rcu, maxMemory, maxAgents, lockTimeoutMs } = options;
  checkOptionalBoolean(method, 'shared', shared);
  checkOptionalBoolean(method, 'rcu', rcu);
  if (shared !== true) {
    if (rcu !== undefined || maxMemory !== undefined || maxAgents !== undefined || lockTimeoutMs !== undefined) {
      throw new MapleError('EINVAL', `${method}: rcu, maxMemory, maxAgents and lockTimeoutMs apply to shared trees only`);
    }
    return;
  }
  checkIntegerOption(method, 'maxMemory', maxMemory, 1 << 22, SHARED_MEMORY_MAX);
  checkIntegerOption(method, 'maxAgents', maxAgents, 1, SHARED_AGENTS_MAX);
  if (lockTimeoutMs !== undefined && (typeof lockTimeoutMs !== 'number' || !(lockTimeoutMs >= 0) || lockTimeoutMs === Infinity)) {
    throw new MapleError('EINVAL', `${method}: lockTimeoutMs must be a finite number >= 0, got ${describeArg(lockTimeoutMs)}`);
  }
}

function checkIntegerOption(method: string, name: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)) {
    throw new MapleError('EINVAL', `${method}: ${name} must be an integer in [${min}, ${max}], got ${describeArg(value)}`);
  }
}

/** The kernel's store-type names (enum store_type), as reported by lastStoreType. */
export type StoreType =
  | 'new-root'
  | 'store-root'
  | 'exact-fit'
  | 'spanning-store'
  | 'split-store'
  | 'rebalance'
  | 'append'
  | 'node-store'
  | 'slot-store'
  | 'nothing';

/** Indexed by the core's WR_* codes (WR_INVALID first). */
const STORE_TYPES: readonly (StoreType | undefined)[] = [
  undefined,
  'new-root',
  'store-root',
  'exact-fit',
  'spanning-store',
  'split-store',
  'rebalance',
  'append',
  'node-store',
  'slot-store',
  'nothing',
];

/** The name of a WR_* store type; undefined for WR_INVALID (no write yet). */
export function storeTypeName(code: number): StoreType | undefined {
  return STORE_TYPES[code];
}
