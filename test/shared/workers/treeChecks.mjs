// What every reader of the stress tests checks. The writer stores, over [first, last], the
// entry encodeRange(first, last) (or erases): whatever a reader sees, an entry's range can
// only have shrunk since it was stored (overwrites cut it), so it must lie inside the range
// the entry names. Iteration must be ascending and non-overlapping.

/** Keys the stress tests use: [0, KEY_SPACE), and ranges up to MAX_SPAN long. */
export const KEY_SPACE = 1 << 20;
export const MAX_SPAN = 1023;

export function encodeRange(first, last) {
  return first * (MAX_SPAN + 1) + (last - first);
}

function decode(entry) {
  const first = Math.floor(entry / (MAX_SPAN + 1));
  return [first, first + (entry % (MAX_SPAN + 1))];
}

function inside(entry, first, last) {
  if (!Number.isInteger(entry) || entry < 0) return false;
  const [lo, hi] = decode(entry);
  return lo <= first && last <= hi;
}

/** A lookup and a find at index: null when consistent, else what was wrong. */
export function checkRead(tree, index) {
  const entry = tree.load(index);
  if (entry !== undefined && !inside(entry, index, index)) return `load(${index}) = ${entry}`;
  const found = tree.find(index);
  if (found && (found.last < index || found.first > found.last || !inside(found.entry, found.first, found.last))) {
    return `find(${index}) = ${JSON.stringify(found)}`;
  }
  return null;
}

/** Iterates [from, to]: null when ascending, non-overlapping and consistent, else what was wrong. */
export function checkRun(tree, from, to) {
  let previous = -1;
  for (const [first, last, entry] of tree.entries(from, to)) {
    if (first <= previous || last < first) return `entries(${from}): [${first}, ${last}] after ${previous}`;
    if (!inside(entry, first, last)) return `entries(${from}): [${first}, ${last}] = ${entry}`;
    previous = last;
  }
  return null;
}
