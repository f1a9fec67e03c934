// The invariant the Workers page checks (and the package's worker stress tests, which import
// this file). The writer stores over [first, last] the entry rangeEntry(first, last), which
// names that range; later writes can only cut a range down, so whatever a lock-free reader
// sees, an entry's range must lie inside the range it names, and a walk must be ascending and
// non-overlapping.

/** Indices the page uses: [0, KEY_SPACE). Ranges are up to MAX_SPAN + 1 indices long. */
export const KEY_SPACE = 1 << 20;
export const MAX_SPAN = 1023;
/** The tree starts with a range of RANGE_LENGTH indices every RANGE_STRIDE indices. */
export const RANGE_STRIDE = 16;
export const RANGE_LENGTH = 10;
/**
 * Slots of the control words the page and its workers share: stop; hold (ms the writer should
 * hold the tree's lock, taken and zeroed by the writer); holding (1 while it holds it).
 */
export const CONTROL = { stop: 0, hold: 1, holding: 2 };
export const CONTROL_WORDS = 3;

/** The entry naming [first, last]: below 2^31, as a shared tree's entries must be. */
export function rangeEntry(first, last) {
  return first * (MAX_SPAN + 1) + (last - first);
}

/** True when [first, last] lies inside the range that entry names. */
export function entryCovers(entry, first, last) {
  if (!Number.isInteger(entry) || entry < 0) return false;
  const lo = Math.floor(entry / (MAX_SPAN + 1));
  return lo <= first && last <= lo + (entry % (MAX_SPAN + 1));
}

/** The starting ranges, ascending: [RANGE_STRIDE·i, RANGE_STRIDE·i + RANGE_LENGTH − 1]. */
export function* startingRanges() {
  for (let first = 0; first + RANGE_LENGTH <= KEY_SPACE; first += RANGE_STRIDE) {
    const last = first + RANGE_LENGTH - 1;
    yield [first, last, rangeEntry(first, last)];
  }
}

/** Null when load(index) and find(index) are self-consistent, else what was wrong. */
export function checkLookup(tree, index) {
  const entry = tree.load(index);
  if (entry !== undefined && !entryCovers(entry, index, index)) return `load(${index}) = ${entry}`;
  const found = tree.find(index);
  if (found && (found.last < index || found.first > found.last || !entryCovers(found.entry, found.first, found.last))) {
    return `find(${index}) = [${found.first}, ${found.last}] → ${found.entry}`;
  }
  return null;
}

/** Null when entries(from, to) is ascending, non-overlapping and self-consistent, else what was wrong. */
export function checkWalk(tree, from, to) {
  let previous = -1;
  for (const [first, last, entry] of tree.entries(from, to)) {
    if (first <= previous || last < first) return `entries(${from}): [${first}, ${last}] after ${previous}`;
    if (!entryCovers(entry, first, last)) return `entries(${from}): [${first}, ${last}] → ${entry}`;
    previous = last;
  }
  return null;
}
