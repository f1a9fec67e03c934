// MapleTree as a JavaScript object: size/has/keys/values, toJSON, structuredClone, inspect,
// Symbol.toStringTag, free()/Symbol.dispose and what a freed tree answers — on every backend.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CoreAdapter } from '../src/backend/adapter.js';
import { MAX_INDEX, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { isZeroEntry, ZERO_ENTRY } from '../src/tree/zeroEntry.js';
import { backends } from './support/backends.js';
import { expectMapleError } from './support/model.js';
import { Rng } from './support/rng.js';

describe.each(backends)('MapleTree in JavaScript ($name backend)', ({ options }) => {
  const make = <V = string>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  describe('size, has, keys, values', () => {
    it('size counts ranges holding an entry, not ZERO_ENTRY ranges', () => {
      const tree = make();
      expect(tree.size).toBe(0);
      tree.storeRange(10, 19, 'a');
      tree.storeRange(15, 15, 'b'); // splits [10,19] in three
      expect(tree.size).toBe(3);
      tree.storeRange(30, 39, ZERO_ENTRY);
      expect(tree.size).toBe(3);
      tree.erase(12);
      expect(tree.size).toBe(2);
    });

    it('size equals the length of entries() across many pages of random writes', () => {
      const rng = new Rng(0x5eed);
      const tree = make<number>();
      for (let i = 0; i < 3000; i++) {
        const first = rng.int(0, 20_000);
        const last = first + rng.int(0, 40);
        const roll = rng.int(0, 9);
        tree.storeRange(first, last, roll === 0 ? null : roll === 1 ? ZERO_ENTRY : i);
      }
      expect(tree.size).toBe([...tree.entries()].length);
      expect(tree.size).toBeGreaterThan(256); // more than one page
    });

    it('has(index) agrees with load(index) !== undefined', () => {
      const tree = make();
      tree.storeRange(5, 9, 'x');
      tree.store(20, ZERO_ENTRY);
      for (const i of [0, 4, 5, 7, 9, 10, 20, MAX_INDEX]) expect(tree.has(i)).toBe(tree.load(i) !== undefined);
      expect(tree.has(20)).toBe(false);
      expectMapleError(() => tree.has(-1), 'EINVAL');
      expectMapleError(() => tree.has(1.5), 'EINVAL');
    });

    it('keys() and values() are entries() split, with the same window', () => {
      const tree = make();
      tree.storeRange(0, 4, 'a');
      tree.store(7, ZERO_ENTRY);
      tree.storeRange(10, 19, 'b');
      tree.store(30, 'c');
      expect([...tree.keys()]).toEqual([[0, 4], [10, 19], [30, 30]]);
      expect([...tree.values()]).toEqual(['a', 'b', 'c']);
      expect([...tree.keys(5, 20)]).toEqual([[10, 19]]);
      expect([...tree.values(5, 30)]).toEqual(['b', 'c']);
      expectMapleError(() => tree.keys(-1), 'EINVAL');
      expectMapleError(() => tree.values(0, NaN), 'EINVAL');
    });

    it('Symbol.toStringTag names the class', () => {
      expect(Object.prototype.toString.call(make())).toBe('[object MapleTree]');
    });
  });

  describe('toJSON and structuredClone', () => {
    it('JSON.stringify writes [[first, last, entry], …] without ZERO_ENTRY ranges', () => {
      const tree = make<string | number>();
      tree.storeRange(10, 19, 'a');
      tree.store(25, 7);
      tree.storeRange(40, 49, ZERO_ENTRY);
      expect(JSON.stringify(tree)).toBe('[[10,19,"a"],[25,25,7]]');
      expect(JSON.stringify(make())).toBe('[]');
    });

    it('a 10-range tree stringifies to under 1 KB', () => {
      const tree = make<{ name: string }>();
      for (let i = 0; i < 10; i++) tree.storeRange(i * 4096, i * 4096 + 4095, { name: `range ${i}` });
      const json = JSON.stringify(tree);
      expect(json.length).toBeLessThan(1024);
      expect(JSON.parse(json)).toEqual([...tree].map(([f, l, e]) => [f, l, { ...e }]));
    });

    it('structuredClone fails with a DataCloneError that says what to use instead', () => {
      const tree = make();
      tree.store(1, 'a');
      let caught: unknown;
      try {
        structuredClone(tree);
      } catch (err) {
        caught = err;
      }
      expect((caught as Error).name).toBe('DataCloneError');
      expect((caught as Error).message).toContain('MapleTree cannot be cloned; use toJSON() or dup()');
    });

    it('exposes no internals as own enumerable properties', () => {
      expect(Object.keys(make())).toEqual(['cloneGuard']);
    });
  });

  describe('util.inspect', () => {
    it('shows the backend, the count and the entries inspected as Node does', () => {
      const tree = make<unknown>();
      tree.storeRange(10, 14, 'a');
      tree.store(15, { id: 7 });
      tree.store(16, ZERO_ENTRY);
      const text = inspect(tree);
      expect(text).toBe(`MapleTree(${tree.backend}) 2 entries { [10, 14] => 'a', [15, 15] => { id: 7 } }`);
      expect(text).not.toMatch(/core|pageBuf|ctx|lock|cloneGuard/);
    });

    it('stops at maxArrayLength and says how many are left', () => {
      const tree = make<number>();
      for (let i = 0; i < 5; i++) tree.store(i * 2, i);
      expect(inspect(tree, { maxArrayLength: 2 })).toBe(`MapleTree(${tree.backend}) 5 entries { [0, 0] => 0, [2, 2] => 1, … 3 more }`);
    });

    it('shows an empty and a freed tree', () => {
      const tree = make();
      expect(inspect(tree)).toBe(`MapleTree(${tree.backend}) 0 entries {}`);
      tree.free();
      expect(inspect(tree)).toBe(`MapleTree(${tree.backend}) <freed>`);
    });

    it('nests inside other values by depth', () => {
      const tree = make<{ deep: { deeper: { deepest: number } } }>();
      tree.store(1, { deep: { deeper: { deepest: 1 } } });
      expect(inspect({ tree }, { depth: 0 })).toBe(`{ tree: MapleTree(${tree.backend}) 1 entry { … } }`);
      expect(inspect({ tree }, { depth: 2 })).toContain('deep: { deeper: [Object] }');
    });
  });

  describe('free() and Symbol.dispose', () => {
    it('returns every node and the header and releases the entries', () => {
      const probe = make();
      const core = probe._core as Partial<CoreAdapter>;
      probe.free();
      const liveBefore = core.liveNodes?.();
      const entriesBefore = probe._core.entries.liveCount;
      const tree = make<number>();
      for (let i = 0; i < 5000; i++) tree.storeRange(i * 4, i * 4 + 2, i);
      expect(tree.nodeCount).toBeGreaterThan(100);
      expect(probe._core.entries.liveCount - entriesBefore).toBe(5000);
      tree.free();
      expect(core.liveNodes?.()).toBe(liveBefore);
      expect(probe._core.entries.liveCount).toBe(entriesBefore);
    });

    it('afterwards every call throws EINVAL; free and dispose again do nothing', () => {
      const tree = make<string>({ allocRange: true });
      tree.store(1, 'a');
      const mas = tree.state(0);
      const iterator = tree.entries();
      tree.free();
      const calls: (() => unknown)[] = [
        () => tree.load(1), () => tree.has(1), () => tree.store(2, 'b'), () => tree.storeRange(2, 3, 'b'),
        () => tree.insert(2, 'b'), () => tree.insertRange(2, 3, 'b'), () => tree.erase(1), () => tree.find(0),
        () => tree.next(0), () => tree.prev(9), () => tree.entries(), () => tree.keys(), () => tree.values(),
        () => tree.forEach(() => {}), () => tree.allocRange(1, 'x'), () => tree.allocRRange(1, 'x'),
        () => tree.allocCyclic('x', 0, 9, 0), () => tree.dup(), () => tree.destroy(), () => tree.validate(),
        () => tree.nodes(), () => tree.dump(), () => tree.toJSON(), () => tree.lock(), () => tree.unlock(),
        () => tree.isLocked(), () => tree.state(0), () => tree.isEmpty(), () => tree.size, () => tree.height,
        () => tree.nodeCount, () => tree.gapTracking, () => JSON.stringify(tree), () => [...tree],
        () => mas.walk(), () => mas.find(), () => mas.next(), () => mas.prev(), () => mas.findRev(),
        () => mas.emptyArea(0, 9, 1), () => mas.store('x'), () => mas.erase(), () => mas.preallocate('x'),
        () => mas.destroy(), () => iterator.next(),
      ];
      for (const call of calls) expectMapleError(call, 'EINVAL', /freed/);
      expect(() => tree.free()).not.toThrow();
      expect(() => tree[Symbol.dispose]()).not.toThrow();
      expect(tree.backend).toBeTypeOf('string');
    });

    it('a forEach callback that frees the tree ends the walk with EINVAL', () => {
      const tree = make<number>();
      for (let i = 0; i < 600; i++) tree.store(i, i);
      let seen = 0;
      expectMapleError(() => tree.forEach(() => { if (++seen === 3) tree.free(); }), 'EINVAL', /freed/);
      expect(seen).toBe(3);
    });

    it('free() takes the tree lock like destroy()', () => {
      const tree = make();
      tree.lock();
      expectMapleError(() => tree.free(), 'EDEADLK');
      tree.unlock();
      tree.free();
    });

    it('Symbol.dispose frees the tree', () => {
      const tree = make<number>();
      tree.store(1, 1);
      tree[Symbol.dispose]();
      expectMapleError(() => tree.load(1), 'EINVAL', /freed/);
    });

    it('a dup survives freeing its source', () => {
      const tree = make<number>();
      for (let i = 0; i < 100; i++) tree.store(i, i);
      const copy = tree.dup();
      tree.free();
      expect(copy.size).toBe(100);
      copy.validate();
      copy.free();
    });
  });

  describe('ZERO_ENTRY typing', () => {
    it('can be stored in a typed tree and readers that return it say so', () => {
      const tree = make<string>();
      tree.store(1, ZERO_ENTRY);
      tree.insertRange(5, 6, ZERO_ENTRY);
      const erased: string | typeof ZERO_ENTRY | undefined = tree.erase(1);
      expect(isZeroEntry(erased)).toBe(true);
      tree.lock();
      const walked = tree.state(5).walk();
      expect(isZeroEntry(walked)).toBe(true);
      const old = tree.state(5, 6).store('x');
      expect(old).toBe(ZERO_ENTRY);
      tree.unlock();
      expect(isZeroEntry('x')).toBe(false);
    });
  });
});
