// A static file server for the demo's production build (`vite build` → build/demo/), with the
// headers the pages need: Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy make the
// page cross-origin isolated (fine performance.now(), SharedArrayBuffer), and .wasm is served
// as application/wasm so WebAssembly.instantiateStreaming accepts it.
// Used by `node demo/serve.mjs --static` and the browser tests.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** The cross-origin isolation headers; vite.config.mjs sends the same in dev and preview. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const HTTP_OK = 200;
const HTTP_NOT_FOUND = 404;
const HTTP_BAD_METHOD = 405;

/** The file a URL path names inside root, or null when it would leave root. */
function fileFor(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  const file = resolve(join(root, path.endsWith('/') ? `${path}index.html` : path));
  return file === root || file.startsWith(root + sep) ? file : null;
}

function reply(res, status, text) {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** An http.Server (not listening yet) that serves the files under root, GET and HEAD only. */
export function createStaticServer(root) {
  const base = resolve(root);
  return createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, HTTP_BAD_METHOD, 'method not allowed');
    const file = fileFor(base, req.url ?? '/');
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info || !info.isFile()) return reply(res, HTTP_NOT_FOUND, `not found: ${req.url}`);
    res.writeHead(HTTP_OK, {
      ...ISOLATION_HEADERS,
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
}
