/**
 * The study's datasets in any {@link TrainingStore}: {@link storeStudyDataset} writes `{x, y}`
 * splits through the package's {@link storeDataset}, {@link streamStudySplit} reads one split back
 * through its {@link createDataLoader} into the `{x, y}` rows the study models' `fit` takes.
 *
 * Stores hold float32 features, so a round trip returns each feature as `Math.fround` of the value
 * written (bit for bit, in the stored order), as Float64Array rows; labels come back unchanged.
 */
import type { DatasetManifest, JsonValue, TrainingStore } from '@q-store/core';
import { ValidationError } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';
import { createDataLoader } from '../data-loader.js';
import { storeDataset } from '../datasets.js';
import type { StudySplit } from './datasets.js';

/** Options of {@link storeStudyDataset}. */
export interface StoreStudyOptions {
  /** Extra manifest metadata (the study's name of the set, its source, …). */
  metadata?: Record<string, JsonValue>;
  signal?: AbortSignal;
}

/** A split as the study's loaders and generators give it: feature rows `x` and numeric labels `y`. */
export interface StudySplitInput {
  readonly x: ReadonlyArray<ArrayLike<number>>;
  readonly y: readonly number[];
}

/** Metadata key naming the study set a stored dataset holds. */
export const STUDY_DATASET_KEY = 'studyDataset';

/** `splits.train.features[3]` → `splits.train.x[3]`: the store's field names in the study's. */
function studyField(field: string): string {
  return field.replace(/^(splits\.[^.]+)\.features/, '$1.x').replace(/^(splits\.[^.]+)\.labels/, '$1.y');
}

/**
 * Writes a study dataset — `{train: {x, y}, test: {x, y}}` or any other named splits — to a
 * {@link TrainingStore} as dataset `datasetId` (replacing one of that id), features as float32 and
 * labels as numbers, and returns the manifest (metadata `studyDataset: datasetId` plus
 * `options.metadata`). Bad input is one ValidationError naming the field in the study's terms
 * (`splits`, `splits.test.x`, `splits.train.x[4]`, `splits.train.y[7]`); nothing is then written.
 */
export async function storeStudyDataset(
  store: TrainingStore,
  datasetId: string,
  splits: Readonly<Record<string, StudySplitInput>>,
  options: StoreStudyOptions = {},
): Promise<DatasetManifest> {
  const issues = new IssueCollector();
  if (typeof datasetId !== 'string' || datasetId === '') issues.add('datasetId', 'must be a non-empty string');
  const entries =
    splits !== null && typeof splits === 'object' && !Array.isArray(splits)
      ? Object.entries(splits as Record<string, StudySplitInput>)
      : [];
  if (entries.length === 0) issues.add('splits', 'must name at least one split, e.g. {train: {x, y}}');
  for (const [name, split] of entries) {
    if (split === null || typeof split !== 'object') {
      issues.add(`splits.${name}`, 'must be {x, y}');
      continue;
    }
    if (!Array.isArray(split.x)) issues.add(`splits.${name}.x`, 'must be an array of feature rows');
    if (!Array.isArray(split.y)) issues.add(`splits.${name}.y`, 'must be an array of numeric labels');
    else {
      const bad = split.y.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
      if (bad >= 0) issues.add(`splits.${name}.y[${bad}]`, `must be a finite number, got ${String(split.y[bad])}`);
      if (Array.isArray(split.x) && split.x.length !== split.y.length)
        issues.add(`splits.${name}.y`, `must have one label per row of x (${split.x.length}), got ${split.y.length}`);
    }
  }
  issues.throwIfAny(`Invalid study dataset '${String(datasetId)}'`);
  const storeSplits: Record<string, { features: Float32Array[]; labels: number[] }> = {};
  for (const [name, split] of entries)
    storeSplits[name] = { features: split.x.map((r) => Float32Array.from(r)), labels: [...split.y] };
  try {
    return await storeDataset(store, {
      datasetId,
      splits: storeSplits,
      metadata: { ...(options.metadata ?? {}), [STUDY_DATASET_KEY]: datasetId },
      ...(options.signal && { signal: options.signal }),
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.issues.map((i) => ({ ...i, field: studyField(i.field) })),
      `Invalid study dataset '${datasetId}'`,
    );
  }
}

/** One batch read by {@link streamStudySplit}. */
export interface StudyBatchReport {
  /** 0-based batch number. */
  readonly batch: number;
  /** Batches in the split. */
  readonly batches: number;
  /** Samples in this batch. */
  readonly samples: number;
  /** Samples read so far, this batch included. */
  readonly loaded: number;
  /** Samples in the split. */
  readonly total: number;
}

/** Options of {@link streamStudySplit}. */
export interface StreamStudyOptions {
  /** Split to read; default `train`. */
  split?: string;
  /** Samples per store read, 1–100000; default 2048. */
  batchSize?: number;
  /** Reads in flight ahead of the consumer (the data loader's `numWorkers`); default 2. */
  numWorkers?: number;
  /** Called after every batch. */
  onBatch?: (report: StudyBatchReport) => void;
  signal?: AbortSignal;
}

/** What {@link streamStudySplit} read: the split's rows in stored order, and how it was read. */
export interface StreamedStudySplit extends StudySplit {
  readonly batches: number;
  readonly manifest: DatasetManifest;
}

/**
 * Reads one split of a stored study dataset through the package's data loader (stored order, no
 * shuffle) into `{x, y}`: Float64Array rows holding the stored float32 values exactly, and the
 * numeric labels. Loader options are checked by the loader (a ValidationError naming `batchSize`
 * or `numWorkers`); a missing dataset or split is a NotFoundError; a string label, which the
 * study's models cannot take, is a ValidationError naming `y[i]`.
 */
export async function streamStudySplit(
  store: TrainingStore,
  datasetId: string,
  options: StreamStudyOptions = {},
): Promise<StreamedStudySplit> {
  const loader = await createDataLoader(store, datasetId, {
    split: options.split ?? 'train',
    batchSize: options.batchSize ?? 2048,
    numWorkers: options.numWorkers ?? 2,
    ...(options.signal && { signal: options.signal }),
  });
  const total = loader.sampleCount;
  const x = new Array<Float64Array>(total);
  const y = new Array<number>(total);
  let loaded = 0;
  let batch = 0;
  for await (const b of loader) {
    for (let i = 0; i < b.features.length; i++) {
      const at = b.indices[i] as number;
      const label = b.labels[i];
      if (typeof label !== 'number')
        throw new ValidationError(
          [{ field: `y[${at}]`, message: `must be a number for the study's models, got ${JSON.stringify(label)}` }],
          `Study dataset '${datasetId}' has a non-numeric label`,
        );
      x[at] = Float64Array.from(b.features[i] as Float32Array);
      y[at] = label;
    }
    loaded += b.features.length;
    options.onBatch?.({ batch, batches: loader.length, samples: b.features.length, loaded, total });
    batch++;
  }
  return { x, y, batches: batch, manifest: loader.manifest };
}
