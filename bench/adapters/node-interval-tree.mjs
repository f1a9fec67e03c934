/**
 * Range map on node-interval-tree 2.1.2 (an augmented AVL interval tree that allows
 * overlapping intervals), written the way a user would: insert(first, last, record) with
 * record = { first, last, value } so remove() can name the exact (low, high, data) triple.
 *
 *   load(i)      search(i, i) and take the first hit (the map never holds overlaps).
 *   storeRange   overwrite with splitting: search(first, last) for every overlapping
 *                interval, remove each, re-insert the parts outside [first, last], insert.
 *   insertRange  search(first, last) must be empty, then insert.
 *   erase(i)     search(i, i), remove.
 *   forEach      inOrder() iterator (native, in key order).
 *   emptyArea    linear scan with inOrder().
 *
 * Not native: overlapping intervals are allowed, so "overwrite" is the adapter above; there
 * is no gap search (linear scan); every search allocates its result array.
 */

import pkg from 'node-interval-tree';

const IntervalTree = pkg.default ?? pkg;

export const name = 'node-interval-tree';
export const notes = {
  W4: 'adapter: search overlaps, remove, re-insert remnants',
  W6: 'adapter: linear scan (no gap search)',
};

export class RangeMap {
  constructor() {
    this.t = new IntervalTree();
  }

  load(index) {
    const hits = this.t.search(index, index);
    return hits.length === 0 ? undefined : hits[0].value;
  }

  storeRange(first, last, value) {
    const t = this.t;
    const hits = t.search(first, last);
    for (let i = 0; i < hits.length; i++) {
      const rec = hits[i];
      t.remove(rec.first, rec.last, rec);
      if (rec.first < first) t.insert(rec.first, first - 1, { first: rec.first, last: first - 1, value: rec.value });
      if (rec.last > last) t.insert(last + 1, rec.last, { first: last + 1, last: rec.last, value: rec.value });
    }
    t.insert(first, last, { first, last, value });
  }

  insertRange(first, last, value) {
    if (this.t.search(first, last).length !== 0) throw new Error(`node-interval-tree: [${first}, ${last}] overlaps an entry`);
    this.t.insert(first, last, { first, last, value });
  }

  erase(index) {
    const hits = this.t.search(index, index);
    if (hits.length === 0) return undefined;
    const rec = hits[0];
    this.t.remove(rec.first, rec.last, rec);
    return rec.value;
  }

  forEach(fn) {
    for (const iv of this.t.inOrder()) {
      const rec = iv.data;
      fn(rec.value, rec.first, rec.last);
    }
  }

  /** Lowest start s in [min, max] with [s, s + size - 1] empty, or -1. */
  emptyArea(min, max, size) {
    let cursor = min;
    for (const iv of this.t.inOrder()) {
      const rec = iv.data;
      if (rec.last < cursor) continue;
      if (rec.first > cursor && rec.first - cursor >= size) break;
      cursor = rec.last + 1;
      if (cursor > max) return -1;
    }
    return max - cursor + 1 >= size ? cursor : -1;
  }
}
