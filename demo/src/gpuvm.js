// GPU VA page: a GpuVm, its address space, and the split/merge ops of each request.
import { GpuVm, remapToUnmapRange } from 'maple-gpuvm';
import {
  $, h, s, loadCore, numOf, num, numberBase, wireBaseToggle, reformatFields, showError, clearError, boColour, hatchDefs,
  queryParam, setQueryParam,
} from './common.js';
import { KERNEL_CASES, DEFAULT_PRESET, DEFAULT_WINDOW, SPARSE_TRACE } from './presets.js';

// ------------------------------------------------------------------ state

/**
 * A request as the page keeps it.
 * @typedef {{ addr: number, range: number, obj: string | null, offset: number, flags?: number }} Snap
 * @typedef {{
 *   label: () => string, kind: 'map' | 'unmap' | 'insert', mode: 'list' | 'callback',
 *   req: { addr: number, range: number, obj: string | null, offset: number },
 *   before: Snap[], final: Snap[], ops: object[], pos: number,
 *   liveOps: object[] | null, vm: GpuVm | null, snaps: Snap[], log: string[], note?: string
 * }} Rec
 * A prepared bind job and what the page saw of the VM at submit and at run.
 * @typedef {{
 *   n: number, job: import('maple-gpuvm').BindJob, kind: 'map' | 'unmap', req: Rec['req'], held: number,
 *   atSubmit: string, atRun: string
 * }} QueuedJob
 * @typedef {{ vm: GpuVm | null, jobs: QueuedJob[], note: string, seq: number }} Queue
 */

const state = {
  backend: /** @type {'wasm' | 'ts'} */ ('wasm'),
  mode: /** @type {'list' | 'callback'} */ ('list'),
  win: { start: DEFAULT_WINDOW.start, range: DEFAULT_WINDOW.range, rsvOff: 0, rsvRange: 0 },
  /** @type {GpuVm | null} */ vm: null,
  /** @type {Rec[]} */ records: [],
  view: { lo: 0, hi: DEFAULT_WINDOW.range },
  /** @type {{ addr: number, range: number } | null} */ selection: null,
  /** @type {{ next: number } | null} */ trace: null,
  seq: 0,
  /** @type {Queue} */ queue: { vm: null, jobs: [], note: '', seq: 0 },
};

const errBox = $('error');
const PRESET_PARAM = 'preset';
const KIB = 1024;
/** maxNodes of the page's VM: the budget the bind queue's reservations and the VAs share. */
const BUDGET_NODES = 1000;
/** The form fields that hold numbers; a base switch rewrites them. */
const NUMBER_FIELDS = ['req-addr', 'req-range', 'req-offset', 'vm-start', 'vm-range', 'vm-rsv-off', 'vm-rsv-range'];

/** The driver callbacks of callback mode: apply each step at once and record it. */
const CALLBACKS = {
  smStepMap(op, ctx) {
    ctx.log.push(`smStepMap(${opText(describe(op))})  → vm.applyMap(op)`);
    ctx.ops.push(describe(op));
    ctx.vm.applyMap(op);
    ctx.snaps.push(snapshot(ctx.vm));
  },
  smStepRemap(op, ctx) {
    ctx.log.push(`smStepRemap(${opText(describe(op))})  → vm.applyRemap(op)`);
    ctx.ops.push(describe(op));
    ctx.vm.applyRemap(op);
    ctx.snaps.push(snapshot(ctx.vm));
  },
  smStepUnmap(op, ctx) {
    ctx.log.push(`smStepUnmap(${opText(describe(op))})  → vm.applyUnmap(op)`);
    ctx.ops.push(describe(op));
    ctx.vm.applyUnmap(op);
    ctx.snaps.push(snapshot(ctx.vm));
  },
};

// ------------------------------------------------------------------ VM helpers

/** A new VM with the page's window and backend, holding the given VAs. */
function makeVm(vas) {
  const { start, range, rsvOff, rsvRange } = state.win;
  const vm = new GpuVm({
    start,
    range,
    reserveOffset: rsvOff,
    reserveRange: rsvRange,
    backend: state.backend,
    maxNodes: BUDGET_NODES,
    ops: CALLBACKS,
    name: 'demo',
  });
  for (const va of vas) vm.insert({ addr: va.addr, range: va.range, obj: va.obj, offset: va.offset, flags: va.flags ?? 0 });
  return vm;
}

/** The VM's VAs as plain objects (the kernel-reserved VA left out). */
function snapshot(vm) {
  const out = [];
  for (const va of vm.vas()) {
    if (va === vm.reserved) continue;
    out.push({ addr: va.addr, range: va.range, obj: va.obj, offset: va.offset, flags: va.flags });
  }
  return out;
}

function plain(va) {
  return { addr: va.addr, range: va.range, obj: va.obj, offset: va.offset };
}

/** A display copy of an op (GpuVa objects replaced by plain ones; a remap gets its hole). */
function describe(op) {
  switch (op.type) {
    case 'map':
      return { type: 'map', addr: op.addr, range: op.range, obj: op.obj, offset: op.offset };
    case 'unmap':
      return { type: 'unmap', va: plain(op.va), keep: op.keep };
    case 'remap':
      return {
        type: 'remap',
        unmap: { va: plain(op.unmap.va), keep: op.unmap.keep },
        prev: op.prev ? plain(op.prev) : null,
        next: op.next ? plain(op.next) : null,
        hole: remapToUnmapRange(op),
      };
    default:
      return { type: op.type };
  }
}

function opsFor(vm, kind, req) {
  return kind === 'map' ? vm.smMapOps(req) : vm.smUnmapOps(req.addr, req.range);
}

function applyOne(vm, op) {
  if (op.type === 'map') vm.applyMap(op);
  else if (op.type === 'remap') vm.applyRemap(op);
  else if (op.type === 'unmap') vm.applyUnmap(op);
}

function current() {
  return state.records.at(-1) ?? null;
}

// ------------------------------------------------------------------ formatting

const span = (addr, range) => `[${num(addr)}, ${num(addr + range)})`;
const boName = (obj) => (obj === null || obj === undefined ? 'NULL' : String(obj));
const vaText = (v) => `${span(v.addr, v.range)} ${boName(v.obj)} @${num(v.offset)}`;

function opText(d) {
  if (d.type === 'map') return `map ${vaText(d)}`;
  if (d.type === 'unmap') return `unmap ${vaText(d.va)} keep=${d.keep}`;
  if (d.type === 'remap') {
    return `remap unmap ${vaText(d.unmap.va)} keep=${d.unmap.keep}, prev ${d.prev ? vaText(d.prev) : 'null'}, next ${d.next ? vaText(d.next) : 'null'}`;
  }
  return d.type;
}

function reqText(rec) {
  const r = rec.req;
  if (rec.kind === 'unmap') return `unmap ${span(r.addr, r.range)}`;
  if (rec.kind === 'insert') return `insert ${vaText(r)}`;
  return `map ${span(r.addr, r.range)} → ${boName(r.obj)} @${num(r.offset)}`;
}

// ------------------------------------------------------------------ requests

/** Reads the request form. BO: empty = NULL (a sparse binding). */
function readForm() {
  const kind = /** @type {HTMLInputElement} */ ($('kind-unmap')).checked ? 'unmap' : 'map';
  const bo = /** @type {HTMLInputElement} */ ($('req-bo')).value.trim();
  return {
    kind,
    req: { addr: numOf('req-addr'), range: numOf('req-range'), obj: bo === '' ? null : bo, offset: numOf('req-offset') },
  };
}

function fillForm(kind, req) {
  /** @type {HTMLInputElement} */ ($(kind === 'unmap' ? 'kind-unmap' : 'kind-map')).checked = true;
  /** @type {HTMLInputElement} */ ($('req-addr')).value = num(req.addr);
  /** @type {HTMLInputElement} */ ($('req-range')).value = num(req.range);
  if (kind !== 'unmap') {
    /** @type {HTMLInputElement} */ ($('req-bo')).value = req.obj ?? '';
    /** @type {HTMLInputElement} */ ($('req-offset')).value = num(req.offset ?? 0);
  }
}

/**
 * Runs a map or unmap request against the live VM. List mode computes the op list
 * (smMapOps / smUnmapOps) and applies it op by op; callback mode calls smMap / smUnmap, whose
 * callbacks apply each op as it is generated. Errors (MapleError) leave the VM unchanged.
 */
function runRequest(kind, req, label, applyAll) {
  clearError(errBox);
  const vm = /** @type {GpuVm} */ (state.vm);
  const before = snapshot(vm);
  const prev = current();
  let note;
  if (prev && prev.mode === 'list' && prev.pos < prev.ops.length) {
    note = `${prev.ops.length - prev.pos} unapplied op(s) of the previous request were abandoned.`;
  }
  const full = { addr: req.addr, range: req.range, obj: kind === 'unmap' ? null : req.obj, offset: kind === 'unmap' ? 0 : req.offset };
  const callReq = { addr: req.addr, range: req.range, obj: req.obj, offset: req.offset };
  /** @type {Rec} */
  let rec;
  try {
    if (state.mode === 'list') {
      const ops = opsFor(vm, kind, callReq);
      const scratch = makeVm(before);
      scratch.apply(opsFor(scratch, kind, callReq));
      rec = {
        label, kind, mode: 'list', req: full, before, final: snapshot(scratch),
        ops: ops.map(describe), liveOps: ops, vm, pos: 0, snaps: [before], log: [], note,
      };
    } else {
      const ctx = { vm, ops: [], snaps: [before], log: [] };
      if (kind === 'map') vm.smMap(callReq, ctx, { atomic: true });
      else vm.smUnmap(req.addr, req.range, ctx, { atomic: true });
      rec = {
        label, kind, mode: 'callback', req: full, before, final: snapshot(vm),
        ops: ctx.ops, liveOps: null, vm: null, pos: ctx.ops.length, snaps: ctx.snaps, log: ctx.log, note,
      };
    }
  } catch (err) {
    showError(errBox, err);
    render();
    return false;
  }
  state.records.push(rec);
  state.selection = null;
  if (rec.mode === 'list' && applyAll) stepTo(rec, rec.ops.length);
  else if (rec.mode === 'callback' && !applyAll) stepTo(rec, 0);
  render();
  return true;
}

function insertVa(req) {
  clearError(errBox);
  const vm = /** @type {GpuVm} */ (state.vm);
  const before = snapshot(vm);
  try {
    vm.insert({ addr: req.addr, range: req.range, obj: req.obj, offset: req.offset });
  } catch (err) {
    showError(errBox, err);
    return;
  }
  state.records.push({
    label: () => 'insert', kind: 'insert', mode: state.mode, req, before, final: snapshot(vm),
    ops: [], liveOps: null, vm: null, pos: 0, snaps: [before], log: [],
  });
  state.selection = null;
  render();
}

/** Moves the current request to "k ops applied". */
function stepTo(rec, k) {
  if (rec.kind === 'insert') return;
  k = Math.max(0, Math.min(k, rec.ops.length));
  try {
    if (rec.mode === 'list') {
      if (rec.vm === state.vm && rec.liveOps && k >= rec.pos) {
        // Forward on the live VM: the ops were computed against it, apply them in order.
        for (let i = rec.pos; i < k; i++) {
          applyOne(rec.vm, rec.liveOps[i]);
          rec.snaps[i + 1] = snapshot(rec.vm);
        }
      } else {
        // Backwards (or after a backend switch): rebuild the VM as it was before the request,
        // recompute the ops (same result) and apply the first k.
        const vm = makeVm(rec.before);
        const ops = opsFor(vm, rec.kind, rec.req);
        for (let i = 0; i < k; i++) applyOne(vm, ops[i]);
        rec.liveOps = ops;
        rec.vm = vm;
        state.vm = vm;
      }
    } else {
      // Callback mode ran every step inside smMap; stepping replays the VM after each callback.
      state.vm = makeVm(rec.snaps[k]);
    }
    rec.pos = k;
  } catch (err) {
    showError(errBox, err);
  }
}

function undo() {
  clearError(errBox);
  const rec = state.records.pop();
  if (!rec) return;
  state.vm = makeVm(rec.before);
  const prev = current();
  if (prev) prev.vm = null; // its live ops belong to an older VM object; stepping recomputes them
  if (state.trace && state.trace.next > 0) state.trace.next--;
  render();
}

/** A fresh VM with the window fields' values. Throws the library's MapleError for bad values. */
function resetVm(vas = []) {
  const win = {
    start: numOf('vm-start'),
    range: numOf('vm-range'),
    rsvOff: numOf('vm-rsv-off'),
    rsvRange: numOf('vm-rsv-range'),
  };
  const old = state.win;
  state.win = /** @type {typeof state.win} */ (win);
  try {
    state.vm = makeVm(vas);
  } catch (err) {
    state.win = old;
    throw err;
  }
  state.records = [];
  state.selection = null;
  state.trace = null;
  viewAll();
}

function setWindowFields(win, rsvOff = 0, rsvRange = 0) {
  /** @type {HTMLInputElement} */ ($('vm-start')).value = num(win.start);
  /** @type {HTMLInputElement} */ ($('vm-range')).value = num(win.range);
  /** @type {HTMLInputElement} */ ($('vm-rsv-off')).value = num(rsvOff);
  /** @type {HTMLInputElement} */ ($('vm-rsv-range')).value = num(rsvRange);
}

/** The snap choices below 1 KiB are plain numbers: show them in the page's base. */
function renderSnapOptions() {
  for (const option of /** @type {HTMLSelectElement} */ ($('snap')).options) {
    const value = Number(option.value);
    if (Number.isInteger(value) && value < KIB) option.textContent = num(value);
  }
}

function setSnap(value) {
  /** @type {HTMLSelectElement} */ ($('snap')).value = String(value);
}

// ------------------------------------------------------------------ presets and the trace

function loadPreset(id) {
  const p = KERNEL_CASES.find((c) => c.id === id);
  if (!p) return;
  clearError(errBox);
  setWindowFields(p.window ?? DEFAULT_WINDOW);
  setSnap(16);
  try {
    resetVm(p.initial.map((v) => ({ addr: v.addr, range: v.range, obj: v.bo, offset: v.offset })));
  } catch (err) {
    showError(errBox, err);
    return;
  }
  const r = p.request;
  const req = { addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? 0 };
  fillForm(r.kind, req);
  /** @type {HTMLSelectElement} */ ($('preset')).value = p.id;
  $('preset-text').textContent = p.text;
  let hi = r.addr + r.range;
  for (const v of p.initial) hi = Math.max(hi, v.addr + v.range);
  setView(0, Math.max(64, Math.ceil((hi * 1.5) / 16) * 16));
  setQueryParam(PRESET_PARAM, p.id);
  runRequest(r.kind, req, () => p.title, true);
}

function loadTrace() {
  clearError(errBox);
  setWindowFields(SPARSE_TRACE.window);
  setSnap(SPARSE_TRACE.tile);
  try {
    resetVm([]);
  } catch (err) {
    showError(errBox, err);
    return;
  }
  state.trace = { next: 0 };
  setQueryParam(PRESET_PARAM, null);
  $('preset-text').textContent = `${SPARSE_TRACE.title}: ${SPARSE_TRACE.steps.length} requests, one per “Next request”.`;
  const first = SPARSE_TRACE.steps[0].request;
  setView(first.addr - 2 * SPARSE_TRACE.tile, first.addr + first.range + 2 * SPARSE_TRACE.tile);
  fillTraceForm();
  render();
}

function fillTraceForm() {
  const t = state.trace;
  if (!t || t.next >= SPARSE_TRACE.steps.length) return;
  const r = SPARSE_TRACE.steps[t.next].request;
  fillForm(r.kind, { addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? 0 });
}

function traceNext() {
  const t = state.trace;
  if (!t || t.next >= SPARSE_TRACE.steps.length) return;
  const step = SPARSE_TRACE.steps[t.next];
  const r = step.request;
  const req = { addr: r.addr, range: r.range, obj: r.bo ?? null, offset: r.offset ?? 0 };
  fillForm(r.kind, req);
  if (runRequest(r.kind, req, () => step.label(num), /** @type {HTMLInputElement} */ ($('auto-apply')).checked)) {
    t.next++;
    fillTraceForm();
    render();
  }
}

// ------------------------------------------------------------------ address bar

const bar = /** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('addrbar')));
const BAR_H = 108;
const LANE_Y = 28;
const LANE_H = 44;
const REQ_Y = 80;
const REQ_H = 18;

function winEnd() {
  return state.win.start + state.win.range;
}

function setView(lo, hi) {
  const { start } = state.win;
  const end = winEnd();
  let width = Math.max(4, Math.min(hi - lo, end - start));
  lo = Math.max(start, Math.min(lo, end - width));
  state.view = { lo, hi: lo + width };
}

function viewAll() {
  setView(state.win.start, winEnd());
}

function viewFit() {
  const vas = snapshot(/** @type {GpuVm} */ (state.vm));
  const rec = current();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vas) {
    lo = Math.min(lo, v.addr);
    hi = Math.max(hi, v.addr + v.range);
  }
  if (rec) {
    lo = Math.min(lo, rec.req.addr);
    hi = Math.max(hi, rec.req.addr + rec.req.range);
  }
  if (!Number.isFinite(lo)) return viewAll();
  const pad = Math.max(2, (hi - lo) * 0.08);
  setView(lo - pad, hi + pad);
}

function zoom(factor, centre) {
  const { lo, hi } = state.view;
  const c = centre ?? (lo + hi) / 2;
  setView(c - (c - lo) * factor, c + (hi - c) * factor);
  renderBar();
}

function pan(fraction) {
  const { lo, hi } = state.view;
  const d = (hi - lo) * fraction;
  setView(lo + d, hi + d);
  renderBar();
}

function barWidth() {
  return bar.clientWidth || 800;
}

function xOf(addr) {
  const { lo, hi } = state.view;
  return ((addr - lo) / (hi - lo)) * barWidth();
}

function addrAt(x) {
  const { lo, hi } = state.view;
  return lo + (x / barWidth()) * (hi - lo);
}

function snapUnit() {
  const v = /** @type {HTMLSelectElement} */ ($('snap')).value;
  if (v !== 'auto') return Number(v);
  const want = (state.view.hi - state.view.lo) / 128;
  let p = 1;
  while (p * 2 <= want) p *= 2;
  return p;
}

/** Tick step: 1-2-5 steps in decimal, powers of two in hex. */
function tickStep(width, target) {
  const raw = width / target;
  if (numberBase.hex) {
    let p = 1;
    while (p * 2 <= raw) p *= 2;
    return Math.max(1, p);
  }
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const k of [1, 2, 5, 10]) if (k * mag >= raw) return Math.max(1, k * mag);
  return Math.max(1, 10 * mag);
}

function clippedText(text, width) {
  const max = Math.floor((width - 6) / 6.6);
  if (max < 2) return '';
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function renderBar() {
  const W = barWidth();
  const { lo, hi } = state.view;
  const vm = state.vm;
  bar.setAttribute('viewBox', `0 0 ${W} ${BAR_H}`);
  bar.replaceChildren(hatchDefs('hatch-bar'));

  // Managed window background, and what lies outside it.
  const ws = xOf(state.win.start);
  const we = xOf(winEnd());
  bar.append(s('rect', { x: 0, y: LANE_Y, width: W, height: LANE_H, fill: '#eef0f3' }));
  bar.append(s('rect', { x: Math.max(0, ws), y: LANE_Y, width: Math.max(0, Math.min(W, we) - Math.max(0, ws)), height: LANE_H, fill: '#ffffff', stroke: '#cfd5dc' }));

  // Ticks.
  const step = tickStep(hi - lo, Math.max(3, Math.floor(W / 110)));
  const first = Math.ceil(lo / step) * step;
  for (let t = first; t <= hi; t += step) {
    const x = xOf(t);
    bar.append(s('line', { x1: x, y1: 18, x2: x, y2: LANE_Y + LANE_H, stroke: '#e3e7ec' }));
    if (x + 7 * num(t).length > W) continue;
    bar.append(s('text', { x: x + 2, y: 13, 'font-size': 10.5, fill: '#5b6673', 'font-family': 'monospace' }, num(t)));
  }

  // VAs in view.
  if (vm) {
    const a = Math.max(state.win.start, Math.floor(lo));
    const b = Math.min(winEnd(), Math.ceil(hi));
    if (b > a) {
      for (const va of vm.vas(a, b - a)) {
        const x1 = Math.max(0, xOf(va.addr));
        const x2 = Math.min(W, xOf(va.addr + va.range));
        const w = Math.max(1.5, x2 - x1);
        const reserved = va === vm.reserved;
        const fill = reserved ? '#37414d' : va.obj === null ? 'url(#hatch-bar)' : boColour(va.obj);
        const g = s('g');
        g.append(s('title', {}, reserved ? `kernel-reserved ${span(va.addr, va.range)}` : vaText(va)));
        g.append(s('rect', { x: x1, y: LANE_Y + 2, width: w, height: LANE_H - 4, fill, stroke: '#ffffff', 'stroke-width': 1, rx: 2 }));
        const label = clippedText(reserved ? 'kernel-reserved' : `${boName(va.obj)} @${num(va.offset)}`, w);
        if (label) {
          g.append(s('text', { x: x1 + 4, y: LANE_Y + 17, 'font-size': 11, fill: reserved || va.obj !== null ? '#fff' : '#2b333d', 'font-weight': 600 }, label));
          const sub = clippedText(span(va.addr, va.range), w);
          if (sub) g.append(s('text', { x: x1 + 4, y: LANE_Y + 32, 'font-size': 10, fill: reserved || va.obj !== null ? '#f2f5f8' : '#3b4652', 'font-family': 'monospace' }, sub));
        }
        bar.append(g);
      }
    }
  }

  // Selection (drag) or the current request.
  const rec = current();
  const sel = state.selection ?? (rec ? { addr: rec.req.addr, range: rec.req.range } : null);
  if (sel) {
    const x1 = xOf(sel.addr);
    const x2 = xOf(sel.addr + sel.range);
    const w = Math.max(2, x2 - x1);
    bar.append(s('rect', { x: x1, y: REQ_Y, width: w, height: REQ_H, fill: state.selection ? '#fff3c4' : '#e8eefb', stroke: '#1f5fbf', 'stroke-dasharray': '4 3', rx: 2 }));
    const label = clippedText(`${state.selection ? 'selection' : 'request'} ${span(sel.addr, sel.range)}`, Math.max(w, 200));
    bar.append(s('text', { x: Math.min(Math.max(2, x1 + 3), W - 200), y: REQ_Y + 13, 'font-size': 10.5, fill: '#1f3a66', 'font-family': 'monospace' }, label));
  }
  $('view-text').textContent = `view ${span(Math.floor(lo), Math.ceil(hi) - Math.floor(lo))}`;
}

function wireBar() {
  /** @type {{ mode: 'select' | 'pan', x0: number, a0: number, view: { lo: number, hi: number }, moved: boolean } | null} */
  let drag = null;
  const localX = (e) => e.clientX - bar.getBoundingClientRect().left;

  bar.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 && e.button !== 1) return;
    bar.setPointerCapture(e.pointerId);
    const x = localX(e);
    drag = { mode: e.shiftKey || e.button === 1 ? 'pan' : 'select', x0: x, a0: addrAt(x), view: { ...state.view }, moved: false };
    e.preventDefault();
    bar.focus();
  });
  bar.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const x = localX(e);
    if (Math.abs(x - drag.x0) > 3) drag.moved = true;
    if (!drag.moved) return;
    if (drag.mode === 'pan') {
      const d = ((drag.x0 - x) / barWidth()) * (drag.view.hi - drag.view.lo);
      setView(drag.view.lo + d, drag.view.hi + d);
    } else {
      const u = snapUnit();
      const a = drag.a0;
      const b = addrAt(x);
      const lo = Math.max(state.win.start, Math.floor(Math.min(a, b) / u) * u);
      const hi = Math.min(winEnd(), Math.ceil(Math.max(a, b) / u) * u);
      state.selection = { addr: lo, range: Math.max(1, hi - lo) };
    }
    renderBar();
  });
  const end = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.mode === 'select' && d.moved && state.selection) {
      /** @type {HTMLInputElement} */ ($('req-addr')).value = num(state.selection.addr);
      /** @type {HTMLInputElement} */ ($('req-range')).value = num(state.selection.range);
    } else if (d.mode === 'select' && !d.moved && state.vm) {
      // A click on a mapping copies it into the form (handy for unmapping it).
      const a = Math.floor(addrAt(localX(e)));
      const va = a >= state.win.start && a < winEnd() ? state.vm.findFirst(a, 1) : undefined;
      if (va && va !== state.vm.reserved) {
        fillForm(/** @type {HTMLInputElement} */ ($('kind-unmap')).checked ? 'unmap' : 'map', plain(va));
        state.selection = { addr: va.addr, range: va.range };
      }
    }
    renderBar();
  };
  bar.addEventListener('pointerup', end);
  bar.addEventListener('pointercancel', end);
  bar.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.deltaX || e.deltaY) > 0 ? 0.1 : -0.1);
      else zoom(e.deltaY > 0 ? 1.25 : 0.8, addrAt(localX(e)));
    },
    { passive: false },
  );
  bar.addEventListener('keydown', (e) => {
    const k = e.key;
    if (k === '+' || k === '=') zoom(0.8);
    else if (k === '-' || k === '_') zoom(1.25);
    else if (k === 'ArrowLeft') pan(-0.1);
    else if (k === 'ArrowRight') pan(0.1);
    else if (k === '0' || k === 'Home') {
      viewFit();
      renderBar();
    } else return;
    e.preventDefault();
  });
  $('zoom-in').addEventListener('click', () => zoom(0.8));
  $('zoom-out').addEventListener('click', () => zoom(1.25));
  $('pan-left').addEventListener('click', () => pan(-0.2));
  $('pan-right').addEventListener('click', () => pan(0.2));
  $('zoom-fit').addEventListener('click', () => {
    viewFit();
    renderBar();
  });
  $('zoom-all').addEventListener('click', () => {
    viewAll();
    renderBar();
  });
  new ResizeObserver(() => renderBar()).observe(bar);
}

// ------------------------------------------------------------------ VA table

function renderVaTable() {
  const tbody = /** @type {HTMLTableElement} */ ($('va-table')).tBodies[0];
  tbody.replaceChildren();
  const vm = state.vm;
  if (!vm) return;
  let count = 0;
  for (const va of vm.vas()) {
    const reserved = va === vm.reserved;
    if (!reserved) count++;
    tbody.append(
      h('tr', {},
        h('td', { class: 'num' }, num(va.addr)),
        h('td', { class: 'num' }, num(va.addr + va.range)),
        h('td', { class: 'num' }, num(va.range)),
        h('td', {}, h('span', { class: 'swatch', style: `background:${reserved ? '#37414d' : boColour(va.obj)}` }), reserved ? 'kernel-reserved' : boName(va.obj)),
        h('td', { class: 'num' }, num(va.offset)),
      ),
    );
  }
  $('va-count').textContent = String(count);
}

// ------------------------------------------------------------------ bind queue

/** The ops a request would get against the VM as it is now, as text ("remap, map"). */
function opsNow(vm, kind, req) {
  const types = opsFor(vm, kind, req).map((op) => op.type);
  return types.length === 0 ? 'no ops' : types.join(', ');
}

/** How many VAs (the kernel-reserved one left out) intersect the request now. */
function vasIn(vm, req) {
  let n = 0;
  for (const va of vm.vas(req.addr, req.range)) if (va !== vm.reserved) n++;
  return n;
}

/** What the VM looks like to a request: the VAs it intersects and the ops it would get. */
function seenBy(vm, kind, req) {
  const n = vasIn(vm, req);
  return `${n} VA${n === 1 ? '' : 's'} in range → ${opsNow(vm, kind, req)}`;
}

/**
 * Jobs belong to the VM they were prepared on. When the page rebuilds its VM (undo, stepping,
 * a preset, a backend switch), the old VM's pending jobs are cancelled and the queue restarts.
 */
function syncQueue() {
  const q = state.queue;
  if (q.vm === state.vm) return;
  const dropped = q.jobs.filter((j) => j.job.state === 'pending');
  for (const j of dropped) j.job.cancel();
  state.queue = {
    vm: state.vm,
    jobs: [],
    seq: q.seq,
    note: dropped.length > 0 ? `The VM was rebuilt (undo, step, preset or backend switch): ${dropped.length} pending job(s) cancelled.` : '',
  };
}

/** vm.prepare() for the form's request: checked and provisioned now, run later. */
function submitJob() {
  clearError(errBox);
  syncQueue();
  const vm = /** @type {GpuVm} */ (state.vm);
  try {
    const { kind, req } = readForm();
    const full = { addr: req.addr, range: req.range, obj: kind === 'unmap' ? null : req.obj, offset: kind === 'unmap' ? 0 : req.offset };
    const job = vm.prepare(kind === 'map' ? req : { addr: req.addr, range: req.range }, kind);
    const q = state.queue;
    q.note = '';
    q.jobs.push({ n: ++q.seq, job, kind, req: full, held: job.reservedNodes, atSubmit: seenBy(vm, kind, full), atRun: '' });
  } catch (err) {
    showError(errBox, err);
  }
  render();
}

/**
 * job.run(ctx): the ops are computed against the VM now; the page's callbacks record each
 * step, and the run becomes the current request of the ops panel and the picture.
 */
function runJob(entry) {
  const vm = /** @type {GpuVm} */ (state.vm);
  const before = snapshot(vm);
  const ctx = { vm, ops: [], snaps: [before], log: [] };
  entry.atRun = seenBy(vm, entry.kind, entry.req);
  try {
    entry.job.run(ctx);
  } catch (err) {
    showError(errBox, err);
    return;
  }
  state.records.push({
    label: () => `job #${entry.n} (${entry.kind})`, kind: entry.kind, mode: 'callback', req: entry.req, before, final: snapshot(vm),
    ops: ctx.ops, liveOps: null, vm: null, pos: ctx.ops.length, snaps: ctx.snaps, log: ctx.log,
  });
  state.selection = null;
}

/** Runs the oldest pending job, or all of them in submit order. */
function runQueued(all) {
  clearError(errBox);
  syncQueue();
  for (const entry of state.queue.jobs) {
    if (entry.job.state !== 'pending') continue;
    runJob(entry);
    if (!all) break;
  }
  render();
}

function cancelJob(entry) {
  clearError(errBox);
  entry.job.cancel();
  render();
}

function renderBudget() {
  const vm = state.vm;
  const live = vm ? vm.nodeCount : 0;
  const reserved = vm ? vm.reservedNodes : 0;
  const pct = (n) => `${Math.min(100, (100 * n) / BUDGET_NODES)}%`;
  $('budget-live').style.width = pct(live);
  $('budget-reserved').style.width = pct(reserved);
  const meter = $('budget');
  meter.setAttribute('aria-valuemax', String(BUDGET_NODES));
  meter.setAttribute('aria-valuenow', String(live + reserved));
  meter.setAttribute('aria-valuetext', `${live} live and ${reserved} reserved of ${BUDGET_NODES} nodes`);
  const text = $('budget-text');
  text.replaceChildren(
    h('span', { class: 'live', 'data-part': 'live' }, `${live} live`), ' + ',
    h('span', { class: 'reserved', 'data-part': 'reserved' }, `${reserved} reserved`), ' of ',
    h('span', { 'data-part': 'max' }, `maxNodes ${BUDGET_NODES}`),
    `  ·  ${BUDGET_NODES - live - reserved} free`,
  );
}

function renderQueue() {
  syncQueue();
  const q = state.queue;
  const note = $('queue-note');
  note.textContent = q.note;
  note.hidden = q.note === '';
  const tbody = /** @type {HTMLTableElement} */ ($('queue-table')).tBodies[0];
  tbody.replaceChildren();
  for (const entry of q.jobs) {
    const { job } = entry;
    const pending = job.state === 'pending';
    const cancel = h('button', { type: 'button', class: 'queue-cancel', 'aria-label': `Cancel job ${entry.n}` }, 'cancel');
    cancel.addEventListener('click', () => cancelJob(entry));
    const run = h('button', { type: 'button', class: 'queue-run', 'aria-label': `Run job ${entry.n}` }, 'run');
    run.addEventListener('click', () => {
      clearError(errBox);
      runJob(entry);
      render();
    });
    const req = entry.kind === 'map' ? `map ${vaText(entry.req)}` : `unmap ${span(entry.req.addr, entry.req.range)}`;
    tbody.append(
      h('tr', { class: job.state, 'data-state': job.state },
        h('td', { class: 'num' }, String(entry.n)),
        h('td', { class: 'mono' }, req),
        h('td', { class: 'num', 'data-part': 'nodes' }, pending ? String(job.reservedNodes) : `0 (held ${entry.held})`),
        h('td', {}, pending ? '3 (new, prev, next)' : '—'),
        h('td', {}, entry.atSubmit),
        h('td', {}, entry.atRun),
        h('td', {}, job.state),
        h('td', {}, ...(pending ? [run, ' ', cancel] : [])),
      ),
    );
  }
  const pending = q.jobs.some((j) => j.job.state === 'pending');
  /** @type {HTMLButtonElement} */ ($('queue-run-next')).disabled = !pending;
  /** @type {HTMLButtonElement} */ ($('queue-run-all')).disabled = !pending;
  renderBudget();
}

// ------------------------------------------------------------------ the split/merge picture

function renderPicture() {
  const host = $('picture');
  const rec = current();
  host.replaceChildren();
  if (!rec) {
    host.append(h('p', { class: 'hint' }, 'Run a request or a preset to see the old / request / new picture.'));
    return;
  }
  const r = rec.req;
  const rEnd = r.addr + r.range;
  const hits = (v) => v.addr < rEnd && r.addr < v.addr + v.range;
  const old = rec.before.filter(hits);
  let lo = r.addr;
  let hi = rEnd;
  for (const v of old) {
    lo = Math.min(lo, v.addr);
    hi = Math.max(hi, v.addr + v.range);
  }
  const inDomain = (v) => v.addr < hi && lo < v.addr + v.range;
  const neu = rec.final.filter(inDomain);
  const n = rec.ops.length;
  const live = state.vm ? snapshot(state.vm).filter(inDomain) : [];
  const rows = [
    { name: 'old', vas: old },
    { name: rec.kind === 'unmap' ? 'unmap' : 'req', req: true },
    { name: 'new', vas: neu },
  ];
  if (rec.kind !== 'insert' && rec.pos < n) rows.push({ name: 'now', vas: live, now: true });

  const W = Math.max(420, host.clientWidth || 700);
  const L = 52; // label column
  const R = 18;
  const ROW_H = 30;
  const GAP = 22;
  const TOP = 26;
  const H = TOP + rows.length * (ROW_H + GAP);
  const x = (a) => L + ((a - lo) / Math.max(1, hi - lo)) * (W - L - R);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Split and merge picture: ${reqText(rec)}` });
  svg.append(hatchDefs('hatch-pic'));

  // Boundaries of every row, with dotted guides and labels on top (like the kernel-doc's "0  a  1").
  const bounds = new Set([lo, hi, r.addr, rEnd]);
  for (const row of rows) for (const v of row.vas ?? []) {
    bounds.add(Math.max(lo, v.addr));
    bounds.add(Math.min(hi, v.addr + v.range));
  }
  let lastX = -Infinity;
  let lift = 0;
  for (const b of [...bounds].sort((p, q) => p - q)) {
    const bx = x(b);
    lift = bx - lastX < 6.5 * num(b).length + 4 ? (lift + 1) % 2 : 0;
    lastX = bx;
    svg.append(s('line', { x1: bx, y1: TOP - 8, x2: bx, y2: H - GAP + 6, stroke: '#b8c0ca', 'stroke-dasharray': '2 3' }));
    const anchor = bx > W - R - 30 ? 'end' : 'middle';
    svg.append(s('text', { x: anchor === 'end' ? W - 2 : bx, y: TOP - 12 - lift * 11, 'text-anchor': anchor, 'font-size': 10.5, 'font-family': 'monospace', fill: '#3b4652' }, num(b)));
  }

  rows.forEach((row, i) => {
    const y = TOP + i * (ROW_H + GAP);
    svg.append(s('text', { x: 4, y: y + ROW_H / 2 + 4, 'font-size': 12, 'font-family': 'monospace', 'font-weight': 700, fill: row.now ? '#8a6d00' : '#2b333d' }, `${row.name}:`));
    svg.append(s('line', { x1: L, y1: y + ROW_H, x2: W - R, y2: y + ROW_H, stroke: '#d7dce2' }));
    if (row.req) {
      const w = x(rEnd) - x(r.addr);
      const unmap = rec.kind === 'unmap';
      svg.append(s('rect', {
        x: x(r.addr), y, width: Math.max(2, w), height: ROW_H, rx: 3,
        fill: unmap ? '#fdecec' : r.obj === null ? 'url(#hatch-pic)' : boColour(r.obj),
        'fill-opacity': unmap ? 1 : 0.85, stroke: unmap ? '#c0392b' : '#1f3a66', 'stroke-dasharray': '5 3', 'stroke-width': 1.5,
      }));
      const label = unmap ? 'unmap' : `${boName(r.obj)} (bo_offset=${num(r.offset)})`;
      svg.append(s('text', { x: x(r.addr) + w / 2, y: y + ROW_H / 2 + 4, 'text-anchor': 'middle', 'font-size': 11.5, 'font-weight': 600, fill: unmap || r.obj === null ? '#5a1d16' : '#fff' }, clippedText(label, w)));
      return;
    }
    for (const v of row.vas) {
      const x1 = x(Math.max(lo, v.addr));
      const x2 = x(Math.min(hi, v.addr + v.range));
      const w = Math.max(2, x2 - x1);
      svg.append(s('rect', { x: x1 + 0.5, y, width: w - 1, height: ROW_H, rx: 3, fill: v.obj === null ? 'url(#hatch-pic)' : boColour(v.obj), stroke: '#ffffff' }));
      const label = `${boName(v.obj)} (bo_offset=${num(v.offset)})`;
      svg.append(s('text', { x: x1 + w / 2, y: y + ROW_H / 2 + 4, 'text-anchor': 'middle', 'font-size': 11.5, 'font-weight': 600, fill: v.obj === null ? '#2b333d' : '#fff' }, clippedText(label, w) || clippedText(boName(v.obj), w)));
    }
    // The holes remaps leave, marked on the old row.
    if (row.name === 'old') {
      for (const op of rec.ops) {
        if (op.type !== 'remap') continue;
        const hx1 = x(op.hole.addr);
        const hx2 = x(op.hole.addr + op.hole.range);
        svg.append(s('rect', { x: hx1, y: y - 3, width: Math.max(2, hx2 - hx1), height: ROW_H + 6, fill: 'none', stroke: '#c0392b', 'stroke-width': 2, 'stroke-dasharray': '6 3', rx: 2 }));
        svg.append(s('text', { x: hx1 + 3, y: y + ROW_H + 14, 'font-size': 10, fill: '#c0392b', 'font-family': 'monospace' }, `hole ${span(op.hole.addr, op.hole.range)}`));
      }
    }
  });
  host.append(svg);
  const parts = [`#${state.records.length}`, rec.label() !== rec.kind ? rec.label() : '', reqText(rec), `${n} op${n === 1 ? '' : 's'}`, `${state.backend} backend`, `${rec.mode} mode`];
  host.append(h('p', { class: 'caption', id: 'picture-caption' }, parts.filter(Boolean).join(' · ')));
  if (rec.note) host.append(h('p', { class: 'hint' }, rec.note));
}

// ------------------------------------------------------------------ ops list

function sub(name, content) {
  return h('span', { class: 'sub', 'data-part': name }, h('b', {}, name), h('span', { class: 'val' }, content));
}

function keepTag(keep) {
  return h('span', { class: `keep-${keep}`, 'data-part': 'keep' }, `keep=${keep}`);
}

function renderOps() {
  const list = $('ops');
  const log = $('callback-log');
  const rec = current();
  list.replaceChildren();
  $('ops-mode').textContent = rec ? `${rec.mode} mode` : `${state.mode} mode`;
  if (!rec) {
    log.hidden = true;
    $('step-pos').textContent = '';
    return;
  }
  if (rec.kind === 'insert') {
    list.append(h('li', { 'data-type': 'none' }, 'No ops: GpuVm.insert adds the VA directly (drm_gpuva_insert).'));
  }
  rec.ops.forEach((op, i) => {
    const cls = i < rec.pos ? 'applied' : i === rec.pos ? 'current' : '';
    const tag = h('span', { class: 'state' }, i < rec.pos ? 'applied' : i === rec.pos ? 'next' : 'pending');
    let li;
    if (op.type === 'map') {
      li = h('li', { class: cls, 'data-type': 'map' }, tag, h('span', { class: 'optype' }, 'map'), h('span', { class: 'mono val', 'data-part': 'map' }, vaText(op)));
    } else if (op.type === 'unmap') {
      li = h('li', { class: cls, 'data-type': 'unmap' }, tag, h('span', { class: 'optype' }, 'unmap'), h('span', { class: 'mono val', 'data-part': 'unmap' }, vaText(op.va)), ' ', keepTag(op.keep));
    } else {
      li = h('li', { class: cls, 'data-type': 'remap' }, tag, h('span', { class: 'optype' }, 'remap'), keepTag(op.unmap.keep),
        sub('unmap', vaText(op.unmap.va)),
        sub('prev', op.prev ? vaText(op.prev) : '—'),
        sub('next', op.next ? vaText(op.next) : '—'),
        sub('hole', span(op.hole.addr, op.hole.range)),
      );
    }
    list.append(li);
  });
  log.hidden = rec.mode !== 'callback';
  log.textContent = rec.log.length ? rec.log.join('\n') : 'smMap called no callback.';
  const n = rec.ops.length;
  $('step-pos').textContent = rec.kind === 'insert' ? '' : `${rec.pos} / ${n} op${n === 1 ? '' : 's'} applied${rec.mode === 'callback' ? ' (replay of the callbacks)' : ''}`;
}

function renderButtons() {
  const rec = current();
  const n = rec ? rec.ops.length : 0;
  const pos = rec ? rec.pos : 0;
  /** @type {HTMLButtonElement} */ ($('step-back')).disabled = !rec || pos === 0;
  /** @type {HTMLButtonElement} */ ($('step-fwd')).disabled = !rec || pos >= n;
  /** @type {HTMLButtonElement} */ ($('step-all')).disabled = !rec || pos >= n;
  /** @type {HTMLButtonElement} */ ($('undo')).disabled = state.records.length === 0;
  const t = state.trace;
  const next = /** @type {HTMLButtonElement} */ ($('trace-next'));
  next.disabled = !t || t.next >= SPARSE_TRACE.steps.length;
  next.textContent = t ? `Next request (${Math.min(t.next + 1, SPARSE_TRACE.steps.length)}/${SPARSE_TRACE.steps.length})` : 'Next request';
}

function renderTrace() {
  const list = $('trace-list');
  list.replaceChildren();
  const t = state.trace;
  if (!t) return;
  SPARSE_TRACE.steps.forEach((step, i) => {
    list.append(h('li', { class: i < t.next ? 'done' : i === t.next ? 'next' : '' }, step.label(num)));
  });
}

function render() {
  renderBar();
  renderVaTable();
  renderPicture();
  renderOps();
  renderButtons();
  renderTrace();
  renderQueue();
}

// ------------------------------------------------------------------ wiring

function wire() {
  const presetSel = /** @type {HTMLSelectElement} */ ($('preset'));
  const groups = { kernel: 'Kernel-doc "Split and Merge" cases', unmap: 'sm_unmap', other: 'Other' };
  for (const [g, label] of Object.entries(groups)) {
    const og = h('optgroup', { label });
    for (const c of KERNEL_CASES.filter((p) => p.group === g)) og.append(h('option', { value: c.id }, c.title));
    presetSel.append(og);
  }
  const showText = () => {
    const p = KERNEL_CASES.find((c) => c.id === presetSel.value);
    $('preset-text').textContent = p ? p.text : '';
  };
  presetSel.addEventListener('change', showText);
  showText();
  $('preset-run').addEventListener('click', () => loadPreset(presetSel.value));
  $('trace-start').addEventListener('click', loadTrace);
  $('trace-next').addEventListener('click', traceNext);

  $('req-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const { kind, req } = readForm();
    runRequest(kind, req, () => kind, /** @type {HTMLInputElement} */ ($('auto-apply')).checked);
  });
  $('req-insert').addEventListener('click', () => insertVa(readForm().req));
  $('queue-submit').addEventListener('click', submitJob);
  $('queue-run-next').addEventListener('click', () => runQueued(false));
  $('queue-run-all').addEventListener('click', () => runQueued(true));

  $('step-back').addEventListener('click', () => {
    const rec = current();
    if (rec) stepTo(rec, rec.pos - 1);
    render();
  });
  $('step-fwd').addEventListener('click', () => {
    const rec = current();
    if (rec) stepTo(rec, rec.pos + 1);
    render();
  });
  $('step-all').addEventListener('click', () => {
    const rec = current();
    if (rec) stepTo(rec, rec.ops.length);
    render();
  });
  $('undo').addEventListener('click', undo);

  $('backend').addEventListener('change', (e) => {
    const value = /** @type {HTMLSelectElement} */ (e.target).value === 'ts' ? 'ts' : 'wasm';
    const vas = state.vm ? snapshot(state.vm) : [];
    const old = state.backend;
    state.backend = value;
    try {
      state.vm = makeVm(vas);
      for (const rec of state.records) rec.vm = null;
      clearError(errBox);
    } catch (err) {
      state.backend = old;
      /** @type {HTMLSelectElement} */ (e.target).value = old;
      showError(errBox, err);
    }
    render();
  });
  for (const id of ['mode-list', 'mode-callback']) {
    $(id).addEventListener('change', (e) => {
      state.mode = /** @type {HTMLInputElement} */ (e.target).value === 'callback' ? 'callback' : 'list';
      renderOps();
    });
  }
  $('vm-reset').addEventListener('click', () => {
    clearError(errBox);
    setQueryParam(PRESET_PARAM, null);
    try {
      resetVm([]);
    } catch (err) {
      showError(errBox, err);
    }
    render();
  });
  wireBaseToggle(() => {
    reformatFields(NUMBER_FIELDS);
    renderSnapOptions();
    render();
  });
  reformatFields(NUMBER_FIELDS);
  renderSnapOptions();
  wireBar();
  new ResizeObserver(() => renderPicture()).observe($('picture'));
}

async function main() {
  wire();
  const ok = await loadCore();
  if (!ok) {
    state.backend = 'ts';
    /** @type {HTMLSelectElement} */ ($('backend')).value = 'ts';
  }
  const b = queryParam('backend');
  if (b === 'ts' || b === 'wasm') {
    state.backend = b;
    /** @type {HTMLSelectElement} */ ($('backend')).value = b;
  }
  try {
    state.vm = makeVm([]);
  } catch (err) {
    showError(errBox, err);
  }
  viewAll();
  render();
  // Land on a running example: the preset the URL names, else the default one.
  const preset = queryParam(PRESET_PARAM);
  loadPreset(KERNEL_CASES.some((c) => c.id === preset) ? preset : DEFAULT_PRESET);
  document.body.dataset.ready = 'true';
}

main();
