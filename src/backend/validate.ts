/** What each validate() code of the core (V_* in assembly/shared/layout.ts) means. */

import {
  V_COUNT, V_DEPTH, V_GAP, V_LAST_PIVOT, V_NULLS, V_OCCUPANCY, V_PARENT, V_PIVOTS, V_ROOT, V_STALE, V_TYPE,
} from './layout.js';

const MESSAGES: Readonly<Record<number, string>> = {
  [V_PIVOTS]: 'pivots out of order or outside the node range',
  [V_LAST_PIVOT]: 'last pivot of a non-full node is not the node max',
  [V_PARENT]: 'child parent pointer or parent slot mismatch',
  [V_DEPTH]: 'leaf at the wrong depth',
  [V_NULLS]: 'two NULL ranges in a row',
  [V_OCCUPANCY]: 'node below minimum occupancy',
  [V_GAP]: 'stored gap differs from the computed gap',
  [V_STALE]: 'stale data past the end of a node',
  [V_COUNT]: 'node count differs from the tree accounting',
  [V_TYPE]: 'wrong node type for its depth',
  [V_ROOT]: 'root is an internal node with one child, or an empty leaf',
};

/** The message for a non-zero validate() code. */
export function validateMessage(code: number): string {
  return MESSAGES[code] ?? `code ${code}`;
}
