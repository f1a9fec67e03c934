// Vite configuration of the demo. `npm start` (demo/serve.mjs) and the browser tests
// (test/browser/demo.test.ts) both start Vite with this file.
//
// The pages import the library by its package name, exactly as an npm user would:
//   import { init, MapleTree, GpuVm } from 'maple-gpuvm';
// Here that name resolves to the repository's build output of the streaming entry
// (dist/index.streaming.js, what `maple-gpuvm/streaming` gives an npm user): Vite emits
// dist/maple.wasm as an asset, and init() compiles it while it downloads.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { ISOLATION_HEADERS } from './static-server.mjs';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(demoRoot, '..');

export default defineConfig({
  root: demoRoot,
  appType: 'mpa',
  clearScreen: false,
  resolve: {
    alias: [{ find: /^maple-gpuvm$/, replacement: resolve(repoRoot, 'dist/index.streaming.js') }],
  },
  server: {
    host: '127.0.0.1',
    // Cross-origin isolation gives the benchmark's performance.now() its fine resolution (and
    // allows SharedArrayBuffer); the static server sends the same headers.
    headers: ISOLATION_HEADERS,
    // dist/ lives outside the demo root.
    fs: { allow: [repoRoot] },
  },
  // `vite preview` of the static build (build/demo): same host and headers.
  preview: {
    host: '127.0.0.1',
    headers: ISOLATION_HEADERS,
  },
  // Nothing to pre-bundle: the pages have no npm dependencies besides the aliased package,
  // and a mid-session re-optimisation would reload the page under the browser tests.
  optimizeDeps: { noDiscovery: true, include: [] },
  worker: { format: 'es' },
  build: {
    outDir: resolve(repoRoot, 'build/demo'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        index: resolve(demoRoot, 'index.html'),
        gpuvm: resolve(demoRoot, 'gpuvm.html'),
        maple: resolve(demoRoot, 'maple.html'),
        bench: resolve(demoRoot, 'bench.html'),
        workers: resolve(demoRoot, 'workers.html'),
      },
    },
  },
});
