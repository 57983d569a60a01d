import {
  type CircuitJson,
  type GateName,
  gateMatrixDerivative,
  isGateName,
  type ParameterExpression,
  parseParameterExpression,
} from '@q-store/core';
import { Yielder } from './executor.js';
import { gateOp, interleave, inverseOp, type Op, opFromMatrix } from './ops.js';

/** One gate of a circuit for differentiation: numeric angles plus the expression behind each. */
export interface DiffGate {
  name: GateName;
  qubits: number[];
  params: number[];
  /** The parameter expression of each angle, undefined for a fixed number. */
  expressions: Array<ParameterExpression | undefined>;
  /** Index of the operation in the circuit's `operations`. */
  index: number;
}

/**
 * Pairs the gates of a symbolic circuit with their bound angles (`bound` is the same circuit with
 * every parameter substituted). Measurements and barriers are skipped.
 */
export function diffGates(symbolic: CircuitJson, bound: CircuitJson): DiffGate[] {
  const out: DiffGate[] = [];
  symbolic.operations.forEach((op, index) => {
    if (!isGateName(op.gate)) return;
    const b = bound.operations[index];
    const params = (b?.params ?? []).map((p) => p as number);
    const expressions = (op.params ?? []).map((p) => (typeof p === 'string' ? parseParameterExpression(p) : undefined));
    out.push({ name: op.gate, qubits: [...op.qubits], params, expressions, index });
  });
  return out;
}

/** The exact derivative ∂U/∂(angle j) of a gate as a dense op (from core's `gateMatrixDerivative`). */
export function derivativeOp(gate: DiffGate, j: number): Op {
  const op = opFromMatrix(gate.qubits, interleave(gateMatrixDerivative(gate.name, gate.params, j)));
  if (!op) throw new Error(`internal: derivative of ${gate.name} is the identity`);
  return op;
}

/** Re⟨a|b⟩ in JavaScript. */
export function dotRe(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Where the adjoint sweep keeps its vectors: ψ, a scratch μ and one λ per observable. */
export interface AdjointBuffers {
  psi: Float64Array;
  mu: Float64Array;
  lambdas: Float64Array[];
  /** Re⟨a|b⟩ (the SIMD kernel when the buffers live in WebAssembly memory). */
  dot(a: Float64Array, b: Float64Array): number;
  apply(a: Float64Array, op: Op): void;
}

/**
 * Adjoint differentiation (Jones & Gacon 2020, arXiv:2009.02823). With |ψ⟩ = U_L⋯U_1|0⟩ already in
 * `psi` and λ_o = O_o|ψ⟩ in `lambdas[o]`, sweep l = L … 1:
 *   ψ ← U_l† ψ (now the state before gate l);
 *   for each angle θ of U_l that depends on a parameter p (θ = k·p + c):
 *     ∂⟨O_o⟩/∂p += k · 2·Re⟨λ_o| ∂U_l/∂θ |ψ⟩  (μ = ∂U_l/∂θ ψ, one copy);
 *   λ_o ← U_l† λ_o.
 * One forward pass, then per gate one inverse on ψ and on each λ, and per parameterised angle one
 * derivative application and one inner product per observable. A parameter used by several gates
 * gets the sum of their terms. Returns gradients[o][p] in the order of `wrt`.
 */
export async function adjointSweep(
  gates: readonly DiffGate[],
  wrt: readonly string[],
  buffers: AdjointBuffers,
  signal?: AbortSignal,
): Promise<number[][]> {
  const yielder = new Yielder(signal);
  const { psi, mu, lambdas } = buffers;
  const position = new Map(wrt.map((name, p) => [name, p]));
  const gradients = lambdas.map(() => new Array<number>(wrt.length).fill(0));
  for (let l = gates.length - 1; l >= 0; l--) {
    await yielder.tick();
    const gate = gates[l] as DiffGate;
    const op = gateOp(gate.name, gate.qubits, gate.params);
    const inv = op ? inverseOp(op) : undefined;
    if (inv) buffers.apply(psi, inv);
    gate.expressions.forEach((expr, j) => {
      const p = expr ? position.get(expr.name) : undefined;
      if (expr === undefined || p === undefined) return;
      mu.set(psi);
      buffers.apply(mu, derivativeOp(gate, j));
      lambdas.forEach((lambda, o) => {
        const row = gradients[o] as number[];
        row[p] = (row[p] as number) + expr.coefficient * 2 * buffers.dot(lambda, mu);
      });
    });
    if (inv && l > 0) for (const lambda of lambdas) buffers.apply(lambda, inv);
  }
  return gradients;
}

/**
 * Shift rule of each gate angle as (ω, R): ⟨O⟩ as a function of the angle θ is a trigonometric
 * polynomial with frequencies in {ω, 2ω, …, Rω}.
 * - R = 1, ω = 1: rotations exp(−iθG/2) with G² = I (rx ry rz rxx ryy rzz, ms's θ, u's θ) and
 *   phases with generator eigenvalues {0, 1} (p, cp, u's φ and λ, since u = p(φ)·ry(θ)·p(λ)).
 * - R = 2, ω = ½: controlled rotations (generator |1⟩⟨1| ⊗ G/2 has eigenvalues 0, ±½).
 * - R = 2, ω = 1: gpi(φ) = p(φ)·x·p(−φ), gpi2 and ms's φ0, φ1, where the angle enters twice.
 */
const SHIFT_RULES: Record<GateName, ReadonlyArray<readonly [number, number]>> = {
  h: [],
  x: [],
  y: [],
  z: [],
  s: [],
  sdg: [],
  t: [],
  tdg: [],
  sx: [],
  cx: [],
  cy: [],
  cz: [],
  swap: [],
  ccx: [],
  rx: [[1, 1]],
  ry: [[1, 1]],
  rz: [[1, 1]],
  p: [[1, 1]],
  u: [
    [1, 1],
    [1, 1],
    [1, 1],
  ],
  cp: [[1, 1]],
  rxx: [[1, 1]],
  ryy: [[1, 1]],
  rzz: [[1, 1]],
  crx: [[0.5, 2]],
  cry: [[0.5, 2]],
  crz: [[0.5, 2]],
  gpi: [[1, 2]],
  gpi2: [[1, 2]],
  ms: [
    [1, 2],
    [1, 2],
    [1, 1],
  ],
};

/**
 * The general parameter-shift rule for frequencies {ω, 2ω, …, Rω} (Wierichs, Izaac, Wang & Lin
 * 2022, "General parameter-shift rules for quantum gradients", eq. for equidistant frequencies):
 * with x_μ = (2μ − 1)π / (2R), μ = 1 … 2R,
 *   ∂f/∂θ = ω · Σ_μ f(θ + x_μ/ω) · (−1)^{μ−1} / (4R · sin²(x_μ / 2)).
 * R = 1, ω = 1 is the familiar ½[f(θ + π/2) − f(θ − π/2)]. Returns [shift, weight] pairs.
 */
export function shiftRule(gate: GateName, angle: number): Array<[number, number]> {
  const rule = SHIFT_RULES[gate][angle];
  if (!rule) throw new RangeError(`gate '${gate}' has no angle ${angle}`);
  const [omega, r] = rule;
  const out: Array<[number, number]> = [];
  for (let mu = 1; mu <= 2 * r; mu++) {
    const x = ((2 * mu - 1) * Math.PI) / (2 * r);
    const weight = (omega * (mu % 2 === 1 ? 1 : -1)) / (4 * r * Math.sin(x / 2) ** 2);
    out.push([x / omega, weight]);
  }
  return out;
}

/**
 * Parameter-shift gradient: for every angle that depends on a parameter in `wrt` (θ = k·p + c),
 * evaluate the circuit with that one angle shifted by each shift of {@link shiftRule} and sum
 * k · weight · ⟨O⟩. `evaluate` runs a bound circuit (exactly, sampled or with noise).
 */
export async function parameterShift(
  bound: CircuitJson,
  gates: readonly DiffGate[],
  wrt: readonly string[],
  numObservables: number,
  evaluate: (circuit: CircuitJson) => Promise<number[]>,
): Promise<number[][]> {
  const position = new Map(wrt.map((name, p) => [name, p]));
  const gradients = Array.from({ length: numObservables }, () => new Array<number>(wrt.length).fill(0));
  for (const gate of gates) {
    for (let j = 0; j < gate.expressions.length; j++) {
      const expr = gate.expressions[j];
      const p = expr ? position.get(expr.name) : undefined;
      if (expr === undefined || p === undefined) continue;
      for (const [shift, weight] of shiftRule(gate.name, j)) {
        const operations = bound.operations.map((op, i) =>
          i === gate.index
            ? { ...op, params: (op.params ?? []).map((v, k) => (k === j ? (v as number) + shift : v)) }
            : op,
        );
        const values = await evaluate({ numQubits: bound.numQubits, operations });
        values.forEach((v, o) => {
          const row = gradients[o] as number[];
          row[p] = (row[p] as number) + expr.coefficient * weight * v;
        });
      }
    }
  }
  return gradients;
}

/**
 * Central finite differences: ∂⟨O⟩/∂p ≈ (⟨O⟩(p + h) − ⟨O⟩(p − h)) / 2h, error O(h²) plus rounding
 * of order ε/h. `evaluateAt` runs the circuit with the given binding.
 */
export async function finiteDifference(
  binding: Readonly<Record<string, number>>,
  wrt: readonly string[],
  numObservables: number,
  step: number,
  evaluateAt: (binding: Record<string, number>) => Promise<number[]>,
): Promise<number[][]> {
  const gradients = Array.from({ length: numObservables }, () => new Array<number>(wrt.length).fill(0));
  for (let p = 0; p < wrt.length; p++) {
    const name = wrt[p] as string;
    const base = binding[name] as number;
    const plus = await evaluateAt({ ...binding, [name]: base + step });
    const minus = await evaluateAt({ ...binding, [name]: base - step });
    for (let o = 0; o < numObservables; o++) {
      (gradients[o] as number[])[p] = ((plus[o] as number) - (minus[o] as number)) / (2 * step);
    }
  }
  return gradients;
}
