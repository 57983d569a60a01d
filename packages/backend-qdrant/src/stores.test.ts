import { createRng, type Label, MemoryTrainingStore, shufflePermutation } from '@q-store/core';
import {
  describeCheckpointStoreConformance,
  describeStateStoreConformance,
  describeTrainingStoreConformance,
} from '@q-store/core/testing';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_PART_VALUES, QdrantCheckpointStore } from './checkpoint-store.js';
import { QdrantStateStore } from './state-store.js';
import { QdrantEmulator } from './testing/qdrant-emulator.js';
import { QdrantTrainingStore } from './training-store.js';

const emulator = new QdrantEmulator();
let url = '';
beforeAll(async () => {
  url = await emulator.start();
});
afterAll(() => emulator.stop());

let fresh = 0;
const collection = (kind: string) => `${kind}-${++fresh}`;

/** The suites' stores: one collection per test scope (`qs_state_…` → `qs-state-…`), dropped after it. */
const inScope = (scope: string) => ({ url, collectionName: scope.replaceAll('_', '-') });
const suite = {
  cleanup: (scope: string) =>
    new QdrantClient({ url, checkCompatibility: false })
      .deleteCollection(scope.replaceAll('_', '-'))
      .then(() => undefined),
  timeoutMs: 60_000,
};

describeStateStoreConformance({
  name: 'QdrantStateStore (emulator)',
  create: (scope) => new QdrantStateStore(inScope(scope)),
  // A write is two requests (conditional upsert, read back): a TTL of a few tens of ms is too
  // short to read the key back on a loaded machine.
  ttlMs: 400,
  ...suite,
});
describeTrainingStoreConformance({
  name: 'QdrantTrainingStore (emulator)',
  create: (scope) => new QdrantTrainingStore(inScope(scope)),
  ...suite,
});
describeCheckpointStoreConformance({
  name: 'QdrantCheckpointStore (emulator)',
  create: (scope) => new QdrantCheckpointStore(inScope(scope)),
  uriPattern: (modelId, name) => new RegExp(`^qdrant://qs-ckpt-[a-z0-9]+/${modelId}/${name}$`),
  malformedUris: [
    'qdrant://qs-ckpt-x/vqc/epoch-1',
    'pgvector://public/vqc/epoch-0001',
    `qdrant://c/vqc/epoch-${'9'.repeat(17)}`,
  ],
  ...suite,
});

describe('QdrantStateStore compare-and-set', () => {
  it('two instances over one collection: 2 × 60 concurrent increments all land', async () => {
    const name = collection('cas');
    const a = new QdrantStateStore({ url, collectionName: name });
    const b = new QdrantStateStore({ url, collectionName: name });
    await Promise.all(
      Array.from({ length: 60 }, () => [
        a.update<number>('n', (n) => (n ?? 0) + 1),
        b.update<number>('n', (n) => (n ?? 0) + 1),
      ]).flat(),
    );
    expect(await a.get('n')).toBe(120);
    expect(await b.get('n')).toBe(120);
    await a.close();
    await b.close();
  });

  it('a write that lost the race is not applied: fn runs again on the winner’s value', async () => {
    const name = collection('cas-race');
    const a = new QdrantStateStore({ url, collectionName: name });
    const b = new QdrantStateStore({ url, collectionName: name });
    await a.set('doc', { n: 1 });
    await b.get('doc');
    // Hold a's next write while b writes: a's conditional upsert (version of {n: 1}) must not match.
    emulator.injectFault({ kind: 'delay', delayMs: 150, match: /^PUT \/collections\/cas-race/ });
    const seen: number[] = [];
    const racing = a.update<{ n: number }>('doc', (doc) => {
      seen.push(doc?.n ?? 0);
      return { n: (doc?.n ?? 0) * 10 };
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await b.set('doc', { n: 7 });
    expect(await racing).toEqual({ n: 70 });
    expect(seen).toEqual([1, 7]);
    expect(await b.get('doc')).toEqual({ n: 70 });
    await a.close();
    await b.close();
  });

  it('a delete leaves a tombstone; the key can be written again, and purgeTombstones removes old ones', async () => {
    let now = 1_000_000;
    const store = new QdrantStateStore({ url, collectionName: collection('tomb'), now: () => now });
    await store.set('k', { v: 1 });
    expect(await store.delete('k')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', { v: 2 });
    expect(await store.get('k')).toEqual({ v: 2 });
    await store.delete('k');
    now += 120_000;
    expect(await store.purgeTombstones()).toBe(1);
    expect(await store.delete('k')).toBe(false);
    await store.close();
  });
});

describe('QdrantCheckpointStore', () => {
  it('splits large parameters into parts and loads them back bit for bit; a new save drops the old parts', async () => {
    const store = new QdrantCheckpointStore({ url, collectionName: collection('ckpt-big') });
    const rng = createRng(9);
    const parameters = Float64Array.from({ length: CHECKPOINT_PART_VALUES * 2 + 17 }, () => rng.normal());
    const uri = await store.save({ modelId: 'big', epoch: 3, parameters });
    const loaded = await store.load(uri);
    expect(Buffer.from(loaded.parameters.buffer).equals(Buffer.from(parameters.buffer))).toBe(true);
    await store.save({ modelId: 'big', epoch: 3, parameters: new Float64Array([1, 2]) });
    expect([...(await store.load(uri)).parameters]).toEqual([1, 2]);
    const { count } = await fetch(`${url}/collections/${store.collectionName}/points/count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
      .then((r) => r.json() as Promise<{ result: { count: number } }>)
      .then((r) => r.result);
    expect(count).toBe(2); // one head and one part
    await store.close();
  });
});

describe('QdrantTrainingStore, with the memory store as the peer', () => {
  const rng = createRng(21);
  const count = 1500;
  const features = Array.from({ length: count }, () => Float32Array.from({ length: 7 }, () => rng.normal()));
  const labels: Label[] = features.map((_, i) => (i % 3 === 0 ? 'a' : i % 3));
  let store: QdrantTrainingStore;
  const peer = new MemoryTrainingStore();
  beforeAll(() => {
    store = new QdrantTrainingStore({ url, collectionName: collection('train') });
  });
  afterAll(() => store.close());

  it('round-trips samples bit for bit with the same manifest as the memory store', async () => {
    const ours = await store.storeTrainingData({ datasetId: 'iris', features, labels, metadata: { source: 'x' } });
    const theirs = await peer.storeTrainingData({ datasetId: 'iris', features, labels, metadata: { source: 'x' } });
    expect({ ...ours, createdAt: '' }).toEqual({ ...theirs, createdAt: '' });
    const batch = await store.loadTrainingBatch({ datasetId: 'iris', offset: 100, limit: 1000 });
    expect(batch.indices[0]).toBe(100);
    for (const [i, row] of batch.features.entries()) {
      expect(Buffer.from(row.buffer).equals(Buffer.from((features[100 + i] as Float32Array).buffer))).toBe(true);
    }
    expect(batch.labels).toEqual(labels.slice(100, 1100));
  });

  it('reads seeded shuffles identical to the memory store', async () => {
    const ours = await store.loadTrainingBatch({ datasetId: 'iris', offset: 10, limit: 50, shuffleSeed: 4 });
    const theirs = await peer.loadTrainingBatch({ datasetId: 'iris', offset: 10, limit: 50, shuffleSeed: 4 });
    expect(ours.indices).toEqual(shufflePermutation(count, 4).slice(10, 60));
    expect(ours.indices).toEqual(theirs.indices);
    expect(ours.labels).toEqual(theirs.labels);
    expect(ours.features.map((f) => [...f])).toEqual(theirs.features.map((f) => [...f]));
  });

  it('writes splits separately, replaces a split, rejects a wrong dimension, lists and deletes', async () => {
    const test = await store.storeTrainingData({
      datasetId: 'iris',
      split: 'test',
      features: [[1, 2, 3, 4, 5, 6, 7]],
      labels: ['z'],
    });
    expect(test.splits).toEqual({ test: 1, train: count });
    expect(test.labels).toEqual([1, 2, 'a', 'z']);
    const replaced = await store.storeTrainingData({
      datasetId: 'iris',
      split: 'test',
      features: [
        [0, 0, 0, 0, 0, 0, 1],
        [1, 0, 0, 0, 0, 0, 0],
      ],
      labels: [1, 1],
    });
    expect(replaced.splits.test).toBe(2);
    expect(replaced.labels).toEqual([1, 2, 'a']);
    expect((await store.loadTrainingBatch({ datasetId: 'iris', split: 'test', offset: 0, limit: 10 })).labels).toEqual([
      1, 1,
    ]);
    await expect(
      store.storeTrainingData({ datasetId: 'iris', split: 'test', features: [[1, 2]], labels: [1] }),
    ).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ field: 'features[0]' }] });
    expect((await store.getManifest('iris'))?.splits.test).toBe(2);
    await store.storeTrainingData({ datasetId: 'blobs', features: [[1]], labels: [0] });
    expect(await store.listDatasets()).toEqual(['blobs', 'iris']);
    expect(await store.deleteDataset('iris')).toBe(true);
    expect(await store.deleteDataset('iris')).toBe(false);
    expect(await store.listDatasets()).toEqual(['blobs']);
    await expect(store.loadTrainingBatch({ datasetId: 'iris', offset: 0, limit: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
