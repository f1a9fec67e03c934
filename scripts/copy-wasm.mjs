// Ships the optimised WebAssembly core next to the built JS (dist/maple.wasm), where
// init() looks for it by default.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
copyFileSync(new URL('../build/release.wasm', import.meta.url), new URL('../dist/maple.wasm', import.meta.url));
console.log('copy-wasm: dist/maple.wasm');
