import { type CircuitJson, type GateName, isGateName } from '@q-store/core';
import { type FusionCostModel, fuseBlocks } from './fusion.js';
import { gateMatrixInterleaved, gateOp, type Op, op1 } from './ops.js';

/** One gate of a circuit with numeric angles. */
export interface BoundGate {
  name: GateName;
  qubits: number[];
  params: number[];
}

/**
 * The gates of a circuit whose angles are all numbers, in order. `measure` is terminal (every qubit
 * is sampled at the end anyway) and `barrier` only separates fusion runs: `null` marks a barrier.
 */
export function boundGates(circuit: CircuitJson): Array<BoundGate | { barrier: number[] }> {
  const out: Array<BoundGate | { barrier: number[] }> = [];
  for (const op of circuit.operations) {
    if (op.gate === 'measure') continue;
    if (op.gate === 'barrier') {
      out.push({ barrier: [...op.qubits] });
      continue;
    }
    if (!isGateName(op.gate)) throw new RangeError(`unknown gate '${op.gate}'`);
    const params = (op.params ?? []).map((p) => {
      if (typeof p !== 'number') throw new RangeError(`internal: unbound parameter '${p}'`);
      return p;
    });
    out.push({ name: op.gate, qubits: [...op.qubits], params });
  }
  return out;
}

/** c = a·b for 2×2 interleaved complex matrices (b applied first). */
function mul2(a: Float64Array, b: Float64Array): Float64Array {
  const c = new Float64Array(8);
  for (let r = 0; r < 2; r++) {
    for (let col = 0; col < 2; col++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < 2; k++) {
        const ar = a[2 * (2 * r + k)] as number;
        const ai = a[2 * (2 * r + k) + 1] as number;
        const br = b[2 * (2 * k + col)] as number;
        const bi = b[2 * (2 * k + col) + 1] as number;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      c[2 * (2 * r + col)] = re;
      c[2 * (2 * r + col) + 1] = im;
    }
  }
  return c;
}

/**
 * Kernel ops for a bound circuit.
 *
 * Fusion rule (when `fuse` is true): consecutive single-qubit gates on the same qubit, with no
 * multi-qubit gate or barrier on that qubit between them, are multiplied into one 2×2 matrix,
 * which is then classified (identity → dropped; diagonal → phase or diagonal kernel; real → real
 * kernel; else general). A pending run is emitted just before the next multi-qubit gate or barrier
 * that touches its qubit, or at the end. Single-qubit runs on different qubits commute, so the
 * result is the same unitary as the unfused circuit (tested).
 *
 * With `fuseQubits` = k ≥ 2, the ops are then fused into blocks on up to k qubits where the cost
 * model (`costs`, default the SIMD one) says one dense op is cheaper (see fusion.ts).
 */
export function compileOps(
  circuit: CircuitJson,
  options: { fuse?: boolean; fuseQubits?: number; costs?: FusionCostModel } = {},
): Op[] {
  const fuse = options.fuse ?? true;
  const ops = compileSingleQubitFused(circuit, fuse);
  const k = options.fuseQubits ?? 1;
  return fuse && k >= 2 ? fuseBlocks(ops, k, options.costs) : ops;
}

function compileSingleQubitFused(circuit: CircuitJson, fuse: boolean): Op[] {
  const ops: Op[] = [];
  const pending: Array<Float64Array | undefined> = new Array(circuit.numQubits);
  let anyPending = false;
  for (const g of circuit.operations) {
    if (g.gate === 'measure') continue;
    if (g.gate === 'barrier') {
      for (const q of g.qubits) flushPending(pending, q, ops);
      continue;
    }
    if (!isGateName(g.gate)) throw new RangeError(`unknown gate '${g.gate}'`);
    const params = numericParams(g.params);
    if (fuse && g.qubits.length === 1) {
      const q = g.qubits[0] as number;
      const m = gateMatrixInterleaved(g.gate, params);
      const prev = pending[q];
      pending[q] = prev ? mul2(m, prev) : m;
      anyPending = true;
      continue;
    }
    if (anyPending) for (const q of g.qubits) flushPending(pending, q, ops);
    const op = gateOp(g.gate, g.qubits, params);
    if (op) ops.push(op);
  }
  if (anyPending) for (let q = 0; q < pending.length; q++) flushPending(pending, q, ops);
  return ops;
}

/** Emits the fused single-qubit run pending on qubit q (if any) as one op. */
function flushPending(pending: Array<Float64Array | undefined>, q: number, ops: Op[]): void {
  const m = pending[q];
  if (m === undefined) return;
  pending[q] = undefined;
  const op = op1(q, m);
  if (op) ops.push(op);
}

const NO_PARAMS: readonly number[] = [];

function numericParams(params: ReadonlyArray<number | string> | undefined): readonly number[] {
  if (params === undefined || params.length === 0) return NO_PARAMS;
  for (const p of params) {
    if (typeof p !== 'number') throw new RangeError(`internal: unbound parameter '${p}'`);
  }
  return params as readonly number[];
}
