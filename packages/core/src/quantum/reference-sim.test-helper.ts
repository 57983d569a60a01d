/**
 * A small, obviously correct state-vector simulator for core's own tests (not shipped): every gate
 * is its `gateMatrix` applied by explicit index loops, no kernels, no fusion. `ReferenceBackend`
 * wraps it as a {@link QuantumBackend} so the conformance kit can be run against a backend known to
 * be right, and, with `defect`, against deliberately broken ones.
 */

import { createRng } from '../shared/random.js';
import { pauliExpectation, type StateVector } from '../testing/quantum-math.js';
import { parseParameterExpression } from './circuit.js';
import { estimateFromSamples } from './estimate-from-samples.js';
import { GATE_NAMES, type GateName, gateMatrix, gateMatrixDerivative } from './gates.js';
import type {
  CircuitJson,
  CircuitOperation,
  EstimateParams,
  EstimateResult,
  GradientParams,
  GradientResult,
  QuantumBackend,
  QuantumCapabilities,
  SampleParams,
  SampleResult,
} from './quantum-backend.js';
import { validateEstimateParams, validateGradientParams, validateSampleParams } from './quantum-validation.js';

export function basisState(n: number, index = 0): StateVector {
  const re = new Float64Array(1 << n);
  re[index] = 1;
  return { re, im: new Float64Array(1 << n) };
}

/** Applies matrix `m` (first listed qubit = matrix LSB) to `qubits` of the n-qubit state, in place. */
export function applyMatrix(
  state: StateVector,
  n: number,
  m: { dim: number; re: Float64Array; im: Float64Array },
  qubits: readonly number[],
): void {
  const k = qubits.length;
  const dim = 1 << k;
  let mask = 0;
  for (const q of qubits) mask |= 1 << q;
  const idx = new Array<number>(dim);
  const oldRe = new Float64Array(dim);
  const oldIm = new Float64Array(dim);
  for (let base = 0; base < 1 << n; base++) {
    if (base & mask) continue;
    for (let j = 0; j < dim; j++) {
      let i = base;
      for (let b = 0; b < k; b++) if ((j >> b) & 1) i |= 1 << (qubits[b] as number);
      idx[j] = i;
      oldRe[j] = state.re[i] as number;
      oldIm[j] = state.im[i] as number;
    }
    for (let r = 0; r < dim; r++) {
      let sr = 0;
      let si = 0;
      for (let c = 0; c < dim; c++) {
        const mr = m.re[r * dim + c] as number;
        const mi = m.im[r * dim + c] as number;
        sr += mr * (oldRe[c] as number) - mi * (oldIm[c] as number);
        si += mr * (oldIm[c] as number) + mi * (oldRe[c] as number);
      }
      state.re[idx[r] as number] = sr;
      state.im[idx[r] as number] = si;
    }
  }
}

/** Runs a bound circuit from `initial` (default |0…0⟩); measure and barrier do nothing. */
export function simulate(circuit: CircuitJson, initial?: StateVector): StateVector {
  const n = circuit.numQubits;
  const state = initial ? { re: Float64Array.from(initial.re), im: Float64Array.from(initial.im) } : basisState(n);
  for (const op of circuit.operations) {
    if (op.gate === 'measure' || op.gate === 'barrier') continue;
    applyMatrix(state, n, gateMatrix(op.gate, (op.params ?? []) as number[]), op.qubits);
  }
  return state;
}

/** The circuit's unitary, as columns: column c is the state U|c⟩. */
export function unitaryColumns(circuit: CircuitJson): StateVector[] {
  return Array.from({ length: 1 << circuit.numQubits }, (_, c) => simulate(circuit, basisState(circuit.numQubits, c)));
}

/** Largest |U_rc − e^{iα} V_rc| over the best global phase α (taken from the largest entry of V). */
export function unitaryDistance(a: StateVector[], b: StateVector[]): number {
  let pr = 1;
  let pi = 0;
  let best = -1;
  a.forEach((col, c) => {
    for (let r = 0; r < col.re.length; r++) {
      const mag = Math.hypot(col.re[r] as number, col.im[r] as number);
      if (mag > best + 1e-12) {
        best = mag;
        // phase = b / a at this entry
        const ar = col.re[r] as number;
        const ai = col.im[r] as number;
        const br = (b[c] as StateVector).re[r] as number;
        const bi = (b[c] as StateVector).im[r] as number;
        const d = ar * ar + ai * ai;
        pr = (br * ar + bi * ai) / d;
        pi = (bi * ar - br * ai) / d;
      }
    }
  });
  let worst = 0;
  a.forEach((col, c) => {
    for (let r = 0; r < col.re.length; r++) {
      const ar = col.re[r] as number;
      const ai = col.im[r] as number;
      const er = ar * pr - ai * pi;
      const ei = ar * pi + ai * pr;
      const bc = b[c] as StateVector;
      worst = Math.max(worst, Math.hypot(er - (bc.re[r] as number), ei - (bc.im[r] as number)));
    }
  });
  return worst;
}

export function probabilities(state: StateVector): Float64Array {
  const p = new Float64Array(state.re.length);
  for (let i = 0; i < p.length; i++) p[i] = (state.re[i] as number) ** 2 + (state.im[i] as number) ** 2;
  return p;
}

export function bitstring(index: number, n: number): string {
  return index.toString(2).padStart(n, '0');
}

/** A deliberate defect, to show the conformance kit catches it. */
export type ReferenceDefect = 'reversed-bit-order' | 'rz-sign' | 'ignores-seed' | 'accepts-zero-shots';

export interface ReferenceBackendOptions {
  maxQubits?: number;
  defect?: ReferenceDefect;
  /** Offer exact `estimate` and `gradient` (default true); false makes a sampling-only backend. */
  exact?: boolean;
}

/**
 * The reference simulator as a QuantumBackend. `gradient` differentiates exactly: for each
 * occurrence of a parameter, the state with that gate's matrix replaced by its derivative
 * (`gateMatrixDerivative`) gives ∂⟨O⟩ = 2·Re⟨ψ|O|∂ψ⟩ (times the expression's coefficient). It
 * declares the 'adjoint' method because the answer is the same exact derivative.
 */
export class ReferenceBackend implements QuantumBackend {
  readonly type = 'reference';
  readonly capabilities: QuantumCapabilities;
  private readonly defect: ReferenceDefect | undefined;
  private seedCounter = 1;

  constructor(options: ReferenceBackendOptions = {}) {
    this.defect = options.defect;
    const exact = options.exact ?? true;
    this.capabilities = {
      maxQubits: options.maxQubits ?? 10,
      gates: GATE_NAMES,
      exact,
      gradientMethods: exact ? ['adjoint'] : [],
    };
    if (!exact) {
      // Sampling-only: no estimate/gradient of its own.
      Object.defineProperty(this, 'estimate', { value: undefined });
      Object.defineProperty(this, 'gradient', { value: undefined });
    }
  }

  private run(circuit: CircuitJson): StateVector {
    if (this.defect !== 'rz-sign') return simulate(circuit);
    const flipped: CircuitOperation[] = circuit.operations.map((op) =>
      op.gate === 'rz' ? { ...op, params: [-((op.params ?? [])[0] as number)] } : op,
    );
    return simulate({ numQubits: circuit.numQubits, operations: flipped });
  }

  async sample(params: SampleParams): Promise<SampleResult[]> {
    const shotsOverride = this.defect === 'accepts-zero-shots' && params.shots === 0;
    const prepared = validateSampleParams(shotsOverride ? { ...params, shots: 1 } : params, this.capabilities);
    const seed =
      this.defect === 'ignores-seed' ? this.seedCounter++ : (prepared.seed ?? Math.floor(Math.random() * 2 ** 31));
    const rng = createRng(seed);
    const shots = shotsOverride ? 0 : prepared.shots;
    return prepared.circuits.map((circuit) => {
      const p = probabilities(this.run(circuit));
      const cumulative = new Float64Array(p.length);
      let acc = 0;
      for (let i = 0; i < p.length; i++) {
        acc += p[i] as number;
        cumulative[i] = acc;
      }
      const counts: Record<string, number> = {};
      for (let s = 0; s < shots; s++) {
        const u = rng.float() * acc;
        let lo = 0;
        let hi = p.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((cumulative[mid] as number) > u) hi = mid;
          else lo = mid + 1;
        }
        let key = bitstring(lo, circuit.numQubits);
        if (this.defect === 'reversed-bit-order') key = [...key].reverse().join('');
        counts[key] = (counts[key] ?? 0) + 1;
      }
      const probs: Record<string, number> = {};
      for (const [k, c] of Object.entries(counts)) probs[k] = c / shots;
      return { counts, probabilities: probs, shots };
    });
  }

  async estimate(params: EstimateParams): Promise<EstimateResult> {
    if (params?.shots !== undefined) return estimateFromSamples(this, params);
    const prepared = validateEstimateParams(params, this.capabilities);
    const state = this.run(prepared.circuit);
    const values = prepared.observables.map((o) =>
      o.reduce((sum, term) => sum + term.coefficient * pauliExpectation(state, term.paulis), 0),
    );
    return { values, standardErrors: values.map(() => 0) };
  }

  async gradient(params: GradientParams): Promise<GradientResult> {
    const prepared = validateGradientParams(params, this.capabilities);
    const { circuit, observables, wrt, symbolic } = prepared;
    const state = this.run(circuit);
    const values = observables.map((o) =>
      o.reduce((sum, term) => sum + term.coefficient * pauliExpectation(state, term.paulis), 0),
    );
    const gradients = observables.map(() => wrt.map(() => 0));
    symbolic.operations.forEach((op, i) => {
      (op.params ?? []).forEach((p, k) => {
        if (typeof p !== 'string') return;
        const expr = parseParameterExpression(p);
        const w = expr ? wrt.indexOf(expr.name) : -1;
        if (!expr || w < 0) return;
        const derivative = this.derivativeState(circuit, i, k);
        observables.forEach((o, oi) => {
          let d = 0;
          for (const term of o) d += term.coefficient * overlapRe(state, derivative, term.paulis);
          (gradients[oi] as number[])[w] = ((gradients[oi] as number[])[w] as number) + 2 * expr.coefficient * d;
        });
      });
    });
    return { values, standardErrors: values.map(() => 0), gradients, parameterNames: wrt };
  }

  /** The state with operation i's matrix replaced by its derivative in angle k. */
  private derivativeState(circuit: CircuitJson, index: number, k: number): StateVector {
    const n = circuit.numQubits;
    const state = basisState(n);
    circuit.operations.forEach((op, i) => {
      if (op.gate === 'measure' || op.gate === 'barrier') return;
      const params = (op.params ?? []) as number[];
      const m =
        i === index ? gateMatrixDerivative(op.gate as GateName, params, k) : gateMatrix(op.gate as GateName, params);
      applyMatrix(state, n, m, op.qubits);
    });
    return state;
  }

  async close(): Promise<void> {}
}

/** Re⟨a|P|b⟩ for a Pauli string. */
function overlapRe(a: StateVector, b: StateVector, paulis: string): number {
  // Re⟨a|P|b⟩ = (⟨a+b|P|a+b⟩ − ⟨a−b|P|a−b⟩) / 4 for Hermitian P.
  const plus = { re: a.re.map((x, i) => x + (b.re[i] as number)), im: a.im.map((x, i) => x + (b.im[i] as number)) };
  const minus = { re: a.re.map((x, i) => x - (b.re[i] as number)), im: a.im.map((x, i) => x - (b.im[i] as number)) };
  return (pauliExpectation(plus, paulis) - pauliExpectation(minus, paulis)) / 4;
}
