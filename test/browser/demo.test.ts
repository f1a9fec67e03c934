// Real-browser tests of the demo (demo/): Vite serves the pages, playwright-core drives
// Debian's Chromium (/usr/bin/chromium; `.ci/run` installs it when it is missing).
// Every page is loaded, used through its controls, checked, and photographed into
// screenshots/ (git-ignored). Any page error, console error or request leaving 127.0.0.1
// fails the test. Needs `npm run build` first (the pages import the built package).
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = `${ROOT}screenshots/`;
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
  for (const file of ['dist/index.js', 'dist/maple.wasm']) {
    if (!existsSync(ROOT + file)) throw new Error(`browser tests: ${file} is missing; run \`npm run build\` first`);
  }
  mkdirSync(SHOTS, { recursive: true });
  // The demo's own Vite config, on a free port, without file watching or HMR (a rebuild of
  // dist/ elsewhere must not reload a page under test).
  server = await createServer({
    configFile: `${ROOT}demo/vite.config.mjs`,
    logLevel: 'warn',
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false, watch: null },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address) throw new Error('browser tests: Vite did not report its port');
  base = `http://127.0.0.1:${address.port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string): Promise<Opened> {
  if (!browser) throw new Error('browser tests: Chromium did not start');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  // Offline: nothing may be fetched from anywhere but the demo server.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) await route.continue();
    else {
      problems.push(`external request: ${url}`);
      await route.abort();
    }
  });
  await page.goto(base + path);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return { page, context, problems };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

describe('demo in Chromium', () => {
  it('landing page loads the WebAssembly core from the package', async () => {
    const { page, context, problems } = await open('index.html');
    await expect.poll(() => page.textContent('#core-status')).toMatch(/WebAssembly core ready/);
    await shot(page, 'index');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('GPU VA page: kernel case 11, step-through, undo, callbacks, errors, drag, trace', async () => {
    const { page, context, problems } = await open('gpuvm.html');
    await expect.poll(() => page.textContent('#core-status')).toMatch(/WebAssembly core ready/);

    // Kernel-doc case 11: request centred inside the old mapping, other BO.
    await page.selectOption('#preset', 'case11');
    await page.click('#preset-run');
    const ops = page.locator('#ops > li');
    await expect.poll(() => ops.count()).toBe(2);
    expect(await ops.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')))).toEqual(['remap', 'map']);
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
    expect(await ops.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')))).toEqual(['unmap', 'unmap', 'map']);

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

    // The sparse texture rebind trace: step 5 rebinds tiles 2-5 across two mappings.
    await page.click('#trace-start');
    for (let i = 0; i < 5; i++) await page.click('#trace-next');
    expect(await ops.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')))).toEqual(['remap', 'remap', 'map']);
    expect(await ops.nth(0).locator('[data-part="prev"] .val').textContent()).toBe('[0x1000000, 0x1020000) heap0 @0x0');
    expect(await ops.nth(1).locator('[data-part="next"] .val').textContent()).toBe('[0x1060000, 0x1080000) heap0 @0x60000');
    expect(await ops.nth(2).locator('[data-part="map"]').textContent()).toBe('[0x1020000, 0x1060000) heap1 @0x40000');
    await shot(page, 'gpuvm-trace');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('maple tree page: 40 stores through the form build a two-level tree', async () => {
    const { page, context, problems } = await open('maple.html');
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

  it('benchmark page: runs W1/W2/W4 on both backends in a worker', async () => {
    const { page, context, problems } = await open('bench.html?quick=1');
    await page.click('#bench-run');
    await page.waitForSelector('#bench-status[data-state="done"]', { timeout: 30_000 });
    expect(await page.getAttribute('#bench-progress', 'value')).toBe(await page.getAttribute('#bench-progress', 'max'));
    for (const w of ['W1', 'W2', 'W4']) {
      for (const b of ['wasm', 'ts']) {
        const cell = (await page.textContent(`#results tr[data-workload="${w}"] td[data-backend="${b}"]`)) ?? '';
        expect(Number(cell), `${w} ${b}: ${cell}`).toBeGreaterThan(0);
      }
    }
    expect(await page.locator('#chart svg rect').count()).toBe(6);
    expect(await page.textContent('#results tr[data-workload="W2"]')).toContain('hits');
    await shot(page, 'bench');
    expect(problems).toEqual([]);
    await context.close();
  });
});
