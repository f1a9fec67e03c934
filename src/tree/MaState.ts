/**
 * MaState: the kernel's advanced-API cursor (struct ma_state and the mas_* functions).
 *
 * The position and status machine are MaCursor's (cursor.ts). `index`
 * and `last` are the caller-visible range, as in the kernel: after a gap search they are a
 * sub-range of the slot, and a caller may assign them without resetting the state
 * (`__mas_set_range`). There is no single-root-entry optimisation: a lone [0, 0] entry lives in
 * a one-slot leaf, so the cursor reports 'active' where the kernel says 'root'.
 */

import { describeArg } from './args.js';
import type { TreeContext } from './context.js';
import type { Key } from './keys.js';
import { MapleError } from '../backend/errors.js';
import { ENTRY_NULL, MODE_OVERWRITE, RES_FIRST, RES_GAP_FIRST, RES_GAP_LAST } from '../backend/layout.js';
import type { ZeroEntry } from './zeroEntry.js';
import { MaCursor, PROCEED, type MaStatus } from './cursor.js';
import { fwdResumeBound, revResumeBound } from './gapResume.js';
import { Reservation, reserveNodes } from './reserve.js';
import { checkPlacement, describePlacement, type AllocOptions } from './allocate.js';

export type { MaStatus } from './cursor.js';

const STATUSES: readonly MaStatus[] = ['start', 'active', 'root', 'none', 'pause', 'overflow', 'underflow', 'error'];

/**
 * The kernel's `struct ma_state`: a position in one tree (`index`/`last`, `status`) and the
 * `mas_*` calls that read and write from it. Readers return ZERO_ENTRY where it is stored.
 *
 * @example
 * const mas = tree.state(0);
 * for (let e = mas.find(MAX_INDEX); e !== undefined; e = mas.find(MAX_INDEX)) {
 *   console.log(mas.index, mas.last, e);
 * }
 */
export class MaState<V = unknown, K extends number | bigint = number> extends MaCursor<V> {
  /** The error the state holds in 'error' status. */
  private errorCode: MapleError['code'] = 'EBUSY';
  /** NULL-ness of the entry given to preallocate(), until the reservation is used or dropped. */
  private preallocNull: boolean | null = null;
  /** This cursor's own reservation for one store (no other write can take or drop it). */
  private prealloc: Reservation | null = null;

  /**
   * Keeps the hidden-class transitions of MaState alive. V8 drops map transitions no live
   * object uses at a full GC; the next MaState then gets a fresh map and every call site that
   * saw the old one turns polymorphic (W6, a fresh state per gap search: ~86 ns per search
   * before a full GC, 170–220 ns after it, without this anchor).
   */
  static readonly #shapeAnchor: MaState = new MaState(null as unknown as TreeContext, 0, 0);

  /** @internal Use `tree.state(index, last)`. */
  constructor(ctx: TreeContext, index: Key, last: Key) {
    super(ctx, index, last);
  }

  /** Start of the current range. Writable without resetting the state (`__mas_set_range`). */
  get index(): K {
    return this._index as K;
  }

  set index(value: K) {
    this._index = this.ctx.keys.index('MaState.index', 'index', value);
  }

  /** End of the current range. Writable without resetting the state. */
  get last(): K {
    return this._last as K;
  }

  set last(value: K) {
    this._last = this.ctx.keys.index('MaState.last', 'last', value);
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
   *
   * @example
   * tree.state(15).walk(); // the entry over 15, NULL ranges included; mas.index/last = its range
   */
  walk(): V | ZeroEntry | undefined {
    this.ctx.assertLive('MaState.walk');
    return this.value(this.walkTo(this._index));
  }

  /**
   * `mas_find`: the first call returns the entry at or after `index` (its start <= max); later
   * calls the next entry. Hides overflow: the status stays 'active' at the end.
   * Locking: none (reader).
   *
   * @example
   * for (let e = mas.find(99); e !== undefined; e = mas.find(99)) use(mas.index, mas.last, e);
   */
  find(max?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.find', 'max', max === undefined ? this.ctx.keys.max : max);
    const setup = this.findSetup(m);
    if (setup !== PROCEED) return setup;
    const entry = this.nextSlot(m, false);
    this._status = 'active';
    return entry;
  }

  /** `mas_find_range`: mas_find that also stops on NULL ranges and reports overflow. Locking: none. */
  findRange(max?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.findRange', 'max', max === undefined ? this.ctx.keys.max : max);
    const setup = this.findSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, true);
  }

  /**
   * `mas_find_rev`: the first call returns the entry at or below `index` (its end >= min);
   * later calls the previous entry. Locking: none (reader).
   */
  findRev(min?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.findRev', 'min', min === undefined ? this.ctx.keys.zero : min);
    const setup = this.findRevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, false);
  }

  /** `mas_find_range_rev`: mas_find_rev that also stops on NULL ranges. Locking: none. */
  findRangeRev(min?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.findRangeRev', 'min', min === undefined ? this.ctx.keys.zero : min);
    const setup = this.findRevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, true);
  }

  /**
   * `mas_next`: the next non-NULL entry after the current range whose start is <= max;
   * 'overflow' when there is none. Locking: none (reader).
   *
   * @example
   * const mas = tree.state(10); mas.walk(); mas.next(); // the entry after [10, …]
   */
  next(max?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.next', 'max', max === undefined ? this.ctx.keys.max : max);
    const setup = this.nextSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, false);
  }

  /** `mas_next_range`: the immediately following range, even if NULL. Locking: none. */
  nextRange(max?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.nextRange', 'max', max === undefined ? this.ctx.keys.max : max);
    const setup = this.nextSetup(m);
    if (setup !== PROCEED) return setup;
    return this.nextSlot(m, true);
  }

  /**
   * `mas_prev`: the previous non-NULL entry before the current range whose end is >= min;
   * 'underflow' when there is none. Locking: none (reader).
   *
   * @example
   * const mas = tree.state(MAX_INDEX); mas.prev(); // the last entry of the tree
   */
  prev(min?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.prev', 'min', min === undefined ? this.ctx.keys.zero : min);
    const setup = this.prevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, false);
  }

  /** `mas_prev_range`: the immediately preceding range, even if NULL. Locking: none. */
  prevRange(min?: K): V | ZeroEntry | undefined {
    const m = this.limit('MaState.prevRange', 'min', min === undefined ? this.ctx.keys.zero : min);
    const setup = this.prevSetup(m);
    if (setup !== PROCEED) return setup;
    return this.prevSlot(m, true);
  }

  /**
   * `mas_empty_area`: the lowest [s, s + size - 1] inside [min, max] that is empty; sets
   * index/last to it. On a state that is not 'start' the search resumes from the current
   * position, two ranges back (the kernel's `offset -= 2`), or from the next range when fewer
   * than two precede it; the kernel's skip to the next node is modelled as a skip to the next
   * range. `opts.align` / `opts.nospan` constrain the fit as for MapleTree.allocRange.
   * EINVAL for a bad window or opts, EBUSY (status 'error') when nothing fits.
   * Locking: none (reader).
   *
   * @example
   * mas.emptyArea(0, 0xffff, 16); // mas.index = lowest free start, mas.last = index + 15
   * mas.reset();
   * mas.emptyArea(0, 0xffff, 16, { align: 64 }); // the lowest free start that is a multiple of 64
   */
  emptyArea(min: K, max: K, size: K, opts?: AllocOptions<K>): void {
    this.gapSearch('MaState.emptyArea', min, max, size, false, opts);
  }

  /**
   * `mas_empty_area_rev`: the highest fit; `last` is clipped to max. Resumes like emptyArea,
   * scanning down from two ranges before the current one. Locking: none (reader).
   */
  emptyAreaRev(min: K, max: K, size: K, opts?: AllocOptions<K>): void {
    this.gapSearch('MaState.emptyAreaRev', min, max, size, true, opts);
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
  set(index: K): void {
    const i = this.ctx.keys.index('MaState.set', 'index', index);
    this._index = i;
    this._last = i;
    this._status = 'start';
  }

  /** `mas_set_range`: index/last = [first, last], then reset. */
  setRange(first: K, last: K): void {
    const [f, l] = this.ctx.keys.range('MaState.setRange', first, last);
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
   *
   * @example
   * tree.lock(); const old = tree.state(10, 19).store('a'); tree.unlock();
   */
  store(entry: V | ZeroEntry | null | undefined): V | ZeroEntry | undefined {
    return this.storeEntry('MaState.store', entry);
  }

  /**
   * `mas_erase`: erases the whole range containing `index` and returns its entry; index/last
   * become the (coalesced) NULL range. Locking: the write lock must be held (ENOLCK).
   *
   * @example
   * tree.lock(); tree.state(12).erase(); tree.unlock(); // the whole range holding 12
   */
  erase(): V | ZeroEntry | undefined {
    const method = 'MaState.erase';
    this.assertWritable(method);
    const handle = this.core.walk(this.ctx.id, this._index);
    if (this.ctx.walkedEmptyTree(handle)) {
      this._status = 'none';
      return undefined;
    }
    this.takeRange();
    this._status = 'active';
    if (handle === ENTRY_NULL) return undefined;
    const entry = this.value(handle);
    this.commit(method, this._index, this._last, ENTRY_NULL);
    return entry;
  }

  /**
   * `mas_preallocate`: reserves, for this cursor alone, the nodes one store can need whatever
   * the tree looks like when it runs (tree.reserve's bound, not the kernel's count for the
   * tree as it is now, which earlier writes can make too small), so that storePrealloc()
   * cannot fail with ENOMEM even after other writes; ENOMEM here instead. Other cursors'
   * writes and destroy() calls cannot take or drop it. Preallocating again while holding
   * a reservation keeps it. Locking: the write lock must be held (ENOLCK).
   *
   * @example
   * mas.setRange(100, 199); mas.preallocate(entry); mas.storePrealloc(entry); // cannot fail
   */
  preallocate(entry: V | ZeroEntry | null | undefined): void {
    const method = 'MaState.preallocate';
    this.assertWritable(method);
    this.checkOrder(method);
    const isNull = entry === null || entry === undefined;
    if (this.prealloc === null) {
      const ctx = this.ctx;
      const perStore = ctx.core.storeBound(ctx.id);
      try {
        reserveNodes(ctx, method, perStore);
      } catch (err) {
        this._status = 'start';
        throw err;
      }
      this.prealloc = new Reservation(ctx, 1, perStore);
    }
    this.preallocNull = isNull;
  }

  /**
   * `mas_store_prealloc`: the store prepared by preallocate() (same NULL-ness), drawing on
   * this cursor's reservation, then drops what is left of it. Locking: the write lock must
   * be held (ENOLCK).
   */
  storePrealloc(entry: V | ZeroEntry | null | undefined): void {
    const method = 'MaState.storePrealloc';
    this.assertWritable(method);
    const isNull = entry === null || entry === undefined;
    if (this.preallocNull !== null && this.preallocNull !== isNull) {
      throw new MapleError('EINVAL', `${method}: the entry's NULL-ness differs from the one preallocated for`);
    }
    const reservation = this.prealloc;
    try {
      if (reservation === null) this.storeEntry(method, entry);
      else this.ctx.drawingFrom(reservation, () => this.storeEntry(method, entry));
    } finally {
      this.destroy();
    }
  }

  /** `mas_destroy`: drops this cursor's unused reservation (no other). Locking: none. */
  destroy(): void {
    this.ctx.assertLive('MaState.destroy');
    this.prealloc?.release();
    this.prealloc = null;
    this.preallocNull = null;
  }

  // ---------------------------------------------------------------- internals

  /** Writers: the tree was not freed and the caller holds the write lock. */
  private assertWritable(method: string): void {
    this.ctx.assertLive(method);
    this.ctx.lock.assertHeldForState(method);
  }


  private checkOrder(method: string): void {
    if (this._index > this._last) {
      throw new MapleError('EINVAL', `${method}: index (${this._index}) > last (${this._last})`);
    }
  }

  private storeEntry(method: string, entry: V | ZeroEntry | null | undefined): V | ZeroEntry | undefined {
    this.assertWritable(method);
    this.checkOrder(method);
    const previous = this.value(this.core.walk(this.ctx.id, this._index));
    this.commit(method, this._index, this._last, this.ctx.handleFor(entry));
    return previous;
  }

  /**
   * Stores and moves the state onto the written range, widened by NULL coalescing. A write
   * that leaves the tree empty keeps the requested range and reports 'start', as the kernel's
   * root stores do (check_store_null, check_spanning_write [9, 50006]).
   */
  private commit(method: string, first: Key, last: Key, handle: number): void {
    try {
      this.ctx.store(method, first, last, handle, MODE_OVERWRITE);
    } catch (err) {
      this._status = 'error';
      if (err instanceof MapleError) this.errorCode = err.code;
      throw err;
    }
    if (this.ctx.walkedEmptyTree(handle)) {
      this._index = this.slotFirst = first;
      this._last = this.slotLast = last;
      this._status = 'start';
    } else {
      this.takeRange();
      this._status = 'active';
    }
  }

  private gapSearch(method: string, min: unknown, max: unknown, size: unknown, rev: boolean, opts: unknown): void {
    this.ctx.assertLive(method);
    const keys = this.ctx.keys;
    const w = keys.window(method, size, min, max);
    const s = w[0], lo = w[1], hi = w[2];
    const { align, nospan } = checkPlacement(keys, method, opts, s);
    const span = s - keys.one;
    if (this._status === 'error') {
      throw new MapleError(this.errorCode, `${method}: the state holds an error; reset() it first`);
    }
    const core = this.core;
    const id = this.ctx.id;
    if (core.isEmpty(id)) {
      if (core.emptyArea(id, lo, hi, s, rev, align, nospan) < 0) this.failGapSearch(method, lo, hi, s, align, nospan);
      this._index = core.res[RES_FIRST];
      this._last = this._index + span;
      this.slotFirst = keys.zero;
      this.slotLast = keys.max;
      this._status = 'none';
      return;
    }
    let from = lo;
    let to = hi;
    const resume = this._status === 'active' || this._status === 'overflow' || this._status === 'underflow';
    if (resume) {
      const bound = rev ? revResumeBound(this.ctx, this.slotFirst) : fwdResumeBound(this.ctx, this.slotFirst, this.slotLast);
      if (bound === null) throw new MapleError('EBUSY', `${method}: nothing left to search from the current position`);
      if (rev) to = hi < bound ? hi : bound;
      else from = lo > bound ? lo : bound;
      // Only a resumed search can narrow the window below size (window() checked [lo, hi]):
      // on bigint keys each comparison and difference is a runtime call, so not twice.
      if (from > to || to - from < span) this.failGapSearch(method, lo, hi, s, align, nospan);
    }
    if (core.emptyArea(id, from, to, s, rev, align, nospan) < 0) this.failGapSearch(method, lo, hi, s, align, nospan);
    const start = core.res[RES_FIRST];
    this.slotFirst = core.res[RES_GAP_FIRST];
    this.slotLast = core.res[RES_GAP_LAST];
    this._index = start;
    this._last = start + span;
    this._status = 'active';
  }

  /** A gap search found nothing: the kernel's EBUSY state (index/last = the window). */
  private failGapSearch(method: string, lo: Key, hi: Key, s: Key, align: Key, nospan: Key): never {
    this._index = lo;
    this._last = hi;
    this._status = 'error';
    this.errorCode = 'EBUSY';
    throw new MapleError('EBUSY', `${method}: no free range of size ${s} in [${lo}, ${hi}]${describePlacement(this.ctx.keys, align, nospan)}`);
  }
}
