/**
 * ZERO_ENTRY for the facade: the value and its branded type live with the entry table
 * (src/backend/entries.ts), which maps it to handle 1; this adds the narrowing helper.
 */

import { ZERO_ENTRY } from '../backend/entries.js';

export { ZERO_ENTRY, type ZeroEntry } from '../backend/entries.js';

/**
 * Narrows a MaState reader's result: `if (!isZeroEntry(e)) use(e)`.
 *
 * @example
 * const e = tree.state(5).walk();
 * if (e !== undefined && !isZeroEntry(e)) console.log(e);
 */
export function isZeroEntry(value: unknown): value is import('../backend/entries.js').ZeroEntry {
  return value === ZERO_ENTRY;
}
