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
import { bytesToFloat32, floatsToBytes } from './sql.js';
import { PgStore, type PgStoreOptions } from './store-base.js';

export const DATASETS_TABLE = 'qstore_datasets';
export const SAMPLES_TABLE = 'qstore_training_samples';

function isDatasetId(value: unknown): value is string {
  return typeof value === 'string' && DATASET_ID_PATTERN.test(value);
}

/** Samples written per INSERT statement (all of one call share one transaction). */
const INSERT_CHUNK = 5000;

/**
 * TrainingStore in two PostgreSQL tables (the seeds' `store_training_data`,
 * `load_training_batch`); works on any PostgreSQL, pgvector not needed.
 *
 * - `qstore_datasets (dataset_id, manifest jsonb)`: one manifest per dataset.
 * - `qstore_training_samples (dataset_id, split, position, features bytea, label jsonb)`: one row
 *   per sample; features are the float32 values little-endian, so they round-trip bit for bit.
 *
 * `storeTrainingData` validates the whole call first (core's `validateTrainingData`), then in one
 * transaction (under an advisory lock on the dataset) replaces the split and rewrites the manifest.
 * Samples go in as one bytea of all features sliced on the server, thousands per statement.
 * `loadTrainingBatch` reads positions `offset … offset + limit − 1` of the split, or with
 * `shuffleSeed` the positions `shufflePermutation(count, seed)[offset …]` — the same permutation as
 * every other store, so batch k holds the same samples everywhere. The manifest and the samples come
 * from one REPEATABLE READ snapshot: a concurrent `storeTrainingData` is seen whole or not at all.
 */
export class PgTrainingStore extends PgStore implements TrainingStore {
  private readonly datasetsSql: string;
  private readonly samplesSql: string;
  /** The last few permutations by `count:seed` (they depend on nothing else). */
  private readonly permutations = new Map<string, number[]>();

  constructor(options: PgStoreOptions) {
    super(options, 'PgTrainingStore');
    this.datasetsSql = this.table(DATASETS_TABLE);
    this.samplesSql = this.table(SAMPLES_TABLE);
  }

  protected schemaStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.datasetsSql} (
        dataset_id text COLLATE "C" PRIMARY KEY,
        manifest jsonb NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.samplesSql} (
        dataset_id text COLLATE "C" NOT NULL,
        split text COLLATE "C" NOT NULL,
        position integer NOT NULL,
        features bytea NOT NULL,
        label jsonb NOT NULL,
        PRIMARY KEY (dataset_id, split, position)
      )`,
    ];
  }

  async storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    // A bad dataset id never reaches SQL: this throws the validation error naming it (and any other).
    if (!isDatasetId(params.datasetId)) validateTrainingData(params);
    return this.inTransaction('storeTrainingData', params.signal, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `q-store dataset ${this.schema} ${String(params.datasetId)}`,
      ]);
      const { rows: found } = await tx.query<{ manifest: DatasetManifest }>(
        `SELECT manifest FROM ${this.datasetsSql} WHERE dataset_id = $1`,
        [params.datasetId],
      );
      const existing = found[0]?.manifest;
      const data = validateTrainingData(params, existing);
      await tx.query(`DELETE FROM ${this.samplesSql} WHERE dataset_id = $1 AND split = $2`, [
        data.datasetId,
        data.split,
      ]);
      const dimension = data.featureDimension;
      for (let start = 0; start < data.labels.length; start += INSERT_CHUNK) {
        const features = data.features.slice(start, start + INSERT_CHUNK);
        const packed = new Float32Array(features.length * dimension);
        for (const [i, row] of features.entries()) packed.set(row, i * dimension);
        await tx.query(
          `INSERT INTO ${this.samplesSql} (dataset_id, split, position, features, label)
           SELECT $1, $2, $3::integer + (g.i - 1)::integer,
                  substring($4::bytea FROM ((g.i - 1) * $5::integer + 1)::integer FOR $5::integer), g.label
           FROM jsonb_array_elements($6::jsonb) WITH ORDINALITY AS g(label, i)`,
          [
            data.datasetId,
            data.split,
            start,
            floatsToBytes(packed),
            4 * dimension,
            JSON.stringify(data.labels.slice(start, start + INSERT_CHUNK)),
          ],
        );
      }
      const { rows: counts } = await tx.query<{ split: string; count: number }>(
        `SELECT split, count(*)::integer AS count FROM ${this.samplesSql} WHERE dataset_id = $1 GROUP BY split ORDER BY split`,
        [data.datasetId],
      );
      const { rows: labels } = await tx.query<{ label: Label }>(
        `SELECT DISTINCT label FROM ${this.samplesSql} WHERE dataset_id = $1`,
        [data.datasetId],
      );
      const splits: Record<string, number> = {};
      let sampleCount = 0;
      for (const row of counts) {
        splits[row.split] = row.count;
        sampleCount += row.count;
      }
      const manifest: DatasetManifest = {
        datasetId: data.datasetId,
        featureDimension: dimension,
        createdAt: existing?.createdAt ?? new Date().toISOString(),
        ...(existing?.metadata !== undefined && { metadata: existing.metadata }),
        splits,
        sampleCount,
        labels: sortedLabelSet(labels.map((row) => row.label)),
        ...(params.metadata !== undefined && { metadata: params.metadata }),
      };
      await tx.query(
        `INSERT INTO ${this.datasetsSql} (dataset_id, manifest) VALUES ($1, $2::jsonb)
         ON CONFLICT (dataset_id) DO UPDATE SET manifest = EXCLUDED.manifest`,
        [data.datasetId, JSON.stringify(manifest)],
      );
      return manifest;
    });
  }

  private permutation(count: number, seed: number): number[] {
    const key = `${count}:${seed}`;
    let order = this.permutations.get(key);
    if (!order) {
      order = shufflePermutation(count, seed);
      this.permutations.set(key, order);
      if (this.permutations.size > 8) this.permutations.delete(this.permutations.keys().next().value as string);
    }
    return order;
  }

  async loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch> {
    validateBatchWindow(params.offset, params.limit);
    const split = params.split ?? 'train';
    if (!isDatasetId(params.datasetId) || !isDatasetId(split)) {
      throw new NotFoundError(`dataset '${String(params.datasetId)}' split '${String(split)}'`);
    }
    // The manifest and the samples are read from one snapshot (REPEATABLE READ), so a concurrent
    // storeTrainingData is seen entirely or not at all.
    return this.inTransaction('loadTrainingBatch', params.signal, async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { rows: found } = await tx.query<{ manifest: DatasetManifest }>(
        `SELECT manifest FROM ${this.datasetsSql} WHERE dataset_id = $1`,
        [params.datasetId],
      );
      const manifest = found[0]?.manifest;
      const count = manifest?.splits[split];
      if (manifest === undefined || count === undefined) {
        throw new NotFoundError(`dataset '${params.datasetId}' split '${split}'`);
      }
      const end = Math.min(count, params.offset + params.limit);
      const indices: number[] = [];
      if (params.shuffleSeed === undefined) {
        for (let k = params.offset; k < end; k++) indices.push(k);
      } else {
        const order = this.permutation(count, params.shuffleSeed);
        for (let k = params.offset; k < end; k++) indices.push(order[k] as number);
      }
      if (indices.length === 0) return { features: [], labels: [], indices };
      const { rows } = await tx.query<{ position: number; features: Uint8Array; label: Label }>(
        `SELECT position, features, label FROM ${this.samplesSql}
         WHERE dataset_id = $1 AND split = $2 AND position = ANY($3::integer[])`,
        [params.datasetId, split, indices],
      );
      const byPosition = new Map(rows.map((row) => [row.position, row]));
      const features: Float32Array[] = [];
      const labels: Label[] = [];
      for (const position of indices) {
        const row = byPosition.get(position);
        if (!row) throw new NotFoundError(`sample ${position} of dataset '${params.datasetId}' split '${split}'`);
        features.push(bytesToFloat32(row.features));
        labels.push(row.label);
      }
      return { features, labels, indices };
    });
  }

  async getManifest(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<DatasetManifest | undefined> {
    if (!isDatasetId(datasetId)) return undefined;
    return this.call('getManifest', options.signal, async (driver) => {
      const { rows } = await driver.query<{ manifest: DatasetManifest }>(
        `SELECT manifest FROM ${this.datasetsSql} WHERE dataset_id = $1`,
        [datasetId],
        options.signal,
      );
      return rows[0]?.manifest;
    });
  }

  async listDatasets(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.call('listDatasets', options.signal, async (driver) => {
      const { rows } = await driver.query<{ dataset_id: string }>(
        `SELECT dataset_id FROM ${this.datasetsSql} ORDER BY dataset_id`,
        [],
        options.signal,
      );
      return rows.map((row) => row.dataset_id);
    });
  }

  async deleteDataset(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (!isDatasetId(datasetId)) return false;
    return this.inTransaction('deleteDataset', options.signal, async (tx) => {
      await tx.query(`DELETE FROM ${this.samplesSql} WHERE dataset_id = $1`, [datasetId]);
      return (await tx.query(`DELETE FROM ${this.datasetsSql} WHERE dataset_id = $1`, [datasetId])).rowCount > 0;
    });
  }
}
