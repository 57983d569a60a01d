import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory-cache.js';
import { QStoreError, ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { MemoryStateStore } from '../stores/memory-stores.js';
import type { JsonValue } from '../stores/stores.js';
import { MemoryBackend } from '../vector/memory-backend.js';
import { QuantumDatabase } from './quantum-database.js';
import type { DiversityProblem } from './tunneling.js';
import { MAX_ANNEALING_STEPS, MAX_TUNNELING_POOL, simulatedAnnealing, simulatedAnnealingAsync } from './tunneling.js';

/** Issue #16: data safety, validation the same everywhere, bounded tunneling. */
async function open(options: Partial<Parameters<typeof QuantumDatabase.open>[0]> = {}) {
  return QuantumDatabase.open({ backend: new MemoryBackend({ indexName: 'hardening' }), dimension: 2, ...options });
}

/** The error a call throws (fails the test when it resolves). */
async function failure(call: () => Promise<unknown>): Promise<QStoreError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(QStoreError);
    return error as QStoreError;
  }
  throw new Error('expected the call to fail');
}

function fields(error: QStoreError): string[] {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((issue) => issue.field);
}

/** A StateStore whose write number `failAt` (counted from 0) fails once; the others succeed. */
class FlakyStateStore extends MemoryStateStore {
  writes = 0;
  failAt = Number.POSITIVE_INFINITY;
  private count(): void {
    if (this.writes++ === this.failAt) throw new Error('state store down');
  }
  override async set<T extends JsonValue>(key: string, value: T, options?: { ttlMs?: number }): Promise<void> {
    this.count();
    return super.set(key, value, options);
  }
  override async update<T extends JsonValue>(key: string, fn: (current: T | undefined) => T | undefined) {
    this.count();
    return super.update(key, fn);
  }
}

async function stateKeys(store: MemoryStateStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys({ prefix: 'qdb/' })) keys.push(key);
  return keys.sort();
}

describe('state keys from record ids', () => {
  const long = (tag: string) => `${tag}${'x'.repeat(511)}`; // 512 characters, the id limit

  it('a 512-character id works in every feature: insert, query, groups, partner moves, correlation, delete', async () => {
    const db = await open({ namespace: 'a-namespace-of-sixty-four-characters-0123456789-0123456789-abcd' });
    const [a, b, c] = [long('a'), long('b'), `~${long('c').slice(1)}`];
    await db.batchInsert({ records: [a, b, c].map((id, i) => ({ id, vector: [1, i + 1], metadata: { tag: 'v1' } })) });
    expect((await db.query({ vector: [1, 1], topK: 3 })).matches).toHaveLength(3);
    await db.createEntangledGroup({ groupId: 'g', ids: [a, b, c], correlation: 0.5, propagateKeys: ['tag'] });
    expect((await db.getEntangledPartners(a)).map((p) => p.id).sort()).toEqual([b, c].sort());
    expect(await db.getCorrelation(a, c)).toBe(0.5);
    const moved = await db.update({ id: a, vector: [1, 0], metadata: { tag: 'v2' } });
    expect(moved.partnersUpdated.sort()).toEqual([b, c].sort());
    expect((await db.fetch({ ids: [b] })).get(b)?.metadata).toEqual({ tag: 'v2' });
    await db.delete({ ids: [a] });
    expect((await db.getEntangledPartners(b)).map((p) => p.id)).toEqual([c]);
    await db.delete({ ids: [b] });
    // The group dissolved with one member left: no document mentions the ids any more.
    expect(await db.getEntangledGroup('g')).toBeUndefined();
    expect(await db.getEntangledPartners(c)).toEqual([]);
    expect((await stateKeys(db.stateStore as MemoryStateStore)).filter((k) => k.includes('/member/'))).toEqual([]);
    await db.close();
  });

  it('long ids get distinct, deterministic hashed keys of at most 512 characters', async () => {
    const store = new MemoryStateStore();
    const backend = new MemoryBackend({ indexName: 'hardening' });
    const db = await open({ stateStore: store, backend });
    const ids = [long('a'), long('b'), `~${'y'.repeat(20)}`, `${'z'.repeat(20)}`];
    await db.batchInsert({ records: ids.map((id, i) => ({ id, vector: [1, i + 1] })) });
    await db.createEntangledGroup({ groupId: 'g', ids, correlation: 1 });
    const keys = (await stateKeys(store)).filter((k) => k.includes('/member/'));
    expect(keys).toHaveLength(4);
    for (const key of keys) expect(key.length).toBeLessThanOrEqual(512);
    expect(keys.filter((k) => k.includes('/~')).length).toBe(3); // the long ones and the one starting with ~
    expect(keys).toContain('qdb/hardening/member//zzzzzzzzzzzzzzzzzzzz');
    // Another database on the same store and index finds the same documents.
    const again = await open({ stateStore: store, backend });
    expect((await again.getEntangledPartners(long('a'))).length).toBe(3);
    await db.close();
    await again.close();
  });

  it('createEntangledGroup that fails part-way leaves no group and no member link, and a replaced group keeps its old members on failure', async () => {
    const store = new FlakyStateStore();
    const db = await open({ stateStore: store });
    await db.batchInsert({ records: ['a', 'b', 'c', 'd'].map((id, i) => ({ id, vector: [1, i + 1] })) });
    for (const failAt of [0, 1, 2, 3]) {
      store.writes = 0;
      store.failAt = failAt;
      await expect(db.createEntangledGroup({ groupId: 'g', ids: ['a', 'b', 'c'], correlation: 0.5 })).rejects.toThrow(
        'state store down',
      );
      store.failAt = Number.POSITIVE_INFINITY;
      expect(await db.getEntangledGroup('g')).toBeUndefined();
      expect(await stateKeys(store)).toEqual([]);
    }
    await db.createEntangledGroup({ groupId: 'g', ids: ['a', 'b'], correlation: 0.5 });
    store.writes = 0;
    store.failAt = 1; // the link of 'c' is written, that of 'd' fails
    await expect(db.createEntangledGroup({ groupId: 'g', ids: ['c', 'd'], correlation: 0.9 })).rejects.toThrow();
    store.failAt = Number.POSITIVE_INFINITY;
    expect((await db.getEntangledGroup('g'))?.ids).toEqual(['a', 'b']);
    expect(await db.getEntangledPartners('c')).toEqual([]);
    expect((await db.getEntangledPartners('a')).map((p) => p.id)).toEqual(['b']);
    await db.close();
  });
});

describe('every option type-checked before any work', () => {
  it('a signal that is not an AbortSignal is refused by every call, and nothing is written', async () => {
    const db = await open();
    await db.insert({ id: 'a', vector: [1, 0] });
    await db.insert({ id: 'b', vector: [0, 1] });
    const signal = 'soon' as unknown as AbortSignal;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['insert', () => db.insert({ id: 'c', vector: [1, 1], signal })],
      ['batchInsert', () => db.batchInsert({ records: [{ id: 'c', vector: [1, 1] }], signal })],
      ['update', () => db.update({ id: 'a', vector: [1, 1], signal })],
      ['delete', () => db.delete({ ids: ['a'], signal })],
      ['fetch', () => db.fetch({ ids: ['a'], signal })],
      ['query', () => db.query({ vector: [1, 0], topK: 1, signal })],
      [
        'createEntangledGroup',
        () => db.createEntangledGroup({ groupId: 'g', ids: ['a', 'b'], correlation: 1, signal }),
      ],
      ['getCorrelation', () => db.getCorrelation('a', 'b', { signal })],
      ['applyDecoherence', () => db.applyDecoherence({ signal })],
      ['getStats', () => db.getStats({ signal })],
    ];
    for (const [name, call] of calls) {
      const error = await failure(call);
      expect(error.code, name).toBe('VALIDATION');
      expect(fields(error), name).toContain(
        name === 'getCorrelation' || name === 'applyDecoherence' || name === 'getStats' ? 'options.signal' : 'signal',
      );
    }
    expect([...(await db.fetch({ ids: ['a', 'b', 'c'] })).keys()].sort()).toEqual(['a', 'b']);
    expect((await db.fetch({ ids: ['a'] })).get('a')?.vector).toEqual(Float32Array.from([1, 0]));
    expect(await db.getEntangledGroup('g')).toBeUndefined();
    await db.close();
  });

  it('every public method without its params object, with null records or wrong-typed fields: a VALIDATION error naming the field', async () => {
    const db = await open();
    const none = undefined as never;
    for (const call of [
      () => db.insert(none),
      () => db.batchInsert(none),
      () => db.update(none),
      () => db.delete(none),
      () => db.fetch(none),
      () => db.query(none),
      () => db.createEntangledGroup(none),
      () => db.insert(null as never),
      () => QuantumDatabase.migrate(none),
    ]) {
      const error = await failure(call);
      expect(error.code).toBe('VALIDATION');
      expect(fields(error)).toEqual(['params']);
    }
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => db.batchInsert({ records: null as never }), 'records'],
      [() => db.batchInsert({ records: [null as never] }), 'records[0]'],
      [() => db.batchInsert({ records: [{ id: 'a', vector: [1, 0] }], onProgress: 1 as never }), 'onProgress'],
      [() => db.insert({ id: 'a', vector: [1, 0], namespace: 5 as never }), 'namespace'],
      [() => db.query({ vector: [1, 0], topK: 1, includeMetadata: 'yes' as never }), 'includeMetadata'],
      [() => db.query({ vector: [1, 0], topK: 1, includeVectors: 1 as never }), 'includeVectors'],
      [() => db.query({ vector: [1, 0], topK: 1, options: 'fast' as never }), 'options'],
      [() => db.query({ vector: [1, 0], topK: 1, tunneling: 'yes' as never }), 'tunneling'],
      [() => db.fetch({ ids: 'a' as never }), 'ids'],
      [() => db.update({ id: 'a', options: [] as never }), 'options'],
      [() => db.getEntangledGroup('g', null as never), 'options'],
      [() => db.getEntangledPartners('a', { namespace: 3 as never }), 'options.namespace'],
      [() => db.getCorrelation('a', 'b', { quantum: 'no' as never }), 'options.quantum'],
      [() => QuantumDatabase.migrate({ from: null as never, to: null as never }), 'from'],
    ];
    for (const [call, field] of cases) {
      const error = await failure(call);
      expect(error.code, field).toBe('VALIDATION');
      expect(fields(error), field).toContain(field);
    }
    await db.close();
  });

  it('a wrong dimension on a write is DIMENSION_MISMATCH, with or without a cache', async () => {
    for (const cache of [undefined, new MemoryCache()]) {
      const db = await open(cache ? { cache } : {});
      await db.insert({ id: 'a', vector: [1, 0] });
      for (const call of [
        () => db.insert({ id: 'b', vector: [1, 0, 0] }),
        () =>
          db.batchInsert({
            records: [
              { id: 'b', vector: [1, 0] },
              { id: 'c', vector: [1] },
            ],
          }),
        () => db.update({ id: 'a', vector: [1, 0, 0] }),
        () => db.query({ vector: [1, 0, 0], topK: 1 }),
      ]) {
        const error = await failure(call);
        expect(error.code).toBe('DIMENSION_MISMATCH');
      }
      expect([...(await db.fetch({ ids: ['a', 'b', 'c'] })).keys()]).toEqual(['a']);
      const bad = await failure(() => db.query({ vector: 'ab' as never, topK: 1 }));
      expect([bad.code, fields(bad)]).toEqual(['VALIDATION', ['vector']]);
      await db.close();
    }
  });
});

describe('limits as the user sees them', () => {
  const now = 1_700_000_000_000;
  // The reserved keys of a record without contexts or τ, at this clock.
  const reservedBytes = JSON.stringify({ __qs_t0: now, __qs_expires: Number.MAX_SAFE_INTEGER }).length;

  it('a 512-character id is accepted, 513 refused with the limit', async () => {
    const db = await open({ now: () => now });
    await db.insert({ id: 'i'.repeat(512), vector: [1, 0], contexts: { a: 1 }, coherenceTimeMs: 1000 });
    expect((await db.fetch({ ids: ['i'.repeat(512)] })).size).toBe(1);
    const error = await failure(() => db.insert({ id: 'i'.repeat(513), vector: [1, 0] }));
    expect((error as ValidationError).issues[0]).toMatchObject({ field: 'records[0].id', limit: 512 });
    await db.close();
  });

  it('user metadata may take the backend limit minus the reserved keys, exactly, and the error states that limit', async () => {
    const db = await open({ now: () => now });
    const max = db.backend.capabilities.maxMetadataBytes;
    const allowance = max - reservedBytes + 1;
    const sized = (bytes: number) => ({ text: 'm'.repeat(bytes - '{"text":""}'.length) });
    expect(JSON.stringify(sized(allowance)).length).toBe(allowance);
    await db.insert({ id: 'fits', vector: [1, 0], metadata: sized(allowance) });
    expect((await db.fetch({ ids: ['fits'] })).get('fits')?.metadata).toEqual(sized(allowance));
    const error = await failure(() => db.insert({ id: 'over', vector: [1, 0], metadata: sized(allowance + 1) }));
    expect((error as ValidationError).issues[0]).toMatchObject({ field: 'records[0].metadata', limit: allowance });
    expect(error.message).toContain(`${allowance}`);
    await db.close();
  });
});

describe('prototype names', () => {
  it('a namespace named __proto__ is in stats, swept and migrated', async () => {
    const backend = new MemoryBackend({ indexName: 'proto' });
    const db = await QuantumDatabase.open({ backend, dimension: 2, namespace: '__proto__', now: () => 0 });
    await db.insert({ id: 'a', vector: [1, 0] });
    await db.insert({ id: 'old', vector: [1, 0], lifetimeMs: 10 });
    const stats = await db.getStats();
    expect(Object.keys(stats.namespaces)).toEqual(['__proto__']);
    expect(Object.hasOwn(stats.namespaces, '__proto__')).toBe(true);
    const target = new MemoryBackend({ indexName: 'proto-copy' });
    const copied = await QuantumDatabase.migrate({ from: backend, to: target });
    expect(copied.migrated).toBe(2);
    expect(Object.keys(copied.byNamespace)).toEqual(['__proto__']);
    expect(Object.entries((await target.stats()).namespaces)).toEqual([['__proto__', { recordCount: 2 }]]);
    await db.close();
  });

  it('a namespace named __proto__ survives a MemoryBackend snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qdb-proto-'));
    try {
      const snapshotPath = join(dir, 'index.json');
      const first = new MemoryBackend({ indexName: 'snap', snapshotPath });
      await first.ensureIndex({ dimension: 2, metric: 'cosine' });
      await first.upsert({ records: [{ id: 'a', vector: [1, 0] }], namespace: '__proto__' });
      await first.close();
      const second = new MemoryBackend({ indexName: 'snap', snapshotPath });
      await second.ensureIndex({ dimension: 2, metric: 'cosine' });
      expect(Object.entries((await second.stats()).namespaces)).toEqual([['__proto__', { recordCount: 1 }]]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a context named __proto__ or constructor is kept and queried', async () => {
    const db = await open();
    const contexts = JSON.parse('{"__proto__": 3, "constructor": 1}') as Record<string, number>;
    await db.insert({ id: 'a', vector: [1, 0], contexts });
    const record = (await db.fetch({ ids: ['a'] })).get('a');
    expect(Object.keys(record?.contexts ?? {}).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(record?.contexts, '__proto__')?.value).toBeCloseTo(0.75, 12);
    const found = await db.query({ vector: [1, 0], topK: 1, context: '__proto__' });
    expect(found.matches[0]?.contextProbability).toBeCloseTo(0.75, 12);
    await db.close();
  });

  it('propagateKeys are validated, and an update copies only its own keys', async () => {
    const db = await open();
    await db.batchInsert({ records: ['a', 'b'].map((id, i) => ({ id, vector: [1, i + 1], metadata: { k: id } })) });
    for (const bad of [['__proto__'], ['__qs_t0'], [''], [7], 'k']) {
      const error = await failure(() =>
        db.createEntangledGroup({ groupId: 'g', ids: ['a', 'b'], correlation: 1, propagateKeys: bad as never }),
      );
      expect(error.code).toBe('VALIDATION');
      expect(fields(error)[0]).toMatch(/^propagateKeys/);
    }
    expect(await db.getEntangledGroup('g')).toBeUndefined();
    await db.createEntangledGroup({
      groupId: 'g',
      ids: ['a', 'b'],
      correlation: 0.5,
      propagateKeys: ['constructor', 'toString', 'k'],
    });
    // Metadata without those keys: nothing inherited (Object.prototype.constructor) is copied.
    const result = await db.update({ id: 'a', metadata: { other: 1 } });
    expect(result.partnersUpdated).toEqual([]);
    await db.update({ id: 'a', vector: [1, 3] });
    expect((await db.fetch({ ids: ['b'] })).get('b')?.metadata).toEqual({ k: 'b' });
    await db.close();
  });
});

describe('writes read their input once', () => {
  it('metadata behind a getter is read once; the snapshot is validated and stored', async () => {
    const db = await open();
    let reads = 0;
    const metadata = {
      get tag() {
        reads++;
        return reads === 1 ? 'first' : (Symbol('changed') as never);
      },
    };
    await db.insert({ id: 'a', vector: [1, 0], metadata: metadata as never });
    expect(reads).toBe(1);
    expect((await db.fetch({ ids: ['a'] })).get('a')?.metadata).toEqual({ tag: 'first' });
    reads = 0;
    await db.update({ id: 'a', metadata: metadata as never });
    expect(reads).toBe(1);
    expect((await db.fetch({ ids: ['a'] })).get('a')?.metadata).toEqual({ tag: 'first' });
    await db.close();
  });

  it('inserted counts each id once; the last duplicate wins', async () => {
    const db = await open();
    const progress: number[] = [];
    const result = await db.batchInsert({
      records: [
        { id: 'a', vector: [1, 0], metadata: { v: 1 } },
        { id: 'b', vector: [0, 1] },
        { id: 'a', vector: [1, 1], metadata: { v: 2 } },
      ],
      batchSize: 1,
      onProgress: ({ inserted, total }) => progress.push(inserted / total),
    });
    expect(result).toEqual({ inserted: 2, batches: 2 });
    expect(progress).toEqual([0.5, 1]);
    expect((await db.fetch({ ids: ['a'] })).get('a')?.metadata).toEqual({ v: 2 });
    await db.close();
  });
});

describe('bounded tunneling', () => {
  it(`topK above ${MAX_TUNNELING_POOL} or a pool above it is refused at once, naming the limit`, async () => {
    const db = await open();
    await db.insert({ id: 'a', vector: [1, 0] });
    const started = performance.now();
    const error = await failure(() => db.query({ vector: [1, 0], topK: 3334, tunneling: true }));
    expect((error as ValidationError).issues[0]).toMatchObject({ field: 'topK', limit: MAX_TUNNELING_POOL });
    expect(error.message).toContain('MAX_TUNNELING_POOL');
    const pool = await failure(() =>
      db.query({ vector: [1, 0], topK: 10, tunneling: { poolSize: MAX_TUNNELING_POOL + 1 } }),
    );
    expect((pool as ValidationError).issues[0]).toMatchObject({
      field: 'tunneling.poolSize',
      limit: MAX_TUNNELING_POOL,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    await db.close();
  });

  it('a full pool is diversified while the event loop keeps turning', async () => {
    const rng = createRng(5);
    const db = await QuantumDatabase.open({
      backend: new MemoryBackend({ indexName: 'bounded' }),
      dimension: 8,
      seed: 1,
    });
    await db.batchInsert({
      records: Array.from({ length: MAX_TUNNELING_POOL }, (_, i) => ({
        id: `r${i}`,
        vector: Array.from({ length: 8 }, () => rng.normal()),
      })),
      batchSize: 512,
    });
    let turns = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const result = await db.query({ vector: [1, 0, 0, 0, 0, 0, 0, 0], topK: 200, tunneling: true });
    running = false;
    expect(result.tunneling?.poolSize).toBe(MAX_TUNNELING_POOL);
    expect(result.matches).toHaveLength(200);
    expect(result.tunneling?.objective).toBeGreaterThanOrEqual(result.tunneling?.baselineObjective as number);
    expect(turns).toBeGreaterThan(1);
    await db.close();
  });

  it('the sliced annealer gives the same answer as the synchronous one, and refuses more steps than its limit', async () => {
    const rng = createRng(9);
    const n = 40;
    const similarity = Float64Array.from({ length: n * n }, () => rng.float());
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) similarity[i * n + j] = similarity[j * n + i] as number;
    const problem: DiversityProblem = {
      relevance: Float64Array.from({ length: n }, () => rng.float()),
      similarity,
      lambda: 0.5,
      k: 7,
    };
    expect(await simulatedAnnealingAsync(problem, { seed: 3 })).toEqual(simulatedAnnealing(problem, { seed: 3 }));
    expect(() => simulatedAnnealing(problem, { steps: MAX_ANNEALING_STEPS + 1 })).toThrow(ValidationError);
    const controller = new AbortController();
    controller.abort();
    await expect(simulatedAnnealingAsync(problem, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});
