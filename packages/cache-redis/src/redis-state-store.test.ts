import { MemoryStateStore } from '@q-store/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore } from './redis-state-store.js';
import { redisUnavailableReason, testRedis, uniquePrefix } from './test-redis-server.js';
import { describeStateStoreContract } from './test-state-store-contract.js';

describeStateStoreContract('MemoryStateStore (reference)', () => new MemoryStateStore());

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

  describeStateStoreContract('RedisStateStore', () => open());

  it('never loses an update between two processes (two connections) updating one key', async () => {
    const prefix = uniquePrefix('state-cas');
    const [a, b] = [await open(prefix), await open(prefix)];
    const bump = (s: RedisStateStore) =>
      s.update<{ n: number; by: string[] }>('shared', (d) => ({
        n: (d?.n ?? 0) + 1,
        by: [...(d?.by ?? []), s === a ? 'a' : 'b'].slice(-3),
      }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => bump(i % 2 === 0 ? a : b)));
    expect((await a.get<{ n: number }>('shared'))?.n).toBe(60);
    await Promise.all([a.close(), b.close()]);
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
