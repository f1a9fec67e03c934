#!/usr/bin/env node
// Serves the demo with Vite on 127.0.0.1 (`npm start` builds the package first).
// Port: $PORT, else 5173; if it is taken, the next free one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const configFile = fileURLToPath(new URL('./vite.config.mjs', import.meta.url));
const dist = new URL('../dist/', import.meta.url);

for (const file of ['index.js', 'maple.wasm']) {
  if (!existsSync(new URL(file, dist))) {
    console.error(`demo: dist/${file} is missing; run \`npm run build\` (or \`npm start\`, which builds first).`);
    process.exit(1);
  }
}

const requested = process.env.PORT ? Number(process.env.PORT) : 5173;
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  console.error(`demo: PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

const server = await createServer({
  configFile,
  server: { port: requested, strictPort: false, host: '127.0.0.1' },
});
await server.listen();

const address = server.httpServer?.address();
const port = address && typeof address === 'object' ? address.port : requested;
const base = `http://127.0.0.1:${port}/`;
if (port !== requested) console.log(`demo: port ${requested} is in use, using ${port}`);
console.log(`\n  maple-gpuvm demo: ${base}\n`);
console.log(`    GPU VA manager  ${base}gpuvm.html`);
console.log(`    maple tree      ${base}maple.html`);
console.log(`    benchmark       ${base}bench.html\n`);
console.log('  Ctrl-C to stop.');

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
