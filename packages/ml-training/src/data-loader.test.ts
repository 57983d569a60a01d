import { PgTrainingStore } from '@q-store/backend-pgvector';
import {
  type CacheBackend,
  type LoadTrainingBatchParams,
  MemoryTrainingStore,
  NotFoundError,
  shufflePermutation,
  type TrainingBatch,
  type TrainingStore,
  ValidationError,
} from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataLoader, type DataLoader, deriveEpochSeed } from './data-loader.js';
import { storeDataset } from './datasets.js';

const N = 23;
const features = Array.from({ length: N }, (_, i) => [i, 2 * i, -i]);
const labels = Array.from({ length: N }, (_, i) => i % 3);

async function collect(batches: AsyncIterable<TrainingBatch>): Promise<TrainingBatch[]> {
  const out: TrainingBatch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}
const indicesOf = (batches: TrainingBatch[]) => batches.map((b) => b.indices);

/** A Map-based CacheBackend that counts its calls. */
class MapCache implements CacheBackend {
  readonly data = new Map<string, unknown>();
  gets = 0;
  sets = 0;
  failing = false;
  async get<T>(key: string): Promise<T | undefined> {
    this.gets++;
    if (this.failing) throw new Error('cache down');
    return this.data.get(key) as T | undefined;
  }
  async set<T>(key: string, value: T): Promise<void> {
    this.sets++;
    if (this.failing) throw new Error('cache down');
    this.data.set(key, structuredClone(value));
  }
  async delete(keys: readonly string[]): Promise<number> {
    return keys.filter((k) => this.data.delete(k)).length;
  }
  async generation(): Promise<number> {
    return 0;
  }
  async bumpGeneration(): Promise<number> {
    return 1;
  }
  async close(): Promise<void> {}
}

/** A TrainingStore wrapper whose batch reads take a few ms and count how many run at once. */
function instrumented(inner: TrainingStore) {
  const probe = { started: 0, inFlight: 0, maxInFlight: 0, sawAbort: 0 };
  const store: TrainingStore = {
    storeTrainingData: (p) => inner.storeTrainingData(p),
    getManifest: (id, o) => inner.getManifest(id, o),
    listDatasets: (o) => inner.listDatasets(o),
    deleteDataset: (id, o) => inner.deleteDataset(id, o),
    close: () => inner.close(),
    async loadTrainingBatch(params: LoadTrainingBatchParams) {
      probe.started++;
      probe.inFlight++;
      probe.maxInFlight = Math.max(probe.maxInFlight, probe.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (params.signal?.aborted) probe.sawAbort++;
        return await inner.loadTrainingBatch(params);
      } finally {
        probe.inFlight--;
      }
    },
  };
  return { store, probe };
}

const stores: Array<[string, () => TrainingStore]> = [
  ['MemoryTrainingStore', () => new MemoryTrainingStore()],
  ['PgTrainingStore on embedded PGlite', () => new PgTrainingStore({ embedded: true })],
];

describe.each(stores)('createDataLoader on %s', (_name, make) => {
  let store: TrainingStore;
  beforeAll(async () => {
    store = make();
    await storeDataset(store, {
      datasetId: 'ramp',
      splits: { train: { features, labels }, test: { features: [[1, 1, 1]], labels: [0] } },
    });
  }, 60_000);
  afterAll(() => store.close());

  it('shards: rank r of W yields [⌊r·b/W⌋, ⌊(r+1)·b/W⌋) of each global batch, same shuffle as one process', async () => {
    const base = { batchSize: 7, shuffle: true, seed: 11 };
    const single = await createDataLoader(store, 'ramp', base);
    for (const epoch of [0, 3]) {
      const whole = await collect(single.epoch(epoch));
      expect(whole.map((b) => b.indices.length)).toEqual([7, 7, 7, 2]);
      for (const worldSize of [2, 3]) {
        const ranks = await Promise.all(
          Array.from({ length: worldSize }, (_, rank) => createDataLoader(store, 'ramp', { ...base, rank, worldSize })),
        );
        const perRank = await Promise.all(ranks.map((l) => collect(l.epoch(epoch))));
        for (const r of perRank) expect(r).toHaveLength(whole.length);
        whole.forEach((batch, k) => {
          const b = batch.indices.length;
          const parts = perRank.map((r) => r[k] as TrainingBatch);
          parts.forEach((part, rank) => {
            const lo = Math.floor((rank * b) / worldSize);
            const hi = Math.floor(((rank + 1) * b) / worldSize);
            expect(part.indices).toEqual(batch.indices.slice(lo, hi));
            expect(part.labels).toEqual(batch.labels.slice(lo, hi));
            expect(part.features).toEqual(batch.features.slice(lo, hi));
          });
          // Concatenated in rank order, the shards are the global batch.
          expect(parts.flatMap((p) => p.indices)).toEqual(batch.indices);
        });
        // `batch(e, k)` reads the same shard alone.
        expect(await ranks[1]?.batch(epoch, 2)).toEqual(perRank[1]?.[2]);
        expect(ranks[1]?.descriptor).toMatchObject({ rank: 1, worldSize, seed: 11 });
        expect(ranks[1]?.epochSeed(epoch)).toBe(single.epochSeed(epoch));
      }
    }
    // Last global batch of 2 samples over 3 ranks: rank 0 gets nothing (⌊0⌋..⌊2/3⌋), ranks 1, 2 one each.
    const r0 = await createDataLoader(store, 'ramp', { ...base, rank: 0, worldSize: 3 });
    expect((await r0.batch(0, 3)).indices).toEqual([]);
    expect(r0.globalBatchSize(3)).toBe(2);
    expect(single.descriptor).not.toHaveProperty('worldSize');
  });

  it('rejects a rank outside the world and a bad worldSize', async () => {
    await expect(createDataLoader(store, 'ramp', { batchSize: 2, rank: 2, worldSize: 2 })).rejects.toThrow(/rank/);
    await expect(createDataLoader(store, 'ramp', { batchSize: 2, worldSize: 0 })).rejects.toThrow(/worldSize/);
    const loader = await createDataLoader(store, 'ramp', { batchSize: 5 });
    await expect(loader.batch(0, 5)).rejects.toThrow(/batch/);
  });

  it('reads one epoch in stored order: ceil(n / batchSize) batches, or floor with dropLast', async () => {
    const loader = await createDataLoader(store, 'ramp', { batchSize: 5 });
    expect(loader.length).toBe(5);
    expect(loader.sampleCount).toBe(N);
    const batches = await collect(loader);
    expect(batches.map((b) => b.indices.length)).toEqual([5, 5, 5, 5, 3]);
    expect(batches.flatMap((b) => b.indices)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(Array.from(batches[1]?.features[2] ?? [])).toEqual([7, 14, -7]);
    expect(batches[1]?.labels[2]).toBe(1);
    const dropped = await createDataLoader(store, 'ramp', { batchSize: 5, dropLast: true });
    expect(dropped.length).toBe(4);
    expect((await collect(dropped)).map((b) => b.indices.length)).toEqual([5, 5, 5, 5]);
    const test = await collect(await createDataLoader(store, 'ramp', { batchSize: 5, split: 'test' }));
    expect(indicesOf(test)).toEqual([[0]]);
  });

  it('shuffles deterministically for a seed, differently every epoch, as shufflePermutation of the epoch seed', async () => {
    const a = await createDataLoader(store, 'ramp', { batchSize: 4, shuffle: true, seed: 11 });
    const b = await createDataLoader(store, 'ramp', { batchSize: 4, shuffle: true, seed: 11 });
    const a0 = await collect(a);
    const a1 = await collect(a); // the next epoch
    expect(a.currentEpoch).toBe(2);
    expect(indicesOf(await collect(b))).toEqual(indicesOf(a0));
    expect(indicesOf(a1)).not.toEqual(indicesOf(a0));
    expect(a0.flatMap((x) => x.indices).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(a1.flatMap((x) => x.indices)).toEqual(shufflePermutation(N, deriveEpochSeed(11, 1)));
    expect(a.epochSeed(1)).toBe(deriveEpochSeed(11, 1));
    b.setEpoch(1);
    expect(indicesOf(await collect(b))).toEqual(indicesOf(a1));
    expect(indicesOf(await collect(a.epoch(0)))).toEqual(indicesOf(a0));
    expect(a.currentEpoch).toBe(2);
    const other = await createDataLoader(store, 'ramp', { batchSize: 4, shuffle: true, seed: 12 });
    expect(indicesOf(await collect(other))).not.toEqual(indicesOf(a0));
    for (const batch of a0) {
      batch.indices.forEach((i, k) => {
        expect([...(batch.features[k] as Float32Array)]).toEqual([i, 2 * i, -i]);
        expect(batch.labels[k]).toBe(i % 3);
      });
    }
  });

  it('keeps numWorkers batch reads in flight ahead of the consumer', async () => {
    for (const numWorkers of [1, 3]) {
      const { store: wrapped, probe } = instrumented(store);
      const loader = await createDataLoader(wrapped, 'ramp', { batchSize: 2, numWorkers, shuffle: true, seed: 5 });
      let startedAtFirst = -1;
      const seen: number[][] = [];
      for await (const batch of loader) {
        if (startedAtFirst < 0) {
          startedAtFirst = probe.started;
          await new Promise((resolve) => setTimeout(resolve, 20)); // a slow training step
        }
        seen.push(batch.indices);
      }
      expect(probe.maxInFlight).toBe(numWorkers);
      expect(startedAtFirst).toBe(1 + numWorkers);
      expect(seen.flat()).toEqual(shufflePermutation(N, deriveEpochSeed(5, 0)));
    }
  });

  it('aborts the reads in flight when the consumer stops early', async () => {
    const { store: wrapped, probe } = instrumented(store);
    const loader = await createDataLoader(wrapped, 'ramp', { batchSize: 2, numWorkers: 4 });
    for await (const _batch of loader) break;
    expect(probe.sawAbort).toBeGreaterThan(0);
    expect(probe.inFlight).toBe(0);
  });

  it('stops with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const loader = await createDataLoader(store, 'ramp', { batchSize: 2, signal: controller.signal });
    const run = (async () => {
      let n = 0;
      for await (const _batch of loader) if (++n === 2) controller.abort();
    })();
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects bad options and unknown datasets or splits', async () => {
    await expect(createDataLoader(store, 'ramp', { batchSize: 0 })).rejects.toMatchObject({
      issues: [{ field: 'batchSize' }],
    });
    await expect(createDataLoader(store, 'ramp', { batchSize: 2, numWorkers: 0 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(createDataLoader(store, 'ramp', { batchSize: 2, seed: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    await expect(createDataLoader(store, 'absent', { batchSize: 2 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(createDataLoader(store, 'ramp', { batchSize: 2, split: 'nope' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('createDataLoader across stores', () => {
  let memory: TrainingStore;
  let pg: TrainingStore;
  beforeAll(async () => {
    memory = new MemoryTrainingStore();
    pg = new PgTrainingStore({ embedded: true });
    for (const store of [memory, pg])
      await storeDataset(store, { datasetId: 'ramp', splits: { train: { features, labels } } });
  }, 60_000);
  afterAll(async () => {
    await memory.close();
    await pg.close();
  });

  it('gives the same batches on the memory and PostgreSQL stores for the same seed', async () => {
    const options = { batchSize: 6, shuffle: true, seed: -77, numWorkers: 2 };
    const m = await createDataLoader(memory, 'ramp', options);
    const p = await createDataLoader(pg, 'ramp', options);
    for (let epoch = 0; epoch < 3; epoch++) {
      const [mb, pb] = [await collect(m), await collect(p)];
      expect(pb).toEqual(mb);
      expect(mb.flatMap((b) => b.indices)).toEqual(shufflePermutation(N, deriveEpochSeed(-77, epoch)));
    }
  });
});

describe('createDataLoader with a batch cache', () => {
  let store: TrainingStore;
  const reads = async (loader: DataLoader, iterable: AsyncIterable<TrainingBatch> = loader) => {
    const before = loader.stats().storeReads;
    const batches = await collect(iterable);
    return { batches, storeReads: loader.stats().storeReads - before };
  };
  beforeAll(async () => {
    store = new MemoryTrainingStore();
    await storeDataset(store, { datasetId: 'ramp', splits: { train: { features, labels } } });
  });

  it('serves a replayed epoch from the cache; a reshuffled epoch is a miss', async () => {
    const cache = new MapCache();
    const loader = await createDataLoader(store, 'ramp', { batchSize: 5, shuffle: true, seed: 3, cache });
    const first = await reads(loader, loader.epoch(0));
    expect(first.storeReads).toBe(5);
    expect(cache.sets).toBe(5);
    const replay = await reads(loader, loader.epoch(0));
    expect(replay.storeReads).toBe(0);
    expect(loader.stats().cacheHits).toBe(5);
    expect(replay.batches).toEqual(first.batches);
    const next = await reads(loader, loader.epoch(1));
    expect(next.storeReads).toBe(5);
    expect(indicesOf(next.batches)).not.toEqual(indicesOf(first.batches));
  });

  it('without shuffling every epoch after the first is served from the cache, as copies', async () => {
    const cache = new MapCache();
    const loader = await createDataLoader(store, 'ramp', { batchSize: 10, cache });
    const first = await reads(loader);
    const second = await reads(loader);
    expect([first.storeReads, second.storeReads]).toEqual([3, 0]);
    expect(second.batches).toEqual(first.batches);
    (second.batches[0]?.features[0] as Float32Array)[0] = 999;
    expect((await reads(loader)).batches[0]?.features[0]?.[0]).toBe(0);
  });

  it('is never stale after storeDataset replaces the data', async () => {
    const cache = new MapCache();
    const own = new MemoryTrainingStore();
    await storeDataset(own, { datasetId: 'ramp', splits: { train: { features, labels } } });
    await collect(await createDataLoader(own, 'ramp', { batchSize: 10, cache }));
    const changed = features.map((row) => row.map((v) => v + 0.5));
    await storeDataset(own, { datasetId: 'ramp', splits: { train: { features: changed, labels } } });
    const loader = await createDataLoader(own, 'ramp', { batchSize: 10, cache });
    const after = await reads(loader);
    expect(after.storeReads).toBe(3);
    expect(after.batches[0]?.features[1]?.[0]).toBe(1.5);
  });

  it('falls back to the store when the cache fails', async () => {
    const cache = new MapCache();
    cache.failing = true;
    const loader = await createDataLoader(store, 'ramp', { batchSize: 10, cache });
    const { batches, storeReads } = await reads(loader);
    expect(storeReads).toBe(3);
    expect(batches.flatMap((b) => b.indices)).toHaveLength(N);
    expect(loader.stats().cacheErrors).toBe(6);
  });
});
