import { createRng } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { base64ToFloat32, compactFloats, typedToBase64 } from './binary.js';

describe('float encodings', () => {
  it('compactFloats: the JSON text parses back (text → f64 → f32, as Qdrant) to the very same float32', () => {
    const rng = createRng(17);
    const buffer = new Uint32Array(200_000);
    for (let i = 0; i < buffer.length; i++) buffer[i] = rng.int(0, 0xffffffff) >>> 0;
    const random = new Float32Array(buffer.buffer).filter((x) => Number.isFinite(x));
    const special = Float32Array.from([
      0, 1, -1, 0.1, 1e-12, 9.99999e11, 1e12, 3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38,
    ]);
    for (const vector of [random, special]) {
      const { values, bound } = compactFloats(vector);
      const text = JSON.stringify(values);
      expect(text.length).toBeLessThanOrEqual(bound);
      const back = JSON.parse(text) as number[];
      for (let i = 0; i < vector.length; i++) {
        if (Math.fround(back[i] as number) !== vector[i])
          throw new Error(`value ${i}: ${vector[i]} came back as ${back[i]}`);
      }
    }
    const typical = Float32Array.from({ length: 768 }, () => rng.normal() / 30);
    const short = JSON.stringify(compactFloats(typical).values).length;
    expect(short).toBeLessThan(0.75 * JSON.stringify(Array.from(typical)).length);
  });

  it('base64 round-trips float32 bit for bit', () => {
    const v = Float32Array.from([-0, 1.401298464324817e-45, Math.PI, -3.4028234663852886e38]);
    const back = base64ToFloat32(typedToBase64(v));
    expect(Buffer.from(back.buffer).equals(Buffer.from(v.buffer))).toBe(true);
  });
});
