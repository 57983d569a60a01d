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
  consistency?: 'immediate' | 'eventual';
  listByPrefix?: boolean;
  deleteByFilter?: boolean;
}

export interface IndexDescription {
  name: string;
  dimension: number;
  metric: Metric;
}

export interface EnsureIndexParams {
  dimension: number;
  metric: Metric;
  signal?: AbortSignal;
}

export interface UpsertParams<M extends Metadata = Metadata> {
  records: readonly VectorRecordInput<M>[];
  namespace?: string;
  signal?: AbortSignal;
}

export interface UpsertResult {
  /** Records written (after removing duplicate ids within the batch: the last one wins). */
  upsertedCount: number;
  /** How many write requests the batch was split into by the backend's limits. */
  chunks: number;
}

export interface QueryParams<M extends Metadata = Metadata> {
  vector: Float32Array | readonly number[];
  topK: number;
  filter?: Filter<M>;
  namespace?: string;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  /** Brute-force exact search, where the backend supports it (`capabilities.exactSearch`). */
  exact?: boolean;
  signal?: AbortSignal;
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

export interface FetchParams {
  ids: readonly string[];
  namespace?: string;
  /** Defaults to true. When false, each record's `vector` is an empty Float32Array. */
  includeVectors?: boolean;
  signal?: AbortSignal;
}

export interface FetchResult<M extends Metadata = Metadata> {
  /** Found records by id; ids that do not exist are absent. */
  records: Map<string, VectorRecord<M>>;
  namespace: string;
}

export interface UpdateParams<M extends Metadata = Metadata> {
  id: string;
  vector?: Float32Array | readonly number[];
  /** Keys to set. With `metadataMode: 'merge'` (default) other keys stay; with `'replace'` they go. */
  metadata?: Partial<M>;
  metadataMode?: 'merge' | 'replace';
  namespace?: string;
  signal?: AbortSignal;
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
) & { namespace?: string; signal?: AbortSignal };

export interface DeleteResult {
  /** Records removed, when the backend can tell. */
  deletedCount?: number;
}

export interface ListParams {
  namespace?: string;
  /** Only ids that start with this prefix. */
  prefix?: string;
  /** Ids fetched per round trip. */
  pageSize?: number;
  signal?: AbortSignal;
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
  signal: AbortSignal | undefined;
}

export type DeleteTarget = { ids: readonly string[] } | { filter: FilterNode } | { all: true };
