/**
 * PineconeBackend against the raw official client, both on the in-process emulator (768-d, cosine).
 *
 *   pnpm --filter @q-store/backend-pinecone bench
 *   BENCH_QUERIES=800 BENCH_UPSERTS=200 BENCH_SENT=5000 pnpm --filter @q-store/backend-pinecone bench
 *
 * Prints, all measured in this run:
 * - query and upsert latency p50 through q-store and through `@pinecone-database/pinecone` alone
 *   (same emulator, same requests, interleaved), and the ratio (goal ≤ 1.05);
 * - requests a 100,000 × 768-d upsert is split into by core's chunking under the declared limits
 *   (1,000 records, 2 MB), against the least the limits allow for the bytes actually sent
 *   (max(⌈n / 1,000⌉, ⌈Σ record bytes / 2 MB⌉)), and the ratio (goal ≤ 1.05×); `BENCH_SENT` records
 *   are really sent to check that the backend sends exactly the chunks counted;
 * - what `update` costs: requests per update (fetch-then-write) and p50 against one raw `update`.
 */

import { Pinecone } from '@pinecone-database/pinecone';
import { createRng, type Rng, type VectorRecord } from '@q-store/core';
import { chunkRecords } from '@q-store/core/backend';
import { PineconeBackend } from '../src/pinecone-backend.js';
import { PineconeEmulator } from '../src/testing/index.js';

const DIMENSION = 768;
const QUERIES = Number(process.env.BENCH_QUERIES ?? 400);
const UPSERTS = Number(process.env.BENCH_UPSERTS ?? 120);
const UPSERT_BATCH = 100;
const CORPUS = Number(process.env.BENCH_CORPUS ?? 5_000);
const BIG = 100_000;
const SENT = Number(process.env.BENCH_SENT ?? 5_000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
const API_KEY = 'bench-key-0123456789';
const MB2 = 2 * 1024 * 1024;

function vector(rng: Rng): Float32Array {
  return Float32Array.from({ length: DIMENSION }, () => rng.normal());
}

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Times both calls, alternating which goes first, so drift and warm-up hit both alike. */
async function pair(
  i: number,
  runCore: () => Promise<unknown>,
  runRaw: () => Promise<unknown>,
  core: number[],
  raw: number[],
): Promise<void> {
  if (i % 2 === 0) {
    core.push(await time(runCore));
    raw.push(await time(runRaw));
  } else {
    raw.push(await time(runRaw));
    core.push(await time(runCore));
  }
}

/** Bytes of one record as the official client sends it in an upsert body. */
function wireBytes(id: string, values: Float32Array, metadata: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify({ id, values: Array.from(values), metadata })) + 1;
}

const emulator = new PineconeEmulator({ apiKey: API_KEY });
await emulator.start();
const rng = createRng(2026);
try {
  const backend = new PineconeBackend({ apiKey: API_KEY, indexName: 'bench', controllerHostUrl: emulator.url });
  await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
  const pc = new Pinecone({ apiKey: API_KEY, controllerHostUrl: emulator.url, maxRetries: 0 });
  const raw = pc.index({ name: 'bench', host: (await pc.describeIndex('bench')).host });

  // Corpus for the queries.
  const corpus: VectorRecord[] = Array.from({ length: CORPUS }, (_, i) => ({
    id: `doc-${i}`,
    vector: vector(rng),
    metadata: { topic: `t${i % 7}`, year: 2000 + (i % 25) },
  }));
  await backend.upsert({ records: corpus });

  // ---------------------------------------------------------------- query overhead
  const queries = Array.from({ length: QUERIES }, () => vector(rng));
  const viaCore: number[] = [];
  const viaRaw: number[] = [];
  for (const [i, q] of queries.entries()) {
    const values = Array.from(q);
    const runCore = () => backend.query({ vector: q, topK: 10, filter: { year: { $gte: 2010 } } });
    const runRaw = () =>
      raw.query({ vector: values, topK: 10, includeMetadata: true, filter: { year: { $gte: 2010 } } });
    await pair(i, runCore, runRaw, viaCore, viaRaw);
  }
  const queryRatio = p50(viaCore) / p50(viaRaw);
  console.log(
    `query top-10 (${fmt(CORPUS)} × ${DIMENSION}-d, filter): q-store p50 ${fmt(p50(viaCore), 3)} ms, raw client p50 ${fmt(p50(viaRaw), 3)} ms, ratio ${fmt(queryRatio, 3)} (goal ≤ 1.05)`,
  );

  // ---------------------------------------------------------------- upsert overhead
  const upCore: number[] = [];
  const upRaw: number[] = [];
  for (let i = 0; i < UPSERTS; i++) {
    const batch = Array.from({ length: UPSERT_BATCH }, (_, j) => ({
      id: `up-${i}-${j}`,
      vector: vector(rng),
      metadata: { topic: 'x', year: 2020 },
    }));
    const runCore = () => backend.upsert({ records: batch, namespace: 'core' });
    // The raw client takes number arrays: converting the Float32Arrays is part of its cost too.
    const runRaw = () =>
      raw.upsert({
        records: batch.map((r) => ({ id: r.id, values: Array.from(r.vector), metadata: r.metadata })),
        namespace: 'raw',
      });
    await pair(i, runCore, runRaw, upCore, upRaw);
  }
  const upsertRatio = p50(upCore) / p50(upRaw);
  console.log(
    `upsert ${UPSERT_BATCH} × ${DIMENSION}-d: q-store p50 ${fmt(p50(upCore), 2)} ms, raw client p50 ${fmt(p50(upRaw), 2)} ms, ratio ${fmt(upsertRatio, 3)} (goal ≤ 1.05; q-store validates, copies and chunks every batch)`,
  );

  // ---------------------------------------------------------------- requests for 100,000 records
  // The backend sizes each record exactly (its JSON as sent), so chunks are computed on fresh random
  // vectors, as the upsert would; the same records give the bytes actually sent. Core's default
  // bound (25 bytes per float) is shown beside it.
  const meta = (i: number) => ({ topic: `t${i % 7}`, year: 2000 + (i % 25) });
  const big: VectorRecord[] = Array.from({ length: BIG }, (_, i) => ({
    id: `big-${i}`,
    vector: vector(rng),
    metadata: meta(i),
  }));
  const sizeOf = (r: VectorRecord) => (backend as unknown as { recordBytes(r: VectorRecord): number }).recordBytes(r);
  const chunks = chunkRecords(big, backend.capabilities, sizeOf).length;
  const boundChunks = chunkRecords(big, backend.capabilities).length;
  let sentBytes = 0;
  for (const r of big) sentBytes += wireBytes(r.id, r.vector, r.metadata ?? {});
  const minimum = Math.max(Math.ceil(BIG / 1000), Math.ceil(sentBytes / MB2));
  console.log(
    `100,000 × ${DIMENSION}-d upsert: ${fmt(chunks)} requests, the limits allow ${fmt(minimum)} at least (${fmt(sentBytes / 1e6, 1)} MB of JSON); ratio ${fmt(chunks / minimum, 3)} (goal ≤ 1.05); with core's 25-bytes-per-float bound it would be ${fmt(boundChunks)} (${fmt(boundChunks / minimum, 3)})`,
  );
  big.length = 0;
  // Really send SENT of them and check the count matches the chunking.
  const sentRecords = Array.from({ length: SENT }, (_, i) => ({
    id: `sent-${i}`,
    vector: vector(rng),
    metadata: meta(i),
  }));
  emulator.resetCounts();
  const result = await backend.upsert({ records: sentRecords, namespace: 'sent' });
  const received = emulator.count(/upsert/);
  const largest = Math.max(...emulator.requests.filter((r) => /upsert/.test(r.route)).map((r) => r.bytes));
  console.log(
    `  check: ${fmt(SENT)} records sent in ${result.chunks} requests (emulator received ${received}; chunking predicts ${chunkRecords(sentRecords, backend.capabilities, sizeOf).length}); largest body ${fmt(largest / 1024, 0)} KiB of 2,048`,
  );

  // ---------------------------------------------------------------- update: fetch-then-write
  emulator.resetCounts();
  const upd: number[] = [];
  const updRaw: number[] = [];
  const updReplace: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const id = `doc-${i % CORPUS}`;
    upd.push(await time(() => backend.update({ id, metadata: { year: 1990 + (i % 30) } })));
    updRaw.push(await time(() => raw.update({ id, metadata: { year: 1990 + (i % 30) } })));
    updReplace.push(
      await time(() => backend.update({ id, metadata: { topic: 'r', year: 2001 }, metadataMode: 'replace' })),
    );
  }
  const requestsPerUpdate = (emulator.count(/fetch|update|upsert/) - UPDATES) / (2 * UPDATES);
  console.log(
    `update (fetch-then-write): ${fmt(requestsPerUpdate, 2)} requests per update vs 1 raw; merge p50 ${fmt(p50(upd), 3)} ms, replace p50 ${fmt(p50(updReplace), 3)} ms, raw update p50 ${fmt(p50(updRaw), 3)} ms; ratio ${fmt(p50(upd) / p50(updRaw), 2)}`,
  );
  await backend.close();
} finally {
  await emulator.stop();
}
