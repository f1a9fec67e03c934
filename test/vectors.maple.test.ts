import { describe, expect, it } from 'vitest';
import { backends } from './support/backends.js';
import { loadVectors, replayVector } from './support/vectors.js';

const vectors = loadVectors();

describe.each(backends)('kernel vectors ($name backend)', (backend) => {
  it('ships all 21 vectors', () => {
    expect(vectors.length).toBe(21);
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, vector) => {
    expect(replayVector(vector, backend.options)).toEqual([]);
  });
});

/**
 * Full width: the same vectors on bigint trees, every u64 value read exactly as it is
 * (ULONG_MAX is 2^64 − 1, not MAX_INDEX), on both real cores. A bigint tree refuses numbers,
 * so a value the replay left unconverted fails its step.
 */
describe.each(backends.filter((b) => b.name === 'wasm' || b.name === 'ts'))('kernel vectors at full width, bigint keys ($name backend)', (backend) => {
  const options = () => ({ ...backend.options(), keys: 'bigint' as const });

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, vector) => {
    expect(replayVector(vector, options as never)).toEqual([]);
  });
});
