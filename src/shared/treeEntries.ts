/**
 * The entries of a shared tree: integers stored in the tree itself, so that every agent reads
 * the same value. Entry e is handle e + 2 (handles 0 and 1 are NULL and ZERO_ENTRY), an
 * unsigned 32-bit value; nothing is counted, as no agent's heap holds the values.
 */

import { EntryTable, ZERO_ENTRY } from '../backend/entries.js';
import { MapleError } from '../backend/errors.js';

/** The largest entry a shared tree stores: handles are 32 bits, two of them taken. */
export const SHARED_ENTRY_MAX = 2 ** 31 - 1;
const FIRST_HANDLE = 2;

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

export class IntegerEntries extends EntryTable {
  /** The handle of `value`. @throws MapleError EINVAL unless an integer in [0, 2^31 - 1] or ZERO_ENTRY. */
  override alloc(value: unknown): number {
    if (value === ZERO_ENTRY) return 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > SHARED_ENTRY_MAX) {
      throw new MapleError('EINVAL', `a shared tree stores integers in [0, ${SHARED_ENTRY_MAX}] or ZERO_ENTRY, got ${describe(value)}`);
    }
    return value + FIRST_HANDLE;
  }

  override get(handle: number): unknown {
    if (handle === 0) return undefined;
    return handle === 1 ? ZERO_ENTRY : (handle >>> 0) - FIRST_HANDLE;
  }

  override retain(): void {}
  override release(): void {}
  override dropIfUnused(): void {}

  override get liveCount(): number {
    return 0;
  }
}
