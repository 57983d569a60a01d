import type { CacheBackend, PluginConfig } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import type { RedisConfig } from './config.js';
import { RedisCache } from './redis-cache.js';

/**
 * Registers the `redis` type in a cache registry, so that the seed's config dict
 * `{type: 'redis', host, port, db, ttl}` (or `{type: 'redis', url}`) builds a {@link RedisCache}:
 *
 * ```ts
 * const caches = registerRedisCache(new PluginRegistry<CacheBackend>('cache'));
 * const cache = await caches.create({ type: 'redis', host: '127.0.0.1', port: 6379, db: 0, ttl: 3600 });
 * ```
 */
export function registerRedisCache<R extends PluginRegistry<CacheBackend>>(
  registry: R,
  options: { replace?: boolean } = {},
): R {
  registry.register<RedisConfig & PluginConfig>('redis', (config) => new RedisCache(config), options);
  return registry;
}
