import { ClosedError, IssueCollector, NotFoundError, throwIfAborted, ValidationError } from '../shared/errors.js';
import { isPlainObject, validateId, validateListPrefix } from '../vector/validation.js';
import { encodeStateValue } from './state-values.js';
import type {
  Checkpoint,
  CheckpointInfo,
  CheckpointStore,
  DatasetManifest,
  JsonValue,
  Label,
  LoadTrainingBatchParams,
  StateStore,
  StoreTrainingDataParams,
  TrainingBatch,
  TrainingStore,
} from './stores.js';
import {
  MODEL_ID_PATTERN,
  shufflePermutation,
  sortedLabelSet,
  validateBatchWindow,
  validateTrainingData,
} from './training-data.js';

function checkKey(key: unknown): string {
  return validateId(key, 'key');
}

/** Deep copy through JSON, so stored documents never alias the caller's objects. */
function cloneJson<T extends JsonValue>(value: T, field = 'value'): T {
  return JSON.parse(encodeStateValue(value, field)) as T;
}

/** StateStore in process memory, with optional TTL per key. Lost on close. */
export class MemoryStateStore implements StateStore {
  private readonly data = new Map<string, { value: JsonValue; expiresAt: number }>();
  private closed = false;

  /** CLOSED after close, ABORTED for a fired signal, then the key checked. */
  private begin(key: unknown, signal: AbortSignal | undefined): string {
    if (this.closed) throw new ClosedError('MemoryStateStore');
    throwIfAborted(signal);
    return checkKey(key);
  }

  private live(key: string): JsonValue | undefined {
    const entry = this.data.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async get<T extends JsonValue>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    const value = this.live(this.begin(key, options.signal));
    return value === undefined ? undefined : cloneJson(value as T);
  }

  async set<T extends JsonValue>(
    key: string,
    value: T,
    options: { ttlMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    this.begin(key, options.signal);
    const ttl = options.ttlMs;
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)) {
      throw new ValidationError(
        [{ field: 'ttlMs', message: `must be a positive number, got ${String(ttl)}` }],
        'Invalid TTL',
      );
    }
    this.data.set(key, {
      value: cloneJson(value),
      expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttl,
    });
  }

  async update<T extends JsonValue>(
    key: string,
    fn: (current: T | undefined) => T | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    // Single-threaded: read, compute and write happen with no await between them.
    const current = this.live(this.begin(key, options.signal)) as T | undefined;
    const next = fn(current === undefined ? undefined : cloneJson(current));
    if (next === undefined) {
      this.data.delete(key);
      return undefined;
    }
    const value = cloneJson(next, 'update result');
    this.data.set(key, { value, expiresAt: this.data.get(key)?.expiresAt ?? Number.POSITIVE_INFINITY });
    return cloneJson(value);
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const existed = this.live(this.begin(key, options.signal)) !== undefined;
    this.data.delete(key);
    return existed;
  }

  async *keys(options: { prefix?: string; signal?: AbortSignal } = {}): AsyncIterable<string> {
    if (this.closed) throw new ClosedError('MemoryStateStore');
    const prefix = validateListPrefix(options.prefix) ?? '';
    for (const key of [...this.data.keys()]) {
      throwIfAborted(options.signal);
      if (this.closed) throw new ClosedError('MemoryStateStore');
      if (key.startsWith(prefix) && this.live(key) !== undefined) yield key;
    }
    throwIfAborted(options.signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.data.clear();
  }
}

interface StoredSplit {
  features: Float32Array[];
  labels: Label[];
}

/** TrainingStore in process memory. The reference for the database-backed stores. */
export class MemoryTrainingStore implements TrainingStore {
  private readonly datasets = new Map<string, { manifest: DatasetManifest; splits: Map<string, StoredSplit> }>();
  private closed = false;

  private begin(signal: AbortSignal | undefined): void {
    if (this.closed) throw new ClosedError('MemoryTrainingStore');
    throwIfAborted(signal);
  }

  async storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest> {
    this.begin(params.signal);
    const existing = this.datasets.get(params.datasetId);
    const data = validateTrainingData(params, existing?.manifest);
    const entry = existing ?? {
      manifest: {
        datasetId: data.datasetId,
        featureDimension: data.featureDimension,
        splits: {},
        sampleCount: 0,
        labels: [],
        createdAt: new Date().toISOString(),
      },
      splits: new Map<string, StoredSplit>(),
    };
    entry.splits.set(data.split, { features: data.features, labels: data.labels });
    const splits: Record<string, number> = {};
    const allLabels: Label[] = [];
    for (const [name, split] of entry.splits) {
      splits[name] = split.labels.length;
      allLabels.push(...split.labels);
    }
    entry.manifest = {
      ...entry.manifest,
      splits,
      sampleCount: allLabels.length,
      labels: sortedLabelSet(allLabels),
      ...(params.metadata !== undefined && { metadata: params.metadata }),
    };
    this.datasets.set(data.datasetId, entry);
    return structuredClone(entry.manifest);
  }

  async loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch> {
    this.begin(params.signal);
    validateBatchWindow(params.offset, params.limit);
    const split = params.split ?? 'train';
    const stored = this.datasets.get(params.datasetId)?.splits.get(split);
    if (!stored) throw new NotFoundError(`dataset '${params.datasetId}' split '${split}'`);
    const count = stored.labels.length;
    const order = params.shuffleSeed === undefined ? undefined : shufflePermutation(count, params.shuffleSeed);
    const indices: number[] = [];
    for (let k = params.offset; k < Math.min(count, params.offset + params.limit); k++)
      indices.push(order ? (order[k] as number) : k);
    return {
      features: indices.map((i) => (stored.features[i] as Float32Array).slice()),
      labels: indices.map((i) => stored.labels[i] as Label),
      indices,
    };
  }

  async getManifest(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<DatasetManifest | undefined> {
    this.begin(options.signal);
    const entry = this.datasets.get(datasetId);
    return entry ? structuredClone(entry.manifest) : undefined;
  }

  async listDatasets(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    this.begin(options.signal);
    return [...this.datasets.keys()].sort();
  }

  async deleteDataset(datasetId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.begin(options.signal);
    return this.datasets.delete(datasetId);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Adds an issue when `value` is not plain JSON with finite numbers (what every store can persist). */
function checkJson(value: unknown, field: string, issues: IssueCollector, depth = 0): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) issues.add(field, `must be a finite number, got ${value}`);
    return;
  }
  if (depth > 32) {
    issues.add(field, 'is nested deeper than 32 levels', 32);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkJson(v, `${field}[${i}]`, issues, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${field}.${k}`, issues, depth + 1);
    return;
  }
  issues.add(field, `must be JSON (objects, arrays, strings, finite numbers, booleans, null), got ${typeof value}`);
}

/** Checks a checkpoint before it is written. Shared by every CheckpointStore. */
export function validateCheckpoint(checkpoint: Checkpoint): void {
  const issues = new IssueCollector();
  if (typeof checkpoint.modelId !== 'string' || !MODEL_ID_PATTERN.test(checkpoint.modelId)) {
    issues.add('modelId', `must match ${MODEL_ID_PATTERN}`);
  }
  if (!Number.isSafeInteger(checkpoint.epoch) || checkpoint.epoch < 0) {
    issues.add('epoch', `must be a non-negative safe integer, got ${checkpoint.epoch}`, Number.MAX_SAFE_INTEGER);
  }
  if (checkpoint.step !== undefined && (!Number.isInteger(checkpoint.step) || checkpoint.step < 0)) {
    issues.add('step', `must be a non-negative integer, got ${checkpoint.step}`);
  }
  if (!(checkpoint.parameters instanceof Float64Array)) {
    issues.add('parameters', 'must be a Float64Array');
  } else if (checkpoint.parameters.some((p) => !Number.isFinite(p))) {
    issues.add('parameters', 'must hold only finite numbers');
  }
  if (checkpoint.optimizerState !== undefined) checkJson(checkpoint.optimizerState, 'optimizerState', issues);
  if (checkpoint.metrics !== undefined) {
    if (!isPlainObject(checkpoint.metrics)) issues.add('metrics', 'must be an object of numbers');
    else {
      for (const [k, v] of Object.entries(checkpoint.metrics)) {
        if (typeof v !== 'number' || !Number.isFinite(v))
          issues.add(`metrics.${k}`, `must be a finite number, got ${String(v)}`);
      }
    }
  }
  if (checkpoint.metadata !== undefined) checkJson(checkpoint.metadata, 'metadata', issues);
  issues.throwIfAny('Invalid checkpoint');
}

/** Zero-padded epoch as used in checkpoint names: `epoch-0007`. */
export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** `memory://<modelId>/epoch-NNNN`: the URIs of {@link MemoryCheckpointStore}. */
const MEMORY_URI = /^memory:\/\/([a-z][a-z0-9-]{0,44})\/epoch-(\d{4,16})$/;

/**
 * CheckpointStore in process memory; URIs are `memory://<modelId>/epoch-NNNN`. One checkpoint per
 * model and epoch: saving the same epoch again replaces it (as the file and database stores do).
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, Checkpoint & { createdAt: string }>();
  private closed = false;

  private begin(signal: AbortSignal | undefined): void {
    if (this.closed) throw new ClosedError('MemoryCheckpointStore');
    throwIfAborted(signal);
  }

  /** A VALIDATION error naming `uri` unless it is one of this store's URIs. */
  private checkUri(uri: unknown): string {
    if (typeof uri !== 'string' || !MEMORY_URI.test(uri)) {
      throw new ValidationError(
        [{ field: 'uri', message: 'must look like memory://<modelId>/epoch-0007' }],
        'Invalid checkpoint URI',
      );
    }
    return uri;
  }

  async save(checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<string> {
    this.begin(options.signal);
    validateCheckpoint(checkpoint);
    const uri = `memory://${checkpoint.modelId}/${checkpointName(checkpoint.epoch)}`;
    const createdAt = checkpoint.createdAt ?? new Date().toISOString();
    this.checkpoints.set(uri, structuredClone({ ...checkpoint, createdAt }));
    return uri;
  }

  async load(uri: string, options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    this.begin(options.signal);
    const found = this.checkpoints.get(this.checkUri(uri));
    if (!found) throw new NotFoundError(`checkpoint '${uri}'`);
    return structuredClone(found);
  }

  async list(modelId: string, options: { signal?: AbortSignal } = {}): Promise<CheckpointInfo[]> {
    this.begin(options.signal);
    return [...this.checkpoints.entries()]
      .filter(([, c]) => c.modelId === modelId)
      .map(([uri, c]) => ({ uri, modelId: c.modelId, epoch: c.epoch, createdAt: c.createdAt }))
      .sort((a, b) => a.epoch - b.epoch);
  }

  async delete(uri: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.begin(options.signal);
    return this.checkpoints.delete(this.checkUri(uri));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.checkpoints.clear();
  }
}
