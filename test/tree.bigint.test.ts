/**
 * The public API of bigint-keyed trees ({ keys: 'bigint' }) on both backends: construction,
 * every method at the top of the u64 space (the kernel's limits at ULONG_MAX), and every bad
 * input — a number on a bigint tree, a bigint on a number tree, negatives, 2^64, fractions,
 * non-numbers — refused with EINVAL naming the method and the argument, the tree unchanged.
 */

import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX_64, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { MaState } from '../src/tree/MaState.js';
import { ZERO_ENTRY } from '../src/tree/zeroEntry.js';
import * as entry from '../src/index.js';

const MAX = MAX_INDEX_64;
const HIGH = 0xffff_8000_0000_0000n; // where x86-64 kernel addresses start

type BigTree = MapleTree<string, bigint>;

const backends = ['wasm', 'ts'] as const;

function make(backend: (typeof backends)[number], extra: Omit<MapleTreeOptions<bigint>, 'keys'> = {}): BigTree {
  return new MapleTree<string, bigint>({ backend, keys: 'bigint', ...extra });
}

/** The MapleError a call throws (fails the test when it does not throw one). */
function errorOf(call: () => unknown): MapleError {
  try {
    call();
  } catch (err) {
    if (err instanceof MapleError) return err;
    throw err;
  }
  throw new Error('expected a MapleError');
}

/** A tree with ranges near 0, 2^63 and the top, for checks that must leave it unchanged. */
function populated(backend: (typeof backends)[number]): BigTree {
  const tree = make(backend, { allocRange: true });
  tree.storeRange(10n, 19n, 'low');
  tree.storeRange(1n << 63n, (1n << 63n) + 99n, 'mid');
  tree.storeRange(HIGH, MAX - 1n, 'kernel');
  tree.store(MAX, 'top');
  return tree;
}

describe('MAX_INDEX_64', () => {
  it('is 2^64 - 1, exported from the package root', () => {
    expect(MAX_INDEX_64).toBe(2n ** 64n - 1n);
    expect(entry.MAX_INDEX_64).toBe(MAX_INDEX_64);
  });
});

describe.each(backends)('bigint trees (%s)', (backend) => {
  it('construct by new, create and from, and report their backend', async () => {
    const a = make(backend);
    const b = await MapleTree.create<string, bigint>({ backend, keys: 'bigint' });
    const c = MapleTree.from<string, bigint>([[0n, 9n, 'a'], [MAX, MAX, 'z']], { backend, keys: 'bigint' });
    for (const t of [a, b, c]) expect(t.backend).toBe(backend);
    expect(c.toJSON()).toEqual([[0n, 9n, 'a'], [MAX, MAX, 'z']]);
    c.validate();
    expect(a.isEmpty()).toBe(true);
  });

  it('store, insert, load, has and erase across the whole space', () => {
    const tree = populated(backend);
    expect(tree.load(15n)).toBe('low');
    expect(tree.load(HIGH)).toBe('kernel');
    expect(tree.load(MAX)).toBe('top');
    expect(tree.has(MAX - 1n)).toBe(true);
    expect(tree.has(HIGH - 1n)).toBe(false);
    expect(errorOf(() => tree.insert(MAX, 'again')).code).toBe('EEXIST');
    tree.insert(HIGH - 1n, 'below');
    expect(tree.erase(MAX - 5n)).toBe('kernel');
    expect(tree.load(HIGH)).toBeUndefined();
    expect(tree.erase(MAX)).toBe('top');
    expect(tree.erase(MAX)).toBeUndefined();
    tree.storeRange(0n, MAX, 'all');
    expect(tree.toJSON()).toEqual([[0n, MAX, 'all']]);
    expect(tree.size).toBe(1);
    tree.storeRange(0n, MAX, null);
    expect(tree.isEmpty()).toBe(true);
    tree.validate();
  });

  it('find, next and prev stop at the ends of the space as mt_find/mt_next/mt_prev', () => {
    const tree = populated(backend);
    expect(tree.find(0n)).toEqual({ first: 10n, last: 19n, entry: 'low' });
    expect(tree.find(MAX)).toEqual({ first: MAX, last: MAX, entry: 'top' });
    expect(tree.find(MAX, MAX - 1n)).toBeUndefined(); // index > max
    expect(tree.next(HIGH)).toEqual({ first: MAX, last: MAX, entry: 'top' });
    expect(tree.next(MAX)).toBeUndefined(); // past the last range: no wrap to 0
    expect(tree.next(20n, (1n << 63n) - 1n)).toBeUndefined();
    expect(tree.prev(MAX)).toEqual({ first: HIGH, last: MAX - 1n, entry: 'kernel' });
    expect(tree.prev(10n)).toBeUndefined();
    expect(tree.prev(0n)).toBeUndefined();
  });

  it('entries, keys, values, forEach, toJSON, size and loadMany take and return bigints', () => {
    const tree = populated(backend);
    const all: [bigint, bigint, string][] = [[10n, 19n, 'low'], [1n << 63n, (1n << 63n) + 99n, 'mid'], [HIGH, MAX - 1n, 'kernel'], [MAX, MAX, 'top']];
    expect([...tree]).toEqual(all);
    expect([...tree.entries(MAX - 1n, MAX)]).toEqual(all.slice(2));
    expect([...tree.entries(MAX, MAX)]).toEqual(all.slice(3));
    expect([...tree.keys(0n, 1n << 63n)]).toEqual([[10n, 19n], [1n << 63n, (1n << 63n) + 99n]]);
    expect([...tree.values(HIGH)]).toEqual(['kernel', 'top']);
    const seen: unknown[] = [];
    tree.forEach((e, f, l) => { seen.push([f, l, e]); }, 19n);
    expect(seen).toEqual(all);
    const stopped: unknown[] = [];
    tree.forEach((e) => { stopped.push(e); return false; });
    expect(stopped).toEqual(['low']);
    expect(tree.toJSON()).toEqual(all);
    expect(tree.size).toBe(4);
    expect(tree.loadMany([0n, 10n, MAX, HIGH, MAX - 1n, 1n << 63n])).toEqual([undefined, 'low', 'top', 'kernel', 'kernel', 'mid']);
    expect(tree.loadMany(new BigUint64Array([MAX, 0n, 12n, 13n, 14n]))).toEqual(['top', undefined, 'low', 'low', 'low']);
  });

  it('iterates past one page of ranges up to the last index', () => {
    const tree = make(backend);
    const n = 700;
    for (let i = 0; i < n; i++) tree.store(MAX - BigInt(2 * i), `v${i}`);
    expect(tree.size).toBe(n);
    const keys = [...tree.keys()].map(([f]) => f);
    expect(keys.length).toBe(n);
    expect(keys[n - 1]).toBe(MAX);
    let count = 0;
    tree.forEach(() => { count++; });
    expect(count).toBe(n);
    tree.validate();
  });

  it('gap searches and allocations reach the top of the space, with align and nospan', () => {
    const tree = make(backend, { allocRange: true });
    expect(tree.allocRRange(16n, 'r')).toBe(MAX - 15n);
    expect(tree.allocRRange(16n, 'a', 0n, MAX, { align: 1n << 12n })).toBe(MAX - 0xfffn);
    expect(tree.allocRange(1n << 20n, 'b', HIGH, MAX, { align: 1n << 21n })).toBe(HIGH);
    expect(tree.allocRange(16n, 'c', (1n << 63n) - 8n, MAX, { nospan: 1n << 63n })).toBe(1n << 63n);
    expect(errorOf(() => tree.allocRange(32n, 'x', MAX - 15n, MAX)).code).toBe('EINVAL'); // window smaller than size
    expect(errorOf(() => tree.allocRange(16n, 'x', MAX - 15n, MAX)).code).toBe('EBUSY');
    const mas = tree.state();
    mas.emptyAreaRev(0n, MAX, 1n);
    expect([mas.index, mas.last]).toEqual([MAX - 16n, MAX - 16n]);
    mas.reset();
    mas.emptyArea(HIGH, MAX, 1n << 40n, { align: 1n << 40n });
    expect(mas.index).toBe(HIGH + (1n << 40n));
    expect(mas.last).toBe(HIGH + (2n << 40n) - 1n);
    tree.validate();
  });

  it('a gap window exactly size long is searched; one unit shorter, reversed or out of the space is EINVAL naming the fault', () => {
    const tree = make(backend, { allocRange: true });
    tree.storeRange(0n, 9n, 'low');
    const search = (min: unknown, max: unknown, size: unknown) => {
      const mas = tree.state();
      mas.emptyArea(min as bigint, max as bigint, size as bigint);
      return [mas.index, mas.last];
    };
    expect(search(10n, 25n, 16n)).toEqual([10n, 25n]);
    expect(search(MAX - 15n, MAX, 16n)).toEqual([MAX - 15n, MAX]);
    expect(search(0n, MAX, MAX - 9n)).toEqual([10n, MAX]);
    expect(errorOf(() => search(7n, 7n, 1n)).code).toBe('EBUSY'); // inside 'low': a valid window, no fit
    const fault = (min: unknown, max: unknown, size: unknown) => errorOf(() => search(min, max, size)).message;
    expect(fault(10n, 24n, 16n)).toBe('MaState.emptyArea: window [10, 24] is smaller than size 16');
    expect(fault(11n, 10n, 1n)).toBe('MaState.emptyArea: min (11) > max (10)');
    expect(fault(0n, MAX + 1n, 1n)).toMatch(/^MaState\.emptyArea: max must be a bigint in \[0n, MAX_INDEX_64\]/);
    expect(fault(-1n, MAX, 1n)).toMatch(/^MaState\.emptyArea: min must be a bigint/);
    expect(fault(0n, MAX, MAX + 1n)).toMatch(/^MaState\.emptyArea: size must be a bigint in \[1n, MAX_INDEX_64\]/);
    expect(fault(0n, MAX, 0n)).toMatch(/^MaState\.emptyArea: size must be a bigint in \[1n, MAX_INDEX_64\]/);
    expect(fault(0n, MAX, 1)).toMatch(/^MaState\.emptyArea: size must be a bigint/);
    expect(fault(0, MAX, 1n)).toMatch(/^MaState\.emptyArea: min must be a bigint/);
    tree.validate();
  });

  it('allocCyclic wraps at 2^64 - 1 as mtree_alloc_cyclic does at ULONG_MAX', () => {
    const tree = make(backend, { allocRange: true });
    expect(tree.allocCyclic('a', MAX - 1n, MAX, MAX)).toEqual({ start: MAX, next: 0n, wrapped: false });
    // The wrap is remembered: the next allocation reports it.
    expect(tree.allocCyclic('b', MAX - 1n, MAX, 0n)).toEqual({ start: MAX - 1n, next: MAX, wrapped: true });
    expect(errorOf(() => tree.allocCyclic('c', MAX - 1n, MAX, 0n)).code).toBe('EBUSY');
    expect(tree.allocCyclic('d', 5n, MAX, MAX)).toEqual({ start: 5n, next: 6n, wrapped: true });
    tree.validate();
  });

  it('MaState walks, steps and overflows at the ends of the space', () => {
    const tree = populated(backend);
    const mas = tree.state(MAX);
    expect(mas).toBeInstanceOf(MaState);
    expect(mas.walk()).toBe('top');
    expect([mas.index, mas.last, mas.status]).toEqual([MAX, MAX, 'active']);
    expect(mas.next()).toBeUndefined();
    expect(mas.status).toBe('overflow');
    expect(mas.prev()).toBe('top'); // one step back from overflow
    expect(mas.prev()).toBe('kernel');
    expect(mas.prevRange()).toBeUndefined(); // the NULL range below HIGH
    expect(mas.last).toBe(HIGH - 1n);
    mas.set(0n);
    expect(mas.prev()).toBeUndefined();
    expect(mas.status).toBe('underflow');
    mas.setRange(HIGH, MAX);
    const found: unknown[] = [];
    for (let e = mas.find(); e !== undefined; e = mas.find()) found.push([mas.index, mas.last, e]);
    expect(found).toEqual([[HIGH, MAX - 1n, 'kernel'], [MAX, MAX, 'top']]);
    mas.set(MAX);
    expect(mas.findRev(HIGH)).toBe('top');
    expect(mas.findRev(HIGH)).toBe('kernel');
    expect(mas.findRev(HIGH)).toBeUndefined();
    mas.index = 5n;
    mas.last = 6n;
    expect([mas.index, mas.last]).toEqual([5n, 6n]);
  });

  it('MaState writers: store, erase, preallocate and storePrealloc at the top', () => {
    const tree = populated(backend);
    tree.lock();
    try {
      const mas = tree.state(MAX - 1n, MAX);
      expect(mas.store('new')).toBe('kernel');
      expect([mas.index, mas.last]).toEqual([MAX - 1n, MAX]);
      mas.set(MAX);
      expect(mas.erase()).toBe('new');
      expect([mas.index, mas.last]).toEqual([MAX - 1n, MAX]);
      mas.setRange(MAX - 3n, MAX);
      mas.preallocate('pre');
      mas.storePrealloc('pre');
    } finally {
      tree.unlock();
    }
    expect(tree.find(HIGH + 1n, MAX)).toEqual({ first: HIGH, last: MAX - 4n, entry: 'kernel' });
    expect(tree.load(MAX)).toBe('pre');
    tree.validate();
  });

  it('dup, destroy, free, reserve, ZERO_ENTRY, dump and inspect', () => {
    const tree = populated(backend);
    const copy = tree.dup();
    copy.store(0n, 'only-copy');
    expect(tree.load(0n)).toBeUndefined();
    expect(copy.toJSON().length).toBe(5);
    expect(copy.gapTracking).toBe(true);
    expect(copy.allocRange(1n, 'alloc', HIGH - 100n)).toBe(HIGH - 100n);
    tree.store(HIGH - 10n, ZERO_ENTRY);
    expect(tree.load(HIGH - 10n)).toBeUndefined();
    expect(errorOf(() => tree.insert(HIGH - 10n, 'x')).code).toBe('EEXIST');
    expect(tree.state(HIGH - 10n).walk()).toBe(ZERO_ENTRY);
    const job = tree.reserve(2);
    job.run(() => { tree.store(7n, 'seven'); tree.erase(7n); });
    expect(job.remaining).toBe(0);
    expect(tree.dump()).toContain('18446744073709551615');
    expect(inspect(tree)).toContain('bigint keys');
    expect(inspect(tree)).toContain('[18446744073709551615, 18446744073709551615]');
    tree.destroy();
    expect(tree.isEmpty()).toBe(true);
    tree.store(MAX, 'after destroy');
    tree.free();
    expect(errorOf(() => tree.load(MAX)).code).toBe('EINVAL');
    copy.validate();
    copy.free();
  });
});

/** Arguments no bigint tree takes, by why. */
const NOT_BIGINT_KEYS: [string, unknown][] = [
  ['a number', 5],
  ['a negative bigint', -1n],
  ['2^64', 2n ** 64n],
  ['a fraction', 1.5],
  ['a string', '5'],
  ['null', null],
  ['NaN', Number.NaN],
  ['an object', {}],
];

/** Every method of a bigint tree with one argument replaced by `bad` (`name` is the argument). */
function bigintCalls(tree: BigTree, bad: unknown): [string, string, () => unknown][] {
  const b = bad as bigint;
  const mas = () => tree.state(20n);
  return [
    ['MapleTree.load', 'index', () => tree.load(b)],
    ['MapleTree.has', 'index', () => tree.has(b)],
    ['MapleTree.store', 'index', () => tree.store(b, 'x')],
    ['MapleTree.storeRange', 'first', () => tree.storeRange(b, 30n, 'x')],
    ['MapleTree.storeRange', 'last', () => tree.storeRange(0n, b, 'x')],
    ['MapleTree.insert', 'index', () => tree.insert(b, 'x')],
    ['MapleTree.insertRange', 'first', () => tree.insertRange(b, 30n, 'x')],
    ['MapleTree.insertRange', 'last', () => tree.insertRange(0n, b, 'x')],
    ['MapleTree.erase', 'index', () => tree.erase(b)],
    ['MapleTree.find', 'index', () => tree.find(b)],
    ['MapleTree.find', 'max', () => tree.find(0n, b)],
    ['MapleTree.next', 'index', () => tree.next(b)],
    ['MapleTree.next', 'max', () => tree.next(0n, b)],
    ['MapleTree.prev', 'index', () => tree.prev(b)],
    ['MapleTree.prev', 'min', () => tree.prev(MAX, b)],
    ['MapleTree.entries', 'first', () => tree.entries(b)],
    ['MapleTree.entries', 'last', () => tree.entries(0n, b)],
    ['MapleTree.keys', 'first', () => tree.keys(b)],
    ['MapleTree.values', 'last', () => tree.values(0n, b)],
    ['MapleTree.forEach', 'first', () => tree.forEach(() => {}, b)],
    ['MapleTree.forEach', 'last', () => tree.forEach(() => {}, 0n, b)],
    ['MapleTree.loadMany', 'indices[1]', () => tree.loadMany([0n, b, 2n, 3n, 4n])],
    ['MapleTree.allocRange', 'size', () => tree.allocRange(b, 'x')],
    ['MapleTree.allocRange', 'min', () => tree.allocRange(1n, 'x', b)],
    ['MapleTree.allocRange', 'max', () => tree.allocRange(1n, 'x', 0n, b)],
    ['MapleTree.allocRange', 'align', () => tree.allocRange(1n, 'x', 0n, MAX, { align: b })],
    ['MapleTree.allocRRange', 'nospan', () => tree.allocRRange(1n, 'x', 0n, MAX, { nospan: b })],
    ['MapleTree.allocCyclic', 'lo', () => tree.allocCyclic('x', b, MAX, 0n)],
    ['MapleTree.allocCyclic', 'hi', () => tree.allocCyclic('x', 0n, b, 0n)],
    ['MapleTree.allocCyclic', 'next', () => tree.allocCyclic('x', 0n, MAX, b)],
    ['MapleTree.state', 'first', () => tree.state(b)],
    ['MapleTree.state', 'last', () => tree.state(0n, b)],
    ['MaState.set', 'index', () => mas().set(b)],
    ['MaState.setRange', 'first', () => mas().setRange(b, 30n)],
    ['MaState.index', 'index', () => { mas().index = b; }],
    ['MaState.last', 'last', () => { mas().last = b; }],
    ['MaState.find', 'max', () => mas().find(b)],
    ['MaState.findRange', 'max', () => mas().findRange(b)],
    ['MaState.next', 'max', () => mas().next(b)],
    ['MaState.nextRange', 'max', () => mas().nextRange(b)],
    ['MaState.prev', 'min', () => mas().prev(b)],
    ['MaState.prevRange', 'min', () => mas().prevRange(b)],
    ['MaState.findRev', 'min', () => mas().findRev(b)],
    ['MaState.emptyArea', 'size', () => mas().emptyArea(0n, MAX, b)],
    ['MaState.emptyArea', 'min', () => mas().emptyArea(b, MAX, 1n)],
    ['MaState.emptyAreaRev', 'max', () => mas().emptyAreaRev(0n, b, 1n)],
    ['MaState.emptyAreaRev', 'align', () => mas().emptyAreaRev(0n, MAX, 1n, { align: b })],
  ];
}

describe.each(backends)('bad input on bigint and number trees (%s)', (backend) => {
  describe.each(NOT_BIGINT_KEYS)('%s on a bigint tree', (_why, bad) => {
    it('is EINVAL naming the method and argument, the tree unchanged', () => {
      const tree = populated(backend);
      const before = tree.toJSON();
      for (const [method, arg, call] of bigintCalls(tree, bad)) {
        const err = errorOf(call);
        expect(err.code, `${method} ${arg}`).toBe('EINVAL');
        expect(err.message, `${method} ${arg}`).toContain(method);
        // A non-power-of-two that is a valid key names the option all the same.
        expect(err.message, `${method} ${arg}`).toContain(arg);
      }
      expect(tree.toJSON()).toEqual(before);
      tree.validate();
    });
  });

  it('align and nospan must be bigint powers of two, nospan at least size', () => {
    const tree = populated(backend);
    const before = tree.toJSON();
    for (const opts of [{ align: 3n }, { align: 0n }, { nospan: 12n }, { nospan: 2n }, { align: 4 }, { nospan: 1 << 20 }]) {
      const err = errorOf(() => tree.allocRange(4n, 'x', 0n, MAX, opts as never));
      expect(err.code).toBe('EINVAL');
      expect(err.message).toMatch(/align|nospan/);
    }
    expect(tree.toJSON()).toEqual(before);
  });

  it('a bigint on a number tree is EINVAL, the tree unchanged', () => {
    const tree = new MapleTree<string>({ backend, allocRange: true });
    tree.storeRange(10, 19, 'a');
    const b = 5n as unknown as number;
    const calls: [string, () => unknown][] = [
      ['MapleTree.load', () => tree.load(b)],
      ['MapleTree.store', () => tree.store(b, 'x')],
      ['MapleTree.storeRange', () => tree.storeRange(0, b, 'x')],
      ['MapleTree.insertRange', () => tree.insertRange(b, 30, 'x')],
      ['MapleTree.erase', () => tree.erase(b)],
      ['MapleTree.find', () => tree.find(b)],
      ['MapleTree.next', () => tree.next(0, b)],
      ['MapleTree.prev', () => tree.prev(b)],
      ['MapleTree.entries', () => tree.entries(b)],
      ['MapleTree.forEach', () => tree.forEach(() => {}, 0, b)],
      ['MapleTree.loadMany', () => tree.loadMany([1, 2, b, 4])],
      ['MapleTree.allocRange', () => tree.allocRange(b, 'x')],
      ['MapleTree.allocRRange', () => tree.allocRRange(1, 'x', 0, 100, { align: b })],
      ['MapleTree.allocCyclic', () => tree.allocCyclic('x', 0, 100, b)],
      ['MapleTree.state', () => tree.state(b)],
      ['MaState.emptyArea', () => tree.state().emptyArea(0, b, 1)],
      ['MaState.set', () => tree.state().set(b)],
    ];
    for (const [method, call] of calls) {
      const err = errorOf(call);
      expect(err.code, method).toBe('EINVAL');
      expect(err.message, method).toContain(method);
      expect(err.message, method).toContain('5n');
    }
    expect(tree.toJSON()).toEqual([[10, 19, 'a']]);
    tree.validate();
  });

  it('MapleTree.from refuses numbers, bad order and overlaps on a bigint tree', () => {
    const opts = { backend, keys: 'bigint' } as const;
    const bad: unknown[][] = [
      [[0, 9n, 'a']],
      [[0n, 9, 'a']],
      [[5n, 4n, 'a']],
      [[0n, 9n, 'a'], [9n, 10n, 'b']],
      [[MAX, 2n ** 64n, 'a']],
      [[-1n, 0n, 'a']],
    ];
    for (const ranges of bad) {
      const err = errorOf(() => MapleTree.from<string, bigint>(ranges as [bigint, bigint, string][], opts));
      expect(err.code).toBe('EINVAL');
      expect(err.message).toContain('MapleTree.from');
      expect(err.message).toContain('ranges[');
    }
    expect(errorOf(() => MapleTree.from<string>([[0n as unknown as number, 1, 'a']], { backend })).message).toContain('ranges[0][0]');
  });

  it('option keys is checked; shared bigint trees are refused', () => {
    for (const keys of ['int', 64, true, null]) {
      const err = errorOf(() => new MapleTree({ backend, keys: keys as never }));
      expect(err.code).toBe('EINVAL');
      expect(err.message).toContain('keys');
    }
    const shared = errorOf(() => new MapleTree<number, bigint>({ backend, keys: 'bigint', shared: true }));
    expect(shared.code).toBe('EINVAL');
    expect(shared.message).toContain("keys: 'bigint'");
    expect(errorOf(() => new MapleTree<number, bigint>({ backend: 'gpu' as never, keys: 'bigint' })).message).toContain('backend');
    expect(new MapleTree({ backend, keys: 'number' }).load(0)).toBeUndefined();
  });
});
