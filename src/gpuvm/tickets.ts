/**
 * Op tickets: where an op was computed. Every op a GpuVm hands out is stamped with a ticket
 * recording the VM and the VM generation the op was computed against, and with a seal of the
 * fields that decide what applying it does. The apply helpers refuse an op whose ticket no
 * longer matches the VM, and a stamped op whose fields were edited since. All ops of one list
 * share one ticket, which each apply moves forward, so a list applies in order while any other
 * change to the VM makes the rest of it stale.
 *
 * The stamp is a private field installed on the plain op object (see StampField): invisible to
 * equality checks, JSON, spread copies and structuredClone, gone with the op, and about as
 * cheap as a property store, where a WeakMap entry per op cost a hash insert plus ephemeron
 * work in every scavenge.
 *
 * Generations are never reused within a VM: a rollback returns to the generation the VM had
 * (lists computed before stay valid), and the next change takes a number nothing was stamped
 * with, so ops computed in the abandoned state stay stale.
 */

import { gpuvmError } from './errors.js';
import type { Key } from './keys.js';
import type { GpuVaOp, GpuVaOpRemap } from './ops.js';

/** Where an op was computed: the VM and the generation it must still be at. */
export interface OpTicket {
  vm: object;
  gen: number;
}

/**
 * A ticket and the op's seal: the four values that decide what applying it does. A REMAP's
 * remnants are otherwise pinned by checkRemap (prev starts and next ends with the VA, offsets
 * and object follow from it), so its seal is the VA, keep, prev's length and next's start.
 */
class Stamp {
  /** What applying the op returns, when a prepared job's run has applied it already. */
  done: unknown = undefined;

  constructor(
    readonly ticket: OpTicket,
    readonly s0: unknown,
    readonly s1: unknown,
    readonly s2: unknown,
    readonly s3: unknown,
  ) {}

  /** Whether op still has the sealed values. */
  holds<O>(op: GpuVaOp<O>): boolean {
    switch (op.type) {
      case 'map':
        return this.s0 === op.addr && this.s1 === op.range && this.s2 === op.obj && this.s3 === op.offset;
      case 'remap':
        return (
          this.s0 === op.unmap?.va && this.s1 === op.unmap?.keep && this.s2 === prevRange(op) && this.s3 === nextAddr(op)
        );
      case 'unmap':
        return this.s0 === op.va && this.s1 === op.keep;
      default:
        return this.s0 === op.va;
    }
  }
}

/** A constructor that returns its argument, so that a subclass's fields land on that object. */
class Passthrough {
  constructor(target: object) {
    return target as Passthrough;
  }
}

/**
 * The op's stamp as a private field of the op itself. Private fields can be added to any
 * object through a base constructor that returns it; nothing outside this class can see or
 * copy them, and the op stays a plain object (its prototype and own keys are unchanged). Ops
 * are stamped as fresh literals, so they are always extensible when the field is added.
 */
class StampField extends Passthrough {
  #stamp: Stamp;

  private constructor(op: object, stamp: Stamp) {
    super(op);
    this.#stamp = stamp;
  }

  static attach(op: object, stamp: Stamp): void {
    new StampField(op, stamp);
  }

  static of(op: object): Stamp | undefined {
    return #stamp in op ? (op as StampField).#stamp : undefined;
  }
}

/** No remnant on that side (of neither key kind). */
const NONE = null;

function prevRange<O>(op: GpuVaOpRemap<O>): Key | null {
  return op.prev ? op.prev.range : NONE;
}

function nextAddr<O>(op: GpuVaOpRemap<O>): Key | null {
  return op.next ? op.next.addr : NONE;
}

function stampOf<O>(op: GpuVaOp<O>, ticket: OpTicket): Stamp {
  switch (op.type) {
    case 'map':
      return new Stamp(ticket, op.addr, op.range, op.obj, op.offset);
    case 'remap':
      return new Stamp(ticket, op.unmap.va, op.unmap.keep, prevRange(op), nextAddr(op));
    case 'unmap':
      return new Stamp(ticket, op.va, op.keep, null, null);
    default:
      return new Stamp(ticket, op.va, null, null, null);
  }
}

/** Attaches ticket to op and seals its fields as they are now (once per op). */
export function stampOp<O>(op: GpuVaOp<O>, ticket: OpTicket): void {
  StampField.attach(op, stampOf(op, ticket));
}

/** The ticket of op, or undefined for an op built by hand. */
export function opTicket(op: object): OpTicket | undefined {
  return StampField.of(op)?.ticket;
}

/** Moves op's ticket (and so its whole list's) to generation gen. */
export function advanceTicket(op: object, gen: number): void {
  const t = opTicket(op);
  if (t) t.gen = gen;
}

/** Records on a stamped op of vm what applying it returns: a prepared job's run applied it. */
export function markApplied(op: object, done: unknown): void {
  StampField.of(op)!.done = done;
}

/**
 * What applying op returned when a job's run of vm applied it, once (the record is cleared),
 * else undefined.
 */
export function takeApplied(op: unknown, vm: object): unknown {
  if (op === null || typeof op !== 'object') return undefined;
  const stamp = StampField.of(op);
  if (stamp === undefined || stamp.done === undefined || stamp.ticket.vm !== vm) return undefined;
  const done = stamp.done;
  stamp.done = undefined;
  return done;
}

/**
 * Refuses an op stamped by another VM, stamped at another generation, or edited since it was
 * stamped. Ops built by hand carry no stamp and pass.
 */
export function checkTicket<O>(method: string, op: GpuVaOp<O>, vm: object, gen: number): void {
  const stamp = StampField.of(op);
  if (!stamp) return;
  const t = stamp.ticket;
  if (t.vm !== vm) throw gpuvmError('EINVAL', method, 'the op was computed by another GpuVm');
  if (t.gen !== gen) {
    throw gpuvmError(
      'EINVAL',
      method,
      `stale op: it was computed against VM generation ${t.gen}, but the VM has changed ` +
        `since (generation ${gen}); compute the ops again`,
    );
  }
  if (!stamp.holds(op)) {
    throw gpuvmError('EINVAL', method, 'the op was edited after the VM computed it; compute the ops again');
  }
}

/**
 * After a failed apply of ops on vm: the tickets the apply moved on (to a generation issued
 * after `issued`, so one that was current when the apply began) go to generation gen.
 */
export function renewTickets(ops: readonly unknown[], vm: object, issued: number, gen: number): void {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const t = op !== null && typeof op === 'object' ? opTicket(op) : undefined;
    if (t && t.vm === vm && t.gen > issued) t.gen = gen;
  }
}

/** A VM's generation: the current one and a source of numbers never used before. */
export class Generations {
  private last = 0;
  current = 0;

  /** The newest generation handed out so far. */
  get issued(): number {
    return this.last;
  }

  /** A change happened: move to a fresh generation. */
  bump(): void {
    this.current = ++this.last;
  }
}
