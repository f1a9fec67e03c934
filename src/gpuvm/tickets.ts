/**
 * Op tickets: where an op was computed. Every op a GpuVm hands out is stamped with a ticket
 * (kept in a WeakMap, invisible to equality checks) recording the VM and the VM generation the
 * op was computed against, and with a seal of its fields. The apply helpers refuse an op whose
 * ticket no longer matches the VM, and a stamped op whose fields were edited since. All ops of
 * one list share one ticket, which each apply moves forward, so a list applies in order while
 * any other change to the VM makes the rest of it stale.
 *
 * Generations are never reused within a VM: a rollback returns to the generation the VM had
 * (lists computed before stay valid), and the next change takes a number nothing was stamped
 * with, so ops computed in the abandoned state stay stale.
 */

import { gpuvmError } from './errors.js';
import type { GpuVaOp, OpMap } from './ops.js';

/** Where an op was computed: the VM and the generation it must still be at. */
export interface OpTicket {
  vm: object;
  gen: number;
}

interface Stamp {
  ticket: OpTicket;
  seal: unknown[];
}

const stamps = new WeakMap<object, Stamp>();

function pieceSeal<O>(piece: OpMap<O> | null): unknown[] {
  return piece ? [piece, piece.addr, piece.range, piece.obj, piece.offset] : [null];
}

/** The op's fields, nested objects included, in a fixed order. */
function sealOf<O>(op: GpuVaOp<O>): unknown[] {
  switch (op.type) {
    case 'map':
      return ['map', ...pieceSeal(op)];
    case 'remap':
      return ['remap', op.unmap, op.unmap?.va, op.unmap?.keep, ...pieceSeal(op.prev), ...pieceSeal(op.next)];
    case 'unmap':
      return ['unmap', op.va, op.keep];
    default:
      return [op.type, op.va];
  }
}

function sameSeal(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Attaches ticket to op and seals its fields as they are now. */
export function stampOp<O>(op: GpuVaOp<O>, ticket: OpTicket): void {
  stamps.set(op, { ticket, seal: sealOf(op) });
}

/** The ticket of op, or undefined for an op built by hand. */
export function opTicket(op: object): OpTicket | undefined {
  return stamps.get(op)?.ticket;
}

/** Moves op's ticket (and so its whole list's) to generation gen. */
export function advanceTicket(op: object, gen: number): void {
  const t = opTicket(op);
  if (t) t.gen = gen;
}

/**
 * Refuses an op stamped by another VM, stamped at another generation, or edited since it was
 * stamped. Ops built by hand carry no stamp and pass.
 */
export function checkTicket<O>(method: string, op: GpuVaOp<O>, vm: object, gen: number): void {
  const stamp = stamps.get(op);
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
  if (!sameSeal(stamp.seal, sealOf(op))) {
    throw gpuvmError('EINVAL', method, 'the op was edited after the VM computed it; compute the ops again');
  }
}

/** The distinct tickets of ops that are current for (vm, gen). */
export function liveTickets(ops: readonly unknown[], vm: object, gen: number): Set<OpTicket> {
  const live = new Set<OpTicket>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const t = op !== null && typeof op === 'object' ? opTicket(op) : undefined;
    if (t && t.vm === vm && t.gen === gen) live.add(t);
  }
  return live;
}

/** A VM's generation: the current one and a source of numbers never used before. */
export class Generations {
  private last = 0;
  current = 0;

  /** A change happened: move to a fresh generation. */
  bump(): void {
    this.current = ++this.last;
  }
}
