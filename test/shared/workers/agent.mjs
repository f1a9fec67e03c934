// A worker that acts as one agent of a SharedMutex and a SharedEpoch, driven by messages
// from the test: { id, op, ...args } in, { id, ok, value } or { id, ok: false, code } out.
// It imports the built package (npm test builds before running the suites).
import { parentPort } from 'node:worker_threads';
import { SharedEpoch, SharedMutex } from '../../../dist/shared/index.js';

let mutex = null;
let epoch = null;

/** Waits until every one of `parties` agents has arrived, so that hot loops overlap. */
function barrier(view, index, parties) {
  Atomics.add(view, index, 1);
  while (Atomics.load(view, index) < parties) Atomics.wait(view, index, Atomics.load(view, index), 1);
}

/** Increments a plain (non-atomic) counter under the mutex: lost updates show a broken lock. */
function count({ counter, iterations, parties }) {
  const view = new Int32Array(counter);
  barrier(view, 1, parties);
  for (let i = 0; i < iterations; i++) {
    mutex.lock();
    view[0] = view[0] + 1;
    mutex.unlock();
  }
  return iterations;
}

/**
 * Reads slots of the pool through the directory until told to stop, checking each slot is a
 * complete value written by the writer (word j = word 0 + j) and never the poison of a
 * reclaimed slot. With `protect` false it reads outside read sections (the control run).
 */
function stressRead({ pool, directory, control, slotWords, rereads, protect, poison }) {
  const words = new Int32Array(pool);
  const dir = new Int32Array(directory);
  const ctl = new Int32Array(control);
  let reads = 0;
  let violations = 0;
  Atomics.add(ctl, 1, 1); // ready
  for (let i = 0; Atomics.load(ctl, 0) === 0; i++) {
    if (protect) epoch.readLock();
    const base = Atomics.load(dir, i % dir.length) * slotWords;
    for (let r = 0; r < rereads; r++) {
      const first = words[base];
      let bad = first === poison;
      for (let j = 1; j < slotWords; j++) bad ||= words[base + j] !== first + j;
      if (bad) violations++;
    }
    if (protect) epoch.readUnlock();
    reads++;
  }
  return { reads, violations };
}

const ops = {
  attachMutex: ({ handle, options }) => (mutex = SharedMutex.attach(handle, options)).agentId,
  attachEpoch: ({ handle }) => (epoch = SharedEpoch.attach(handle)).agentId,
  lock: () => mutex.lock(),
  tryLock: () => mutex.tryLock(),
  unlock: () => mutex.unlock(),
  isHeld: () => mutex.isHeld(),
  freeMutex: () => mutex.free(),
  count,
  readLock: () => epoch.readLock(),
  readUnlock: () => epoch.readUnlock(),
  freeEpoch: () => epoch.free(),
  stressRead,
};

parentPort.on('message', ({ id, op, ...args }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: ops[op](args) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, code: error.code ?? 'UNKNOWN', message: String(error.message) });
  }
});
