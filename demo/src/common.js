// Helpers shared by the demo pages: loading the WebAssembly core, parsing form numbers,
// showing MapleError to the user, number formatting and colours.
import { init, MapleError } from 'maple-gpuvm';

/** Finds an element by id or throws (a missing id is a bug in the page). */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: no element #${id}`);
  return el;
}

/** Creates an element: h('li', { class: 'x', 'data-type': 'map' }, 'text', child…). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Loads the WebAssembly core with the package's own init() (which fetches dist/maple.wasm),
 * reporting progress in the header. The 'ts' backend works even if this fails.
 */
export async function loadCore() {
  const status = document.getElementById('core-status');
  if (status) status.textContent = 'loading WebAssembly core…';
  const t0 = performance.now();
  try {
    await init();
    if (status) status.textContent = `WebAssembly core ready (${Math.round(performance.now() - t0)} ms)`;
    return true;
  } catch (err) {
    if (status) status.textContent = 'WebAssembly core failed to load; the ts backend still works';
    console.warn('maple-gpuvm init() failed:', err);
    return false;
  }
}

/**
 * Reads a number typed in a form: decimal (with optional _ separators) or 0x hex. Anything
 * else is handed to the library unchanged (as the text), so its own validation reports it as
 * a MapleError (EINVAL), the same message an application would see.
 */
export function parseNum(text) {
  const s = String(text).trim().replace(/_/g, '');
  if (/^0x[0-9a-f]+$/i.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

/** Reads a form control's value as a number (see parseNum). */
export function numOf(id) {
  return parseNum($(id).value);
}

/** Formats an address: decimal, or 0x hex when hex is true. */
export function fmt(n, hex = false) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n);
  return hex ? `0x${n.toString(16)}` : String(n);
}

/** A short human form of big sizes: 65536 -> 64Ki. */
export function fmtSize(n) {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let u = 0;
  let v = n;
  while (v >= 1024 && v % 1024 === 0 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v}${units[u]}`;
}

/**
 * Shows an error in a role="alert" box. A MapleError shows its code, errno and the library's
 * message (which names the method, e.g. `GpuVm.smMapOps: …`).
 */
export function showError(box, err) {
  box.replaceChildren();
  if (err instanceof MapleError) {
    box.append(
      h('span', { class: 'code' }, `MapleError ${err.code} (${err.errno})`),
      h('span', { class: 'msg' }, err.message),
    );
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    box.append(h('span', { class: 'code' }, e.name || 'Error'), h('span', { class: 'msg' }, e.message));
  }
}

export function clearError(box) {
  box.replaceChildren();
}

/** True for errors the user caused (the library refused a request); other errors are bugs. */
export function isMapleError(err) {
  return err instanceof MapleError;
}

const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#e15759', '#76b7b2',
  '#edc948', '#9c755f', '#ff9da7', '#5f8fd9', '#8cd17d', '#d37295',
];
const colours = new Map();

/** A stable colour per BO name (null: the NULL / sparse binding is drawn hatched). */
export function boColour(name) {
  if (name === null || name === undefined) return '#c9ced6';
  let c = colours.get(name);
  if (!c) {
    c = PALETTE[colours.size % PALETTE.length];
    colours.set(name, c);
  }
  return c;
}

/** Reads ?key=value from the page URL. */
export function queryParam(key) {
  return new URLSearchParams(location.search).get(key);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes. */
export function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

/** A <pattern> for hatching NULL (sparse) mappings; add once per SVG. */
export function hatchDefs(id) {
  const defs = s('defs');
  const pat = s('pattern', { id, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pat.append(s('rect', { width: 6, height: 6, fill: '#eceff3' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#9aa3ad', 'stroke-width': 2 }));
  defs.append(pat);
  return defs;
}
