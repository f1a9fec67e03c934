/**
 * Range map on js-sdsl 4.4.2 OrderedMap (a red-black tree of point keys), written the way a
 * user would: key = range start, value = a record { first, last, value } (the record carries
 * its start so the iterator's `pointer` proxy is read once).
 *
 *   load(i)      reverseLowerBound(i) (last key <= i), then check i <= record.last.
 *   storeRange   overwrite with splitting: trim the range overlapping `first` from the left,
 *                then erase the keys inside [first, last] by iterator (keeping the tail of the
 *                last one as a new key last + 1), then setElement(first, ...).
 *   insertRange  reverseLowerBound(last), check, setElement().
 *   erase(i)     reverseLowerBound(i), check, eraseElementByIterator().
 *   forEach      OrderedMap.forEach (native, in key order).
 *   emptyArea    linear scan with an iterator from begin().
 *
 * Not native: no range values, no range erase (keys are erased one iterator step at a time),
 * no gap tracking (gap search is a linear scan).
 */

import { OrderedMap } from 'js-sdsl';

export const name = 'js-sdsl';
export const notes = {
  W4: 'adapter: trim neighbours, erase by iterator, setElement',
  W6: 'adapter: linear scan (no gap tracking)',
};

export class RangeMap {
  constructor() {
    this.m = new OrderedMap();
  }

  load(index) {
    const it = this.m.reverseLowerBound(index);
    if (!it.isAccessible()) return undefined;
    const rec = it.pointer[1];
    return index <= rec.last ? rec.value : undefined;
  }

  storeRange(first, last, value) {
    const m = this.m;
    let it = m.reverseLowerBound(first);
    if (it.isAccessible()) {
      const rec = it.pointer[1];
      if (rec.first < first && rec.last >= first) {
        if (rec.last > last) m.setElement(last + 1, { first: last + 1, last: rec.last, value: rec.value });
        rec.last = first - 1;
      }
    }
    it = m.lowerBound(first);
    while (it.isAccessible()) {
      const rec = it.pointer[1];
      if (rec.first > last) break;
      it = m.eraseElementByIterator(it);
      if (rec.last > last) {
        m.setElement(last + 1, { first: last + 1, last: rec.last, value: rec.value });
        break;
      }
    }
    m.setElement(first, { first, last, value });
  }

  insertRange(first, last, value) {
    const it = this.m.reverseLowerBound(last);
    if (it.isAccessible() && it.pointer[1].last >= first) throw new Error(`js-sdsl: [${first}, ${last}] overlaps an entry`);
    this.m.setElement(first, { first, last, value });
  }

  erase(index) {
    const it = this.m.reverseLowerBound(index);
    if (!it.isAccessible()) return undefined;
    const rec = it.pointer[1];
    if (rec.last < index) return undefined;
    this.m.eraseElementByIterator(it);
    return rec.value;
  }

  forEach(fn) {
    this.m.forEach((pair) => {
      const rec = pair[1];
      fn(rec.value, rec.first, rec.last);
    });
  }

  /** Lowest start s in [min, max] with [s, s + size - 1] empty, or -1. */
  emptyArea(min, max, size) {
    let cursor = min;
    for (const it = this.m.begin(); it.isAccessible(); it.next()) {
      const rec = it.pointer[1];
      if (rec.last < cursor) continue;
      if (rec.first > cursor && rec.first - cursor >= size) break;
      cursor = rec.last + 1;
      if (cursor > max) return -1;
    }
    return max - cursor + 1 >= size ? cursor : -1;
  }
}
