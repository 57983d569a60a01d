/**
 * Filtered search on PgvectorBackend (embedded PGlite): recall@10 and latency at filters matching
 * 50 %, 10 %, 5 %, 2 %, 1 % and 0.1 % of the rows, and the vector column's storage both ways.
 *
 *   pnpm --filter @q-store/backend-pgvector bench:selectivity
 *   BENCH_VECTORS=20000 BENCH_DIMENSION=768 BENCH_QUERIES=50 BENCH_STORAGES=PLAIN,EXTERNAL pnpm … bench:selectivity
 *
 * For each storage of the `embedding` column — `PLAIN` (in the row) and the type's default
 * (`EXTERNAL`: out of line when the row is large) — prints, measured in this run:
 * - exact top-10 p50, unfiltered and at 10 %;
 * - at each selectivity: the plan the backend chooses (a capped count of matching rows; exact at or
 *   below `index.exactBelow`, default 10,000), and the HNSW index forced (`exactBelow: 0`), each
 *   with p50 latency and recall@10 against the exact answer.
 * Data: clustered synthetic vectors (100 Gaussian clusters), seeded; `p` = row number mod 1000,
 * filtered with `p < 500 / 100 / 50 / 20 / 10 / 1`.
 */
import { createRng, type Filter, type Metadata } from '@q-store/core';
import { openEmbeddedPostgres } from '../src/driver.js';
import { PgvectorBackend } from '../src/pgvector-backend.js';
import { fmt, recall, timeQueries } from './measure.js';

const DIMENSION = Number(process.env.BENCH_DIMENSION ?? 768);
const VECTORS = Number(process.env.BENCH_VECTORS ?? 20_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 50);
const TOP_K = 10;

const rng = createRng(2026);
const centers = Array.from({ length: 100 }, () => Float32Array.from({ length: DIMENSION }, () => rng.normal()));
const point = () => {
  const center = centers[rng.int(0, centers.length - 1)] as Float32Array;
  return Float32Array.from(center, (x) => x + 0.4 * rng.normal());
};
const records = Array.from({ length: VECTORS }, (_, i) => ({
  id: `doc-${i}`,
  vector: point(),
  metadata: { p: i % 1000, source: 'bench', title: `document number ${i}` },
}));
const queries = Array.from({ length: QUERIES }, point);
const selectivities = [
  ['50 %', 500],
  ['10 %', 100],
  ['5 %', 50],
  ['2 %', 20],
  ['1 %', 10],
  ['0.1 %', 1],
] as const;

const measure = (backend: PgvectorBackend, options: { exact?: boolean; filter?: Filter<Metadata> }) =>
  timeQueries(backend, queries, { topK: TOP_K, ...options });

console.log(`filtered search: ${fmt(VECTORS)} × ${DIMENSION}-d, cosine, ${QUERIES} queries, top-${TOP_K}, PGlite`);
const db = await openEmbeddedPostgres();
await db.query('CREATE EXTENSION IF NOT EXISTS vector');
const typstorage = (await db.query<{ s: string }>("SELECT typstorage AS s FROM pg_type WHERE typname = 'vector'"))
  .rows[0]?.s as 'p' | 'e' | 'm' | 'x';
// The storage a vector column gets without SET STORAGE (pgvector declares EXTERNAL).
const storageOfType = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' }[typstorage];

const storages = (process.env.BENCH_STORAGES ?? `PLAIN,${storageOfType}`).split(',');
for (const storage of storages) {
  const name = `sel-${storage.toLowerCase()}`;
  const backend = new PgvectorBackend({ indexName: name, pglite: db, index: { type: 'hnsw', deferBuild: true } });
  const forced = new PgvectorBackend({
    indexName: name,
    pglite: db,
    index: { type: 'hnsw', deferBuild: true, exactBelow: 0 },
  });
  await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
  await db.query(`ALTER TABLE qstore_v_${name.replaceAll('-', '_')} ALTER COLUMN embedding SET STORAGE ${storage}`);
  await backend.upsert({ records });
  await backend.buildIndex();
  const size = (
    await db.query<{ heap: string; toast: string }>(
      `SELECT pg_size_pretty(pg_relation_size(c.oid)) AS heap, pg_size_pretty(coalesce(pg_relation_size(c.reltoastrelid), 0)) AS toast
       FROM pg_class c WHERE relname = $1`,
      [`qstore_v_${name.replaceAll('-', '_')}`],
    )
  ).rows[0];
  console.log(`\nstorage ${storage} (heap ${size?.heap}, TOAST ${size?.toast})`);
  const exact = await measure(backend, { exact: true });
  const exact10 = await measure(backend, { exact: true, filter: { p: { $lt: 100 } } });
  const hnsw = await measure(backend, {});
  console.log(
    `  unfiltered: exact p50 ${fmt(exact.p50, 1)} ms; HNSW p50 ${fmt(hnsw.p50, 1)} ms, recall@10 ${fmt(recall(hnsw.ids, exact.ids), 3)}`,
  );
  console.log(`  exact at 10 %: p50 ${fmt(exact10.p50, 1)} ms`);
  for (const [label, below] of selectivities) {
    const filter = { p: { $lt: below } };
    const truth = await measure(backend, { exact: true, filter });
    const chosen = await measure(backend, { filter });
    const graph = await measure(forced, { filter });
    console.log(
      `  filter ${label.padEnd(5)}: exact p50 ${fmt(truth.p50, 1)} ms | chosen p50 ${fmt(chosen.p50, 1)} ms, recall@10 ${fmt(recall(chosen.ids, truth.ids), 3)} | HNSW forced p50 ${fmt(graph.p50, 1)} ms, recall@10 ${fmt(recall(graph.ids, truth.ids), 3)}`,
    );
  }
  await backend.dropIndex();
  await backend.close();
  await forced.close();
}
await db.close();
