import {
  AbortError,
  type CacheBackend,
  type DatasetManifest,
  NotFoundError,
  type TrainingBatch,
  type TrainingStore,
  withTrainingBatchCache,
} from '@q-store/core';
import { IssueCollector, throwIfAborted } from '@q-store/core/backend';
import { DATASET_VERSION_KEY } from './datasets.js';

/** Options of {@link createDataLoader}. */
export interface DataLoaderOptions {
  /** Split to read; default `train`. */
  split?: string;
  /** Samples per batch, 1–100000. */
  batchSize: number;
  /** Read in a seeded random order that changes every epoch. Default false (stored order). */
  shuffle?: boolean;
  /** Seed of the shuffles (an integer from −2³¹ to 2³¹−1). Default 0. */
  seed?: number;
  /** Batches requested from the store concurrently, ahead of the consumer. Default 1. */
  numWorkers?: number;
  /** Leave out a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** A batch cache: batches are read from it first and written to it after a store read. */
  cache?: CacheBackend;
  /** Time to live of cached batches in ms; default the cache's own. */
  cacheTtlMs?: number;
  /** The epoch the next iteration reads; default 0. */
  epoch?: number;
  /**
   * This process's rank in a data-parallel group of `worldSize` (default 0 of 1): of every global
   * batch k (the batch a single process would read) it yields only the slice {@link shardRange}
   * gives, in the same epoch order (same shuffle seed as one process).
   */
  rank?: number;
  /** Processes sharing each batch (1–1024, default 1). */
  worldSize?: number;
  signal?: AbortSignal;
}

/** Where shard `rank` of `worldSize` sits in a global batch of `size` samples. */
export interface ShardRange {
  /** First sample of the shard within the global batch (its position in the batch, 0-based). */
  start: number;
  /** One past the last sample; `end − start` may be 0 when the batch has fewer samples than ranks. */
  end: number;
}

/**
 * The sharding rule: rank r of W takes samples `[⌊r·b/W⌋, ⌊(r+1)·b/W⌋)` of a global batch of b
 * samples. The shards are consecutive, disjoint, cover the batch in rank order and differ in size by
 * at most one, so concatenating the ranks' rows in rank order gives the batch's rows in sample order.
 */
export function shardRange(size: number, rank: number, worldSize: number): ShardRange {
  return { start: Math.floor((rank * size) / worldSize), end: Math.floor(((rank + 1) * size) / worldSize) };
}

/** Counters of a loader since it was created. */
export interface DataLoaderStats {
  /** `loadTrainingBatch` calls made. */
  storeReads: number;
  cacheHits: number;
  cacheMisses: number;
  /** Cache calls that failed; the batch was read from the store instead. */
  cacheErrors: number;
}

/** See {@link DataLoader.descriptor}. */
export interface LoaderDescriptor {
  readonly [key: string]: string | number | boolean;
}

/**
 * Adds an issue `train.<key>` for every field where a loader's descriptor differs from the one a
 * checkpoint saved (resuming on another dataset version, batch size, seed, … is refused).
 */
export function compareDescriptors(
  saved: Readonly<Record<string, unknown>>,
  now: LoaderDescriptor,
  issues: IssueCollector,
): void {
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    if (saved[key] !== now[key]) {
      issues.add(
        `train.${key}`,
        `is ${JSON.stringify(now[key])}; the checkpoint was trained with ${JSON.stringify(saved[key])}`,
      );
    }
  }
}

/** One epoch's batches. */
export interface EpochBatches extends AsyncIterable<TrainingBatch> {
  readonly epoch: number;
}

/** A data loader over one split of a stored dataset (see {@link createDataLoader}). */
export interface DataLoader extends AsyncIterable<TrainingBatch> {
  readonly datasetId: string;
  readonly split: string;
  readonly manifest: DatasetManifest;
  /** Samples in the split. */
  readonly sampleCount: number;
  /** Batches per epoch: `ceil(n / batchSize)`, or `floor(n / batchSize)` with `dropLast`. */
  readonly length: number;
  /** The epoch the next `for await` over the loader reads. */
  readonly currentEpoch: number;
  /** Sets the epoch the next `for await` over the loader reads (e.g. when resuming). */
  setEpoch(epoch: number): void;
  /** The batches of epoch `e`, without touching `currentEpoch`. Iterating it twice gives the same batches. */
  epoch(epoch: number): EpochBatches;
  /**
   * What fixes the batches of every epoch: dataset, split, dataset version (manifest creation time,
   * `datasetVersion`, sample count), batch size, shuffle, seed, dropLast. The trainer stores it in
   * checkpoints and refuses to resume on a loader whose descriptor differs.
   */
  readonly descriptor: LoaderDescriptor;
  /** The shuffle seed used for epoch `e` (undefined without shuffling). */
  epochSeed(epoch: number): number | undefined;
  /** This loader's shard: rank and worldSize (0 of 1 when not sharded). */
  readonly shard: { readonly rank: number; readonly worldSize: number };
  /** Samples in global batch k (0-based) of any epoch, before sharding. */
  globalBatchSize(k: number): number;
  /** Batch k (0-based) of epoch e alone (this rank's shard of it), as the epoch iteration yields it. */
  batch(epoch: number, k: number, options?: { signal?: AbortSignal }): Promise<TrainingBatch>;
  stats(): DataLoaderStats;
}

/**
 * The shuffle seed of an epoch: a 32-bit mix (murmur3's finaliser) of the loader's seed and the
 * epoch number, mapped to a signed 32-bit integer. Epoch 0 does not reuse the seed itself.
 */
export function deriveEpochSeed(seed: number, epoch: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function checkOptions(options: DataLoaderOptions): void {
  const issues = new IssueCollector();
  const int = (field: string, value: unknown, min: number, max: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      issues.add(field, `must be an integer from ${min} to ${max}, got ${String(value)}`, max);
  };
  int('batchSize', options?.batchSize, 1, 100_000);
  if (options?.numWorkers !== undefined) int('numWorkers', options.numWorkers, 1, 64);
  if (options?.seed !== undefined) int('seed', options.seed, -(2 ** 31), 2 ** 31 - 1);
  if (options?.epoch !== undefined) int('epoch', options.epoch, 0, Number.MAX_SAFE_INTEGER);
  const worldSize = options?.worldSize ?? 1;
  if (options?.worldSize !== undefined) int('worldSize', options.worldSize, 1, 1024);
  if (options?.rank !== undefined && Number.isInteger(worldSize) && worldSize >= 1) {
    int('rank', options.rank, 0, worldSize - 1);
  }
  if (options?.cacheTtlMs !== undefined && !(Number.isFinite(options.cacheTtlMs) && options.cacheTtlMs > 0))
    issues.add('cacheTtlMs', `must be a positive number, got ${String(options.cacheTtlMs)}`);
  issues.throwIfAny('Invalid data loader options');
}

/**
 * A data loader over one split of a dataset in any {@link TrainingStore} (the seed's
 * `load_training_batch`), read through the store's batch API.
 *
 * - One `for await` is one epoch of `length` batches of `batchSize` samples (the last smaller
 *   unless `dropLast`). Each iteration over the loader reads the epoch `currentEpoch` and then
 *   advances it; `setEpoch(e)` sets it (to resume), `epoch(e)` reads a given epoch.
 * - `shuffle`: epoch e reads the samples in the order `shufflePermutation(n, deriveEpochSeed(seed, e))`
 *   (the stores apply it, the same on every store), so the order is deterministic for a seed, the
 *   same on memory and PostgreSQL stores, and different from epoch to epoch. Without `shuffle`
 *   every epoch reads the stored order.
 * - `numWorkers`: that many batch reads are in flight at once, ahead of the consumer; batches are
 *   still yielded in order. Breaking out of the loop aborts the reads in flight.
 * - `rank`, `worldSize`: every epoch still has `length` batches (so ranks step together), but
 *   batch k holds only samples {@link shardRange}`(b_k, rank, worldSize)` of global batch k, where
 *   b_k is its size in one process (`globalBatchSize(k)`); the shuffle seed of epoch e is the
 *   single-process one, `deriveEpochSeed(seed, e)`. A shard may be empty (b_k < worldSize); it is
 *   then not read. Sharded loaders add `rank` and `worldSize` to their `descriptor`.
 * - `cache`: batches are read through core's `withTrainingBatchCache` (the one training-batch
 *   cache), scoped by `ml-training/batch/<dataset>/<version>`, where version is the manifest's
 *   creation time and `datasetVersion` (fresh on every `storeDataset`) and sample count; each entry
 *   is keyed by split, offset, limit and shuffle seed. A cache error falls back to the store
 *   (counted in `stats().cacheErrors`). Yielded batches are fresh arrays.
 *
 * Reads the manifest once (a NotFoundError for a missing dataset or split).
 */
export async function createDataLoader(
  store: TrainingStore,
  datasetId: string,
  options: DataLoaderOptions,
): Promise<DataLoader> {
  checkOptions(options);
  const split = options.split ?? 'train';
  const signal = options.signal;
  const manifest = await store.getManifest(datasetId, { ...(signal && { signal }) });
  if (!manifest) throw new NotFoundError(`dataset '${datasetId}'`);
  const sampleCount = manifest.splits[split];
  if (sampleCount === undefined) throw new NotFoundError(`dataset '${datasetId}' split '${split}'`);
  const batchSize = options.batchSize;
  const shuffle = options.shuffle ?? false;
  const seed = options.seed ?? 0;
  const numWorkers = options.numWorkers ?? 1;
  const dropLast = options.dropLast ?? false;
  const cache = options.cache;
  const length = dropLast ? Math.floor(sampleCount / batchSize) : Math.ceil(sampleCount / batchSize);
  const rank = options.rank ?? 0;
  const worldSize = options.worldSize ?? 1;
  const globalBatchSize = (k: number) => Math.max(0, Math.min(batchSize, sampleCount - k * batchSize));
  const version = `${manifest.createdAt}|${String(manifest.metadata?.[DATASET_VERSION_KEY] ?? '')}|${sampleCount}`;
  let currentEpoch = options.epoch ?? 0;

  const epochSeed = (epoch: number) => (shuffle ? deriveEpochSeed(seed, epoch) : undefined);
  // One training-batch cache: the loader reads through core's withTrainingBatchCache, scoped by the
  // dataset's version, so a dataset stored again (even by another process, without the decorator)
  // is never served from older entries.
  const cached = cache
    ? withTrainingBatchCache(store, cache, {
        scope: `ml-training/batch/${datasetId}/${encodeURIComponent(version)}`,
        ...(options.cacheTtlMs !== undefined && { ttlMs: options.cacheTtlMs }),
      })
    : undefined;
  const source: TrainingStore = cached ?? store;
  let reads = 0;

  async function readBatch(epoch: number, k: number, readSignal: AbortSignal): Promise<TrainingBatch> {
    const { start, end } = shardRange(globalBatchSize(k), rank, worldSize);
    if (end === start) return { features: [], labels: [], indices: [] };
    reads++;
    const shuffleSeed = epochSeed(epoch);
    return source.loadTrainingBatch({
      datasetId,
      split,
      offset: k * batchSize + start,
      limit: end - start,
      ...(shuffleSeed !== undefined && { shuffleSeed }),
      signal: readSignal,
    });
  }

  async function* iterate(epoch: number): AsyncGenerator<TrainingBatch> {
    throwIfAborted(signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason ?? new AbortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const pending = new Map<number, Promise<TrainingBatch>>();
    let next = 0;
    const launch = () => {
      while (next < length && pending.size < numWorkers) {
        const p = readBatch(epoch, next, controller.signal);
        p.catch(() => {}); // observed when consumed; never an unhandled rejection
        pending.set(next, p);
        next++;
      }
    };
    try {
      for (let k = 0; k < length; k++) {
        launch();
        const batch = await (pending.get(k) as Promise<TrainingBatch>);
        pending.delete(k);
        launch();
        throwIfAborted(signal);
        yield batch;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (pending.size > 0) {
        controller.abort(new AbortError('data loader closed'));
        await Promise.allSettled(pending.values());
      }
    }
  }

  const epochBatches = (epoch: number): EpochBatches => ({
    epoch,
    [Symbol.asyncIterator]: () => iterate(epoch),
  });

  return {
    datasetId,
    split,
    manifest,
    sampleCount,
    length,
    descriptor: {
      datasetId,
      split,
      datasetVersion: version,
      batchSize,
      shuffle,
      seed,
      dropLast,
      ...(worldSize > 1 && { rank, worldSize }),
    },
    shard: { rank, worldSize },
    globalBatchSize,
    async batch(epoch: number, k: number, batchOptions?: { signal?: AbortSignal }) {
      checkOptions({ batchSize, epoch });
      if (!Number.isInteger(k) || k < 0 || k >= length) {
        const issues = new IssueCollector();
        issues.add('batch', `must be an integer from 0 to ${length - 1}, got ${String(k)}`, length - 1);
        issues.throwIfAny('Invalid batch index');
      }
      const readSignal = batchOptions?.signal ?? signal ?? new AbortController().signal;
      throwIfAborted(readSignal);
      return readBatch(epoch, k, readSignal);
    },
    get currentEpoch() {
      return currentEpoch;
    },
    setEpoch(epoch: number) {
      checkOptions({ batchSize, epoch });
      currentEpoch = epoch;
    },
    epoch(epoch: number) {
      checkOptions({ batchSize, epoch });
      return epochBatches(epoch);
    },
    epochSeed,
    stats: () => {
      const c = cached?.cacheStats() ?? { hits: 0, misses: 0, bypasses: 0 };
      return { storeReads: reads - c.hits, cacheHits: c.hits, cacheMisses: c.misses, cacheErrors: c.bypasses };
    },
    [Symbol.asyncIterator]() {
      const epoch = currentEpoch;
      currentEpoch++;
      return iterate(epoch);
    },
  };
}
