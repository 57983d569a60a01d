import { MemoryBackend, withCache } from '@q-store/core';
import { describeVectorBackendConformance } from '@q-store/core/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisCache } from './redis-cache.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the conformance runs: ${skip}`);

describe.skipIf(skip !== undefined)('withCache on a real Redis', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let cache: RedisCache;
  beforeAll(async () => {
    redis = await testRedis();
    // A generous timeout: a loaded machine must not turn hits into bypasses mid-suite.
    cache = new RedisCache({ url: redis.url, keyPrefix: uniquePrefix('conformance'), operationTimeoutMs: 5000 });
    await cache.ready();
  });
  afterAll(async () => {
    await cache?.clear().catch(() => undefined);
    await cache?.close();
    await redis?.dispose();
  });

  describeVectorBackendConformance({
    name: 'withCache(MemoryBackend) with an L1',
    create: (indexName) => withCache(new MemoryBackend({ indexName }), cache, { l1: { maxEntries: 500 } }),
  });

  describeVectorBackendConformance({
    name: 'withCache(MemoryBackend) on Redis only',
    create: (indexName) => withCache(new MemoryBackend({ indexName }), cache, { l1: false }),
  });
});
