import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { expectUnchangedAfterError } from './support/model.js';

describe.each(backends)('issue 15 fixes ($name backend)', ({ options }) => {
  const make = <V = unknown>(extra: MapleTreeOptions = {}) => new MapleTree<V>({ ...options(), ...extra });

  it('allocCyclic keeps the wrap flag when the first search fails and the second succeeds', () => {
    const tree = make<string>({ allocRange: true });
    tree.store(8, 'taken');
    tree.store(9, 'taken');
    // The first search [8, 9] fails, the second [0, 9] finds 0: wrapped, and the flag stays.
    expect(tree.allocCyclic('a', 0, 9, 8)).toEqual({ start: 0, next: 1, wrapped: true });
    // As mas_alloc_cyclic: this first search succeeds and consumes the remembered wrap.
    tree.storeRange(0, 9, null);
    tree.store(9, 'taken');
    tree.store(8, 'taken');
    expect(tree.allocCyclic('b', 0, 9, 0).wrapped).toBe(false);
  });

  it('allocCyclic reports the kept wrap on the next allocation after a MAX_INDEX wrap and a failed first search', () => {
    const tree = make<string>({ allocRange: true });
    const max = Number.MAX_SAFE_INTEGER;
    expect(tree.allocCyclic('top', 0, max, max)).toEqual({ start: max, next: 0, wrapped: false });
    tree.store(5, 'x');
    // First search [5, 5] fails, the second finds 0: wrapped (and the ALLOC_WRAPPED flag survives).
    expect(tree.allocCyclic('a', 0, 5, 5)).toMatchObject({ start: 0, wrapped: true });
    // The next first search succeeds and reports the wrap the kernel still remembers.
    expect(tree.allocCyclic('b', 0, 10, 1)).toMatchObject({ start: 1, wrapped: true });
    expect(tree.allocCyclic('c', 0, 10, 2)).toMatchObject({ start: 2, wrapped: false });
  });

  it('dump() and util.inspect never throw on an entry they cannot read (a revoked Proxy)', () => {
    const tree = make<object>();
    const { proxy, revoke } = Proxy.revocable({}, {});
    tree.store(3, proxy);
    tree.store(4, { ok: 1 });
    revoke();
    expect(tree.dump()).toContain('<unreadable>');
    const text = inspect(tree);
    expect(text).toMatch(/\[3, 3\] => <(unreadable|Revoked Proxy)>/);
    expect(text).toContain('ok: 1');
  });

  it('dup() of an external-lock tree asserts the lock (ENOLCK), as destroy() does', () => {
    let held = false;
    const tree = make<string>({ lock: { isHeld: () => held } });
    held = true;
    tree.store(1, 'a');
    held = false;
    expectUnchangedAfterError(tree, () => tree.dup(), 'ENOLCK');
    held = true;
    expect([...tree.dup()]).toEqual([[1, 1, 'a']]);
  });
});
