/**
 * The backends every tree suite runs against (describe.each over this list).
 * `options()` returns what selects the backend for `new MapleTree(options)`. The WASM core is
 * instantiated (debug build) by test/setup.ts before any suite runs.
 */

import type { MapleTreeOptions } from '../../src/tree/MapleTree.js';
import { naiveBackend } from './NaiveBackend.js';
import { tinyBackend } from './tinyBackend.js';

export interface BackendCase {
  name: string;
  /** Options selecting this backend. */
  options: () => MapleTreeOptions;
}

export const backends: BackendCase[] = [
  { name: 'naive', options: () => ({ _core: naiveBackend }) },
  { name: 'wasm', options: () => ({ backend: 'wasm' }) },
  { name: 'ts', options: () => ({ backend: 'ts' }) },
  // The pure-TS core rebuilt with 6-slot leaves: the same contract, with splits, rebalances
  // and spanning stores after a handful of entries.
  { name: 'ts-tiny-nodes', options: () => ({ _core: tinyBackend() }) },
];
