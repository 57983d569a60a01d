import { inspect } from 'node:util';
import { type Index, Pinecone, type PineconeRecord, type RecordMetadata } from '@pinecone-database/pinecone';
import {
  type BackendCapabilities,
  DEFAULT_MAX_METADATA_BYTES,
  FILTER_OPERATORS,
  type Filter,
  type FilterNode,
  type IndexDescription,
  type IndexStats,
  type Metadata,
  type Metric,
  NotFoundError,
  type QueryMatch,
  TimeoutError,
  UnsupportedOperationError,
  ValidationError,
  type VectorRecord,
} from '@q-store/core';
import {
  BaseVectorBackend,
  checkMergedMetadata,
  type DeleteTarget,
  type HookParams,
  IssueCollector,
  isPlainObject,
  type ListPage,
  type NormalizedQuery,
  type RecordChange,
} from '@q-store/core/backend';
import { type CompileFilterOptions, compileFilter } from './filter-compiler.js';
import { failingFetch, type RetryPolicy, scrub, sleep, withRetry } from './pinecone-errors.js';
import { canonical, fingerprint, WriteTracker, type WrittenState } from './write-tracker.js';

/** Pinecone's documented limits (https://docs.pinecone.io/reference/api/database-limits). */
export const PINECONE_LIMITS = {
  /** Dense vectors: at most 20,000 dimensions. */
  maxDimension: 20_000,
  /** Records per upsert request. */
  maxUpsertRecords: 1_000,
  /** Bytes per upsert request (2 MB). */
  maxUpsertBytes: 2 * 1024 * 1024,
  /** Bytes of metadata per record (40 KB). */
  maxMetadataBytes: DEFAULT_MAX_METADATA_BYTES,
  /** topK of a query. */
  maxTopK: 10_000,
  /** topK of a query that returns values or metadata. */
  maxTopKWithPayload: 1_000,
  /** Ids per fetch or delete request. */
  maxIdsPerRequest: 1_000,
  /** Ids per Pinecone `list` request. */
  maxListRequestIds: 100,
  /** Ids per q-store `list` page (several Pinecone requests of 100). */
  maxListPageSize: 1_000,
} as const;

/** How describe_index_stats of a serverless index names the default namespace. */
const DEFAULT_NAMESPACE_NAME = '__default__';

/** core metric → Pinecone metric. */
const TO_PINECONE: Record<Metric, 'cosine' | 'euclidean' | 'dotproduct'> = {
  cosine: 'cosine',
  euclidean: 'euclidean',
  dot: 'dotproduct',
};
const FROM_PINECONE: Record<string, Metric> = { cosine: 'cosine', euclidean: 'euclidean', dotproduct: 'dot' };

/**
 * Pinecone's score → core's score (higher is better). cosine and dotproduct are the same number.
 * For `euclidean` Pinecone returns the *squared* distance ‖a − b‖² (lower is better); core's score is
 * −‖a − b‖, so it is `−√s` (and 0, never −0, for identical vectors).
 */
export function scoreFromPinecone(metric: Metric, score: number): number {
  if (metric !== 'euclidean') return score;
  return 0 - Math.sqrt(Math.max(0, score));
}

/** A serverless index: the cloud and region it lives in. */
export interface ServerlessSpec {
  cloud: 'aws' | 'gcp' | 'azure' | (string & {});
  region: string;
}

/** A pod-based index, as in the seed's production example. */
export interface PodSpec {
  /** The pod environment, e.g. `us-east1-gcp`. */
  environment: string;
  /** `s1`, `p1` or `p2` with `.x1`, `.x2`, `.x4` or `.x8`; default `p1.x1`. */
  podType?: string;
  pods?: number;
  replicas?: number;
  shards?: number;
  /** Only these metadata fields are indexed for filtering (`metadata_config.indexed`). */
  metadataConfig?: { indexed: string[] };
}

/** Where `ensureIndex` creates a missing index. An existing index is adopted whatever its spec. */
export type PineconeIndexSpec = { serverless: ServerlessSpec } | { pod: PodSpec };

export interface PineconeBackendOptions {
  /** The Pinecone API key. Kept in a private field: never in an error, a log line, `inspect` or JSON. */
  apiKey: string;
  indexName: string;
  /**
   * Where a missing index is created. Default `{serverless: {cloud: 'aws', region: 'us-east-1'}}`,
   * or a pod index in `environment` when that is given (the seed's `environment`).
   */
  spec?: PineconeIndexSpec;
  /** The seed's `environment`: a pod environment, used when `spec` is absent. */
  environment?: string;
  /** The control-plane URL (default Pinecone's `https://api.pinecone.io`); the emulator's URL in tests. */
  controllerHostUrl?: string;
  /** Retry policy of every request (429 and 5xx; default 4 retries from 200 ms, at most 20 s apart). */
  retry?: RetryPolicy;
  /** How long `ensureIndex` waits for a created index to become ready (default 300 s). */
  readyTimeoutMs?: number;
  /** Fields that always hold numbers, so a negated range on them can compile (see `compileFilter`). */
  numericFields?: readonly string[];
  /** `deletionProtection` of a created index (default disabled). */
  deletionProtection?: boolean;
  /** Receives one line per retry and per index state change; never holds the API key. */
  log?: (line: string) => void;
  /** The fetch the client uses (default `globalThis.fetch`); errors are still mapped by q-store. */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

/** Per-call options under `options.pinecone`. */
export type PineconeCallOptions = {
  /** Overrides the backend's `numericFields` for this call's filter. */
  numericFields?: readonly string[];
  /** Dedicated read nodes: candidates scanned relative to topK (Pinecone's `scanFactor`, 0.5–4). */
  scanFactor?: number;
  /** Dedicated read nodes: most candidates considered (Pinecone's `maxCandidates`, 1–100,000). */
  maxCandidates?: number;
};

const QUERY_OPTION_KEYS: readonly string[] = ['numericFields', 'scanFactor', 'maxCandidates'];
const DELETE_OPTION_KEYS: readonly string[] = ['numericFields'];

export interface WaitForVisibilityParams {
  namespace?: string;
  /**
   * Ids that were written: waits until fetch returns each one — as this backend last wrote it, when
   * it did (it remembers a fingerprint of its last {@link WRITE_TRACKING_LIMIT} writes), so an
   * overwrite or an update is awaited too, not only the id's presence.
   */
  ids?: readonly string[];
  /** Ids that were deleted: waits until none is returned by fetch. */
  deletedIds?: readonly string[];
  /** What written records must look like (metadata compared as JSON, vectors as float32). */
  records?: ReadonlyArray<{ id: string; metadata?: Metadata; vector?: Float32Array | readonly number[] }>;
  /** A delete by filter: waits until a query with this filter matches nothing. */
  filter?: Filter<Metadata>;
  /** A delete of the whole namespace: waits until describe_index_stats counts no record in it. */
  all?: true;
  /** When given, also waits until describe_index_stats counts this many records in the namespace. */
  recordCount?: number;
  /** Longest wait in milliseconds from the call (default 30,000); then a TimeoutError. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface VisibilityResult {
  /** Fetch or stats rounds made (1 when everything was visible at once). */
  polls: number;
  waitedMs: number;
}

/** The parts of Pinecone's index model q-store reads. */
interface IndexModelView {
  name: string;
  dimension?: number;
  metric: string;
  host: string;
  vectorType?: string;
  spec?: { pod?: unknown; serverless?: unknown };
  status: { ready: boolean; state: string };
}

function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError;
}

function toValues(vector: Float32Array): number[] {
  return Array.from(vector);
}

/**
 * At least the characters `JSON.stringify` prints for a finite number: a shortest round-trip
 * representation has at most 17 significant digits, so a value below 1 in magnitude prints as
 * `[-]0.` + its leading zeros + ≤ 17 digits; from 1 to 1e17, ≤ 17 digits and a dot; larger or
 * below 1e-6, at most 24 characters in exponent form (`-1.2345678901234567e-308`).
 */
export function floatJsonBound(v: number): number {
  if (v === 0) return 1;
  const sign = v < 0 ? 1 : 0;
  const a = Math.abs(v);
  if (a < 1e-6 || a >= 1e21) return sign + 24;
  if (a >= 1) return sign + (a < 1e17 ? 18 : 21);
  let zeros = 0;
  let t = a;
  while (t < 0.1) {
    t *= 10;
    zeros++;
  }
  // A product rounded up onto the boundary would count one zero too few: count it when this close.
  if (t < 0.1000000001) zeros++;
  return sign + 2 + zeros + 17;
}

/** Room left in an upsert body for everything but its records (`{"vectors":[`, `],"namespace":…}`). */
const UPSERT_ENVELOPE_BYTES = 4096;

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * VectorBackend on Pinecone through the official client `@pinecone-database/pinecone` (8.2, API
 * 2026-04), serverless or pod-based. One backend is one index; q-store namespaces are Pinecone
 * namespaces (`''` is Pinecone's default namespace).
 *
 * - **Limits** (declared, so core chunks by them): 1,000 records and 2 MB per upsert, 1,000 ids per
 *   fetch and delete, 40 KB metadata per record, topK 10,000 (1,000 with values or metadata), 100
 *   ids per list page, 20,000 dimensions.
 * - **Metrics**: core `cosine`, `dot`, `euclidean` are Pinecone `cosine`, `dotproduct`, `euclidean`.
 *   Scores: see {@link scoreFromPinecone} (euclidean: Pinecone's squared distance s becomes −√s).
 * - **Update** is merge-only in Pinecone and says nothing when the id is missing, so every update is
 *   fetch-then-write: one fetch (is the id there? what is the merged metadata's size?) and then an
 *   `update` (merge) or an `upsert` of the whole record (replace, or a vector change with replace).
 *   Two requests instead of one; a concurrent writer between them can be overwritten in replace mode.
 * - **Consistency** is eventual: a write acknowledged by Pinecone may be invisible to fetch, query,
 *   list and stats for a moment. {@link waitForVisibility} polls until given writes are visible.
 * - **Errors** go through core's `errorFromHttpStatus`; 429 and 5xx are retried with equal-jitter
 *   backoff honouring `Retry-After`; `403 QUOTA_EXCEEDED` is a CapacityError, never retried.
 */
export class PineconeBackend<M extends Metadata = Metadata> extends BaseVectorBackend<M, PineconeCallOptions> {
  readonly type = 'pinecone';
  #capabilities: BackendCapabilities;
  readonly #apiKey: string;
  readonly #client: Pinecone;
  readonly #spec: PineconeIndexSpec;
  readonly #retry: RetryPolicy;
  readonly #readyTimeoutMs: number;
  readonly #numericFields: readonly string[] | undefined;
  readonly #deletionProtection: boolean;
  readonly #log: ((line: string) => void) | undefined;
  readonly #controllerHostUrl: string | undefined;
  #data: { host: string; index: Index<RecordMetadata>; metric: Metric } | undefined;
  /** What this backend's recent writes left each record as, for `waitForVisibility`. */
  readonly #tracker = new WriteTracker();
  /** Requests sent to Pinecone by this backend, by operation (for benchmarks and tests). */
  readonly requestCounts: Record<string, number> = {};

  constructor(options: PineconeBackendOptions) {
    const issues = new IssueCollector();
    if (!isPlainObject(options)) {
      throw new ValidationError([{ field: 'options', message: 'must be an object' }], 'Invalid Pinecone options');
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      issues.add('apiKey', 'must be a non-empty string (the Pinecone API key)');
    }
    const spec = PineconeBackend.resolveSpec(options, issues);
    if (
      options.readyTimeoutMs !== undefined &&
      !(typeof options.readyTimeoutMs === 'number' && options.readyTimeoutMs > 0)
    ) {
      issues.add('readyTimeoutMs', 'must be a positive number of milliseconds');
    }
    if (options.controllerHostUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(String(options.controllerHostUrl))) {
      issues.add('controllerHostUrl', 'must be an http(s) URL');
    }
    issues.throwIfAny('Invalid Pinecone options');
    super(options.indexName);
    this.#apiKey = options.apiKey;
    this.#spec = spec;
    this.#retry = options.retry ?? {};
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 300_000;
    this.#numericFields = options.numericFields;
    this.#deletionProtection = options.deletionProtection ?? false;
    this.#log = options.log;
    this.#controllerHostUrl = options.controllerHostUrl;
    const base = options.fetch ?? ((url: string, init?: RequestInit) => globalThis.fetch(url, init));
    this.#client = new Pinecone({
      apiKey: options.apiKey,
      ...(options.controllerHostUrl !== undefined && { controllerHostUrl: options.controllerHostUrl }),
      fetchApi: failingFetch(base) as never,
      maxRetries: 0,
      sourceTag: 'q_store',
    });
    this.#capabilities = {
      metrics: ['cosine', 'euclidean', 'dot'],
      maxDimension: PINECONE_LIMITS.maxDimension,
      maxBatchRecords: PINECONE_LIMITS.maxUpsertRecords,
      // Records are sized exactly (see recordBytes); the rest of the body — `{"vectors":[…],
      // "namespace":"…"}` with a namespace of up to 512 characters, JSON-escaped — fits in 4 KB.
      maxBatchBytes: PINECONE_LIMITS.maxUpsertBytes - UPSERT_ENVELOPE_BYTES,
      maxMetadataBytes: PINECONE_LIMITS.maxMetadataBytes,
      maxTopK: PINECONE_LIMITS.maxTopK,
      maxTopKWithPayload: PINECONE_LIMITS.maxTopKWithPayload,
      maxIdsPerRequest: PINECONE_LIMITS.maxIdsPerRequest,
      maxListPageSize: PINECONE_LIMITS.maxListPageSize,
      namespaces: true,
      filterOperators: FILTER_OPERATORS,
      persistence: 'durable',
      exactSearch: false,
      consistency: 'eventual',
      // Pinecone's list is for serverless indexes only.
      listByPrefix: !('pod' in spec),
      deleteByFilter: true,
    };
  }

  private static resolveSpec(options: PineconeBackendOptions, issues: IssueCollector): PineconeIndexSpec {
    const spec = options.spec;
    if (spec === undefined) {
      if (options.environment !== undefined) {
        if (typeof options.environment !== 'string' || options.environment === '') {
          issues.add('environment', 'must be a non-empty string (a Pinecone pod environment)');
        }
        return { pod: { environment: String(options.environment), podType: 'p1.x1', pods: 1 } };
      }
      return { serverless: { cloud: 'aws', region: 'us-east-1' } };
    }
    if (!isPlainObject(spec) || 'serverless' in spec === 'pod' in spec) {
      issues.add('spec', 'must be {serverless: {cloud, region}} or {pod: {environment, podType, ...}}');
      return spec;
    }
    if ('serverless' in spec) {
      const s = spec.serverless as Partial<ServerlessSpec>;
      if (typeof s?.cloud !== 'string' || s.cloud === '') issues.add('spec.serverless.cloud', 'must be a cloud name');
      if (typeof s?.region !== 'string' || s.region === '') issues.add('spec.serverless.region', 'must be a region');
      return spec;
    }
    const p = spec.pod as Partial<PodSpec>;
    if (typeof p?.environment !== 'string' || p.environment === '') {
      issues.add('spec.pod.environment', 'must be a pod environment, e.g. us-east1-gcp');
    }
    if (p?.podType !== undefined && !/^(s1|p1|p2)\.x(1|2|4|8)$/.test(String(p.podType))) {
      issues.add('spec.pod.podType', 'must be s1, p1 or p2 with .x1, .x2, .x4 or .x8');
    }
    for (const key of ['pods', 'replicas', 'shards'] as const) {
      const v = p?.[key];
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) {
        issues.add(`spec.pod.${key}`, 'must be a positive integer');
      }
    }
    const indexed = p?.metadataConfig?.indexed;
    if (
      p?.metadataConfig !== undefined &&
      !(Array.isArray(indexed) && indexed.every((f) => typeof f === 'string' && f !== ''))
    ) {
      issues.add('spec.pod.metadataConfig.indexed', 'must be a list of metadata field names');
    }
    return spec;
  }

  /**
   * What this backend can do. `listByPrefix` follows the index: false for a pod-based one (Pinecone's
   * `list` is serverless only) — from the configured spec until an index is adopted, then from it.
   */
  get capabilities(): BackendCapabilities {
    return this.#capabilities;
  }

  /** The index's data-plane host, once known (no secret). */
  get host(): string | undefined {
    return this.#data?.host;
  }

  /** What `util.inspect` shows: never the API key or the client holding it. */
  [inspect.custom](): string {
    return `PineconeBackend { indexName: '${this.indexName}', host: ${this.#data ? `'${this.#data.host}'` : 'undefined'} }`;
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, indexName: this.indexName, ...(this.#data && { host: this.#data.host }) };
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  /** One request through the official client, counted, retried and mapped to core's errors. */
  private send<T>(what: string, operation: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.requestCounts[operation] = (this.requestCounts[operation] ?? 0) + 1;
    return withRetry(what, attempt, {
      ...(signal && { signal }),
      policy: this.#retry,
      apiKey: this.#apiKey,
      onRetry: (info) => {
        this.requestCounts[operation] = (this.requestCounts[operation] ?? 0) + 1;
        this.#log?.(
          scrub(
            `pinecone: ${what}: retry ${info.attempt + 1} in ${Math.round(info.delayMs)} ms (${info.error.message})`,
            this.#apiKey,
          ),
        );
      },
    });
  }

  private what(action: string, namespace?: string): string {
    const ns = namespace === undefined ? '' : ` namespace '${namespace}'`;
    return `${action} index '${this.indexName}'${ns}`;
  }

  /** Describes the index through the control plane; null when it does not exist. */
  private async describeModel(signal?: AbortSignal): Promise<IndexModelView | null> {
    try {
      const model = await this.send(
        this.what('describe'),
        'describeIndex',
        () => this.#client.describeIndex(this.indexName),
        signal,
      );
      return model as unknown as IndexModelView;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Waits until the index is ready (or gone, while it terminates). Returns the ready model, or null
   * when it does not exist. A TimeoutError after `readyTimeoutMs`.
   */
  private async awaitReady(signal?: AbortSignal): Promise<IndexModelView | null> {
    const started = Date.now();
    let delay = 50;
    let lastState = '';
    for (;;) {
      const model = await this.describeModel(signal);
      if (model === null) return null;
      if (model.status?.ready === true && model.status.state !== 'Terminating') return model;
      if (model.status?.state !== lastState) {
        lastState = model.status?.state ?? '';
        this.#log?.(`pinecone: index '${this.indexName}' is ${lastState || 'not ready'}; waiting`);
      }
      if (Date.now() - started > this.#readyTimeoutMs) {
        throw new TimeoutError(`waiting for index '${this.indexName}' to become ready`, this.#readyTimeoutMs);
      }
      await sleep(delay, signal);
      delay = Math.min(2_000, delay * 2);
    }
  }

  private describeFrom(model: IndexModelView): IndexDescription {
    if (model.vectorType !== undefined && model.vectorType !== 'dense') {
      throw new ValidationError(
        [
          {
            field: 'indexName',
            message: `index '${this.indexName}' holds ${model.vectorType} vectors; q-store needs dense`,
          },
        ],
        'Unsupported index',
      );
    }
    const metric = FROM_PINECONE[model.metric];
    if (metric === undefined || model.dimension === undefined) {
      throw new ValidationError(
        [
          {
            field: 'indexName',
            message: `index '${this.indexName}' has metric '${model.metric}' and no usable dimension`,
          },
        ],
        'Unsupported index',
      );
    }
    this.bindHost(model.host, metric);
    const serverless = model.spec?.pod === undefined;
    if (this.#capabilities.listByPrefix !== serverless) {
      this.#capabilities = { ...this.#capabilities, listByPrefix: serverless };
    }
    return { name: this.indexName, dimension: model.dimension, metric };
  }

  /** The data-plane client of the index at `host` (the emulator answers plain http). */
  private bindHost(host: string, metric: Metric): void {
    if (this.#data?.host === host) {
      this.#data.metric = metric;
      return;
    }
    const plain = this.#controllerHostUrl?.startsWith('http://') && !/^https?:\/\//.test(host);
    const url = plain ? `http://${host}` : host;
    this.#data = { host, metric, index: this.#client.index({ name: this.indexName, host: url }) };
  }

  private data(): { index: Index<RecordMetadata>; metric: Metric } {
    if (!this.#data) throw new NotFoundError(`index '${this.indexName}' (its host is not known yet)`);
    return this.#data;
  }

  /**
   * `options.pinecone` of a call: `numericFields` for query and delete (their filters),
   * `scanFactor` and `maxCandidates` for query; any other key is a ValidationError naming it.
   */
  protected override parseOptions(
    raw: Readonly<Record<string, unknown>> | undefined,
    operation: string,
  ): PineconeCallOptions {
    if (raw === undefined) return {};
    const issues = new IssueCollector();
    const allowed = operation === 'query' ? QUERY_OPTION_KEYS : operation === 'delete' ? DELETE_OPTION_KEYS : [];
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) {
        issues.add(
          `options.pinecone.${key}`,
          allowed.length > 0
            ? `is not a Pinecone ${operation} option (known: ${allowed.join(', ')})`
            : `Pinecone's ${operation} takes no options`,
        );
      }
    }
    const fields = raw.numericFields;
    if (fields !== undefined && !(Array.isArray(fields) && fields.every((f) => typeof f === 'string'))) {
      issues.add('options.pinecone.numericFields', 'must be a list of metadata field names');
    }
    const scan = raw.scanFactor;
    if (scan !== undefined && !(typeof scan === 'number' && scan >= 0.5 && scan <= 4)) {
      issues.add('options.pinecone.scanFactor', 'must be a number from 0.5 to 4', 4);
    }
    const max = raw.maxCandidates;
    if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 1 && (max as number) <= 100_000)) {
      issues.add('options.pinecone.maxCandidates', 'must be an integer from 1 to 100000', 100_000);
    }
    issues.throwIfAny('Invalid Pinecone options');
    return { ...raw } as PineconeCallOptions;
  }

  private filterJson(node: NormalizedQuery['filter'], options: PineconeCallOptions): object | undefined {
    if (node === undefined) return undefined;
    const fields = options.numericFields ?? this.#numericFields;
    const compileOptions: CompileFilterOptions = fields === undefined ? {} : { numericFields: fields };
    return compileFilter(node, compileOptions);
  }

  /** Runs a write of `ids`, telling the tracker what each left (its fingerprint, or null: absent). */
  private async tracked<T>(
    namespace: string,
    ids: readonly string[],
    write: () => Promise<T>,
    states: (result: T) => (id: string) => WrittenState | undefined,
  ): Promise<T> {
    this.#tracker.begin(namespace, ids);
    let result: T;
    try {
      result = await write();
    } catch (error) {
      for (const id of ids) this.#tracker.end(namespace, id, undefined);
      throw error;
    }
    const stateOf = states(result);
    for (const id of ids) this.#tracker.end(namespace, id, stateOf(id));
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Storage hooks

  protected async doDescribeIndex(params: HookParams<PineconeCallOptions>): Promise<IndexDescription | null> {
    const model = await this.awaitReady(params.signal);
    if (model === null) {
      this.#data = undefined;
      return null;
    }
    return this.describeFrom(model);
  }

  protected async doCreateIndex(
    params: HookParams<PineconeCallOptions> & { dimension: number; metric: Metric },
  ): Promise<void> {
    const spec =
      'serverless' in this.#spec
        ? { serverless: { cloud: this.#spec.serverless.cloud, region: this.#spec.serverless.region } }
        : {
            pod: {
              environment: this.#spec.pod.environment,
              podType: this.#spec.pod.podType ?? 'p1.x1',
              ...(this.#spec.pod.pods !== undefined && { pods: this.#spec.pod.pods }),
              ...(this.#spec.pod.replicas !== undefined && { replicas: this.#spec.pod.replicas }),
              ...(this.#spec.pod.shards !== undefined && { shards: this.#spec.pod.shards }),
              ...(this.#spec.pod.metadataConfig !== undefined && {
                metadataConfig: { indexed: [...this.#spec.pod.metadataConfig.indexed] },
              }),
            },
          };
    try {
      await this.send(
        this.what('create'),
        'createIndex',
        () =>
          this.#client.createIndex({
            name: this.indexName,
            dimension: params.dimension,
            metric: TO_PINECONE[params.metric],
            vectorType: 'dense',
            spec: spec as never,
            deletionProtection: this.#deletionProtection ? 'enabled' : 'disabled',
            waitUntilReady: false,
          }),
        params.signal,
      );
      this.#log?.(`pinecone: created index '${this.indexName}' (${params.dimension}-d ${params.metric})`);
    } catch (error) {
      // Another process created it first: the base describes it and checks dimension and metric.
      if ((error as { code?: string }).code !== 'CONFLICT') throw error;
    }
    await this.awaitReady(params.signal);
  }

  protected async doDropIndex(params: HookParams<PineconeCallOptions>): Promise<void> {
    try {
      await this.send(
        this.what('delete'),
        'deleteIndex',
        () => this.#client.deleteIndex(this.indexName),
        params.signal,
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    this.#data = undefined;
    // Deletion is asynchronous in Pinecone: wait until the name is free, so a new ensureIndex works.
    const started = Date.now();
    let delay = 50;
    while ((await this.describeModel(params.signal)) !== null) {
      if (Date.now() - started > this.#readyTimeoutMs) {
        throw new TimeoutError(`waiting for index '${this.indexName}' to be deleted`, this.#readyTimeoutMs);
      }
      await sleep(delay, params.signal);
      delay = Math.min(2_000, delay * 2);
    }
  }

  /**
   * The bytes a record adds to an upsert body, from above and tight: its JSON framing as the client
   * sends it (`{"id":…,"values":[],"metadata":{…}}`, measured exactly), the commas, and for each
   * float a bound on the characters JavaScript prints for it ({@link floatJsonBound}, within about a
   * character of the truth, without printing it). Core then packs chunks close to the 2 MB limit
   * instead of by its 25-bytes-per-float bound, at a few ns per float.
   */
  protected override recordBytes(record: VectorRecord<M>): number {
    const frame =
      record.metadata === undefined
        ? JSON.stringify({ id: record.id, values: [] })
        : JSON.stringify({ id: record.id, values: [], metadata: record.metadata });
    const vector = record.vector;
    let floats = Math.max(0, vector.length - 1); // the commas between values
    for (let i = 0; i < vector.length; i++) floats += floatJsonBound(vector[i] as number);
    return Buffer.byteLength(frame, 'utf8') + floats + 1;
  }

  protected async doUpsert(
    params: HookParams<PineconeCallOptions> & { records: VectorRecord<M>[]; namespace: string },
  ): Promise<void> {
    const { index } = this.data();
    const records: PineconeRecord<RecordMetadata>[] = params.records.map((r) =>
      r.metadata === undefined
        ? { id: r.id, values: toValues(r.vector) }
        : { id: r.id, values: toValues(r.vector), metadata: r.metadata as RecordMetadata },
    );
    const prints = new Map(params.records.map((r) => [r.id, fingerprint(r.vector, r.metadata)]));
    await this.tracked(
      params.namespace,
      [...prints.keys()],
      () =>
        this.send(
          this.what('upsert into', params.namespace),
          'upsert',
          () => index.upsert({ records, namespace: params.namespace }),
          params.signal,
        ),
      () => (id) => prints.get(id),
    );
  }

  protected async doQuery(query: NormalizedQuery & { options: PineconeCallOptions }): Promise<QueryMatch<M>[]> {
    const { index, metric } = this.data();
    const options = query.options;
    const filter = this.filterJson(query.filter, options);
    const response = await this.send(
      this.what('query', query.namespace),
      'query',
      () =>
        index.query({
          vector: toValues(query.vector),
          topK: query.topK,
          namespace: query.namespace,
          includeValues: query.includeVectors,
          includeMetadata: query.includeMetadata,
          ...(filter !== undefined && { filter }),
          ...(options.scanFactor !== undefined && { scanFactor: options.scanFactor }),
          ...(options.maxCandidates !== undefined && { maxCandidates: options.maxCandidates }),
        }),
      query.signal,
    );
    return response.matches.map((m) => {
      const match: QueryMatch<M> = { id: m.id, score: scoreFromPinecone(metric, m.score ?? 0) };
      if (query.includeVectors) match.vector = Float32Array.from(m.values ?? []);
      if (query.includeMetadata && m.metadata !== undefined) match.metadata = m.metadata as M;
      return match;
    });
  }

  /** Fetches up to 1,000 ids (Pinecone's limit) as PineconeRecords by id. */
  private async fetchRaw(
    ids: readonly string[],
    namespace: string,
    signal?: AbortSignal,
  ): Promise<Record<string, PineconeRecord<RecordMetadata>>> {
    const { index } = this.data();
    const response = await this.send(
      this.what('fetch from', namespace),
      'fetch',
      () => index.fetch({ ids: [...ids], namespace }),
      signal,
    );
    return response.records ?? {};
  }

  protected async doFetch(
    params: HookParams<PineconeCallOptions> & { ids: readonly string[]; namespace: string; includeVectors: boolean },
  ): Promise<VectorRecord<M>[]> {
    const found = await this.fetchRaw(params.ids, params.namespace, params.signal);
    const out: VectorRecord<M>[] = [];
    for (const id of params.ids) {
      const r = found[id];
      if (!r) continue;
      const record: VectorRecord<M> = {
        id,
        vector: params.includeVectors ? Float32Array.from(r.values ?? []) : new Float32Array(0),
      };
      if (r.metadata !== undefined) record.metadata = r.metadata as M;
      out.push(record);
    }
    return out;
  }

  /**
   * Fetch-then-write (Pinecone's update merges metadata and is silent about a missing id):
   * 1. fetch the record: absent → `false`, nothing written (if this backend wrote the id and the
   *    write is not visible yet, it first waits for it, up to 10 s: read your own writes);
   * 2. check the merged (or replacing) metadata against 40 KB;
   * 3. merge: one `update` with the new values and/or keys; replace: one `upsert` of the whole record
   *    (the old vector kept unless a new one is given), which drops the keys not given.
   */
  protected async doUpdate(
    params: HookParams<PineconeCallOptions> & { id: string; change: RecordChange<M>; namespace: string },
  ): Promise<boolean> {
    const { id, change, namespace, signal } = params;
    let existing = (await this.fetchRaw([id], namespace, signal))[id];
    const known = this.#tracker.states(namespace, id);
    if (!existing && known?.some((state) => state !== null)) {
      await this.pollVisibility({ namespace, ids: [id], deadlineMs: 10_000, ...(signal && { signal }) }, 0, undefined);
      existing = (await this.fetchRaw([id], namespace, signal))[id];
    }
    if (!existing) {
      // Nothing was written; a wait for this id now expects it absent, as it is.
      if (known === undefined)
        await this.tracked(
          namespace,
          [id],
          async () => undefined,
          () => () => null,
        );
      return false;
    }
    const { index } = this.data();
    const replace = change.metadataMode === 'replace' && change.metadata !== undefined;
    const values = change.vector ?? Float32Array.from(existing.values ?? []);
    if (replace) checkMergedMetadata(change.metadata as Metadata, this.capabilities.maxMetadataBytes);
    const metadata = replace
      ? (change.metadata as Metadata)
      : { ...(existing.metadata as Metadata | undefined), ...(change.metadata as Metadata | undefined) };
    if (!replace && change.metadata !== undefined) checkMergedMetadata(metadata, this.capabilities.maxMetadataBytes);
    const write = replace
      ? () =>
          this.send(
            this.what('update (replace) in', namespace),
            'upsert',
            () =>
              index.upsert({
                records: [{ id, values: toValues(values), metadata: metadata as RecordMetadata }],
                namespace,
              }),
            signal,
          )
      : () =>
          this.send(
            this.what('update in', namespace),
            'update',
            () =>
              index.update({
                id,
                namespace,
                ...(change.vector && { values: toValues(change.vector) }),
                ...(change.metadata && { metadata: change.metadata as RecordMetadata }),
              }),
            signal,
          );
    const print = fingerprint(values, metadata);
    await this.tracked(namespace, [id], write, () => () => print);
    return true;
  }

  protected async doDelete(
    params: HookParams<PineconeCallOptions> & { target: DeleteTarget; namespace: string },
  ): Promise<number | undefined> {
    const { index } = this.data();
    const { target, namespace, signal } = params;
    const what = 'ids' in target ? 'delete from' : 'filter' in target ? 'delete by filter from' : 'delete all from';
    const body =
      'ids' in target
        ? { ids: [...target.ids] }
        : 'filter' in target
          ? { filter: this.filterJson(target.filter, params.options) as object }
          : undefined;
    const run = async () => {
      try {
        await this.send(
          this.what(what, namespace),
          'delete',
          () => (body === undefined ? index.deleteAll({ namespace }) : index.deleteMany({ ...body, namespace })),
          signal,
        );
      } catch (error) {
        // Pinecone answers 404 for a namespace that does not exist: there is nothing to delete.
        if (!isNotFound(error)) throw error;
      }
    };
    if ('ids' in target) await this.tracked(namespace, target.ids, run, () => () => null);
    else {
      await run();
      this.#tracker.forget(namespace);
    }
    // Pinecone does not say how many records a delete removed.
    return undefined;
  }

  protected async doListPage(
    params: HookParams<PineconeCallOptions> & { namespace: string; prefix?: string; limit: number; cursor?: string },
  ): Promise<ListPage> {
    const { index } = this.data();
    if (!this.#capabilities.listByPrefix) {
      // Pinecone's list is serverless only: a pod-based index cannot list its ids at all.
      throw new UnsupportedOperationError(this.type, `list of pod-based index '${this.indexName}'`, 'listByPrefix');
    }
    // Pinecone pages hold at most 100 ids: a longer q-store page is several requests.
    const ids: string[] = [];
    let token = params.cursor;
    do {
      const want = Math.min(PINECONE_LIMITS.maxListRequestIds, params.limit - ids.length);
      const page = await this.listOnce(index, params.namespace, params.prefix, want, token, params.signal);
      ids.push(...page.ids);
      token = page.next;
    } while (token !== undefined && ids.length < params.limit);
    return token === undefined ? { ids } : { ids, nextCursor: token };
  }

  private async listOnce(
    index: Index<RecordMetadata>,
    namespace: string,
    prefix: string | undefined,
    limit: number,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ ids: string[]; next?: string }> {
    try {
      const page = await this.send(
        this.what('list', namespace),
        'list',
        () =>
          index.listPaginated({
            namespace,
            limit,
            ...(prefix !== undefined && { prefix }),
            ...(token !== undefined && { paginationToken: token }),
          }),
        signal,
      );
      const ids = (page.vectors ?? []).map((v) => v.id as string);
      const next = page.pagination?.next;
      return next && ids.length > 0 ? { ids, next } : { ids };
    } catch (error) {
      // A namespace that does not exist has no ids.
      if (isNotFound(error)) return { ids: [] };
      throw error;
    }
  }

  protected async doStats(params: HookParams<PineconeCallOptions>): Promise<Omit<IndexStats, 'dimension' | 'metric'>> {
    const { index } = this.data();
    const stats = await this.send(
      this.what('describe stats of'),
      'describeIndexStats',
      () => index.describeIndexStats(),
      params.signal,
    );
    const namespaces: Record<string, { recordCount: number }> = Object.create(null); // '__proto__' is a valid namespace
    for (const [name, summary] of Object.entries(stats.namespaces ?? {})) {
      // Serverless indexes report the default namespace as `__default__`; q-store calls it ''.
      const key = name === DEFAULT_NAMESPACE_NAME ? '' : name;
      const count = (namespaces[key]?.recordCount ?? 0) + (summary.recordCount ?? 0);
      if (count > 0) namespaces[key] = { recordCount: count };
    }
    const total = Object.values(namespaces).reduce((sum, n) => sum + n.recordCount, 0);
    return { totalRecordCount: stats.totalRecordCount ?? total, namespaces };
  }

  protected async doClose(): Promise<void> {
    // The official client holds no sockets of its own (fetch's pool is global): nothing to release.
    this.#data = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Eventual consistency

  /**
   * Waits until writes are visible to reads, polling with backoff (20 ms doubling to 500 ms, with
   * jitter) until `deadlineMs` (default 30 s) has passed, then a TimeoutError saying how many writes
   * are still invisible:
   *
   * - `ids`: fetch returns each, and — for an id this backend wrote — its content is this backend's
   *   last write of it (compared by fingerprint), so overwrites and updates are awaited too;
   * - `records`: fetch returns each with the given metadata (and vector);
   * - `deletedIds`: fetch returns none of them;
   * - `filter`: a query with the filter matches nothing (after a delete by filter);
   * - `all` / `recordCount`: describe_index_stats counts 0 / that many records in the namespace.
   *
   * Each round costs one fetch per 1,000 ids, one query for `filter`, one stats call for `all` or
   * `recordCount`. A write by someone else after this backend's last write keeps an `ids` wait
   * waiting until the deadline.
   */
  waitForVisibility(params: WaitForVisibilityParams): Promise<VisibilityResult> {
    return this.admit(params, async () => {
      const index = await this.requireIndex(params.signal);
      const filter = params.filter === undefined ? undefined : this.parseSupportedFilter(params.filter);
      return this.pollVisibility(params, index.dimension, filter);
    });
  }

  private async pollVisibility(
    params: WaitForVisibilityParams,
    dimension: number,
    filter: FilterNode | undefined,
  ): Promise<VisibilityResult> {
    const namespace = params.namespace ?? '';
    const deadlineMs = params.deadlineMs ?? 30_000;
    // What each id must look like: a fingerprint, 'present', or null (absent).
    const expected = new Map<string, readonly WrittenState[] | 'present'>();
    for (const id of params.ids ?? []) expected.set(id, this.#tracker.states(namespace, id) ?? 'present');
    for (const id of params.deletedIds ?? []) expected.set(id, [null]);
    const records = new Map((params.records ?? []).map((r) => [r.id, r]));
    for (const id of records.keys()) expected.set(id, 'present');
    const started = Date.now();
    let delay = 20;
    for (let polls = 1; ; polls++) {
      let pending = await this.pendingIds(namespace, expected, records, params.signal);
      if (filter !== undefined && (await this.anyMatch(namespace, dimension, filter, params.signal))) pending++;
      const wantCount = params.all ? 0 : params.recordCount;
      if (wantCount !== undefined) {
        const stats = await this.doStats({ options: {}, signal: params.signal });
        if ((stats.namespaces[namespace]?.recordCount ?? 0) !== wantCount) pending++;
      }
      if (pending === 0) return { polls, waitedMs: Date.now() - started };
      const left = deadlineMs - (Date.now() - started);
      if (left <= 0) {
        throw new TimeoutError(
          `waiting for ${pending} write(s) to become visible in index '${this.indexName}' namespace '${namespace}'`,
          deadlineMs,
        );
      }
      await sleep(Math.min(left, delay / 2 + (Math.random() * delay) / 2), params.signal);
      delay = Math.min(500, delay * 2);
    }
  }

  /** How many of the awaited ids do not look as expected yet. */
  private async pendingIds(
    namespace: string,
    expected: Map<string, readonly WrittenState[] | 'present'>,
    records: Map<string, { metadata?: Metadata; vector?: Float32Array | readonly number[] }>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const ids = [...expected.keys()];
    let pending = 0;
    for (let start = 0; start < ids.length; start += PINECONE_LIMITS.maxIdsPerRequest) {
      const page = ids.slice(start, start + PINECONE_LIMITS.maxIdsPerRequest);
      const found = await this.fetchRaw(page, namespace, signal);
      for (const id of page) {
        const record = found[id];
        const want = expected.get(id) ?? 'present';
        const given = records.get(id);
        if (want !== 'present') {
          const state = record ? fingerprint(Float32Array.from(record.values ?? []), record.metadata) : null;
          if (!want.includes(state)) pending++;
        } else if (!record) {
          pending++;
        } else if (given) {
          const vectorOk =
            given.vector === undefined ||
            sameJson(Array.from(Float32Array.from(record.values ?? [])), Array.from(Float32Array.from(given.vector)));
          if (!vectorOk || (given.metadata !== undefined && !sameJson(record.metadata ?? {}, given.metadata)))
            pending++;
        }
      }
    }
    return pending;
  }

  /** Whether a query with the filter still finds a record (one request). */
  private async anyMatch(
    namespace: string,
    dimension: number,
    filter: FilterNode,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const probe = new Float32Array(dimension);
    probe[0] = 1;
    const matches = await this.doQuery({
      vector: probe,
      topK: 1,
      filter,
      namespace,
      includeVectors: false,
      includeMetadata: false,
      exact: false,
      signal,
      options: {},
    });
    return matches.length > 0;
  }
}
