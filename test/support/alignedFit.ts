/**
 * Where an aligned, non-spanning fit lies inside one free range [a, b], worked out by nospan
 * blocks (the runs [k·nospan, (k+1)·nospan − 1]; one block when nospan is 0): a fit must lie
 * inside one block, so the search clips to a block, aligns, and moves to the next block when
 * the clipped fit is too short. Written independently of the core's fitLow / fitHigh.
 */

/** Alignment constraints of a search: align ≥ 1, nospan 0 (none) or ≥ size; powers of two. */
export interface FitOptions {
  align: number;
  nospan: number;
}

export const NO_CONSTRAINT: FitOptions = { align: 1, nospan: 0 };

const ceilTo = (x: number, step: number): number => Math.ceil(x / step) * step;
const floorTo = (x: number, step: number): number => Math.floor(x / step) * step;

function blockStart(x: number, nospan: number): number {
  return nospan === 0 ? 0 : floorTo(x, nospan);
}

function blockEnd(x: number, nospan: number): number {
  return nospan === 0 ? Infinity : floorTo(x, nospan) + nospan - 1;
}

/** The lowest fit start in [a, b], or -1. */
export function lowestFitIn(a: number, b: number, size: number, { align, nospan }: FitOptions): number {
  for (let from = a; ; ) {
    const s = ceilTo(from, align);
    if (s + size - 1 > b) return -1;
    const end = blockEnd(s, nospan);
    if (s + size - 1 <= end) return s;
    from = end + 1;
  }
}

/** The highest fit start in [a, b], or -1. */
export function highestFitIn(a: number, b: number, size: number, { align, nospan }: FitOptions): number {
  for (let to = b; ; ) {
    const s = floorTo(to - size + 1, align);
    if (s < a) return -1;
    const start = blockStart(to, nospan);
    if (s >= start) return s;
    to = start - 1;
  }
}
