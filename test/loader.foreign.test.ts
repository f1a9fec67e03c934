import { describe, expect, it, vi } from 'vitest';

/** The smallest valid module: exports nothing (the header alone). */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('init() with a valid but foreign WebAssembly module', () => {
  it('fails with a message naming the missing core exports, not a TypeError', async () => {
    vi.resetModules();
    const load = await import('../src/wasm/load.js');
    const error = await load.init(EMPTY_MODULE).then(() => null, (err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/not the maple-gpuvm core \(missing exports: memory, resAddr/);
  });
});
