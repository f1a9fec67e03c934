// Helpers shared by the demo pages: loading the WebAssembly core, parsing form numbers,
// showing MapleError to the user, the page's number base and colours.
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

// ------------------------------------------------------------------ number base

const BASE_PARAM = 'base';
const BASE_STORAGE_KEY = 'maple-gpuvm-demo:base';

/**
 * The page's one number base: every address, size, offset and index it shows uses it. The
 * choice is kept in the URL (?base=hex, so a link shows what the sender saw) and in
 * localStorage (so the next page opens in the same base); the URL wins.
 */
export const numberBase = { hex: false };

/** Formats a number in the page's base. */
export function num(n) {
  return fmt(n, numberBase.hex);
}

function storedBase() {
  const fromUrl = queryParam(BASE_PARAM);
  if (fromUrl === 'hex' || fromUrl === 'dec') return fromUrl;
  try {
    return localStorage.getItem(BASE_STORAGE_KEY);
  } catch {
    return null; // storage disabled: the URL alone remembers the base
  }
}

function rememberBase(hex) {
  const value = hex ? 'hex' : 'dec';
  try {
    localStorage.setItem(BASE_STORAGE_KEY, value);
  } catch {
    // storage disabled: the URL alone remembers the base
  }
  setQueryParam(BASE_PARAM, value);
}

/**
 * Wires the header's dec / hex switch (#base-dec, #base-hex) to numberBase. Sets the stored
 * base first; onChange runs after each switch, once the new base is in effect.
 */
export function wireBaseToggle(onChange) {
  numberBase.hex = storedBase() === 'hex';
  const dec = /** @type {HTMLInputElement} */ ($('base-dec'));
  const hex = /** @type {HTMLInputElement} */ ($('base-hex'));
  (numberBase.hex ? hex : dec).checked = true;
  const change = () => {
    numberBase.hex = hex.checked;
    rememberBase(numberBase.hex);
    onChange();
  };
  dec.addEventListener('change', change);
  hex.addEventListener('change', change);
}

/** Rewrites the number fields with the given ids in the page's base (text that is no integer stays). */
export function reformatFields(ids) {
  for (const id of ids) {
    const el = /** @type {HTMLInputElement} */ ($(id));
    const v = parseNum(el.value);
    if (typeof v === 'number' && Number.isInteger(v)) el.value = num(v);
  }
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

/**
 * Colours for objects, dark enough for white labels. Neighbouring hash values get far-apart
 * hues, so short names such as A / B / C or heap0 / heap1 are easy to tell apart.
 */
const PALETTE = [
  '#4e79a7', '#4f9a45', '#d9731a', '#9a6a9f', '#d0494b', '#3f9a94',
  '#8f8a1f', '#8c6650', '#c2528b', '#c8553d', '#2f8f6f', '#5c5fc4',
];
const NULL_COLOUR = '#c9ced6';

/** FNV-1a over the name's UTF-16 code units: the same name always gives the same number. */
function nameHash(name) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * A colour per BO, derived from its name alone: the same BO has the same colour in every
 * preset, request and page load, whatever order the objects appear in (null: the NULL /
 * sparse binding, drawn hatched).
 */
export function boColour(name) {
  if (name === null || name === undefined) return NULL_COLOUR;
  return PALETTE[nameHash(String(name)) % PALETTE.length];
}

/** Reads ?key=value from the page URL. */
export function queryParam(key) {
  return new URLSearchParams(location.search).get(key);
}

/** Sets ?key=value in the page URL (null: removes it) without a reload or a history entry. */
export function setQueryParam(key, value) {
  const url = new URL(location.href);
  if (value === null) url.searchParams.delete(key);
  else url.searchParams.set(key, value);
  history.replaceState(history.state, '', url);
}

/** A seeded xorshift32 generator: the same seed gives the same uint32 sequence on every load. */
export function xorshift32(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
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
