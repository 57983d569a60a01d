import {
  DATASET_ID_PATTERN,
  type DatasetManifest,
  type Label,
  type LoadTrainingBatchParams,
  NotFoundError,
  StorageError,
  type StoreTrainingDataParams,
  shufflePermutation,
  type TrainingBatch,
  type TrainingStore,
  ValidationError,
  type VectorRecordInput,
} from '@q-store/core';
import { sortedLabelSet, validateBatchWindow, validateTrainingData } from '@q-store/core/backend';
import { PINECONE_LIMITS } from './pinecone-backend.js';
import { generationToken, RecordStore, type RecordStoreOptions } from './record-store.js';

/** Default namespace of the training records. */
export const TRAINING_NAMESPACE = 'q-store-training';

function isDatasetId(value: unknown): value is string {
  return typeof value === 'string' && DATASET_ID_PATTERN.test(value);
}

/** What the manifest record keeps beside the user-visible manifest: each split's generation. */
interface StoredManifest {
  manifest: DatasetManifest;
  /** split → the generation token of its sample records. */
  generations: Record<string, string>;
  /** split → that split's distinct labels (the manifest's label set is their union). */
  splitLabels: Record<string, Label[]>;
}

const manifestId = (datasetId: string) => `m/${datasetId}`;
const sampleId = (datasetId: string, split: string, generation: string, position: number) =>
  `s/${datasetId}/${split}/${generation}/${position}`;

/**
 * TrainingStore on a Pinecone index (seed 001's first choice for training data): each sample is one
 * record in the namespace `q-store-training`, id `s/<dataset>/<split>/<generation>/<position>`, its
 * metadata `{label, f}` with `f` the features' float32 bytes in base64 (exact, bit for bit); its
 * vector is the features when they fit the index's dimension (so samples can be searched), else e₀.
 * One manifest record `m/<dataset>` holds the manifest and the generation of each split.
 *
 * **Visibility.** `storeTrainingData` writes the split's samples under a new generation, waits until
 * they are all visible, and only then writes the manifest (and waits for it); the previous
 * generation's samples are deleted after that. A reader reads the manifest first, then the samples
 * of the generation it names, so it sees the old split or the new one, never a mix; a reader that
 * raced a replacement and finds a sample gone re-reads the manifest.
 *
 * `loadTrainingBatch` reads positions `offset … offset + limit − 1`, or with `shuffleSeed` the
 * positions `shufflePermutation(count, seed)[offset …]` — the same permutation as every other store.
 * Features are limited by the 40 KB metadata of a record: at most 7,000 per sample.
 * Costs: a store of n samples is ⌈n / 1,000⌉ upserts (fewer at large dimensions: 2 MB each), the
 * visibility polls (one fetch per 1,000 ids per round) and one manifest write; a batch read is one
 * manifest fetch and ⌈limit / 1,000⌉ fetches.
 */
export class PineconeTrainingStore extends RecordStore implements TrainingStore {
  /** Most features a sample may have (its base64 must fit in 40 KB of metadata). */
  static readonly MAX_FEATURES = 7_000;

  constructor(options: RecordStoreOptions) {
    super(options, TRAINING_NAMESPACE, 'PineconeTrainingStore');
  }

  private async readManifest(datasetId: string, signal?: AbortSignal): Promise<StoredManifest | undefined> {
    const found = (await this.fetchMetadata([manifestId(datasetId)], signal)).get(manifestId(datasetId));
    if (!found || typeof found.doc !== 'string') return undefined;
    return JSON.parse(found.doc) as StoredManifest;
  }

  storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    if (!isDatasetId(params?.datasetId)) return Promise.resolve().then(() => validateTrainingData(params) as never);
    return this.call(params.signal, () => this.exclusive(params.datasetId, () => this.store(params)));
  }

  /** One write of a split, run alone among this process's writers of the dataset. */
  private async store(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    const stored = await this.readManifest(params.datasetId, params.signal);
    const data = validateTrainingData(params, stored?.manifest);
    if (data.featureDimension > PineconeTrainingStore.MAX_FEATURES) {
      throw new ValidationError(
        [
          {
            field: 'features[0]',
            message: `has ${data.featureDimension} features; a Pinecone record's 40 KB of metadata holds at most ${PineconeTrainingStore.MAX_FEATURES}`,
            limit: PineconeTrainingStore.MAX_FEATURES,
          },
        ],
        'Invalid training data',
      );
    }
    const generation = generationToken();
    const records: VectorRecordInput[] = data.features.map((features, position) => ({
      id: sampleId(data.datasetId, data.split, generation, position),
      vector: this.vectorFor(features),
      metadata: {
        label: data.labels[position] as Label,
        f: Buffer.from(features.buffer, features.byteOffset, features.byteLength).toString('base64'),
      },
    }));
    await this.write(records, params.signal);

    const previous = stored?.generations[data.split];
    const splits = { ...stored?.manifest.splits, [data.split]: data.labels.length };
    const splitLabels = { ...stored?.splitLabels, [data.split]: sortedLabelSet(data.labels) };
    const manifest: DatasetManifest = {
      datasetId: data.datasetId,
      featureDimension: data.featureDimension,
      splits: Object.fromEntries(Object.entries(splits).sort(([a], [b]) => (a < b ? -1 : 1))),
      sampleCount: Object.values(splits).reduce((sum, n) => sum + n, 0),
      labels: sortedLabelSet(Object.values(splitLabels).flat()),
      createdAt: stored?.manifest.createdAt ?? new Date().toISOString(),
      ...(stored?.manifest.metadata !== undefined && { metadata: stored.manifest.metadata }),
      ...(params.metadata !== undefined && { metadata: params.metadata }),
    };
    const doc: StoredManifest = {
      manifest,
      generations: { ...stored?.generations, [data.split]: generation },
      splitLabels,
    };
    const text = JSON.stringify(doc);
    if (Buffer.byteLength(text) > PINECONE_LIMITS.maxMetadataBytes - 64) {
      throw new ValidationError(
        [
          {
            field: 'metadata',
            message: 'the dataset manifest would exceed 40 KB',
            limit: PINECONE_LIMITS.maxMetadataBytes,
          },
        ],
        'Invalid training data',
      );
    }
    await this.write(
      [{ id: manifestId(data.datasetId), vector: this.vectorFor(), metadata: { doc: text } }],
      params.signal,
      true,
    );
    // The previous generation's samples are unreachable now (ids known from the old manifest).
    if (previous !== undefined && stored !== undefined) {
      const count = stored.manifest.splits[data.split] ?? 0;
      await this.remove(
        Array.from({ length: count }, (_, k) => sampleId(data.datasetId, data.split, previous, k)),
        params.signal,
      );
    }
    return manifest;
  }

  loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch> {
    return this.call(params.signal, async () => {
      validateBatchWindow(params.offset, params.limit);
      const split = params.split ?? 'train';
      if (!isDatasetId(params.datasetId) || !isDatasetId(split)) {
        throw new NotFoundError(`dataset '${String(params.datasetId)}' split '${String(split)}'`);
      }
      // A replacement may delete the generation we read between the manifest and the samples: re-read.
      for (let attempt = 0; ; attempt++) {
        const stored = await this.readManifest(params.datasetId, params.signal);
        const count = stored?.manifest.splits[split];
        const generation = stored?.generations[split];
        if (stored === undefined || count === undefined || generation === undefined) {
          throw new NotFoundError(`dataset '${params.datasetId}' split '${split}'`);
        }
        const end = Math.min(count, params.offset + params.limit);
        const indices: number[] = [];
        const order = params.shuffleSeed === undefined ? undefined : shufflePermutation(count, params.shuffleSeed);
        for (let k = params.offset; k < end; k++) indices.push(order ? (order[k] as number) : k);
        if (indices.length === 0) return { features: [], labels: [], indices };
        const ids = indices.map((position) => sampleId(params.datasetId, split, generation, position));
        const found = await this.fetchMetadata(ids, params.signal);
        if (found.size < ids.length) {
          if (attempt < 3) continue;
          throw new StorageError(
            `dataset '${params.datasetId}' split '${split}': ${ids.length - found.size} samples of its manifest are missing`,
          );
        }
        const features: Float32Array[] = [];
        const labels: Label[] = [];
        for (const id of ids) {
          const metadata = found.get(id) as { label: Label; f: string };
          const bytes = Buffer.from(metadata.f, 'base64');
          const row = new Float32Array(bytes.byteLength / 4);
          new Uint8Array(row.buffer).set(bytes);
          features.push(row);
          labels.push(metadata.label);
        }
        return { features, labels, indices };
      }
    });
  }

  getManifest(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<DatasetManifest | undefined> {
    if (!isDatasetId(datasetId)) return Promise.resolve(undefined);
    return this.call(options.signal, async () => (await this.readManifest(datasetId, options.signal))?.manifest);
  }

  listDatasets(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.call(options.signal, async () =>
      (await this.listIds('m/', options.signal)).map((id) => id.slice(2)).sort(),
    );
  }

  /** Deletes the manifest first (readers stop finding the dataset), then every sample record. */
  deleteDataset(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (!isDatasetId(datasetId)) return Promise.resolve(false);
    return this.call(options.signal, () => this.exclusive(datasetId, () => this.removeDataset(datasetId, options)));
  }

  private async removeDataset(datasetId: string, options: { signal?: AbortSignal }): Promise<boolean> {
    const stored = await this.readManifest(datasetId, options.signal);
    if (stored === undefined) return false;
    await this.remove([manifestId(datasetId)], options.signal);
    const ids: string[] = [];
    for (const [split, generation] of Object.entries(stored.generations)) {
      const count = stored.manifest.splits[split] ?? 0;
      for (let k = 0; k < count; k++) ids.push(sampleId(datasetId, split, generation, k));
    }
    await this.remove(ids, options.signal);
    return true;
  }
}
