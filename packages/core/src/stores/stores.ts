/**
 * Contracts for the non-vector stores: cache, small JSON state, training data, checkpoints.
 * Memory implementations live in `memory-stores.ts`; pgvector and Redis packages implement them
 * on their services.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A cache for query results, hot vectors and training batches.
 *
 * Values are encoded with `encodeCacheValue` (`../cache/cache-codec.ts`: JSON with Float32Array / Float64Array kept exact),
 * so any implementation round-trips what `QuantumDatabase` and the trainers put in.
 *
 * Staleness rule: every cached query result is keyed with the *generation* of its index and
 * namespace, read before the query runs. Every write bumps the generation **after** it lands (and
 * also when it fails part-way), so any result computed before or during the write was stored
 * under an older generation and is unreachable afterwards — a read after a write is never stale.
 * Deleting a whole namespace or dropping the index bumps an index-wide generation too.
 */
export interface CacheBackend {
  get<T>(key: string, options?: { signal?: AbortSignal }): Promise<T | undefined>;
  /** `ttlMs` overrides the cache's default time to live. */
  set<T>(key: string, value: T, options?: { ttlMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Returns how many of the keys existed. */
  delete(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<number>;
  /** Current generation of a scope (e.g. `index/namespace`); 0 when never bumped. */
  generation(scope: string, options?: { signal?: AbortSignal }): Promise<number>;
  /** Increments and returns the generation of a scope. */
  bumpGeneration(scope: string, options?: { signal?: AbortSignal }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Small JSON documents by key: entanglement groups, dataset manifests, the model registry.
 * Keys are non-empty strings of at most 512 characters.
 */
export interface StateStore {
  get<T extends JsonValue>(key: string, options?: { signal?: AbortSignal }): Promise<T | undefined>;
  set<T extends JsonValue>(key: string, value: T, options?: { ttlMs?: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Atomic read-modify-write: `fn` receives the current value (or undefined) and returns the new
   * one (undefined deletes). Concurrent updates of one key never lose a write; `fn` may run more
   * than once, so it must be pure.
   */
  update<T extends JsonValue>(
    key: string,
    fn: (current: T | undefined) => T | undefined,
    options?: { signal?: AbortSignal },
  ): Promise<T | undefined>;
  delete(key: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Keys with a prefix, in no particular order. */
  keys(options?: { prefix?: string; signal?: AbortSignal }): AsyncIterable<string>;
  close(): Promise<void>;
}

export type Label = number | string;

/** What a stored dataset holds. Written with the data; one per dataset. */
export interface DatasetManifest {
  datasetId: string;
  featureDimension: number;
  /** Samples per split, e.g. `{train: 120, test: 30}`. */
  splits: Record<string, number>;
  sampleCount: number;
  /** Distinct labels, sorted (numbers ascending, then strings). */
  labels: Label[];
  createdAt: string;
  metadata?: Record<string, JsonValue>;
}

export interface StoreTrainingDataParams {
  datasetId: string;
  /** Default `train`. Writing a split again replaces it. */
  split?: string;
  features: ReadonlyArray<Float32Array | readonly number[]>;
  labels: readonly Label[];
  metadata?: Record<string, JsonValue>;
  signal?: AbortSignal;
}

export interface LoadTrainingBatchParams {
  datasetId: string;
  split?: string;
  offset: number;
  limit: number;
  /**
   * When given, samples are read in the order of `shufflePermutation(count, seed)` — the same
   * permutation on every store — so batch k is the same samples everywhere.
   */
  shuffleSeed?: number;
  signal?: AbortSignal;
}

export interface TrainingBatch {
  features: Float32Array[];
  labels: Label[];
  /** Position of each sample in its split (stable across shuffles). */
  indices: number[];
}

/** Training data (the seeds' `store_training_data`, `load_training_batch`). */
export interface TrainingStore {
  storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest>;
  loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch>;
  getManifest(datasetId: string, options?: { signal?: AbortSignal }): Promise<DatasetManifest | undefined>;
  listDatasets(options?: { signal?: AbortSignal }): Promise<string[]>;
  deleteDataset(datasetId: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  close(): Promise<void>;
}

/** A model's state at one point of training. Parameters round-trip bit for bit. */
export interface Checkpoint {
  modelId: string;
  epoch: number;
  step?: number;
  parameters: Float64Array;
  optimizerState?: JsonValue;
  metrics?: Record<string, number>;
  metadata?: Record<string, JsonValue>;
  createdAt?: string;
}

export interface CheckpointInfo {
  uri: string;
  modelId: string;
  epoch: number;
  createdAt: string;
}

/**
 * Checkpoints (the seeds' `save_checkpoint` returning a path, `load_checkpoint`). `save` is atomic:
 * a crash mid-save leaves the previous checkpoint loadable. URIs name the store:
 * `file:///…/model/epoch-0007.json`, `pgvector://…`, `memory://…`.
 */
export interface CheckpointStore {
  save(checkpoint: Checkpoint, options?: { signal?: AbortSignal }): Promise<string>;
  load(uri: string, options?: { signal?: AbortSignal }): Promise<Checkpoint>;
  /** A model's checkpoints, oldest epoch first. */
  list(modelId: string, options?: { signal?: AbortSignal }): Promise<CheckpointInfo[]>;
  delete(uri: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  close(): Promise<void>;
}
