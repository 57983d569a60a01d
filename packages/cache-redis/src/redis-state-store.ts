import { isQStoreError, type JsonValue, QStoreError, type StateStore, ValidationError } from '@q-store/core';
import { encodeStateValue, throwIfAborted, validateId } from '@q-store/core/backend';
import type { Redis } from 'ioredis';
import { type RedisConfig, resolveRedisConfig } from './config.js';
import { RedisConnection, scanKeys } from './redis-connection.js';

/** Default per-call timeout of the state store, in ms. */
export const DEFAULT_STATE_TIMEOUT_MS = 2000;

/** Most attempts of one `update` against concurrent writers before it fails with CONFLICT. */
export const MAX_UPDATE_ATTEMPTS = 64;

/**
 * Compare-and-set: writes ARGV[2] (or deletes when ARGV[3] is '1') only if the key still holds
 * ARGV[1] (or is absent when ARGV[4] is '1'); the TTL of an existing key is kept. 1 when written.
 */
const COMPARE_AND_SET_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[4] == '1' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
elseif cur then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
`;

type CasRedis = Redis & {
  qstoreCompareAndSet(key: string, expected: string, next: string, del: '0' | '1', absent: '0' | '1'): Promise<number>;
};

function cas(client: Redis): CasRedis {
  const c = client as CasRedis;
  if (typeof c.qstoreCompareAndSet !== 'function') {
    client.defineCommand('qstoreCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET_SCRIPT });
  }
  return c;
}

function checkTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ValidationError([{ field: 'ttlMs', message: `must be a positive number, got ${ttlMs}` }], 'Invalid TTL');
  }
  return Math.max(1, Math.ceil(ttlMs));
}

/**
 * The error of an update whose compare-and-set was sent but not answered (a timeout, a lost
 * connection): the server may still apply it, so repeating the update could apply `fn` twice. Not
 * retryable; read the key to learn the outcome.
 */
function outcomeUnknown(error: unknown, key: string): unknown {
  if (!isQStoreError(error) || (error.code !== 'TIMEOUT' && error.code !== 'CONNECTION')) return error;
  return new QStoreError(
    error.code,
    `update of '${key}': the compare-and-set was sent but not answered (${error.message}); it may still apply, so the outcome is unknown: read the key before updating again`,
    { cause: error, retryable: false },
  );
}

/**
 * {@link StateStore} on Redis: JSON documents under `<keyPrefix>s:<key>`, optional TTL per key
 * (temporary storage), atomic `update`, key listing by SCAN (never KEYS).
 *
 * `update` is optimistic: read the document, compute `fn`, then a Lua compare-and-set writes only
 * if the document is still what was read (keeping its TTL), else it retries with the new value
 * (at most {@link MAX_UPDATE_ATTEMPTS} times, then a CONFLICT error). Updates of one key from this
 * process are also queued one after another, so they never contend with each other. Unlike the
 * cache, the store never degrades: with Redis down its calls fail with a retryable ConnectionError
 * or TimeoutError — except an `update` whose compare-and-set was already sent when it timed out or
 * lost the connection: the server may still apply it, so that error (TIMEOUT or CONNECTION) has
 * `retryable: false`, and the caller should read the key before updating again.
 */
export class RedisStateStore implements StateStore {
  readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(config: RedisConfig = {}) {
    const resolved = resolveRedisConfig(config, { operationTimeoutMs: DEFAULT_STATE_TIMEOUT_MS });
    this.connection = new RedisConnection(resolved, 'always');
    this.prefix = `${resolved.keyPrefix}s:`;
  }

  ready(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    return this.connection.ready(options);
  }

  async get<T extends JsonValue>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    const k = this.prefix + validateId(key, 'key');
    const text = await this.connection.run('GET', (c) => c.get(k), options);
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  async set<T extends JsonValue>(
    key: string,
    value: T,
    options: { ttlMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const k = this.prefix + validateId(key, 'key');
    const text = encodeStateValue(value, 'value');
    const ttl = checkTtl(options.ttlMs);
    await this.connection.run('SET', (c) => (ttl === undefined ? c.set(k, text) : c.set(k, text, 'PX', ttl)), options);
  }

  update<T extends JsonValue>(
    key: string,
    fn: (current: T | undefined) => T | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    let k: string;
    try {
      k = this.prefix + validateId(key, 'key');
      this.connection.assertOpen('update');
      throwIfAborted(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    // One update of a key at a time from this process; other processes are handled by the CAS.
    const previous = this.queues.get(k) ?? Promise.resolve();
    const run = previous.then(() => this.compareAndSetLoop(k, fn, options.signal));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(k, settled);
    settled.then(() => {
      if (this.queues.get(k) === settled) this.queues.delete(k);
    });
    return run;
  }

  private async compareAndSetLoop<T extends JsonValue>(
    k: string,
    fn: (current: T | undefined) => T | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T | undefined> {
    for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      const text = await this.connection.run('GET', (c) => c.get(k), { signal });
      const next = fn(text === null ? undefined : (JSON.parse(text) as T));
      const nextText = next === undefined ? '' : encodeStateValue(next, 'update result');
      let sent = false;
      let written: number;
      try {
        written = await this.connection.run(
          'update',
          (c) => {
            sent = true;
            return cas(c).qstoreCompareAndSet(
              k,
              text ?? '',
              nextText,
              next === undefined ? '1' : '0',
              text === null ? '1' : '0',
            );
          },
          { signal },
        );
      } catch (error) {
        throw sent ? outcomeUnknown(error, k.slice(this.prefix.length)) : error;
      }
      if (written === 1) return next === undefined ? undefined : (JSON.parse(nextText) as T);
      // Another process wrote in between: back off a little (with jitter) and read again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new QStoreError(
      'CONFLICT',
      `update of '${k.slice(this.prefix.length)}': still contended after ${MAX_UPDATE_ATTEMPTS} attempts`,
      { retryable: true },
    );
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const k = this.prefix + validateId(key, 'key');
    return (await this.connection.run('DEL', (c) => c.del(k), options)) > 0;
  }

  /** Keys starting with `prefix` (without the store's key prefix), by SCAN; no particular order. */
  async *keys(options: { prefix?: string; signal?: AbortSignal } = {}): AsyncIterable<string> {
    if (options.prefix !== undefined && typeof options.prefix !== 'string') {
      throw new ValidationError([{ field: 'prefix', message: 'must be a string' }]);
    }
    this.connection.assertOpen('keys');
    const seen = new Set<string>();
    for await (const batch of scanKeys(this.connection, this.prefix + (options.prefix ?? ''), options)) {
      for (const full of batch) {
        // SCAN may return a key more than once (when the table is resized during the scan).
        if (seen.has(full)) continue;
        seen.add(full);
        yield full.slice(this.prefix.length);
      }
    }
  }

  /** Closes the client if this store opened it. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Builds a {@link RedisStateStore} from the seed's dict or `{url}` (see `RedisConfig`). */
export function createRedisStateStore(config: RedisConfig = {}): RedisStateStore {
  return new RedisStateStore(config);
}
