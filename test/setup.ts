// Instantiates the debug WebAssembly build (assertions on) for every test file.
import { readFileSync } from 'node:fs';
import { init } from '../src/wasm/load.js';

await init(readFileSync(new URL('../build/debug.wasm', import.meta.url)));
