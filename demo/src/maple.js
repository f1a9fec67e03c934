// Maple tree page: a MapleTree, its nodes, and the store type of every write.
import { MapleTree, ZERO_ENTRY, MAX_INDEX } from 'maple-gpuvm';
import {
  $, h, loadCore, numOf, num, wireBaseToggle, reformatFields, showError, clearError, queryParam, setQueryParam, xorshift32,
} from './common.js';
import { MAPLE_PRESETS, DEFAULT_MAPLE_PRESET } from './maple-presets.js';

/** The kernel's store types (enum store_type), with what each does. */
const STORE_TYPES = [
  ['exact-fit', 'exact fit: the write replaces one slot exactly'],
  ['append', 'append: written in place into the last range of the leaf'],
  ['slot-store', 'slot store: in place, the slot count stays the same'],
  ['node-store', 'node store: the leaf is rebuilt with the new range'],
  ['split-store', 'split: the leaf overflows and splits upwards'],
  ['rebalance', 'rebalance: the node falls below its minimum and takes from a sibling'],
  ['spanning-store', 'spanning store: the write crosses node boundaries'],
  ['new-root', 'new root: the write covers the whole key space'],
  ['store-root', 'store root: the first write into an empty tree'],
  ['nothing', 'nothing: a NULL write over nothing'],
];

const state = {
  backend: /** @type {'wasm' | 'ts'} */ ('wasm'),
  allocRange: true,
  /** @type {MapleTree<unknown> | null} */ tree: null,
  /** @type {Map<string, number>} */ counts: new Map(),
  /** @type {Set<string>} node signatures of the previous render */ prevSigs: new Set(),
  /** @type {[number, number] | null} */ written: null,
  /** @type {{ text: () => string, type: string | null, error: boolean }[]} newest first */ log: [],
  seq: 0,
  rand: xorshift32(12345), // the random bulk stores: deterministic per page load
};

const errBox = $('error');
const PRESET_PARAM = 'preset';
const LOG_LIMIT = 200;
/** The form fields that hold numbers; a base switch rewrites them. */
const NUMBER_FIELDS = ['st-first', 'st-last', 'er-index', 'al-size', 'al-min', 'al-max'];
const BULK_APPEND = 40;
const BULK_RANDOM = 20;

function newTree() {
  const tree = new MapleTree({ backend: state.backend, allocRange: state.allocRange });
  state.tree = tree;
  state.counts = new Map();
  state.prevSigs = new Set();
  state.written = null;
  state.seq = 0;
  state.log = [];
}

/** Indices near MAX_INDEX read better relative to it. */
const MAXS = (n) => (n === MAX_INDEX ? 'MAX' : n > MAX_INDEX - 1e6 ? `MAX−${num(MAX_INDEX - n)}` : num(n));
const entryLabel = (v) => (v === ZERO_ENTRY ? 'ZERO' : v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

/** The entry field: empty → an automatic name, "null" → null (erase), "ZERO" → ZERO_ENTRY. */
function readEntry() {
  const raw = /** @type {HTMLInputElement} */ ($('st-entry')).value.trim();
  if (raw === '') return undefined;
  if (raw === 'null') return null;
  if (raw === 'ZERO') return ZERO_ENTRY;
  return raw;
}

/** Logs a call; text is a function so that a base switch rewrites the numbers in it. */
function log(text, type, error) {
  state.log.unshift({ text, type, error });
  state.log.length = Math.min(state.log.length, LOG_LIMIT);
}

/**
 * Runs one write through the tree and records its store type, without rendering (a preset
 * or bulk action renders once at the end). A MapleError (the library refused the call) is
 * shown to the user and leaves the tree unchanged.
 */
function applyWrite(text, fn, range) {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  try {
    const result = fn(tree);
    const type = tree.lastStoreType ?? '—';
    state.counts.set(type, (state.counts.get(type) ?? 0) + 1);
    state.written = typeof range === 'function' ? range(result) : range;
    log(result === undefined ? text : () => `${text()} → ${typeof result === 'number' ? num(result) : result}`, type, false);
    return true;
  } catch (err) {
    showError(errBox, err);
    log(() => `${text()} ✗ ${err && err.code ? err.code : 'error'}`, null, true);
    return false;
  }
}

function quote(v) {
  return v === null ? 'null' : v === ZERO_ENTRY ? 'ZERO_ENTRY' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** storeRange / insertRange; entry undefined: the next automatic name. */
function storeOp(first, last, entry, insert = false) {
  const e = entry === undefined ? `e${++state.seq}` : entry;
  const name = insert ? 'insertRange' : 'storeRange';
  return applyWrite(() => `${name}(${num(first)}, ${num(last)}, ${quote(e)})`, (t) => {
    if (insert) t.insertRange(first, last, e);
    else t.storeRange(first, last, e);
    return undefined;
  }, [first, last]);
}

function eraseOp(index) {
  return applyWrite(() => `erase(${num(index)})`, (t) => quote(t.erase(index) ?? null), [index, index]);
}

function allocOp(size, min, max, rev = false) {
  const entry = `a${++state.seq}`;
  const name = rev ? 'allocRRange' : 'allocRange';
  return applyWrite(() => `${name}(${num(size)}, ${quote(entry)}, ${num(min)}, ${num(max)})`,
    (t) => (rev ? t.allocRRange(size, entry, min, max) : t.allocRange(size, entry, min, max)),
    (start) => [start, start + /** @type {number} */ (size) - 1]);
}

/** Runs a preset's op (see maple-presets.js). */
function runOp([kind, a, b, c]) {
  if (kind === 'store') return storeOp(a, b, c);
  if (kind === 'erase') return eraseOp(a);
  return allocOp(a, b, c);
}

/** Runs writes until one fails, then renders once. */
function batch(ops) {
  clearError(errBox);
  for (const op of ops) if (!op()) break;
  render();
}

function doStore(insert) {
  const first = numOf('st-first');
  const last = numOf('st-last');
  clearError(errBox);
  const ok = storeOp(first, last, readEntry(), insert);
  render();
  if (ok && typeof first === 'number' && typeof last === 'number') {
    // Suggest the next range after this one, same width, with a gap.
    const w = last - first;
    const step = Math.max(10, Math.ceil((w + 5) / 10) * 10);
    /** @type {HTMLInputElement} */ ($('st-first')).value = num(first + step);
    /** @type {HTMLInputElement} */ ($('st-last')).value = num(first + step + w);
  }
}

function doErase() {
  batch([() => eraseOp(numOf('er-index'))]);
}

function doLoad() {
  clearError(errBox);
  const index = numOf('er-index');
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  try {
    const v = tree.load(index);
    const r = tree.find(index, index);
    $('load-result').textContent = `load(${num(index)}) → ${v === undefined ? 'undefined' : quote(v)}${r ? ` (range [${MAXS(r.first)}, ${MAXS(r.last)}])` : ''}`;
  } catch (err) {
    showError(errBox, err);
  }
}

function doAlloc(rev) {
  batch([() => allocOp(numOf('al-size'), numOf('al-min'), numOf('al-max'), rev)]);
}

function lastEnd() {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  const r = tree.prev(MAX_INDEX);
  if (tree.load(MAX_INDEX) !== undefined) return MAX_INDEX;
  return r ? r.last : -1;
}

function bulkAppend() {
  const base = Math.ceil((lastEnd() + 1) / 10) * 10;
  const ops = [];
  for (let i = 0; i < BULK_APPEND; i++) ops.push(() => storeOp(base + i * 10, base + i * 10 + 5));
  batch(ops);
}

function bulkRandom() {
  const top = Math.max(400, lastEnd() + 40);
  const ops = [];
  for (let i = 0; i < BULK_RANDOM; i++) {
    const f = state.rand() % top;
    const l = f + (state.rand() % 30);
    ops.push(() => storeOp(f, l, `r${++state.seq}`));
  }
  batch(ops);
}

function bulkErase() {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  const firsts = [];
  for (const [first] of tree.entries()) firsts.push(first);
  batch(firsts.filter((_, i) => i % 2 === 0).map((f) => () => eraseOp(f)));
}

function doDestroy() {
  clearError(errBox);
  state.tree?.destroy();
  state.written = null;
  log(() => 'destroy()', null, false);
  render();
}

/** A fresh tree with the preset's writes; unknown ids load the default preset. */
function loadPreset(id) {
  const preset = MAPLE_PRESETS.find((p) => p.id === id) ?? MAPLE_PRESETS.find((p) => p.id === DEFAULT_MAPLE_PRESET);
  if (!preset) return;
  clearError(errBox);
  state.allocRange = preset.allocRange;
  /** @type {HTMLInputElement} */ ($('alloc-range')).checked = preset.allocRange;
  /** @type {HTMLSelectElement} */ ($('preset')).value = preset.id;
  $('preset-text').textContent = preset.text;
  setQueryParam(PRESET_PARAM, preset.id);
  try {
    newTree();
  } catch (err) {
    showError(errBox, err);
    return;
  }
  batch(preset.ops().map((op) => () => runOp(op)));
}

// ------------------------------------------------------------------ rendering

function levelsOf(root) {
  const levels = [];
  let cur = root ? [root] : [];
  while (cur.length) {
    levels.push(cur);
    cur = cur.flatMap((n) => n.children ?? []);
  }
  return levels;
}

const sig = (n) => `${n.addr}:${n.min}:${n.max}:${n.pivots.join(',')}:${n.slots.join(',')}:${(n.gaps ?? []).join(',')}`;

/** Nodes drawn per level; the view scrolls and zooms, so this only bounds the page's work. */
const NODE_CAP = 500;

function render() {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  const root = tree.nodes();
  const levels = levelsOf(root);
  let nodeCount = 0;
  for (const l of levels) nodeCount += l.length;
  let entries = 0;
  tree.forEach(() => {
    entries++;
  });
  $('stat-height').textContent = String(tree.height);
  $('stat-nodes').textContent = String(nodeCount);
  $('stat-entries').textContent = String(entries);
  $('stat-last').textContent = tree.lastStoreType ?? '—';
  $('stat-last').dataset.type = tree.lastStoreType ?? '';

  const chips = $('store-types');
  chips.replaceChildren();
  for (const [type, text] of STORE_TYPES) {
    const count = state.counts.get(type) ?? 0;
    if (count === 0 && (type === 'new-root' || type === 'nothing')) continue;
    const cls = ['st', count ? 'seen' : '', tree.lastStoreType === type ? 'last' : ''].filter(Boolean).join(' ');
    chips.append(h('span', { class: cls, title: text, 'data-type': type, 'data-count': count }, type, h('b', {}, String(count))));
  }

  // Node ids in breadth-first order; child rows point at them.
  const ids = new Map();
  levels.flat().forEach((n, i) => ids.set(n.addr, i));
  const sigs = new Set(levels.flat().map(sig));
  const view = $('tree-view');
  view.replaceChildren();
  view.dataset.height = String(tree.height);
  if (!root) view.append(h('p', { class: 'hint' }, 'The tree is empty (height 0).'));
  const [wf, wl] = state.written ?? [NaN, NaN];
  levels.forEach((nodes, depth) => {
    const row = h('div', { class: 'tree-level', 'data-depth': depth });
    row.append(h('div', { class: 'tree-level-label' }, depth === 0 ? 'root' : `depth ${depth}`, h('br'), `${nodes.length} node${nodes.length === 1 ? '' : 's'}`));
    for (const n of nodes.slice(0, NODE_CAP)) row.append(nodeCard(n, ids, tree, !state.prevSigs.has(sig(n)) && state.prevSigs.size > 0, wf, wl));
    if (nodes.length > NODE_CAP) row.append(h('div', { class: 'hint' }, `… ${nodes.length - NODE_CAP} more nodes`));
    view.append(row);
  });
  state.prevSigs = sigs;
  renderLog();
  if (/** @type {HTMLDetailsElement} */ ($('dump-box')).open) $('dump').textContent = tree.dump();
}

function renderLog() {
  $('log').replaceChildren(...state.log.map((e) => h('li', { class: e.error ? 'err' : '' }, h('span', {}, e.text()), e.type ? h('span', { class: 'badge' }, e.type) : null)));
}

// ------------------------------------------------------------------ node view zoom

const ZOOM_STEP = 1.25;
const ZOOM_MIN = 0.1;
const ZOOM_MAX = 2;
let zoomLevel = 1;

function setZoom(z) {
  zoomLevel = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
  $('tree-view').style.setProperty('--zoom', String(zoomLevel));
  $('tree-zoom-level').textContent = `${Math.round(zoomLevel * 100)}%`;
}

/** The zoom at which the widest level fits the viewport (never above 100%). */
function fitZoom() {
  const viewport = $('tree-viewport');
  const style = getComputedStyle(viewport);
  const room = viewport.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
  setZoom(1);
  const natural = $('tree-view').getBoundingClientRect().width;
  // Rounded down to a whole percent, so rounding in the layout cannot overflow by a pixel.
  setZoom(Math.min(1, Math.floor((room / Math.max(1, natural)) * 100) / 100));
}

function wireZoom() {
  $('tree-zoom-in').addEventListener('click', () => setZoom(zoomLevel * ZOOM_STEP));
  $('tree-zoom-out').addEventListener('click', () => setZoom(zoomLevel / ZOOM_STEP));
  $('tree-zoom-fit').addEventListener('click', fitZoom);
  $('tree-zoom-reset').addEventListener('click', () => setZoom(1));
  // Ctrl / ⌘ + wheel zooms the node view (a plain wheel scrolls it).
  $('tree-viewport').addEventListener('wheel', (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    setZoom(e.deltaY < 0 ? zoomLevel * ZOOM_STEP : zoomLevel / ZOOM_STEP);
  }, { passive: false });
  setZoom(1);
}

function nodeCard(n, ids, tree, changed, wf, wl) {
  const id = ids.get(n.addr);
  const card = h('div', { class: `tnode ${n.type}${changed ? ' changed' : ''}`, id: `node-${id}`, 'data-type': n.type, 'data-end': n.end });
  card.append(
    h('header', {}, h('span', {}, h('span', { class: 'ty' }, n.type), ` #${id}`), h('span', { title: 'node address in the backend memory' }, `@${num(n.addr)}`)),
    h('div', { class: 'span' }, `[${MAXS(n.min)}, ${MAXS(n.max)}] end=${n.end}`),
  );
  const table = h('table', {});
  const leaf = n.type === 'leaf';
  for (let i = 0; i <= n.end; i++) {
    const lo = i === 0 ? n.min : n.pivots[i - 1] + 1;
    const hi = n.pivots[i];
    const range = lo === hi ? MAXS(lo) : `${MAXS(lo)}–${MAXS(hi)}`;
    let tr;
    if (leaf) {
      const handle = n.slots[i];
      const label = handle === 0 ? '∅' : handle === 1 ? 'ZERO' : entryLabel(tree.load(lo));
      const written = lo <= wl && wf <= hi;
      tr = h('tr', { class: `${handle === 0 ? 'null' : ''}${written ? ' written' : ''}` }, h('td', { class: 'i' }, i), h('td', { class: 'r' }, range), h('td', { class: 'v' }, label));
    } else {
      const child = ids.get(n.slots[i]);
      tr = h('tr', { class: 'child', tabindex: 0, 'data-child': child, title: `child node #${child}` },
        h('td', { class: 'i' }, i), h('td', { class: 'r' }, range), h('td', { class: 'v' }, `→ #${child}`));
      if (n.gaps) tr.append(h('td', { class: 'g', title: 'largest gap below this child' }, `gap ${MAXS(n.gaps[i])}`));
      const hl = (on) => document.getElementById(`node-${child}`)?.classList.toggle('hl', on);
      tr.addEventListener('mouseenter', () => hl(true));
      tr.addEventListener('mouseleave', () => hl(false));
      tr.addEventListener('focus', () => hl(true));
      tr.addEventListener('blur', () => hl(false));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') document.getElementById(`node-${child}`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      });
    }
    table.append(tr);
  }
  card.append(table);
  return card;
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('store-form').addEventListener('submit', (e) => {
    e.preventDefault();
    doStore(false);
  });
  $('st-insert').addEventListener('click', () => doStore(true));
  $('erase-form').addEventListener('submit', (e) => {
    e.preventDefault();
    doErase();
  });
  $('er-load').addEventListener('click', doLoad);
  $('alloc-form').addEventListener('submit', (e) => {
    e.preventDefault();
    doAlloc(false);
  });
  $('al-high').addEventListener('click', () => doAlloc(true));
  $('bulk-append').addEventListener('click', bulkAppend);
  $('bulk-random').addEventListener('click', bulkRandom);
  $('bulk-erase').addEventListener('click', bulkErase);
  $('bulk-destroy').addEventListener('click', doDestroy);
  const recreate = () => {
    clearError(errBox);
    setQueryParam(PRESET_PARAM, null);
    try {
      newTree();
    } catch (err) {
      showError(errBox, err);
    }
    render();
  };
  $('tree-new').addEventListener('click', recreate);
  $('backend').addEventListener('change', (e) => {
    state.backend = /** @type {HTMLSelectElement} */ (e.target).value === 'ts' ? 'ts' : 'wasm';
    recreate();
  });
  $('alloc-range').addEventListener('change', (e) => {
    state.allocRange = /** @type {HTMLInputElement} */ (e.target).checked;
    recreate();
  });
  $('tree-validate').addEventListener('click', () => {
    try {
      state.tree?.validate();
      $('validate-status').textContent = 'validate(): every invariant holds';
    } catch (err) {
      $('validate-status').textContent = err instanceof Error ? err.message : String(err);
    }
  });
  const presetSel = /** @type {HTMLSelectElement} */ ($('preset'));
  presetSel.append(...MAPLE_PRESETS.map((p) => h('option', { value: p.id }, p.title)));
  $('preset-run').addEventListener('click', () => loadPreset(presetSel.value));
  wireBaseToggle(() => {
    reformatFields(NUMBER_FIELDS);
    render();
  });
  reformatFields(NUMBER_FIELDS);
  wireZoom();
  $('dump-box').addEventListener('toggle', () => {
    if (/** @type {HTMLDetailsElement} */ ($('dump-box')).open && state.tree) $('dump').textContent = state.tree.dump();
  });
}

async function main() {
  wire();
  const ok = await loadCore();
  const b = queryParam('backend');
  state.backend = b === 'ts' || !ok ? 'ts' : 'wasm';
  /** @type {HTMLSelectElement} */ ($('backend')).value = state.backend;
  // Land on a running example: the preset the URL names, else the default one.
  loadPreset(queryParam(PRESET_PARAM) ?? DEFAULT_MAPLE_PRESET);
  if (!state.tree) return;
  document.body.dataset.ready = 'true';
}

main();
