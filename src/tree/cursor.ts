/**
 * MaCursor: the position and status machine of the kernel's ma_state — where the cursor is,
 * how mas_walk / mas_next_slot / mas_prev_slot move it, and the mas_*_setup rules that decide
 * what a find/next/prev call does from each status. MaState adds the public calls on top.
 *
 * The backend is stateless, so where the kernel keeps a node and an offset this cursor keeps
 * the bounds of the range it is on (`slotFirst`/`slotLast`) and re-walks from them.
 */

import type { CoreBackend } from '../backend/backend.js';
import type { TreeContext } from './context.js';
import type { Key } from './keys.js';
import { ENTRY_NULL, RES_FIRST, RES_LAST } from '../backend/layout.js';
import type { ZeroEntry } from './zeroEntry.js';

export type MaStatus = 'start' | 'active' | 'root' | 'none' | 'pause' | 'overflow' | 'underflow' | 'error';

/** Returned by the *Setup helpers when the walk must go on to the next/previous slot. */
export const PROCEED = Symbol('proceed');
export type Setup<V> = V | ZeroEntry | undefined | typeof PROCEED;

/** The base of MaState: its position and the status machine; not constructed directly. */
export class MaCursor<V> {
  protected _index: Key;
  protected _last: Key;
  protected _status: MaStatus = 'start';
  /** The range the kernel's node/offset would denote. */
  protected slotFirst: Key;
  protected slotLast: Key;

  constructor(
    protected readonly ctx: TreeContext,
    index: Key,
    last: Key,
  ) {
    this._index = index;
    this._last = last;
    this.slotFirst = index;
    this.slotLast = last;
  }

  protected get core(): CoreBackend {
    return this.ctx.core;
  }

  protected value(handle: number): V | ZeroEntry | undefined {
    return this.ctx.storedValue(handle) as V | ZeroEntry | undefined;
  }

  /** A limit argument of a reader, on a tree that was not freed. */
  protected limit(method: string, name: string, value: unknown): Key {
    this.ctx.assertLive(method);
    return this.ctx.keys.index(method, name, value);
  }

  /** The status as it is now (helpers below change it behind the type checker's back). */
  protected currentStatus(): MaStatus {
    return this._status;
  }

  /** Sets index/last and the slot to the range the backend reported in res. */
  protected takeRange(): void {
    const res = this.core.res;
    this._index = this.slotFirst = res[RES_FIRST];
    this._last = this.slotLast = res[RES_LAST];
  }

  /** mas_walk to `index`: 'active' on the range there, or 'none' with [0, MAX] if empty. */
  protected walkTo(index: Key): number {
    const handle = this.core.walk(this.ctx.id, index);
    this.takeRange();
    this._status = this.ctx.walkedEmptyTree(handle) ? 'none' : 'active';
    return handle;
  }

  /** mas_next_slot: steps forward from the slot; `empty` returns NULL ranges too. */
  protected nextSlot(max: Key, empty: boolean): V | ZeroEntry | undefined {
    if (this.slotLast >= max) {
      this._status = 'overflow';
      return undefined;
    }
    for (;;) {
      const handle = this.core.walk(this.ctx.id, this.slotLast + this.ctx.keys.one); // slotLast < max
      this.takeRange();
      this._status = 'active';
      if (handle !== ENTRY_NULL) return this.value(handle);
      if (empty) return undefined;
      if (this.slotLast >= max) {
        this._status = 'overflow';
        return undefined;
      }
    }
  }

  /** mas_prev_slot: steps backward from the slot; `empty` returns NULL ranges too. */
  protected prevSlot(min: Key, empty: boolean): V | ZeroEntry | undefined {
    if (this.slotFirst <= min) {
      this._status = 'underflow';
      return undefined;
    }
    for (;;) {
      const handle = this.core.walk(this.ctx.id, this.slotFirst - this.ctx.keys.one); // slotFirst > min
      this.takeRange();
      this._status = 'active';
      if (handle !== ENTRY_NULL) return this.value(handle);
      if (empty) return undefined;
      if (this.slotFirst <= min) {
        this._status = 'underflow';
        return undefined;
      }
    }
  }

  /** mas_next_setup. */
  protected nextSetup(max: Key): Setup<V> {
    return this.stepSetup(this._last >= max, 'overflow', 'underflow');
  }

  /** mas_prev_setup. */
  protected prevSetup(min: Key): Setup<V> {
    return this.stepSetup(this._index <= min, 'underflow', 'overflow');
  }

  /**
   * The kernel's next and prev setups, which mirror each other: `limit` is the status this
   * direction ends in (overflow going up), `opposite` the other direction's.
   */
  private stepSetup(atLimit: boolean, limit: MaStatus, opposite: MaStatus): Setup<V> {
    if (atLimit) {
      this._status = limit;
      return undefined;
    }
    const status = this._status;
    if (status === 'active') return PROCEED;
    if (status === limit) {
      // Stopped at the limit before, but the limit moved: continue from where it stopped.
      this._status = 'active';
      return PROCEED;
    }
    if (status === 'error') return undefined;
    const handle = this.walkTo(this._index);
    // Past the other end, the caller expects the state one step back: the range here.
    if (status === opposite && handle !== ENTRY_NULL) return this.value(handle);
    return this.currentStatus() === 'active' ? PROCEED : undefined;
  }

  /** mas_find_setup. */
  protected findSetup(max: Key): Setup<V> {
    switch (this._status) {
      case 'active':
        return this._last < max ? PROCEED : undefined;
      case 'pause':
        if (this._last >= max) return undefined;
        this._index = this._last = this._last + this.ctx.keys.one; // _last < max
        this._status = 'start';
        break;
      case 'none':
        if (this._last >= max) return undefined;
        this._index = this._last;
        this._status = 'start';
        break;
      case 'underflow':
      case 'overflow': {
        const stuck = this._status === 'underflow' ? this._index >= max : this._last >= max;
        if (stuck) {
          if (this._status === 'underflow') this._status = 'overflow';
          return undefined;
        }
        const handle = this.walkTo(this._index);
        if (handle !== ENTRY_NULL) return this.value(handle);
        break;
      }
      case 'error':
        return undefined;
      default:
        this._status = 'start';
    }
    if (this._status === 'start') {
      if (this._index > max) return undefined;
      const handle = this.walkTo(this._index);
      if (handle !== ENTRY_NULL) return this.value(handle);
    }
    if (this.currentStatus() === 'none') return undefined;
    if (this._index === max) return undefined;
    return PROCEED;
  }

  /** mas_find_rev_setup. */
  protected findRevSetup(min: Key): Setup<V> {
    switch (this._status) {
      case 'active':
        return this._index < min ? undefined : PROCEED;
      case 'pause':
        if (this._index <= min) {
          this._status = 'underflow';
          return undefined;
        }
        this._last = this._index = this._index - this.ctx.keys.one; // _index > min
        this._status = 'start';
        break;
      case 'none':
        if (this._index <= min) return undefined;
        this._last = this._index;
        this._status = 'start';
        break;
      case 'overflow':
      case 'underflow':
        if (this._index <= min) {
          this._status = 'underflow';
          return undefined;
        }
        this._status = 'active';
        break;
      case 'error':
        return undefined;
      default:
        this._status = 'start';
    }
    if (this._status === 'start') {
      if (this._index < min) return undefined;
      const handle = this.walkTo(this._index);
      if (handle !== ENTRY_NULL) return this.value(handle);
    }
    if (this.currentStatus() === 'none') {
      // An empty tree: the kernel reports the position below as [0, 0].
      this._index = this._last = this.ctx.keys.zero;
      return undefined;
    }
    return this._index < min ? undefined : PROCEED;
  }
}
