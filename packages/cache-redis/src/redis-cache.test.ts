import { inspect } from 'node:util';
import type { CacheBackend } from '@q-store/core';
import { PluginRegistry } from '@q-store/core/backend';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRedisConfig } from './config.js';
import { GENERATION_TTL_MS, RedisCache } from './redis-cache.js';
import { RedisStateStore } from './redis-state-store.js';
import { registerRedisCache } from './registry.js';
import {
  ownServerUnavailableReason,
  redisUnavailableReason,
  TestRedisServer,
  testRedis,
  uniquePrefix,
} from './test-redis-server.js';

const SECRET = 'hunter2-Very-Secret';

/** Everything an error shows: message, stack, cause chain, JSON. */
function shown(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(String(e), (e as Error).stack ?? '', JSON.stringify(e) ?? '');
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('Redis config', () => {
  const defaults = { operationTimeoutMs: 100 };

  it("takes the seed's dict: ttl in seconds, db, host, port", () => {
    const r = resolveRedisConfig({ type: 'redis', host: 'cache.local', port: 6380, db: 3, ttl: 60 }, defaults);
    expect(r.ttlMs).toBe(60_000);
    expect(r.options).toMatchObject({ host: 'cache.local', port: 6380, db: 3, enableOfflineQueue: false });
    expect(r.where).toBe('cache.local:6380/3');
    expect(r.keyPrefix).toBe('q-store:');
    expect(r.operationTimeoutMs).toBe(100);
    expect(r.reconnectAfterTimeouts).toBe(3);
    expect(r.options?.keepAlive).toBeGreaterThan(0);
    expect(() => resolveRedisConfig({ reconnectAfterTimeouts: 0 }, defaults)).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: 'reconnectAfterTimeouts' })] }),
    );
  });

  it('takes a URL with credentials and a database path, and never shows the password', () => {
    const r = resolveRedisConfig({ url: `rediss://app:${SECRET}@10.0.0.5:6390/4`, keyPrefix: 'app1:' }, defaults);
    expect(r.options).toMatchObject({ host: '10.0.0.5', port: 6390, db: 4, username: 'app', password: SECRET });
    expect(r.options?.tls).toEqual({});
    expect(r.where).toBe('10.0.0.5:6390/4');
    expect(r.keyPrefix).toBe('app1:');
  });

  it('reports every bad field with its limit, without the password', async () => {
    const error = await caught(() =>
      resolveRedisConfig(
        { host: 'h', port: 70_000, db: -1, ttl: 0, keyPrefix: 'x'.repeat(200), password: SECRET, url: 'redis://h' },
        defaults,
      ),
    );
    expect(error).toMatchObject({ code: 'VALIDATION' });
    const fields = (error as { issues: Array<{ field: string }> }).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['port', 'db', 'ttl', 'keyPrefix', 'host', 'password']));
    expect(shown(error)).not.toContain(SECRET);
    const badUrl = await caught(() => resolveRedisConfig({ url: `http://u:${SECRET}@h:1` }, defaults));
    expect(badUrl).toMatchObject({ code: 'VALIDATION', issues: [{ field: 'url' }] });
    expect(shown(badUrl)).not.toContain(SECRET);
  });

  it('a malformed URL is a ValidationError naming url that never shows the URL or its password', async () => {
    for (const url of ['redis://u:s3cret PW@[::1/0', 'redis://u:%zz@h/0', 'redis://%zz:s3cret@h/0']) {
      const error = await caught(() => resolveRedisConfig({ url }, defaults));
      expect(error).toMatchObject({ code: 'VALIDATION', issues: [{ field: 'url' }] });
      expect(shown(error)).not.toContain('s3cret');
      expect(shown(error)).not.toContain('PW');
      expect(shown(error)).not.toContain('%zz');
    }
  });

  it('connection errors name the server but never the password', async () => {
    const cache = new RedisCache({ url: `redis://user:${SECRET}@127.0.0.1:1/0`, connectTimeoutMs: 200 });
    const error = await caught(() => cache.ready({ timeoutMs: 400 }));
    expect(error).toMatchObject({ code: 'CONNECTION', retryable: true });
    expect(shown(error)).toContain('127.0.0.1:1');
    expect(shown(error)).not.toContain(SECRET);
    const get = await caught(() => cache.get('k'));
    expect(get).toMatchObject({ code: 'CONNECTION' });
    expect(shown(get)).not.toContain(SECRET);
    expect(JSON.stringify(cache.stats())).not.toContain(SECRET);
    await cache.close();
  });

  it('util.inspect and JSON.stringify of a cache and its connection never show the password', async () => {
    for (const config of [
      { url: `redis://user:${SECRET}@127.0.0.1:1/0`, connectTimeoutMs: 200 },
      { host: '127.0.0.1', port: 1, password: SECRET, connectTimeoutMs: 200 },
    ]) {
      const cache = new RedisCache(config);
      const views = [
        inspect(cache, { depth: 10, showHidden: true }),
        inspect({ nested: [cache] }, { depth: 10 }),
        inspect(cache.connection, { depth: 10, showHidden: true }),
        JSON.stringify(cache),
        JSON.stringify({ cache, connection: cache.connection }),
      ];
      for (const view of views) {
        expect(view).not.toContain(SECRET);
        expect(view).toContain('127.0.0.1:1');
      }
      expect(JSON.parse(JSON.stringify(cache))).toMatchObject({ where: expect.stringContaining('127.0.0.1:1') });
      await cache.close();
    }
  });
});

const skip = redisUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the RedisCache tests: ${skip}`);

describe.skipIf(skip !== undefined)('RedisCache', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let admin: Redis;
  const caches: RedisCache[] = [];
  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const c of caches) await c.close();
    admin?.disconnect();
    await redis?.dispose();
  });

  async function open(options: { keyPrefix?: string; ttl?: number } = {}): Promise<RedisCache> {
    const cache = new RedisCache({
      url: redis.url,
      keyPrefix: uniquePrefix('cache'),
      operationTimeoutMs: 5000,
      ...options,
    });
    caches.push(cache);
    await cache.ready();
    return cache;
  }

  it('round-trips values exactly (Float32Array, Float64Array, Map) and reports misses', async () => {
    const cache = await open();
    const value = {
      matches: [{ id: 'a', score: 0.25, vector: new Float32Array([0.1, -3.4028234663852886e38, 1e-45]) }],
      params: new Float64Array([Math.PI]),
      records: new Map([['x', { n: 1 }]]),
    };
    await cache.set('k1', value);
    const back = await cache.get<typeof value>('k1');
    expect(back?.matches[0]?.vector).toEqual(value.matches[0]?.vector);
    expect(back?.matches[0]?.vector).toBeInstanceOf(Float32Array);
    expect(back?.params[0]).toBe(Math.PI);
    expect(back?.records.get('x')).toEqual({ n: 1 });
    expect(await cache.get('absent')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, sets: 1, errors: 0 });
  });

  it("gives every entry the config's TTL (seconds), or the ttlMs given, and expires it", async () => {
    const prefix = uniquePrefix('ttl');
    const cache = await open({ keyPrefix: prefix, ttl: 7 });
    await cache.set('default', 1);
    const pttl = await admin.pttl(`${prefix}c:default`);
    expect(pttl).toBeGreaterThan(5000);
    expect(pttl).toBeLessThanOrEqual(7000);
    await cache.set('short', 2, { ttlMs: 30 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('default')).toBe(1);
    await expect(cache.set('bad', 1, { ttlMs: 0 })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: 'ttlMs' }],
    });
    await expect(cache.get('')).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ field: 'key' }] });
  });

  it('delete returns how many keys existed', async () => {
    const cache = await open();
    await cache.set('a', 1);
    await cache.set('b', 2);
    expect(await cache.delete(['a', 'b', 'c'])).toBe(2);
    expect(await cache.delete([])).toBe(0);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('generations strictly increase, are never 0, and are shared by every client', async () => {
    const prefix = uniquePrefix('gen');
    const [a, b] = [await open({ keyPrefix: prefix }), await open({ keyPrefix: prefix })];
    const g0 = await a.generation('docs/ns');
    expect(g0).toBeGreaterThan(0);
    expect(await b.generation('docs/ns')).toBe(g0);
    const seen = [g0];
    for (let i = 0; i < 20; i++) seen.push(await (i % 2 ? a : b).bumpGeneration('docs/ns'));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
    expect(await a.generation('docs/ns')).toBe(seen.at(-1));
    // Concurrent bumps from two connections all count.
    const bumped = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).bumpGeneration('docs/ns')));
    expect(new Set(bumped).size).toBe(20);
    expect(await b.generation('docs/ns')).toBe(Math.max(...bumped));
    expect(await a.generation('other')).not.toBe(await a.generation('docs/ns2'));
  });

  it('a generation lost to FLUSHALL or eviction comes back larger, never equal to an old one', async () => {
    const prefix = uniquePrefix('flush');
    const cache = await open({ keyPrefix: prefix });
    await cache.bumpGeneration('s');
    const before = await cache.generation('s');
    await admin.del(`${prefix}g:s`, `${prefix}epoch`);
    const after = await cache.generation('s');
    expect(after).toBeGreaterThan(before);
  });

  it('generation keys expire 30 days after their last bump (a lost key comes back larger); the epoch never', async () => {
    const prefix = uniquePrefix('gen-ttl');
    const cache = await open({ keyPrefix: prefix });
    await cache.generation('read-only');
    await cache.bumpGeneration('written');
    for (const scope of ['read-only', 'written']) {
      const pttl = await admin.pttl(`${prefix}g:${scope}`);
      expect(pttl).toBeGreaterThan(GENERATION_TTL_MS - 60_000);
      expect(pttl).toBeLessThanOrEqual(GENERATION_TTL_MS);
    }
    expect(GENERATION_TTL_MS).toBe(30 * 24 * 3600 * 1000);
    await cache.bumpEpoch();
    expect(await admin.pttl(`${prefix}epoch`)).toBe(-1);
  });

  it('keeps applications apart by key prefix', async () => {
    const [a, b] = [await open({ keyPrefix: uniquePrefix('app-a') }), await open({ keyPrefix: uniquePrefix('app-b') })];
    await a.set('same', 'from a');
    await b.set('same', 'from b');
    expect(await a.get('same')).toBe('from a');
    expect(await b.get('same')).toBe('from b');
    const ga = await a.bumpGeneration('scope');
    expect(await b.generation('scope')).not.toBe(ga);
  });

  it('clear() deletes only its own entries by SCAN (KEYS is never sent) and moves every generation', async () => {
    const prefix = uniquePrefix('clear');
    const [cache, neighbour] = [await open({ keyPrefix: prefix }), await open({ keyPrefix: `${prefix}x` })];
    for (let i = 0; i < 1200; i++) await cache.set(`k${i}`, i);
    await neighbour.set('k1', 'kept');
    const before = await cache.generation('scope');
    // Command statistics are server-wide: reset and read them only on a server of our own.
    const own = redis.server !== undefined;
    if (own) await admin.config('RESETSTAT');
    expect(await cache.clear()).toBe(1200);
    expect(await cache.get('k1')).toBeUndefined();
    expect(await neighbour.get('k1')).toBe('kept');
    expect(await cache.generation('scope')).toBeGreaterThan(before);
    if (own) {
      const stats = await admin.info('commandstats');
      expect(stats).toContain('cmdstat_scan');
      expect(stats).not.toContain('cmdstat_keys');
    }
  });

  it('a key prefix without a trailing colon gets one, so clear() never reaches a longer prefix’s keys', async () => {
    const base = uniquePrefix('nested');
    const cache = await open({ keyPrefix: `${base}app` });
    const state = new RedisStateStore({ url: redis.url, keyPrefix: `${base}appc:` });
    await state.ready();
    await state.set('doc', { v: 1 });
    await cache.set('k', 1);
    expect(await cache.clear()).toBe(1);
    expect(await state.get('doc')).toEqual({ v: 1 });
    expect(await admin.exists(`${base}app:c:k`, `${base}appc:s:doc`)).toBe(1);
    await state.close();
    expect(resolveRedisConfig({ keyPrefix: 'app' }, { operationTimeoutMs: 1 }).keyPrefix).toBe('app:');
    for (const keyPrefix of ['app:c:', 'app:s', 'g:x:', '']) {
      expect(() => resolveRedisConfig({ keyPrefix }, { operationTimeoutMs: 1 })).toThrow(
        expect.objectContaining({ code: 'VALIDATION', issues: [expect.objectContaining({ field: 'keyPrefix' })] }),
      );
    }
  });

  it('is built from the seed dict through a plugin registry', async () => {
    const registry = registerRedisCache(new PluginRegistry<CacheBackend>('cache'));
    expect(registry.types()).toEqual(['redis']);
    const url = new URL(redis.url);
    const cache = await registry.create({
      type: 'redis',
      host: url.hostname,
      port: Number(url.port || 6379),
      db: 2,
      ttl: 30,
      keyPrefix: uniquePrefix('registry'),
    });
    expect(cache).toBeInstanceOf(RedisCache);
    caches.push(cache as RedisCache);
    await (cache as RedisCache).ready();
    await cache.set('in-db-2', 'yes');
    const db2 = new Redis({ host: url.hostname, port: Number(url.port || 6379), db: 2 });
    const keys = await db2.scan('0', 'MATCH', '*in-db-2', 'COUNT', 1000);
    expect(keys[1].length).toBe(1);
    db2.disconnect();
  });
});

const ownSkip = ownServerUnavailableReason();
describe.skipIf(ownSkip !== undefined)('RedisCache with a password', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await TestRedisServer.start({ args: ['--requirepass', SECRET] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('connects with the right password; a wrong one is an AUTHENTICATION error that shows no password', async () => {
    const good = new RedisCache({ host: '127.0.0.1', port: server.port, password: SECRET });
    await good.ready();
    await good.set('k', 1);
    expect(await good.get('k')).toBe(1);
    await good.close();

    const wrong = `${SECRET}-wrong`;
    const bad = new RedisCache({ url: `redis://default:${wrong}@127.0.0.1:${server.port}` });
    const error = await caught(() => bad.ready({ timeoutMs: 3000 }));
    expect(error).toMatchObject({ code: 'AUTHENTICATION' });
    expect(shown(error)).not.toContain(SECRET);
    expect(JSON.stringify(bad.stats())).not.toContain(SECRET);
    await bad.close();
  });
});
