import {
  type Checkpoint,
  createRng,
  MemoryBackend,
  MemoryTrainingStore,
  NotFoundError,
  ValidationError,
  type VectorBackend,
} from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PART_BYTES, PineconeCheckpointStore } from './checkpoint-store.js';
import { PineconeBackend } from './pinecone-backend.js';
import { PineconeEmulator } from './testing/index.js';
import { PineconeTrainingStore } from './training-store.js';

/**
 * The Pinecone stores' own behaviour (record layout, manifest-last visibility, splitting) on any
 * VectorBackend; the contract suites run against the emulator in stores-emulator.test.ts.
 */

function sameBits(a: Float64Array, b: Float64Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface StoreTarget {
  name: string;
  open(indexName: string): Promise<VectorBackend>;
  close?(): Promise<void>;
}

export function describePineconeStores(target: StoreTarget): void {
  describe(`Pinecone stores on ${target.name}`, () => {
    let backend: VectorBackend;
    let training: PineconeTrainingStore;
    let checkpoints: PineconeCheckpointStore;
    beforeAll(async () => {
      backend = await target.open('stores-own');
      training = new PineconeTrainingStore({ backend, indexDimension: 4 });
      checkpoints = new PineconeCheckpointStore({ backend });
    });
    afterAll(async () => {
      await training.close();
      await checkpoints.close();
      await backend.close();
      await target.close?.();
    });

    it('loads batches in the same seeded order as the memory store, labels with their samples', async () => {
      const rng = createRng(5);
      const features = Array.from({ length: 37 }, () => Array.from({ length: 4 }, () => rng.float() * 2 - 1));
      const labels = features.map((_, i) => (i % 3 === 0 ? 'odd' : i % 3));
      const peer = new MemoryTrainingStore();
      const params = { datasetId: 'iris', features, labels, metadata: { source: 'test' } };
      const manifest = await training.storeTrainingData(params);
      const peerManifest = await peer.storeTrainingData(params);
      expect({ ...manifest, createdAt: '' }).toEqual({ ...peerManifest, createdAt: '' });
      for (const [offset, limit] of [
        [0, 10],
        [30, 10],
        [36, 1],
      ] as const) {
        const got = await training.loadTrainingBatch({ datasetId: 'iris', offset, limit, shuffleSeed: 11 });
        const want = await peer.loadTrainingBatch({ datasetId: 'iris', offset, limit, shuffleSeed: 11 });
        expect(got.indices).toEqual(want.indices);
        expect(got.labels).toEqual(want.labels);
        expect(got.features.map((f) => [...f])).toEqual(want.features.map((f) => [...f]));
      }
      // Each sample is a record; the 4-d features are its vector, the label in its metadata.
      const ids: string[] = [];
      for await (const id of backend.list({ namespace: training.namespace, prefix: 's/iris/train/' })) ids.push(id);
      expect(ids).toHaveLength(37);
      const one = (await backend.fetch({ ids: [ids[0] as string], namespace: training.namespace })).records;
      const record = [...one.values()][0];
      expect(record?.vector).toHaveLength(4);
      expect(['odd', 1, 2]).toContain(record?.metadata?.label);
    });

    it('replacing a split swaps generations: old samples deleted only after the new manifest', async () => {
      await training.storeTrainingData({ datasetId: 'swap', features: [[1, 2, 3, 4]], labels: [0] });
      await training.storeTrainingData({
        datasetId: 'swap',
        features: [
          [5, 6, 7, 8],
          [9, 9, 9, 9],
        ],
        labels: [1, 2],
      });
      const batch = await training.loadTrainingBatch({ datasetId: 'swap', offset: 0, limit: 10 });
      expect(batch.labels).toEqual([1, 2]);
      const ids: string[] = [];
      for await (const id of backend.list({ namespace: training.namespace, prefix: 's/swap/' })) ids.push(id);
      expect(ids).toHaveLength(2);
      expect((await training.getManifest('swap'))?.labels).toEqual([1, 2]);
      expect(await training.listDatasets()).toEqual(expect.arrayContaining(['iris', 'swap']));
      expect(await training.deleteDataset('swap')).toBe(true);
      expect(await training.deleteDataset('swap')).toBe(false);
      await expect(training.loadTrainingBatch({ datasetId: 'swap', offset: 0, limit: 1 })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('refuses features that do not fit one record, before writing', async () => {
      const wide = [Array.from({ length: PineconeTrainingStore.MAX_FEATURES + 1 }, () => 0.5)];
      await expect(training.storeTrainingData({ datasetId: 'wide', features: wide, labels: [1] })).rejects.toThrow(
        ValidationError,
      );
      expect(await training.getManifest('wide')).toBeUndefined();
    });

    it('splits a large checkpoint across part records and loads it bit for bit', async () => {
      const n = Math.ceil((PART_BYTES * 2.5) / 8);
      const parameters = new Float64Array(n);
      const rng = createRng(3);
      for (let i = 0; i < n; i++) parameters[i] = (rng.float() - 0.5) * 1e6;
      parameters[0] = -0;
      parameters[1] = 5e-324;
      const checkpoint: Checkpoint = {
        modelId: 'big-model',
        epoch: 3,
        step: 9,
        parameters,
        optimizerState: { m: [0.1, 0.2] },
        metrics: { loss: 0.25 },
        metadata: { ansatz: 'ry', none: null },
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      const uri = await checkpoints.save(checkpoint);
      expect(uri).toBe(`pinecone://${backend.indexName}/q-store-checkpoints/big-model/epoch-0003`);
      const parts: string[] = [];
      for await (const id of backend.list({ namespace: checkpoints.namespace, prefix: 'p/big-model/' })) parts.push(id);
      expect(parts.length).toBeGreaterThanOrEqual(3);
      const loaded = await checkpoints.load(uri);
      expect(sameBits(loaded.parameters, parameters)).toBe(true);
      expect({ ...loaded, parameters: undefined }).toEqual({ ...checkpoint, parameters: undefined });
      expect((await checkpoints.list('big-model')).map((c) => c.epoch)).toEqual([3]);
    });

    it('a reader never sees half a checkpoint: without its manifest, the parts are invisible', async () => {
      const first = await checkpoints.save({ modelId: 'half', epoch: 1, parameters: new Float64Array([1, 2, 3]) });
      // Simulate a save that crashed after writing parts of a new generation, before its manifest.
      await backend.upsert({
        namespace: checkpoints.namespace,
        records: [{ id: 'p/half/0000000000000001/zzz/0', vector: [1, 0, 0, 0], metadata: { b: 'AAAA' } }],
      });
      expect([...(await checkpoints.load(first)).parameters]).toEqual([1, 2, 3]);
      // A lost part is detected (hash and count), never returned as a checkpoint.
      const ids: string[] = [];
      for await (const id of backend.list({ namespace: checkpoints.namespace, prefix: 'p/half/' })) ids.push(id);
      const lost = ids.filter((id) => !id.includes('/zzz/'));
      await backend.delete({ ids: lost, namespace: checkpoints.namespace });
      if (backend instanceof PineconeBackend) {
        await backend.waitForVisibility({ namespace: checkpoints.namespace, deletedIds: lost });
      }
      await expect(checkpoints.load(first)).rejects.toThrow(/missing or do not match/);
      expect(await checkpoints.delete(first)).toBe(true);
      await expect(checkpoints.load(first)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('saving an epoch again replaces it and deletes the old parts', async () => {
      await checkpoints.save({ modelId: 'again', epoch: 2, parameters: new Float64Array([1]) });
      const uri = await checkpoints.save({ modelId: 'again', epoch: 2, parameters: new Float64Array([2, 3]) });
      expect([...(await checkpoints.load(uri)).parameters]).toEqual([2, 3]);
      const parts: string[] = [];
      for await (const id of backend.list({ namespace: checkpoints.namespace, prefix: 'p/again/' })) parts.push(id);
      expect(parts).toHaveLength(1);
      await expect(checkpoints.load('pinecone://x')).rejects.toBeInstanceOf(ValidationError);
    });
  });
}

describePineconeStores({
  name: 'MemoryBackend (layout only)',
  open: async (indexName) => new MemoryBackend({ indexName }),
});

let storesEmulator: PineconeEmulator | undefined;
describePineconeStores({
  name: 'PineconeBackend on the emulator, writes visible after 30 ms',
  open: async (indexName) => {
    storesEmulator = new PineconeEmulator({ apiKey: 'pcsk_stores_0123456789', visibilityDelayMs: 30 });
    await storesEmulator.start();
    return new PineconeBackend({ apiKey: 'pcsk_stores_0123456789', indexName, controllerHostUrl: storesEmulator.url });
  },
  close: async () => storesEmulator?.stop(),
});
