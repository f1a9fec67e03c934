/**
 * The undo journal of atomic sections (apply, applyRemap, atomic smMap/smUnmap): one inverse
 * operation per change, O(1) to record, run newest first on rollback. Nothing is copied.
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

export class Journal {
  private readonly steps: Undo[] = [];
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
      return this.section(fn);
    } finally {
      if (runsCallbacks) this.guarded--;
    }
  }

  /** Whether a write about to start must first check for stack headroom. */
  get needsStackCheck(): boolean {
    return this.guarded > 0 && !this.replaying;
  }

  private section<T>(fn: () => T): T {
    const mark = this.begin();
    const gen = this.gens.current;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      try {
        this.rollback(mark);
        this.gens.current = gen;
      } finally {
        this.closed();
      }
      throw err;
    }
    this.commit();
    this.closed();
    return result;
  }

  /** Whether an atomic section is open (changes must be recorded). */
  get open(): boolean {
    return this.depth > 0 && !this.replaying;
  }

  private closed(): void {
    if (this.depth === 0) this.onClose();
  }

  /** Opens a (possibly nested) section; returns its mark for rollback. */
  private begin(): number {
    this.depth++;
    return this.steps.length;
  }

  record(undo: Undo): void {
    if (this.open) this.steps.push(undo);
  }

  /** Closes a section that succeeded: its steps join the enclosing one, or are dropped. */
  private commit(): void {
    this.end();
  }

  /** Undoes the section's steps, newest first, then closes it. */
  private rollback(mark: number): void {
    this.replaying = true;
    try {
      while (this.steps.length > mark) {
        ensureStack();
        this.steps[this.steps.length - 1]();
        this.steps.pop();
      }
    } finally {
      this.replaying = false;
      this.end();
    }
  }

  private end(): void {
    if (--this.depth === 0) this.steps.length = 0;
  }
}
