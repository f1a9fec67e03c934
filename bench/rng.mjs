/**
 * xorshift64 exactly as in performance-anchors.md §2: a 64-bit unsigned state x, and each
 * next() does x ^= x << 13; x ^= x >> 7; x ^= x << 17 (mod 2^64) and returns x.
 *
 * The state is kept as two u32 halves (hi, lo) in plain numbers, so generating the operands
 * costs a few ns instead of BigInt allocations. `mod(m)` reduces the full 64-bit value exactly
 * (it needs m <= 2^26, which covers every modulus of the workloads) and `shr2()` returns
 * next() >> 2 as the nearest double (the same rounding as Number(BigInt)). `selfTest()`
 * checks the halves against a BigInt reference and the anchors' published check values.
 */

const TWO32 = 4294967296;

export class XorShift64 {
  constructor(seed = 42) {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.hi = Number(s >> 32n);
    this.lo = Number(s & 0xffffffffn);
  }

  /** Advances the state; the value is then (hi, lo). */
  step() {
    let hi = this.hi;
    let lo = this.lo;
    // x ^= x << 13
    hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0;
    lo = (lo ^ (lo << 13)) >>> 0;
    // x ^= x >> 7
    lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0;
    hi = (hi ^ (hi >>> 7)) >>> 0;
    // x ^= x << 17
    hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0;
    lo = (lo ^ (lo << 17)) >>> 0;
    this.hi = hi;
    this.lo = lo;
  }

  /** next() % m, exact for m <= 2^26. */
  mod(m) {
    this.step();
    return (((this.hi % m) * (TWO32 % m)) % m + (this.lo % m)) % m;
  }

  /** next() >> 2 as the nearest double. */
  shr2() {
    this.step();
    return this.hi * 1073741824 + (this.lo >>> 2);
  }

  /** next() as a BigInt (tests only). */
  nextBig() {
    this.step();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

function bigRef(seed, count) {
  let x = BigInt(seed);
  const out = [];
  const M = (1n << 64n) - 1n;
  for (let i = 0; i < count; i++) {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    out.push(x);
  }
  return out;
}

/** Throws unless the generator matches the BigInt definition and the anchors' check values. */
export function selfTest() {
  const fail = (what) => {
    throw new Error(`bench/rng: ${what}`);
  };
  const ref = bigRef(42, 2000);
  const r = new XorShift64(42);
  for (let i = 0; i < ref.length; i++) if (r.nextBig() !== ref[i]) fail(`output ${i} differs from the BigInt reference`);
  const expect = [45454805674n, 11532217803599905471n, 10021416941527320954n];
  for (let i = 0; i < 3; i++) if (ref[i] !== expect[i]) fail(`check value ${i}: ${ref[i]} != ${expect[i]}`);
  const moduli = [16_000_000, 800_000, 64, 4097, 4096, 8192, 256, 3, 67_108_864];
  const m = new XorShift64(42);
  for (let i = 0; i < ref.length; i++) {
    const mod = moduli[i % moduli.length];
    if (m.mod(mod) !== Number(ref[i] % BigInt(mod))) fail(`mod(${mod}) at output ${i}`);
  }
  const s = new XorShift64(42);
  for (let i = 0; i < ref.length; i++) if (s.shr2() !== Number(ref[i] >> 2n)) fail(`shr2 at output ${i}`);
  // W4's first two operations: start 14805674, len 64; start 6629736, len 3.
  const w = new XorShift64(42);
  const ops = [];
  for (let i = 0; i < 2; i++) {
    const start = w.mod(16_000_000);
    const len = 1 + w.mod(64);
    w.step();
    ops.push(start, len);
  }
  if (ops.join() !== '14805674,64,6629736,3') fail(`W4 first operations ${ops.join()}`);
}
