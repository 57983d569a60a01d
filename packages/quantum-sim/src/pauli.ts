import type { Observable, PauliTerm } from '@q-store/core';

/**
 * A Pauli string as bit masks: P|i⟩ = i^{ny} · (−1)^{popcount(i & zMask)} · |i ⊕ xMask⟩, where
 * xMask holds the X and Y qubits, zMask the Y and Z qubits and ny counts the Y's
 * (X|b⟩ = |1−b⟩, Y|b⟩ = i·(−1)^b·|1−b⟩, Z|b⟩ = (−1)^b·|b⟩).
 */
export interface PauliMasks {
  xMask: number;
  zMask: number;
  ny: number;
}

export function pauliMasks(paulis: string): PauliMasks {
  let xMask = 0;
  let zMask = 0;
  let ny = 0;
  const n = paulis.length;
  for (let q = 0; q < n; q++) {
    const ch = paulis[n - 1 - q];
    if (ch === 'X' || ch === 'Y') xMask |= 1 << q;
    if (ch === 'Z' || ch === 'Y') zMask |= 1 << q;
    if (ch === 'Y') ny++;
  }
  return { xMask, zMask, ny };
}

/** Parity (0 or 1) of the set bits of x. */
export function parity(x: number): number {
  let v = x;
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}

/** i^ny as [re, im]. */
export function powI(ny: number): [number, number] {
  switch (ny & 3) {
    case 0:
      return [1, 0];
    case 1:
      return [0, 1];
    case 2:
      return [-1, 0];
    default:
      return [0, -1];
  }
}

/**
 * ⟨ψ|P|ψ⟩ for one Pauli string, in one pass over the state without copying it:
 * Σ_i conj(ψ[i ⊕ x]) · (−1)^{popcount(i & z)} · ψ[i], times i^{ny}; the result is real.
 */
export function pauliExpectation(a: Float64Array, dim: number, term: PauliMasks): number {
  const [sr, si] = pauliPairSum(a, a, dim, term.xMask, term.zMask);
  const [pr, pi] = powI(term.ny);
  return pr * sr - pi * si;
}

/**
 * Σ_i conj(b[i ⊕ xMask]) · (−1)^{popcount(i & zMask)} · a[i] as [re, im] (without the i^{ny}
 * factor): ⟨ψ|P|ψ⟩'s sum when a = b = ψ, or one pair of chunks of a split state (split-state.ts).
 */
export function pauliPairSum(
  a: Float64Array,
  b: Float64Array,
  dim: number,
  xMask: number,
  zMask: number,
): [number, number] {
  let sr = 0;
  let si = 0;
  if (xMask === 0 && a === b) {
    if (dim >= 1024) {
      // runs of 8: the signs inside a run from zMask's 3 low bits, the run's own from the rest
      const sign = (j: number) => (parity(j & zMask) ? -1 : 1);
      const s0 = 1;
      const s1 = sign(1);
      const s2 = sign(2);
      const s3 = sign(3);
      const s4 = sign(4);
      const s5 = sign(5);
      const s6 = sign(6);
      const s7 = sign(7);
      for (let i = 0; i < dim; i += 8) {
        const p = 2 * i;
        const run =
          s0 * ((a[p] as number) ** 2 + (a[p + 1] as number) ** 2) +
          s1 * ((a[p + 2] as number) ** 2 + (a[p + 3] as number) ** 2) +
          s2 * ((a[p + 4] as number) ** 2 + (a[p + 5] as number) ** 2) +
          s3 * ((a[p + 6] as number) ** 2 + (a[p + 7] as number) ** 2) +
          s4 * ((a[p + 8] as number) ** 2 + (a[p + 9] as number) ** 2) +
          s5 * ((a[p + 10] as number) ** 2 + (a[p + 11] as number) ** 2) +
          s6 * ((a[p + 12] as number) ** 2 + (a[p + 13] as number) ** 2) +
          s7 * ((a[p + 14] as number) ** 2 + (a[p + 15] as number) ** 2);
        sr += parity(i & zMask) ? -run : run;
      }
      return [sr, 0];
    }
    for (let i = 0; i < dim; i++) {
      const p = 2 * i;
      const w = (a[p] as number) ** 2 + (a[p + 1] as number) ** 2;
      sr += parity(i & zMask) ? -w : w;
    }
    return [sr, 0];
  }
  for (let i = 0; i < dim; i++) {
    const p = 2 * i;
    const q = 2 * (i ^ xMask);
    const ar = a[p] as number;
    const ai = a[p + 1] as number;
    const br = b[q] as number;
    const bi = b[q + 1] as number;
    // conj(b) · a
    const re = br * ar + bi * ai;
    const im = br * ai - bi * ar;
    if (parity(i & zMask)) {
      sr -= re;
      si -= im;
    } else {
      sr += re;
      si += im;
    }
  }
  return [sr, si];
}

/** ⟨ψ|O|ψ⟩ = Σ_k c_k ⟨ψ|P_k|ψ⟩. */
export function observableExpectation(a: Float64Array, dim: number, observable: Observable): number {
  let sum = 0;
  for (const term of observable) sum += term.coefficient * pauliExpectation(a, dim, pauliMasks(term.paulis));
  return sum;
}

/** out ← O·ψ = Σ_k c_k P_k ψ (out must not alias a). */
export function applyObservable(
  a: Float64Array,
  out: Float64Array,
  dim: number,
  observable: readonly PauliTerm[],
): void {
  out.fill(0);
  for (const term of observable) addPauliTerm(a, out, dim, pauliMasks(term.paulis), term.coefficient);
}

/**
 * out[i ⊕ xMask] += c · i^{ny} · (−1)^{popcount(i & zMask)} · a[i] for every i < dim: one Pauli
 * term of O·ψ (`c` may carry a sign from qubits outside the state, as for a split state's chunk).
 */
export function addPauliTerm(a: Float64Array, out: Float64Array, dim: number, term: PauliMasks, c: number): void {
  const { xMask, zMask, ny } = term;
  const [pr, pi] = powI(ny);
  const cr = c * pr;
  const ci = c * pi;
  for (let i = 0; i < dim; i++) {
    const p = 2 * i;
    const q = 2 * (i ^ xMask);
    const sign = parity(i & zMask) ? -1 : 1;
    const ar = sign * (a[p] as number);
    const ai = sign * (a[p + 1] as number);
    out[q] = (out[q] as number) + cr * ar - ci * ai;
    out[q + 1] = (out[q + 1] as number) + cr * ai + ci * ar;
  }
}

/**
 * In-place Walsh–Hadamard transform (length a power of two): x̂[m] = Σ_k x[k] (−1)^popcount(k & m).
 * Of a probability vector it gives every Z-string expectation ⟨Z^m⟩ = x̂[m]; of those, 2ⁿ·p.
 */
export function walshHadamard(x: Float64Array): void {
  const dim = x.length;
  for (let h = 1; h < dim; h *= 2) {
    for (let i = 0; i < dim; i += 2 * h) {
      for (let k = i; k < i + h; k++) {
        const a = x[k] as number;
        const b = x[k + h] as number;
        x[k] = a + b;
        x[k + h] = a - b;
      }
    }
  }
}
