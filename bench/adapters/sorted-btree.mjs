/**
 * Range map on sorted-btree 2.1.0 (a B+ tree of point keys), written the way a user would:
 * key = range start, value = a record { last, value }.
 *
 *   load(i)      nearest lower key (getPairOrNextLower), then check i <= record.last.
 *   storeRange   overwrite with splitting: trim the range overlapping `first` from the left,
 *                keep the tail of the range overlapping `last` as a new key last + 1,
 *                deleteRange(first, last) for the keys inside, then set(first, ...) (not for
 *                a null value, which erases).
 *   insertRange  checks the lower and higher neighbours, then set().
 *   erase(i)     nearest lower key, check, delete().
 *   find(i, max) nearest lower key if its range reaches i, else nextHigherPair(i).
 *   forEach      forEachPair() (native, in key order).
 *   emptyArea    linear scan of entries() from the smallest key, looking at the space between
 *                consecutive ranges; emptyAreaRev the same with entriesReversed() from max.
 *   dup          a new tree of copied records (clone() would share the mutable records).
 *
 * Not native: sorted-btree stores points, not ranges, so overwrite-split is the adapter above
 * (a few tree operations per store), and it has no gap tracking, so gap search is a linear
 * scan: O(n) per search when the fitting hole is far to the right.
 */

import pkg from 'sorted-btree';

const BTree = pkg.default ?? pkg;

export const name = 'sorted-btree';
export const notes = {
  W4: 'adapter: trim/split neighbours, deleteRange, set',
  W6: 'adapter: linear scan (no gap tracking)',
};

/** W10's contender: the range map above as a VMA tree. */
export const vmaContender = {
  create: () => new RangeMap(),
  dup: (map) => map.dup(),
  destroy: () => {},
  emptyAreaRev: (map, min, max, size) => map.emptyAreaRev(min, max, size),
};

export class RangeMap {
  constructor() {
    this.t = new BTree();
    this.pair = [0, null];
  }

  load(index) {
    const p = this.t.getPairOrNextLower(index, this.pair);
    if (p === undefined) return undefined;
    const rec = p[1];
    return index <= rec.last ? rec.value : undefined;
  }

  storeRange(first, last, value) {
    const t = this.t;
    const p = t.getPairOrNextLower(first, this.pair);
    if (p !== undefined && p[0] < first && p[1].last >= first) {
      // A range starts left of `first` and reaches into [first, last]: keep its head (and its
      // tail, when it also covers `last`).
      const rec = p[1];
      const oldLast = rec.last;
      rec.last = first - 1;
      if (oldLast > last) {
        t.set(last + 1, { last: oldLast, value: rec.value });
        if (value !== null) t.set(first, { last, value });
        return;
      }
    }
    // The last range starting inside [first, last] may stick out on the right: keep its tail.
    const q = t.getPairOrNextLower(last, this.pair);
    if (q !== undefined && q[0] >= first && q[1].last > last) {
      t.set(last + 1, { last: q[1].last, value: q[1].value });
    }
    t.deleteRange(first, last, true);
    if (value !== null) t.set(first, { last, value });
  }

  /** First range intersecting [index, max], as { first, last, entry }. */
  find(index, max) {
    const p = this.t.getPairOrNextLower(index, this.pair);
    if (p !== undefined && p[1].last >= index) return { first: p[0], last: p[1].last, entry: p[1].value };
    const q = this.t.nextHigherPair(index, this.pair);
    if (q === undefined || q[0] > max) return undefined;
    return { first: q[0], last: q[1].last, entry: q[1].value };
  }

  dup() {
    const copy = new RangeMap();
    this.t.forEachPair((first, rec) => {
      copy.t.set(first, { last: rec.last, value: rec.value });
    });
    return copy;
  }

  insertRange(first, last, value) {
    const t = this.t;
    const p = t.getPairOrNextLower(last, this.pair);
    if (p !== undefined && p[1].last >= first) throw new Error(`sorted-btree: [${first}, ${last}] overlaps an entry`);
    t.set(first, { last, value });
  }

  erase(index) {
    const p = this.t.getPairOrNextLower(index, this.pair);
    if (p === undefined || p[1].last < index) return undefined;
    const rec = p[1];
    this.t.delete(p[0]);
    return rec.value;
  }

  forEach(fn) {
    this.t.forEachPair((first, rec) => {
      fn(rec.value, first, rec.last);
    });
  }

  /** Lowest start s in [min, max] with [s, s + size - 1] empty, or -1. */
  emptyArea(min, max, size) {
    let cursor = min;
    for (const [first, rec] of this.t.entries(undefined, this.pair)) {
      if (rec.last < cursor) continue;
      if (first > cursor && first - cursor >= size) break;
      cursor = rec.last + 1;
      if (cursor > max) return -1;
    }
    return max - cursor + 1 >= size ? cursor : -1;
  }

  /** Highest start s in [min, max - size + 1] with [s, s + size - 1] empty, or -1. */
  emptyAreaRev(min, max, size) {
    let top = max; // the highest index that may still be free
    for (const [first, rec] of this.t.entriesReversed(max, this.pair)) {
      if (rec.last < top && top - rec.last >= size) break;
      top = Math.min(top, first - 1);
      if (top < min || top - min + 1 < size) return -1;
    }
    return top - min + 1 >= size ? top - size + 1 : -1;
  }
}
