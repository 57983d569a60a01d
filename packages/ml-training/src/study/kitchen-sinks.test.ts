import { Circuit, type Observable, pauli } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { QuantumKitchenSinks } from './kitchen-sinks.js';
import { BinaryLogisticRegression } from './lbfgs.js';
import { createStudyModel } from './protocol.js';
import { LegacyRandomState } from './random-state.js';
import { invalidField, marginSplit, unitRange } from './toy-sets.test-helper.js';

const sim = new StateVectorSimulator();

/**
 * Basis probabilities of a circuit on the normal simulator, indexed with PennyLane wire 0 as the
 * most significant bit, from the 2^n Z-string expectations: P(b) = 2^−n Σ_S (−1)^{Σ_{q∈S} b_q} ⟨Z_S⟩.
 * The simulator's qubit 0 is its least significant bit, so wire w is qubit n−1−w.
 */
async function probabilities(c: Circuit, n: number): Promise<number[]> {
  const subsets = Array.from({ length: 2 ** n }, (_, s) => s);
  // Subset bit (n−1−w) set ⇔ wire w in S; string character w acts on wire w.
  const observables: Observable[] = subsets.map((s) => [
    pauli(Array.from({ length: n }, (_, w) => ((s >> (n - 1 - w)) & 1 ? 'Z' : 'I')).join('')),
  ]);
  const { values } = await sim.estimate({ circuit: c.toJSON(), observables });
  return subsets.map((k) => {
    let p = 0;
    for (const s of subsets) {
      let ones = k & s;
      let sign = 1;
      while (ones) {
        sign = -sign;
        ones &= ones - 1;
      }
      p += sign * (values[s] as number);
    }
    return p / 2 ** n;
  });
}

/** Rows whose per-feature min/max are −1/+1, so MinMax to [−1, 1] is the identity. */

describe('QuantumKitchenSinks', () => {
  it('features: RX(Ωx+β) on every qubit, CNOT double then (q, q+2), one shot by the (1−u) quantile, episode-major', async () => {
    const d = 4;
    const E = 2;
    const m = new QuantumKitchenSinks({ nEpisodes: E, randomState: 3 });
    const { x, y } = unitRange(d, [new Array(d).fill(0.5)]);
    await m.fit(x, y);
    expect(m.numQubits).toBe(d);
    const probe = [0.3, -0.7, 0.55, 0.1];
    const n = d;
    const probs: number[][] = [];
    for (let e = 0; e < E; e++) {
      const c = new Circuit(n);
      const q = (w: number) => n - 1 - w;
      for (let w = 0; w < n; w++) {
        let theta = m.beta[e * n + w] as number;
        for (let j = 0; j < d; j++) theta += (m.omega[(e * n + w) * d + j] as number) * (probe[j] as number);
        c.rx(q(w), theta);
      }
      c.cx(q(0), q(1)).cx(q(2), q(3)); // pattern "double"
      c.cx(q(0), q(2)).cx(q(1), q(3)); // CNOT(q, q+2)
      probs.push(await probabilities(c, n));
    }
    // For each outcome k of episode 0 with visible weight, a u whose (1−u)·Σp falls inside k's bin.
    const p0 = probs[0] as number[];
    const cases: Array<{ u: number; k0: number }> = [];
    let cum = 0;
    p0.forEach((p, k) => {
      if (p > 1e-3) cases.push({ u: 1 - (cum + p / 2), k0: k });
      cum += p;
    });
    expect(cases.length).toBeGreaterThan(2);
    const quantile = (p: number[], u: number) => {
      let c = 0;
      for (let k = 0; k < p.length; k++) {
        c += p[k] as number;
        if (c >= 1 - u) return k;
      }
      return p.length - 1;
    };
    const bits = (k: number) => Array.from({ length: n }, (_, w) => (k >> (n - 1 - w)) & 1);
    for (const { u, k0 } of cases) {
      m.u = u;
      const want = [...bits(k0), ...bits(quantile(probs[1] as number[], u))];
      expect(Array.from(m.featureMap([probe])[0] as Float64Array)).toEqual(want);
    }
  });

  it("'per-circuit' sampling draws each circuit's outcome with its probability, anew on every call", async () => {
    const m = new QuantumKitchenSinks({ nEpisodes: 1, sampling: 'per-circuit', randomState: 5 });
    const { x, y } = unitRange(2);
    await m.fit(x, y);
    const probe = [0.2, -0.6];
    const c = new Circuit(2);
    const theta = [0, 1].map(
      (w) => (m.beta[w] as number) + (m.omega[w * 2] as number) * 0.2 + (m.omega[w * 2 + 1] as number) * -0.6,
    );
    c.rx(1, theta[0] as number)
      .rx(0, theta[1] as number)
      .cx(1, 0);
    const p = await probabilities(c, 2);
    const shots = 4000;
    const counts = [0, 0, 0, 0];
    const rows = m.featureMap(new Array(shots).fill(probe));
    for (const r of rows) {
      const k = 2 * (r[0] as number) + (r[1] as number);
      counts[k] = (counts[k] as number) + 1;
    }
    for (let k = 0; k < 4; k++) expect(Math.abs((counts[k] as number) / shots - (p[k] as number))).toBeLessThan(0.035);
    expect(new Set(rows.map((r) => r.join(''))).size).toBeGreaterThan(1);
  });

  it('draws the logistic seed, then u, then Ω ~ N(0, var), then β ~ 2π·U[0, 1); half = ⌈d/2⌉ qubits', async () => {
    const m = new QuantumKitchenSinks({ nEpisodes: 3, nQfeatures: 'half', var: 4, randomState: 11 });
    const { x, y } = unitRange(5);
    await m.fit(x, y);
    expect(m.numQubits).toBe(3);
    const r = new LegacyRandomState(11);
    r.randomSample();
    expect(m.u).toBe(r.randomSample());
    const omega = Array.from({ length: 3 * 3 * 5 }, () => 2 * r.gauss());
    expect(Array.from(m.omega)).toEqual(omega);
    expect(m.beta[0]).toBe(2 * Math.PI * r.randomSample());
    expect(m.featureMap([[0, 0, 0, 0, 0]])[0]).toHaveLength(9);
  });

  it('learns a separable toy set; with var = 0 (features ignore the input) it cannot', async () => {
    const train = marginSplit(80, 2, 1);
    const test = marginSplit(60, 2, 2);
    const m = new QuantumKitchenSinks({ nEpisodes: 50, randomState: 1 });
    await m.fit(train.x, train.y);
    expect(m.score(test.x, test.y)).toBeGreaterThanOrEqual(0.9);
    const proba = m.predictProba(test.x);
    // The softmax of [P(−1), P(+1)] keeps the argmax and squeezes probabilities into [1/(1+e), e/(1+e)].
    expect(proba.map(([a, b]) => ((b as number) > (a as number) ? 1 : -1))).toEqual(m.predict(test.x));
    for (const [a, b] of proba) {
      expect((a as number) + (b as number)).toBeCloseTo(1, 12);
      expect(b as number).toBeLessThanOrEqual(Math.E / (1 + Math.E) + 1e-12);
    }
    const blind = new QuantumKitchenSinks({ nEpisodes: 50, var: 0, randomState: 1 });
    await blind.fit(train.x, train.y);
    expect(new Set(blind.predict(test.x)).size).toBe(1);
    expect(blind.score(test.x, test.y)).toBeLessThan(0.7);
  });

  it('logistic regression by L-BFGS reaches the closed-form optimum of one binary feature', () => {
    // Feature 0: 3 of 10 positive; feature 1: 8 of 10 positive → b = logit(0.3), b + w = logit(0.8).
    const rows = new Float64Array(20);
    rows.fill(1, 10);
    const y = [...[1, 1, 1], ...new Array(7).fill(-1), ...new Array(8).fill(1), -1, -1];
    const lr = new BinaryLogisticRegression({ gtol: 1e-8, ftol: 0 }).fit(rows, 1, y);
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(lr.converged).toBe(true);
    expect((lr.coef as Float64Array)[1]).toBeCloseTo(logit(0.3), 6);
    expect((lr.coef as Float64Array)[0]).toBeCloseTo(logit(0.8) - logit(0.3), 6);
    // The study's tol 1e-3 stops much earlier, still near the optimum.
    const loose = new BinaryLogisticRegression({ gtol: 1e-3 }).fit(rows, 1, y);
    expect(loose.iterations).toBeLessThan(lr.iterations);
    expect((loose.coef as Float64Array)[1]).toBeCloseTo(logit(0.3), 1);
  });

  it("parses the study's hyperparameters and names the field of a bad one", () => {
    const m = createStudyModel('QuantumKitchenSinks', { n_episodes: '500', n_qfeatures: 'half', max_vmap: '1' }, 2);
    expect(m).toBeInstanceOf(QuantumKitchenSinks);
    expect([(m as QuantumKitchenSinks).nEpisodes, (m as QuantumKitchenSinks).nQfeatures]).toEqual([500, 'half']);
    expect((m as QuantumKitchenSinks).randomState).toBe(2);
    expect(invalidField(() => createStudyModel('QuantumKitchenSinks', { n_episodes: 0 }))).toBe('nEpisodes');
    expect(invalidField(() => createStudyModel('QuantumKitchenSinks', { n_episodes: 2.5 }))).toBe('nEpisodes');
    expect(invalidField(() => createStudyModel('QuantumKitchenSinks', { n_qfeatures: 'quarter' }))).toBe('nQfeatures');
    expect(invalidField(() => createStudyModel('QuantumKitchenSinks', { var: -1 }))).toBe('var');
    expect(invalidField(() => new QuantumKitchenSinks({ scaling: Number.NaN }))).toBe('scaling');
    expect(invalidField(() => new QuantumKitchenSinks({ sampling: 'fresh' as 'shared-u' }))).toBe('sampling');
  });
});
