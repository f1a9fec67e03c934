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
