// White-box differential test of the TREE_KEYS64 calls (CoreBackend64 level) over the whole u64
// key space: seeded writes with keys clustered at 0, 2^53, 2^63 and 2^64 - 1 (and ranges that
// join clusters) against a naive range-list model, every range, lookup, search and page
// checked; WASM and the bigint TS core agree on every store type and tree shape; a bigint tree
// given only keys below 2^53 has the shape of a number tree given the same writes.
import { describe, it, expect } from 'vitest';
import type { CoreBackend, CoreBackend64 } from '../../src/backend/backend.js';
import { MODE_INSERT, MODE_OVERWRITE, OK, TREE_ALLOC_RANGE, TREE_KEYS64 } from '../../src/backend/layout.js';
import { createTsCore64, tsBackend, tsBackend64 } from '../../src/ts/TsBackend.js';
import { wasmBackend64 } from '../../src/wasm/load.js';
import * as tinyMem from '../generated/core64-tiny/mem.js';
import * as tinyCore from '../generated/core64-tiny/index.js';
import { Rng, seedFromEnv } from '../support/rng.js';

const MAX = (1n << 64n) - 1n;
/** Where keys cluster: both ends of the space and the two places a 53- or 63-bit value would break. */
const CLUSTERS = [0n, 1n << 53n, 1n << 63n, MAX] as const;
/** Keys fall within this distance of a cluster. */
const SPREAD = 3000;
const OPS = Number(process.env.OPS ?? 1500);

let tiny: CoreBackend64 | null = null;
const cores: { name: string; make: () => CoreBackend64 }[] = [
  { name: 'wasm', make: () => wasmBackend64() ?? fail('WASM core not initialised by test/setup.ts') },
  { name: 'ts', make: tsBackend64 },
  { name: 'ts-tiny-nodes', make: () => (tiny ??= createTsCore64(tinyCore, tinyMem)) },
];

function fail(message: string): never {
  throw new Error(message);
}

/** Ranges [first, last] -> handle, ascending and disjoint; absent indices are NULL. */
type Row = [first: bigint, last: bigint, handle: number];

class RangeModel {
  rows: Row[] = [];

  store(first: bigint, last: bigint, handle: number): void {
    const kept: Row[] = [];
    for (const [f, l, h] of this.rows) {
      if (l < first || f > last) kept.push([f, l, h]);
      else {
        if (f < first) kept.push([f, first - 1n, h]);
        if (l > last) kept.push([last + 1n, l, h]);
      }
    }
    if (handle !== 0) kept.push([first, last, handle]);
    this.rows = kept.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /** Every range of the space, NULL ranges (maximal) included. */
  all(): Row[] {
    const out: Row[] = [];
    let next = 0n;
    for (const [f, l, h] of this.rows) {
      if (f > next) out.push([next, f - 1n, 0]);
      out.push([f, l, h]);
      next = l + 1n;
    }
    if (next <= MAX) out.push([next, MAX, 0]);
    return out;
  }

  at(index: bigint): Row {
    return this.all().find(([f, l]) => f <= index && index <= l)!;
  }

  /** Lowest (or highest) [s, s + size - 1] inside [min, max] in a NULL range, s a multiple of align. */
  emptyArea(min: bigint, max: bigint, size: bigint, rev: boolean, align: bigint): bigint | null {
    const gaps = this.all().filter((r) => r[2] === 0);
    for (const [f, l] of rev ? gaps.reverse() : gaps) {
      const lo = f > min ? f : min;
      const hi = l < max ? l : max;
      if (hi < lo || hi - lo + 1n < size) continue;
      const s = rev ? (hi - size + 1n) - ((hi - size + 1n) % align) : lo + ((align - (lo % align)) % align);
      if (s >= lo && s + size - 1n <= hi) return s;
    }
    return null;
  }
}

function key(rng: Rng): bigint {
  const base = rng.pick(CLUSTERS);
  const offset = BigInt(rng.int(0, SPREAD));
  return base === MAX ? MAX - offset : base + offset;
}

/** A random write: short ranges near a cluster, sometimes one that joins two clusters or covers everything. */
function randomRange(rng: Rng): [bigint, bigint] {
  const roll = rng.next();
  if (roll < 0.01) return [0n, MAX];
  let a = key(rng);
  let b = roll < 0.08 ? key(rng) : a + BigInt(rng.int(0, 12));
  if (b > MAX) b = MAX;
  if (a > b) [a, b] = [b, a];
  return [a, b];
}

function res(core: CoreBackend64): [bigint, bigint] {
  return [core.res64[0], core.res64[1]];
}

/** Every range of the tree by walking it, checked against the model, then lookups, searches and a page. */
function check(core: CoreBackend64, tree: number, model: RangeModel, rng: Rng, where: string): void {
  const problem = core.validate64(tree);
  if (problem) throw new Error(`${where}: ${problem}`);
  const expected = model.all();
  let index = 0n;
  for (const [f, l, h] of expected) {
    const got = core.walk64(tree, index);
    const [first, last] = res(core);
    if (got !== h || first !== f || last !== l) {
      throw new Error(`${where}: walk(${index}) = [${first}, ${last}] ${got}, expected [${f}, ${l}] ${h}`);
    }
    if (core.load64(tree, l) !== h) throw new Error(`${where}: load(${l}) != ${h}`);
    index = l + 1n;
  }
  for (let probe = 0; probe < 6; probe++) {
    const at = key(rng);
    const reach = at + BigInt(rng.int(0, 2 * SPREAD));
    const limit = rng.chance(0.5) || reach > MAX ? MAX : reach;
    const want = model.rows.find(([f, l, h]) => h > 1 && l >= at && f <= limit);
    const found = core.find64(tree, at, limit);
    expect(found, `${where}: find(${at}, ${limit})`).toBe(want ? want[2] : 0);
    if (want) expect(res(core), `${where}: find(${at}) range`).toEqual([want[0], want[1]]);
    const holder = model.at(at);
    const after = model.rows.find(([f, , h]) => h > 1 && f > holder[1] && f <= limit);
    expect(core.next64(tree, at, limit), `${where}: next(${at}, ${limit})`).toBe(after ? after[2] : 0);
    const floor = rng.chance(0.5) ? 0n : at > BigInt(SPREAD) ? at - BigInt(SPREAD) : 0n;
    const before = [...model.rows].reverse().find(([, l, h]) => h > 1 && l < holder[0] && l >= floor);
    expect(core.prev64(tree, at, floor), `${where}: prev(${at}, ${floor})`).toBe(before ? before[2] : 0);
    if (before) expect(res(core), `${where}: prev(${at}) range`).toEqual([before[0], before[1]]);

    const size = BigInt(rng.int(1, 40));
    const align = 1n << BigInt(rng.int(0, 6));
    const rev = rng.chance(0.5);
    const lo = rng.chance(0.3) ? 0n : at;
    const hi = rng.chance(0.3) ? MAX : limit;
    if (hi - lo + 1n >= size) {
      const fit = model.emptyArea(lo, hi, size, rev, align);
      const status = core.emptyArea64(tree, lo, hi, size, rev, align, 0n);
      expect(status === OK ? core.res64[0] : null, `${where}: emptyArea(${lo}, ${hi}, ${size}, rev ${rev}, align ${align})`).toBe(fit);
    }
  }
  const from = key(rng);
  const rows = core.page64(tree, from, MAX);
  const want = model.rows.filter(([, l]) => l >= from).slice(0, rows);
  const page = core.pageBuf64;
  const got: Row[] = [];
  for (let r = 0; r < rows; r++) got.push([page[3 * r], page[3 * r + 1], Number(page[3 * r + 2])]);
  expect(got, `${where}: page(${from})`).toEqual(want);
  expect(rows, `${where}: page(${from}) row count`).toBe(Math.min(model.rows.filter(([, l]) => l >= from).length, 256));
}

/** Replays a seeded stream of writes; returns the store statuses and the shape after each, for cross-core checks. */
function runStream(core: CoreBackend64, flags: number, seed: number, ops: number): string[] {
  const rng = new Rng(seed);
  const tree = core.treeCreate(flags | TREE_KEYS64, 0);
  const model = new RangeModel();
  const trace: string[] = [];
  for (let op = 0; op < ops; op++) {
    const [first, last] = randomRange(rng);
    const erase = rng.chance(0.3);
    const handle = erase ? 0 : core.entries.alloc({ op });
    const insert = rng.chance(0.1);
    const status = core.store64(tree, first, last, handle, insert ? MODE_INSERT : MODE_OVERWRITE);
    const where = `seed ${seed} op ${op} ${insert ? 'insert' : 'store'} [${first}, ${last}] = ${handle}`;
    if (insert && status < 0) {
      expect(status, where).toBe(-17);
      expect(model.rows.some(([f, l]) => l >= first && f <= last), `${where}: EEXIST over NULL`).toBe(true);
      core.entries.dropIfUnused(handle);
    } else {
      expect(status, where).toBeGreaterThanOrEqual(0);
      model.store(first, last, handle);
    }
    trace.push(`${status}/${core.height(tree)}/${core.nodeCount(tree)}`);
    if (op % 5 === 0 || op === ops - 1) check(core, tree, model, rng, where);
  }
  core.treeRelease(tree);
  expect(core.entries.liveCount).toBe(0);
  return trace;
}

describe.each(cores)('core $name, TREE_KEYS64 trees', ({ make }) => {
  for (const flags of [0, TREE_ALLOC_RANGE]) {
    it(`random writes over the whole u64 space agree with a range model (flags ${flags})`, () => {
      runStream(make(), flags, seedFromEnv(6400 + flags), OPS);
    });
  }

  it('the edges of the space: [0, 2^64 - 1], a range ending at 2^64 - 1, its erase, a lookup at 2^64 - 1', () => {
    const core = make();
    const tree = core.treeCreate(TREE_KEYS64, 0);
    const a = core.entries.alloc('a');
    expect(core.store64(tree, 0n, MAX, a, MODE_OVERWRITE)).toBe(1); // WR_NEW_ROOT: the whole space
    expect(core.walk64(tree, MAX)).toBe(a);
    expect(res(core)).toEqual([0n, MAX]);
    const b = core.entries.alloc('b');
    core.store64(tree, MAX - 1n, MAX, b, MODE_OVERWRITE);
    expect(core.walk64(tree, MAX - 2n)).toBe(a);
    expect(res(core)).toEqual([0n, MAX - 2n]);
    expect(core.find64(tree, MAX, MAX)).toBe(b);
    expect(core.next64(tree, MAX - 1n, MAX)).toBe(0); // nothing after the last range
    expect(core.prev64(tree, MAX, 0n)).toBe(a);
    core.store64(tree, MAX - 1n, MAX, 0, MODE_OVERWRITE);
    expect(core.walk64(tree, MAX)).toBe(0);
    expect(res(core)).toEqual([MAX - 1n, MAX]);
    expect(core.emptyArea64(tree, 0n, MAX, 2n, true)).toBe(OK);
    expect(res(core)).toEqual([MAX - 1n, MAX]);
    expect(core.emptyArea64(tree, 0n, MAX, 3n, true)).toBe(-16); // EBUSY
    expect(core.validate64(tree)).toBeNull();
    core.treeRelease(tree);
  });

  it('a bulk build with rows at 2^63 and ending at 2^64 - 1 reads back exactly', () => {
    const core = make();
    const tree = core.treeCreate(TREE_KEYS64 | TREE_ALLOC_RANGE, 0);
    const model = new RangeModel();
    const rows: Row[] = [];
    for (let i = 0n; i < 400n; i++) rows.push([(1n << 63n) + 10n * i, (1n << 63n) + 10n * i + 4n, core.entries.alloc(i)]);
    rows.push([MAX - 3n, MAX, core.entries.alloc('top')]);
    for (let at = 0; at < rows.length; at += 256) {
      const page = rows.slice(at, at + 256);
      page.forEach(([f, l, h], r) => {
        core.pageBuf64[3 * r] = f;
        core.pageBuf64[3 * r + 1] = l;
        core.pageBuf64[3 * r + 2] = BigInt(h);
      });
      expect(core.buildPage64(tree, page.length)).toBe(OK);
    }
    expect(core.buildEnd(tree)).toBe(OK);
    for (const [f, l, h] of rows) model.store(f, l, h);
    check(core, tree, model, new Rng(5), 'bulk build');
    core.treeRelease(tree);
  });

  it('loadMany64 answers like load64 for keys across the space', () => {
    const core = make();
    const rng = new Rng(99);
    const tree = core.treeCreate(TREE_KEYS64, 0);
    for (let i = 0; i < 300; i++) {
      const [f, l] = randomRange(rng);
      core.store64(tree, f, l, rng.chance(0.3) ? 0 : core.entries.alloc(i), MODE_OVERWRITE);
    }
    const keys = Array.from({ length: 200 }, () => key(rng));
    const want = keys.map((k) => core.load64(tree, k));
    keys.forEach((k, i) => (core.pageBuf64[i] = k));
    core.loadMany64(tree, keys.length);
    expect(Array.from(core.pageBuf64.subarray(0, keys.length), Number)).toEqual(want);
    core.treeRelease(tree);
  });
});

describe('TREE_KEYS64 trees across cores', () => {
  it('WASM and the bigint TS core take the same store types and reach the same shapes', () => {
    const seed = seedFromEnv(6464);
    expect(runStream(cores[1].make(), TREE_ALLOC_RANGE, seed, 600)).toEqual(runStream(cores[0].make(), TREE_ALLOC_RANGE, seed, 600));
  });

  it('below 2^53 a bigint tree has the shape, store types and ranges of a number tree', () => {
    // WASM holds both kinds of tree in one core; the TS backend has a core for each.
    const pairs = [['wasm', cores[0].make(), cores[0].make()], ['ts', tsBackend(), tsBackend64()]] as const;
    for (const [name, numbers, core] of pairs) {
      const rng = new Rng(5353);
      const wide = core.treeCreate(TREE_KEYS64 | TREE_ALLOC_RANGE, 0);
      const narrow = numbers.treeCreate(TREE_ALLOC_RANGE, 0);
      const top = Number.MAX_SAFE_INTEGER;
      for (let op = 0; op < 1500; op++) {
        const first = rng.chance(0.5) ? rng.int(0, 5000) : rng.int(top - 5000, top - 1);
        const last = Math.min(top - 1, first + rng.int(0, 20));
        const erase = rng.chance(0.3);
        const valueAt = (backend: CoreBackend, handle: number): unknown => (handle === 0 ? null : backend.entries.get(handle));
        // The registers are shared: read each tree's before the other's call. The last NULL
        // range of a number tree ends at 2^53 - 1, a bigint tree's at 2^64 - 1.
        const widened = (): bigint[] => [BigInt(numbers.res[0]), numbers.res[1] === top ? MAX : BigInt(numbers.res[1])];
        const a = numbers.store(narrow, first, last, erase ? 0 : numbers.entries.alloc(op), MODE_OVERWRITE);
        const written = widened();
        const b = core.store64(wide, BigInt(first), BigInt(last), erase ? 0 : core.entries.alloc(op), MODE_OVERWRITE);
        expect(b, `${name} op ${op}`).toBe(a);
        expect(res(core), `${name} op ${op} range written`).toEqual(written);
        expect([core.height(wide), core.nodeCount(wide)], `${name} op ${op} shape`).toEqual([numbers.height(narrow), numbers.nodeCount(narrow)]);
        const probe = rng.chance(0.5) ? rng.int(0, 5000) : rng.int(top - 5000, top - 1);
        const held = valueAt(numbers, numbers.walk(narrow, probe));
        const range = widened();
        expect(valueAt(core, core.walk64(wide, BigInt(probe))), `${name} walk(${probe})`).toBe(held);
        expect(res(core), `${name} walk(${probe}) range`).toEqual(range);
      }
      core.treeRelease(wide);
      numbers.treeRelease(narrow);
    }
  });
});
