// Workers page: one shared tree, one writer Worker and N reader Workers (workers-agent.js),
// with live rates and the readers' violation count. The page only creates the tree, starts
// and stops the workers, and validates the tree under its lock once they have stopped.
import { MapleTree, MapleError } from 'maple-gpuvm';
import { $, h, loadCore, showError, clearError, queryParam } from './common.js';
import { CONTROL, CONTROL_WORDS, startingRanges } from './workers-ranges.js';

/** Shared memory cap of the page's tree: ample for 2^20 indices of ranges. */
const MAX_MEMORY = 128 << 20;
/** How long a stopping worker may take to post its last totals before it is terminated. */
const STOP_TIMEOUT_MS = 5000;
/** Rates are measured over the last RATE_WINDOW_MS of ticks. */
const RATE_WINDOW_MS = 1000;
const SEED = 0x9e3779b9;

const errBox = $('error');
const status = $('workers-status');

/**
 * @typedef {{ reads: number, walks: number, rewalks: number, writes: number, violations: number, firstViolation: string | null, ms: number }} Totals
 * @typedef {{ name: string, role: string, worker: Worker, agentId: number, totals: Totals, history: Totals[], done: boolean }} Agent
 */

/** The running session: its tree, control words and agents; null when idle. */
let session = null;
let frames = 0;

const ZERO = { reads: 0, walks: 0, rewalks: 0, writes: 0, violations: 0, firstViolation: null, ms: 0 };

/** Operations per second, for one counter: over the last RATE_WINDOW_MS, or the whole run once the agent is done. */
function rate(agent, key) {
  if (agent.done) return agent.totals.ms > 0 ? (agent.totals[key] * 1000) / agent.totals.ms : 0;
  const last = agent.history.at(-1);
  if (!last) return 0;
  const first = agent.history.find((t) => last.ms - t.ms <= RATE_WINDOW_MS) ?? last;
  return last.ms > first.ms ? ((last[key] - first[key]) * 1000) / (last.ms - first.ms) : 0;
}

function record(agent, totals) {
  agent.totals = totals;
  agent.history.push(totals);
  while (agent.history.length > 2 && totals.ms - agent.history[1].ms > RATE_WINDOW_MS) agent.history.shift();
}

const count = (n) => Math.round(n).toLocaleString('en-US');

function setStat(id, value) {
  const el = $(id);
  el.dataset.value = String(Math.round(value));
  el.textContent = count(value);
}

function render() {
  if (!session) return;
  const sum = (key) => session.agents.reduce((acc, a) => acc + a.totals[key], 0);
  const sumRate = (key) => session.agents.reduce((acc, a) => acc + rate(a, key), 0);
  setStat('stat-read-rate', sumRate('reads'));
  setStat('stat-write-rate', sumRate('writes'));
  setStat('stat-reads', sum('reads'));
  setStat('stat-writes', sum('writes'));
  setStat('stat-rewalks', sum('rewalks'));
  setStat('stat-violations', sum('violations'));
  const firstBad = session.agents.find((a) => a.totals.firstViolation);
  $('workers-violation').textContent = firstBad ? `first violation (${firstBad.name}): ${firstBad.totals.firstViolation}` : '';
  const tbody = /** @type {HTMLTableElement} */ ($('workers-table')).tBodies[0];
  tbody.replaceChildren(
    ...session.agents.map((a) =>
      h('tr', { 'data-role': a.role },
        h('th', {}, a.name),
        h('td', { class: 'num' }, a.agentId || '—'),
        h('td', { class: 'num' }, count(rate(a, 'reads'))),
        h('td', { class: 'num' }, count(rate(a, 'writes'))),
        h('td', { class: 'num' }, count(a.totals.reads)),
        h('td', { class: 'num' }, count(a.totals.walks)),
        h('td', { class: 'num', 'data-rewalks': a.totals.rewalks }, count(a.totals.rewalks)),
        h('td', { class: 'num' }, count(a.totals.writes)),
        h('td', { class: 'num', 'data-violations': a.totals.violations }, count(a.totals.violations)),
      ),
    ),
  );
}

/** Counts animation frames while the workers run: the page stays responsive. */
function heartbeat() {
  if (!session) return;
  frames++;
  $('heartbeat').textContent = `main thread: ${frames} frames drawn during the run (${((performance.now() - session.started) / 1000).toFixed(1)} s)`;
  render();
  requestAnimationFrame(heartbeat);
}

function setRunning(on) {
  /** @type {HTMLButtonElement} */ ($('workers-start')).disabled = on;
  /** @type {HTMLButtonElement} */ ($('lock-try')).disabled = !(on && /** @type {HTMLInputElement} */ ($('workers-writer')).checked);
  /** @type {HTMLButtonElement} */ ($('workers-stop')).disabled = !on;
  for (const id of ['workers-readers', 'workers-backend', 'workers-writer']) /** @type {HTMLInputElement} */ ($(id)).disabled = on;
}

/** Starts one agent; resolves when it has attached to the tree. */
function startAgent(s, name, role, seed) {
  const worker = new Worker(new URL('./workers-agent.js', import.meta.url), { type: 'module' });
  /** @type {Agent} */
  const agent = { name, role, worker, agentId: 0, totals: ZERO, history: [], done: false };
  s.agents.push(agent);
  return new Promise((attached, failed) => {
    worker.onmessage = ({ data: m }) => {
      if (m.type === 'attached') {
        agent.agentId = m.agentId;
        attached(agent);
      } else if (m.type === 'tick') record(agent, m);
      else if (m.type === 'done') {
        record(agent, m);
        agent.done = true;
        s.onDone();
      } else if (m.type === 'error') {
        const err = Object.assign(new Error(m.message), { name: m.name });
        failed(err);
        fail(err);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      const err = new Error(e.message || `${name} failed to start`);
      failed(err);
      fail(err);
    };
    worker.postMessage({ role, handle: s.tree.share(), control: s.control, seed, faulty: s.faulty });
  });
}

async function start() {
  clearError(errBox);
  const readers = Number(/** @type {HTMLSelectElement} */ ($('workers-readers')).value);
  const backend = /** @type {HTMLSelectElement} */ ($('workers-backend')).value;
  const writer = /** @type {HTMLInputElement} */ ($('workers-writer')).checked;
  status.dataset.state = 'starting';
  status.textContent = `building the ${backend} tree…`;
  setRunning(true);
  let tree;
  try {
    tree = MapleTree.from(startingRanges(), { shared: true, backend, maxMemory: MAX_MEMORY });
  } catch (err) {
    setRunning(false);
    status.dataset.state = 'error';
    status.textContent = 'failed';
    showError(errBox, err);
    return;
  }
  const control = new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
  const faulty = queryParam('faulty-writer') === '1';
  session = { tree, backend, faulty, control, words: new Int32Array(control), agents: [], started: performance.now(), onDone: () => {} };
  const s = session;
  const names = Array.from({ length: readers }, (_, i) => [`reader ${i + 1}`, 'reader']);
  if (writer) names.push(['writer', 'writer']);
  try {
    await Promise.all(names.map(([name, role], i) => startAgent(s, name, role, SEED + i)));
  } catch {
    return; // fail() has reported it
  }
  if (session !== s) return;
  frames = 0;
  s.started = performance.now();
  status.dataset.state = 'running';
  status.textContent = `running: ${readers} reader${readers === 1 ? '' : 's'}${writer ? ` and a${faulty ? ' faulty' : ''} writer` : ', no writer'} on the ${backend} backend, ${tree.size.toLocaleString('en-US')} ranges at the start`;
  requestAnimationFrame(heartbeat);
}

/** Resolves when every agent has posted its last totals, or after STOP_TIMEOUT_MS. */
function allDone(s) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    s.onDone = () => {
      if (s.agents.every((a) => a.done)) {
        clearTimeout(timer);
        resolve();
      }
    };
    s.onDone();
  });
}

/** Ends the workers; a worker that did not detach is forgotten, so it holds no memory back. */
function endAgents(s) {
  for (const a of s.agents) {
    a.worker.terminate();
    if (!a.done && a.agentId) s.tree.forgetAgent(a.agentId);
  }
}

async function stop() {
  const s = session;
  if (!s) return;
  /** @type {HTMLButtonElement} */ ($('workers-stop')).disabled = true;
  status.dataset.state = 'stopping';
  Atomics.store(s.words, CONTROL.stop, 1);
  await allDone(s);
  endAgents(s);
  render();
  session = null;
  try {
    s.tree.lock();
    try {
      s.tree.validate();
    } finally {
      s.tree.unlock();
    }
    $('stat-size').textContent = s.tree.size.toLocaleString('en-US');
    const seconds = ((performance.now() - s.started) / 1000).toFixed(1);
    status.dataset.state = 'done';
    status.textContent = `stopped after ${seconds} s; validate() passed on the ${s.backend} tree; the page drew ${frames} frames meanwhile`;
  } catch (err) {
    status.dataset.state = 'error';
    status.textContent = 'validate() failed';
    showError(errBox, err);
  } finally {
    s.tree.free();
    setRunning(false);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the control word `slot` reads `value` (false after `ms`). */
async function until(s, slot, value, ms) {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(10)) {
    if (Atomics.load(s.words, slot) === value) return true;
  }
  return false;
}

/** Calls tree.lock() (and unlock()) on the page: how long it took, and the EBUSY error if it gave up. */
function timedLock(tree) {
  const t0 = performance.now();
  try {
    tree.lock();
  } catch (err) {
    if (err instanceof MapleError && err.code === 'EBUSY') return { ms: performance.now() - t0, err };
    throw err;
  }
  tree.unlock();
  return { ms: performance.now() - t0, err: null };
}

/** The lock panel: the page's lock() while the writer holds the lock (EBUSY), then after. */
async function tryLockFromPage() {
  const s = session;
  const result = $('lock-result');
  const button = /** @type {HTMLButtonElement} */ ($('lock-try'));
  if (!s) return;
  button.disabled = true;
  result.dataset.state = 'running';
  result.textContent = 'asking the writer to hold the lock…';
  try {
    Atomics.store(s.words, CONTROL.hold, 2000);
    if (!(await until(s, CONTROL.holding, 1, 5000))) throw new Error('the writer did not take the lock');
    const held = timedLock(s.tree);
    const whileHeld = held.err
      ? `while the writer held it: ${held.err.code} after ${Math.round(held.ms)} ms (${held.err.message})`
      : `while the writer held it: got the lock after ${Math.round(held.ms)} ms`;
    await until(s, CONTROL.holding, 0, 5000);
    const after = timedLock(s.tree);
    result.dataset.state = held.err && !after.err ? 'done' : 'error';
    result.textContent = `${whileHeld}; once it let go: ${after.err ? after.err.code : `got the lock after ${Math.round(after.ms)} ms`}`;
  } catch (err) {
    result.dataset.state = 'error';
    result.textContent = 'failed';
    showError(errBox, err);
  } finally {
    button.disabled = session !== s;
  }
}

function fail(err) {
  const s = session;
  session = null;
  if (s) {
    Atomics.store(s.words, CONTROL.stop, 1);
    for (const a of s.agents) a.worker.terminate();
    s.tree.free();
  }
  setRunning(false);
  status.dataset.state = 'error';
  status.textContent = 'failed';
  showError(errBox, err);
}

for (const [param, id] of [['readers', 'workers-readers'], ['backend', 'workers-backend']]) {
  const value = queryParam(param);
  if (value !== null) /** @type {HTMLSelectElement} */ ($(id)).value = value;
}
$('workers-form').addEventListener('submit', (e) => {
  e.preventDefault();
  start();
});
$('workers-stop').addEventListener('click', stop);
$('lock-try').addEventListener('click', tryLockFromPage);

loadCore().then(() => {
  document.body.dataset.ready = 'true';
  if (!globalThis.crossOriginIsolated) {
    showError(errBox, new Error('This page is not cross-origin isolated (COOP / COEP headers missing), so SharedArrayBuffer is unavailable.'));
  }
});
