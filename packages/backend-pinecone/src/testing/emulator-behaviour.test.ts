import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, refusal, serverless, specOf, startHarness } from './emulator-test-kit.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.emulator.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function makeIndex(name: string, metric: 'cosine' | 'euclidean' | 'dotproduct' = 'cosine', dimension = 2) {
  await h.pc.createIndex({ name, dimension, metric, spec: serverless, waitUntilReady: true });
  return h.pc.index({ name });
}

describe('scores and ordering', () => {
  const data = [
    { id: 'near', values: [1, 1] },
    { id: 'far', values: [4, 0] },
    { id: 'long', values: [10, 10] },
  ];

  it('euclidean reports the SQUARED distance, most similar (smallest) first', async () => {
    const index = await makeIndex('euc', 'euclidean');
    await index.upsert({ records: data });
    const { matches } = await index.query({ vector: [1, 0], topK: 3 });
    expect(matches.map((m) => [m.id, m.score])).toEqual([
      ['near', 1],
      ['far', 9],
      ['long', 181],
    ]);
  });

  it('dotproduct reports the raw dot product of the stored (unnormalised) vectors', async () => {
    const index = await makeIndex('dot', 'dotproduct');
    await index.upsert({ records: data });
    const { matches } = await index.query({ vector: [1, 0], topK: 3 });
    expect(matches.map((m) => [m.id, m.score])).toEqual([
      ['long', 10],
      ['far', 4],
      ['near', 1],
    ]);
  });

  it('cosine reports the cosine similarity and stores vectors as given', async () => {
    const index = await makeIndex('cos', 'cosine');
    await index.upsert({ records: data });
    const { matches } = await index.query({ vector: [1, 0], topK: 3, includeValues: true });
    expect(matches[0]).toMatchObject({ id: 'far', score: 1, values: [4, 0] });
    expect(matches[1]?.score).toBeCloseTo(Math.SQRT1_2, 6);
    expect(matches[1]?.id).toBe('long'); // ties broken by id
    expect((await index.fetch({ ids: ['long'] })).records.long?.values).toEqual([10, 10]);
  });

  it('a small topK gives the head of a large one (ties by id), for every metric', async () => {
    for (const metric of ['cosine', 'euclidean', 'dotproduct'] as const) {
      const index = await makeIndex(`head-${metric}`, metric);
      // Few distinct vectors, so that many scores tie.
      const recs = Array.from({ length: 400 }, (_, i) => ({
        id: `id${(i * 7919) % 400}`,
        values: [1 + (i % 5), (i % 3) + 0.5],
      }));
      await index.upsert({ records: recs });
      const big = await index.query({ vector: [1, 0.5], topK: 300 });
      const small = await index.query({ vector: [1, 0.5], topK: 25 });
      expect(small.matches.map((m) => m.id)).toEqual(big.matches.slice(0, 25).map((m) => m.id));
    }
  });

  it('lists ids in UTF-8 byte order', async () => {
    const index = await makeIndex('utf8');
    const ids = ['\u{1F600}', '\uFFFD', 'é', 'z', 'a'];
    await index.upsert({ records: ids.map((id) => ({ id, values: [1, 0] })) });
    const listed = (await index.listPaginated()).vectors?.map((v) => v.id);
    expect(listed).toEqual(['a', 'z', 'é', '\uFFFD', '\u{1F600}']);
  });

  it('queries by the id of a stored record', async () => {
    const index = await makeIndex('byid', 'euclidean');
    await index.upsert({ records: data });
    const { matches } = await index.query({ id: 'near', topK: 2 });
    expect(matches.map((m) => m.id)).toEqual(['near', 'far']);
    expect((await index.query({ id: 'unknown', topK: 2 })).matches).toEqual([]);
  });
});

describe('update, delete and namespaces', () => {
  it('update merges metadata, replaces values, and by filter reports matchedRecords', async () => {
    const index = await makeIndex('upd');
    await index.upsert({
      records: [
        { id: 'a', values: [1, 0], metadata: { g: 'x', n: 1 } },
        { id: 'b', values: [0, 1], metadata: { g: 'x' } },
        { id: 'c', values: [1, 1], metadata: { g: 'y' } },
      ],
    });
    await index.update({ id: 'a', values: [0, 2], metadata: { n: 2, extra: true } });
    const a = (await index.fetch({ ids: ['a'] })).records.a;
    expect(a).toMatchObject({ values: [0, 2], metadata: { g: 'x', n: 2, extra: true } });
    const res = await fetch(`${h.emulator.hostOf('upd')}/vectors/update`, {
      method: 'POST',
      headers: { 'Api-Key': h.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { g: { $eq: 'x' } }, setMetadata: { tagged: 'yes' } }),
    });
    expect(await res.json()).toEqual({ matchedRecords: 2 });
    const dry = await fetch(`${h.emulator.hostOf('upd')}/vectors/update`, {
      method: 'POST',
      headers: { 'Api-Key': h.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { g: { $eq: 'y' } }, setMetadata: { tagged: 'dry' }, dryRun: true }),
    });
    expect(await dry.json()).toEqual({ matchedRecords: 1 });
    const all = (await index.fetch({ ids: ['a', 'b', 'c'] })).records;
    expect([all.a?.metadata?.tagged, all.b?.metadata?.tagged, all.c?.metadata?.tagged]).toEqual([
      'yes',
      'yes',
      undefined,
    ]);
    // An update of a missing id in a serverless index is accepted and changes nothing.
    await index.update({ id: 'ghost', metadata: { g: 'z' } });
    expect((await index.fetch({ ids: ['ghost'] })).records).toEqual({});
  });

  it('filters with Pinecone semantics: $ne does not match a record without the field', async () => {
    const index = await makeIndex('sem');
    await index.upsert({
      records: [
        { id: 'has', values: [1, 0], metadata: { g: 'a' } },
        { id: 'other', values: [1, 0], metadata: { g: 'b' } },
        { id: 'none', values: [1, 0] },
        { id: 'list', values: [1, 0], metadata: { g: ['a', 'c'] } },
      ],
    });
    const ids = async (filter: object) =>
      (await index.query({ vector: [1, 0], topK: 10, filter })).matches.map((m) => m.id).sort();
    expect(await ids({ g: { $ne: 'a' } })).toEqual(['other']);
    expect(await ids({ g: { $eq: 'a' } })).toEqual(['has', 'list']);
    expect(await ids({ g: { $exists: false } })).toEqual(['none']);
  });

  it('fetches by metadata, paginated by id', async () => {
    const index = await makeIndex('fbm');
    await index.upsert({
      records: ['d', 'a', 'c', 'b', 'e'].map((id, i) => ({ id, values: [1, i], metadata: { even: i % 2 === 0 } })),
    });
    const first = await index.fetchByMetadata({ filter: { even: { $eq: true } }, limit: 2 });
    expect(Object.keys(first.records)).toEqual(['c', 'd']);
    expect(first.records.c?.metadata).toEqual({ even: true });
    const second = await index.fetchByMetadata({
      filter: { even: { $eq: true } },
      limit: 2,
      paginationToken: first.pagination?.next,
    });
    expect(Object.keys(second.records)).toEqual(['e']);
    expect(second.pagination).toBeUndefined();
  });

  it('deleteAll in a namespace never written answers 404 Namespace not found', async () => {
    const index = await makeIndex('nsdel');
    const r = await refusal(h, () => index.namespace('never').deleteAll());
    expect(r).toMatchObject({ status: 404, code: 5, message: 'Namespace not found', wellFormed: true });
  });

  it('namespaces are separate, listed, described, created and deleted', async () => {
    const index = await makeIndex('ns');
    await index.namespace('one').upsert({ records: [{ id: 'a', values: [1, 0] }] });
    await index.namespace('two').upsert({
      records: [
        { id: 'a', values: [0, 1] },
        { id: 'b', values: [1, 1] },
      ],
    });
    expect((await index.namespace('one').fetch({ ids: ['a'] })).records.a?.values).toEqual([1, 0]);
    const stats = await index.describeIndexStats();
    expect(stats.namespaces).toEqual({ one: { recordCount: 1 }, two: { recordCount: 2 } });
    expect(stats.totalRecordCount).toBe(3);
    await index.createNamespace({ name: 'three' });
    const created = await refusal(h, () => index.createNamespace({ name: 'three' }));
    expect(created).toMatchObject({ status: 409, code: 6 });
    const listed = await index.listNamespaces();
    expect(listed.namespaces?.map((n) => [n.name, n.recordCount])).toEqual([
      ['one', 1],
      ['three', 0],
      ['two', 2],
    ]);
    expect((await index.describeNamespace('two')).recordCount).toBe(2);
    await index.deleteNamespace('two');
    expect((await index.describeIndexStats()).totalRecordCount).toBe(1);
    expect(await refusal(h, () => index.describeNamespace('two'))).toMatchObject({ status: 404 });
  });

  it('pod-based indexes refuse list and namespace operations but filter stats', async () => {
    await h.pc.createIndex({
      name: 'pod',
      dimension: 2,
      spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x1', pods: 1 } },
      waitUntilReady: true,
    });
    const index = h.pc.index({ name: 'pod' });
    await index.upsert({
      records: [
        { id: 'a', values: [1, 0], metadata: { g: 'x' } },
        { id: 'b', values: [0, 1], metadata: { g: 'y' } },
      ],
    });
    expect(await refusal(h, () => index.listPaginated())).toMatchObject({ status: 400, code: 3 });
    const stats = await index.describeIndexStats({ filter: { g: { $eq: 'x' } } });
    expect(stats.namespaces?.__default__?.recordCount).toBe(1);
    expect(stats.totalRecordCount).toBe(2);
    const r = await refusal(h, () => index.update({ id: 'ghost', metadata: { g: 'z' } }));
    expect(r).toMatchObject({ status: 404, code: 5 });
  });

  it('pod-based indexes with metadata_config.indexed filter on the indexed fields only', async () => {
    await h.pc.createIndex({
      name: 'podidx',
      dimension: 2,
      spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x1', metadataConfig: { indexed: ['g'] } } },
    });
    const index = h.pc.index({ name: 'podidx' });
    await index.upsert({ records: [{ id: 'a', values: [1, 0], metadata: { g: 'x', other: 'y' } }] });
    const ids = async (filter: object) =>
      (await index.query({ vector: [1, 0], topK: 5, filter })).matches.map((m) => m.id);
    expect(await ids({ g: 'x' })).toEqual(['a']);
    expect(await ids({ other: 'y' })).toEqual([]);
    // The unindexed field is still stored and returned.
    expect((await index.fetch({ ids: ['a'] })).records.a?.metadata).toEqual({ g: 'x', other: 'y' });
  });

  it('serverless indexes refuse stats with a filter', async () => {
    const index = await makeIndex('slstats');
    const r = await refusal(h, () => index.describeIndexStats({ filter: { g: { $eq: 'x' } } }));
    expect(r).toMatchObject({ status: 400, code: 3 });
    expect(r.message).toMatch(/do not support describing index stats with metadata filtering/);
  });
});

describe('index lifecycle', () => {
  it('is Initializing until the ready delay has passed; its data plane answers 503 meanwhile', async () => {
    h.emulator.indexReadyDelayMs = 150;
    const created = await h.pc.createIndex({ name: 'slow', dimension: 2, spec: serverless });
    expect(created?.status).toEqual({ ready: false, state: 'Initializing' });
    expect((await h.pc.describeIndex('slow')).status).toEqual({ ready: false, state: 'Initializing' });
    const index = h.pc.index({ host: h.emulator.hostOf('slow') });
    expect(await refusal(h, () => index.describeIndexStats())).toMatchObject({ status: 503, code: 14 });
    await sleep(160);
    expect((await h.pc.describeIndex('slow')).status).toEqual({ ready: true, state: 'Ready' });
    expect((await index.describeIndexStats()).totalRecordCount).toBe(0);
  });

  it('a deleted index stays Terminating, its name taken, for the delete delay', async () => {
    await makeIndex('going');
    h.emulator.indexDeleteDelayMs = 150;
    await h.pc.deleteIndex('going');
    expect((await h.pc.describeIndex('going')).status).toEqual({ ready: false, state: 'Terminating' });
    expect(await refusal(h, () => h.pc.createIndex({ name: 'going', dimension: 2, spec: serverless }))).toMatchObject({
      status: 409,
      code: 'ALREADY_EXISTS',
    });
    expect(await refusal(h, () => h.pc.index({ name: 'going' }).describeIndexStats())).toMatchObject({ status: 404 });
    await sleep(160);
    expect(await refusal(h, () => h.pc.describeIndex('going'))).toMatchObject({ status: 404 });
    await h.pc.createIndex({ name: 'going', dimension: 2, spec: serverless });
  });

  it('configures pod replicas and pod type', async () => {
    await h.pc.createIndex({
      name: 'cfg',
      dimension: 2,
      spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x1', pods: 1 } },
    });
    const model = await h.pc.configureIndex({ name: 'cfg', podReplicas: 2, podType: 'p1.x2' });
    expect(specOf(model).pod).toMatchObject({ replicas: 2, podType: 'p1.x2' });
  });
});

describe('eventual consistency', () => {
  it('writes become visible to fetch, query, list and stats only after the visibility delay', async () => {
    const index = await makeIndex('ec');
    h.emulator.visibilityDelayMs = 200;
    const res = await index.upsert({ records: [{ id: 'late', values: [1, 0] }] });
    void res;
    expect((await index.fetch({ ids: ['late'] })).records).toEqual({});
    expect((await index.query({ vector: [1, 0], topK: 1 })).matches).toEqual([]);
    expect((await index.listPaginated()).vectors).toEqual([]);
    expect((await index.describeIndexStats()).totalRecordCount).toBe(0);
    expect(h.emulator.pendingWrites('ec')).toBe(1);
    await sleep(220);
    expect(Object.keys((await index.fetch({ ids: ['late'] })).records)).toEqual(['late']);
    expect((await index.describeIndexStats()).totalRecordCount).toBe(1);
    expect(h.emulator.pendingWrites()).toBe(0);
  });

  it('applies delayed writes in order, and settle() makes them visible at once', async () => {
    const index = await makeIndex('order');
    h.emulator.visibilityDelayMs = 60_000;
    await index.upsert({ records: [{ id: 'a', values: [1, 0], metadata: { v: 1 } }] });
    await index.update({ id: 'a', metadata: { v: 2 } });
    await index.deleteMany({ ids: ['a'] });
    await index.upsert({ records: [{ id: 'a', values: [0, 1], metadata: { v: 3 } }] });
    expect((await index.fetch({ ids: ['a'] })).records).toEqual({});
    h.emulator.settle('order');
    expect((await index.fetch({ ids: ['a'] })).records.a).toMatchObject({ values: [0, 1], metadata: { v: 3 } });
  });
});

describe('faults, throttling and request counts', () => {
  it('throttles with 429 and Retry-After in the data-plane body', async () => {
    const index = await makeIndex('thr');
    h.emulator.throttle({ match: /^POST \/query$/, retryAfterSeconds: 7 });
    const r = await refusal(h, () => index.query({ vector: [1, 0], topK: 1 }));
    expect(r).toMatchObject({ status: 429, code: 8, retryAfter: '7', wellFormed: true });
    expect((await index.query({ vector: [1, 0], topK: 1 })).matches).toEqual([]);
  });

  it('throttles the control plane with its own body shape', async () => {
    h.emulator.throttle({ match: /^GET \/indexes$/ });
    const r = await refusal(h, () => h.pc.listIndexes());
    expect(r).toMatchObject({ status: 429, code: 'RESOURCE_EXHAUSTED', retryAfter: '1', wellFormed: true });
  });

  it('enforces a request-per-second limit per operation and namespace', async () => {
    const index = await makeIndex('rps');
    h.emulator.maxRequestsPerSecond = 2;
    await index.query({ vector: [1, 0], topK: 1 });
    await index.query({ vector: [1, 0], topK: 1 });
    const r = await refusal(h, () => index.query({ vector: [1, 0], topK: 1 }));
    expect(r).toMatchObject({ status: 429, code: 8, retryAfter: '1' });
    expect(r.message).toMatch(/max query requests per second limit \(2\) for namespace '__default__'/);
    // Another namespace has its own budget.
    await index.namespace('other').query({ vector: [1, 0], topK: 1 });
  });

  it('injects 5xx faults that the client retries, and counts every request', async () => {
    const index = await makeIndex('flt');
    h.emulator.resetCounts();
    h.emulator.injectFault({ kind: 'status', status: 503, match: /^POST \/vectors\/upsert$/ });
    const retrying = h.client({ maxRetries: 2 }).index({ name: 'flt' });
    await retrying.upsert({ records: [{ id: 'a', values: [1, 0] }] });
    expect(h.emulator.count(/^POST \/vectors\/upsert$/)).toBe(2);
    expect(h.emulator.requests.filter((r) => r.route === 'POST /vectors/upsert').map((r) => r.status)).toEqual([
      503, 200,
    ]);
    h.emulator.injectFault({ kind: 'status', status: 500, times: 2 });
    expect(await refusal(h, () => index.fetch({ ids: ['a'] }))).toMatchObject({ status: 500, code: 13 });
    expect(await refusal(h, () => h.pc.describeIndex('flt'))).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(h.emulator.pendingFaults).toBe(0);
    expect(h.emulator.requests.at(-1)).toMatchObject({ route: 'GET /indexes/{name}', index: 'flt', status: 500 });
    expect(h.emulator.requests.find((r) => r.route === 'GET /vectors/fetch')?.apiVersion).toBe('2026-04');
  });

  it('slows and drops requests', async () => {
    const index = await makeIndex('slowdrop');
    h.emulator.injectFault({ kind: 'delay', delayMs: 120, match: /fetch/ });
    const started = performance.now();
    await index.fetch({ ids: ['a'] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    h.emulator.injectFault({ kind: 'drop', match: /fetch/ });
    await expect(index.fetch({ ids: ['a'] })).rejects.toMatchObject({ name: 'PineconeConnectionError' });
  });

  it('keeps its API key out of inspect, JSON and the request log', async () => {
    await makeIndex('secret');
    await h.pc.index({ name: 'secret' }).describeIndexStats();
    expect(inspect(h.emulator, { depth: 5 })).not.toContain(h.apiKey);
    expect(JSON.stringify(h.emulator)).not.toContain(h.apiKey);
    expect(JSON.stringify(h.emulator.requests)).not.toContain(h.apiKey);
  });

  it('refuses a missing Api-Key before anything else and counts it', async () => {
    h.emulator.resetCounts();
    const res = await fetch(`${h.emulator.url}/indexes`, { headers: { 'Api-Key': '' } });
    expect(res.status).toBe(401);
    expect(h.emulator.count(/^GET \/indexes$/)).toBe(1);
    const wrong = h.client({ apiKey: 'wrong' });
    expect(await refusal(h, () => wrong.describeIndex('x'))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
      clientError: 'PineconeAuthorizationError',
    });
  });
});
