import { createRng } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { floatJsonBound } from './pinecone-backend.js';

describe('floatJsonBound', () => {
  it('is never below what JSON.stringify prints, and within a few characters for float32 values', () => {
    const rng = createRng(5);
    const f32 = new Float32Array(1);
    let over = 0;
    let total = 0;
    const special = [
      0, -0, 1, -1, 0.1, 0.01, 1e-6, 9.999999e-7, 1e-7, 123.456, 1e16, 1e17, 3.4028234663852886e38, 1.4e-45,
    ];
    const values = [...special, ...Array.from({ length: 200_000 }, () => (rng.float() * 2 - 1) * 10 ** rng.int(-9, 3))];
    for (const raw of values) {
      f32[0] = raw;
      const v = f32[0] as number;
      const printed = JSON.stringify(v).length;
      const bound = floatJsonBound(v);
      expect(bound, `bound for ${v} (${JSON.stringify(v)})`).toBeGreaterThanOrEqual(printed);
      over += bound - printed;
      total += printed;
    }
    // Over all values, the bound is within 10 % of the truth (about 1 character in 20).
    expect(over / total).toBeLessThan(0.1);
  });
});
