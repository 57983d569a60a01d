/**
 * Small exact linear algebra for the quantum conformance kit's expected values: state vectors of a
 * few qubits as (re, im) arrays, matrix·vector, tensor products, qubit reordering and Pauli
 * expectations. Not a circuit simulator: the kit applies one gate matrix at a time to states it
 * builds itself, and derives every other expected value in closed form.
 */

import type { ComplexMatrix } from '../quantum/gates.js';

export interface StateVector {
  re: Float64Array;
  im: Float64Array;
}

/** M·v. */
export function matVec(m: ComplexMatrix, v: StateVector): StateVector {
  const d = m.dim;
  const re = new Float64Array(d);
  const im = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    let sr = 0;
    let si = 0;
    for (let c = 0; c < d; c++) {
      const mr = m.re[r * d + c] as number;
      const mi = m.im[r * d + c] as number;
      const vr = v.re[c] as number;
      const vi = v.im[c] as number;
      sr += mr * vr - mi * vi;
      si += mr * vi + mi * vr;
    }
    re[r] = sr;
    im[r] = si;
  }
  return { re, im };
}

/**
 * The product state whose qubit q is `qubits[q]` (qubit 0 first, so qubit 0 is the least
 * significant index bit): amplitude of index b = Π_q qubits[q][b_q].
 */
export function productState(qubits: readonly StateVector[]): StateVector {
  const n = qubits.length;
  const dim = 1 << n;
  const re = new Float64Array(dim);
  const im = new Float64Array(dim);
  for (let b = 0; b < dim; b++) {
    let ar = 1;
    let ai = 0;
    for (let q = 0; q < n; q++) {
      const s = qubits[q] as StateVector;
      const bit = (b >> q) & 1;
      const sr = s.re[bit] as number;
      const si = s.im[bit] as number;
      const nr = ar * sr - ai * si;
      ai = ar * si + ai * sr;
      ar = nr;
    }
    re[b] = ar;
    im[b] = ai;
  }
  return { re, im };
}

/** Reverses the qubit order of an n-qubit state: qubit q becomes qubit n−1−q. */
export function reverseQubits(v: StateVector, n: number): StateVector {
  const dim = 1 << n;
  const re = new Float64Array(dim);
  const im = new Float64Array(dim);
  for (let b = 0; b < dim; b++) {
    let r = 0;
    for (let q = 0; q < n; q++) if ((b >> q) & 1) r |= 1 << (n - 1 - q);
    re[r] = v.re[b] as number;
    im[r] = v.im[b] as number;
  }
  return { re, im };
}

/**
 * ⟨v|P|v⟩ for a Pauli string (qubit 0 rightmost). P|b⟩ = phase(b)·|b ⊕ xmask⟩ with X flipping,
 * Y flipping with phase i·(−1)^{b_q}, Z giving (−1)^{b_q}.
 */
export function pauliExpectation(v: StateVector, paulis: string): number {
  const n = paulis.length;
  let xmask = 0;
  let zmask = 0;
  let ys = 0;
  for (let q = 0; q < n; q++) {
    const ch = paulis[n - 1 - q];
    if (ch === 'X' || ch === 'Y') xmask |= 1 << q;
    if (ch === 'Z' || ch === 'Y') zmask |= 1 << q;
    if (ch === 'Y') ys++;
  }
  // Y = i·X·Z on one qubit: P = i^{ys} · X^{xmask} · Z^{zmask}, so P|b⟩ = i^{ys} (−1)^{|b∧zmask|} |b⊕xmask⟩.
  const base: [number, number] = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ][ys % 4] as [number, number];
  let total = 0;
  const dim = 1 << n;
  for (let b = 0; b < dim; b++) {
    const sign = popcount(b & zmask) & 1 ? -1 : 1;
    const pr = base[0] * sign;
    const pi = base[1] * sign;
    const t = b ^ xmask;
    // conj(v[t]) · phase · v[b]
    const vr = v.re[b] as number;
    const vi = v.im[b] as number;
    const wr = pr * vr - pi * vi;
    const wi = pr * vi + pi * vr;
    const tr = v.re[t] as number;
    const ti = v.im[t] as number;
    total += tr * wr + ti * wi;
  }
  return total;
}

function popcount(x: number): number {
  let c = 0;
  let y = x;
  while (y) {
    y &= y - 1;
    c++;
  }
  return c;
}

/** Every Pauli string of length n except the identity, in a fixed order. */
export function allPauliStrings(n: number): string[] {
  const out: string[] = [];
  const total = 4 ** n;
  for (let k = 1; k < total; k++) {
    let s = '';
    let x = k;
    for (let i = 0; i < n; i++) {
      s = 'IXYZ'[x % 4] + s;
      x = Math.floor(x / 4);
    }
    out.push(s);
  }
  return out;
}
