// The package in browser apps: the packed tarball installed into a fresh folder, an app
// (test/bundlers/app/) bundled by each bundler with no configuration for the WebAssembly core
// (test/bundlers/<name>/build.mjs), then run in headless Chromium. Builds must not warn. The
// default entry embeds the core; the streaming entry fetches it as an asset where the
// bundler supports that, and where it does not (esbuild) the error names the URL.
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, ROOT } from '../package/pack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const FIXTURES = `${ROOT}test/bundlers/`;
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
/** What app.js prints when the README's example ran on the WebAssembly core. */
const EXPECTED = JSON.stringify(['wasm', 'a', 'a', { first: 15, last: 15, entry: 'b' }, 0, true, 'EEXIST', ['remap', 'map']]);

interface Fixture {
  build?(dir: string): Promise<{ outDir: string; warnings: string[] }>;
  serve?(dir: string): Promise<{ url: string; close(): Promise<void> | void }>;
}

let pkgDir = '';
let browser: Browser | undefined;
let caseCount = 0;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`bundler tests: no Chromium at ${CHROMIUM}; install Debian's chromium or set CHROMIUM_PATH`);
  pkgDir = packAndInstall('bundlers').dir;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** A fresh app folder beside the installed package, importing the given entry. */
function appDir(entry: string): string {
  const dir = `${pkgDir}case-${++caseCount}/`;
  cpSync(`${FIXTURES}app/`, dir, { recursive: true });
  writeFileSync(`${dir}package.json`, JSON.stringify({ name: `app-${caseCount}`, private: true, type: 'module' }));
  const app = `${dir}app.js`;
  writeFileSync(app, readFileSync(app, 'utf8').replace("from 'maple-gpuvm'", `from '${entry}'`));
  return dir;
}

/** Serves a build output folder with the usual content types. */
async function serveStatic(root: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith('/') ? `${path}index.html` : path;
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

/** Opens the app, waits for its result; returns it with the page errors and the .wasm requests. */
async function runInChromium(url: string): Promise<{ text: string; errors: string[]; wasmRequests: string[] }> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const wasmRequests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasmRequests.push(r.url());
  });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('out')?.textContent !== '', undefined, { timeout: 30_000 });
  const text = (await page.textContent('#out')) ?? '';
  await context.close();
  return { text, errors, wasmRequests };
}

async function fixture(name: string): Promise<Fixture> {
  return (await import(`${FIXTURES}${name}/build.mjs`)) as Fixture;
}

async function buildAndRun(name: string, entry: string): Promise<{ text: string; errors: string[]; wasmRequests: string[]; warnings: string[]; scriptBytes: number }> {
  const dir = appDir(entry);
  const { outDir, warnings } = await (await fixture(name)).build!(dir);
  // Vite writes its own index.html; the other bundlers only emit the script.
  if (!existsSync(`${outDir}index.html`)) cpSync(`${dir}index.html`, `${outDir}index.html`);
  const server = await serveStatic(outDir);
  try {
    const scriptBytes = existsSync(`${outDir}app.js`) ? statSync(`${outDir}app.js`).size : 0;
    return { ...(await runInChromium(server.url)), warnings, scriptBytes };
  } finally {
    server.close();
  }
}

/**
 * webpack's performance hints: advice that an asset or entry point passes 244 KiB, which the
 * embedded entry does (both WebAssembly builds inline, and the number, shared and 64-bit
 * variants of the TS core). They are the only warnings allowed; the size itself is bounded.
 */
const SIZE_HINT = /^(asset size limit|entrypoint size limit|webpack performance recommendations)/;
/** The bundled app's script, minified: the package's share of it must stay below this. */
const APP_BYTES_MAX = 300 * 1024;

describe.each(['esbuild', 'webpack', 'rollup', 'vite', 'vite6'])('%s build, no configuration', (name) => {
  it('runs the README example on the embedded WebAssembly core, with no build warning but webpack\'s size hints', async () => {
    const run = await buildAndRun(name, 'maple-gpuvm');
    expect(run.errors).toEqual([]);
    expect(run.text).toBe(EXPECTED);
    expect(run.wasmRequests).toEqual([]);
    expect(run.warnings.filter((w) => !(name === 'webpack' && SIZE_HINT.test(w)))).toEqual([]);
    if (name === 'webpack') expect(run.scriptBytes).toBeLessThan(APP_BYTES_MAX);
  });
});

describe.each(['vite', 'vite6'])('%s dev server, no configuration', (name) => {
  it('runs the README example on the embedded WebAssembly core', async () => {
    const server = await (await fixture(name)).serve!(appDir('maple-gpuvm'));
    try {
      const run = await runInChromium(server.url);
      expect(run.errors).toEqual([]);
      expect(run.text).toBe(EXPECTED);
    } finally {
      await server.close();
    }
  });
});

describe.each(['vite', 'webpack'])('maple-gpuvm/streaming with %s', (name) => {
  it('emits maple.wasm as an asset and streams it', async () => {
    const run = await buildAndRun(name, 'maple-gpuvm/streaming');
    expect(run.errors).toEqual([]);
    expect(run.text).toBe(EXPECTED);
    expect(run.wasmRequests.length).toBe(1);
    expect(run.warnings).toEqual([]);
  });
});

describe('maple-gpuvm/streaming with esbuild (which leaves the asset URL alone)', () => {
  it('fails with an error that names the URL it fetched', async () => {
    const run = await buildAndRun('esbuild', 'maple-gpuvm/streaming');
    expect(run.text).toMatch(/^error: maple-gpuvm: fetching the WebAssembly core from http:\/\/127\.0\.0\.1:\d+\/maple\.wasm failed: HTTP 404$/);
  });
});
