import { inspect } from 'node:util';
import { MemoryBackend, QuantumDatabase, type VectorBackend } from '@q-store/core';
import { PluginRegistry } from '@q-store/core/backend';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantCheckpointStore } from './checkpoint-store.js';
import { pointIdFor } from './ids.js';
import { QdrantBackend, type QdrantBackendOptions } from './qdrant-backend.js';
import { parseQdrantOptions } from './qdrant-options.js';
import { qdrantOptionsFromConfig, registerQdrant } from './registry.js';
import { QdrantStateStore } from './state-store.js';
import { QdrantEmulator } from './testing/qdrant-emulator.js';

const API_KEY = 'qdrant-secret-key-0123456789';
const queryBodies: Array<Record<string, unknown> & { route: string }> = [];
const emulator = new QdrantEmulator({
  apiKey: API_KEY,
  onRequest: (route, body) => {
    if (route.endsWith('/points/query')) queryBodies.push({ ...(body as Record<string, unknown>), route });
  },
});
let url = '';
let raw: QdrantClient;
beforeAll(async () => {
  url = await emulator.start();
  raw = new QdrantClient({ url, apiKey: API_KEY, checkCompatibility: false });
});
afterAll(() => emulator.stop());

let n = 0;
const open: QdrantBackend[] = [];
function backend(options: Partial<QdrantBackendOptions> = {}): QdrantBackend {
  const b = new QdrantBackend({
    url,
    apiKey: API_KEY,
    collectionName: `t-${++n}`,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
  open.push(b);
  return b;
}
afterAll(async () => {
  for (const b of open) await b.close();
});

describe('QdrantBackend: collections', () => {
  it('creates the collection with size, distance, HNSW and quantization, and the payload indexes', async () => {
    const b = backend({
      hnsw: { m: 8, efConstruct: 64 },
      quantization: { type: 'scalar', quantile: 0.99, alwaysRam: true },
      indexedFields: { category: 'keyword', price: 'float' },
    });
    await b.ensureIndex({ dimension: 5, metric: 'dot' });
    const info = await raw.getCollection(b.collectionName);
    expect(info.config.params.vectors).toEqual({ size: 5, distance: 'Dot' });
    expect(info.config.hnsw_config).toMatchObject({ m: 8, ef_construct: 64 });
    expect(info.config.quantization_config).toEqual({ scalar: { type: 'int8', quantile: 0.99, always_ram: true } });
    expect(info.payload_schema).toMatchObject({
      qstore_ns: { data_type: 'keyword', params: { type: 'keyword', is_tenant: true } },
      qstore_id: { data_type: 'keyword' },
      'metadata.category': { data_type: 'keyword' },
      'metadata.price': { data_type: 'float' },
    });
  });

  it('adopts an existing collection (adding its payload indexes) and refuses a mismatch', async () => {
    const name = `adopt-${++n}`;
    await raw.createCollection(name, { vectors: { size: 3, distance: 'Euclid' } });
    const b = backend({ collectionName: name, indexedFields: ['tag'] });
    expect(await b.describeIndex()).toEqual({ name, dimension: 3, metric: 'euclidean' });
    await b.ensureIndex({ dimension: 3, metric: 'euclidean' });
    expect(Object.keys((await raw.getCollection(name)).payload_schema ?? {}).sort()).toEqual([
      'metadata.tag',
      'qstore_id',
      'qstore_keys',
      'qstore_ns',
    ]);
    await expect(b.ensureIndex({ dimension: 4, metric: 'euclidean' })).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
    });
    await expect(b.ensureIndex({ dimension: 3, metric: 'cosine' })).rejects.toMatchObject({ code: 'METRIC_MISMATCH' });
    const named = `named-${++n}`;
    await raw.createCollection(named, { vectors: { size: 3, distance: 'Manhattan' } });
    await expect(backend({ collectionName: named }).describeIndex()).rejects.toMatchObject({ code: 'STORAGE' });
  });

  it('rejects bad config naming the field', () => {
    expect(() => backend({ hnsw: { efConstruct: 2 } })).toThrow(/hnsw.efConstruct/);
    expect(() => backend({ indexedFields: { price: 'decimal' as never } })).toThrow(/indexedFields.price/);
    expect(() => new QdrantBackend({ collectionName: 'x' })).toThrow(/url/);
    expect(() => backend({ collectionName: 'Bad Name' })).toThrow(/index/i);
  });
});

describe('QdrantBackend: ids', () => {
  it('maps every id to its UUIDv5 point and back: a UUID id, unicode, 512 characters', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    const ids = ['3F2504E0-4F89-11D3-9A0C-0305E82C3301', 'ünï cødé ✓', 'x'.repeat(512), '42'];
    await b.upsert({ records: ids.map((id, i) => ({ id, vector: [1, i + 1] })), namespace: 'ns' });
    const stored = await raw.retrieve(b.collectionName, {
      ids: [pointIdFor('ns', ids[0] as string)],
      with_payload: true,
    });
    expect(stored[0]?.payload?.qstore_id).toBe(ids[0]); // the user's spelling, not Qdrant's lower-case form
    expect([...(await b.fetch({ ids, namespace: 'ns' })).records.keys()].sort()).toEqual([...ids].sort());
    const matches = (await b.query({ vector: [1, 1], topK: 10, namespace: 'ns' })).matches.map((m) => m.id);
    expect(matches.sort()).toEqual([...ids].sort());
    const listed: string[] = [];
    for await (const id of b.list({ namespace: 'ns', pageSize: 3 })) listed.push(id);
    expect(listed.sort()).toEqual([...ids].sort());
    expect(await b.delete({ ids: [ids[0] as string, 'missing'], namespace: 'ns' })).toEqual({ deletedCount: 1 });
    expect((await b.fetch({ ids, namespace: 'ns' })).records.has(ids[0] as string)).toBe(false);
  });

  it('keeps the float32 values exact under Cosine (the payload copy) while Qdrant holds the normalised vector', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 3, metric: 'cosine' });
    const vector = Float32Array.from([3.1, -4.7, 0.000123]);
    await b.upsert({ records: [{ id: 'v', vector }] });
    const [point] = await raw.retrieve(b.collectionName, { ids: [pointIdFor('', 'v')], with_vector: true });
    const norm = Math.hypot(...vector);
    expect((point?.vector as number[] | undefined)?.[0]).toBeCloseTo((vector[0] as number) / norm, 6);
    expect([...((await b.fetch({ ids: ['v'] })).records.get('v')?.vector ?? [])]).toEqual([...vector]);
    const [match] = (await b.query({ vector: [3, -4, 0], topK: 1, includeVectors: true })).matches;
    expect([...(match?.vector ?? [])]).toEqual([...vector]);
  });
});

describe('QdrantBackend: updates', () => {
  it('concurrent merges of one id through one instance all land (queued per id)', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 2, metric: 'dot' });
    await b.upsert({ records: [{ id: 'u', vector: [1, 0], metadata: { base: 0 } }] });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => b.update({ id: 'u', metadata: { [`k${i}`]: i } })),
    );
    expect(results.every((r) => r.updated)).toBe(true);
    const metadata = (await b.fetch({ ids: ['u'] })).records.get('u')?.metadata ?? {};
    expect(Object.keys(metadata).sort()).toEqual(['base', ...Array.from({ length: 20 }, (_, i) => `k${i}`)].sort());
  });
});

describe('QdrantBackend: errors, retries and the API key', () => {
  it('retries 503 and 429 (honouring Retry-After) and succeeds', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 2, metric: 'dot' });
    const before = emulator.count(/POST \/collections\/\{c\}\/points\/query/);
    emulator.injectFault({ kind: 'status', status: 503, match: /points\/query/ });
    emulator.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 0, match: /points\/query/ });
    await b.upsert({ records: [{ id: 'a', vector: [1, 0] }] });
    expect((await b.query({ vector: [1, 0], topK: 1 })).matches[0]?.id).toBe('a');
    expect(emulator.count(/POST \/collections\/\{c\}\/points\/query/) - before).toBe(1); // faults answer before counting
  });

  it('a dropped connection is retried; persistent 5xx ends in a retryable ServiceError', async () => {
    const b = backend({ retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    await b.ensureIndex({ dimension: 2, metric: 'dot' });
    emulator.injectFault({ kind: 'drop', match: /points\/query/ });
    expect((await b.query({ vector: [1, 0], topK: 1 })).matches).toEqual([]);
    emulator.injectFault({ kind: 'status', status: 502, times: 3, match: /points\/query/ });
    await expect(b.query({ vector: [1, 0], topK: 1 })).rejects.toMatchObject({
      code: 'SERVICE',
      retryable: true,
      status: 502,
    });
  });

  it('a slow answer past timeoutMs is a TimeoutError', async () => {
    // The collection is created with the default timeout (a loaded machine may take longer than 50 ms
    // for that); only the query under test runs with the short one.
    const setup = backend();
    await setup.ensureIndex({ dimension: 2, metric: 'dot' });
    await setup.close();
    const b = backend({ collectionName: setup.indexName, timeoutMs: 50, retry: { retries: 0 } });
    await b.ensureIndex({ dimension: 2, metric: 'dot' });
    emulator.injectFault({ kind: 'delay', delayMs: 300, match: /points\/query/ });
    await expect(b.query({ vector: [1, 0], topK: 1 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a wrong key is an AuthenticationError; the key is never in errors, util.inspect or JSON', async () => {
    const wrong = backend({ apiKey: `${API_KEY}-wrong` });
    const error = await wrong.describeIndex().catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'AUTHENTICATION' });
    const good = backend();
    const texts = [
      inspect(error, { depth: 10 }),
      String((error as Error).stack),
      inspect(good, { depth: 10, showHidden: true }),
      JSON.stringify(good),
      inspect(wrong, { depth: 10 }),
      inspect(new QdrantStateStore({ url, apiKey: API_KEY }), { depth: 10, showHidden: true }),
      JSON.stringify(new QdrantCheckpointStore({ url, apiKey: API_KEY })),
    ];
    for (const text of texts) expect(text).not.toContain(API_KEY);
  });

  it('a missing collection is INDEX_NOT_FOUND; an aborted call is ABORTED at once', async () => {
    const b = backend();
    await expect(b.query({ vector: [1, 0], topK: 1 })).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' });
    await b.ensureIndex({ dimension: 2, metric: 'dot' });
    emulator.injectFault({ kind: 'delay', delayMs: 2000, match: /points\/query/ });
    const controller = new AbortController();
    const started = performance.now();
    const pending = b.query({ vector: [1, 0], topK: 1, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - started).toBeLessThan(1500);
    emulator.clearFaults();
  });
});

describe('QdrantBackend: limits', () => {
  it('core chunks a 768-d ingest under the 32 MB request limit; a smaller server limit gives more chunks, no 413', async () => {
    const small = backend({ maxRequestBytes: 1024 * 1024 });
    await small.ensureIndex({ dimension: 768, metric: 'cosine' });
    const records = Array.from({ length: 300 }, (_, i) => ({
      id: `r${i}`,
      vector: Float32Array.from({ length: 768 }, (_, d) => Math.sin(i * 7 + d) / 3),
    }));
    const result = await small.upsert({ records });
    expect(result.chunks).toBeGreaterThan(3);
    expect((await small.stats()).totalRecordCount).toBe(300);
  });
});

describe('per-query options (options.qdrant)', () => {
  it('validates every key and rejects unknown ones', () => {
    expect(parseQdrantOptions({ hnswEf: 64, exact: false, rescore: true, oversampling: 2 })).toEqual({
      hnswEf: 64,
      exact: false,
      rescore: true,
      oversampling: 2,
    });
    expect(() => parseQdrantOptions({ hnsw_ef: 64 })).toThrow(/options.qdrant.hnsw_ef/);
    expect(() => parseQdrantOptions({ hnswEf: 0, oversampling: 0.5, exact: 'yes' })).toThrow(
      /hnswEf.*exact.*oversampling|hnswEf/s,
    );
    expect(() => parseQdrantOptions([])).toThrow(/must be an object/);
  });

  it('reach Qdrant as SearchParams (hnsw_ef, exact, quantization rescore/oversampling); bad or misplaced keys fail before sending', async () => {
    const b = backend();
    await b.ensureIndex({ dimension: 2, metric: 'cosine' });
    await b.upsert({ records: [{ id: 'a', vector: [1, 0] }] });
    queryBodies.length = 0;
    await b.query({
      vector: [1, 0],
      topK: 1,
      options: { qdrant: { hnswEf: 128, rescore: true, oversampling: 2 }, pinecone: { ignored: true } },
    });
    await b.query({ vector: [1, 0], topK: 1, exact: true });
    await b.query({ vector: [1, 0], topK: 1 });
    // Only this test's collection: a delayed query of an earlier test may arrive meanwhile.
    const own = () => queryBodies.filter((q) => q.route.includes(`/collections/${b.indexName}/`));
    expect(own().map((q) => q.params)).toEqual([
      { hnsw_ef: 128, quantization: { rescore: true, oversampling: 2 } },
      { exact: true },
      undefined,
    ]);
    await expect(b.query({ vector: [1, 0], topK: 1, options: { qdrant: { efSearch: 10 } } })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: 'options.qdrant.efSearch' }],
    });
    await expect(
      b.upsert({ records: [{ id: 'b', vector: [0, 1] }], options: { qdrant: { hnswEf: 10 } } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ field: 'options.qdrant.hnswEf' }] });
    expect(own()).toHaveLength(3);
    expect((await b.fetch({ ids: ['b'] })).records.size).toBe(0);
  });
});

describe('registry and QuantumDatabase.migrate', () => {
  it('builds from the seed config {type, host, port, collection_name, dimension}', async () => {
    const registry = new PluginRegistry<VectorBackend>('vector backend');
    registerQdrant(registry);
    const { port, hostname } = new URL(url);
    const config = {
      type: 'qdrant',
      host: hostname,
      port: Number(port),
      apiKey: API_KEY,
      https: false,
      collection_name: `seed-${++n}`,
      dimension: 4,
      metadata_config: { indexed: ['category'] },
    };
    expect(qdrantOptionsFromConfig(config as never)).toMatchObject({ indexedFields: ['category'] });
    const b = (await registry.create(config)) as QdrantBackend;
    expect(b.type).toBe('qdrant');
    expect(b.endpoint).toBe(`http://${hostname}:${port}`);
    await b.ensureIndex({ dimension: 4, metric: 'cosine' });
    expect((await raw.getCollection(config.collection_name)).payload_schema?.['metadata.category']).toBeDefined();
    await b.close();
  });

  it('migrates into Qdrant and out again, keeping vectors, metadata and the quantum state', async () => {
    const source = new MemoryBackend({ indexName: 'mem-src' });
    const db = await QuantumDatabase.open({ backend: source, dimension: 4 });
    await db.batchInsert({
      records: Array.from({ length: 40 }, (_, i) => ({
        id: `m${i}`,
        vector: [1, i / 7, -i / 3, 0.5],
        metadata: { i, tag: i % 2 ? 'odd' : 'even' },
        contexts: { a: 1, b: i + 1 },
      })),
    });
    await db.batchInsert({ records: [{ id: 'other', vector: [0, 1, 0, 0] }], namespace: 'ns2' });
    const qdrant = backend();
    const into = await QuantumDatabase.migrate({ from: source, to: qdrant, batchSize: 16 });
    expect(into).toEqual({ migrated: 41, byNamespace: { '': 40, ns2: 1 } });
    const back = new MemoryBackend({ indexName: 'mem-back' });
    const out = await QuantumDatabase.migrate({ from: qdrant, to: back, batchSize: 7 });
    expect(out).toEqual(into);
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const a = (await source.fetch({ ids })).records;
    const c = (await back.fetch({ ids })).records;
    for (const id of ids) {
      expect([...(c.get(id)?.vector ?? [])]).toEqual([...(a.get(id)?.vector ?? [])]);
      expect(c.get(id)?.metadata).toEqual(a.get(id)?.metadata);
    }
    const reopened = await QuantumDatabase.open({ backend: qdrant, dimension: 4 });
    expect((await reopened.fetch({ ids: ['m3'] })).get('m3')?.contexts?.b).toBeCloseTo(4 / 5, 12);
    await db.close();
    await back.close();
  });
});
