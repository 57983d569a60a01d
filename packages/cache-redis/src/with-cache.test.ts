import {
  type BackendCapabilities,
  type CachedVectorBackend,
  MemoryBackend,
  type QueryMatch,
  type VectorRecord,
  withCache,
} from '@q-store/core';
import type { NormalizedQuery } from '@q-store/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from './redis-cache.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the withCache tests: ${skip}`);

/** A MemoryBackend whose queries can be held until released, to order them against writes. */
class GatedBackend extends MemoryBackend {
  gate: Promise<void> | undefined;
  queries = 0;
  protected override async doQuery(query: NormalizedQuery): Promise<QueryMatch[]> {
    this.queries++;
    const result = await super.doQuery(query);
    if (this.gate) await this.gate;
    return result;
  }
}

/** Chunks of 2 records; the chunk after `failAfter` landed chunks fails. */
class FlakyBackend extends MemoryBackend {
  override readonly capabilities: BackendCapabilities = {
    ...new MemoryBackend({ indexName: 'probe' }).capabilities,
    maxBatchRecords: 2,
  };
  failAfter = Number.POSITIVE_INFINITY;
  protected override async doUpsert(params: { records: VectorRecord[]; namespace: string }): Promise<void> {
    if (this.failAfter-- <= 0) throw new Error('disk full');
    return super.doUpsert(params);
  }
}

describe.skipIf(skip !== undefined)('withCache', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  const caches: RedisCache[] = [];
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    for (const c of caches) await c.close();
    await redis?.dispose();
  });

  /** A cache client of its own: another process would have its own connection. */
  async function openCache(keyPrefix: string): Promise<RedisCache> {
    const cache = new RedisCache({ url: redis.url, keyPrefix, operationTimeoutMs: 5000 });
    caches.push(cache);
    await cache.ready();
    return cache;
  }

  async function seeded<B extends MemoryBackend>(
    backend: B,
    options: { l1?: false | { maxEntries?: number } } = {},
  ): Promise<{ cached: CachedVectorBackend; backend: B; cache: RedisCache }> {
    const cache = await openCache(uniquePrefix('with-cache'));
    await backend.ensureIndex({ dimension: 3, metric: 'cosine' });
    await backend.upsert({
      records: [
        { id: 'a', vector: [1, 0, 0], metadata: { kind: 'x', n: 1, tags: ['t1'] } },
        { id: 'b', vector: [0.9, 0.1, 0], metadata: { kind: 'y', n: 2, tags: ['t2'] } },
        { id: 'c', vector: [0, 1, 0], metadata: { kind: 'x', n: 3, tags: ['t1', 't2'] } },
      ],
    });
    return { cached: withCache(backend, cache, options), backend, cache };
  }

  it('answers a repeated query from the in-process LRU, then (without it) from Redis, equal to the backend', async () => {
    const { cached, backend } = await seeded(new GatedBackend({ indexName: 'hits' }));
    const q = { vector: [1, 0.05, 0], topK: 2, includeVectors: true };
    const first = await cached.query(q);
    const second = await cached.query(q);
    expect(second).toEqual(first);
    expect(second).toEqual(await backend.query(q));
    expect(backend.queries).toBe(2); // one through the wrapper, one direct
    expect(cached.cacheStats()).toMatchObject({ misses: 1, l1Hits: 1, l2Hits: 0 });

    const sharedOnly = withCache(backend, cached.cache, { l1: false });
    const third = await sharedOnly.query(q);
    expect(third).toEqual(first);
    expect(third.matches[0]?.vector).toBeInstanceOf(Float32Array);
    expect(sharedOnly.cacheStats()).toMatchObject({ l2Hits: 1, misses: 0 });
    expect(backend.queries).toBe(2);
  });

  it('keys on everything that changes a result; equivalent filters share an entry', async () => {
    const { cached, backend } = await seeded(new GatedBackend({ indexName: 'keys' }));
    await backend.upsert({ namespace: 'other', records: [{ id: 'z', vector: [1, 0, 0] }] });
    const base = { vector: new Float32Array([1, 0.5, 0]), topK: 2 };
    const nudged = new Float32Array(base.vector);
    new Uint32Array(nudged.buffer)[1] = (new Uint32Array(nudged.buffer)[1] as number) + 1; // one ulp
    const variants = [
      base,
      { ...base, vector: nudged },
      { ...base, topK: 3 },
      { ...base, namespace: 'other' },
      { ...base, filter: { kind: 'x' } },
      { ...base, filter: { kind: 'y' } },
      { ...base, includeVectors: true },
      { ...base, includeMetadata: false },
      { ...base, exact: true },
    ];
    const results = [];
    for (const v of variants) results.push(await cached.query(v));
    expect(cached.cacheStats().misses).toBe(variants.length);
    for (const [i, v] of variants.entries()) expect(results[i]).toEqual(await backend.query(v));
    // Same meaning, other spelling: one entry.
    await cached.query({ ...base, filter: { kind: { $eq: 'x' } } });
    await cached.query({ ...base, vector: [1, 0.5, 0] });
    expect(cached.cacheStats()).toMatchObject({ misses: variants.length, l1Hits: 2 });
  });

  it('never serves a stale result after upsert, update, delete or dropIndex', async () => {
    const { cached } = await seeded(new MemoryBackend({ indexName: 'stale' }));
    const q = { vector: [0, 1, 0], topK: 1 };
    let checks = 0;
    // Each check queries twice: the first after a write must be fresh, the second is a cache hit.
    const ids = async () => {
      const fresh = (await cached.query(q)).matches.map((m) => m.id);
      expect((await cached.query(q)).matches.map((m) => m.id)).toEqual(fresh);
      checks++;
      return fresh;
    };
    const fetched = async () => (await cached.fetch({ ids: ['c', 'new'] })).records;
    expect(await ids()).toEqual(['c']);
    expect([...(await fetched()).keys()]).toEqual(['c']);
    await cached.upsert({ records: [{ id: 'new', vector: [0, 1, 0.01] }] });
    expect(await ids()).toEqual(['c']); // c is exactly [0,1,0]
    expect([...(await fetched()).keys()]).toEqual(['c', 'new']);
    await cached.update({ id: 'c', vector: [1, 0, 1] });
    expect(await ids()).toEqual(['new']);
    expect([...((await fetched()).get('c')?.vector ?? [])]).toEqual([1, 0, 1]);
    await cached.update({ id: 'new', metadata: { kind: 'fresh' } });
    expect((await cached.query(q)).matches[0]?.metadata).toEqual({ kind: 'fresh' });
    await cached.delete({ filter: { kind: 'fresh' } });
    expect(await ids()).toEqual(['b']);
    await cached.dropIndex();
    await expect(cached.query(q)).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' });
    // Recreated and queried with no write in between: the results cached before the drop are gone.
    await cached.ensureIndex({ dimension: 3, metric: 'cosine' });
    expect(await ids()).toEqual([]);
    expect((await fetched()).size).toBe(0);
    await cached.dropIndex();
    await cached.ensureIndex({ dimension: 3, metric: 'dot' });
    await cached.upsert({ records: [{ id: 'again', vector: [0, 2, 0] }] });
    expect(await ids()).toEqual(['again']);
    await cached.delete({ all: true });
    expect(await ids()).toEqual([]);
    expect((await fetched()).size).toBe(0);
    expect(cached.cacheStats().l1Hits).toBe(checks);
  });

  it('bumps the generation after a batch that failed part-way (PartialWriteError)', async () => {
    const { cached, backend } = await seeded(new FlakyBackend({ indexName: 'partial' }));
    const q = { vector: [0, 0, 1], topK: 10 };
    expect((await cached.query(q)).matches.map((m) => m.id).sort()).toEqual(['a', 'b', 'c']);
    backend.failAfter = 1; // the first chunk lands, the second fails
    const records = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ id, vector: [0, 0.5, 1] }));
    await expect(cached.upsert({ records })).rejects.toMatchObject({ code: 'PARTIAL_WRITE', landedIds: ['p1', 'p2'] });
    expect(
      (await cached.query(q)).matches
        .map((m) => m.id)
        .slice(0, 2)
        .sort(),
    ).toEqual(['p1', 'p2']);
  });

  it('sees a write made through another process’s cache client at once, despite its own L1', async () => {
    const prefix = uniquePrefix('two-processes');
    const shared = new MemoryBackend({ indexName: 'shared' }); // stands for a database both reach
    await shared.ensureIndex({ dimension: 2, metric: 'dot' });
    await shared.upsert({ records: [{ id: 'old', vector: [1, 0] }] });
    const mine = withCache(shared, await openCache(prefix), { scope: 'db:shared' });
    const theirs = withCache(shared, await openCache(prefix), { scope: 'db:shared' });
    const q = { vector: [1, 0], topK: 1 };
    expect((await mine.query(q)).matches[0]?.id).toBe('old');
    expect((await mine.query(q)).matches[0]?.id).toBe('old');
    expect(mine.cacheStats().l1Hits).toBe(1);
    await theirs.upsert({ records: [{ id: 'new', vector: [2, 0] }] });
    expect((await mine.query(q)).matches[0]?.id).toBe('new');
    await theirs.update({ id: 'new', vector: [0, 1] });
    expect((await mine.fetch({ ids: ['new'] })).records.get('new')?.vector).toEqual(new Float32Array([0, 1]));
  });

  it('a result computed before a write and stored after it is never served', async () => {
    const { cached, backend } = await seeded(new GatedBackend({ indexName: 'race' }));
    const q = { vector: [0, 1, 0], topK: 1 };
    let release = () => {};
    backend.gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = cached.query(q); // reads the generation, then waits inside the backend
    while (backend.queries === 0) await new Promise((r) => setTimeout(r, 1));
    await cached.upsert({
      records: [
        { id: 'top', vector: [0, 1, 0] },
        { id: 'c', vector: [1, 0, 0] },
      ],
    });
    backend.gate = undefined;
    release();
    expect((await slow).matches[0]?.id).toBe('c'); // computed before the write
    expect((await cached.query(q)).matches[0]?.id).toBe('top');
  });

  it('hands out copies: mutating a result changes neither the L1 nor the Redis entry', async () => {
    for (const l1 of [{ maxEntries: 10 }, false] as const) {
      const { cached } = await seeded(new MemoryBackend({ indexName: `copies-${l1 ? 'l1' : 'l2'}` }), { l1 });
      const q = { vector: [1, 0, 0], topK: 1, includeVectors: true };
      const mutate = (matches: QueryMatch[]) => {
        const m = matches[0] as QueryMatch;
        m.vector?.fill(9);
        (m.metadata as { tags: string[] }).tags.push('mutated');
        m.score = -1;
      };
      mutate((await cached.query(q)).matches); // the miss
      mutate((await cached.query(q)).matches); // a hit
      const again = (await cached.query(q)).matches[0];
      expect(again?.vector).toEqual(new Float32Array([1, 0, 0]));
      expect(again?.metadata).toEqual({ kind: 'x', n: 1, tags: ['t1'] });
      expect(again?.score).toBeCloseTo(1, 6);
      const f1 = (await cached.fetch({ ids: ['a'] })).records.get('a');
      f1?.vector.fill(7);
      const f2 = (await cached.fetch({ ids: ['a'] })).records.get('a');
      expect(f2?.vector).toEqual(new Float32Array([1, 0, 0]));
      expect(cached.cacheStats().fetchHits).toBe(1);
    }
  });

  it('hot-vector cache: fetch by id is served per id, with or without vectors, and caches absence', async () => {
    const { cached, backend } = await seeded(new MemoryBackend({ indexName: 'hot' }));
    const first = await cached.fetch({ ids: ['a', 'missing', 'b'] });
    expect([...first.records.keys()]).toEqual(['a', 'b']);
    expect(cached.cacheStats()).toMatchObject({ fetchMisses: 3, fetchHits: 0 });
    const second = await cached.fetch({ ids: ['b', 'missing', 'a', 'c'] });
    expect(cached.cacheStats()).toMatchObject({ fetchMisses: 4, fetchHits: 3 });
    expect(second).toEqual(await backend.fetch({ ids: ['b', 'missing', 'a', 'c'] }));
    const bare = await cached.fetch({ ids: ['a'], includeVectors: false });
    expect(bare.records.get('a')).toEqual({
      id: 'a',
      vector: new Float32Array(0),
      metadata: { kind: 'x', n: 1, tags: ['t1'] },
    });
    expect(cached.cacheStats().fetchHits).toBe(4);
    await cached.upsert({ records: [{ id: 'missing', vector: [1, 1, 1] }] });
    expect((await cached.fetch({ ids: ['missing'] })).records.has('missing')).toBe(true);
  });

  it('used at once after creation (no ready()), the cache waits for its first connection instead of bypassing', async () => {
    const cache = new RedisCache({ url: redis.url, keyPrefix: uniquePrefix('fresh'), operationTimeoutMs: 5000 });
    caches.push(cache);
    const backend = new MemoryBackend({ indexName: 'fresh' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const cached = withCache(backend, cache);
    await cached.query({ vector: [1, 0], topK: 1 });
    await cached.query({ vector: [1, 0], topK: 1 });
    expect(cached.cacheStats()).toMatchObject({ bypasses: 0, misses: 1, l1Hits: 1 });
  });

  it('closing the wrapper closes the backend, not the shared cache', async () => {
    const { cached, backend, cache } = await seeded(new MemoryBackend({ indexName: 'closing' }));
    await cached.query({ vector: [1, 0, 0], topK: 1 });
    await cached.close();
    await expect(cached.query({ vector: [1, 0, 0], topK: 1 })).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(backend.stats()).rejects.toMatchObject({ code: 'CLOSED' });
    await cache.set('still-open', 1);
    expect(await cache.get('still-open')).toBe(1);
  });

  it('default scope: per in-memory backend object; required (a ValidationError naming scope) for a durable backend', async () => {
    const prefix = uniquePrefix('default-scope');
    const [cacheA, cacheB] = [await openCache(prefix), await openCache(prefix)];
    // Two processes, each with its own in-memory index of the same name, holding different data.
    const [mine, theirs] = [new MemoryBackend({ indexName: 'same' }), new MemoryBackend({ indexName: 'same' })];
    for (const [backend, id] of [
      [mine, 'mine'],
      [theirs, 'theirs'],
    ] as const) {
      await backend.ensureIndex({ dimension: 2, metric: 'dot' });
      await backend.upsert({ records: [{ id, vector: [1, 0] }] });
    }
    const q = { vector: [1, 0], topK: 1 };
    expect((await withCache(mine, cacheA).query(q)).matches[0]?.id).toBe('mine');
    const theirsCached = withCache(theirs, cacheB, { l1: false });
    expect((await theirsCached.query(q)).matches[0]?.id).toBe('theirs');
    expect(theirsCached.cacheStats().l2Hits).toBe(0);
    // The same object gets the same default scope: a second wrapper shares the entries.
    const again = withCache(mine, cacheB, { l1: false });
    expect((await again.query(q)).matches[0]?.id).toBe('mine');
    expect(again.cacheStats().l2Hits).toBe(1);

    class DurableBackend extends MemoryBackend {
      override readonly capabilities: BackendCapabilities = {
        ...new MemoryBackend({ indexName: 'probe' }).capabilities,
        persistence: 'durable',
      };
    }
    expect(() => withCache(new DurableBackend({ indexName: 'docs' }), cacheA)).toThrow(
      expect.objectContaining({ code: 'VALIDATION', issues: [expect.objectContaining({ field: 'scope' })] }),
    );
    const named = withCache(new DurableBackend({ indexName: 'docs' }), cacheA, { scope: 'pg:prod/docs' });
    expect(named.indexName).toBe('docs');
  });

  it('rejects bad options naming the field', async () => {
    const cache = await openCache(uniquePrefix('options'));
    expect(() =>
      withCache(new MemoryBackend({ indexName: 'opts' }), cache, { l1: { maxEntries: 0 }, ttlMs: -1 }),
    ).toThrow(
      expect.objectContaining({
        code: 'VALIDATION',
        issues: expect.arrayContaining([
          expect.objectContaining({ field: 'ttlMs' }),
          expect.objectContaining({ field: 'l1.maxEntries' }),
        ]),
      }),
    );
  });
});
