import { Pinecone } from '@pinecone-database/pinecone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specOf } from './emulator-test-kit.js';
import { PineconeEmulator } from './index.js';

const API_KEY = 'pc-test-key-0123456789';

let emulator: PineconeEmulator;
let pc: Pinecone;

beforeAll(async () => {
  emulator = new PineconeEmulator({ apiKey: API_KEY });
  await emulator.start();
  pc = new Pinecone({ apiKey: API_KEY, controllerHostUrl: emulator.url, maxRetries: 0 });
});

afterAll(async () => {
  await emulator.stop();
});

describe('control plane through the official client', () => {
  it('creates a serverless index, waits until ready, describes, lists and deletes it', async () => {
    const created = await pc.createIndex({
      name: 'lifecycle',
      dimension: 4,
      metric: 'euclidean',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      waitUntilReady: true,
    });
    expect(created?.status?.ready).toBe(true);
    const model = await pc.describeIndex('lifecycle');
    expect(model).toMatchObject({ name: 'lifecycle', dimension: 4, metric: 'euclidean', vectorType: 'dense' });
    expect(model.host).toBe(emulator.hostOf('lifecycle'));
    expect(specOf(model).serverless).toMatchObject({ cloud: 'aws', region: 'us-east-1' });
    const list = await pc.listIndexes();
    expect(list.indexes?.map((i) => i.name)).toContain('lifecycle');
    await pc.deleteIndex('lifecycle');
    await expect(pc.describeIndex('lifecycle')).rejects.toMatchObject({ name: 'PineconeNotFoundError' });
    expect((await pc.listIndexes()).indexes?.map((i) => i.name)).not.toContain('lifecycle');
  });

  it('creates a pod-based index with metadata_config and reports its spec', async () => {
    await pc.createIndex({
      name: 'pods',
      dimension: 3,
      metric: 'dotproduct',
      spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x1', pods: 1, metadataConfig: { indexed: ['genre'] } } },
    });
    const model = await pc.describeIndex('pods');
    expect(specOf(model).pod).toMatchObject({
      environment: 'us-east1-gcp',
      podType: 'p1.x1',
      pods: 1,
      metadataConfig: { indexed: ['genre'] },
    });
    await pc.deleteIndex('pods');
  });
});

describe('data plane through the official client', () => {
  beforeAll(async () => {
    await pc.createIndex({
      name: 'data',
      dimension: 3,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      waitUntilReady: true,
    });
  });

  it('upserts, fetches, queries, updates, lists, counts and deletes', async () => {
    const index = pc.index({ name: 'data' }).namespace('ns1');
    await index.upsert({
      records: [
        { id: 'a', values: [1, 0, 0], metadata: { genre: 'drama', year: 2019 } },
        { id: 'b', values: [0, 1, 0], metadata: { genre: 'comedy', year: 2020 } },
        { id: 'c', values: [2, 2, 0], metadata: { genre: 'drama', tags: ['x', 'y'] } },
      ],
    });
    const fetched = await index.fetch({ ids: ['a', 'c', 'missing'] });
    expect(Object.keys(fetched.records).sort()).toEqual(['a', 'c']);
    expect(fetched.records.a?.values).toEqual([1, 0, 0]);
    expect(fetched.records.c?.metadata).toEqual({ genre: 'drama', tags: ['x', 'y'] });

    const q = await index.query({ vector: [1, 0.1, 0], topK: 2, includeMetadata: true });
    expect(q.matches.map((m) => m.id)).toEqual(['a', 'c']);
    expect(q.matches[0]?.score).toBeCloseTo(1 / Math.sqrt(1.01), 5);
    expect(q.matches[0]?.metadata).toEqual({ genre: 'drama', year: 2019 });
    expect(q.matches[0]?.values).toBeUndefined();

    const filtered = await index.query({ vector: [1, 0, 0], topK: 10, filter: { genre: { $eq: 'comedy' } } });
    expect(filtered.matches.map((m) => m.id)).toEqual(['b']);

    await index.update({ id: 'b', metadata: { year: 2021 } });
    expect((await index.fetch({ ids: ['b'] })).records.b?.metadata).toEqual({ genre: 'comedy', year: 2021 });

    const page1 = await index.listPaginated({ limit: 2 });
    expect(page1.vectors?.map((v) => v.id)).toEqual(['a', 'b']);
    expect(page1.pagination?.next).toBeTypeOf('string');
    const page2 = await index.listPaginated({ limit: 2, paginationToken: page1.pagination?.next });
    expect(page2.vectors?.map((v) => v.id)).toEqual(['c']);
    expect(page2.pagination).toBeUndefined();

    const stats = await index.describeIndexStats();
    expect(stats.namespaces?.ns1?.recordCount).toBe(3);
    expect(stats.dimension).toBe(3);

    await index.deleteMany({ ids: ['a'] });
    await index.deleteMany({ filter: { genre: { $eq: 'drama' } } });
    expect(Object.keys((await index.fetch({ ids: ['a', 'b', 'c'] })).records)).toEqual(['b']);
    await index.deleteAll();
    expect((await index.describeIndexStats()).totalRecordCount).toBe(0);
  });

  it('requires the Api-Key on both planes', async () => {
    const wrong = new Pinecone({ apiKey: 'not-the-key', controllerHostUrl: emulator.url, maxRetries: 0 });
    await expect(wrong.listIndexes()).rejects.toMatchObject({ name: 'PineconeAuthorizationError' });
    const res = await fetch(`${emulator.hostOf('data')}/describe_index_stats`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 16, message: 'Invalid API Key', details: [] });
    const control = await fetch(`${emulator.url}/indexes`);
    expect(control.status).toBe(401);
    expect(await control.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'Invalid API Key' },
      status: 401,
    });
  });
});
