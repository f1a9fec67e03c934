/**
 * The undo journal of atomic sections (apply, applyRemap, atomic smMap/smUnmap): one inverse
 * operation per change, O(1) to record, run newest first on rollback. Nothing is copied, and
 * the VA changes are recorded without allocating (an undoer, a code and the VA in reused arrays).
 *
 * Robust against failures anywhere, a stack overflow included:
 * - callers record the inverse *before* they mutate, and every inverse checks what is really
 *   there (undoing a change that never happened is a no-op);
 * - rollback is a loop, never recursion, and a step leaves the journal only after it ran: if
 *   one throws (a RangeError deep in a recursion), the rest stays for the enclosing section,
 *   which rolls back from a shallower stack;
 * - a tree write interrupted by a stack overflow would be left half done, so no undo step, and
 *   no write inside a section that runs driver callbacks (which may recurse), starts without
 *   stack headroom for it (ensureStack; a few microseconds, so apply() does without).
 */

import type { Generations } from './tickets.js';

export type Undo = () => void;

/**
 * Frames ensureStack() recurses through: comfortably more stack than the deepest tree write
 * (about a dozen core frames for a spanning store in the tallest tree) takes.
 */
const STACK_PROBE_FRAMES = 1024;

/** A frame with a few arguments, to take about as much stack per call as the core's. */
function probe(frames: number, a: number, b: number, c: number, d: number): number {
  return frames === 0 ? a + b + c + d : probe(frames - 1, a, b, c, d) + 1;
}

/** Throws RangeError now, before a tree write starts, if the stack is nearly exhausted. */
export function ensureStack(): void {
  probe(STACK_PROBE_FRAMES, 0, 1, 2, 3);
}

/**
 * Something that undoes its own changes, told which by a code and an argument: the hot
 * changes (VA inserts and erases) are journaled as three array slots, no closure per change.
 */
export interface Undoer {
  undo(code: number, arg: unknown): void;
}

/** Runs a recorded closure (the cold changes: VmBo bookkeeping, budgeted trees). */
const CALL: Undoer = { undo: (_code, fn) => (fn as Undo)() };

export class Journal {
  /** The steps, oldest first, as parallel arrays; slots past `count` are cleared. */
  private readonly undoers: Undoer[] = [];
  private readonly codes: number[] = [];
  private readonly args: unknown[] = [];
  private count = 0;
  private depth = 0;
  private replaying = false;
  /** Open sections that run driver callbacks. */
  private guarded = 0;
  /** Runs whenever the outermost section has ended (see whenClosed). */
  private onClose: () => void = () => {};

  constructor(private readonly gens: Generations) {}

  /** Sets what runs whenever the outermost section has ended. */
  whenClosed(fn: () => void): void {
    this.onClose = fn;
  }

  /**
   * Runs fn as an atomic section; if it throws, undoes every change it made in place (newest
   * first), returns to the generation it started at, and rethrows. Nests: an inner section's
   * steps join the outer one on success.
   */
  atomically<T>(fn: () => T, runsCallbacks = false): T {
    if (runsCallbacks) this.guarded++;
    try {
      const mark = this.begin();
      const gen = this.gens.current;
      let result: T;
      try {
        result = fn();
      } catch (err) {
        this.fail(mark, gen);
        throw err;
      }
      this.commit();
      return result;
    } finally {
      if (runsCallbacks) this.guarded--;
    }
  }

  /** Whether a write about to start must first check for stack headroom. */
  get needsStackCheck(): boolean {
    return this.guarded > 0 && !this.replaying;
  }

  /** Whether an atomic section is open (changes must be recorded). */
  get open(): boolean {
    return this.depth > 0 && !this.replaying;
  }

  /**
   * Opens a (possibly nested) section without a closure; returns its mark. The caller ends it
   * with commit(), or with fail(mark, generation at begin) when its work threw.
   */
  begin(): number {
    this.depth++;
    return this.count;
  }

  /** Closes a section that succeeded: its steps join the enclosing one, or are dropped. */
  commit(): void {
    this.end();
    this.closed();
  }

  /** Undoes the section's steps, newest first, returns to generation gen and closes it. */
  fail(mark: number, gen: number): void {
    try {
      this.rollback(mark);
      this.gens.current = gen;
    } finally {
      this.closed();
    }
  }

  /** Records a closure that undoes the change about to be made (inside a section only). */
  record(undo: Undo): void {
    this.recordStep(CALL, 0, undo);
  }

  /** Records undoer.undo(code, arg) as the inverse of the change about to be made. */
  recordStep(undoer: Undoer, code: number, arg: unknown): void {
    if (!this.open) return;
    const i = this.count++;
    this.undoers[i] = undoer;
    this.codes[i] = code;
    this.args[i] = arg;
  }

  private closed(): void {
    if (this.depth === 0) this.onClose();
  }

  /** Undoes the steps after mark, newest first, then closes the section. */
  private rollback(mark: number): void {
    this.replaying = true;
    try {
      while (this.count > mark) {
        ensureStack();
        const i = this.count - 1;
        this.undoers[i].undo(this.codes[i], this.args[i]);
        this.clear(i);
        this.count = i;
      }
    } finally {
      this.replaying = false;
      this.end();
    }
  }

  private end(): void {
    if (--this.depth !== 0) return;
    for (let i = 0; i < this.count; i++) this.clear(i);
    this.count = 0;
  }

  /** Drops slot i's references (the VAs and closures it held). */
  private clear(i: number): void {
    this.undoers[i] = CALL;
    this.args[i] = undefined;
  }
}
