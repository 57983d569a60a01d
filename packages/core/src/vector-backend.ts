import {
  ClosedError,
  DimensionMismatchError,
  IndexNotFoundError,
  MetricMismatchError,
  PartialWriteError,
  throwIfAborted,
  UnsupportedFilterError,
  ValidationError,
} from './errors.js';
import { collectOperators, parseFilter } from './filter-parser.js';
import type { FilterNode } from './filter-types.js';
import type {
  BackendCapabilities,
  DeleteParams,
  DeleteResult,
  DeleteTarget,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  Metric,
  NormalizedQuery,
  QueryMatch,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
  VectorRecord,
} from './types.js';
import {
  chunkRecords,
  validateId,
  validateIds,
  validateIndexName,
  validateIndexParams,
  validateMetadata,
  validateNamespace,
  validateRecords,
  validateTopK,
  validateVector,
} from './validation.js';

/**
 * The contract every vector store implements. One instance serves one index (a Pinecone index, a
 * Qdrant collection, a pgvector table) with its namespaces.
 *
 * - Every method takes one params object and an optional `signal: AbortSignal`.
 * - Scores: higher is better (see {@link Metric} for each formula).
 * - Writes are validated as a whole before anything is written; a rejected batch writes nothing.
 *   A batch is chunked by the declared limits; if a chunk fails after others landed, the error is
 *   a `PartialWriteError` listing exactly which ids landed.
 * - A filter operator the backend cannot express is an `UnsupportedFilterError`, never dropped.
 *
 * Implementations usually extend {@link BaseVectorBackend}, which does the validation, chunking,
 * filter parsing, abort checks and closed-state handling, and leaves only storage to the subclass.
 * Run `describeVectorBackendConformance` from `@q-store/core/testing` against any implementation.
 */
export interface VectorBackend<M extends Metadata = Metadata> {
  /** Registry type, e.g. `memory`, `pgvector`. */
  readonly type: string;
  readonly indexName: string;
  readonly capabilities: BackendCapabilities;
  /** Creates the index, or checks the existing one matches. Idempotent. */
  ensureIndex(params: EnsureIndexParams): Promise<IndexDescription>;
  /** The index's dimension and metric, or null when it does not exist. */
  describeIndex(params?: { signal?: AbortSignal }): Promise<IndexDescription | null>;
  /** Removes the index and all its records. */
  dropIndex(params?: { signal?: AbortSignal }): Promise<void>;
  upsert(params: UpsertParams<M>): Promise<UpsertResult>;
  query(params: QueryParams<M>): Promise<QueryResult<M>>;
  fetch(params: FetchParams): Promise<FetchResult<M>>;
  update(params: UpdateParams<M>): Promise<UpdateResult>;
  delete(params: DeleteParams<M>): Promise<DeleteResult>;
  /** Every id in a namespace (in pages of `pageSize` under the hood). */
  list(params?: ListParams): AsyncIterable<string>;
  stats(params?: { signal?: AbortSignal }): Promise<IndexStats>;
  /** Releases what this backend opened. Further calls throw ClosedError. Idempotent. */
  close(): Promise<void>;
}

export interface ListPage {
  ids: string[];
  /** Opaque position of the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Template for a VectorBackend: subclasses implement the `do*` storage hooks, which receive only
 * validated, normalised input (Float32Array vectors of the index dimension, parsed filter ASTs
 * using only declared operators, chunks within the declared limits, deduplicated ids).
 */
export abstract class BaseVectorBackend<M extends Metadata = Metadata> implements VectorBackend<M> {
  abstract readonly type: string;
  abstract readonly capabilities: BackendCapabilities;
  readonly indexName: string;
  private index: IndexDescription | undefined;
  private closed = false;

  protected constructor(indexName: string) {
    this.indexName = validateIndexName(indexName);
  }

  protected abstract doDescribeIndex(signal?: AbortSignal): Promise<IndexDescription | null>;
  protected abstract doCreateIndex(dimension: number, metric: Metric, signal?: AbortSignal): Promise<void>;
  protected abstract doDropIndex(signal?: AbortSignal): Promise<void>;
  /** Writes one chunk (within the declared limits). Must be all-or-nothing for the chunk. */
  protected abstract doUpsert(records: VectorRecord<M>[], namespace: string, signal?: AbortSignal): Promise<void>;
  protected abstract doQuery(query: NormalizedQuery): Promise<QueryMatch<M>[]>;
  protected abstract doFetch(
    ids: readonly string[],
    namespace: string,
    includeVectors: boolean,
    signal?: AbortSignal,
  ): Promise<VectorRecord<M>[]>;
  protected abstract doUpdate(
    id: string,
    change: { vector?: Float32Array; metadata?: Partial<M>; metadataMode: 'merge' | 'replace' },
    namespace: string,
    signal?: AbortSignal,
  ): Promise<boolean>;
  protected abstract doDelete(
    target: DeleteTarget,
    namespace: string,
    signal?: AbortSignal,
  ): Promise<number | undefined>;
  protected abstract doListPage(
    params: { namespace: string; prefix?: string; limit: number; cursor?: string },
    signal?: AbortSignal,
  ): Promise<ListPage>;
  protected abstract doStats(signal?: AbortSignal): Promise<Omit<IndexStats, 'dimension' | 'metric'>>;
  protected abstract doClose(): Promise<void>;

  protected assertOpen(): void {
    if (this.closed) throw new ClosedError(`${this.type} backend for index '${this.indexName}'`);
  }

  /** The index description, looked up once and cached; IndexNotFoundError when there is none. */
  protected async requireIndex(signal?: AbortSignal): Promise<IndexDescription> {
    this.assertOpen();
    throwIfAborted(signal);
    if (this.index) return this.index;
    const found = await this.doDescribeIndex(signal);
    if (!found) throw new IndexNotFoundError(this.indexName);
    this.index = found;
    return found;
  }

  async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    this.assertOpen();
    throwIfAborted(params.signal);
    const { dimension, metric } = validateIndexParams(params.dimension, params.metric, this.capabilities);
    let existing = await this.doDescribeIndex(params.signal);
    if (!existing) {
      await this.doCreateIndex(dimension, metric, params.signal);
      existing = (await this.doDescribeIndex(params.signal)) ?? { name: this.indexName, dimension, metric };
    }
    if (existing.dimension !== dimension) throw new DimensionMismatchError('dimension', existing.dimension, dimension);
    if (existing.metric !== metric) throw new MetricMismatchError(existing.metric, metric);
    this.index = existing;
    return existing;
  }

  async describeIndex(params: { signal?: AbortSignal } = {}): Promise<IndexDescription | null> {
    this.assertOpen();
    throwIfAborted(params.signal);
    const found = await this.doDescribeIndex(params.signal);
    this.index = found ?? undefined;
    return found;
  }

  async dropIndex(params: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    throwIfAborted(params.signal);
    await this.doDropIndex(params.signal);
    this.index = undefined;
  }

  async upsert(params: UpsertParams<M>): Promise<UpsertResult> {
    const index = await this.requireIndex(params.signal);
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const records = validateRecords(params.records, {
      dimension: index.dimension,
      metric: index.metric,
      maxMetadataBytes: this.capabilities.maxMetadataBytes,
    });
    const chunks = chunkRecords(records, this.capabilities);
    const landed: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      try {
        throwIfAborted(params.signal);
        this.assertOpen();
        await this.doUpsert(chunk, namespace, params.signal);
      } catch (error) {
        if (landed.length === 0) throw error;
        const failed = chunks.slice(i).flatMap((c) => c.map((r) => r.id));
        throw new PartialWriteError(landed, failed, error);
      }
      for (const r of chunk) landed.push(r.id);
    }
    return { upsertedCount: records.length, chunks: chunks.length };
  }

  async query(params: QueryParams<M>): Promise<QueryResult<M>> {
    const index = await this.requireIndex(params.signal);
    const topK = validateTopK(params.topK, this.capabilities.maxTopK);
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const vector = validateVector(params.vector, 'vector', index.dimension, index.metric);
    const filter = this.parseSupportedFilter(params.filter);
    if (params.exact && !this.capabilities.exactSearch) {
      throw new ValidationError(
        [{ field: 'exact', message: `backend '${this.type}' has no exact search` }],
        'Invalid query',
      );
    }
    const matches = await this.doQuery({
      vector,
      topK,
      filter,
      namespace,
      includeVectors: params.includeVectors ?? false,
      includeMetadata: params.includeMetadata ?? true,
      exact: params.exact ?? false,
      signal: params.signal,
    });
    return { matches, namespace };
  }

  async fetch(params: FetchParams): Promise<FetchResult<M>> {
    await this.requireIndex(params.signal);
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const ids = [...new Set(validateIds(params.ids))];
    const records = new Map<string, VectorRecord<M>>();
    const pageSize = this.capabilities.maxBatchRecords;
    for (let start = 0; start < ids.length; start += pageSize) {
      throwIfAborted(params.signal);
      const found = await this.doFetch(
        ids.slice(start, start + pageSize),
        namespace,
        params.includeVectors ?? true,
        params.signal,
      );
      for (const record of found) records.set(record.id, record);
    }
    return { records, namespace };
  }

  async update(params: UpdateParams<M>): Promise<UpdateResult> {
    const index = await this.requireIndex(params.signal);
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const id = validateId(params.id);
    const change: { vector?: Float32Array; metadata?: Partial<M>; metadataMode: 'merge' | 'replace' } = {
      metadataMode: params.metadataMode ?? 'merge',
    };
    if (change.metadataMode !== 'merge' && change.metadataMode !== 'replace') {
      throw new ValidationError([{ field: 'metadataMode', message: "must be 'merge' or 'replace'" }], 'Invalid update');
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
    return { updated: await this.doUpdate(id, change, namespace, params.signal) };
  }

  async delete(params: DeleteParams<M>): Promise<DeleteResult> {
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
    let target: DeleteTarget;
    if (params.ids !== undefined) {
      const ids = [...new Set(validateIds(params.ids))];
      let deleted = 0;
      let known = true;
      for (let start = 0; start < ids.length; start += this.capabilities.maxBatchRecords) {
        throwIfAborted(params.signal);
        const n = await this.doDelete(
          { ids: ids.slice(start, start + this.capabilities.maxBatchRecords) },
          namespace,
          params.signal,
        );
        if (n === undefined) known = false;
        else deleted += n;
      }
      return known ? { deletedCount: deleted } : {};
    }
    if (params.filter !== undefined) {
      const filter = this.parseSupportedFilter(params.filter);
      if (filter === undefined) {
        throw new ValidationError(
          [{ field: 'filter', message: 'an empty filter would delete everything; use {all: true} for that' }],
          'Invalid delete',
        );
      }
      target = { filter };
    } else {
      if (params.all !== true) throw new ValidationError([{ field: 'all', message: 'must be true' }], 'Invalid delete');
      target = { all: true };
    }
    const n = await this.doDelete(target, namespace, params.signal);
    return n === undefined ? {} : { deletedCount: n };
  }

  async *list(params: ListParams = {}): AsyncIterable<string> {
    await this.requireIndex(params.signal);
    const namespace = validateNamespace(params.namespace, this.capabilities.namespaces);
    const limit = params.pageSize ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ValidationError(
        [{ field: 'pageSize', message: 'must be an integer from 1 to 1000', limit: 1000 }],
        'Invalid list',
      );
    }
    let cursor: string | undefined;
    do {
      throwIfAborted(params.signal);
      this.assertOpen();
      const page = await this.doListPage(
        {
          namespace,
          limit,
          ...(params.prefix !== undefined && { prefix: params.prefix }),
          ...(cursor !== undefined && { cursor }),
        },
        params.signal,
      );
      yield* page.ids;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  async stats(params: { signal?: AbortSignal } = {}): Promise<IndexStats> {
    const index = await this.requireIndex(params.signal);
    const counts = await this.doStats(params.signal);
    return { dimension: index.dimension, metric: index.metric, ...counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.doClose();
  }

  /** Parses a filter and rejects operators this backend did not declare. */
  protected parseSupportedFilter(filter: unknown): FilterNode | undefined {
    const node = parseFilter(filter);
    const unsupported = [...collectOperators(node)].filter((op) => !this.capabilities.filterOperators.includes(op));
    if (unsupported.length > 0) throw new UnsupportedFilterError(this.type, unsupported);
    return node;
  }
}
