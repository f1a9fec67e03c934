/**
 * The backends every tree suite runs against (describe.each over this list).
 * `make()` returns options that select the backend for `new MapleTree(options)`.
 */

import type { MapleTreeOptions } from '../../src/tree/MapleTree.js';
import { naiveBackend } from './NaiveBackend.js';

export interface BackendCase {
  name: string;
  /** Prepares the backend (e.g. awaits init()); runs in beforeAll. */
  setup?: () => Promise<void>;
  /** Options selecting this backend. */
  options: () => MapleTreeOptions;
}

export const backends: BackendCase[] = [{ name: 'naive', options: () => ({ _core: naiveBackend }) }];
