import { IssueCollector } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { INDEX_NAME_PATTERN } from '../vector/validation.js';
import type { DatasetManifest, Label, StoreTrainingDataParams } from './stores.js';

/** Dataset ids and split names: lowercase letters, digits and `-` / `_`, starting with a letter, at most 45. */
export const DATASET_ID_PATTERN = /^[a-z][a-z0-9_-]{0,44}$/;

export interface ValidTrainingData {
  datasetId: string;
  split: string;
  features: Float32Array[];
  labels: Label[];
  featureDimension: number;
}

/**
 * Checks a `storeTrainingData` call as a whole before anything is written: ids, equal counts of
 * features and labels, one feature dimension for every sample (and the dimension already stored
 * for the dataset, if any), finite features, labels that are finite numbers or non-empty strings.
 */
export function validateTrainingData(params: StoreTrainingDataParams, existing?: DatasetManifest): ValidTrainingData {
  const issues = new IssueCollector();
  const split = params.split ?? 'train';
  if (typeof params.datasetId !== 'string' || !DATASET_ID_PATTERN.test(params.datasetId)) {
    issues.add('datasetId', `must match ${DATASET_ID_PATTERN}`, 45);
  }
  if (typeof split !== 'string' || !DATASET_ID_PATTERN.test(split)) {
    issues.add('split', `must match ${DATASET_ID_PATTERN}`, 45);
  }
  const features = Array.isArray(params.features) ? params.features : [];
  const labels = Array.isArray(params.labels) ? params.labels : [];
  if (features.length === 0) issues.add('features', 'must be a non-empty array of feature vectors');
  if (labels.length !== features.length) {
    issues.add('labels', `has ${labels.length} labels for ${features.length} samples; they must match`);
  }
  const dimension = existing?.featureDimension ?? features[0]?.length ?? 0;
  if (features.length > 0 && dimension < 1) issues.add('features[0]', 'must have at least one feature');
  const out: Float32Array[] = [];
  for (let i = 0; i < features.length && !issues.full; i++) {
    const row: unknown = features[i];
    if (!(row instanceof Float32Array) && !Array.isArray(row)) {
      issues.add(`features[${i}]`, 'must be a Float32Array or an array of numbers');
      continue;
    }
    if (row.length !== dimension) {
      issues.add(`features[${i}]`, `has ${row.length} features; the dataset has ${dimension}`, dimension);
      continue;
    }
    const vec = new Float32Array(dimension);
    let ok = true;
    for (let j = 0; j < dimension; j++) {
      const value: unknown = row[j];
      const f = typeof value === 'number' ? Math.fround(value) : Number.NaN;
      if (!Number.isFinite(f)) {
        issues.add(`features[${i}][${j}]`, `must be a finite float32 number, got ${String(value)}`);
        ok = false;
        break;
      }
      vec[j] = f;
    }
    if (ok) out.push(vec);
  }
  for (let i = 0; i < labels.length && !issues.full; i++) {
    const label: unknown = labels[i];
    const ok = (typeof label === 'number' && Number.isFinite(label)) || (typeof label === 'string' && label.length > 0);
    if (!ok) issues.add(`labels[${i}]`, 'must be a finite number or a non-empty string');
  }
  issues.throwIfAny('Invalid training data');
  return { datasetId: params.datasetId, split, features: out, labels: [...labels], featureDimension: dimension };
}

/** Distinct labels sorted: numbers ascending, then strings in code-point order. */
export function sortedLabelSet(labels: Iterable<Label>): Label[] {
  return [...new Set(labels)].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * The order in which a seeded shuffle reads `count` samples: a Fisher–Yates permutation from
 * `createRng(seed)`. Every TrainingStore uses this, so batches agree across stores.
 */
export function shufflePermutation(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return createRng(seed).shuffle(order);
}

/** Checks `offset`/`limit` of a batch read. */
export function validateBatchWindow(offset: unknown, limit: unknown): void {
  const issues = new IssueCollector();
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    issues.add('offset', `must be a non-negative integer, got ${String(offset)}`);
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    issues.add('limit', `must be an integer from 1 to 100000, got ${String(limit)}`, 100_000);
  }
  issues.throwIfAny('Invalid batch request');
}

/** Checkpoint model ids follow the index-name rule so they are safe in file names and SQL. */
export const MODEL_ID_PATTERN = INDEX_NAME_PATTERN;
