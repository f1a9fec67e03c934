/**
 * Failures that explain themselves, like the kernel's MT_BUG_ON(): when a check on a tree
 * fails, the error carries the context (seed, op index, what was compared) and the tree's
 * dump() at that moment, so a failing seeded run can be read without re-running it.
 */

/** What a failure report needs of a tree (MapleTree, or anything with a dump). */
export interface Dumpable {
  dump(): string;
}

/** Dumps longer than this are cut (a 60,000-op tree dumps megabytes); the head shows the shape. */
const MAX_DUMP_CHARS = 20_000;

/** The tree's dump for a report, cut to MAX_DUMP_CHARS; never throws. */
export function dumpForReport(tree: Dumpable): string {
  let text: string;
  try {
    text = tree.dump();
  } catch (err) {
    return `(dump() threw: ${String(err)})`;
  }
  if (text.length <= MAX_DUMP_CHARS) return text;
  return `${text.slice(0, MAX_DUMP_CHARS)}\n… (${text.length - MAX_DUMP_CHARS} more characters)`;
}

/** An Error whose message is context followed by the dump of every named tree. */
export function treeFailure(context: string, trees: Record<string, Dumpable>): Error {
  const dumps = Object.entries(trees).map(([name, tree]) => `--- ${name} ---\n${dumpForReport(tree)}`);
  return new Error([context, ...dumps].join('\n'));
}

/** MT_BUG_ON(tree, !cond): throws treeFailure(context, { tree }) when cond is false. */
export function expectTree(tree: Dumpable, cond: boolean, context: string): asserts cond {
  if (!cond) throw treeFailure(context, { tree });
}
