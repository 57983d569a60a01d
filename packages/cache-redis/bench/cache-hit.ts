/**
 * Cache hit against an uncached query, p50 and p99, per backend.
 *
 *   pnpm --filter @q-store/cache-redis bench
 *   BENCH_RECORDS=20000 BENCH_DIMENSION=384 BENCH_QUERIES=200 pnpm --filter @q-store/cache-redis bench
 *
 * Starts its own redis-server on a free loopback port (or uses REDIS_URL). For each backend it
 * measures, on the same query set in the same run:
 *   uncached — backend.query directly;
 *   miss     — through withCache when nothing is cached (the backend query + the cache's overhead);
 *   L2 hit   — through withCache({l1: false}): generation read + one Redis GET + decode;
 *   L1 hit   — through withCache (in-process LRU): generation read from Redis + a copy.
 * Goal: a hit's p50 at most 1 ms. Add a backend by adding an entry to `backends` below.
 */
import { PgvectorBackend } from '@q-store/backend-pgvector';
import { createRng, MemoryBackend, type VectorBackend, withCache } from '@q-store/core';
import { RedisCache } from '../src/redis-cache.js';
import { testRedis, uniquePrefix } from '../src/test-redis-server.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const DIMENSION = Number(process.env.BENCH_DIMENSION ?? 384);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const HIT_ROUNDS = 5;
const TOP_K = 10;
const GOAL_HIT_P50_MS = 1;

interface BenchBackend {
  name: string;
  /** A backend with an index of RECORDS × DIMENSION cosine vectors already loaded. */
  create(vectors: Float32Array[]): Promise<VectorBackend>;
}

/** Loads the vectors in upserts of 1,000 (ids r0…, a group and a label each). */
async function load(backend: VectorBackend, vectors: Float32Array[]): Promise<void> {
  for (let start = 0; start < vectors.length; start += 1000) {
    await backend.upsert({
      records: vectors.slice(start, start + 1000).map((vector, i) => ({
        id: `r${start + i}`,
        vector,
        metadata: { group: (start + i) % 7, label: `item ${start + i}` },
      })),
    });
  }
}

const backends: BenchBackend[] = [
  {
    name: 'MemoryBackend',
    async create(vectors) {
      const backend = new MemoryBackend({ indexName: 'bench' });
      await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
      await load(backend, vectors);
      return backend;
    },
  },
  {
    name: 'pgvector (embedded PGlite, HNSW)',
    async create(vectors) {
      const backend = new PgvectorBackend({
        indexName: 'bench',
        embedded: {},
        index: { type: 'hnsw', deferBuild: true },
      });
      await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
      await load(backend, vectors);
      await backend.buildIndex();
      return backend;
    },
  },
];

function randomVectors(count: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: DIMENSION }, () => rng.normal()));
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

interface Figures {
  p50: number;
  p99: number;
  n: number;
}

async function time(queries: Float32Array[], rounds: number, run: (v: Float32Array) => Promise<unknown>) {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const v of queries) {
      const t0 = performance.now();
      await run(v);
      samples.push(performance.now() - t0);
    }
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length } satisfies Figures;
}

const ms = (x: number) => `${x.toFixed(3)} ms`;

async function main(): Promise<void> {
  const redis = await testRedis();
  const cache = new RedisCache({ url: redis.url, keyPrefix: uniquePrefix('bench'), operationTimeoutMs: 1000 });
  try {
    await cache.ready();
    console.log(
      `cache-hit bench: ${RECORDS} records × ${DIMENSION} dims, ${QUERIES} queries, topK ${TOP_K}, ` +
        `Redis ${process.env.REDIS_URL ? 'from REDIS_URL' : 'own redis-server on loopback'}, node ${process.version}`,
    );
    const vectors = randomVectors(RECORDS, 1);
    const queries = randomVectors(QUERIES, 2);
    for (const spec of backends) {
      const backend = await spec.create(vectors);
      const query = (b: VectorBackend) => (vector: Float32Array) => b.query({ vector, topK: TOP_K });
      await time(queries.slice(0, 10), 1, query(backend)); // warm-up (JIT)
      const uncached = await time(queries, 1, query(backend));
      const l2 = withCache(backend, cache, { l1: false, scope: `bench-l2:${spec.name}` });
      const miss = await time(queries, 1, query(l2));
      const l2Hit = await time(queries, HIT_ROUNDS, query(l2));
      const l1 = withCache(backend, cache, { l1: { maxEntries: QUERIES * 2 }, scope: `bench-l1:${spec.name}` });
      await time(queries, 1, query(l1));
      const l1Hit = await time(queries, HIT_ROUNDS, query(l1));
      const stats = { l2: l2.cacheStats(), l1: l1.cacheStats() };
      if (stats.l2.l2Hits !== QUERIES * HIT_ROUNDS || stats.l1.l1Hits !== QUERIES * HIT_ROUNDS) {
        throw new Error(`not every timed hit was a hit: ${JSON.stringify(stats)}`);
      }
      console.log(`\n${spec.name}`);
      console.log('                      p50          p99       samples   p50 speed-up vs uncached');
      for (const [label, f] of [
        ['uncached query', uncached],
        ['miss through cache', miss],
        ['L2 hit (Redis)', l2Hit],
        ['L1 hit (in-process)', l1Hit],
      ] as const) {
        console.log(
          `  ${label.padEnd(20)}${ms(f.p50).padStart(11)}${ms(f.p99).padStart(13)}${String(f.n).padStart(10)}` +
            `${`${(uncached.p50 / f.p50).toFixed(1)}×`.padStart(12)}`,
        );
      }
      const best = Math.min(l2Hit.p50, l1Hit.p50);
      console.log(
        `  goal: hit p50 ≤ ${GOAL_HIT_P50_MS} ms — L2 ${l2Hit.p50 <= GOAL_HIT_P50_MS ? 'met' : 'NOT met'}, ` +
          `L1 ${l1Hit.p50 <= GOAL_HIT_P50_MS ? 'met' : 'NOT met'} (best ${ms(best)})`,
      );
      await l1.close(); // closes the backend too
    }
  } finally {
    await cache.clear().catch(() => undefined);
    await cache.close();
    await redis.dispose();
  }
}

await main();
