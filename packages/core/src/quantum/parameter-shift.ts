/**
 * Gradients any quantum backend gets from core, from expectation values alone:
 *
 * - the **general parameter-shift rule** ({@link shiftRule}, {@link parameterShift}): exact for
 *   every parameterised gate of the table, including the controlled rotations `crx`/`cry`/`crz`
 *   (four terms) and IonQ's `gpi`/`gpi2`/`ms`;
 * - central **finite differences** ({@link finiteDifference}).
 *
 * `BaseQuantumBackend.gradient` uses them by default ({@link parameterShiftGradient}); a simulator
 * may offer a faster method of its own (adjoint) through its `doGradient` hook.
 */

import { bindCircuitJson, type ParameterExpression, parseParameterExpression } from './circuit.js';
import { type GateName, isGateName } from './gates.js';
import type { CircuitJson, EstimateParams, EstimateResult, GradientResult, Observable } from './quantum-backend.js';

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
 * R = 1, ω = 1 is the familiar ½[f(θ + π/2) − f(θ − π/2)]. For the controlled rotations
 * (R = 2, ω = ½, period 4π) the four terms are
 *   ∂f/∂θ = a·[f(θ + π/2) − f(θ − π/2)] − b·[f(θ + 3π/2) − f(θ − 3π/2)],
 *   a = (√2 + 1)/(4√2) ≈ 0.4268, b = (√2 − 1)/(4√2) ≈ 0.0732
 * (the shifts 5π/2 and 7π/2 of the formula are −3π/2 and −π/2 modulo the period). Returns
 * [shift, weight] pairs.
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

/** What {@link parameterShiftGradient} needs of a validated gradient request. */
export interface ShiftGradientRequest {
  /** The circuit with every parameter bound. */
  circuit: CircuitJson;
  /** The same circuit with its parameters still symbolic. */
  symbolic: CircuitJson;
  binding: Readonly<Record<string, number>>;
  observables: readonly Observable[];
  wrt: readonly string[];
  shots: number | undefined;
  seed: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A full gradient result from expectation values only: ⟨O⟩ at the point, then
 * `method: 'parameter-shift'` ({@link parameterShift}: Σ over the angles of each parameter of the
 * shifts of {@link shiftRule}) or `'finite-difference'` ({@link finiteDifference}, step `step`).
 * Every evaluation gets the same seed (with shots or noise: common random numbers, which keeps the
 * variance of the differences low); `seed` defaults to a random one. `estimate` is called with bound
 * circuits and no parameters.
 */
export async function parameterShiftGradient(
  request: ShiftGradientRequest,
  estimate: (params: EstimateParams) => Promise<EstimateResult>,
  options: { method?: 'parameter-shift' | 'finite-difference'; step?: number } = {},
): Promise<GradientResult> {
  const { circuit, symbolic, observables, shots, wrt } = request;
  const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31);
  const run = (c: CircuitJson) =>
    estimate({
      circuit: c,
      observables,
      seed,
      ...(shots !== undefined ? { shots } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  const center = await run(circuit);
  const gradients =
    options.method === 'finite-difference'
      ? await finiteDifference(
          request.binding,
          wrt,
          observables.length,
          options.step ?? (shots !== undefined ? 0.05 : 1e-5),
          async (b) => (await run(bindCircuitJson(symbolic, b, { complete: true }))).values,
        )
      : await parameterShift(
          circuit,
          diffGates(symbolic, circuit),
          wrt,
          observables.length,
          async (c) => (await run(c)).values,
        );
  return { values: center.values, standardErrors: center.standardErrors, gradients, parameterNames: [...wrt] };
}
