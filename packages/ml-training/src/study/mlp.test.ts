import { describe, expect, it } from 'vitest';
import { MLPClassifier, parseHiddenLayerSizes } from './mlp.js';
import { createStudyModel, STUDY_GRIDS } from './protocol.js';
import { LegacyRandomState } from './random-state.js';
import { invalidField, marginSplit } from './toy-sets.test-helper.js';

describe('MLPClassifier', () => {
  it('learns a separable toy set; with its updates switched off the loss stays put and it does not', async () => {
    const train = marginSplit(96, 3, 1);
    const test = marginSplit(60, 3, 2);
    const opts = { hiddenLayerSizes: '(10,)', batchSize: 32, learningRateInit: 0.05, randomState: 0, maxIter: 300 };
    const m = new MLPClassifier(opts);
    await m.fit(train.x, train.y);
    expect(m.score(test.x, test.y)).toBeGreaterThanOrEqual(0.95);
    expect(m.lossCurve.at(-1) as number).toBeLessThan((m.lossCurve[0] as number) / 3);
    const p = m.predictProba(test.x);
    expect(p.map(([, b]) => ((b as number) > 0.5 ? 1 : -1))).toEqual(m.predict(test.x));

    const frozen = new MLPClassifier({ ...opts, freezeGradient: true });
    await frozen.fit(train.x, train.y);
    expect(frozen.score(test.x, test.y)).toBeLessThan(0.8);
    // scikit-learn's stop: the loss never beats the first epoch's by tol, so epochs 2…12 count 1…11
    // non-improvements and the 11th (> nIterNoChange = 10) ends training.
    expect(frozen.nIter).toBe(12);
    expect(frozen.stoppedByTol).toBe(true);
    // The untouched weights are scikit-learn's Glorot-uniform draws from RandomState(0): ±√(6/(3+10)).
    const r = new LegacyRandomState(0);
    const bound = Math.sqrt(6 / 13);
    const first = Array.from({ length: 30 }, () => r.uniform(-bound, bound));
    expect(Array.from(frozen.coefs[0] as Float64Array)).toEqual(first.map(Math.fround));
    expect(Math.max(...Array.from(frozen.coefs[0] as Float64Array, Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('stops on maxIter when the loss keeps improving (not converged)', async () => {
    const train = marginSplit(64, 3, 3);
    const m = new MLPClassifier({ hiddenLayerSizes: [8], batchSize: 32, learningRateInit: 0.01, maxIter: 5 });
    await m.fit(train.x, train.y);
    expect([m.nIter, m.stoppedByTol, m.lossCurve.length]).toEqual([5, false, 5]);
    // scikit-learn only warns on max_iter: the protocol must not score such a fit as failed.
    expect('converged' in m).toBe(false);
  });

  it("parses the study's hyperparameters, tuples included, and names the field of a bad one", () => {
    expect(parseHiddenLayerSizes('(100,)')).toEqual([100]);
    expect(parseHiddenLayerSizes('(10, 10, 10, 10)')).toEqual([10, 10, 10, 10]);
    expect(parseHiddenLayerSizes('[50, 10, 5]')).toEqual([50, 10, 5]);
    expect(parseHiddenLayerSizes(7)).toEqual([7]);
    for (const g of STUDY_GRIDS.MLPClassifier?.hidden_layer_sizes ?? [])
      expect(() => parseHiddenLayerSizes(g)).not.toThrow();
    const m = createStudyModel(
      'MLPClassifier',
      { alpha: '0.01', batch_size: '32', hidden_layer_sizes: '(10, 10, 10, 10)', learning_rate_init: '0.1' },
      3,
    ) as MLPClassifier;
    expect([m.alpha, m.batchSize, m.hiddenLayerSizes, m.learningRateInit, m.randomState]).toEqual([
      0.01,
      32,
      [10, 10, 10, 10],
      0.1,
      3,
    ]);
    expect(new MLPClassifier().hiddenLayerSizes).toEqual([100, 100]);
    expect(new MLPClassifier().maxIter).toBe(3000);
    expect(invalidField(() => createStudyModel('MLPClassifier', { hidden_layer_sizes: '(10, -1)' }))).toBe(
      'hiddenLayerSizes',
    );
    expect(invalidField(() => createStudyModel('MLPClassifier', { hidden_layer_sizes: '()' }))).toBe(
      'hiddenLayerSizes',
    );
    expect(invalidField(() => createStudyModel('MLPClassifier', { hidden_layer_sizes: 'big' }))).toBe(
      'hiddenLayerSizes',
    );
    expect(invalidField(() => createStudyModel('MLPClassifier', { learning_rate_init: 0 }))).toBe('learningRateInit');
    expect(invalidField(() => createStudyModel('MLPClassifier', { alpha: -1 }))).toBe('alpha');
    expect(invalidField(() => createStudyModel('MLPClassifier', { batch_size: 0 }))).toBe('batchSize');
    expect(invalidField(() => new MLPClassifier({ maxIter: 1.5 }))).toBe('maxIter');
    expect(invalidField(() => createStudyModel('MLPClassifier', { hidden_size: 3 }))).toBe('hidden_size');
  });
});
