/**
 * The sandboxed BullMQ processor of a training worker (run in a child process forked by BullMQ, so
 * CPU-bound simulation never blocks the parent's lock renewal). It reads the store spec from the
 * environment (`Q_STORE_WORKER_STORE`, set by `startTrainingWorker`), and keeps the store, loaders,
 * backends and models open across jobs.
 */
import { hostname } from 'node:os';
import type { CacheBackend, QuantumBackend, TrainingStore } from '@q-store/core';
import { type SandboxedJob, UnrecoverableError } from 'bullmq';
import { createDataLoader, type DataLoader, shardRange } from '../data-loader.js';
import type { VariationalClassifier } from '../model.js';
import { decodeFloat64, encodeRows, sampleGradients } from '../step-gradient.js';
import { CACHE_ENV, NAME_ENV, type ShardJobData, type ShardJobResult, STORE_ENV, stepDigest } from './protocol.js';
import { classifierFromSpec, openQuantumBackend } from './spec.js';
import { openTrainingStore } from './store-spec.js';

// The parent (the BullMQ worker process) is gone: stop instead of computing for nobody.
if (process.send) process.on('disconnect', () => process.exit(1));

let store: Promise<TrainingStore> | undefined;
let cache: Promise<CacheBackend | undefined> | undefined;

/** The worker's batch cache: a `RedisCache` of `@q-store/cache-redis` on `CACHE_ENV`, when set. */
async function openCache(): Promise<CacheBackend | undefined> {
  const url = process.env[CACHE_ENV];
  if (!url) return undefined;
  const { createRedisCache } = (await import('@q-store/cache-redis')) as typeof import('@q-store/cache-redis');
  return createRedisCache({ url });
}
const loaders = new Map<string, Promise<DataLoader>>();
const backends = new Map<string, Promise<QuantumBackend>>();
const models = new Map<string, Promise<VariationalClassifier>>();

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let found = map.get(key);
  if (!found) {
    found = make();
    found.catch(() => map.delete(key));
    map.set(key, found);
  }
  return found;
}

async function loaderFor(data: ShardJobData): Promise<DataLoader> {
  const { dataset, shard, shards } = data;
  const spec = process.env[STORE_ENV];
  if (!spec) throw new UnrecoverableError(`${STORE_ENV} is not set: start the worker with startTrainingWorker`);
  store ??= openTrainingStore(spec);
  cache ??= openCache();
  const [opened, batchCache] = await Promise.all([store, cache]);
  const key = JSON.stringify([dataset, shard, shards]);
  return cached(loaders, key, () =>
    createDataLoader(opened, dataset.datasetId, {
      split: dataset.split,
      batchSize: dataset.batchSize,
      shuffle: dataset.shuffle,
      seed: dataset.seed,
      dropLast: dataset.dropLast,
      rank: shard,
      worldSize: shards,
      ...(batchCache && { cache: batchCache }),
    }),
  );
}

async function modelFor(data: ShardJobData): Promise<VariationalClassifier> {
  const backendKey = JSON.stringify(data.backend);
  return cached(models, JSON.stringify([data.model, data.backend]), async () =>
    classifierFromSpec(data.model, await cached(backends, backendKey, () => openQuantumBackend(data.backend))),
  );
}

/** Computes one shard: its samples of global batch `batch` of epoch `epoch`, per-sample rows. */
export async function computeShard(data: ShardJobData): Promise<ShardJobResult> {
  const { digest, shard: _shard, ...rest } = data;
  if (stepDigest(rest) !== digest) throw new UnrecoverableError('job data does not match its digest');
  const began = performance.now();
  const loader = await loaderFor(data);
  if (loader.descriptor.datasetVersion !== data.dataset.datasetVersion) {
    throw new UnrecoverableError(
      `dataset '${data.dataset.datasetId}' version ${String(loader.descriptor.datasetVersion)} differs from the coordinator's ${data.dataset.datasetVersion}`,
    );
  }
  const hitsBefore = loader.stats().cacheHits;
  const batch = await loader.batch(data.epoch, data.batch);
  const loaded = performance.now();
  const cacheHit = loader.stats().cacheHits > hitsBefore;
  const model = await modelFor(data);
  const { start } = shardRange(loader.globalBatchSize(data.batch), data.shard, data.shards);
  const rows = await sampleGradients({
    model,
    parameters: decodeFloat64(data.parameters),
    features: batch.features,
    labels: batch.labels,
    method: data.method,
    seed: data.seed,
    firstIndex: start,
  });
  return {
    digest,
    rows: encodeRows(rows),
    firstIndex: start,
    worker: process.env[NAME_ENV] ?? `${hostname()}:${process.pid}`,
    loadMs: loaded - began,
    computeMs: performance.now() - loaded,
    ...(process.env[CACHE_ENV] && { cacheHit }),
  };
}

export default async function processShard(job: SandboxedJob<ShardJobData, ShardJobResult>): Promise<ShardJobResult> {
  return computeShard(job.data);
}
