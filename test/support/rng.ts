/** Seeded PRNG (mulberry32) for reproducible random tests; print `seed` on failure. */

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive; exact for any safe integers. */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (span <= 0x100000000) return lo + Math.floor(this.next() * span);
    const high = Math.floor(this.next() * Math.floor(span / 0x100000000));
    return Math.min(hi, lo + high * 0x100000000 + Math.floor(this.next() * 0x100000000));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** The seed for a random suite: MAPLE_SEED from the environment, else the given default. */
export function seedFromEnv(fallback: number): number {
  const env = typeof process !== 'undefined' ? process.env.MAPLE_SEED : undefined;
  return env ? Number(env) >>> 0 : fallback;
}
