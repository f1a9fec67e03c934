/**
 * TreeContext: what MapleTree and its MaState cursors share about one tree — the core, the
 * tree's id in it, the lock, its key space, and the store helper both APIs write through. MaState holds a
 * context instead of reaching into MapleTree, so the two modules do not import each other.
 */

import type { CoreBackend } from '../backend/backend.js';
import { MapleError } from '../backend/errors.js';
import { EEXIST, ENTRY_NULL, ENTRY_ZERO, RES_FIRST, RES_LAST, WR_INVALID, WR_NOTHING } from '../backend/layout.js';
import type { Key, KeySpace } from './keys.js';
import type { TreeLock } from './lock.js';
import type { NodeSource } from './reserve.js';

/** The id of a freed tree: no core returns it for a live tree (0 is "out of memory"). */
const FREED = 0;

export class TreeContext {
  /** Raw store type (WR_*) of the last successful write. */
  lastStoreType = WR_INVALID;
  /** The holder whose reserved nodes the tree's writes draw on now (null: none may). */
  private source: NodeSource | null = null;

  constructor(
    readonly core: CoreBackend,
    /** The tree in `core`; FREED after free(). */
    public id: number,
    readonly lock: TreeLock,
    /** Created with gap tracking (the flag never changes, so it is read once). */
    readonly gapTracking: boolean,
    /** Number or bigint keys: their checks and constants (a bigint tree's core is a WideCore). */
    readonly keys: KeySpace,
  ) {}

  get isFreed(): boolean {
    return this.id === FREED;
  }

  /** Every public call starts here: a freed tree answers EINVAL. */
  assertLive(method: string): void {
    if (this.id === FREED) throw new MapleError('EINVAL', `${method}: the tree was freed`);
  }

  /** Returns the tree to its core now; later calls fail in assertLive(). */
  release(): void {
    if (this.id === FREED) return;
    this.core.treeRelease(this.id);
    this.id = FREED;
  }

  /** Forgets the tree without releasing it (a shared tree this agent detached from). */
  abandon(): void {
    this.id = FREED;
  }

  /** The value behind a handle as the normal API reads it: NULL and ZERO_ENTRY are undefined. */
  userValue(handle: number): unknown {
    return handle > ENTRY_ZERO ? this.core.entries.get(handle) : undefined;
  }

  /** The value behind a handle as MaState reads it: only NULL is undefined. */
  storedValue(handle: number): unknown {
    return handle === ENTRY_NULL ? undefined : this.core.entries.get(handle);
  }

  /**
   * Whether a walk (or a store, for the range it wrote) found the tree empty: only an empty
   * tree has one NULL range over the whole key space. Saves a core call per cursor step.
   */
  walkedEmptyTree(handle: number): boolean {
    const res = this.core.res;
    return handle === ENTRY_NULL && res[RES_FIRST] === this.keys.zero && res[RES_LAST] === this.keys.max;
  }

  /** A handle for a value to store; null/undefined become NULL. */
  handleFor(entry: unknown): number {
    return entry === null || entry === undefined ? ENTRY_NULL : this.core.entries.alloc(entry);
  }

  /** Runs fn with the tree's writes drawing on `source` (restoring the previous one after). */
  drawingFrom<T>(source: NodeSource, fn: () => T): T {
    const outer = this.source;
    this.source = source;
    try {
      return fn();
    } finally {
      this.source = outer;
    }
  }

  /**
   * Runs one core store for a caller already holding the write lock. On failure the unused
   * handle is dropped and MapleError thrown; the tree is unchanged. Returns the store type.
   */
  store(method: string, first: Key, last: Key, handle: number, mode: number): number {
    const status = this.source === null
      ? this.core.store(this.id, first, last, handle, mode)
      : this.storeDrawing(this.source, method, first, last, handle, mode);
    // A write that stored the entry holds its handle (nothing to drop): the common case
    // without the call, which TurboFan leaves out of line in storeRange.
    if (status > 0 && status !== WR_NOTHING) {
      this.lastStoreType = status;
      return status;
    }
    return this.finishStore(method, first, last, handle, status);
  }

  /** One store that may take the nodes `source` offers for it; the source settles after success. */
  private storeDrawing(source: NodeSource, method: string, first: Key, last: Key, handle: number, mode: number): number {
    const core = this.core;
    let offered: number;
    try {
      offered = source.take(method);
    } catch (err) {
      core.entries.dropIfUnused(handle);
      throw err;
    }
    core.setDraw(offered);
    let status: number;
    let left: number;
    try {
      status = core.store(this.id, first, last, handle, mode);
    } finally {
      left = core.draw();
      core.setDraw(0);
    }
    if (status >= 0) source.settle(offered, offered - left);
    return status;
  }

  private finishStore(method: string, first: Key, last: Key, handle: number, status: number): number {
    const core = this.core;
    core.entries.dropIfUnused(handle);
    if (status < 0) {
      const why = status === EEXIST ? 'overlaps an entry' : 'node budget exhausted';
      throw MapleError.fromErrno(status, `${method}: [${first}, ${last}] ${why}`);
    }
    this.lastStoreType = status;
    return status;
  }
}
