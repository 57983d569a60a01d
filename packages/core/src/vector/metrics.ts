import type { Metric } from './types.js';

/**
 * The score of `b` against `a` under a metric; higher is better. Accumulates in float64.
 *
 * - cosine:    (a·b) / (‖a‖ ‖b‖)
 * - dot:       a·b
 * - euclidean: −‖a − b‖₂
 */
export function score(metric: Metric, a: Float32Array, b: Float32Array): number {
  const n = a.length;
  if (metric === 'euclidean') {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = (a[i] as number) - (b[i] as number);
      sum += d * d;
    }
    return 0 - Math.sqrt(sum); // not -Math.sqrt: identical vectors score 0, not -0
  }
  let dot = 0;
  if (metric === 'dot') {
    for (let i = 0; i < n; i++) dot += (a[i] as number) * (b[i] as number);
    return dot;
  }
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** Euclidean norm ‖v‖₂. */
export function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  return Math.sqrt(sum);
}

/** v / ‖v‖₂ as a new Float32Array (a zero vector stays zero). */
export function normalize(v: ArrayLike<number>): Float32Array {
  const n = norm(v);
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / n;
  return out;
}
