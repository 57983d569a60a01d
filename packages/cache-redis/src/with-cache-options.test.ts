import { openEmbeddedPostgres, PgvectorBackend } from '@q-store/backend-pgvector';
import { createRng, MemoryBackend, withCache } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from './redis-cache.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the options-channel tests: ${skip}`);

function randomVectors(n: number, dimension: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dimension }, () => rng.float() * 2 - 1));
}

describe.skipIf(skip !== undefined)('withCache and the options channel', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let cache: RedisCache;
  beforeAll(async () => {
    redis = await testRedis();
    cache = new RedisCache({ url: redis.url, keyPrefix: uniquePrefix('options'), operationTimeoutMs: 5000 });
    await cache.ready();
  });
  afterAll(async () => {
    await cache?.clear().catch(() => undefined);
    await cache?.close();
    await redis?.dispose();
  });

  it('query({efSearch: 10}) then query({efSearch: 400}) returns the efSearch 400 answer (pgvector HNSW)', async () => {
    const pglite = await openEmbeddedPostgres();
    // A deliberately poor graph (m 2, ef_construction 4), so a short candidate list misses neighbours.
    const raw = new PgvectorBackend({
      indexName: 'ef-cache',
      pglite,
      index: { type: 'hnsw', m: 2, efConstruction: 4 },
    });
    const cached = withCache(raw, cache, { scope: `pgvector:pglite-${uniquePrefix('ef')}/ef-cache` });
    try {
      await cached.ensureIndex({ dimension: 16, metric: 'cosine' });
      const vectors = randomVectors(3000, 16, 11);
      await cached.upsert({ records: vectors.map((vector, i) => ({ id: `v${i}`, vector })) });
      const narrow = { pgvector: { efSearch: 10 } };
      const wide = { pgvector: { efSearch: 400 } };
      // Find a query whose answer depends on efSearch, asking the backend directly (no cache).
      let probe: Float32Array | undefined;
      let wideIds: string[] = [];
      for (const vector of randomVectors(200, 16, 12)) {
        const a = await raw.query({ vector, topK: 10, options: narrow });
        const b = await raw.query({ vector, topK: 10, options: wide });
        if (a.matches.map((m) => m.id).join() !== b.matches.map((m) => m.id).join()) {
          probe = vector;
          wideIds = b.matches.map((m) => m.id);
          break;
        }
      }
      expect(probe, 'some query answers differently at efSearch 10 and 400').toBeDefined();
      const vector = probe as Float32Array;
      const first = await cached.query({ vector, topK: 10, options: narrow });
      expect(first.matches.map((m) => m.id)).not.toEqual(wideIds);
      const second = await cached.query({ vector, topK: 10, options: wide });
      expect(second.matches.map((m) => m.id)).toEqual(wideIds);
      // Both are now cached under their own keys: repeating either is a hit with its own answer.
      const before = cached.cacheStats();
      expect((await cached.query({ vector, topK: 10, options: wide })).matches.map((m) => m.id)).toEqual(wideIds);
      expect((await cached.query({ vector, topK: 10, options: narrow })).matches.map((m) => m.id)).toEqual(
        first.matches.map((m) => m.id),
      );
      const after = cached.cacheStats();
      expect(after.l1Hits + after.l2Hits - before.l1Hits - before.l2Hits).toBe(2);
      // Key order inside the options does not matter (canonical JSON).
      const reordered = { pgvector: { probes: 1, efSearch: 400 } };
      const same = { pgvector: { efSearch: 400, probes: 1 } };
      await cached.query({ vector, topK: 10, options: reordered });
      const hitsBefore = cached.cacheStats();
      await cached.query({ vector, topK: 10, options: same });
      const hitsAfter = cached.cacheStats();
      expect(hitsAfter.l1Hits + hitsAfter.l2Hits - hitsBefore.l1Hits - hitsBefore.l2Hits).toBe(1);
    } finally {
      await cached.close();
      await pglite.close();
    }
  }, 120_000);

  it('options.cache.bypass skips the cache for one call; bad options still reach the backend and fail there', async () => {
    const cached = withCache(new MemoryBackend({ indexName: 'bypass' }), cache, { l1: false });
    try {
      await cached.ensureIndex({ dimension: 2, metric: 'dot' });
      await cached.upsert({ records: [{ id: 'a', vector: [1, 0] }] });
      await cached.query({ vector: [1, 0], topK: 1 });
      const before = cached.cacheStats();
      const result = await cached.query({ vector: [1, 0], topK: 1, options: { cache: { bypass: true } } });
      expect(result.matches.map((m) => m.id)).toEqual(['a']);
      const after = cached.cacheStats();
      expect(after.l2Hits - before.l2Hits).toBe(0);
      expect(after.misses - before.misses).toBe(0);
      await expect(cached.query({ vector: [1, 0], topK: 1, options: { memory: { nope: 1 } } })).rejects.toMatchObject({
        code: 'VALIDATION',
        issues: [expect.objectContaining({ field: 'options.memory.nope' })],
      });
    } finally {
      await cached.close();
    }
  });
});
