/**
 * scripts/widen-keys.mjs, the rewrite that makes the bigint TS core (src/core64) from the one
 * AssemblyScript source: each rule on a small function, and no runtime conversion where the
 * widened expression is a bigint already.
 */

import { describe, expect, it } from 'vitest';

type WidenKeys = (files: Map<string, string>, fixed: Set<string>) => void;
const { widenKeys } = (await import(new URL('../scripts/widen-keys.mjs', import.meta.url).href)) as { widenKeys: WidenKeys };

const HEADER = 'type i32 = number; type u64 = bigint; type f64 = number; type bool = boolean;\n';
const FILE = '/widen/core.ts';

/** The body after widening (rewrites keep lines, so the header stays line 1). */
function widen(body: string): string {
  const files = new Map([[FILE, HEADER + body]]);
  widenKeys(files, new Set());
  return files.get(FILE)!.slice(HEADER.length);
}

describe('widen-keys', () => {
  it('a number literal meeting a bigint gets the n suffix, inside a sum too', () => {
    expect(widen('export function f(a: u64, b: u64): u64 { return a + b - 1; }')).toBe(
      'export function f(a: u64, b: u64): u64 { return a + b - 1n; }');
  });

  // As in gap.ts: start's number literal is widened in the same pass, so tsc first types
  // start + size - 1 as a number (its error type) where a bigint argument goes.
  it('a sum of bigints and number literals passed as a bigint is not wrapped in BigInt()', () => {
    const g = 'function g(x: u64, y: u64): bool { return true; }\n';
    const body = 'export function f(m: u64, b: u64, size: u64): bool { const lo = m + 1; const start = lo > b ? lo : b; return g(start, start + size - 1); }';
    expect(widen(g + body)).toBe(g + body.replace('m + 1', 'm + 1n').replace('size - 1)', 'size - 1n)'));
  });

  it('a number expression where a bigint goes is converted with BigInt(), a bigint where a number goes with Number()', () => {
    const body = 'export function f(a: u64, n: i32): u64 { const m: u64 = n + 1; return a + m; }\nexport function g(a: u64): i32 { return <i32>a; }';
    expect(widen(body)).toBe('export function f(a: u64, n: i32): u64 { const m: u64 = BigInt(n + 1); return a + m; }\nexport function g(a: u64): i32 { return Number(a); }');
  });

  it('a number operand of a bigint operator is converted, the bigint operand kept', () => {
    expect(widen('export function f(a: u64, n: i32): bool { return a < n; }')).toBe(
      'export function f(a: u64, n: i32): bool { return a < BigInt(n); }');
  });

  it('the generated bigint core converts nothing that is a bigint already', async () => {
    const { readFileSync } = await import('node:fs');
    const gap = readFileSync(new URL('../src/core64/gap.ts', import.meta.url), 'utf8');
    expect(gap).toContain('resFound(start, start + size - 1n, lo, hi)');
    expect(gap).not.toMatch(/BigInt\(start \+ size/);
  });
});
