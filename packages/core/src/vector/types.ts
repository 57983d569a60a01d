import type { Filter, FilterNode, FilterOperator } from './filter-types.js';

/**
 * Metadata values every backend can store and filter: strings, finite numbers, booleans and lists
 * of strings (Pinecone's set; Qdrant and pgvector hold more, but a record must move between
 * backends unchanged). Keys match {@link METADATA_KEY_PATTERN}.
 */
export type MetadataValue = string | number | boolean | string[];
export type Metadata = Record<string, MetadataValue>;

/**
 * Similarity metric of an index. Scores follow one convention everywhere: **higher is better**.
 *
 * - `cosine`:    score = (a·b) / (‖a‖ ‖b‖), in [−1, 1]. Zero vectors are rejected.
 * - `dot`:       score = a·b.
 * - `euclidean`: score = −‖a − b‖₂ (the negated Euclidean distance; 0 for identical vectors).
 */
export type Metric = 'cosine' | 'euclidean' | 'dot';
export const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dot'];

/** A stored record. Vectors are always `Float32Array` inside q-store. */
export interface VectorRecord<M extends Metadata = Metadata> {
  id: string;
  vector: Float32Array;
  metadata?: M;
}

/** A record as callers may pass it: number arrays are accepted at the edges. */
export interface VectorRecordInput<M extends Metadata = Metadata> {
  id: string;
  vector: Float32Array | readonly number[];
  metadata?: M;
}

/**
 * Backend-specific options of one call, keyed by backend type (the model is vercel/ai's
 * `providerOptions`): `{pgvector: {efSearch: 400}, qdrant: {hnswEf: 128}}`. A backend reads only the
 * entry under its own `type` and validates it (an unknown key is a `VALIDATION` error naming
 * `options.<type>.<key>`); entries for other backends are ignored, so one call can carry options
 * for every backend it may reach. `cache` is read by the `withCache` decorator (`{cache: {bypass:
 * true}}` skips the cache for one call). `withCache` hashes the whole object into its key.
 */
export type BackendOptions = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Every vector call's optional common parameters. */
export interface CallParams {
  /** Backend-specific options of this call; see {@link BackendOptions}. */
  options?: BackendOptions;
  signal?: AbortSignal;
}

/** What a backend can do and the limits it enforces. Core validates and chunks by these. */
export interface BackendCapabilities {
  metrics: readonly Metric[];
  maxDimension: number;
  /** Most records one write request may carry (Pinecone: 1,000). Core chunks larger batches. */
  maxBatchRecords: number;
  /** Most bytes one write request may carry, estimated by `estimateRecordBytes` (Pinecone: 2 MB). */
  maxBatchBytes: number;
  /** Most bytes of JSON metadata per record (Pinecone: 40 KB). */
  maxMetadataBytes: number;
  /** Largest `topK` a query may ask for (Pinecone: 10,000). */
  maxTopK: number;
  /** Largest `topK` when vectors or metadata are returned, if lower (Pinecone: 1,000). */
  maxTopKWithPayload?: number;
  /** Most ids one fetch or delete request may carry; default `maxBatchRecords`. */
  maxIdsPerRequest?: number;
  /** Largest `list` page; default 1,000. */
  maxListPageSize?: number;
  /** Whether records live in separate namespaces. Without it, only the default namespace `''` exists. */
  namespaces: boolean;
  /** Filter operators the backend can express natively; any other is an UnsupportedFilterError. */
  filterOperators: readonly FilterOperator[];
  /** `memory`: lost on close; `file`: snapshot on disk; `durable`: a database or service. */
  persistence: 'memory' | 'file' | 'durable';
  /** Whether `query({exact: true})` gives brute-force exact results. */
  exactSearch: boolean;
  /**
   * `immediate`: a write is visible to every read once it resolves (read-your-writes).
   * `eventual`: it becomes visible after a delay (Pinecone serverless); the backend should offer a
   * way to wait for visibility, which the conformance kit uses through its `settle` hook.
   */
  consistency: 'immediate' | 'eventual';
  /** Whether `list({prefix})` is supported; without it a prefix is an `UNSUPPORTED_OPERATION` error. */
  listByPrefix: boolean;
  /** Whether `delete({filter})` is supported; without it a filter is an `UNSUPPORTED_OPERATION` error. */
  deleteByFilter: boolean;
}

export interface IndexDescription {
  name: string;
  dimension: number;
  metric: Metric;
}

export interface EnsureIndexParams extends CallParams {
  dimension: number;
  metric: Metric;
}

export interface UpsertParams<M extends Metadata = Metadata> extends CallParams {
  records: readonly VectorRecordInput<M>[];
  namespace?: string;
}

export interface UpsertResult {
  /** Records written (after removing duplicate ids within the batch: the last one wins). */
  upsertedCount: number;
  /** How many write requests the batch was split into by the backend's limits. */
  chunks: number;
}

export interface QueryParams<M extends Metadata = Metadata> extends CallParams {
  vector: Float32Array | readonly number[];
  topK: number;
  filter?: Filter<M>;
  namespace?: string;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  /** Brute-force exact search, where the backend supports it (`capabilities.exactSearch`). */
  exact?: boolean;
}

export interface QueryMatch<M extends Metadata = Metadata> {
  id: string;
  /** Higher is better; see {@link Metric}. */
  score: number;
  vector?: Float32Array;
  metadata?: M;
}

export interface QueryResult<M extends Metadata = Metadata> {
  matches: QueryMatch<M>[];
  namespace: string;
}

export interface FetchParams extends CallParams {
  ids: readonly string[];
  namespace?: string;
  /** Defaults to true. When false, each record's `vector` is an empty Float32Array. */
  includeVectors?: boolean;
}

export interface FetchResult<M extends Metadata = Metadata> {
  /** Found records by id; ids that do not exist are absent. */
  records: Map<string, VectorRecord<M>>;
  namespace: string;
}

export interface UpdateParams<M extends Metadata = Metadata> extends CallParams {
  id: string;
  vector?: Float32Array | readonly number[];
  /** Keys to set. With `metadataMode: 'merge'` (default) other keys stay; with `'replace'` they go. */
  metadata?: Partial<M>;
  metadataMode?: 'merge' | 'replace';
  namespace?: string;
}

export interface UpdateResult {
  /** False when no record has this id (nothing is created). */
  updated: boolean;
}

/** Delete by ids, by filter, or everything in the namespace. */
export type DeleteParams<M extends Metadata = Metadata> = (
  | { ids: readonly string[]; filter?: never; all?: never }
  | { filter: Filter<M>; ids?: never; all?: never }
  | { all: true; ids?: never; filter?: never }
) & { namespace?: string } & CallParams;

export interface DeleteResult {
  /** Records removed, when the backend can tell. */
  deletedCount?: number;
}

export interface ListParams extends CallParams {
  namespace?: string;
  /** Only ids that start with this prefix (where `capabilities.listByPrefix`). */
  prefix?: string;
  /** Ids fetched per round trip. */
  pageSize?: number;
}

export interface IndexStats {
  dimension: number;
  metric: Metric;
  totalRecordCount: number;
  namespaces: Record<string, { recordCount: number }>;
}

/** Normalised inputs that reach a backend's storage hooks after core validated them. */
export interface NormalizedQuery {
  vector: Float32Array;
  topK: number;
  filter: FilterNode | undefined;
  namespace: string;
  includeVectors: boolean;
  includeMetadata: boolean;
  exact: boolean;
  /** This backend's own entry of the call's {@link BackendOptions}, after `parseOptions`. */
  options: Readonly<Record<string, unknown>>;
  signal: AbortSignal | undefined;
}

/** What every storage hook receives besides its own inputs. */
export interface HookParams<O = Readonly<Record<string, unknown>>> {
  /** This backend's own entry of the call's {@link BackendOptions}, after `parseOptions`. */
  options: O;
  signal: AbortSignal | undefined;
}

/** A validated change for `doUpdate`. */
export interface RecordChange<M extends Metadata = Metadata> {
  vector?: Float32Array;
  metadata?: Partial<M>;
  metadataMode: 'merge' | 'replace';
}

export type DeleteTarget = { ids: readonly string[] } | { filter: FilterNode } | { all: true };
