import type { Label } from '@q-store/core';
import { type EpochSource, loadIris, minMaxScale, splitDataset } from '@q-store/ml-training';

/** Iris with the given classes and feature columns: a stratified 80/20 split, min–max scaled on the train split. */
export function irisData(classes: readonly Label[], columns: readonly number[]) {
  const iris = loadIris({ classes: classes as never });
  const rows = iris.features.map((f) => columns.map((k) => f[k] as number));
  const split = splitDataset(rows, iris.labels, { test: 0.2, seed: 3 });
  const scaled = minMaxScale(split.train.features, { test: split.test.features }, { clip: true });
  return {
    train: { features: scaled.train, labels: split.train.labels },
    test: { features: scaled.test, labels: split.test.labels },
  };
}

/**
 * Batches of `size` from the first `limit` samples, in a fixed order per epoch (sample i of epoch e
 * is (7i + 13e) mod n; 7 must be prime to n), so that every run sees the same batches.
 */
export function fixedBatches(
  train: { features: Float32Array[]; labels: Label[] },
  size: number,
  limit = Number.POSITIVE_INFINITY,
): EpochSource {
  const n = Math.min(limit, train.features.length);
  return {
    async *epoch(e: number) {
      const order = Array.from({ length: n }, (_, i) => (i * 7 + e * 13) % n);
      for (let i = 0; i < n; i += size) {
        const idx = order.slice(i, i + size);
        yield {
          features: idx.map((k) => train.features[k] as Float32Array),
          labels: idx.map((k) => train.labels[k] as Label),
          indices: idx,
        };
      }
    },
  };
}
