import { createRng, type PluginConfig, QuantumDatabase } from '@q-store/core';
import { registerStateVectorSimulator } from '@q-store/quantum-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIonQ } from './registry.js';
import { IonqEmulator } from './testing/index.js';

/**
 * The seed's configuration, `quantum_sdk='ionq'`: `QuantumDatabase.open({..., quantum: {type: 'ionq',
 * apiKey, target: 'simulator', noiseModel: 'aria-1'}})` on the emulator. Context queries,
 * decoherence, entanglement correlation and QAOA tunneling run as IonQ jobs; when IonQ is slow,
 * failing or over budget the exact classical value is used and counted with its reason.
 */
const KEY = 'test-key';
let emulator: IonqEmulator;
let url: string;

beforeAll(async () => {
  registerIonQ();
  registerStateVectorSimulator();
  emulator = new IonqEmulator({ apiKeys: [KEY], timing: { submitMs: 1, queueMs: 3, runMs: 3 } });
  url = await emulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

const SHOTS = 500;
let dbCount = 0;
const ionq = (extra: Record<string, unknown> = {}): PluginConfig => ({
  type: 'ionq',
  apiKey: KEY,
  baseUrl: url,
  target: 'simulator',
  noiseModel: 'aria-1',
  pollIntervalMs: 2,
  maxPollIntervalMs: 20,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
  ...extra,
});

async function openDb(quantum: PluginConfig, extra: Record<string, unknown> = {}) {
  let now = 1_000_000;
  const db = await QuantumDatabase.open({
    backend: { type: 'memory', indexName: `ionq-${++dbCount}` },
    dimension: 4,
    quantum,
    shots: SHOTS,
    seed: 3,
    now: () => now,
    ...extra,
  });
  const rng = createRng(1);
  await db.batchInsert({
    records: Array.from({ length: 8 }, (_, i) => ({
      id: `r${i}`,
      vector: [1, rng.float(), rng.float(), 0],
      contexts: { tech: 1 + (i % 4), biz: 1 + ((i * 3) % 5) },
      coherenceTimeMs: 1000 * (1 + (i % 3)),
    })),
  });
  now += 1500;
  return db;
}

describe("QuantumDatabase with quantum: {type: 'ionq', noiseModel: 'aria-1'} on the emulator", () => {
  it('context queries, decoherence, correlation and QAOA tunneling run as IonQ jobs', async () => {
    const db = await openDb(ionq());
    const jobs = emulator.jobCount;
    const q = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 8, context: 'biz' });
    const exact = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 8, context: 'biz', quantum: false });
    expect(q.quantum).toEqual({ requested: true, used: true, fallback: false });
    const byId = new Map(exact.matches.map((m) => [m.id, m]));
    // aria-1 noise (SPAM 0.39 %, 2-qubit 0.4 %) shifts a probability by well under 0.03; shot noise
    // at 500 shots is ≤ 0.023 (1 σ): tolerance 0.1 (about 3 σ + the noise bias).
    for (const m of q.matches) {
      const ref = byId.get(m.id);
      expect(Math.abs((m.contextProbability as number) - (ref?.contextProbability as number))).toBeLessThan(0.1);
      expect(Math.abs((m.coherence as number) - (ref?.coherence as number))).toBeLessThan(0.1);
    }
    await db.createEntangledGroup({ groupId: 'g', ids: ['r0', 'r1'], correlation: 0.6 });
    expect(Math.abs((await db.getCorrelation('r0', 'r1')) - 0.6)).toBeLessThan(0.2);
    const diverse = await db.query({ vector: [1, 0, 0, 0.2], topK: 3, tunneling: { poolSize: 6 } });
    expect(diverse.tunneling?.solver).toBe('qaoa');
    expect(diverse.tunneling?.objective).toBeGreaterThanOrEqual(diverse.tunneling?.plainObjective ?? 0);
    const stats = db.getQuantumStats();
    expect(stats.backend).toBe('ionq');
    expect(stats.fallbacks).toBe(0);
    expect(stats.quantumCalls).toBeGreaterThanOrEqual(3);
    expect(emulator.jobCount - jobs, 'the quantum work went to IonQ').toBeGreaterThanOrEqual(stats.quantumCalls);
    await db.close();
  }, 60_000);

  it("quantum_sdk='mock' maps to quantum-sim's local simulator: the same scenario, no IonQ job", async () => {
    const jobs = emulator.jobCount;
    const db = await openDb({ type: 'mock' });
    const q = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 4, context: 'biz' });
    expect(q.quantum).toEqual({ requested: true, used: true, fallback: false });
    expect(db.getQuantumStats().backend).toBe('state-vector');
    expect(emulator.jobCount).toBe(jobs);
    await db.close();
  });

  it('slow IonQ: past quantumTimeoutMs the classical value is used, the job cancelled, reason timeout', async () => {
    const db = await openDb(ionq(), { quantumTimeoutMs: 150 });
    emulator.setTiming({ queueMs: 10_000 });
    const cancels = emulator.count(/^PUT .*status\/cancel$/);
    try {
      const q = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 4, context: 'tech' });
      const exact = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 4, context: 'tech', quantum: false });
      expect(q.quantum.fallback).toBe(true);
      expect(q.matches.map((m) => [m.id, m.score])).toEqual(exact.matches.map((m) => [m.id, m.score]));
      const stats = db.getQuantumStats();
      expect(stats.fallbackReasons.timeout).toBeGreaterThanOrEqual(1);
      // The job was cancelled on IonQ: by the runner when it was queued at the deadline (counted in
      // cancelledJobs), or by the backend once the POST answered when the deadline came during it.
      for (let i = 0; i < 100 && emulator.count(/^PUT .*status\/cancel$/) <= cancels; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(emulator.count(/^PUT .*status\/cancel$/)).toBeGreaterThan(cancels);
      expect(stats.lastError?.reason).toBe('timeout');
    } finally {
      emulator.setTiming({ queueMs: 3 });
      await db.close();
    }
  });

  it('failing IonQ (503 after retries): classical value, reason unavailable', async () => {
    const db = await openDb(ionq({ maxRetries: 2 }));
    emulator.injectFault({ kind: 'status', status: 503, times: 3, match: /^POST/ });
    const q = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 4, context: 'tech' });
    expect(q.quantum.fallback).toBe(true);
    const stats = db.getQuantumStats();
    expect(stats.fallbackReasons.unavailable).toBeGreaterThanOrEqual(1);
    expect(stats.lastError?.code).toBe('SERVICE');
    await db.close();
  });

  it('over budget on a QPU: nothing is sent, classical value, reason budget', async () => {
    const db = await openDb(ionq({ target: 'qpu.forte-1', noiseModel: undefined }), { maxCostUsd: 1 });
    const posts = emulator.count(/^POST \/v0\.4\/jobs$/);
    const q = await db.query({ vector: [1, 0.5, 0.5, 0], topK: 4, context: 'tech' });
    expect(q.quantum.fallback).toBe(true);
    expect(db.getQuantumStats().fallbackReasons.budget).toBeGreaterThanOrEqual(1);
    expect(db.getQuantumStats().fallbacks).toBe(db.getQuantumStats().fallbackReasons.budget);
    expect(emulator.count(/^POST \/v0\.4\/jobs$/), 'zero jobs reached IonQ').toBe(posts);
    await db.close();
  });
});
