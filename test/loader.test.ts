// The isomorphic loader: every accepted source, idempotence, shared concurrent promise,
// retry after a failure, the default .wasm next to the built JS, and the error a user gets
// when a WASM tree is created before init(); errors that name the URL or file and say when a
// response is not WebAssembly; string paths relative to the working directory; the inline entry.
import { describe, it, expect, vi, beforeEach, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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

  it('names the URL of a failed fetch', async () => {
    const { load } = await fresh();
    const url = `${await serverBase()}missing.wasm`;
    await expect(load.init(new URL(url))).rejects.toThrow(`fetching the WebAssembly core from ${url} failed: HTTP 404`);
    await expect(load.init(url)).rejects.toThrow(url);
  });

  it('says when the server answers with a page instead of WebAssembly', async () => {
    const { load } = await fresh();
    const url = `${await serverBase()}page.wasm`;
    const error = await load.init(new URL(url)).catch((e: Error) => e);
    expect((error as Error).message).toContain(`${url} is not WebAssembly (content-type text/html`);
    expect((error as Error).message).toContain('starts with 3c 21 64 6f');
    expect(load.wasmBackend()).toBeNull();
  });

  it('says when the bytes are not WebAssembly', async () => {
    const { load } = await fresh();
    await expect(load.init(new Uint8Array([1, 2, 3]))).rejects.toThrow(/bytes passed to init\(\) is not WebAssembly .*starts with 01 02 03/);
    await expect(load.init(new Uint8Array(0))).rejects.toThrow(/starts with nothing/);
    await expect(load.init(42 as never)).rejects.toThrow(/init\(\) takes/);
  });

  it('names the file that cannot be read', async () => {
    const { load } = await fresh();
    await expect(load.init(new URL('file:///nonexistent/maple.wasm'))).rejects.toThrow('file:///nonexistent/maple.wasm');
  });

  it('resolves a string path against the working directory, not the package folder', async () => {
    const { load, tree } = await fresh();
    // Relative to src/wasm/ this would be src/wasm/build/debug.wasm, which does not exist.
    expect(process.cwd()).toBe(new URL('..', import.meta.url).pathname.replace(/\/$/, ''));
    await load.init('build/debug.wasm');
    const t = new tree.MapleTree<number>();
    t.store(3, 3);
    expect(t.load(3)).toBe(3);
  });

  it('MapleTree.create() awaits init() itself', async () => {
    const { load, tree } = await fresh();
    const pending = load.init(bytes());
    const t = await tree.MapleTree.create<number>();
    await pending;
    t.store(5, 5);
    expect(t.load(5)).toBe(5);
  });

  it('the inline entry embeds exactly the release core', async () => {
    const { inlinedWasm } = await import('../src/wasm/inline.js');
    expect(Buffer.from(inlinedWasm()).equals(readFileSync(new URL('../build/release.wasm', import.meta.url)))).toBe(true);
  });

  it('the built package finds dist/maple.wasm on its own', async () => {
    const pkg = await import(new URL('../dist/index.js', import.meta.url).href);
    await pkg.init();
    const t = new pkg.MapleTree();
    t.storeRange(0, 9, 'x');
    expect(t.load(9)).toBe('x');
  });
});

let server: ReturnType<typeof createServer> | undefined;

/** A local server: page.wasm answers with an HTML page (as a misconfigured dev server does), the rest 404. */
async function serverBase(): Promise<string> {
  if (!server) {
    server = createServer((req, res) => {
      if (req.url === '/page.wasm') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>index</p>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  }
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterAll(() => {
  server?.close();
});
