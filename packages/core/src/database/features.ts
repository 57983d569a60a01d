import type { CircuitJson } from '../quantum/quantum-backend.js';
import { prepareRealState } from '../quantum/state-preparation.js';
import { ValidationError } from '../shared/errors.js';
import type { Metric } from '../vector/types.js';

/**
 * The classical formulas behind QuantumDatabase's features, and the circuits whose measurement
 * statistics estimate the same numbers on a quantum backend. Each quantum estimator is unbiased:
 * its mean over shots is exactly the classical value.
 */

/** Context names: 1 to 48 letters, digits, `_` or `-`. */
export const CONTEXT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,48}$/;
/** At most this many contexts per record (a 4-qubit context register). */
export const MAX_CONTEXTS = 16;

/**
 * Superposition amplitudes from context weights: α_c = sqrt(w_c / Σ_c' w_c'). The probability of
 * collapsing to context c is |α_c|² = w_c / Σw.
 */
export function contextAmplitudes(weights: unknown, field = 'contexts'): Record<string, number> {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
    throw new ValidationError([{ field, message: 'must be an object of context name → non-negative weight' }]);
  }
  const entries = Object.entries(weights as Record<string, unknown>);
  const issues: Array<{ field: string; message: string }> = [];
  if (entries.length === 0 || entries.length > MAX_CONTEXTS) {
    issues.push({ field, message: `must name 1 to ${MAX_CONTEXTS} contexts, got ${entries.length}` });
  }
  let total = 0;
  for (const [name, weight] of entries) {
    if (!CONTEXT_NAME_PATTERN.test(name)) {
      issues.push({ field: `${field}.${name}`, message: `context names must match ${CONTEXT_NAME_PATTERN}` });
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      issues.push({ field: `${field}.${name}`, message: `weight must be a finite number ≥ 0, got ${String(weight)}` });
    } else total += weight;
  }
  if (issues.length === 0 && !(total > 0)) issues.push({ field, message: 'weights must not all be zero' });
  if (issues.length > 0) throw new ValidationError(issues);
  // Null prototype: a context named `__proto__` (or `constructor`) is an entry like any other.
  const amplitudes: Record<string, number> = Object.create(null);
  for (const [name, weight] of entries) amplitudes[name] = Math.sqrt((weight as number) / total);
  return amplitudes;
}

/**
 * The context register state Σ_c α_c |c⟩ on ⌈log2 C⌉ qubits (at least one), contexts in the order
 * given; measuring it yields basis state c with probability |α_c|².
 */
export function contextStateCircuit(amplitudes: readonly number[]): CircuitJson {
  const numQubits = Math.max(1, Math.ceil(Math.log2(amplitudes.length)));
  const padded = new Float64Array(2 ** numQubits);
  padded.set(amplitudes);
  return { numQubits, operations: prepareRealState(padded) };
}

/**
 * Decoherence weight exp(−Δt/τ), Δt = max(0, now − t0); 1 when the record has no coherence time.
 */
export function coherenceWeight(nowMs: number, t0Ms: number, coherenceTimeMs: number | undefined): number {
  if (coherenceTimeMs === undefined) return 1;
  return Math.exp(-Math.max(0, nowMs - t0Ms) / coherenceTimeMs);
}

/** One qubit with P(measure 0) = w: RY(2·acos(√w)) on |0⟩. */
export function bernoulliCircuit(probabilityOfZero: number): CircuitJson {
  const p = Math.min(1, Math.max(0, probabilityOfZero));
  return { numQubits: 1, operations: [{ gate: 'ry', qubits: [0], params: [2 * Math.acos(Math.sqrt(p))] }] };
}

/**
 * Two qubits whose measured bits agree with probability (1 + s)/2: a Bell pair (H, CX) with RY(acos s)
 * on qubit 1, since P(agree) = cos²(φ/2) = (1 + cos φ)/2. The estimate is s = 2·P(agree) − 1.
 */
export function correlationCircuit(correlation: number): CircuitJson {
  const s = Math.min(1, Math.max(-1, correlation));
  return {
    numQubits: 2,
    operations: [
      { gate: 'h', qubits: [0] },
      { gate: 'cx', qubits: [0, 1] },
      { gate: 'ry', qubits: [1], params: [Math.acos(s)] },
    ],
  };
}

/**
 * Relevance ≥ 0 from a backend score, monotone in the score, so that the feature weights
 * (probabilities and decay factors in [0, 1]) can multiply it:
 *
 * - cosine, dot: r = max(s, 0) (a negative similarity counts as no relevance)
 * - euclidean:   r = 1 / (1 + d), d = −s the distance
 */
export function relevance(metric: Metric, score: number): number {
  if (metric === 'euclidean') return 1 / (1 - score);
  return Math.max(score, 0);
}
