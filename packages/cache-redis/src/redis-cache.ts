import { type CacheBackend, ValidationError } from '@q-store/core';
import { decodeCacheValue, encodeCacheValue, IssueCollector, redactSecrets, textProblem } from '@q-store/core/backend';
import type { Redis } from 'ioredis';
import { type RedisConfig, resolveRedisConfig } from './config.js';
import { RedisConnection, scanKeys } from './redis-connection.js';

/** Longest cache key or generation scope, in characters (before the key prefix). */
export const MAX_CACHE_KEY_LENGTH = 1024;

/** Default per-call timeout of the cache, in ms: past it a read bypasses the cache. */
export const DEFAULT_CACHE_TIMEOUT_MS = 100;

/**
 * Generation of a scope, created on first sight. Server time in microseconds (Redis `TIME`), so a
 * generation key lost to a restart without persistence, to eviction or to FLUSHALL comes back
 * with a larger value than any it had: a number once used is never current again.
 * KEYS[1] scope key, KEYS[2] epoch key, ARGV[1] time to live of a new scope key in ms. Returns
 * max(scope, epoch) as a decimal string.
 */
const GENERATION_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local e = tonumber(redis.call('GET', KEYS[2]))
if not e then e = now; redis.call('SET', KEYS[2], string.format('%.0f', e)) end
local g = tonumber(redis.call('GET', KEYS[1]))
if not g then g = math.max(now, e); redis.call('SET', KEYS[1], string.format('%.0f', g), 'PX', ARGV[1]) end
return string.format('%.0f', math.max(g, e))
`;

/**
 * Bump: scope ← max(scope + 1, now + ARGV[1], epoch + 1), so the scope's generation
 * max(scope, epoch) strictly increases. With KEYS[1] = KEYS[2] = epoch and a margin of one second
 * it bumps the epoch past every scope (scopes run ahead of server time by at most one microsecond
 * per bump in the same microsecond). ARGV[2]: time to live of the key in ms, '0' for none (the
 * epoch). Returns the new max(scope, epoch).
 */
const BUMP_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local e = tonumber(redis.call('GET', KEYS[2])) or 0
local g = tonumber(redis.call('GET', KEYS[1])) or 0
local n = math.max(g + 1, now + tonumber(ARGV[1]), e + 1)
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], string.format('%.0f', n))
else
  redis.call('SET', KEYS[1], string.format('%.0f', n), 'PX', ARGV[2])
end
return string.format('%.0f', n)
`;

/**
 * Time to live of a generation key, in ms, renewed by each bump: 30 days. A scope not written for
 * that long loses its key; it comes back larger (server time), so entries under the old generation
 * are merely missed, never served stale. Scopes that are no longer used (such as the per-object
 * default scopes of in-memory backends) leave nothing behind for longer.
 */
export const GENERATION_TTL_MS = 30 * 24 * 3600 * 1000;

type ScriptedRedis = Redis & {
  qstoreGeneration(scopeKey: string, epochKey: string, ttlMs: number): Promise<string>;
  qstoreBump(scopeKey: string, epochKey: string, marginMicros: number, ttlMs: number): Promise<string>;
};

function scripted(client: Redis): ScriptedRedis {
  const c = client as ScriptedRedis;
  if (typeof c.qstoreGeneration !== 'function') {
    client.defineCommand('qstoreGeneration', { numberOfKeys: 2, lua: GENERATION_SCRIPT });
    client.defineCommand('qstoreBump', { numberOfKeys: 2, lua: BUMP_SCRIPT });
  }
  return c;
}

/** Counters of a {@link RedisCache}; `errors` includes `timeouts`. */
export interface RedisCacheStats {
  status: string;
  hits: number;
  misses: number;
  sets: number;
  errors: number;
  timeouts: number;
  /** Times a reconnect found a restarted server (another run id) and invalidated every entry. */
  restartsDetected: number;
  /** Connections dropped and reopened because calls kept timing out (a silent partition). */
  forcedReconnects: number;
  lastError?: string;
}

function checkKey(key: unknown, field: string): string {
  const issues = new IssueCollector();
  if (typeof key !== 'string' || key.length === 0) issues.add(field, 'must be a non-empty string');
  else if (key.length > MAX_CACHE_KEY_LENGTH)
    issues.add(field, `has ${key.length} characters, more than ${MAX_CACHE_KEY_LENGTH}`, MAX_CACHE_KEY_LENGTH);
  else {
    const problem = textProblem(key);
    if (problem) issues.add(field, problem);
  }
  issues.throwIfAny('Invalid cache key');
  return key as string;
}

function checkTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new ValidationError(
      [{ field: 'ttlMs', message: `must be a number of milliseconds ≥ 1, got ${redactSecrets(String(ttlMs))}` }],
      'Invalid TTL',
    );
  }
  return Math.ceil(ttlMs);
}

/**
 * {@link CacheBackend} on Redis: values encoded with `encodeCacheValue` (Float32Array exact), a TTL
 * on every entry, generations that never go backwards.
 *
 * Generations: server-time microseconds, bumped by a Lua script to max(old + 1, now, epoch + 1),
 * so they strictly increase; a generation is never 0 (a scope never bumped starts at the time it
 * is first read). A global *epoch* per key prefix is bumped when a reconnect finds the server was
 * restarted (another `run_id`: a restart or a failover, which may have brought back an older
 * snapshot with entries that later writes had made unreachable) and by {@link clear}; every
 * generation read is max(scope, epoch), so that bump invalidates every entry at once. Until the
 * check after a reconnect has run, `generation()` fails, and callers bypass the cache.
 *
 * Every call has a timeout (`operationTimeoutMs`, default 100 ms) and fails fast with a typed
 * error while Redis is down; the client reconnects by itself.
 */
export class RedisCache implements CacheBackend {
  readonly connection: RedisConnection;
  readonly defaultTtlMs: number;
  private readonly entryPrefix: string;
  private readonly generationPrefix: string;
  private readonly epochKey: string;
  private readonly counters = { hits: 0, misses: 0, sets: 0, errors: 0, timeouts: 0, restartsDetected: 0 };
  private connections = 0;
  private verifiedConnection = 0;
  private serverRunId: string | undefined;
  private verifying: Promise<void> | undefined;

  constructor(config: RedisConfig = {}) {
    const resolved = resolveRedisConfig(config, { operationTimeoutMs: DEFAULT_CACHE_TIMEOUT_MS });
    this.connection = new RedisConnection(resolved, 'first');
    this.defaultTtlMs = resolved.ttlMs;
    this.entryPrefix = `${resolved.keyPrefix}c:`;
    this.generationPrefix = `${resolved.keyPrefix}g:`;
    this.epochKey = `${resolved.keyPrefix}epoch`;
    this.connections = this.connection.status === 'ready' ? 1 : 0;
    this.connection.client.on('ready', () => {
      this.connections++;
      // Check for a restarted server at once, not only at the next read.
      this.verifyServer().catch(() => undefined);
    });
  }

  /**
   * Calls `listener` each time the client (re)connects. `withCache` retries remembered generation
   * bumps here, so that other processes stop seeing results a write made stale as soon as this
   * process reaches Redis again.
   */
  onReady(listener: () => void): void {
    this.connection.client.on('ready', listener);
  }

  /** Waits for the first connection (see {@link RedisConnection.ready}). */
  ready(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    return this.connection.ready(options);
  }

  get status(): string {
    return this.connection.status;
  }

  /** What `JSON.stringify` shows: where and the status, never the client or its password. */
  toJSON(): { where: string; keyPrefix: string; status: string } {
    return this.connection.toJSON();
  }

  /** What `util.inspect` shows: the same fields as {@link toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options: unknown) => string,
  ): string {
    return `RedisCache ${inspect(this.toJSON(), options)}`;
  }

  stats(): RedisCacheStats {
    return {
      status: this.connection.status,
      ...this.counters,
      forcedReconnects: this.connection.forcedReconnects,
      ...(this.connection.lastError !== undefined && { lastError: this.connection.lastError }),
    };
  }

  private async call<T>(what: string, run: (c: ScriptedRedis) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.connection.run(what, (c) => run(scripted(c)), { signal });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ABORTED' && code !== 'CLOSED') {
        this.counters.errors++;
        if (code === 'TIMEOUT') this.counters.timeouts++;
      }
      throw error;
    }
  }

  async get<T>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    const k = this.entryPrefix + checkKey(key, 'key');
    const text = await this.call('GET', (c) => c.get(k), options.signal);
    if (text === null) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return decodeCacheValue<T>(text);
  }

  async set<T>(key: string, value: T, options: { ttlMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const k = this.entryPrefix + checkKey(key, 'key');
    const ttlMs = checkTtl(options.ttlMs) ?? this.defaultTtlMs;
    const text = encodeCacheValue(value);
    if (text === undefined) {
      throw new ValidationError([{ field: 'value', message: 'must be encodable as JSON (not undefined)' }]);
    }
    await this.call('SET', (c) => c.set(k, text, 'PX', ttlMs), options.signal);
    this.counters.sets++;
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<number> {
    if (!Array.isArray(keys)) throw new ValidationError([{ field: 'keys', message: 'must be an array of keys' }]);
    const full = keys.map((key, i) => this.entryPrefix + checkKey(key, `keys[${i}]`));
    if (full.length === 0) return 0;
    return this.call('UNLINK', (c) => c.unlink(...full), options.signal);
  }

  async generation(scope: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    const k = this.generationPrefix + checkKey(scope, 'scope');
    await this.verifyServer(options.signal);
    return Number(
      await this.call('generation', (c) => c.qstoreGeneration(k, this.epochKey, GENERATION_TTL_MS), options.signal),
    );
  }

  async bumpGeneration(scope: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    const k = this.generationPrefix + checkKey(scope, 'scope');
    return Number(
      await this.call('bumpGeneration', (c) => c.qstoreBump(k, this.epochKey, 0, GENERATION_TTL_MS), options.signal),
    );
  }

  /** Makes every entry under this key prefix unreachable at once (all generations move). */
  async bumpEpoch(options: { signal?: AbortSignal } = {}): Promise<number> {
    return Number(
      await this.call('bumpEpoch', (c) => c.qstoreBump(this.epochKey, this.epochKey, 1_000_000, 0), options.signal),
    );
  }

  /**
   * After each (re)connection, once (eagerly on the `ready` event, and before a generation is read): reads the server's `run_id`; when it differs from the one
   * seen before, the server restarted (or failed over) and may hold an older snapshot, so the
   * epoch is bumped before any generation is trusted.
   */
  private async verifyServer(signal?: AbortSignal): Promise<void> {
    if (this.verifiedConnection === this.connections) return;
    if (!this.verifying) {
      const target = this.connections;
      this.verifying = (async () => {
        const info = await this.call('INFO server', (c) => c.info('server'));
        const runId = /run_id:([0-9a-f]+)/.exec(info)?.[1];
        if (this.serverRunId !== undefined && runId !== this.serverRunId) {
          await this.bumpEpoch();
          this.counters.restartsDetected++;
        }
        this.serverRunId = runId;
        this.verifiedConnection = target;
      })().finally(() => {
        this.verifying = undefined;
      });
      this.verifying.catch(() => undefined);
    }
    await this.verifying;
    if (this.verifiedConnection !== this.connections) await this.verifyServer(signal);
  }

  /**
   * Deletes every cache entry under this key prefix (by SCAN and UNLINK, never KEYS) and bumps the
   * epoch, so that in-process copies keyed by older generations are unreachable too. Generation
   * keys stay (they expire {@link GENERATION_TTL_MS} after their last bump). Returns the entries
   * deleted.
   */
  async clear(options: { signal?: AbortSignal } = {}): Promise<number> {
    let deleted = 0;
    for await (const keys of scanKeys(this.connection, this.entryPrefix, options)) {
      deleted += await this.connection.run('UNLINK', (c) => c.unlink(...keys), options);
    }
    await this.bumpEpoch(options);
    return deleted;
  }

  /** Closes the client if this cache opened it. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Builds a {@link RedisCache} from the seed's dict (`{type: 'redis', host, port, db, ttl}`) or `{url}`. */
export function createRedisCache(config: RedisConfig = {}): RedisCache {
  return new RedisCache(config);
}
