// Types of treeChecks.mjs (plain JS, so that worker threads can load it without a build).
import type { MapleTree } from '../../../src/index.js';

export const KEY_SPACE: number;
export const MAX_SPAN: number;
export function encodeRange(first: number, last: number): number;
export function checkRead(tree: MapleTree<number>, index: number): string | null;
export function checkRun(tree: MapleTree<number>, from: number, to: number): string | null;
