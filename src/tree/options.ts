/**
 * MapleTree's constructor options, their checks, and the store-type names the tree reports.
 */

import type { BackendKind, CoreBackend } from '../backend/backend.js';
import { checkOptionalBoolean, checkOptionsObject, describeArg } from './args.js';
import { MapleError } from './errors.js';
import { isExternalLock, type ExternalLock } from './lock.js';

/** The largest node budget the core's u32 field holds. */
const MAX_NODE_BUDGET = 0xffffffff;

export interface MapleTreeOptions {
  /** 'wasm' (default; needs `await init()` first) or 'ts'. */
  backend?: BackendKind;
  /** Gap tracking (MT_FLAGS_ALLOC_RANGE); required by allocRange/allocRRange/allocCyclic. */
  allocRange?: boolean;
  /** 'internal' (default) or a caller-owned lock asserted by every write. */
  lock?: 'internal' | ExternalLock;
  /** Cap on tree nodes alive at once, reservations included; beyond it writes throw ENOMEM. */
  maxNodes?: number;
  /** @internal Overrides backend selection (tests). */
  _core?: CoreBackend;
  /** @internal Adopts an existing tree of `_core` instead of creating one (dup). */
  _tree?: number;
}

/** Validates the options of `new MapleTree` (the backend name is checked on selection). */
export function checkTreeOptions(options: MapleTreeOptions): void {
  const method = 'new MapleTree';
  checkOptionsObject(method, options);
  const { allocRange, lock, maxNodes } = options;
  checkOptionalBoolean(method, 'allocRange', allocRange);
  if (lock !== undefined && lock !== 'internal' && !isExternalLock(lock)) {
    throw new MapleError('EINVAL', `${method}: lock must be 'internal' or { isHeld(): boolean }`);
  }
  if (maxNodes !== undefined && (!Number.isSafeInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_NODE_BUDGET)) {
    throw new MapleError('EINVAL', `${method}: maxNodes must be a positive integer, got ${describeArg(maxNodes)}`);
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
