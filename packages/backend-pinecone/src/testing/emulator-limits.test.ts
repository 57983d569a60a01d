import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, records, refusal, serverless, startHarness, vector } from './emulator-test-kit.js';
import { PINECONE_LIMITS } from './index.js';

let h: Harness;
const DIM = 8;

beforeAll(async () => {
  h = await startHarness({ maxServerlessIndexes: 3, maxPods: 2 });
  await h.pc.createIndex({ name: 'limits', dimension: DIM, metric: 'cosine', spec: serverless, waitUntilReady: true });
});

afterAll(async () => {
  await h.emulator.stop();
});

const index = () => h.pc.index({ name: 'limits' });
const invalid = { status: 400, code: 3, wellFormed: true };

describe('upsert limits', () => {
  it('accepts exactly 1,000 records and refuses 1,001', async () => {
    await index().upsert({ records: records(1000, DIM) });
    expect((await index().describeIndexStats()).totalRecordCount).toBe(1000);
    const r = await refusal(h, () => index().upsert({ records: records(1001, DIM, 'x') }));
    expect(r).toMatchObject({ ...invalid, clientError: 'PineconeBadRequestError' });
    expect(r.message).toMatch(/1001 vectors, which exceeds the maximum of 1000/);
    // Nothing of the refused request was written.
    expect(Object.keys((await index().fetch({ ids: ['x0000'] })).records)).toEqual([]);
  });

  it('refuses a request body over 2 MB', async () => {
    const big = records(60, DIM, 'big', () => ({ text: 'x'.repeat(39_000) }));
    const bytes = Buffer.byteLength(JSON.stringify({ vectors: big, namespace: '' }));
    expect(bytes).toBeGreaterThan(PINECONE_LIMITS.maxUpsertBytes);
    const r = await refusal(h, () => index().upsert({ records: big }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/^Request size \dMB exceeds the maximum supported size of 2MB$/);
    // Just under the limit is accepted.
    await index().upsert({ records: big.slice(0, 50) });
  });

  it('refuses metadata over 40 KB per record, and accepts 40,960 bytes exactly', async () => {
    const overhead = Buffer.byteLength(JSON.stringify({ t: '' }));
    const exact = { t: 'y'.repeat(PINECONE_LIMITS.maxMetadataBytes - overhead) };
    await index().upsert({ records: [{ id: 'meta-ok', values: vector(DIM), metadata: exact }] });
    const over = { t: 'y'.repeat(PINECONE_LIMITS.maxMetadataBytes - overhead + 1) };
    const r = await refusal(h, () =>
      index().upsert({ records: [{ id: 'meta-big', values: vector(DIM), metadata: over }] }),
    );
    expect(r).toMatchObject(invalid);
    expect(r.message).toBe('Metadata size is 40961 bytes, which exceeds the limit of 40960 bytes per vector');
  });

  it.each([
    ['null', { a: null }, "got 'null' for field 'a'"],
    ['a nested object', { a: { b: 1 } }, "got 'object' for field 'a'"],
    ['a list of numbers', { a: [1, 2] }, "got 'list containing a non-string' for field 'a'"],
  ])('refuses a metadata value that is %s', async (_, metadata, message) => {
    const r = await refusal(h, () =>
      index().upsert({
        records: [{ id: 'bad-meta', values: vector(DIM), metadata: metadata as never }],
      }),
    );
    expect(r).toMatchObject(invalid);
    expect(r.message).toContain(message);
  });

  it('refuses the whole request when one record is bad, writing none of it', async () => {
    const ok = { id: 'whole-1', values: vector(DIM) };
    const bad = { id: 'whole-2', values: vector(DIM), metadata: { a: null } };
    await refusal(h, () => index().upsert({ records: [ok, bad as never] }));
    expect((await index().fetch({ ids: ['whole-1'] })).records).toEqual({});
  });

  it('accepts strings, numbers, booleans and lists of strings as metadata values', async () => {
    const metadata = { s: 'x', n: 1.5, b: false, l: ['p', 'q'] };
    await index().upsert({ records: [{ id: 'meta-types', values: vector(DIM), metadata }] });
    expect((await index().fetch({ ids: ['meta-types'] })).records['meta-types']?.metadata).toEqual(metadata);
  });

  it('refuses a dimension mismatch on upsert and on query', async () => {
    const r = await refusal(h, () => index().upsert({ records: [{ id: 'd', values: [1, 2, 3] }] }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toBe(`Vector dimension 3 does not match the dimension of the index ${DIM}`);
    const q = await refusal(h, () => index().query({ vector: [1, 2], topK: 1 }));
    expect(q).toMatchObject(invalid);
    expect(q.message).toBe(`Query vector dimension 2 does not match the dimension of the index ${DIM}`);
  });

  it('refuses an all-zero dense vector', async () => {
    const r = await refusal(h, () => index().upsert({ records: [{ id: 'z', values: new Array(DIM).fill(0) }] }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/at least one non-zero value/);
  });

  it('accepts a 512-character id and refuses 513', async () => {
    const values = vector(DIM);
    await index().upsert({ records: [{ id: 'i'.repeat(512), values }] });
    const r = await refusal(h, () => index().upsert({ records: [{ id: 'i'.repeat(513), values }] }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/id length 513 exceeds the maximum of 512/);
  });

  it('refuses a namespace name over 512 characters', async () => {
    const values = vector(DIM);
    const r = await refusal(h, () =>
      index()
        .namespace('n'.repeat(513))
        .upsert({ records: [{ id: 'a', values }] }),
    );
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/Namespace name length 513 exceeds the maximum of 512/);
  });
});

describe('fetch, delete and query limits', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${String(i).padStart(4, '0')}`);

  it('fetches 1,000 ids and refuses 1,001', async () => {
    const ok = await index().fetch({ ids: ids(1000) });
    expect(Object.keys(ok.records)).toHaveLength(1000);
    const r = await refusal(h, () => index().fetch({ ids: ids(1001) }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/1001 IDs, which exceeds the maximum of 1000/);
  });

  it('refuses to delete 1,001 ids and deletes nothing', async () => {
    const r = await refusal(h, () => index().deleteMany({ ids: ids(1001) }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/1001 IDs, which exceeds the maximum of 1000/);
    expect(Object.keys((await index().fetch({ ids: ['r0000'] })).records)).toEqual(['r0000']);
  });

  it('allows topK 10,000 without data and refuses 10,001', async () => {
    const q = vector(DIM);
    const ok = await index().query({ vector: q, topK: 10_000 });
    expect(ok.matches.length).toBeGreaterThan(1000);
    const r = await refusal(h, () => index().query({ vector: q, topK: 10_001 }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/topK 10001 exceeds the maximum of 10000/);
  });

  it('limits topK to 1,000 with includeValues or includeMetadata', async () => {
    const q = vector(DIM);
    expect((await index().query({ vector: q, topK: 1000, includeMetadata: true })).matches).toHaveLength(1000);
    for (const extra of [{ includeMetadata: true }, { includeValues: true }]) {
      const r = await refusal(h, () => index().query({ vector: q, topK: 1001, ...extra }));
      expect(r).toMatchObject(invalid);
      expect(r.message).toMatch(/topK 1001 exceeds the maximum of 1000 when includeValues or includeMetadata/);
    }
  });

  it('refuses a query result over 4 MB, and answers under it', async () => {
    const ns = index().namespace('wide');
    const all = records(180, DIM, 'w', () => ({ text: 'm'.repeat(30_000) }));
    for (let i = 0; i < all.length; i += 60) await ns.upsert({ records: all.slice(i, i + 60) });
    const q = vector(DIM);
    expect((await ns.query({ vector: q, topK: 100, includeMetadata: true })).matches).toHaveLength(100);
    const r = await refusal(h, () => ns.query({ vector: q, topK: 180, includeMetadata: true }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/exceeds the maximum query result size of 4MB/);
    // Without metadata the same query is small.
    expect((await ns.query({ vector: q, topK: 180 })).matches).toHaveLength(180);
  });

  it('refuses a filter Pinecone refuses, with its message', async () => {
    const q = vector(DIM);
    const r = await refusal(h, () => index().query({ vector: q, topK: 1, filter: { a: { $regex: 'x' } } }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/unknown operator \$regex/);
  });
});

describe('list limits', () => {
  it('accepts limit 100, refuses 101, and refuses a forged pagination token', async () => {
    const page = await index().listPaginated({ limit: 100 });
    expect(page.vectors).toHaveLength(100);
    expect(page.pagination?.next).toBeTypeOf('string');
    const r = await refusal(h, () => index().listPaginated({ limit: 101 }));
    expect(r).toMatchObject(invalid);
    expect(r.message).toMatch(/limit must be between 1 and 100/);
    const t = await refusal(h, () => index().listPaginated({ paginationToken: 'bm90LWEtdG9rZW4=' }));
    expect(t).toMatchObject(invalid);
    expect(t.message).toBe('Invalid pagination token');
    // A token from another prefix is refused too.
    const other = await refusal(h, () =>
      index().listPaginated({ prefix: 'big', paginationToken: page.pagination?.next }),
    );
    expect(other.status).toBe(400);
  });

  it('pages through every id once, in bitwise order, with a prefix', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await index().listPaginated({ prefix: 'r00', limit: 7, ...(token && { paginationToken: token }) });
      seen.push(...(page.vectors ?? []).map((v) => v.id as string));
      token = page.pagination?.next;
    } while (token);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(4, '0')}`));
  });
});

describe('control-plane limits', () => {
  it('refuses index names Pinecone refuses', async () => {
    for (const name of ['Upper', 'under_score', '-lead', 'trail-', 'a'.repeat(46), 'dot.ted']) {
      const r = await refusal(h, () => h.pc.createIndex({ name, dimension: 2, spec: serverless }));
      expect(r).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT', wellFormed: true });
      expect(r.message).toMatch(/lower case alphanumeric characters or '-'/);
    }
    await h.pc.createIndex({ name: 'a'.repeat(45), dimension: 2, spec: serverless });
    await h.pc.deleteIndex('a'.repeat(45));
  });

  it('refuses a dimension over 20,000', async () => {
    const r = await refusal(h, () => h.pc.createIndex({ name: 'too-wide', dimension: 20_001, spec: serverless }));
    expect(r).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
  });

  it('answers 409 ALREADY_EXISTS for a taken name', async () => {
    const r = await refusal(h, () => h.pc.createIndex({ name: 'limits', dimension: DIM, spec: serverless }));
    expect(r).toMatchObject({
      status: 409,
      code: 'ALREADY_EXISTS',
      wellFormed: true,
      clientError: 'PineconeConflictError',
    });
  });

  it('answers 403 QUOTA_EXCEEDED past the serverless index quota, naming it', async () => {
    await h.pc.createIndex({ name: 'q1', dimension: 2, spec: serverless });
    await h.pc.createIndex({ name: 'q2', dimension: 2, spec: serverless });
    const r = await refusal(h, () => h.pc.createIndex({ name: 'q3', dimension: 2, spec: serverless }));
    expect(r).toMatchObject({ status: 403, code: 'QUOTA_EXCEEDED', wellFormed: true });
    expect(r.message).toMatch(/max serverless indexes allowed in project .* \(3\)/);
    await h.pc.deleteIndex('q2');
    await h.pc.createIndex({ name: 'q3', dimension: 2, spec: serverless });
    await h.pc.deleteIndex('q1');
    await h.pc.deleteIndex('q3');
  });

  it('answers 403 QUOTA_EXCEEDED past the pod quota', async () => {
    const pod = (pods: number) => ({ pod: { environment: 'us-east1-gcp', podType: 'p1.x1' as const, pods } });
    await h.pc.createIndex({ name: 'p1', dimension: 2, spec: pod(2) });
    const r = await refusal(h, () => h.pc.createIndex({ name: 'p2', dimension: 2, spec: pod(1) }));
    expect(r).toMatchObject({ status: 403, code: 'QUOTA_EXCEEDED' });
    expect(r.message).toMatch(/max pods allowed/);
    await h.pc.deleteIndex('p1');
  });

  it('protects an index from deletion until protection is lifted', async () => {
    await h.pc.createIndex({ name: 'keep', dimension: 2, spec: serverless, deletionProtection: 'enabled' });
    const r = await refusal(h, () => h.pc.deleteIndex('keep'));
    expect(r).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(r.message).toMatch(/Deletion protection is enabled/);
    const model = await h.pc.configureIndex({ name: 'keep', deletionProtection: 'disabled', tags: { team: 'q' } });
    expect(model).toMatchObject({ deletionProtection: 'disabled', tags: { team: 'q' } });
    await h.pc.deleteIndex('keep');
  });

  it('answers 404 NOT_FOUND for an unknown index on both planes', async () => {
    const r = await refusal(h, () => h.pc.describeIndex('nope'));
    expect(r).toMatchObject({ status: 404, code: 'NOT_FOUND', wellFormed: true });
    const d = await refusal(h, () => h.pc.index({ host: h.emulator.hostOf('nope') }).describeIndexStats());
    expect(d).toMatchObject({ status: 404, code: 5, wellFormed: true });
  });
});
