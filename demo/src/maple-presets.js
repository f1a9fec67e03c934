// Presets of the maple tree page: write sequences that show the tree's shapes and store types.
// Each preset lists its writes as ops the page runs exactly like its forms do:
//   ['store', first, last, entry] | ['erase', index] | ['alloc', size, min, max]
// Entries are named by the page when the op gives none (e1, e2, … / a1, a2, …).
import { xorshift32 } from './common.js';

const STRIDE = 10; // appended ranges start every 10 indices…
const WIDTH = 5; // …and cover 6 (a gap of 4 between neighbours)
const ALLOC_MAX = 4095; // allocations stay below 4 Ki

function appended(count) {
  const ops = [];
  for (let i = 0; i < count; i++) ops.push(['store', i * STRIDE, i * STRIDE + WIDTH]);
  return ops;
}

/** Overlapping stores of 1–30 indices at seeded random places. */
function randomStores(count, top, seed) {
  const rand = xorshift32(seed);
  const ops = [];
  for (let i = 0; i < count; i++) {
    const first = rand() % top;
    ops.push(['store', first, first + (rand() % 30)]);
  }
  return ops;
}

function eraseEveryOther(count) {
  const ops = appended(count);
  for (let i = 0; i < count; i += 2) ops.push(['erase', i * STRIDE]);
  return ops;
}

/** Seeded allocations of 1–8 indices, then every third freed: the gaps allocRange searches. */
function allocations(count, seed) {
  const rand = xorshift32(seed);
  const ops = [];
  const starts = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const size = 1 + (rand() % 8);
    ops.push(['alloc', size, 0, ALLOC_MAX]);
    starts.push(next);
    next += size;
  }
  // allocRange packs from 0 upwards, so allocation i starts where the sizes before it end.
  for (let i = 0; i < count; i += 3) ops.push(['erase', starts[i]]);
  return ops;
}

/** @type {{ id: string, title: string, text: string, allocRange: boolean, ops: () => (string | number)[][] }[]} */
export const MAPLE_PRESETS = [
  {
    id: 'append40', title: '40 appended ranges: two levels', allocRange: true,
    text: 'Ranges stored one after another: each write appends to the last leaf until it is full, then the leaf splits.',
    ops: () => appended(40),
  },
  {
    id: 'append200', title: '200 appended ranges: three levels', allocRange: true,
    text: 'Enough appended ranges that the internal nodes split too: a root, a level of internal nodes and the leaves. Zoom out (or fit) to see the whole tree.',
    ops: () => appended(200),
  },
  {
    id: 'random', title: '300 random overlapping stores', allocRange: true,
    text: 'Seeded random stores of 1–30 indices that overlap older ones: exact fits, slot and node stores, spanning stores and rebalancing.',
    ops: () => randomStores(300, 1500, 2024),
  },
  {
    id: 'erase-half', title: '200 ranges, every other erased', allocRange: true,
    text: 'Erasing leaves NULL ranges that merge with the gaps around them; leaves that fall below their minimum are rebalanced.',
    ops: () => eraseEveryOther(200),
  },
  {
    id: 'alloc', title: 'allocRange: 120 allocations, every third freed', allocRange: true,
    text: 'allocRange packs allocations of 1–8 indices from 0 upwards; freeing every third leaves holes that the internal nodes record as gaps.',
    ops: () => allocations(120, 7),
  },
  {
    id: 'empty', title: 'Empty tree', allocRange: true,
    text: 'No entries (height 0): write ranges with the forms.',
    ops: () => [],
  },
];

/** The preset a visit without ?preset= lands on. */
export const DEFAULT_MAPLE_PRESET = 'append200';
