/**
 * Seeded differential test of bigint-keyed trees over the whole u64 space: random writes
 * (stores, inserts, erases, NULL and ZERO_ENTRY stores, allocations) with keys clustered near
 * 0, 2^53, 2^63 and 2^64 − 1, and ranges joining clusters, against Model64; validate() after
 * every mutation; every reader (load, loadMany, find, next, prev, entries, forEach, keys,
 * values, size) and gap search (emptyArea/emptyAreaRev with align and nospan) checked. Then:
 * the WASM and TS backends give identical results, store types and shapes op by op, and a
 * bigint tree agrees with a number tree on keys below 2^53. A failure prints the seed and
 * the tree's dump(); MAPLE_SEED=<seed> replays it.
 */

import { describe, expect, it } from 'vitest';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX_64, MapleTree, type MapleTreeOptions } from '../src/tree/MapleTree.js';
import { ZERO_ENTRY } from '../src/tree/zeroEntry.js';
import { createTsCore64 } from '../src/ts/TsBackend.js';
import * as tinyMem from './generated/core64-tiny/mem.js';
import * as tinyCore from './generated/core64-tiny/index.js';
import { MAX64, Model64, type Fit64, type Row64 } from './support/model64.js';
import { mapleErrorCode } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';
import { treeFailure } from './support/treeFailure.js';

const SEED = seedFromEnv(0x62696734);
const OPS = Number(process.env.OPS ?? 1200);
const CLUSTERS = [0n, 1n << 53n, 1n << 63n, MAX64] as const;
const SPREAD = 4000;

type BigTree = MapleTree<unknown, bigint>;

let tinyCore64: ReturnType<typeof createTsCore64> | null = null;
const bigBackends: { name: string; options: () => MapleTreeOptions<bigint> }[] = [
  { name: 'wasm', options: () => ({ backend: 'wasm', keys: 'bigint' }) },
  { name: 'ts', options: () => ({ backend: 'ts', keys: 'bigint' }) },
  // 6-slot leaves: splits, rebalances and spanning stores after a handful of ranges.
  { name: 'ts-tiny-nodes', options: () => ({ _core: (tinyCore64 ??= createTsCore64(tinyCore, tinyMem)), keys: 'bigint' }) },
];

/** JSON with bigints written as `123n`, so transcripts and failures print. */
function show(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === ZERO_ENTRY ? 'ZERO' : v));
}

/** Keys near a cluster, clipped to u64. */
function keyNear(rng: Rng): bigint {
  const base = rng.pick(CLUSTERS);
  const k = base + BigInt(rng.int(-SPREAD, SPREAD));
  return k < 0n ? 0n : k > MAX64 ? MAX64 : k;
}

/** A range: mostly short, sometimes long, sometimes joining two clusters. */
function rangeNear(rng: Rng): [bigint, bigint] {
  const first = keyNear(rng);
  const r = rng.next();
  let last: bigint;
  if (r < 0.6) last = first + BigInt(rng.int(0, 20));
  else if (r < 0.9) last = first + BigInt(rng.int(0, 3000));
  else last = keyNear(rng);
  if (last > MAX64) last = MAX64;
  return first <= last ? [first, last] : [last, first];
}

/** The opts argument for a model constraint (no nospan: the option left out). */
function opts(fit: Fit64): { align: bigint; nospan?: bigint } {
  return fit.nospan === 0n ? { align: fit.align } : fit;
}

function powerOfTwo(rng: Rng, maxShift: number): bigint {
  return 1n << BigInt(rng.int(0, maxShift));
}

/** Runs one seeded op stream on a tree and its model, checking every result; returns a transcript. */
class Differential {
  readonly rng: Rng;
  readonly model = new Model64();
  readonly transcript: string[] = [];
  /** Clusters that successful writes reached (the test means little if keys never got near the top). */
  readonly reached = new Set<bigint>();
  /** Whether some range ever held the last index. */
  heldTop = false;
  private op = 0;
  private counter = 0;

  constructor(readonly tree: BigTree, readonly seed: number) {
    this.rng = new Rng(seed);
  }

  run(ops: number): void {
    for (this.op = 0; this.op < ops; this.op++) {
      if (this.rng.chance(0.55)) this.mutate();
      else this.query();
    }
    this.checkAll();
  }

  private fail(what: string, got: unknown, want: unknown): never {
    throw treeFailure(`seed ${this.seed} op ${this.op} ${what}: got ${show(got)}, want ${show(want)} (MAPLE_SEED=${this.seed})`, { tree: this.tree });
  }

  private same(what: string, got: unknown, want: unknown): void {
    const g = show(got);
    if (g !== show(want)) this.fail(what, got, want);
    this.transcript.push(`${what} ${g}`);
  }

  /** A write op; EEXIST/EBUSY must match the model and leave the tree unchanged. */
  private mutate(): void {
    const { rng, tree, model } = this;
    const [first, last] = rangeNear(rng);
    const entry = `e${this.counter++}`;
    const r = rng.next();
    let what: string;
    if (r < 0.3) {
      what = `storeRange(${first}, ${last})`;
      tree.storeRange(first, last, entry);
      model.store(first, last, entry);
    } else if (r < 0.4) {
      what = `storeRange(${first}, ${last}, null)`;
      tree.storeRange(first, last, null);
      model.store(first, last, null);
    } else if (r < 0.45) {
      what = `storeRange(${first}, ${last}, ZERO)`;
      tree.storeRange(first, last, ZERO_ENTRY);
      model.store(first, last, ZERO_ENTRY);
    } else if (r < 0.6) {
      what = `insertRange(${first}, ${last})`;
      const free = model.isFree(first, last);
      this.expectError(what, free ? null : 'EEXIST', () => tree.insertRange(first, last, entry));
      if (free) model.store(first, last, entry);
    } else if (r < 0.75) {
      what = `erase(${first})`;
      const row = model.rowAt(first);
      this.same(what, tree.erase(first), row?.[2]);
      if (row) model.store(row[0], row[1], null);
    } else if (r < 0.9) {
      const rev = rng.chance(0.5);
      const size = BigInt(rng.int(1, 64));
      const [min, max] = this.window(size);
      const fit = this.fit(size);
      what = `alloc${rev ? 'R' : ''}Range(${size}, ${min}, ${max}, ${show(fit)})`;
      const want = model.emptyArea(min, max, size, rev, fit);
      const call = () => (rev ? tree.allocRRange(size, entry, min, max, opts(fit)) : tree.allocRange(size, entry, min, max, opts(fit)));
      if (want === null) this.expectError(what, 'EBUSY', call);
      else {
        this.same(what, call(), want);
        model.store(want, want + size - 1n, entry);
      }
    } else {
      const [lo, hi] = rangeNear(rng);
      const next = rng.chance(0.2) ? MAX64 : keyNear(rng);
      what = `allocCyclic(${lo}, ${hi}, ${next})`;
      const want = model.allocCyclic(entry, lo, hi, next);
      if (want === null) this.expectError(what, 'EBUSY', () => tree.allocCyclic(entry, lo, hi, next));
      else this.same(what, tree.allocCyclic(entry, lo, hi, next), want);
    }
    this.afterMutation(what);
  }

  private expectError(what: string, code: string | null, call: () => unknown): void {
    this.same(`${what} error`, mapleErrorCode(call), code);
  }

  /** A search window that fits `size`, at times the whole space or one reaching its top. */
  private window(size: bigint): [bigint, bigint] {
    const r = this.rng.next();
    if (r < 0.15) return [0n, MAX64];
    if (r < 0.3) return [MAX64 - BigInt(this.rng.int(0, 2 * SPREAD)) - size, MAX64];
    let [min, max] = rangeNear(this.rng);
    if (max - min < size - 1n) max = min + size - 1n <= MAX64 ? min + size - 1n : MAX64;
    if (max - min < size - 1n) min = max - size + 1n;
    return [min, max];
  }

  private fit(size: bigint): Fit64 {
    const r = this.rng.next();
    const align = r < 0.5 ? 1n : powerOfTwo(this.rng, 10);
    let nospan = 0n;
    if (this.rng.chance(0.3)) {
      nospan = powerOfTwo(this.rng, 12);
      while (nospan < size) nospan <<= 1n;
    }
    return { align, nospan };
  }

  private afterMutation(what: string): void {
    for (const [f, l] of this.model.rows) {
      if (l === MAX64) this.heldTop = true;
      for (const c of CLUSTERS) if (f <= c + BigInt(SPREAD) && l + BigInt(SPREAD) >= c) this.reached.add(c);
    }
    try {
      this.tree.validate();
    } catch (err) {
      this.fail(`validate after ${what}`, String(err), 'valid');
    }
    this.same(`toJSON after ${what}`, this.tree.toJSON(), this.model.entries());
    this.transcript.push(`shape ${this.tree.lastStoreType} ${this.tree.nodeCount} ${this.tree.height}`);
  }

  private query(): void {
    const { rng, tree, model } = this;
    const index = rng.chance(0.05) ? rng.pick([0n, MAX64]) : keyNear(rng);
    const limit = rng.chance(0.3) ? MAX64 : keyNear(rng);
    const low = rng.chance(0.3) ? 0n : keyNear(rng);
    const asRange = (row: Row64 | undefined) => (row ? { first: row[0], last: row[1], entry: row[2] } : undefined);
    switch (rng.int(0, 7)) {
      case 0:
        this.same(`load(${index})`, tree.load(index), model.load(index));
        break;
      case 1:
        this.same(`find(${index}, ${limit})`, tree.find(index, limit), asRange(model.find(index, limit)));
        break;
      case 2:
        this.same(`next(${index}, ${limit})`, tree.next(index, limit), asRange(model.next(index, limit)));
        break;
      case 3:
        this.same(`prev(${index}, ${low})`, tree.prev(index, low), asRange(model.prev(index, low)));
        break;
      case 4: {
        const [f, l] = rangeNear(rng);
        this.same(`entries(${f}, ${l})`, [...tree.entries(f, l)], model.entries(f, l));
        const seen: Row64[] = [];
        tree.forEach((e, a, b) => { seen.push([a, b, e]); }, f, l);
        this.same(`forEach(${f}, ${l})`, seen, model.entries(f, l));
        break;
      }
      case 5: {
        const keys = Array.from({ length: rng.int(1, 40) }, () => keyNear(rng));
        this.same('loadMany', tree.loadMany(keys), keys.map((k) => model.load(k)));
        break;
      }
      case 6: {
        const rev = rng.chance(0.5);
        const size = BigInt(rng.int(1, 5000));
        const [min, max] = this.window(size);
        const fit = this.fit(size);
        const what = `emptyArea${rev ? 'Rev' : ''}(${min}, ${max}, ${size}, ${show(fit)})`;
        const want = model.emptyArea(min, max, size, rev, fit);
        const mas = tree.state();
        const call = () => (rev ? mas.emptyAreaRev(min, max, size, opts(fit)) : mas.emptyArea(min, max, size, opts(fit)));
        if (want === null) this.expectError(what, 'EBUSY', call);
        else {
          call();
          this.same(what, [mas.index, mas.last], [want, want + size - 1n]);
        }
        break;
      }
      default:
        this.checkAll();
    }
  }

  private checkAll(): void {
    const { tree, model } = this;
    this.same('size', tree.size, model.entries().length);
    this.same('keys', [...tree.keys()], model.entries().map(([f, l]) => [f, l]));
    this.same('values', [...tree.values()], model.entries().map(([, , e]) => e));
  }
}

describe.each(bigBackends)('bigint tree differential ($name)', ({ options }) => {
  it(`${OPS} seeded ops over the whole u64 space agree with the model (seed ${SEED})`, () => {
    const tree = new MapleTree<unknown, bigint>({ ...options(), allocRange: true });
    const run = new Differential(tree, SEED);
    run.run(OPS);
    expect(tree.size).toBe(run.model.entries().length);
    expect([...run.reached].sort()).toEqual([...CLUSTERS].sort());
    expect(run.heldTop).toBe(true);
    tree.free();
  });
});

describe('bigint trees across backends', () => {
  it('wasm and ts give identical results, store types and shapes op by op', () => {
    const transcripts = ['wasm', 'ts'].map((name) => {
      const backend = bigBackends.find((b) => b.name === name)!;
      const tree = new MapleTree<unknown, bigint>({ ...backend.options(), allocRange: true });
      const run = new Differential(tree, SEED + 7);
      run.run(OPS);
      tree.free();
      return run.transcript;
    });
    expect(transcripts[0].length).toBeGreaterThan(OPS);
    for (let i = 0; i < transcripts[0].length; i++) {
      if (transcripts[0][i] !== transcripts[1][i]) {
        throw new Error(`seed ${SEED + 7}: step ${i} differs\nwasm: ${transcripts[0][i]}\nts:   ${transcripts[1][i]}`);
      }
    }
    expect(transcripts[1].length).toBe(transcripts[0].length);
  });
});

/** Number form of a value holding bigints (results of a bigint tree, to compare with a number tree's). */
function toNumbers(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

describe.each(['wasm', 'ts'] as const)('bigint and number trees below 2^53 (%s)', (backend) => {
  it('the same writes give the same results, entries, store types and shapes', () => {
    const rng = new Rng(SEED + 13);
    const num = new MapleTree<string>({ backend, allocRange: true });
    const big = new MapleTree<string, bigint>({ backend, keys: 'bigint', allocRange: true });
    const TOP = 2 ** 53 - 1;
    const key = () => (rng.chance(0.5) ? rng.int(0, 6000) : TOP - 1000 - rng.int(0, 6000)); // below TOP: the spaces end differently
    const both = (what: string, n: () => unknown, b: () => unknown): void => {
      const run = (f: () => unknown) => { try { return f(); } catch (err) { if (err instanceof MapleError) return err.code; throw err; } };
      const got = toNumbers(run(b));
      const want = toNumbers(run(n));
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw treeFailure(`seed ${SEED + 13} ${what}: bigint ${JSON.stringify(got)}, number ${JSON.stringify(want)}`, { num, big });
      }
    };
    for (let op = 0; op < OPS; op++) {
      const a = key();
      const z = Math.min(TOP, a + rng.int(0, 300));
      const e = `e${op}`;
      const size = rng.int(1, 40);
      const align = 2 ** rng.int(0, 8);
      switch (rng.int(0, 9)) {
        case 0: case 1: both(`storeRange ${a} ${z}`, () => num.storeRange(a, z, e), () => big.storeRange(BigInt(a), BigInt(z), e)); break;
        case 2: both(`insertRange ${a} ${z}`, () => num.insertRange(a, z, e), () => big.insertRange(BigInt(a), BigInt(z), e)); break;
        case 3: both(`erase ${a}`, () => num.erase(a), () => big.erase(BigInt(a))); break;
        case 4: both(`next ${a}`, () => num.next(a), () => big.next(BigInt(a), BigInt(TOP))); break;
        case 5: both(`prev ${a}`, () => num.prev(a), () => big.prev(BigInt(a))); break;
        case 6: both(`find ${a} ${z}`, () => num.find(a, z), () => big.find(BigInt(a), BigInt(z))); break;
        // Windows end below TOP: a number tree's last NULL range ends there, a bigint tree's does not.
        case 7: both(`allocRange ${size} ${align}`, () => num.allocRange(size, e, 0, TOP - 1, { align }),
          () => big.allocRange(BigInt(size), e, 0n, BigInt(TOP - 1), { align: BigInt(align) })); break;
        case 8: both(`allocRRange ${size} ${align}`, () => num.allocRRange(size, e, 0, TOP - 1, { align }),
          () => big.allocRRange(BigInt(size), e, 0n, BigInt(TOP - 1), { align: BigInt(align) })); break;
        default: both(`allocCyclic ${a} ${z}`, () => num.allocCyclic(e, a, z, a + 3), () => big.allocCyclic(e, BigInt(a), BigInt(z), BigInt(a + 3)));
      }
      both('shape', () => [num.lastStoreType, num.nodeCount, num.height], () => [big.lastStoreType, big.nodeCount, big.height]);
    }
    both('entries', () => num.toJSON(), () => big.toJSON());
    big.validate();
    expect(big.size).toBe(num.size);
    expect(big.size).toBeGreaterThan(10);
  });
});
