// Benchmark worker: reduced W1 (build), W2 (load) and W4 (overwrite) on each backend.
// Runs off the main thread so the page stays responsive; reports progress and results
// with postMessage. The workloads follow the project's benchmark definitions (xorshift64
// from state 42, ranges [16i, 16i + 9]) at a smaller N.
import { init, MapleTree, MapleError } from 'maple-gpuvm';

const MASK = (1n << 64n) - 1n;

/** xorshift64 from a state; next() returns a BigInt in [0, 2^64). */
function rng(seed) {
  let x = BigInt(seed);
  return () => {
    x ^= (x << 13n) & MASK;
    x ^= x >> 7n;
    x ^= (x << 17n) & MASK;
    return x;
  };
}

/** The random inputs of W2 and W4, drawn before any timing. */
function inputs(n, loads, overwrites) {
  const space = BigInt(16 * n);
  let next = rng(42);
  const w2 = new Float64Array(loads);
  for (let i = 0; i < loads; i++) w2[i] = Number(next() % space);
  next = rng(42);
  const w4start = new Float64Array(overwrites);
  const w4len = new Float64Array(overwrites);
  const w4val = new Float64Array(overwrites);
  for (let i = 0; i < overwrites; i++) {
    w4start[i] = Number(next() % space);
    w4len[i] = 1 + Number(next() % 64n);
    w4val[i] = Number((next() >> 2n) & 0xffffffn);
  }
  return { w2, w4start, w4len, w4val };
}

function w1(tree, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tree.storeRange(16 * i, 16 * i + 9, i);
  return performance.now() - t0;
}

function w2(tree, keys) {
  let hits = 0;
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const v = tree.load(keys[i]);
    if (v !== undefined) {
      hits++;
      sum += v;
    }
  }
  const ms = performance.now() - t0;
  // The expected answer, recomputed arithmetically: index k holds floor(k / 16) iff k % 16 < 10.
  let wantHits = 0;
  let wantSum = 0;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] % 16 < 10) {
      wantHits++;
      wantSum += Math.floor(keys[i] / 16);
    }
  }
  if (hits !== wantHits || sum !== wantSum) {
    throw new Error(`W2 check failed: ${hits} hits / sum ${sum}, expected ${wantHits} / ${wantSum}`);
  }
  return { ms, hits };
}

function w4(tree, start, len, val) {
  const t0 = performance.now();
  for (let i = 0; i < start.length; i++) tree.storeRange(start[i], start[i] + len[i] - 1, val[i]);
  return performance.now() - t0;
}

self.onmessage = async (event) => {
  const { n, reps, backends } = event.data;
  try {
    if (backends.includes('wasm')) await init();
    const loads = n;
    const overwrites = Math.max(1, Math.floor(n / 5));
    self.postMessage({ type: 'progress', done: 0, total: reps * backends.length * 3, label: 'drawing random inputs' });
    const input = inputs(n, loads, overwrites);
    const total = reps * backends.length * 3;
    let done = 0;
    const step = (label) => self.postMessage({ type: 'progress', done: ++done, total, label });
    // Warm-up (untimed): lets the JS engine compile the hot paths of both backends first.
    for (const backend of backends) {
      const tree = new MapleTree({ backend });
      const m = Math.min(n, 20000);
      w1(tree, m);
      for (let i = 0; i < m; i++) tree.load(input.w2[i % loads] % (16 * m));
      for (let i = 0; i < Math.min(overwrites, 4000); i++) tree.storeRange(input.w4start[i] % (16 * m), (input.w4start[i] % (16 * m)) + input.w4len[i] - 1, 1);
      tree.destroy();
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const backend of backends) {
        const tree = new MapleTree({ backend });
        const where = `${backend}, run ${rep + 1}/${reps}`;
        const t1 = w1(tree, n);
        self.postMessage({ type: 'result', backend, workload: 'W1', rep, ops: n, ms: t1 });
        step(`W1 build on ${where}`);
        const r2 = w2(tree, input.w2);
        self.postMessage({ type: 'result', backend, workload: 'W2', rep, ops: loads, ms: r2.ms, check: `${r2.hits} hits` });
        step(`W2 load on ${where}`);
        const t4 = w4(tree, input.w4start, input.w4len, input.w4val);
        tree.validate();
        self.postMessage({ type: 'result', backend, workload: 'W4', rep, ops: overwrites, ms: t4, check: 'validate() ok' });
        step(`W4 overwrite on ${where}`);
        tree.destroy();
      }
    }
    self.postMessage({ type: 'done' });
  } catch (err) {
    self.postMessage({
      type: 'error',
      name: err instanceof MapleError ? `MapleError ${err.code}` : err instanceof Error ? err.name : 'Error',
      message: err instanceof Error ? err.message : String(err),
    });
  }
};
