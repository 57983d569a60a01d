import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgTrainingStore } from '@q-store/backend-pgvector';
import { MemoryTrainingStore, NotFoundError, type TrainingStore, ValidationError } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDataset } from '../datasets.js';
import { generateStudyDataset, loadStudyCsvPair, type StudySplit } from './datasets.js';
import { STUDY_DATASET_KEY, type StudyBatchReport, storeStudyDataset, streamStudySplit } from './store.js';
import { DataReuploadingClassifier } from './variational.js';

const stores: Array<[string, () => TrainingStore]> = [
  ['MemoryTrainingStore', () => new MemoryTrainingStore()],
  ['PgTrainingStore on embedded PGlite', () => new PgTrainingStore({ embedded: true })],
];

/** The float32 bytes of a row: equal arrays mean bit-identical features. */
const f32Bytes = (r: ArrayLike<number>) => new Uint8Array(Float32Array.from(r).buffer);

/** Every row of `got` is bit for bit the float32 rounding of the same row of `want`, in order. */
function expectExact(got: StudySplit, want: StudySplit): void {
  expect(got.x.length).toBe(want.x.length);
  expect(got.y).toEqual(want.y);
  for (let i = 0; i < want.x.length; i++) {
    const g = got.x[i] as Float64Array;
    // The streamed rows hold float32 values exactly (no further rounding on the way back) …
    expect(Float64Array.from(Float32Array.from(g))).toEqual(g);
    // … and those are the written rows rounded to float32, bit for bit, in the written order.
    expect(f32Bytes(g)).toEqual(f32Bytes(want.x[i] as Float64Array));
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function fields(p: Promise<unknown>): Promise<string[]> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(ValidationError);
  return (e as ValidationError).issues.map((i) => i.field);
}

describe.each(stores)('study datasets in %s', (_name, make) => {
  let store: TrainingStore;
  const data = generateStudyDataset('linearly_separable', 10);
  beforeAll(async () => {
    store = make();
    await store.listDatasets();
  }, 60_000);
  afterAll(() => store.close());

  it('round trip: bit-identical float32 features, labels and order, every split, with batch reports', async () => {
    const manifest = await storeStudyDataset(
      store,
      'ls10',
      { train: data.train, test: data.test },
      {
        metadata: { source: 'generated' },
      },
    );
    expect(manifest).toMatchObject({
      datasetId: 'ls10',
      featureDimension: 10,
      splits: { train: 240, test: 60 },
      labels: [-1, 1],
      metadata: { source: 'generated', [STUDY_DATASET_KEY]: 'ls10' },
    });
    const reports: StudyBatchReport[] = [];
    const train = await streamStudySplit(store, 'ls10', { batchSize: 50, onBatch: (r) => reports.push(r) });
    expectExact(train, data.train);
    expect(train.batches).toBe(5);
    expect(reports).toEqual(
      [50, 50, 50, 50, 40].map((samples, batch) => ({
        batch,
        batches: 5,
        samples,
        loaded: 50 * batch + samples,
        total: 240,
      })),
    );
    const test = await streamStudySplit(store, 'ls10', { split: 'test', batchSize: 7, numWorkers: 3 });
    expectExact(test, data.test);
    expect(test.batches).toBe(9);
    // The generated features are not float32 values: the store rounds them (and the test above is not vacuous).
    expect(data.train.x.some((r) => r.some((v) => Math.fround(v) !== v))).toBe(true);
  });

  it('a DataReuploading fit from the store equals the fit from the float32 arrays', async () => {
    await storeStudyDataset(store, 'ls10-fit', { train: data.train, test: data.test });
    const streamed = await streamStudySplit(store, 'ls10-fit', { batchSize: 64 });
    const options = { nLayers: 2, observableType: 'full' as const, learningRate: 0.05, maxSteps: 25, randomState: 4 };
    const fromStore = await new DataReuploadingClassifier(options).fit(streamed.x, streamed.y);
    const rows = data.train.x.map((r) => Array.from(Float32Array.from(r)));
    const fromArrays = await new DataReuploadingClassifier(options).fit(rows, data.train.y);
    expect(fromStore.params).toEqual(fromArrays.params);
    expect(fromStore.predictProba(data.test.x)).toEqual(fromArrays.predictProba(data.test.x));
    // The fit moved the parameters (25 steps of Adam), so equal parameters are not the initial ones.
    const untrained = await new DataReuploadingClassifier({ ...options, maxSteps: 1 }).fit(rows, data.train.y);
    expect(fromStore.params).not.toEqual(untrained.params);
  });

  it('rejects bad input with errors naming the field in the study terms, writing nothing', async () => {
    const ok = { x: [[1, 2]], y: [1] };
    const write = (splits: unknown) => storeStudyDataset(store, 'bad', splits as never);
    expect(await fields(write({}))).toEqual(['splits']);
    expect(await fields(write({ train: { x: [[1, 2]], y: [1, -1] } }))).toEqual(['splits.train.y']);
    expect(await fields(write({ train: ok, test: { x: 'rows', y: [1] } }))).toEqual(['splits.test.x']);
    expect(await fields(write({ train: { x: [[1, 2]], y: ['a'] } }))).toEqual(['splits.train.y[0]']);
    const nan = await fields(
      write({
        train: {
          x: [
            [1, 2],
            [3, Number.NaN],
          ],
          y: [1, -1],
        },
      }),
    );
    expect(nan[0]).toMatch(/^splits\.train\.x\[1\]/);
    const dims = await fields(write({ train: ok, test: { x: [[1, 2, 3]], y: [1] } }));
    expect(dims[0]).toMatch(/^splits\.test\.x\[0\]/);
    expect(await fields(storeStudyDataset(store, '', { train: ok }))).toEqual(['datasetId']);
    expect(await store.getManifest('bad')).toBeUndefined();
  });

  it('stream errors: missing dataset or split, bad loader options, non-numeric labels', async () => {
    expect(await rejection(streamStudySplit(store, 'absent'))).toBeInstanceOf(NotFoundError);
    await storeStudyDataset(store, 'small', { train: { x: [[0.5, 1]], y: [1] } });
    expect(await rejection(streamStudySplit(store, 'small', { split: 'test' }))).toBeInstanceOf(NotFoundError);
    expect(await fields(streamStudySplit(store, 'small', { batchSize: 0 }))).toEqual(['batchSize']);
    await storeDataset(store, { datasetId: 'named', splits: { train: { features: [[1], [2]], labels: [3, 'cat'] } } });
    expect(await fields(streamStudySplit(store, 'named'))).toEqual(['y[1]']);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const mnistDir = join(
  process.env.QML_BENCHMARKS_DIR ?? resolve(here, '../../../../../shared/qml-benchmarks'),
  'paper/plots/datasets-for-plots/mnist_pca',
);
const haveMnist = existsSync(join(mnistDir, 'mnist_3-5_10d_train.csv'));

describe.skipIf(!haveMnist)(
  "the paper's MNIST 3-vs-5 PCA 10-d set in embedded pgvector (skipped: needs ../shared/qml-benchmarks, absent in a user's clone)",
  () => {
    it('stores 11,552 training and 1,902 test samples and streams them back bit for bit', async () => {
      const { train, test } = await loadStudyCsvPair(mnistDir, 'mnist_3-5_10d');
      const store = new PgTrainingStore({ embedded: true });
      try {
        const manifest = await storeStudyDataset(store, 'mnist_3-5_10d', { train, test });
        expect(manifest.splits).toEqual({ train: 11_552, test: 1_902 });
        expectExact(await streamStudySplit(store, 'mnist_3-5_10d'), train);
        expectExact(await streamStudySplit(store, 'mnist_3-5_10d', { split: 'test' }), test);
      } finally {
        await store.close();
      }
    }, 120_000);
  },
);
