// Real-browser tests of the demo (demo/): Vite serves the pages, playwright-core drives
// Debian's Chromium (/usr/bin/chromium; `.ci/run` installs it when it is missing).
// Every page is loaded, used through its controls, checked, and photographed into
// screenshots/ (git-ignored). Any page error, console error or request leaving 127.0.0.1
// fails the test. The production build (`vite build`) is tested too, served by Vite's
// preview and by demo/static-server.mjs. Needs `npm run build` first (the pages import the
// built package).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { createStaticServer, ISOLATION_HEADERS } from '../../demo/static-server.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = `${ROOT}screenshots/`;
const CONFIG = `${ROOT}demo/vite.config.mjs`;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: ViteDevServer | undefined;
let browser: Browser | undefined;
let base = '';

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Page errors, console errors, failed and external requests, in order. */
  problems: string[];
}

/** The origin a server listens on, as a base URL ending in '/'. */
function baseOf(address: string | AddressInfo | null | undefined, who: string): string {
  if (!address || typeof address !== 'object') throw new Error(`browser tests: ${who} did not report its port`);
  return `http://127.0.0.1:${address.port}/`;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    const message = [
      '',
      '======================================================================',
      ` BROWSER TESTS CANNOT RUN: no Chromium at ${CHROMIUM}.`,
      ' Install Debian\'s chromium package (apt-get install chromium), or set',
      ' CHROMIUM_PATH. CI (.ci/run) installs it before `npm test`.',
      '======================================================================',
      '',
    ].join('\n');
    console.error(message);
    throw new Error(message);
  }
  for (const file of ['dist/index.streaming.js', 'dist/maple.wasm']) {
    if (!existsSync(ROOT + file)) throw new Error(`browser tests: ${file} is missing; run \`npm run build\` first`);
  }
  mkdirSync(SHOTS, { recursive: true });
  // The demo's own Vite config, on a free port, without file watching or HMR (a rebuild of
  // dist/ elsewhere must not reload a page under test).
  server = await createServer({
    configFile: CONFIG,
    logLevel: 'warn',
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false, watch: null },
  });
  await server.listen();
  base = baseOf(server.httpServer?.address(), 'Vite');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh browser context (its own localStorage) that records problems and stays offline. */
async function newContext(origin: string): Promise<{ context: BrowserContext; problems: string[] }> {
  if (!browser) throw new Error('browser tests: Chromium did not start');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  // Offline: nothing may be fetched from anywhere but the demo server.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) await route.continue();
    else {
      problems.push(`external request: ${url}`);
      await route.abort();
    }
  });
  return { context, problems };
}

/** Opens a page of the demo in the context and waits until it says it is ready. */
async function openIn(context: BrowserContext, problems: string[], url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return page;
}

async function open(path: string, origin = base): Promise<Opened> {
  const { context, problems } = await newContext(origin);
  const page = await openIn(context, problems, origin + path);
  return { page, context, problems };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

async function isolated(page: Page): Promise<boolean> {
  return page.evaluate(() => globalThis.crossOriginIsolated);
}

/** The numbers in a text: 0x hex literals and decimal runs (digits inside names like heap0 are not numbers). */
function numbersIn(text: string): string[] {
  return text.match(/\b(0x[0-9a-f]+|\d+)\b/gi) ?? [];
}

/**
 * The text of every place the GPU VA page shows addresses, sizes or offsets (the trace's labels
 * also count tiles, which stay decimal; their offsets are checked on their own).
 */
async function gpuvmNumberTexts(page: Page): Promise<string> {
  const parts = await Promise.all(['#va-table tbody', '#ops', '#addrbar', '#view-text', '#picture svg'].map(async (sel) => (await texts(page, sel)).join(' ')));
  return parts.join(' ');
}

/** [BO name, swatch colour] of each row of the GPU VA page's mapping table. */
async function boColours(page: Page): Promise<Map<string, string>> {
  const rows = await page.$$eval('#va-table tbody tr', (trs) => trs.map((tr) => {
    const cell = (tr as HTMLTableRowElement).cells[3];
    const swatch = cell.querySelector('.swatch');
    return [cell.textContent ?? '', swatch ? getComputedStyle(swatch).backgroundColor : ''] as [string, string];
  }));
  return new Map(rows);
}

/** The response headers of a page or asset, fetched from Node. */
async function headersOf(url: string): Promise<Headers> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  await res.arrayBuffer();
  return res.headers;
}

function expectIsolationHeaders(headers: Headers, url: string): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) expect(headers.get(name), `${name} of ${url}`).toBe(value);
}

/** How long a test lets the Workers page run: every worker reports several times meanwhile. */
const WORKERS_RUN_MS = 3000;
const WORKERS_STATE_TIMEOUT_MS = 30_000;

interface WorkersRow {
  role: string;
  reads: number;
  rewalks: number;
  writes: number;
  violations: number;
}

interface WorkersRun {
  /** Summed live rates while the workers ran. */
  liveReadRate: number;
  liveWriteRate: number;
  violations: number;
  rows: WorkersRow[];
  status: string;
  error: string;
}

/** A number the Workers page shows in a stat (its data-value). */
async function workersStat(page: Page, id: string): Promise<number> {
  return Number(await page.getAttribute(`#${id}`, 'data-value'));
}

/** Starts the Workers page with `readers` readers, waits for live rates, runs, stops, and reads the page. */
async function runWorkersPage(page: Page, readers: number, runMs = WORKERS_RUN_MS): Promise<WorkersRun> {
  await page.selectOption('#workers-readers', String(readers));
  await page.click('#workers-start');
  await page.waitForSelector('#workers-status[data-state="running"]', { timeout: WORKERS_STATE_TIMEOUT_MS });
  await expect.poll(() => workersStat(page, 'stat-read-rate'), { timeout: WORKERS_STATE_TIMEOUT_MS }).toBeGreaterThan(0);
  await expect.poll(() => workersStat(page, 'stat-write-rate'), { timeout: WORKERS_STATE_TIMEOUT_MS }).toBeGreaterThan(0);
  const liveReadRate = await workersStat(page, 'stat-read-rate');
  const liveWriteRate = await workersStat(page, 'stat-write-rate');
  await page.waitForTimeout(runMs);
  await page.click('#workers-stop');
  await page.waitForSelector('#workers-status:is([data-state="done"], [data-state="error"])', { timeout: WORKERS_STATE_TIMEOUT_MS });
  const rows = await page.$$eval('#workers-table tbody tr', (trs) => trs.map((tr) => {
    // Columns: worker, agent id, reads/s, writes/s, reads, walks, dead-node retries, writes, violations.
    const cell = (i: number) => Number(((tr as HTMLTableRowElement).cells[i].textContent ?? '').replace(/,/g, ''));
    return { role: tr.getAttribute('data-role') ?? '', reads: cell(4), rewalks: cell(6), writes: cell(7), violations: cell(8) };
  }));
  return {
    liveReadRate,
    liveWriteRate,
    violations: await workersStat(page, 'stat-violations'),
    rows,
    status: (await page.textContent('#workers-status')) ?? '',
    error: (await page.textContent('#error')) ?? '',
  };
}

/** What a correct run of the Workers page shows: every worker worked, and no reader saw a violation. */
function expectCleanWorkersRun(run: WorkersRun, readers: number): void {
  expect(run.error).toBe('');
  expect(run.status).toMatch(/validate\(\) passed/);
  expect(run.liveReadRate).toBeGreaterThan(0);
  expect(run.liveWriteRate).toBeGreaterThan(0);
  expect(run.rows.map((r) => r.role)).toEqual([...Array(readers).fill('reader'), 'writer']);
  for (const row of run.rows.filter((r) => r.role === 'reader')) expect(row.reads).toBeGreaterThan(0);
  expect(run.rows.at(-1)?.writes).toBeGreaterThan(0);
  for (const row of run.rows) expect(Number.isInteger(row.rewalks) && row.rewalks >= 0).toBe(true);
  expect(run.violations).toBe(0);
  for (const row of run.rows) expect(row.violations).toBe(0);
}

const opTypes = (page: Page) => page.locator('#ops > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')));

describe('demo in Chromium', () => {
  it('landing page loads the WebAssembly core from the package, cross-origin isolated', async () => {
    const { page, context, problems } = await open('index.html');
    await expect.poll(() => page.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    expect(await isolated(page)).toBe(true);
    await shot(page, 'index');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('dev server sends COOP / COEP on pages, modules and the .wasm', async () => {
    for (const path of ['gpuvm.html', 'maple.html', 'bench.html', 'workers.html', 'src/gpuvm.js', 'src/workers-agent.js', '@fs' + ROOT + 'dist/maple.wasm']) {
      expectIsolationHeaders(await headersOf(base + path), path);
    }
  });

  it('GPU VA page: lands on case 11; step-through, undo, callbacks, errors, drag, trace', async () => {
    const { page, context, problems } = await open('gpuvm.html');
    await expect.poll(() => page.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    expect(await isolated(page)).toBe(true);

    // On arrival the default preset (kernel-doc case 11) has run: nothing to click first.
    const ops = page.locator('#ops > li');
    expect(await opTypes(page)).toEqual(['remap', 'map']);
    expect(await page.inputValue('#preset')).toBe('case11');
    expect(new URL(page.url()).searchParams.get('preset')).toBe('case11');
    expect(await page.locator('#picture svg').count()).toBe(1);
    await shot(page, 'gpuvm-landing');

    // Kernel-doc case 11 again, through the controls: request centred inside the old mapping, other BO.
    await page.selectOption('#preset', 'case11');
    await page.click('#preset-run');
    await expect.poll(() => ops.count()).toBe(2);
    expect(await opTypes(page)).toEqual(['remap', 'map']);
    const remap = ops.nth(0);
    expect(await remap.locator('[data-part="unmap"] .val').textContent()).toBe('[0, 48) A @1000');
    expect(await remap.locator('[data-part="prev"] .val').textContent()).toBe('[0, 16) A @1000');
    expect(await remap.locator('[data-part="next"] .val').textContent()).toBe('[32, 48) A @1032');
    expect(await remap.locator('[data-part="hole"] .val').textContent()).toBe('[16, 32)');
    expect(await remap.locator('[data-part="keep"]').textContent()).toBe('keep=false');
    expect(await ops.nth(1).locator('[data-part="map"]').textContent()).toBe('[16, 32) B @5000');
    expect(await page.textContent('#step-pos')).toContain('2 / 2 ops applied');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['01616A1000', '163216B5000', '324816A1032']);
    expect(await page.locator('#picture svg').count()).toBe(1);
    await shot(page, 'gpuvm-case11');

    // Step back to before the request, then forward op by op.
    await page.click('#step-back');
    await page.click('#step-back');
    expect(await page.textContent('#step-pos')).toContain('0 / 2 ops applied');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['04848A1000']);
    await page.click('#step-fwd');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['01616A1000', '324816A1032']);
    await shot(page, 'gpuvm-case11-step1');
    await page.click('#step-fwd');
    expect(await texts(page, '#va-table tbody tr')).toHaveLength(3);
    await page.click('#undo');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['04848A1000']);

    // Callback mode: smMap calls smStepRemap then smStepMap, which apply the ops.
    await page.check('#mode-callback');
    await page.click('#preset-run');
    await expect.poll(() => ops.count()).toBe(2);
    const log = (await page.textContent('#callback-log')) ?? '';
    expect(log.split('\n').map((l) => l.split('(')[0])).toEqual(['smStepRemap', 'smStepMap']);
    expect(await texts(page, '#va-table tbody tr')).toHaveLength(3);
    await page.check('#mode-list');

    // An invalid request: the library's MapleError is shown, nothing changes.
    await page.fill('#req-range', '0');
    await page.click('#req-submit');
    const error = (await page.textContent('#error')) ?? '';
    expect(error).toContain('MapleError EINVAL (-22)');
    expect(error).toContain('GpuVm.smMapOps');
    expect(await texts(page, '#va-table tbody tr')).toHaveLength(3);

    // Click-and-drag on the address bar picks the request range (view [0, 80), snap 16).
    const box = await page.locator('#addrbar').boundingBox();
    if (!box) throw new Error('no address bar');
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5, { steps: 4 });
    await page.mouse.up();
    expect(await page.inputValue('#req-addr')).toBe('16');
    expect(await page.inputValue('#req-range')).toBe('32');
    await page.fill('#req-bo', 'C');
    await page.fill('#req-offset', '7000');
    await page.click('#req-submit');
    expect(await page.textContent('#error')).toBe('');
    // [16, 48) covers B and the A@1032 remnant exactly: two unmaps, then the map.
    expect(await opTypes(page)).toEqual(['unmap', 'unmap', 'map']);

    // The same case on the ts backend gives the same ops.
    await page.selectOption('#backend', 'ts');
    await page.click('#preset-run');
    expect(await ops.evaluateAll((lis) => lis.map((li) => li.textContent))).toEqual([
      'appliedremapkeep=falseunmap[0, 48) A @1000prev[0, 16) A @1000next[32, 48) A @1032hole[16, 32)',
      'appliedmap[16, 32) B @5000',
    ]);
    expect(await page.textContent('#picture-caption')).toContain('ts backend');
    await page.selectOption('#backend', 'wasm');

    // The preset outside the VM window: EINVAL before any op.
    await page.selectOption('#preset', 'err-window');
    await page.click('#preset-run');
    expect(await page.textContent('#error')).toContain('MapleError EINVAL (-22)GpuVm.smMapOps: [120, 136) is outside the managed window [0, 128)');
    expect(await page.locator('#va-table tbody tr').count()).toBe(0);

    // The sparse texture rebind trace, in hex: step 5 rebinds tiles 2-5 across two mappings.
    await page.check('#base-hex');
    await page.click('#trace-start');
    for (let i = 0; i < 5; i++) await page.click('#trace-next');
    expect(await opTypes(page)).toEqual(['remap', 'remap', 'map']);
    expect(await ops.nth(0).locator('[data-part="prev"] .val').textContent()).toBe('[0x1000000, 0x1020000) heap0 @0x0');
    expect(await ops.nth(1).locator('[data-part="next"] .val').textContent()).toBe('[0x1060000, 0x1080000) heap0 @0x60000');
    expect(await ops.nth(2).locator('[data-part="map"]').textContent()).toBe('[0x1020000, 0x1060000) heap1 @0x40000');
    expect(await texts(page, '#trace-list li')).toContain('Rebind tiles 2–5 to heap1 @0x40000 (two remaps)');
    await shot(page, 'gpuvm-trace');

    // The same state in decimal: every number on the page switches, the trace labels too.
    await page.check('#base-dec');
    expect(await ops.nth(0).locator('[data-part="prev"] .val').textContent()).toBe('[16777216, 16908288) heap0 @0');
    expect(await texts(page, '#trace-list li')).toContain('Rebind tiles 2–5 to heap1 @262144 (two remaps)');
    expect(await page.inputValue('#vm-range')).toBe(String(0x4000000));

    expect(problems).toEqual([]);
    await context.close();
  });

  it('GPU VA page: bind queue — submit 3, run them in order against the changed VM, budget back to 0 reserved', async () => {
    const { page, context, problems } = await open('gpuvm.html');
    const rows = page.locator('#queue-table tbody tr');
    const reserved = async () => Number(numbersIn((await page.textContent('#budget-text [data-part="reserved"]')) ?? '')[0]);
    const submit = async (kind: 'map' | 'unmap', addr: number, range: number, bo = '', offset = 0) => {
      await page.check(kind === 'map' ? '#kind-map' : '#kind-unmap');
      await page.fill('#req-addr', String(addr));
      await page.fill('#req-range', String(range));
      await page.fill('#req-bo', bo);
      await page.fill('#req-offset', String(offset));
      await page.click('#queue-submit');
    };
    // Lands on kernel-doc case 11: [0, 16) A, [16, 32) B, [32, 48) A.
    expect(await texts(page, '#va-table tbody tr')).toHaveLength(3);
    expect(await reserved()).toBe(0);
    await submit('map', 8, 32, 'C', 0);
    await submit('unmap', 12, 12);
    await submit('map', 0, 64, 'D', 100);
    expect(await page.textContent('#error')).toBe('');
    expect(await rows.count()).toBe(3);
    const held = (await texts(page, '#queue-table [data-part="nodes"]')).map(Number);
    expect(held.every((n) => n > 0)).toBe(true);
    expect(await reserved()).toBe(held[0] + held[1] + held[2]);
    // Nothing ran yet: the VAs are as they were, every job saw the same three.
    expect(await texts(page, '#va-table tbody tr')).toHaveLength(3);
    const atSubmit = await rows.nth(1).locator('td').nth(4).textContent();
    expect(atSubmit).toBe('2 VAs in range → remap, remap');
    await shot(page, 'gpuvm-queue-submitted');

    // Job 1 maps C over [8, 40): job 2's range [12, 24) now lies inside C alone.
    await page.click('#queue-run-next');
    expect(await rows.nth(0).getAttribute('data-state')).toBe('done');
    expect(await rows.nth(1).locator('td').nth(5).textContent()).toBe('');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['088A1000', '84032C0', '40488A1040']);
    expect(await reserved()).toBe(held[1] + held[2]);
    await page.click('#queue-run-all');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-state')))).toEqual(['done', 'done', 'done']);
    expect(await rows.nth(1).locator('td').nth(5).textContent()).toBe('1 VA in range → remap');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['06464D100']);
    expect(await opTypes(page)).toEqual(['unmap', 'unmap', 'unmap', 'unmap', 'map']);
    expect(await reserved()).toBe(0);

    // A cancelled job returns its nodes; a refused request reserves nothing.
    await submit('map', 100, 4, 'E');
    expect(await reserved()).toBeGreaterThan(0);
    await page.click('#queue-table .queue-cancel');
    expect(await rows.nth(3).getAttribute('data-state')).toBe('cancelled');
    await submit('map', 100, 0, 'E');
    expect(await page.textContent('#error')).toContain('MapleError EINVAL (-22)');
    expect(await rows.count()).toBe(4);
    expect(await reserved()).toBe(0);
    expect(await page.getAttribute('#budget', 'aria-valuemax')).toBe('1000');
    await shot(page, 'gpuvm-queue-ran');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('number base: one at a time on every number, kept in the URL and for the next page', async () => {
    const { page, context, problems } = await open('gpuvm.html');
    await page.click('#trace-start');
    for (let i = 0; i < 5; i++) await page.click('#trace-next');
    const decimal = numbersIn(await gpuvmNumberTexts(page));
    expect(decimal.length).toBeGreaterThan(20);
    expect(decimal.filter((n) => n.startsWith('0x'))).toEqual([]);

    await page.check('#base-hex');
    const hex = numbersIn(await gpuvmNumberTexts(page));
    expect(hex.length).toBeGreaterThan(20);
    expect(hex.filter((n) => !n.startsWith('0x'))).toEqual([]);
    for (const id of ['#req-addr', '#req-range', '#req-offset', '#vm-start', '#vm-range']) expect(await page.inputValue(id)).toMatch(/^0x[0-9a-f]+$/);
    expect(new URL(page.url()).searchParams.get('base')).toBe('hex');

    // A reload (same URL) lands on the default preset, in hex.
    await page.goto(base + 'gpuvm.html?base=hex');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.isChecked('#base-hex')).toBe(true);
    expect(await texts(page, '#va-table tbody tr')).toEqual(['0x00x100x10A0x3e8', '0x100x200x10B0x1388', '0x200x300x10A0x408']);

    // Another page of the demo, without ?base=: the stored choice.
    const maple = await openIn(context, problems, base + 'maple.html');
    expect(await maple.isChecked('#base-hex')).toBe(true);
    expect(await maple.locator('.tnode.leaf >> nth=0 >> tr >> nth=0').textContent()).toBe('00x0–0x5e1');
    expect(await maple.locator('.tnode >> nth=0 >> header').textContent()).toMatch(/@0x[0-9a-f]+$/);
    // Keys, ranges and gaps follow the base; slot numbers and end= (positions in a node) stay decimal.
    const mapleHex = numbersIn((await texts(maple, '.tnode td.r, .tnode td.g, .tnode .span')).join(' ').replace(/end=\d+/g, ''));
    expect(mapleHex.filter((n) => !n.startsWith('0x'))).toEqual([]);
    await shot(maple, 'maple-hex');

    // The URL wins over the stored choice.
    const dec = await openIn(context, problems, base + 'gpuvm.html?base=dec');
    expect(await dec.isChecked('#base-dec')).toBe(true);
    expect(await texts(dec, '#va-table tbody tr')).toEqual(['01616A1000', '163216B5000', '324816A1032']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('GPU VA page: a BO keeps its colour whatever the preset and the order it appears in', async () => {
    // First load: case 11 on arrival (A, B), then the trace (heap0 before heap1).
    const first = await open('gpuvm.html');
    const seen = await boColours(first.page);
    await first.page.click('#trace-start');
    for (let i = 0; i < 4; i++) await first.page.click('#trace-next');
    for (const [name, colour] of await boColours(first.page)) seen.set(name, colour);
    for (const name of ['A', 'B', 'heap0', 'heap1']) expect(seen.get(name), name).toMatch(/^rgb/);
    expect(new Set(['A', 'B', 'heap0', 'heap1'].map((n) => seen.get(n))).size).toBe(4);
    await first.context.close();

    // Second load: ?preset= runs that preset on arrival (case 7: A's front, then B), then
    // heap1 is met before heap0.
    const { page, context, problems } = await open('gpuvm.html?preset=case7');
    expect(await page.inputValue('#preset')).toBe('case7');
    expect(await texts(page, '#va-table tbody tr')).toEqual(['01616A1000', '163216B5000']);
    const again = await boColours(page);
    await page.click('#vm-reset');
    for (const [addr, bo] of [['0', 'heap1'], ['16', 'heap0']]) {
      await page.fill('#req-addr', addr);
      await page.fill('#req-range', '16');
      await page.fill('#req-bo', bo);
      await page.click('#req-insert');
    }
    for (const [name, colour] of await boColours(page)) again.set(name, colour);
    for (const name of ['A', 'B', 'heap0', 'heap1']) expect(again.get(name), name).toBe(seen.get(name));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('maple tree page: lands on a three-level tree; the node view scrolls and zooms', async () => {
    const { page, context, problems } = await open('maple.html');
    expect(await isolated(page)).toBe(true);
    expect(await page.inputValue('#preset')).toBe('append200');
    expect(Number(await page.textContent('#stat-entries'))).toBe(200);
    expect(Number(await page.textContent('#stat-height'))).toBe(3);
    expect(await page.locator('.tree-level').count()).toBe(3);
    const leaves = await page.locator('.tnode.leaf').count();
    expect(leaves).toBe(Number(await page.textContent('#stat-nodes')) - (await page.locator('.tnode.arange').count()));
    await shot(page, 'maple-landing');

    // At 100% the leaves are wider than the view: it scrolls, and the last leaf can be reached.
    const viewport = page.locator('#tree-viewport');
    const size = () => viewport.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    const at100 = await size();
    expect(at100.scroll).toBeGreaterThan(at100.client * 2);
    await viewport.evaluate((el) => {
      el.scrollLeft = el.scrollWidth;
    });
    const view = await viewport.boundingBox();
    const last = await page.locator('.tnode.leaf').last().boundingBox();
    if (!view || !last) throw new Error('no node view');
    expect(last.x).toBeGreaterThanOrEqual(view.x);
    expect(last.x + last.width).toBeLessThanOrEqual(view.x + view.width + 1);

    // Fit: every level fits the width, nothing is cut off.
    await page.click('#tree-zoom-fit');
    const fitted = await size();
    expect(fitted.scroll).toBeLessThanOrEqual(fitted.client + 1);
    const fitPercent = Number.parseInt((await page.textContent('#tree-zoom-level')) ?? '', 10);
    expect(fitPercent).toBeGreaterThan(0);
    expect(fitPercent).toBeLessThan(100);
    for (const card of [page.locator('.tnode.leaf').first(), page.locator('.tnode.leaf').last()]) {
      const b = await card.boundingBox();
      const v = await viewport.boundingBox();
      if (!b || !v) throw new Error('no node card');
      expect(b.x).toBeGreaterThanOrEqual(v.x);
      expect(b.x + b.width).toBeLessThanOrEqual(v.x + v.width + 1);
    }
    await shot(page, 'maple-fit');
    await page.click('#tree-zoom-in');
    expect(Number.parseInt((await page.textContent('#tree-zoom-level')) ?? '', 10)).toBeGreaterThan(fitPercent);
    await page.click('#tree-zoom-reset');
    expect(await page.textContent('#tree-zoom-level')).toBe('100%');
    expect((await size()).scroll).toBe(at100.scroll);

    // Every preset builds a valid tree without an error.
    const presets = await page.locator('#preset option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(presets.length).toBeGreaterThanOrEqual(5);
    for (const id of presets) {
      await page.selectOption('#preset', id);
      await page.click('#preset-run');
      expect(await page.textContent('#error'), id).toBe('');
      expect(new URL(page.url()).searchParams.get('preset')).toBe(id);
      await page.click('#tree-validate');
      expect(await page.textContent('#validate-status'), id).toContain('every invariant holds');
    }
    // The random preset exercises the store types beyond appends and splits.
    await page.selectOption('#preset', 'random');
    await page.click('#preset-run');
    const seen = await page.locator('#store-types .st.seen').count();
    expect(seen).toBeGreaterThanOrEqual(5);
    await shot(page, 'maple-random');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('maple tree page: 40 stores through the form build a two-level tree', async () => {
    const { page, context, problems } = await open('maple.html?preset=empty');
    expect(await page.inputValue('#preset')).toBe('empty');
    expect(Number(await page.textContent('#stat-entries'))).toBe(0);
    expect(await page.textContent('#tree-view')).toContain('The tree is empty');
    for (let i = 0; i < 40; i++) {
      await page.fill('#st-first', String(i * 10));
      await page.fill('#st-last', String(i * 10 + 5));
      await page.click('#st-store');
    }
    expect(await page.textContent('#error')).toBe('');
    expect(Number(await page.textContent('#stat-entries'))).toBe(40);
    const height = Number(await page.textContent('#stat-height'));
    expect(height).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.tree-level').count()).toBe(height);
    const leaves = await page.locator('.tnode.leaf').count();
    expect(leaves).toBeGreaterThanOrEqual(3);
    // Gap tracking is on: the internal nodes are arange nodes showing gaps.
    expect(await page.locator('.tnode.arange').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('.tnode.arange td.g').count()).toBeGreaterThanOrEqual(leaves);
    // Every leaf slot with an entry shows it; e1 is [0, 5].
    const firstLeafRows = await texts(page, '.tnode.leaf >> nth=0 >> tr');
    expect(firstLeafRows[0]).toBe('00–5e1');
    // Store types: the first write into the empty tree, appends, and splits when leaves fill.
    const count = async (type: string) => Number(await page.getAttribute(`#store-types .st[data-type="${type}"]`, 'data-count'));
    expect(await count('store-root')).toBe(1);
    expect(await count('append')).toBeGreaterThan(20);
    expect(await count('split-store')).toBeGreaterThanOrEqual(leaves - 1);
    let total = 0;
    for (const type of ['store-root', 'append', 'split-store', 'exact-fit', 'slot-store', 'node-store', 'rebalance', 'spanning-store']) total += await count(type);
    expect(total).toBe(40);
    await shot(page, 'maple-40');

    // A write across leaves is a spanning store; the log and the "last write" agree.
    await page.fill('#st-first', '3');
    await page.fill('#st-last', '200');
    await page.fill('#st-entry', 'span');
    await page.click('#st-store');
    expect(await page.textContent('#stat-last')).toBe('spanning-store');
    expect(await count('spanning-store')).toBe(1);
    expect(await page.textContent('#log li:first-child')).toContain('storeRange(3, 200, "span")');

    // insertRange over an entry: the library's MapleError, and the tree is unchanged.
    const entriesBefore = await page.textContent('#stat-entries');
    await page.fill('#st-first', '300');
    await page.fill('#st-last', '301');
    await page.click('#st-insert');
    const error = (await page.textContent('#error')) ?? '';
    expect(error).toContain('MapleError EEXIST (-17)');
    expect(error).toContain('MapleTree.insertRange');
    expect(await page.textContent('#stat-entries')).toBe(entriesBefore);

    // allocRange finds the lowest free range of size 4.
    await page.fill('#al-size', '4');
    await page.click('#al-low');
    expect(await page.textContent('#log li:first-child')).toMatch(/allocRange\(4, "a\d+", 0, 1000\) → 206/);
    await page.click('#tree-validate');
    expect(await page.textContent('#validate-status')).toContain('every invariant holds');
    await shot(page, 'maple-after');

    expect(problems).toEqual([]);
    await context.close();
  });

  for (const backend of ['wasm', 'ts']) {
    it(`workers page (${backend}): 2 lock-free readers and a writer on one shared tree, no violations`, async () => {
      const { page, context, problems } = await open(`workers.html?backend=${backend}`);
      expect(await isolated(page)).toBe(true);
      const run = await runWorkersPage(page, 2);
      expectCleanWorkersRun(run, 2);
      expect(run.status).toContain(`${backend} tree`);
      await shot(page, `workers-${backend}`);
      expect(problems).toEqual([]);
      await context.close();
    });
  }

  it('workers page: the main thread cannot block — its lock() polls and throws EBUSY while the writer holds the lock', async () => {
    const { page, context, problems } = await open('workers.html');
    await page.selectOption('#workers-readers', '1');
    await page.click('#workers-start');
    await page.waitForSelector('#workers-status[data-state="running"]', { timeout: WORKERS_STATE_TIMEOUT_MS });
    await page.click('#lock-try');
    await page.waitForSelector('#lock-result:is([data-state="done"], [data-state="error"])', { timeout: WORKERS_STATE_TIMEOUT_MS });
    const result = (await page.textContent('#lock-result')) ?? '';
    expect(result).toMatch(/while the writer held it: EBUSY after (\d[\d,]*) ms/);
    expect(Number(/EBUSY after (\d+) ms/.exec(result)?.[1])).toBeGreaterThanOrEqual(1000);
    expect(result).toMatch(/once it let go: got the lock after \d+ ms/);
    expect(await page.getAttribute('#lock-result', 'data-state')).toBe('done');
    await page.click('#workers-stop');
    await page.waitForSelector('#workers-status[data-state="done"]', { timeout: WORKERS_STATE_TIMEOUT_MS });
    expect(await page.textContent('#workers-status')).toMatch(/validate\(\) passed/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('workers page: a faulty writer (entries one index short) makes the readers count violations', async () => {
    const { page, context, problems } = await open('workers.html?faulty-writer=1');
    const run = await runWorkersPage(page, 1, 0);
    expect(run.status).toMatch(/validate\(\) passed/);
    expect(run.violations).toBeGreaterThan(0);
    expect(await page.textContent('#workers-violation')).toMatch(/first violation \(reader 1\)/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('benchmark page: runs W1/W2/W4 on both backends in a worker', async () => {
    const { page, context, problems } = await open('bench.html?quick=1');
    expect(await isolated(page)).toBe(true);
    await page.click('#bench-run');
    await page.waitForSelector('#bench-status[data-state="done"]', { timeout: 30_000 });
    expect(await page.getAttribute('#bench-progress', 'value')).toBe(await page.getAttribute('#bench-progress', 'max'));
    for (const w of ['W1', 'W2', 'W4']) {
      for (const b of ['wasm', 'ts']) {
        const cell = (await page.textContent(`#results tr[data-workload="${w}"] td[data-backend="${b}"]`)) ?? '';
        expect(Number(cell), `${w} ${b}: ${cell}`).toBeGreaterThan(0);
      }
    }
    // The chart the full benchmark writes (bench/chart-svg.mjs): a log-scale bar per workload and backend.
    expect(await page.locator('#chart svg rect.bar').count()).toBe(6);
    expect(await page.locator('#chart svg rect.bar[data-series="wasm"]').count()).toBe(3);
    expect(await page.textContent('#chart svg')).toContain('log scale');
    expect(await page.textContent('#results tr[data-workload="W2"]')).toContain('hits');
    // One run of N = 2,000 is far too short to be steady: the page says so, per figure.
    expect(await page.isVisible('#bench-warning')).toBe(true);
    const warning = (await page.textContent('#bench-warning')) ?? '';
    expect(warning).toContain('Not steady enough to compare');
    expect(warning).toMatch(/W1 wasm \(shortest run \d+ ms\)/);
    await shot(page, 'bench');
    expect(problems).toEqual([]);
    await context.close();
  });
});

// The production build, as a deployment serves it: `vite build` into a temporary folder,
// then served by demo/static-server.mjs and by `vite preview`.
describe('demo from the static build', () => {
  let outDir = '';
  let files: Server | undefined;
  let vitePreview: PreviewServer | undefined;
  let staticBase = '';
  let previewBase = '';

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'maple-gpuvm-demo-'));
    await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const listening = createStaticServer(outDir);
    await new Promise<void>((done) => listening.listen(0, '127.0.0.1', done));
    files = listening;
    staticBase = baseOf(listening.address(), 'the static server');
    vitePreview = await preview({ configFile: CONFIG, logLevel: 'warn', build: { outDir }, preview: { port: 0, strictPort: false, host: '127.0.0.1' } });
    previewBase = baseOf(vitePreview.httpServer.address(), 'vite preview');
  }, 120_000);

  afterAll(async () => {
    await vitePreview?.close();
    if (files) await new Promise((done) => files?.close(done));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('the build holds every page, its scripts and the .wasm', () => {
    const names = readdirSync(outDir);
    for (const page of ['index.html', 'gpuvm.html', 'maple.html', 'bench.html', 'workers.html']) expect(names).toContain(page);
    const assets = readdirSync(join(outDir, 'assets'));
    expect(assets.filter((f) => f.endsWith('.wasm'))).toHaveLength(1);
    for (const worker of ['bench-worker', 'workers-agent']) expect(assets.some((f) => f.startsWith(worker) && f.endsWith('.js')), worker).toBe(true);
  });

  it('the static server sends COOP / COEP everywhere and the .wasm as application/wasm', async () => {
    const wasm = readdirSync(join(outDir, 'assets')).find((f) => f.endsWith('.wasm'));
    for (const path of ['index.html', 'gpuvm.html', 'maple.html', 'bench.html', 'workers.html', `assets/${wasm}`]) {
      expectIsolationHeaders(await headersOf(staticBase + path), path);
    }
    expect((await headersOf(`${staticBase}assets/${wasm}`)).get('content-type')).toBe('application/wasm');
    expect((await fetch(`${staticBase}missing.html`)).status).toBe(404);
    expect((await fetch(`${staticBase}%2e%2e/package.json`)).status).toBe(404);
  });

  it('every page runs from the static server, cross-origin isolated, on the WebAssembly core', async () => {
    const { context, problems } = await newContext(staticBase);
    const index = await openIn(context, problems, staticBase + 'index.html');
    await expect.poll(() => index.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    expect(await isolated(index)).toBe(true);

    const gpuvm = await openIn(context, problems, staticBase + 'gpuvm.html');
    expect(await isolated(gpuvm)).toBe(true);
    expect(await gpuvm.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    expect(await opTypes(gpuvm)).toEqual(['remap', 'map']);
    expect(await texts(gpuvm, '#va-table tbody tr')).toEqual(['01616A1000', '163216B5000', '324816A1032']);
    await shot(gpuvm, 'static-gpuvm');

    const maple = await openIn(context, problems, staticBase + 'maple.html');
    expect(await isolated(maple)).toBe(true);
    expect(await maple.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    expect(Number(await maple.textContent('#stat-entries'))).toBe(200);
    expect(await maple.locator('.tree-level').count()).toBe(3);
    await shot(maple, 'static-maple');

    const bench = await openIn(context, problems, staticBase + 'bench.html?quick=1');
    expect(await isolated(bench)).toBe(true);
    await bench.click('#bench-run');
    await bench.waitForSelector('#bench-status[data-state="done"]', { timeout: 30_000 });
    for (const b of ['wasm', 'ts']) expect(Number(await bench.textContent(`#results tr[data-workload="W1"] td[data-backend="${b}"]`))).toBeGreaterThan(0);
    await shot(bench, 'static-bench');

    for (const backend of ['wasm', 'ts']) {
      const workers = await openIn(context, problems, `${staticBase}workers.html?backend=${backend}`);
      expect(await isolated(workers)).toBe(true);
      expectCleanWorkersRun(await runWorkersPage(workers, 1, WORKERS_RUN_MS / 3), 1);
      await shot(workers, `static-workers-${backend}`);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('vite preview serves the build cross-origin isolated', async () => {
    for (const path of ['gpuvm.html', 'maple.html']) expectIsolationHeaders(await headersOf(previewBase + path), path);
    const { page, context, problems } = await open('gpuvm.html', previewBase);
    expect(await isolated(page)).toBe(true);
    expect(await opTypes(page)).toEqual(['remap', 'map']);
    expect(problems).toEqual([]);
    await context.close();
  });
});
