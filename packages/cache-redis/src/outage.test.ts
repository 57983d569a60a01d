import { createServer, type Server, Socket } from 'node:net';
import { type CachedVectorBackend, MemoryBackend, withCache } from '@q-store/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCache } from './redis-cache.js';
import { RedisStateStore } from './redis-state-store.js';
import { freePort, ownServerUnavailableReason, TestRedisServer } from './test-redis-server.js';

const skip = ownServerUnavailableReason();
if (skip) console.warn(`@q-store/cache-redis: skipping the outage tests: ${skip}`);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A TCP proxy in front of Redis that can cut every connection (a network partition), or hold all
 * traffic with the sockets left open (a silent partition: packets dropped, TCP retransmitting),
 * and heal (held traffic is then delivered, as retransmission would).
 */
class Partition {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private holding = false;
  private held: Array<[Socket, Buffer]> = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async open(targetPort: number): Promise<Partition> {
    const port = await freePort();
    const server = createServer();
    const partition = new Partition(server, port);
    server.on('connection', (client) => {
      if (partition.cut) {
        client.destroy();
        return;
      }
      const upstream = new Socket();
      for (const s of [client, upstream]) {
        partition.sockets.add(s);
        s.on('close', () => partition.sockets.delete(s));
        s.on('error', () => undefined);
      }
      upstream.connect(targetPort, '127.0.0.1');
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (partition.holding) partition.held.push([to, chunk]);
          else if (!to.destroyed) to.write(chunk);
        });
      forward(client, upstream);
      forward(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return partition;
  }

  sever(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Stops forwarding without closing anything. */
  blackhole(): void {
    this.holding = true;
  }

  heal(): void {
    this.cut = false;
    this.holding = false;
    for (const [to, chunk] of this.held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  close(): Promise<void> {
    this.sever();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.skipIf(skip !== undefined)('Redis down, slow or restarted', () => {
  let server: TestRedisServer;
  let admin: Redis;
  let cache: RedisCache;
  let backend: MemoryBackend;
  let cached: CachedVectorBackend;
  let rejections: unknown[];
  const onRejection = (reason: unknown) => rejections.push(reason);
  const q = { vector: [0, 1, 0], topK: 1 };
  const top = async () => (await cached.query(q)).matches[0]?.id;

  async function connect(port: number): Promise<void> {
    cache = new RedisCache({ host: '127.0.0.1', port, operationTimeoutMs: 200, connectTimeoutMs: 300 });
    await cache.ready();
    backend = new MemoryBackend({ indexName: 'outage' });
    await backend.ensureIndex({ dimension: 3, metric: 'cosine' });
    await backend.upsert({ records: [{ id: 'before', vector: [0.2, 1, 0] }] });
    cached = withCache(backend, cache);
  }

  /** Caches the query's answer in both levels and checks that the Redis entry landed. */
  async function warm(expected: string): Promise<void> {
    expect(await top()).toBe(expected);
    const sharedOnly = withCache(backend, cache, { l1: false });
    await waitFor('the entry to land in Redis', async () => {
      const hits = sharedOnly.cacheStats().l2Hits;
      await sharedOnly.query(q);
      return sharedOnly.cacheStats().l2Hits > hits;
    });
    expect(await top()).toBe(expected);
  }

  beforeEach(async () => {
    rejections = [];
    process.on('unhandledRejection', onRejection);
    server = await TestRedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 100 });
    admin.on('error', () => undefined);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onRejection);
    admin.disconnect();
    await cached?.close();
    await cache?.close();
    await server.dispose();
  });
  afterAll(() => undefined);

  it('killed mid-run: queries and writes still work (counted as bypasses); after a restart it reconnects, serves nothing stale and caches again', async () => {
    await connect(server.port);
    await warm('before');
    const hitsBefore = cached.cacheStats().l1Hits;
    const state = new RedisStateStore({
      host: '127.0.0.1',
      port: server.port,
      connectTimeoutMs: 300,
      operationTimeoutMs: 300,
    });
    await state.ready();

    await server.stop('SIGKILL');
    const bypassesBefore = cached.cacheStats().bypasses;
    expect(await cached.query(q)).toEqual(await backend.query(q));
    await cached.upsert({ records: [{ id: 'during', vector: [0, 1, 0] }] });
    expect((await backend.fetch({ ids: ['during'] })).records.has('during')).toBe(true);
    expect(await top()).toBe('during');
    expect((await cached.fetch({ ids: ['during', 'before'] })).records.size).toBe(2);
    const stats = cached.cacheStats();
    expect(stats.bypasses).toBeGreaterThanOrEqual(bypassesBefore + 2);
    expect(stats.bumpFailures).toBeGreaterThanOrEqual(1);
    expect(stats.l1Hits).toBe(hitsBefore);
    await expect(state.get('x')).rejects.toMatchObject({ retryable: true });
    expect(cache.stats().status).not.toBe('ready');

    await server.restart();
    await waitFor('the client to reconnect', () => cache.status === 'ready');
    expect(await top()).toBe('during');
    const hits = cached.cacheStats().l1Hits;
    expect(await top()).toBe('during');
    expect(cached.cacheStats().l1Hits).toBe(hits + 1);
    await waitFor('the state store to reconnect', () => state.connection.status === 'ready');
    await state.set('x', 1);
    expect(await state.get('x')).toBe(1);
    await state.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(rejections).toEqual([]);
  });

  it('restarted from an older snapshot: entries that later writes had replaced are not served', async () => {
    await connect(server.port);
    await warm('before');
    await admin.save(); // the snapshot holds the entry and the generation of this moment
    await cached.upsert({ records: [{ id: 'after-save', vector: [0, 1, 0] }] });
    expect(await top()).toBe('after-save');

    await server.stop('SIGKILL');
    await server.restart(); // loads the snapshot: the old generation and the old entry are back
    await waitFor('the client to reconnect', () => cache.status === 'ready');
    expect(await admin.dbsize()).toBeGreaterThan(0);
    // Detected on the reconnect itself, before any read.
    await waitFor('the restart to be detected without a read', () => cache.stats().restartsDetected === 1, 3000);
    expect(await top()).toBe('after-save');
    expect(cache.stats().restartsDetected).toBe(1);
    expect(await top()).toBe('after-save');
    expect(cached.cacheStats().l1Hits).toBeGreaterThan(0);
    expect(rejections).toEqual([]);
  });

  it('a write during a partition (its bump lost) is not hidden after the network heals', async () => {
    const partition = await Partition.open(server.port);
    try {
      await connect(partition.port);
      await warm('before');
      partition.sever();
      await waitFor('the client to notice', () => cache.status !== 'ready');
      await cached.upsert({ records: [{ id: 'partitioned', vector: [0, 1, 0] }] });
      expect(cached.cacheStats().bumpFailures).toBe(1);
      expect(await top()).toBe('partitioned');
      partition.heal();
      await waitFor('the client to reconnect', () => cache.status === 'ready');
      // Same server, same entries, same generation: only the remembered bump keeps this fresh.
      expect(await top()).toBe('partitioned');
      expect(cache.stats().restartsDetected).toBe(0);
      const hits = cached.cacheStats().l1Hits;
      expect(await top()).toBe('partitioned');
      expect(cached.cacheStats().l1Hits).toBe(hits + 1);
      expect(rejections).toEqual([]);
    } finally {
      await partition.close();
    }
  });

  it('another process sees a write whose bump failed once the writer reconnects, without the writer reading', async () => {
    const partition = await Partition.open(server.port);
    const writerCache = new RedisCache({
      host: '127.0.0.1',
      port: partition.port,
      operationTimeoutMs: 200,
      connectTimeoutMs: 300,
    });
    try {
      await connect(server.port); // the reader, B: its own client, straight to Redis
      await warm('before');
      await writerCache.ready();
      const writer = withCache(backend, writerCache); // A, another process sharing the database and Redis
      const readerWithoutL1 = withCache(backend, cache, { l1: false });
      partition.sever();
      await waitFor('the writer to notice', () => writerCache.status !== 'ready');
      await writer.upsert({ records: [{ id: 'partitioned', vector: [0, 1, 0] }] });
      expect(writer.cacheStats().bumpFailures).toBe(1);
      // The documented window: until A reaches Redis again, B still gets the old entry.
      expect(await top()).toBe('before');
      partition.heal();
      await waitFor('B to see the write', async () => (await top()) === 'partitioned', 3000);
      expect((await readerWithoutL1.query(q)).matches[0]?.id).toBe('partitioned');
      const a = writer.cacheStats();
      expect(a.l1Hits + a.l2Hits + a.misses + a.bypasses).toBe(0); // A never read
      expect(rejections).toEqual([]);
    } finally {
      await writerCache.close();
      await partition.close();
    }
  });

  it('a silent partition (traffic dropped, sockets open): after a few timeouts it reconnects, reads fail fast, caching resumes after it heals', async () => {
    const partition = await Partition.open(server.port);
    try {
      await connect(partition.port); // reconnectAfterTimeouts: 3 (default), operationTimeoutMs 200
      await warm('before');
      partition.blackhole();
      const timeoutsBefore = cache.stats().timeouts;
      const bypassesBefore = cached.cacheStats().bypasses;
      for (let i = 0; i < 10; i++) expect(await top()).toBe('before');
      // A query reads two generations at once: the third timeout drops the connection, the fourth
      // may be its sibling; every later query fails fast instead of waiting out its timeout.
      const timeouts = cache.stats().timeouts - timeoutsBefore;
      expect(timeouts).toBeGreaterThanOrEqual(3);
      expect(timeouts).toBeLessThanOrEqual(4);
      expect(cache.stats().forcedReconnects).toBe(1);
      expect(cached.cacheStats().bypasses).toBe(bypassesBefore + 10);
      expect(cache.status).not.toBe('ready');
      partition.heal();
      await waitFor('the client to reconnect', () => cache.status === 'ready');
      const hits = cached.cacheStats().l1Hits;
      await waitFor('caching to resume', async () => {
        expect(await top()).toBe('before');
        return cached.cacheStats().l1Hits > hits;
      });
      expect(rejections).toEqual([]);
    } finally {
      await partition.close();
    }
  });

  it('a state-store update that timed out after its compare-and-set was sent is not retryable (it may still apply)', async () => {
    const state = new RedisStateStore({ host: '127.0.0.1', port: server.port, operationTimeoutMs: 300 });
    try {
      await state.set('counter', 0);
      await admin.call('CLIENT', 'PAUSE', '800', 'WRITE'); // reads answer, the script waits
      const error = await state.update<number>('counter', (n) => (n ?? 0) + 1).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TIMEOUT', retryable: false });
      expect(String((error as Error).message)).toContain('outcome is unknown');
      // The script ran after the pause: the update applied once although the caller saw a failure.
      await waitFor('the script to run', async () => (await admin.get('q-store:s:counter')) === '1');
      expect(await state.get('counter')).toBe(1);
      // A timeout before anything was sent stays retryable.
      await admin.call('CLIENT', 'PAUSE', '800', 'ALL');
      await expect(state.get('counter')).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      await state.close();
    }
  });

  it('slow (CLIENT PAUSE): queries bypass after the timeout, writes land, caching resumes', async () => {
    await connect(server.port);
    await warm('before');
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    const bypasses = cached.cacheStats().bypasses;
    expect(await top()).toBe('before');
    await cached.upsert({ records: [{ id: 'slow', vector: [0, 1, 0] }] });
    expect(await top()).toBe('slow');
    expect(cached.cacheStats().bypasses).toBe(bypasses + 2);
    expect(cache.stats().timeouts).toBeGreaterThanOrEqual(2);
    await waitFor('the pause to end', async () => (await admin.ping()) === 'PONG');
    await waitFor('caching to resume', async () => {
      expect(await top()).toBe('slow');
      return cached.cacheStats().l1Hits + cached.cacheStats().l2Hits > 1;
    });
    expect(rejections).toEqual([]);
  });
});
