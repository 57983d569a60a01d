import { afterEach, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../quantum/reference-sim.test-helper.js';
import { QueuedJobService, QueuedQuantumBackend } from '../testing/queued-quantum-backend.js';
import { MemoryBackend } from '../vector/memory-backend.js';
import { QuantumDatabase } from './quantum-database.js';

const opened: QuantumDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function openWith(config: Partial<Parameters<typeof QuantumDatabase.open>[0]>) {
  const db = await QuantumDatabase.open({
    backend: new MemoryBackend({ indexName: 'runner' }),
    dimension: 4,
    ...config,
  });
  opened.push(db);
  await db.batchInsert({
    records: [
      { id: 'a', vector: [1, 0, 0, 0], contexts: { t: 1, b: 3 } },
      { id: 'b', vector: [1, 1, 0, 0], contexts: { t: 3, b: 1 } },
    ],
  });
  return db;
}

const contextQuery = { vector: [1, 0, 0, 0], topK: 2, context: 't' };

describe('QuantumDatabase over a queued quantum backend', () => {
  it('a job still queued at the deadline is cancelled and counted as a timeout fallback', async () => {
    const service = new QueuedJobService({ engine: new ReferenceBackend(), queuedMs: 60_000 });
    const db = await openWith({ quantum: new QueuedQuantumBackend({ service }), quantumTimeoutMs: 40 });
    const result = await db.query(contextQuery);
    expect(result.quantum).toEqual({ requested: true, used: false, fallback: true });
    expect(result.matches.map((m) => m.contextProbability)).toEqual([0.75, 0.25].map((p) => expect.closeTo(p, 12)));
    expect(service.received).toHaveLength(1);
    // The cancel runs as the wait's deadline fires; give it a few polls' time.
    for (let i = 0; i < 100 && service.cancelRequests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(service.cancelRequests).toHaveLength(1);
    const stats = db.getQuantumStats();
    expect(stats.fallbacks).toBe(1);
    expect(stats.fallbackReasons).toEqual({ timeout: 1, budget: 0, unavailable: 0, error: 0 });
    expect(stats.lastError).toMatchObject({ reason: 'timeout', code: 'TIMEOUT' });
    expect(stats.cancelledJobs).toBe(1);
    expect(stats.timeoutMs).toBe(40);
  });

  it("without quantumTimeoutMs the deadline is the backend's defaultTimeoutMs, and a queued job completes", async () => {
    const service = new QueuedJobService({ engine: new ReferenceBackend(), queuedMs: 10, runningMs: 10 });
    const quantum = new QueuedQuantumBackend({ service });
    const db = await openWith({ quantum, shots: 4000, seed: 3 });
    expect(db.getQuantumStats().timeoutMs).toBe(quantum.capabilities.defaultTimeoutMs);
    const result = await db.query(contextQuery);
    expect(result.quantum).toEqual({ requested: true, used: true, fallback: false });
    const [first, second] = result.matches.map((m) => m.contextProbability as number);
    expect(Math.abs((first as number) - 0.75)).toBeLessThan(0.05);
    expect(Math.abs((second as number) - 0.25)).toBeLessThan(0.05);
    const stats = db.getQuantumStats();
    expect(stats.fallbacks).toBe(0);
    // One sample job of 4000 shots; each distinct amplitude set is one circuit.
    const circuits = service.received[0]?.circuits.length as number;
    expect(stats.spentUsd).toBeCloseTo(4000 * circuits * service.costPerShotUsd, 12);
  });

  it('the database budget refuses work before it is sent: a budget fallback, nothing received', async () => {
    const service = new QueuedJobService({ engine: new ReferenceBackend(), queuedMs: 1, runningMs: 1 });
    const db = await openWith({ quantum: new QueuedQuantumBackend({ service }), shots: 1000, maxCostUsd: 0.05 });
    const result = await db.query(contextQuery);
    expect(result.quantum.fallback).toBe(true);
    expect(service.received).toHaveLength(0);
    const stats = db.getQuantumStats();
    expect(stats.fallbackReasons.budget).toBe(1);
    expect(stats.lastError?.reason).toBe('budget');
    expect(stats.lastError?.code).toBe('BUDGET_EXCEEDED');
    expect(stats.lastError?.message).toMatch(/database budget.*\$0\.2 .*\$0\.05/);
    expect(stats.spentUsd).toBe(0);
    expect(stats.maxCostUsd).toBe(0.05);
  });

  it('spending stops at the budget: calls within it go out, the first one past it does not', async () => {
    const service = new QueuedJobService({ engine: new ReferenceBackend(), queuedMs: 1, runningMs: 1 });
    // Each query sends 2 circuits × 100 shots × $0.0001 = $0.02; the budget allows two.
    const db = await openWith({ quantum: new QueuedQuantumBackend({ service }), shots: 100, maxCostUsd: 0.05 });
    const used = [];
    for (let i = 0; i < 3; i++) used.push((await db.query(contextQuery)).quantum.used);
    expect(used).toEqual([true, true, false]);
    expect(service.received).toHaveLength(2);
    expect(db.getQuantumStats().spentUsd).toBeCloseTo(0.04, 12);
    expect(db.getQuantumStats().fallbackReasons.budget).toBe(1);
  });

  it('a closed backend is an unavailable fallback; a bad maxCostUsd is refused at open', async () => {
    const service = new QueuedJobService({ engine: new ReferenceBackend() });
    const quantum = new QueuedQuantumBackend({ service });
    await quantum.close();
    const db = await openWith({ quantum });
    expect((await db.query(contextQuery)).quantum.fallback).toBe(true);
    expect(db.getQuantumStats().fallbackReasons.unavailable).toBe(1);
    await expect(
      QuantumDatabase.open({ backend: new MemoryBackend({ indexName: 'x' }), dimension: 4, maxCostUsd: -1 }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/maxCostUsd/) });
  });
});
