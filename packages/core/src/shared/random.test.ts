import { describe, expect, it } from 'vitest';
import { createRng } from './random.js';

describe('createRng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 20 }, () => a.float());
    expect(Array.from({ length: 20 }, () => b.float())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.float())).not.toEqual(seqA);
  });

  it('rejects seeds that would be truncated into another seed', () => {
    for (const seed of [1.7, 2 ** 32, Number.NaN, -(2 ** 31) - 1]) {
      expect(() => createRng(seed)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    }
    expect(() => createRng(-(2 ** 31))).not.toThrow();
  });

  it('resumes exactly from a saved state', () => {
    const a = createRng(7);
    for (let i = 0; i < 13; i++) a.float();
    const resumed = createRng({ state: a.state() });
    expect(Array.from({ length: 10 }, () => resumed.int(0, 1000))).toEqual(
      Array.from({ length: 10 }, () => a.int(0, 1000)),
    );
  });

  it('draws uniform floats and normals with the right moments', () => {
    const rng = createRng(1);
    const n = 20000;
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const z = rng.normal();
      sumN += z;
      sumN2 += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = createRng(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});
