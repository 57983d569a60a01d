/** Base64 of a typed array's bytes (little-endian on every platform Node runs on): exact, bit for bit. */
export function typedToBase64(values: Float32Array | Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** The Float32Array whose bytes the base64 text holds. */
export function base64ToFloat32(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Exact powers of ten 10^0 … 10^22 (every one is a double without rounding). */
const POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The float32 values as the shortest JSON numbers that still land on the same float32: each value
 * rounded to 9 significant digits (FLT_DECIMAL_DIG, enough for any float32), kept only when the
 * double it gives rounds back to the very same float32 (`Math.fround`, which is exactly what
 * Qdrant's JSON parser does: text → f64 → f32), else the value unchanged. A 9-digit rounding is
 * within 0.5·10⁻⁸ (relative) of the value while the float32 rounding midpoints are at least 2.9·10⁻⁸
 * away, so a parser rounding the text straight to f32 lands on the same value too. About 12 characters per
 * value instead of ~20; `bound` is a worst-case count of the JSON characters (with commas).
 */
export function compactFloats(vector: Float32Array): { values: number[]; bound: number } {
  const values = new Array<number>(vector.length);
  let bound = 2;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i] as number;
    const a = Math.abs(x);
    let y = x;
    // At most 9 significant digits and an exponent of two digits: "-1.23456789e-12," is 16 characters.
    let short = a === 0;
    if (a >= 1e-12 && a < 1e12) {
      const e = Math.floor(Math.log10(a));
      if (e <= 8) {
        const s = POWERS[8 - e] as number;
        y = Math.round(x * s) / s;
      } else {
        const p = POWERS[e - 8] as number;
        y = Math.round(x / p) * p;
      }
      short = Math.fround(y) === x;
      if (!short) y = x;
    }
    bound += short ? 16 : 25; // any other double prints in at most 24 characters
    values[i] = y;
  }
  return { values, bound };
}
