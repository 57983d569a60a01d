import { type CircuitJson, type GateName, isGateName } from '@q-store/core';
import { mergeDiagonals } from './diagonals.js';
import { type FusionCostModel, fuseBlocks, SIMD_COSTS } from './fusion.js';
import { gateMatrixInterleaved, gateOp, type Op, op1, singleControl } from './ops.js';
import { TABLE_MIN_QUBITS } from './workspace.js';

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

/** c = a·b for 2×2 interleaved complex matrices (b applied first), written out. */
function mul2(a: Float64Array, b: Float64Array): Float64Array {
  const a0 = a[0] as number;
  const a1 = a[1] as number;
  const a2 = a[2] as number;
  const a3 = a[3] as number;
  const a4 = a[4] as number;
  const a5 = a[5] as number;
  const a6 = a[6] as number;
  const a7 = a[7] as number;
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  const b2 = b[2] as number;
  const b3 = b[3] as number;
  const b4 = b[4] as number;
  const b5 = b[5] as number;
  const b6 = b[6] as number;
  const b7 = b[7] as number;
  const c = new Float64Array(8);
  // c[r][col] = a[r][0]·b[0][col] + a[r][1]·b[1][col], summed from 0 in that order (as a loop would)
  c[0] = 0 + (a0 * b0 - a1 * b1) + (a2 * b4 - a3 * b5);
  c[1] = 0 + (a0 * b1 + a1 * b0) + (a2 * b5 + a3 * b4);
  c[2] = 0 + (a0 * b2 - a1 * b3) + (a2 * b6 - a3 * b7);
  c[3] = 0 + (a0 * b3 + a1 * b2) + (a2 * b7 + a3 * b6);
  c[4] = 0 + (a4 * b0 - a5 * b1) + (a6 * b4 - a7 * b5);
  c[5] = 0 + (a4 * b1 + a5 * b0) + (a6 * b5 + a7 * b4);
  c[6] = 0 + (a4 * b2 - a5 * b3) + (a6 * b6 - a7 * b7);
  c[7] = 0 + (a4 * b3 + a5 * b2) + (a6 * b7 + a7 * b6);
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
  options: {
    fuse?: boolean;
    fuseQubits?: number;
    costs?: FusionCostModel;
    /** Qubits below it fold CNOTs into 2×2s (0: none). */
    foldBelow?: number;
    /** Fold into general (complex) 2×2s too, not only real ones (default true). */
    foldComplex?: boolean;
  } = {},
): Op[] {
  const fuse = options.fuse ?? true;
  const fold = { below: fuse ? (options.foldBelow ?? 0) : 0, complex: options.foldComplex ?? true };
  const ops = compileSingleQubitFused(circuit, fuse, fold);
  const k = options.fuseQubits ?? 1;
  return fuse && k >= 2 ? fuseBlocks(ops, k, options.costs) : ops;
}

/**
 * The ops the simulator runs on the SIMD kernels: single-qubit runs fused, CNOTs folded into 2×2s
 * ({@link pushCnot}, {@link pushOne}), then blocks on up to `fuseQubits` qubits where the SIMD cost
 * model says so. With `tables` (default: from {@link TABLE_MIN_QUBITS} qubits on, for a state in
 * one memory) the general 2×2s first become real ones and their phases phase tables
 * (diagonals.ts), then the CNOTs fold.
 */
export function compileSimd(
  circuit: CircuitJson,
  options: { fuse?: boolean; fuseQubits?: number; tables?: boolean } = {},
): Op[] {
  const n = circuit.numQubits;
  const fuse = options.fuse ?? true;
  const tables = fuse && (options.tables ?? n >= TABLE_MIN_QUBITS);
  const compile = {
    fuse,
    fuseQubits: options.fuseQubits ?? 2,
    costs: SIMD_COSTS,
    foldBelow: n,
    foldComplex: n >= FOLD_COMPLEX_MIN_QUBITS,
  };
  if (!tables) return compileOps(circuit, compile);
  const fold = { below: n, complex: compile.foldComplex };
  // phases do not move across a barrier: each stretch between barriers merges on its own
  const merged = barrierFree(circuit).flatMap((c) => mergeDiagonals(compileSingleQubitFused(c, true, NO_FOLD), n));
  const ops = foldCnots(merged, fold);
  return compile.fuseQubits >= 2 ? fuseBlocks(ops, compile.fuseQubits, SIMD_COSTS) : ops;
}

const NO_FOLD: Fold = { below: 0, complex: false };

/** The circuit cut at its barriers (on any qubits) into circuits without them. */
function barrierFree(circuit: CircuitJson): CircuitJson[] {
  const out: CircuitJson[] = [{ ...circuit, operations: [] }];
  for (const g of circuit.operations) {
    if (g.gate === 'barrier') out.push({ ...circuit, operations: [] });
    else (out.at(-1) as CircuitJson).operations.push(g);
  }
  return out;
}

/** `ops` with each CNOT folded into the 2×2 next to it where {@link pushCnot} / {@link pushOne} fold. */
function foldCnots(ops: readonly Op[], fold: Fold): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    const c = singleControl(op);
    if (c >= 0) pushCnot(out, op as Op & { kind: 'x' }, c, fold);
    else if (op.kind === 'u1' || op.kind === 'r1') pushOne(out, op, fold);
    else out.push(op);
  }
  return out;
}

/**
 * Fewest qubits for folding CNOTs into general 2×2s in {@link compileSimd} (real ones always fold).
 * Measured, compile + run interleaved in one process, folded over unfolded: the QCBM (general
 * 2×2s) 1.04 at n = 4, 1.05 at 6, 1.04 at 8, 0.99 at 10 (and 0.76–0.91 of the run alone at 10–22);
 * the RY-and-CNOT circuit (real 2×2s) 0.94, 0.92, 0.87, 0.97 at n = 4, 6, 8, 10.
 */
const FOLD_COMPLEX_MIN_QUBITS = 10;

/** Which CNOTs fold: those on qubits below `below`, into general 2×2s only when `complex`. */
interface Fold {
  below: number;
  complex: boolean;
}

/** A 2×2's entries in the order `order` (X·m: rows swapped; m·X: columns swapped). */
function permuted(m: Float64Array, order: readonly number[]): Float64Array {
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = m[order[i] as number] as number;
  return out;
}

/** Entry orders of X·m and m·X: a general 2×2 (interleaved, 8 numbers) and a real one (4). */
const SWAPPED = {
  u1: { rows: [4, 5, 6, 7, 0, 1, 2, 3], columns: [2, 3, 0, 1, 6, 7, 4, 5] },
  r1: { rows: [2, 3, 0, 1], columns: [1, 0, 3, 2] },
} as const;

/**
 * CNOT folding (`foldBelow`: qubits below it fold): a 2×2 m on qubit t right before a CNOT c → t is
 * the multiplexed 2×2 that applies m where bit c is 0 and X·m where it is 1; a CNOT right before a
 * 2×2 m on its target, m and m·X — a `mux` for a general 2×2, a `muxr` for a real one (general
 * ones only with `foldComplex`). "Right before": adjacent in the op list, where the single-qubit
 * run on t is flushed by the CNOT itself (the run on c is flushed just before it) or by the end of
 * the circuit. The CNOT then costs no pass of its own. The mux kernels compute each amplitude with
 * the 2×2's instructions (rows or columns of the matrix swapped, and a swapped sum is the same
 * sum), so the result is bit-identical to the ops unfolded (tested); the pair stays adjacent, so no
 * op moves past another (a 2×2 moved past ops on other qubits would round differently). Measured
 * (QCBM, one thread, interleaved medians, folded over unfolded): n = 10 0.88–0.91, 16 0.88, 20
 * 0.76–0.84, 22 0.85 — for every control and target, qubit 0 included, so no pair is left out.
 */
function folded(one: Op & { kind: 'u1' | 'r1' }, c: number, cnotFirst: boolean): Op {
  const m1 = permuted(one.m, SWAPPED[one.kind][cnotFirst ? 'columns' : 'rows']);
  return { kind: one.kind === 'u1' ? 'mux' : 'muxr', q: one.q, c, m0: one.m, m1 };
}

/** True when a CNOT may fold into `op` (a 2×2 on a qubit below `fold.below`). */
function foldable(op: Op | undefined, fold: Fold): op is Op & { kind: 'u1' | 'r1' } {
  return ((op?.kind === 'u1' && fold.complex) || op?.kind === 'r1') && op.q < fold.below;
}

/**
 * A folded mux back as its two ops — [2×2, CNOT] when m1 = X·m0, [CNOT, 2×2] when m1 = m0·X — or
 * undefined for another mux (split states run a CNOT whose control is a chunk bit as a condition).
 */
export function unfoldMux(op: Op & { kind: 'mux' | 'muxr' }): Op[] | undefined {
  const kind = op.kind === 'mux' ? 'u1' : 'r1';
  const same = (order: readonly number[]) => order.every((k, i) => op.m1[i] === op.m0[k]);
  const one = { kind, q: op.q, m: op.m0 } as Op;
  const cx: Op = { kind: 'x', controls: 1 << op.c, q: op.q };
  if (same(SWAPPED[kind].rows)) return [one, cx];
  if (same(SWAPPED[kind].columns)) return [cx, one];
  return undefined;
}

/** Pushes a CNOT c → t, folded into the 2×2 on t that was just emitted when it can. */
function pushCnot(ops: Op[], op: Op & { kind: 'x' }, c: number, fold: Fold): void {
  const prev = ops.at(-1);
  if (foldable(prev, fold) && prev.q === op.q && c < fold.below) ops[ops.length - 1] = folded(prev, c, false);
  else ops.push(op);
}

/** Pushes a single-qubit op, folded into the CNOT onto its qubit that was just emitted when it can. */
function pushOne(ops: Op[], op: Op, fold: Fold): void {
  const c = singleControl(ops.at(-1));
  if (foldable(op, fold) && c >= 0 && c < fold.below && (ops.at(-1) as Op & { kind: 'x' }).q === op.q) {
    ops[ops.length - 1] = folded(op, c, true);
  } else {
    ops.push(op);
  }
}

function compileSingleQubitFused(circuit: CircuitJson, fuse: boolean, fold: Fold): Op[] {
  const ops: Op[] = [];
  const pending: Array<Float64Array | undefined> = new Array(circuit.numQubits);
  let anyPending = false;
  for (const g of circuit.operations) {
    if (g.gate === 'measure') continue;
    if (g.gate === 'barrier') {
      for (const q of g.qubits) flushPending(pending, q, ops, fold);
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
    if (anyPending) for (const q of g.qubits) flushPending(pending, q, ops, fold);
    const op = gateOp(g.gate, g.qubits, params);
    if (!op) continue;
    const c = fold.below > 0 ? singleControl(op) : -1;
    if (c >= 0) pushCnot(ops, op as Op & { kind: 'x' }, c, fold);
    else ops.push(op);
  }
  if (anyPending) for (let q = 0; q < pending.length; q++) flushPending(pending, q, ops, fold);
  return ops;
}

/** Emits the fused single-qubit run pending on qubit q (if any) as one op (folded: {@link pushOne}). */
function flushPending(pending: Array<Float64Array | undefined>, q: number, ops: Op[], fold: Fold): void {
  const m = pending[q];
  if (m === undefined) return;
  pending[q] = undefined;
  const op = op1(q, m);
  if (!op) return;
  if (fold.below > 0) pushOne(ops, op, fold);
  else ops.push(op);
}

const NO_PARAMS: readonly number[] = [];

function numericParams(params: ReadonlyArray<number | string> | undefined): readonly number[] {
  if (params === undefined || params.length === 0) return NO_PARAMS;
  for (const p of params) {
    if (typeof p !== 'number') throw new RangeError(`internal: unbound parameter '${p}'`);
  }
  return params as readonly number[];
}
