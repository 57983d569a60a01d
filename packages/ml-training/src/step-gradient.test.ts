import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { loadIris } from './builtin-datasets.js';
import { angleEncoding } from './encoding.js';
import { VariationalClassifier } from './model.js';
import { concatRows, decodeRows, encodeRows, meanOfRows, sampleGradients } from './step-gradient.js';

const iris = loadIris();
const features = iris.features.slice(0, 12).map((f) => Array.from(f, (x) => x / 8));
const labels = iris.labels.slice(0, 12);

describe('step gradient: per-sample rows and the reduce rule', () => {
  it('any shard split, concatenated in shard order and encoded, gives the bit-identical mean', async () => {
    const model = new VariationalClassifier({
      encoding: angleEncoding({ numFeatures: 4 }),
      layers: 2,
      numClasses: 3,
      labels: ['setosa', 'versicolor', 'virginica'],
      backend: new StateVectorSimulator(),
    });
    const parameters = model.initialParameters({ seed: 3 });
    const base = { model, parameters, method: 'adjoint' as const };
    const whole = meanOfRows(await sampleGradients({ ...base, features, labels }));
    for (const cuts of [[5], [1, 7, 11], [3, 6, 9]]) {
      const bounds = [0, ...cuts, features.length];
      const parts = [];
      for (let j = 0; j + 1 < bounds.length; j++) {
        const [a, b] = [bounds[j] as number, bounds[j + 1] as number];
        const rows = await sampleGradients({
          ...base,
          features: features.slice(a, b),
          labels: labels.slice(a, b),
          firstIndex: a,
        });
        parts.push(decodeRows(encodeRows(rows)));
      }
      const sharded = meanOfRows(concatRows(parts));
      expect(Buffer.from(sharded.gradient.buffer)).toEqual(Buffer.from(whole.gradient.buffer));
      expect(sharded.loss).toBe(whole.loss);
    }
    // The mean is the batch gradient the model computes (to rounding).
    const batch = await model.lossAndGradient({ ...base, features, labels });
    for (let p = 0; p < batch.gradient.length; p++)
      expect(whole.gradient[p]).toBeCloseTo(batch.gradient[p] as number, 12);
    expect(whole.loss).toBeCloseTo(batch.loss, 12);
  });
});
