/**
 * A naive model of a bigint-keyed tree over all of u64: a sorted list of [first, last, entry]
 * rows (absent indices are empty; ZERO_ENTRY rows occupy their range but read as empty), with
 * every normal-API reader and the gap searches worked out by linear scans. Written
 * independently of the facade and the cores.
 */

import { ZERO_ENTRY } from '../../src/tree/zeroEntry.js';

export const MAX64 = (1n << 64n) - 1n;

export type Row64 = [first: bigint, last: bigint, entry: unknown];

/** Gap-search constraints: align ≥ 1n, nospan 0n (none) or a power of two ≥ size. */
export interface Fit64 {
  align: bigint;
  nospan: bigint;
}

const ceilTo = (x: bigint, step: bigint): bigint => ((x + step - 1n) / step) * step;
const floorTo = (x: bigint, step: bigint): bigint => (x / step) * step;

/** The lowest aligned start in [a, b] whose fit stays inside one nospan block, or null. */
function lowestFitIn(a: bigint, b: bigint, size: bigint, { align, nospan }: Fit64): bigint | null {
  for (let from = a; ; ) {
    const s = ceilTo(from, align);
    if (s + size - 1n > b) return null;
    if (nospan === 0n) return s;
    const end = floorTo(s, nospan) + nospan - 1n;
    if (s + size - 1n <= end) return s;
    from = end + 1n;
  }
}

/** The highest such start in [a, b], or null. */
function highestFitIn(a: bigint, b: bigint, size: bigint, { align, nospan }: Fit64): bigint | null {
  for (let to = b; ; ) {
    if (to - a + 1n < size) return null;
    const s = floorTo(to - size + 1n, align);
    if (s < a) return null;
    if (nospan === 0n) return s;
    const start = floorTo(to, nospan);
    if (s >= start) return s;
    if (start === 0n) return null;
    to = start - 1n;
  }
}

export class Model64 {
  rows: Row64[] = [];
  /** The kernel's ALLOC_WRAPPED flag of allocCyclic. */
  wrapped = false;

  /** Overwrites [first, last]; a null entry erases. */
  store(first: bigint, last: bigint, entry: unknown): void {
    const kept: Row64[] = [];
    for (const [f, l, e] of this.rows) {
      if (l < first || f > last) kept.push([f, l, e]);
      else {
        if (f < first) kept.push([f, first - 1n, e]);
        if (l > last) kept.push([last + 1n, l, e]);
      }
    }
    if (entry !== null) kept.push([first, last, entry]);
    this.rows = kept.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /** Whether every index of [first, last] is empty (ZERO_ENTRY counts as used). */
  isFree(first: bigint, last: bigint): boolean {
    return this.rows.every(([f, l]) => l < first || f > last);
  }

  rowAt(index: bigint): Row64 | undefined {
    return this.rows.find(([f, l]) => f <= index && index <= l);
  }

  load(index: bigint): unknown {
    const e = this.rowAt(index)?.[2];
    return e === ZERO_ENTRY ? undefined : e;
  }

  /** The rows holding an entry (ZERO_ENTRY rows left out), as the normal API reads them. */
  entries(first = 0n, last = MAX64): Row64[] {
    return this.rows.filter(([f, l, e]) => e !== ZERO_ENTRY && l >= first && f <= last);
  }

  find(index: bigint, max: bigint): Row64 | undefined {
    return index > max ? undefined : this.entries(index, max)[0];
  }

  /** mt_next: entries after the range containing index start after index. */
  next(index: bigint, max: bigint): Row64 | undefined {
    return this.entries().find(([f]) => f > index && f <= max);
  }

  /** mt_prev: entries before the range containing index end before index. */
  prev(index: bigint, min: bigint): Row64 | undefined {
    return this.entries().filter(([, l]) => l < index && l >= min).pop();
  }

  /** Every empty range, maximal. */
  gaps(): [bigint, bigint][] {
    const out: [bigint, bigint][] = [];
    let next: bigint | null = 0n;
    for (const [f, l] of this.rows) {
      if (next !== null && f > next) out.push([next, f - 1n]);
      next = l === MAX64 ? null : l + 1n;
    }
    if (next !== null) out.push([next, MAX64]);
    return out;
  }

  /** The lowest (or highest) fitting start in [min, max], by a scan over every gap; null if none. */
  emptyArea(min: bigint, max: bigint, size: bigint, rev: boolean, fit: Fit64): bigint | null {
    const gaps = this.gaps();
    if (rev) gaps.reverse();
    for (const [f, l] of gaps) {
      const a = f > min ? f : min;
      const b = l < max ? l : max;
      if (a > b) continue;
      const s = rev ? highestFitIn(a, b, size, fit) : lowestFitIn(a, b, size, fit);
      if (s !== null) return s;
    }
    return null;
  }

  /** mtree_alloc_cyclic as documented: [max(lo, next), hi], then [lo, hi]; null when full. */
  allocCyclic(entry: unknown, lo: bigint, hi: bigint, next: bigint): { start: bigint; next: bigint; wrapped: boolean } | null {
    const from = lo > next ? lo : next;
    const none: Fit64 = { align: 1n, nospan: 0n };
    let start = from <= hi ? this.emptyArea(from, hi, 1n, false, none) : null;
    let wrapped: boolean;
    if (start !== null) {
      wrapped = this.wrapped;
      this.wrapped = false;
    } else {
      if (from <= lo) return null;
      start = this.emptyArea(lo, hi, 1n, false, none);
      if (start === null) return null;
      wrapped = true;
    }
    this.store(start, start, entry);
    if (start === MAX64) this.wrapped = true;
    return { start, next: start === MAX64 ? 0n : start + 1n, wrapped };
  }
}
