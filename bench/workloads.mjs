/**
 * Operands of the workloads, generated outside the timed loops with the anchors' RNG
 * (performance-anchors.md §2), plus the expected results each run is checked against.
 *
 * Full scale: N = 1,000,000 ranges. Quick scale (--quick): everything divided by 20.
 * W1–W6 follow the anchors exactly (seeds, moduli, order of next() calls); W7 and W8 are this
 * project's own workloads and use seeds 7 and 8.
 */

import { XorShift64 } from './rng.mjs';

export const MAX_INDEX = Number.MAX_SAFE_INTEGER;
export const FULL_N = 1_000_000;

/** Sizes of every workload for a given N (N = FULL_N / scale). */
export function sizes(n) {
  const part = (d) => Math.max(1, Math.round(n / d));
  return {
    n, // W1 ranges, W2 loads, W3 entries
    w4Ops: part(5), // 200,000 at full scale
    w5Ops: part(2), // 500,000
    w6Ranges: part(10), // 100,000 inserts, then as many searches
    w7Mappings: part(10), // 100,000 mappings
    w7Requests: part(5), // 200,000 requests
    w8Trees: part(1000), // 1,000 trees
    w8Ranges: 100, // of 100 ranges each
  };
}

/** W2: next() % 16N from state 42; a hit when index % 16 < 10, with value floor(index / 16). */
export function w2Inputs(n) {
  const rng = new XorShift64(42);
  const keys = new Float64Array(n);
  let hits = 0;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const key = rng.mod(16 * n);
    keys[k] = key;
    if (key % 16 < 10) {
      hits++;
      sum += Math.floor(key / 16);
    }
  }
  return { keys, hits, sum };
}

/** W4: n/5 × { start = next() % 16N; len = 1 + next() % 64; v = next() >> 2 } from state 42. */
export function w4Inputs(n) {
  const count = sizes(n).w4Ops;
  const rng = new XorShift64(42);
  const first = new Float64Array(count);
  const last = new Float64Array(count);
  const value = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const start = rng.mod(16 * n);
    const len = 1 + rng.mod(64);
    first[k] = start;
    last[k] = start + len - 1;
    value[k] = rng.shr2();
  }
  return { first, last, value };
}

/**
 * W6: from state 42, k × { gap = next() % 4097; len = 1 + next() % 4096 } inserted after each
 * other, then k × { size = 1 + next() % 8192 } continuing the same stream. The expected start
 * of every search comes from an independent segment tree over the holes.
 */
export function w6Inputs(n) {
  const k = sizes(n).w6Ranges;
  const rng = new XorShift64(42);
  const first = new Float64Array(k);
  const last = new Float64Array(k);
  const holeStart = [];
  const holeLen = [];
  let pos = 0;
  for (let i = 0; i < k; i++) {
    const gap = rng.mod(4097);
    const len = 1 + rng.mod(4096);
    const start = pos + gap;
    if (gap > 0) {
      holeStart.push(pos);
      holeLen.push(gap);
    }
    first[i] = start;
    last[i] = start + len - 1;
    pos = start + len;
  }
  const end = pos; // everything from here up is free
  holeStart.push(end);
  holeLen.push(MAX_INDEX - end + 1);
  const searchSize = new Float64Array(k);
  for (let i = 0; i < k; i++) searchSize[i] = 1 + rng.mod(8192);

  // Leftmost hole with length >= size: a max segment tree over the holes, in address order.
  let width = 1;
  while (width < holeLen.length) width *= 2;
  const seg = new Float64Array(2 * width);
  for (let i = 0; i < holeLen.length; i++) seg[width + i] = holeLen[i];
  for (let i = width - 1; i >= 1; i--) seg[i] = Math.max(seg[2 * i], seg[2 * i + 1]);
  const expected = new Float64Array(k);
  let sum = 0;
  let below = 0;
  for (let i = 0; i < k; i++) {
    let node = 1;
    while (node < width) node = seg[2 * node] >= searchSize[i] ? 2 * node : 2 * node + 1;
    const s = holeStart[node - width];
    expected[i] = s;
    sum += s;
    if (s < end) below++;
  }
  return { first, last, end, searchSize, expected, sum, below };
}

/**
 * W7 (seed 7): a GPU VA space in pages of 4 KiB. Setup: m mappings, each after a gap of 0–15
 * pages, 1–256 pages long, of one of 256 BOs at a random page offset. Then 2m requests, half
 * map and half unmap (by a coin flip), at a random page of the populated region, 1–256 pages
 * long, so many of them split a mapping or span several. With requests sized like the
 * mappings, the VM stays at about 115,000–120,000 mappings throughout the trace.
 */
export function w7Inputs(n) {
  const { w7Mappings: m, w7Requests: r } = sizes(n);
  const rng = new XorShift64(7);
  const mapAddr = new Float64Array(m);
  const mapLen = new Float64Array(m);
  const mapBo = new Uint16Array(m);
  const mapOff = new Float64Array(m);
  let pos = 0;
  for (let i = 0; i < m; i++) {
    const gap = rng.mod(16);
    const len = 1 + rng.mod(256);
    mapAddr[i] = pos + gap;
    mapLen[i] = len;
    mapBo[i] = rng.mod(256);
    mapOff[i] = rng.mod(1024);
    pos += gap + len;
  }
  const regionPages = pos;
  const reqMap = new Uint8Array(r);
  const reqAddr = new Float64Array(r);
  const reqLen = new Float64Array(r);
  const reqBo = new Uint16Array(r);
  const reqOff = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    reqMap[i] = rng.mod(2);
    reqAddr[i] = rng.mod(regionPages);
    reqLen[i] = 1 + rng.mod(256);
    reqBo[i] = rng.mod(256);
    reqOff[i] = rng.mod(1024);
  }
  return { mapAddr, mapLen, mapBo, mapOff, regionPages, reqMap, reqAddr, reqLen, reqBo, reqOff };
}

/**
 * W8 (seed 8): t trees; tree i gets 100 disjoint ranges [16s, 16s + 9] (slots s = 0..99 in a
 * random order), each store followed by a load at a random index in [0, 1600). The expected
 * hit count and value sum come from a plain array model.
 */
export function w8Inputs(n) {
  const { w8Trees: t, w8Ranges: per } = sizes(n);
  const rng = new XorShift64(8);
  const slot = new Uint8Array(t * per);
  const probe = new Float64Array(t * per);
  let hits = 0;
  let sum = 0;
  const model = new Int32Array(per * 16);
  for (let i = 0; i < t; i++) {
    const order = Array.from({ length: per }, (_, j) => j);
    for (let j = per - 1; j > 0; j--) {
      const x = rng.mod(j + 1);
      [order[j], order[x]] = [order[x], order[j]];
    }
    model.fill(-1);
    for (let j = 0; j < per; j++) {
      const s = order[j];
      slot[i * per + j] = s;
      for (let q = 16 * s; q <= 16 * s + 9; q++) model[q] = j;
      const p = rng.mod(per * 16);
      probe[i * per + j] = p;
      if (model[p] >= 0) {
        hits++;
        sum += model[p];
      }
    }
  }
  return { trees: t, per, slot, probe, hits, sum };
}
