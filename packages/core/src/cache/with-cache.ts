import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ClosedError, ValidationError } from '../shared/errors.js';
import { Lifecycle } from '../shared/lifecycle.js';
import type { CacheBackend } from '../stores/stores.js';
import { parseFilter } from '../vector/filter-parser.js';
import type {
  BackendCapabilities,
  BackendOptions,
  DeleteParams,
  DeleteResult,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  QueryMatch,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
  VectorRecord,
} from '../vector/types.js';
import { validateIds } from '../vector/validation.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import { bumpScopes, hashKey, readGenerations } from './cache-key.js';

/** Options of {@link withCache}. */
export interface WithCacheOptions {
  /**
   * Names this backend's data in the shared cache: the prefix of its keys and generation scopes.
   * Every process sharing the same data must give the same scope; backends holding different data
   * must give different ones (two databases with an index of the same name).
   *
   * **Required** when the backend's data outlives the process (`capabilities.persistence` `'file'`
   * or `'durable'`): the type and index name do not tell two databases apart. For an in-memory
   * backend (`'memory'`) the default is `<type>:<indexName>#<id>` with an id unique to the backend
   * object: its data exists only in that object, so no other object or process shares its entries.
   */
  scope?: string;
  /**
   * The in-process LRU in front of the shared cache, or `false` for none. Default 1,000 entries.
   * Entries are keyed by generation like the shared ones, and served only after the current
   * generation was read from the shared cache, so a write from another process is seen at once.
   */
  l1?: false | { maxEntries?: number };
  /** Time to live of cached results in ms; default the cache's own (the seed's `ttl`). */
  ttlMs?: number;
  /** Cache `fetch` by id (the hot-vector cache). Default true. */
  cacheFetch?: boolean;
  /** Close the cache when this backend closes. Default false: the cache is usually shared. */
  closeCache?: boolean;
}

/** Counters of a cached backend. A query or a fetched id is counted once, under one outcome. */
export interface CacheStats {
  /** Queries answered from the in-process LRU. */
  l1Hits: number;
  /** Queries answered from the shared cache (Redis). */
  l2Hits: number;
  /** Queries sent to the backend because no cached result existed (then cached). */
  misses: number;
  /** Queries sent to the backend because the cache could not be trusted or reached (down, slow). */
  bypasses: number;
  /** Queries sent to the backend uncached because their input is not in canonical form. */
  uncacheable: number;
  /** Fetched ids answered from a cache (in-process or shared). */
  fetchHits: number;
  /** Fetched ids read from the backend (cached afterwards when vectors were included). */
  fetchMisses: number;
  /** Fetch calls that bypassed the cache (down, slow, or input not canonical). */
  fetchBypasses: number;
  /** Writes (upsert, update, delete, dropIndex, an ensureIndex that created the index). */
  writes: number;
  /** Generation bumps that failed; the scope's reads bypass the cache until a retry succeeds. */
  bumpFailures: number;
  /** Results that could not be stored in the shared cache. */
  storeFailures: number;
}

/** A VectorBackend with a cache in front; still a VectorBackend. */
export interface CachedVectorBackend<M extends Metadata = Metadata> extends VectorBackend<M> {
  readonly backend: VectorBackend<M>;
  readonly cache: CacheBackend;
  cacheStats(): CacheStats;
}

const FLOAT32_MAX = 3.4028234663852886e38;

interface CanonicalQuery {
  namespace: string;
  hash: string;
}

/**
 * The cache identity of a query, or undefined when its input is not in canonical form (the backend
 * then sees it uncached and gives its own answer or error). Includes everything that changes a
 * result: the vector's exact float32 bytes, topK, namespace, the parsed filter AST (equivalent
 * spellings such as `{a: 1}` and `{a: {$eq: 1}}` share an entry), includeVectors,
 * includeMetadata and exact. Only a canonical input whose backend answer was a success is ever
 * stored, so a hit never hides an error the backend would have raised.
 */
function canonicalQuery(params: QueryParams<Metadata>): CanonicalQuery | undefined {
  const { vector, topK, namespace = '', includeVectors, includeMetadata, exact, options } = params;
  if (!Number.isInteger(topK) || typeof namespace !== 'string') return undefined;
  if (options !== undefined && !isJsonData(options, 0)) return undefined;
  for (const flag of [includeVectors, includeMetadata, exact]) {
    if (flag !== undefined && typeof flag !== 'boolean') return undefined;
  }
  let bytes: Float32Array;
  if (vector instanceof Float32Array) bytes = vector;
  else if (Array.isArray(vector)) {
    bytes = new Float32Array(vector.length);
    for (let i = 0; i < vector.length; i++) {
      const v = vector[i] as unknown;
      if (typeof v !== 'number' || !(Math.abs(v) <= FLOAT32_MAX)) return undefined;
      bytes[i] = v;
    }
  } else return undefined;
  let filter: unknown;
  try {
    filter = parseFilter(params.filter) ?? null;
  } catch {
    return undefined;
  }
  // The options channel changes results (pgvector's efSearch, Qdrant's hnswEf): the whole object is
  // part of the key, in canonical JSON, so `{pgvector: {efSearch: 10}}` and `{…400}` never share one.
  const head = [
    'query',
    namespace,
    topK,
    includeVectors ?? false,
    includeMetadata ?? true,
    exact ?? false,
    filter,
    options ?? null,
  ];
  return { namespace, hash: hashKey(head, bytes) };
}

/** Plain JSON data (finite numbers, strings, booleans, null, arrays, plain objects), so that its canonical JSON identifies it. */
function isJsonData(value: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonData(v, depth + 1));
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => isJsonData(v, depth + 1));
}

/** `options.cache.bypass: true`: this call skips the cache (for results that depend on the clock, say). */
function bypassRequested(params: { options?: BackendOptions } | null | undefined): boolean {
  const options = typeof params === 'object' && params !== null ? params.options : undefined;
  return typeof options === 'object' && options !== null && options.cache?.bypass === true;
}

/** Whether a call carries options for some backend (anything but the cache's own entry). */
function hasBackendOptions(params: { options?: BackendOptions } | null | undefined): boolean {
  const options = typeof params === 'object' && params !== null ? params.options : undefined;
  return typeof options === 'object' && options !== null && Object.keys(options).some((k) => k !== 'cache');
}

/** Whether core accepts the ids as given, so that a subset sent to the backend cannot fail on them. */
function validIds(ids: readonly unknown[]): ids is string[] {
  try {
    validateIds(ids);
    return true;
  } catch {
    return false;
  }
}

function copyMetadata<M extends Metadata>(metadata: M): M {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) out[k] = Array.isArray(v) ? [...v] : v;
  return out as M;
}

function copyMatch<M extends Metadata>(match: QueryMatch<M>): QueryMatch<M> {
  const out: QueryMatch<M> = { id: match.id, score: match.score };
  if (match.vector !== undefined) out.vector = match.vector.slice();
  if (match.metadata !== undefined) out.metadata = copyMetadata(match.metadata);
  return out;
}

function copyRecord<M extends Metadata>(record: VectorRecord<M>, includeVectors: boolean): VectorRecord<M> {
  const out: VectorRecord<M> = { id: record.id, vector: includeVectors ? record.vector.slice() : new Float32Array(0) };
  if (record.metadata !== undefined) out.metadata = copyMetadata(record.metadata);
  return out;
}

/** A cached fetch entry: the record, or null when the id did not exist. */
type FetchEntry<M extends Metadata> = { record: VectorRecord<M> | null };
type L1Value = QueryResult<Metadata> | FetchEntry<Metadata>;

/** Errors after which a write certainly changed nothing (so no generation bump is needed). */
const NOTHING_WRITTEN = new Set([
  'VALIDATION',
  'DIMENSION_MISMATCH',
  'METRIC_MISMATCH',
  'INVALID_FILTER',
  'UNSUPPORTED_FILTER',
  'INDEX_NOT_FOUND',
  'CLOSED',
]);

/** Per in-memory backend object: the id in its default scope. */
const memoryScopeIds = new WeakMap<object, string>();

function defaultScope(backend: { readonly type: string; readonly indexName: string }): string {
  let id = memoryScopeIds.get(backend);
  if (id === undefined) {
    id = randomUUID();
    memoryScopeIds.set(backend, id);
  }
  return `${backend.type}:${backend.indexName}#${id}`;
}

class CachedBackend<M extends Metadata> implements CachedVectorBackend<M> {
  private readonly scope: string;
  private readonly indexScope: string;
  private readonly l1: LRUCache<string, L1Value> | undefined;
  private readonly ttlMs: number | undefined;
  private readonly cacheFetch: boolean;
  private readonly closeCache: boolean;
  private readonly lifecycle = new Lifecycle(() => `cached ${this.type} backend for '${this.indexName}'`);
  private readonly counters: CacheStats = {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    bypasses: 0,
    uncacheable: 0,
    fetchHits: 0,
    fetchMisses: 0,
    fetchBypasses: 0,
    writes: 0,
    bumpFailures: 0,
    storeFailures: 0,
  };

  constructor(
    readonly backend: VectorBackend<M>,
    readonly cache: CacheBackend,
    options: WithCacheOptions,
  ) {
    this.scope = options.scope ?? defaultScope(backend);
    this.indexScope = `${this.scope}/`;
    // L1 entries live no longer than shared ones: the TTL bounds staleness from writers that
    // bypass this wrapper.
    this.ttlMs = options.ttlMs;
    const l1TtlMs = options.ttlMs ?? (cache as { defaultTtlMs?: number }).defaultTtlMs;
    this.cacheFetch = options.cacheFetch ?? true;
    this.closeCache = options.closeCache ?? false;
    const l1 = options.l1 ?? {};
    this.l1 =
      l1 === false
        ? undefined
        : new LRUCache<string, L1Value>({
            max: l1.maxEntries ?? 1000,
            ...(l1TtlMs !== undefined && { ttl: l1TtlMs }),
          });
  }

  get type(): string {
    return this.backend.type;
  }

  get indexName(): string {
    return this.backend.indexName;
  }

  get capabilities(): BackendCapabilities {
    return this.backend.capabilities;
  }

  cacheStats(): CacheStats {
    return { ...this.counters };
  }

  /** The scopes a read or write of a namespace depends on: the whole index, and the namespace. */
  private scopes(namespace: string): [string, string] {
    return [this.indexScope, `${this.scope}/ns:${namespace}`];
  }

  /** Tracks a public call so that `close()` waits for it; fails at once after close. */
  private admit<T>(params: unknown, body: () => Promise<T>): Promise<T> {
    const signal = typeof params === 'object' && params !== null ? (params as { signal?: unknown }).signal : undefined;
    // A malformed signal is the backend's to reject (with its typed error); only a real one is checked here.
    return this.lifecycle.track(signal instanceof AbortSignal ? signal : undefined, body);
  }

  /** Runs a write, then bumps the scopes' generations: after success, and after any failure that may have written. */
  private write<T>(params: unknown, scopes: readonly string[], run: () => Promise<T>): Promise<T> {
    return this.admit(params, async () => {
      let result: T;
      try {
        result = await run();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (!(typeof code === 'string' && NOTHING_WRITTEN.has(code))) await this.bump(scopes);
        throw error;
      }
      await this.bump(scopes);
      return result;
    });
  }

  private async bump(scopes: readonly string[]): Promise<void> {
    this.counters.writes++;
    this.counters.bumpFailures += await bumpScopes(this.cache, scopes);
  }

  private namespaceOf(params: unknown): string {
    const ns = (params as { namespace?: unknown } | undefined)?.namespace;
    return typeof ns === 'string' ? ns : '';
  }

  /** Stores in the shared cache without delaying the caller; close() waits for it. */
  private store(key: string, value: unknown): void {
    const storing = this.cache.set(key, value, this.ttlMs === undefined ? {} : { ttlMs: this.ttlMs }).catch(() => {
      this.counters.storeFailures++;
    });
    this.lifecycle.hold(storing);
  }

  ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    return this.admit(params, async () => {
      const existed = await this.backend.describeIndex({ signal: params?.signal }).then(
        (d) => d !== null,
        () => false,
      );
      if (existed) return this.backend.ensureIndex(params);
      return this.write(params, [this.indexScope], () => this.backend.ensureIndex(params));
    });
  }

  describeIndex(params: { signal?: AbortSignal } = {}): Promise<IndexDescription | null> {
    return this.admit(params, () => this.backend.describeIndex(params));
  }

  dropIndex(params: { signal?: AbortSignal } = {}): Promise<void> {
    return this.write(params, [this.indexScope], () => this.backend.dropIndex(params));
  }

  upsert(params: UpsertParams<M>): Promise<UpsertResult> {
    return this.write(params, this.scopes(this.namespaceOf(params)).slice(1), () => this.backend.upsert(params));
  }

  update(params: UpdateParams<M>): Promise<UpdateResult> {
    return this.write(params, this.scopes(this.namespaceOf(params)).slice(1), () => this.backend.update(params));
  }

  delete(params: DeleteParams<M>): Promise<DeleteResult> {
    return this.write(params, this.scopes(this.namespaceOf(params)).slice(1), () => this.backend.delete(params));
  }

  query(params: QueryParams<M>): Promise<QueryResult<M>> {
    return this.admit(params, async () => {
      const canonical =
        typeof params === 'object' && params !== null && !bypassRequested(params)
          ? canonicalQuery(params as unknown as QueryParams<Metadata>)
          : undefined;
      if (!canonical) {
        this.counters.uncacheable++;
        return this.backend.query(params);
      }
      const signal = params.signal;
      const generations = await readGenerations(this.cache, this.scopes(canonical.namespace), signal);
      if (generations === undefined) {
        this.counters.bypasses++;
        return this.backend.query(params);
      }
      const key = `${this.scope}:q:${generations}:${canonical.hash}`;
      const local = this.l1?.get(key) as QueryResult<M> | undefined;
      if (local) {
        this.counters.l1Hits++;
        return { namespace: local.namespace, matches: local.matches.map(copyMatch) };
      }
      let shared: QueryResult<M> | undefined;
      try {
        shared = await this.cache.get<QueryResult<M>>(key, { signal });
      } catch (error) {
        if (signal?.aborted) throw error;
        this.counters.bypasses++;
        return this.backend.query(params);
      }
      if (shared) {
        this.counters.l2Hits++;
        this.l1?.set(key, { namespace: shared.namespace, matches: shared.matches.map(copyMatch) });
        return shared;
      }
      this.counters.misses++;
      const result = await this.backend.query(params);
      const copy = { namespace: result.namespace, matches: result.matches.map(copyMatch) };
      this.l1?.set(key, copy);
      this.store(key, copy);
      return result;
    });
  }

  fetch(params: FetchParams): Promise<FetchResult<M>> {
    return this.admit(params, async () => {
      const ids = typeof params === 'object' && params !== null ? (params.ids as unknown) : undefined;
      const namespace = params?.namespace ?? '';
      const includeVectors = params?.includeVectors ?? true;
      if (
        !this.cacheFetch ||
        bypassRequested(params) ||
        hasBackendOptions(params) ||
        !Array.isArray(ids) ||
        ids.length === 0 ||
        !validIds(ids) ||
        typeof namespace !== 'string' ||
        typeof includeVectors !== 'boolean'
      ) {
        if (this.cacheFetch) this.counters.fetchBypasses++;
        return this.backend.fetch(params);
      }
      const signal = params.signal;
      const generations = await readGenerations(this.cache, this.scopes(namespace), signal);
      if (generations === undefined) {
        this.counters.fetchBypasses++;
        return this.backend.fetch(params);
      }
      const unique = [...new Set(ids as string[])];
      const keyOf = (id: string) => `${this.scope}:f:${generations}:${hashKey(['fetch', namespace, id])}`;
      const found = new Map<string, VectorRecord<M> | null>();
      const remote: string[] = [];
      for (const id of unique) {
        const local = this.l1?.get(keyOf(id)) as FetchEntry<M> | undefined;
        if (local) found.set(id, local.record);
        else remote.push(id);
      }
      let missing: string[] = remote;
      if (remote.length > 0) {
        try {
          const entries = await Promise.all(remote.map((id) => this.cache.get<FetchEntry<M>>(keyOf(id), { signal })));
          missing = [];
          for (const [i, id] of remote.entries()) {
            const entry = entries[i];
            if (entry) {
              found.set(id, entry.record);
              this.l1?.set(keyOf(id), entry);
            } else missing.push(id);
          }
        } catch (error) {
          if (signal?.aborted) throw error;
          this.counters.fetchBypasses++;
          return this.backend.fetch(params);
        }
      }
      this.counters.fetchHits += unique.length - missing.length;
      this.counters.fetchMisses += missing.length;
      if (missing.length > 0) {
        const fromBackend = await this.backend.fetch({ ...params, ids: missing });
        for (const id of missing) {
          const record = fromBackend.records.get(id) ?? null;
          found.set(id, record);
          if (includeVectors) {
            const entry: FetchEntry<M> = { record: record && copyRecord(record, true) };
            this.l1?.set(keyOf(id), entry);
            this.store(keyOf(id), entry);
          }
        }
      }
      const records = new Map<string, VectorRecord<M>>();
      for (const id of unique) {
        const record = found.get(id);
        if (record) records.set(id, copyRecord(record, includeVectors));
      }
      return { records, namespace };
    });
  }

  list(params: ListParams = {}): AsyncIterable<string> {
    if (this.lifecycle.closed) {
      const error = new ClosedError(`cached ${this.type} backend for '${this.indexName}'`);
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
      };
    }
    return this.backend.list(params);
  }

  stats(params: { signal?: AbortSignal } = {}): Promise<IndexStats> {
    return this.admit(params, () => this.backend.stats(params));
  }

  /** Idempotent; a concurrent second call resolves when the first has finished. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      this.l1?.clear();
      await this.backend.close();
      if (this.closeCache) await this.cache.close();
    });
  }
}

/**
 * Puts a two-level cache in front of any {@link VectorBackend}: an in-process LRU (`l1`) over a
 * shared {@link CacheBackend} (Redis). The result is a VectorBackend too, passing the same
 * conformance kit.
 *
 * - `query` results are cached under a hash of everything that changes them (see the key rule in
 *   the README) and the *generations* of the index and of the namespace, read from the shared cache
 *   on every query. `fetch` caches each record by id (the hot-vector cache) the same way.
 * - Every write bumps the namespace's generation after it lands (also when it fails part-way, as a
 *   `PartialWriteError`); `dropIndex` and an `ensureIndex` that creates the index bump the index's.
 *   A read after a write from this process is never stale; another process using the same cache
 *   sees the write once its bump has reached Redis (at once, unless Redis was unreachable).
 * - Redis down or slow (past the cache's timeout): reads go to the backend and are counted as
 *   bypasses; writes go to the backend; a bump that failed is retried before the scope is read from
 *   the cache again, on each reconnect and every second, and until it succeeds this process
 *   bypasses the cache for that scope (other processes may be served the older result meanwhile,
 *   at most until the TTL). Nothing throws because of the cache.
 * - `options.scope` is required when the backend's data outlives the process (see
 *   {@link WithCacheOptions.scope}).
 * - Results are copies: mutating a returned vector or metadata never changes a cached entry.
 * - `close()` closes the backend (and the cache only with `closeCache: true`).
 */
export function withCache<M extends Metadata = Metadata>(
  backend: VectorBackend<M>,
  cache: CacheBackend,
  options: WithCacheOptions = {},
): CachedVectorBackend<M> {
  const issues: Array<{ field: string; message: string }> = [];
  if (options.scope !== undefined && (typeof options.scope !== 'string' || options.scope.length === 0))
    issues.push({ field: 'scope', message: 'must be a non-empty string' });
  const persistence = backend?.capabilities?.persistence;
  if (options.scope === undefined && persistence !== 'memory')
    issues.push({
      field: 'scope',
      message: `is required for a backend whose data outlives the process (persistence '${String(persistence)}'): name the database and index, the same in every process sharing them, e.g. '${backend?.type}:prod-db/${backend?.indexName}'`,
    });
  if (options.ttlMs !== undefined && !(typeof options.ttlMs === 'number' && options.ttlMs >= 1))
    issues.push({ field: 'ttlMs', message: 'must be a number of milliseconds ≥ 1' });
  const max = options.l1 ? options.l1.maxEntries : undefined;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    issues.push({ field: 'l1.maxEntries', message: 'must be a positive integer' });
  if (issues.length > 0) throw new ValidationError(issues, 'Invalid cache options');
  return new CachedBackend(backend, cache, options);
}
