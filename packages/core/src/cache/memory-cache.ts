import { ClosedError, throwIfAborted, ValidationError } from '../shared/errors.js';
import type { CacheBackend } from '../stores/stores.js';
import { decodeCacheValue, encodeCacheValue } from './cache-codec.js';

export interface MemoryCacheOptions {
  /** Default time to live of an entry in ms; default none (entries live until evicted or deleted). */
  ttlMs?: number;
  /** Most entries kept; the least recently used goes first beyond it. Default 10,000. */
  maxEntries?: number;
  /** Clock in ms, for tests of expiry; default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link CacheBackend} in this process: values stored encoded (`encodeCacheValue`), so a hit is a
 * copy exactly as from Redis; TTL per entry; generations per scope; least-recently-used eviction
 * past `maxEntries`. For tests, demos and single-process use of `withCache` and
 * `withTrainingBatchCache`; `@q-store/cache-redis` is the shared one.
 */
export class MemoryCache implements CacheBackend {
  private readonly entries = new Map<string, { text: string; expiresAt: number }>();
  private readonly generations = new Map<string, number>();
  private readonly ttlMs: number | undefined;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private closed = false;

  constructor(options: MemoryCacheOptions = {}) {
    const issues: Array<{ field: string; message: string }> = [];
    if (options.ttlMs !== undefined && !(typeof options.ttlMs === 'number' && options.ttlMs >= 1)) {
      issues.push({ field: 'ttlMs', message: 'must be a number of milliseconds ≥ 1' });
    }
    if (options.maxEntries !== undefined && !(Number.isInteger(options.maxEntries) && options.maxEntries >= 1)) {
      issues.push({ field: 'maxEntries', message: 'must be a positive integer' });
    }
    if (issues.length > 0) throw new ValidationError(issues, 'Invalid MemoryCache options');
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  private check(key: unknown, signal: AbortSignal | undefined): asserts key is string {
    if (this.closed) throw new ClosedError('MemoryCache');
    throwIfAborted(signal);
    if (typeof key !== 'string' || key.length === 0) {
      throw new ValidationError([{ field: 'key', message: 'must be a non-empty string' }]);
    }
  }

  /** Entries held now (expired ones are dropped when read). */
  get size(): number {
    return this.entries.size;
  }

  async get<T>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    this.check(key, options.signal);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return decodeCacheValue<T>(entry.text);
  }

  async set<T>(key: string, value: T, options: { ttlMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.check(key, options.signal);
    const ttl = options.ttlMs ?? this.ttlMs;
    if (ttl !== undefined && !(typeof ttl === 'number' && ttl >= 1)) {
      throw new ValidationError([{ field: 'ttlMs', message: 'must be a number of milliseconds ≥ 1' }]);
    }
    const text = encodeCacheValue(value);
    this.entries.delete(key);
    this.entries.set(key, { text, expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : this.now() + ttl });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<number> {
    if (!Array.isArray(keys)) throw new ValidationError([{ field: 'keys', message: 'must be an array of keys' }]);
    let n = 0;
    for (const key of keys) {
      this.check(key, options.signal);
      const entry = this.entries.get(key);
      if (entry && this.entries.delete(key) && entry.expiresAt > this.now()) n++;
    }
    return n;
  }

  async generation(scope: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.check(scope, options.signal);
    return this.generations.get(scope) ?? 0;
  }

  async bumpGeneration(scope: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.check(scope, options.signal);
    const next = (this.generations.get(scope) ?? 0) + 1;
    this.generations.set(scope, next);
    return next;
  }

  /** Removes every entry and generation. */
  async clear(): Promise<void> {
    this.entries.clear();
    this.generations.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
  }
}
