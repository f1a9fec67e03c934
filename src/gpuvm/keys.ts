/**
 * The key kind of a GpuVm: what an address, range or offset is (a number or a bigint) and the
 * limits of its space. The GpuVm source is one for both kinds: it never mixes a literal with a
 * key (`x - 1` would throw on a bigint) and takes zero, one and the limits from its VM's
 * KeySpace; JS's `+ - < ===` do the rest for either kind.
 */

import { type KeyKind, MAX_INDEX, MAX_INDEX_64 } from '../tree/MapleTree.js';

/**
 * An address, range or offset: typed `number` here. At run time a bigint VM carries bigints
 * through the same code (the KeySpace's constants keep the kinds apart).
 */
export type Key = number;

/**
 * The public key type of a VM typed `GpuVm<O, C, K>`: bigint when K is (a subtype of) bigint,
 * number otherwise. A conditional rather than K itself, so that a K inferred from literal
 * options (`start: 0n` gives K = 0n) still types every address as a plain bigint or number.
 */
export type GpuVmKey<K extends number | bigint = number> = K extends bigint ? bigint : number;

export type { KeyKind };

export interface KeySpace {
  readonly kind: KeyKind;
  readonly zero: Key;
  readonly one: Key;
  /** The last address: MAX_INDEX, or 2^64 − 1 (the kernel's ULONG_MAX). */
  readonly max: Key;
  /** One past the last address: the highest exclusive end (a window's, a VA's). */
  readonly end: Key;
  /** How messages name max and end. */
  readonly maxName: string;
  readonly endName: string;
  /** How messages name a value of this kind: 'an integer' or 'a bigint'. */
  readonly intName: string;
  /** Whether v is an integer of this kind (its range not checked). */
  isInt(v: unknown): v is Key;
}


/**
 * The two kinds are two classes (not two literals of one shape), so that a VM's KeySpace has a
 * map of its own: V8 then folds `ks.one` and inlines `ks.isInt` for a number VM as it would
 * a literal, and number VMs pay nothing for the bigint kind existing.
 */
class NumberKeySpace implements KeySpace {
  readonly kind = 'number';
  readonly zero: Key = 0;
  readonly one: Key = 1;
  readonly max: Key = MAX_INDEX;
  readonly end: Key = MAX_INDEX + 1;
  readonly maxName = 'MAX_INDEX';
  readonly endName = 'MAX_INDEX + 1';
  readonly intName = 'an integer';

  isInt(v: unknown): v is Key {
    return typeof v === 'number' && Number.isInteger(v);
  }
}

class BigintKeySpace implements KeySpace {
  readonly kind = 'bigint';
  readonly zero = 0n as unknown as Key;
  readonly one = 1n as unknown as Key;
  readonly max = MAX_INDEX_64 as unknown as Key;
  readonly end = (MAX_INDEX_64 + 1n) as unknown as Key;
  readonly maxName = 'MAX_INDEX_64';
  readonly endName = '2^64';
  readonly intName = 'a bigint';

  isInt(v: unknown): v is Key {
    return typeof v === 'bigint';
  }
}

export const NUMBER_KEYS: KeySpace = Object.freeze(new NumberKeySpace());
export const BIGINT_KEYS: KeySpace = Object.freeze(new BigintKeySpace());

/** The zero of k's kind (0 or 0n), for code that holds a key but not its VM's KeySpace. */
export function zeroOf(k: Key): Key {
  return k - k;
}

/** The KeySpace of `options.keys` (default 'number'), or null for anything else. */
export function keySpaceOf(kind: unknown): KeySpace | null {
  if (kind === undefined || kind === 'number') return NUMBER_KEYS;
  return kind === 'bigint' ? BIGINT_KEYS : null;
}

/** The KeySpace whose kind v has (ops carry their kind in their values), or null. */
export function keySpaceOfValue(v: unknown): KeySpace | null {
  if (typeof v === 'number') return NUMBER_KEYS;
  return typeof v === 'bigint' ? BIGINT_KEYS : null;
}
