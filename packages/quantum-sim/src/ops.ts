import { GATES, type GateName } from '@q-store/core';
import { type ComplexMatrix, gateMatrix } from '@q-store/core/backend';
import {
  apply1,
  apply1Real,
  apply2,
  applyControlled1,
  applyDiag1,
  applyDiag2,
  applyK,
  applyMux,
  applyPhase,
  applyPhaseTable,
  applySwap,
  applyX,
} from './kernels.js';
import type { WasmKernels } from './workspace.js';

/**
 * One kernel call: a gate (or a fused run of gates) in the form its fastest kernel takes. Built
 * from the canonical matrices of `@q-store/core`'s gate table (`gateMatrix`), classified by
 * structure: a diagonal becomes a phase or diagonal kernel, a controlled gate touches only its
 * control-set subspace, a real 2×2 skips the imaginary products.
 */
export type Op =
  | { kind: 'u1'; q: number; m: Float64Array }
  | { kind: 'r1'; q: number; m: Float64Array }
  | { kind: 'd1'; q: number; m: Float64Array }
  | { kind: 'phase'; mask: number; re: number; im: number }
  | { kind: 'x'; controls: number; q: number }
  | { kind: 'cu1'; controls: number; q: number; m: Float64Array }
  | { kind: 'swap'; q0: number; q1: number }
  | { kind: 'd2'; q0: number; q1: number; m: Float64Array }
  | { kind: 'u2'; q0: number; q1: number; m: Float64Array }
  | { kind: 'uk'; qubits: number[]; m: Float64Array }
  /** A multiplexed 2×2 on qubit q: m0 where bit c is 0, m1 where it is 1 (a CNOT folded into a 2×2). */
  | { kind: 'mux'; q: number; c: number; m0: Float64Array; m1: Float64Array }
  /** The real mux: real 2×2s [m00, m01, m10, m11] m0 where bit c is 0, m1 where it is 1. */
  | { kind: 'muxr'; q: number; c: number; m0: Float64Array; m1: Float64Array }
  /**
   * A diagonal phase table on the whole state (diagonals.ts): `mask` the qubits its factors read,
   * `desc` the table ({@link applyPhaseTable}), `factors` what it multiplies (split states build
   * their chunks' tables from them); merges a layer's diagonals into one pass.
   */
  | { kind: 'dtab'; mask: number; desc: Float64Array; factors: readonly PhaseFactor[] };

/** A phase factor: amplitudes whose index x has parity(x & mask) = b are multiplied by w_b. */
export interface PhaseFactor {
  mask: number;
  /** w_0 re, w_0 im, w_1 re, w_1 im. */
  w: readonly [number, number, number, number];
}

const EPS = 1e-15;

/** The control of a CNOT (an x with exactly one control), else −1. */
export function singleControl(op: Op | undefined): number {
  return op?.kind === 'x' && op.controls !== 0 && (op.controls & (op.controls - 1)) === 0
    ? 31 - Math.clz32(op.controls)
    : -1;
}

/** Interleaves a ComplexMatrix into (re, im) pairs row-major. */
export function interleave(m: ComplexMatrix): Float64Array {
  const out = new Float64Array(2 * m.dim * m.dim);
  for (let i = 0; i < m.dim * m.dim; i++) {
    out[2 * i] = m.re[i] as number;
    out[2 * i + 1] = m.im[i] as number;
  }
  return out;
}

function isZero(re: number, im: number): boolean {
  return Math.abs(re) < EPS && Math.abs(im) < EPS;
}

function isOne(re: number, im: number): boolean {
  return Math.abs(re - 1) < EPS && Math.abs(im) < EPS;
}

/** The fastest op for a 2×2 matrix m (8 numbers) on qubit q; undefined when m is the identity. */
export function op1(q: number, m: Float64Array, controls = 0): Op | undefined {
  // indexed reads (destructuring a typed array would go through its iterator)
  const diagonal = isZero(m[2] as number, m[3] as number) && isZero(m[4] as number, m[5] as number);
  if (diagonal) {
    if (isOne(m[0] as number, m[1] as number)) {
      if (isOne(m[6] as number, m[7] as number)) return undefined;
      return { kind: 'phase', mask: controls | (1 << q), re: m[6] as number, im: m[7] as number };
    }
    if (controls === 0)
      return { kind: 'd1', q, m: Float64Array.of(m[0] as number, m[1] as number, m[6] as number, m[7] as number) };
  }
  if (
    isZero(m[0] as number, m[1] as number) &&
    isZero(m[6] as number, m[7] as number) &&
    isOne(m[2] as number, m[3] as number) &&
    isOne(m[4] as number, m[5] as number)
  ) {
    return { kind: 'x', controls, q };
  }
  if (controls !== 0) return { kind: 'cu1', controls, q, m };
  if (
    Math.abs(m[1] as number) < EPS &&
    Math.abs(m[3] as number) < EPS &&
    Math.abs(m[5] as number) < EPS &&
    Math.abs(m[7] as number) < EPS
  ) {
    return { kind: 'r1', q, m: Float64Array.of(m[0] as number, m[2] as number, m[4] as number, m[6] as number) };
  }
  return { kind: 'u1', q, m };
}

/** The fastest op for a dense matrix (interleaved, 2^k × 2^k) on `qubits`; undefined for the identity. */
export function opFromMatrix(qubits: readonly number[], m: Float64Array): Op | undefined {
  const k = qubits.length;
  if (k === 1) return op1(qubits[0] as number, m);
  const dim = 1 << k;
  let diagonal = true;
  for (let r = 0; r < dim && diagonal; r++) {
    for (let c = 0; c < dim; c++) {
      if (r !== c && !isZero(m[2 * (r * dim + c)] as number, m[2 * (r * dim + c) + 1] as number)) {
        diagonal = false;
        break;
      }
    }
  }
  if (k === 2) {
    const [q0, q1] = qubits as [number, number];
    if (diagonal) {
      const full = Float64Array.of(
        m[0] as number,
        m[1] as number,
        m[10] as number,
        m[11] as number,
        m[20] as number,
        m[21] as number,
        m[30] as number,
        m[31] as number,
      );
      if (isOne(full[0] as number, full[1] as number) && isOne(full[2] as number, full[3] as number)) {
        if (isOne(full[4] as number, full[5] as number)) {
          if (isOne(full[6] as number, full[7] as number)) return undefined;
          return { kind: 'phase', mask: (1 << q0) | (1 << q1), re: full[6] as number, im: full[7] as number };
        }
      }
      return { kind: 'd2', q0, q1, m: full };
    }
    return { kind: 'u2', q0, q1, m };
  }
  return { kind: 'uk', qubits: [...qubits], m };
}

/**
 * Ops of fixed gates (no angles: h, x, cx, cz, ccx, swap, …) by gate and qubits, built once: small
 * circuits are compiled on every call, and a fixed gate's op never changes. Ops are never mutated.
 */
const fixedOps = new Map<GateName, Map<number, Op | undefined>>();
const FIXED_OPS_MAX = 4096;

/** Interleaved matrices of the fixed single-qubit gates, by name (never mutated). */
const fixedMatrices = new Map<GateName, Float64Array>();

/**
 * The interleaved matrix of a gate with numeric angles (cached for gates without angles). RX, RY
 * and RZ — most gates of variational circuits — are written out with the same expressions as core's
 * gate table (tested bit for bit against `gateMatrix`), without its intermediate matrix.
 */
export function gateMatrixInterleaved(name: GateName, params: readonly number[]): Float64Array {
  const a = params[0] as number;
  if ((name === 'rx' || name === 'ry' || name === 'rz') && params.length === 1 && Number.isFinite(a)) {
    // (new + stores, not Float64Array.of: V8's generic `of` costs more than the trigonometry)
    const c = Math.cos(a / 2);
    const s = Math.sin(a / 2);
    const m = new Float64Array(8);
    if (name === 'rz') {
      // cos(−a/2) = c and sin(−a/2) = −s exactly (both functions are symmetric in the sign bit)
      m[0] = c;
      m[1] = -s;
      m[6] = c;
      m[7] = s;
    } else if (name === 'rx') {
      m[0] = c;
      m[3] = -s;
      m[5] = -s;
      m[6] = c;
    } else {
      m[0] = c;
      m[2] = -s;
      m[4] = s;
      m[6] = c;
    }
    return m;
  }
  if (GATES[name].numParams > 0) return interleave(gateMatrix(name, params));
  let m = fixedMatrices.get(name);
  if (m === undefined) {
    m = interleave(gateMatrix(name, params));
    fixedMatrices.set(name, m);
  }
  return m;
}

/** The op for a gate of the core table on `qubits` with numeric angles. */
export function gateOp(name: GateName, qubits: readonly number[], params: readonly number[]): Op | undefined {
  if (GATES[name].numParams > 0) return buildGateOp(name, qubits, params);
  let byQubits = fixedOps.get(name);
  if (byQubits === undefined) {
    byQubits = new Map();
    fixedOps.set(name, byQubits);
  }
  // qubits (at most 3, each below 64) packed into one number: no key string per call
  let key = 0;
  for (let j = qubits.length - 1; j >= 0; j--) key = key * 64 + (qubits[j] as number);
  if (byQubits.has(key)) return byQubits.get(key);
  const op = buildGateOp(name, qubits, params);
  if (byQubits.size >= FIXED_OPS_MAX) byQubits.clear();
  byQubits.set(key, op);
  return op;
}

function buildGateOp(name: GateName, qubits: readonly number[], params: readonly number[]): Op | undefined {
  const info = GATES[name];
  const m = gateMatrixInterleaved(name, params);
  if (name === 'swap') return { kind: 'swap', q0: qubits[0] as number, q1: qubits[1] as number };
  if (info.numControls > 0) {
    // Controls are the low matrix bits; the target block sits at indices ctrl and ctrl | t.
    const nc = info.numControls;
    const dim = 1 << (nc + 1);
    const ctrl = (1 << nc) - 1;
    const t = 1 << nc;
    const rows = [ctrl, ctrl | t];
    const block = new Float64Array(8);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        const idx = 2 * ((rows[r] as number) * dim + (rows[c] as number));
        block[2 * (2 * r + c)] = m[idx] as number;
        block[2 * (2 * r + c) + 1] = m[idx + 1] as number;
      }
    }
    let controls = 0;
    for (let j = 0; j < nc; j++) controls |= 1 << (qubits[j] as number);
    return op1(qubits[nc] as number, block, controls);
  }
  return opFromMatrix(qubits, m);
}

function conj2(m: Float64Array, n: number): Float64Array {
  // Conjugate transpose of an n × n interleaved matrix.
  const out = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[2 * (c * n + r)] = m[2 * (r * n + c)] as number;
      out[2 * (c * n + r) + 1] = -(m[2 * (r * n + c) + 1] as number);
    }
  }
  return out;
}

/** A matrix argument's numbers, read by index (a real 2×2 has 4, a complex one 8). */
type Four = readonly [number, number, number, number];
type Eight = readonly [number, number, number, number, number, number, number, number];

/** The transpose of a real 2×2 [m00, m01, m10, m11]. */
function transposed(m: Float64Array): Float64Array {
  const out = new Float64Array(4);
  out[0] = m[0] as number;
  out[1] = m[2] as number;
  out[2] = m[1] as number;
  out[3] = m[3] as number;
  return out;
}

/** A real 2×2 [m00, m01, m10, m11] as an interleaved complex one. */
function complexOf(m: Float64Array): Float64Array {
  const out = new Float64Array(8);
  for (let i = 0; i < 4; i++) out[2 * i] = m[i] as number;
  return out;
}

/** The inverse (conjugate transpose) of a unitary op. */
export function inverseOp(op: Op): Op {
  switch (op.kind) {
    case 'u1':
      return { kind: 'u1', q: op.q, m: conj2(op.m, 2) };
    case 'r1':
      return { kind: 'r1', q: op.q, m: transposed(op.m) };
    case 'd1':
      return { kind: 'd1', q: op.q, m: op.m.map((v, i) => (i % 2 === 1 ? -v : v)) };
    case 'phase':
      return { kind: 'phase', mask: op.mask, re: op.re, im: -op.im };
    case 'x':
    case 'swap':
      return op;
    case 'cu1':
      return { kind: 'cu1', controls: op.controls, q: op.q, m: conj2(op.m, 2) };
    case 'd2':
      return { kind: 'd2', q0: op.q0, q1: op.q1, m: op.m.map((v, i) => (i % 2 === 1 ? -v : v)) };
    case 'u2':
      return { kind: 'u2', q0: op.q0, q1: op.q1, m: conj2(op.m, 4) };
    case 'uk':
      return { kind: 'uk', qubits: op.qubits, m: conj2(op.m, 1 << op.qubits.length) };
    case 'mux':
      return { kind: 'mux', q: op.q, c: op.c, m0: conj2(op.m0, 2), m1: conj2(op.m1, 2) };
    case 'muxr':
      return { kind: 'muxr', q: op.q, c: op.c, m0: transposed(op.m0), m1: transposed(op.m1) };
    case 'dtab':
      return {
        ...op,
        desc: conjugatedTable(op.desc),
        factors: op.factors.map((f) => ({ mask: f.mask, w: [f.w[0], -f.w[1], f.w[2], -f.w[3]] as const })),
      };
  }
}

/** A phase table's desc with every factor and table entry conjugated (the inverse diagonal). */
function conjugatedTable(desc: Float64Array): Float64Array {
  const out = desc.slice();
  const r = desc[1] as number;
  const nh = desc[2] as number;
  const H = desc[3] as number;
  for (let f = 0; f < nh; f++) {
    const p = 4 + r + 5 * f;
    out[p + 2] = -(desc[p + 2] as number);
    out[p + 4] = -(desc[p + 4] as number);
  }
  for (let i = H + 1; i < desc.length; i += 2) out[i] = -(desc[i] as number);
  return out;
}

/**
 * True for a CNOT (one control) whose target lies below `bits` and whose control lies at or above:
 * inside a block of 2^bits amplitudes it is an X on the target or nothing, as the block's own
 * index bit says (applyOp with the block's offset), so it runs inside cache-blocked runs.
 */
export function blockConditional(op: Op, bits: number): boolean {
  return (
    op.kind === 'x' &&
    op.controls !== 0 &&
    (op.controls & (op.controls - 1)) === 0 &&
    op.controls >= 2 ** bits &&
    op.q < bits
  );
}

/**
 * Applies `op` to the interleaved state `a` of `dim` amplitudes. With `wasm` (and `a` inside its
 * memory) the SIMD kernels run the common cases: real and complex 2×2, diagonal 2×2, CNOT, phase
 * tables. `offset`: the index of a[0] in the whole state (a phase table reads it, and a CNOT
 * whose controls lie above `dim` ({@link blockConditional}); other ops act on `a` alone, so
 * blocks of a state can be passed as they are).
 */
export function applyOp(a: Float64Array, dim: number, op: Op, wasm?: WasmKernels, offset = 0): void {
  switch (op.kind) {
    case 'dtab':
      if (wasm) {
        const at = wasm.tableAt(op);
        if (at >= 0) {
          wasm.dtab(a.byteOffset, dim, offset, at);
          return;
        }
      }
      applyPhaseTable(a, dim, offset, op.desc);
      return;
    case 'u1': {
      const m = op.m;
      if (wasm) {
        wasm.u1(
          a.byteOffset,
          dim,
          op.q,
          m[0] as number,
          m[1] as number,
          m[2] as number,
          m[3] as number,
          m[4] as number,
          m[5] as number,
          m[6] as number,
          m[7] as number,
        );
      } else {
        apply1(a, dim, op.q, m);
      }
      return;
    }
    case 'r1':
      if (wasm)
        wasm.r1(a.byteOffset, dim, op.q, op.m[0] as number, op.m[1] as number, op.m[2] as number, op.m[3] as number);
      else apply1Real(a, dim, op.q, op.m);
      return;
    case 'd1':
      if (wasm)
        wasm.d1(a.byteOffset, dim, op.q, op.m[0] as number, op.m[1] as number, op.m[2] as number, op.m[3] as number);
      else applyDiag1(a, dim, op.q, op.m);
      return;
    case 'phase':
      applyPhase(a, dim, op.mask, op.re, op.im);
      return;
    case 'x': {
      // controls above this range (a block of a larger state, at whole-state index `offset`): the
      // block's own index bits decide them — all set, the lower controls alone; else nothing
      const high = op.controls & ~(dim - 1);
      if (high !== 0 && (offset & high) !== high) return;
      const controls = op.controls & (dim - 1);
      if (high !== 0 && controls === 0 && wasm && a.byteOffset >= 16 * dim) {
        // X on the whole block: the cx kernel over [block before, block], controlled by its size bit
        wasm.cx(a.byteOffset - 16 * dim, 2 * dim, Math.log2(dim), op.q);
      } else if (wasm && controls !== 0 && (controls & (controls - 1)) === 0) {
        wasm.cx(a.byteOffset, dim, 31 - Math.clz32(controls), op.q);
      } else {
        applyX(a, dim, controls, op.q);
      }
      return;
    }
    case 'cu1':
      applyControlled1(a, dim, op.controls, op.q, op.m);
      return;
    case 'swap':
      applySwap(a, dim, op.q0, op.q1);
      return;
    case 'd2':
      applyDiag2(a, dim, op.q0, op.q1, op.m);
      return;
    case 'u2':
      if (wasm) {
        wasm.matrix.set(op.m);
        wasm.u2(a.byteOffset, dim, op.q0, op.q1, wasm.matrix.byteOffset);
      } else {
        apply2(a, dim, op.q0, op.q1, op.m);
      }
      return;
    case 'uk':
      applyK(a, dim, op.qubits, op.m);
      return;
    case 'mux':
    case 'muxr':
      if (wasm) {
        // explicit arguments: a spread of typed arrays goes through their iterators (4× the call)
        if (op.kind === 'muxr') {
          const x = op.m0 as unknown as Four;
          const y = op.m1 as unknown as Four;
          wasm.muxr(a.byteOffset, dim, op.q, op.c, x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3]);
        } else {
          const x = op.m0 as unknown as Eight;
          const y = op.m1 as unknown as Eight;
          wasm.mux(
            a.byteOffset,
            dim,
            op.q,
            op.c,
            x[0],
            x[1],
            x[2],
            x[3],
            x[4],
            x[5],
            x[6],
            x[7],
            y[0],
            y[1],
            y[2],
            y[3],
            y[4],
            y[5],
            y[6],
            y[7],
          );
        }
      } else if (op.kind === 'mux') {
        applyMux(a, dim, op.q, op.c, op.m0, op.m1);
      } else {
        applyMux(a, dim, op.q, op.c, complexOf(op.m0), complexOf(op.m1));
      }
      return;
  }
}
