/**
 * The TrainingStore conformance suite: the executable contract of {@link TrainingStore}. Every
 * package with a TrainingStore calls {@link describeTrainingStoreConformance} from a vitest test file.
 */

import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import type { Label, TrainingStore } from '../stores/stores.js';
import { shufflePermutation } from '../stores/training-data.js';
import {
  abortedSignal,
  expectStoreError,
  type StoreConformanceOptions,
  sameBits,
  useStoreScope,
} from './store-harness.js';

/** Options of {@link describeTrainingStoreConformance}. */
export interface TrainingStoreConformanceOptions extends StoreConformanceOptions<TrainingStore> {
  /** Samples of the large-dataset test (default 10,000 of 6 features). */
  largeSampleCount?: number;
  /** Reasons to skip what the store cannot do; each skipped test reports its reason. */
  skip?: {
    /** `create` with the same scope cannot open a second handle on the same data. */
    sharedScope?: string;
  };
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** Float32 values a lossy encoding would change: −0, the smallest subnormal, the largest float32. */
const TRICKY_FLOAT32 = [-0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38, 1 / 3];

/** `count` samples of `dimension` seeded normal features; labels 0, 1, 2 and every 7th 'rare'. */
function dataset(count: number, dimension: number, seed: number): { features: Float32Array[]; labels: Label[] } {
  const rng = createRng(seed);
  const features = Array.from({ length: count }, () =>
    Float32Array.from({ length: dimension }, () => rng.normal() * 3),
  );
  return { features, labels: features.map((_, i) => (i % 7 === 0 ? 'rare' : i % 3)) };
}

/**
 * Registers the TrainingStore suite: the manifest (splits, counts, sorted labels, metadata,
 * createdAt), bit-exact features and typed labels, batch windows and their ends, the seeded order of
 * `shufflePermutation`, split replacement, validation before writing (nothing half-written),
 * concurrent writers, list and delete, aborted and closed calls.
 */
export function describeTrainingStoreConformance(options: TrainingStoreConformanceOptions): void {
  const largeCount = options.largeSampleCount ?? 10_000;
  const skipShared = options.skip?.sharedScope;

  describe(`TrainingStore conformance: ${options.name}`, { timeout: options.timeoutMs }, () => {
    const s = useStoreScope(options, 'train');

    describe('manifest', () => {
      it('describes what was stored: dimension, splits, counts, sorted labels, metadata, createdAt', async () => {
        const store = await s.open();
        const before = Date.now();
        const manifest = await store.storeTrainingData({
          datasetId: 'toy',
          features: range(30).map((i) => [i, i * 2, -i]),
          labels: range(30).map((i) => (i % 3) * 2),
          metadata: { source: 'seeded', version: 1 },
        });
        expect(manifest).toEqual({
          datasetId: 'toy',
          featureDimension: 3,
          splits: { train: 30 },
          sampleCount: 30,
          labels: [0, 2, 4],
          createdAt: manifest.createdAt,
          metadata: { source: 'seeded', version: 1 },
        });
        expect(new Date(Date.parse(manifest.createdAt)).toISOString()).toBe(manifest.createdAt);
        expect(Date.parse(manifest.createdAt)).toBeGreaterThanOrEqual(before - 60_000);
        expect(await store.getManifest('toy')).toEqual(manifest);

        const after = await store.storeTrainingData({
          datasetId: 'toy',
          split: 'test',
          features: range(5).map((i) => [i, i, i]),
          labels: ['b', 'a', 10, 'b', -1],
        });
        expect(after).toMatchObject({
          splits: { train: 30, test: 5 },
          sampleCount: 35,
          labels: [-1, 0, 2, 4, 10, 'a', 'b'],
          createdAt: manifest.createdAt,
          metadata: { source: 'seeded', version: 1 },
        });
        expect(await store.getManifest('toy')).toEqual(after);
        expect(await store.getManifest('absent')).toBeUndefined();
      });

      it('replacing a split recounts the dataset and drops labels only it had', async () => {
        const store = await s.open();
        await store.storeTrainingData({
          datasetId: 'toy',
          features: [
            [1, 2],
            [3, 4],
          ],
          labels: ['a', 'b'],
        });
        await store.storeTrainingData({ datasetId: 'toy', split: 'test', features: [[5, 6]], labels: [9] });
        const window = { datasetId: 'toy', offset: 0, limit: 5 };
        expect((await store.loadTrainingBatch(window)).labels).toEqual(['a', 'b']);
        expect((await store.loadTrainingBatch({ ...window, shuffleSeed: 3 })).indices).toHaveLength(2);
        const replaced = await store.storeTrainingData({ datasetId: 'toy', features: [[7, 8]], labels: ['c'] });
        expect(replaced).toMatchObject({ sampleCount: 2, splits: { train: 1, test: 1 }, labels: [9, 'c'] });
        const batch = await store.loadTrainingBatch(window);
        expect(batch.features.map((f) => [...f])).toEqual([[7, 8]]);
        expect(batch.labels).toEqual(['c']);
        expect(batch.indices).toEqual([0]);
        expect((await store.loadTrainingBatch({ ...window, shuffleSeed: 3 })).labels).toEqual(['c']);
      });
    });

    describe('batches', () => {
      it('reads positions offset … offset + limit − 1 of a split, clipped at its end; past the end is empty', async () => {
        const store = await s.open();
        const features = range(30).map((i) => [i, i * 2, -i]);
        const labels = range(30).map((i) => i % 3);
        await store.storeTrainingData({ datasetId: 'toy', features, labels });
        await store.storeTrainingData({ datasetId: 'toy', split: 'test', features: [[0, 0, 0]], labels: [0] });
        const batch = await store.loadTrainingBatch({ datasetId: 'toy', offset: 10, limit: 4 });
        expect(batch.indices).toEqual([10, 11, 12, 13]);
        expect(batch.features.map((f) => [...f])).toEqual(features.slice(10, 14));
        expect(batch.labels).toEqual([1, 2, 0, 1]);
        expect(batch.features.every((f) => f instanceof Float32Array)).toBe(true);
        const tail = await store.loadTrainingBatch({ datasetId: 'toy', split: 'train', offset: 28, limit: 10 });
        expect(tail.indices).toEqual([28, 29]);
        expect(await store.loadTrainingBatch({ datasetId: 'toy', offset: 30, limit: 5 })).toEqual({
          features: [],
          labels: [],
          indices: [],
        });
        const test = await store.loadTrainingBatch({ datasetId: 'toy', split: 'test', offset: 0, limit: 5 });
        expect(test.indices).toEqual([0]);
      });

      it('keeps features bit for bit as float32 and labels with their type', async () => {
        const store = await s.open();
        const exact = Float32Array.from(TRICKY_FLOAT32);
        const rounded = [0.1, 1 / 3, Math.PI, 1e-40, -0];
        await store.storeTrainingData({
          datasetId: 'exact',
          features: [exact, rounded],
          labels: [1, '1'],
        });
        const batch = await store.loadTrainingBatch({ datasetId: 'exact', offset: 0, limit: 2 });
        expect(sameBits(batch.features[0] as Float32Array, exact)).toBe(true);
        expect(sameBits(batch.features[1] as Float32Array, Float32Array.from(rounded.map(Math.fround)))).toBe(true);
        expect(batch.labels).toEqual([1, '1']);
        expect(typeof batch.labels[0]).toBe('number');
        expect(typeof batch.labels[1]).toBe('string');
      });

      it('returns copies: mutating a batch or the stored input changes nothing stored', async () => {
        const store = await s.open();
        const row = new Float32Array([1, 2]);
        await store.storeTrainingData({ datasetId: 'copy', features: [row], labels: [0] });
        row[0] = 99;
        const first = await store.loadTrainingBatch({ datasetId: 'copy', offset: 0, limit: 1 });
        (first.features[0] as Float32Array)[1] = 99;
        const again = await store.loadTrainingBatch({ datasetId: 'copy', offset: 0, limit: 1 });
        expect([...(again.features[0] as Float32Array)]).toEqual([1, 2]);
      });

      it(`round-trips ${largeCount.toLocaleString('en')} samples bit for bit in batches`, async () => {
        const store = await s.open();
        const { features, labels } = dataset(largeCount, 6, 17);
        const manifest = await store.storeTrainingData({ datasetId: 'big', features, labels });
        expect(manifest).toMatchObject({ sampleCount: largeCount, featureDimension: 6, labels: [0, 1, 2, 'rare'] });
        const size = Math.ceil(largeCount / 4);
        let seen = 0;
        for (let offset = 0; offset < largeCount; offset += size) {
          const batch = await store.loadTrainingBatch({ datasetId: 'big', offset, limit: size });
          expect(batch.indices).toEqual(range(Math.min(size, largeCount - offset), offset));
          for (const [k, index] of batch.indices.entries()) {
            if (!sameBits(batch.features[k] as Float32Array, features[index] as Float32Array)) {
              expect([...(batch.features[k] as Float32Array)], `sample ${index}`).toEqual([...(features[index] ?? [])]);
            }
            if (batch.labels[k] !== labels[index]) expect(batch.labels[k], `label ${index}`).toBe(labels[index]);
          }
          seen += batch.indices.length;
        }
        expect(seen).toBe(largeCount);
      });
    });

    describe('seeded order', () => {
      it('reads in the order of shufflePermutation(count, seed): every sample once, the same on every call', async () => {
        const store = await s.open();
        const count = 257;
        const { features, labels } = dataset(count, 3, 5);
        await store.storeTrainingData({ datasetId: 'toy', features, labels });
        const order = shufflePermutation(count, 99);
        const seen: number[] = [];
        for (let offset = 0; offset < count; offset += 50) {
          const batch = await store.loadTrainingBatch({ datasetId: 'toy', offset, limit: 50, shuffleSeed: 99 });
          expect(batch.indices).toEqual(order.slice(offset, offset + 50));
          for (const [k, index] of batch.indices.entries()) {
            expect(sameBits(batch.features[k] as Float32Array, features[index] as Float32Array)).toBe(true);
            expect(batch.labels[k]).toBe(labels[index]);
          }
          seen.push(...batch.indices);
        }
        expect([...seen].sort((a, b) => a - b)).toEqual(range(count));
        expect(seen).not.toEqual(range(count));
        const again = await store.loadTrainingBatch({ datasetId: 'toy', offset: 100, limit: 20, shuffleSeed: 99 });
        expect(again.indices).toEqual(order.slice(100, 120));
        const other = await store.loadTrainingBatch({ datasetId: 'toy', offset: 0, limit: 50, shuffleSeed: 100 });
        expect(other.indices).toEqual(shufflePermutation(count, 100).slice(0, 50));
        expect(other.indices).not.toEqual(order.slice(0, 50));
        const zero = await store.loadTrainingBatch({ datasetId: 'toy', offset: 0, limit: count, shuffleSeed: 0 });
        expect(zero.indices).toEqual(shufflePermutation(count, 0));
      });
    });

    describe('bad input', () => {
      it('rejects bad training data with a VALIDATION error naming each field, writing nothing', async () => {
        const store = await s.open();
        const cases: Array<[Record<string, unknown>, string[]]> = [
          [{ features: [[1, 2], [3]], labels: [0] }, ['labels', 'features[1]']],
          [{ features: [[Number.NaN]], labels: [0] }, ['features[0][0]']],
          [{ features: [[Number.POSITIVE_INFINITY, 1]], labels: [0] }, ['features[0][0]']],
          [{ features: [[1e39]], labels: [0] }, ['features[0][0]']],
          [{ features: [['1']], labels: [0] }, ['features[0][0]']],
          [{ features: [], labels: [] }, ['features']],
          [{ features: [[]], labels: [0] }, ['features[0]']],
          [{ features: [[1]], labels: [''] }, ['labels[0]']],
          [{ features: [[1]], labels: [Number.NaN] }, ['labels[0]']],
          [{ features: [[1]], labels: [null] }, ['labels[0]']],
          [{ datasetId: 'Bad Id', features: [[1]], labels: [0] }, ['datasetId']],
          [{ datasetId: "x'; DROP TABLE qstore_datasets; --", features: [[1]], labels: [0] }, ['datasetId']],
          [{ datasetId: 'a'.repeat(46), features: [[1]], labels: [0] }, ['datasetId']],
          [{ split: 'Test Split', features: [[1]], labels: [0] }, ['split']],
        ];
        for (const [change, fields] of cases) {
          await expectStoreError(
            store.storeTrainingData({ datasetId: 'bad', ...change } as never),
            'VALIDATION',
            ...fields,
          );
        }
        expect(await store.listDatasets()).toEqual([]);
        expect(await store.getManifest('bad')).toBeUndefined();
      });

      it('a bad write to an existing dataset leaves its manifest and samples as they were', async () => {
        const store = await s.open();
        const manifest = await store.storeTrainingData({
          datasetId: 'ok',
          features: [
            [1, 2],
            [3, 4],
          ],
          labels: [0, 1],
        });
        const error = await expectStoreError(
          store.storeTrainingData({ datasetId: 'ok', split: 'test', features: [[1, 2, 3]], labels: [0] }),
          'VALIDATION',
          'features[0]',
        );
        expect((error as unknown as { issues: Array<{ limit?: number }> }).issues[0]?.limit).toBe(2);
        await expectStoreError(
          store.storeTrainingData({
            datasetId: 'ok',
            features: [
              [5, 6],
              [7, Number.NaN],
            ],
            labels: [0, 1],
          }),
          'VALIDATION',
          'features[1][1]',
        );
        expect(await store.getManifest('ok')).toEqual(manifest);
        const batch = await store.loadTrainingBatch({ datasetId: 'ok', offset: 0, limit: 10 });
        expect(batch.features.map((f) => [...f])).toEqual([
          [1, 2],
          [3, 4],
        ]);
      });

      it('rejects a bad batch window naming offset and limit; an unknown dataset or split is NOT_FOUND', async () => {
        const store = await s.open();
        await store.storeTrainingData({ datasetId: 'ok', features: [[1]], labels: [0] });
        await expectStoreError(
          store.loadTrainingBatch({ datasetId: 'ok', offset: -1, limit: 0 }),
          'VALIDATION',
          'offset',
          'limit',
        );
        await expectStoreError(
          store.loadTrainingBatch({ datasetId: 'ok', offset: 0.5, limit: 1 }),
          'VALIDATION',
          'offset',
        );
        await expectStoreError(
          store.loadTrainingBatch({ datasetId: 'ok', offset: 0, limit: 100_001 }),
          'VALIDATION',
          'limit',
        );
        await expectStoreError(store.loadTrainingBatch({ datasetId: 'missing', offset: 0, limit: 1 }), 'NOT_FOUND');
        await expectStoreError(
          store.loadTrainingBatch({ datasetId: 'ok', split: 'test', offset: 0, limit: 1 }),
          'NOT_FOUND',
        );
      });
    });

    describe('datasets', () => {
      it('lists dataset ids sorted; delete answers whether it removed one and removes all its splits', async () => {
        const store = await s.open();
        expect(await store.listDatasets()).toEqual([]);
        for (const id of ['zeta', 'alpha', 'mid-1']) {
          await store.storeTrainingData({ datasetId: id, features: [[1]], labels: [0] });
        }
        await store.storeTrainingData({ datasetId: 'alpha', split: 'test', features: [[2]], labels: [1] });
        expect(await store.listDatasets()).toEqual(['alpha', 'mid-1', 'zeta']);
        expect((await store.loadTrainingBatch({ datasetId: 'alpha', offset: 0, limit: 1 })).labels).toEqual([0]);
        expect(await store.deleteDataset('alpha')).toBe(true);
        expect(await store.deleteDataset('alpha')).toBe(false);
        expect(await store.deleteDataset('never')).toBe(false);
        expect(await store.getManifest('alpha')).toBeUndefined();
        await expectStoreError(store.loadTrainingBatch({ datasetId: 'alpha', offset: 0, limit: 1 }), 'NOT_FOUND');
        await expectStoreError(
          store.loadTrainingBatch({ datasetId: 'alpha', split: 'test', offset: 0, limit: 1 }),
          'NOT_FOUND',
        );
        expect(await store.listDatasets()).toEqual(['mid-1', 'zeta']);
        const fresh = await store.storeTrainingData({ datasetId: 'alpha', features: [[1, 2, 3]], labels: [5] });
        expect(fresh).toMatchObject({ featureDimension: 3, splits: { train: 1 }, labels: [5] });
        const reread = await store.loadTrainingBatch({ datasetId: 'alpha', offset: 0, limit: 1 });
        expect(reread.features.map((f) => [...f])).toEqual([[1, 2, 3]]);
      });

      it('concurrent writes of different splits of one dataset all land in one manifest', async () => {
        const store = await s.open();
        const splits = ['train', 'test', 'validation', 'holdout'];
        await Promise.all(
          splits.map((split, i) =>
            store.storeTrainingData({
              datasetId: 'shared',
              split,
              features: range(10 + i).map((k) => [k, i]),
              labels: range(10 + i).map(() => split),
            }),
          ),
        );
        const manifest = await store.getManifest('shared');
        expect(manifest?.splits).toEqual({ train: 10, test: 11, validation: 12, holdout: 13 });
        expect(manifest?.sampleCount).toBe(46);
        expect(manifest?.labels).toEqual([...splits].sort());
        for (const [i, split] of splits.entries()) {
          const batch = await store.loadTrainingBatch({ datasetId: 'shared', split, offset: 0, limit: 100 });
          expect(batch.features.map((f) => [...f])).toEqual(range(10 + i).map((k) => [k, i]));
        }
      });
    });

    describe('lifecycle', () => {
      it('a call with an aborted signal fails with ABORTED and writes nothing', async () => {
        const store = await s.open();
        await store.storeTrainingData({ datasetId: 'kept', features: [[1]], labels: [0] });
        const signal = abortedSignal();
        await expectStoreError(
          store.storeTrainingData({ datasetId: 'new', features: [[1]], labels: [0], signal }),
          'ABORTED',
        );
        await expectStoreError(
          store.storeTrainingData({ datasetId: 'kept', features: [[2]], labels: [1], signal }),
          'ABORTED',
        );
        await expectStoreError(store.loadTrainingBatch({ datasetId: 'kept', offset: 0, limit: 1, signal }), 'ABORTED');
        await expectStoreError(store.deleteDataset('kept', { signal }), 'ABORTED');
        expect(await store.listDatasets()).toEqual(['kept']);
        expect((await store.getManifest('kept'))?.labels).toEqual([0]);
      });

      it('datasets outlive a handle: another handle of the scope reads them', async (ctx) => {
        if (skipShared !== undefined) return ctx.skip(skipShared);
        const first = await s.open();
        const manifest = await first.storeTrainingData({ datasetId: 'kept', features: [[1, 2]], labels: ['x'] });
        await first.close();
        const second = await s.open();
        expect(await second.getManifest('kept')).toEqual(manifest);
        const batch = await second.loadTrainingBatch({ datasetId: 'kept', offset: 0, limit: 1 });
        expect(batch.features.map((f) => [...f])).toEqual([[1, 2]]);
      });

      it('fails every call with CLOSED after close (close is idempotent)', async () => {
        const store = await s.open();
        await store.storeTrainingData({ datasetId: 'kept', features: [[1]], labels: [0] });
        await store.close();
        await store.close();
        await expectStoreError(store.storeTrainingData({ datasetId: 'kept', features: [[1]], labels: [0] }), 'CLOSED');
        await expectStoreError(store.loadTrainingBatch({ datasetId: 'kept', offset: 0, limit: 1 }), 'CLOSED');
        await expectStoreError(store.getManifest('kept'), 'CLOSED');
        await expectStoreError(store.listDatasets(), 'CLOSED');
        await expectStoreError(store.deleteDataset('kept'), 'CLOSED');
      });
    });
  });
}
