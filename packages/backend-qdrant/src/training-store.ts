import { randomUUID } from 'node:crypto';
import {
  DATASET_ID_PATTERN,
  type DatasetManifest,
  type Label,
  type LoadTrainingBatchParams,
  NotFoundError,
  type StoreTrainingDataParams,
  shufflePermutation,
  type TrainingBatch,
  type TrainingStore,
} from '@q-store/core';
import { sortedLabelSet, validateBatchWindow, validateTrainingData } from '@q-store/core/backend';
import { base64ToFloat32, typedToBase64 } from './binary.js';
import { PLACEHOLDER_VECTOR, QdrantStore, type QdrantStoreOptions } from './store-base.js';

/** Bytes of sample payload per upsert request (well under Qdrant's 32 MB). */
const SAMPLE_REQUEST_BYTES = 8 * 1024 * 1024;
/** Ids per retrieve request. */
const IDS_PER_REQUEST = 1000;

interface ManifestPayload {
  kind: 'manifest';
  dataset: string;
  manifest: DatasetManifest;
  /** The generation whose samples each split reads. */
  generations: Record<string, string>;
  /** Each split's label set (the manifest's is their union). */
  splitLabels: Record<string, Label[]>;
}

interface SamplePayload {
  kind: 'sample';
  dataset: string;
  split: string;
  generation: string;
  position: number;
  /** Base64 of the float32 features, bit for bit. */
  features: string;
  label: Label;
}

const isDatasetId = (value: unknown): value is string => typeof value === 'string' && DATASET_ID_PATTERN.test(value);

/**
 * TrainingStore on a Qdrant collection (default `qstore-training`): one point per sample
 * (`{kind: 'sample', dataset, split, generation, position, features: base64 float32, label}`) and one
 * per dataset manifest (`{kind: 'manifest', dataset, manifest, generations}`).
 *
 * Writing a split writes its samples under a fresh *generation*, then the manifest naming that
 * generation (the manifest is written last: the switch is one point write), then deletes the
 * previous generation's samples. Readers read the manifest, then exactly the points
 * `id(dataset, split, generation, position)` of the positions they need (retrieve by id, no scan), in
 * the order of `shufflePermutation(count, seed)` when seeded — the same permutation as every other
 * store. A reader that read the manifest just before a replacement may find the old samples gone and
 * fails with NotFoundError (it never mixes two versions). Concurrent writers of one dataset in
 * different processes are not serialised (in one instance they are): pair with a StateStore lock if
 * several processes write the same dataset.
 */
export class QdrantTrainingStore extends QdrantStore implements TrainingStore {
  readonly #writing = new Map<string, Promise<unknown>>();

  constructor(options: QdrantStoreOptions = {}) {
    super(options, 'qstore-training', 'QdrantTrainingStore', ['kind', 'dataset', 'split', 'generation']);
  }

  private manifestId(datasetId: string): string {
    return this.pointId('manifest', datasetId);
  }

  private sampleId(datasetId: string, split: string, generation: string, position: number): string {
    return this.pointId('sample', datasetId, split, generation, position);
  }

  private async readManifest(datasetId: string, signal?: AbortSignal): Promise<ManifestPayload | undefined> {
    const [point] = await this.call(
      'getManifest',
      (c) =>
        c.retrieve(this.collectionName, { ids: [this.manifestId(datasetId)], with_payload: true, with_vector: false }),
      signal,
    );
    return point ? (point.payload as unknown as ManifestPayload) : undefined;
  }

  storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    if (!isDatasetId(params?.datasetId)) {
      try {
        validateTrainingData(params);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const previous = this.#writing.get(params.datasetId) ?? Promise.resolve();
    const work = previous.then(
      () => this.write(params),
      () => this.write(params),
    );
    const tail = work.catch(() => undefined);
    this.#writing.set(params.datasetId, tail);
    return work;
  }

  private write(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    const { signal } = params;
    return this.run(signal, async () => {
      const existing = await this.readManifest(params.datasetId, signal);
      const data = validateTrainingData(params, existing?.manifest);
      const generation = randomUUID();
      const perSample = Math.ceil((data.featureDimension * 4) / 3) + 400;
      const perRequest = Math.max(1, Math.floor(SAMPLE_REQUEST_BYTES / perSample));
      for (let start = 0; start < data.labels.length; start += perRequest) {
        const points: Array<{ id: string; vector: number[]; payload: Record<string, unknown> }> = [];
        for (let i = start; i < Math.min(data.labels.length, start + perRequest); i++) {
          const payload: SamplePayload = {
            kind: 'sample',
            dataset: data.datasetId,
            split: data.split,
            generation,
            position: i,
            features: typedToBase64(data.features[i] as Float32Array),
            label: data.labels[i] as Label,
          };
          points.push({
            id: this.sampleId(data.datasetId, data.split, generation, i),
            vector: PLACEHOLDER_VECTOR,
            payload: payload as unknown as Record<string, unknown>,
          });
        }
        await this.call('storeTrainingData', (c) => c.upsert(this.collectionName, { wait: true, points }), signal);
      }
      const splits: Record<string, number> = { ...(existing?.manifest.splits ?? {}), [data.split]: data.labels.length };
      const sorted = Object.fromEntries(Object.entries(splits).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const splitLabels = { ...(existing?.splitLabels ?? {}), [data.split]: sortedLabelSet(data.labels) };
      const labels = Object.values(splitLabels).flat();
      const manifest: DatasetManifest = {
        datasetId: data.datasetId,
        featureDimension: data.featureDimension,
        createdAt: existing?.manifest.createdAt ?? new Date().toISOString(),
        ...(existing?.manifest.metadata !== undefined && { metadata: existing.manifest.metadata }),
        splits: sorted,
        sampleCount: Object.values(sorted).reduce((a, b) => a + b, 0),
        labels: sortedLabelSet(labels),
        ...(params.metadata !== undefined && { metadata: params.metadata }),
      };
      const payload: ManifestPayload = {
        kind: 'manifest',
        dataset: data.datasetId,
        manifest,
        generations: { ...(existing?.generations ?? {}), [data.split]: generation },
        splitLabels,
      };
      await this.call(
        'storeTrainingData',
        (c) =>
          c.upsert(this.collectionName, {
            wait: true,
            points: [
              {
                id: this.manifestId(data.datasetId),
                vector: PLACEHOLDER_VECTOR,
                payload: payload as unknown as Record<string, unknown>,
              },
            ],
          }),
        signal,
      );
      const old = existing?.generations[data.split];
      if (old !== undefined) {
        await this.call(
          'storeTrainingData',
          (c) =>
            c.delete(this.collectionName, {
              wait: true,
              filter: this.splitFilter(data.datasetId, data.split, old) as never,
            }),
          signal,
        );
      }
      return manifest;
    });
  }

  private splitFilter(dataset: string, split: string, generation: string): Record<string, unknown> {
    return {
      must: [
        { key: 'kind', match: { value: 'sample' } },
        { key: 'dataset', match: { value: dataset } },
        { key: 'split', match: { value: split } },
        { key: 'generation', match: { value: generation } },
      ],
    };
  }

  loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch> {
    return this.run(params.signal, async () => {
      validateBatchWindow(params.offset, params.limit);
      const split = params.split ?? 'train';
      const missing = () => new NotFoundError(`dataset '${String(params.datasetId)}' split '${String(split)}'`);
      if (!isDatasetId(params.datasetId) || !isDatasetId(split)) throw missing();
      const found = await this.readManifest(params.datasetId, params.signal);
      const count = found?.manifest.splits[split];
      const generation = found?.generations[split];
      if (count === undefined || generation === undefined) throw missing();
      const end = Math.min(count, params.offset + params.limit);
      const order = params.shuffleSeed === undefined ? undefined : shufflePermutation(count, params.shuffleSeed);
      const indices: number[] = [];
      for (let k = params.offset; k < end; k++) indices.push(order ? (order[k] as number) : k);
      const byPosition = new Map<number, SamplePayload>();
      for (let start = 0; start < indices.length; start += IDS_PER_REQUEST) {
        const ids = indices
          .slice(start, start + IDS_PER_REQUEST)
          .map((p) => this.sampleId(params.datasetId, split, generation, p));
        const points = await this.call(
          'loadTrainingBatch',
          (c) => c.retrieve(this.collectionName, { ids, with_payload: true, with_vector: false }),
          params.signal,
        );
        for (const point of points) {
          const sample = point.payload as unknown as SamplePayload;
          byPosition.set(sample.position, sample);
        }
      }
      const features: Float32Array[] = [];
      const labels: Label[] = [];
      for (const position of indices) {
        const sample = byPosition.get(position);
        if (!sample) throw new NotFoundError(`sample ${position} of dataset '${params.datasetId}' split '${split}'`);
        features.push(base64ToFloat32(sample.features));
        labels.push(sample.label);
      }
      return { features, labels, indices };
    });
  }

  getManifest(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<DatasetManifest | undefined> {
    return this.run(options.signal, async () =>
      isDatasetId(datasetId) ? (await this.readManifest(datasetId, options.signal))?.manifest : undefined,
    );
  }

  listDatasets(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.run(options.signal, async () => {
      const out: string[] = [];
      for await (const point of this.scrollAll(
        'listDatasets',
        { must: [{ key: 'kind', match: { value: 'manifest' } }] },
        ['dataset'],
        options.signal,
      )) {
        out.push(String(point.payload.dataset));
      }
      return out.sort();
    });
  }

  deleteDataset(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.run(options.signal, async () => {
      if (!isDatasetId(datasetId)) return false;
      const existing = await this.readManifest(datasetId, options.signal);
      await this.call(
        'deleteDataset',
        (c) =>
          c.delete(this.collectionName, {
            wait: true,
            filter: { must: [{ key: 'dataset', match: { value: datasetId } }] },
          }),
        options.signal,
      );
      return existing !== undefined;
    });
  }
}
