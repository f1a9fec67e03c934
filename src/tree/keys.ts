/**
 * Key spaces: what the facade needs to know about a tree's keys — their checks, their
 * constants, the messages that name them — so that one facade serves number trees
 * ([0, MAX_INDEX], numbers) and bigint trees ([0n, MAX_INDEX_64], the kernel's u64).
 *
 * Keys travel through the facade as the type `Key`, which says number: on a bigint tree they
 * are bigints at run time, and the core behind its context takes them as such (WideCore).
 * So key code follows one rule: keys meet only keys — `+`, `-` and comparisons between two
 * keys, the KeySpace's `zero`/`one`/`max` for constants, a conditional instead of Math.min/max
 * — which JavaScript evaluates alike for two numbers and two bigints. A number tree's checks
 * and constants are the ones it had before bigint trees existed, reached through a field of
 * its KeySpace.
 */

import { MapleError } from '../backend/errors.js';
import { checkIndex, checkSize, describeArg, isIndex, MAX_INDEX } from './args.js';

/** A key as the facade carries it: a number, or a bigint on a bigint tree (see above). */
export type Key = number;

/** The top of a bigint tree's key space: the kernel's ULONG_MAX, 2^64 − 1. */
export const MAX_INDEX_64 = (1n << 64n) - 1n;

/** Which keys a tree takes: option `keys` of `new MapleTree`. */
export type KeyKind = 'number' | 'bigint';

/** The key checks and constants of one kind of tree. */
export abstract class KeySpace {
  abstract readonly kind: KeyKind;
  /** 0, 1 and the last index, as keys of this space. */
  abstract readonly zero: Key;
  abstract readonly one: Key;
  abstract readonly max: Key;

  // The checks are function-valued fields, not methods, so that a number tree's call site
  // reaches args.ts's checkIndex itself: one inlining level less on every public call.
  /** An index argument `name` of `method`, or EINVAL naming both. */
  abstract readonly index: (method: string, name: string, value: unknown) => Key;
  /** A size in [1, max], or EINVAL. */
  abstract readonly size: (method: string, value: unknown) => Key;
  /** Whether a value is an index of this space (no message is made). */
  abstract readonly isIndex: (value: unknown) => boolean;
  /** A power of two in [1, max], named `name` in the error. */
  abstract powerOfTwo(method: string, name: string, value: unknown): Key;

  /** Two indices named `lowName`/`highName` with low <= high. */
  orderedPair(method: string, lowName: string, low: unknown, highName: string, high: unknown): [Key, Key] {
    const lo = this.index(method, lowName, low);
    const hi = this.index(method, highName, high);
    if (lo > hi) throw new MapleError('EINVAL', `${method}: ${lowName} (${lo}) > ${highName} (${hi})`);
    return [lo, hi];
  }

  /** A range [first, last]: two indices with first <= last. */
  range(method: string, first: unknown, last: unknown): [Key, Key] {
    return this.orderedPair(method, 'first', first, 'last', last);
  }

  /** window()'s answer, one triple per key space reused by every call: read it at once. */
  protected readonly windowTriple: [Key, Key, Key] = [0, 0, 0];

  /**
   * A gap-search window [min, max] and size (the kernel's EINVAL rules for mas_empty_area),
   * as [size, min, max] in windowTriple: a gap search is too short a call to allocate for.
   */
  window(method: string, size: unknown, min: unknown, max: unknown): Readonly<[Key, Key, Key]> {
    const s = this.size(method, size);
    const lo = this.index(method, 'min', min);
    const hi = this.index(method, 'max', max);
    if (lo > hi) throw new MapleError('EINVAL', `${method}: min (${lo}) > max (${hi})`);
    if (hi - lo < s - this.one) throw new MapleError('EINVAL', `${method}: window [${lo}, ${hi}] is smaller than size ${s}`);
    return this.fillWindow(s, lo, hi);
  }

  protected fillWindow(s: Key, lo: Key, hi: Key): Readonly<[Key, Key, Key]> {
    const w = this.windowTriple;
    w[0] = s;
    w[1] = lo;
    w[2] = hi;
    return w;
  }

  /** The key after `key`, or `null` at the top of the space (where the kernel would wrap). */
  after(key: Key): Key | null {
    return key >= this.max ? null : key + this.one;
  }
}

function isPowerOfTwo(value: number): boolean {
  return 2 ** Math.round(Math.log2(value)) === value;
}

/** Keys of number trees: integers in [0, MAX_INDEX]. */
class NumberKeys extends KeySpace {
  readonly kind = 'number';
  readonly zero = 0;
  readonly one = 1;
  readonly max = MAX_INDEX;
  readonly index = checkIndex;
  readonly size = checkSize;
  readonly isIndex = isIndex;

  powerOfTwo(method: string, name: string, value: unknown): Key {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || !isPowerOfTwo(value)) {
      throw new MapleError('EINVAL', `${method}: ${name} must be a power of two, got ${describeArg(value)}`);
    }
    return value;
  }
}

function isBigIndex(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= MAX_INDEX_64;
}

function checkBigIndex(method: string, name: string, value: unknown): Key {
  if (!isBigIndex(value)) {
    throw new MapleError('EINVAL', `${method}: ${name} must be a bigint in [0n, MAX_INDEX_64] (a bigint-keyed tree), got ${describeArg(value)}`);
  }
  return value as unknown as Key;
}

function checkBigSize(method: string, value: unknown): Key {
  if (!isBigIndex(value) || value < 1n) {
    throw new MapleError('EINVAL', `${method}: size must be a bigint in [1n, MAX_INDEX_64] (a bigint-keyed tree), got ${describeArg(value)}`);
  }
  return value as unknown as Key;
}

/** Keys of bigint trees: bigints in [0n, MAX_INDEX_64]; a number is refused, whatever its value. */
class BigintKeys extends KeySpace {
  readonly kind = 'bigint';
  readonly zero = 0n as unknown as Key;
  readonly one = 1n as unknown as Key;
  readonly max = MAX_INDEX_64 as unknown as Key;
  readonly index = checkBigIndex;
  readonly size = checkBigSize;
  readonly isIndex = isBigIndex;

  /**
   * window() with the fewest bigint operations (each a runtime call in V8): for valid
   * arguments, 0n <= min <= max <= MAX_INDEX_64 and 1n <= size <= MAX_INDEX_64 with
   * size - 1n <= max - min imply every other bound (size itself may not be 2^64 even where
   * max - min + 1n is); anything else takes the general checks, which name what is wrong.
   */
  override window(method: string, size: unknown, min: unknown, max: unknown): Readonly<[Key, Key, Key]> {
    if (typeof size === 'bigint' && typeof min === 'bigint' && typeof max === 'bigint' && min >= 0n &&
      max <= MAX_INDEX_64 && size >= 1n && size <= MAX_INDEX_64 && min <= max && size - 1n <= max - min) {
      return this.fillWindow(size as unknown as Key, min as unknown as Key, max as unknown as Key);
    }
    return super.window(method, size, min, max);
  }

  powerOfTwo(method: string, name: string, value: unknown): Key {
    if (!isBigIndex(value) || value < 1n || (value & (value - 1n)) !== 0n) {
      throw new MapleError('EINVAL', `${method}: ${name} must be a bigint power of two (a bigint-keyed tree), got ${describeArg(value)}`);
    }
    return value as unknown as Key;
  }
}

export const NUMBER_KEYS: KeySpace = new NumberKeys();
export const BIGINT_KEYS: KeySpace = new BigintKeys();

/** The key space named by option `keys` (checked by checkTreeOptions). */
export function keySpace(kind: KeyKind | undefined): KeySpace {
  return kind === 'bigint' ? BIGINT_KEYS : NUMBER_KEYS;
}
