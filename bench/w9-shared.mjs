/**
 * W9 concurrent reads on a shared tree: the W2 tree (ranges [16i, 16i + 9] = i, N = 1,000,000;
 * --quick: N / 20) in shared memory, read by one and by two reader worker threads, with and
 * without a writer thread storing continuously, on each backend, in RCU mode (readers never
 * lock) and with `rcu: false` (every read takes the tree's lock). Readers do W2's random loads
 * (the same keys) and check every answer; the writer erases a random range [16i, 16i + 9] and
 * stores it again, under the lock, as fast as it can. Also the single-agent figures: W2 on an
 * unshared tree and on the RCU shared tree, both in the main thread.
 *
 *   npm run build && node bench/w9-shared.mjs [--quick] [--seconds S] [--backends wasm,ts]
 *
 * Writes bench/results-w9.json (quick: bench/out/results-w9-quick.json) and prints a Markdown
 * table. Exits 1 if a reader saw a wrong answer; speed is reported, never asserted.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { init, MapleTree } from '../dist/index.js';
import { FULL_N, w2Inputs } from './workloads.mjs';

const STRIDE = 16;
const LENGTH = 10;
/** Control words shared by the main thread and its workers. */
const READY = 0;
const GO = 1;
const STOP = 2;
const CONTROL_WORDS = 3;
/** The writer erases a range and stores it again: two writes. */
const WRITES_PER_REWRITE = 2;
/** Loads between looks at the stop word. */
const BATCH = 512;
/** Untimed loads (reader) or writes (writer) before the start signal: the JIT warms up. */
const WARM_UP = 50_000;
/** Shared memory cap: the 1M-range tree needs about 35 MB of nodes. */
const MAX_MEMORY = 256 << 20;
/** Main-thread W2 passes; the median is reported. */
const PASSES = 5;
const POLL_MS = 5;

// ---------------------------------------------------------------- worker side

/** /proc counts CPU time in USER_HZ ticks, 100 per second on Linux. */
const PROC_TICKS_PER_SEC = 100;
/** Fields of /proc/.../stat after the command name: utime and stime. */
const STAT_UTIME = 11;
const STAT_STIME = 12;

/**
 * CPU seconds this thread has used (Linux: /proc/thread-self/stat), or null where there is no
 * such file. On a shared machine a thread gets only part of a core, so rates are also given per
 * CPU second of the threads that did the work.
 */
function threadCpuSeconds() {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[STAT_UTIME]) + Number(fields[STAT_STIME])) / PROC_TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** Runs `step` (which does `per` operations) until the stop word; returns { ops, ms, cpu }. */
function timedLoop(words, step, per) {
  let ops = 0;
  const cpu0 = threadCpuSeconds();
  const t0 = performance.now();
  while (Atomics.load(words, STOP) === 0) {
    step();
    ops += per;
  }
  const ms = performance.now() - t0;
  const cpu1 = threadCpuSeconds();
  return { ops, ms, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

/** The answer a load of key must give: floor(key / 16) in a range, else undefined. */
const expected = (key) => (key % STRIDE < LENGTH ? Math.floor(key / STRIDE) : undefined);

/** Loads keys from `start` until the stop word; returns { ops, ms, violations }. */
function readLoop(tree, keys, start, words, locked, writerRunning) {
  let at = start % keys.length;
  let violations = 0;
  const loadAt = (key) => {
    if (!locked) return tree.load(key);
    tree.lock();
    try {
      return tree.load(key);
    } finally {
      tree.unlock();
    }
  };
  const read = () => {
    for (let b = 0; b < BATCH; b++) {
      const key = keys[at];
      at = at + 1 === keys.length ? 0 : at + 1;
      const got = loadAt(key);
      // The writer erases a range before storing it again: a reader may find it missing.
      if (got !== expected(key) && !(writerRunning && got === undefined)) violations++;
    }
  };
  for (let w = 0; w < WARM_UP; w += BATCH) read();
  at = start % keys.length;
  signalReady(words);
  return { ...timedLoop(words, read, BATCH), violations };
}

/** Erases and restores random ranges until the stop word; returns { ops, ms } (ops = writes). */
function writeLoop(tree, n, words) {
  let state = 0x2545f491;
  const rewrite = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const i = state % n;
    tree.storeRange(STRIDE * i, STRIDE * i + LENGTH - 1, null);
    tree.storeRange(STRIDE * i, STRIDE * i + LENGTH - 1, i);
  };
  for (let w = 0; w < WARM_UP / 10; w++) rewrite();
  signalReady(words);
  return { ...timedLoop(words, rewrite, WRITES_PER_REWRITE), violations: 0 };
}

/** Tells the main thread this worker is ready, then waits for the start signal. */
function signalReady(words) {
  Atomics.add(words, READY, 1);
  Atomics.notify(words, READY);
  while (Atomics.load(words, GO) === 0) Atomics.wait(words, GO, 0);
}

async function agent({ role, handle, control, keys, start, locked, writerRunning, n }) {
  const tree = await MapleTree.attach(handle);
  const words = new Int32Array(control);
  const result = role === 'writer' ? writeLoop(tree, n, words) : readLoop(tree, new Float64Array(keys), start, words, locked, writerRunning);
  tree.detach();
  return result;
}

if (!isMainThread) {
  parentPort.once('message', async (job) => {
    try {
      parentPort.postMessage({ ok: true, ...(await agent(job)) });
    } catch (error) {
      parentPort.postMessage({ ok: false, message: `${error.code ?? ''} ${error.stack ?? error}` });
    }
  });
}

// ---------------------------------------------------------------- main side

function options() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const quick = args.includes('--quick');
  return {
    quick,
    n: quick ? FULL_N / 20 : FULL_N,
    seconds: Number(opt('--seconds', quick ? 0.3 : 2)),
    backends: opt('--backends', 'wasm,ts').split(','),
    out: join(dirname(fileURLToPath(import.meta.url)), quick ? 'out/results-w9-quick.json' : 'results-w9.json'),
  };
}

function* ranges(n) {
  for (let i = 0; i < n; i++) yield [STRIDE * i, STRIDE * i + LENGTH - 1, i];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Median ns per load of W2's keys in this thread, by wall clock and by the process's CPU time
 * (no worker runs meanwhile; process.cpuUsage counts microseconds, /proc only 10 ms ticks);
 * throws on a wrong answer.
 */
function mainThreadLoad(tree, keys) {
  const wall = [];
  const cpu = [];
  for (let p = 0; p < PASSES; p++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let wrong = 0;
    for (let k = 0; k < keys.length; k++) if (tree.load(keys[k]) !== expected(keys[k])) wrong++;
    wall.push(((performance.now() - t0) * 1e6) / keys.length);
    const used = process.cpuUsage(c0);
    cpu.push(((used.user + used.system) * 1e3) / keys.length);
    if (wrong) throw new Error(`W9: ${wrong} wrong answers in the main thread`);
  }
  return { ns: median(wall), cpuNs: median(cpu) };
}

function startAgent(job) {
  const worker = new Worker(new URL(import.meta.url));
  const done = new Promise((resolve, reject) => {
    worker.once('message', (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.message))));
    worker.once('error', reject);
  });
  worker.postMessage(job);
  return done.finally(() => worker.terminate());
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One scenario: `readers` readers (and a writer) on the tree for `seconds`. */
async function scenario(tree, sharedKeys, opts, { readers, writer, locked }) {
  const control = new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(control);
  const common = { handle: tree.share(), control, locked, writerRunning: writer, n: opts.n };
  const jobs = Array.from({ length: readers }, (_, r) => ({ ...common, role: 'reader', keys: sharedKeys, start: Math.floor((r * opts.n) / readers) }));
  if (writer) jobs.push({ ...common, role: 'writer' });
  const results = jobs.map(startAgent);
  const failed = Promise.race(results).then(() => null, (error) => error);
  while (Atomics.load(words, READY) < jobs.length) {
    const error = await Promise.race([failed, sleep(POLL_MS)]);
    if (error) throw error;
  }
  Atomics.store(words, GO, 1);
  Atomics.notify(words, GO);
  await sleep(opts.seconds * 1000);
  Atomics.store(words, STOP, 1);
  const all = await Promise.all(results);
  const readersOut = all.slice(0, readers);
  const sum = (key) => readersOut.reduce((acc, r) => acc + r[key], 0);
  const measuredCpu = readersOut.every((r) => r.cpu);
  return {
    readers,
    writer,
    locked,
    readsPerSec: readersOut.reduce((acc, r) => acc + (r.ops * 1000) / r.ms, 0),
    /** Reads per CPU second of the reader threads (null without /proc). */
    readsPerCpuSec: measuredCpu ? sum('ops') / sum('cpu') : null,
    /** The cores the reader threads got, summed: below `readers` when the machine is shared. */
    readerCores: measuredCpu ? readersOut.reduce((acc, r) => acc + r.cpu / (r.ms / 1000), 0) : null,
    writesPerSec: writer ? (all[readers].ops * 1000) / all[readers].ms : 0,
    violations: all.reduce((acc, r) => acc + r.violations, 0),
  };
}

const SCENARIOS = [
  { readers: 1, writer: false },
  { readers: 2, writer: false },
  { readers: 1, writer: true },
  { readers: 2, writer: true },
];

async function runBackend(backend, keys, sharedKeys, opts) {
  const plain = MapleTree.from(ranges(opts.n), { backend });
  const out = { backend, unshared: mainThreadLoad(plain, keys), rows: [] };
  plain.free();
  for (const rcu of [true, false]) {
    const tree = MapleTree.from(ranges(opts.n), { backend, shared: true, rcu, maxMemory: MAX_MEMORY });
    if (rcu) out.shared = mainThreadLoad(tree, keys);
    for (const s of SCENARIOS) {
      const row = await scenario(tree, sharedKeys, opts, { ...s, locked: !rcu });
      out.rows.push({ rcu, ...row });
      console.log(`  ${backend} ${rcu ? 'rcu ' : 'lock'} ${s.readers} reader(s)${s.writer ? ' + writer' : '         '}: ${fmtRate(row.readsPerSec)} reads/s${s.writer ? `, ${fmtRate(row.writesPerSec)} writes/s` : ''} (readers got ${fmtCores(row.readerCores)} cores)`);
    }
    tree.lock();
    tree.validate();
    tree.unlock();
    tree.free();
  }
  return out;
}

const fmtRate = (x) => (x === null ? '—' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`);
const fmtCores = (x) => (x === null ? '—' : x.toFixed(2));
const fmtRatio = (x) => (x === null || Number.isNaN(x) ? '—' : x.toFixed(2));

function rowOf(result, rcu, readers, writer) {
  return result.rows.find((r) => r.rcu === rcu && r.readers === readers && r.writer === writer);
}

/** a ÷ b, or null when either is missing. */
const ratio = (a, b) => (a === null || b === null || b === 0 ? null : a / b);

/**
 * The targets of W9: each measured by wall clock (as stated) and by CPU time, which shows the
 * ratio the code would give if every thread had a core of its own. The CPU-time form of the
 * two-reader target is 2 × (reads per CPU second with two readers ÷ with one). A lock-taking
 * reader that waits sleeps in Atomics.wait and uses no CPU, so its CPU-time ratio says how much
 * slower each read it does run is, not how long it waited.
 */
function targets(result) {
  const wall = (rcu, readers, writer) => rowOf(result, rcu, readers, writer).readsPerSec;
  const cpu = (rcu, readers, writer) => rowOf(result, rcu, readers, writer).readsPerCpuSec;
  const withWriter = (rate, rcu, readers) => ratio(rate(rcu, readers, true), rate(rcu, readers, false));
  const list = [
    ['RCU load, one agent ÷ unshared W2 load', '≤ 1.25', result.shared.ns / result.unshared.ns, ratio(result.shared.cpuNs, result.unshared.cpuNs), (v) => v <= 1.25],
    ['RCU: two readers ÷ one reader, no writer', '≥ 1.7', wall(true, 2, false) / wall(true, 1, false), ratio(2 * cpu(true, 2, false), cpu(true, 1, false)), (v) => v >= 1.7],
    ['RCU: one reader with a writer ÷ without', '≥ 0.70', withWriter(wall, true, 1), withWriter(cpu, true, 1), (v) => v >= 0.7],
    ['lock: one reader with a writer ÷ without', '< 0.50', withWriter(wall, false, 1), withWriter(cpu, false, 1), (v) => v < 0.5],
    ['RCU: two readers with a writer ÷ without', '(≥ 0.70)', withWriter(wall, true, 2), withWriter(cpu, true, 2), (v) => v >= 0.7],
    ['lock: two readers with a writer ÷ without', '(< 0.50)', withWriter(wall, false, 2), withWriter(cpu, false, 2), (v) => v < 0.5],
  ];
  return list.map(([what, goal, value, cpuValue, met]) => ({ what, goal, value, cpuValue, met: met(value), cpuMet: cpuValue === null ? null : met(cpuValue) }));
}

const verdict = (met) => (met === null ? '—' : met ? 'met' : 'missed');

function markdown(results, opts) {
  const lines = [
    `W9, N = ${opts.n.toLocaleString('en-US')} ranges, ${opts.seconds} s per scenario, Node ${process.version}, ${os.cpus().length} cores`,
    '',
    '| backend | readers | writer | RCU reads/s | lock reads/s | RCU reads per CPU-s | lock reads per CPU-s | cores the readers got (RCU / lock) | writes/s (RCU / lock) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    for (const s of SCENARIOS) {
      const a = rowOf(r, true, s.readers, s.writer);
      const b = rowOf(r, false, s.readers, s.writer);
      const writes = s.writer ? `${fmtRate(a.writesPerSec)} / ${fmtRate(b.writesPerSec)}` : '—';
      lines.push(`| ${r.backend} | ${s.readers} | ${s.writer ? 'yes' : 'no'} | ${fmtRate(a.readsPerSec)} | ${fmtRate(b.readsPerSec)} | ${fmtRate(a.readsPerCpuSec)} | ${fmtRate(b.readsPerCpuSec)} | ${fmtCores(a.readerCores)} / ${fmtCores(b.readerCores)} | ${writes} |`);
    }
  }
  lines.push('', '| backend | main-thread W2 load, unshared: ns (CPU ns) | shared RCU tree: ns (CPU ns) |', '|---|---:|---:|');
  const ns = (m) => `${m.ns.toFixed(0)} (${m.cpuNs === null ? '—' : m.cpuNs.toFixed(0)})`;
  for (const r of results) lines.push(`| ${r.backend} | ${ns(r.unshared)} | ${ns(r.shared)} |`);
  lines.push('', '| backend | target | goal | wall clock | verdict | CPU time | verdict |', '|---|---|---:|---:|---|---:|---|');
  for (const r of results) {
    for (const t of r.targets) lines.push(`| ${r.backend} | ${t.what} | ${t.goal} | ${fmtRatio(t.value)} | ${verdict(t.met)} | ${fmtRatio(t.cpuValue)} | ${verdict(t.cpuMet)} |`);
  }
  return lines.join('\n');
}

async function main() {
  const opts = options();
  await init();
  const { keys } = w2Inputs(opts.n);
  const sharedKeys = new SharedArrayBuffer(keys.byteLength);
  new Float64Array(sharedKeys).set(keys);
  const loadBefore = os.loadavg();
  console.log(`maple-gpuvm W9 (shared tree, worker threads): N = ${opts.n}, ${opts.seconds} s per scenario; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  const results = [];
  for (const backend of opts.backends) {
    const result = await runBackend(backend, keys, sharedKeys, opts);
    result.targets = targets(result);
    results.push(result);
  }
  const md = markdown(results, opts);
  console.log(`\n${md}\n`);
  const violations = results.reduce((acc, r) => acc + r.rows.reduce((a, row) => a + row.violations, 0), 0);
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, loadavg: { before: loadBefore, after: os.loadavg() }, ...opts, results, violations, markdown: md }, null, 2) + '\n');
  console.log(`wrote ${opts.out}`);
  if (violations) {
    console.error(`W9: readers saw ${violations} wrong answers`);
    process.exit(1);
  }
}

if (isMainThread) await main();
