// One agent of the Workers page: attaches to the page's shared tree and reads (lock-free) or
// writes (under the tree's lock) until the page raises the stop word, posting its running
// totals every REPORT_MS. A reader checks every answer against the invariant in
// workers-ranges.js and counts what breaks it.
import { MapleTree, MapleError } from 'maple-gpuvm';
import { CONTROL, KEY_SPACE, MAX_SPAN, checkLookup, checkWalk, rangeEntry } from './workers-ranges.js';
import { xorshift32 } from './common.js';

const REPORT_MS = 200;
/** Operations between looks at the clock and the stop word. */
const BATCH = 256;
/** A reader walks entries() over this many indices once every WALK_EVERY lookups. */
const WALK_SPAN = 4000;
const WALK_EVERY = 32;
/** One write in ERASE_EVERY erases its range instead of storing it. */
const ERASE_EVERY = 4;

function readBatch(tree, rand, totals) {
  for (let n = 0; n < BATCH; n++) {
    const index = rand() % KEY_SPACE;
    let bad = checkLookup(tree, index);
    totals.reads += 2;
    if (totals.reads % (2 * WALK_EVERY) === 0) {
      bad ??= checkWalk(tree, index, index + WALK_SPAN);
      totals.walks++;
    }
    if (bad) {
      totals.violations++;
      totals.firstViolation ??= bad;
    }
  }
}

/**
 * Stores (or erases) random ranges. A faulty writer names the range one index too short, so
 * readers see entries that do not cover their range: the violation counter's control.
 */
function writeBatch(tree, rand, totals, faulty) {
  const shift = faulty ? 1 : 0;
  for (let n = 0; n < BATCH; n++) {
    const first = rand() % KEY_SPACE;
    const last = Math.min(KEY_SPACE - 1, first + (rand() % (MAX_SPAN + 1)));
    tree.storeRange(first, last, totals.writes % ERASE_EVERY === 0 ? null : rangeEntry(first + shift, Math.max(first + shift, last)));
    totals.writes++;
  }
}

/** Holds the tree's lock for the ms the page asked for (the page's lock check), blocking as a worker may. */
function holdLock(tree, words) {
  const ms = Atomics.exchange(words, CONTROL.hold, 0);
  if (ms <= 0) return;
  tree.lock();
  Atomics.store(words, CONTROL.holding, 1);
  Atomics.wait(words, CONTROL.stop, 0, ms);
  tree.unlock();
  Atomics.store(words, CONTROL.holding, 0);
}

self.onmessage = async ({ data: { role, handle, control, seed, faulty } }) => {
  const totals = { reads: 0, walks: 0, rewalks: 0, writes: 0, violations: 0, firstViolation: null };
  try {
    const tree = await MapleTree.attach(handle);
    self.postMessage({ type: 'attached', agentId: tree.agentId });
    const words = new Int32Array(control);
    const rand = xorshift32(seed);
    const batch = role === 'writer' ? writeBatch : readBatch;
    const t0 = performance.now();
    let reported = t0;
    while (Atomics.load(words, CONTROL.stop) === 0) {
      batch(tree, rand, totals, faulty);
      if (role === 'writer') holdLock(tree, words);
      totals.rewalks = tree.rewalks;
      const now = performance.now();
      if (now - reported >= REPORT_MS) {
        self.postMessage({ type: 'tick', ms: now - t0, ...totals });
        reported = now;
      }
    }
    const ms = performance.now() - t0;
    tree.detach();
    self.postMessage({ type: 'done', ms, ...totals });
  } catch (err) {
    self.postMessage({
      type: 'error',
      name: err instanceof MapleError ? `MapleError ${err.code}` : err instanceof Error ? err.name : 'Error',
      message: err instanceof Error ? err.message : String(err),
    });
  }
};
