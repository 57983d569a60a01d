/**
 * `pnpm --filter @q-store/backend-qdrant bench` — against the in-process emulator:
 *
 * 1. Query overhead of QdrantBackend over the raw official client sending the same request
 *    (same filter, payload selection and limit): p50 ratio, goal ≤ 1.05.
 * 2. The cost of the id mapping (UUIDv5 per id) against the time of an upsert per record.
 * 3. Ingest of N × 768-d records (default 100,000; `--records N`): requests used against the
 *    minimum the 32 MB request limit allows (total body bytes / limit), and the largest request.
 */
import { parseArgs } from 'node:util';
import { estimateRecordBytes } from '@q-store/core/backend';
import { QdrantClient } from '@qdrant/js-client-rest';
import { v5 as uuidPackageV5 } from 'uuid';
import { namespaceFilter, PAYLOAD_ID, PAYLOAD_METADATA } from '../src/filter-compiler.js';
import { pointIdFor, QSTORE_QDRANT_ID_NAMESPACE } from '../src/ids.js';
import { QDRANT_MAX_REQUEST_BYTES, QdrantBackend } from '../src/qdrant-backend.js';
import { QdrantEmulator } from '../src/testing/qdrant-emulator.js';

const { values } = parseArgs({
  // pnpm forwards the `--` of `pnpm bench -- --flag`; it is not a positional argument here
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { records: { type: 'string', default: '100000' }, queries: { type: 'string', default: '400' } },
});
const INGEST = Number(values.records);
const QUERIES = Number(values.queries);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const emulator = new QdrantEmulator();
const url = await emulator.start();
const raw = new QdrantClient({ url, checkCompatibility: false });

// 1. Query overhead ---------------------------------------------------------------------------
{
  const dimension = 128;
  const random = rng(1);
  const backend = new QdrantBackend({ url, collectionName: 'bench-query' });
  await backend.ensureIndex({ dimension, metric: 'cosine' });
  const records = Array.from({ length: 2000 }, (_, i) => ({
    id: `doc-${i}`,
    vector: Float32Array.from({ length: dimension }, random),
    metadata: { group: i % 10, tag: i % 3 ? 'a' : 'b' },
  }));
  await backend.upsert({ records });
  const queries = Array.from({ length: QUERIES }, () => Float32Array.from({ length: dimension }, random));
  const ours: number[] = [];
  const theirs: number[] = [];
  const filter = namespaceFilter('', undefined);
  for (const [i, vector] of queries.entries()) {
    // Alternate which goes first so that warm-up and drift fall on both alike.
    const runOurs = async () => {
      const t = performance.now();
      await backend.query({ vector, topK: 10 });
      ours.push(performance.now() - t);
    };
    const runRaw = async () => {
      const t = performance.now();
      await raw.query('bench-query', {
        query: Array.from(vector),
        filter: filter as never,
        limit: 10,
        with_payload: [PAYLOAD_ID, PAYLOAD_METADATA],
        with_vector: false,
      });
      theirs.push(performance.now() - t);
    };
    if (i % 2) {
      await runOurs();
      await runRaw();
    } else {
      await runRaw();
      await runOurs();
    }
  }
  const warm = Math.floor(QUERIES / 10);
  const a = p50(ours.slice(warm));
  const b = p50(theirs.slice(warm));
  console.log(`query overhead (${QUERIES} queries, 2,000 × ${dimension}-d cosine, topK 10, metadata):`);
  console.log(
    `  QdrantBackend p50 ${a.toFixed(3)} ms · raw client p50 ${b.toFixed(3)} ms · ratio ${(a / b).toFixed(3)} (goal ≤ 1.05)`,
  );
  await backend.close();
}

// 1b. The exact-vector copy: a Cosine collection (which keeps qstore_vector) against a Dot
// collection of the same unit vectors (no copy, same ranking): queries without includeVectors.
{
  const dimension = 768;
  const random = rng(3);
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const records = Array.from({ length: 2000 }, (_, i) => ({
    id: `doc-${i}`,
    vector: unit(Float32Array.from({ length: dimension }, random)),
    metadata: { group: i % 10 },
  }));
  const cosine = new QdrantBackend({ url, collectionName: 'bench-copy-cosine' });
  const dot = new QdrantBackend({ url, collectionName: 'bench-copy-dot' });
  await cosine.ensureIndex({ dimension, metric: 'cosine' });
  await dot.ensureIndex({ dimension, metric: 'dot' });
  await cosine.upsert({ records });
  await dot.upsert({ records });
  const withCopy: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < QUERIES / 2; i++) {
    const vector = unit(Float32Array.from({ length: dimension }, random));
    for (const [b, out] of (i % 2
      ? [
          [cosine, withCopy],
          [dot, without],
        ]
      : [
          [dot, without],
          [cosine, withCopy],
        ]) as Array<[QdrantBackend, number[]]>) {
      const t = performance.now();
      await b.query({ vector, topK: 10 });
      out.push(performance.now() - t);
    }
  }
  const a = p50(withCopy.slice(5));
  const b = p50(without.slice(5));
  console.log(`exact-vector copy (2,000 × ${dimension}-d, topK 10, no includeVectors):`);
  console.log(
    `  Cosine with qstore_vector p50 ${a.toFixed(3)} ms · Dot without it p50 ${b.toFixed(3)} ms · ratio ${(a / b).toFixed(3)}`,
  );
  await cosine.close();
  await dot.close();
}

// 2. Id mapping ---------------------------------------------------------------------------------
{
  const ids = Array.from({ length: 100_000 }, (_, i) => `document-${i}-${'x'.repeat(i % 40)}`);
  let sink = 0;
  const t = performance.now();
  for (const id of ids) sink += pointIdFor('ns', id).length;
  const perId = ((performance.now() - t) * 1000) / ids.length;
  const t2 = performance.now();
  for (const id of ids) sink += uuidPackageV5(JSON.stringify(['ns', id]), QSTORE_QDRANT_ID_NAMESPACE).length;
  const peer = ((performance.now() - t2) * 1000) / ids.length;
  console.log(
    `id mapping: ${perId.toFixed(2)} µs per id (native SHA-1 UUIDv5 of JSON [namespace, id]); the uuid package's v5 ${peer.toFixed(2)} µs (${(peer / perId).toFixed(1)}×)${sink > 0 ? '' : '!'}`,
  );
}

if (INGEST > 0) {
  // 3. Ingest -------------------------------------------------------------------------------------
  {
    const dimension = 768;
    const random = rng(2);
    const backend = new QdrantBackend({ url, collectionName: 'bench-ingest' });
    await backend.ensureIndex({ dimension, metric: 'cosine' });
    const key = 'PUT /collections/{c}/points';
    const requestsBefore = emulator.requestCounts.get(key) ?? 0;
    const bytesBefore = emulator.requestBytes.get(key) ?? 0;
    let largest = 0;
    let chunks = 0;
    const batch = 25_000;
    const t = performance.now();
    let mappingMs = 0;
    let estimated = 0;
    for (let start = 0; start < INGEST; start += batch) {
      const records = Array.from({ length: Math.min(batch, INGEST - start) }, (_, i) => ({
        id: `rec-${start + i}`,
        vector: Float32Array.from({ length: dimension }, random),
        metadata: { shard: (start + i) % 16, source: 'bench' },
      }));
      const before = emulator.requestBytes.get(key) ?? 0;
      const beforeCount = emulator.requestCounts.get(key) ?? 0;
      const m = performance.now();
      for (const r of records) pointIdFor('', r.id);
      mappingMs += performance.now() - m;
      for (const r of records) estimated += estimateRecordBytes({ id: r.id, vector: r.vector, metadata: r.metadata });
      const result = await backend.upsert({ records });
      chunks += result.chunks;
      const sent = (emulator.requestBytes.get(key) ?? 0) - before;
      const count = (emulator.requestCounts.get(key) ?? 0) - beforeCount;
      largest = Math.max(largest, sent / Math.max(1, count));
    }
    const seconds = (performance.now() - t) / 1000;
    const requests = (emulator.requestCounts.get(key) ?? 0) - requestsBefore;
    const bytes = (emulator.requestBytes.get(key) ?? 0) - bytesBefore;
    const minimum = Math.ceil(bytes / QDRANT_MAX_REQUEST_BYTES);
    const chunkerMinimum = Math.ceil(estimated / backend.capabilities.maxBatchBytes);
    const stats = await backend.stats();
    console.log(`ingest of ${INGEST.toLocaleString('en')} × ${dimension}-d cosine records (upserts of 25,000):`);
    console.log(
      `  ${requests} write requests (${chunks} chunks) · minimum by the 32 MB limit ${minimum} · ratio ${(requests / minimum).toFixed(2)} · fewest core's estimate (25 bytes per float) allows ${chunkerMinimum}`,
    );
    console.log(
      `  ${(bytes / 2 ** 20).toFixed(0)} MB sent, ${(bytes / INGEST / 1024).toFixed(1)} KB per record; mean request ${(largest / 2 ** 20).toFixed(1)} MB (limit 32 MB)`,
    );
    console.log(
      `  ${seconds.toFixed(1)} s, ${Math.round(INGEST / seconds).toLocaleString('en')} records/s; id mapping ${((mappingMs / 1000 / seconds) * 100).toFixed(2)} % of it; stored ${stats.totalRecordCount.toLocaleString('en')}`,
    );
    await backend.close();
  }
}

await emulator.stop();
