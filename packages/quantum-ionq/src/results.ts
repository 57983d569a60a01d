import type { SampleResult } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';

/**
 * Turns IonQ's result probabilities into core's {@link SampleResult}.
 *
 * IonQ keys probabilities by the DECIMAL basis-state integer with qubit 0 least significant
 * (`{"0": 0.5, "3": 0.5}` for a Bell pair). Key k on n qubits becomes the bitstring of k padded to n
 * characters, qubit 0 rightmost (core's convention, the same bit order).
 *
 * Counts for the requested `shots` by the largest-remainder rule: c_k = ⌊p_k·shots⌋, then the
 * shots − Σc_k remaining go one each to the keys with the largest fractional parts p_k·shots − c_k
 * (ties to the smaller key). Σ c_k = shots exactly, and when p_k is itself a count/shots (a QPU or
 * a noisy simulation with that many shots) the counts are recovered exactly. Probabilities in the
 * result are counts / shots, as core's contract says. Probabilities must be finite, ≥ 0 and sum to
 * 1 within 1e-6 (IonQ's results do); anything else is a ValidationError naming the key.
 */
export function probabilitiesToSample(
  probabilities: Readonly<Record<string, number>>,
  numQubits: number,
  shots: number,
  field = 'probabilities',
): SampleResult {
  const issues = new IssueCollector();
  const entries: Array<{ key: number; p: number }> = [];
  let total = 0;
  for (const [k, p] of Object.entries(probabilities)) {
    const key = Number(k);
    if (!/^(0|[1-9][0-9]*)$/.test(k) || !Number.isSafeInteger(key) || key >= 2 ** numQubits) {
      issues.add(`${field}.${k}`, `must be a decimal basis state in [0, 2^${numQubits})`);
      continue;
    }
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
      issues.add(`${field}.${k}`, `must be a probability ≥ 0, got ${String(p)}`);
      continue;
    }
    total += p;
    entries.push({ key, p });
  }
  if (issues.issues.length === 0 && Math.abs(total - 1) > 1e-6) {
    issues.add(field, `probabilities must sum to 1, got ${total}`);
  }
  issues.throwIfAny('Invalid IonQ result');
  entries.sort((a, b) => a.key - b.key);
  const counts = entries.map((e) => Math.floor((e.p / total) * shots + 1e-9));
  let left = shots - counts.reduce((s, c) => s + c, 0);
  const order = entries
    .map((e, i) => ({ i, frac: (e.p / total) * shots - (counts[i] as number) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let j = 0; left > 0 && order.length > 0; j = (j + 1) % order.length, left--) {
    const i = (order[j] as { i: number }).i;
    counts[i] = (counts[i] as number) + 1;
  }
  const result: SampleResult = { counts: {}, probabilities: {}, shots };
  entries.forEach((e, i) => {
    const c = counts[i] as number;
    if (c === 0) return;
    const bits = e.key.toString(2).padStart(numQubits, '0');
    result.counts[bits] = c;
    result.probabilities[bits] = c / shots;
  });
  return result;
}

/**
 * The exact distribution as IonQ writes it, from a probability vector indexed by basis state
 * (qubit 0 least significant): keys are decimal integers, zero entries left out.
 */
export function toIonqProbabilities(probabilities: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < probabilities.length; k++) {
    const p = probabilities[k] as number;
    if (p > 1e-15) out[String(k)] = p;
  }
  return out;
}
