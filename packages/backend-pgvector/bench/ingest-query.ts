/**
 * Ingest and query benchmark of PgvectorBackend on embedded PGlite (768-d, cosine).
 *
 *   pnpm --filter @q-store/backend-pgvector bench
 *   BENCH_VECTORS=20000 BENCH_ROW_VECTORS=500 BENCH_QUERIES=200 pnpm --filter @q-store/backend-pgvector bench
 *
 * Prints, all measured in this run:
 * - vectors/s of the fast path (`upsert`: binary COPY straight into the table, one transaction per
 *   chunk), in memory and into a data directory, with the HNSW index built after loading;
 * - vectors/s of row-by-row text inserts (one `INSERT … VALUES ($1, $2::vector, $3)` per vector,
 *   what a naive client does), and the ratio;
 * - vectors/s of the `pg` path (`INSERT … SELECT FROM unnest(…)`, the server parses the vectors)
 *   through pglite-socket, for reference;
 * - top-10 query latency p50/p99 with exact search (no index) and with the HNSW index, and the
 *   HNSW recall@10 against exact search for the same queries.
 *
 * Data: clustered synthetic vectors (200 Gaussian clusters), seeded, so runs are comparable.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createRng, type Rng } from '@q-store/core';
import pg from 'pg';
import { openEmbeddedPostgres } from '../src/driver.js';
import { PgvectorBackend } from '../src/pgvector-backend.js';
import { vectorText } from '../src/sql.js';
import { fmt, recall, timeQueries } from './measure.js';

const DIMENSION = 768;
const VECTORS = Number(process.env.BENCH_VECTORS ?? 20_000);
const ROW_VECTORS = Number(process.env.BENCH_ROW_VECTORS ?? 500);
const PG_VECTORS = Number(process.env.BENCH_PG_VECTORS ?? 5_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const TOP_K = 10;

function clusteredVectors(rng: Rng, count: number, clusters: number): Float32Array[] {
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: DIMENSION }, () => rng.normal()));
  return Array.from({ length: count }, () => {
    const center = centers[rng.int(0, clusters - 1)] as Float32Array;
    return Float32Array.from(center, (x) => x + 0.35 * rng.normal());
  });
}

const rng = createRng(768);
const data = clusteredVectors(rng, VECTORS + QUERIES, 200);
const records = data.slice(0, VECTORS).map((vector, i) => ({
  id: `doc-${i}`,
  vector,
  metadata: { cluster: i % 200, source: 'bench' },
}));
const queries = data.slice(VECTORS);

console.log(`pgvector on embedded PGlite: ${fmt(VECTORS)} vectors of ${DIMENSION} dimensions, cosine`);
const db = await openEmbeddedPostgres();
const backend = new PgvectorBackend({
  indexName: 'bench',
  pglite: db,
  index: { type: 'hnsw', m: 16, efConstruction: 64, deferBuild: true },
  maintenanceWorkMem: '512MB',
});
await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });

// Fast path.
let start = performance.now();
const result = await backend.upsert({ records });
const fastSeconds = (performance.now() - start) / 1000;
const fastRate = VECTORS / fastSeconds;
console.log(
  `ingest, fast path in memory (binary COPY, ${result.chunks} chunks): ${fmt(fastRate)} vectors/s (${fmt(fastSeconds, 2)} s)`,
);

// The same fast path into a data directory (the demo's persistent embedded mode).
const dir = await mkdtemp(join(tmpdir(), 'q-store-bench-'));
const onDisk = new PgvectorBackend({ indexName: 'bench', embedded: { dataDir: dir }, index: { type: 'none' } });
await onDisk.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
start = performance.now();
await onDisk.upsert({ records });
const diskRate = VECTORS / ((performance.now() - start) / 1000);
console.log(`ingest, fast path into a data directory (durable): ${fmt(diskRate)} vectors/s`);
await onDisk.close();
await rm(dir, { recursive: true, force: true });

// Row-by-row text inserts, same table layout, same PGlite.
await db.query(
  `CREATE TABLE rows_bench (namespace text NOT NULL DEFAULT '', id text NOT NULL, embedding vector(${DIMENSION}) NOT NULL,
   metadata jsonb, PRIMARY KEY (namespace, id))`,
);
start = performance.now();
for (const record of records.slice(0, ROW_VECTORS)) {
  await db.query('INSERT INTO rows_bench (id, embedding, metadata) VALUES ($1, $2::vector, $3::jsonb)', [
    record.id,
    vectorText(record.vector),
    JSON.stringify(record.metadata),
  ]);
}
const rowSeconds = (performance.now() - start) / 1000;
const rowRate = ROW_VECTORS / rowSeconds;
console.log(
  `ingest, row-by-row text INSERTs (${fmt(ROW_VECTORS)} vectors): ${fmt(rowRate)} vectors/s; fast path is ${fmt(fastRate / rowRate, 1)}× faster`,
);
await db.query('DROP TABLE rows_bench');

// Queries without an index (exact scan), then with HNSW.
const exact = await timeQueries(backend, queries, { topK: TOP_K, exact: true });
console.log(
  `top-${TOP_K} query, exact (no index, ${fmt(QUERIES)} queries): p50 ${fmt(exact.p50, 1)} ms, p99 ${fmt(exact.p99, 1)} ms`,
);
start = performance.now();
await backend.buildIndex();
const buildSeconds = (performance.now() - start) / 1000;
console.log(`HNSW build (m 16, ef_construction 64) after loading: ${fmt(buildSeconds, 1)} s`);
for (const efSearch of [40, 100]) {
  const hnsw = await timeQueries(backend, queries, { topK: TOP_K, efSearch });
  console.log(
    `top-${TOP_K} query, HNSW ef_search ${efSearch}: p50 ${fmt(hnsw.p50, 1)} ms, p99 ${fmt(hnsw.p99, 1)} ms, recall@${TOP_K} ${fmt(recall(hnsw.ids, exact.ids), 3)}; p50 ${fmt(exact.p50 / hnsw.p50, 1)}× faster than exact`,
  );
}

// Inserting into a table that already has the HNSW index (every row updates the graph).
const extra = clusteredVectors(rng, 1000, 200).map((vector, i) => ({ id: `more-${i}`, vector }));
start = performance.now();
await backend.upsert({ records: extra });
console.log(
  `ingest into the indexed table (1,000 more vectors): ${fmt(extra.length / ((performance.now() - start) / 1000))} vectors/s`,
);
await backend.close();

// The pg path (server-side conversion from text) through pglite-socket, for reference.
const server = new PGLiteSocketServer({ db: db as never, host: '127.0.0.1', port: 0, maxConnections: 1 });
await server.start();
const pool = new pg.Pool({ connectionString: `postgres://postgres@${server.getServerConn()}/postgres`, max: 1 });
const viaPg = new PgvectorBackend({ indexName: 'bench-pg', pool, index: { type: 'hnsw', deferBuild: true } });
await viaPg.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
start = performance.now();
await viaPg.upsert({ records: records.slice(0, PG_VECTORS) });
const pgRate = PG_VECTORS / ((performance.now() - start) / 1000);
console.log(
  `ingest through pg over pglite-socket (INSERT … SELECT FROM unnest, ${fmt(PG_VECTORS)} vectors): ${fmt(pgRate)} vectors/s`,
);
await viaPg.close();
await pool.end();
await server.stop();
await db.close();

const goal = 5000;
console.log(
  `goal ≥ ${fmt(goal)} vectors/s on the fast path: ${fastRate >= goal ? 'met' : 'NOT met'} (${fmt(fastRate)} vectors/s)`,
);
