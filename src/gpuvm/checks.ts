/**
 * Argument checks of the GPU VA manager. Every check throws MapleError EINVAL naming the GpuVm
 * method, before anything changes. The first block checks plain values (indices, spans,
 * offsets, flags); the second checks requests and ops against a VM's window and VAs.
 */

import { describeArg } from '../tree/args.js';
import { gpuvmError } from './errors.js';
import { GpuVa } from './GpuVa.js';
import { type Key, type KeySpace, keySpaceOfValue } from './keys.js';
import type { GpuVaOp, GpuVaOpRemap, OpMap } from './ops.js';
import type { StepCallbacks } from './sinks.js';
import type { MapRequest } from './splitMerge.js';
import { VmBo } from './VmBo.js';

/** The largest flags value: GPUVA_* bits and driver bits fit a non-negative 31-bit integer. */
const MAX_FLAGS = 0x7fffffff;

// ---------------------------------------------------------------- values

/** [addr, addr + range) for messages. */
export function span(addr: Key, range: Key): string {
  return `[${addr}, ${addr + range})`;
}

/** Why v is not an address of the key space ks ([0, max]), or null. */
export function indexProblem(ks: KeySpace, name: string, v: unknown): string | null {
  if (!ks.isInt(v) || v < ks.zero || v > ks.max) {
    return `${name} must be ${ks.intName} in [0, ${ks.maxName}], got ${describeArg(v)}`;
  }
  return null;
}

/** Why range is not >= 1 with addr + range <= ks.end (evaluated without rounding), or null. */
export function spanProblem(ks: KeySpace, addr: Key, range: unknown): string | null {
  if (!ks.isInt(range) || range < ks.one) {
    return `range must be ${ks.intName} >= 1, got ${describeArg(range)}`;
  }
  if (range > ks.end - addr) return `[${addr}, ${addr} + ${range}) runs past ${ks.maxName}`;
  return null;
}

export function checkIndex(method: string, ks: KeySpace, name: string, v: unknown): asserts v is Key {
  const problem = indexProblem(ks, name, v);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

/** addr must be a valid index already. */
export function checkSpan(method: string, ks: KeySpace, addr: Key, range: unknown): asserts range is Key {
  const problem = spanProblem(ks, addr, range);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

/** An address that may be one past the last (an exclusive end). */
export function checkBound(method: string, ks: KeySpace, name: string, v: unknown): asserts v is Key {
  if (!ks.isInt(v) || v < ks.zero || v > ks.end) {
    throw gpuvmError('EINVAL', method, `${name} must be ${ks.intName} in [0, ${ks.endName}], got ${describeArg(v)}`);
  }
}

/** Offsets stay exact: offset + range <= ks.end, so remnant offsets never round. */
export function checkOffset(method: string, ks: KeySpace, offset: unknown, range: Key): asserts offset is Key {
  if (!ks.isInt(offset) || offset < ks.zero || offset > ks.end - range) {
    throw gpuvmError(
      'EINVAL',
      method,
      `offset must be ${ks.intName} >= 0 with offset + range <= ${ks.endName}, got ${describeArg(offset)}`,
    );
  }
}

export function checkFlags(method: string, flags: unknown): asserts flags is number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > MAX_FLAGS) {
    throw gpuvmError('EINVAL', method, `flags must be a non-negative 31-bit integer, got ${String(flags)}`);
  }
}

export function checkObject(method: string, value: unknown, what: string): asserts value is object {
  if (value === null || typeof value !== 'object') throw gpuvmError('EINVAL', method, what);
}

// ---------------------------------------------------------------- requests and ops

/** What requests are checked against: the managed window and the kernel-reserved VA. */
export interface VmWindow {
  readonly start: Key;
  readonly range: Key;
  readonly end: Key;
  readonly reserved: { readonly addr: Key; readonly range: Key } | null;
  /** @internal The VM's key kind and limits. */
  readonly _keys: KeySpace;
}

function outsideProblem(win: VmWindow, addr: Key, range: Key): string | null {
  if (addr >= win.start && range <= win.end - addr) return null;
  return `${span(addr, range)} is outside the managed window ${span(win.start, win.range)}`;
}

/** Why [addr, addr + range) is not a valid request (drm_gpuvm_range_valid), or null. */
export function requestProblem(win: VmWindow, addr: Key, range: Key): string | null {
  const bad = windowProblem(win, addr, range);
  if (bad) return bad;
  const k = win.reserved;
  if (k && addr < k.addr + k.range && k.addr < addr + range) {
    return `${span(addr, range)} overlaps the kernel-reserved VA ${span(k.addr, k.range)}`;
  }
  return null;
}

export function checkRequest(method: string, win: VmWindow, addr: Key, range: Key): void {
  const problem = requestProblem(win, addr, range);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

/** Window containment only (prefetch, like the kernel, does not avoid the reserved VA). */
export function checkWindow(method: string, win: VmWindow, addr: Key, range: Key): void {
  const problem = windowProblem(win, addr, range);
  if (problem) throw gpuvmError('EINVAL', method, problem);
}

/** Why [addr, addr + range) is not a well-formed span inside the window, or null. */
function windowProblem(win: VmWindow, addr: Key, range: Key): string | null {
  const ks = win._keys;
  return indexProblem(ks, 'addr', addr) ?? spanProblem(ks, addr, range) ?? outsideProblem(win, addr, range);
}

/** A VA interval [addr, addr + range) given as an optional start and length (vas()). */
export function checkInterval(method: string, ks: KeySpace, addr: unknown, range: unknown): void {
  checkIndex(method, ks, 'addr', addr);
  checkSpan(method, ks, addr, range);
}

/** A validated map request: window, reserved VA and offset checked; obj defaults to null. */
export function mapRequest<O>(method: string, win: VmWindow, req: Partial<MapRequest<O>> | null): MapRequest<O> {
  checkObject(method, req, 'the request must be an object { addr, range, obj?, offset? }');
  const { addr, range } = req as MapRequest<O>;
  const offset = req.offset ?? win._keys.zero;
  checkMapping(method, win, addr, range, offset);
  return { addr, range, obj: req.obj ?? null, offset };
}

/** A mapping's request checks (window, reserved VA) and its offset. */
function checkMapping(method: string, win: VmWindow, addr: Key, range: Key, offset: unknown): void {
  checkRequest(method, win, addr, range);
  checkOffset(method, win._keys, offset, range);
}

export function checkOpType<O>(method: string, op: GpuVaOp<O> | null | undefined, type: GpuVaOp['type']): void {
  if (op === null || typeof op !== 'object' || op.type !== type) {
    throw gpuvmError('EINVAL', method, `expected a ${type} op`);
  }
}

/** ks: the kind of the VA's keys, which the piece's must share. */
function pieceProblem<O>(ks: KeySpace, va: GpuVa<O>, piece: OpMap<O>, side: 'prev' | 'next'): string | null {
  if (typeof piece !== 'object' || !ks.isInt(piece.addr) || !ks.isInt(piece.range) || !ks.isInt(piece.offset)) {
    return `${side} must be a mapping { addr, range, obj, offset }`;
  }
  if (piece.obj !== va.obj) return `${side} must keep the VA's object`;
  const end = piece.addr + piece.range;
  const vaEnd = va.addr + va.range;
  if (piece.range < ks.one || piece.addr < va.addr || end > vaEnd) {
    return `${side} ${span(piece.addr, piece.range)} is not inside the VA ${span(va.addr, va.range)}`;
  }
  if (side === 'prev' && piece.addr !== va.addr) return `prev must start where the VA starts (${va.addr})`;
  if (side === 'next' && end !== vaEnd) return `next must end where the VA ends (${vaEnd})`;
  // The remnant's offset is the VA's, advanced by how far the remnant starts into the VA.
  if (piece.offset !== va.offset + (piece.addr - va.addr)) {
    return `${side} offset ${piece.offset} does not continue the VA's offset ${va.offset}`;
  }
  return null;
}

/**
 * A REMAP must describe its VA: at least one remnant, prev at the VA's start and next at its
 * end, both inside it, with the VA's object and consistent offsets, leaving a hole of at least
 * one unit between them. prev and next must already be well-formed mappings.
 */
export function remapProblem<O>(op: Pick<GpuVaOpRemap<O>, 'unmap' | 'prev' | 'next'>): string | null {
  const va = op?.unmap?.va;
  const ks = typeof va === 'object' && va !== null ? keySpaceOfValue(va.addr) : null;
  if (ks === null || !ks.isInt(va!.addr) || !ks.isInt(va!.range)) return 'unmap.va must be a VA';
  if (!op.prev && !op.next) return 'a remap needs prev or next';
  const problem =
    (op.prev && pieceProblem(ks, va!, op.prev, 'prev')) || (op.next && pieceProblem(ks, va!, op.next, 'next'));
  if (problem) return problem;
  const holeStart = op.prev ? op.prev.addr + op.prev.range : va.addr;
  const holeEnd = op.next ? op.next.addr : va.addr + va.range;
  if (holeEnd <= holeStart) return `prev and next leave nothing of ${span(va.addr, va.range)} to unmap`;
  return null;
}

export function checkRemap<O>(method: string, op: GpuVaOpRemap<O>): void {
  const problem = remapProblem(op);
  if (problem) throw gpuvmError('EINVAL', method, `malformed remap: ${problem}`);
}

export function checkCallbacks<O, C>(
  method: string,
  ops: StepCallbacks<O, C>,
  names: (keyof StepCallbacks<O, C>)[],
): void {
  const missing = names.filter((n) => typeof ops[n] !== 'function');
  if (missing.length > 0) {
    throw gpuvmError('EINVAL', method, `missing driver callback(s): ops.${missing.join(', ops.')}`);
  }
}

// ---------------------------------------------------------------- VAs and VmBos of a VM

/** A new VA (flags 0 unless given) from a validated map request or insert argument. */
export function newVa<O>(method: string, win: VmWindow, init: Partial<MapRequest<O>> & { flags?: number }): GpuVa<O> {
  const req = mapRequest(method, win, init);
  const flags = init.flags ?? 0;
  checkFlags(method, flags);
  return new GpuVa<O>(req.addr, req.range, req.obj, req.offset, flags);
}

/** A removed VA passed back to insert. */
export function checkReusable<O>(win: VmWindow, va: GpuVa<O>): void {
  if (va._vm !== null) throw gpuvmError('EINVAL', 'insert', 'the VA is already in a VM');
  checkOffset('insert', win._keys, va.offset, va.range);
}

/** A VA in vm that may be removed: not the kernel-reserved one. */
export function checkRemovable<O>(
  method: string,
  vm: VmWindow & { reserved: GpuVa<O> | null },
  va: GpuVa<O> | undefined,
): asserts va is GpuVa<O> {
  if (!(va instanceof GpuVa)) throw gpuvmError('EINVAL', method, 'not a GpuVa');
  if (va === vm.reserved) throw gpuvmError('EINVAL', method, 'the kernel-reserved VA cannot be removed');
  if (va._vm !== vm) throw gpuvmError('EINVAL', method, `the VA ${span(va.addr, va.range)} is not in this VM`);
}

/** A live VmBo of vm. */
export function checkOwnBo<O>(method: string, vm: object, vmBo: VmBo<O>): void {
  if (!(vmBo instanceof VmBo) || vmBo.vm !== vm) {
    throw gpuvmError('EINVAL', method, 'the VmBo belongs to another VM');
  }
  if (vmBo._refs <= 0) throw gpuvmError('EINVAL', method, 'the VmBo was already destroyed');
}

/** A VA with an object that may be linked to vmBo: a live VmBo of vm for that object, va unlinked. */
export function checkLinkable<O>(method: string, vm: object, va: GpuVa<O>, vmBo: VmBo<O>): void {
  checkOwnBo(method, vm, vmBo);
  if (va.obj !== vmBo.obj) throw gpuvmError('EINVAL', method, "the VA's object is not the VmBo's");
  if (va._vmBo !== null) throw gpuvmError('EINVAL', method, 'the VA is already linked');
}

export function checkVa(method: string, va: unknown): asserts va is GpuVa {
  if (!(va instanceof GpuVa)) throw gpuvmError('EINVAL', method, 'not a GpuVa');
}

/** A new VA (flags 0: ops carry none) from the mapping of a MAP op or a REMAP remnant. */
export function vaFromPiece<O>(method: string, win: VmWindow, piece: OpMap<O>): GpuVa<O> {
  checkObject(method, piece, 'malformed op: a mapping must be { addr, range, obj, offset }');
  const { addr, range } = piece;
  const offset = piece.offset ?? win._keys.zero;
  checkMapping(method, win, addr, range, offset);
  return new GpuVa<O>(addr, range, piece.obj ?? null, offset, 0);
}
