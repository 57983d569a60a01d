import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, MemoryCheckpointStore, MemoryTrainingStore, ValidationError } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIris } from './builtin-datasets.js';
import { createDataLoader, type DataLoader } from './data-loader.js';
import { minMaxScale, splitDataset, storeDataset } from './datasets.js';
import { angleEncoding } from './encoding.js';
import { FileCheckpointStore } from './file-checkpoint-store.js';
import { VariationalClassifier } from './model.js';
import { Adam, type Optimizer, Sgd, Spsa } from './optimizers.js';
import { type EpochMetrics, Trainer, type TrainerOptions } from './trainer.js';

const sim = new StateVectorSimulator();
const store = new MemoryTrainingStore();
let loader: DataLoader;
let test: { features: Float32Array[]; labels: string[] };
let directory: string;

beforeAll(async () => {
  const iris = loadIris({ classes: ['versicolor', 'virginica'] });
  const split = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 1 });
  const scaled = minMaxScale(split.train.features, { test: split.test.features }, { clip: true });
  await storeDataset(store, {
    datasetId: 'iris-vv',
    splits: { train: { features: scaled.train, labels: split.train.labels } },
  });
  test = { features: scaled.test, labels: split.test.labels as string[] };
  loader = await createDataLoader(store, 'iris-vv', { batchSize: 16, shuffle: true, seed: 5 });
  directory = await mkdtemp(join(tmpdir(), 'q-store-trainer-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function model(): VariationalClassifier {
  return new VariationalClassifier({
    encoding: angleEncoding({ numFeatures: 4 }),
    layers: 1,
    numClasses: 2,
    labels: ['versicolor', 'virginica'],
    backend: sim,
  });
}

function trainer(optimizer: Optimizer, extra: Partial<TrainerOptions> = {}): Trainer {
  return new Trainer({ model: model(), optimizer, seed: 17, modelId: 'iris-vv', ...extra });
}

function expectBitwiseEqual(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const differing = Array.from(a).filter((x, i) => !Object.is(x, b[i])).length;
  expect(differing).toBe(0);
}

describe('Trainer resume', () => {
  for (const [name, makeOptimizer] of [
    ['Adam', () => new Adam({ learningRate: 0.05 })],
    ['SGD with momentum', () => new Sgd({ learningRate: 0.1, momentum: 0.9 })],
    ['SPSA', () => new Spsa({ learningRate: 0.1, seed: 4 })],
  ] as const) {
    it(`${name}: 3 epochs + checkpoint (file store) + resume 3 = 6 uninterrupted, bit for bit`, async () => {
      const whole = await trainer(makeOptimizer()).fit({ train: loader, test, epochs: 6 });
      const checkpoints = new FileCheckpointStore({ directory: join(directory, name.replace(/\W/g, '')) });
      const first = await trainer(makeOptimizer(), { checkpointStore: checkpoints, checkpointEvery: 3 }).fit({
        train: loader,
        test,
        epochs: 3,
      });
      expect(first.checkpoints).toHaveLength(1);
      const resumed = await trainer(makeOptimizer(), { checkpointStore: checkpoints }).fit({
        train: loader,
        test,
        epochs: 6,
        resumeFrom: first.checkpoints[0] as string,
      });
      expectBitwiseEqual(resumed.parameters, whole.parameters);
      expect(resumed.history.map((h) => h.loss)).toEqual(whole.history.map((h) => h.loss));
      expect(resumed.epochs).toBe(6);
      // The last 3 epochs moved the parameters (the equality is not the trivial one).
      expect(Array.from(resumed.parameters).some((x, i) => x !== first.parameters[i])).toBe(true);
    });
  }

  it('is sensitive: restarting from the parameters alone (fresh Adam moments) gives other parameters', async () => {
    const whole = await trainer(new Adam({ learningRate: 0.05 })).fit({ train: loader, epochs: 4 });
    const checkpoints = new MemoryCheckpointStore();
    const first = await trainer(new Adam({ learningRate: 0.05 }), {
      checkpointStore: checkpoints,
      checkpointEvery: 2,
    }).fit({ train: loader, epochs: 2 });
    const saved = await checkpoints.load(first.checkpoints[0] as string);
    // Continuing epochs 2 and 3 without the optimizer state: same data order, other parameters.
    const t = trainer(new Adam({ learningRate: 0.05 }));
    const params = Float64Array.from(saved.parameters);
    for (const e of [2, 3]) {
      for await (const batch of loader.epoch(e)) {
        const r = await t.model.lossAndGradient({
          parameters: params,
          features: batch.features,
          labels: batch.labels,
          method: 'adjoint',
        });
        (t.optimizer as Adam).step(params, r.gradient);
      }
    }
    expect(Array.from(params).some((x, i) => !Object.is(x, whole.parameters[i]))).toBe(true);
    // …while a proper resume matches.
    const resumed = await trainer(new Adam({ learningRate: 0.05 }), { checkpointStore: checkpoints }).fit({
      train: loader,
      epochs: 4,
      resumeFrom: saved,
    });
    expectBitwiseEqual(resumed.parameters, whole.parameters);
  });

  it('refuses to resume on a loader other than the checkpoint was trained on (seed, batch size, dataset version)', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const first = await trainer(new Adam(), { checkpointStore: checkpoints, checkpointEvery: 1 }).fit({
      train: loader,
      epochs: 1,
    });
    const saved = await checkpoints.load(first.checkpoints[0] as string);
    const resume = (train: DataLoader) =>
      trainer(new Adam(), { checkpointStore: checkpoints })
        .fit({ train, epochs: 2, resumeFrom: saved })
        .catch((e) => e);
    const fields = async (train: DataLoader) => {
      const error = await resume(train);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues.map((i) => i.field);
    };
    expect(await fields(await createDataLoader(store, 'iris-vv', { batchSize: 16, shuffle: true, seed: 6 }))).toEqual([
      'train.seed',
    ]);
    expect(await fields(await createDataLoader(store, 'iris-vv', { batchSize: 8, shuffle: true, seed: 5 }))).toEqual([
      'train.batchSize',
    ]);
    // The same data stored again is a new dataset version.
    const copy = new MemoryTrainingStore();
    const rows = [];
    const labels = [];
    for await (const batch of loader.epoch(0)) {
      rows.push(...batch.features);
      labels.push(...batch.labels);
    }
    await storeDataset(copy, { datasetId: 'iris-vv', splits: { train: { features: rows, labels } } });
    expect(await fields(await createDataLoader(copy, 'iris-vv', { batchSize: 16, shuffle: true, seed: 5 }))).toEqual([
      'train.datasetVersion',
    ]);
    // The same loader settings resume.
    const same = await createDataLoader(store, 'iris-vv', { batchSize: 16, shuffle: true, seed: 5 });
    expect((await resume(same)).epochs).toBe(2);
  });

  it('a second fit() without resume starts afresh (optimizer reset): the same parameters as the first', async () => {
    const t = trainer(new Adam({ learningRate: 0.05 }));
    const a = await t.fit({ train: loader, epochs: 2 });
    const b = await t.fit({ train: loader, epochs: 2 });
    expect(t.optimizer.steps).toBe(2 * loader.length);
    expectBitwiseEqual(b.parameters, a.parameters);
    const spsa = trainer(new Spsa({ learningRate: 0.1, seed: 4 }));
    const c = await spsa.fit({ train: loader, epochs: 1 });
    const d = await spsa.fit({ train: loader, epochs: 1 });
    expectBitwiseEqual(d.parameters, c.parameters);
  });

  it('refuses a checkpoint of another architecture', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const first = await trainer(new Adam(), { checkpointStore: checkpoints, checkpointEvery: 1 }).fit({
      train: loader,
      epochs: 1,
    });
    const other = new Trainer({
      model: new VariationalClassifier({
        encoding: angleEncoding({ numFeatures: 4 }),
        layers: 2,
        numClasses: 2,
        labels: ['versicolor', 'virginica'],
        backend: sim,
      }),
      optimizer: new Adam(),
      checkpointStore: checkpoints,
    });
    await expect(other.fit({ train: loader, epochs: 2, resumeFrom: first.checkpoints[0] as string })).rejects.toThrow(
      /another architecture|values/,
    );
  });
});

describe('Trainer epochs, callbacks, checkpoints, early stopping', () => {
  it('calls back per batch and per epoch, checkpoints every N epochs with the exact parameters', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const batches: number[] = [];
    const atEpoch = new Map<number, Float64Array>();
    const epochs: EpochMetrics[] = [];
    const result = await trainer(new Adam({ learningRate: 0.1 }), {
      checkpointStore: checkpoints,
      checkpointEvery: 2,
      callbacks: {
        onBatchEnd: (m) => {
          batches.push(m.step);
        },
        onEpochEnd: (m, p) => {
          epochs.push(m);
          atEpoch.set(m.epoch, Float64Array.from(p));
          return undefined;
        },
      },
    }).fit({ train: loader, test, epochs: 5 });
    expect(batches).toEqual(Array.from({ length: 5 * loader.length }, (_, i) => i + 1));
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(result.history).toEqual(epochs);
    const listed = await checkpoints.list('iris-vv');
    expect(listed.map((c) => c.epoch)).toEqual([2, 4]);
    for (const info of listed) {
      const c = await checkpoints.load(info.uri);
      expectBitwiseEqual(c.parameters, atEpoch.get(info.epoch) as Float64Array);
      expect(c.step).toBe(info.epoch * loader.length);
      expect(c.metrics?.testAccuracy).toBe(epochs[info.epoch - 1]?.testAccuracy);
    }
    // Training helps: the loss falls and the test accuracy is far above chance.
    expect((epochs.at(-1) as EpochMetrics).loss).toBeLessThan((epochs[0] as EpochMetrics).loss);
    expect((epochs.at(-1) as EpochMetrics).testAccuracy).toBeGreaterThan(0.8);
  });

  it('stops early after `patience` epochs without an improvement of minDelta', async () => {
    // A learning rate so small that the loss cannot improve by minDelta.
    const result = await trainer(new Sgd({ learningRate: 1e-9 }), {
      earlyStopping: { patience: 2, minDelta: 1e-3, monitor: 'loss' },
    }).fit({ train: loader, epochs: 10 });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history).toHaveLength(3);
    const stop = await trainer(new Adam(), { callbacks: { onEpochEnd: (m) => m.epoch < 2 } }).fit({
      train: loader,
      epochs: 10,
    });
    expect(stop.history).toHaveLength(2);
  });

  it('an early stop is saved in the checkpoint: resuming from the stop epoch trains nothing more', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const options = {
      checkpointStore: checkpoints,
      checkpointEvery: 1,
      earlyStopping: { patience: 2, minDelta: 1e-3, monitor: 'loss' as const },
    };
    const first = await trainer(new Sgd({ learningRate: 1e-9 }), options).fit({ train: loader, epochs: 10 });
    expect(first.stoppedEarly).toBe(true);
    expect(first.epochs).toBe(3);
    const saved = await checkpoints.load(first.checkpoints.at(-1) as string);
    expect(saved.epoch).toBe(3);
    const resumed = await trainer(new Sgd({ learningRate: 1e-9 }), options).fit({
      train: loader,
      epochs: 10,
      resumeFrom: saved,
    });
    expect(resumed.stoppedEarly).toBe(true);
    expect(resumed.epochs).toBe(3);
    expect(resumed.history).toHaveLength(3);
    expect(resumed.checkpoints).toEqual([]);
    expectBitwiseEqual(resumed.parameters, first.parameters);
    // Damaged early-stopping fields are refused with the field named.
    const damaged = { ...saved, metadata: { ...saved.metadata, earlyStopping: { best: 'x', bestEpoch: 1, wait: -1 } } };
    const error = await trainer(new Sgd(), options)
      .fit({ train: loader, epochs: 10, resumeFrom: damaged })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual([
      'checkpoint.metadata.earlyStopping.best',
      'checkpoint.metadata.earlyStopping.wait',
    ]);
  });

  it('parameter shift trains to the same parameters as adjoint (to rounding)', async () => {
    // SGD: the update is linear in the gradient (Adam's g/√v would magnify rounding of near-zero components).
    const sgd = () => new Sgd({ learningRate: 0.2, momentum: 0.5 });
    const adjoint = await trainer(sgd(), { gradientMethod: 'adjoint' }).fit({ train: loader, epochs: 1 });
    const shift = await trainer(sgd(), { gradientMethod: 'parameter-shift' }).fit({
      train: loader,
      epochs: 1,
    });
    const start = model().initialParameters({ rng: createRng(17) });
    expect(Array.from(adjoint.parameters).some((x, i) => Math.abs(x - (start[i] as number)) > 0.01)).toBe(true);
    for (let i = 0; i < adjoint.parameters.length; i++) {
      expect(shift.parameters[i]).toBeCloseTo(adjoint.parameters[i] as number, 9);
    }
  });

  it('with shots: defaults to parameter shift on shot estimates and refuses adjoint', async () => {
    const shotModel = () =>
      new VariationalClassifier({
        encoding: angleEncoding({ numFeatures: 4 }),
        layers: 1,
        numClasses: 2,
        labels: ['versicolor', 'virginica'],
        backend: sim,
        shots: 64,
      });
    const t = new Trainer({ model: shotModel(), optimizer: new Sgd({ learningRate: 0.1 }), seed: 17 });
    expect(t.gradientMethod).toBe('parameter-shift');
    const error = (() => {
      try {
        new Trainer({ model: shotModel(), optimizer: new Adam(), gradientMethod: 'adjoint' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe('gradientMethod');
    // The training losses are shot estimates, not the exact losses of the same run without shots.
    const exact = await trainer(new Sgd({ learningRate: 0.1 })).fit({ train: loader, epochs: 1 });
    const shot = await t.fit({ train: loader, epochs: 1 });
    expect(shot.history[0]?.loss).not.toBe(exact.history[0]?.loss);
    expect(Math.abs((shot.history[0]?.loss as number) - (exact.history[0]?.loss as number))).toBeLessThan(0.2);
  });

  it('with shots: test evaluation is seeded from the trainer seed, so early stopping on testLoss is reproducible', async () => {
    const run = () =>
      new Trainer({
        model: new VariationalClassifier({
          encoding: angleEncoding({ numFeatures: 4 }),
          layers: 1,
          numClasses: 2,
          labels: ['versicolor', 'virginica'],
          backend: sim,
          shots: 32,
        }),
        optimizer: new Sgd({ learningRate: 0.05 }),
        seed: 3,
        earlyStopping: { patience: 1, monitor: 'testLoss' },
      }).fit({ train: loader, test, epochs: 4 });
    const a = await run();
    const b = await run();
    expect(b.history.map((h) => h.testLoss)).toEqual(a.history.map((h) => h.testLoss));
    expect(b.epochs).toBe(a.epochs);
    expectBitwiseEqual(b.parameters, a.parameters);
  }, 30_000);

  it('rejects bad options with the field named', () => {
    expect(() => trainer(new Adam(), { checkpointEvery: 2 })).toThrow(/checkpointStore/);
    expect(() => trainer(new Adam(), { earlyStopping: { patience: 0 } })).toThrow(/patience/);
  });
});
