// White-box differential test of the cores (CoreBackend level) against a flat array model:
// every index of a small key space is checked after every write, and validate() runs each time.
import { describe, it, expect } from 'vitest';
import { tsBackend } from '../../src/ts/TsBackend.js';
import type { CoreBackend } from '../../src/backend/backend.js';
import { coreBackends } from '../support/cores.js';

const MAX = Number.MAX_SAFE_INTEGER;

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Model over [0, span): handle per index; everything >= span is NULL. */
function checkAgainst(core: CoreBackend, tree: number, model: Int32Array, where: string) {
  const problem = core.validate(tree);
  if (problem) throw new Error(`${where}: ${problem}`);
  let i = 0;
  while (i < model.length) {
    const h = core.walk(tree, i);
    const first = core.res[0];
    const last = core.res[1];
    // Plain throws, not expect(): this loop runs for every range after every write.
    if (h !== model[i]) throw new Error(`${where}: handle at ${i} is ${h}, expected ${model[i]}`);
    if (!(first <= i && i <= last)) throw new Error(`${where}: range [${first},${last}] does not hold ${i}`);
    const stop = Math.min(last, model.length - 1);
    for (let j = i; j <= stop; j++) if (model[j] !== h) throw new Error(`${where}: index ${j} = ${model[j]}, range [${first},${last}] = ${h}`);
    // Ranges are maximal for NULL (coalesced) and exact for entries (each store is its own range).
    if (h === 0 && first > 0 && model[first - 1] === 0) throw new Error(`${where}: NULL not coalesced left at ${first}`);
    if (last >= model.length - 1) break;
    i = last + 1;
  }
  // Every handle still in the tree is counted live, and nothing else is.
  const distinct = new Set<number>();
  for (const h of model) if (h > 1) distinct.add(h);
  expect(core.entries.liveCount, `${where}: live entry handles`).toBe(distinct.size);
}

/** Replays a seeded stream of overwrites and erases against the flat model. */
function runStream(core: CoreBackend, span: number, ops: number, flags: number, seed: number, checkEvery: number) {
  const rnd = mulberry32(seed);
  const tree = core.treeCreate(flags, 0);
  const model = new Int32Array(span);
  for (let op = 0; op < ops; op++) {
    const first = Math.floor(rnd() * span);
    const len = rnd() < 0.7 ? 1 + Math.floor(rnd() * 8) : 1 + Math.floor((rnd() * span) / 4);
    const last = Math.min(span - 1, first + len - 1);
    const erase = rnd() < 0.35;
    const handle = erase ? 0 : core.entries.alloc({ op });
    const status = core.store(tree, first, last, handle, 0);
    expect(status, `seed ${seed} op ${op}`).toBeGreaterThanOrEqual(0);
    model.fill(handle, first, last + 1);
    if (op % checkEvery === 0) checkAgainst(core, tree, model, `seed ${seed} op ${op} store [${first},${last}]=${handle}`);
  }
  checkAgainst(core, tree, model, `seed ${seed} end`);
  core.treeRelease(tree);
  expect(core.entries.liveCount).toBe(0);
}

describe.each(coreBackends())('core $name', ({ make }) => {
  for (const [span, ops, flags] of [[200, 3000, 0], [5000, 6000, 0], [5000, 6000, 1], [60000, 4000, 1]] as const) {
    it(`random stores over ${span} keys (flags ${flags})`, () => {
      runStream(make(), span, ops, flags, 1000 + span + flags, span <= 200 ? 1 : 7);
    });
  }

  it('regression: a 3-way cut whose even cut points both end on NULL (seed 61001)', () => {
    // Found with 6-slot leaves: rows [.., NULL, .., .., NULL, ..] left no valid cut near n/3
    // and n*2/3, and the old cut rule produced a 2-row middle leaf.
    runStream(make(), 60000, 1104, 1, 61001, 1);
  });

  it('a node budget is never exceeded, and ENOMEM changes nothing', () => {
    const core = make();
    const rnd = mulberry32(4242);
    for (const [flags, cap] of [[0, 12], [1, 9], [0, 20], [1, 15]] as const) {
      const tree = core.treeCreate(flags, cap);
      const model = new Int32Array(3000);
      let refused = 0;
      for (let op = 0; op < 4000; op++) {
        const first = Math.floor(rnd() * model.length);
        const last = Math.min(model.length - 1, first + (rnd() < 0.8 ? Math.floor(rnd() * 6) : Math.floor(rnd() * 400)));
        const handle = rnd() < 0.3 ? 0 : core.entries.alloc(op);
        const status = core.store(tree, first, last, handle, 0);
        if (status < 0) {
          expect(status).toBe(-12);
          core.entries.dropIfUnused(handle);
          refused++;
        } else {
          model.fill(handle, first, last + 1);
        }
        expect(core.nodeCount(tree), `op ${op}: nodes within the budget of ${cap}`).toBeLessThanOrEqual(cap);
        if (op % 50 === 0 || status < 0) checkAgainst(core, tree, model, `budget ${cap} op ${op} status ${status}`);
      }
      expect(refused, `refusals under a budget of ${cap} (nodes ${core.nodeCount(tree)}, height ${core.height(tree)})`).toBeGreaterThan(0);
      core.treeRelease(tree);
    }
  });

  it('a store drawing on a reservation of storeBound nodes never runs out; other stores leave reservations alone', () => {
    const core = make();
    const rnd = mulberry32(777);
    for (const [flags, cap] of [[0, 30], [1, 40]] as const) {
      const tree = core.treeCreate(flags, cap);
      const bound = core.storeBound(tree);
      let drawn = 0;
      for (let op = 0; op < 3000; op++) {
        const first = Math.floor(rnd() * 5000);
        const last = Math.min(4999, first + (rnd() < 0.8 ? Math.floor(rnd() * 6) : Math.floor(rnd() * 300)));
        const handle = rnd() < 0.3 ? 0 : core.entries.alloc(op);
        // A second, undrawn reservation stands for another owner: no store may take from it.
        const other = core.reserve(tree, 1);
        if (core.reserve(tree, bound)) {
          drawn++;
          expect(core.nodeCount(tree) + core.reservedCount(tree)).toBeLessThanOrEqual(cap);
          core.setDraw(bound);
          expect(core.store(tree, first, last, handle, 0), `op ${op}: store drawing on ${bound} nodes`).toBeGreaterThanOrEqual(0);
          const left = core.draw();
          core.setDraw(0);
          expect(core.reservedCount(tree)).toBe(left + (other ? 1 : 0));
          core.unreserve(tree, left);
        } else {
          const reserved = core.reservedCount(tree);
          core.store(tree, first, last, handle, 0);
          expect(core.reservedCount(tree), `op ${op}: an undrawn store keeps reservations`).toBe(reserved);
        }
        if (other) core.unreserve(tree, 1);
        expect(core.reservedCount(tree)).toBe(0);
        core.entries.dropIfUnused(handle);
        expect(core.nodeCount(tree)).toBeLessThanOrEqual(cap);
      }
      expect(core.validate(tree)).toBeNull();
      expect(drawn).toBeGreaterThan(0);
      core.treeRelease(tree);
    }
  });

  it('releases every entry a wide overwrite drops (more than one release queue)', () => {
    const core = make();
    const tree = core.treeCreate(0, 0);
    const live = core.entries.liveCount;
    for (let i = 0; i < 2000; i++) core.store(tree, 2 * i, 2 * i, core.entries.alloc(i), 0);
    expect(core.entries.liveCount - live).toBe(2000);
    const wide = core.entries.alloc('wide');
    expect(core.store(tree, 0, 5000, wide, 0)).toBeGreaterThanOrEqual(0);
    expect(core.entries.liveCount - live).toBe(1);
    expect(core.entries.get(wide)).toBe('wide');
    core.treeRelease(tree);
    expect(core.entries.liveCount).toBe(live);
  });

  it('sequential build and erase of 20,000 ranges', () => {
    const core = make();
    const tree = core.treeCreate(0, 0);
    for (let i = 0; i < 20000; i++) {
      expect(core.store(tree, 16 * i, 16 * i + 9, core.entries.alloc(i), 0)).toBeGreaterThanOrEqual(0);
    }
    expect(core.validate(tree)).toBeNull();
    for (let i = 0; i < 20000; i += 2) core.store(tree, 16 * i, 16 * i + 9, 0, 0);
    expect(core.validate(tree)).toBeNull();
    for (let i = 1; i < 20000; i += 2) {
      expect(core.load(tree, 16 * i + 3)).toBeGreaterThan(1);
      expect(core.load(tree, 16 * i - 16 + 3)).toBe(0);
    }
    for (let i = 1; i < 20000; i += 2) core.store(tree, 16 * i, 16 * i + 9, 0, 0);
    expect(core.validate(tree)).toBeNull();
    expect(core.isEmpty(tree)).toBe(true);
    expect(core.nodeCount(tree)).toBe(0);
    core.treeRelease(tree);
  });

  it('spanning NULL store over the whole space empties the tree', () => {
    const core = make();
    const tree = core.treeCreate(1, 0);
    for (let i = 0; i < 3000; i++) core.store(tree, 10 * i, 10 * i + 5, core.entries.alloc(i), 0);
    expect(core.height(tree)).toBeGreaterThan(2);
    core.store(tree, 0, MAX, 0, 0);
    expect(core.isEmpty(tree)).toBe(true);
    expect(core.validate(tree)).toBeNull();
    expect(core.nodeCount(tree)).toBe(0);
  });
});

it('ts backend is a singleton', () => {
  expect(tsBackend()).toBe(tsBackend());
});
