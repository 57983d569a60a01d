import { describe, expect, it } from 'vitest';
import { decodeCacheValue, encodeCacheValue } from './cache-codec.js';

describe('cache value codec', () => {
  it('keeps Float32Array and Float64Array exact inside nested values', () => {
    const value = {
      matches: [{ id: 'a', score: 0.5, vector: new Float32Array([0.1, -3.4028234663852886e38, 1e-45]) }],
      params: new Float64Array([Math.PI, Number.MIN_VALUE]),
      label: 'x',
    };
    const back = decodeCacheValue<typeof value>(encodeCacheValue(value));
    expect(back.matches[0]?.vector).toBeInstanceOf(Float32Array);
    expect(back.matches[0]?.vector).toEqual(value.matches[0]?.vector);
    expect(back.params).toBeInstanceOf(Float64Array);
    expect(back.params[0]).toBe(Math.PI);
    expect(back.params[1]).toBe(Number.MIN_VALUE);
    expect(back.label).toBe('x');
  });

  it('keeps Maps (as in a cached FetchResult)', () => {
    const value = { records: new Map([['a', { id: 'a', vector: new Float32Array([1, 2]) }]]), namespace: '' };
    const back = decodeCacheValue<typeof value>(encodeCacheValue(value));
    expect(back.records).toBeInstanceOf(Map);
    expect(back.records.get('a')?.vector).toEqual(new Float32Array([1, 2]));
  });
});
