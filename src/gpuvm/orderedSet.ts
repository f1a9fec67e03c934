/**
 * An insertion-ordered set (the kernel's list_head lists of VmBos) that can put an element
 * back exactly where it was: before() names the element in front of it, and insertAfter() puts
 * it back there, both in O(1). Undoing changes in reverse order therefore restores the order too.
 *
 * Iteration is live and safe under modification, like a JS Set: removed cells keep their
 * forward link, so an iterator parked on one walks on to the next live element; elements
 * added meanwhile are visited.
 */

interface Cell<T> {
  readonly value: T;
  prev: Cell<T> | null;
  next: Cell<T> | null;
  live: boolean;
}

export class OrderedSet<T> {
  private readonly cells = new Map<T, Cell<T>>();
  private head: Cell<T> | null = null;
  private tail: Cell<T> | null = null;

  get size(): number {
    return this.cells.size;
  }

  has(value: T): boolean {
    return this.cells.has(value);
  }

  /** The element just before value (null at the front); value must be present. */
  before(value: T): T | null {
    return this.cells.get(value)!.prev?.value ?? null;
  }

  /** Appends value; false if it is already present. */
  add(value: T): boolean {
    return this.insertAfter(this.tail?.value ?? null, value);
  }

  /** Puts value right after `after` (null: at the front); false if value is already present. */
  insertAfter(after: T | null, value: T): boolean {
    if (this.cells.has(value)) return false;
    const prev = after === null ? null : this.cells.get(after)!;
    const next = prev ? prev.next : this.head;
    const cell: Cell<T> = { value, prev, next, live: true };
    if (prev) prev.next = cell;
    else this.head = cell;
    if (next) next.prev = cell;
    else this.tail = cell;
    this.cells.set(value, cell);
    return true;
  }

  /** Removes value; false if it was not present. */
  remove(value: T): boolean {
    const cell = this.cells.get(value);
    if (!cell) return false;
    this.cells.delete(value);
    cell.live = false;
    if (cell.prev) cell.prev.next = cell.next;
    else this.head = cell.next;
    if (cell.next) cell.next.prev = cell.prev;
    else this.tail = cell.prev;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    let cell = this.head;
    while (cell) {
      if (cell.live) yield cell.value;
      cell = cell.next;
      // A cell removed while we were parked on it still links forward; skip dead ones.
      while (cell && !cell.live) cell = cell.next;
    }
  }
}
