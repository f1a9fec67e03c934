// A worker that acts as one agent of a shared MapleTree, driven by messages from the test:
// { id, op, ...args } in, { id, ok, value } or { id, ok: false, code, message } out.
// It imports the built package (npm test builds before running the suites).
import { parentPort } from 'node:worker_threads';
import { MapleTree } from '../../../dist/index.js';
import { enterRead } from '../../../dist/shared/epoch.js';
import { checkRead, checkRun } from './treeChecks.mjs';

let tree = null;

/** Reads until told to stop (control word 0), checking that everything read is self-consistent. */
function stressRead({ control, keys, seed }) {
  const ctl = new Int32Array(control);
  let state = seed >>> 0;
  const rand = (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  let reads = 0;
  const violations = [];
  Atomics.add(ctl, 1, 1); // ready
  while (Atomics.load(ctl, 0) === 0) {
    const i = rand(keys);
    const bad = checkRead(tree, i) ?? (reads % 32 === 0 ? checkRun(tree, i, i + 4000) : null);
    if (bad && violations.length < 5) violations.push(bad);
    if (bad) violations.count = (violations.count ?? 0) + 1;
    reads++;
  }
  return { reads, violations, violationCount: violations.count ?? 0, rewalks: tree._core.rewalks };
}

/** Adds 1 to the entry at index 0, `iterations` times, each under the tree lock. */
function count({ iterations, control, parties }) {
  const ctl = new Int32Array(control);
  Atomics.add(ctl, 1, 1);
  while (Atomics.load(ctl, 1) < parties) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 1);
  for (let n = 0; n < iterations; n++) {
    tree.lock();
    const value = tree.load(0) ?? 0;
    tree.state(0).store(value + 1);
    tree.unlock();
  }
  return iterations;
}

const ops = {
  attach: async ({ handle }) => (tree = await MapleTree.attach(handle)).agentId,
  load: ({ index }) => tree.load(index),
  store: ({ first, last, entry }) => tree.storeRange(first, last, entry),
  lock: () => tree.lock(),
  tryLock: () => tree.tryLock(),
  unlock: () => tree.unlock(),
  stateStore: ({ index, entry }) => tree.state(index).store(entry),
  stressRead,
  count,
  /** Enters a read section and never leaves it (the test then terminates this worker). */
  stallInRead: () => {
    const core = tree._core;
    enterRead(core.region.epochs, core.region.slot);
  },
  detach: () => tree.detach(),
};

parentPort.on('message', async ({ id, op, ...args }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: await ops[op](args) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, code: error.code, message: error.message });
  }
});
