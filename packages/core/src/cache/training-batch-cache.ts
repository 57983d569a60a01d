import type {
  CacheBackend,
  DatasetManifest,
  LoadTrainingBatchParams,
  StoreTrainingDataParams,
  TrainingBatch,
  TrainingStore,
} from '../stores/stores.js';
import { bumpScopes, hashKey, readGenerations } from './cache-key.js';

/** Options of {@link withTrainingBatchCache}. */
export interface TrainingBatchCacheOptions {
  /** Prefix of keys and generation scopes; default `training`. One per store holding different data. */
  scope?: string;
  /** Time to live of cached batches in ms; default the cache's own. */
  ttlMs?: number;
}

/** Counters of a training-batch cache. */
export interface TrainingBatchCacheStats {
  hits: number;
  misses: number;
  bypasses: number;
  bumpFailures: number;
}

/** A TrainingStore whose `loadTrainingBatch` is cached. */
export interface CachedTrainingStore extends TrainingStore {
  readonly store: TrainingStore;
  cacheStats(): TrainingBatchCacheStats;
}

/**
 * Caches `loadTrainingBatch` of any {@link TrainingStore} (the seed's `load_training_batch`): a
 * batch is keyed by dataset, split, offset, limit and shuffle seed, under the dataset's generation,
 * which `storeTrainingData` and `deleteDataset` bump after they land. Batches come back as fresh
 * Float32Arrays (decoded from the cache), so callers may change them. With the cache down or slow
 * batches are read from the store (counted as bypasses). Everything else is passed through.
 */
export function withTrainingBatchCache(
  store: TrainingStore,
  cache: CacheBackend,
  options: TrainingBatchCacheOptions = {},
): CachedTrainingStore {
  const scopeName = options.scope ?? 'training';
  const counters: TrainingBatchCacheStats = { hits: 0, misses: 0, bypasses: 0, bumpFailures: 0 };
  const scopeOf = (datasetId: string) => `${scopeName}/${datasetId}`;
  const bump = async (datasetId: unknown) => {
    if (typeof datasetId === 'string') counters.bumpFailures += await bumpScopes(cache, [scopeOf(datasetId)]);
  };
  const ttl = options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs };

  return {
    store,
    cacheStats: () => ({ ...counters }),

    async storeTrainingData(params: StoreTrainingDataParams): Promise<DatasetManifest> {
      try {
        return await store.storeTrainingData(params);
      } finally {
        await bump(params?.datasetId);
      }
    },

    async loadTrainingBatch(params: LoadTrainingBatchParams): Promise<TrainingBatch> {
      const {
        datasetId,
        split = 'train',
        offset,
        limit,
        shuffleSeed,
        signal,
      } = params ?? ({} as LoadTrainingBatchParams);
      const canonical =
        typeof datasetId === 'string' &&
        typeof split === 'string' &&
        Number.isInteger(offset) &&
        Number.isInteger(limit) &&
        (shuffleSeed === undefined || Number.isInteger(shuffleSeed));
      if (!canonical) return store.loadTrainingBatch(params);
      const generation = await readGenerations(cache, [scopeOf(datasetId)], signal);
      if (generation === undefined) {
        counters.bypasses++;
        return store.loadTrainingBatch(params);
      }
      const key = `${scopeName}:b:${generation}:${hashKey(['batch', datasetId, split, offset, limit, shuffleSeed ?? null])}`;
      let cached: TrainingBatch | undefined;
      try {
        cached = await cache.get<TrainingBatch>(key, { signal });
      } catch (error) {
        if (signal?.aborted) throw error;
        counters.bypasses++;
        return store.loadTrainingBatch(params);
      }
      if (cached) {
        counters.hits++;
        return cached;
      }
      counters.misses++;
      const batch = await store.loadTrainingBatch(params);
      await cache.set(key, batch, ttl).catch(() => undefined);
      return batch;
    },

    getManifest: (datasetId, opts) => store.getManifest(datasetId, opts),
    listDatasets: (opts) => store.listDatasets(opts),

    async deleteDataset(datasetId: string, opts?: { signal?: AbortSignal }): Promise<boolean> {
      try {
        return await store.deleteDataset(datasetId, opts);
      } finally {
        await bump(datasetId);
      }
    },

    close: () => store.close(),
  };
}
