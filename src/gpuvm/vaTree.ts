/**
 * The VA tree of one VM: a MapleTree keyed by [addr, addr + range - 1] whose entries are the
 * GpuVa objects, with the changes an atomic section can undo in place.
 *
 * Every insert and erase records its inverse (erase / re-insert the same VA) before it runs.
 * The tree object itself never changes, so walks running over it (vas() loops, smMap walks)
 * carry on across a rollback. Under a node budget (maxNodes) an inverse could need nodes the
 * budget no longer has, so inside an atomic section each change first reserves two writes
 * (tree.reserve(2): the change and its inverse, each bounded whatever the tree looks like
 * then) and fails with ENOMEM, nothing changed, if it cannot. Both run on that reservation;
 * what is left is returned when the outermost section ends.
 */

import type { CoreBackend } from '../backend/backend.js';
import type { ExternalLock } from '../tree/lock.js';
import type { MapleTree, Reservation } from '../tree/MapleTree.js';
import type { MaState } from '../tree/MaState.js';
import { gpuvmError, isMapleError } from './errors.js';
import { GpuVa } from './GpuVa.js';
import { ensureStack, type Journal, type Undoer } from './journal.js';
import { type Key, type KeySpace, zeroOf } from './keys.js';
import type { VaWalk } from './splitMerge.js';
import type { Generations } from './tickets.js';

export class VaTree<O> implements Undoer {
  /** Reservations of the open atomic section's changes (see the header). */
  private held: Reservation[] = [];
  /** The walk cursor when no walk is using it (reused: one walk per op list). */
  private cursor: MaState<GpuVa<O>> | null = null;
  /** The key kind's 1: a VA's last key is addr + range - one. */
  private readonly one: Key;

  constructor(
    readonly tree: MapleTree<GpuVa<O>>,
    private readonly owner: object,
    private readonly journal: Journal,
    private readonly gens: Generations,
    private readonly capped: boolean,
    keys: KeySpace,
  ) {
    this.one = keys.one;
    journal.whenClosed(() => this.releaseReserve());
  }

  /** Stores va; EEXIST if its range is occupied, ENOMEM out of nodes (nothing changed). */
  insert(method: string, va: GpuVa<O>): void {
    const nodes = this.prepareChange(method);
    this.recordUndo(nodes, UNDO_INSERT, va);
    try {
      if (nodes === null) this.storeVa(va);
      else nodes.run(() => this.storeVa(va));
    } catch (err) {
      if (isMapleError(err, 'EEXIST')) {
        throw gpuvmError('EEXIST', method, `[${va.addr}, ${va.end}) overlaps an existing VA`);
      }
      throw nodesError(err, method);
    }
    va._vm = this.owner as GpuVa<O>['_vm'];
    this.gens.bump();
  }

  /** Removes va (which must be in this tree). */
  erase(method: string, va: GpuVa<O>): void {
    const nodes = this.prepareChange(method);
    this.recordUndo(nodes, UNDO_ERASE, va);
    try {
      if (nodes === null) this.clearVa(va);
      else nodes.run(() => this.clearVa(va));
    } catch (err) {
      // Erasing can need nodes too (rebalancing); the tree is unchanged when it throws.
      throw nodesError(err, method);
    }
    va._vm = null;
    this.gens.bump();
  }

  /** Journal step: the inverse of an insert (UNDO_INSERT) or erase (UNDO_ERASE) of va. */
  undo(code: number, va: unknown): void {
    if (code === UNDO_INSERT) this.undoInsert(va as GpuVa<O>);
    else this.undoErase(va as GpuVa<O>);
  }

  /**
   * A prepared bind job's whole change in a bounded number of stores: one NULL store over
   * [addr, end) (erasing every VA inside it at once and trimming the keys of the ones
   * straddling its ends) when anything was removed, then one store per placed VA (a remnant
   * overwrites the trimmed key of the VA it came from; the new VA fills the hole). Never
   * journaled: it runs outside atomic sections, on nodes reserved for it.
   */
  replaceSpan(addr: Key, end: Key, removed: readonly GpuVa<O>[], placed: readonly GpuVa<O>[]): void {
    if (removed.length > 0) this.tree.storeRange(addr, end - this.one, null);
    for (const va of removed) va._vm = null;
    for (const va of placed) {
      this.tree.storeRange(va.addr, this.last(va), va);
      va._vm = this.owner as GpuVa<O>['_vm'];
    }
    if (removed.length + placed.length > 0) this.gens.bump();
  }

  /**
   * A reservation of `stores` writes: a prepared job's run (replaceSpan inside its run(),
   * taken on every tree, budgeted or not, so that the run finds its nodes however the tree
   * and the memory have changed by then), or one change of an atomic section and its inverse.
   * @throws MapleError ENOMEM if the budget or memory cannot cover it (nothing reserved).
   */
  reserveRun(method: string, stores: number): Reservation {
    try {
      return this.tree.reserve(stores);
    } catch (err) {
      throw nodesError(err, method);
    }
  }

  /** The kernel-reserved VA (never journaled: it exists from construction on). */
  insertReserved(addr: Key, range: Key): GpuVa<O> {
    const va = new GpuVa<O>(addr, range, null, zeroOf(addr), 0);
    this.storeVa(va);
    va._vm = this.owner as GpuVa<O>['_vm'];
    return va;
  }

  /** Drops every reservation taken for undoing (the outermost atomic section ended). */
  releaseReserve(): void {
    for (const nodes of this.held) nodes.release();
    this.held = [];
  }

  /**
   * Visits the VAs intersecting [addr, end) with an advanced-API cursor. The cursor is
   * paused before each visit so the visitor may change the tree; the next find() re-walks
   * from just after the visited VA. A VA that then starts before the end of the one just
   * visited was inserted by the visitor behind the walk and is skipped, as the kernel's
   * prefetched-successor walk would; so once a visited VA reaches end, nothing is left.
   */
  readonly walk: VaWalk<O> = (addr, end, visit) => {
    const mas = this.takeCursor(addr);
    const last = end - this.one;
    let resume = zeroOf(addr); // no VA starts below it: nothing skipped before the first visit
    try {
      // A GpuVm tree never holds ZERO_ENTRY.
      for (let va = mas.find(last) as GpuVa<O> | undefined; va !== undefined; va = mas.find(last) as GpuVa<O> | undefined) {
        mas.pause();
        if (va.addr < resume) continue;
        resume = va.addr + va.range;
        if (!visit(va) || resume >= end) return;
      }
    } finally {
      this.cursor = mas;
    }
  };

  /** The walk's cursor at first: the idle one, or a new one for a walk inside a walk's visit. */
  private takeCursor(first: Key): MaState<GpuVa<O>> {
    const mas = this.cursor;
    if (mas === null) return this.tree.state(first);
    this.cursor = null;
    mas.set(first);
    return mas;
  }

  private storeVa(va: GpuVa<O>): void {
    this.tree.insertRange(va.addr, this.last(va), va);
  }

  /** A VA's inclusive last address: its tree key's upper bound. */
  private last(va: GpuVa<O>): Key {
    return va.addr + va.range - this.one;
  }

  /** Erases va's range: a VA always sits at exactly its own key, so one NULL store, no walk to find it. */
  private clearVa(va: GpuVa<O>): void {
    this.tree.storeRange(va.addr, this.last(va), null);
  }

  /** The inverse of a change, drawing on its reservation when there is one (budgeted trees). */
  private recordUndo(nodes: Reservation | null, code: number, va: GpuVa<O>): void {
    if (nodes === null) this.journal.recordStep(this, code, va);
    else this.journal.record(() => nodes.run(() => this.undo(code, va)));
  }

  private undoInsert(va: GpuVa<O>): void {
    if (this.tree.load(va.addr) === va) this.clearVa(va);
    va._vm = null;
  }

  private undoErase(va: GpuVa<O>): void {
    if (this.tree.load(va.addr) !== va) this.storeVa(va);
    va._vm = this.owner as GpuVa<O>['_vm'];
  }

  /** Inside an atomic section: stack headroom for the write if needed, and under a budget its reservation. */
  private prepareChange(method: string): Reservation | null {
    if (this.journal.needsStackCheck) ensureStack();
    if (!this.capped || !this.journal.open) return null;
    const nodes = this.reserveRun(method, CHANGE_WRITES);
    this.held.push(nodes);
    return nodes;
  }
}

/** A change and its inverse. */
const CHANGE_WRITES = 2;

/** Journal codes of VaTree.undo. */
const UNDO_INSERT = 0;
const UNDO_ERASE = 1;

function nodesError(err: unknown, method: string): unknown {
  return isMapleError(err, 'ENOMEM') ? gpuvmError('ENOMEM', method, 'out of tree nodes') : err;
}

/** The MapleTree options a VM passes through to its tree. */
export function treeOptions(options: TreePassThrough): ConstructorParameters<typeof MapleTree>[0] {
  const opts: Record<string, unknown> = {};
  if (options.backend !== undefined) opts.backend = options.backend;
  if (options.lock !== undefined) opts.lock = options.lock;
  if (options.maxNodes !== undefined) opts.maxNodes = options.maxNodes;
  if (options.keys === 'bigint') opts.keys = 'bigint';
  if (options._core !== undefined) opts._core = options._core;
  return opts as ConstructorParameters<typeof MapleTree>[0];
}

interface TreePassThrough {
  backend?: 'wasm' | 'ts';
  lock?: ExternalLock;
  maxNodes?: number;
  keys?: unknown;
  _core?: CoreBackend;
}
