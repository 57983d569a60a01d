import { type CircuitJson, createRng, type EstimateResult, type Observable, type SampleResult } from '@q-store/core';
import { type MeasurementGroup, measurementCircuits, measurementGroups } from '@q-store/core/backend';
import { probabilitiesToSample } from './results.js';

/**
 * What IonQ returns for one circuit, read into a sorted list: basis state k (qubit 0 least
 * significant) and its probability.
 */
export interface Distribution {
  numQubits: number;
  entries: Array<{ key: number; p: number }>;
}

/** IonQ's `{"0": 0.5, "3": 0.5}` as a {@link Distribution}, checked by `probabilitiesToSample`'s rules. */
export function readDistribution(probabilities: Readonly<Record<string, number>>, numQubits: number): Distribution {
  // Validates keys, values and the sum (throws a ValidationError naming the key).
  probabilitiesToSample(probabilities, numQubits, 1);
  const entries = Object.entries(probabilities)
    .map(([k, p]) => ({ key: Number(k), p }))
    .filter((e) => e.p > 0)
    .sort((a, b) => a.key - b.key);
  return { numQubits, entries };
}

/**
 * `shots` draws from an exact distribution (the ideal simulator's answer), seeded: each shot takes
 * u ~ U[0, 1) from core's `createRng(seed)` and the first state whose cumulative probability
 * exceeds u·Σp (binary search). Circuits of one request draw from one generator in order, so the
 * same seed gives the same counts, and counts are multinomial(shots, p) as on hardware.
 */
export function drawSample(dist: Distribution, shots: number, rng: { float(): number }): SampleResult {
  const cumulative: number[] = [];
  let total = 0;
  for (const e of dist.entries) {
    total += e.p;
    cumulative.push(total);
  }
  const hits = new Array<number>(dist.entries.length).fill(0);
  for (let s = 0; s < shots; s++) {
    const u = rng.float() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    hits[lo] = (hits[lo] as number) + 1;
  }
  const result: SampleResult = { counts: {}, probabilities: {}, shots };
  dist.entries.forEach((e, i) => {
    const c = hits[i] as number;
    if (c === 0) return;
    const bits = e.key.toString(2).padStart(dist.numQubits, '0');
    result.counts[bits] = c;
    result.probabilities[bits] = c / shots;
  });
  return result;
}

/**
 * Counts for one request from IonQ's distributions: drawn with the seed from exact ones (`exact`:
 * the ideal simulator), or recovered from sampled ones (noisy simulator, QPU: p = count/shots) by
 * the largest-remainder rule of `probabilitiesToSample`.
 */
export function samplesFromDistributions(
  dists: readonly Distribution[],
  shots: number,
  seed: number,
  exact: boolean,
): SampleResult[] {
  if (!exact) {
    return dists.map((d) =>
      probabilitiesToSample(Object.fromEntries(d.entries.map((e) => [String(e.key), e.p])), d.numQubits, shots),
    );
  }
  const rng = createRng(seed);
  return dists.map((d) => drawSample(d, shots, rng));
}

/**
 * The circuits whose exact distributions give ⟨O⟩ for every observable: one per qubit-wise
 * commuting measurement group (core's `measurementGroups` and `measurementCircuits`, the same
 * construction as core's `estimateFromSamples`).
 */
export function groupCircuits(circuit: CircuitJson, observables: readonly Observable[]) {
  const { groups, constants } = measurementGroups(observables, circuit.numQubits);
  return { groups, constants, circuits: measurementCircuits(circuit, groups) };
}

/**
 * Exact expectation values from exact group distributions: ⟨O_o⟩ = const_o + Σ_g Σ_{k ∈ g ∩ o}
 * c_k Σ_b p_g(b)·(−1)^{Σ_{q ∈ support_k} b_q}. Standard errors are 0.
 */
export function exactExpectations(
  groups: readonly MeasurementGroup[],
  constants: readonly number[],
  dists: readonly Distribution[],
): EstimateResult {
  const values = [...constants];
  groups.forEach((g, gi) => {
    const dist = dists[gi] as Distribution;
    for (const t of g.terms) {
      let mask = 0;
      for (const q of t.support) mask |= 1 << q;
      let sum = 0;
      for (const e of dist.entries) sum += popcountParity(e.key & mask) ? -e.p : e.p;
      values[t.observable] = (values[t.observable] as number) + t.coefficient * sum;
    }
  });
  return { values, standardErrors: values.map(() => 0) };
}

function popcountParity(x: number): boolean {
  let v = x;
  let parity = false;
  while (v) {
    parity = !parity;
    v &= v - 1;
  }
  return parity;
}
