/**
 * The cost of bigint keys at the core's ABI: W2 (loads), W4 (random overwrites) and W6 (inserts,
 * then lowest-fit gap searches) run on number trees through the number calls and on
 * TREE_KEYS64 trees through the *64 calls (keys shifted up by 2^63, so every key needs all 64
 * bits), on both backends, with the same operands (bench/workloads.mjs). The MapleTree facade
 * adds the same argument checks to both; this isolates what the i64 crossing, the u64 result
 * words and (TS) the bigint core cost.
 *
 *   npm run build && node --expose-gc bench/abi64.mjs [--quick] [--runs R]
 *
 * Prints ns/op (best of R runs) per workload, backend and key kind, and the bigint/number ratio.
 */

import { init } from '../dist/index.js';
import { wasmBackend64 } from '../dist/wasm/load.js';
import { tsBackend, tsBackend64 } from '../dist/ts/TsBackend.js';
import { MODE_INSERT, MODE_OVERWRITE, TREE_ALLOC_RANGE, TREE_KEYS64 } from '../dist/backend/layout.js';
import { FULL_N, MAX_INDEX, sizes, w2Inputs, w4Inputs, w6Inputs } from './workloads.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
const N = quick ? FULL_N / 20 : FULL_N;
/** Where bigint keys start: the top half of the space, out of reach of any f64 key. */
const BASE = 1n << 63n;
const MAX_64 = (1n << 64n) - 1n;
/** W1's ranges, the tree W2 and W4 run on: [16i, 16i + 9]. */
const W1_STRIDE = 16;
const W1_LENGTH = 10;

function timed(fn) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const ops = fn();
  return Number(process.hrtime.bigint() - start) / ops;
}

/** The calls of one key kind: number trees through store/load/emptyArea, bigint ones through the *64 calls. */
function keyKind(core, wide) {
  const key = wide ? (k) => BASE + BigInt(k) : (k) => k;
  return {
    name: wide ? 'bigint' : 'number',
    flags: wide ? TREE_KEYS64 : 0,
    key,
    keys: (array) => (wide ? Array.from(array, key) : array),
    store: wide ? core.store64.bind(core) : core.store.bind(core),
    load: wide ? core.load64.bind(core) : core.load.bind(core),
    emptyArea: wide ? core.emptyArea64.bind(core) : core.emptyArea.bind(core),
    windowMax: wide ? MAX_64 : MAX_INDEX,
  };
}

function buildW1(core, kind, handle) {
  const tree = core.treeCreate(kind.flags, 0);
  for (let i = 0; i < N; i++) kind.store(tree, kind.key(W1_STRIDE * i), kind.key(W1_STRIDE * i + W1_LENGTH - 1), handle, MODE_OVERWRITE);
  return tree;
}

function w2(core, kind, handle) {
  const tree = buildW1(core, kind, handle);
  const keys = kind.keys(w2Inputs(N).keys);
  const ns = timed(() => {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (kind.load(tree, keys[i]) !== 0) hits++;
    if (hits === 0) throw new Error('W2 found nothing');
    return keys.length;
  });
  core.treeRelease(tree);
  return ns;
}

function w4(core, kind, handle) {
  const tree = buildW1(core, kind, handle);
  const { first, last } = w4Inputs(N);
  const firsts = kind.keys(first);
  const lasts = kind.keys(last);
  const ns = timed(() => {
    for (let i = 0; i < firsts.length; i++) kind.store(tree, firsts[i], lasts[i], handle, MODE_OVERWRITE);
    return firsts.length;
  });
  core.treeRelease(tree);
  return ns;
}

function w6(core, kind, handle) {
  const { first, last, searchSize, expected } = w6Inputs(N);
  const tree = core.treeCreate(kind.flags | TREE_ALLOC_RANGE, 0);
  const firsts = kind.keys(first);
  const lasts = kind.keys(last);
  const sizes64 = kind.name === 'bigint' ? Array.from(searchSize, BigInt) : searchSize;
  const min = kind.key(0);
  const ns = timed(() => {
    for (let i = 0; i < firsts.length; i++) kind.store(tree, firsts[i], lasts[i], handle, MODE_INSERT);
    for (let i = 0; i < sizes64.length; i++) kind.emptyArea(tree, min, kind.windowMax, sizes64[i], false);
    return firsts.length + sizes64.length;
  });
  // The last search's answer, read back in the tree's own key format, checks the whole run.
  const found = kind.name === 'bigint' ? core.res64[0] - BASE : core.res[0];
  if (Number(found) !== expected[expected.length - 1]) throw new Error(`W6 ${kind.name}: last search found ${found}`);
  core.treeRelease(tree);
  return ns;
}

await init();
const backends = [['wasm', wasmBackend64(), wasmBackend64()], ['ts', tsBackend(), tsBackend64()]];
const workloads = [['W2 load', w2], ['W4 storeRange', w4], ['W6 insert + emptyArea', w6]];
console.log(`N = ${N}, best of ${RUNS} runs, ns/op (W6 counts inserts and searches; sizes ${JSON.stringify(sizes(N).w6Ranges)} each)`);
for (const [workload, run] of workloads) {
  for (const [name, numbers, wide] of backends) {
    const best = {};
    for (let r = 0; r < RUNS; r++) {
      for (const [core, isWide] of [[numbers, false], [wide, true]]) {
        const kind = keyKind(core, isWide);
        const handle = core.entries.alloc({ workload });
        best[kind.name] = Math.min(best[kind.name] ?? Infinity, run(core, kind, handle));
        core.entries.dropIfUnused(handle);
      }
    }
    const ratio = best.bigint / best.number;
    console.log(`${workload.padEnd(24)} ${name.padEnd(5)} number ${best.number.toFixed(1).padStart(8)}  bigint ${best.bigint.toFixed(1).padStart(8)}  bigint/number ${ratio.toFixed(2)}`);
  }
}
