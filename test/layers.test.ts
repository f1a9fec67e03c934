// The folder layers of src/ (CONTRIBUTING.md, "Layers"): every relative import of a
// hand-written file is resolved, and each folder may import only the folders listed here.
// A new arrow that closes a cycle fails this test before it confuses a reader.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../src');

/** Folder → the folders it may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  backend: ['core', 'core64'],
  ts: ['backend', 'core', 'core64'],
  wasm: ['backend'],
  shared: ['backend', 'core-shared', 'wasm'],
  tree: ['backend', 'shared', 'ts', 'wasm'],
  gpuvm: ['tree', 'backend'],
};
const GENERATED = new Set(['core', 'core64', 'core-shared']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return GENERATED.has(name) ? [] : sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The src/ folder a path lies in ('' for the package entries at src/'s top). */
function folderOf(path: string): string {
  const parts = relative(SRC, path).split('/');
  return parts.length > 1 ? parts[0] : '';
}

/** Folder-to-folder arrows, each with one import that makes it. */
function folderArrows(): Map<string, string> {
  const arrows = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === '') continue;
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), spec));
      if (to !== from) arrows.set(`${from} -> ${to}`, `${relative(SRC, file)} imports ${spec}`);
    }
  }
  return arrows;
}

describe('src/ layers', () => {
  it('each folder imports only the folders below it', () => {
    const forbidden = [...folderArrows()].filter(([arrow]) => {
      const [from, to] = arrow.split(' -> ');
      return !(ALLOWED[from] ?? []).includes(to);
    });
    expect(forbidden.map(([arrow, why]) => `${arrow}: ${why}`)).toEqual([]);
  });

  it('the folder graph has no cycle', () => {
    const next = new Map<string, string[]>();
    for (const arrow of folderArrows().keys()) {
      const [from, to] = arrow.split(' -> ');
      next.set(from, [...(next.get(from) ?? []), to]);
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (folder: string, trail: string[]): void => {
      if (state.get(folder) === 'done') return;
      if (state.get(folder) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(folder)), folder].join(' -> '));
        return;
      }
      state.set(folder, 'open');
      for (const to of next.get(folder) ?? []) visit(to, [...trail, folder]);
      state.set(folder, 'done');
    };
    for (const folder of next.keys()) visit(folder, []);
    expect(cycles).toEqual([]);
  });
});
