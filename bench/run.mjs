/**
 * The benchmark suite: `npm run bench` (full scale) or `npm run bench -- --quick` (1/20 scale,
 * under a minute; CI's smoke test — it checks results, never speed).
 *
 * Runs every workload (bench/workloads.mjs, performance-anchors.md W1–W6, plus W7 GPU VA
 * trace, W8 small trees and W10 real programs' VMA traces) for every contender in its own
 * process (bench/worker.mjs), and W9 (concurrent readers of a shared tree) with its own script
 * (bench/w9-shared.mjs, which writes bench/results-w9.json), then prints a Markdown table of
 * medians and each contender's ratio to the WASM backend, checks that all contenders ended W4 and every W10 trace (and both
 * backends ended W7) in the same state, writes the raw figures to bench/results.json (full) or
 * bench/out/results-quick.json (quick), and draws the SVG charts (bench/charts.mjs) into
 * charts/ beside the results file (full: bench/charts/, quick: bench/out/charts/).
 *
 * Options: --quick; --procs P (processes per workload and contender; full 2, quick 1);
 * --runs R (timed runs per process; full 3, quick 1); --only W2,W4; --contenders wasm,ts;
 * --out FILE.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCharts } from './charts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const PROCS = Number(opt('--procs', quick ? 1 : 2));
const RUNS = Number(opt('--runs', quick ? 1 : 3));
const OUT = opt('--out', quick ? join(here, 'out', 'results-quick.json') : join(here, 'results.json'));

const ALL_WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W6a', 'W7', 'W8', 'W9', 'W10'];
/**
 * Own scripts, run after the others: W6a (aligned and nospan W6 searches against unaligned,
 * bench/w6-aligned.mjs) and W9 (a shared tree read by worker threads, bench/w9-shared.mjs).
 */
const OWN_SCRIPT = { W6a: 'w6-aligned.mjs', W9: 'w9-shared.mjs' };
const ALL_CONTENDERS = ['wasm', 'ts', 'sorted-btree', 'js-sdsl', 'flatten', 'nit'];
const WORKLOADS = opt('--only', ALL_WORKLOADS.join(',')).split(',');
const CONTENDERS = opt('--contenders', ALL_CONTENDERS.join(',')).split(',');
/** Workloads only some contenders can run: W7 needs the GpuVm, W10 a VMA adapter (dup, reverse gap search). */
const ONLY_FOR = { W7: ['wasm', 'ts'], W10: ['wasm', 'ts', 'sorted-btree'] };
/** W10's traces, one table row each (bench/data/NAME.vma.gz). */
const TRACES = readdirSync(join(here, 'data'))
  .filter((f) => f.endsWith('.vma.gz'))
  .map((f) => f.slice(0, -'.vma.gz'.length))
  .sort();

const LABEL = {
  wasm: 'WASM',
  ts: 'TS',
  'sorted-btree': 'sorted-btree',
  'js-sdsl': 'js-sdsl',
  flatten: '@flatten-js/interval-tree',
  nit: 'node-interval-tree',
};
const PEERS = ['sorted-btree', 'js-sdsl', 'flatten', 'nit'];

/** Table rows: id, label, the native C figure (performance-anchors.md §3.1; measured separately). */
const ROWS = [
  ['W1', 'W1 build: storeRange ascending', 194.6],
  ['W1-from', 'W1 build: MapleTree.from (sorted, bulk)', null],
  ['W2', 'W2 load, random', 323.5],
  ['W2-many', 'W2 load, random: one loadMany call (per index)', null],
  ['W2-find', 'W2 find(k) at the same keys (one walk; per call)', null],
  ['W2-bigint', 'W2 load, random: a `keys: \'bigint\'` tree ⁶', null],
  ['W3', 'W3 iterate, forEach (per entry) ¹', 10.0],
  ['W3-find', 'W3 iterate, MaState find() loop (per entry)', 10.0],
  ['W3-entries', 'W3 iterate, entries() (per entry; C: mt_for_each)', 50.5],
  ['W4', 'W4 random overwrite ²', 1204],
  ['W4-bigint', 'W4 random overwrite: a bigint tree ⁶', null],
  ['W5', 'W5 erase every other range', 170.8],
  ['W6', 'W6 gap search, emptyArea ³', 56.2],
  ['W6-setup', 'W6 setup: insertRange', 228.6],
  ['W6-bigint', 'W6 gap search: a bigint tree ⁶', null],
  ['W7', 'W7 GPU VA trace (per request)', null],
  ['W7-bigint', 'W7 GPU VA trace: a `keys: \'bigint\'` VM ⁶', null],
  ['W8', 'W8 small trees (per op) ⁴', null],
  ...TRACES.map((t) => [`W10-${t}`, `W10 ${t} trace (per event) ⁵`, null]),
  ['W10', 'W10 all traces (per event) ⁵', null],
];

// ---------------------------------------------------------------- machine

function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) model = m[1].trim();
  } catch {}
  return {
    cpu: model,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg(),
  };
}

// ---------------------------------------------------------------- run the workers

const started = Date.now();
const outputs = [];
const failures = [];
const worker = join(here, 'worker.mjs');

console.log(
  `maple-gpuvm bench: ${quick ? 'quick (1/20 scale)' : 'full scale'}, ${PROCS} process(es) × ${RUNS} run(s) per workload and contender; Node ${process.version}`,
);
for (let p = 0; p < PROCS; p++) {
  for (const w of WORKLOADS) {
    if (OWN_SCRIPT[w]) continue;
    for (const c of CONTENDERS) {
      if (ONLY_FOR[w] && !ONLY_FOR[w].includes(c)) continue;
      const argv = ['--expose-gc', worker, w, c, '--runs', String(RUNS)];
      if (quick) argv.push('--quick');
      const t0 = Date.now();
      const res = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 20 * 60 * 1000 });
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const line = (res.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (res.status !== 0 || !line) {
        failures.push({ workload: w, contender: c, status: res.status, signal: res.signal, stderr: (res.stderr || '').slice(-2000) });
        console.log(`  ${w} ${c}: FAILED (${secs}s)\n${(res.stderr || '').trim().split('\n').slice(-6).join('\n')}`);
        continue;
      }
      const out = JSON.parse(line);
      out.process = p;
      outputs.push(out);
      const brief = out.rows.map((r) => `${r.row} ${median(r.ns).toFixed(1)}`).join(', ');
      console.log(`  ${w} ${c}: ${brief} ns/op (${secs}s)`);
    }
  }
}

for (const w of WORKLOADS.filter((name) => OWN_SCRIPT[name])) {
  const res = spawnSync(process.execPath, ['--expose-gc', join(here, OWN_SCRIPT[w]), ...(quick ? ['--quick'] : [])], { stdio: 'inherit', timeout: 20 * 60 * 1000 });
  if (res.status !== 0) failures.push({ workload: w, contender: 'wasm,ts', status: res.status, signal: res.signal, stderr: `${OWN_SCRIPT[w]} failed (its output is above)` });
}

// ---------------------------------------------------------------- aggregate

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const summary = {};
for (const out of outputs) {
  for (const r of out.rows) {
    const cell = (summary[r.row] ??= {})[out.contender] ??= { ns: [], processMedians: [], otherCores: [], extra: [] };
    cell.ns.push(...r.ns);
    cell.processMedians.push(median(r.ns));
    cell.otherCores.push(...r.otherCores.filter((x) => x !== null));
    cell.extra.push(r.extra);
  }
}
for (const row of Object.values(summary)) {
  for (const cell of Object.values(row)) {
    cell.median = median(cell.ns);
    cell.min = Math.min(...cell.ns);
    cell.max = Math.max(...cell.ns);
    cell.otherCoresMedian = cell.otherCores.length ? median(cell.otherCores) : null;
  }
}

const memory = {};
for (const out of outputs) {
  if (out.workload === 'W1' && out.memory && !memory[out.contender]) memory[out.contender] = out.memory;
}

// Cross-checks: every contender must end W4 in the same state, both backends W7.
function crossCheck(row, what) {
  const cells = summary[row];
  if (!cells) return;
  let ref = null;
  for (const [c, cell] of Object.entries(cells)) {
    for (const e of cell.extra) {
      const fp = JSON.stringify(e.fingerprint);
      if (ref === null) ref = { c, fp };
      else if (fp !== ref.fp) failures.push({ workload: row, contender: c, status: 'mismatch', stderr: `${what}: ${c} ${fp} != ${ref.c} ${ref.fp}` });
    }
  }
}
crossCheck('W4', 'W4 final tree differs between contenders');
crossCheck('W7', 'W7 final VA space differs between backends');
crossCheck('W7-bigint', 'W7 final VA space of the bigint VMs differs between backends');
for (const t of TRACES) crossCheck(`W10-${t}`, `W10 ${t}: final address spaces differ between contenders`);

// ---------------------------------------------------------------- table

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const contendersShown = CONTENDERS.filter((c) => ROWS.some(([id]) => summary[id]?.[c]));

function table() {
  const head = ['workload (ns/op, median)', 'C maple (native, measured separately)', ...contendersShown.map((c) => LABEL[c])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const [id, label, cFigure] of ROWS) {
    const cells = summary[id];
    if (!cells) continue;
    const wasm = cells.wasm?.median;
    const row = [label, cFigure === null ? '—' : fmt(cFigure)];
    for (const c of contendersShown) {
      const cell = cells[c];
      if (!cell) {
        row.push('n/a');
        continue;
      }
      let text = fmt(cell.median);
      if (wasm && c !== 'wasm') text += ` (${(cell.median / wasm).toFixed(2)}×)`;
      if (id === 'W6' && PEERS.includes(c)) {
        const done = cell.extra.map((e) => e.sampled ?? e.of);
        const of = cell.extra[0].of;
        if (done.some((d) => d < of)) text += ` †`;
      }
      row.push(text);
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

function memoryTable() {
  const lines = [
    '| contender | tree structure, B/range | JS heap delta, B/range | nodes × 256 B | height |',
    '|---|---:|---:|---:|---:|',
  ];
  lines.push('| C maple (native, measured separately) | 34.29 | — | 133,932 | 6 |');
  for (const c of contendersShown) {
    const m = memory[c];
    if (!m) continue;
    const structure = m.poolPerRange ?? m.heapPerRange;
    lines.push(
      `| ${LABEL[c]} | ${structure.toFixed(2)} | ${m.heapPerRange.toFixed(2)} | ${m.nodes !== undefined ? m.nodes.toLocaleString('en-US') : '—'} | ${m.height ?? '—'} |`,
    );
  }
  return lines.join('\n');
}

function targets() {
  const get = (row, c) => summary[row]?.[c]?.median;
  const bestPeer = (row) => {
    let best = null;
    for (const c of PEERS) {
      const v = get(row, c);
      if (v !== undefined && (best === null || v < best.v)) best = { c, v };
    }
    return best;
  };
  const out = [];
  const add = (what, value, goal, higherIsBetter, detail) => {
    if (value === undefined || value === null || Number.isNaN(value)) return;
    const met = higherIsBetter ? value >= goal : value <= goal;
    out.push(`| ${what} | ${higherIsBetter ? '≥' : '≤'} ${goal} | ${value.toFixed(2)}${detail ? ` (${detail})` : ''} | ${met ? 'met' : `missed by ${(higherIsBetter ? goal / value : value / goal).toFixed(2)}×`} |`);
  };
  for (const [row, goal] of [['W2', 3], ['W4', 3], ['W1', 2], ['W5', 2]]) {
    const b = bestPeer(row);
    const w = get(row, 'wasm');
    if (b && w) add(`${row}: best JS peer ÷ WASM`, b.v / w, goal, true, `best peer ${LABEL[b.c]}`);
  }
  for (const row of ['W2', 'W4']) {
    const t = get(row, 'ts');
    const w = get(row, 'wasm');
    if (t && w) add(`${row}: TS ÷ WASM`, t / w, 2, true);
  }
  for (const [row, cRow, goal] of [['W1', 194.6, 1.5], ['W2', 323.5, 1.5], ['W4', 1204, 1.5], ['W5', 170.8, 1.5], ['W6', 56.2, 2], ['W3', 10.0, 3]]) {
    const w = get(row, 'wasm');
    if (w) add(`${row}: WASM ÷ C`, w / cRow, goal, false, `${fmt(w)} vs ${cRow} ns`);
  }
  if (memory.wasm) add('memory: WASM B/range', memory.wasm.poolPerRange, 40, false);
  for (const row of ['W2', 'W4', 'W6', 'W7']) {
    for (const c of ['wasm', 'ts']) {
      const big = get(`${row}-bigint`, c);
      const narrow = get(row, c);
      if (big && narrow) add(`${row}: bigint ÷ number keys, ${LABEL[c]}`, big / narrow, 1.5, false);
    }
  }
  const w7 = get('W7', 'wasm');
  if (w7) add('W7: WASM ns/request', w7, 2000, false);
  for (const t of TRACES) {
    const b = get(`W10-${t}`, 'sorted-btree');
    const w = get(`W10-${t}`, 'wasm');
    if (b && w) add(`W10 ${t}: sorted-btree ÷ WASM`, b / w, 2, true);
  }
  const caveat = quick ? 'Quick scale (1/20): a smoke test; these verdicts are not comparable with the full-scale targets.\n\n' : '';
  return caveat + ['| target | goal | measured | verdict |', '|---|---:|---:|---|', ...out].join('\n');
}

const footnotes = [
  '¹ JS peers: their own in-order walk (sorted-btree forEachPair, js-sdsl forEach, flatten forEach, node-interval-tree inOrder()).',
  '² JS peers have no overwrite-split: each runs the adapter in bench/adapters (delete the overlapped keys, re-insert the remnants).',
  '³ JS peers have no gap search: the adapter scans ranges in order from the start (O(n) per search). † sampled: each run stops after a time budget and reports ns per completed search (the searches are i.i.d., so this estimates the full-run mean); every completed search is checked.',
  '⁴ 1,000 trees of 100 ranges; each store followed by a load (tinybench median). WASM/TS trees are destroy()ed after use.',
  '⁵ Real programs\' mmap/munmap/mprotect/mremap/brk calls (bench/data, recorded with strace -f) replayed as VMA trees: a tree per address space, dup() on fork, top-down gap search for unhinted mmaps (sorted-btree: a reverse scan, it has no gap tracking), mprotect through find(). Every contender ends every trace with the same VMAs.',
  '⁶ The same workload on a `keys: \'bigint\'` tree of the same backend (keys cross into the core as u64), run in the same process right after each number-key run; results checked against it (W4: the same final tree; W7: a `keys: \'bigint\'` GpuVm, the same final VA space). Targets compare the two (≤ 1.5×).',
  'Ratios in parentheses: contender ÷ WASM (above 1 = slower than WASM). C figures: performance-anchors.md §3.1, same workloads, 2-core x86-64 VM, gcc -O2; not measured in this run.',
];

function loadNote() {
  const all = Object.values(summary).flatMap((row) => Object.values(row).flatMap((cell) => cell.otherCores));
  if (all.length === 0) return '';
  const quiet = all.filter((x) => x < 0.15).length;
  return `\nDuring the timed runs other processes used a median of ${median(all).toFixed(2)} cores (max ${Math.max(...all).toFixed(2)}); ${quiet} of ${all.length} runs were quiet by the anchors' rule (< 0.15 cores).`;
}

/** W10's traces: what they hold, and how often the replay's top-down search chose the kernel's address. */
function traceTable() {
  const lines = ['| trace | events | tasks | address spaces | VMAs at exit | unhinted mmaps searched | same address as the kernel |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const t of TRACES) {
    const e = summary[`W10-${t}`]?.wasm?.extra[0] ?? Object.values(summary[`W10-${t}`] ?? {})[0]?.extra[0];
    if (!e) continue;
    const n = (x) => x.toLocaleString('en-US');
    const same = e.searches ? `${n(e.sameAddress)} (${((100 * e.sameAddress) / e.searches).toFixed(1)}%)` : '—';
    lines.push(`| ${t} | ${n(e.events)} | ${n(e.tasks)} | ${n(e.addressSpaces)} | ${n(e.vmasAtExit)} | ${n(e.searches)} | ${same} |`);
  }
  return lines.length > 2 ? `\n\n**W10 traces**\n\n${lines.join('\n')}` : '';
}

const md = `${table()}\n\n${footnotes.join('\n')}${loadNote()}${traceTable()}\n\n**Memory after W1** (${quick ? '50,000' : '1,000,000'} ranges)\n\n${memoryTable()}\n\n**Targets**\n\n${targets()}\n`;
console.log(`\n${md}`);

function gitState() {
  const git = (...a) => spawnSync('git', a, { cwd: join(here, '..'), encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--', 'assembly', 'src').split('\n').filter(Boolean) };
}

const result = {
  date: new Date().toISOString(),
  git: gitState(),
  quick,
  scale: quick ? '1/20' : '1',
  node: process.version,
  v8: process.versions.v8,
  machine: machine(),
  procs: PROCS,
  runsPerProcess: RUNS,
  seconds: (Date.now() - started) / 1000,
  anchorsC: Object.fromEntries(ROWS.filter((r) => r[2] !== null).map(([id, , c]) => [id, c])),
  summary,
  memory,
  failures,
  markdown: md,
  raw: outputs,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${OUT} (${result.seconds.toFixed(0)} s)`);
const charts = writeCharts(result, join(dirname(OUT), 'charts'));
console.log(`wrote ${charts.length} charts: ${charts.join(', ')}`);

if (failures.length) {
  console.error(`\n${failures.length} FAILURE(S):`);
  for (const f of failures) console.error(`  ${f.workload} ${f.contender}: ${f.status} ${f.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  process.exit(1);
}
