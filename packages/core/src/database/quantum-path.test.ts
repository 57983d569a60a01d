import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../quantum/reference-sim.test-helper.js';
import { createRng } from '../shared/random.js';
import { MemoryBackend } from '../vector/memory-backend.js';
import { contextStateCircuit } from './features.js';
import { QuantumDatabase } from './quantum-database.js';
import { exhaustiveDiversity, greedyMmr, solveQaoa } from './tunneling.js';

/**
 * The quantum path against the classical one, on core's reference simulator: every estimate must
 * be within shot noise of its exact formula (5 binomial standard deviations), for a fixed seed.
 */
const SHOTS = 2000;
const within = (estimate: number, p: number, scale = 1) =>
  expect(Math.abs(estimate - p)).toBeLessThanOrEqual(scale * 5 * Math.sqrt((p * (1 - p)) / SHOTS) + 1e-12);

async function pair(options: { seed?: number } = {}) {
  const backend = new MemoryBackend({ indexName: 'qpath' });
  const quantum = new ReferenceBackend({ exact: false, maxQubits: 16 });
  const db = await QuantumDatabase.open({ backend, dimension: 4, quantum, shots: SHOTS, seed: options.seed ?? 99 });
  return { db, backend };
}

describe('QuantumDatabase quantum path (reference simulator)', () => {
  it('the context register holds exactly the amplitudes α_c', async () => {
    const { simulate } = await import('../quantum/reference-sim.test-helper.js');
    const amplitudes = [0.1, 0.5, 0.3, 0.2, 0.4].map(Math.sqrt);
    const norm = Math.hypot(...amplitudes);
    const state = simulate(contextStateCircuit(amplitudes));
    for (const [c, a] of amplitudes.entries()) expect(state.re[c]).toBeCloseTo(a / norm, 12);
  });

  it('context probabilities, decay weights and correlations agree with their formulas within shot noise', async () => {
    let now = 1_000_000;
    const backend = new MemoryBackend({ indexName: 'qpath' });
    const quantum = new ReferenceBackend({ exact: false, maxQubits: 16 });
    const db = await QuantumDatabase.open({ backend, dimension: 4, quantum, shots: SHOTS, seed: 5, now: () => now });
    const rng = createRng(1);
    const records = Array.from({ length: 12 }, (_, i) => ({
      id: `r${i}`,
      vector: [1, rng.float(), rng.float(), 0],
      contexts: { tech: 1 + (i % 4), biz: 1 + ((i * 3) % 5), home: i % 3 },
      coherenceTimeMs: 1000 * (1 + (i % 3)),
    }));
    await db.batchInsert({ records });
    now += 1500;
    const quantumResult = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 12, context: 'biz' });
    const classical = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 12, context: 'biz', quantum: false });
    expect(quantumResult.quantum).toEqual({ requested: true, used: true, fallback: false });
    const exact = new Map(classical.matches.map((m) => [m.id, m]));
    for (const m of quantumResult.matches) {
      const reference = exact.get(m.id);
      within(m.contextProbability as number, reference?.contextProbability as number);
      within(m.coherence as number, reference?.coherence as number);
    }
    // A different seed gives different estimates; the same seed the same ones.
    expect(quantumResult.matches.some((m) => m.contextProbability !== exact.get(m.id)?.contextProbability)).toBe(true);
    await db.createEntangledGroup({ groupId: 'g', ids: ['r0', 'r1'], correlation: 0.35 });
    const estimate = await db.getCorrelation('r0', 'r1');
    within((estimate + 1) / 2, (1 + 0.35) / 2);
    expect(await db.getCorrelation('r0', 'r1', { quantum: false })).toBe(0.35);
    const stats = db.getQuantumStats();
    expect(stats.quantumCalls).toBe(3);
    expect(stats.fallbacks).toBe(0);
    expect(stats.latencyMs.samples).toBe(3);
    expect(stats.byFeature.superposition.calls).toBe(1);
    await db.close();
  });

  it('QAOA reaches an objective near the optimum on small pools and reports it', async () => {
    const quantum = new ReferenceBackend({ exact: false, maxQubits: 16 });
    const rng = createRng(8);
    let nearOptimal = 0;
    for (let trial = 0; trial < 5; trial++) {
      const n = 8;
      const vectors = Array.from({ length: n }, (_, i) =>
        Array.from({ length: 5 }, (_, d) => (d === i % 3 ? 2 : 0) + 0.3 * rng.normal()),
      );
      const similarity = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const a = vectors[i] as number[];
          const b = vectors[j] as number[];
          const dot = a.reduce((s, x, d) => s + x * (b[d] as number), 0);
          similarity[i * n + j] = dot / (Math.hypot(...a) * Math.hypot(...b));
        }
      }
      const problem = {
        relevance: Float64Array.from({ length: n }, () => 0.5 + 0.5 * rng.float()),
        similarity,
        lambda: 0.7,
        k: 3,
      };
      const report = await solveQaoa(problem, quantum, { shots: 512, seed: trial });
      const best = exhaustiveDiversity(problem).objective;
      expect(report.solver).toBe('qaoa');
      expect(report.selected).toHaveLength(3);
      expect(report.circuits).toBeGreaterThan(30);
      expect(report.objective).toBeLessThanOrEqual(best + 1e-12);
      expect(report.feasibleFraction).toBeGreaterThan(0);
      if (report.objective >= Math.min(best, greedyMmr(problem).objective) - 1e-9) nearOptimal++;
    }
    expect(nearOptimal).toBeGreaterThanOrEqual(4);
  });

  it('tunneling takes the QAOA path for pools of at most 16 and annealing beyond', async () => {
    const { db } = await pair();
    const rng = createRng(3);
    await db.batchInsert({
      records: Array.from({ length: 40 }, (_, i) => ({
        id: `t${i}`,
        vector: [1, (i % 4) + 0.01 * rng.normal(), 0.01 * rng.normal(), 0.2],
      })),
    });
    const small = await db.query({ vector: [1, 0, 0, 0.2], topK: 3, tunneling: { poolSize: 10 } });
    expect(small.tunneling?.solver).toBe('qaoa');
    expect(small.tunneling?.objective).toBeGreaterThan(small.tunneling?.plainObjective ?? 0);
    const large = await db.query({ vector: [1, 0, 0, 0.2], topK: 3, tunneling: { poolSize: 30 } });
    expect(large.tunneling?.solver).toBe('simulated-annealing');
    await db.close();
  });
});
