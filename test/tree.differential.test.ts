/**
 * Seeded differential test: random mixes of the public API against RangeModel.
 * Reproduce a failure with MAPLE_SEED=<seed printed in the message>.
 */

import { describe, expect, it } from 'vitest';
import { ZERO_ENTRY } from '../src/backend/entries.js';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX, MapleTree, type Range } from '../src/tree/MapleTree.js';
import { backends } from './support/backends.js';
import { mapleErrorCode, RangeModel, snapshotOf, type ModelRange } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';
import { expectTree, treeFailure } from './support/treeFailure.js';

const SEED = seedFromEnv(0x6d61706c);
const VALIDATE_EVERY = 400;

class Differential {
  private readonly rng: Rng;
  private readonly model = new RangeModel<unknown>();
  private counter = 0;
  private op = 0;
  /** Tallest tree seen at a checkpoint (the real cores must get a few levels deep). */
  maxHeight = 0;

  constructor(
    private tree: MapleTree<unknown>,
    private readonly seed: number,
    private readonly allocTree: boolean,
  ) {
    this.rng = new Rng(seed);
  }

  run(ops: number): void {
    for (this.op = 0; this.op < ops; this.op++) {
      this.step();
      if (this.op % VALIDATE_EVERY === VALIDATE_EVERY - 1) {
        this.checkWhole();
        this.maxHeight = Math.max(this.maxHeight, this.tree.height);
      }
    }
    this.checkWhole();
  }

  private fail(what: string, got: unknown, want: unknown): never {
    throw treeFailure(this.context(what, got, want), { tree: this.tree });
  }

  private context(what: string, got: unknown, want: unknown): string {
    return `seed ${this.seed} op ${this.op} ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)} (MAPLE_SEED=${this.seed})`;
  }

  private same(what: string, got: unknown, want: unknown): void {
    const agree = JSON.stringify(got) === JSON.stringify(want);
    expectTree(this.tree, agree, agree ? '' : this.context(what, got, want));
  }

  private checkWhole(): void {
    try {
      this.tree.validate();
    } catch (err) {
      this.fail('validate', String(err), 'no violation');
    }
    this.same('snapshot', snapshotOf(this.tree), this.model.snapshot());
  }

  /**
   * Mostly a dense low window (overlaps happen), a wider sparse band that grows the tree a few
   * levels deep, and sometimes the top of the key space.
   */
  private key(): number {
    const r = this.rng.next();
    if (r < 0.02) return MAX_INDEX - this.rng.int(0, 64);
    if (r < 0.3) return this.rng.int(3000, 40000);
    return this.rng.int(0, 3000);
  }

  private span(first: number): number {
    const len = this.rng.chance(0.75) ? this.rng.int(1, 8) : this.rng.int(1, 300);
    return Math.min(MAX_INDEX, first + len - 1);
  }

  private value(): unknown {
    if (this.rng.chance(0.01)) return ZERO_ENTRY;
    return ++this.counter;
  }

  private attempt(what: string, write: () => void, expected: MapleError['code'] | null): void {
    this.same(`${what} result`, mapleErrorCode(write), expected);
  }

  private step(): void {
    const r = this.rng.next();
    const { tree, model } = this;
    const first = this.key();
    const last = this.span(first);
    if (r < 0.2) {
      const v = this.value();
      tree.storeRange(first, last, v);
      model.storeRange(first, last, v);
    } else if (r < 0.26) {
      tree.storeRange(first, last, null);
      model.storeRange(first, last, undefined);
    } else if (r < 0.36) {
      const v = this.value();
      const free = model.isFree(first, last);
      this.attempt(`insertRange(${first}, ${last})`, () => tree.insertRange(first, last, v), free ? null : 'EEXIST');
      if (free) model.storeRange(first, last, v);
    } else if (r < 0.44) {
      this.same(`erase(${first})`, tree.erase(first), model.erase(first));
    } else if (r < 0.56) {
      this.same(`load(${first})`, tree.load(first), model.load(first));
    } else if (r < 0.61) {
      this.same(`find(${first}, ${last})`, pack(tree.find(first, last)), pack(model.find(first, last)));
    } else if (r < 0.66) {
      this.same(`next(${first}, ${last})`, pack(tree.next(first, last)), pack(model.next(first, last)));
    } else if (r < 0.71) {
      const min = Math.max(0, first - this.rng.int(0, 300));
      this.same(`prev(${first}, ${min})`, pack(tree.prev(first, min)), pack(model.prev(first, min)));
    } else if (r < 0.76) {
      const until = first > 0 && this.rng.chance(0.1) ? first - 1 : last;
      this.same(`entries(${first}, ${until})`, [...tree.entries(first, until)], model.entries(first, until));
    } else if (r < 0.86) {
      this.gapSearch();
    } else if (r < 0.9) {
      this.stateWindow(first, last);
    } else if (r < 0.995) {
      this.same(`load(${first}) after`, tree.load(first), model.load(first));
    } else if (r < 0.999) {
      const copy = tree.dup();
      this.same('dup snapshot', snapshotOf(copy), model.snapshot());
      copy.destroy();
    } else {
      tree.destroy();
      model.ranges = [];
    }
  }

  /** allocRange / allocRRange (gap-tracking tree) or a fresh MaState gap search. */
  private gapSearch(): void {
    const { tree, model, rng } = this;
    const size = rng.chance(0.8) ? rng.int(1, 20) : rng.int(1, 400);
    const min = rng.int(0, 3200);
    const max = rng.chance(0.2) ? MAX_INDEX : min + size - 1 + rng.int(0, 500);
    const rev = rng.chance(0.5);
    const want = model.emptyArea(min, max, size, rev);
    if (this.allocTree && rng.chance(0.6)) {
      const v = this.value();
      if (v === ZERO_ENTRY) return;
      let got: number | string;
      try {
        got = rev ? tree.allocRRange(size, v, min, max) : tree.allocRange(size, v, min, max);
      } catch (err) {
        if (!(err instanceof MapleError)) throw err;
        got = err.code;
      }
      this.same(`alloc${rev ? 'R' : ''}Range(${size}, ${min}, ${max})`, got, want < 0 ? 'EBUSY' : want);
      if (want >= 0) model.storeRange(want, want + size - 1, v);
      return;
    }
    const mas = tree.state();
    let got: number | string;
    try {
      if (rev) mas.emptyAreaRev(min, max, size);
      else mas.emptyArea(min, max, size);
      got = mas.index;
      this.same('emptyArea last', mas.last, mas.index + size - 1);
    } catch (err) {
      if (!(err instanceof MapleError)) throw err;
      got = err.code;
    }
    this.same(`emptyArea${rev ? 'Rev' : ''}(${min}, ${max}, ${size})`, got, want < 0 ? 'EBUSY' : want);
  }

  /** mas_for_each over a window (ZERO_ENTRY included), forwards or backwards. */
  private stateWindow(first: number, last: number): void {
    const mas = this.tree.state(first);
    const got: [number, number, unknown][] = [];
    const want = this.model.snapshot().filter(([f, l]) => l >= first && f <= last);
    if (this.rng.chance(0.5)) {
      for (let e = mas.find(last); e !== undefined; e = mas.find(last)) got.push([mas.index, mas.last, e]);
    } else {
      mas.set(last);
      for (let e = mas.findRev(first); e !== undefined; e = mas.findRev(first)) got.unshift([mas.index, mas.last, e]);
    }
    this.same(`state window [${first}, ${last}]`, got, want);
  }
}

function pack<V>(r: Range<V> | ModelRange<V> | undefined): unknown {
  return r ? [r.first, r.last, r.entry] : null;
}

describe.each(backends)('differential against the range model ($name backend)', ({ name, options }) => {
  it(`60,000 random ops on a gap-tracking tree (seed ${SEED})`, () => {
    const run = new Differential(new MapleTree({ ...options(), allocRange: true }), SEED, true);
    run.run(60_000);
    if (name !== 'naive') expect(run.maxHeight).toBeGreaterThanOrEqual(3);
  });

  it(`40,000 random ops on a plain tree (seed ${SEED + 1})`, () => {
    const run = new Differential(new MapleTree(options()), SEED + 1, false);
    run.run(40_000);
    if (name !== 'naive') expect(run.maxHeight).toBeGreaterThanOrEqual(3);
  });
});
