import {
  abortErrorFor,
  DimensionMismatchError,
  IndexNotFoundError,
  isQStoreError,
  MetricMismatchError,
  PartialWriteError,
  throwIfAborted,
  UnsupportedFilterError,
  UnsupportedOperationError,
  ValidationError,
} from '../shared/errors.js';
import { Lifecycle } from '../shared/lifecycle.js';
import { collectOperators, parseFilter } from './filter-parser.js';
import type { FilterNode } from './filter-types.js';
import type {
  BackendCapabilities,
  BackendOptions,
  CallParams,
  DeleteParams,
  DeleteResult,
  DeleteTarget,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  HookParams,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  Metric,
  NormalizedQuery,
  QueryMatch,
  QueryParams,
  QueryResult,
  RecordChange,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
  VectorRecord,
} from './types.js';
import {
  chunkRecords,
  estimateRecordBytes,
  isPlainObject,
  validateFlags,
  validateId,
  validateIds,
  validateIndexName,
  validateIndexParams,
  validateListPrefix,
  validateMetadata,
  validateNamespace,
  validateRecords,
  validateTopK,
  validateVector,
} from './validation.js';
import type { ListPage, VectorBackend } from './vector-backend.js';

/**
 * Template for a VectorBackend: subclasses implement the `do*` storage hooks, which receive only
 * validated, normalised input (Float32Array vectors of the index dimension, parsed filter ASTs
 * using only declared operators, chunks within the declared limits, deduplicated ids).
 */
export abstract class BaseVectorBackend<
  M extends Metadata = Metadata,
  O extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>,
> implements VectorBackend<M>
{
  abstract readonly type: string;
  abstract readonly capabilities: BackendCapabilities;
  readonly indexName: string;
  private index: IndexDescription | undefined;
  private readonly lifecycle = new Lifecycle(() => `${this.type} backend for index '${this.indexName}'`);
  private ensuring: Promise<unknown> = Promise.resolve();

  protected constructor(indexName: string) {
    this.indexName = validateIndexName(indexName);
  }

  /**
   * Every hook takes one params object. `options` is this backend's own entry of the call's
   * `options` (`params.options?.[this.type]`), as returned by {@link parseOptions}; `signal` is the
   * caller's abort signal.
   */
  protected abstract doDescribeIndex(params: HookParams<O>): Promise<IndexDescription | null>;
  /**
   * Creates the index. Another process may create it at the same moment: an "already exists"
   * answer is success (the base then describes the index and checks dimension and metric). Must
   * return only when the index accepts writes.
   */
  protected abstract doCreateIndex(params: HookParams<O> & { dimension: number; metric: Metric }): Promise<void>;
  protected abstract doDropIndex(params: HookParams<O>): Promise<void>;
  /**
   * Writes one chunk (within the declared limits). Must be all-or-nothing for the chunk, and, with
   * `consistency: 'immediate'`, visible to reads when it resolves (Qdrant: `wait: true`).
   */
  protected abstract doUpsert(params: HookParams<O> & { records: VectorRecord<M>[]; namespace: string }): Promise<void>;
  protected abstract doQuery(query: NormalizedQuery & { options: O }): Promise<QueryMatch<M>[]>;
  /** At most `maxIdsPerRequest` distinct ids. With `includeVectors` false, `vector` is an empty array. */
  protected abstract doFetch(
    params: HookParams<O> & { ids: readonly string[]; namespace: string; includeVectors: boolean },
  ): Promise<VectorRecord<M>[]>;
  /**
   * Changes one record; false when the id does not exist (nothing is created). The hook enforces
   * `maxMetadataBytes` on the merged metadata (see `checkMergedMetadata`).
   */
  protected abstract doUpdate(
    params: HookParams<O> & { id: string; change: RecordChange<M>; namespace: string },
  ): Promise<boolean>;
  /**
   * Deletes; ids come at most `maxIdsPerRequest` at a time; a filter only with
   * `capabilities.deleteByFilter`. Returns the count when known.
   */
  protected abstract doDelete(
    params: HookParams<O> & { target: DeleteTarget; namespace: string },
  ): Promise<number | undefined>;
  /** One page of ids in id order; `prefix` only with `capabilities.listByPrefix`. */
  protected abstract doListPage(
    params: HookParams<O> & { namespace: string; prefix?: string; limit: number; cursor?: string },
  ): Promise<ListPage>;
  protected abstract doStats(params: HookParams<O>): Promise<Omit<IndexStats, 'dimension' | 'metric'>>;
  /** Releases resources; runs once, after every call in flight has settled. */
  protected abstract doClose(): Promise<void>;

  /**
   * Validates this backend's entry of a call's options (`raw` is `params.options?.[this.type]`,
   * undefined when absent) and returns what the hooks receive. The default accepts no keys: a
   * backend with per-call options overrides it and reports bad keys as `options.<type>.<key>`.
   */
  protected parseOptions(raw: Readonly<Record<string, unknown>> | undefined, _operation: string): O {
    const keys = raw === undefined ? [] : Object.keys(raw);
    if (keys.length > 0) {
      throw new ValidationError(
        keys.map((key) => ({
          field: `options.${this.type}.${key}`,
          message: `backend '${this.type}' has no such option`,
        })),
        'Invalid options',
      );
    }
    return {} as O;
  }

  /**
   * Bytes one record adds to a write request, for chunking by `maxBatchBytes`. The default is
   * core's upper bound ({@link estimateRecordBytes}: 25 bytes per float); a backend that knows its
   * wire format may return the exact size, so chunks come close to the limit (fewer requests).
   */
  protected recordBytes(record: VectorRecord<M>): number {
    return estimateRecordBytes(record);
  }

  /** Checks the call's `options` shape and returns this backend's parsed entry with the signal. */
  private hookParams(params: CallParams, operation: string): HookParams<O> {
    const options: BackendOptions | undefined = params.options;
    if (options !== undefined) {
      if (!isPlainObject(options)) {
        throw new ValidationError(
          [{ field: 'options', message: 'must be an object keyed by backend type, e.g. {pgvector: {efSearch: 100}}' }],
          'Invalid options',
        );
      }
      for (const [key, value] of Object.entries(options)) {
        if (!isPlainObject(value)) {
          throw new ValidationError([{ field: `options.${key}`, message: 'must be an object' }], 'Invalid options');
        }
      }
    }
    const own = options !== undefined && Object.hasOwn(options, this.type) ? options[this.type] : undefined;
    return { options: this.parseOptions(own, operation), signal: params.signal };
  }

  protected assertOpen(): void {
    this.lifecycle.assertOpen();
  }

  /**
   * Admits one public call: CLOSED once `close()` has begun, ABORTED for a fired signal; registers
   * it so that `close()` waits for it to settle before releasing resources.
   */
  protected admit<T>(params: { signal?: AbortSignal } | undefined, body: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      if (typeof params !== 'object' || params === null) {
        throw new ValidationError([{ field: 'params', message: 'must be an object of parameters' }], 'Invalid call');
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lifecycle.track(params.signal, body);
  }

  /**
   * Runs one storage hook inside an admitted call: checks the signal right before it, and turns a
   * failure after the signal fired into the typed abort or timeout error.
   */
  protected async hook<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    try {
      return await run();
    } catch (error) {
      if (signal?.aborted && !isQStoreError(error)) throw abortErrorFor(signal);
      throw error;
    }
  }

  /** Forgets the cached index description, e.g. after a storage hook saw the index change. */
  protected forgetIndex(): void {
    this.index = undefined;
  }

  /** The index description, looked up once and cached; IndexNotFoundError when there is none. */
  protected async requireIndex(signal?: AbortSignal): Promise<IndexDescription> {
    if (this.index) return this.index;
    const found = await this.hook(signal, () =>
      this.doDescribeIndex({ options: this.parseOptions(undefined, 'describeIndex'), signal }),
    );
    if (!found) throw new IndexNotFoundError(this.indexName);
    this.index = { ...found };
    return this.index;
  }

  ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    return this.admit(params, async () => {
      const { dimension, metric } = validateIndexParams(params.dimension, params.metric, this.capabilities);
      const hp = this.hookParams(params, 'ensureIndex');
      // Calls on one instance run one after another, so two of them never both create the index.
      const run = this.ensuring.then(async () => {
        let existing = await this.hook(params.signal, () => this.doDescribeIndex(hp));
        if (!existing) {
          await this.hook(params.signal, () => this.doCreateIndex({ ...hp, dimension, metric }));
          existing = (await this.hook(params.signal, () => this.doDescribeIndex(hp))) ?? {
            name: this.indexName,
            dimension,
            metric,
          };
        }
        if (existing.dimension !== dimension)
          throw new DimensionMismatchError('dimension', existing.dimension, dimension);
        if (existing.metric !== metric) throw new MetricMismatchError(existing.metric, metric);
        this.index = { ...existing };
        return { ...existing };
      });
      this.ensuring = run.catch(() => undefined);
      return run;
    });
  }

  describeIndex(params: CallParams = {}): Promise<IndexDescription | null> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'describeIndex');
      const found = await this.hook(params.signal, () => this.doDescribeIndex(hp));
      this.index = found ? { ...found } : undefined;
      return found ? { ...found } : null;
    });
  }

  dropIndex(params: CallParams = {}): Promise<void> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'dropIndex');
      await this.hook(params.signal, () => this.doDropIndex(hp));
      this.index = undefined;
    });
  }

  upsert(params: UpsertParams<M>): Promise<UpsertResult> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'upsert');
      const index = await this.requireIndex(params.signal);
      const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
      const records = validateRecords(params.records, {
        dimension: index.dimension,
        metric: index.metric,
        maxMetadataBytes: this.capabilities.maxMetadataBytes,
      });
      const chunks = chunkRecords(records, this.capabilities, (r) => this.recordBytes(r));
      const landed: string[] = [];
      for (const [i, chunk] of chunks.entries()) {
        // Between chunks, let timers and other calls run (an embedded store such as PGlite never
        // yields inside a statement), so a large batch cannot stall the process or its timeouts.
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        try {
          await this.hook(params.signal, () => this.doUpsert({ ...hp, records: chunk, namespace }));
        } catch (error) {
          if (landed.length === 0) throw error;
          const failed = chunks.slice(i).flatMap((c) => c.map((r) => r.id));
          throw new PartialWriteError(landed, failed, error);
        }
        for (const r of chunk) landed.push(r.id);
      }
      return { upsertedCount: records.length, chunks: chunks.length };
    });
  }

  query(params: QueryParams<M>): Promise<QueryResult<M>> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'query');
      const index = await this.requireIndex(params.signal);
      validateFlags({
        includeVectors: params.includeVectors,
        includeMetadata: params.includeMetadata,
        exact: params.exact,
      });
      const includeVectors = params.includeVectors ?? false;
      const includeMetadata = params.includeMetadata ?? true;
      const caps = this.capabilities;
      const withPayload = includeVectors || includeMetadata;
      const topK = validateTopK(params.topK, withPayload ? (caps.maxTopKWithPayload ?? caps.maxTopK) : caps.maxTopK);
      const namespace = validateNamespace(params.namespace, caps.namespaces);
      const vector = validateVector(params.vector, 'vector', index.dimension, index.metric);
      const filter = this.parseSupportedFilter(params.filter);
      if (params.exact && !caps.exactSearch) {
        throw new ValidationError(
          [{ field: 'exact', message: `backend '${this.type}' has no exact search` }],
          'Invalid query',
        );
      }
      const query: NormalizedQuery & { options: O } = {
        vector,
        topK,
        filter,
        namespace,
        includeVectors,
        includeMetadata,
        exact: params.exact ?? false,
        options: hp.options,
        signal: params.signal,
      };
      const matches = await this.hook(params.signal, () => this.doQuery(query));
      return { matches, namespace };
    });
  }

  fetch(params: FetchParams): Promise<FetchResult<M>> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'fetch');
      await this.requireIndex(params.signal);
      validateFlags({ includeVectors: params.includeVectors });
      const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
      const ids = validateIds(params.ids);
      const records = new Map<string, VectorRecord<M>>();
      for (const page of this.idPages(ids)) {
        const found = await this.hook(params.signal, () =>
          this.doFetch({ ...hp, ids: page, namespace, includeVectors: params.includeVectors ?? true }),
        );
        for (const record of found) records.set(record.id, record);
      }
      return { records, namespace };
    });
  }

  update(params: UpdateParams<M>): Promise<UpdateResult> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'update');
      const index = await this.requireIndex(params.signal);
      const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
      const id = validateId(params.id);
      const change: RecordChange<M> = {
        metadataMode: params.metadataMode ?? 'merge',
      };
      if (change.metadataMode !== 'merge' && change.metadataMode !== 'replace') {
        throw new ValidationError(
          [{ field: 'metadataMode', message: "must be 'merge' or 'replace'" }],
          'Invalid update',
        );
      }
      if (params.vector !== undefined)
        change.vector = validateVector(params.vector, 'vector', index.dimension, index.metric);
      if (params.metadata !== undefined) {
        validateMetadata(params.metadata, 'metadata', this.capabilities.maxMetadataBytes);
        change.metadata = { ...params.metadata };
      }
      if (change.vector === undefined && change.metadata === undefined) {
        throw new ValidationError(
          [{ field: 'vector', message: 'an update needs a vector, metadata or both' }],
          'Invalid update',
        );
      }
      return { updated: await this.hook(params.signal, () => this.doUpdate({ ...hp, id, change, namespace })) };
    });
  }

  delete(params: DeleteParams<M>): Promise<DeleteResult> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'delete');
      await this.requireIndex(params.signal);
      const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
      const given = [params.ids !== undefined, params.filter !== undefined, params.all !== undefined].filter(
        Boolean,
      ).length;
      if (given !== 1) {
        throw new ValidationError(
          [{ field: 'ids', message: 'give exactly one of ids, filter or all: true' }],
          'Invalid delete',
        );
      }
      const targets: DeleteTarget[] = [];
      if (params.ids !== undefined) {
        for (const page of this.idPages(validateIds(params.ids))) targets.push({ ids: page });
      } else if (params.filter !== undefined) {
        if (!this.capabilities.deleteByFilter) {
          throw new UnsupportedOperationError(this.type, 'delete({filter})', 'deleteByFilter');
        }
        const filter = this.parseSupportedFilter(params.filter);
        if (filter === undefined) {
          throw new ValidationError(
            [{ field: 'filter', message: 'an empty filter would delete everything; use {all: true} for that' }],
            'Invalid delete',
          );
        }
        targets.push({ filter });
      } else {
        if (params.all !== true)
          throw new ValidationError([{ field: 'all', message: 'must be true' }], 'Invalid delete');
        targets.push({ all: true });
      }
      let deleted: number | undefined = 0;
      for (const target of targets) {
        const n = await this.hook(params.signal, () => this.doDelete({ ...hp, target, namespace }));
        deleted = n === undefined || deleted === undefined ? undefined : deleted + n;
      }
      return deleted === undefined ? {} : { deletedCount: deleted };
    });
  }

  async *list(params: ListParams = {}): AsyncIterable<string> {
    const hp = await this.admit(params, async () => {
      const parsed = this.hookParams(params, 'list');
      await this.requireIndex(params.signal);
      return parsed;
    });
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const prefix = validateListPrefix(params.prefix);
    if (prefix !== undefined && prefix !== '' && !this.capabilities.listByPrefix) {
      throw new UnsupportedOperationError(this.type, 'list({prefix})', 'listByPrefix');
    }
    const maxPage = this.capabilities.maxListPageSize ?? 1000;
    const limit = params.pageSize ?? Math.min(100, maxPage);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPage) {
      throw new ValidationError(
        [{ field: 'pageSize', message: `must be an integer from 1 to ${maxPage}`, limit: maxPage }],
        'Invalid list',
      );
    }
    let cursor: string | undefined;
    do {
      const request = {
        ...hp,
        namespace,
        limit,
        ...(prefix !== undefined && { prefix }),
        ...(cursor !== undefined && { cursor }),
      };
      const page = await this.admit(params, () => this.hook(params.signal, () => this.doListPage(request)));
      yield* page.ids;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  stats(params: CallParams = {}): Promise<IndexStats> {
    return this.admit(params, async () => {
      const hp = this.hookParams(params, 'stats');
      const index = await this.requireIndex(params.signal);
      const counts = await this.hook(params.signal, () => this.doStats(hp));
      return { dimension: index.dimension, metric: index.metric, ...counts };
    });
  }

  /** Idempotent; a concurrent second call resolves when the first has finished (see `Lifecycle`). */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.doClose());
  }

  /** Parses a filter and rejects operators this backend did not declare. */
  protected parseSupportedFilter(filter: unknown): FilterNode | undefined {
    const node = parseFilter(filter);
    const unsupported = [...collectOperators(node)].filter((op) => !this.capabilities.filterOperators.includes(op));
    if (unsupported.length > 0) throw new UnsupportedFilterError(this.type, unsupported);
    return node;
  }

  /** Ids in pages of at most `maxIdsPerRequest` (default `maxBatchRecords`). */
  private *idPages(ids: readonly string[]): Generator<readonly string[]> {
    const size = this.capabilities.maxIdsPerRequest ?? this.capabilities.maxBatchRecords;
    for (let start = 0; start < ids.length; start += size) yield ids.slice(start, start + size);
  }
}
