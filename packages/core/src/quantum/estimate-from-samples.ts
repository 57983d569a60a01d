/**
 * `estimate` for backends that can only sample: expectation values of Pauli sums from measured
 * bitstrings.
 *
 * For a term c·P with P = ⊗_q P_q, rotate each qubit of the term's support into the Z basis
 * (X: `h`; Y: `sdg` then `h`, since H·S†·Y·S·H = Z), sample, and average the eigenvalue of each
 * shot: e(b) = (−1)^{Σ_{q ∈ support} b_q}. Then ⟨P⟩ ≈ Σ_b counts(b)·e(b) / shots.
 *
 * Grouping: terms that are **qubit-wise commuting** (on every qubit they agree or one of them is I)
 * share one measurement basis, so they share one circuit; terms are put greedily, in order, into
 * the first compatible group, across all observables. All group circuits go to the backend in one
 * `sample` call. Identity terms need no circuit (⟨I⟩ = 1 exactly).
 *
 * Standard error: per group g and observable o, the per-shot value y = Σ_{k ∈ g ∩ o} c_k e_k(b) has
 * sample variance s² = Σ_b counts(b)(y(b) − ȳ)² / (shots − 1); the group contributes s²/shots; groups
 * are independent samples, so SE(o) = sqrt(Σ_g s_g²/shots). Terms within one group are correlated
 * (the same shots), which this accounts for.
 */

import { ValidationError } from '../shared/errors.js';
import { pauliAt } from './observable.js';
import type { CircuitJson, EstimateParams, EstimateResult, Observable, QuantumBackend } from './quantum-backend.js';
import { validateEstimateParams } from './quantum-validation.js';

/** Shots per measurement group when an `estimate` on a sampling-only backend gives none. */
export const DEFAULT_ESTIMATE_SHOTS = 8192;

export interface MeasurementGroup {
  /** Basis per qubit: 'X' | 'Y' | 'Z' | undefined (unused). */
  basis: Array<'X' | 'Y' | 'Z' | undefined>;
  /** (observable index, term coefficient, support mask as qubit list). */
  terms: Array<{ observable: number; coefficient: number; support: number[] }>;
}

/**
 * The measurement groups of a list of observables on n qubits, as described in the module
 * comment (greedy, in order, qubit-wise commuting terms share a group), and the constant (identity)
 * part of each observable. One group is one circuit to sample.
 */
export function measurementGroups(
  observables: readonly Observable[],
  n: number,
): { groups: MeasurementGroup[]; constants: number[] } {
  const values = observables.map(() => 0);
  const groups: MeasurementGroup[] = [];
  observables.forEach((observable, o) => {
    for (const term of observable) {
      const support: number[] = [];
      for (let q = 0; q < n; q++) if (pauliAt(term.paulis, q) !== 'I') support.push(q);
      if (support.length === 0) {
        values[o] = (values[o] as number) + term.coefficient;
        continue;
      }
      let group = groups.find((g) =>
        support.every((q) => g.basis[q] === undefined || g.basis[q] === pauliAt(term.paulis, q)),
      );
      if (!group) {
        group = { basis: new Array(n).fill(undefined), terms: [] };
        groups.push(group);
      }
      for (const q of support) group.basis[q] = pauliAt(term.paulis, q) as 'X' | 'Y' | 'Z';
      group.terms.push({ observable: o, coefficient: term.coefficient, support });
    }
  });
  return { groups, constants: values };
}

/**
 * One circuit per measurement group: the circuit without its measurements, then each qubit of the
 * group rotated into the group's basis (X: `h`; Y: `sdg` then `h`).
 */
export function measurementCircuits(circuit: CircuitJson, groups: readonly MeasurementGroup[]): CircuitJson[] {
  const base = circuit.operations.filter((op) => op.gate !== 'measure');
  return groups.map((g) => {
    const operations = [...base];
    g.basis.forEach((b, q) => {
      if (b === 'Y') operations.push({ gate: 'sdg', qubits: [q] });
      if (b === 'X' || b === 'Y') operations.push({ gate: 'h', qubits: [q] });
    });
    return { numQubits: circuit.numQubits, operations };
  });
}

/**
 * Estimates ⟨ψ|O|ψ⟩ for each observable from `backend.sample`, as described in the module comment.
 * `params.shots` is the number of shots per measurement group (default
 * {@link DEFAULT_ESTIMATE_SHOTS}); the seed and signal are passed on to `sample`. The backend must
 * accept `h` and `sdg`.
 */
export async function estimateFromSamples(backend: QuantumBackend, params: EstimateParams): Promise<EstimateResult> {
  const prepared = validateEstimateParams(params, backend.capabilities);
  const shots = prepared.shots ?? DEFAULT_ESTIMATE_SHOTS;
  const n = prepared.circuit.numQubits;
  const { groups, constants: values } = measurementGroups(prepared.observables, n);
  const variances = prepared.observables.map(() => 0);
  if (groups.length > 0) {
    const gates = new Set(backend.capabilities.gates);
    if (groups.some((g) => g.basis.some((b) => b === 'X' || b === 'Y')) && !(gates.has('h') && gates.has('sdg'))) {
      throw new ValidationError(
        [{ field: 'observables', message: `backend '${backend.type}' lacks the h and sdg gates for X/Y measurements` }],
        'Unsupported observable',
      );
    }
    const circuits = measurementCircuits(prepared.circuit, groups);
    const results = await backend.sample({
      circuits,
      shots,
      ...(prepared.seed !== undefined ? { seed: prepared.seed } : {}),
      ...(params.signal ? { signal: params.signal } : {}),
      ...(params.maxCostUsd !== undefined ? { maxCostUsd: params.maxCostUsd } : {}),
    });
    groups.forEach((g, gi) => {
      const result = results[gi];
      if (!result) throw new Error(`backend '${backend.type}' returned no result for circuit ${gi}`);
      const total = result.shots;
      const observables = [...new Set(g.terms.map((t) => t.observable))];
      for (const o of observables) {
        const terms = g.terms.filter((t) => t.observable === o);
        let sum = 0;
        let sumSq = 0;
        for (const [bits, count] of Object.entries(result.counts)) {
          let y = 0;
          for (const t of terms) {
            let parity = 0;
            for (const q of t.support) if (bits[bits.length - 1 - q] === '1') parity ^= 1;
            y += parity ? -t.coefficient : t.coefficient;
          }
          sum += count * y;
          sumSq += count * y * y;
        }
        const mean = sum / total;
        values[o] = (values[o] as number) + mean;
        const sampleVariance = total > 1 ? Math.max(0, (sumSq - total * mean * mean) / (total - 1)) : 0;
        variances[o] = (variances[o] as number) + sampleVariance / total;
      }
    });
  }
  return { values, standardErrors: variances.map((v) => Math.sqrt(v)) };
}
