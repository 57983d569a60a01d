import { MemoryTrainingStore, withTrainingBatchCache } from '@q-store/core';
import { describeTrainingStoreConformance } from '@q-store/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from './redis-cache.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the training-batch cache tests: ${skip}`);

describe.skipIf(skip !== undefined)('withTrainingBatchCache', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let cache: RedisCache;
  beforeAll(async () => {
    redis = await testRedis();
    cache = new RedisCache({ url: redis.url, keyPrefix: uniquePrefix('training'), operationTimeoutMs: 5000 });
    await cache.ready();
  });
  afterAll(async () => {
    await cache?.close();
    await redis?.dispose();
  });

  // The decorated store is still a TrainingStore: every batch it serves from the cache is the one
  // the store would read (a replaced split or a deleted dataset is never served stale).
  describeTrainingStoreConformance({
    name: 'withTrainingBatchCache over MemoryTrainingStore, cached in Redis',
    create: (scope) => withTrainingBatchCache(new MemoryTrainingStore(), cache, { scope }),
    skip: { sharedScope: 'the store under the cache is a process-local MemoryTrainingStore' },
  });

  const features = Array.from({ length: 20 }, (_, i) => [i, i / 3, -i]);
  const labels = features.map((_, i) => i % 2);

  it('serves a repeated batch from the cache, exactly and as fresh arrays', async () => {
    const inner = new MemoryTrainingStore();
    const store = withTrainingBatchCache(inner, cache);
    await store.storeTrainingData({ datasetId: 'toy', features, labels });
    const params = { datasetId: 'toy', offset: 4, limit: 5, shuffleSeed: 11 };
    const first = await store.loadTrainingBatch(params);
    first.features[0]?.fill(99);
    const second = await store.loadTrainingBatch(params);
    expect(second).toEqual(await inner.loadTrainingBatch(params));
    expect(second.features[0]).toBeInstanceOf(Float32Array);
    expect(store.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
    // Another seed or window is another batch.
    const other = await store.loadTrainingBatch({ ...params, shuffleSeed: 12 });
    expect(other.indices).not.toEqual(second.indices);
    expect(store.cacheStats().misses).toBe(2);
  });

  it('is never stale after the split is rewritten or the dataset deleted', async () => {
    const store = withTrainingBatchCache(new MemoryTrainingStore(), cache, { scope: 'training-stale' });
    await store.storeTrainingData({ datasetId: 'toy', features, labels });
    const params = { datasetId: 'toy', offset: 0, limit: 3 };
    expect((await store.loadTrainingBatch(params)).labels).toEqual([0, 1, 0]);
    expect((await store.loadTrainingBatch(params)).labels).toEqual([0, 1, 0]);
    await store.storeTrainingData({ datasetId: 'toy', features, labels: labels.map((l) => 1 - l) });
    expect((await store.loadTrainingBatch(params)).labels).toEqual([1, 0, 1]);
    expect(await store.deleteDataset('toy')).toBe(true);
    await expect(store.loadTrainingBatch(params)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.cacheStats()).toMatchObject({ hits: 1, misses: 3 });
  });
});
