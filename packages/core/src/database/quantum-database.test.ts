import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory-cache.js';
import type { QuantumBackend, SampleParams, SampleResult } from '../quantum/quantum-backend.js';
import { ClosedError, NotFoundError, PartialWriteError, ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { MemoryStateStore } from '../stores/memory-stores.js';
import { MemoryBackend } from '../vector/memory-backend.js';
import { normalize, score } from '../vector/metrics.js';
import type { Metadata } from '../vector/types.js';
import { relevance } from './features.js';
import { QuantumDatabase } from './quantum-database.js';
import { KEY_AMPLITUDE_PREFIX, KEY_EXPIRES } from './reserved.js';

const opened: Array<QuantumDatabase<Metadata>> = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function openDb(options: Partial<Parameters<typeof QuantumDatabase.open>[0]> = {}) {
  const db = await QuantumDatabase.open({
    backend: new MemoryBackend({ indexName: 'qdb' }),
    dimension: 4,
    ...options,
  });
  opened.push(db);
  return db;
}

function clock(start = 1_700_000_000_000) {
  const state = { now: start };
  return { now: () => state.now, advance: (ms: number) => (state.now += ms), state };
}

describe('QuantumDatabase: plain queries', () => {
  it('returns what the backend returns, without the reserved keys', async () => {
    const backend = new MemoryBackend({ indexName: 'plain' });
    const db = await openDb({ backend });
    const rng = createRng(3);
    const records = Array.from({ length: 50 }, (_, i) => ({
      id: `r${i}`,
      vector: Array.from({ length: 4 }, () => rng.normal()),
      metadata: { group: i % 3 === 0 ? 'a' : 'b' },
      contexts: { x: 1 },
    }));
    await db.batchInsert({ records, batchSize: 7 });
    const vector = [0.3, -0.2, 0.9, 0.1];
    const ours = await db.query({ vector, topK: 10, filter: { group: 'a' } });
    const raw = await backend.query({ vector, topK: 10, filter: { group: 'a' } });
    expect(ours.matches.map((m) => [m.id, m.score])).toEqual(raw.matches.map((m) => [m.id, m.score]));
    for (const match of ours.matches) expect(match.metadata).toEqual({ group: 'a' });
    expect(raw.matches[0]?.metadata?.[`${KEY_AMPLITUDE_PREFIX}x`]).toBe(1);
  });

  it('batchInsert reports progress and rejects the whole batch on one bad record', async () => {
    const db = await openDb();
    const progress: number[] = [];
    const result = await db.batchInsert({
      records: Array.from({ length: 10 }, (_, i) => ({ id: `p${i}`, vector: [1, i, 0, 0] })),
      batchSize: 4,
      onProgress: (p) => progress.push(p.inserted),
    });
    expect(result).toEqual({ inserted: 10, batches: 3 });
    expect(progress).toEqual([4, 8, 10]);
    const bad = db.batchInsert({
      records: [
        { id: 'ok', vector: [1, 0, 0, 0] },
        { id: 'bad', vector: [1, 0, 0, 0], contexts: { 'no spaces': 1 } },
        { id: 'bad2', vector: [1, 0, 0, 0], metadata: { __qs_t0: 5 } },
        { id: 'bad3', vector: [1, 0, 0, 0], coherenceTimeMs: -1 },
      ],
    });
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'records[1].contexts.no spaces',
        'records[2].metadata.__qs_t0',
        'records[3].coherenceTimeMs',
      ]),
    );
    expect((await db.fetch({ ids: ['ok'] })).size).toBe(0);
  });

  it('a failing later batch is a PartialWriteError naming what landed', async () => {
    class Flaky extends MemoryBackend {
      calls = 0;
      protected override async doUpsert(...args: Parameters<MemoryBackend['doUpsert']>) {
        if (++this.calls === 2) throw new Error('disk full');
        return super.doUpsert(...args);
      }
    }
    const db = await openDb({ backend: new Flaky({ indexName: 'flaky' }) });
    const error = await db
      .batchInsert({
        records: Array.from({ length: 6 }, (_, i) => ({ id: `f${i}`, vector: [1, i, 0, 0] })),
        batchSize: 3,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    expect((error as PartialWriteError).landedIds).toEqual(['f0', 'f1', 'f2']);
    expect((error as PartialWriteError).failedIds).toEqual(['f3', 'f4', 'f5']);
  });

  it('rejects reserved filter fields and is closed after close()', async () => {
    const db = await openDb();
    await expect(db.query({ vector: [1, 0, 0, 0], topK: 1, filter: { __qs_expires: { $gt: 0 } } })).rejects.toThrow(
      ValidationError,
    );
    await db.close();
    await expect(db.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toThrow(ClosedError);
  });

  it('serves repeated queries from the cache and never a stale one after a write', async () => {
    const cache = new MemoryCache();
    const db = await openDb({ cache });
    await db.insert({ id: 'a', vector: [1, 0, 0, 0] });
    const first = await db.query({ vector: [1, 0.1, 0, 0], topK: 5 });
    const second = await db.query({ vector: [1, 0.1, 0, 0], topK: 5 });
    expect(second).toEqual(first);
    expect((await db.getStats()).cacheHits).toBe(1);
    await db.insert({ id: 'b', vector: [1, 0.1, 0, 0] });
    const third = await db.query({ vector: [1, 0.1, 0, 0], topK: 5 });
    expect(third.matches.map((m) => m.id)).toEqual(['b', 'a']);
  });

  it('caches only through withCache: keyed on the options, bypassed for re-ranked queries, degraded when the cache fails', async () => {
    const cache = new MemoryCache();
    const db = await openDb({ cache });
    await db.batchInsert({
      records: [
        { id: 'a', vector: [1, 0, 0, 0], contexts: { x: 1 } },
        { id: 'b', vector: [0.9, 0.1, 0, 0], contexts: { x: 1 } },
      ],
    });
    // The cache entries are withCache's, under the database's scope.
    await db.query({ vector: [1, 0, 0, 0], topK: 2 });
    expect(cache.size).toBeGreaterThan(0);
    // Different options, different entries: the second is a miss, not the first one's answer.
    await db.query({ vector: [1, 0, 0, 0], topK: 2, options: { other: { knob: 1 } } });
    expect((await db.getStats()).cacheHits).toBe(0);
    await db.query({ vector: [1, 0, 0, 0], topK: 2, options: { other: { knob: 1 } } });
    expect((await db.getStats()).cacheHits).toBe(1);
    // Context re-ranking depends on the state store and the clock: never served from the cache.
    await db.query({ vector: [1, 0, 0, 0], topK: 2, context: 'x' });
    await db.query({ vector: [1, 0, 0, 0], topK: 2, context: 'x' });
    expect((await db.getStats()).cacheHits).toBe(1);
    await db.close();

    // A cache that fails every call: queries and writes go to the backend, nothing throws.
    const failing = new MemoryCache();
    for (const method of ['get', 'set', 'delete', 'generation', 'bumpGeneration'] as const) {
      Object.defineProperty(failing, method, { value: async () => Promise.reject(new Error('cache down')) });
    }
    const down = await openDb({ cache: failing });
    await down.insert({ id: 'a', vector: [1, 0, 0, 0] });
    expect((await down.query({ vector: [1, 0, 0, 0], topK: 1 })).matches.map((m) => m.id)).toEqual(['a']);
    await down.insert({ id: 'b', vector: [1, 0.01, 0, 0] });
    expect((await down.query({ vector: [1, 0.01, 0, 0], topK: 1 })).matches.map((m) => m.id)).toEqual(['b']);
    await down.close();
  });

  it('delete takes exactly one of ids, filter or all: true; {} and {all: false} delete nothing', async () => {
    const db = await openDb();
    await db.batchInsert({
      records: [
        { id: 'a', vector: [1, 0, 0, 0], metadata: { k: 1 } },
        { id: 'b', vector: [0, 1, 0, 0], metadata: { k: 2 } },
      ],
    });
    for (const bad of [{}, { all: false }, { ids: ['a'], filter: { k: 2 } }, { ids: ['a'], all: true }]) {
      await expect(db.delete(bad as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(db.delete(undefined as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await db.getStats()).totalRecordCount).toBe(2);
    expect((await db.delete({ filter: { k: 2 } })).deletedCount).toBe(1);
    expect((await db.delete({ all: true })).deletedCount).toBe(1);
  });
});

describe('QuantumDatabase: superposition contexts', () => {
  it('scores r(s)·|α_c|² with α_c = sqrt(w_c/Σw), re-sorts, and leaves out records without the context', async () => {
    const db = await openDb();
    await db.batchInsert({
      records: [
        { id: 'close-biz', vector: [1, 0.05, 0, 0], contexts: { technical: 0.1, business: 0.9 } },
        { id: 'mid-tech', vector: [1, 0.5, 0, 0], contexts: { technical: 0.8, business: 0.2 } },
        { id: 'far-tech', vector: [1, 1.5, 0.2, 0], contexts: { technical: 3 } },
        { id: 'no-context', vector: [1, 0, 0, 0] },
      ],
    });
    const query = [1, 0, 0, 0];
    const plain = await db.query({ vector: query, topK: 4 });
    expect(plain.matches.map((m) => m.id)).toEqual(['no-context', 'close-biz', 'mid-tech', 'far-tech']);
    const technical = await db.query({ vector: query, topK: 4, context: 'technical' });
    const stored = await db.fetch({ ids: ['close-biz', 'mid-tech', 'far-tech'] });
    const expected = [...stored.values()]
      .map((r) => ({
        id: r.id,
        score: relevance('cosine', score('cosine', Float32Array.from(query), r.vector)) * (r.contexts?.technical ?? 0),
      }))
      .sort((a, b) => b.score - a.score);
    expect(technical.matches.map((m) => m.id)).toEqual(expected.map((e) => e.id));
    expect(technical.matches.map((m) => m.id)).toEqual(['mid-tech', 'far-tech', 'close-biz']);
    for (const [i, m] of technical.matches.entries()) expect(m.score).toBeCloseTo(expected[i]?.score as number, 12);
    expect(technical.matches.find((m) => m.id === 'mid-tech')?.contextProbability).toBeCloseTo(0.8, 12);
    const withFallback = await db.query({ vector: query, topK: 4, context: 'technical', contextFallbackWeight: 0.5 });
    expect(withFallback.matches.map((m) => m.id)).toContain('no-context');
  });

  it('persists amplitudes with the record: a new database over the same backend sees them', async () => {
    const backend = new MemoryBackend({ indexName: 'persist' });
    const state = new MemoryStateStore();
    const first = await QuantumDatabase.open({ backend, stateStore: state, dimension: 4 });
    await first.insert({ id: 'a', vector: [1, 0, 0, 0], contexts: { x: 1, y: 3 } });
    const second = await QuantumDatabase.open({ backend, stateStore: state, dimension: 4 });
    const record = (await second.fetch({ ids: ['a'] })).get('a');
    expect(record?.contexts?.x).toBeCloseTo(0.25, 12);
    expect(record?.contexts?.y).toBeCloseTo(0.75, 12);
    await backend.close();
  });
});

describe('QuantumDatabase: decoherence', () => {
  it('weights relevance by exp(−Δt/τ), hides expired records, and applyDecoherence purges them', async () => {
    const time = clock();
    const db = await openDb({ now: time.now });
    await db.insert({ id: 'old-fast', vector: [1, 0, 0, 0], coherenceTimeMs: 1000 });
    time.advance(500);
    await db.insert({ id: 'new-slow', vector: [1, 0.3, 0, 0], coherenceTimeMs: 10_000 });
    await db.insert({ id: 'eternal', vector: [1, 0.6, 0, 0], coherenceTimeMs: null });
    time.advance(500);
    const result = await db.query({ vector: [1, 0, 0, 0], topK: 3 });
    const byId = new Map(result.matches.map((m) => [m.id, m]));
    expect(byId.get('old-fast')?.coherence).toBeCloseTo(Math.exp(-1), 12);
    expect(byId.get('new-slow')?.coherence).toBeCloseTo(Math.exp(-500 / 10_000), 12);
    expect(byId.get('eternal')?.coherence).toBe(1);
    const oldScore = relevance('cosine', 1) * Math.exp(-1);
    expect(byId.get('old-fast')?.score).toBeCloseTo(oldScore, 12);
    expect(result.matches[0]?.id).not.toBe('old-fast'); // decay pushed the closest record down
    time.advance(4600); // old-fast: lifetime 5·τ = 5,000 ms since insert, now 5,600 ms
    const later = await db.query({ vector: [1, 0, 0, 0], topK: 3 });
    expect(later.matches.map((m) => m.id).sort()).toEqual(['eternal', 'new-slow']);
    expect((await db.fetch({ ids: ['old-fast'] })).size).toBe(0);
    const raw = await db.backend.fetch({ ids: ['old-fast'] });
    expect(raw.records.size).toBe(1); // still stored until purged
    expect(await db.applyDecoherence()).toEqual({ deletedCount: 1 });
    expect((await db.backend.fetch({ ids: ['old-fast'] })).records.size).toBe(0);
  });

  it('a sweep purges on its own', async () => {
    const time = clock();
    const db = await openDb({ now: time.now, decoherenceSweepMs: 10, defaultCoherenceTimeMs: 100 });
    await db.insert({ id: 'short', vector: [1, 0, 0, 0] });
    time.advance(1000);
    for (let i = 0; i < 100 && (await db.backend.stats()).totalRecordCount > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await db.backend.stats()).totalRecordCount).toBe(0);
    const stored = await db.backend.fetch({ ids: ['short'] });
    expect(stored.records.size).toBe(0);
    expect(KEY_EXPIRES).toBe('__qs_expires');
  });
});

describe('QuantumDatabase: entanglement', () => {
  it('moves partners by s·(v_new − v_old), normalised, and copies the listed keys', async () => {
    const db = await openDb();
    await db.batchInsert({
      records: [
        { id: 'a', vector: [1, 0, 0, 0], metadata: { price: 10, tag: 'x' } },
        { id: 'b', vector: [0, 1, 0, 0], metadata: { price: 20, tag: 'y' } },
        { id: 'c', vector: [0, 0, 1, 0], metadata: { price: 30, tag: 'z' } },
        { id: 'loner', vector: [0, 0, 0, 1] },
      ],
    });
    await db.createEntangledGroup({ groupId: 'g1', ids: ['a', 'b'], correlation: 0.5, propagateKeys: ['price'] });
    await db.createEntangledGroup({ groupId: 'g2', ids: ['a', 'b', 'c'], correlation: 0.8 });
    expect(await db.getCorrelation('a', 'b')).toBe(0.8);
    expect(await db.getCorrelation('a', 'loner')).toBe(0);
    const partners = await db.getEntangledPartners('a');
    expect(partners.map((p) => [p.id, p.correlation, p.groups])).toEqual([
      ['b', 0.8, ['g1', 'g2']],
      ['c', 0.8, ['g2']],
    ]);
    const result = await db.update({ id: 'a', vector: [0, 0, 0, 1], metadata: { price: 11, tag: 'new' } });
    expect(result).toEqual({ updated: true, partnersUpdated: ['b', 'c'] });
    const after = await db.fetch({ ids: ['a', 'b', 'c', 'loner'] });
    const delta = [-1, 0, 0, 1];
    const expectB = normalize([0 + 0.8 * (delta[0] as number), 1, 0, 0.8]);
    expect([...(after.get('b')?.vector ?? [])]).toEqual([...expectB]);
    expect([...(after.get('c')?.vector ?? [])]).toEqual([...normalize([-0.8, 0, 1, 0.8])]);
    expect(after.get('b')?.metadata).toEqual({ price: 11, tag: 'y' }); // price propagates, tag does not
    expect(after.get('c')?.metadata).toEqual({ price: 30, tag: 'z' }); // g2 lists no keys
    expect([...(after.get('loner')?.vector ?? [])]).toEqual([0, 0, 0, 1]);
  });

  it('groups live in the StateStore, survive a reopen, and lose deleted members', async () => {
    const backend = new MemoryBackend({ indexName: 'ent' });
    const state = new MemoryStateStore();
    const first = await QuantumDatabase.open({ backend, stateStore: state, dimension: 4 });
    await first.batchInsert({
      records: ['a', 'b', 'c'].map((id, i) => ({ id, vector: [1, i, 0, 0] })),
    });
    await expect(first.createEntangledGroup({ groupId: 'g', ids: ['a', 'zz'], correlation: 0.3 })).rejects.toThrow(
      NotFoundError,
    );
    await expect(first.createEntangledGroup({ groupId: 'g', ids: ['a', 'b'], correlation: 1.5 })).rejects.toThrow(
      ValidationError,
    );
    await first.createEntangledGroup({ groupId: 'g', ids: ['a', 'b', 'c'], correlation: 0.3 });
    await first.close();
    const second = await QuantumDatabase.open({ backend, stateStore: state, dimension: 4 });
    expect(await second.getCorrelation('b', 'c')).toBe(0.3);
    expect((await second.getStats()).entangledGroups).toBe(1);
    await second.delete({ ids: ['c'] });
    expect((await second.getEntangledGroup('g'))?.ids).toEqual(['a', 'b']);
    await second.delete({ ids: ['b'] });
    expect(await second.getEntangledGroup('g')).toBeUndefined();
    expect(await second.getEntangledPartners('a')).toEqual([]);
    await backend.close();
  });
});

describe('QuantumDatabase: tunneling', () => {
  it('changes the ranking where near-duplicates exist and reports the objective it reached', async () => {
    const db = await openDb({ dimension: 8, seed: 11 });
    const rng = createRng(5);
    const records = [];
    // Three tight clusters of near-duplicates around different directions, plus scattered records.
    for (let cluster = 0; cluster < 3; cluster++) {
      const base = Array.from({ length: 8 }, (_, d) => (d === cluster ? 3 : 0) + (d === 7 ? 2 : 0));
      for (let j = 0; j < 6; j++) {
        records.push({ id: `c${cluster}-${j}`, vector: base.map((x) => x + 0.01 * rng.normal()) });
      }
    }
    for (let j = 0; j < 20; j++) records.push({ id: `s${j}`, vector: Array.from({ length: 8 }, () => rng.normal()) });
    await db.batchInsert({ records });
    const query = [1, 0, 0, 0, 0, 0, 0, 1];
    const plain = await db.query({ vector: query, topK: 5 });
    const diverse = await db.query({ vector: query, topK: 5, tunneling: true });
    const clusterOf = (id: string) => id.split('-')[0];
    expect(new Set(plain.matches.map((m) => clusterOf(m.id))).size).toBe(1); // all near-duplicates of c0
    expect(new Set(diverse.matches.map((m) => clusterOf(m.id))).size).toBeGreaterThanOrEqual(3);
    const report = diverse.tunneling;
    expect(report?.solver).toBe('simulated-annealing');
    expect(report?.objective).toBeGreaterThanOrEqual((report?.baselineObjective ?? 0) - 1e-12);
    expect(report?.objective).toBeGreaterThan((report?.plainObjective ?? 0) + 0.5);
  });
});

describe('QuantumDatabase: quantum fallback', () => {
  it('a failing or hanging backend yields the classical value, counted as a fallback', async () => {
    const failing = fakeBackend(async () => {
      throw new Error('device offline');
    });
    const hanging = fakeBackend(() => new Promise<SampleResult[]>(() => undefined));
    for (const quantum of [failing, hanging]) {
      const db = await openDb({ quantum, quantumTimeoutMs: 50 });
      await db.batchInsert({
        records: [
          { id: 'a', vector: [1, 0, 0, 0], contexts: { t: 1, b: 3 } },
          { id: 'b', vector: [1, 1, 0, 0], contexts: { t: 3, b: 1 } },
        ],
      });
      const result = await db.query({ vector: [1, 0, 0, 0], topK: 2, context: 't' });
      expect(result.quantum).toEqual({ requested: true, used: false, fallback: true });
      expect(result.matches.map((m) => m.contextProbability)).toEqual([0.75, 0.25].map((p) => expect.closeTo(p, 12)));
      const stats = db.getQuantumStats();
      expect(stats.quantumCalls).toBe(1);
      expect(stats.fallbacks).toBe(1);
      expect(stats.successRate).toBe(0);
      expect(stats.lastError?.code).toBe(quantum === hanging ? 'TIMEOUT' : 'QUANTUM_BACKEND');
    }
  });

  it("a caller's abort is not a fallback: it propagates", async () => {
    const db = await openDb({ quantum: fakeBackend(() => new Promise<SampleResult[]>(() => undefined)) });
    await db.insert({ id: 'a', vector: [1, 0, 0, 0], contexts: { t: 1 } });
    const controller = new AbortController();
    const pending = db.query({ vector: [1, 0, 0, 0], topK: 1, context: 't', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(db.getQuantumStats().fallbacks).toBe(0);
  });
});

describe('QuantumDatabase.migrate', () => {
  it('streams every namespace with progress and keeps the quantum state', async () => {
    const from = new MemoryBackend({ indexName: 'src' });
    const to = new MemoryBackend({ indexName: 'dst' });
    const db = await QuantumDatabase.open({ backend: from, dimension: 4 });
    await db.batchInsert({
      records: Array.from({ length: 25 }, (_, i) => ({ id: `m${i}`, vector: [1, i, 0, 0], contexts: { a: 1, b: i } })),
    });
    await db.batchInsert({ records: [{ id: 'other', vector: [0, 1, 0, 0] }], namespace: 'ns2' });
    const progress: string[] = [];
    const result = await QuantumDatabase.migrate({
      from,
      to,
      batchSize: 10,
      onProgress: (p) => progress.push(`${p.namespace}:${p.migrated}/${p.total}`),
    });
    expect(result).toEqual({ migrated: 26, byNamespace: { '': 25, ns2: 1 } });
    expect(progress).toEqual([':10/25', ':20/25', ':25/25', 'ns2:1/1']);
    const moved = await QuantumDatabase.open({ backend: to, dimension: 4 });
    const record = (await moved.fetch({ ids: ['m3'] })).get('m3');
    expect(record?.contexts?.b).toBeCloseTo(0.75, 12);
    await from.close();
    await to.close();
  });
});

/** A QuantumBackend whose `sample` is the given function. */
function fakeBackend(sample: (params: SampleParams) => Promise<SampleResult[]>): QuantumBackend {
  return {
    type: 'fake',
    capabilities: { maxQubits: 16, gates: ['h', 'cx', 'ry'], exact: false, gradientMethods: [] },
    sample,
    close: async () => undefined,
  };
}
