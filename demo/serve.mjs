#!/usr/bin/env node
// Serves the demo on 127.0.0.1 (`npm start` builds the package first).
//   node demo/serve.mjs            Vite's dev server
//   node demo/serve.mjs --static   `vite build` into build/demo/, then a plain static server
//                                  (static-server.mjs), as a deployment would serve it
// Port: $PORT, else 5173; if it is taken, the next free one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';
import { createStaticServer } from './static-server.mjs';

const configFile = fileURLToPath(new URL('./vite.config.mjs', import.meta.url));
const dist = new URL('../dist/', import.meta.url);
const buildDir = fileURLToPath(new URL('../build/demo/', import.meta.url));
const MAX_PORT = 65535;
const isStatic = process.argv.includes('--static');

for (const file of ['index.streaming.js', 'maple.wasm']) {
  if (!existsSync(new URL(file, dist))) {
    console.error(`demo: dist/${file} is missing; run \`npm run build\` (or \`npm start\`, which builds first).`);
    process.exit(1);
  }
}

const requested = process.env.PORT ? Number(process.env.PORT) : 5173;
if (!Number.isInteger(requested) || requested < 0 || requested > MAX_PORT) {
  console.error(`demo: PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

/** Vite's dev server; resolves to its port and a function that stops it. */
async function startDev() {
  const server = await createServer({
    configFile,
    server: { port: requested, strictPort: false, host: '127.0.0.1' },
  });
  await server.listen();
  const address = server.httpServer?.address();
  return { port: address && typeof address === 'object' ? address.port : requested, close: () => server.close() };
}

/** Listens on the first free port from `port` up. */
function listenFrom(server, port) {
  return new Promise((resolvePort, reject) => {
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE' && port < MAX_PORT) resolvePort(listenFrom(server, port + 1));
      else reject(err);
    });
    server.listen(port, '127.0.0.1', () => resolvePort(server.address().port));
  });
}

/** The production build, served as plain files. */
async function startStatic() {
  await build({ configFile, logLevel: 'warn' });
  const server = createStaticServer(buildDir);
  const port = await listenFrom(server, requested);
  return { port, close: () => new Promise((done) => server.close(done)) };
}

const { port, close } = await (isStatic ? startStatic() : startDev());
const base = `http://127.0.0.1:${port}/`;
if (port !== requested) console.log(`demo: port ${requested} is in use, using ${port}`);
console.log(`\n  maple-gpuvm demo${isStatic ? ' (static build in build/demo/)' : ''}: ${base}\n`);
console.log(`    GPU VA manager  ${base}gpuvm.html`);
console.log(`    maple tree      ${base}maple.html`);
console.log(`    benchmark       ${base}bench.html`);
console.log(`    workers         ${base}workers.html\n`);
console.log('  Ctrl-C to stop.');

const stop = async () => {
  await close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
