/**
 * Argument checks of the public API, one function per kind of argument. Each throws MapleError
 * EINVAL naming the method and the argument, before anything is changed; each returns the
 * value in the form the core takes (indices with -0 folded to 0).
 */

import { MapleError } from '../backend/errors.js';

/** The top of the key space; plays the role of the kernel's ULONG_MAX. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** A short printable form of a bad argument for error messages. */
export function describeArg(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/** Whether a value is an index: an integer in [0, MAX_INDEX]. */
export function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** An index: an integer in [0, MAX_INDEX]. */
export function checkIndex(method: string, name: string, value: unknown): number {
  if (!isIndex(value)) {
    throw new MapleError('EINVAL', `${method}: ${name} must be an integer in [0, MAX_INDEX], got ${describeArg(value)}`);
  }
  return value + 0;
}

/** Two indices named `lowName`/`highName` with low <= high. */
export function checkOrderedPair(
  method: string,
  lowName: string,
  low: unknown,
  highName: string,
  high: unknown,
): [number, number] {
  const lo = checkIndex(method, lowName, low);
  const hi = checkIndex(method, highName, high);
  if (lo > hi) throw new MapleError('EINVAL', `${method}: ${lowName} (${lo}) > ${highName} (${hi})`);
  return [lo, hi];
}

/** A range [first, last]: two indices with first <= last. */
export function checkRange(method: string, first: unknown, last: unknown): [number, number] {
  return checkOrderedPair(method, 'first', first, 'last', last);
}

/** A size: an integer in [1, MAX_INDEX]. */
export function checkSize(method: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MapleError('EINVAL', `${method}: size must be an integer in [1, MAX_INDEX], got ${describeArg(value)}`);
  }
  return value;
}

/** A gap-search window [min, max] and size (the kernel's EINVAL rules for mas_empty_area). */
export function checkWindow(method: string, size: unknown, min: unknown, max: unknown): [number, number, number] {
  const s = checkSize(method, size);
  const [lo, hi] = checkOrderedPair(method, 'min', min, 'max', max);
  if (hi - lo < s - 1) throw new MapleError('EINVAL', `${method}: window [${lo}, ${hi}] is smaller than size ${s}`);
  return [s, lo, hi];
}

/** A range [first, last] that lies inside the window [lo, hi] (both already checked). */
export function checkRangeInWindow(method: string, first: number, last: number, lo: number, hi: number): void {
  if (first < lo || last > hi) {
    throw new MapleError('EINVAL', `${method}: [${first}, ${last}] is outside [${lo}, ${hi}]`);
  }
}

/** An entry to store: anything but null/undefined (which mean "no entry"). */
export function checkEntry(method: string, entry: unknown): void {
  if (entry === null || entry === undefined) {
    throw new MapleError('EINVAL', `${method}: entry must not be null or undefined`);
  }
}

/** A callback. */
export function checkFunction(method: string, name: string, value: unknown): void {
  if (typeof value !== 'function') throw new MapleError('EINVAL', `${method}: ${name} must be a function`);
}

/** An optional boolean option. */
export function checkOptionalBoolean(method: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new MapleError('EINVAL', `${method}: ${name} must be a boolean`);
  }
}

/** An options object. */
export function checkOptionsObject(method: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    throw new MapleError('EINVAL', `${method}: options must be an object`);
  }
}
