/**
 * Pictures of a tree for people: mt_dump's node-by-node text, the util.inspect form, and the
 * value that makes structuredClone() fail with a message saying what to do instead.
 */

import type { NodeView } from '../backend/backend.js';
import type { TreeContext } from './context.js';
import { ENTRY_NULL } from '../backend/layout.js';
import { countEntries, walkEntries } from './iterate.js';
import { ZERO_ENTRY } from './zeroEntry.js';

/** Longest string entry shown in full by dump(). */
const DUMP_STRING_CHARS = 40;
/** Ranges util.inspect shows before "… N more" (Node's own default for arrays and maps). */
const INSPECT_DEFAULT_ROWS = 100;

/**
 * Held by every MapleTree as its one enumerable own property: a symbol cannot be cloned, and
 * the engine's DataCloneError prints it, so structuredClone(tree) explains itself.
 */
export const NOT_CLONEABLE = Symbol('MapleTree cannot be cloned; use toJSON() or dup()');

/** Shown for an entry that throws when read (a revoked Proxy, a throwing getter). */
const UNREADABLE = '<unreadable>';

/** A short form of an entry for dump(); never throws. */
export function describeEntry(value: unknown): string {
  try {
    return describeReadable(value);
  } catch {
    return UNREADABLE;
  }
}

function describeReadable(value: unknown): string {
  if (value === ZERO_ENTRY) return 'zero';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > DUMP_STRING_CHARS ? `${value.slice(0, DUMP_STRING_CHARS)}…` : value);
    case 'object':
    case 'function': {
      const name = (value as object).constructor?.name;
      return name && name !== 'Object' ? `<${name}>` : Object.prototype.toString.call(value);
    }
    default:
      return String(value);
  }
}

/** `mt_validate`: throws an Error naming the first violated invariant. */
export function validateTree(ctx: TreeContext): void {
  const problem = ctx.core.validate(ctx.id);
  if (problem !== null) throw new Error(`MapleTree.validate: ${problem}`);
}

/** `mt_dump`: a header line, then every node in preorder with its slots. */
export function dumpTree(ctx: TreeContext): string {
  const core = ctx.core;
  const lines = [
    `maple_tree(${core.kind}) flags 0x${core.flags(ctx.id).toString(16)} height ${core.height(ctx.id)} nodes ${core.nodeCount(ctx.id)}`,
  ];
  const root = core.nodes(ctx.id);
  if (root) dumpNode(ctx, root, 0, lines);
  else lines.push('(empty)');
  return lines.join('\n');
}

function dumpNode(ctx: TreeContext, node: NodeView, depth: number, lines: string[]): void {
  const pad = '  '.repeat(depth);
  const gaps = node.gaps ? ` gaps [${node.gaps.join(', ')}]` : '';
  lines.push(`${pad}${node.min}-${node.max}: ${node.type} @0x${node.addr.toString(16)} end ${node.end}${gaps}`);
  let min = node.min;
  for (let slot = 0; slot <= node.end; slot++) {
    const max = node.pivots[slot];
    if (node.type === 'leaf') {
      const handle = node.slots[slot];
      const shown = handle === ENTRY_NULL ? '(null)' : `${describeEntry(ctx.core.entries.get(handle))} #${handle}`;
      lines.push(`${pad}  ${min === max ? `${min}` : `${min}-${max}`}: ${shown}`);
    } else {
      const child = node.children?.[slot];
      if (child) dumpNode(ctx, child, depth + 1, lines);
      else lines.push(`${pad}  ${min}-${max}: child @0x${node.slots[slot].toString(16)}`);
    }
    min = max + ctx.keys.one; // past the node's max only after its last slot
  }
}

/** The parts of Node's util.inspect options this module reads. */
export interface InspectOptions {
  depth?: number | null;
  maxArrayLength?: number | null;
}

/** Node's util.inspect, as handed to a custom inspect function. */
export type InspectFn = (value: unknown, options?: InspectOptions) => string;

/**
 * `MapleTree(wasm) 3 entries { [10, 14] => 'a', … }`: entries printed by Node's own inspect
 * (one level deeper), the first maxArrayLength of them; no internals.
 */
export function inspectTree(ctx: TreeContext, depth: number, options: InspectOptions | undefined, inspect: InspectFn | undefined): string {
  const title = `MapleTree(${ctx.core.kind}${ctx.keys.kind === 'bigint' ? ', bigint keys' : ''})`;
  if (ctx.isFreed) return `${title} <freed>`;
  const size = countEntries(ctx);
  const counted = `${title} ${size} ${size === 1 ? 'entry' : 'entries'}`;
  if (size === 0) return `${counted} {}`;
  if (depth < 0) return `${counted} { … }`;
  const limit = options?.maxArrayLength ?? INSPECT_DEFAULT_ROWS;
  const nested = { ...options, depth: options?.depth == null ? options?.depth : options.depth - 1 };
  const shown: string[] = [];
  for (const [first, last, entry] of walkEntries<[unknown, unknown, unknown]>(ctx, 'MapleTree.inspect', ctx.keys.zero, ctx.keys.max, 'tuple')) {
    if (shown.length >= limit) break;
    shown.push(`[${first}, ${last}] => ${inspect ? inspectEntry(inspect, entry, nested) : describeEntry(entry)}`);
  }
  if (size > shown.length) shown.push(`… ${size - shown.length} more`);
  return `${counted} { ${shown.join(', ')} }`;
}

/** Node's inspect of one entry, or UNREADABLE when the entry throws on being read. */
function inspectEntry(inspect: InspectFn, entry: unknown, options: InspectOptions): string {
  try {
    return inspect(entry, options);
  } catch {
    return UNREADABLE;
  }
}
