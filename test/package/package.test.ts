// The published package, from its tarball: what it holds, that the README's example runs in
// Node through import and require, that require on a Node without require(esm) fails with
// Node's clear ERR_REQUIRE_ESM, and that the typings type-check in a strict consumer without
// the DOM lib under every module resolution a user may pick.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, ROOT, type Packed } from './pack.js';

let packed: Packed;
beforeAll(() => {
  packed = packAndInstall('package');
}, 120_000);

/** The README's first example, as a user would paste it (ESM, or CommonJS with require). */
const EXAMPLE = `
const tree = new MapleTree();
tree.storeRange(10, 19, 'a');
tree.storeRange(15, 15, 'b');
const ids = new MapleTree({ allocRange: true });
let code = '';
try { tree.insertRange(15, 20, 'c'); } catch (e) { code = e.code; }
console.log(JSON.stringify([tree.load(17), tree.erase(12), tree.find(0), ids.allocRange(4096, {}, 0, MAX_INDEX), ids.allocRRange(16, {}) === MAX_INDEX - 15, code]));
`;
const EXPECTED = JSON.stringify(['a', 'a', { first: 15, last: 15, entry: 'b' }, 0, true, 'EEXIST']);

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, args, { cwd: packed.dir, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr };
}

describe('the packed tarball', () => {
  it('holds the built JS, typings, WebAssembly core, README, LICENSE and CHANGELOG', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/maple.wasm', 'dist/index.js', 'dist/index.d.ts',
      'dist/index.inline.js', 'dist/index.inline.d.ts', 'dist/index.streaming.js', 'dist/index.streaming.d.ts']) {
      expect(packed.files).toContain(file);
    }
  });

  it('holds nothing from the sources, tests, benchmarks, demo or build folder', () => {
    const stray = packed.files.filter((f) => /^(?:src|test|bench|demo|assembly|build|scripts|docs|screenshots|node_modules)\//.test(f));
    expect(stray).toEqual([]);
    expect(packed.files.filter((f) => !f.startsWith('dist/'))).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']),
    );
    expect(packed.files.filter((f) => !f.startsWith('dist/')).length).toBe(4);
  });

  it('every export target is in the tarball', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const target of targets) expect(packed.files).toContain(target.replace(/^\.\//, ''));
  });

  it('every source map embeds its sources, so none points at an unshipped file', () => {
    const maps = packed.files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(`${packed.dir}node_modules/maple-gpuvm/${map}`, 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), map).toBe(true);
    }
  });

  it('the typings hold no @internal member', () => {
    const typings = packed.files.filter((f) => f.endsWith('.d.ts'));
    for (const file of typings) expect(readFileSync(`${packed.dir}node_modules/maple-gpuvm/${file}`, 'utf8'), file).not.toContain('@internal');
  });
});

describe('in Node', () => {
  it('the README example runs through import', () => {
    writeFileSync(`${packed.dir}example.mjs`, `import { init, MapleTree, MAX_INDEX } from 'maple-gpuvm';\nawait init();\n${EXAMPLE}`);
    const run = node(['example.mjs']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(EXPECTED);
  });

  it('the README example runs through require (require of an ES module, Node >= 20.19)', () => {
    writeFileSync(`${packed.dir}example.cjs`, `const { init, MapleTree, MAX_INDEX } = require('maple-gpuvm');\ninit().then(() => {${EXAMPLE}});\n`);
    const run = node(['example.cjs']);
    expect(run.stdout).toBe(EXPECTED);
  });

  it('the inline entry runs in Node too', () => {
    writeFileSync(`${packed.dir}inline.mjs`, `import { init, MapleTree, MAX_INDEX } from 'maple-gpuvm/inline';\nawait init();\n${EXAMPLE}`);
    expect(node(['inline.mjs']).stdout).toBe(EXPECTED);
  });

  it('without require(esm) (older Node), require fails with ERR_REQUIRE_ESM, which says to use import()', () => {
    const run = node(['--no-experimental-require-module', 'example.cjs']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ERR_REQUIRE_ESM');
    expect(run.stderr).toMatch(/require\(\) of ES Module .*maple-gpuvm.* not supported/);
  });
});

/** A strict TypeScript consumer with no DOM lib: the README's calls, typed. */
const CONSUMER = `
import { init, MapleTree, MapleError, GpuVm, MAX_INDEX, remapToUnmapRange, type GpuVa, type GpuVaOp, type GpuVmKey, type WasmSource } from 'maple-gpuvm';
import * as inline from 'maple-gpuvm/inline';
import * as streaming from 'maple-gpuvm/streaming';

const source: WasmSource = new URL('file:///x.wasm');
await init(source);
await inline.init();
await streaming.init(new Uint8Array(8));
const tree = new MapleTree<string>();
tree.storeRange(10, 19, 'a');
const a: string | undefined = tree.load(17);
const found: { first: number; last: number; entry: string } | undefined = tree.find(0);
for (const [first, last, entry] of tree) console.log(first + last, entry.toUpperCase());
const ids = new MapleTree<object>({ allocRange: true });
const at: number = ids.allocRange(4096, {}, 0, MAX_INDEX);
try { tree.insertRange(15, 20, 'c'); } catch (e) { const code: string = (e as MapleError).code; console.log(code); }
const vm = new GpuVm<{ name: string }>({ start: 0, range: 2 ** 47, backend: 'ts' });
vm.insert({ addr: 0x10000, range: 0x4000, obj: { name: 'bo' }, offset: 0 });
const vmStart: number = vm.start;
// A bigint VM: its key type comes from start (or GpuVm's third type argument), and says bigint
// everywhere: VAs, ops and their remnants, VmBos, jobs, callbacks.
const top = new GpuVm({ keys: 'bigint', start: 0n, range: 2n ** 64n, backend: 'ts' });
const typedTop = new GpuVm<{ name: string }, unknown, bigint>({ keys: 'bigint', start: 0n, range: 2n ** 64n });
const hi = typedTop.insert({ addr: 2n ** 64n - 0x4000n, range: 0x4000n, obj: { name: 'hi' }, offset: 0n });
const hiAddr: bigint = hi.addr;
const hiEnd: bigint = hi.end;
const hiJson: bigint = hi.toJSON().offset;
for (const op of typedTop.smUnmapOps(2n ** 64n - 0x3000n, 0x1000n)) {
  if (op.type === 'remap') {
    const vacated: { addr: bigint; range: bigint } = remapToUnmapRange(op);
    const prevOffset: bigint | undefined = op.prev?.offset;
    const old: GpuVa<{ name: string }, bigint> = op.unmap.va;
    console.log(vacated, prevOffset, old);
  }
}
const mapOps: GpuVaOp<{ name: string }, bigint>[] = typedTop.smMapOps({ addr: 0x1000n, range: 0x1000n, obj: { name: 'b' } });
const firstVa: GpuVa<{ name: string }, bigint> | undefined = typedTop.findFirst(0n, 2n ** 63n);
const boVas: bigint[] = typedTop.obtainBo({ name: 'hi' }).vas.map((va) => va.addr);
const jobAddr: bigint = typedTop.prepare({ addr: 0x8000n, range: 0x1000n }).request.addr;
const windowEnd: bigint = top.end;
const stepped = new GpuVm({
  keys: 'bigint', start: 0n, range: 1n << 48n,
  ops: { smStepMap: (op) => { const at: bigint = op.addr; console.log(at); } },
});
const anyKey: GpuVmKey = 0;
// @ts-expect-error a number address on a bigint VM
typedTop.find(0x1000, 0x1000);
// @ts-expect-error a bigint request on a number VM
vm.smMapOps({ addr: 0x1000n, range: 0x1000n });
// @ts-expect-error a bigint VM's addresses are not numbers
const wrongAddr: number = hi.addr;
// @ts-expect-error number keys typed with a bigint window
new GpuVm({ keys: 'number', start: 0n, range: 1n });
// @ts-expect-error a bigint window needs keys: 'bigint'
new GpuVm({ start: 0n, range: 1n });
// @ts-expect-error a number-typed VM (the default) cannot take keys: 'bigint'
new GpuVm<{ name: string }>({ keys: 'bigint', start: 0n, range: 1n });
// @ts-expect-error a number VM's VA cannot be linked in a bigint VM
typedTop.link(vm.insert({ addr: 0, range: 1, obj: { name: 'n' } }), typedTop.obtainBo({ name: 'n' }));
console.log(vmStart, hiAddr, hiEnd, hiJson, mapOps, firstVa, boVas, jobAddr, windowEnd, stepped, anyKey, wrongAddr);
const sameTree: typeof inline.MapleTree = MapleTree;
console.log(a, found, at, sameTree);
export {};
`;

const RESOLUTIONS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

describe('the typings', () => {
  it.each(Object.keys(RESOLUTIONS))('type-check in a strict consumer without the DOM lib (%s resolution)', (name) => {
    writeFileSync(`${packed.dir}consumer.ts`, CONSUMER);
    const config = {
      compilerOptions: {
        ...RESOLUTIONS[name as keyof typeof RESOLUTIONS],
        target: 'ES2022',
        lib: ['ES2022'],
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      files: ['consumer.ts'],
    };
    writeFileSync(`${packed.dir}tsconfig.${name}.json`, JSON.stringify(config));
    const tsc = `${ROOT}node_modules/typescript/bin/tsc`;
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: packed.dir, encoding: 'utf8' });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    expect(output).toBe('');
  });
});
