/**
 * Epoch-based reclamation: when may a writer reuse memory that readers might still be reading?
 *
 * Readers never lock and writers never wait for readers. Shared memory holds a global epoch
 * word and one reader word per agent slot; the writer keeps its garbage (retired items tagged
 * with the epoch at retirement) and hands an item back for reuse only after a grace period.
 *
 *   view[base]            global epoch (counts up, taken modulo 2^31)
 *   view[base + 1 + s]    agent slot s: 0 outside a read section, (epoch << 1) | ACTIVE inside
 *
 * Reader: `enterRead` loads the global epoch and stores it with the ACTIVE bit in its own word,
 * then reads shared pointers; `leaveRead` stores 0. Two plain atomic stores, no read-modify-write.
 *
 * Writer: unlink an item (one atomic store, so no new reader can reach it), then `retire` it:
 * it is tagged with the global epoch read *after* the unlink. `reclaim` advances the global
 * epoch, then scans the reader words, and returns every item whose tag is older than the
 * epoch of every reader inside a read section (all of them when no reader is inside).
 *
 * The grace-period rule: an item tagged t is safe once no active reader has an epoch <= t.
 * Why: JS Atomics are sequentially consistent, so all the atomic operations fall in one total
 * order. A reader whose word holds an epoch > t loaded the global epoch after it was advanced
 * past t, that advance came after the retirement's load of t, which came after the unlink; so
 * every pointer that reader loads comes after the unlink and cannot lead to the item. A reader
 * seen outside a read section at the scan stores its word after the scan, hence after the
 * unlink, with the same conclusion. Only a reader seen inside a section with an epoch <= t may
 * have loaded a pointer to the item before the unlink, and such a reader holds the item back
 * until it leaves (or until `clearReader` forgets it, if its agent died). Readers must load
 * shared pointers with `Atomics.load` inside the section, and writers unlink with
 * `Atomics.store`, for the total order to cover them.
 *
 * Epochs wrap at 2^31 and are compared by their difference. `reclaim` does not advance the
 * epoch while some reader is within 2^30 advances of being lapped, so a reader that stays in a
 * section for very long only holds memory back, it never appears newer than it is.
 *
 * The garbage list (`Reclaimer`) lives in the writer's JS heap, in Int32Arrays of (item, tag)
 * pairs, so that it can move into the tree's shared memory unchanged (items are node addresses,
 * int32). It must have one writer at a time (the tree lock), as the tree's writers do.
 */

import { MapleError } from '../backend/errors.js';

/** The reader word's "inside a read section" bit; the epoch sits above it. */
export const READER_ACTIVE = 1;
const EPOCH_MASK = 0x7fff_ffff;
/** A reader this many epochs behind the global one stops the epoch from advancing. */
const EPOCH_LAP_GUARD = 2 ** 30;

/** Where the epoch words of a table of `capacity` agent slots sit. */
export interface EpochWords {
  readonly view: Int32Array;
  readonly base: number;
  readonly capacity: number;
}

/** Words needed for the global epoch and `capacity` reader words. */
export function epochWordCount(capacity: number): number {
  return 1 + capacity;
}

function readerIndex(words: EpochWords, slot: number): number {
  return words.base + 1 + slot;
}

/** The global epoch, modulo 2^31. */
export function globalEpoch(words: EpochWords): number {
  return Atomics.load(words.view, words.base) & EPOCH_MASK;
}

/** How far epoch `a` is ahead of epoch `b`, modulo 2^31. */
function epochDistance(a: number, b: number): number {
  return (a - b) & EPOCH_MASK;
}

/**
 * Enters a read section for agent slot `slot`: from now until `leaveRead`, nothing the agent
 * reaches through shared pointers is reclaimed.
 * Locking: none; only this agent writes its slot's word.
 */
export function enterRead(words: EpochWords, slot: number): void {
  // A plain read of the epoch (it never tears; Atomics.load would be a builtin call per read
  // section): it may be stale, never newer than the last advance. A stale epoch only holds
  // more memory back, and the store depends on the value read, so it cannot come before it.
  const epoch = words.view[words.base]! & EPOCH_MASK;
  Atomics.store(words.view, readerIndex(words, slot), (epoch << 1) | READER_ACTIVE);
}

/** Leaves the read section of agent slot `slot`. */
export function leaveRead(words: EpochWords, slot: number): void {
  Atomics.store(words.view, readerIndex(words, slot), 0);
}

/** Forgets a slot's read section: for an agent that died inside one. Same store as leaveRead. */
export const clearReader = leaveRead;

/** True while agent slot `slot` is inside a read section. */
export function isReading(words: EpochWords, slot: number): boolean {
  return (Atomics.load(words.view, readerIndex(words, slot)) & READER_ACTIVE) !== 0;
}

/**
 * Scans the reader words for the oldest epoch still being read.
 * @returns that epoch, or -1 when no reader is inside a section.
 */
function oldestReaderEpoch(words: EpochWords, current: number): number {
  let oldest = -1;
  for (let slot = 0; slot < words.capacity; slot++) {
    const word = Atomics.load(words.view, readerIndex(words, slot));
    if ((word & READER_ACTIVE) === 0) continue;
    const epoch = word >>> 1;
    if (oldest < 0 || epochDistance(current, epoch) > epochDistance(current, oldest)) oldest = epoch;
  }
  return oldest;
}

/** Advances the global epoch unless that would lap the oldest reader. Returns the new epoch. */
function advanceEpoch(words: EpochWords): number {
  const current = globalEpoch(words);
  const oldest = oldestReaderEpoch(words, current);
  if (oldest >= 0 && epochDistance(current, oldest) >= EPOCH_LAP_GUARD - 1) return current;
  return (Atomics.add(words.view, words.base, 1) + 1) & EPOCH_MASK;
}

/**
 * Ends a grace period for what it can (never waits): advances the global epoch and returns it
 * with the epoch of the oldest reader inside a read section (-1: none). A retired item tagged t
 * is safe once `oldest < 0` or t is strictly older than `oldest` (isOlder).
 */
export function graceBound(words: EpochWords): { current: number; oldest: number } {
  const current = advanceEpoch(words);
  return { current, oldest: oldestReaderEpoch(words, current) };
}

/** Initial (item, tag) pairs in a garbage list; it doubles when full. */
const INITIAL_GARBAGE_PAIRS = 64;

/**
 * The writer's garbage list: a FIFO of retired items with their epoch tags. Tags never
 * decrease along the list, so what is safe to reclaim is always a prefix.
 * Locking: one writer at a time.
 */
export class Reclaimer {
  private items: Int32Array = new Int32Array(INITIAL_GARBAGE_PAIRS);
  private tags: Int32Array = new Int32Array(INITIAL_GARBAGE_PAIRS);
  private head = 0;
  private tail = 0;

  constructor(private readonly words: EpochWords) {}

  /** Items retired and not yet reclaimed. */
  get pending(): number {
    return this.tail - this.head;
  }

  /**
   * Retires `item` (an int32, such as a node address) that has just been unlinked with an
   * atomic store: it is returned by a later `reclaim` once no reader can still reach it.
   * @throws MapleError EINVAL if `item` is not an int32.
   */
  retire(item: number, method = 'Reclaimer.retire'): void {
    if (!Number.isInteger(item) || item !== (item | 0)) {
      throw new MapleError('EINVAL', `${method}: the item must be an int32, got ${String(item)}`);
    }
    const tag = globalEpoch(this.words); // read after the caller's unlink: see the file comment
    if (this.tail === this.items.length) this.makeRoom();
    this.items[this.tail] = item;
    this.tags[this.tail] = tag;
    this.tail++;
  }

  /**
   * Ends a grace period for what it can: advances the epoch and returns, oldest first, the
   * retired items no reader inside a read section can still reach. Never waits.
   */
  reclaim(): number[] {
    if (this.pending === 0) return [];
    const { current, oldest } = graceBound(this.words);
    const safe: number[] = [];
    while (this.head < this.tail && (oldest < 0 || isOlder(this.tags[this.head]!, oldest, current))) {
      safe.push(this.items[this.head++]!);
    }
    return safe;
  }

  /** Drops the reclaimed prefix, and doubles the arrays if the list is still full. */
  private makeRoom(): void {
    const live = this.pending;
    const capacity = live * 2 > this.items.length ? this.items.length * 2 : this.items.length;
    this.items = moveDown(this.items, this.head, this.tail, capacity);
    this.tags = moveDown(this.tags, this.head, this.tail, capacity);
    this.head = 0;
    this.tail = live;
  }
}

/** True if `tag` is strictly older than `epoch`, both at most 2^30 behind `current`. */
function isOlder(tag: number, epoch: number, current: number): boolean {
  return epochDistance(current, tag) > epochDistance(current, epoch);
}

function moveDown(from: Int32Array, head: number, tail: number, capacity: number): Int32Array {
  const to = capacity === from.length ? from : new Int32Array(capacity);
  if (to === from) from.copyWithin(0, head, tail);
  else to.set(from.subarray(head, tail));
  return to;
}
