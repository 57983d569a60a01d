import { createRng, MemoryBackend, MemoryStateStore, normalize, QuantumDatabase } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PineconeBackend } from './pinecone-backend.js';
import { PineconeEmulator } from './testing/index.js';

/** The seed's scenario over Pinecone: QuantumDatabase on the emulator, and migrations from and into it. */
const API_KEY = 'pcsk_qdb_0123456789';
let emulator: PineconeEmulator;
let serial = 0;

beforeAll(async () => {
  emulator = new PineconeEmulator({ apiKey: API_KEY });
  await emulator.start();
});
afterAll(() => emulator.stop());

function pinecone(indexName = `qdb-${++serial}`): PineconeBackend {
  return new PineconeBackend({ apiKey: API_KEY, indexName, controllerHostUrl: emulator.url });
}

describe('QuantumDatabase over Pinecone', () => {
  it('contexts, decoherence, entanglement and tunneling, with the records in Pinecone', async () => {
    const backend = pinecone();
    const time = { now: 1_700_000_000_000 };
    const db = await QuantumDatabase.open({
      backend,
      stateStore: new MemoryStateStore(),
      dimension: 8,
      seed: 11,
      now: () => time.now,
    });
    try {
      // Contexts: |α_c|² = w_c / Σw re-weights the ranking.
      await db.batchInsert({
        records: [
          { id: 'close-biz', vector: [1, 0.05, 0, 0, 0, 0, 0, 0], contexts: { technical: 0.1, business: 0.9 } },
          { id: 'mid-tech', vector: [1, 0.5, 0, 0, 0, 0, 0, 0], contexts: { technical: 0.8, business: 0.2 } },
          { id: 'far-tech', vector: [1, 1.5, 0.2, 0, 0, 0, 0, 0], contexts: { technical: 3 } },
        ],
      });
      const query = [1, 0, 0, 0, 0, 0, 0, 0];
      expect((await db.query({ vector: query, topK: 3 })).matches.map((m) => m.id)).toEqual([
        'close-biz',
        'mid-tech',
        'far-tech',
      ]);
      const technical = await db.query({ vector: query, topK: 3, context: 'technical' });
      expect(technical.matches.map((m) => m.id)).toEqual(['mid-tech', 'far-tech', 'close-biz']);
      expect(technical.matches[0]?.contextProbability).toBeCloseTo(0.8, 6);
      // The amplitudes are stored in Pinecone metadata: the raw record holds them.
      const raw = (await backend.fetch({ ids: ['mid-tech'] })).records.get('mid-tech');
      expect(Object.keys(raw?.metadata ?? {}).some((k) => k.startsWith('__qs_'))).toBe(true);

      // Decoherence: exp(−Δt/τ), expired records hidden, then purged from Pinecone.
      await db.insert({ id: 'fast', vector: [0, 0, 0, 1, 0, 0, 0, 0], coherenceTimeMs: 1000 });
      time.now += 500;
      const decayed = await db.query({ vector: [0, 0, 0, 1, 0, 0, 0, 0], topK: 1 });
      expect(decayed.matches[0]?.coherence).toBeCloseTo(Math.exp(-0.5), 9);
      time.now += 10_000;
      expect((await db.fetch({ ids: ['fast'] })).size).toBe(0);
      expect((await backend.fetch({ ids: ['fast'] })).records.size).toBe(1);
      // Pinecone's delete does not say how many records it removed, so there is no count.
      expect(await db.applyDecoherence()).toEqual({});
      expect((await backend.fetch({ ids: ['fast'] })).records.size).toBe(0);

      // Entanglement: partners move by s·(v_new − v_old), normalised; listed keys propagate.
      await db.batchInsert({
        records: [
          { id: 'a', vector: [0, 0, 0, 0, 1, 0, 0, 0], metadata: { price: 10 } },
          { id: 'b', vector: [0, 0, 0, 0, 0, 1, 0, 0], metadata: { price: 20 } },
        ],
      });
      await db.createEntangledGroup({ groupId: 'g', ids: ['a', 'b'], correlation: 0.5, propagateKeys: ['price'] });
      const result = await db.update({ id: 'a', vector: [0, 0, 0, 0, 0, 0, 1, 0], metadata: { price: 11 } });
      expect(result).toEqual({ updated: true, partnersUpdated: ['b'] });
      const b = (await db.fetch({ ids: ['b'] })).get('b');
      const expected = normalize([0, 0, 0, 0, -0.5, 1, 0.5, 0]);
      for (const [i, x] of [...(b?.vector ?? [])].entries()) expect(x).toBeCloseTo(expected[i] as number, 6);
      expect(b?.metadata?.price).toBe(11);

      // Tunneling: near-duplicates give way to diverse results.
      const rng = createRng(5);
      const clusters = [];
      for (let c = 0; c < 3; c++) {
        const base = Array.from({ length: 8 }, (_, d) => (d === c ? 3 : 0) + (d === 7 ? 2 : 0));
        for (let j = 0; j < 6; j++)
          clusters.push({ id: `c${c}-${j}`, vector: base.map((x) => x + 0.01 * rng.normal()) });
      }
      await db.batchInsert({ records: clusters, namespace: 'tunnel' });
      const q = [1, 0, 0, 0, 0, 0, 0, 1];
      const plain = await db.query({ vector: q, topK: 5, namespace: 'tunnel' });
      const diverse = await db.query({ vector: q, topK: 5, namespace: 'tunnel', tunneling: true });
      const clusterOf = (id: string) => id.split('-')[0];
      expect(new Set(plain.matches.map((m) => clusterOf(m.id))).size).toBe(1);
      expect(new Set(diverse.matches.map((m) => clusterOf(m.id))).size).toBeGreaterThanOrEqual(3);
    } finally {
      await db.close();
      await backend.close();
    }
  });

  it('migrates from a Pinecone index into memory and from memory into Pinecone, streaming with progress', async () => {
    const source = pinecone();
    const db = await QuantumDatabase.open({ backend: source, dimension: 4 });
    await db.batchInsert({
      records: Array.from({ length: 250 }, (_, i) => ({
        id: `m${i}`,
        vector: [1, i, 0, 0],
        contexts: { a: 1, b: 3 },
      })),
    });
    await db.batchInsert({ records: [{ id: 'other', vector: [0, 1, 0, 0] }], namespace: 'ns2' });
    await db.close();

    const memory = new MemoryBackend({ indexName: 'copy' });
    const progress: string[] = [];
    const out = await QuantumDatabase.migrate({
      from: source,
      to: memory,
      batchSize: 100,
      onProgress: (p) => progress.push(`${p.namespace}:${p.migrated}/${p.total}`),
    });
    expect(out).toEqual({ migrated: 251, byNamespace: { '': 250, ns2: 1 } });
    expect(progress).toEqual([':100/250', ':200/250', ':250/250', 'ns2:1/1']);

    const target = pinecone();
    emulator.resetCounts();
    const back = await QuantumDatabase.migrate({ from: memory, to: target, batchSize: 100 });
    expect(back.migrated).toBe(251);
    expect(emulator.count(/upsert/)).toBe(4); // 100 + 100 + 50, and 1 in ns2
    const moved = await QuantumDatabase.open({ backend: target, dimension: 4 });
    const record = (await moved.fetch({ ids: ['m3'] })).get('m3');
    expect(record?.contexts?.b).toBeCloseTo(0.75, 9);
    expect((await target.stats()).totalRecordCount).toBe(251);
    await moved.close();
    for (const b of [source, memory, target]) await b.close();
  });
});
