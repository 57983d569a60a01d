import { IssueCollector, isPlainObject, redactSecrets } from '@q-store/core/backend';
import type { Redis, RedisOptions } from 'ioredis';

/**
 * How to reach Redis: the seed's config dict `{type: 'redis', host, port, db, ttl}`, or a URL
 * (`redis://user:password@host:6379/2`, `rediss://` for TLS), or an ioredis client you own.
 *
 * Units: `ttl` is in **seconds**, as in the seed; `ttlMs` is the same in milliseconds (give one).
 */
export interface RedisConfig {
  /** `'redis'` when the config comes from a plugin registry; ignored otherwise. */
  type?: 'redis';
  /** `redis://[user[:password]@]host[:port][/db]` or `rediss://…`. Excludes host/port/db/password. */
  url?: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 6379. */
  port?: number;
  /** Database number, default 0. */
  db?: number;
  username?: string;
  /** Never appears in errors, logs or `describe()`. */
  password?: string;
  /** TLS options for ioredis (`{}` for defaults); `rediss://` URLs turn TLS on. */
  tls?: Record<string, unknown>;
  /** Default time to live of cache entries, in seconds (the seed's `ttl`). Default 3600. */
  ttl?: number;
  /** Default time to live of cache entries, in milliseconds. */
  ttlMs?: number;
  /**
   * Prefix of every key this package writes: one per application sharing a Redis. Default
   * `q-store:`. A `:` is appended when it does not end with one (`'app'` → `'app:'`), and no
   * `:`-separated part of it may be `c`, `g` or `s`: so no prefix's keys fall under another's (with
   * `'app'` taken literally, `clear()` of the cache would scan `appc:*`, the keys of prefix
   * `'appc:'`). Keys are `<prefix>c:…` (cache entries), `<prefix>g:…` (generations), `<prefix>s:…`
   * (state documents), `<prefix>epoch`.
   */
  keyPrefix?: string;
  /**
   * Longest a single Redis call may take before it fails with a TimeoutError, in ms. Cache reads
   * that time out bypass the cache. Default 100 for the cache, 2000 for the state store.
   */
  operationTimeoutMs?: number;
  /**
   * After this many calls in a row time out on a connection that looks open, the client drops it
   * and reconnects (a silent network partition leaves the socket open: without this every call
   * would wait its full timeout until the OS gives up on the connection). Default 3.
   */
  reconnectAfterTimeouts?: number;
  /** Longest a connection attempt may take, in ms (ioredis `connectTimeout`). Default 2000. */
  connectTimeoutMs?: number;
  /**
   * An ioredis client to use instead of opening one; `close()` then leaves it open. It should be
   * created with `enableOfflineQueue: false` so that calls fail fast while it reconnects.
   */
  client?: Redis;
}

export const DEFAULT_TTL_MS = 3_600_000;
export const DEFAULT_KEY_PREFIX = 'q-store:';
export const MAX_KEY_PREFIX_LENGTH = 128;

/** Key-type tags written after a prefix; a prefix part equal to one would nest under another prefix. */
const RESERVED_PREFIX_PARTS = new Set(['c', 'g', 's']);

/** A key prefix ending with the separator `:` (appended when missing). */
export function normalizeKeyPrefix(prefix: string): string {
  return prefix.endsWith(':') ? prefix : `${prefix}:`;
}

export interface ResolvedRedisConfig {
  /** ioredis options (host, port, db, credentials, TLS); absent when a client was given. */
  options?: RedisOptions;
  client?: Redis;
  /** `host:port/db`, never with credentials: for messages. */
  where: string;
  ttlMs: number;
  keyPrefix: string;
  operationTimeoutMs: number;
  reconnectAfterTimeouts: number;
}

export const DEFAULT_RECONNECT_AFTER_TIMEOUTS = 3;
/** Initial delay of TCP keep-alive probes on the client's socket, in ms. */
export const KEEP_ALIVE_MS = 5000;

function positive(issues: IssueCollector, field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    issues.add(field, `must be a positive number of at most ${max}, got ${redactSecrets(String(value))}`, max);
  }
}

function integer(issues: IssueCollector, field: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    issues.add(field, `must be an integer from ${min} to ${max}, got ${redactSecrets(String(value))}`, max);
  }
}

interface UrlParts {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

function parseUrl(url: unknown, issues: IssueCollector): UrlParts | undefined {
  if (typeof url !== 'string') {
    issues.add('url', `must be a string, got ${typeof url}`);
    return undefined;
  }
  // The URL is never echoed: a malformed one may not split where the password ends.
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    issues.add('url', 'is not a valid URL (expected redis://[user[:password]@]host[:port][/db])');
    return undefined;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    issues.add('url', `must start with redis:// or rediss://, got ${parsed.protocol}//`);
    return undefined;
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  integer(issues, 'url (database path)', db, 0, 1_000_000);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const decode = (text: string, what: string): string | undefined => {
    try {
      return decodeURIComponent(text);
    } catch {
      issues.add('url', `has a ${what} that is not valid percent-encoding`);
      return undefined;
    }
  };
  const username = parsed.username === '' ? undefined : decode(parsed.username, 'user name');
  const password = parsed.password === '' ? undefined : decode(parsed.password, 'password');
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port,
    db,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    tls: parsed.protocol === 'rediss:',
  };
}

/**
 * Checks a {@link RedisConfig} (collecting every problem, naming the field and the limit; the
 * password never appears) and turns it into ioredis options.
 *
 * The client fails fast instead of queueing while disconnected (`enableOfflineQueue: false`), does
 * not re-send commands across connections, pipelines the commands issued in one tick into one round
 * trip, probes an idle socket with TCP keep-alive after {@link KEEP_ALIVE_MS}, and reconnects
 * forever with capped exponential backoff and jitter.
 */
export function resolveRedisConfig(config: unknown, defaults: { operationTimeoutMs: number }): ResolvedRedisConfig {
  const issues = new IssueCollector();
  if (!isPlainObject(config)) {
    issues.add('config', 'must be an object like {host, port, db, ttl} or {url}');
    issues.throwIfAny('Invalid Redis config');
  }
  const c = config as RedisConfig & Record<string, unknown>;
  if (c.type !== undefined && c.type !== 'redis') issues.add('type', `must be 'redis', got ${String(c.type)}`);
  if (c.host !== undefined && (typeof c.host !== 'string' || c.host === ''))
    issues.add('host', 'must be a non-empty string');
  integer(issues, 'port', c.port, 1, 65_535);
  integer(issues, 'db', c.db, 0, 1_000_000);
  positive(issues, 'ttl', c.ttl, 365 * 24 * 3600);
  positive(issues, 'ttlMs', c.ttlMs, 365 * 24 * 3600 * 1000);
  if (c.ttl !== undefined && c.ttlMs !== undefined) issues.add('ttl', 'give ttl (seconds) or ttlMs, not both');
  positive(issues, 'operationTimeoutMs', c.operationTimeoutMs, 600_000);
  positive(issues, 'connectTimeoutMs', c.connectTimeoutMs, 600_000);
  integer(issues, 'reconnectAfterTimeouts', c.reconnectAfterTimeouts, 1, 1_000_000);
  if (c.username !== undefined && typeof c.username !== 'string') issues.add('username', 'must be a string');
  if (c.password !== undefined && typeof c.password !== 'string') issues.add('password', 'must be a string');
  if (c.tls !== undefined && !isPlainObject(c.tls)) issues.add('tls', 'must be an object of TLS options');
  if (c.keyPrefix !== undefined) {
    if (typeof c.keyPrefix !== 'string' || c.keyPrefix === '') issues.add('keyPrefix', 'must be a non-empty string');
    else if (c.keyPrefix.length > MAX_KEY_PREFIX_LENGTH)
      issues.add('keyPrefix', `is longer than ${MAX_KEY_PREFIX_LENGTH} characters`, MAX_KEY_PREFIX_LENGTH);
    else if (
      normalizeKeyPrefix(c.keyPrefix)
        .split(':')
        .some((part) => RESERVED_PREFIX_PARTS.has(part))
    )
      issues.add('keyPrefix', "may not have a ':'-separated part 'c', 'g' or 's' (it would fall under another prefix)");
  }
  const given = ['url', 'client', 'host'].filter((k) => c[k] !== undefined);
  if (given.length > 1)
    issues.add(given[1] as string, `give one of url, client or host/port, not ${given.join(' and ')}`);
  if (c.url !== undefined) {
    for (const k of ['port', 'db', 'username', 'password'] as const) {
      if (c[k] !== undefined) issues.add(k, 'is part of the url; do not give it separately');
    }
  }
  if (c.client !== undefined && (typeof c.client !== 'object' || c.client === null || !('status' in c.client)))
    issues.add('client', 'must be an ioredis client');
  const url = c.url === undefined ? undefined : parseUrl(c.url, issues);
  issues.throwIfAny('Invalid Redis config');

  const ttlMs = c.ttlMs ?? (c.ttl === undefined ? DEFAULT_TTL_MS : c.ttl * 1000);
  const keyPrefix = normalizeKeyPrefix(c.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const operationTimeoutMs = c.operationTimeoutMs ?? defaults.operationTimeoutMs;
  const reconnectAfterTimeouts = c.reconnectAfterTimeouts ?? DEFAULT_RECONNECT_AFTER_TIMEOUTS;
  if (c.client) {
    const o = c.client.options;
    return {
      client: c.client,
      where: `${o.host ?? '?'}:${o.port ?? '?'}/${o.db ?? 0}`,
      ttlMs,
      keyPrefix,
      operationTimeoutMs,
      reconnectAfterTimeouts,
    };
  }
  const host = url?.host ?? c.host ?? '127.0.0.1';
  const port = url?.port ?? c.port ?? 6379;
  const db = url?.db ?? c.db ?? 0;
  const username = url?.username ?? c.username;
  const password = url?.password ?? c.password;
  const tls = url?.tls ? (c.tls ?? {}) : c.tls;
  const options: RedisOptions = {
    host,
    port,
    db,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(tls !== undefined && { tls }),
    connectTimeout: c.connectTimeoutMs ?? 2000,
    keepAlive: KEEP_ALIVE_MS,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    lazyConnect: false,
    retryStrategy: (times: number) => {
      const base = Math.min(2000, 50 * 2 ** Math.min(times, 6));
      return Math.round(base / 2 + Math.random() * (base / 2));
    },
  };
  return { options, where: `${host}:${port}/${db}`, ttlMs, keyPrefix, operationTimeoutMs, reconnectAfterTimeouts };
}
