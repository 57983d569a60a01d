import { MemoryBackend } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from './demo.js';
import { openEmbeddedPgvector } from './stores/pgvector.js';
import { openStores as openPinecone } from './stores/pinecone.js';

/** `purged`: what applyDecoherence reports ('uncounted' where the store does not count deletes, as Pinecone). */
function checkScenario(result: DemoResult, purged: number | 'uncounted' = 3): void {
  expect(result.inserted).toBe(300);
  expect(result.plain[0]?.metadata?.topic).toBe('astronomy');
  for (const m of result.filtered) expect(m.metadata?.year).toBeGreaterThanOrEqual(2022);
  expect(result.filtered.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
  expect(result.context.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
  for (const m of result.context) expect(m.contextProbability).toBeGreaterThan(0);
  // Tunneling removes near-duplicates: a different top 5 with a higher objective than the plain one.
  const report = result.tunneling.tunneling;
  expect(result.tunneling.matches.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
  expect(report?.objective).toBeGreaterThan((report?.plainObjective ?? Number.POSITIVE_INFINITY) + 1);
  expect(result.entanglement.after).toBeGreaterThan(result.entanglement.before);
  expect(result.entanglement.yearCopied).toBe(true);
  expect(result.decoherence.visibleAfter6h).toBe(0);
  expect(result.decoherence.purged).toBe(purged === 'uncounted' ? undefined : purged);
  expect(result.totalRecordCount).toBe(300);
}

describe('demo scenario', () => {
  it('on --store pinecone (the emulator the demo starts), classically', async () => {
    const saved = process.env.PINECONE_API_KEY;
    delete process.env.PINECONE_API_KEY;
    const stores = await openPinecone({ indexName: 'demo-test', print: () => undefined });
    try {
      expect(stores.description).toContain('Pinecone emulator');
      const result = await runDemo({ backend: stores.backend, stateStore: stores.stateStore, print: () => undefined });
      checkScenario(result, 'uncounted');
      expect(stores.backend.type).toBe('pinecone');
    } finally {
      await stores.close();
      if (saved !== undefined) process.env.PINECONE_API_KEY = saved;
    }
  }, 60_000);

  it('classically on MemoryBackend: exact feature values', async () => {
    const result = await runDemo({ backend: new MemoryBackend({ indexName: 'demo-test' }), print: () => undefined });
    checkScenario(result);
    expect(result.tunneling.tunneling?.solver).toBe('simulated-annealing');
    expect(result.entanglement.correlation).toBe(0.6);
    for (const w of result.decoherence.weightsAfter2h) expect(w).toBeCloseTo(Math.exp(-2), 12);
    expect(result.quantumStats.quantumCalls).toBe(0);
  }, 30_000);

  it('on the embedded defaults (pgvector on PGlite, quantum-sim): estimates within shot noise, no fallback', async () => {
    const stores = await openEmbeddedPgvector({ indexName: 'demo-test' });
    // A loaded machine can take longer than the default 5 s per quantum call (QAOA runs many
    // circuits); this test checks that the quantum path works, not how fast, so it waits longer.
    const quantum = new StateVectorSimulator({ defaultTimeoutMs: 60_000 });
    const lines: string[] = [];
    try {
      const result = await runDemo({
        backend: stores.backend,
        stateStore: stores.stateStore,
        quantum,
        afterIngest: stores.buildIndex,
        print: (line) => lines.push(line),
      });
      checkScenario(result);
      expect(result.tunneling.tunneling?.solver).toBe('qaoa');
      expect(result.tunneling.tunneling?.circuits).toBeGreaterThan(0);
      // 1024 shots: the correlation estimate 2·P(agree) − 1 has σ ≈ 0.025, each decay weight σ ≈ 0.011.
      expect(Math.abs(result.entanglement.correlation - 0.6)).toBeLessThan(0.125);
      for (const w of result.decoherence.weightsAfter2h) expect(Math.abs(w - Math.exp(-2))).toBeLessThan(0.055);
      expect(result.quantumStats.quantumCalls).toBeGreaterThanOrEqual(4);
      expect(result.quantumStats.fallbacks).toBe(0);
      expect(lines.join('\n')).toContain("store: pgvector 'demo-test'");
    } finally {
      await quantum.close();
      await stores.close();
    }
  }, 120_000);
});
