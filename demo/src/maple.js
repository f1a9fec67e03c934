// Maple tree page: a MapleTree, its nodes, and the store type of every write.
import { MapleTree, ZERO_ENTRY, MAX_INDEX } from 'maple-gpuvm';
import { $, h, loadCore, numOf, showError, clearError, queryParam } from './common.js';

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
  seq: 0,
  rng: 12345,
};

const errBox = $('error');

function newTree() {
  const tree = new MapleTree({ backend: state.backend, allocRange: state.allocRange });
  state.tree = tree;
  state.counts = new Map();
  state.prevSigs = new Set();
  state.written = null;
  state.seq = 0;
  $('log').replaceChildren();
}

/** Indices near MAX_INDEX read better relative to it. */
const MAXS = (n) => (n === MAX_INDEX ? 'MAX' : n > MAX_INDEX - 1e6 ? `MAX−${MAX_INDEX - n}` : String(n));
const entryLabel = (v) => (v === ZERO_ENTRY ? 'ZERO' : v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

/** The entry field: empty → an automatic name, "null" → null (erase), "ZERO" → ZERO_ENTRY. */
function readEntry() {
  const raw = /** @type {HTMLInputElement} */ ($('st-entry')).value.trim();
  if (raw === '') return `e${++state.seq}`;
  if (raw === 'null') return null;
  if (raw === 'ZERO') return ZERO_ENTRY;
  return raw;
}

function log(text, type, error) {
  const li = h('li', { class: error ? 'err' : '' }, h('span', {}, text), type ? h('span', { class: 'badge' }, type) : null);
  const list = $('log');
  list.prepend(li);
  while (list.childElementCount > 200) list.lastElementChild?.remove();
}

/**
 * Runs one write through the tree, records its store type and re-renders. A MapleError (the
 * library refused the call) is shown to the user and leaves the tree unchanged.
 */
function write(text, fn, range) {
  clearError(errBox);
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  try {
    const result = fn(tree);
    const type = tree.lastStoreType ?? '—';
    state.counts.set(type, (state.counts.get(type) ?? 0) + 1);
    state.written = typeof range === 'function' ? range(result) : range;
    log(result === undefined ? text : `${text} → ${result}`, type, false);
    render();
    return true;
  } catch (err) {
    showError(errBox, err);
    log(`${text} ✗ ${err && err.code ? err.code : 'error'}`, null, true);
    return false;
  }
}

function quote(v) {
  return v === null ? 'null' : v === ZERO_ENTRY ? 'ZERO_ENTRY' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function doStore(insert) {
  const first = numOf('st-first');
  const last = numOf('st-last');
  const entry = readEntry();
  const name = insert ? 'insertRange' : 'storeRange';
  const ok = write(`${name}(${first}, ${last}, ${quote(entry)})`, (t) => {
    if (insert) t.insertRange(first, last, entry);
    else t.storeRange(first, last, entry);
    return undefined;
  }, [first, last]);
  if (ok) {
    // Suggest the next range after this one, same width, with a gap.
    if (typeof first === 'number' && typeof last === 'number') {
      const w = last - first;
      const step = Math.max(10, Math.ceil((w + 5) / 10) * 10);
      /** @type {HTMLInputElement} */ ($('st-first')).value = String(first + step);
      /** @type {HTMLInputElement} */ ($('st-last')).value = String(first + step + w);
    }
  }
}

function doErase() {
  const index = numOf('er-index');
  write(`erase(${index})`, (t) => quote(t.erase(index) ?? null), [index, index]);
}

function doLoad() {
  clearError(errBox);
  const index = numOf('er-index');
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  try {
    const v = tree.load(index);
    const r = tree.find(index, index);
    $('load-result').textContent = `load(${index}) → ${v === undefined ? 'undefined' : quote(v)}${r ? ` (range [${r.first}, ${MAXS(r.last)}])` : ''}`;
  } catch (err) {
    showError(errBox, err);
  }
}

function doAlloc(rev) {
  const size = numOf('al-size');
  const min = numOf('al-min');
  const max = numOf('al-max');
  const entry = `a${++state.seq}`;
  const name = rev ? 'allocRRange' : 'allocRange';
  write(`${name}(${size}, ${quote(entry)}, ${min}, ${max})`, (t) => (rev ? t.allocRRange(size, entry, min, max) : t.allocRange(size, entry, min, max)), (start) => [start, start + /** @type {number} */ (size) - 1]);
}

function lastEnd() {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  const r = tree.prev(MAX_INDEX);
  if (tree.load(MAX_INDEX) !== undefined) return MAX_INDEX;
  return r ? r.last : -1;
}

function bulkAppend() {
  const base = Math.ceil((lastEnd() + 1) / 10) * 10;
  for (let i = 0; i < 40; i++) {
    const f = base + i * 10;
    if (!write(`storeRange(${f}, ${f + 5}, "e${state.seq + 1}")`, (t) => t.storeRange(f, f + 5, `e${++state.seq}`), [f, f + 5])) break;
  }
}

function rand(n) {
  // xorshift32, deterministic per page load
  let x = state.rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.rng = x >>> 0;
  return state.rng % n;
}

function bulkRandom() {
  const top = Math.max(400, lastEnd() + 40);
  for (let i = 0; i < 20; i++) {
    const f = rand(top);
    const l = f + rand(30);
    if (!write(`storeRange(${f}, ${l}, "r${state.seq + 1}")`, (t) => t.storeRange(f, l, `r${++state.seq}`), [f, l])) break;
  }
}

function bulkErase() {
  const tree = /** @type {MapleTree<unknown>} */ (state.tree);
  const firsts = [];
  for (const [first] of tree.entries()) firsts.push(first);
  for (let i = 0; i < firsts.length; i += 2) {
    const f = firsts[i];
    if (!write(`erase(${f})`, (t) => quote(t.erase(f) ?? null), [f, f])) break;
  }
}

function doDestroy() {
  clearError(errBox);
  state.tree?.destroy();
  state.written = null;
  log('destroy()', null, false);
  render();
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

const NODE_CAP = 120;

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
  if (/** @type {HTMLDetailsElement} */ ($('dump-box')).open) $('dump').textContent = tree.dump();
}

function nodeCard(n, ids, tree, changed, wf, wl) {
  const id = ids.get(n.addr);
  const card = h('div', { class: `tnode ${n.type}${changed ? ' changed' : ''}`, id: `node-${id}`, 'data-type': n.type, 'data-end': n.end });
  card.append(
    h('header', {}, h('span', {}, h('span', { class: 'ty' }, n.type), ` #${id}`), h('span', { title: 'node address in the backend memory' }, `@${n.addr.toString(16)}`)),
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
  try {
    newTree();
  } catch (err) {
    showError(errBox, err);
    return;
  }
  render();
  document.body.dataset.ready = 'true';
}

main();
