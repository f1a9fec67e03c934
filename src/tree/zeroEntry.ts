/**
 * The type of ZERO_ENTRY. A branded object type, so that `MapleTree<string>` accepts it
 * (writers take `V | ZeroEntry`) and the readers that can return it say so in their types.
 */

import { ZERO_ENTRY as zeroEntryValue } from './entries.js';

declare const zeroEntryBrand: unique symbol;

/** The kernel's XA_ZERO_ENTRY: occupies its range, reads as empty through the normal API. */
export interface ZeroEntry {
  readonly [zeroEntryBrand]: true;
}

/** The one ZERO_ENTRY value, typed. */
export const ZERO_ENTRY = zeroEntryValue as ZeroEntry;

/**
 * Narrows a MaState reader's result: `if (!isZeroEntry(e)) use(e)`.
 *
 * @example
 * const e = tree.state(5).walk();
 * if (e !== undefined && !isZeroEntry(e)) console.log(e);
 */
export function isZeroEntry(value: unknown): value is ZeroEntry {
  return value === ZERO_ENTRY;
}
