// Packs the repository as npm would publish it (the build already ran: `npm test` builds
// first) and installs the tarball into a fresh folder under test/generated/, as a user's
// `npm install maple-gpuvm` would, so tests exercise exactly what ships.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATED = `${ROOT}test/generated/`;

export interface Packed {
  /** The consumer folder: a package.json of its own and node_modules/maple-gpuvm. */
  dir: string;
  /** Paths inside the tarball, relative to the package root. */
  files: string[];
}

/** Packs into a new folder named after prefix (so parallel test files never share one). */
export function packAndInstall(prefix: string): Packed {
  for (const file of ['dist/index.js', 'dist/index.inline.js', 'dist/maple.wasm']) {
    if (!existsSync(ROOT + file)) throw new Error(`package tests: ${file} is missing; run \`npm run build\` first`);
  }
  mkdirSync(GENERATED, { recursive: true });
  const dir = mkdtempSync(`${GENERATED}${prefix}-`) + '/';
  const json = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  const target = `${dir}node_modules/maple-gpuvm/`;
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['xzf', dir + info.filename, '-C', target, '--strip-components=1']);
  writeFileSync(`${dir}package.json`, JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return { dir, files: info.files.map((f) => f.path) };
}
