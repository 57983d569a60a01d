export type { RedisConfig } from './config.js';
export { DEFAULT_KEY_PREFIX, DEFAULT_TTL_MS, MAX_KEY_PREFIX_LENGTH, resolveRedisConfig } from './config.js';
export type { RedisCacheStats } from './redis-cache.js';
export { createRedisCache, DEFAULT_CACHE_TIMEOUT_MS, MAX_CACHE_KEY_LENGTH, RedisCache } from './redis-cache.js';
export { RedisConnection } from './redis-connection.js';
export {
  createRedisStateStore,
  DEFAULT_STATE_TIMEOUT_MS,
  MAX_UPDATE_ATTEMPTS,
  RedisStateStore,
} from './redis-state-store.js';
export { registerRedisCache } from './registry.js';
export type {
  CachedTrainingStore,
  TrainingBatchCacheOptions,
  TrainingBatchCacheStats,
} from './training-batch-cache.js';
export { withTrainingBatchCache } from './training-batch-cache.js';
export type { CachedVectorBackend, CacheStats, WithCacheOptions } from './with-cache.js';
export { withCache } from './with-cache.js';
