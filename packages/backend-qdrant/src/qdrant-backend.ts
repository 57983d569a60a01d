import {
  type BackendCapabilities,
  DEFAULT_MAX_METADATA_BYTES,
  FILTER_OPERATORS,
  type FilterNode,
  type IndexDescription,
  type IndexStats,
  METRICS,
  type Metadata,
  type Metric,
  type QueryMatch,
  StorageError,
  ValidationError,
  type VectorRecord,
} from '@q-store/core';
import {
  BaseVectorBackend,
  checkMergedMetadata,
  type DeleteTarget,
  type HookParams,
  IssueCollector,
  type ListPage,
  type NormalizedQuery,
  type RecordChange,
} from '@q-store/core/backend';
import { base64ToFloat32, compactFloats, typedToBase64 } from './binary.js';
import { QdrantConnection, type QdrantConnectionOptions } from './connection.js';
import {
  compileFilter,
  namespaceFilter,
  PAYLOAD_ID,
  PAYLOAD_KEYS,
  PAYLOAD_METADATA,
  PAYLOAD_NAMESPACE,
  PAYLOAD_VECTOR,
  type QdrantCondition,
  type QdrantFilter,
} from './filter-compiler.js';
import { pointIdFor } from './ids.js';
import { parseQdrantOptions, type QdrantQueryOptions, searchParams } from './qdrant-options.js';

/** Qdrant's default `service.max_request_size_mb`: 32 MB. */
export const QDRANT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Qdrant's largest vector size. */
export const QDRANT_MAX_DIMENSION = 65_536;

type Distance = 'Cosine' | 'Euclid' | 'Dot';
const DISTANCE: Record<Metric, Distance> = { cosine: 'Cosine', euclidean: 'Euclid', dot: 'Dot' };
const METRIC: Record<string, Metric> = { Cosine: 'cosine', Euclid: 'euclidean', Dot: 'dot' };

/** A payload index type for a filtered metadata key (Qdrant's `PayloadSchemaType`). */
export type PayloadIndexType = 'keyword' | 'integer' | 'float' | 'bool';
const INDEX_TYPES: readonly PayloadIndexType[] = ['keyword', 'integer', 'float', 'bool'];

export interface QdrantBackendOptions extends QdrantConnectionOptions {
  /** The collection (the seed's `collection_name`); core's index-name rule applies. */
  collectionName: string;
  /** HNSW graph of a collection this backend creates: `m` links (default 16), `efConstruct` (default 100). */
  hnsw?: { m?: number; efConstruct?: number };
  /** Scalar (int8) quantization of a collection this backend creates. */
  quantization?: { type: 'scalar'; quantile?: number; alwaysRam?: boolean };
  /**
   * Payload indexes for filtered metadata keys (the seed's `metadata_config.indexed`): a key name
   * list (keyword indexes) or `{key: type}`. Qdrant filters unindexed keys too, only slower.
   */
  indexedFields?: readonly string[] | Readonly<Record<string, PayloadIndexType>>;
  /** Largest request body the server takes (its `service.max_request_size_mb`; default 32 MB). */
  maxRequestBytes?: number;
  /** Largest metadata per record, bytes (default core's 40 KB, so records move between backends). */
  maxMetadataBytes?: number;
}

interface StoredPayload {
  [PAYLOAD_ID]: string;
  [PAYLOAD_NAMESPACE]: string;
  [PAYLOAD_KEYS]: string[];
  [PAYLOAD_METADATA]?: Metadata;
  [PAYLOAD_VECTOR]?: string;
}

interface ScoredPoint {
  id: string | number;
  score?: number;
  payload?: Record<string, unknown> | null;
  vector?: unknown;
}

/** Per record, the bytes a point takes in a JSON request beyond core's estimate (vector copy, second id, keys). */
const POINT_OVERHEAD_BYTES = 256;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function resolveIndexedFields(raw: QdrantBackendOptions['indexedFields']): Map<string, PayloadIndexType> {
  const out = new Map<string, PayloadIndexType>();
  if (raw === undefined) return out;
  const issues = new IssueCollector();
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((key) => [key, 'keyword'])
    : Object.entries(raw as Record<string, unknown>);
  for (const [key, type] of entries) {
    if (typeof key !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(key)) {
      issues.add(`indexedFields.${String(key)}`, 'must be a metadata key');
    } else if (!INDEX_TYPES.includes(type as PayloadIndexType)) {
      issues.add(`indexedFields.${key}`, `must be one of ${INDEX_TYPES.join(', ')}, got ${String(type)}`);
    } else out.set(key, type as PayloadIndexType);
  }
  issues.throwIfAny('Invalid Qdrant config');
  return out;
}

/**
 * VectorBackend on a Qdrant collection through the official `@qdrant/js-client-rest`.
 *
 * - **Points**: one record is one point with id `pointIdFor(namespace, id)` (UUIDv5, see ids.ts) and
 *   payload `{qstore_id, qstore_ns, qstore_keys, metadata, qstore_vector?}`; ids come back from
 *   `qstore_id` everywhere, exactly as given (a UUID id too).
 * - **Namespaces**: the keyword payload field `qstore_ns` with a tenant index (`is_tenant: true`):
 *   every read and write carries the namespace condition, so Qdrant keeps a tenant's points together.
 * - **Scores** (higher is better): Cosine and Dot as Qdrant reports them; Euclid negated (Qdrant
 *   returns the distance, ascending).
 * - **Exact vectors**: Qdrant normalises under Cosine, so a Cosine collection also keeps the float32
 *   bytes as written (base64, in `qstore_vector`, not indexed); fetch and `includeVectors` decode
 *   that copy. Queries without `includeVectors` never read it (payload selection by key). Dot and
 *   Euclid collections store the vector as given and return Qdrant's own float32 values.
 * - **Writes** use `wait: true`: visible when they resolve (`consistency: 'immediate'`). Updates are
 *   one upsert with `update_mode: update_only`, so a concurrently deleted point is not brought back.
 * - **Limits**: the request-size limit (32 MB) bounds `maxBatchBytes`, discounted for the payload's
 *   extra copies, so core's chunks always fit one request.
 */
export class QdrantBackend<M extends Metadata = Metadata> extends BaseVectorBackend<M, QdrantQueryOptions> {
  readonly type = 'qdrant';
  readonly capabilities: BackendCapabilities;
  readonly collectionName: string;
  readonly #connection: QdrantConnection;
  readonly #indexedFields: Map<string, PayloadIndexType>;
  readonly #hnsw: { m: number; efConstruct: number };
  readonly #quantization: QdrantBackendOptions['quantization'];
  readonly #maxRequestBytes: number;
  /** The metric of the collection, once described. */
  #metric: Metric | undefined;
  /** Payload indexes known to exist on the collection. */
  readonly #payloadIndexes = new Set<string>();
  /** The last update queued per id (namespace and id), see {@link doUpdate}. */
  readonly #updates = new Map<string, Promise<void>>();

  constructor(options: QdrantBackendOptions) {
    super(options.collectionName);
    this.collectionName = options.collectionName;
    this.#connection = new QdrantConnection(options);
    this.#indexedFields = resolveIndexedFields(options.indexedFields);
    const issues = new IssueCollector();
    const m = options.hnsw?.m ?? 16;
    const efConstruct = options.hnsw?.efConstruct ?? 100;
    if (!Number.isInteger(m) || m < 0 || m > 512) issues.add('hnsw.m', 'must be an integer from 0 to 512', 512);
    if (!Number.isInteger(efConstruct) || efConstruct < 4 || efConstruct > 10_000) {
      issues.add('hnsw.efConstruct', 'must be an integer from 4 to 10000', 10_000);
    }
    const q = options.quantization;
    if (q !== undefined) {
      if (q.type !== 'scalar') issues.add('quantization.type', "must be 'scalar'");
      if (q.quantile !== undefined && !(q.quantile >= 0.5 && q.quantile <= 1)) {
        issues.add('quantization.quantile', 'must be a number from 0.5 to 1', 1);
      }
    }
    const maxRequestBytes = options.maxRequestBytes ?? QDRANT_MAX_REQUEST_BYTES;
    if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 64 * 1024) {
      issues.add('maxRequestBytes', 'must be an integer of at least 65536');
    }
    const maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    if (!Number.isInteger(maxMetadataBytes) || maxMetadataBytes < 1) {
      issues.add('maxMetadataBytes', 'must be a positive integer');
    }
    issues.throwIfAny('Invalid Qdrant config');
    this.#hnsw = { m, efConstruct };
    this.#quantization = q;
    this.#maxRequestBytes = maxRequestBytes;
    this.capabilities = {
      metrics: METRICS,
      maxDimension: QDRANT_MAX_DIMENSION,
      maxBatchRecords: 10_000,
      // Core's estimate counts 25 bytes per float (the widest JSON double) plus id and metadata
      // once. Vectors go out as the shortest numbers that land on the same float32 (≤ 16 bytes each,
      // see compactFloats); under Cosine a base64 copy adds 16/3 bytes per float: ≤ 21.4 of the 25.
      // The rest (the id again, the key list, field names) fits in the 5 % left and the room for
      // two records' metadata; doUpsert measures any chunk whose worst-case bound is over the limit.
      maxBatchBytes: Math.floor(maxRequestBytes * 0.95) - 2 * maxMetadataBytes - 64 * 1024,
      maxMetadataBytes,
      maxTopK: 10_000,
      maxIdsPerRequest: 1_000,
      maxListPageSize: 10_000,
      namespaces: true,
      filterOperators: FILTER_OPERATORS,
      persistence: 'durable',
      exactSearch: true,
      // Writes use wait: true: visible to every read once they resolve.
      consistency: 'immediate',
      // Checked on qstore_id while scrolling the namespace (Qdrant has no keyword prefix match).
      listByPrefix: true,
      deleteByFilter: true,
    };
  }

  /** Where this backend talks to (no credentials). */
  get endpoint(): string {
    return this.#connection.endpoint;
  }

  private call<T>(
    what: string,
    run: (client: Parameters<Parameters<QdrantConnection['call']>[1]>[0]) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.#connection.call(`${what} on collection '${this.collectionName}'`, run, signal, this.collectionName);
  }

  protected async doDescribeIndex({ signal }: HookParams<QdrantQueryOptions>): Promise<IndexDescription | null> {
    const info = await this.#connection.collectionInfo(this.collectionName, signal);
    if (!info) return null;
    const vectors = info.config?.params?.vectors as { size?: unknown; distance?: unknown } | undefined;
    const metric = typeof vectors?.distance === 'string' ? METRIC[vectors.distance] : undefined;
    if (!vectors || typeof vectors.size !== 'number' || metric === undefined) {
      throw new StorageError(
        `collection '${this.collectionName}' is not a q-store collection: it needs one unnamed vector with distance Cosine, Euclid or Dot`,
      );
    }
    for (const field of Object.keys(info.payload_schema ?? {})) this.#payloadIndexes.add(field);
    this.#metric = metric;
    return { name: this.indexName, dimension: vectors.size, metric };
  }

  protected async doCreateIndex({
    dimension,
    metric,
    signal,
  }: HookParams<QdrantQueryOptions> & { dimension: number; metric: Metric }): Promise<void> {
    const q = this.#quantization;
    await this.#connection.createCollectionIfMissing(
      this.collectionName,
      {
        vectors: { size: dimension, distance: DISTANCE[metric] },
        hnsw_config: { m: this.#hnsw.m, ef_construct: this.#hnsw.efConstruct, payload_m: 16 },
        ...(q !== undefined && {
          quantization_config: {
            scalar: {
              type: 'int8',
              ...(q.quantile !== undefined && { quantile: q.quantile }),
              ...(q.alwaysRam !== undefined && { always_ram: q.alwaysRam }),
            },
          },
        }),
      },
      signal,
    );
    await this.ensurePayloadIndexes(signal);
  }

  /**
   * Creates the payload indexes a collection needs (tenant index on the namespace, keyword indexes
   * on the id and the key list, and the configured metadata keys) unless the collection has them:
   * also when adopting a collection created elsewhere.
   */
  async ensurePayloadIndexes(signal?: AbortSignal): Promise<void> {
    const wanted: Array<[string, Record<string, unknown>]> = [
      [PAYLOAD_NAMESPACE, { type: 'keyword', is_tenant: true }],
      [PAYLOAD_ID, { type: 'keyword' }],
      [PAYLOAD_KEYS, { type: 'keyword' }],
      ...[...this.#indexedFields].map(([key, type]): [string, Record<string, unknown>] => [
        `${PAYLOAD_METADATA}.${key}`,
        { type },
      ]),
    ];
    for (const [field, schema] of wanted) {
      if (this.#payloadIndexes.has(field)) continue;
      await this.call(
        'createPayloadIndex',
        (c) =>
          c.createPayloadIndex(this.collectionName, { wait: true, field_name: field, field_schema: schema as never }),
        signal,
      );
      this.#payloadIndexes.add(field);
    }
  }

  override async ensureIndex(params: Parameters<BaseVectorBackend<M>['ensureIndex']>[0]): Promise<IndexDescription> {
    const description = await super.ensureIndex(params);
    await this.admit(params, () => this.ensurePayloadIndexes(params.signal));
    return description;
  }

  protected async doDropIndex({ signal }: HookParams<QdrantQueryOptions>): Promise<void> {
    await this.call('deleteCollection', (c) => c.deleteCollection(this.collectionName), signal);
    this.#payloadIndexes.clear();
    this.#metric = undefined;
  }

  private async metric(signal?: AbortSignal): Promise<Metric> {
    return this.#metric ?? (await this.requireIndex(signal)).metric;
  }

  private payloadFor(record: VectorRecord<M>, namespace: string, cosine: boolean): StoredPayload {
    const payload: StoredPayload = {
      [PAYLOAD_ID]: record.id,
      [PAYLOAD_NAMESPACE]: namespace,
      [PAYLOAD_KEYS]: record.metadata === undefined ? [] : Object.keys(record.metadata),
    };
    if (record.metadata !== undefined) payload[PAYLOAD_METADATA] = record.metadata;
    if (cosine) payload[PAYLOAD_VECTOR] = typedToBase64(record.vector);
    return payload;
  }

  protected async doUpsert({
    records,
    namespace,
    signal,
  }: HookParams<QdrantQueryOptions> & { records: VectorRecord<M>[]; namespace: string }): Promise<void> {
    const cosine = (await this.metric(signal)) === 'cosine';
    let bound = 64;
    const points = records.map((record) => {
      const { values, bound: vectorBytes } = compactFloats(record.vector);
      const payload = this.payloadFor(record, namespace, cosine);
      bound += vectorBytes + this.payloadBytes(payload);
      return {
        id: pointIdFor(namespace, record.id),
        vector: values,
        payload: payload as unknown as Record<string, unknown>,
      };
    });
    // Core chunked by its estimate against the discounted maxBatchBytes. A worst-case bound of the
    // body (every float at its widest) settles most chunks; only past it is the body measured.
    if (bound > this.#maxRequestBytes) {
      const bytes = utf8Length(JSON.stringify({ points })) + 64;
      if (bytes > this.#maxRequestBytes) {
        throw new ValidationError(
          [
            {
              field: 'records',
              message: `one chunk is ${bytes} bytes of JSON, more than Qdrant's request limit (${this.#maxRequestBytes}); lower maxBatchRecords or the metadata size`,
              limit: this.#maxRequestBytes,
            },
          ],
          'Batch too large',
        );
      }
    }
    await this.call('upsert', (c) => c.upsert(this.collectionName, { wait: true, points }), signal);
  }

  /** Worst-case JSON bytes of a point beside its vector. */
  private payloadBytes(payload: StoredPayload): number {
    return (
      utf8Length(JSON.stringify(payload[PAYLOAD_ID])) +
      utf8Length(payload[PAYLOAD_NAMESPACE]) +
      utf8Length(JSON.stringify(payload[PAYLOAD_KEYS])) +
      (payload[PAYLOAD_METADATA] === undefined ? 0 : utf8Length(JSON.stringify(payload[PAYLOAD_METADATA]))) +
      (payload[PAYLOAD_VECTOR]?.length ?? 0) +
      POINT_OVERHEAD_BYTES
    );
  }

  /** The compiled filter of one namespace (a hook for tests that inject a broken compiler). */
  protected compile(node: FilterNode): QdrantCondition {
    return compileFilter(node, this.type);
  }

  private filterFor(namespace: string, node: FilterNode | undefined): QdrantFilter {
    return namespaceFilter(namespace, node, (n) => this.compile(n));
  }

  /** Payload keys to read: the id always, metadata and the exact vector copy when asked. */
  private payloadSelector(includeMetadata: boolean, includeVectors: boolean, metric: Metric): string[] {
    const keys = [PAYLOAD_ID];
    if (includeMetadata) keys.push(PAYLOAD_METADATA);
    if (includeVectors && metric === 'cosine') keys.push(PAYLOAD_VECTOR);
    return keys;
  }

  private vectorOf(point: ScoredPoint, metric: Metric): Float32Array {
    if (metric === 'cosine') {
      const copy = point.payload?.[PAYLOAD_VECTOR];
      if (typeof copy === 'string') return base64ToFloat32(copy);
    }
    const raw = Array.isArray(point.vector)
      ? point.vector
      : ((point.vector as Record<string, unknown> | null | undefined)?.[''] as unknown);
    if (!Array.isArray(raw)) {
      throw new StorageError(`point of '${String(point.payload?.[PAYLOAD_ID])}' came back without its vector`);
    }
    return Float32Array.from(raw as number[]);
  }

  private idOf(point: ScoredPoint): string {
    const id = point.payload?.[PAYLOAD_ID];
    if (typeof id !== 'string') {
      throw new StorageError(
        `point ${String(point.id)} of collection '${this.collectionName}' has no ${PAYLOAD_ID}: not written by q-store`,
      );
    }
    return id;
  }

  /** Query with per-call Qdrant options (see {@link QdrantQueryOptions}). */
  protected async doQuery(q: NormalizedQuery & { options: QdrantQueryOptions }): Promise<QueryMatch<M>[]> {
    const { options } = q;
    const metric = await this.metric(q.signal);
    const params = searchParams(options, q.exact);
    const response = await this.call(
      'query',
      (c) =>
        c.query(this.collectionName, {
          query: Array.from(q.vector),
          filter: this.filterFor(q.namespace, q.filter) as never,
          limit: q.topK,
          with_payload: this.payloadSelector(q.includeMetadata, q.includeVectors, metric),
          with_vector: q.includeVectors && metric !== 'cosine',
          ...(params !== undefined && { params: params as never }),
        }),
      q.signal,
    );
    const matches = (response.points as ScoredPoint[]).map((point) => {
      const raw = point.score ?? 0;
      const match: QueryMatch<M> = { id: this.idOf(point), score: metric === 'euclidean' ? 0 - raw : raw };
      if (q.includeVectors) match.vector = this.vectorOf(point, metric);
      const metadata = point.payload?.[PAYLOAD_METADATA];
      if (q.includeMetadata && metadata !== undefined && metadata !== null) match.metadata = metadata as M;
      return match;
    });
    return matches.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Per-call options (`options.qdrant`) exist for `query` only; see {@link QdrantQueryOptions}. */
  protected override parseOptions(
    raw: Readonly<Record<string, unknown>> | undefined,
    operation: string,
  ): QdrantQueryOptions {
    if (operation === 'query') return parseQdrantOptions(raw);
    return super.parseOptions(raw, operation);
  }

  private retrievePoints(
    ids: readonly string[],
    namespace: string,
    withPayload: string[] | boolean,
    withVector: boolean,
    signal?: AbortSignal,
  ): Promise<ScoredPoint[]> {
    return this.call(
      'retrieve',
      async (c) =>
        (await c.retrieve(this.collectionName, {
          ids: ids.map((id) => pointIdFor(namespace, id)),
          with_payload: withPayload,
          with_vector: withVector,
        })) as ScoredPoint[],
      signal,
    );
  }

  protected async doFetch({
    ids,
    namespace,
    includeVectors,
    signal,
  }: HookParams<QdrantQueryOptions> & {
    ids: readonly string[];
    namespace: string;
    includeVectors: boolean;
  }): Promise<VectorRecord<M>[]> {
    const metric = await this.metric(signal);
    const points = await this.retrievePoints(
      ids,
      namespace,
      this.payloadSelector(true, includeVectors, metric),
      includeVectors && metric !== 'cosine',
      signal,
    );
    return points.map((point) => {
      const record: VectorRecord<M> = {
        id: this.idOf(point),
        vector: includeVectors ? this.vectorOf(point, metric) : new Float32Array(0),
      };
      const metadata = point.payload?.[PAYLOAD_METADATA];
      if (metadata !== undefined && metadata !== null) record.metadata = metadata as M;
      return record;
    });
  }

  /**
   * Updates of one id through this instance run one after another (a read then a write: without
   * the queue, two concurrent merges could each write the metadata they read and lose the other's
   * keys). Across processes Qdrant offers no transaction; see the README.
   */
  protected doUpdate(
    params: HookParams<QdrantQueryOptions> & { id: string; change: RecordChange<M>; namespace: string },
  ): Promise<boolean> {
    const key = JSON.stringify([params.namespace, params.id]);
    const previous = this.#updates.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.updateOne(params),
      () => this.updateOne(params),
    );
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#updates.set(key, tail);
    void tail.then(() => {
      if (this.#updates.get(key) === tail) this.#updates.delete(key);
    });
    return run;
  }

  private async updateOne({
    id,
    change,
    namespace,
    signal,
  }: HookParams<QdrantQueryOptions> & { id: string; change: RecordChange<M>; namespace: string }): Promise<boolean> {
    const metric = await this.metric(signal);
    const needVector = change.vector === undefined;
    const [point] = await this.retrievePoints([id], namespace, true, needVector && metric !== 'cosine', signal);
    if (!point) return false;
    const old = (point.payload?.[PAYLOAD_METADATA] ?? undefined) as M | undefined;
    let metadata = old;
    if (change.metadata !== undefined) {
      metadata = (change.metadataMode === 'replace' ? change.metadata : { ...(old ?? {}), ...change.metadata }) as M;
      checkMergedMetadata(metadata, this.capabilities.maxMetadataBytes);
    }
    const vector = change.vector ?? this.vectorOf(point, metric);
    const record: VectorRecord<M> = { id, vector, ...(metadata !== undefined && { metadata }) };
    // One request, vector and payload together; update_only: a point deleted meanwhile stays deleted.
    await this.call(
      'update',
      (c) =>
        c.upsert(this.collectionName, {
          wait: true,
          update_mode: 'update_only',
          points: [
            {
              id: pointIdFor(namespace, id),
              vector: compactFloats(vector).values,
              payload: this.payloadFor(record, namespace, metric === 'cosine') as unknown as Record<string, unknown>,
            },
          ],
        }),
      signal,
    );
    return true;
  }

  private count(filter: QdrantFilter, signal?: AbortSignal): Promise<number> {
    return this.call(
      'count',
      async (c) => (await c.count(this.collectionName, { filter: filter as never, exact: true })).count,
      signal,
    );
  }

  /**
   * Deletes by ids, filter or everything in the namespace. Qdrant does not report how many points a
   * delete removed, so the count is taken just before it (exact count, or the ids that exist).
   */
  protected async doDelete({
    target,
    namespace,
    signal,
  }: HookParams<QdrantQueryOptions> & { target: DeleteTarget; namespace: string }): Promise<number> {
    if ('ids' in target) {
      const existing = await this.retrievePoints(target.ids, namespace, false, false, signal);
      if (existing.length === 0) return 0;
      await this.call(
        'delete',
        (c) => c.delete(this.collectionName, { wait: true, points: existing.map((p) => p.id) }),
        signal,
      );
      return existing.length;
    }
    const filter = this.filterFor(namespace, 'filter' in target ? target.filter : undefined);
    const count = await this.count(filter, signal);
    if (count === 0) return 0;
    await this.call('delete', (c) => c.delete(this.collectionName, { wait: true, filter: filter as never }), signal);
    return count;
  }

  /**
   * One page of ids by scroll, in point-id order; the cursor is the next point id. A prefix is
   * checked on `qstore_id` as the pages go by (Qdrant has no prefix match on keywords), so a
   * prefix list reads the namespace's ids, `limit` points per request.
   */
  protected async doListPage(
    request: HookParams<QdrantQueryOptions> & { namespace: string; prefix?: string; limit: number; cursor?: string },
  ): Promise<ListPage> {
    const { signal } = request;
    const filter = this.filterFor(request.namespace, undefined);
    const ids: string[] = [];
    let offset: string | number | undefined = request.cursor;
    for (;;) {
      const page = await this.call(
        'scroll',
        (c) =>
          c.scroll(this.collectionName, {
            filter: filter as never,
            limit: request.limit,
            with_payload: [PAYLOAD_ID],
            with_vector: false,
            ...(offset !== undefined && { offset }),
          }),
        signal,
      );
      const points = page.points as ScoredPoint[];
      for (const [i, point] of points.entries()) {
        const id = this.idOf(point);
        if (request.prefix !== undefined && !id.startsWith(request.prefix)) continue;
        if (ids.length === request.limit) return { ids, nextCursor: String(points[i]?.id) };
        ids.push(id);
      }
      const next = page.next_page_offset as string | number | null | undefined;
      if (next === null || next === undefined) return { ids };
      if (ids.length === request.limit) return { ids, nextCursor: String(next) };
      offset = next;
    }
  }

  /** Counts per namespace by a facet on the tenant field (exact counts). */
  protected async doStats({
    signal,
  }: HookParams<QdrantQueryOptions>): Promise<Omit<IndexStats, 'dimension' | 'metric'>> {
    await this.ensurePayloadIndexes(signal);
    const facet = await this.call(
      'facet',
      (c) => c.facet(this.collectionName, { key: PAYLOAD_NAMESPACE, limit: 100_000, exact: true }),
      signal,
    );
    const namespaces: IndexStats['namespaces'] = Object.create(null); // '__proto__' is a valid namespace
    let total = 0;
    for (const hit of facet.hits) {
      namespaces[String(hit.value)] = { recordCount: hit.count };
      total += hit.count;
    }
    return { totalRecordCount: total, namespaces };
  }

  protected async doClose(): Promise<void> {
    // The client holds no resources to release beyond its keep-alive sockets, which close when idle.
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, collectionName: this.collectionName, endpoint: this.endpoint };
  }
}
