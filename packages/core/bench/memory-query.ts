/**
 * MemoryBackend exact query: bounded top-k heap (the backend) against sorting every scored
 * candidate (the previous implementation, re-implemented here as the peer), same data, same run.
 * 100,000 × 100-d random unit vectors, cosine, topK 10, 50 queries. Figures are p50 latencies.
 */

import { createRng } from '../src/shared/random.js';
import { MemoryBackend } from '../src/vector/memory-backend.js';
import { score } from '../src/vector/metrics.js';

const N = 100_000;
const D = 100;
const rng = createRng(1);
const unit = () => {
  const v = Float32Array.from({ length: D }, () => rng.float() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const vectors = Array.from({ length: N }, unit);
const backend = new MemoryBackend({ indexName: 'bench' });
await backend.ensureIndex({ dimension: D, metric: 'cosine' });
for (let i = 0; i < N; i += 1000) {
  await backend.upsert({ records: vectors.slice(i, i + 1000).map((vector, j) => ({ id: `r${i + j}`, vector })) });
}
const queries = Array.from({ length: 50 }, unit);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

const heap: number[] = [];
const sorted: number[] = [];
for (const q of queries) {
  let t = performance.now();
  const got = (await backend.query({ vector: q, topK: 10 })).matches;
  heap.push(performance.now() - t);
  t = performance.now();
  const scored = vectors.map((v, i) => ({ id: `r${i}`, score: score('cosine', q, v) }));
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const want = scored.slice(0, 10);
  sorted.push(performance.now() - t);
  if (want.map((m) => m.id).join() !== got.map((m) => m.id).join()) throw new Error('heap and sort disagree');
}
console.log(`MemoryBackend exact query, ${N} x ${D}-d cosine, topK 10, ${queries.length} queries`);
console.log(`  top-k heap (backend): p50 ${p50(heap).toFixed(1)} ms`);
console.log(`  sort every candidate: p50 ${p50(sorted).toFixed(1)} ms`);
console.log(`  ratio sort / heap: ${(p50(sorted) / p50(heap)).toFixed(2)}x`);
await backend.close();
