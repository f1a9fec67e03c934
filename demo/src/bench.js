// Benchmark page: drives bench-worker.js and plots ns/op per workload and backend.
import { $, h, s, loadCore, showError, clearError, queryParam } from './common.js';

const WORKLOADS = [
  ['W1', 'build'],
  ['W2', 'load'],
  ['W4', 'overwrite'],
];
const BACKEND_COLOUR = { wasm: '#4e79a7', ts: '#f28e2b' };

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

/** One small chart per workload, each with its own scale, wasm and ts side by side. */
function renderChart() {
  const host = $('chart');
  const sum = summary();
  host.replaceChildren();
  if (!sum.size) {
    host.append(h('p', { class: 'hint' }, running ? 'Waiting for the first result…' : 'No results yet.'));
    return;
  }
  const PW = 290; // panel width
  const W = PW * WORKLOADS.length;
  const H = 280;
  const L = 58;
  const B = 40;
  const T = 34;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'ns per operation per workload, wasm and ts backends side by side' });
  WORKLOADS.forEach(([w, name], gi) => {
    const ox = gi * PW;
    const vals = ['wasm', 'ts'].map((b) => sum.get(`${w}/${b}`)).filter(Boolean);
    svg.append(s('text', { x: ox + L + (PW - L - 16) / 2, y: 16, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700, fill: '#1d232b' }, `${w} ${name}`));
    if (!vals.length) return;
    const max = Math.max(...vals.map((v) => v.ns)) * 1.18;
    const y = (ns) => T + (H - T - B) * (1 - ns / max);
    const step = niceStep(max / 4);
    for (let v = 0; v <= max; v += step) {
      svg.append(s('line', { x1: ox + L, y1: y(v), x2: ox + PW - 16, y2: y(v), stroke: '#e6e9ed' }));
      svg.append(s('text', { x: ox + L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5b6673', 'font-family': 'monospace' }, String(v)));
    }
    const barW = 70;
    ['wasm', 'ts'].forEach((b, bi) => {
      const v = sum.get(`${w}/${b}`);
      const x = ox + L + 20 + bi * (barW + 24);
      svg.append(s('text', { x: x + barW / 2, y: H - B + 17, 'text-anchor': 'middle', 'font-size': 12, fill: '#3b4652' }, b));
      if (!v) return;
      svg.append(s('rect', { x, y: y(v.ns), width: barW, height: H - B - y(v.ns), fill: BACKEND_COLOUR[b], rx: 2 }));
      svg.append(s('text', { x: x + barW / 2, y: y(v.ns) - 5, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 700, fill: '#1d232b', 'font-family': 'monospace' }, nsText(v.ns)));
    });
    svg.append(s('line', { x1: ox + L, y1: H - B, x2: ox + PW - 16, y2: H - B, stroke: '#8a94a0' }));
    if (gi === 0) {
      const my = T + (H - T - B) / 2;
      svg.append(s('text', { x: 12, y: my, transform: `rotate(-90 12 ${my})`, 'text-anchor': 'middle', 'font-size': 12, fill: '#5b6673' }, 'ns / op'));
    }
  });
  host.append(svg);
}

function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const k of [1, 2, 5, 10]) if (k * mag >= raw) return k * mag;
  return 10 * mag;
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
