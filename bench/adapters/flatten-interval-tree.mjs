/**
 * Range map on @flatten-js/interval-tree 2.0.3 (an augmented red-black interval tree that
 * allows overlapping intervals), written the way a user would: key = [first, last] (closed),
 * value = a record { first, last, value } so removal can name the exact (key, value) pair.
 *
 *   load(i)      search([i, i]) and take the first hit (the map never holds overlaps).
 *   storeRange   overwrite with splitting: search([first, last]) for every overlapping
 *                interval, remove each, re-insert the parts outside [first, last], insert.
 *   insertRange  intersect_any([first, last]) as the occupancy check, then insert.
 *   erase(i)     search([i, i]), remove.
 *   forEach      forEach (native, in key order).
 *   emptyArea    linear scan with iterate() from the smallest interval.
 *
 * Not native: the tree keeps overlapping intervals side by side, so "overwrite" (split the
 * old ranges) is the search/remove/re-insert adapter above; it has no gap search, so that is a
 * linear scan; every search allocates its result array.
 */

import IntervalTree from '@flatten-js/interval-tree';

export const name = '@flatten-js/interval-tree';
export const notes = {
  W4: 'adapter: search overlaps, remove, re-insert remnants',
  W6: 'adapter: linear scan (no gap search)',
};

const asValue = (value) => value;

export class RangeMap {
  constructor() {
    this.t = new IntervalTree();
  }

  load(index) {
    const hits = this.t.search([index, index], asValue);
    return hits.length === 0 ? undefined : hits[0].value;
  }

  storeRange(first, last, value) {
    const t = this.t;
    const hits = t.search([first, last], asValue);
    for (let i = 0; i < hits.length; i++) {
      const rec = hits[i];
      t.remove([rec.first, rec.last], rec);
      if (rec.first < first) t.insert([rec.first, first - 1], { first: rec.first, last: first - 1, value: rec.value });
      if (rec.last > last) t.insert([last + 1, rec.last], { first: last + 1, last: rec.last, value: rec.value });
    }
    t.insert([first, last], { first, last, value });
  }

  insertRange(first, last, value) {
    if (this.t.intersect_any([first, last])) throw new Error(`flatten-js: [${first}, ${last}] overlaps an entry`);
    this.t.insert([first, last], { first, last, value });
  }

  erase(index) {
    const hits = this.t.search([index, index], asValue);
    if (hits.length === 0) return undefined;
    const rec = hits[0];
    this.t.remove([rec.first, rec.last], rec);
    return rec.value;
  }

  forEach(fn) {
    this.t.forEach((key, rec) => {
      fn(rec.value, rec.first, rec.last);
    });
  }

  /** Lowest start s in [min, max] with [s, s + size - 1] empty, or -1. */
  emptyArea(min, max, size) {
    let cursor = min;
    for (const rec of this.t.iterate(undefined, asValue)) {
      if (rec.last < cursor) continue;
      if (rec.first > cursor && rec.first - cursor >= size) break;
      cursor = rec.last + 1;
      if (cursor > max) return -1;
    }
    return max - cursor + 1 >= size ? cursor : -1;
  }
}
