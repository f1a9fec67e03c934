/**
 * NaiveBackend: a CoreBackend over sorted arrays of non-NULL ranges, for testing the facade
 * before (and beside) the real cores. NULL ranges are the implicit gaps between stored ranges,
 * so they are always coalesced. Node accounting is emulated as `ranges / 8 + 1` nodes (NULL
 * ranges counted) so that maxNodes and ENOMEM paths can be exercised.
 */

import type { CoreBackend, NodeView } from '../../src/backend/backend.js';
import { EntryTable } from '../../src/backend/entries.js';
import { highestFitIn, lowestFitIn, type FitOptions } from './alignedFit.js';
import {
  EBUSY,
  EEXIST,
  ENOMEM,
  ENTRY_NULL,
  ENTRY_ZERO,
  MODE_INSERT,
  MODE_OVERWRITE,
  OK,
  PAGE_ROW_WORDS,
  PAGE_ROWS,
  RES_COUNT,
  RES_FIRST,
  RES_GAP_FIRST,
  RES_GAP_LAST,
  RES_LAST,
  WR_EXACT_FIT,
  WR_NEW_ROOT,
  WR_NODE_STORE,
  WR_NOTHING,
  WR_STORE_ROOT,
} from '../../src/backend/layout.js';

const MAX = Number.MAX_SAFE_INTEGER;
const RANGES_PER_NODE = 8;

interface NaiveTree {
  flags: number;
  maxNodes: number;
  reserved: number;
  generation: number;
  firsts: number[];
  lasts: number[];
  handles: number[];
}

/** Index of the first stored range whose last >= index (firsts.length if none). */
function lowerBound(t: NaiveTree, index: number): number {
  let lo = 0;
  let hi = t.lasts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t.lasts[mid] < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Stored ranges plus the NULL gaps between and around them. */
function rangeCount(firsts: number[], lasts: number[]): number {
  const n = firsts.length;
  if (n === 0) return 1;
  let ranges = n;
  if (firsts[0] > 0) ranges++;
  if (lasts[n - 1] < MAX) ranges++;
  for (let i = 1; i < n; i++) if (firsts[i] > lasts[i - 1] + 1) ranges++;
  return ranges;
}

function nodesFor(firsts: number[], lasts: number[]): number {
  if (firsts.length === 0) return 0;
  return Math.floor(rangeCount(firsts, lasts) / RANGES_PER_NODE) + 1;
}

export class NaiveBackend implements CoreBackend {
  readonly kind = 'ts' as const;
  readonly entries = new EntryTable();
  readonly res = new Float64Array(RES_COUNT);
  readonly pageBuf = new Float64Array(PAGE_ROWS * 3);
  pageWrites = 0;
  private trees = new Map<number, NaiveTree>();
  private nextId = 1;

  treeCreate(flags: number, maxNodes: number): number {
    const id = this.nextId++;
    this.trees.set(id, { flags, maxNodes, reserved: 0, generation: 0, firsts: [], lasts: [], handles: [] });
    return id;
  }

  treeRelease(tree: number): void {
    this.treeClear(tree);
    this.trees.delete(tree);
  }

  treeClear(tree: number): void {
    const t = this.get(tree);
    for (const h of t.handles) this.entries.release(h);
    t.firsts = [];
    t.lasts = [];
    t.handles = [];
    t.generation++;
  }

  flags(tree: number): number {
    return this.get(tree).flags;
  }

  setFlags(tree: number, flags: number): void {
    this.get(tree).flags = flags;
  }

  generation(tree: number): number {
    return this.get(tree).generation;
  }

  height(tree: number): number {
    return this.get(tree).firsts.length === 0 ? 0 : 1;
  }

  nodeCount(tree: number): number {
    const t = this.get(tree);
    return nodesFor(t.firsts, t.lasts);
  }

  reservedCount(tree: number): number {
    return this.get(tree).reserved;
  }

  isEmpty(tree: number): boolean {
    return this.get(tree).firsts.length === 0;
  }

  load(tree: number, index: number): number {
    const t = this.get(tree);
    const i = lowerBound(t, index);
    return i < t.firsts.length && t.firsts[i] <= index ? t.handles[i] : ENTRY_NULL;
  }

  walk(tree: number, index: number): number {
    const t = this.get(tree);
    const i = lowerBound(t, index);
    if (i < t.firsts.length && t.firsts[i] <= index) {
      this.res[RES_FIRST] = t.firsts[i];
      this.res[RES_LAST] = t.lasts[i];
      return t.handles[i];
    }
    this.res[RES_FIRST] = i > 0 ? t.lasts[i - 1] + 1 : 0;
    this.res[RES_LAST] = i < t.firsts.length ? t.firsts[i] - 1 : MAX;
    return ENTRY_NULL;
  }

  store(tree: number, first: number, last: number, handle: number, mode: number): number {
    const t = this.get(tree);
    const lo = lowerBound(t, first);
    let hi = lo;
    while (hi < t.firsts.length && t.firsts[hi] <= last) hi++;
    const old = lo < t.firsts.length && t.firsts[lo] <= first ? t.handles[lo] : ENTRY_NULL;

    if (mode === MODE_INSERT && hi > lo) return EEXIST;
    if (handle === ENTRY_NULL && hi === lo) {
      this.setNullResult(t, lo, first, last, old);
      return WR_NOTHING;
    }

    const wasEmpty = t.firsts.length === 0;
    const exact = hi === lo + 1 && t.firsts[lo] === first && t.lasts[lo] === last;
    const nf: number[] = [];
    const nl: number[] = [];
    const nh: number[] = [];
    const splits: number[] = [];
    if (lo < hi && t.firsts[lo] < first) {
      nf.push(t.firsts[lo]);
      nl.push(first - 1);
      nh.push(t.handles[lo]);
    }
    if (handle !== ENTRY_NULL) {
      nf.push(first);
      nl.push(last);
      nh.push(handle);
    }
    if (lo < hi && t.lasts[hi - 1] > last) {
      nf.push(last + 1);
      nl.push(t.lasts[hi - 1]);
      nh.push(t.handles[hi - 1]);
      if (lo === hi - 1 && t.firsts[lo] < first) splits.push(t.handles[lo]);
    }

    if (t.maxNodes > 0) {
      // Only budgeted trees pay for building the result up front.
      const firsts = t.firsts.slice(0, lo).concat(nf, t.firsts.slice(hi));
      const lasts = t.lasts.slice(0, lo).concat(nl, t.lasts.slice(hi));
      if (!this.fitsBudget(t, firsts, lasts)) return ENOMEM;
    }

    // Retain before releasing: the new handle may equal one being dropped.
    if (handle !== ENTRY_NULL) this.entries.retain(handle);
    for (const h of splits) this.entries.retain(h);
    for (let i = lo; i < hi; i++) {
      const keptLeft = i === lo && t.firsts[i] < first;
      const keptRight = i === hi - 1 && t.lasts[i] > last;
      if (!keptLeft && !keptRight) this.entries.release(t.handles[i]);
    }
    t.firsts.splice(lo, hi - lo, ...nf);
    t.lasts.splice(lo, hi - lo, ...nl);
    t.handles.splice(lo, hi - lo, ...nh);
    t.generation++;

    if (handle === ENTRY_NULL) this.setNullResult(t, lowerBound(t, first), first, last, old);
    else this.setResult(first, last, old);
    if (first === 0 && last === MAX) return WR_NEW_ROOT;
    if (wasEmpty) return WR_STORE_ROOT;
    return exact ? WR_EXACT_FIT : WR_NODE_STORE;
  }

  nodesNeeded(tree: number, first: number, last: number, handle: number): number {
    void first;
    void last;
    void handle;
    return this.storeBound(tree);
  }

  /** One store adds at most two ranges, hence at most one node here. */
  storeBound(tree: number): number {
    void tree;
    return 1;
  }

  reserve(tree: number, count: number): boolean {
    const t = this.get(tree);
    if (t.maxNodes > 0 && nodesFor(t.firsts, t.lasts) + t.reserved + count > t.maxNodes) return false;
    t.reserved += count;
    return true;
  }

  unreserve(tree: number, count: number): void {
    this.get(tree).reserved -= count;
  }

  private drawLeft = 0;
  setDraw(count: number): void {
    this.drawLeft = count;
  }
  draw(): number {
    return this.drawLeft;
  }

  emptyArea(tree: number, min: number, max: number, size: number, rev: boolean, align = 1, nospan = 0): number {
    const t = this.get(tree);
    const fit = { align, nospan };
    const start = rev ? this.highestFit(t, min, max, size, fit) : this.lowestFit(t, min, max, size, fit);
    if (start < 0) return EBUSY;
    this.walk(tree, start); // the NULL range holding the fit
    this.res[RES_GAP_FIRST] = this.res[RES_FIRST];
    this.res[RES_GAP_LAST] = this.res[RES_LAST];
    this.res[RES_FIRST] = start;
    this.res[RES_LAST] = start + size - 1;
    return 0;
  }

  loadMany(tree: number, count: number): void {
    this.pageWrites++;
    for (let i = 0; i < count; i++) this.pageBuf[i] = this.load(tree, this.pageBuf[i]);
  }

  /** The simple bulk build: one store per row; ENOMEM empties the tree. */
  buildPage(tree: number, count: number): number {
    this.pageWrites++;
    const rows = this.pageBuf.slice(0, count * PAGE_ROW_WORDS);
    for (let r = 0; r < rows.length; r += PAGE_ROW_WORDS) {
      if (this.store(tree, rows[r], rows[r + 1], rows[r + 2], MODE_OVERWRITE) < 0) {
        this.treeClear(tree);
        return ENOMEM;
      }
    }
    return OK;
  }

  buildEnd(_tree: number): number {
    return OK;
  }

  find(tree: number, index: number, max: number): number {
    const t = this.get(tree);
    if (index > max) return ENTRY_NULL;
    for (let i = lowerBound(t, index); i < t.firsts.length && t.firsts[i] <= max; i++) {
      if (t.handles[i] !== ENTRY_ZERO) return this.resultRange(t, i);
    }
    return ENTRY_NULL;
  }

  next(tree: number, index: number, max: number): number {
    if (index >= max) return ENTRY_NULL;
    this.walk(tree, index);
    const end = this.res[RES_LAST];
    return end >= max ? ENTRY_NULL : this.find(tree, end + 1, max);
  }

  prev(tree: number, index: number, min: number): number {
    const t = this.get(tree);
    if (index <= min) return ENTRY_NULL;
    // Ranges before the one containing index: those ending below its first index.
    this.walk(tree, index);
    const start = this.res[RES_FIRST];
    for (let i = lowerBound(t, start) - 1; i >= 0 && t.lasts[i] >= min; i--) {
      if (t.handles[i] !== ENTRY_ZERO) return this.resultRange(t, i);
    }
    return ENTRY_NULL;
  }

  private resultRange(t: NaiveTree, i: number): number {
    this.res[RES_FIRST] = t.firsts[i];
    this.res[RES_LAST] = t.lasts[i];
    return t.handles[i];
  }

  page(tree: number, first: number, last: number): number {
    this.pageWrites++;
    const t = this.get(tree);
    let n = 0;
    for (let i = lowerBound(t, first); i < t.firsts.length && n < PAGE_ROWS; i++) {
      if (t.firsts[i] > last) break;
      this.pageBuf[n * 3] = t.firsts[i];
      this.pageBuf[n * 3 + 1] = t.lasts[i];
      this.pageBuf[n * 3 + 2] = t.handles[i];
      n++;
    }
    return n;
  }

  dup(tree: number): number {
    const t = this.get(tree);
    const id = this.treeCreate(t.flags, t.maxNodes);
    const copy = this.get(id);
    copy.firsts = t.firsts.slice();
    copy.lasts = t.lasts.slice();
    copy.handles = t.handles.slice();
    for (const h of copy.handles) this.entries.retain(h);
    return id;
  }

  validate(tree: number): string | null {
    const t = this.get(tree);
    for (let i = 0; i < t.firsts.length; i++) {
      if (!(t.firsts[i] <= t.lasts[i])) return `range ${i} [${t.firsts[i]}, ${t.lasts[i]}] is inverted`;
      if (t.firsts[i] < 0 || t.lasts[i] > MAX) return `range ${i} leaves the key space`;
      if (i > 0 && t.firsts[i] <= t.lasts[i - 1]) return `range ${i} overlaps range ${i - 1}`;
      if (t.handles[i] === ENTRY_NULL) return `range ${i} stores NULL (NULL ranges must stay implicit)`;
    }
    if (t.maxNodes > 0 && nodesFor(t.firsts, t.lasts) + t.reserved > t.maxNodes) return 'node budget exceeded';
    return null;
  }

  nodes(tree: number): NodeView | null {
    const t = this.get(tree);
    if (t.firsts.length === 0) return null;
    const pivots: number[] = [];
    const slots: number[] = [];
    let next = 0;
    for (let i = 0; i < t.firsts.length; i++) {
      if (t.firsts[i] > next) {
        pivots.push(t.firsts[i] - 1);
        slots.push(ENTRY_NULL);
      }
      pivots.push(t.lasts[i]);
      slots.push(t.handles[i]);
      next = t.lasts[i] + 1;
    }
    if (next <= MAX && t.lasts[t.lasts.length - 1] < MAX) {
      pivots.push(MAX);
      slots.push(ENTRY_NULL);
    }
    return { addr: tree * 256, type: 'leaf', min: 0, max: MAX, end: slots.length - 1, pivots, slots };
  }

  private get(tree: number): NaiveTree {
    const t = this.trees.get(tree);
    if (!t) throw new Error(`NaiveBackend: no tree ${tree}`);
    return t;
  }

  private fitsBudget(t: NaiveTree, firsts: number[], lasts: number[]): boolean {
    if (t.maxNodes <= 0) return true;
    const now = nodesFor(t.firsts, t.lasts);
    const after = nodesFor(firsts, lasts);
    const fromReserve = Math.min(Math.max(0, after - now), this.drawLeft);
    if (after + t.reserved - fromReserve > t.maxNodes) return false;
    t.reserved -= fromReserve;
    this.drawLeft -= fromReserve;
    return true;
  }

  private setResult(first: number, last: number, old: number): void {
    this.res[RES_FIRST] = first;
    this.res[RES_LAST] = last;
  }

  /** A NULL write reports the whole coalesced NULL range around [first, last]. */
  private setNullResult(t: NaiveTree, i: number, first: number, last: number, old: number): void {
    void first;
    void last;
    const lo = i > 0 ? t.lasts[i - 1] + 1 : 0;
    const hi = i < t.firsts.length ? t.firsts[i] - 1 : MAX;
    this.setResult(lo, hi, old);
  }

  private lowestFit(t: NaiveTree, min: number, max: number, size: number, fit: FitOptions): number {
    let gapStart = min;
    for (let i = lowerBound(t, min); i <= t.firsts.length; i++) {
      const gapEnd = i < t.firsts.length ? Math.min(t.firsts[i] - 1, max) : max;
      const start = gapEnd >= gapStart ? lowestFitIn(gapStart, gapEnd, size, fit) : -1;
      if (start >= 0) return start;
      if (i === t.firsts.length || t.lasts[i] >= max) return -1;
      gapStart = Math.max(min, t.lasts[i] + 1);
    }
    return -1;
  }

  private highestFit(t: NaiveTree, min: number, max: number, size: number, fit: FitOptions): number {
    // Start from the first stored range at or after max and walk gaps downwards.
    let i = lowerBound(t, max);
    let gapEnd = max;
    if (i < t.firsts.length && t.firsts[i] <= max) {
      gapEnd = t.firsts[i] - 1;
    }
    for (;;) {
      const gapStart = i > 0 ? Math.max(t.lasts[i - 1] + 1, min) : min;
      const start = gapEnd >= gapStart ? highestFitIn(gapStart, gapEnd, size, fit) : -1;
      if (start >= 0) return start;
      if (i === 0) return -1;
      i--;
      if (t.firsts[i] <= min) return -1;
      gapEnd = Math.min(t.firsts[i] - 1, max);
    }
  }
}

/** The shared naive backend instance used by the test suites. */
export const naiveBackend = new NaiveBackend();
