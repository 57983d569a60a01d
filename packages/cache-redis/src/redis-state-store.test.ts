import { describeStateStoreConformance } from '@q-store/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore } from './redis-state-store.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the RedisStateStore tests: ${skip}`);

describe.skipIf(skip !== undefined)('RedisStateStore', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let admin: Redis;
  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.dispose();
  });

  async function open(keyPrefix = uniquePrefix('state')): Promise<RedisStateStore> {
    const store = new RedisStateStore({ url: redis.url, keyPrefix });
    await store.ready();
    return store;
  }

  /** The suite's scope is a key prefix of this run; cleanup deletes what it left. */
  const runPrefix = uniquePrefix('suite');
  describeStateStoreConformance({
    name: 'RedisStateStore',
    create: (scope) => open(`${runPrefix}${scope}:`),
    cleanup: async (scope) => {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${runPrefix}${scope}:*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
  });

  it('writes under its key prefix only, and reads nothing of another prefix', async () => {
    const prefixA = uniquePrefix('app-a');
    const [a, b] = [await open(prefixA), await open(uniquePrefix('app-b'))];
    await a.set('doc', { v: 1 });
    expect(await b.get('doc')).toBeUndefined();
    expect(await admin.get(`${prefixA}s:doc`)).toBe('{"v":1}');
    await Promise.all([a.close(), b.close()]);
  });

  it('is not a cache: with Redis unreachable its calls fail with a retryable CONNECTION error', async () => {
    const store = new RedisStateStore({ host: '127.0.0.1', port: 1, connectTimeoutMs: 200, operationTimeoutMs: 300 });
    await expect(store.get('x')).rejects.toMatchObject({ code: 'CONNECTION', retryable: true });
    await expect(store.update('x', () => 1)).rejects.toMatchObject({ code: 'CONNECTION' });
    await store.close();
  });
});
