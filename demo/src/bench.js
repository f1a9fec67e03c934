// Benchmark page: drives bench-worker.js and plots ns/op per workload and backend.
import { $, h, loadCore, showError, clearError, queryParam } from './common.js';
import { chartSvg } from '../../bench/chart-svg.mjs';

const WORKLOADS = [
  ['W1', 'build'],
  ['W2', 'load'],
  ['W4', 'overwrite'],
];

/** @type {Worker | null} */
let worker = null;
/** @type {{ backend: string, workload: string, rep: number, ops: number, ms: number, check?: string }[]} */
let results = [];
let running = false;
let frames = 0;
let runStart = 0;

const errBox = $('error');
const progress = /** @type {HTMLProgressElement} */ ($('bench-progress'));
const status = $('bench-status');

function median(xs) {
  const a = [...xs].sort((p, q) => p - q);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Median ns/op per workload and backend. */
function summary() {
  const out = new Map();
  for (const [w] of WORKLOADS) {
    for (const b of ['wasm', 'ts']) {
      const rs = results.filter((r) => r.workload === w && r.backend === b);
      if (!rs.length) continue;
      out.set(`${w}/${b}`, { ns: median(rs.map((r) => (r.ms * 1e6) / r.ops)), ops: rs[0].ops, runs: rs.length, check: rs.at(-1)?.check });
    }
  }
  return out;
}

const nsText = (ns) => (ns >= 100 ? ns.toFixed(0) : ns.toFixed(1));

function renderTable() {
  const tbody = /** @type {HTMLTableElement} */ ($('results')).tBodies[0];
  tbody.replaceChildren();
  const sum = summary();
  for (const [w, name] of WORKLOADS) {
    const a = sum.get(`${w}/wasm`);
    const b = sum.get(`${w}/ts`);
    if (!a && !b) continue;
    tbody.append(
      h('tr', { 'data-workload': w },
        h('th', {}, `${w} ${name}`),
        h('td', { class: 'num' }, (a ?? b)?.ops.toLocaleString('en-US') ?? ''),
        h('td', { class: 'num', 'data-backend': 'wasm' }, a ? nsText(a.ns) : '—'),
        h('td', { class: 'num', 'data-backend': 'ts' }, b ? nsText(b.ns) : '—'),
        h('td', { class: 'num' }, a && b ? `${(b.ns / a.ns).toFixed(2)}×` : '—'),
        h('td', {}, (a ?? b)?.check ?? ''),
      ),
    );
  }
}

/** A run shorter than this (ms) is mostly timer resolution, warm-up and GC pauses. */
const STEADY_MIN_MS = 200;
/** Runs of one cell further apart than this (max ÷ min) are not steady. */
const STEADY_MAX_SPREAD = 1.25;

/** Why a cell's figure is not steady, or null: too few runs, too short, or runs too far apart. */
function unsteady(rs) {
  const ms = rs.map((r) => r.ms);
  if (Math.min(...ms) < STEADY_MIN_MS) return `shortest run ${Math.round(Math.min(...ms))} ms`;
  if (rs.length < 3) return `${rs.length} run${rs.length === 1 ? '' : 's'}`;
  const spread = Math.max(...ms) / Math.min(...ms);
  return spread > STEADY_MAX_SPREAD ? `runs ${spread.toFixed(2)}× apart` : null;
}

/** The warning under the chart: which figures are not steady, and what to do about it. */
function renderWarning() {
  const reasons = [];
  for (const [w] of WORKLOADS) {
    for (const b of ['wasm', 'ts']) {
      const rs = results.filter((r) => r.workload === w && r.backend === b);
      const why = rs.length ? unsteady(rs) : null;
      if (why) reasons.push(`${w} ${b} (${why})`);
    }
  }
  const box = $('bench-warning');
  box.hidden = reasons.length === 0 || running;
  box.textContent = reasons.length
    ? `Not steady enough to compare: ${reasons.join(', ')}. Choose a larger N or more runs (each run should take ${STEADY_MIN_MS} ms or more, with at least 3 runs).`
    : '';
}

/** The chart the full benchmark writes for RESULTS.md (bench/chart-svg.mjs): log scale, wasm and ts per workload. */
function renderChart() {
  const host = $('chart');
  const sum = summary();
  const rows = WORKLOADS.map(([w]) => ({ row: w, bars: ['wasm', 'ts'].filter((b) => sum.has(`${w}/${b}`)).map((b) => [b, sum.get(`${w}/${b}`).ns]) }))
    .filter((r) => r.bars.length > 0);
  if (!rows.length) {
    host.replaceChildren(h('p', { class: 'hint' }, running ? 'Waiting for the first result…' : 'No results yet.'));
    return;
  }
  const n = results[0].ops.toLocaleString('en-US');
  host.innerHTML = chartSvg('ns per operation in this browser (medians)', rows, `N = ${n}; the page's worker, ${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/[\d.]+/)?.[0] ?? 'this browser'}`);
}

function setRunning(on) {
  running = on;
  /** @type {HTMLButtonElement} */ ($('bench-run')).disabled = on;
  /** @type {HTMLButtonElement} */ ($('bench-cancel')).disabled = !on;
  for (const id of ['bench-n', 'bench-reps', 'bench-wasm', 'bench-ts']) /** @type {HTMLInputElement} */ ($(id)).disabled = on;
}

/** Counts animation frames while the worker runs: proof that the page stays responsive. */
function heartbeat() {
  if (!running) return;
  frames++;
  $('heartbeat').textContent = `main thread: ${frames} frames drawn during the run (${((performance.now() - runStart) / 1000).toFixed(1)} s)`;
  requestAnimationFrame(heartbeat);
}

function run() {
  clearError(errBox);
  const n = Number(/** @type {HTMLSelectElement} */ ($('bench-n')).value);
  const reps = Number(/** @type {HTMLSelectElement} */ ($('bench-reps')).value);
  const backends = ['wasm', 'ts'].filter((b) => /** @type {HTMLInputElement} */ ($(`bench-${b}`)).checked);
  if (!backends.length) {
    showError(errBox, new Error('Pick at least one backend.'));
    return;
  }
  results = [];
  renderTable();
  renderWarning();
  setRunning(true);
  frames = 0;
  runStart = performance.now();
  requestAnimationFrame(heartbeat);
  renderChart();
  status.dataset.state = 'running';
  status.textContent = `running N = ${n.toLocaleString('en-US')}, ${reps} run${reps === 1 ? '' : 's'} on ${backends.join(' and ')}…`;
  progress.value = 0;
  worker?.terminate();
  worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.type === 'progress') {
      progress.max = m.total;
      progress.value = m.done;
      $('bench-label').textContent = `${m.done} / ${m.total} · ${m.label}`;
    } else if (m.type === 'result') {
      results.push(m);
      renderTable();
      renderChart();
    } else if (m.type === 'done') {
      setRunning(false);
      renderWarning();
      status.dataset.state = 'done';
      status.textContent = `done in ${((performance.now() - runStart) / 1000).toFixed(1)} s; the page drew ${frames} frames meanwhile. Timer: ${globalThis.crossOriginIsolated ? 'fine (cross-origin isolated page)' : 'coarse (the page is not cross-origin isolated)'}.`;
      $('bench-label').textContent = 'finished';
      worker?.terminate();
      worker = null;
    } else if (m.type === 'error') {
      fail({ name: m.name, message: m.message });
    }
  };
  worker.onerror = (e) => {
    e.preventDefault();
    fail({ name: 'Worker error', message: e.message || 'the benchmark worker failed to start' });
  };
  worker.postMessage({ n, reps, backends });
}

function fail(err) {
  setRunning(false);
  status.dataset.state = 'error';
  status.textContent = 'failed';
  const e = new Error(err.message);
  e.name = err.name;
  showError(errBox, e);
  worker?.terminate();
  worker = null;
}

function cancel() {
  worker?.terminate();
  worker = null;
  setRunning(false);
  status.dataset.state = 'cancelled';
  status.textContent = 'cancelled';
  $('bench-label').textContent = 'cancelled';
}

async function main() {
  $('bench-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  $('bench-cancel').addEventListener('click', cancel);
  if (queryParam('quick')) {
    // Test mode: tiny N, one run.
    /** @type {HTMLSelectElement} */ ($('bench-n')).value = '2000';
    /** @type {HTMLSelectElement} */ ($('bench-reps')).value = '1';
  }
  const ok = await loadCore();
  if (!ok) /** @type {HTMLInputElement} */ ($('bench-wasm')).checked = false;
  document.body.dataset.ready = 'true';
  if (queryParam('autorun')) run();
}

main();
