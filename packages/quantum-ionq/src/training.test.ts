import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam,
  angleEncoding,
  FileCheckpointStore,
  loadCheckpoint,
  Spsa,
  Trainer,
  VariationalClassifier,
} from '@q-store/ml-training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IonQBackend } from './ionq-backend.js';
import { IonqEmulator } from './testing/index.js';
import { fixedBatches, irisData } from './training.test-helper.js';

/**
 * A small variational classifier (2-class Iris, 2 features on 2 qubits, one layer) trained on the
 * IonQ backend with parameter shift through ml-training's Trainer: with `runGradientStage` set to
 * `backend.batch`, each optimizer step sends ONE multi-circuit job (counted on the emulator), where
 * an unbatched step sends one job per estimate. Checkpoints record the backend and its target.
 */
let emulator: IonqEmulator;
let url: string;
let dir: string;

beforeAll(async () => {
  emulator = new IonqEmulator({ timing: { submitMs: 1, queueMs: 2, runMs: 2 } });
  url = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'ionq-train-'));
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

function data() {
  const { train, test } = irisData(['setosa', 'versicolor'], [0, 2]);
  return { train: { features: train.features.slice(0, 16), labels: train.labels.slice(0, 16) }, test };
}

function setup(options: { noiseModel?: string; batched: boolean }) {
  const backend = new IonQBackend({
    apiKey: 'test-key',
    baseUrl: url,
    pollIntervalMs: 1,
    maxPollIntervalMs: 5,
    ...(options.noiseModel ? { noiseModel: options.noiseModel } : {}),
  });
  const model = new VariationalClassifier({
    encoding: angleEncoding({ numFeatures: 2 }),
    layers: 1,
    numClasses: 2,
    labels: ['setosa', 'versicolor'],
    backend,
    ...(options.noiseModel ? { shots: 1000 } : {}),
  });
  return { backend, model };
}

describe('training a VariationalClassifier on IonQBackend (emulator)', () => {
  it('parameter shift: one multi-circuit job per step; the same parameters as unbatched, and it learns', async () => {
    const { train, test } = data();
    const steps = train.features.length / 4;
    const run = async (batched: boolean) => {
      const { backend, model } = setup({ batched });
      const trainer = new Trainer({
        model,
        optimizer: new Adam({ learningRate: 0.2 }),
        gradientMethod: 'parameter-shift',
        seed: 1,
        ...(batched ? { runGradientStage: <T>(stage: () => Promise<T>) => backend.batch(stage) } : {}),
      });
      const before = emulator.jobCount;
      const result = await trainer.fit({ train: fixedBatches(train, 4), epochs: 1 });
      const jobs = emulator.jobCount - before;
      const final = await trainer.evaluate(result.parameters, test);
      return { result, jobs, final };
    };
    const batched = await run(true);
    const unbatched = await run(false);
    // Per step: one exact multi-circuit job; unbatched: (1 + 2·P) estimates × 4 samples jobs.
    expect(batched.jobs).toBe(steps);
    expect(unbatched.jobs).toBeGreaterThan(10 * steps);
    // The ideal simulator is exact: batching changes how circuits travel, not the numbers.
    batched.result.parameters.forEach((p, i) => {
      expect(p).toBeCloseTo(unbatched.result.parameters[i] as number, 9);
    });
    expect(batched.final.accuracy).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('noisy aria-1 with shots trains too (one job per step), and the checkpoint records backend and target', async () => {
    const { train } = data();
    const { backend, model } = setup({ noiseModel: 'aria-1', batched: true });
    const store = new FileCheckpointStore({ directory: dir });
    const trainer = new Trainer({
      model,
      optimizer: new Adam({ learningRate: 0.2 }),
      gradientMethod: 'parameter-shift',
      seed: 2,
      runGradientStage: (stage) => backend.batch(stage),
      checkpointStore: store,
      checkpointEvery: 1,
    });
    const before = emulator.jobCount;
    const result = await trainer.fit({ train: fixedBatches(train, 8), epochs: 1 });
    expect(emulator.jobCount - before).toBe(2);
    const checkpoint = await loadCheckpoint(store, result.checkpoints[0] as string);
    expect(checkpoint.metadata?.quantumBackend).toEqual({ type: 'ionq', name: 'ionq:simulator+aria-1' });
    expect(Array.from(checkpoint.parameters)).toEqual(Array.from(result.parameters));
    expect(Number.isFinite(result.history[0]?.loss)).toBe(true);
  }, 60_000);

  it('SPSA on aria-1 with shots: three jobs per step (the loss before and at the two perturbed points)', async () => {
    const { train } = data();
    const { backend, model } = setup({ noiseModel: 'aria-1', batched: true });
    const trainer = new Trainer({
      model,
      optimizer: new Spsa({ learningRate: 0.2, perturbation: 0.2, seed: 3 }),
      seed: 4,
      runGradientStage: (stage) => backend.batch(stage),
    });
    const before = emulator.jobCount;
    const result = await trainer.fit({ train: fixedBatches(train, 8), epochs: 1 });
    expect(emulator.jobCount - before).toBe(2 * 3);
    expect(Number.isFinite(result.history[0]?.loss)).toBe(true);
  }, 60_000);
});
