/**
 * Cross-backend differential: one seeded stream of operations applied to a WASM tree, a
 * pure-TS tree and the naive model at once. Every result and error code must agree three
 * ways, and at checkpoints the snapshots, validate(), and even the node structure (same
 * algorithm, same shapes) must agree between the two cores.
 *
 * `npm run fuzz -- --ops 10000000 --seed 7` runs a long soak of this file
 * (MAPLE_FUZZ_OPS, MAPLE_SEED).
 */

import { describe, expect, it } from 'vitest';
import { ZERO_ENTRY } from '../src/backend/entries.js';
import { MapleError } from '../src/backend/errors.js';
import { MAX_INDEX, MapleTree } from '../src/tree/MapleTree.js';
import type { NodeView } from '../src/backend/backend.js';
import { RangeModel, snapshotOf } from './support/model.js';
import { Rng, seedFromEnv } from './support/rng.js';
import { treeFailure } from './support/treeFailure.js';

const SEED = seedFromEnv(0x63726f73);
const OPS = Number(process.env.MAPLE_FUZZ_OPS ?? 100_000);
const CHECK_EVERY = 500;

/** Node structure without addresses (they differ between the two memories). */
function shape(node: NodeView | null): unknown {
  if (!node) return null;
  return {
    type: node.type,
    min: node.min,
    max: node.max,
    pivots: node.pivots,
    gaps: node.gaps,
    children: node.children?.map(shape),
  };
}

function outcome(run: () => unknown): unknown {
  try {
    const value = run();
    return value === ZERO_ENTRY ? 'ZERO' : value;
  } catch (err) {
    if (err instanceof MapleError) return `!${err.code}`;
    throw err;
  }
}

class Cross {
  private readonly rng: Rng;
  private readonly model = new RangeModel<unknown>();
  private readonly wasm: MapleTree<unknown>;
  private readonly ts: MapleTree<unknown>;
  private counter = 0;
  private op = 0;
  maxHeight = 0;

  constructor(private readonly seed: number, private readonly alloc: boolean) {
    this.rng = new Rng(seed);
    this.wasm = new MapleTree({ backend: 'wasm', allocRange: alloc });
    this.ts = new MapleTree({ backend: 'ts', allocRange: alloc });
  }

  private fail(what: string, detail: string): never {
    const context = `seed ${this.seed} op ${this.op} ${what}: ${detail} (reproduce: MAPLE_SEED=${this.seed})`;
    throw treeFailure(context, { 'wasm tree': this.wasm, 'ts tree': this.ts });
  }

  /** Runs the same call on both trees and the model; all three must agree. */
  private agree(what: string, call: (t: MapleTree<unknown>) => unknown, model: () => unknown): void {
    const w = JSON.stringify(outcome(() => call(this.wasm)));
    const t = JSON.stringify(outcome(() => call(this.ts)));
    const m = JSON.stringify(outcome(model));
    if (w !== t || w !== m) this.fail(what, `wasm ${w}, ts ${t}, model ${m}`);
  }

  private key(): number {
    const r = this.rng.next();
    if (r < 0.02) return MAX_INDEX - this.rng.int(0, 64);
    if (r < 0.35) return this.rng.int(2000, 60000);
    return this.rng.int(0, 2000);
  }

  run(ops: number): void {
    for (this.op = 0; this.op < ops; this.op++) {
      this.step();
      if (this.op % CHECK_EVERY === CHECK_EVERY - 1) this.checkpoint();
    }
    this.checkpoint();
  }

  private checkpoint(): void {
    for (const tree of [this.wasm, this.ts]) {
      try {
        tree.validate();
      } catch (err) {
        this.fail(`validate (${tree.backend})`, String(err));
      }
    }
    const snap = JSON.stringify(this.model.snapshot());
    if (JSON.stringify(snapshotOf(this.wasm)) !== snap) this.fail('snapshot', 'wasm differs from the model');
    if (JSON.stringify(snapshotOf(this.ts)) !== snap) this.fail('snapshot', 'ts differs from the model');
    if (JSON.stringify(shape(this.wasm.nodes())) !== JSON.stringify(shape(this.ts.nodes()))) {
      this.fail('structure', 'the wasm and ts cores built different trees');
    }
    if (this.wasm.nodeCount !== this.ts.nodeCount) this.fail('nodeCount', `${this.wasm.nodeCount} vs ${this.ts.nodeCount}`);
    this.maxHeight = Math.max(this.maxHeight, this.wasm.height);
  }

  private step(): void {
    const { rng, model } = this;
    const r = rng.next();
    const first = this.key();
    const last = Math.min(MAX_INDEX, first + (rng.chance(0.7) ? rng.int(0, 7) : rng.int(0, 400)));
    if (r < 0.25) {
      const v = rng.chance(0.01) ? ZERO_ENTRY : ++this.counter;
      this.agree(`storeRange(${first}, ${last})`, (t) => t.storeRange(first, last, v), () => model.storeRange(first, last, v));
      if (this.wasm.lastStoreType !== this.ts.lastStoreType) this.fail('store type', `${this.wasm.lastStoreType} vs ${this.ts.lastStoreType}`);
    } else if (r < 0.32) {
      this.agree(`erase range (${first}, ${last})`, (t) => t.storeRange(first, last, null), () => model.storeRange(first, last, undefined));
    } else if (r < 0.42) {
      const v = ++this.counter;
      this.agree(`insertRange(${first}, ${last})`, (t) => t.insertRange(first, last, v), () => {
        if (!model.isFree(first, last)) throw new MapleError('EEXIST', 'model');
        model.storeRange(first, last, v);
      });
    } else if (r < 0.5) {
      this.agree(`erase(${first})`, (t) => t.erase(first), () => model.erase(first));
    } else if (r < 0.62) {
      this.agree(`load(${first})`, (t) => t.load(first), () => model.load(first));
    } else if (r < 0.67) {
      this.agree(`find(${first}, ${last})`, (t) => t.find(first, last), () => model.find(first, last));
    } else if (r < 0.72) {
      this.agree(`next(${first}, ${last})`, (t) => t.next(first, last), () => model.next(first, last));
    } else if (r < 0.77) {
      const min = Math.max(0, first - rng.int(0, 300));
      this.agree(`prev(${first}, ${min})`, (t) => t.prev(first, min), () => model.prev(first, min));
    } else if (r < 0.82) {
      this.agree(`entries(${first}, ${last})`, (t) => [...t.entries(first, last)], () => model.entries(first, last));
    } else if (r < 0.97) {
      this.gaps();
    } else if (r < 0.9995) {
      this.agree(`load(${last})`, (t) => t.load(last), () => model.load(last));
    } else {
      this.agree('destroy', (t) => t.destroy(), () => void (model.ranges = []));
    }
  }

  private gaps(): void {
    const { rng, model } = this;
    const size = rng.chance(0.8) ? rng.int(1, 16) : rng.int(1, 500);
    const min = rng.int(0, 2500);
    const max = rng.chance(0.2) ? MAX_INDEX : min + rng.int(0, 800);
    const rev = rng.chance(0.5);
    const want = () => {
      if (max - min < size - 1) throw new MapleError('EINVAL', 'model');
      const at = model.emptyArea(min, max, size, rev);
      if (at < 0) throw new MapleError('EBUSY', 'model');
      return at;
    };
    if (this.alloc && rng.chance(0.5)) {
      const v = ++this.counter;
      this.agree(`alloc${rev ? 'R' : ''}Range(${size}, ${min}, ${max})`,
        (t) => (rev ? t.allocRRange(size, v, min, max) : t.allocRange(size, v, min, max)),
        () => { const at = want(); model.storeRange(at, at + size - 1, v); return at; });
    } else {
      this.agree(`emptyArea${rev ? 'Rev' : ''}(${min}, ${max}, ${size})`, (t) => {
        const mas = t.state();
        if (rev) mas.emptyAreaRev(min, max, size);
        else mas.emptyArea(min, max, size);
        return mas.index;
      }, want);
    }
  }
}

describe('cross-backend differential: wasm, ts and the model', () => {
  const timeout = 60_000 + OPS / 5;
  it(`${OPS.toLocaleString('en')} ops on a gap-tracking tree (seed ${SEED})`, () => {
    const run = new Cross(SEED, true);
    run.run(OPS);
    expect(run.maxHeight).toBeGreaterThanOrEqual(3);
  }, timeout);

  it(`${Math.ceil(OPS / 2).toLocaleString('en')} ops on a plain tree (seed ${SEED + 1})`, () => {
    const run = new Cross(SEED + 1, false);
    run.run(Math.ceil(OPS / 2));
    expect(run.maxHeight).toBeGreaterThanOrEqual(3);
  }, timeout);
});
