/**
 * Ingest through `pg` (the server path) at 768 dimensions: the client's cost alone, then end to end.
 *
 *   pnpm --filter @q-store/backend-pgvector bench:pg-ingest
 *   BENCH_VECTORS=20000 pnpm --filter @q-store/backend-pgvector bench:pg-ingest
 *   QSTORE_SYSTEM_POSTGRES_URL=postgres://user@host:5432/db pnpm … bench:pg-ingest   (a server with pgvector)
 *
 * Compares, in the same run, the text path earlier versions used (each vector written as
 * `[x1,x2,…]` text inside a text[] parameter, parsed by the server) with the binary path now used
 * (one binary `vector[]` parameter: float32s copied, nothing to format or parse):
 * - client side only: the work `pg` and q-store do before bytes leave (formatting or packing, and
 *   pg's parameter preparation), in vectors/s;
 * - end to end over pglite-socket (PGlite behind the PostgreSQL wire protocol), into a table
 *   without the HNSW index (built after loading, as a bulk load should);
 * - end to end to the PostgreSQL server at QSTORE_SYSTEM_POSTGRES_URL when it has pgvector (skipped
 *   with the reason otherwise), in its own schema, dropped afterwards.
 * The goal (≥ 10,000 vectors/s at 768-d to a server) is checked against the server figure.
 */
import { createRng } from '@q-store/core';
import pg from 'pg';
// @ts-expect-error pg's internal helper has no types; it is what pg runs on every parameter.
import { prepareValue } from 'pg/lib/utils.js';
import { encodeVectorArray } from '../src/copy-binary.js';
import { PgvectorBackend } from '../src/pgvector-backend.js';
import { vectorText } from '../src/sql.js';
import { SYSTEM_POSTGRES_URL, servePglite, systemPgvectorUnavailable } from '../src/test-support.js';
import { fmt } from './measure.js';

const DIMENSION = 768;
const VECTORS = Number(process.env.BENCH_VECTORS ?? 10_000);
const CHUNK = 1000;

const rng = createRng(768);
const records = Array.from({ length: VECTORS }, (_, i) => ({
  id: `doc-${i}`,
  vector: Float32Array.from({ length: DIMENSION }, () => rng.normal()),
  metadata: { cluster: i % 200, source: 'bench' },
}));
const chunks = Array.from({ length: Math.ceil(VECTORS / CHUNK) }, (_, i) => records.slice(i * CHUNK, (i + 1) * CHUNK));

function rate(seconds: number, count = VECTORS): number {
  return count / seconds;
}

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// Client side alone.
const textClient = await timed(() => {
  for (const chunk of chunks) prepareValue(chunk.map((r) => vectorText(r.vector)));
});
const binaryClient = await timed(() => {
  for (const chunk of chunks)
    prepareValue(
      encodeVectorArray(
        chunk.map((r) => r.vector),
        DIMENSION,
        16_385,
      ),
    );
});
console.log(`pg ingest, ${fmt(VECTORS)} vectors of ${DIMENSION} dimensions, chunks of ${CHUNK}`);
console.log(
  `client side only: text ${fmt(rate(textClient))} vectors/s, binary ${fmt(rate(binaryClient))} vectors/s (${fmt(textClient / binaryClient, 1)}× less client work)`,
);

/** The statement earlier versions sent: vectors as text, converted by the server. */
async function textUpsert(pool: pg.Pool, table: string): Promise<void> {
  for (const chunk of chunks) {
    await pool.query(
      `INSERT INTO ${table} (namespace, id, embedding, metadata)
       SELECT $1, u.id, u.embedding::vector(${DIMENSION}), u.metadata::jsonb
       FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, embedding, metadata)
       ON CONFLICT (namespace, id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata, updated_at = now()`,
      [
        '',
        chunk.map((r) => r.id),
        chunk.map((r) => vectorText(r.vector)),
        chunk.map((r) => JSON.stringify(r.metadata)),
      ],
    );
  }
}

async function endToEnd(label: string, pool: pg.Pool, schema: string): Promise<number> {
  const backend = new PgvectorBackend({ indexName: 'ingest', pool, schema, index: { type: 'hnsw', deferBuild: true } });
  await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
  const table = `"${schema}".qstore_v_ingest`;
  const text = await timed(() => textUpsert(pool, table));
  await pool.query(`TRUNCATE ${table}`);
  const binary = await timed(() => backend.upsert({ records }));
  const count = (await pool.query(`SELECT count(*)::integer AS n FROM ${table}`)).rows[0].n;
  console.log(
    `${label}: text ${fmt(rate(text))} vectors/s, binary ${fmt(rate(binary))} vectors/s (${fmt(text / binary, 2)}×); ${fmt(count)} rows`,
  );
  await backend.dropIndex();
  await backend.close();
  return rate(binary);
}

const served = await servePglite();
await endToEnd('end to end over pglite-socket', served.pool, 'public');
await served.stop();

const missing = await systemPgvectorUnavailable();
if (missing) {
  console.log(`end to end to a PostgreSQL server: skipped (${missing})`);
  console.log('goal ≥ 10,000 vectors/s to a server: not measured here (no server with pgvector)');
} else {
  const pool = new pg.Pool({ connectionString: SYSTEM_POSTGRES_URL, max: 2 });
  const schema = `qstore_bench_${process.pid}`;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  try {
    const server = await endToEnd(`end to end to ${SYSTEM_POSTGRES_URL.replace(/:[^:@/]*@/, '@')}`, pool, schema);
    console.log(
      `goal ≥ 10,000 vectors/s to a server: ${server >= 10_000 ? 'met' : 'NOT met'} (${fmt(server)} vectors/s)`,
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}
