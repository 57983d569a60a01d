import type { Rng } from '@q-store/core';

/** Uniforms drawn and sorted per sweep of the state; bounds the scratch memory to 8 MiB. */
const BATCH = 1 << 20;

/**
 * Draws `shots` basis-state indices from |ψ_i|² (normalised by the state's norm, so rounding never
 * loses a shot). Per batch of up to 2^20 shots: draw uniforms on [0, ‖ψ‖²), sort them, and sweep
 * the state once with a running sum, so the cost is O(batches · 2^n + shots · log shots) and no
 * 2^n-sized table is allocated. Returns counts by index.
 */
export function sampleIndices(a: Float64Array, dim: number, shots: number, rng: Rng): Map<number, number> {
  return sampleChunks([a], dim, shots, rng);
}

/**
 * {@link sampleIndices} over a state held as consecutive chunks of `chunkDim` amplitudes each
 * (chunk j holds indices j·chunkDim …): the same sums in the same order, so the same draws as on
 * the whole state for the same random numbers.
 */
export function sampleChunks(
  chunks: readonly Float64Array[],
  chunkDim: number,
  shots: number,
  rng: Rng,
): Map<number, number> {
  let total = 0;
  let last = 0;
  for (let j = 0; j < chunks.length; j++) {
    const a = chunks[j] as Float64Array;
    for (let i = 0; i < chunkDim; i++) {
      const w = (a[2 * i] as number) ** 2 + (a[2 * i + 1] as number) ** 2;
      total += w;
      if (w > 0) last = j * chunkDim + i;
    }
  }
  const counts = new Map<number, number>();
  let remaining = shots;
  while (remaining > 0) {
    const batch = Math.min(remaining, BATCH);
    const u = new Float64Array(batch);
    for (let k = 0; k < batch; k++) u[k] = rng.float() * total;
    u.sort();
    let k = 0;
    let acc = 0;
    for (let j = 0; j < chunks.length && k < batch; j++) {
      const a = chunks[j] as Float64Array;
      for (let i = 0; i < chunkDim && k < batch; i++) {
        acc += (a[2 * i] as number) ** 2 + (a[2 * i + 1] as number) ** 2;
        let c = 0;
        while (k < batch && (u[k] as number) < acc) {
          k++;
          c++;
        }
        if (c > 0) {
          const index = j * chunkDim + i;
          counts.set(index, (counts.get(index) ?? 0) + c);
        }
      }
    }
    // Uniforms at or above the final running sum (rounding): the last index with weight.
    if (k < batch) counts.set(last, (counts.get(last) ?? 0) + (batch - k));
    remaining -= batch;
  }
  return counts;
}

/** Counts by index → counts by bitstring, n characters, qubit 0 rightmost. */
export function countsByBitstring(byIndex: Map<number, number>, numQubits: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [i, c] of [...byIndex.entries()].sort((x, y) => x[0] - y[0])) {
    out[i.toString(2).padStart(numQubits, '0')] = c;
  }
  return out;
}
