import type {
  BackendCapabilities,
  CallParams,
  DeleteParams,
  DeleteResult,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
} from './types.js';

/**
 * The contract every vector store implements. One instance serves one index (a Pinecone index, a
 * Qdrant collection, a pgvector table) with its namespaces.
 *
 * - Every method takes one params object with an optional `signal: AbortSignal` and backend-specific
 *   `options` keyed by backend type (`BackendOptions` in ./types.ts); a backend reads only its own entry.
 * - Scores: higher is better (see {@link Metric} for each formula).
 * - Writes are validated as a whole before anything is written; a rejected batch writes nothing.
 *   A batch is chunked by the declared limits; if a chunk fails after others landed, the error is
 *   a `PartialWriteError` listing exactly which ids landed.
 * - A filter operator the backend cannot express is an `UnsupportedFilterError`, never dropped.
 *
 * Implementations usually extend `BaseVectorBackend` (./base-vector-backend.ts), which does the validation, chunking,
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
  describeIndex(params?: CallParams): Promise<IndexDescription | null>;
  /** Removes the index and all its records. */
  dropIndex(params?: CallParams): Promise<void>;
  upsert(params: UpsertParams<M>): Promise<UpsertResult>;
  query(params: QueryParams<M>): Promise<QueryResult<M>>;
  fetch(params: FetchParams): Promise<FetchResult<M>>;
  update(params: UpdateParams<M>): Promise<UpdateResult>;
  delete(params: DeleteParams<M>): Promise<DeleteResult>;
  /** Every id in a namespace (in pages of `pageSize` under the hood). */
  list(params?: ListParams): AsyncIterable<string>;
  stats(params?: CallParams): Promise<IndexStats>;
  /** Releases what this backend opened. Further calls throw ClosedError. Idempotent. */
  close(): Promise<void>;
}

export interface ListPage {
  ids: string[];
  /** Opaque position of the next page; absent on the last page. */
  nextCursor?: string;
}
