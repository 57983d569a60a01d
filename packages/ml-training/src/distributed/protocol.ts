import { createHash } from 'node:crypto';
import type { GradientMethod } from '../gradients.js';
import type { EncodedRows } from '../step-gradient.js';
import type { ClassifierSpec, QuantumBackendSpec } from './spec.js';

/** Environment variable carrying the worker's store spec into its sandboxed processors. */
export const STORE_ENV = 'Q_STORE_WORKER_STORE';

/** Environment variable carrying the worker's batch-cache Redis URL into its sandboxed processors. */
export const CACHE_ENV = 'Q_STORE_WORKER_CACHE';

/** Environment variable carrying the worker's name (shown in results) into its sandboxed processors. */
export const NAME_ENV = 'Q_STORE_WORKER_NAME';

/** Queue the coordinator and the workers share unless told otherwise. */
export const DEFAULT_QUEUE = 'q-store-training';

/** What fixes a shard's samples: the global loader's options (every worker rebuilds the loader). */
export interface ShardDataset {
  datasetId: string;
  split: string;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  /** The coordinator's `descriptor.datasetVersion`; a worker seeing another version fails the job. */
  datasetVersion: string;
}

/** Data of one shard job (job id `run:step:shard`). */
export interface ShardJobData {
  runId: string;
  /** Optimizer steps before this one (0-based step index). */
  step: number;
  shard: number;
  shards: number;
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  dataset: ShardDataset;
  model: ClassifierSpec;
  backend: QuantumBackendSpec;
  method: GradientMethod;
  /** The step's seed (sample i of the global batch uses seed + i). */
  seed: number;
  /** Parameters of the step, base64 of their float64 bytes. */
  parameters: string;
  /** {@link stepDigest} of this job's inputs; echoed in the result. */
  digest: string;
}

/** What a worker returns for a shard. */
export interface ShardJobResult {
  digest: string;
  /** The shard's per-sample rows (bit-exact base64 float64). */
  rows: EncodedRows;
  /** Index of the shard's first sample in the global batch. */
  firstIndex: number;
  /** Who computed it: the worker's name (default `host:pid` of the worker process). */
  worker: string;
  loadMs: number;
  computeMs: number;
  /** The shard's batch came from the worker's batch cache (only with a cache). */
  cacheHit?: boolean;
}

/** The job id of a shard: `run:step:shard` (BullMQ accepts ids of exactly three `:` parts). */
export function shardJobId(runId: string, step: number, shard: number): string {
  return `${runId}:${step}:${shard}`;
}

/**
 * SHA-256 (hex, first 32 characters) of everything a shard result depends on except the shard
 * index: parameters, step seed, epoch, batch, shard count, dataset, model, backend and method.
 * A job found under the same id with another digest is from a different run configuration.
 */
export function stepDigest(data: Omit<ShardJobData, 'digest' | 'shard'>): string {
  const { runId, step, epoch, batch, shards, dataset, model, backend, method, seed, parameters } = data;
  const text = JSON.stringify([runId, step, epoch, batch, shards, dataset, model, backend, method, seed, parameters]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
