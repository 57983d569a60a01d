/**
 * Tunneling at its largest pool (MAX_TUNNELING_POOL = 512, 256-d, topK 200): how long the event
 * loop stalls during one query. Peer, in the same run: the synchronous annealer on the same
 * problem (what the query ran before it was sliced). Figures: the query's wall time, the longest
 * event-loop stall (monitorEventLoopDelay, max), and how late an `AbortSignal.timeout(50)` fires.
 */

import { QuantumDatabase } from '../src/database/quantum-database.js';
import type { DiversityProblem } from '../src/database/tunneling.js';
import { MAX_TUNNELING_POOL, similarityMatrix, simulatedAnnealing } from '../src/database/tunneling.js';
import { createRng } from '../src/shared/random.js';
import { MemoryBackend } from '../src/vector/memory-backend.js';
import { measureStalls } from './stall.js';

const D = 256;
const K = 200;
const rng = createRng(1);
const vectors = Array.from({ length: MAX_TUNNELING_POOL }, () => Float32Array.from({ length: D }, () => rng.normal()));
const db = await QuantumDatabase.open({ backend: new MemoryBackend({ indexName: 'bench' }), dimension: D, seed: 1 });
await db.batchInsert({ records: vectors.map((vector, i) => ({ id: `r${i}`, vector })), batchSize: 512 });

const measure = (work: () => Promise<unknown>) => measureStalls(work, 50);

// Warm-up (JIT), not measured.
await db.query({ vector: vectors[1] as Float32Array, topK: K, tunneling: true });
const sliced = await measure(() => db.query({ vector: vectors[0] as Float32Array, topK: K, tunneling: true }));
const problem: DiversityProblem = {
  relevance: Float64Array.from(vectors, () => rng.float()),
  similarity: await similarityMatrix(vectors),
  lambda: 0.5,
  k: K,
};
const blocking = await measure(async () => simulatedAnnealing(problem, { seed: 1 }));
await db.close();

const row = (name: string, r: typeof sliced) =>
  `${name.padEnd(34)} wall ${r.wallMs.toFixed(0).padStart(5)} ms  max stall ${r.maxStallMs.toFixed(1).padStart(6)} ms  timeout(50) late ${r.timerLateMs.toFixed(1).padStart(6)} ms`;
console.log(`tunneling, pool ${MAX_TUNNELING_POOL} × ${D}-d, topK ${K}`);
console.log(row('query (sliced: matrix + annealing)', sliced));
console.log(row('peer: synchronous annealing only', blocking));
console.log(`stall ratio peer / sliced: ${(blocking.maxStallMs / sliced.maxStallMs).toFixed(1)}×`);
