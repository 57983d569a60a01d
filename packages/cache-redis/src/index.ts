/** The cache decorators live in `@q-store/core` (they work on any CacheBackend); re-exported here. */
export type {
  CachedTrainingStore,
  CachedVectorBackend,
  CacheStats,
  TrainingBatchCacheOptions,
  TrainingBatchCacheStats,
  WithCacheOptions,
} from '@q-store/core';
export { withCache, withTrainingBatchCache } from '@q-store/core';
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
