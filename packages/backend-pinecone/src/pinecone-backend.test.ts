import { inspect } from 'node:util';
import {
  AbortError,
  AuthenticationError,
  CapacityError,
  createBackend,
  DimensionMismatchError,
  IndexNotFoundError,
  MetricMismatchError,
  ServiceError,
  TimeoutError,
  ValidationError,
  type VectorBackend,
} from '@q-store/core';
import { PluginRegistry } from '@q-store/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PineconeBackend, type PineconeBackendOptions, scoreFromPinecone } from './pinecone-backend.js';
import { registerPinecone } from './registry.js';
import { PineconeEmulator } from './testing/index.js';

const API_KEY = 'pcsk_backendtest_SECRET_4242';

let emulator: PineconeEmulator;
let serial = 0;
const opened: PineconeBackend[] = [];

beforeAll(async () => {
  emulator = new PineconeEmulator({ apiKey: API_KEY });
  await emulator.start();
});

afterAll(async () => {
  for (const b of opened) await b.close();
  await emulator.stop();
});

function backend(options: Partial<PineconeBackendOptions> = {}): PineconeBackend {
  const b = new PineconeBackend({
    apiKey: API_KEY,
    indexName: `t-${++serial}`,
    controllerHostUrl: emulator.url,
    retry: { baseDelayMs: 1, maxDelayMs: 50 },
    ...options,
  });
  opened.push(b);
  return b;
}

describe('ensureIndex', () => {
  it('creates a serverless index, waits until it is ready, then adopts it from another instance', async () => {
    emulator.indexReadyDelayMs = 150;
    try {
      const b = backend();
      const started = Date.now();
      expect(await b.ensureIndex({ dimension: 8, metric: 'dot' })).toEqual({
        name: b.indexName,
        dimension: 8,
        metric: 'dot',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      const model = await fetch(`${emulator.url}/indexes/${b.indexName}`, { headers: { 'Api-Key': API_KEY } });
      const body = (await model.json()) as { metric: string; spec: unknown; status: { ready: boolean } };
      expect(body.metric).toBe('dotproduct');
      expect(body.spec).toMatchObject({ serverless: { cloud: 'aws', region: 'us-east-1' } });
      expect(body.status.ready).toBe(true);
      const other = backend({ indexName: b.indexName });
      expect(await other.ensureIndex({ dimension: 8, metric: 'dot' })).toMatchObject({ dimension: 8 });
      await expect(other.ensureIndex({ dimension: 9, metric: 'dot' })).rejects.toBeInstanceOf(DimensionMismatchError);
      await expect(other.ensureIndex({ dimension: 8, metric: 'cosine' })).rejects.toBeInstanceOf(MetricMismatchError);
    } finally {
      emulator.indexReadyDelayMs = 0;
    }
  });

  it('creates a pod-based index with pods, pod type and metadata_config.indexed', async () => {
    const b = backend({
      spec: {
        pod: {
          environment: 'us-east1-gcp',
          podType: 'p1.x2',
          pods: 2,
          replicas: 2,
          metadataConfig: { indexed: ['genre'] },
        },
      },
    });
    await b.ensureIndex({ dimension: 4, metric: 'euclidean' });
    const model = await fetch(`${emulator.url}/indexes/${b.indexName}`, { headers: { 'Api-Key': API_KEY } });
    expect(b.capabilities.listByPrefix).toBe(false); // Pinecone lists serverless indexes only
    await expect(b.list()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
    const body = (await model.json()) as { spec: { pod: Record<string, unknown> } };
    expect(body.spec.pod).toMatchObject({
      environment: 'us-east1-gcp',
      pod_type: 'p1.x2',
      pods: 2,
      replicas: 2,
      metadata_config: { indexed: ['genre'] },
    });
  });

  it('a missing index is IndexNotFoundError; dropIndex waits until the name is free', async () => {
    const b = backend();
    await expect(b.upsert({ records: [{ id: 'a', vector: [1, 0] }] })).rejects.toBeInstanceOf(IndexNotFoundError);
    expect(await b.describeIndex()).toBeNull();
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    await b.dropIndex();
    expect(await b.describeIndex()).toBeNull();
    await b.ensureIndex({ dimension: 3, metric: 'cosine' });
    expect((await b.describeIndex())?.dimension).toBe(3);
  });

  it('refuses bad options naming the field, before any request', async () => {
    const before = emulator.count();
    expect(() => new PineconeBackend({ apiKey: '', indexName: 'x' })).toThrow(ValidationError);
    expect(
      () => new PineconeBackend({ apiKey: 'k', indexName: 'x', spec: { pod: { environment: 'e', podType: 'q9.x3' } } }),
    ).toThrow(/spec.pod.podType/);
    expect(emulator.count()).toBe(before);
  });
});

describe('data plane', () => {
  let b: PineconeBackend;
  beforeAll(async () => {
    b = backend();
    await b.ensureIndex({ dimension: 3, metric: 'euclidean' });
  });

  it('euclidean scores are −‖a − b‖, from the squared distance Pinecone returns', async () => {
    await b.upsert({
      records: [
        { id: 'near', vector: [1, 0, 0] },
        { id: 'far', vector: [4, 4, 0] },
      ],
    });
    const { matches } = await b.query({ vector: [1, 0, 0], topK: 2 });
    expect(matches.map((m) => m.id)).toEqual(['near', 'far']);
    expect(Object.is(matches[0]?.score, 0)).toBe(true);
    expect(matches[1]?.score).toBeCloseTo(-5, 6);
    expect(scoreFromPinecone('euclidean', 25)).toBe(-5);
    expect(scoreFromPinecone('dot', 2.5)).toBe(2.5);
  });

  it('update is fetch-then-write: updated:false writes nothing, replace drops keys, merge keeps them', async () => {
    await b.upsert({ records: [{ id: 'u', vector: [1, 2, 3], metadata: { a: 1, b: 'x' } }] });
    const before = emulator.count(/update|upsert/);
    expect(await b.update({ id: 'missing', metadata: { a: 2 } })).toEqual({ updated: false });
    expect(emulator.count(/update|upsert/)).toBe(before);
    expect((await b.fetch({ ids: ['missing'] })).records.size).toBe(0);
    emulator.resetCounts();
    expect(await b.update({ id: 'u', metadata: { a: 2 } })).toEqual({ updated: true });
    expect(emulator.count(/fetch/)).toBe(1);
    expect(emulator.count(/update/)).toBe(1);
    expect((await b.fetch({ ids: ['u'] })).records.get('u')?.metadata).toEqual({ a: 2, b: 'x' });
    await b.update({ id: 'u', metadata: { c: true }, metadataMode: 'replace' });
    const replaced = (await b.fetch({ ids: ['u'] })).records.get('u');
    expect(replaced?.metadata).toEqual({ c: true });
    expect([...(replaced?.vector ?? [])]).toEqual([1, 2, 3]);
    await b.update({ id: 'u', vector: [3, 2, 1] });
    expect([...((await b.fetch({ ids: ['u'] })).records.get('u')?.vector ?? [])]).toEqual([3, 2, 1]);
  });

  it('the merged metadata is checked against 40 KB before writing', async () => {
    await b.upsert({ records: [{ id: 'big', vector: [1, 1, 1], metadata: { a: 'x'.repeat(30_000) } }] });
    emulator.resetCounts();
    await expect(b.update({ id: 'big', metadata: { b: 'y'.repeat(15_000) } })).rejects.toThrow(/merged metadata/);
    expect(emulator.count(/update|upsert/)).toBe(0);
  });

  it('lists with prefix and pagination, deletes by ids, filter and all, counts per namespace', async () => {
    const records = Array.from({ length: 230 }, (_, i) => ({
      id: `${i % 2 ? 'odd' : 'even'}-${String(i).padStart(3, '0')}`,
      vector: [1, i, 0],
      metadata: { i, parity: i % 2 ? 'odd' : 'even' },
    }));
    await b.upsert({ records, namespace: 'ls' });
    emulator.resetCounts();
    const odd: string[] = [];
    for await (const id of b.list({ namespace: 'ls', prefix: 'odd-', pageSize: 50 })) odd.push(id);
    expect(odd).toHaveLength(115);
    expect(emulator.count(/list/)).toBe(3);
    expect((await b.stats()).namespaces.ls?.recordCount).toBe(230);
    await b.delete({ filter: { parity: 'even', i: { $lt: 100 } }, namespace: 'ls' });
    expect((await b.stats()).namespaces.ls?.recordCount).toBe(180);
    await b.delete({ ids: odd.slice(0, 15), namespace: 'ls' });
    expect((await b.stats()).namespaces.ls?.recordCount).toBe(165);
    await b.delete({ all: true, namespace: 'ls' });
    expect((await b.stats()).namespaces.ls).toBeUndefined();
  });

  it('validates options.pinecone: unknown keys and bad values are refused naming the field', async () => {
    await expect(
      b.query({ vector: [1, 0, 0], topK: 1, options: { pinecone: { includeValue: true } } }),
    ).rejects.toThrow(/options\.pinecone\.includeValue/);
    await expect(b.query({ vector: [1, 0, 0], topK: 1, options: { pinecone: { scanFactor: 9 } } })).rejects.toThrow(
      /scanFactor/,
    );
    const ok = await b.query({
      vector: [1, 0, 0],
      topK: 1,
      filter: { i: { $not: { $gt: 3 } } },
      options: { pinecone: { numericFields: ['i'] } },
    });
    await expect(b.fetch({ ids: ['near'], options: { pinecone: { numericFields: ['i'] } } })).rejects.toThrow(
      /fetch takes no options/,
    );
    // Another backend's options are ignored: each reads only its own entry.
    await b.query({ vector: [1, 0, 0], topK: 1, options: { qdrant: { exact: true } } });
    expect(ok.matches.length).toBeLessThanOrEqual(1);
  });

  it('topK above 1,000 with metadata is refused by the declared limit, 10,000 without payload is allowed', async () => {
    await expect(b.query({ vector: [1, 0, 0], topK: 1001 })).rejects.toThrow(ValidationError);
    const { matches } = await b.query({ vector: [1, 0, 0], topK: 10_000, includeMetadata: false });
    expect(matches.length).toBeGreaterThan(0);
  });
});

describe('errors and retries', () => {
  it('retries 429 honouring Retry-After and 503, then succeeds; logs the retries without the key', async () => {
    const lines: string[] = [];
    const b = backend({ log: (line) => lines.push(line), retry: { baseDelayMs: 1, maxDelayMs: 2_000 } });
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    emulator.throttle({ match: /upsert/, retryAfterSeconds: 1 });
    emulator.injectFault({ kind: 'status', status: 503, match: /upsert/ });
    const started = Date.now();
    await b.upsert({ records: [{ id: 'a', vector: [1, 0] }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited the Retry-After second
    expect(b.requestCounts.upsert).toBe(3);
    expect(lines.filter((l) => l.includes('retry'))).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(API_KEY);
  });

  it('gives up after maxRetries with the typed error; an abort ends a Retry-After wait at once', async () => {
    const b = backend({ retry: { maxRetries: 1, baseDelayMs: 1 } });
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    emulator.injectFault({ kind: 'status', status: 500, match: /query/, times: 2 });
    const error = await b.query({ vector: [1, 0], topK: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    emulator.throttle({ match: /query/, retryAfterSeconds: 30 });
    const slow = backend({ indexName: b.indexName, retry: { maxDelayMs: 60_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(slow.query({ vector: [1, 0], topK: 1, signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5_000);
    emulator.clearFaults();
  });

  it('403 QUOTA_EXCEEDED is a CapacityError naming the quota, sent once', async () => {
    const tight = new PineconeEmulator({ apiKey: API_KEY, maxServerlessIndexes: 1 });
    await tight.start();
    try {
      const first = new PineconeBackend({ apiKey: API_KEY, indexName: 'q-1', controllerHostUrl: tight.url });
      await first.ensureIndex({ dimension: 2, metric: 'cosine' });
      const second = new PineconeBackend({ apiKey: API_KEY, indexName: 'q-2', controllerHostUrl: tight.url });
      tight.resetCounts();
      const error = await second.ensureIndex({ dimension: 2, metric: 'cosine' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CapacityError);
      expect((error as CapacityError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/max serverless indexes/);
      expect(tight.count(/POST \/indexes/)).toBe(1);
    } finally {
      await tight.stop();
    }
  });

  it('a wrong key is an AuthenticationError; the key is in no error, inspect or JSON of the backend', async () => {
    const wrong = 'pcsk_wrong_SECRET_9999';
    const b = backend({ apiKey: wrong });
    const error = await b.ensureIndex({ dimension: 2, metric: 'cosine' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    for (const text of [inspect(error, { depth: 10 }), JSON.stringify(error), String((error as Error).stack)]) {
      expect(text).not.toContain(wrong);
    }
    const good = backend();
    await good.ensureIndex({ dimension: 2, metric: 'cosine' });
    for (const text of [inspect(good, { depth: 10, showHidden: true }), JSON.stringify(good), String(good)]) {
      expect(text).not.toContain(API_KEY);
    }
    expect(JSON.stringify(good)).toContain(good.indexName);
  });
});

describe('eventual consistency', () => {
  it('waitForVisibility polls until writes, updates and deletes are visible, or times out', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    emulator.visibilityDelayMs = 200;
    try {
      await b.upsert({ records: [{ id: 'v', vector: [1, 0], metadata: { n: 1 } }] });
      expect((await b.fetch({ ids: ['v'] })).records.size).toBe(0); // not visible yet
      const seen = await b.waitForVisibility({ ids: ['v'], deadlineMs: 5_000 });
      expect(seen.polls).toBeGreaterThan(1);
      expect((await b.fetch({ ids: ['v'] })).records.size).toBe(1);
      await b.update({ id: 'v', metadata: { n: 2 } });
      await b.waitForVisibility({ records: [{ id: 'v', metadata: { n: 2 } }], deadlineMs: 5_000 });
      expect((await b.fetch({ ids: ['v'] })).records.get('v')?.metadata).toEqual({ n: 2 });
      await b.delete({ ids: ['v'] });
      await b.waitForVisibility({ deletedIds: ['v'], deadlineMs: 5_000 });
      expect((await b.fetch({ ids: ['v'] })).records.size).toBe(0);
      // With ids only, an overwrite and an update are awaited too: the backend remembers what it wrote.
      await b.upsert({ records: [{ id: 'w', vector: [1, 0], metadata: { v: 1 } }] });
      await b.waitForVisibility({ ids: ['w'], deadlineMs: 5_000 });
      await b.upsert({ records: [{ id: 'w', vector: [0, 1], metadata: { v: 2 } }] });
      expect((await b.fetch({ ids: ['w'] })).records.get('w')?.metadata).toEqual({ v: 1 }); // old version
      await b.waitForVisibility({ ids: ['w'], deadlineMs: 5_000 });
      expect((await b.fetch({ ids: ['w'] })).records.get('w')?.metadata).toEqual({ v: 2 });
      await b.update({ id: 'w', metadata: { extra: 'x' } });
      await b.waitForVisibility({ ids: ['w'], deadlineMs: 5_000 });
      expect((await b.fetch({ ids: ['w'] })).records.get('w')?.metadata).toEqual({ v: 2, extra: 'x' });
      // A delete by filter and of the whole namespace.
      await b.delete({ filter: { v: 2 } });
      await b.waitForVisibility({ filter: { v: 2 }, deadlineMs: 5_000 });
      expect((await b.fetch({ ids: ['w'] })).records.size).toBe(0);
      await b.upsert({ records: [{ id: 'x', vector: [1, 1] }], namespace: 'gone' });
      await b.waitForVisibility({ namespace: 'gone', ids: ['x'], deadlineMs: 5_000 });
      await b.delete({ all: true, namespace: 'gone' });
      await b.waitForVisibility({ namespace: 'gone', all: true, deadlineMs: 5_000 });
      expect((await b.stats()).namespaces.gone).toBeUndefined();
      await b.upsert({ records: [{ id: 'late', vector: [0, 1] }] });
      await expect(b.waitForVisibility({ ids: ['late'], deadlineMs: 30 })).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      emulator.visibilityDelayMs = 0;
    }
  });
});

describe('registry', () => {
  it("builds the seed's {type: 'pinecone', api_key, environment, index_name} config", async () => {
    const registry = registerPinecone(new PluginRegistry<VectorBackend>('vector backend'));
    const b = (await registry.create({
      type: 'pinecone',
      api_key: API_KEY,
      environment: 'us-west1-gcp',
      index_name: `seed-${++serial}`,
      dimension: 4,
      metric: 'cosine',
      controllerHostUrl: emulator.url,
      metadata_config: { indexed: ['category'] },
    })) as PineconeBackend;
    opened.push(b);
    expect(b).toBeInstanceOf(PineconeBackend);
    await b.ensureIndex({ dimension: 4, metric: 'cosine' });
    const model = await fetch(`${emulator.url}/indexes/${b.indexName}`, { headers: { 'Api-Key': API_KEY } });
    expect(((await model.json()) as { spec: unknown }).spec).toMatchObject({
      pod: { environment: 'us-west1-gcp', metadata_config: { indexed: ['category'] } },
    });
    expect(inspect(registry, { depth: 10 })).not.toContain(API_KEY);
    await expect(createBackend({ type: 'pinecone', api_key: API_KEY, index_name: 'x' })).rejects.toThrow(/pinecone/);
  });
});
