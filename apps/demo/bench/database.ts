/**
 * QuantumDatabase benchmark.
 *
 * 1. Classical-path overhead: the same plain top-10 queries through `QuantumDatabase.query` and
 *    straight on the backend, interleaved, on MemoryBackend and on embedded pgvector (PGlite).
 *    Goal: p50 ratio ≤ 1.05.
 * 2. Quantum-path latency: context, correlation and tunneling (QAOA, pool 16) queries on
 *    quantum-sim with shots, against their classical paths.
 *
 * Run: pnpm --filter @q-store/demo bench
 */
import { MemoryBackend, QuantumDatabase, type VectorBackend } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { CORPUS } from '../src/corpus.js';
import { createHashingEmbedder } from '../src/embed.js';
import { openEmbeddedPgvector } from '../src/stores/pgvector.js';

const QUERIES = 400;
const embedder = createHashingEmbedder();
embedder.fit(CORPUS.map((e) => e.text));
const vectors = CORPUS.map((e) => embedder.embed(e.text));
const queryVectors = Array.from({ length: QUERIES }, (_, i) => {
  const a = vectors[i % vectors.length] as Float32Array;
  const b = vectors[(i * 7 + 3) % vectors.length] as Float32Array;
  return Float32Array.from(a, (x, d) => x + 0.5 * (b[d] as number));
});

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function overhead(label: string, backend: VectorBackend, afterIngest?: () => Promise<void>): Promise<void> {
  const db = await QuantumDatabase.open({ backend, dimension: embedder.dimension });
  await db.batchInsert({
    records: CORPUS.map((e, i) => ({
      id: e.id,
      vector: vectors[i] as Float32Array,
      metadata: { topic: e.topic, year: e.year },
      contexts: { ...e.contexts },
    })),
  });
  await afterIngest?.();
  const raw: number[] = [];
  const wrapped: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (const [i, vector] of queryVectors.entries()) {
      // Interleave and alternate the order so that drift and warm-up hit both sides alike.
      const first = (i + round) % 2 === 0;
      for (const side of first ? ['raw', 'db'] : ['db', 'raw']) {
        const t0 = performance.now();
        if (side === 'raw') await backend.query({ vector, topK: 10 });
        else await db.query({ vector, topK: 10 });
        const ms = performance.now() - t0;
        if (round === 1) (side === 'raw' ? raw : wrapped).push(ms);
      }
    }
  }
  const p50r = percentile(raw, 0.5);
  const p50d = percentile(wrapped, 0.5);
  console.log(
    `  ${label.padEnd(26)} raw p50 ${p50r.toFixed(3)} ms p99 ${percentile(raw, 0.99).toFixed(3)} ms | QuantumDatabase p50 ${p50d.toFixed(3)} ms p99 ${percentile(wrapped, 0.99).toFixed(3)} ms | p50 ratio ${(p50d / p50r).toFixed(3)} (goal ≤ 1.05)`,
  );
  await db.close();
}

async function quantumLatency(): Promise<void> {
  const backend = new MemoryBackend({ indexName: 'bench-quantum' });
  const sim = new StateVectorSimulator();
  const db = await QuantumDatabase.open({ backend, dimension: embedder.dimension, quantum: sim, shots: 1024, seed: 7 });
  await db.batchInsert({
    records: CORPUS.map((e, i) => ({ id: e.id, vector: vectors[i] as Float32Array, contexts: { ...e.contexts } })),
  });
  await db.createEntangledGroup({ groupId: 'g', ids: ['astro-001', 'astro-002'], correlation: 0.6 });
  const cases: Array<[string, (quantum: boolean, i: number) => Promise<unknown>]> = [
    [
      'context query (top 10, pool 40)',
      (quantum, i) => db.query({ vector: queryVectors[i] as Float32Array, topK: 10, context: 'business', quantum }),
    ],
    ['correlation estimate', (quantum) => db.getCorrelation('astro-001', 'astro-002', { quantum })],
    [
      'tunneling (top 5, pool 16)',
      (quantum, i) => db.query({ vector: queryVectors[i] as Float32Array, topK: 5, tunneling: true, quantum }),
    ],
  ];
  for (const [label, run] of cases) {
    const times: Record<'classical' | 'quantum', number[]> = { classical: [], quantum: [] };
    const reps = label.startsWith('tunneling') ? 20 : 60;
    for (let i = 0; i < reps; i++) {
      for (const quantum of [false, true]) {
        const t0 = performance.now();
        await run(quantum, i);
        times[quantum ? 'quantum' : 'classical'].push(performance.now() - t0);
      }
    }
    const c = percentile(times.classical, 0.5);
    const q = percentile(times.quantum, 0.5);
    console.log(
      `  ${label.padEnd(34)} classical p50 ${c.toFixed(2)} ms | quantum p50 ${q.toFixed(2)} ms p95 ${percentile(times.quantum, 0.95).toFixed(2)} ms | ×${(q / c).toFixed(1)}`,
    );
  }
  const stats = db.getQuantumStats();
  console.log(
    `  quantum stats: ${stats.quantumCalls} calls, ${stats.fallbacks} fallbacks, backend latency p50 ${stats.latencyMs.p50?.toFixed(2)} ms p95 ${stats.latencyMs.p95?.toFixed(2)} ms`,
  );
  await db.close();
  await backend.close();
  await sim.close();
}

console.log(`QuantumDatabase bench — ${CORPUS.length} records, ${embedder.dimension}-d, ${QUERIES} queries per side`);
console.log('classical-path overhead (plain top-10 query):');
await overhead('MemoryBackend', new MemoryBackend({ indexName: 'bench-memory' }));
const pg = await openEmbeddedPgvector({ indexName: 'bench-pgvector' });
await overhead('pgvector (PGlite, HNSW)', pg.backend, pg.buildIndex);
await pg.close();
console.log('quantum path on quantum-sim (1024 shots):');
await quantumLatency();
