import { describe, expect, it } from 'vitest';
import { MAX_INDEX, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import type { MaState } from '../src/tree/MaState.js';
import { backends } from './support/backends.js';
import { expectMapleError } from './support/model.js';

type Pos = [entry: unknown, index: number, last: number, status: string];
const pos = (mas: MaState<unknown>, entry: unknown): Pos => [entry, mas.index, mas.last, mas.status];

describe.each(backends)('MaState ($name backend)', ({ options }) => {
  const make = <V = unknown>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  /** Entries [i * 4096, i * 4096 + 1280] = `v${i}` for i = 1..20, as in check_state_handling. */
  const pages = () => {
    const tree = make<string>({ allocRange: true });
    for (let i = 1; i <= 20; i++) tree.storeRange(i * 4096, i * 4096 + 1280, `v${i}`);
    return tree;
  };

  describe('status machine', () => {
    it('walk returns NULL ranges with their extent', () => {
      const mas = pages().state(3000);
      expect(pos(mas, mas.walk())).toEqual([undefined, 0, 4095, 'active']);
      mas.set(8200);
      expect(pos(mas, mas.walk())).toEqual(['v2', 8192, 9472, 'active']);
    });

    it('next stops on the NULL range past max with overflow, and resumes with a larger max', () => {
      const mas = pages().state(8192);
      mas.walk();
      expect(pos(mas, mas.next(10649))).toEqual([undefined, 9473, 12287, 'overflow']);
      expect(pos(mas, mas.next(10649))).toEqual([undefined, 9473, 12287, 'overflow']);
      expect(pos(mas, mas.next(20000))).toEqual(['v3', 12288, 13568, 'active']);
    });

    it('prev after overflow restores the entry instead of moving twice', () => {
      const mas = pages().state(12288);
      mas.walk();
      expect(pos(mas, mas.next(13568))).toEqual([undefined, 12288, 13568, 'overflow']);
      expect(pos(mas, mas.prev(0))).toEqual(['v3', 12288, 13568, 'active']);
      expect(pos(mas, mas.next(14000))).toEqual([undefined, 13569, 16383, 'overflow']);
      expect(pos(mas, mas.prev(0))).toEqual(['v3', 12288, 13568, 'active']);
    });

    it('next after underflow returns the entry at index (undoes the prev)', () => {
      const mas = pages().state(4096);
      mas.walk();
      expect(pos(mas, mas.prev(4096))).toEqual([undefined, 4096, 5376, 'underflow']);
      expect(pos(mas, mas.next(MAX_INDEX))).toEqual(['v1', 4096, 5376, 'active']);
      expect(pos(mas, mas.next(MAX_INDEX))).toEqual(['v2', 8192, 9472, 'active']);
    });

    it('prev returns an entry that starts below min (limits compare range ends)', () => {
      const mas = pages().state(8192);
      mas.walk();
      expect(pos(mas, mas.prev(4608))).toEqual(['v1', 4096, 5376, 'active']);
      expect(pos(mas, mas.prev(4608))).toEqual([undefined, 4096, 5376, 'underflow']);
    });

    it('find hides overflow; findRange stops on NULL ranges', () => {
      const tree = pages();
      const mas = tree.state(8192);
      expect(pos(mas, mas.find(9984))).toEqual(['v2', 8192, 9472, 'active']);
      expect(pos(mas, mas.find(9984))).toEqual([undefined, 9473, 12287, 'active']);
      const ranged = tree.state(8192);
      expect(pos(ranged, ranged.findRange(9984))).toEqual(['v2', 8192, 9472, 'active']);
      expect(pos(ranged, ranged.findRange(9984))).toEqual([undefined, 9473, 12287, 'active']);
      expect(pos(ranged, ranged.findRange(9984))).toEqual([undefined, 9473, 12287, 'active']);
    });

    it('the first find is inclusive, a fresh next is exclusive', () => {
      const tree = pages();
      const find = tree.state(5000);
      expect(pos(find, find.find())).toEqual(['v1', 4096, 5376, 'active']);
      const next = tree.state(5000);
      expect(pos(next, next.next())).toEqual(['v2', 8192, 9472, 'active']);
      const zero = tree.state(0);
      expect(pos(zero, zero.next())).toEqual(['v1', 4096, 5376, 'active']);
    });

    it('nextRange and prevRange stop on NULL ranges', () => {
      const mas = pages().state(4096);
      mas.walk();
      expect(pos(mas, mas.nextRange())).toEqual([undefined, 5377, 8191, 'active']);
      expect(pos(mas, mas.nextRange())).toEqual(['v2', 8192, 9472, 'active']);
      expect(pos(mas, mas.prevRange())).toEqual([undefined, 5377, 8191, 'active']);
      expect(pos(mas, mas.prevRange(5000))).toEqual(['v1', 4096, 5376, 'active']);
      expect(pos(mas, mas.prevRange(5000))).toEqual([undefined, 4096, 5376, 'underflow']);
    });

    it('findRev walks down and underflows at min', () => {
      const mas = pages().state(10000);
      expect(pos(mas, mas.findRev(4000))).toEqual(['v2', 8192, 9472, 'active']);
      expect(pos(mas, mas.findRev(4000))).toEqual(['v1', 4096, 5376, 'active']);
      expect(pos(mas, mas.findRev(4000))).toEqual([undefined, 0, 4095, 'underflow']);
    });

    it('pause resumes at last + 1 forwards and index - 1 backwards', () => {
      const tree = pages();
      const mas = tree.state(0);
      expect(mas.find()).toBe('v1');
      mas.pause();
      expect(mas.status).toBe('pause');
      tree.store(6000, 'inserted while paused');
      expect(pos(mas, mas.find())).toEqual(['inserted while paused', 6000, 6000, 'active']);
      expect(mas.find()).toBe('v2');
      mas.pause();
      expect(pos(mas, mas.findRev())).toEqual(['inserted while paused', 6000, 6000, 'active']);
    });

    it('an empty tree reports none', () => {
      const tree = make();
      const mas = tree.state(5);
      expect(pos(mas, mas.walk())).toEqual([undefined, 0, MAX_INDEX, 'none']);
      mas.set(5);
      expect(pos(mas, mas.find())).toEqual([undefined, 0, MAX_INDEX, 'none']);
      mas.set(5);
      expect(pos(mas, mas.next())).toEqual([undefined, 0, MAX_INDEX, 'none']);
      mas.set(5);
      expect(pos(mas, mas.prev())).toEqual([undefined, 0, MAX_INDEX, 'none']);
      mas.set(5);
      expect(pos(mas, mas.findRev())).toEqual([undefined, 0, 0, 'none']);
    });

    it('index, last and status are writable without a reset (mas_poke)', () => {
      const tree = pages();
      const mas = tree.state(4096);
      mas.walk();
      mas.status = 'none';
      mas.index = 9000;
      mas.last = 9000;
      expect(pos(mas, mas.prev())).toEqual(['v1', 4096, 5376, 'active']);
      mas.reset();
      mas.index = MAX_INDEX;
      expect(mas.find()).toBe(undefined);
      expect([mas.index, mas.status]).toEqual([83201, 'active']);
    });
  });

  describe('writes through the state', () => {
    it('store returns the previous entry at index and leaves the state on the written range', () => {
      const tree = pages();
      tree.lock();
      const mas = tree.state(5000, 8500);
      expect(pos(mas, mas.store('w'))).toEqual(['v1', 5000, 8500, 'active']);
      mas.setRange(9000, 9100);
      expect(pos(mas, mas.store(null))).toEqual(['v2', 9000, 9100, 'active']);
      mas.setRange(9050, 9060);
      expect(pos(mas, mas.store(null))).toEqual([undefined, 9000, 9100, 'active']);
      tree.unlock();
      expect(tree.load(8600)).toBe('v2');
      tree.validate();
    });

    it('erase removes the range at index and widens to the coalesced NULL range', () => {
      const tree = pages();
      tree.lock();
      const mas = tree.state(8200);
      expect(pos(mas, mas.erase())).toEqual(['v2', 5377, 12287, 'active']);
      expect(pos(mas, mas.erase())).toEqual([undefined, 5377, 12287, 'active']);
      tree.unlock();
    });

    it('a NULL store that empties the tree keeps the requested range (check_spanning_write [9, 50006])', () => {
      const tree = make({ allocRange: true });
      for (let i = 1; i <= 5000; i++) tree.storeRange(i * 10, i * 10 + 5, 'x');
      tree.lock();
      const mas = tree.state(9, 50006);
      expect(pos(mas, mas.store(null))).toEqual([undefined, 9, 50006, 'start']);
      tree.unlock();
      expect(tree.isEmpty()).toBe(true);
    });

    it('find after store over the current range continues after the written range (check_iteration)', () => {
      const tree = make<string>({ allocRange: true });
      for (let i = 0; i < 126; i++) tree.storeRange(i * 10, i * 10 + 9, `v${i}`);
      tree.lock();
      const mas = tree.state(0);
      const seen: string[] = [];
      for (let e = mas.find(); e !== undefined; e = mas.find()) {
        seen.push(`${e}@${mas.index}`);
        if (mas.index === 500) {
          mas.index = 505;
          mas.store('end of v50');
        } else if (mas.index === 600) {
          mas.last = 615;
          mas.store('v60 and part of v61');
        } else if (mas.index === 700) {
          mas.store(null);
        }
      }
      tree.unlock();
      const at = (k: string) => seen.indexOf(k);
      expect(seen[at('v50@500') + 1]).toBe('v51@510');
      expect(seen[at('v60@600') + 1]).toBe('v61@616');
      expect(seen[at('v70@700') + 1]).toBe('v71@710');
      expect(seen.length).toBe(126);
      expect(tree.load(505)).toBe('end of v50');
      expect(tree.load(504)).toBe('v50');
      expect(tree.load(612)).toBe('v60 and part of v61');
      expect(tree.load(700)).toBeUndefined();
      tree.validate();
    });

    it('erasing every entry inside a find loop visits each once', () => {
      const tree = make<number>();
      for (let i = 0; i < 300; i++) tree.storeRange(i * 3, i * 3 + 1, i);
      tree.lock();
      const mas = tree.state(0);
      const seen: number[] = [];
      for (let e = mas.find(); e !== undefined; e = mas.find()) {
        seen.push(e as number);
        expect(mas.erase()).toBe(e);
      }
      tree.unlock();
      expect(seen).toEqual([...Array(300).keys()]);
      expect(tree.isEmpty()).toBe(true);
    });

    it('preallocate then storePrealloc expands and shrinks a range (check_vma_modification)', () => {
      const tree = make<string>({ allocRange: true });
      tree.lock();
      const mas = tree.state(0x7fffffffe000, 0x7fffffffefff);
      mas.preallocate('vma');
      mas.storePrealloc('vma');
      expect(mas.prevRange(0)).toBeUndefined();
      expect([mas.index, mas.last]).toEqual([0, 0x7fffffffdfff]);
      mas.index = 0x7ffde4ca1000;
      mas.last = 0x7fffffffefff;
      mas.preallocate('vma');
      mas.storePrealloc('vma');
      mas.index = 0x7ffde4ca2000;
      mas.preallocate(null);
      mas.storePrealloc(null);
      expect([mas.index, mas.last, mas.status]).toEqual([0x7ffde4ca2000, MAX_INDEX, 'active']);
      tree.unlock();
      expect([...tree]).toEqual([[0x7ffde4ca1000, 0x7ffde4ca1fff, 'vma']]);
      expect(tree._core.reservedCount(tree._id)).toBe(0);
    });
  });

  describe('gap search', () => {
    const gappy = () => {
      const tree = make<string>();
      tree.storeRange(0, 9, 'a');
      tree.storeRange(20, 29, 'b');
      return tree;
    };

    it('finds the lowest and highest fit, clipped to the window', () => {
      const tree = gappy();
      const mas = tree.state();
      mas.emptyArea(0, MAX_INDEX, 5);
      expect([mas.index, mas.last, mas.status]).toEqual([10, 14, 'active']);
      mas.reset();
      mas.emptyAreaRev(0, 100, 5);
      expect([mas.index, mas.last]).toEqual([96, 100]);
      mas.reset();
      mas.emptyAreaRev(0, 25, 5);
      expect([mas.index, mas.last]).toEqual([15, 19]);
      mas.reset();
      mas.emptyArea(12, 100, 5);
      expect([mas.index, mas.last]).toEqual([12, 16]);
    });

    it('works without allocRange across many leaves', () => {
      const tree = make<number>();
      for (let i = 0; i < 2000; i++) tree.storeRange(i * 10, i * 10 + 9, i);
      tree.erase(15000);
      const mas = tree.state();
      mas.emptyArea(0, MAX_INDEX, 10);
      expect(mas.index).toBe(15000);
      mas.reset();
      mas.emptyAreaRev(0, 19999, 10);
      expect(mas.index).toBe(15000);
    });

    it('an empty tree answers from the window ends with status none', () => {
      const mas = make().state();
      mas.emptyArea(100, 200, 10);
      expect([mas.index, mas.last, mas.status]).toEqual([100, 109, 'none']);
      mas.emptyAreaRev(100, 200, 10);
      expect([mas.index, mas.last, mas.status]).toEqual([191, 200, 'none']);
    });

    it('EBUSY leaves the state in error until reset', () => {
      const tree = gappy();
      const mas = tree.state();
      expectMapleError(() => mas.emptyArea(0, 29, 11), 'EBUSY');
      expect(mas.status).toBe('error');
      expectMapleError(() => mas.emptyArea(0, MAX_INDEX, 1), 'EBUSY');
      expect(mas.find()).toBeUndefined();
      mas.reset();
      mas.emptyArea(0, MAX_INDEX, 1);
      expect(mas.index).toBe(10);
    });

    it('a state that is not reset resumes from its position', () => {
      const tree = gappy();
      const mas = tree.state();
      mas.emptyArea(0, MAX_INDEX, 5);
      expect(mas.index).toBe(10);
      // One range precedes [10, 19]: the search skips on to the next range.
      mas.emptyArea(0, MAX_INDEX, 5);
      expect(mas.index).toBe(30);
      // Three ranges precede [30, MAX]: the search backs up two, to [10, 19].
      mas.emptyArea(0, MAX_INDEX, 5);
      expect(mas.index).toBe(10);
      mas.reset();
      mas.emptyAreaRev(0, MAX_INDEX, 5);
      expect(mas.index).toBe(MAX_INDEX - 4);
      // Backing up two ranges from [30, MAX] lands on [10, 19].
      mas.emptyAreaRev(0, MAX_INDEX, 5);
      expect([mas.index, mas.last]).toEqual([15, 19]);
      // Nothing below [10, 19] but one range: the search starts over from the top.
      mas.emptyAreaRev(0, MAX_INDEX, 5);
      expect(mas.index).toBe(MAX_INDEX - 4);
    });

    it('the found range is ready for store()', () => {
      const tree = gappy();
      tree.lock();
      const mas = tree.state();
      mas.emptyArea(0, MAX_INDEX, 3);
      mas.store('gap');
      tree.unlock();
      expect([...tree.entries(0, 29)]).toEqual([
        [0, 9, 'a'],
        [10, 12, 'gap'],
        [20, 29, 'b'],
      ]);
    });
  });
});
