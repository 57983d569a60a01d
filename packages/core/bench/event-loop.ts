/**
 * A responsive process under load (issue: 1,000 concurrent queries on QuantumDatabase over
 * MemoryBackend, 10,000 × 128-d, all finished together after 3.9 s with p50 = p99, the event loop
 * blocked throughout). Figures: completion p50 / p99 of the queries, the longest event-loop stall
 * and how late an `AbortSignal.timeout(200)` started with the burst fires (`stall.ts`). Peer in the same run: the same scan without yielding (MemoryBackend's slice size set past
 * the namespace), i.e. the old behaviour. Goal: no stall over 100 ms, the timeout within 100 ms.
 */

import { QuantumDatabase } from '../src/database/quantum-database.js';
import { createRng } from '../src/shared/random.js';
import { MemoryBackend } from '../src/vector/memory-backend.js';
import { measureStalls } from './stall.js';

const N = 10_000;
const D = 128;
const QUERIES = 1_000;
const rng = createRng(3);
const vectors = Array.from({ length: N }, () => Float32Array.from({ length: D }, () => rng.normal()));
const queries = Array.from({ length: QUERIES }, () => Float32Array.from({ length: D }, () => rng.normal()));

async function run(label: string, backend: MemoryBackend): Promise<void> {
  const db = await QuantumDatabase.open({ backend, dimension: D, seed: 1 });
  await db.batchInsert({ records: vectors.map((vector, i) => ({ id: `r${i}`, vector })), batchSize: 1000 });
  let start = 0;
  const done: number[] = [];
  const figures = await measureStalls(async () => {
    start = performance.now();
    await Promise.all(
      queries.map((vector) =>
        db.query({ vector, topK: 10 }).then(() => {
          done.push(performance.now() - start);
        }),
      ),
    );
  }, 200);
  done.sort((a, b) => a - b);
  const at = (q: number) => done[Math.min(done.length - 1, Math.floor(q * done.length))] as number;
  console.log(
    `${label.padEnd(34)} wall ${figures.wallMs.toFixed(0).padStart(6)} ms  p50 ${at(0.5).toFixed(0).padStart(6)} ms  p99 ${at(0.99).toFixed(0).padStart(6)} ms  max stall ${figures.maxStallMs.toFixed(1).padStart(7)} ms  timeout(200) late ${figures.timerLateMs.toFixed(1)} ms`,
  );
  await db.close();
}

console.log(
  `${QUERIES} concurrent QuantumDatabase queries over MemoryBackend, ${N.toLocaleString()} × ${D}-d, topK 10`,
);
await run('sliced scan (MemoryBackend default)', new MemoryBackend({ indexName: 'sliced' }));
// The peer: one slice for the whole namespace, so each query's scan runs without yielding.
await run(
  'peer: unsliced scan',
  new MemoryBackend({ indexName: 'unsliced', querySliceRecords: Number.POSITIVE_INFINITY }),
);
