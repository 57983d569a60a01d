import { MemoryTrainingStore } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { type IrisClass, loadIris } from './builtin-datasets.js';
import { createDataLoader } from './data-loader.js';
import { minMaxScale, splitDataset, storeDataset } from './datasets.js';
import { angleEncoding } from './encoding.js';
import { VariationalClassifier } from './model.js';
import { Adam } from './optimizers.js';
import { Trainer } from './trainer.js';

/**
 * Iris on the real simulator: a stratified 80/20 split, features min–max scaled to [0, π] on the
 * training split, angle encoding on 4 qubits, the hardware-efficient ansatz, Adam, exact adjoint
 * gradients. Seeded throughout, so the figures are the same on every run.
 */
async function trainIris(classes: IrisClass[], options: { layers: number; epochs: number; learningRate: number }) {
  const iris = loadIris({ classes });
  const split = splitDataset(iris.features, iris.labels, { test: 0.2, seed: 3 });
  const scaled = minMaxScale(split.train.features, { test: split.test.features }, { clip: true });
  const store = new MemoryTrainingStore();
  const datasetId = `iris-${classes.length}`;
  await storeDataset(store, { datasetId, splits: { train: { features: scaled.train, labels: split.train.labels } } });
  const loader = await createDataLoader(store, datasetId, { batchSize: 10, shuffle: true, seed: 11 });
  const model = new VariationalClassifier({
    encoding: angleEncoding({ numFeatures: 4 }),
    layers: options.layers,
    numClasses: classes.length,
    labels: classes,
    backend: new StateVectorSimulator(),
  });
  const trainer = new Trainer({ model, optimizer: new Adam({ learningRate: options.learningRate }), seed: 1 });
  const test = { features: scaled.test, labels: split.test.labels };
  const result = await trainer.fit({ train: loader, test, epochs: options.epochs });
  const final = await trainer.evaluate(result.parameters, test);
  return { result, final, testSize: test.labels.length };
}

describe('Iris accuracy (state-vector simulator)', () => {
  it('setosa vs versicolor: 1.0 test accuracy', async () => {
    const { result, final, testSize } = await trainIris(['setosa', 'versicolor'], {
      layers: 2,
      epochs: 8,
      learningRate: 0.1,
    });
    expect(testSize).toBe(20);
    expect(final.accuracy).toBe(1);
    expect(result.history.at(-1)?.loss).toBeLessThan(result.history[0]?.loss as number);
  });

  it('versicolor vs virginica: at least 0.9 test accuracy', async () => {
    const { result, final, testSize } = await trainIris(['versicolor', 'virginica'], {
      layers: 3,
      epochs: 20,
      learningRate: 0.05,
    });
    expect(testSize).toBe(20);
    expect(final.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.history.at(-1)?.loss).toBeLessThan(result.history[0]?.loss as number);
  });
});
