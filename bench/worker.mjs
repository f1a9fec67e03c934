/**
 * One benchmark process: `node --expose-gc bench/worker.mjs <workload> <contender> [--quick]
 * [--runs R]`. Runs one workload for one contender, checks every result, and prints one JSON
 * line on stdout. bench/run.mjs starts one such process per (workload, contender, repetition)
 * so heaps and JIT state never leak between contenders.
 *
 * Timing follows the anchors: process.hrtime.bigint() around the whole workload loop,
 * ns/op = elapsed / operations. Each process first does one untimed warm-up pass at 1/20 of
 * the size, then R timed runs; each run starts after a full GC. Operands are generated before
 * the timer starts (the C harness computes them inline, a few ns per op). W8 uses tinybench.
 *
 * Contenders: 'wasm' and 'ts' (the built package, MapleTree / GpuVm), and the JS peers in
 * bench/adapters: 'sorted-btree', 'js-sdsl', 'flatten', 'nit'. W10 (real programs' VMA traces,
 * bench/vma-replay.mjs) runs on the contenders whose adapter exports a `vmaContender`.
 */

import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { FULL_N, MAX_INDEX, sizes, w2Inputs, w4Inputs, w6Inputs, w7Inputs, w8Inputs } from './workloads.mjs';
import { selfTest } from './rng.mjs';

const PEERS = {
  'sorted-btree': './adapters/sorted-btree.mjs',
  'js-sdsl': './adapters/js-sdsl.mjs',
  flatten: './adapters/flatten-interval-tree.mjs',
  nit: './adapters/node-interval-tree.mjs',
};

const argv = process.argv.slice(2);
const workload = argv[0];
const contender = argv[1];
const quick = argv.includes('--quick');
const runsArg = argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(argv[runsArg + 1]) : 3;
const SCALE = quick ? 20 : 1;
const N = FULL_N / SCALE;
/** W10: each timed run replays a trace as many times as it takes to reach this many events. */
const W10_EVENTS_PER_RUN = quick ? 10_000 : 200_000;
/** Peers' W6 gap search is a linear scan: each run stops after this many ms and reports ns/op so far. */
const W6_PEER_BUDGET_MS = quick ? 300 : 2500;

if (typeof global.gc !== 'function') fail('run with node --expose-gc');

function fail(message) {
  process.stderr.write(`bench/worker ${workload} ${contender}: ${message}\n`);
  process.exit(1);
}

function check(ok, what) {
  if (!ok) fail(`CHECK FAILED: ${what}`);
}

// ---------------------------------------------------------------- contender

const isMaple = contender === 'wasm' || contender === 'ts';
let maple = null;
let Peer = null;
if (isMaple) {
  maple = await import('./adapters/maple.mjs');
  await maple.setup();
} else if (PEERS[contender]) {
  Peer = await import(PEERS[contender]);
} else {
  fail(`unknown contender '${contender}'`);
}

const make = isMaple ? (options) => maple.create(contender, options) : () => new Peer.RangeMap();
const dispose = isMaple ? (m) => maple.dispose(m) : () => {};
const gapSearch = isMaple ? (m, size) => maple.emptyArea(m, size) : (m, size) => m.emptyArea(0, MAX_INDEX, size);

// ---------------------------------------------------------------- timing helpers

const now = () => process.hrtime.bigint();
/** Full GC before a timed run, so earlier garbage is not collected inside it (BENCH_NO_GC=1 skips it, for diagnosis). */
const settle = process.env.BENCH_NO_GC ? () => {} : () => global.gc();
const nsPer = (t0, t1, ops) => Number(t1 - t0) / ops;

/** System-wide busy CPU (jiffies) for the quiet-run figure; null off Linux. */
function cpuSnap() {
  let busy = null;
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    busy = total - f[3] - (f[4] || 0);
  } catch {
    busy = null;
  }
  return { busy, wall: now(), self: process.cpuUsage() };
}

/** Cores used by other processes between two snapshots (the anchors' "quiet run" measure). */
function otherCores(a, b) {
  if (a.busy === null || b.busy === null) return null;
  const wallS = Number(b.wall - a.wall) / 1e9;
  const selfS = (b.self.user - a.self.user + b.self.system - a.self.system) / 1e6;
  const busyS = (b.busy - a.busy) / 100; // USER_HZ = 100 on Linux
  return Math.max(0, (busyS - selfS) / wallS);
}

const rows = new Map();
function record(row, ns, other, extra) {
  if (!rows.has(row)) rows.set(row, { row, ns: [], otherCores: [], extra: {} });
  const r = rows.get(row);
  r.ns.push(ns);
  r.otherCores.push(other);
  if (extra) Object.assign(r.extra, extra);
}

// ---------------------------------------------------------------- W1..W6 on the range map

function build(m, n) {
  for (let i = 0; i < n; i++) m.storeRange(16 * i, 16 * i + 9, i);
}

function spotCheckBuild(m, n) {
  for (let k = 0; k < 1000; k++) {
    const i = (k * 7919) % n;
    check(m.load(16 * i + (k % 10)) === i, `W1 tree: load(${16 * i + (k % 10)}) should be ${i}`);
    check(m.load(16 * i + 10 + (k % 6)) === undefined, `W1 tree: index ${16 * i + 10 + (k % 6)} should be empty`);
  }
}

function countEntries(m) {
  let count = 0;
  let sumFirst = 0;
  let sumLast = 0;
  let sumValue = 0;
  let prevLast = -1;
  m.forEach((v, first, last) => {
    if (!(first > prevLast && last >= first)) fail(`ranges out of order at [${first}, ${last}]`);
    prevLast = last;
    count++;
    // Number(): a bigint tree's keys (below 2^53 here) add up like a number tree's.
    sumFirst += Number(first);
    sumLast += Number(last);
    sumValue = (sumValue + (v % 65521)) % 2147483647;
  });
  return { count, sumFirst, sumLast, sumValue };
}

let memory = null;

function runW1(n, timed) {
  global.gc();
  const h0 = process.memoryUsage();
  const m = make();
  const c0 = cpuSnap();
  const t0 = now();
  for (let i = 0; i < n; i++) m.storeRange(16 * i, 16 * i + 9, i);
  const t1 = now();
  const c1 = cpuSnap();
  if (timed) record('W1', nsPer(t0, t1, n), otherCores(c0, c1));
  spotCheckBuild(m, n);
  if (isMaple) runW1From(n, timed, maple.nodeCount(m));
  if (timed && memory === null) {
    global.gc();
    const h1 = process.memoryUsage();
    memory = {
      ranges: n,
      heapDeltaBytes: h1.heapUsed - h0.heapUsed,
      heapPerRange: (h1.heapUsed - h0.heapUsed) / n,
    };
    if (isMaple) {
      const nodes = maple.nodeCount(m);
      memory.nodes = nodes;
      memory.height = m.height;
      memory.poolBytes = nodes * 256;
      memory.poolPerRange = (nodes * 256) / n;
    }
  }
  dispose(m);
}

/** MapleTree.from over W1's ranges, built as [first, last, entry] triples outside the timing. */
function runW1From(n, timed, oneByOneNodes) {
  const ranges = new Array(n);
  for (let i = 0; i < n; i++) ranges[i] = [16 * i, 16 * i + 9, i];
  settle();
  const c0 = cpuSnap();
  const t0 = now();
  const m = maple.from(contender, ranges);
  const t1 = now();
  const c1 = cpuSnap();
  spotCheckBuild(m, n);
  check(maple.nodeCount(m) <= oneByOneNodes, `W1 from: ${maple.nodeCount(m)} nodes, more than the ${oneByOneNodes} of one-by-one stores`);
  if (timed) record('W1-from', nsPer(t0, t1, n), otherCores(c0, c1), { nodes: maple.nodeCount(m), oneByOneNodes });
  dispose(m);
}

/** W2's keys through one loadMany call, then find(k) at each key (checked against load). */
function runW2Bulk(n, timed, m, inputs) {
  const { keys } = inputs;
  settle();
  let c0 = cpuSnap();
  let t0 = now();
  const values = m.loadMany(keys);
  let t1 = now();
  let c1 = cpuSnap();
  let hits = 0;
  let sum = 0;
  for (const v of values) {
    if (v !== undefined) {
      hits++;
      sum += v;
    }
  }
  check(hits === inputs.hits && sum === inputs.sum, `W2 loadMany hits ${hits} sum ${sum}, expected ${inputs.hits} / ${inputs.sum}`);
  if (timed) record('W2-many', nsPer(t0, t1, n), otherCores(c0, c1));

  settle();
  sum = 0;
  c0 = cpuSnap();
  t0 = now();
  for (let k = 0; k < n; k++) {
    const r = m.find(keys[k]);
    if (r !== undefined) sum += r.entry;
  }
  t1 = now();
  c1 = cpuSnap();
  // The range at or after key k is entry floor(k / 16) (a hit) or the next one, until the last.
  let expected = 0;
  for (let k = 0; k < n; k++) {
    const i = Math.floor(keys[k] / 16) + (keys[k] % 16 < 10 ? 0 : 1);
    if (i < n) expected += i;
  }
  check(sum === expected, `W2 find: entry sum ${sum}, expected ${expected}`);
  if (timed) record('W2-find', nsPer(t0, t1, n), otherCores(c0, c1));
}

/** W2's loads on m at keys (inputs.keys, or the same as bigints for a bigint tree), timed as row. */
function runW2(n, timed, m, inputs, keys = inputs.keys, row = 'W2') {
  settle();
  let hits = 0;
  let sum = 0;
  const c0 = cpuSnap();
  const t0 = now();
  for (let k = 0; k < n; k++) {
    const v = m.load(keys[k]);
    if (v !== undefined) {
      hits++;
      sum += v;
    }
  }
  const t1 = now();
  const c1 = cpuSnap();
  check(hits === inputs.hits && sum === inputs.sum, `${row} hits ${hits} sum ${sum}, expected ${inputs.hits} / ${inputs.sum}`);
  if (n === FULL_N) check(hits === 624_273, `${row} hits ${hits}, the anchors say 624,273`);
  if (timed) record(row, nsPer(t0, t1, n), otherCores(c0, c1));
  if (isMaple && row === 'W2') runW2Bulk(n, timed, m, inputs);
}

function runW3(n, timed, m) {
  const expectSum = (n * (n - 1)) / 2;
  settle();
  let count = 0;
  let sum = 0;
  let c0 = cpuSnap();
  let t0 = now();
  m.forEach((v) => {
    count++;
    sum += v;
  });
  let t1 = now();
  let c1 = cpuSnap();
  check(count === n && sum === expectSum, `W3 forEach: ${count} entries, sum ${sum}`);
  if (timed) record('W3', nsPer(t0, t1, n), otherCores(c0, c1));
  if (!isMaple) return;

  // mas_for_each: an MaState find() loop.
  settle();
  count = 0;
  sum = 0;
  c0 = cpuSnap();
  t0 = now();
  const mas = m.state(0);
  let v;
  while ((v = mas.find(MAX_INDEX)) !== undefined) {
    count++;
    sum += v;
  }
  t1 = now();
  c1 = cpuSnap();
  check(count === n && sum === expectSum, `W3 MaState find: ${count} entries, sum ${sum}`);
  if (timed) record('W3-find', nsPer(t0, t1, n), otherCores(c0, c1));

  // mt_for_each: the entries() iterator (a tuple per entry).
  settle();
  count = 0;
  sum = 0;
  c0 = cpuSnap();
  t0 = now();
  for (const [, , e] of m.entries()) {
    count++;
    sum += e;
  }
  t1 = now();
  c1 = cpuSnap();
  check(count === n && sum === expectSum, `W3 entries: ${count} entries, sum ${sum}`);
  if (timed) record('W3-entries', nsPer(t0, t1, n), otherCores(c0, c1));
}

/** W4 on a number tree, or with wide (the starts and ends as bigints) on a bigint tree; returns the final tree's fingerprint. */
function runW4(n, timed, inputs, wide = null) {
  const { value } = inputs;
  const { first, last } = wide ?? inputs;
  const row = wide ? 'W4-bigint' : 'W4';
  const ops = first.length;
  const m = wide ? makeBig() : make();
  (wide ? buildBig : build)(m, n);
  settle();
  const c0 = cpuSnap();
  const t0 = now();
  for (let k = 0; k < ops; k++) m.storeRange(first[k], last[k], value[k]);
  const t1 = now();
  const c1 = cpuSnap();
  const fp = countEntries(m);
  for (let k = ops - 1; k >= Math.max(0, ops - 200); k--) {
    // The newest ranges are intact unless a later store overlapped them.
    const v = m.load(first[k]);
    check(v !== undefined, `${row}: index ${first[k]} is empty after the overwrites`);
  }
  check(m.load(last[ops - 1]) === value[ops - 1], `${row}: the last store is not visible`);
  if (timed) record(row, nsPer(t0, t1, ops), otherCores(c0, c1), { fingerprint: fp });
  dispose(m);
  return fp;
}

function runW5(n, timed) {
  const m = make();
  build(m, n);
  settle();
  const ops = n / 2;
  let bad = -1;
  const c0 = cpuSnap();
  const t0 = now();
  for (let i = 0; i < n; i += 2) {
    if (m.erase(16 * i) !== i) bad = i;
  }
  const t1 = now();
  const c1 = cpuSnap();
  check(bad < 0, `W5: erase(${16 * bad}) did not return ${bad}`);
  const fp = countEntries(m);
  check(fp.count === n / 2, `W5: ${fp.count} entries remain, expected ${n / 2}`);
  if (timed) record('W5', nsPer(t0, t1, ops), otherCores(c0, c1));
  dispose(m);
}

function runW6(n, timed, inputs) {
  const { first, last, searchSize, expected } = inputs;
  const k = first.length;
  const m = make({ allocRange: true });
  settle();
  let c0 = cpuSnap();
  let t0 = now();
  for (let i = 0; i < k; i++) m.insertRange(first[i], last[i], i);
  let t1 = now();
  let c1 = cpuSnap();
  if (timed) record('W6-setup', nsPer(t0, t1, k), otherCores(c0, c1));

  // No GC between the setup and the searches: the anchors search right after building, on a
  // cache-warm tree, and a full GC here evicts it (measured: about 110 vs 240 ns per WASM search).
  const found = new Float64Array(k);
  const budget = isMaple || !timed ? Infinity : W6_PEER_BUDGET_MS * 1e6;
  let done = 0;
  c0 = cpuSnap();
  t0 = now();
  if (Number.isFinite(budget)) {
    // Peers: a linear scan per search, so stop at the time budget (checked every 16 searches).
    const deadline = t0 + BigInt(budget);
    for (let i = 0; i < k; i++) {
      found[i] = gapSearch(m, searchSize[i]);
      done = i + 1;
      if ((i & 15) === 15 && now() > deadline) break;
    }
  } else {
    for (let i = 0; i < k; i++) found[i] = gapSearch(m, searchSize[i]);
    done = k;
  }
  t1 = now();
  c1 = cpuSnap();
  if (!timed && !isMaple) done = Math.min(done, 200);
  let sum = 0;
  let below = 0;
  for (let i = 0; i < done; i++) {
    check(found[i] === expected[i], `W6 search ${i} (size ${searchSize[i]}): found ${found[i]}, expected ${expected[i]}`);
    sum += found[i];
    if (found[i] < inputs.end) below++;
  }
  if (done === k) {
    check(sum === inputs.sum && below === inputs.below, `W6 checksum ${sum} / ${below} below the end`);
    if (n === FULL_N) check(sum === 20_388_833_913_636 && below === 50_129, `W6 checksum ${sum}, the anchors say 20,388,833,913,636`);
  }
  if (timed) {
    record('W6', nsPer(t0, t1, done), otherCores(c0, c1), done < k ? { sampled: done, of: k } : { of: k });
  }
  dispose(m);
}

// ---------------------------------------------------------------- W2, W4, W6 on bigint trees

/*
 * The same workloads on `keys: 'bigint'` trees of the same backend, run in the same process
 * right after each number-key run, so that their ratio compares like with like on a loaded
 * machine. Inputs are converted to bigints before the timed part; results are checked
 * against the number run's.
 */

const bigints = (xs) => BigUint64Array.from(xs, (x) => BigInt(x));
const makeBig = (options = {}) => make({ ...options, keys: 'bigint' });

function buildBig(m, n) {
  for (let i = 0; i < n; i++) m.storeRange(BigInt(16 * i), BigInt(16 * i + 9), i);
}

function runW6Big(n, timed, inputs, wide) {
  const { searchSize, expected } = inputs;
  const { first, last, size } = wide;
  const k = first.length;
  const m = makeBig({ allocRange: true });
  for (let i = 0; i < k; i++) m.insertRange(first[i], last[i], i);
  // As W6: no GC between the setup and the searches.
  const found = new Array(k);
  const c0 = cpuSnap();
  const t0 = now();
  for (let i = 0; i < k; i++) found[i] = maple.emptyArea64(m, size[i]);
  const t1 = now();
  const c1 = cpuSnap();
  for (let i = 0; i < k; i++) {
    check(found[i] === BigInt(expected[i]), `W6 bigint search ${i} (size ${searchSize[i]}): found ${found[i]}, expected ${expected[i]}`);
  }
  if (timed) record('W6-bigint', nsPer(t0, t1, k), otherCores(c0, c1));
  dispose(m);
}

// ---------------------------------------------------------------- W7 GPU VA trace

async function runW7(n, timed, inputs) {
  const { GpuVm } = await import('../dist/index.js');
  const PAGE = 4096;
  const bos = Array.from({ length: 256 }, (_, i) => ({ bo: i }));
  const vm = new GpuVm({ start: 0, range: 2 ** 47, backend: contender, name: 'bench' });
  const { mapAddr, mapLen, mapBo, mapOff, reqMap, reqAddr, reqLen, reqBo, reqOff } = inputs;
  for (let i = 0; i < mapAddr.length; i++) {
    vm.insert({ addr: mapAddr[i] * PAGE, range: mapLen[i] * PAGE, obj: bos[mapBo[i]], offset: mapOff[i] * PAGE });
  }
  const requests = reqMap.length;
  let opsCount = 0;
  settle();
  const c0 = cpuSnap();
  const t0 = now();
  for (let r = 0; r < requests; r++) {
    const addr = reqAddr[r] * PAGE;
    const range = reqLen[r] * PAGE;
    const ops = reqMap[r] === 1
      ? vm.smMapOps({ addr, range, obj: bos[reqBo[r]], offset: reqOff[r] * PAGE })
      : vm.smUnmapOps(addr, range);
    vm.apply(ops);
    opsCount += ops.length;
  }
  const t1 = now();
  const c1 = cpuSnap();
  const fingerprint = w7Fingerprint(vm, (key) => key / PAGE);
  if (timed) {
    record('W7', nsPer(t0, t1, requests), otherCores(c0, c1), {
      requests,
      setupMappings: mapAddr.length,
      opsPerRequest: opsCount / requests,
      finalMappings: fingerprint.count,
      fingerprint,
    });
  }
  vm.free();
  return fingerprint;
}

/**
 * W7 on a `keys: 'bigint'` VM of the same backend, right after the number run (as the bigint
 * rows of W2, W4, W6): the trace's addresses, lengths and offsets are bigints made before the
 * timed part. Returns the final VA space's fingerprint, which must be the number run's.
 */
async function runW7Big(n, timed, inputs, wide) {
  const { GpuVm } = await import('../dist/index.js');
  const bos = Array.from({ length: 256 }, (_, i) => ({ bo: i }));
  const vm = new GpuVm({ keys: 'bigint', start: 0n, range: 2n ** 47n, backend: contender, name: 'bench' });
  const { mapBo, reqMap, reqBo } = inputs;
  const { mapAddr, mapLen, mapOff, reqAddr, reqLen, reqOff } = wide;
  for (let i = 0; i < mapAddr.length; i++) {
    vm.insert({ addr: mapAddr[i], range: mapLen[i], obj: bos[mapBo[i]], offset: mapOff[i] });
  }
  const requests = reqMap.length;
  settle();
  const c0 = cpuSnap();
  const t0 = now();
  for (let r = 0; r < requests; r++) {
    const addr = reqAddr[r];
    const range = reqLen[r];
    const ops = reqMap[r] === 1
      ? vm.smMapOps({ addr, range, obj: bos[reqBo[r]], offset: reqOff[r] })
      : vm.smUnmapOps(addr, range);
    vm.apply(ops);
  }
  const t1 = now();
  const c1 = cpuSnap();
  const fingerprint = w7Fingerprint(vm, (key) => Number(key / 4096n));
  if (timed) record('W7-bigint', nsPer(t0, t1, requests), otherCores(c0, c1), { requests, fingerprint });
  vm.free();
  return fingerprint;
}

/** The trace's byte addresses, lengths and offsets as bigints (W7 on a bigint VM). */
function w7Wide(inputs) {
  const bytes = (pages) => Array.from(pages, (p) => BigInt(p) * 4096n);
  const { mapAddr, mapLen, mapOff, reqAddr, reqLen, reqOff } = inputs;
  return {
    mapAddr: bytes(mapAddr), mapLen: bytes(mapLen), mapOff: bytes(mapOff),
    reqAddr: bytes(reqAddr), reqLen: bytes(reqLen), reqOff: bytes(reqOff),
  };
}

/**
 * Fingerprint of a W7 VM's final VA space (ascending, non-overlapping; equal across backends
 * and key kinds); pages(key) turns an address, length or offset into its page count.
 */
function w7Fingerprint(vm, pages) {
  let count = 0;
  let sumAddr = 0;
  let sumRange = 0;
  let sumOff = 0;
  let end = 0;
  for (const va of vm.vas()) {
    const addr = pages(va.addr);
    const range = pages(va.range);
    check(addr >= end && range >= 1, `W7: VA [${va.addr}, +${va.range}) out of order`);
    end = addr + range;
    count++;
    sumAddr += addr;
    sumRange += range;
    sumOff = (sumOff + pages(va.offset)) % 2147483647;
  }
  return { count, sumAddr, sumRange, sumOff };
}

// ---------------------------------------------------------------- W8 small trees (tinybench)

async function runW8(n, timed, inputs) {
  const { trees, per, slot, probe } = inputs;
  const opsPerTask = trees * per * 2;
  let failed = null;
  const task = () => {
    let hits = 0;
    let sum = 0;
    for (let i = 0; i < trees; i++) {
      const m = make();
      const base = i * per;
      for (let j = 0; j < per; j++) {
        const s = slot[base + j];
        m.storeRange(16 * s, 16 * s + 9, j);
        const v = m.load(probe[base + j]);
        if (v !== undefined) {
          hits++;
          sum += v;
        }
      }
      dispose(m);
    }
    if (hits !== inputs.hits || sum !== inputs.sum) failed = `W8 hits ${hits} sum ${sum}, expected ${inputs.hits} / ${inputs.sum}`;
  };
  if (!timed) {
    task();
    check(failed === null, failed);
    return;
  }
  settle();
  const bench = new Bench({
    name: `W8 ${contender}`,
    time: quick ? 150 : 1500,
    warmupTime: quick ? 50 : 300,
    iterations: quick ? 3 : 10,
  });
  bench.add('W8', task);
  const c0 = cpuSnap();
  await bench.run();
  const c1 = cpuSnap();
  check(failed === null, failed);
  const t = bench.tasks[0];
  const res = t.result;
  if (!res || !res.latency) fail(`tinybench: task ended in state ${res?.state}: ${res?.error ?? ''}`);
  const lat = res.latency;
  // One record per process (tinybench's median over its samples); run.mjs takes the median of processes.
  record('W8', (lat.p50 * 1e6) / opsPerTask, otherCores(c0, c1), {
    trees,
    rangesPerTree: per,
    opsPerTree: per * 2,
    nsPerTree: (lat.p50 * 1e6) / trees,
    tinybenchSamples: lat.samplesCount ?? res.runs ?? null,
    tinybenchRme: lat.rme ?? null,
  });
}

// ---------------------------------------------------------------- W10 real programs' VMA traces

async function runW10(timed) {
  const { readTraces, replay } = await import('./vma-replay.mjs');
  const vma = isMaple ? maple.vmaContender(contender) : Peer.vmaContender;
  if (!vma) fail('W10 needs a vmaContender in the adapter');
  const traces = readTraces();
  const perRun = Array.from({ length: RUNS }, () => ({ ns: 0, events: 0, other: [] }));
  for (const trace of traces) {
    const reference = replay(trace, vma);
    if (!timed) continue;
    const reps = Math.max(1, Math.ceil(W10_EVENTS_PER_RUN / trace.events));
    for (let r = 0; r < RUNS; r++) {
      settle();
      let stats = null;
      const c0 = cpuSnap();
      const t0 = now();
      for (let k = 0; k < reps; k++) stats = replay(trace, vma);
      const t1 = now();
      const c1 = cpuSnap();
      check(
        stats.hash === reference.hash && stats.vmasAtExit === reference.vmasAtExit && stats.searchHash === reference.searchHash,
        `W10 ${trace.name}: replays end in different address spaces`,
      );
      const ns = nsPer(t0, t1, reps * trace.events);
      const other = otherCores(c0, c1);
      record(`W10-${trace.name}`, ns, other, {
        events: trace.events,
        tasks: trace.tasks,
        replaysPerRun: reps,
        addressSpaces: stats.spaces,
        searches: stats.searches,
        sameAddress: stats.matches,
        vmasAtExit: stats.vmasAtExit,
        fingerprint: { hash: stats.hash, vmasAtExit: stats.vmasAtExit, searchHash: stats.searchHash },
      });
      perRun[r].ns += ns * trace.events;
      perRun[r].events += trace.events;
      perRun[r].other.push(other);
    }
  }
  if (!timed) return;
  // All traces: ns per event over the concatenated traces (each trace weighted by its events).
  for (const run of perRun) {
    const others = run.other.filter((x) => x !== null);
    record('W10', run.ns / run.events, others.length ? Math.max(...others) : null, { events: run.events, traces: traces.map((t) => t.name) });
  }
}

// ---------------------------------------------------------------- main

selfTest();

async function pass(n, timed) {
  const runs = timed ? RUNS : 1;
  switch (workload) {
    case 'W1':
      for (let r = 0; r < runs; r++) runW1(n, timed);
      break;
    case 'W2':
    case 'W3': {
      const m = make();
      build(m, n);
      spotCheckBuild(m, n);
      const inputs = workload === 'W2' ? w2Inputs(n) : null;
      const big = isMaple && inputs ? makeBig() : null;
      if (big) buildBig(big, n);
      const keys = big ? bigints(inputs.keys) : null;
      for (let r = 0; r < runs; r++) {
        if (workload === 'W2') runW2(n, timed, m, inputs);
        else runW3(n, timed, m);
        if (big) runW2(n, timed, big, inputs, keys, 'W2-bigint');
      }
      dispose(m);
      if (big) dispose(big);
      break;
    }
    case 'W4': {
      const inputs = w4Inputs(n);
      const wide = isMaple ? { first: bigints(inputs.first), last: bigints(inputs.last) } : null;
      for (let r = 0; r < runs; r++) {
        const fp = runW4(n, timed, inputs);
        if (wide) {
          const fpBig = runW4(n, timed, inputs, wide);
          check(JSON.stringify(fpBig) === JSON.stringify(fp), 'W4: the bigint tree ends differently from the number tree');
        }
      }
      break;
    }
    case 'W5':
      for (let r = 0; r < runs; r++) runW5(n, timed);
      break;
    case 'W6': {
      const inputs = w6Inputs(n);
      const wide = isMaple ? { first: bigints(inputs.first), last: bigints(inputs.last), size: bigints(inputs.searchSize) } : null;
      for (let r = 0; r < runs; r++) {
        runW6(n, timed, inputs);
        if (wide) runW6Big(n, timed, inputs, wide);
      }
      break;
    }
    case 'W7': {
      if (!isMaple) fail('W7 needs the GpuVm (wasm or ts)');
      const inputs = w7Inputs(n);
      const wide = w7Wide(inputs);
      for (let r = 0; r < runs; r++) {
        const fp = await runW7(n, timed, inputs);
        const fpBig = await runW7Big(n, timed, inputs, wide);
        check(JSON.stringify(fpBig) === JSON.stringify(fp), 'W7: the bigint VM ends differently from the number VM');
      }
      break;
    }
    case 'W8': {
      const inputs = w8Inputs(n);
      if (timed) await runW8(n, true, inputs);
      else runW8(n, false, inputs);
      break;
    }
    case 'W10':
      await runW10(timed);
      break;
    default:
      fail(`unknown workload '${workload}'`);
  }
}

const started = now();
await pass(N / 20, false); // warm-up at 1/20 size, checked but not recorded
await pass(N, true);

process.stdout.write(
  JSON.stringify({
    workload,
    contender,
    quick,
    n: N,
    sizes: sizes(N),
    runs: RUNS,
    rows: [...rows.values()],
    memory,
    node: process.version,
    seconds: Number(now() - started) / 1e9,
  }) + '\n',
);
