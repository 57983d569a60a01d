import { createRng, QuantumDatabase } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantBackend } from './qdrant-backend.js';
import { QdrantStateStore } from './state-store.js';
import { QdrantEmulator } from './testing/qdrant-emulator.js';

// The database's quantum features with every piece on Qdrant: records (with their amplitudes and
// lifetimes in the payload) in a collection, entanglement groups in the Qdrant StateStore.
const emulator = new QdrantEmulator();
let url = '';
beforeAll(async () => {
  url = await emulator.start();
});
afterAll(() => emulator.stop());

let n = 0;
function stores() {
  n++;
  return {
    backend: new QdrantBackend({ url, collectionName: `qdb-${n}` }),
    stateStore: new QdrantStateStore({ url, collectionName: `qdb-state-${n}` }),
  };
}

describe('QuantumDatabase over Qdrant', () => {
  it('superposition contexts: r(s)·|α_c|² re-ranks, amplitudes persist in the payload', async () => {
    const { backend, stateStore } = stores();
    const db = await QuantumDatabase.open({ backend, stateStore, dimension: 4 });
    await db.batchInsert({
      records: [
        { id: 'close-biz', vector: [1, 0.05, 0, 0], contexts: { technical: 0.1, business: 0.9 } },
        { id: 'mid-tech', vector: [1, 0.5, 0, 0], contexts: { technical: 0.8, business: 0.2 } },
        { id: 'far-tech', vector: [1, 1.5, 0.2, 0], contexts: { technical: 3 } },
        { id: 'no-context', vector: [1, 0, 0, 0] },
      ],
    });
    const query = [1, 0, 0, 0];
    expect((await db.query({ vector: query, topK: 4 })).matches.map((m) => m.id)).toEqual([
      'no-context',
      'close-biz',
      'mid-tech',
      'far-tech',
    ]);
    const technical = await db.query({ vector: query, topK: 4, context: 'technical' });
    expect(technical.matches.map((m) => m.id)).toEqual(['mid-tech', 'far-tech', 'close-biz']);
    expect(technical.matches[0]?.contextProbability).toBeCloseTo(0.8, 6);
    await db.close();
    const again = await QuantumDatabase.open({
      backend: new QdrantBackend({ url, collectionName: backend.collectionName }),
      stateStore,
      dimension: 4,
    });
    expect((await again.fetch({ ids: ['close-biz'] })).get('close-biz')?.contexts?.business).toBeCloseTo(0.9, 12);
    await again.close();
  });

  it('decoherence: exp(−Δt/τ) weights, expired records hidden by the Qdrant filter and purged', async () => {
    const { backend, stateStore } = stores();
    const clock = { now: 1_700_000_000_000 };
    const db = await QuantumDatabase.open({ backend, stateStore, dimension: 4, now: () => clock.now });
    await db.insert({ id: 'old-fast', vector: [1, 0, 0, 0], coherenceTimeMs: 1000 });
    clock.now += 500;
    await db.insert({ id: 'new-slow', vector: [1, 0.3, 0, 0], coherenceTimeMs: 10_000 });
    await db.insert({ id: 'eternal', vector: [1, 0.6, 0, 0], coherenceTimeMs: null });
    clock.now += 500;
    const result = await db.query({ vector: [1, 0, 0, 0], topK: 3 });
    const byId = new Map(result.matches.map((m) => [m.id, m]));
    expect(byId.get('old-fast')?.coherence).toBeCloseTo(Math.exp(-1), 12);
    expect(result.matches[0]?.id).not.toBe('old-fast');
    clock.now += 4600;
    expect((await db.query({ vector: [1, 0, 0, 0], topK: 3 })).matches.map((m) => m.id).sort()).toEqual([
      'eternal',
      'new-slow',
    ]);
    expect((await backend.fetch({ ids: ['old-fast'] })).records.size).toBe(1);
    expect(await db.applyDecoherence()).toEqual({ deletedCount: 1 });
    expect((await backend.fetch({ ids: ['old-fast'] })).records.size).toBe(0);
    await db.close();
  });

  it('entanglement: partners move by s·(v_new − v_old); groups live in the Qdrant StateStore', async () => {
    const { backend, stateStore } = stores();
    const db = await QuantumDatabase.open({ backend, stateStore, dimension: 4 });
    await db.batchInsert({
      records: [
        { id: 'a', vector: [1, 0, 0, 0], metadata: { price: 10, tag: 'x' } },
        { id: 'b', vector: [0, 1, 0, 0], metadata: { price: 20, tag: 'y' } },
        { id: 'c', vector: [0, 0, 1, 0] },
      ],
    });
    await db.createEntangledGroup({ groupId: 'g1', ids: ['a', 'b'], correlation: 0.5, propagateKeys: ['price'] });
    const result = await db.update({ id: 'a', vector: [0, 0, 0, 1], metadata: { price: 11 } });
    expect(result).toEqual({ updated: true, partnersUpdated: ['b'] });
    const b = (await db.fetch({ ids: ['b'] })).get('b');
    const moved = [-0.5, 1, 0, 0.5];
    const norm = Math.hypot(...moved);
    expect([...(b?.vector ?? [])]).toEqual([...Float32Array.from(moved.map((x) => x / norm))]);
    expect(b?.metadata).toEqual({ price: 11, tag: 'y' });
    await db.close();
    const reopened = await QuantumDatabase.open({
      backend: new QdrantBackend({ url, collectionName: backend.collectionName }),
      stateStore,
      dimension: 4,
    });
    expect(await reopened.getCorrelation('a', 'b')).toBe(0.5);
    await reopened.delete({ ids: ['b'] });
    expect(await reopened.getEntangledGroup('g1')).toBeUndefined();
    await reopened.close();
  });

  it('tunneling: the diverse top-k spans clusters a plain query does not', async () => {
    const { backend, stateStore } = stores();
    const db = await QuantumDatabase.open({ backend, stateStore, dimension: 8, seed: 11 });
    const rng = createRng(5);
    const records = [];
    for (let cluster = 0; cluster < 3; cluster++) {
      const base = Array.from({ length: 8 }, (_, d) => (d === cluster ? 3 : 0) + (d === 7 ? 2 : 0));
      for (let j = 0; j < 6; j++)
        records.push({ id: `c${cluster}-${j}`, vector: base.map((x) => x + 0.01 * rng.normal()) });
    }
    for (let j = 0; j < 20; j++) records.push({ id: `s${j}`, vector: Array.from({ length: 8 }, () => rng.normal()) });
    await db.batchInsert({ records });
    const query = [1, 0, 0, 0, 0, 0, 0, 1];
    const clusterOf = (id: string) => id.split('-')[0];
    const plain = await db.query({ vector: query, topK: 5 });
    const diverse = await db.query({ vector: query, topK: 5, tunneling: true });
    expect(new Set(plain.matches.map((m) => clusterOf(m.id))).size).toBe(1);
    expect(new Set(diverse.matches.map((m) => clusterOf(m.id))).size).toBeGreaterThanOrEqual(3);
    expect(diverse.tunneling?.objective).toBeGreaterThan((diverse.tunneling?.plainObjective ?? 0) + 0.5);
    await db.close();
  });
});
