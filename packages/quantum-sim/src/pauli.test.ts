import { describe, expect, it } from 'vitest';
import { parity, walshHadamard } from './pauli.js';

describe('walshHadamard', () => {
  it('of a basis state k gives ⟨Z^m⟩ = (−1)^popcount(k & m) for every m', () => {
    for (const k of [0, 5, 13]) {
      const x = new Float64Array(16);
      x[k] = 1;
      walshHadamard(x);
      for (let m = 0; m < 16; m++) expect(x[m]).toBe(parity(k & m) === 1 ? -1 : 1);
    }
  });

  it('applied twice is 2ⁿ times the identity', () => {
    const x = Float64Array.from({ length: 32 }, (_, i) => Math.sin(i + 0.5));
    const y = Float64Array.from(x);
    walshHadamard(y);
    walshHadamard(y);
    for (let i = 0; i < 32; i++) expect(y[i]).toBeCloseTo(32 * (x[i] as number), 12);
  });
});
