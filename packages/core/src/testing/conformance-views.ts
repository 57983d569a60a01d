/**
 * What the vector conformance kit puts between its tests and the backend under test:
 *
 * - {@link SettlingBackend} calls the caller's `settle` hook after every write, before the write
 *   returns to the test, so an eventually consistent store is read only once it says the write is
 *   visible.
 * - {@link SharedIndexView} lets one test group use a shared index as if it were its own: the
 *   group's namespaces live under a prefix of their own (`''` is `<prefix>`, `x` is `<prefix>.x`), and
 *   the group's vectors are zero-padded to the shared index's dimension. Zero components change no
 *   cosine, dot or euclidean score, so every ranking and score the kit checks is unchanged.
 */

import type { Filter } from '../vector/filter-types.js';
import type {
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
} from '../vector/types.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import { ForwardingVectorBackend } from './forwarding-backend.js';

/** What a write changed, as the backend sees it (real namespace names, also in shared-index mode). */
export interface SettleInfo {
  operation: 'ensureIndex' | 'dropIndex' | 'upsert' | 'update' | 'delete';
  /** The namespace written; `''` is the default namespace (and the value for index operations). */
  namespace: string;
  /** Ids upserted or updated (unique, in call order). */
  written?: readonly string[];
  /** Ids deleted by id (unique, in call order; ids that did not exist included). */
  deleted?: readonly string[];
  /** A delete by filter: the filter. */
  filter?: Filter<Metadata>;
  /** A delete of the whole namespace. */
  all?: true;
}

/**
 * Waits until a write the backend acknowledged is visible to reads (fetch, query, list, stats).
 * Called by the kit after each successful write and before the test goes on; a write that failed
 * is not settled (it wrote nothing).
 */
export type SettleHook = (backend: VectorBackend, info: SettleInfo) => Promise<void>;

function uniqueIds(values: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const v of values) if (typeof v === 'string') out.add(v);
  return [...out];
}

export class SettlingBackend extends ForwardingVectorBackend {
  constructor(
    inner: VectorBackend,
    private readonly settle: SettleHook,
  ) {
    super(inner);
  }

  override async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    const description = await this.inner.ensureIndex(params);
    await this.settle(this.inner, { operation: 'ensureIndex', namespace: '' });
    return description;
  }

  override async dropIndex(params?: CallParams): Promise<void> {
    await this.inner.dropIndex(params);
    await this.settle(this.inner, { operation: 'dropIndex', namespace: '' });
  }

  override async upsert(params: UpsertParams): Promise<UpsertResult> {
    const result = await this.inner.upsert(params);
    const written = uniqueIds(params.records.map((r) => r.id));
    await this.settle(this.inner, { operation: 'upsert', namespace: params.namespace ?? '', written });
    return result;
  }

  override async update(params: UpdateParams): Promise<UpdateResult> {
    const result = await this.inner.update(params);
    await this.settle(this.inner, { operation: 'update', namespace: params.namespace ?? '', written: [params.id] });
    return result;
  }

  override async delete(params: DeleteParams): Promise<DeleteResult> {
    const result = await this.inner.delete(params);
    const namespace = params.namespace ?? '';
    if (params.ids !== undefined) {
      await this.settle(this.inner, { operation: 'delete', namespace, deleted: uniqueIds(params.ids) });
    } else if (params.filter !== undefined) {
      await this.settle(this.inner, { operation: 'delete', namespace, filter: params.filter });
    } else {
      await this.settle(this.inner, { operation: 'delete', namespace, all: true });
    }
    return result;
  }
}

/** How a group maps onto the shared index. */
export interface SharedIndexLayout {
  /** The shared index's dimension; every group's vectors are zero-padded to it. */
  dimension: number;
  /** Real namespace of the group's default namespace; its other namespaces are `<prefix>.<name>`. */
  prefix: string;
  /** Told every real namespace the group writes into, so the kit can empty them afterwards. */
  onNamespace(namespace: string): void;
}

type AnyVector = Float32Array | readonly number[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export class SharedIndexView extends ForwardingVectorBackend {
  /** The dimension the group asked for in ensureIndex; vectors of exactly this length are padded. */
  private groupDimension: number | undefined;
  private closed = false;

  constructor(
    inner: VectorBackend,
    private readonly layout: SharedIndexLayout,
  ) {
    super(inner);
  }

  /** The real namespace of a group namespace; anything not a string passes through (validation). */
  private toReal(namespace: unknown): unknown {
    if (namespace === undefined || namespace === '') return this.layout.prefix;
    return typeof namespace === 'string' ? `${this.layout.prefix}.${namespace}` : namespace;
  }

  /** Runs a write into `real` and, once it succeeded, reports the namespace as used. */
  private async writing<T>(real: unknown, write: () => Promise<T>): Promise<T> {
    const result = await write();
    if (typeof real === 'string') this.layout.onNamespace(real);
    return result;
  }

  /** The group namespace of a real one, or undefined when it belongs to another group. */
  private fromReal(namespace: string): string | undefined {
    const { prefix } = this.layout;
    if (namespace === prefix) return '';
    return namespace.startsWith(`${prefix}.`) ? namespace.slice(prefix.length + 1) : undefined;
  }

  private padding(): number {
    const d = this.groupDimension;
    return d === undefined ? 0 : this.layout.dimension - d;
  }

  /** Zero-pads a vector of the group's dimension; any other value goes through unchanged. */
  private pad(vector: unknown): unknown {
    const extra = this.padding();
    if (extra <= 0 || vector === undefined) return vector;
    if (vector instanceof Float32Array && vector.length === this.groupDimension) {
      const out = new Float32Array(this.layout.dimension);
      out.set(vector);
      return out;
    }
    // A plain array keeps its elements as they are, so bad components still fail validation.
    if (Array.isArray(vector) && vector.length === this.groupDimension) return [...vector, ...new Array(extra).fill(0)];
    return vector;
  }

  /** Cuts a returned vector back to the group's dimension when its padding is all zeros. */
  private cut(vector: Float32Array): Float32Array {
    const d = this.groupDimension;
    if (d === undefined || vector.length !== this.layout.dimension || d >= vector.length) return vector;
    // A backend that corrupted the padding keeps the full length, so the kit's comparisons fail.
    for (let i = d; i < vector.length; i++) if (vector[i] !== 0) return vector;
    return vector.slice(0, d);
  }

  private describe(description: IndexDescription): IndexDescription {
    const d = this.groupDimension;
    return description.dimension === this.layout.dimension && d !== undefined
      ? { ...description, dimension: d }
      : description;
  }

  override async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    if (!isObject(params)) return this.inner.ensureIndex(params);
    if (typeof params.dimension === 'number') this.groupDimension = params.dimension;
    return this.describe(await this.inner.ensureIndex({ ...params, dimension: this.layout.dimension }));
  }

  override async describeIndex(params?: CallParams): Promise<IndexDescription | null> {
    const description = await this.inner.describeIndex(params);
    return description && this.describe(description);
  }

  override async dropIndex(params?: CallParams): Promise<void> {
    // Only the calls that must fail (aborted, closed) reach the shared index.
    if (!this.closed && !params?.signal?.aborted) {
      throw new Error('conformance (shared-index mode): the kit never drops the shared index');
    }
    return this.inner.dropIndex(params);
  }

  override upsert(params: UpsertParams): Promise<UpsertResult> {
    if (!isObject(params)) return this.inner.upsert(params);
    const records = Array.isArray(params.records)
      ? params.records.map((r: unknown) => (isObject(r) && 'vector' in r ? { ...r, vector: this.pad(r.vector) } : r))
      : params.records;
    const namespace = this.toReal(params.namespace);
    return this.writing(namespace, () => this.inner.upsert({ ...params, records, namespace } as UpsertParams));
  }

  override async query(params: QueryParams): Promise<QueryResult> {
    if (!isObject(params)) return this.inner.query(params);
    const result = await this.inner.query({
      ...params,
      vector: this.pad(params.vector) as AnyVector,
      namespace: this.toReal(params.namespace) as string,
    });
    return {
      ...result,
      namespace: this.fromReal(result.namespace) ?? result.namespace,
      matches: result.matches.map((m) => (m.vector ? { ...m, vector: this.cut(m.vector) } : m)),
    };
  }

  override async fetch(params: FetchParams): Promise<FetchResult> {
    if (!isObject(params)) return this.inner.fetch(params);
    const result = await this.inner.fetch({ ...params, namespace: this.toReal(params.namespace) as string });
    const records = new Map([...result.records].map(([id, r]) => [id, { ...r, vector: this.cut(r.vector) }]));
    return { ...result, records, namespace: this.fromReal(result.namespace) ?? result.namespace };
  }

  override update(params: UpdateParams): Promise<UpdateResult> {
    if (!isObject(params)) return this.inner.update(params);
    const real = { ...params, namespace: this.toReal(params.namespace) as string };
    if ('vector' in params) real.vector = this.pad(params.vector) as AnyVector;
    return this.writing(real.namespace, () => this.inner.update(real));
  }

  override delete(params: DeleteParams): Promise<DeleteResult> {
    if (!isObject(params)) return this.inner.delete(params);
    return this.inner.delete({ ...params, namespace: this.toReal(params.namespace) as string });
  }

  override list(params?: ListParams): AsyncIterable<string> {
    if (params !== undefined && !isObject(params)) return this.inner.list(params);
    return this.inner.list({ ...params, namespace: this.toReal(params?.namespace) as string });
  }

  override async stats(params?: CallParams): Promise<IndexStats> {
    const stats = await this.inner.stats(params);
    const namespaces: IndexStats['namespaces'] = {};
    let total = 0;
    for (const [real, counts] of Object.entries(stats.namespaces)) {
      const own = this.fromReal(real);
      if (own === undefined) continue;
      namespaces[own] = counts;
      total += counts.recordCount;
    }
    const d = this.groupDimension;
    const dimension = stats.dimension === this.layout.dimension && d !== undefined ? d : stats.dimension;
    return { ...stats, dimension, namespaces, totalRecordCount: total };
  }

  override close(): Promise<void> {
    this.closed = true;
    return this.inner.close();
  }
}
