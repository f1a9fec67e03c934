// What every reader of the stress tests checks: the Workers demo page's invariant (an entry
// names the range it was stored over; overwrites only cut ranges down; walks ascend without
// overlap), imported from the page's module so that page and tests check the same thing.
export {
  KEY_SPACE,
  MAX_SPAN,
  rangeEntry as encodeRange,
  checkLookup as checkRead,
  checkWalk as checkRun,
} from '../../../demo/src/workers-ranges.js';
