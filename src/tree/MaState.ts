/**
 * MaState: the kernel's advanced-API cursor (struct ma_state and the mas_* functions).
 *
 * The backend is stateless, so where the kernel keeps a node and an offset this cursor keeps
 * the bounds of the range it is on (`slotFirst`/`slotLast`) and re-walks from them. `index`
 * and `last` are the caller-visible range, as in the kernel: after a gap search they are a
 * sub-range of the slot, and a caller may assign them without resetting the state
 * (`__mas_set_range`). There is no single-root-entry optimisation: a lone [0, 0] entry lives in
 * a one-slot leaf, so the cursor reports 'active' where the kernel says 'root'.
 */

import type { CoreBackend } from '../backend/backend.js';
import { MapleError } from './errors.js';
import { ENTRY_NULL, ENTRY_ZERO, MODE_OVERWRITE, RES_FIRST, RES_GAP_FIRST, RES_GAP_LAST, RES_LAST } from '../backend/layout.js';
import { checkIndex, checkWindow, describeArg, MAX_INDEX, type MapleTree } from './MapleTree.js';

export type MaStatus = 'start' | 'active' | 'root' | 'none' | 'pause' | 'overflow' | 'underflow' | 'error';

const STATUSES: readonly MaStatus[] = ['start', 'active', 'root', 'none', 'pause', 'overflow', 'underflow', 'error'];

/** Returned by the *Setup helpers when the walk must go on to the next/previous slot. */
const PROCEED = Symbol('proceed');
type Setup<V> = V | undefined | typeof PROCEED;

export class MaState<V = unknown> {
  private _index: number;
  private _last: number;
  private _status: MaStatus = 'start';
  /** The range the kernel's node/offset would denote. */
  private slotFirst: number;
  private slotLast: number;
  /** The error the state holds in 'error' status. */
  private errorCode: MapleError['code'] = 'EBUSY';
  /** NULL-ness of the entry given to preallocate(), until the reservation is used or dropped. */
  private preallocNull: boolean | null = null;

  /**
   * Keeps the hidden-class transitions of MaState alive. V8 drops map transitions no live
   * object uses at a full GC; the next MaState then gets a fresh map and every call site that
   * saw the old one turns polymorphic (W6, a fresh state per gap search: ~86 ns per search
   * before a full GC, 170–220 ns after it, without this anchor).
   */
  static readonly #shapeAnchor: MaState = new MaState(null as unknown as MapleTree<unknown>, 0, 0);

  /** Use `tree.state(index, last)`. */
  constructor(
    readonly tree: MapleTree<V>,
    index: number,
    last: number,
  ) {
    this._index = index;
    this._last = last;
    this.slotFirst = index;
    this.slotLast = last;
  }

  /** Start of the current range. Writable without resetting the state (`__mas_set_range`). */
  get index(): number {
    return this._index;
  }

  set index(value: number) {
    this._index = checkIndex('MaState.index', 'index', value);
  }

  /** End of the current range. Writable without resetting the state. */
  get last(): number {
    return this._last;
  }

  set last(value: number) {
    this._last = checkIndex('MaState.last', 'last', value);
  }

  /** The kernel's `enum maple_status`. Writable, as some kernel tests assign it. */
  get status(): MaStatus {
    return this._status;
  }

  set status(value: MaStatus) {
    if (!STATUSES.includes(value)) {
      throw new MapleError('EINVAL', `MaState.status: unknown status ${describeArg(value)}`);
    }
    this._status = value;
  }

  // ---------------------------------------------------------------- readers (no lock needed)

  /**
   * `mas_walk`: always walks from the root; returns the entry covering `index`, NULL ranges
   * included, and sets index/last to that range ('none' and [0, MAX_INDEX] on an empty tree).
   * Locking: none (reader).
   */
  walk(): V | undefined {
    return this.value(this.walkTo(this._index));
  }

  /**
   * `mas_find`: the first call returns the entry at or after `index` (its start <= max); later
   * calls the next entry. Hides overflow: the status stays 'active' at the end.
   * Locking: none (reader).
   */
  find(max: number = MAX_INDEX): V | undefined {
    const m = checkIndex('MaState.find', 'max', max);
    const setup = this.findSetup(m);
    if (setup !== PROCEED) return setup;
    const entry = this.nextSlot(m, false);
    this._status = 'active';
    return entry;
  }

  /** `mas_find_range`: mas_find that also stops on NULL ranges and reports overflow. Locking: none. */
  findRange(max: number = MAX_INDEX): V | undefined {
    const m = checkIndex('MaState.findRange', 'max', max);
    const setup = this.findSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, true);
  }

  /**
   * `mas_find_rev`: the first call returns the entry at or below `index` (its end >= min);
   * later calls the previous entry. Locking: none (reader).
   */
  findRev(min = 0): V | undefined {
    const m = checkIndex('MaState.findRev', 'min', min);
    const setup = this.findRevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, false);
  }

  /** `mas_find_range_rev`: mas_find_rev that also stops on NULL ranges. Locking: none. */
  findRangeRev(min = 0): V | undefined {
    const m = checkIndex('MaState.findRangeRev', 'min', min);
    const setup = this.findRevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, true);
  }

  /**
   * `mas_next`: the next non-NULL entry after the current range whose start is <= max;
   * 'overflow' when there is none. Locking: none (reader).
   */
  next(max: number = MAX_INDEX): V | undefined {
    const m = checkIndex('MaState.next', 'max', max);
    const setup = this.nextSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, false);
  }

  /** `mas_next_range`: the immediately following range, even if NULL. Locking: none. */
  nextRange(max: number = MAX_INDEX): V | undefined {
    const m = checkIndex('MaState.nextRange', 'max', max);
    const setup = this.nextSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, true);
  }

  /**
   * `mas_prev`: the previous non-NULL entry before the current range whose end is >= min;
   * 'underflow' when there is none. Locking: none (reader).
   */
  prev(min = 0): V | undefined {
    const m = checkIndex('MaState.prev', 'min', min);
    const setup = this.prevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, false);
  }

  /** `mas_prev_range`: the immediately preceding range, even if NULL. Locking: none. */
  prevRange(min = 0): V | undefined {
    const m = checkIndex('MaState.prevRange', 'min', min);
    const setup = this.prevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, true);
  }

  /**
   * `mas_empty_area`: the lowest [s, s + size - 1] inside [min, max] that is empty; sets
   * index/last to it. On a state that is not 'start' the search resumes from the current
   * position, two ranges back (the kernel's `offset -= 2`), or from the next range when fewer
   * than two precede it; the kernel's skip to the next node is modelled as a skip to the next
   * range. EINVAL for a bad window, EBUSY (status 'error') when nothing fits.
   * Locking: none (reader).
   */
  emptyArea(min: number, max: number, size: number): void {
    this.gapSearch('MaState.emptyArea', min, max, size, false);
  }

  /**
   * `mas_empty_area_rev`: the highest fit; `last` is clipped to max. Resumes like emptyArea,
   * scanning down from two ranges before the current one. Locking: none (reader).
   */
  emptyAreaRev(min: number, max: number, size: number): void {
    this.gapSearch('MaState.emptyAreaRev', min, max, size, true);
  }

  // ---------------------------------------------------------------- cursor control

  /** `mas_pause`: the next forward op resumes at last + 1, a reverse op at index - 1. */
  pause(): void {
    this._status = 'pause';
  }

  /** `mas_reset`: back to 'start'; index/last are kept. */
  reset(): void {
    this._status = 'start';
  }

  /** `mas_set`: index = last = `index`, then reset. */
  set(index: number): void {
    const i = checkIndex('MaState.set', 'index', index);
    this._index = i;
    this._last = i;
    this._status = 'start';
  }

  /** `mas_set_range`: index/last = [first, last], then reset. */
  setRange(first: number, last: number): void {
    const f = checkIndex('MaState.setRange', 'first', first);
    const l = checkIndex('MaState.setRange', 'last', last);
    if (f > l) throw new MapleError('EINVAL', `MaState.setRange: first (${f}) > last (${l})`);
    this._index = f;
    this._last = l;
    this._status = 'start';
  }

  // ---------------------------------------------------------------- writers (write lock held)

  /**
   * `mas_store`: stores `entry` over [index, last] and returns the previous content at
   * `index`. Afterwards index/last are the written range (widened by NULL coalescing) and the
   * status is 'active' ('start' when the tree is left empty).
   * Locking: the write lock must be held (ENOLCK).
   */
  store(entry: V | null | undefined): V | undefined {
    return this.storeEntry('MaState.store', entry);
  }

  /**
   * `mas_erase`: erases the whole range containing `index` and returns its entry; index/last
   * become the (coalesced) NULL range. Locking: the write lock must be held (ENOLCK).
   */
  erase(): V | undefined {
    const method = 'MaState.erase';
    this.tree._lock.assertHeldForState(method);
    if (this.core.isEmpty(this.tree._id)) {
      this._status = 'none';
      return undefined;
    }
    const handle = this.walkTo(this._index);
    if (handle === ENTRY_NULL) return undefined;
    const entry = this.value(handle);
    this.commit(method, this._index, this._last, ENTRY_NULL);
    return entry;
  }

  /**
   * `mas_preallocate`: reserves the nodes a store of an entry of this NULL-ness over
   * [index, last] may need, so that storePrealloc() cannot fail. ENOMEM here instead.
   * Locking: the write lock must be held (ENOLCK).
   */
  preallocate(entry: V | null | undefined): void {
    const method = 'MaState.preallocate';
    this.tree._lock.assertHeldForState(method);
    this.checkOrder(method);
    const isNull = entry === null || entry === undefined;
    const status = this.core.preallocate(this.tree._id, this._index, this._last, isNull ? ENTRY_NULL : ENTRY_ZERO);
    if (status < 0) {
      this._status = 'start';
      throw MapleError.fromErrno(status, `${method}: [${this._index}, ${this._last}] node budget exhausted`);
    }
    this.preallocNull = isNull;
  }

  /**
   * `mas_store_prealloc`: the store prepared by preallocate() (same range, same NULL-ness),
   * then drops what is left of the reservation. Locking: the write lock must be held (ENOLCK).
   */
  storePrealloc(entry: V | null | undefined): void {
    const method = 'MaState.storePrealloc';
    this.tree._lock.assertHeldForState(method);
    const isNull = entry === null || entry === undefined;
    if (this.preallocNull !== null && this.preallocNull !== isNull) {
      throw new MapleError('EINVAL', `${method}: the entry's NULL-ness differs from the one preallocated for`);
    }
    try {
      this.storeEntry(method, entry);
    } finally {
      this.destroy();
    }
  }

  /** `mas_destroy`: drops an unused reservation. Locking: none. */
  destroy(): void {
    this.core.unreserve(this.tree._id);
    this.preallocNull = null;
  }

  // ---------------------------------------------------------------- internals

  private get core(): CoreBackend {
    return this.tree._core;
  }

  private value(handle: number): V | undefined {
    return handle === ENTRY_NULL ? undefined : (this.core.entries.get(handle) as V);
  }

  /** The status as it is now (helpers below change it behind the type checker's back). */
  private currentStatus(): MaStatus {
    return this._status;
  }

  private checkOrder(method: string): void {
    if (this._index > this._last) {
      throw new MapleError('EINVAL', `${method}: index (${this._index}) > last (${this._last})`);
    }
  }

  /** Sets index/last and the slot to the range the backend reported in res. */
  private takeRange(): void {
    const res = this.core.res;
    this._index = this.slotFirst = res[RES_FIRST];
    this._last = this.slotLast = res[RES_LAST];
  }

  /** mas_walk to `index`: 'active' on the range there, or 'none' with [0, MAX] if empty. */
  private walkTo(index: number): number {
    const handle = this.core.walk(this.tree._id, index);
    this.takeRange();
    this._status = this.core.isEmpty(this.tree._id) ? 'none' : 'active';
    return handle;
  }

  /** mas_next_slot: steps forward from the slot; `empty` returns NULL ranges too. */
  private nextSlot(max: number, empty: boolean): V | undefined {
    if (this.slotLast >= max) {
      this._status = 'overflow';
      return undefined;
    }
    for (;;) {
      const handle = this.core.walk(this.tree._id, this.slotLast + 1);
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
  private prevSlot(min: number, empty: boolean): V | undefined {
    if (this.slotFirst <= min) {
      this._status = 'underflow';
      return undefined;
    }
    for (;;) {
      const handle = this.core.walk(this.tree._id, this.slotFirst - 1);
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
  private nextSetup(max: number): Setup<V> {
    if (this._last >= max) {
      this._status = 'overflow';
      return undefined;
    }
    switch (this._status) {
      case 'active':
        return PROCEED;
      case 'overflow':
        // Overflowed before, but the limit moved: continue from where it stopped.
        this._status = 'active';
        return PROCEED;
      case 'underflow': {
        // The caller expects the state one before where it is.
        const handle = this.walkTo(this._index);
        if (handle !== ENTRY_NULL) return this.value(handle);
        break;
      }
      case 'error':
        return undefined;
      default:
        this.walkTo(this._index);
    }
    return this.currentStatus() === 'active' ? PROCEED : undefined;
  }

  /** mas_prev_setup. */
  private prevSetup(min: number): Setup<V> {
    if (this._index <= min) {
      this._status = 'underflow';
      return undefined;
    }
    switch (this._status) {
      case 'active':
        return PROCEED;
      case 'underflow':
        this._status = 'active';
        return PROCEED;
      case 'overflow': {
        // The caller expects the state one after where it is.
        const handle = this.walkTo(this._index);
        if (handle !== ENTRY_NULL) return this.value(handle);
        break;
      }
      case 'error':
        return undefined;
      default:
        this.walkTo(this._index);
    }
    return this.currentStatus() === 'active' ? PROCEED : undefined;
  }

  /** mas_find_setup. */
  private findSetup(max: number): Setup<V> {
    switch (this._status) {
      case 'active':
        return this._last < max ? PROCEED : undefined;
      case 'pause':
        if (this._last >= max) return undefined;
        this._index = ++this._last;
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
  private findRevSetup(min: number): Setup<V> {
    switch (this._status) {
      case 'active':
        return this._index < min ? undefined : PROCEED;
      case 'pause':
        if (this._index <= min) {
          this._status = 'underflow';
          return undefined;
        }
        this._last = --this._index;
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
      this._index = this._last = 0;
      return undefined;
    }
    return this._index < min ? undefined : PROCEED;
  }

  private storeEntry(method: string, entry: V | null | undefined): V | undefined {
    this.tree._lock.assertHeldForState(method);
    this.checkOrder(method);
    const core = this.core;
    const previous = this.value(core.walk(this.tree._id, this._index));
    const isNull = entry === null || entry === undefined;
    const handle = isNull ? ENTRY_NULL : core.entries.alloc(entry);
    this.commit(method, this._index, this._last, handle);
    return previous;
  }

  /**
   * Stores and moves the state onto the written range, widened by NULL coalescing. A write
   * that leaves the tree empty keeps the requested range and reports 'start', as the kernel's
   * root stores do (check_store_null, check_spanning_write [9, 50006]).
   */
  private commit(method: string, first: number, last: number, handle: number): void {
    try {
      this.tree._store(method, first, last, handle, MODE_OVERWRITE);
    } catch (err) {
      this._status = 'error';
      if (err instanceof MapleError) this.errorCode = err.code;
      throw err;
    }
    if (this.core.isEmpty(this.tree._id)) {
      this._index = this.slotFirst = first;
      this._last = this.slotLast = last;
      this._status = 'start';
    } else {
      this.takeRange();
      this._status = 'active';
    }
  }

  private gapSearch(method: string, min: number, max: number, size: number, rev: boolean): void {
    const [s, lo, hi] = checkWindow(method, size, min, max);
    if (this._status === 'error') {
      throw new MapleError(this.errorCode, `${method}: the state holds an error; reset() it first`);
    }
    const core = this.core;
    const id = this.tree._id;
    if (core.isEmpty(id)) {
      this._index = rev ? hi - s + 1 : lo;
      this._last = rev ? hi : lo + s - 1;
      this.slotFirst = 0;
      this.slotLast = MAX_INDEX;
      this._status = 'none';
      return;
    }
    let from = lo;
    let to = hi;
    const resume = this._status === 'active' || this._status === 'overflow' || this._status === 'underflow';
    if (resume) {
      const bound = rev ? this.revResumeBound() : this.fwdResumeBound();
      if (bound === null) throw new MapleError('EBUSY', `${method}: nothing left to search from the current position`);
      if (rev) to = Math.min(hi, bound);
      else from = Math.max(lo, bound);
    }
    if (from > to || to - from < s - 1 || core.emptyArea(id, from, to, s, rev) < 0) {
      this._index = lo;
      this._last = hi;
      this._status = 'error';
      this.errorCode = 'EBUSY';
      throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]`);
    }
    const start = core.res[RES_FIRST];
    this.slotFirst = core.res[RES_GAP_FIRST];
    this.slotLast = core.res[RES_GAP_LAST];
    this._index = start;
    this._last = start + s - 1;
    this._status = 'active';
  }

  /** Start of the range two before the slot, else the start of the next range; null at the end. */
  private fwdResumeBound(): number | null {
    const twoBack = this.rangeStartBefore(this.slotFirst, 2);
    if (twoBack !== null) return twoBack;
    return this.slotLast >= MAX_INDEX ? null : this.slotLast + 1;
  }

  /** End of the range two before the slot; one before restarts from the top; none: null. */
  private revResumeBound(): number | null {
    if (this.slotFirst === 0) return null;
    const twoBack = this.rangeStartBefore(this.slotFirst, 2);
    if (twoBack === null) return MAX_INDEX;
    this.core.walk(this.tree._id, twoBack);
    return this.core.res[RES_LAST];
  }

  /** The start of the range `count` ranges before the one starting at `first`, if any. */
  private rangeStartBefore(first: number, count: number): number | null {
    let at = first;
    for (let i = 0; i < count; i++) {
      if (at === 0) return null;
      this.core.walk(this.tree._id, at - 1);
      at = this.core.res[RES_FIRST];
    }
    return at;
  }
}
