import { parity } from './pauli.js';

/**
 * State-vector kernels. A state on k qubits is one interleaved Float64Array of 2·2^k numbers:
 * amplitude i has its real part at `2i` and its imaginary part at `2i + 1`. Qubit q is bit q of the
 * amplitude index (qubit 0 is the least significant bit).
 *
 * Each kernel updates the state in place, loops over the index pairs (or quadruples) the gate mixes
 * and allocates nothing. Amplitude indices stay below 2^30 and use bit operations; element offsets
 * (up to 2^31) are computed with `2 * i`, never with shifts.
 *
 * Matrix arguments are flat Float64Arrays: a 2×2 complex matrix as
 * [m00re, m00im, m01re, m01im, m10re, m10im, m11re, m11im] (row-major, element (r, c) = ⟨r|U|c⟩),
 * a real 2×2 as [m00, m01, m10, m11], a diagonal as [d0re, d0im, d1re, d1im, …], a 4×4 complex matrix
 * as 16 (re, im) pairs row-major, with matrix index bit j = listed qubit j.
 */

/** Inserts a zero bit at position `bit` of `k`. */
function insertZero(k: number, bit: number): number {
  return ((k >>> bit) << (bit + 1)) | (k & ((1 << bit) - 1));
}

/** General 2×2 on qubit `t`: (ψ0, ψ1) ← (m00 ψ0 + m01 ψ1, m10 ψ0 + m11 ψ1) on every pair. */
export function apply1(a: Float64Array, dim: number, t: number, m: Float64Array): void {
  applyControlled1(a, dim, 0, t, m);
}

/** Real 2×2 [m00, m01, m10, m11] on qubit `t` (h, ry, x and their real products). */
export function apply1Real(a: Float64Array, dim: number, t: number, m: Float64Array): void {
  const m00 = m[0] as number;
  const m01 = m[1] as number;
  const m10 = m[2] as number;
  const m11 = m[3] as number;
  const st = 1 << t;
  const off = 2 * st;
  if (st === 1) {
    for (let p = 0; p < 2 * dim; p += 4) {
      const ar = a[p] as number;
      const ai = a[p + 1] as number;
      const br = a[p + 2] as number;
      const bi = a[p + 3] as number;
      a[p] = m00 * ar + m01 * br;
      a[p + 1] = m00 * ai + m01 * bi;
      a[p + 2] = m10 * ar + m11 * br;
      a[p + 3] = m10 * ai + m11 * bi;
    }
    return;
  }
  for (let b = 0; b < dim; b += 2 * st) {
    const end = 2 * (b + st);
    for (let p = 2 * b; p < end; p += 2) {
      const q = p + off;
      const ar = a[p] as number;
      const ai = a[p + 1] as number;
      const br = a[q] as number;
      const bi = a[q + 1] as number;
      a[p] = m00 * ar + m01 * br;
      a[p + 1] = m00 * ai + m01 * bi;
      a[q] = m10 * ar + m11 * br;
      a[q + 1] = m10 * ai + m11 * bi;
    }
  }
}

/** Diagonal diag(d0, d1) on qubit `t`, d = [d0re, d0im, d1re, d1im]. */
export function applyDiag1(a: Float64Array, dim: number, t: number, d: Float64Array): void {
  const d0r = d[0] as number;
  const d0i = d[1] as number;
  const d1r = d[2] as number;
  const d1i = d[3] as number;
  const st = 1 << t;
  for (let b = 0; b < dim; b += st) {
    const odd = (b & st) !== 0;
    const cr = odd ? d1r : d0r;
    const ci = odd ? d1i : d0i;
    const end = 2 * (b + st);
    for (let p = 2 * b; p < end; p += 2) {
      const ar = a[p] as number;
      const ai = a[p + 1] as number;
      a[p] = cr * ar - ci * ai;
      a[p + 1] = cr * ai + ci * ar;
    }
  }
}

/**
 * Multiplies by (re + i·im) every amplitude whose index has all bits of `mask` set: z, s, t, p
 * (one bit), cz, cp (two bits), and any phase on an all-ones subspace. Touches only those amplitudes.
 */
export function applyPhase(a: Float64Array, dim: number, mask: number, re: number, im: number): void {
  const bits: number[] = [];
  for (let q = 0; 1 << q <= mask && q < 31; q++) if ((mask >>> q) & 1) bits.push(q);
  const count = dim >>> bits.length;
  if (bits.length === 1) {
    const st = mask;
    for (let b = st; b < dim; b += 2 * st) {
      const end = 2 * (b + st);
      for (let p = 2 * b; p < end; p += 2) {
        const ar = a[p] as number;
        const ai = a[p + 1] as number;
        a[p] = re * ar - im * ai;
        a[p + 1] = re * ai + im * ar;
      }
    }
    return;
  }
  for (let k = 0; k < count; k++) {
    let i = k;
    for (const bit of bits) i = insertZero(i, bit);
    const p = 2 * (i | mask);
    const ar = a[p] as number;
    const ai = a[p + 1] as number;
    a[p] = re * ar - im * ai;
    a[p + 1] = re * ai + im * ar;
  }
}

/** Sorted bit positions of `controls | (1 << t)`, lowest first. */
function positionsOf(mask: number): [number, number, number[]] {
  const bits: number[] = [];
  for (let q = 0; q < 31; q++) if ((mask >>> q) & 1) bits.push(q);
  return [bits[0] ?? 0, bits[1] ?? 0, bits];
}

/** Swaps the amplitudes at element offsets [p, end) with those `delta` elements further on. */
function swapRun(a: Float64Array, p0: number, end: number, delta: number): void {
  for (let p = p0; p < end; p += 2) {
    const q = p + delta;
    const r = a[p] as number;
    const i = a[p + 1] as number;
    a[p] = a[q] as number;
    a[p + 1] = a[q + 1] as number;
    a[q] = r;
    a[q + 1] = i;
  }
}

/**
 * Multi-controlled X (x, cx, ccx): swaps ψ[i] and ψ[i | 1<<t] for every i with all `controls` bits
 * set and bit t clear. Touches only the control-set subspace; consecutive indices below the lowest
 * involved bit form runs of memory.
 */
export function applyX(a: Float64Array, dim: number, controls: number, t: number): void {
  const st = 1 << t;
  const [, , bits] = positionsOf(controls | st);
  const count = dim >>> bits.length;
  const run = 1 << (bits[0] as number);
  for (let k = 0; k < count; k += run) {
    let base = k;
    for (const bit of bits) base = insertZero(base, bit);
    base |= controls;
    swapRun(a, 2 * base, 2 * (base + run), 2 * st);
  }
}

/** A general 2×2 `m` on qubit `t` applied where every `controls` bit is 1 (cy, crx, cry, …). */
export function applyControlled1(a: Float64Array, dim: number, controls: number, t: number, m: Float64Array): void {
  const m00r = m[0] as number;
  const m00i = m[1] as number;
  const m01r = m[2] as number;
  const m01i = m[3] as number;
  const m10r = m[4] as number;
  const m10i = m[5] as number;
  const m11r = m[6] as number;
  const m11i = m[7] as number;
  const st = 1 << t;
  const [, , bits] = positionsOf(controls | st);
  const count = dim >>> bits.length;
  const off = 2 * st;
  const run = 1 << (bits[0] as number);
  for (let k = 0; k < count; k += run) {
    let base = k;
    for (const bit of bits) base = insertZero(base, bit);
    base |= controls;
    const end = 2 * (base + run);
    for (let p = 2 * base; p < end; p += 2) {
      const q = p + off;
      const ar = a[p] as number;
      const ai = a[p + 1] as number;
      const br = a[q] as number;
      const bi = a[q + 1] as number;
      a[p] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
      a[p + 1] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
      a[q] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
      a[q + 1] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
    }
  }
}

/**
 * A multiplexed 2×2 on qubit `t`: `m0` on the pairs whose bit `c` is 0, `m1` on those where it is 1
 * (a CNOT folded into the 2×2 on its target). Each pair goes through {@link applyControlled1}'s
 * arithmetic.
 */
export function applyMux(a: Float64Array, dim: number, t: number, c: number, m0: Float64Array, m1: Float64Array): void {
  const sc = 1 << c;
  // the pairs with bit c set get m1; those with bit c clear, m0 (the controls of applyControlled1
  // select bit c = 1; flipping bit c of the state around the call selects bit c = 0)
  applyControlled1(a, dim, sc, t, m1);
  applyX(a, dim, 0, c);
  applyControlled1(a, dim, sc, t, m0);
  applyX(a, dim, 0, c);
}

/** Exchanges qubits q0 and q1: swaps ψ[…1…0…] and ψ[…0…1…]. */
export function applySwap(a: Float64Array, dim: number, q0: number, q1: number): void {
  const b0 = 1 << q0;
  const b1 = 1 << q1;
  const [lo, hi] = positionsOf(b0 | b1);
  const count = dim >>> 2;
  const run = 1 << lo;
  for (let k = 0; k < count; k += run) {
    const base = insertZero(insertZero(k, lo), hi) | b0;
    swapRun(a, 2 * base, 2 * (base + run), 2 * (b1 - b0));
  }
}

/** Diagonal on two qubits: d holds 4 (re, im) entries by index (bit 0 = q0, bit 1 = q1): rzz, crz. */
export function applyDiag2(a: Float64Array, dim: number, q0: number, q1: number, d: Float64Array): void {
  const b0 = 1 << q0;
  const b1 = 1 << q1;
  const lo = Math.min(q0, q1);
  const run = 1 << lo;
  for (let b = 0; b < dim; b += run) {
    const k = ((b & b0) === 0 ? 0 : 1) | ((b & b1) === 0 ? 0 : 2);
    const cr = d[2 * k] as number;
    const ci = d[2 * k + 1] as number;
    const end = 2 * (b + run);
    for (let p = 2 * b; p < end; p += 2) {
      const ar = a[p] as number;
      const ai = a[p + 1] as number;
      a[p] = cr * ar - ci * ai;
      a[p + 1] = cr * ai + ci * ar;
    }
  }
}

/** General 4×4 on (q0, q1), matrix index bit 0 = q0: rxx, ryy, ms, gate derivatives. */
export function apply2(a: Float64Array, dim: number, q0: number, q1: number, m: Float64Array): void {
  const b0 = 1 << q0;
  const b1 = 1 << q1;
  const [lo, hi] = positionsOf(b0 | b1);
  const count = dim >>> 2;
  const o1 = 2 * b0;
  const o2 = 2 * b1;
  const o3 = 2 * (b0 | b1);
  for (let k = 0; k < count; k++) {
    const p0 = 2 * insertZero(insertZero(k, lo), hi);
    const p1 = p0 + o1;
    const p2 = p0 + o2;
    const p3 = p0 + o3;
    const x0r = a[p0] as number;
    const x0i = a[p0 + 1] as number;
    const x1r = a[p1] as number;
    const x1i = a[p1 + 1] as number;
    const x2r = a[p2] as number;
    const x2i = a[p2 + 1] as number;
    const x3r = a[p3] as number;
    const x3i = a[p3 + 1] as number;
    for (let r = 0; r < 4; r++) {
      const o = 8 * r;
      const c0r = m[o] as number;
      const c0i = m[o + 1] as number;
      const c1r = m[o + 2] as number;
      const c1i = m[o + 3] as number;
      const c2r = m[o + 4] as number;
      const c2i = m[o + 5] as number;
      const c3r = m[o + 6] as number;
      const c3i = m[o + 7] as number;
      const yr = c0r * x0r - c0i * x0i + c1r * x1r - c1i * x1i + c2r * x2r - c2i * x2i + c3r * x3r - c3i * x3i;
      const yi = c0r * x0i + c0i * x0r + c1r * x1i + c1i * x1r + c2r * x2i + c2i * x2r + c3r * x3i + c3i * x3r;
      const p = r === 0 ? p0 : r === 1 ? p1 : r === 2 ? p2 : p3;
      a[p] = yr;
      a[p + 1] = yi;
    }
  }
}

/**
 * General 2^k × 2^k matrix on `qubits` (matrix index bit j = qubits[j]); m holds (re, im) pairs
 * row-major. The reference path for any gate; `scratch` must hold at least 2·2^k numbers.
 */
export function applyK(
  a: Float64Array,
  dim: number,
  qubits: readonly number[],
  m: Float64Array,
  scratch = new Float64Array(2 << qubits.length),
): void {
  const k = qubits.length;
  const size = 1 << k;
  const offsets = new Int32Array(size);
  for (let j = 0; j < size; j++) {
    let o = 0;
    for (let b = 0; b < k; b++) if ((j >>> b) & 1) o |= 1 << (qubits[b] as number);
    offsets[j] = o;
  }
  let mask = 0;
  for (const q of qubits) mask |= 1 << q;
  const [, , bits] = positionsOf(mask);
  const count = dim >>> k;
  for (let c = 0; c < count; c++) {
    let base = c;
    for (const bit of bits) base = insertZero(base, bit);
    for (let j = 0; j < size; j++) {
      const p = 2 * (base | (offsets[j] as number));
      scratch[2 * j] = a[p] as number;
      scratch[2 * j + 1] = a[p + 1] as number;
    }
    for (let r = 0; r < size; r++) {
      let yr = 0;
      let yi = 0;
      const row = 2 * r * size;
      for (let j = 0; j < size; j++) {
        const mr = m[row + 2 * j] as number;
        const mi = m[row + 2 * j + 1] as number;
        const xr = scratch[2 * j] as number;
        const xi = scratch[2 * j + 1] as number;
        yr += mr * xr - mi * xi;
        yi += mr * xi + mi * xr;
      }
      const p = 2 * (base | (offsets[r] as number));
      a[p] = yr;
      a[p + 1] = yi;
    }
  }
}

/**
 * A diagonal phase table (diagonals.ts `phaseTable` builds `desc`, the layout the SIMD `dtab`
 * kernel reads too): amplitude i of `a` (index g + i in the whole state) is multiplied by
 * T_v[(g + i) mod 2^k] · c, where for each run of 2^k amplitudes v is the variant whose bit j is
 * the parity of (index & hm_j) and c the product of the high factors w_f[parity(index & mask_f)].
 * desc: [k, r, nh, H, hm_0 … hm_{r−1}, nh × (mask, w0re, w0im, w1re, w1im), …, tables from H:
 * 2^r variants × 2^k complex numbers].
 */
export function applyPhaseTable(a: Float64Array, len: number, g: number, desc: Float64Array): void {
  const k = desc[0] as number;
  const r = desc[1] as number;
  const nh = desc[2] as number;
  const H = desc[3] as number;
  const lowMask = 2 ** k - 1;
  const run = Math.min(2 ** k, len);
  for (let s = 0; s < len; s += run) {
    const h = g + s;
    let v = 0;
    for (let j = 0; j < r; j++) v |= parity(h & (desc[4 + j] as number)) << j;
    let cr = 1;
    let ci = 0;
    for (let f = 0; f < nh; f++) {
      const p = 4 + r + 5 * f;
      const b = parity(h & (desc[p] as number));
      const wr = desc[p + 1 + 2 * b] as number;
      const wi = desc[p + 2 + 2 * b] as number;
      const t = cr * wr - ci * wi;
      ci = cr * wi + ci * wr;
      cr = t;
    }
    const t0 = H + 2 * (v << k);
    for (let i = 0; i < run; i++) {
      const lo = (h + i) & lowMask;
      const tr = desc[t0 + 2 * lo] as number;
      const ti = desc[t0 + 2 * lo + 1] as number;
      const pr = cr * tr - ci * ti;
      const pi = cr * ti + ci * tr;
      const p = 2 * (s + i);
      const x = a[p] as number;
      const y = a[p + 1] as number;
      a[p] = pr * x - pi * y;
      a[p + 1] = pr * y + pi * x;
    }
  }
}
