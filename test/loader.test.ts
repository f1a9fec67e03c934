// The isomorphic loader: every accepted source, idempotence, shared concurrent promise,
// retry after a failure, the default .wasm next to the built JS, and the error a user gets
// when a WASM tree is created before init().
import { describe, it, expect, vi, beforeEach } from 'vitest';
import { readFileSync } from 'node:fs';

const wasmUrl = new URL('../build/debug.wasm', import.meta.url);
const bytes = () => readFileSync(wasmUrl);

type LoadModule = typeof import('../src/wasm/load.js');
type TreeModule = typeof import('../src/tree/MapleTree.js');

async function fresh(): Promise<{ load: LoadModule; tree: TreeModule }> {
  vi.resetModules();
  const load = await import('../src/wasm/load.js');
  const tree = await import('../src/tree/MapleTree.js');
  return { load, tree };
}

describe('init()', () => {
  beforeEach(() => vi.resetModules());

  it('a WASM tree before init() throws an Error that says to await init()', async () => {
    const { load, tree } = await fresh();
    expect(load.wasmBackend()).toBeNull();
    expect(() => new tree.MapleTree()).toThrow(/await init\(\)/);
    // The pure-TS backend needs no init().
    const ts = new tree.MapleTree({ backend: 'ts' });
    ts.store(1, 'x');
    expect(ts.load(1)).toBe('x');
  });

  it.each([
    ['bytes', () => bytes()],
    ['an ArrayBuffer', () => new Uint8Array(bytes()).buffer],
    ['a compiled Module', () => new WebAssembly.Module(bytes())],
    ['a file: URL', () => wasmUrl],
    ['a Response', () => new Response(bytes(), { headers: { 'content-type': 'application/wasm' } })],
    ['a Response without the wasm content type', () => new Response(bytes())],
    ['a promise of bytes', () => Promise.resolve(bytes())],
  ])('accepts %s', async (_what, source) => {
    const { load, tree } = await fresh();
    await load.init(source() as never);
    const t = new tree.MapleTree<string>();
    t.storeRange(10, 20, 'a');
    expect(t.load(15)).toBe('a');
    expect(t.backend).toBe('wasm');
  });

  it('is idempotent and concurrent calls share one promise', async () => {
    const { load } = await fresh();
    const a = load.init(bytes());
    const b = load.init(bytes());
    expect(a).toBe(b);
    await a;
    const backend = load.wasmBackend();
    await load.init();
    expect(load.wasmBackend()).toBe(backend);
  });

  it('can be retried after a failed attempt', async () => {
    const { load } = await fresh();
    await expect(load.init(new URL('file:///nonexistent/maple.wasm'))).rejects.toThrow();
    expect(load.wasmBackend()).toBeNull();
    await load.init(bytes());
    expect(load.wasmBackend()).not.toBeNull();
  });

  it('rejects a failed fetch with the HTTP status', async () => {
    const { load } = await fresh();
    await expect(load.init(new Response('nope', { status: 404 }))).rejects.toThrow(/HTTP 404/);
  });

  it('MapleTree.create() awaits init() itself', async () => {
    const { load, tree } = await fresh();
    const pending = load.init(bytes());
    const t = await tree.MapleTree.create<number>();
    await pending;
    t.store(5, 5);
    expect(t.load(5)).toBe(5);
  });

  it('the built package finds dist/maple.wasm on its own', async () => {
    const pkg = await import(new URL('../dist/index.js', import.meta.url).href);
    await pkg.init();
    const t = new pkg.MapleTree();
    t.storeRange(0, 9, 'x');
    expect(t.load(9)).toBe('x');
  });
});
