/**
 * SVG charts of a bench run, one chart per group of workloads (drawn by chart-svg.mjs).
 * bench/run.mjs calls writeCharts() after a run; `node bench/charts.mjs [results.json] [outdir]`
 * redraws them from saved results (default bench/results.json → bench/charts/).
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartSvg, SERIES } from './chart-svg.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const GROUPS = [
  { file: 'build-and-write.svg', title: 'Building and writing (ns per operation)', rows: (r) => ['W1', 'W4', 'W5', 'W6-setup'].includes(r) },
  { file: 'read-and-search.svg', title: 'Reading and searching (ns per operation or entry)', rows: (r) => ['W2', 'W3', 'W3-find', 'W3-entries', 'W6'].includes(r) },
  { file: 'gpuvm-and-small-trees.svg', title: 'GPU VA requests and small trees (ns per request or operation)', rows: (r) => r === 'W7' || r === 'W8' },
  { file: 'w10-vma-traces.svg', title: "W10: real programs' address spaces (ns per event)", rows: (r) => r.startsWith('W10') },
];

/** Bars of one chart: per row, [series key, value] for every contender measured. */
function chartRows(result, pick) {
  const rows = [];
  for (const [row, cells] of Object.entries(result.summary)) {
    if (!pick(row)) continue;
    const bars = [];
    const c = result.anchorsC?.[row];
    for (const [key] of SERIES) {
      const v = key === 'c' ? c : cells[key]?.median;
      if (Number.isFinite(v) && v > 0) bars.push([key, v]);
    }
    if (bars.length) rows.push({ row, bars });
  }
  return rows;
}

/** Writes one SVG per group that has figures; returns the file names. */
export function writeCharts(result, dir) {
  mkdirSync(dir, { recursive: true });
  const when = `${result.quick ? 'quick (1/20 scale) run' : 'full run'} of ${result.date.slice(0, 10)}, Node ${result.node}, medians`;
  const written = [];
  for (const group of GROUPS) {
    const rows = chartRows(result, group.rows);
    if (rows.length === 0) continue;
    const withC = rows.some((r) => r.bars.some(([key]) => key === 'c'));
    writeFileSync(join(dir, group.file), chartSvg(group.title, rows, withC ? `${when}; C figures from performance-anchors.md` : when));
    written.push(group.file);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? join(here, 'results.json');
  const dir = process.argv[3] ?? join(dirname(file), 'charts');
  const names = writeCharts(JSON.parse(readFileSync(file, 'utf8')), dir);
  console.log(`wrote ${names.map((n) => join(dir, n)).join(', ')}`);
}
