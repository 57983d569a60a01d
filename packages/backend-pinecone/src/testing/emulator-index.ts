import type { Metadata } from '@q-store/core';
import { matchesPineconeFilter, PineconeFilterError } from '../pinecone-filter-semantics.js';

/**
 * One emulated index's data plane: namespaces of records, Pinecone's request validation and
 * limits, exact (brute-force) search, and a visibility delay that makes writes reach readers late,
 * as Pinecone's eventually consistent writes do.
 */

export type Metric = 'cosine' | 'euclidean' | 'dotproduct';

/** gRPC status codes Pinecone's data plane puts in `code` (rpcStatus). */
export const GRPC = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A refusal; the server turns it into Pinecone's error body for the plane it came from. */
export class PineconeHttpError extends Error {
  constructor(
    readonly status: number,
    /** Data plane: the gRPC code; control plane: the string code. */
    readonly grpcCode: number,
    readonly controlCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string) =>
  new PineconeHttpError(400, GRPC.INVALID_ARGUMENT, 'INVALID_ARGUMENT', message);
export const notFound = (message: string) => new PineconeHttpError(404, GRPC.NOT_FOUND, 'NOT_FOUND', message);

/** Pinecone's documented operation limits (docs.pinecone.io, "Database limits"). */
export const PINECONE_LIMITS = {
  maxUpsertRecords: 1000,
  /** 2 MB per upsert request, taken as 2 MiB of JSON body. */
  maxUpsertBytes: 2 * 1024 * 1024,
  maxFetchIds: 1000,
  maxDeleteIds: 1000,
  /** 40 KB of metadata per record, measured as the UTF-8 length of its JSON. */
  maxMetadataBytes: 40 * 1024,
  maxTopK: 10_000,
  /** topK limit when values or metadata are included. */
  maxTopKWithData: 1000,
  /** Query result size (4 MB). */
  maxResultBytes: 4 * 1024 * 1024,
  maxIdLength: 512,
  maxNamespaceLength: 512,
  maxDimension: 20_000,
  maxListLimit: 100,
  defaultListLimit: 100,
  maxIndexNameLength: 45,
} as const;

export interface StoredRecord {
  readonly id: string;
  readonly values: readonly number[];
  readonly sparseValues?: { indices: number[]; values: number[] };
  readonly metadata?: Metadata;
  /** Norm of `values`, kept for cosine scoring. */
  readonly norm: number;
}

type Namespace = Map<string, StoredRecord>;

interface PendingWrite {
  visibleAt: number;
  apply: (namespaces: Map<string, Namespace>) => void;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Euclidean norm. */
export function norm(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/**
 * The score Pinecone reports: cosine similarity, dot product, or the SQUARED Euclidean distance.
 * `normA`/`normB` are the vectors' norms (used by cosine only).
 */
export function score(
  metric: Metric,
  a: readonly number[],
  b: readonly number[],
  normA = norm(a),
  normB = norm(b),
): number {
  let s = 0;
  if (metric === 'euclidean') {
    for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
    return Math.fround(s);
  }
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  if (metric === 'dotproduct') return Math.fround(s);
  const n = normA * normB;
  return Math.fround(n === 0 ? 0 : s / n);
}

/** The `k` best of `items` by `better` (negative when the first is better), best first. */
function topKOf<T>(items: Iterable<T>, k: number, better: (a: T, b: T) => number): T[] {
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && better(item, best[k - 1] as T) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (better(best[mid] as T, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}

/** The default namespace's name since API 2025-04; `""` (and no namespace) address it too. */
export const DEFAULT_NAMESPACE = '__default__';

function validateNamespace(namespace: unknown): string {
  if (namespace === undefined || namespace === null || namespace === '') return DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string') throw invalid('namespace must be a string');
  if (namespace.length > PINECONE_LIMITS.maxNamespaceLength) {
    throw invalid(
      `Namespace name length ${namespace.length} exceeds the maximum of ${PINECONE_LIMITS.maxNamespaceLength} characters`,
    );
  }
  if (namespace.includes('\0')) throw invalid('Namespace name must not contain the null character');
  return namespace;
}

function validateId(id: unknown, where: string): string {
  if (typeof id !== 'string' || id.length === 0) throw invalid(`${where}: vector id must be a non-empty string`);
  if (id.length > PINECONE_LIMITS.maxIdLength) {
    throw invalid(`${where}: vector id length ${id.length} exceeds the maximum of ${PINECONE_LIMITS.maxIdLength}`);
  }
  if (id.includes('\0')) throw invalid(`${where}: vector id must not contain the null character`);
  return id;
}

/** Pinecone metadata: string, number, boolean or list of strings per key; no null, no nesting; ≤ 40 KB. */
export function validateMetadata(metadata: unknown, where: string): Metadata | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (!isObject(metadata)) throw invalid(`${where}: metadata must be an object`);
  for (const [key, value] of Object.entries(metadata)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'list containing a non-string' : typeof value;
      throw invalid(
        `Metadata value must be a string, number, boolean or list of strings, got '${got}' for field '${key}'`,
      );
    }
  }
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (size > PINECONE_LIMITS.maxMetadataBytes) {
    throw invalid(
      `Metadata size is ${size} bytes, which exceeds the limit of ${PINECONE_LIMITS.maxMetadataBytes} bytes per vector`,
    );
  }
  return structuredClone(metadata) as Metadata;
}

function validateFilter(filter: unknown): Record<string, unknown> | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (!isObject(filter)) throw invalid('filter must be an object');
  try {
    matchesPineconeFilter(filter, {});
  } catch (error) {
    if (error instanceof PineconeFilterError) throw invalid(`Invalid filter: ${error.message}`);
    throw error;
  }
  return filter;
}

function matches(
  filter: Record<string, unknown> | undefined,
  record: StoredRecord,
  indexed: ReadonlySet<string> | undefined,
): boolean {
  if (!filter) return true;
  let metadata = record.metadata;
  if (indexed && metadata) {
    // A pod index with `metadata_config.indexed` filters on those fields only.
    metadata = Object.fromEntries(Object.entries(metadata).filter(([k]) => indexed.has(k))) as Metadata;
  }
  try {
    return matchesPineconeFilter(filter, metadata);
  } catch (error) {
    if (error instanceof PineconeFilterError) throw invalid(`Invalid filter: ${error.message}`);
    throw error;
  }
}

/** Orders strings as their UTF-8 bytes ("C" collation), without encoding them. */
function bitwiseCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code-point (= UTF-8) order only between surrogates and U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export interface IndexSpecInfo {
  kind: 'serverless' | 'pod';
}

export class EmulatedIndex {
  private readonly namespaces = new Map<string, Namespace>();
  private readonly pending: PendingWrite[] = [];
  /** Namespaces created through POST /namespaces (serverless), kept even when empty. */
  private readonly declaredNamespaces = new Set<string>();
  /** Namespaces ever written to (at write time, visible or not), for delete's 404. */
  private readonly knownNamespaces = new Set<string>();

  constructor(
    readonly dimension: number,
    readonly metric: Metric,
    readonly kind: 'serverless' | 'pod',
    private readonly visibilityDelayMs: () => number,
    indexedFields?: readonly string[],
  ) {
    this.indexed = indexedFields ? new Set(indexedFields) : undefined;
  }

  private readonly indexed: ReadonlySet<string> | undefined;

  private matches(filter: Record<string, unknown> | undefined, record: StoredRecord): boolean {
    return matches(filter, record, this.indexed);
  }

  /** Applies every write that has become visible (or all of them with `all`). */
  settle(all = false): void {
    const now = Date.now();
    while (this.pending.length > 0) {
      const next = this.pending[0] as PendingWrite;
      if (!all && next.visibleAt > now) break;
      this.pending.shift();
      next.apply(this.namespaces);
    }
  }

  get pendingWrites(): number {
    return this.pending.length;
  }

  private write(apply: PendingWrite['apply']): void {
    const delay = this.visibilityDelayMs();
    this.pending.push({ visibleAt: Date.now() + delay, apply });
    if (delay <= 0) this.settle();
  }

  private view(namespace: string): Namespace | undefined {
    this.settle();
    return this.namespaces.get(namespace);
  }

  private readVector(raw: unknown, where: string, what = 'Vector'): number[] {
    if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw invalid(`${where}: values must be a list of finite numbers`);
    }
    if (raw.length !== this.dimension) {
      throw invalid(`${what} dimension ${raw.length} does not match the dimension of the index ${this.dimension}`);
    }
    if (!raw.some((x) => x !== 0)) throw invalid(`${where}: Dense vectors must contain at least one non-zero value`);
    return raw.slice() as number[];
  }

  private readSparse(raw: unknown, where: string): StoredRecord['sparseValues'] {
    if (raw === undefined || raw === null) return undefined;
    if (!isObject(raw) || !Array.isArray(raw.indices) || !Array.isArray(raw.values)) {
      throw invalid(`${where}: sparseValues must have indices and values`);
    }
    if (raw.indices.length !== raw.values.length) {
      throw invalid(`${where}: sparse vector indices and values must have the same length`);
    }
    if (raw.indices.length > 1000) throw invalid(`${where}: sparse vectors can contain at most 1000 non-zero values`);
    return { indices: (raw.indices as number[]).slice(), values: (raw.values as number[]).slice() };
  }

  upsert(body: Record<string, unknown>): unknown {
    const namespace = validateNamespace(body.namespace);
    const vectors = body.vectors;
    if (!Array.isArray(vectors) || vectors.length === 0) throw invalid('vectors: at least one vector is required');
    if (vectors.length > PINECONE_LIMITS.maxUpsertRecords) {
      throw invalid(
        `Upsert request contains ${vectors.length} vectors, which exceeds the maximum of ${PINECONE_LIMITS.maxUpsertRecords} vectors per request`,
      );
    }
    // Validate everything first: Pinecone refuses the whole request on one bad vector.
    const records: StoredRecord[] = vectors.map((raw, i) => {
      const where = `vectors[${i}]`;
      if (!isObject(raw)) throw invalid(`${where}: must be an object`);
      const id = validateId(raw.id, where);
      const values = this.readVector(raw.values, where);
      const sparseValues = this.readSparse(raw.sparseValues, where);
      const metadata = validateMetadata(raw.metadata, where);
      return { id, values, norm: norm(values), ...(sparseValues && { sparseValues }), ...(metadata && { metadata }) };
    });
    this.knownNamespaces.add(namespace);
    this.write((namespaces) => {
      let ns = namespaces.get(namespace);
      if (!ns) {
        ns = new Map();
        namespaces.set(namespace, ns);
      }
      for (const r of records) ns.set(r.id, r);
    });
    return { upsertedCount: records.length };
  }

  fetch(ids: string[], rawNamespace: string | null): unknown {
    const namespace = validateNamespace(rawNamespace ?? undefined);
    if (ids.length === 0) throw invalid('No IDs provided for fetch query');
    if (ids.length > PINECONE_LIMITS.maxFetchIds) {
      throw invalid(
        `Fetch request contains ${ids.length} IDs, which exceeds the maximum of ${PINECONE_LIMITS.maxFetchIds} IDs per request`,
      );
    }
    for (const id of ids) validateId(id, 'ids');
    const ns = this.view(namespace);
    const vectors: Record<string, unknown> = {};
    for (const id of ids) {
      const r = ns?.get(id);
      if (r) vectors[id] = shape(r, true, true);
    }
    return { vectors, namespace, usage: { readUnits: 1 } };
  }

  /** `POST /vectors/fetch_by_metadata`: records matching a filter, by id, paginated. */
  fetchByMetadata(body: Record<string, unknown>): unknown {
    if (this.kind === 'pod') throw invalid('Fetch by metadata is only supported for serverless indexes');
    const namespace = validateNamespace(body.namespace);
    const filter = validateFilter(body.filter);
    if (!filter) throw invalid('filter is required');
    const limit = body.limit ?? 100;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > PINECONE_LIMITS.maxFetchIds) {
      throw invalid(`limit must be between 1 and ${PINECONE_LIMITS.maxFetchIds}, got ${String(limit)}`);
    }
    const token = body.paginationToken;
    const tokenKey = `#metadata:${JSON.stringify(filter)}`;
    const after = typeof token === 'string' && token !== '' ? decodeToken(token, namespace, tokenKey) : undefined;
    const ns = this.view(namespace);
    const hits = [...(ns?.values() ?? [])]
      .filter((r) => (after === undefined || bitwiseCompare(r.id, after) > 0) && this.matches(filter, r))
      .sort((a, b) => bitwiseCompare(a.id, b.id));
    const page = hits.slice(0, limit);
    const vectors: Record<string, unknown> = {};
    for (const r of page) vectors[r.id] = shape(r, true, true);
    return {
      vectors,
      namespace,
      usage: { readUnits: 1 },
      ...(hits.length > limit && {
        pagination: { next: encodeToken((page.at(-1) as StoredRecord).id, namespace, tokenKey) },
      }),
    };
  }

  query(body: Record<string, unknown>): unknown {
    const namespace = validateNamespace(body.namespace);
    const topK = body.topK;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) {
      throw invalid('topK must be a positive integer');
    }
    if (topK > PINECONE_LIMITS.maxTopK) {
      throw invalid(`topK ${topK} exceeds the maximum of ${PINECONE_LIMITS.maxTopK}`);
    }
    const includeValues = body.includeValues === true;
    const includeMetadata = body.includeMetadata === true;
    if ((includeValues || includeMetadata) && topK > PINECONE_LIMITS.maxTopKWithData) {
      throw invalid(
        `topK ${topK} exceeds the maximum of ${PINECONE_LIMITS.maxTopKWithData} when includeValues or includeMetadata is true`,
      );
    }
    if (body.queries !== undefined) throw invalid('queries is deprecated and not supported: use vector or id');
    const hasVector = body.vector !== undefined && body.vector !== null;
    const hasId = body.id !== undefined && body.id !== null;
    if (hasVector === hasId && body.sparseVector === undefined) {
      throw invalid('Exactly one of vector or id must be provided');
    }
    const filter = validateFilter(body.filter);
    const ns = this.view(namespace);
    let q: number[] | undefined;
    if (hasVector) q = this.readVector(body.vector, 'vector', 'Query vector');
    else if (hasId) {
      const id = validateId(body.id, 'id');
      const r = ns?.get(id);
      if (!r) return { matches: [], namespace, usage: { readUnits: 1 } };
      q = r.values as number[];
    } else throw invalid('Sparse-only queries are not supported on a dense index');
    const ascending = this.metric === 'euclidean';
    const qNorm = norm(q);
    const candidates: { r: StoredRecord; s: number }[] = [];
    for (const r of ns?.values() ?? []) {
      if (this.matches(filter, r)) candidates.push({ r, s: score(this.metric, q, r.values, qNorm, r.norm) });
    }
    const better = (a: { r: StoredRecord; s: number }, b: { r: StoredRecord; s: number }) =>
      (ascending ? a.s - b.s : b.s - a.s) || bitwiseCompare(a.r.id, b.r.id);
    const scored = topK <= 256 ? topKOf(candidates, topK, better) : candidates.sort(better);
    const result = {
      matches: scored.slice(0, topK).map(({ r, s }) => ({ ...shape(r, includeValues, includeMetadata), score: s })),
      namespace,
      usage: { readUnits: Math.max(1, Math.ceil((ns?.size ?? 0) / 1000)) },
    };
    const size = Buffer.byteLength(JSON.stringify(result));
    if (size > PINECONE_LIMITS.maxResultBytes) {
      throw invalid(
        `Response size ${size} bytes exceeds the maximum query result size of 4MB: lower topK or exclude values or metadata`,
      );
    }
    return result;
  }

  update(body: Record<string, unknown>): unknown {
    const namespace = validateNamespace(body.namespace);
    const hasId = body.id !== undefined && body.id !== null;
    const filter = validateFilter(body.filter);
    if (hasId === (filter !== undefined)) throw invalid('Exactly one of id or filter must be provided');
    const setMetadata = validateMetadata(body.setMetadata, 'setMetadata');
    if (filter) {
      if (body.values !== undefined || body.sparseValues !== undefined) {
        throw invalid('Updating by filter can only set metadata, not values');
      }
      if (!setMetadata) throw invalid('setMetadata is required when updating by filter');
      const ns = this.view(namespace);
      const targets = [...(ns?.values() ?? [])].filter((r) => this.matches(filter, r)).map((r) => r.id);
      if (body.dryRun !== true) {
        for (const id of targets) this.mergeWrite(namespace, id, undefined, undefined, setMetadata);
      }
      return { matchedRecords: targets.length };
    }
    const id = validateId(body.id, 'id');
    const values =
      body.values === undefined || body.values === null ? undefined : this.readVector(body.values, 'values');
    const sparse = this.readSparse(body.sparseValues, 'sparseValues');
    if (!values && !sparse && !setMetadata) throw invalid('No values, sparseValues or setMetadata provided for update');
    if (this.kind === 'pod' && !this.view(namespace)?.has(id)) throw notFound(`Vector ID not found: ${id}`);
    this.mergeWrite(namespace, id, values, sparse, setMetadata);
    return {};
  }

  private mergeWrite(
    namespace: string,
    id: string,
    values: number[] | undefined,
    sparse: StoredRecord['sparseValues'],
    setMetadata: Metadata | undefined,
  ): void {
    this.write((namespaces) => {
      const ns = namespaces.get(namespace);
      const existing = ns?.get(id);
      if (!ns || !existing) return; // an update of a missing record is a no-op
      const metadata = setMetadata ? { ...existing.metadata, ...setMetadata } : existing.metadata;
      ns.set(id, {
        id,
        values: values ?? existing.values,
        norm: values ? norm(values) : existing.norm,
        ...((sparse ?? existing.sparseValues) && { sparseValues: sparse ?? existing.sparseValues }),
        ...(metadata && { metadata }),
      });
    });
  }

  delete(body: Record<string, unknown>): unknown {
    const namespace = validateNamespace(body.namespace);
    const ids = body.ids;
    const deleteAll = body.deleteAll === true;
    const filter = validateFilter(body.filter);
    const given = [ids !== undefined && ids !== null, deleteAll, filter !== undefined].filter(Boolean).length;
    if (given !== 1) throw invalid('Exactly one of ids, deleteAll or filter must be provided');
    if (ids !== undefined && ids !== null) {
      if (!Array.isArray(ids) || ids.length === 0) throw invalid('ids must be a non-empty list');
      if (ids.length > PINECONE_LIMITS.maxDeleteIds) {
        throw invalid(
          `Delete request contains ${ids.length} IDs, which exceeds the maximum of ${PINECONE_LIMITS.maxDeleteIds} IDs per request`,
        );
      }
      const list = ids.map((id) => validateId(id, 'ids'));
      this.write((namespaces) => {
        const ns = namespaces.get(namespace);
        for (const id of list) ns?.delete(id);
      });
      return {};
    }
    if (!this.knownNamespaces.has(namespace) && !this.declaredNamespaces.has(namespace)) {
      throw notFound('Namespace not found');
    }
    if (deleteAll) {
      this.write((namespaces) => namespaces.get(namespace)?.clear());
      return {};
    }
    const ns = this.view(namespace);
    const targets = [...(ns?.values() ?? [])].filter((r) => this.matches(filter, r)).map((r) => r.id);
    this.write((namespaces) => {
      const live = namespaces.get(namespace);
      for (const id of targets) live?.delete(id);
    });
    return {};
  }

  list(query: URLSearchParams): unknown {
    if (this.kind === 'pod') throw invalid('List operation is only supported for serverless indexes');
    const namespace = validateNamespace(query.get('namespace') ?? undefined);
    const prefix = query.get('prefix') ?? '';
    const rawLimit = query.get('limit');
    let limit: number = PINECONE_LIMITS.defaultListLimit;
    if (rawLimit !== null) {
      limit = Number(rawLimit);
      if (!Number.isInteger(limit) || limit < 1 || limit > PINECONE_LIMITS.maxListLimit) {
        throw invalid(`limit must be between 1 and ${PINECONE_LIMITS.maxListLimit}, got ${rawLimit}`);
      }
    }
    const token = query.get('paginationToken');
    let after: string | undefined;
    if (token !== null && token !== '') after = decodeToken(token, namespace, prefix);
    const ns = this.view(namespace);
    const ids = [...(ns?.keys() ?? [])]
      .filter((id) => id.startsWith(prefix) && (after === undefined || bitwiseCompare(id, after) > 0))
      .sort(bitwiseCompare);
    const page = ids.slice(0, limit);
    const more = ids.length > limit;
    return {
      vectors: page.map((id) => ({ id })),
      ...(more && { pagination: { next: encodeToken(page.at(-1) as string, namespace, prefix) } }),
      namespace,
      usage: { readUnits: 1 },
    };
  }

  stats(body: Record<string, unknown>): unknown {
    if (body.filter !== undefined && body.filter !== null) {
      if (this.kind === 'serverless') {
        throw invalid('Serverless and starter indexes do not support describing index stats with metadata filtering');
      }
    }
    const filter = validateFilter(body.filter);
    this.settle();
    const namespaces: Record<string, { vectorCount: number }> = {};
    let total = 0;
    for (const [name, ns] of this.namespaces) {
      const count = filter ? [...ns.values()].filter((r) => this.matches(filter, r)).length : ns.size;
      total += ns.size;
      if (ns.size > 0 || this.declaredNamespaces.has(name)) namespaces[name] = { vectorCount: count };
    }
    return {
      namespaces,
      dimension: this.dimension,
      indexFullness: 0,
      totalVectorCount: total,
      metric: this.metric,
      vectorType: 'dense',
    };
  }

  // Namespaces API (serverless only).

  private requireServerless(): void {
    if (this.kind === 'pod') throw invalid('Namespace operations are not supported for pod-based indexes');
  }

  private namespaceNames(): string[] {
    this.settle();
    const names = new Set(this.declaredNamespaces);
    for (const [name, ns] of this.namespaces) if (ns.size > 0) names.add(name);
    return [...names].sort(bitwiseCompare);
  }

  describeNamespace(raw: string): unknown {
    this.requireServerless();
    const name = validateNamespace(raw);
    if (!this.namespaceNames().includes(name)) throw notFound('Namespace not found');
    return { name, record_count: this.namespaces.get(name)?.size ?? 0 };
  }

  createNamespace(body: Record<string, unknown>): unknown {
    this.requireServerless();
    const name = body.name;
    if (typeof name !== 'string' || name === '') throw invalid('name is required');
    if (validateNamespace(name) === DEFAULT_NAMESPACE) throw invalid('The default namespace cannot be created');
    if (this.namespaceNames().includes(name)) {
      throw new PineconeHttpError(409, GRPC.ALREADY_EXISTS, 'ALREADY_EXISTS', `Namespace ${name} already exists`);
    }
    this.declaredNamespaces.add(name);
    return { name, record_count: 0 };
  }

  deleteNamespace(raw: string): unknown {
    this.requireServerless();
    const name = validateNamespace(raw);
    if (!this.namespaceNames().includes(name)) throw notFound('Namespace not found');
    this.declaredNamespaces.delete(name);
    this.knownNamespaces.delete(name);
    this.write((namespaces) => namespaces.delete(name));
    return {};
  }

  listNamespaces(query: URLSearchParams): unknown {
    this.requireServerless();
    const prefix = query.get('prefix') ?? '';
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? 100 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid(`limit must be between 1 and 100`);
    const token = query.get('paginationToken');
    const after = token ? decodeToken(token, '#namespaces', prefix) : undefined;
    const names = this.namespaceNames().filter((n) => n.startsWith(prefix));
    const rest = names.filter((n) => after === undefined || bitwiseCompare(n, after) > 0);
    const page = rest.slice(0, limit);
    return {
      namespaces: page.map((name) => ({ name, record_count: this.namespaces.get(name)?.size ?? 0 })),
      ...(rest.length > limit && { pagination: { next: encodeToken(page.at(-1) as string, '#namespaces', prefix) } }),
      total_count: names.length,
    };
  }

  /** Records currently visible, for tests. */
  visibleCount(namespace = DEFAULT_NAMESPACE): number {
    this.settle();
    return this.namespaces.get(validateNamespace(namespace))?.size ?? 0;
  }
}

function shape(r: StoredRecord, includeValues: boolean, includeMetadata: boolean): Record<string, unknown> {
  return {
    id: r.id,
    ...(includeValues && { values: r.values.slice() }),
    ...(includeValues && r.sparseValues && { sparseValues: structuredClone(r.sparseValues) }),
    ...(includeMetadata && r.metadata && { metadata: structuredClone(r.metadata) }),
  };
}

function encodeToken(lastId: string, namespace: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ a: lastId, n: namespace, p: prefix })).toString('base64');
}

function decodeToken(token: string, namespace: string, prefix: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      a?: unknown;
      n?: unknown;
      p?: unknown;
    };
    if (typeof parsed.a === 'string' && parsed.n === namespace && parsed.p === prefix) return parsed.a;
  } catch {
    // fall through
  }
  throw invalid('Invalid pagination token');
}
