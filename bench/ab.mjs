/**
 * Before/after on one machine: `node bench/ab.mjs --before DIR [--after DIR] [--only W1,W2]
 * [--rounds R] [--quick]` runs each checkout's own `bench/run.mjs` (full scale, WASM and TS contenders only)
 * one workload at a time, alternating the two checkouts, R rounds (default 1), so that a change
 * in the machine's load falls on both. Each checkout must hold a built dist/. Prints, per
 * workload row and backend, the two medians (ns/op) and after ÷ before; rows only one checkout
 * has are listed apart. Writes the whole comparison to bench/out/ab.json.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const before = opt('--before');
if (!before) throw new Error('usage: node bench/ab.mjs --before DIR [--after DIR] [--only W1,W2] [--rounds R]');
const checkouts = { before: resolve(before), after: resolve(opt('--after', join(here, '..'))) };
const workloads = opt('--only', 'W1,W2,W3,W4,W5,W6,W7,W8').split(',');
const rounds = Number(opt('--rounds', 1));
const CONTENDERS = ['wasm', 'ts'];
/** --quick: 1/20 scale, one process and run per cell (a smoke test of this script, not a measurement). */
const quick = args.includes('--quick');

/** One workload on one checkout: its summary rows (row → contender → median ns/op). */
function runOne(dir, workload) {
  const tmp = mkdtempSync(join(tmpdir(), 'ab-'));
  try {
    const out = join(tmp, 'results.json');
    const res = spawnSync(process.execPath, [join(dir, 'bench/run.mjs'), '--only', workload, '--contenders', CONTENDERS.join(','), '--out', out, ...(quick ? ['--quick'] : [])],
      { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (res.status !== 0) throw new Error(`${workload} in ${dir} failed: ${res.stderr.slice(-600)}`);
    return JSON.parse(readFileSync(out, 'utf8')).summary;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** medians[side][row][contender]: the median of the rounds' medians. */
const samples = { before: {}, after: {} };
for (let r = 0; r < rounds; r++) {
  for (const w of workloads) {
    const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const side of order) {
      const summary = runOne(checkouts[side], w);
      for (const [row, cells] of Object.entries(summary)) {
        for (const c of CONTENDERS) {
          if (!cells[c]) continue;
          ((samples[side][row] ??= {})[c] ??= []).push(cells[c].median);
        }
      }
      process.stderr.write(`round ${r + 1}: ${w} ${side} done\n`);
    }
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rows = [];
const only = [];
for (const row of new Set([...Object.keys(samples.before), ...Object.keys(samples.after)])) {
  for (const c of CONTENDERS) {
    const b = samples.before[row]?.[c];
    const a = samples.after[row]?.[c];
    if (b && a) rows.push({ row, contender: c, before: median(b), after: median(a), ratio: median(a) / median(b) });
    else if (b || a) only.push({ row, contender: c, side: b ? 'before' : 'after', ns: median(b ?? a) });
  }
}
console.log(`| row | backend | before ns/op | after ns/op | after ÷ before |\n|---|---|---:|---:|---:|`);
for (const x of rows) console.log(`| ${x.row} | ${x.contender} | ${x.before.toFixed(1)} | ${x.after.toFixed(1)} | ${x.ratio.toFixed(3)} |`);
if (only.length) console.log(`\nIn one checkout only: ${only.map((x) => `${x.row} ${x.contender} (${x.side})`).join(', ')}`);
mkdirSync(join(here, 'out'), { recursive: true });
writeFileSync(join(here, 'out', 'ab.json'), JSON.stringify({ date: new Date().toISOString(), checkouts, workloads, rounds, rows, only, samples }, null, 2));
