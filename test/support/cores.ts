// The cores under test at CoreBackend level: the pure-TS core always, the WASM core (debug
// build, assertions on) once test/setup.ts has instantiated it.
import type { CoreBackend } from '../../src/backend/backend.js';
import { tsBackend } from '../../src/ts/TsBackend.js';
import { wasmBackend } from '../../src/wasm/load.js';
import { tinyBackend } from './tinyBackend.js';

export function coreBackends(): { name: string; make: () => CoreBackend }[] {
  const list: { name: string; make: () => CoreBackend }[] = [
    { name: 'ts', make: tsBackend },
    { name: 'ts-tiny-nodes', make: tinyBackend },
  ];
  list.unshift({
    name: 'wasm',
    make: () => {
      const backend = wasmBackend();
      if (!backend) throw new Error('WASM core not initialised: test/setup.ts should have called init()');
      return backend;
    },
  });
  return list;
}
