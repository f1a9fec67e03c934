/**
 * Instruction counts per operation under callgrind, for comparing builds on a noisy machine
 * (wall-clock A/B runs there vary by ±25%; instruction counts repeat to within ~1%).
 *
 *   node bench/instructions.mjs [--checkout DIR]... [--cases W5,W8,...] [--backends wasm,ts]
 *
 * Cases: W1, W4, W5, W8 (and its parts W8new, W8store), forEach, entries, size, load, find,
 * from (trees); rcuLoad (load's keys on a shared RCU tree in one agent, read sections and
 * all; not in the default list); W4big (W4 on a `keys: 'bigint'` tree); W6, W6big and W6align
 * (W6's gap searches, fresh MaState + emptyArea under the lock, on a number tree, a bigint
 * tree, and a number tree with { align: 16 }); W7 and W7big (the GPU VA trace on a number and
 * a `keys: 'bigint'` GpuVm; the *big cases need a checkout that has bigint trees or VMs).
 *
 * Each checkout must hold a built dist/ (default: this one). For every case × backend ×
 * checkout a child process runs under `valgrind --tool=callgrind`: it warms the case up, then
 * zeroes the counters (callgrind_control -z), runs the measured phase and dumps (-d), so only
 * that phase is counted, JIT compilation of late tiers included. Prints instructions per
 * operation and each checkout's ratio to the first. Needs valgrind (apt install valgrind).
 * `--keep DIR` keeps each run's callgrind output as DIR/<case>.<backend>.<checkout index>.cg
 * (for `callgrind_annotate`, e.g. a per-function diff of two checkouts).
 *
 * Steadiness: the child runs with CHILD_FLAGS. Without them the same build counted W8 at
 * 1,770 and 2,073 and W8new at 19,677 and 82,919 per tree: whether V8's background TurboFan
 * (JS and WebAssembly tier-up) landed before the counted passes, and whether a full GC fell
 * inside them, decided the count. So: no background threads (compiles and GC run on the main
 * thread, when they are due), WebAssembly compiled by TurboFan only (no Liftoff tier to
 * leave), a fixed GC schedule, a full GC before the counters are zeroed and two more passes
 * after it (the GC drops the pass's OSR code, whose recompilation was up to 30% of a count),
 * and warm-up by operation count so small cases are optimised too.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { w6Inputs, w7Inputs } from './workloads.mjs';

/** Ranges in the trees the cases build (small: callgrind runs code ~50× slower). */
const N = 20_000;
/** V8 flags of the measured child (see "Steadiness" above); INSTR_FLAGS="..." replaces all but --expose-gc. */
const CHILD_FLAGS = [
  ...(process.env.INSTR_FLAGS?.split(' ').filter(Boolean) ?? ['--single-threaded', '--no-liftoff', '--predictable-gc-schedule']),
  '--expose-gc',
];
/** Untimed passes before the counted ones, so the counted code is optimised: at least this many (or the case's `warmup`)… */
const WARMUP = 4;
/** …and at least this many operations (a case of 100 ops per pass gets 500 passes). */
const WARMUP_OPS = 50_000;
/** Counted passes, each on fresh input. */
const COUNTED = 3;
/** Whole-tree walks per pass of the iteration cases (one walk is too little to warm up the core's page fill). */
const WALKS = 5;

function build(tree, n) {
  for (let i = 0; i < n; i++) tree.storeRange(16 * i, 16 * i + 9, i);
  return tree;
}

/** W7's scale here: 2,000 mappings, then 4,000 requests per pass. */
const W7_N = 20_000;

/**
 * W7 (the GPU VA trace of bench/workloads.mjs): prep() builds a fresh VM with the setup
 * mappings, the pass runs the requests (op generation and apply). `key` turns the trace's page
 * numbers into addresses: numbers, or bigints for a `keys: 'bigint'` VM.
 */
function w7Case(GpuVm, backend, keys) {
  const t = w7Inputs(W7_N);
  const key = keys === 'bigint' ? (pages) => BigInt(pages) * 4096n : (pages) => pages * 4096;
  const bos = Array.from({ length: 256 }, (_, i) => ({ bo: i }));
  const prep = () => {
    const options = { start: key(0), range: key(2 ** 35), backend };
    const vm = new GpuVm(keys === 'bigint' ? { ...options, keys } : options);
    for (let i = 0; i < t.mapAddr.length; i++) {
      vm.insert({ addr: key(t.mapAddr[i]), range: key(t.mapLen[i]), obj: bos[t.mapBo[i]], offset: key(t.mapOff[i]) });
    }
    return vm;
  };
  const run = (vm) => {
    for (let r = 0; r < t.reqMap.length; r++) {
      const addr = key(t.reqAddr[r]);
      const range = key(t.reqLen[r]);
      const ops = t.reqMap[r] === 1
        ? vm.smMapOps({ addr, range, obj: bos[t.reqBo[r]], offset: key(t.reqOff[r]) })
        : vm.smUnmapOps(addr, range);
      vm.apply(ops);
    }
    vm.free();
  };
  return { prep, run, ops: t.reqMap.length };
}

/** W6's scale here: 2,000 ranges with random holes; a pass sweeps their 2,000 search sizes W6_SWEEPS times. */
const W6_N = 20_000;
/** A search is a few thousand instructions: one sweep per pass is too short to warm up or to outweigh a late compile. */
const W6_SWEEPS = 10;

/**
 * W6: prep() builds the allocRange tree once (shared by the passes: searches do not change it),
 * the pass searches the lowest fit of each size over the whole key space. `keys` and `opts` as
 * in w7Case; every result is checked against the workload's expected starts.
 */
function w6Case(MapleTree, backend, keys, opts) {
  const t = w6Inputs(W6_N);
  const big = keys === 'bigint';
  const key = big ? (x) => BigInt(x) : (x) => x;
  const sizes = Array.from(t.searchSize, key);
  let tree = null;
  const prep = () => {
    if (tree) return tree;
    tree = new MapleTree(big ? { backend, allocRange: true, keys } : { backend, allocRange: true });
    for (let i = 0; i < t.first.length; i++) tree.insertRange(key(t.first[i]), key(t.last[i]), i);
    return tree;
  };
  const zero = key(0);
  const max = big ? 2n ** 64n - 1n : 2 ** 53 - 1;
  const run = (m) => {
    for (let n = 0; n < W6_SWEEPS * sizes.length; n++) {
      const i = n % sizes.length;
      const mas = m.state(zero);
      m.lock();
      try {
        if (opts) mas.emptyArea(zero, max, sizes[i], opts);
        else mas.emptyArea(zero, max, sizes[i]);
      } finally {
        m.unlock();
      }
      if (!opts && mas.index !== key(t.expected[i])) throw new Error(`W6 search ${i}: ${mas.index}, expected ${t.expected[i]}`);
    }
  };
  return { prep, run, ops: W6_SWEEPS * sizes.length };
}

/** Each case: prep() makes a pass's input (not counted), run(input) is the pass, ops per pass. */
function cases(MapleTree, backend, GpuVm) {
  const make = () => new MapleTree({ backend });
  const shared = build(make(), N);
  const fromRanges = Array.from({ length: N }, (_, i) => [16 * i, 16 * i + 9, i]);
  const smallTrees = () => {
    for (let t = 0; t < 100; t++) {
      const tree = make();
      for (let j = 0; j < 100; j++) {
        const s = (j * 37) % 100;
        tree.storeRange(16 * s, 16 * s + 9, j);
        tree.load((j * 613) % 1600);
      }
      tree.destroy();
    }
  };
  // W4's shape: N/5 random overwrites of 1-64 indices over the tree's key span (a fixed LCG).
  const overwrites = (tree) => {
    let x = 42;
    const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
    for (let k = 0; k < N / 5; k++) {
      const start = next() % (16 * N);
      tree.storeRange(start, start + (next() % 64), k);
    }
  };
  // W4 on a bigint tree: the same build and overwrites, keys converted before the pass.
  const makeBig = () => new MapleTree({ backend, keys: 'bigint' });
  const overwritesBig = (() => {
    let x = 42;
    const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
    const first = [];
    const last = [];
    for (let k = 0; k < N / 5; k++) {
      const start = next() % (16 * N);
      first.push(BigInt(start));
      last.push(BigInt(start + (next() % 64)));
    }
    return (tree) => { for (let k = 0; k < N / 5; k++) tree.storeRange(first[k], last[k], k); };
  })();
  const buildBig = () => {
    const tree = makeBig();
    for (let i = 0; i < N; i++) tree.storeRange(BigInt(16 * i), BigInt(16 * i + 9), i);
    return tree;
  };
  // W8's parts: a tree's creation and destruction alone (per tree), and its stores without the loads.
  const newTrees = () => { for (let t = 0; t < 100; t++) make().destroy(); };
  const storesOnly = () => {
    for (let t = 0; t < 100; t++) {
      const tree = make();
      for (let j = 0; j < 100; j++) tree.storeRange(16 * ((j * 37) % 100), 16 * ((j * 37) % 100) + 9, j);
      tree.destroy();
    }
  };
  let sink = 0;
  const walks = (walk) => { for (let w = 0; w < WALKS; w++) walk(); };
  return {
    W1: { prep: make, run: (tree) => build(tree, N).destroy(), ops: N },
    W4: { prep: () => build(make(), N), run: (tree) => { overwrites(tree); tree.destroy(); }, ops: N / 5 },
    W4big: { prep: buildBig, run: (tree) => { overwritesBig(tree); tree.destroy(); }, ops: N / 5 },
    W5: { prep: () => build(make(), N), run: (tree) => { for (let i = 0; i < N; i += 2) tree.erase(16 * i); tree.destroy(); }, ops: N / 2 },
    // W8 and W8store make 100 trees a pass: 30 warm-up passes, or tree creation (openTree,
    // the MapleTree constructor) would still run unoptimised when counting (V8 needs ~2,000).
    W8: { prep: () => null, run: smallTrees, ops: 100 * 100 * 2, warmup: 30 },
    W8new: { prep: () => null, run: newTrees, ops: 100 },
    W8store: { prep: () => null, run: storesOnly, ops: 100 * 100, warmup: 30 },
    forEach: { prep: () => shared, run: (tree) => walks(() => tree.forEach((v) => { sink += v; })), ops: WALKS * N },
    entries: { prep: () => shared, run: (tree) => walks(() => { for (const [, , v] of tree.entries()) sink += v; }), ops: WALKS * N },
    size: { prep: () => shared, run: (tree) => walks(() => { sink += tree.size; }), ops: WALKS * N },
    load: { prep: () => shared, run: (tree) => { for (let i = 0; i < N; i++) tree.load(16 * i + 12); }, ops: N },
    get rcuLoad() {
      const tree = build(new MapleTree({ backend, shared: true, rcu: true }), N);
      return { prep: () => tree, run: (t) => { for (let i = 0; i < N; i++) t.load(16 * i + 12); }, ops: N };
    },
    find: { prep: () => shared, run: (tree) => { for (let i = 0; i < N; i++) tree.find(16 * i + 12); }, ops: N },
    from: { prep: () => fromRanges, run: (ranges) => MapleTree.from(ranges, { backend }).destroy(), ops: N },
    get W6() { return w6Case(MapleTree, backend, 'number', null); },
    get W6big() { return w6Case(MapleTree, backend, 'bigint', null); },
    get W6align() { return w6Case(MapleTree, backend, 'number', { align: 16 }); },
    get W7() { return w7Case(GpuVm, backend, 'number'); },
    get W7big() { return w7Case(GpuVm, backend, 'bigint'); },
  };
}

/** The child: runs one case under callgrind, counting only the measured passes. */
async function child(checkout, backend, name) {
  const { MapleTree, GpuVm, init } = await import(join(checkout, 'dist/index.js'));
  await init();
  const c = cases(MapleTree, backend, GpuVm)[name];
  if (!c) throw new Error(`unknown case ${name}`);
  for (let r = 0; r < (c.warmup ?? WARMUP) || r * c.ops < WARMUP_OPS; r++) c.run(c.prep());
  const inputs = Array.from({ length: COUNTED }, () => c.prep());
  globalThis.gc();
  // The full GC drops the case's OSR code: two more passes recompile it here (the first its
  // OSR entry, the second, once it is marked hot, the whole function), or that compilation
  // (tens of ms, its size following how much of the build TurboFan inlines into the pass)
  // would be counted as the case's work.
  for (let r = 0; r < 2; r++) c.run(c.prep());
  execFileSync('callgrind_control', ['-z', String(process.pid)], { stdio: 'ignore' });
  for (const input of inputs) c.run(input);
  execFileSync('callgrind_control', ['-d', String(process.pid)], { stdio: 'ignore' });
  process.stdout.write(JSON.stringify({ ops: COUNTED * c.ops }) + '\n');
}

/** Instructions per op of one case in one checkout; `keepAs` (a path or null) keeps the callgrind output. */
function measure(checkout, backend, name, keepAs) {
  const dir = mkdtempSync(join(tmpdir(), 'instr-'));
  try {
    const self = fileURLToPath(import.meta.url);
    const run = spawnSync(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, ...CHILD_FLAGS, self, '--child', checkout, backend, name],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (run.status !== 0) throw new Error(`${name} ${backend} in ${checkout} failed: ${run.stderr.slice(-400)}`);
    const { ops } = JSON.parse(run.stdout.trim().split('\n').pop());
    const dump = readdirSync(dir).find((f) => f.endsWith('.1'));
    if (keepAs) copyFileSync(join(dir, dump), keepAs);
    const totals = readFileSync(join(dir, dump), 'utf8').match(/^(?:summary|totals): (\d+)/m);
    return Number(totals[1]) / ops;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1], args[2], args[3]);
} else {
  const checkouts = [];
  args.forEach((a, i) => { if (a === '--checkout') checkouts.push(resolve(args[i + 1])); });
  if (checkouts.length === 0) checkouts.push(resolve(fileURLToPath(new URL('..', import.meta.url))));
  const names = option(args, '--cases', 'W1,W4,W5,W8,forEach,entries,size,load,find,from').split(',');
  const backends = option(args, '--backends', 'wasm,ts').split(',');
  const keep = option(args, '--keep', null);
  if (keep) mkdirSync(keep, { recursive: true });
  for (const name of names) {
    for (const backend of backends) {
      const counts = checkouts.map((checkout, i) =>
        measure(checkout, backend, name, keep && join(keep, `${name}.${backend}.${i}.cg`)));
      const ratios = counts.slice(1).map((n) => ` ×${(n / counts[0]).toFixed(3)}`).join('');
      console.log(`${name.padEnd(8)} ${backend.padEnd(5)} ${counts.map((n) => n.toFixed(0).padStart(7)).join(' ')} instr/op${ratios}`);
    }
  }
}
