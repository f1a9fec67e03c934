/**
 * A naive model of the GPU VA manager's split rules, for differential tests, plus the canonical
 * forms both sides are compared in.
 *
 * The model is deliberately written differently from src/gpuvm/splitMerge.ts: it filters the
 * intersecting VAs out of a plain sorted array and derives each op from "is there a part before
 * the request / after it" and a single VA-to-object delta test for keep, instead of the
 * kernel's nine-row table with per-row equalities. Addresses may be numbers or, for bigint VMs,
 * bigints (typed as numbers): the model only adds, subtracts and compares them.
 */

import type { GpuVa } from '../../src/gpuvm/GpuVa.js';
import type { GpuVaOp, OpMap } from '../../src/gpuvm/ops.js';

export interface ModelVa {
  addr: number;
  range: number;
  obj: string | null;
  offset: number;
}

/** An op in comparable form: VAs are named by their contents (unique while they are mapped). */
export type CanonOp =
  | ['map', number, number, string | null, number]
  | ['unmap', string, boolean]
  | ['remap', string, boolean, Piece | null, Piece | null]
  | ['prefetch', string];

type Piece = [number, number, string | null, number];

export function vaName(va: ModelVa | GpuVa<string>): string {
  return `${va.addr}+${va.range}:${va.obj}@${va.offset}`;
}

function piece(p: OpMap<string> | ModelVa | null): Piece | null {
  return p ? [p.addr, p.range, p.obj, p.offset] : null;
}

export function canonOp(op: GpuVaOp<string>): CanonOp {
  switch (op.type) {
    case 'map':
      return ['map', op.addr, op.range, op.obj, op.offset];
    case 'unmap':
      return ['unmap', vaName(op.va), op.keep];
    case 'remap':
      return ['remap', vaName(op.unmap.va), op.unmap.keep, piece(op.prev), piece(op.next)];
    case 'prefetch':
      return ['prefetch', vaName(op.va)];
  }
}

export function canonVas(vas: Iterable<ModelVa | GpuVa<string>>): Piece[] {
  return [...vas].map((va) => piece(va)!);
}

function intersecting(vas: ModelVa[], addr: number, end: number): ModelVa[] {
  return vas.filter((va) => va.addr < end && va.addr + va.range > addr);
}

/** Splitting va at [addr, end): the remnant before and the remnant after, as ops carry them. */
function remnants(va: ModelVa, addr: number, end: number): [Piece | null, Piece | null] {
  const vaEnd = va.addr + va.range;
  const before: Piece | null = va.addr < addr ? [va.addr, addr - va.addr, va.obj, va.offset] : null;
  const after: Piece | null =
    vaEnd > end ? [end, vaEnd - end, va.obj, va.offset + (end - va.addr)] : null;
  return [before, after];
}

export class GpuVmModel {
  /** Sorted by addr, never overlapping. */
  vas: ModelVa[] = [];

  mapOps(req: ModelVa): CanonOp[] {
    const end = req.addr + req.range;
    const ops: CanonOp[] = intersecting(this.vas, req.addr, end).map((va) => {
      const keep =
        va.obj !== null && va.obj === req.obj && va.offset - va.addr === req.offset - req.addr;
      const [before, after] = remnants(va, req.addr, end);
      return before || after
        ? ['remap', vaName(va), keep, before, after]
        : ['unmap', vaName(va), keep];
    });
    ops.push(['map', req.addr, req.range, req.obj, req.offset]);
    return ops;
  }

  unmapOps(addr: number, range: number): CanonOp[] {
    const end = addr + range;
    return intersecting(this.vas, addr, end).map((va) => {
      const [before, after] = remnants(va, addr, end);
      return before || after ? ['remap', vaName(va), false, before, after] : ['unmap', vaName(va), false];
    });
  }

  /** Applies canonical ops: drop unmapped / remapped VAs, add remnants and maps. */
  apply(ops: CanonOp[]): void {
    for (const op of ops) {
      if (op[0] === 'map') this.add({ addr: op[1], range: op[2], obj: op[3], offset: op[4] });
      if (op[0] === 'unmap') this.drop(op[1]);
      if (op[0] === 'remap') {
        this.drop(op[1]);
        for (const p of [op[3], op[4]]) if (p) this.add({ addr: p[0], range: p[1], obj: p[2], offset: p[3] });
      }
    }
  }

  private add(va: ModelVa): void {
    if (intersecting(this.vas, va.addr, va.addr + va.range).length > 0) {
      throw new Error(`model: ${vaName(va)} overlaps`);
    }
    this.vas.push(va);
    this.vas.sort((a, b) => byAddr(a.addr, b.addr));
  }

  private drop(name: string): void {
    const i = this.vas.findIndex((va) => vaName(va) === name);
    if (i < 0) throw new Error(`model: no VA ${name}`);
    this.vas.splice(i, 1);
  }
}

/** A sort comparator for addresses of either key kind (a bigint difference is no comparator result). */
export function byAddr(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** mulberry32: small, fast, seeded; good enough to drive request generation. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: T[]): T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}
