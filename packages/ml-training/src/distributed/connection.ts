import { redactSecrets } from '@q-store/core/backend';
import type { ConnectionOptions } from 'bullmq';

/** Where Redis is: a `redis://` / `rediss://` URL or BullMQ connection options. */
export type RedisLocation = string | ConnectionOptions;

/** BullMQ connection options for a location; `extra` is merged into the options. */
export function connectionOf(redis: RedisLocation, extra: Record<string, unknown> = {}): ConnectionOptions {
  if (typeof redis === 'string') return { url: redis, ...extra };
  return { ...(redis as Record<string, unknown>), ...extra } as ConnectionOptions;
}

/** A printable name of the location without credentials. */
export function describeRedis(redis: RedisLocation): string {
  if (typeof redis === 'string') {
    try {
      const url = new URL(redis);
      return `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname === '/' ? '' : url.pathname}`;
    } catch {
      return redactSecrets(redis);
    }
  }
  const options = redis as { host?: unknown; port?: unknown; url?: unknown };
  if (typeof options.url === 'string') return describeRedis(options.url);
  return `redis://${String(options.host ?? '127.0.0.1')}:${String(options.port ?? 6379)}`;
}
