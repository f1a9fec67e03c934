import { describe, expect, it } from 'vitest';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import type { MaState } from '../src/tree/MaState.js';
import { backends } from './support/backends.js';
import { expectMapleError, expectUnchangedAfterError, RangeModel, snapshotOf } from './support/model.js';

/** Everything that is not an index: fractions, negatives, NaN, strings, > MAX_INDEX, ... */
const BAD_INDICES: unknown[] = [1.5, -1, -0.5, NaN, '5', MAX_INDEX + 1, 2 ** 64, Infinity, -Infinity, null, {}, 5n, true];
const BAD_SIZES: unknown[] = [0, -1, 1.5, NaN, '1', MAX_INDEX + 1, Infinity, null];

type Tree = MapleTree<string>;
type Call = [name: string, run: (tree: Tree, bad: never) => unknown];

const treeCalls: Call[] = [
  ['load(index)', (t, b) => t.load(b)],
  ['store(index)', (t, b) => t.store(b, 'x')],
  ['storeRange(first)', (t, b) => t.storeRange(b, 10, 'x')],
  ['storeRange(last)', (t, b) => t.storeRange(0, b, 'x')],
  ['insert(index)', (t, b) => t.insert(b, 'x')],
  ['insertRange(first)', (t, b) => t.insertRange(b, 10, 'x')],
  ['insertRange(last)', (t, b) => t.insertRange(0, b, 'x')],
  ['erase(index)', (t, b) => t.erase(b)],
  ['find(index)', (t, b) => t.find(b)],
  ['find(max)', (t, b) => t.find(0, b)],
  ['next(index)', (t, b) => t.next(b)],
  ['next(max)', (t, b) => t.next(0, b)],
  ['prev(index)', (t, b) => t.prev(b)],
  ['prev(min)', (t, b) => t.prev(MAX_INDEX, b)],
  ['entries(first)', (t, b) => t.entries(b)],
  ['entries(last)', (t, b) => t.entries(0, b)],
  ['forEach(first)', (t, b) => t.forEach(() => undefined, b)],
  ['forEach(last)', (t, b) => t.forEach(() => undefined, 0, b)],
  ['allocRange(min)', (t, b) => t.allocRange(1, 'x', b)],
  ['allocRange(max)', (t, b) => t.allocRange(1, 'x', 0, b)],
  ['allocRRange(min)', (t, b) => t.allocRRange(1, 'x', b)],
  ['allocRRange(max)', (t, b) => t.allocRRange(1, 'x', 0, b)],
  ['allocCyclic(lo)', (t, b) => t.allocCyclic('x', b, 100, 0)],
  ['allocCyclic(hi)', (t, b) => t.allocCyclic('x', 0, b, 0)],
  ['allocCyclic(next)', (t, b) => t.allocCyclic('x', 0, 100, b)],
  ['state(index)', (t, b) => t.state(b)],
  ['state(last)', (t, b) => t.state(0, b)],
];

const sizeCalls: Call[] = [
  ['allocRange(size)', (t, b) => t.allocRange(b, 'x')],
  ['allocRRange(size)', (t, b) => t.allocRRange(b, 'x')],
  ['state().emptyArea(size)', (t, b) => t.state().emptyArea(0, 100, b)],
  ['state().emptyAreaRev(size)', (t, b) => t.state().emptyAreaRev(0, 100, b)],
];

type StateCall = [name: string, run: (mas: MaState<string>, bad: never) => unknown];

const stateCalls: StateCall[] = [
  ['set', (m, b) => m.set(b)],
  ['setRange(first)', (m, b) => m.setRange(b, 10)],
  ['setRange(last)', (m, b) => m.setRange(0, b)],
  ['find', (m, b) => m.find(b)],
  ['findRange', (m, b) => m.findRange(b)],
  ['findRev', (m, b) => m.findRev(b)],
  ['findRangeRev', (m, b) => m.findRangeRev(b)],
  ['next', (m, b) => m.next(b)],
  ['nextRange', (m, b) => m.nextRange(b)],
  ['prev', (m, b) => m.prev(b)],
  ['prevRange', (m, b) => m.prevRange(b)],
  ['emptyArea(min)', (m, b) => m.emptyArea(b, 100, 1)],
  ['emptyArea(max)', (m, b) => m.emptyArea(0, b, 1)],
  ['emptyAreaRev(min)', (m, b) => m.emptyAreaRev(b, 100, 1)],
  ['emptyAreaRev(max)', (m, b) => m.emptyAreaRev(0, b, 1)],
  ['index =', (m, b) => (m.index = b)],
  ['last =', (m, b) => (m.last = b)],
];

describe.each(backends)('MapleTree errors ($name backend)', ({ options }) => {
  const make = (extra: MapleTreeOptions = {}, populate = true): Tree => {
    const tree = new MapleTree<string>({ ...options(), allocRange: true, ...extra });
    for (let i = 0; populate && i < 40; i++) tree.storeRange(i * 10, i * 10 + 4, `v${i}`);
    return tree;
  };

  describe('bad input leaves the tree unchanged', () => {
    it.each(treeCalls)('MapleTree.%s', (_name, call) => {
      const tree = make();
      for (const bad of BAD_INDICES) {
        const err = expectUnchangedAfterError(tree, () => call(tree, bad as never), 'EINVAL');
        expect(err.message).toMatch(/^MapleTree\.\w+: /);
      }
    });

    it.each(sizeCalls)('%s', (_name, call) => {
      const tree = make();
      for (const bad of BAD_SIZES) expectUnchangedAfterError(tree, () => call(tree, bad as never), 'EINVAL');
    });

    it.each(stateCalls)('MaState.%s', (_name, call) => {
      const tree = make();
      const mas = tree.state(15);
      for (const bad of BAD_INDICES) {
        const err = expectUnchangedAfterError(tree, () => call(mas, bad as never), 'EINVAL');
        expect(err.message).toMatch(/^MaState\.\w+/);
      }
      expect(mas.index).toBe(15);
      expect(mas.last).toBe(15);
      expect(mas.status).toBe('start');
    });

    it('first > last', () => {
      const tree = make();
      expectUnchangedAfterError(tree, () => tree.storeRange(11, 10, 'x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.insertRange(1000, 999, 'x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.state(5, 4), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.state().setRange(5, 4), 'EINVAL');
    });

    it('null entries where an entry is required', () => {
      const tree = make();
      for (const bad of [null, undefined]) {
        expectUnchangedAfterError(tree, () => tree.insert(1000, bad as never), 'EINVAL');
        expectUnchangedAfterError(tree, () => tree.insertRange(1000, 1005, bad as never), 'EINVAL');
        expectUnchangedAfterError(tree, () => tree.allocRange(1, bad as never), 'EINVAL');
        expectUnchangedAfterError(tree, () => tree.allocRRange(1, bad as never), 'EINVAL');
        expectUnchangedAfterError(tree, () => tree.allocCyclic(bad as never, 0, 10, 0), 'EINVAL');
      }
    });

    it('gap-search windows', () => {
      const tree = make();
      const mas = tree.state();
      expectUnchangedAfterError(tree, () => tree.allocRange(1, 'x', 10, 9), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.allocRRange(11, 'x', 0, 9), 'EINVAL');
      expectUnchangedAfterError(tree, () => mas.emptyArea(10, 9, 1), 'EINVAL');
      expectUnchangedAfterError(tree, () => mas.emptyAreaRev(0, 8, 10), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.allocCyclic('x', 10, 9, 0), 'EINVAL');
      expect(mas.status).toBe('start');
    });

    it('allocators on a tree without allocRange', () => {
      const tree = make({ allocRange: false });
      expectUnchangedAfterError(tree, () => tree.allocRange(1, 'x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.allocRRange(1, 'x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => tree.allocCyclic('x', 0, 10, 0), 'EINVAL');
    });

    it('a forEach callback that is not a function', () => {
      const tree = make();
      expectMapleError(() => tree.forEach(42 as never), 'EINVAL');
    });

    it('MaState.status accepts only kernel statuses', () => {
      const mas = make().state();
      expectMapleError(() => (mas.status = 'paused' as never), 'EINVAL');
      mas.status = 'none';
      expect(mas.status).toBe('none');
    });

    it('MaState writers refuse index > last', () => {
      const tree = make();
      tree.lock();
      const mas = tree.state(20);
      mas.index = 30;
      expectUnchangedAfterError(tree, () => mas.store('x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => mas.preallocate('x'), 'EINVAL');
      expectUnchangedAfterError(tree, () => mas.storePrealloc('x'), 'EINVAL');
      tree.unlock();
    });
  });

  describe('internal lock', () => {
    const writers: [string, (t: Tree) => unknown][] = [
      ['store', (t) => t.store(1000, 'x')],
      ['storeRange', (t) => t.storeRange(1000, 1010, 'x')],
      ['insert', (t) => t.insert(1000, 'x')],
      ['insertRange', (t) => t.insertRange(1000, 1010, 'x')],
      ['erase', (t) => t.erase(10)],
      ['erase of an empty index', (t) => t.erase(7)],
      ['allocRange', (t) => t.allocRange(1, 'x')],
      ['allocRRange', (t) => t.allocRRange(1, 'x')],
      ['allocCyclic', (t) => t.allocCyclic('x', 0, 100, 0)],
      ['destroy', (t) => t.destroy()],
      ['dup', (t) => t.dup()],
    ];

    it.each(writers)('%s while the lock is held is EDEADLK', (_name, write) => {
      const tree = make();
      tree.lock();
      const err = expectUnchangedAfterError(tree, () => write(tree), 'EDEADLK');
      expect(err.errno).toBe(-35);
      tree.unlock();
      write(tree);
      expect(tree.isLocked()).toBe(false);
    });

    it('readers run while the lock is held', () => {
      const tree = make();
      tree.lock();
      expect(tree.load(10)).toBe('v1');
      expect(tree.find(11)?.entry).toBe('v1');
      expect(tree.next(10)?.entry).toBe('v2');
      expect(tree.prev(20)?.entry).toBe('v1');
      expect([...tree.entries(0, 20)].length).toBe(3);
      expect(tree.isEmpty()).toBe(false);
      tree.validate();
      expect(tree.dump()).toContain('v1');
      expect(tree.state(10).walk()).toBe('v1');
      tree.unlock();
    });

    it('lock() twice is EDEADLK, unlock() unheld is EINVAL', () => {
      const tree = make();
      expect(tree.isLocked()).toBe(false);
      tree.lock();
      expect(tree.isLocked()).toBe(true);
      expectMapleError(() => tree.lock(), 'EDEADLK');
      tree.unlock();
      expectMapleError(() => tree.unlock(), 'EINVAL');
    });

    it('MaState writers need the lock (ENOLCK)', () => {
      const tree = make();
      const mas = tree.state(1000, 1005);
      expectUnchangedAfterError(tree, () => mas.store('x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => mas.erase(), 'ENOLCK');
      expectUnchangedAfterError(tree, () => mas.preallocate('x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => mas.storePrealloc('x'), 'ENOLCK');
      tree.lock();
      expect(mas.store('x')).toBeUndefined();
      tree.unlock();
      expect(tree.load(1003)).toBe('x');
    });

    it('a throwing write releases the lock it took', () => {
      const tree = make();
      expectMapleError(() => tree.insert(10, 'x'), 'EEXIST');
      expect(tree.isLocked()).toBe(false);
    });
  });

  describe('external lock', () => {
    const external = () => {
      const lock = { held: false, isHeld: () => lock.held };
      return lock;
    };

    it('every write asserts the lock is held (ENOLCK)', () => {
      const lock = external();
      lock.held = true;
      const tree = make({ lock });
      lock.held = false;
      expect(tree.isLocked()).toBe(false);
      const err = expectUnchangedAfterError(tree, () => tree.store(1000, 'x'), 'ENOLCK');
      expect(err.errno).toBe(-37);
      expectUnchangedAfterError(tree, () => tree.storeRange(1000, 1001, 'x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.insert(1000, 'x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.insertRange(1000, 1001, 'x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.erase(10), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.allocRange(1, 'x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.allocRRange(1, 'x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.allocCyclic('x', 0, 10, 0), 'ENOLCK');
      expectUnchangedAfterError(tree, () => tree.destroy(), 'ENOLCK');
      const mas = tree.state(1000);
      expectUnchangedAfterError(tree, () => mas.store('x'), 'ENOLCK');
      expectUnchangedAfterError(tree, () => mas.erase(), 'ENOLCK');
      expectUnchangedAfterError(tree, () => mas.preallocate('x'), 'ENOLCK');
      lock.held = true;
      expect(tree.isLocked()).toBe(true);
      tree.store(1000, 'x');
      mas.set(1001);
      mas.store('y');
      expect(tree.load(1001)).toBe('y');
    });

    it('lock() and unlock() are EINVAL', () => {
      const tree = make({ lock: external() }, false);
      expectMapleError(() => tree.lock(), 'EINVAL');
      expectMapleError(() => tree.unlock(), 'EINVAL');
    });

    it('dup keeps the external lock', () => {
      const lock = external();
      lock.held = true;
      const copy = make({ lock }).dup();
      lock.held = false;
      expectMapleError(() => copy.store(1, 'x'), 'ENOLCK');
    });
  });

  describe('node budget (maxNodes)', () => {
    /** Fills a budgeted tree with spread-out singletons until a store throws ENOMEM. */
    const fillUntilFull = (tree: Tree, model: RangeModel<string>): number => {
      for (let i = 0; i < 5000; i++) {
        try {
          tree.store(i * 3, `s${i}`);
          model.storeRange(i * 3, i * 3, `s${i}`);
        } catch (err) {
          expect(err).toBeInstanceOf(MapleError);
          expect((err as MapleError).code).toBe('ENOMEM');
          return i;
        }
      }
      throw new Error('the node budget was never reached');
    };

    it('ENOMEM leaves the tree unchanged and usable', () => {
      const tree = make({ maxNodes: 6 }, false);
      const model = new RangeModel<string>();
      const stored = fillUntilFull(tree, model);
      expect(stored).toBeGreaterThan(0);
      expect(snapshotOf(tree)).toEqual(model.snapshot());
      tree.validate();

      // Every kind of write either succeeds in full or throws ENOMEM with no effect.
      const attempts: [string, () => void, () => void][] = [
        ['store', () => tree.store(stored * 3 + 1, 'n'), () => model.storeRange(stored * 3 + 1, stored * 3 + 1, 'n')],
        ['insertRange', () => tree.insertRange(100000, 100010, 'n'), () => model.storeRange(100000, 100010, 'n')],
        ['storeRange', () => tree.storeRange(4, 40, 'w'), () => model.storeRange(4, 40, 'w')],
        ['allocRange', () => tree.allocRange(1, 'a', 1), () => model.storeRange(model.emptyArea(1, MAX_INDEX, 1, false), model.emptyArea(1, MAX_INDEX, 1, false), 'a')],
      ];
      for (const [name, write, apply] of attempts) {
        try {
          write();
          apply();
        } catch (err) {
          expect((err as MapleError).code, name).toBe('ENOMEM');
        }
        expect(snapshotOf(tree), name).toEqual(model.snapshot());
        tree.validate();
      }

      // Erasing may itself need nodes (a rebalance), so it too is all-or-nothing.
      for (let i = stored - 1; i >= 0; i -= 2) {
        try {
          expect(tree.erase(i * 3)).toBe(model.erase(i * 3));
        } catch (err) {
          expect((err as MapleError).code).toBe('ENOMEM');
        }
        expect(snapshotOf(tree)).toEqual(model.snapshot());
      }
      tree.validate();
      tree.destroy();
      tree.store(1, 'after');
      expect(snapshotOf(tree)).toEqual([[1, 1, 'after']]);
      tree.validate();
    });

    it('ENOMEM from allocCyclic keeps the remembered wrap', () => {
      const tree = make({ maxNodes: 6 }, false);
      tree.allocCyclic('top', 0, MAX_INDEX, MAX_INDEX);
      const model = new RangeModel<string>();
      model.storeRange(MAX_INDEX, MAX_INDEX, 'top');
      fillUntilFull(tree, model);
      let next = 0;
      let wrappedSeen = false;
      for (let i = 0; i < 200; i++) {
        const before = snapshotOf(tree);
        try {
          const r = tree.allocCyclic(`c${i}`, 1, MAX_INDEX - 1, next);
          wrappedSeen ||= r.wrapped;
          next = r.next;
        } catch (err) {
          expect((err as MapleError).code).toBe('ENOMEM');
          expect(snapshotOf(tree)).toEqual(before);
          break;
        }
      }
      // The wrap of the first allocation is reported by the first allocation that succeeds.
      tree.destroy();
      const r = tree.allocCyclic('fresh', 1, 10, 5);
      expect(r.wrapped || wrappedSeen).toBe(true);
    });

    it('preallocate reports ENOMEM up front; storePrealloc then cannot fail', () => {
      const tree = make({ maxNodes: 6 }, false);
      const model = new RangeModel<string>();
      const stored = fillUntilFull(tree, model);
      tree.lock();
      const mas = tree.state(stored * 3, stored * 3);
      expectUnchangedAfterError(tree, () => mas.preallocate('x'), 'ENOMEM');
      expect(mas.status).toBe('start');
      tree.unlock();

      const roomy = make({ maxNodes: 1000 }, false);
      roomy.lock();
      const state = roomy.state(1000, 1000);
      state.preallocate('p');
      expect(roomy._core.reservedCount(roomy._id)).toBeGreaterThanOrEqual(0);
      state.storePrealloc('p');
      expect(roomy._core.reservedCount(roomy._id)).toBe(0);
      expect(roomy.load(1000)).toBe('p');
      state.set(1001);
      state.preallocate(null);
      expectUnchangedAfterError(roomy, () => state.storePrealloc('not null'), 'EINVAL');
      state.destroy();
      expect(roomy._core.reservedCount(roomy._id)).toBe(0);
      roomy.unlock();
    });
  });
});
