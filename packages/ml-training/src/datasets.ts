import {
  createRng,
  type DatasetManifest,
  type JsonValue,
  type Label,
  NotFoundError,
  type TrainingStore,
  ValidationError,
} from '@q-store/core';
import { IssueCollector, isPlainObject, sortedLabelSet, validateTrainingData } from '@q-store/core/backend';

/** Feature rows as the stores take them: Float32Arrays or plain number arrays. */
export type FeatureRows = ReadonlyArray<Float32Array | readonly number[]>;

/** One split of a dataset: a feature row and a label per sample. */
export interface SplitData {
  features: FeatureRows;
  labels: readonly Label[];
}

/** Parameters of {@link storeDataset}. */
export interface StoreDatasetParams {
  datasetId: string;
  /** Split name → samples, e.g. `{train, test}` or `{train, test, validation}`. At least one. */
  splits: Record<string, SplitData>;
  metadata?: Record<string, JsonValue>;
  signal?: AbortSignal;
}

/** Key of the manifest metadata that {@link storeDataset} sets to a fresh id on every write. */
export const DATASET_VERSION_KEY = 'datasetVersion';

/** Prefixes the fields of a ValidationError's issues (`features[3]` → `splits.train.features[3]`). */
function rethrowWithPrefix(error: unknown, prefix: string, issues: IssueCollector): void {
  if (!(error instanceof ValidationError)) throw error;
  for (const issue of error.issues) issues.add(`${prefix}.${issue.field}`, issue.message, issue.limit);
}

/**
 * Writes a whole dataset — every split — to any {@link TrainingStore} (the seed's
 * `store_training_data`) and returns its manifest: `featureDimension`, `sampleCount`, samples per
 * split and the sorted label set.
 *
 * Every split is checked before anything is written: non-empty, as many labels as feature rows,
 * one feature dimension across all rows of all splits, finite float32 features, labels that are
 * finite numbers or non-empty strings. Problems come as one ValidationError whose issues name the
 * field, e.g. `splits.test.features[4]`. An existing dataset of that id is replaced as a whole
 * (deleted first, so no split of the old data survives); the manifest's metadata gets a fresh
 * `datasetVersion`, which data-loader caches key on.
 */
export async function storeDataset(store: TrainingStore, params: StoreDatasetParams): Promise<DatasetManifest> {
  const issues = new IssueCollector();
  const splits = isPlainObject(params?.splits) ? Object.entries(params.splits as Record<string, SplitData>) : [];
  if (splits.length === 0) issues.add('splits', 'must name at least one split, e.g. {train: {features, labels}}');
  if (params?.metadata !== undefined && !isPlainObject(params.metadata)) issues.add('metadata', 'must be an object');
  let featureDimension: number | undefined;
  for (const [name, split] of splits) {
    if (!isPlainObject(split)) {
      issues.add(`splits.${name}`, 'must be {features, labels}');
      continue;
    }
    try {
      const existing =
        featureDimension === undefined ? undefined : ({ featureDimension } as unknown as DatasetManifest);
      const valid = validateTrainingData(
        { datasetId: params.datasetId, split: name, features: split.features, labels: split.labels },
        existing,
      );
      featureDimension ??= valid.featureDimension;
    } catch (error) {
      rethrowWithPrefix(error, `splits.${name}`, issues);
    }
  }
  issues.throwIfAny('Invalid dataset');
  const version = crypto.randomUUID();
  const metadata = { ...(params.metadata ?? {}), [DATASET_VERSION_KEY]: version };
  await store.deleteDataset(params.datasetId, { ...(params.signal && { signal: params.signal }) });
  let manifest: DatasetManifest | undefined;
  for (const [name, split] of splits) {
    manifest = await store.storeTrainingData({
      datasetId: params.datasetId,
      split: name,
      features: split.features,
      labels: split.labels,
      metadata,
      ...(params.signal && { signal: params.signal }),
    });
  }
  return manifest as DatasetManifest;
}

/** The manifest of a stored dataset; a NotFoundError when there is none. */
export async function getDatasetManifest(
  store: TrainingStore,
  datasetId: string,
  options: { signal?: AbortSignal } = {},
): Promise<DatasetManifest> {
  const manifest = await store.getManifest(datasetId, options);
  if (!manifest) throw new NotFoundError(`dataset '${datasetId}'`);
  return manifest;
}

/** Options of {@link splitDataset}. */
export interface SplitOptions {
  /** Fraction of samples for the test split, in (0, 1). */
  test: number;
  /** Fraction for a validation split, in [0, 1); `test + validation` below 1. Default 0 (no split). */
  validation?: number;
  /** Seed of the shuffle (an integer from −2³¹ to 2³¹−1). Default 0. */
  seed?: number;
  /** Keep each label's share equal in every split. Default true. */
  stratify?: boolean;
}

/** A split from {@link splitDataset}; `indices` are the samples' positions in the input. */
export interface SplitPart {
  features: Float32Array[];
  labels: Label[];
  indices: number[];
}

export interface SplitResult {
  train: SplitPart;
  test: SplitPart;
  validation?: SplitPart;
}

function checkFraction(value: unknown, field: string, issues: IssueCollector, allowZero: boolean): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && value < 1 && (allowZero ? value >= 0 : value > 0);
  if (!ok) issues.add(field, `must be a number in ${allowZero ? '[0, 1)' : '(0, 1)'}, got ${String(value)}`);
}

/**
 * Splits samples into train / test (/ validation), deterministically for a seed.
 *
 * Stratified (default): the samples of each label, in input order, are shuffled with one seeded
 * generator (labels taken in sorted order); `round(n_c · test)` of label c go to test and
 * `round(n_c · validation)` to validation, at least one each when the label has 3 or more samples,
 * the rest to train. Without stratification the same rule is applied to all samples at once. Each
 * split keeps the input order of its samples. Inputs are checked as {@link storeDataset} checks them.
 */
export function splitDataset(features: FeatureRows, labels: readonly Label[], options: SplitOptions): SplitResult {
  const issues = new IssueCollector();
  checkFraction(options?.test, 'test', issues, false);
  checkFraction(options?.validation ?? 0, 'validation', issues, true);
  if ((options?.test ?? 0) + (options?.validation ?? 0) >= 1) {
    issues.add('validation', 'test + validation must be below 1');
  }
  issues.throwIfAny('Invalid split options');
  const valid = validateTrainingData({ datasetId: 'split', features, labels });
  const rng = createRng(options.seed ?? 0);
  const validationFraction = options.validation ?? 0;
  const groups = new Map<Label, number[]>();
  const stratify = options.stratify ?? true;
  for (let i = 0; i < valid.labels.length; i++) {
    const key = stratify ? (valid.labels[i] as Label) : 0;
    const group = groups.get(key) ?? [];
    group.push(i);
    groups.set(key, group);
  }
  const assignment = new Array<'train' | 'test' | 'validation'>(valid.labels.length).fill('train');
  for (const key of sortedLabelSet(groups.keys())) {
    const members = rng.shuffle([...(groups.get(key) as number[])]);
    const n = members.length;
    const atLeastOne = (fraction: number) => (fraction > 0 && n >= 3 ? 1 : 0);
    const nTest = Math.min(Math.max(Math.round(n * options.test), atLeastOne(options.test)), Math.max(1, n - 1));
    const nValidation = Math.min(
      Math.max(Math.round(n * validationFraction), atLeastOne(validationFraction)),
      Math.max(0, n - nTest - 1),
    );
    for (let k = 0; k < n; k++) {
      const i = members[k] as number;
      if (k < nTest) assignment[i] = 'test';
      else if (k < nTest + nValidation) assignment[i] = 'validation';
    }
  }
  const part = (name: 'train' | 'test' | 'validation'): SplitPart => {
    const out: SplitPart = { features: [], labels: [], indices: [] };
    for (let i = 0; i < assignment.length; i++) {
      if (assignment[i] !== name) continue;
      out.features.push(valid.features[i] as Float32Array);
      out.labels.push(valid.labels[i] as Label);
      out.indices.push(i);
    }
    return out;
  };
  return {
    train: part('train'),
    test: part('test'),
    ...(validationFraction > 0 && { validation: part('validation') }),
  };
}

/** A fitted min–max scaler: `x' = lo + (x − min) / (max − min) · (hi − lo)` per feature. */
export interface MinMaxScaler {
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly range: readonly [number, number];
  /**
   * Scales rows with the fitted minima and maxima. A feature that was constant in the fitted data
   * maps to `lo`. Values outside the fitted range land outside `[lo, hi]` unless `clip` was set.
   */
  transform(rows: FeatureRows): Float32Array[];
}

export interface MinMaxOptions {
  /** Target interval; default `[0, π]`, the natural range of angle encoding. */
  range?: readonly [number, number];
  /** Clamp transformed values into `range` (for test rows beyond the training extremes). Default false. */
  clip?: boolean;
}

/** Fits a {@link MinMaxScaler} on rows (fit on the training split only, then transform every split). */
export function fitMinMaxScaler(rows: FeatureRows, options: MinMaxOptions = {}): MinMaxScaler {
  const valid = validateTrainingData({ datasetId: 'scale', features: rows, labels: rows.map(() => 0) });
  const range = options.range ?? [0, Math.PI];
  const issues = new IssueCollector();
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) {
    issues.add('range', 'must be [lo, hi] with finite lo < hi');
  }
  issues.throwIfAny('Invalid scaler options');
  const d = valid.featureDimension;
  const min = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
  for (const row of valid.features) {
    for (let j = 0; j < d; j++) {
      const v = row[j] as number;
      if (v < (min[j] as number)) min[j] = v;
      if (v > (max[j] as number)) max[j] = v;
    }
  }
  const [lo, hi] = range;
  const clip = options.clip ?? false;
  return {
    min,
    max,
    range: [lo, hi],
    transform(input: FeatureRows): Float32Array[] {
      const data = validateTrainingData({ datasetId: 'scale', features: input, labels: input.map(() => 0) }, {
        featureDimension: d,
      } as DatasetManifest);
      return data.features.map((row) => {
        const out = new Float32Array(d);
        for (let j = 0; j < d; j++) {
          const span = (max[j] as number) - (min[j] as number);
          let v = span > 0 ? lo + (((row[j] as number) - (min[j] as number)) / span) * (hi - lo) : lo;
          if (clip) v = Math.min(hi, Math.max(lo, v));
          out[j] = v;
        }
        return out;
      });
    },
  };
}

/**
 * Min–max scaling fitted on `train` and applied to `train` and each further split — the usual
 * preprocessing before angle encoding (default range `[0, π]`).
 */
export function minMaxScale<K extends string>(
  train: FeatureRows,
  others: Record<K, FeatureRows> = {} as Record<K, FeatureRows>,
  options: MinMaxOptions = {},
): { train: Float32Array[]; scaler: MinMaxScaler } & Record<K, Float32Array[]> {
  const scaler = fitMinMaxScaler(train, options);
  const out: Record<string, Float32Array[]> = {};
  for (const [name, rows] of Object.entries(others) as [K, FeatureRows][]) out[name] = scaler.transform(rows);
  return { ...(out as Record<K, Float32Array[]>), train: scaler.transform(train), scaler };
}
