/**
 * W6 aligned: the W6 tree (100,000 ranges with holes of 0–4,096, bench/workloads.mjs) and its
 * 100,000 search sizes, searched three ways on each backend, interleaved run by run:
 *   unaligned  the W6 search (fresh MaState + emptyArea under the lock)
 *   align16    the same searches with { align: 16 }
 *   mixed      align 1/16/256/4096 in turn, and every other search { nospan } at 4× the size
 *              rounded up to a power of two
 * Each aligned result is checked: a multiple of its alignment, not spanning, free, and (for a
 * sample of 500) equal to a linear scan over the holes. Medians of the runs, in CPU time.
 *
 *   npm run build && node --expose-gc bench/w6-aligned.mjs [--quick] [--runs N]
 */

import { init, MapleTree, MAX_INDEX } from '../dist/index.js';
import { FULL_N, w6Inputs } from './workloads.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : quick ? 3 : 7;
const N = quick ? FULL_N / 10 : FULL_N;
const MIXED_ALIGNS = [1, 16, 256, 4096];
const NOSPAN_FACTOR = 4;
/** Searches checked against a linear scan over the holes, per variant. */
const SCAN_SAMPLE = 500;

const pow2AtLeast = (n) => 2 ** Math.ceil(Math.log2(n));

function placements(sizes) {
  const align16 = Array.from(sizes, () => ({ align: 16 }));
  const mixed = Array.from(sizes, (size, i) => {
    const align = MIXED_ALIGNS[i % MIXED_ALIGNS.length];
    return i % 2 === 0 ? { align, nospan: NOSPAN_FACTOR * pow2AtLeast(size) } : { align };
  });
  return { unaligned: null, align16, mixed };
}

function buildTree(backend, { first, last }) {
  const tree = new MapleTree({ backend, allocRange: true });
  for (let i = 0; i < first.length; i++) tree.insertRange(first[i], last[i], i);
  return tree;
}

/**
 * One timed pass of every search; returns ns of process CPU time per search (steadier than
 * wall time on a shared machine) and fills `found`.
 */
function searchAll(tree, sizes, opts, found) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < sizes.length; i++) {
    const mas = tree.state(0);
    tree.lock();
    try {
      if (opts === null) mas.emptyArea(0, MAX_INDEX, sizes[i]);
      else mas.emptyArea(0, MAX_INDEX, sizes[i], opts[i]);
    } finally {
      tree.unlock();
    }
    found[i] = mas.index;
  }
  const { user, system } = process.cpuUsage(c0);
  return ((user + system) * 1000) / sizes.length;
}

/** The free ranges of the W6 tree, in order. */
function holesOf({ first, last }) {
  const holes = [];
  let next = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] > next) holes.push([next, first[i] - 1]);
    next = last[i] + 1;
  }
  holes.push([next, MAX_INDEX]);
  return holes;
}

const crosses = (s, size, nospan) => nospan !== undefined && Math.floor(s / nospan) !== Math.floor((s + size - 1) / nospan);

/** Lowest fit by scanning the holes one by one, stepping by align past spanning starts. */
function scanFit(holes, size, { align, nospan }) {
  for (const [a, b] of holes) {
    for (let s = Math.ceil(a / align) * align; s + size - 1 <= b; s += align) {
      if (!crosses(s, size, nospan)) return s;
    }
  }
  return -1;
}

function check(ok, message) {
  if (!ok) {
    console.error(`w6-aligned: ${message}`);
    process.exit(1);
  }
}

function verify(tree, holes, sizes, opts, found, name) {
  for (let i = 0; i < sizes.length; i++) {
    const { align, nospan } = opts[i];
    check(found[i] % align === 0 && !crosses(found[i], sizes[i], nospan), `${name} ${i}: ${found[i]} breaks ${JSON.stringify(opts[i])}`);
    check(tree.find(found[i], found[i] + sizes[i] - 1) === undefined, `${name} ${i}: ${found[i]} is not free`);
  }
  const step = Math.max(1, Math.floor(sizes.length / SCAN_SAMPLE));
  for (let i = 0; i < sizes.length; i += step) {
    const expected = scanFit(holes, sizes[i], opts[i]);
    check(found[i] === expected, `${name} ${i}: found ${found[i]}, a linear scan finds ${expected}`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await init();
const inputs = w6Inputs(N);
const holes = holesOf(inputs);
const variants = placements(inputs.searchSize);
console.log(`W6 aligned: ${inputs.first.length} ranges, ${inputs.searchSize.length} searches, ${RUNS} runs, Node ${process.version}`);
for (const backend of ['wasm', 'ts']) {
  const tree = buildTree(backend, inputs);
  const found = new Float64Array(inputs.searchSize.length);
  const times = { unaligned: [], align16: [], mixed: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const [name, opts] of Object.entries(variants)) {
      times[name].push(searchAll(tree, inputs.searchSize, opts, found));
      if (name === 'unaligned') check(found.every((s, i) => s === inputs.expected[i]), 'unaligned W6 results differ from the anchors');
      else if (run === 0) verify(tree, holes, inputs.searchSize, opts, found, `${backend} ${name}`);
    }
  }
  const base = median(times.unaligned);
  const row = Object.entries(times).map(([name, t]) => `${name} ${median(t).toFixed(1)} ns (${(median(t) / base).toFixed(2)}×)`);
  console.log(`${backend.padEnd(5)} ${row.join('   ')}`);
  tree.destroy();
}
