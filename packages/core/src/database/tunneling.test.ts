import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import type { DiversityProblem } from './tunneling.js';
import {
  diversityObjective,
  exhaustiveDiversity,
  greedyMmr,
  isingForm,
  qaoaCircuit,
  simulatedAnnealing,
} from './tunneling.js';

function randomProblem(seed: number, n: number, k: number, lambda = 0.6): DiversityProblem {
  const rng = createRng(seed);
  const vectors = Array.from({ length: n }, () => Array.from({ length: 6 }, () => rng.normal()));
  const similarity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = vectors[i] as number[];
      const b = vectors[j] as number[];
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let d = 0; d < 6; d++) {
        dot += (a[d] as number) * (b[d] as number);
        na += (a[d] as number) ** 2;
        nb += (b[d] as number) ** 2;
      }
      similarity[i * n + j] = dot / Math.sqrt(na * nb);
    }
  }
  return { relevance: Float64Array.from({ length: n }, () => 0.5 + 0.5 * rng.float()), similarity, lambda, k };
}

describe('diversity QUBO', () => {
  it('the Ising form equals −f(x) + A(Σx − k)² on every bitstring', () => {
    const problem = randomProblem(1, 7, 3);
    const penalty = 1.7;
    const { h, J, offset } = isingForm(problem, penalty);
    for (let bits = 0; bits < 2 ** 7; bits++) {
      const chosen: number[] = [];
      let energy = offset;
      for (let i = 0; i < 7; i++) {
        const zi = (bits >> i) & 1 ? -1 : 1;
        if ((bits >> i) & 1) chosen.push(i);
        energy += (h[i] as number) * zi;
        for (let j = i + 1; j < 7; j++) energy += (J[i * 7 + j] as number) * zi * ((bits >> j) & 1 ? -1 : 1);
      }
      const expected = -diversityObjective(problem, chosen) + penalty * (chosen.length - 3) ** 2;
      expect(energy).toBeCloseTo(expected, 10);
    }
  });

  it('greedy MMR takes the best marginal gain each step', () => {
    const problem = randomProblem(2, 10, 4);
    const { selected } = greedyMmr(problem);
    const first = [...problem.relevance].indexOf(Math.max(...problem.relevance));
    expect(selected[0]).toBe(first);
    expect(new Set(selected).size).toBe(4);
  });

  it('simulated annealing never loses to greedy and finds the exhaustive optimum on small pools', () => {
    let optimal = 0;
    let strictlyBetterThanGreedy = 0;
    for (let seed = 0; seed < 20; seed++) {
      const problem = randomProblem(100 + seed, 12, 4, 0.9);
      const greedy = greedyMmr(problem);
      const annealed = simulatedAnnealing(problem, { seed });
      const best = exhaustiveDiversity(problem);
      expect(annealed.objective).toBeGreaterThanOrEqual(greedy.objective - 1e-12);
      expect(annealed.objective).toBeLessThanOrEqual(best.objective + 1e-12);
      if (annealed.objective > best.objective - 1e-9) optimal++;
      if (best.objective > greedy.objective + 1e-9) strictlyBetterThanGreedy++;
    }
    expect(optimal).toBeGreaterThanOrEqual(19);
    expect(strictlyBetterThanGreedy).toBeGreaterThan(0); // the problems are hard enough to tell them apart
  });

  it('is deterministic for a seed', () => {
    const problem = randomProblem(9, 30, 6);
    expect(simulatedAnnealing(problem, { seed: 4 })).toEqual(simulatedAnnealing(problem, { seed: 4 }));
  });

  it('the QAOA circuit has H, then per layer RZZ on each coupled pair, RZ and RX on each qubit', () => {
    const problem = randomProblem(3, 5, 2);
    const circuit = qaoaCircuit(isingForm(problem, 2), [
      { gamma: 0.3, beta: 0.2 },
      { gamma: 0.1, beta: 0.4 },
    ]);
    const counts = new Map<string, number>();
    for (const op of circuit.operations) counts.set(op.gate, (counts.get(op.gate) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ h: 5, rzz: 20, rz: 10, rx: 10 });
    expect(circuit.operations.find((op) => op.gate === 'rx')?.params).toEqual([0.4]);
  });
});
