import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore, MemoryStateStore, MemoryTrainingStore } from './memory-stores.js';
import { shufflePermutation } from './training-data.js';

describe('MemoryStateStore', () => {
  it('stores JSON documents by value, with TTL', async () => {
    const store = new MemoryStateStore();
    const doc = { members: ['a', 'b'], correlation: 0.8 };
    await store.set('group:1', doc);
    doc.members.push('c');
    expect(await store.get('group:1')).toEqual({ members: ['a', 'b'], correlation: 0.8 });
    await store.set('temp', 1, { ttlMs: 20 });
    expect(await store.get('temp')).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(await store.get('temp')).toBeUndefined();
    await expect(store.set('x', 1, { ttlMs: -5 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(store.get('')).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('updates atomically under concurrency and deletes when fn returns undefined', async () => {
    const store = new MemoryStateStore();
    await Promise.all(Array.from({ length: 200 }, () => store.update<number>('counter', (n) => (n ?? 0) + 1)));
    expect(await store.get('counter')).toBe(200);
    await store.update('counter', () => undefined);
    expect(await store.get('counter')).toBeUndefined();
  });

  it('lists keys by prefix and deletes', async () => {
    const store = new MemoryStateStore();
    await store.set('group:a', 1);
    await store.set('group:b', 2);
    await store.set('model:x', 3);
    const keys: string[] = [];
    for await (const k of store.keys({ prefix: 'group:' })) keys.push(k);
    expect(keys.sort()).toEqual(['group:a', 'group:b']);
    expect(await store.delete('group:a')).toBe(true);
    expect(await store.delete('group:a')).toBe(false);
    await store.close();
    await expect(store.get('model:x')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('MemoryTrainingStore', () => {
  const features = Array.from({ length: 30 }, (_, i) => [i, i * 2, -i]);
  const labels = features.map((_, i) => i % 3);

  it('round-trips samples and writes a manifest', async () => {
    const store = new MemoryTrainingStore();
    const manifest = await store.storeTrainingData({ datasetId: 'toy', features, labels });
    await store.storeTrainingData({
      datasetId: 'toy',
      split: 'test',
      features: features.slice(0, 5),
      labels: ['a', 'b', 'a', 'b', 'a'],
    });
    expect(manifest).toMatchObject({
      datasetId: 'toy',
      featureDimension: 3,
      sampleCount: 30,
      labels: [0, 1, 2],
      splits: { train: 30 },
    });
    const after = await store.getManifest('toy');
    expect(after).toMatchObject({ sampleCount: 35, labels: [0, 1, 2, 'a', 'b'], splits: { train: 30, test: 5 } });
    const batch = await store.loadTrainingBatch({ datasetId: 'toy', offset: 10, limit: 4 });
    expect(batch.indices).toEqual([10, 11, 12, 13]);
    expect([...(batch.features[0] ?? [])]).toEqual([10, 20, -10]);
    expect(batch.labels).toEqual([1, 2, 0, 1]);
    const tail = await store.loadTrainingBatch({ datasetId: 'toy', offset: 28, limit: 10 });
    expect(tail.indices).toEqual([28, 29]);
    expect(await store.listDatasets()).toEqual(['toy']);
  });

  it('reads a seeded shuffle that covers every sample once and matches shufflePermutation', async () => {
    const store = new MemoryTrainingStore();
    await store.storeTrainingData({ datasetId: 'toy', features, labels });
    const seen: number[] = [];
    for (let offset = 0; offset < 30; offset += 8) {
      const batch = await store.loadTrainingBatch({ datasetId: 'toy', offset, limit: 8, shuffleSeed: 5 });
      for (const [k, idx] of batch.indices.entries()) expect(batch.labels[k]).toBe(labels[idx]);
      seen.push(...batch.indices);
    }
    expect(seen).toEqual(shufflePermutation(30, 5));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('rejects bad shapes naming the field, writing nothing', async () => {
    const store = new MemoryTrainingStore();
    await expect(
      store.storeTrainingData({ datasetId: 'bad', features: [[1, 2], [3]], labels: [0] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: expect.arrayContaining([
        expect.objectContaining({ field: 'labels' }),
        expect.objectContaining({ field: 'features[1]' }),
      ]),
    });
    await expect(
      store.storeTrainingData({ datasetId: 'bad', features: [[Number.NaN]], labels: [0] }),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'features[0][0]' })],
    });
    await expect(store.storeTrainingData({ datasetId: 'Bad Id', features: [[1]], labels: [0] })).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'datasetId' })],
    });
    expect(await store.listDatasets()).toEqual([]);
    await store.storeTrainingData({ datasetId: 'ok', features: [[1, 2]], labels: [0] });
    await expect(
      store.storeTrainingData({ datasetId: 'ok', split: 'test', features: [[1, 2, 3]], labels: [0] }),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'features[0]', limit: 2 })],
    });
    expect((await store.getManifest('ok'))?.splits).toEqual({ train: 1 });
    await expect(store.loadTrainingBatch({ datasetId: 'ok', offset: -1, limit: 0 })).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'offset' }), expect.objectContaining({ field: 'limit' })],
    });
    await expect(store.loadTrainingBatch({ datasetId: 'missing', offset: 0, limit: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('MemoryCheckpointStore', () => {
  it('saves and loads parameters bit for bit, lists by epoch', async () => {
    const store = new MemoryCheckpointStore();
    const parameters = Float64Array.from({ length: 16 }, (_, i) => Math.PI * (i + 1) * 1e-3 + Number.EPSILON * i);
    const uri7 = await store.save({
      modelId: 'vqc',
      epoch: 7,
      parameters,
      optimizerState: { step: 70, m: [0.1] },
      metrics: { loss: 0.25 },
    });
    const uri2 = await store.save({ modelId: 'vqc', epoch: 2, parameters: new Float64Array([1]) });
    expect(uri7).toBe('memory://vqc/epoch-0007');
    parameters[0] = 0;
    const loaded = await store.load(uri7);
    expect(loaded.parameters).toBeInstanceOf(Float64Array);
    expect(loaded.parameters[0]).toBe(Math.PI * 1e-3);
    expect(loaded.parameters[15]).toBe(Math.PI * 16 * 1e-3 + Number.EPSILON * 15);
    expect(loaded.optimizerState).toEqual({ step: 70, m: [0.1] });
    expect((await store.list('vqc')).map((c) => c.uri)).toEqual([uri2, uri7]);
    await expect(
      store.save({ modelId: 'vqc', epoch: -1, parameters: new Float64Array([Number.NaN]) }),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ field: 'epoch' }), expect.objectContaining({ field: 'parameters' })],
    });
    expect(await store.delete(uri2)).toBe(true);
    await expect(store.load(uri2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      store.save({
        modelId: 'vqc',
        epoch: 3,
        parameters: new Float64Array([1]),
        optimizerState: { m: [Number.NaN] },
        metrics: { loss: Number.POSITIVE_INFINITY },
      }),
    ).rejects.toMatchObject({
      issues: [
        expect.objectContaining({ field: 'optimizerState.m[0]' }),
        expect.objectContaining({ field: 'metrics.loss' }),
      ],
    });
    await store.close();
    await expect(store.load(uri7)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
