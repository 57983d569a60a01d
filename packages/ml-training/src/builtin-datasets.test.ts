import { createRequire } from 'node:module';
import { ValidationError } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { averagePool, loadIris, loadMnist } from './builtin-datasets.js';

/** The raw MNIST-400 table, read independently of the loader. */
const raw = createRequire(import.meta.url)('@saehrimnir/dataset').MNIST as { labels: number[]; values: number[][] };

describe('loadIris', () => {
  it('is Fisher’s 150 × 4 data, 50 per species', () => {
    const iris = loadIris();
    expect(iris.features).toHaveLength(150);
    expect(iris.features.every((row) => row.length === 4)).toBe(true);
    expect(iris.features[0]).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(iris.labels[0]).toBe('setosa');
    for (const species of ['setosa', 'versicolor', 'virginica'] as const)
      expect(iris.labels.filter((l) => l === species)).toHaveLength(50);
    expect(iris.featureNames).toEqual(['sepal length', 'sepal width', 'petal length', 'petal width']);
  });

  it('keeps only the requested species', () => {
    const binary = loadIris({ classes: ['versicolor', 'virginica'] });
    expect(binary.features).toHaveLength(100);
    expect(new Set(binary.labels)).toEqual(new Set(['versicolor', 'virginica']));
    expect(() => loadIris({ classes: ['rose' as never] })).toThrow(ValidationError);
  });
});

describe('loadMnist', () => {
  it('gives the 80 images of 0 and 1 as 4 × 4 means of 7 × 7 blocks, scaled to [0, 1]', () => {
    const mnist = loadMnist({ digits: [0, 1], size: 4 });
    expect(mnist.features).toHaveLength(80);
    expect(mnist.labels.filter((d) => d === 0)).toHaveLength(40);
    expect(mnist.labels.filter((d) => d === 1)).toHaveLength(40);
    const rawZeroOne = raw.values.filter((_, i) => raw.labels[i] === 0 || raw.labels[i] === 1);
    for (const [k, image] of rawZeroOne.entries()) {
      const row = mnist.features[k] as number[];
      expect(row).toHaveLength(16);
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          let sum = 0;
          for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) sum += image[(r * 7 + i) * 28 + c * 7 + j] as number;
          expect(row[r * 4 + c]).toBeCloseTo(sum / 49 / 255, 12);
        }
      }
    }
    expect(mnist.features.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...mnist.features.flat())).toBeGreaterThan(0.5);
  });

  it('pools 28 → 8 by area (3.5 × 3.5 pixels each): equal to 7 × 7 block means of the image doubled to 56 × 56', () => {
    const mnist = loadMnist({ digits: [3], size: 8 });
    expect(mnist.features).toHaveLength(40);
    const image = raw.values[raw.labels.indexOf(3)] as number[];
    const row = mnist.features[0] as number[];
    expect(row).toHaveLength(64);
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        let sum = 0;
        for (let i = 0; i < 7; i++)
          for (let j = 0; j < 7; j++) {
            const y = Math.floor((r * 7 + i) / 2);
            const x = Math.floor((c * 7 + j) / 2);
            sum += image[y * 28 + x] as number;
          }
        expect(row[r * 8 + c]).toBeCloseTo(sum / 49 / 255, 12);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(row)).toBeCloseTo(mean(image) / 255, 12);
  });

  it('without pooling gives the raw pixels / 255', () => {
    const all = loadMnist();
    expect(all.features).toHaveLength(400);
    expect(all.features[5]).toEqual((raw.values[5] as number[]).map((v) => v / 255));
  });

  it('rejects bad sizes and digits', () => {
    expect(() => loadMnist({ size: 0 })).toThrow(ValidationError);
    expect(() => loadMnist({ size: 29 })).toThrow(/size/);
    expect(() => loadMnist({ digits: [10] })).toThrow(/digits\[0\]/);
    expect(() => averagePool([1, 2, 3], 2, 1)).toThrow(/image/);
  });
});
