import { opMask } from './fusion.js';
import { type Op, type PhaseFactor, singleControl } from './ops.js';
import { parity, walshHadamard } from './pauli.js';

/**
 * Diagonal merging (program.ts `compileSimd`, from {@link TABLE_MIN_QUBITS} qubits on).
 *
 * Every general 2×2 U is split into D_after · R · D_before with R real and the D diagonal
 * ({@link realCore}: U_ij = p_i · R_ij · q_j, q_0 = 1), so the 2×2 runs on the real kernel (about
 * 0.6 of the complex one, measured) and its phases become phase factors. A phase factor (mask m,
 * w_0, w_1) multiplies amplitude x by w_b, b = parity(x & m). Factors commute with each other and
 * with every op on other qubits, and move through a CNOT c → t by m ← m ⊕ [t ∈ m]·2^c (the
 * diagonal seen from the other side of the CNOT: a phase on t becomes a phase on the parity of c
 * and t). Each factor moves back to the earliest place it can reach, each other op to the earliest
 * place after everything it does not commute with (a CNOT carries the phases it passes), so the
 * phases between two layers of 2×2s gather into one place: on the QCBM, each layer's phases and
 * the next layer's, through the CNOT ring between them, become one diagonal with factors on
 * neighbouring parities. That diagonal runs as one table pass ({@link phaseTable}, the `dtab`
 * kernel): per amplitude two complex products, about one 2×2 pass, instead of 2n general 2×2s.
 *
 * Moved ops keep their order among the ops they do not commute with, so the circuit's unitary is
 * unchanged; the rounding is not bit-identical to the unmerged ops (tested to 1e-12 against them).
 */

/** A phase factor (mutable mask while it moves; ops.ts PhaseFactor). */
interface Factor {
  mask: number;
  w: PhaseFactor['w'];
}

/**
 * Phases at one place, or ops in circuit order (each op is appended, and placed in circuit
 * order); `union`: the qubits they touch (OR of masks).
 */
type Segment = { diag: true; factors: Factor[]; union: number } | { diag: false; ops: Op[]; union: number };

/** Segments an op or factor walks back over at most (compile time stays linear in the circuit). */
const MAX_WALK = 24;

/** Low index bits of a phase table (its variants have 2^k entries). */
const TABLE_BITS = 6;

/** Most variant bits of one phase table (factors beyond go into another table). */
const MAX_VARIANT_BITS = 3;

function unit(re: number, im: number): [number, number] {
  const r = Math.hypot(re, im);
  return r === 0 ? [1, 0] : [re / r, im / r];
}

/**
 * A unitary 2×2 m (interleaved, row-major) as D_after · R · D_before: R real, D_before = diag(1, q1),
 * D_after = diag(p0, p1). p0 is the phase of U00, q1 = conj(p0) · phase(U01), p1 = phase(U11) ·
 * conj(q1) (or phase(U10) when |U10| > |U11|); unitarity makes every conj(p_i) U_ij conj(q_j) real
 * (tested on random unitaries), and R takes its real parts.
 */
export function realCore(m: Float64Array): {
  before: [number, number];
  real: Float64Array;
  after: [number, number, number, number];
} {
  const ar = m[0] as number;
  const ai = m[1] as number;
  const br = m[2] as number;
  const bi = m[3] as number;
  const cr = m[4] as number;
  const ci = m[5] as number;
  const dr = m[6] as number;
  const di = m[7] as number;
  const [p0r, p0i] = unit(ar, ai);
  const [ubr, ubi] = unit(br, bi);
  // q1 = conj(p0) · unit(b)
  const q1r = p0r * ubr + p0i * ubi;
  const q1i = p0r * ubi - p0i * ubr;
  let p1r: number;
  let p1i: number;
  if (Math.hypot(dr, di) >= Math.hypot(cr, ci)) {
    const [udr, udi] = unit(dr, di);
    // unit(d) · conj(q1)
    p1r = udr * q1r + udi * q1i;
    p1i = udi * q1r - udr * q1i;
  } else {
    [p1r, p1i] = unit(cr, ci);
  }
  // R_ij = Re(conj(p_i) · U_ij · conj(q_j))
  const re3 = (pr: number, pi: number, ur: number, ui: number, qr: number, qi: number) => {
    const xr = pr * ur + pi * ui;
    const xi = pr * ui - pi * ur;
    return xr * qr + xi * qi;
  };
  const real = new Float64Array(4);
  real[0] = re3(p0r, p0i, ar, ai, 1, 0);
  real[1] = re3(p0r, p0i, br, bi, q1r, q1i);
  real[2] = re3(p1r, p1i, cr, ci, 1, 0);
  real[3] = re3(p1r, p1i, dr, di, q1r, q1i);
  return { before: [q1r, q1i], real, after: [p0r, p0i, p1r, p1i] };
}

/** [c, t] of a CNOT, else undefined. */
function cnotOf(op: Op): [number, number] | undefined {
  const c = singleControl(op);
  return c >= 0 ? [c, (op as Op & { kind: 'x' }).q] : undefined;
}

/** A factor's mask moved through a segment's ops from after them to before them, or −1 where one blocks it. */
function passBack(seg: { ops: readonly Op[]; union: number }, mask: number): number {
  if ((seg.union & mask) === 0) return mask;
  const ops = seg.ops;
  let m = mask;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i] as Op;
    const cx = cnotOf(op);
    if (cx) {
      if ((m >>> cx[1]) & 1) m ^= 1 << cx[0];
    } else if ((opMask(op) & m) !== 0) {
      return -1;
    }
  }
  return m;
}

function placeFactor(segs: Segment[], f: Factor): void {
  let m = f.mask;
  let k = segs.length - 1;
  for (let steps = 0; k >= 0 && steps < MAX_WALK; k--, steps++) {
    const s = segs[k] as Segment;
    if (s.diag) continue;
    const moved = passBack(s, m);
    if (moved < 0) break;
    m = moved;
  }
  const at = segs[k + 1];
  if (at?.diag) {
    at.factors.push({ mask: m, w: f.w });
    at.union |= m;
  } else {
    segs.splice(k + 1, 0, { diag: true, factors: [{ mask: m, w: f.w }], union: m });
  }
}

function placeOp(segs: Segment[], op: Op): void {
  const mask = opMask(op);
  const cx = cnotOf(op);
  const passed: Array<Segment & { diag: true }> = [];
  let k = segs.length - 1;
  let steps = 0;
  for (; k >= 0 && steps < MAX_WALK; k--, steps++) {
    const s = segs[k] as Segment;
    if (s.diag && cx) passed.push(s);
    else if ((s.union & mask) !== 0) break;
  }
  // a CNOT placed before phases carries them: each factor's mask as seen from before it
  if (cx) {
    for (const s of passed) {
      if (((s.union >>> cx[1]) & 1) === 0) continue;
      s.union = 0;
      for (const f of s.factors) {
        if ((f.mask >>> cx[1]) & 1) f.mask ^= 1 << cx[0];
        s.union |= f.mask;
      }
    }
  }
  const here = segs[k];
  const next = segs[k + 1];
  if (k >= 0 && steps < MAX_WALK && here && !here.diag) {
    here.ops.push(op);
    here.union |= mask;
  } else if (next && !next.diag) {
    next.ops.push(op);
    next.union |= mask;
  } else {
    segs.splice(k + 1, 0, { diag: false, ops: [op], union: mask });
  }
}

/**
 * `ops` (single-qubit runs fused, no CNOT folded yet) with every general 2×2 on the real kernel
 * and the phases merged (see the top of this file), for a state of n qubits.
 */
export function mergeDiagonals(ops: readonly Op[], n: number): Op[] {
  const segs: Segment[] = [];
  for (const op of ops) {
    if (op.kind === 'u1') {
      const { before, real, after } = realCore(op.m);
      if (before[0] !== 1 || before[1] !== 0) placeFactor(segs, { mask: 1 << op.q, w: [1, 0, before[0], before[1]] });
      placeOp(segs, { kind: 'r1', q: op.q, m: real });
      placeFactor(segs, { mask: 1 << op.q, w: after });
    } else if (op.kind === 'd1') {
      placeFactor(segs, { mask: 1 << op.q, w: [op.m[0], op.m[1], op.m[2], op.m[3]] as Factor['w'] });
    } else if (op.kind === 'phase' && (op.mask & (op.mask - 1)) === 0) {
      placeFactor(segs, { mask: op.mask, w: [1, 0, op.re, op.im] });
    } else {
      placeOp(segs, op);
    }
  }
  const out: Op[] = [];
  for (const s of segs) {
    if (s.diag) {
      for (const op of phaseOps(s.factors, n)) out.push(op);
    } else {
      for (const op of s.ops) out.push(op);
    }
  }
  return out;
}

/** Factors with equal masks multiplied together; identities dropped. */
function merged(factors: readonly PhaseFactor[]): Factor[] {
  const byMask = new Map<number, [number, number, number, number]>();
  for (const f of factors) {
    const w = byMask.get(f.mask);
    if (!w) {
      byMask.set(f.mask, [...f.w]);
      continue;
    }
    const [a, b, c, d] = w;
    w[0] = a * f.w[0] - b * f.w[1];
    w[1] = a * f.w[1] + b * f.w[0];
    w[2] = c * f.w[2] - d * f.w[3];
    w[3] = c * f.w[3] + d * f.w[2];
  }
  const out: Factor[] = [];
  for (const [mask, w] of byMask) {
    const one = w[0] === 1 && w[1] === 0 && (mask === 0 || (w[2] === 1 && w[3] === 0));
    if (!one) out.push({ mask, w });
  }
  return out;
}

/**
 * Kernel ops of one place's phases on a state of n qubits: d1s when they are one or two
 * single-qubit factors, else phase tables (split states build their chunks' ops with it).
 */
export function phaseOps(factors: readonly PhaseFactor[], n: number): Op[] {
  const fs = merged(factors);
  if (fs.length === 0) return [];
  const single = fs.every((f) => f.mask !== 0 && (f.mask & (f.mask - 1)) === 0);
  if (single && fs.length <= 2) {
    return fs.map((f) => ({ kind: 'd1', q: 31 - Math.clz32(f.mask), m: Float64Array.from(f.w) }));
  }
  const k = Math.min(TABLE_BITS, n);
  const low = 2 ** k - 1;
  // tables of at most MAX_VARIANT_BITS independent high parts of the factors that mix low and high bits
  const groups: Array<{ factors: Factor[]; basis: Basis }> = [{ factors: [], basis: new Basis() }];
  for (const f of fs) {
    const hi = f.mask & ~low;
    if ((f.mask & low) === 0 || hi === 0) {
      (groups[0] as { factors: Factor[] }).factors.push(f);
      continue;
    }
    let g = groups.find((x) => x.basis.fits(hi));
    if (!g) {
      g = { factors: [], basis: new Basis() };
      groups.push(g);
    }
    g.basis.add(hi);
    g.factors.push(f);
  }
  return groups.filter((g) => g.factors.length > 0).map((g) => phaseTable(g.factors, g.basis, k));
}

/** Independent high masks (GF(2)), each original mask a variant bit; expresses others in them. */
class Basis {
  /** The variant bits' masks, in order. */
  readonly masks: number[] = [];
  /** Reduced rows: pivot bit, reduced vector, combination of variant bits, by descending pivot. */
  private rows: Array<{ pivot: number; vec: number; combo: number }> = [];

  /** [remainder, combination]: x reduced by the rows. */
  private reduce(x: number): [number, number] {
    let v = x;
    let c = 0;
    for (const r of this.rows) {
      if ((v >>> r.pivot) & 1) {
        v ^= r.vec;
        c ^= r.combo;
      }
    }
    return [v, c];
  }

  fits(x: number): boolean {
    return this.masks.length < MAX_VARIANT_BITS || this.reduce(x)[0] === 0;
  }

  add(x: number): void {
    const [v, c] = this.reduce(x);
    if (v === 0) return;
    const j = this.masks.length;
    this.masks.push(x);
    this.rows.push({ pivot: 31 - Math.clz32(v), vec: v, combo: c ^ (1 << j) });
    this.rows.sort((a, b) => b.pivot - a.pivot);
  }

  /** The variant bits whose masks XOR to x (x in their span). */
  combination(x: number): number {
    return this.reduce(x)[1];
  }
}

let parityTable = new Uint8Array(0);

/** parity(x) for every x below `size` (a table kept between calls). */
function parities(size: number): Uint8Array {
  if (parityTable.length < size) {
    parityTable = new Uint8Array(size);
    for (let x = 1; x < size; x++) parityTable[x] = (parityTable[x >>> 1] as number) ^ (x & 1);
  }
  return parityTable;
}

/**
 * One `dtab` op (layout: kernels.ts applyPhaseTable). Factors on low bits only (below k) go into
 * one base table: exp(Σ_f log w_f[b_f]) with log w_f[b] = (L0 + L1)/2 + (−1)^b (L0 − L1)/2, so its
 * 2^k entries are one Walsh–Hadamard transform of the factors' (L0 − L1)/2 placed at their masks.
 * Each variant v (the parities of the run's index with the basis masks) multiplies it by the
 * factors that mix low and high bits, their high parity read from v. Factors on high bits only are
 * the kernel's per-run product.
 */
function phaseTable(factors: readonly Factor[], basis: Basis, k: number): Op {
  const low = 2 ** k - 1;
  const size = 2 ** k;
  const r = basis.masks.length;
  const hiOnly = factors.filter((f) => (f.mask & low) === 0);
  const loOnly = factors.filter((f) => (f.mask & low) !== 0 && (f.mask & ~low) === 0);
  const mixed = factors.filter((f) => (f.mask & low) !== 0 && (f.mask & ~low) !== 0);
  const H = 4 + r + 5 * hiOnly.length + ((4 + r + 5 * hiOnly.length) % 2);
  const desc = new Float64Array(H + 2 * size * 2 ** r);
  desc[0] = k;
  desc[1] = r;
  desc[2] = hiOnly.length;
  desc[3] = H;
  basis.masks.forEach((m, j) => {
    desc[4 + j] = m;
  });
  hiOnly.forEach((f, i) => {
    const p = 4 + r + 5 * i;
    desc[p] = f.mask;
    desc.set(f.w, p + 1);
  });
  const base = baseTable(loOnly, size);
  const cross = mixed.map((f) => ({ lo: f.mask & low, combo: basis.combination(f.mask & ~low), w: f.w }));
  const par = parities(size);
  for (let v = 0; v < 2 ** r; v++) {
    const t0 = H + 2 * size * v;
    const flips = cross.map((f) => parity(v & f.combo));
    for (let x = 0; x < size; x++) {
      let cr = base[2 * x] as number;
      let ci = base[2 * x + 1] as number;
      for (let j = 0; j < cross.length; j++) {
        const f = cross[j] as (typeof cross)[number];
        const b = (par[x & f.lo] as number) ^ (flips[j] as number);
        const wr = f.w[2 * b] as number;
        const wi = f.w[2 * b + 1] as number;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
      desc[t0 + 2 * x] = cr;
      desc[t0 + 2 * x + 1] = ci;
    }
  }
  let mask = 0;
  for (const f of factors) mask |= f.mask;
  return { kind: 'dtab', mask, desc, factors: factors.map((f) => ({ mask: f.mask, w: f.w })) };
}

/** Π_f w_f[parity(x & mask_f)] for every x below `size` (interleaved), by one Walsh–Hadamard transform. */
function baseTable(factors: readonly Factor[], size: number): Float64Array {
  const out = new Float64Array(2 * size);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let sr = 0;
  let si = 0;
  let unitModulus = true;
  for (const f of factors) {
    const m0 = Math.hypot(f.w[0], f.w[1]);
    const m1 = Math.hypot(f.w[2], f.w[3]);
    if (Math.abs(m0 - 1) > 1e-14 || Math.abs(m1 - 1) > 1e-14) unitModulus = false;
    const l0r = Math.log(m0);
    const l1r = Math.log(m1);
    const l0i = Math.atan2(f.w[1], f.w[0]);
    const l1i = Math.atan2(f.w[3], f.w[2]);
    sr += (l0r + l1r) / 2;
    si += (l0i + l1i) / 2;
    re[f.mask] = (re[f.mask] as number) + (l0r - l1r) / 2;
    im[f.mask] = (im[f.mask] as number) + (l0i - l1i) / 2;
  }
  walshHadamard(im);
  if (!unitModulus) walshHadamard(re);
  for (let x = 0; x < size; x++) {
    const mag = unitModulus ? 1 : Math.exp(sr + (re[x] as number));
    const ang = si + (im[x] as number);
    out[2 * x] = mag * Math.cos(ang);
    out[2 * x + 1] = mag * Math.sin(ang);
  }
  return out;
}
