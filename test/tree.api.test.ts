import { describe, expect, it } from 'vitest';
import { ZERO_ENTRY } from '../src/backend/entries.js';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectMapleError, snapshotOf } from './support/model.js';

describe.each(backends)('MapleTree API ($name backend)', ({ options }) => {
  const make = <V = string>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  describe('construction', () => {
    it('starts empty with height 0', () => {
      const tree = make();
      expect(tree.isEmpty()).toBe(true);
      expect(tree.height).toBe(0);
      expect(tree.nodes()).toBeNull();
      expect([...tree]).toEqual([]);
      tree.validate();
    });

    it('MapleTree.create resolves to a usable tree', async () => {
      const tree = await MapleTree.create<string>(options());
      tree.store(1, 'a');
      expect(tree.load(1)).toBe('a');
    });

    it('rejects malformed options with EINVAL', () => {
      expectMapleError(() => make({ allocRange: 'yes' as unknown as boolean }), 'EINVAL');
      expectMapleError(() => make({ lock: {} as never }), 'EINVAL');
      expectMapleError(() => make({ maxNodes: 0 }), 'EINVAL');
      expectMapleError(() => make({ maxNodes: 2.5 }), 'EINVAL');
      expectMapleError(() => new MapleTree({ backend: 'gpu' as never }), 'EINVAL');
    });
  });

  describe('load / store / storeRange', () => {
    it('stores single indices and ranges', () => {
      const tree = make();
      tree.store(5, 'five');
      tree.storeRange(10, 19, 'ten');
      expect(tree.load(5)).toBe('five');
      expect(tree.load(4)).toBeUndefined();
      expect(tree.load(10)).toBe('ten');
      expect(tree.load(19)).toBe('ten');
      expect(tree.load(20)).toBeUndefined();
      expect(tree.isEmpty()).toBe(false);
      expect(tree.height).toBeGreaterThanOrEqual(1);
    });

    it('overwriting the middle of a range keeps both remnants', () => {
      const tree = make();
      tree.storeRange(0, 99, 'old');
      tree.storeRange(40, 59, 'new');
      expect([...tree]).toEqual([
        [0, 39, 'old'],
        [40, 59, 'new'],
        [60, 99, 'old'],
      ]);
    });

    it('null and undefined erase with coalescing', () => {
      const tree = make();
      tree.storeRange(0, 9, 'a');
      tree.storeRange(10, 19, 'b');
      tree.storeRange(20, 29, 'c');
      tree.storeRange(5, 24, null);
      expect([...tree]).toEqual([
        [0, 4, 'a'],
        [25, 29, 'c'],
      ]);
      tree.store(0, undefined);
      expect(tree.load(0)).toBeUndefined();
      tree.validate();
    });

    it('does not merge equal neighbours', () => {
      const tree = make();
      tree.storeRange(0, 5, 'x');
      tree.storeRange(6, 9, 'x');
      expect([...tree]).toEqual([
        [0, 5, 'x'],
        [6, 9, 'x'],
      ]);
    });

    it('covers the whole key space, MAX_INDEX included', () => {
      const tree = make();
      tree.store(MAX_INDEX, 'top');
      expect(tree.load(MAX_INDEX)).toBe('top');
      tree.storeRange(0, MAX_INDEX, 'all');
      expect([...tree]).toEqual([[0, MAX_INDEX, 'all']]);
      tree.storeRange(0, MAX_INDEX, null);
      expect(tree.isEmpty()).toBe(true);
    });

    it('first > last is EINVAL', () => {
      expectMapleError(() => make().storeRange(5, 4, 'x'), 'EINVAL', /^MapleTree\.storeRange: /);
    });

    it('reports the kernel store type of the last write', () => {
      const tree = make();
      expect(tree.lastStoreType).toBeUndefined();
      tree.store(3, 'x');
      const names = ['new-root', 'store-root', 'exact-fit', 'spanning-store', 'split-store', 'rebalance', 'append', 'node-store', 'slot-store', 'nothing'];
      expect(names).toContain(tree.lastStoreType);
      tree.store(3, 'y');
      expect(tree.lastStoreType).toBe('exact-fit');
    });
  });

  describe('ZERO_ENTRY', () => {
    it('occupies its range but reads as empty through the normal API', () => {
      const tree = make<unknown>();
      tree.insert(64, ZERO_ENTRY);
      tree.store(70, 'x');
      expect(tree.load(64)).toBeUndefined();
      expect(tree.find(0)).toEqual({ first: 70, last: 70, entry: 'x' });
      expect(tree.next(0)).toEqual({ first: 70, last: 70, entry: 'x' });
      expect(tree.prev(80)).toEqual({ first: 70, last: 70, entry: 'x' });
      expect(tree.prev(70)).toBeUndefined();
      expect([...tree.entries()]).toEqual([[70, 70, 'x']]);
      expectMapleError(() => tree.insert(64, 'y'), 'EEXIST');
      expect(tree.state(64).walk()).toBe(ZERO_ENTRY);
      expect(tree.erase(64)).toBe(ZERO_ENTRY);
      expect(tree.state(64).walk()).toBeUndefined();
    });

    it('is refused by the allocators and used by the gap search', () => {
      const tree = make<unknown>({ allocRange: true });
      tree.storeRange(0, 9, ZERO_ENTRY);
      expect(tree.allocRange(1, 'a')).toBe(10);
      expectMapleError(() => tree.allocRange(1, ZERO_ENTRY), 'EINVAL');
      expectMapleError(() => tree.allocRRange(1, ZERO_ENTRY), 'EINVAL');
      expectMapleError(() => tree.allocCyclic(ZERO_ENTRY, 0, 100, 0), 'EINVAL');
    });
  });

  describe('insert / insertRange', () => {
    it('inserts into empty space only', () => {
      const tree = make();
      tree.insertRange(10, 19, 'a');
      tree.insert(20, 'b');
      const err = expectMapleError(() => tree.insertRange(15, 25, 'c'), 'EEXIST');
      expect(err.message).toBe('MapleTree.insertRange: [15, 25] overlaps an entry');
      expect(err.errno).toBe(-17);
      expectMapleError(() => tree.insert(10, 'c'), 'EEXIST', /^MapleTree\.insert: \[10, 10\]/);
      tree.insertRange(0, 9, 'd');
      tree.insertRange(21, MAX_INDEX, 'e');
      expect(snapshotOf(tree).map(([f, l]) => [f, l])).toEqual([
        [0, 9],
        [10, 19],
        [20, 20],
        [21, MAX_INDEX],
      ]);
    });

    it('refuses null and undefined entries', () => {
      const tree = make();
      expectMapleError(() => tree.insert(1, null as never), 'EINVAL');
      expectMapleError(() => tree.insertRange(1, 2, undefined as never), 'EINVAL');
    });
  });

  describe('erase', () => {
    it('removes the whole range containing the index and returns its entry', () => {
      const tree = make();
      tree.storeRange(10, 19, 'a');
      tree.storeRange(20, 29, 'b');
      expect(tree.erase(15)).toBe('a');
      expect(tree.load(10)).toBeUndefined();
      expect(tree.load(19)).toBeUndefined();
      expect(tree.load(20)).toBe('b');
      expect(tree.erase(15)).toBeUndefined();
      expect(tree.erase(29)).toBe('b');
      expect(tree.isEmpty()).toBe(true);
    });
  });

  describe('find / next / prev', () => {
    const build = () => {
      const tree = make();
      tree.storeRange(10, 19, 'a');
      tree.storeRange(30, 39, 'b');
      tree.storeRange(50, 59, 'c');
      return tree;
    };

    it('find returns the first entry intersecting [index, max]', () => {
      const tree = build();
      expect(tree.find(15)).toEqual({ first: 10, last: 19, entry: 'a' });
      expect(tree.find(20)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.find(20, 29)).toBeUndefined();
      expect(tree.find(20, 30)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.find(60)).toBeUndefined();
      expect(tree.find(40, 39)).toBeUndefined();
    });

    it('next is exclusive of the range containing index and limits on the start', () => {
      const tree = build();
      expect(tree.next(10)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.next(0)).toEqual({ first: 10, last: 19, entry: 'a' });
      expect(tree.next(20, 29)).toBeUndefined();
      expect(tree.next(20, 30)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.next(55)).toBeUndefined();
      expect(tree.next(5, 5)).toBeUndefined();
    });

    it('prev is exclusive of the range containing index and limits on the end', () => {
      const tree = build();
      expect(tree.prev(55)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.prev(45)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.prev(45, 39)).toEqual({ first: 30, last: 39, entry: 'b' });
      expect(tree.prev(45, 40)).toBeUndefined();
      expect(tree.prev(15)).toBeUndefined();
      expect(tree.prev(MAX_INDEX)).toEqual({ first: 50, last: 59, entry: 'c' });
    });
  });

  describe('entries / forEach', () => {
    it('walks full ranges intersecting the window, ascending', () => {
      const tree = make();
      for (let i = 0; i < 10; i++) tree.storeRange(i * 10, i * 10 + 5, `v${i}`);
      expect([...tree.entries(13, 34)]).toEqual([
        [10, 15, 'v1'],
        [20, 25, 'v2'],
        [30, 35, 'v3'],
      ]);
      expect([...tree.entries(16, 19)]).toEqual([]);
      expect([...tree.entries(30, 20)]).toEqual([]);
      const seen: string[] = [];
      tree.forEach((entry) => {
        seen.push(entry);
        if (seen.length === 3) return false;
      });
      expect(seen).toEqual(['v0', 'v1', 'v2']);
    });

    it('pages through more ranges than one backend page holds', () => {
      const tree = make<number>();
      for (let i = 0; i < 1000; i++) tree.store(i * 3, i);
      const all = [...tree];
      expect(all.length).toBe(1000);
      expect(all[999]).toEqual([2997, 2997, 999]);
      let count = 0;
      tree.forEach(() => void count++);
      expect(count).toBe(1000);
    });

    it('terminates on an entry at MAX_INDEX', () => {
      const tree = make();
      tree.store(MAX_INDEX, 'top');
      tree.store(0, 'bottom');
      expect([...tree].map(([, , e]) => e)).toEqual(['bottom', 'top']);
    });

    it('an iterator left by break is finished, as a generator would be', () => {
      const tree = make<number>();
      for (let i = 0; i < 5; i++) tree.store(i * 10, i);
      const it = tree.entries();
      expect(it[Symbol.iterator]()).toBe(it);
      for (const [first] of it) if (first === 10) break;
      expect(it.next()).toEqual({ value: undefined, done: true });
      const values = tree.values(20);
      expect(values.next()).toEqual({ value: 2, done: false });
      expect([...values]).toEqual([3, 4]);
      expect(values.next().done).toBe(true);
    });

    it('continues after the last returned range when the tree changes mid-walk', () => {
      const tree = make<number>();
      for (let i = 0; i < 600; i++) tree.store(i * 2, i);
      const seen: number[] = [];
      for (const [first, , entry] of tree.entries()) {
        seen.push(entry);
        if (first === 10) {
          tree.erase(12);
          tree.store(11, -1);
          tree.store(1199, 1000);
        }
        if (first === 500) tree.storeRange(502, 1000, null);
      }
      expect(seen.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, -1, 7]);
      expect(seen[seen.indexOf(250) + 1]).toBe(501);
      expect(seen.slice(-3)).toEqual([598, 599, 1000]);
    });

    it('forEach sees entries added behind the last returned range of a short page', () => {
      const tree = make();
      tree.store(1, 'a');
      const seen: string[] = [];
      tree.forEach((entry, first) => {
        seen.push(entry);
        if (first === 1) tree.store(2, 'b');
      });
      expect(seen).toEqual(['a', 'b']);
    });
  });

  describe('allocRange / allocRRange', () => {
    it('finds the lowest and highest fit inside the window', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(10, 19, 'x');
      tree.storeRange(30, 39, 'y');
      expect(tree.allocRange(10, 'a')).toBe(0);
      expect(tree.allocRange(10, 'b')).toBe(20);
      expect(tree.allocRange(5, 'c', 25)).toBe(40);
      expect(tree.allocRRange(5, 'd', 0, 100)).toBe(96);
      expect(tree.allocRRange(1, 'e', 0, 45)).toBe(45);
      expect(tree.load(20)).toBe('b');
      expect(tree.load(96)).toBe('d');
    });

    it('EBUSY when nothing fits; EINVAL for bad windows, sizes and trees', () => {
      const tree = make({ allocRange: true });
      tree.storeRange(0, 99, 'full');
      expectMapleError(() => tree.allocRange(1, 'a', 0, 99), 'EBUSY', /^MapleTree\.allocRange: /);
      expectMapleError(() => tree.allocRRange(1, 'a', 50, 99), 'EBUSY');
      expectMapleError(() => tree.allocRange(0, 'a'), 'EINVAL');
      expectMapleError(() => tree.allocRange(1, 'a', 10, 9), 'EINVAL');
      expectMapleError(() => tree.allocRange(11, 'a', 100, 109), 'EINVAL');
      expectMapleError(() => tree.allocRange(1, null as never), 'EINVAL');
      expectMapleError(() => make().allocRange(1, 'a'), 'EINVAL', /allocRange: true/);
      expectMapleError(() => make().allocRRange(1, 'a'), 'EINVAL');
      expectMapleError(() => make().allocCyclic('a', 0, 10, 0), 'EINVAL');
    });

    it('a window that fits exactly is not EINVAL', () => {
      const tree = make({ allocRange: true });
      expect(tree.allocRange(10, 'a', 100, 109)).toBe(100);
      expect(make({ allocRange: true }).allocRRange(MAX_INDEX, 'b', 0, MAX_INDEX - 1)).toBe(0);
    });
  });

  describe('allocCyclic', () => {
    it('allocates upwards from next, then wraps to lo', () => {
      const tree = make({ allocRange: true });
      let next = 0;
      const got: [number, boolean][] = [];
      for (let i = 0; i < 4; i++) {
        const r = tree.allocCyclic(`e${i}`, 1, 3, next);
        got.push([r.start, r.wrapped]);
        next = r.next;
        if (i === 2) tree.erase(2);
      }
      expect(got).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [2, true],
      ]);
      expectMapleError(() => tree.allocCyclic('full', 1, 3, next), 'EBUSY');
    });

    it('next beyond hi searches again from lo and reports the wrap', () => {
      const tree = make({ allocRange: true });
      expect(tree.allocCyclic('a', 5, 10, 20)).toEqual({ start: 5, next: 6, wrapped: true });
      expectMapleError(() => tree.allocCyclic('a', 10, 5, 0), 'EINVAL');
    });

    it('remembers a wrap past MAX_INDEX, even across destroy()', () => {
      const tree = make({ allocRange: true });
      let r = tree.allocCyclic('a', 2, MAX_INDEX, MAX_INDEX - 1);
      expect(r).toEqual({ start: MAX_INDEX - 1, next: MAX_INDEX, wrapped: false });
      r = tree.allocCyclic('b', 2, MAX_INDEX, r.next);
      expect(r).toEqual({ start: MAX_INDEX, next: 0, wrapped: false });
      tree.destroy();
      r = tree.allocCyclic('c', 2, MAX_INDEX, r.next);
      expect(r).toEqual({ start: 2, next: 3, wrapped: true });
      r = tree.allocCyclic('d', 2, MAX_INDEX, r.next);
      expect(r).toEqual({ start: 3, next: 4, wrapped: false });
    });
  });

  describe('dup / destroy', () => {
    it('dup makes an independent copy with the same options and shared entries', () => {
      const tree = make<{ n: number }>({ allocRange: true });
      const a = { n: 1 };
      tree.storeRange(1, 5, a);
      for (let i = 10; i < 400; i++) tree.store(i * 2, { n: i });
      const copy = tree.dup();
      copy.validate();
      expect([...copy]).toEqual([...tree]);
      expect(copy.load(3)).toBe(a);
      copy.store(3, { n: 3 });
      tree.erase(20);
      expect(tree.load(3)).toBe(a);
      expect(copy.load(20)).toEqual({ n: 10 });
      expect(copy.allocRange(1, { n: -1 })).toBe(0);
    });

    it('dup keeps the external lock and gap tracking, whatever the options object says later', () => {
      let held = true;
      const lock = { isHeld: () => held };
      const opts: MapleTreeOptions = { ...options(), lock, allocRange: true };
      const tree = new MapleTree<string>(opts);
      tree.store(4, 'a');
      opts.lock = 'internal';
      opts.allocRange = false;
      const copy = tree.dup();
      expect(copy.gapTracking).toBe(true);
      expect(copy.backend).toBe(tree.backend);
      expect(copy.load(4)).toBe('a');
      expectMapleError(() => copy.lock(), 'EINVAL');
      held = false;
      expectMapleError(() => copy.store(5, 'b'), 'ENOLCK');
      held = true;
      copy.store(5, 'b');
      expect(copy.allocRange(2, 'gap')).toBe(0);
      copy.validate();
      expect(tree.load(5)).toBeUndefined();
      const plain = make().dup();
      expect(plain.gapTracking).toBe(false);
      plain.lock();
      expectMapleError(() => plain.store(1, 'x'), 'EDEADLK');
      plain.unlock();
      plain.store(1, 'x');
      expect(plain.load(1)).toBe('x');
    });

    it('destroy empties the tree, keeps its flags and leaves it usable', () => {
      const tree = make({ allocRange: true });
      for (let i = 0; i < 100; i++) tree.store(i, `v${i}`);
      tree.destroy();
      expect(tree.isEmpty()).toBe(true);
      expect(tree.height).toBe(0);
      expect(tree.allocRange(3, 'again')).toBe(0);
      tree.validate();
    });
  });

  describe('inspection', () => {
    it('dump() draws the nodes and their entries', () => {
      const tree = make();
      expect(tree.dump()).toContain('(empty)');
      tree.storeRange(10, 19, 'ten');
      const text = tree.dump();
      expect(text).toMatch(/^maple_tree\(/);
      expect(text).toContain('10-19: "ten"');
      expect(text).toContain('leaf');
    });

    it('nodes() exposes the node structure', () => {
      const tree = make<number>();
      for (let i = 0; i < 100; i++) tree.store(i * 2, i);
      const root = tree.nodes()!;
      expect(root.min).toBe(0);
      expect(root.max).toBe(MAX_INDEX);
      expect(root.pivots.length).toBe(root.end + 1);
    });

    it('validate() passes on a healthy tree', () => {
      const tree = make<number>();
      for (let i = 0; i < 500; i++) tree.storeRange(i * 7, i * 7 + 3, i);
      expect(() => tree.validate()).not.toThrow();
    });
  });

  describe('MapleError', () => {
    it('is an Error with code and errno', () => {
      const err = expectMapleError(() => make().load(-1), 'EINVAL');
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(MapleError);
      expect(err.errno).toBe(-22);
      expect(err.name).toBe('MapleError');
      expect(new MapleError('EDEADLK', 'x').errno).toBe(-35);
      expect(new MapleError('ENOLCK', 'x').errno).toBe(-37);
      expect(new MapleError('ENOMEM', 'x').errno).toBe(-12);
      expect(new MapleError('EBUSY', 'x').errno).toBe(-16);
    });
  });
});
