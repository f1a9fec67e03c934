/**
 * Argument checks of the public API, one function per kind of argument. Each throws MapleError
 * EINVAL naming the method and the argument, before anything is changed; each returns the
 * value in the form the core takes (indices with -0 folded to 0). The checks of keys by a
 * tree's key kind (ranges, windows, bigint keys) are KeySpace's (keys.ts).
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

/** A size: an integer in [1, MAX_INDEX]. */
export function checkSize(method: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MapleError('EINVAL', `${method}: size must be an integer in [1, MAX_INDEX], got ${describeArg(value)}`);
  }
  return value;
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
