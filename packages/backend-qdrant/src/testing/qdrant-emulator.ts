import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, LoopbackServer } from '@q-store/core/backend';

/**
 * An in-process Qdrant emulator: an HTTP server on 127.0.0.1 serving the REST calls that
 * `@qdrant/js-client-rest` 1.18 makes for q-store (collections, payload indexes, points upsert /
 * query / scroll / retrieve / delete / vectors / payload / count / facet / batch). It follows
 * Qdrant's OpenAPI contract (v1.19) and answers errors with Qdrant's body
 * `{"status": {"error": "…"}, "time": …}` and status codes.
 *
 * Filters are evaluated with QDRANT's semantics, not q-store's (so a compiler that maps q-store's
 * filter wrongly is caught): `must` all, `should` at least one (ignored when empty), `must_not`
 * none, `min_should` at least `min_count`; `match.value` type-strict and any-element on arrays;
 * `match.any`, `match.except` (false for a missing key; on arrays: some element not listed);
 * `range` on numbers only; `is_empty` true for missing, null and `[]`; `is_null`; `has_id`;
 * `values_count`; nested filters. Under Cosine vectors are normalised on write as Qdrant does.
 * Search is exact (brute force); scores: Cosine and Dot the dot product, Euclid the distance
 * (ascending).
 */

export type Distance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Payload = Record<string, Json>;

interface Point {
  id: string | number;
  vector: Float32Array;
  payload: Payload;
}

interface Collection {
  size: number;
  distance: Distance;
  hnsw: { m: number; ef_construct: number; full_scan_threshold: number };
  quantization: Json;
  points: Map<string, Point>;
  payloadSchema: Record<string, { data_type: string; params?: Json }>;
}

/** One injected fault, applied to the next `times` requests whose path matches. */
export interface Fault {
  kind: 'status' | 'delay' | 'drop';
  /** For `status`: the answer's status code (default 503). */
  status?: number;
  /** For `delay`: milliseconds before the request is handled. */
  delayMs?: number;
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests whose `METHOD path` matches. */
  match?: RegExp;
  /** For `status` 429: the Retry-After header, seconds. */
  retryAfterSeconds?: number;
}

export interface QdrantEmulatorOptions {
  /** When set, requests must carry it in the `api-key` header (or `Authorization: Bearer`). */
  apiKey?: string;
  /** Largest request body, bytes (Qdrant's `service.max_request_size_mb`, default 32 MB). */
  maxRequestBytes?: number;
  /** Port; default a free one. */
  port?: number;
  /** Called with each request that reaches a collection route (`METHOD /path` and the parsed body): for tests. */
  onRequest?: (route: string, body: Record<string, unknown>) => void;
}

export const QDRANT_EMULATOR_VERSION = '1.18.0';
const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const UUID =
  /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|\{[0-9a-f-]{36}\}|urn:uuid:[0-9a-f-]{36})$/i;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new HttpError(400, `Bad request: ${message}`);
const wrongInput = (message: string) => new HttpError(400, `Wrong input: ${message}`);
const notFound = (message: string) => new HttpError(404, `Not found: ${message}`);

/** Qdrant's canonical point id: an unsigned integer, or a UUID in hyphenated lowercase. */
function parsePointId(value: unknown): string | number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && UUID.test(value)) {
    const hex = value
      .toLowerCase()
      .replace(/[^0-9a-f]/g, '')
      .replace(/^urnuuid/, '');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
  throw badRequest(
    `Format error in JSON body: data did not match any variant of untagged enum ExtendedPointId (value ${JSON.stringify(value)})`,
  );
}

const idKey = (id: string | number) => (typeof id === 'number' ? `n:${id}` : `u:${id}`);

/** Values under a key path (`a.b`, `a[].b`), arrays flattened as Qdrant does. Missing: []. */
function valuesAt(payload: Payload, key: string): Json[] {
  let current: Json[] = [payload];
  for (const rawPart of key.split('.')) {
    const flatten = rawPart.endsWith('[]');
    const part = flatten ? rawPart.slice(0, -2) : rawPart;
    const next: Json[] = [];
    for (const value of current) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, part)) {
        const v = (value as Record<string, Json>)[part] as Json;
        if (flatten && Array.isArray(v)) next.push(...v);
        else next.push(v);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function rawAt(payload: Payload, key: string): Json | undefined {
  let value: Json | undefined = payload;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, Json>)[part];
  }
  return value;
}

type Condition = Record<string, unknown>;

function matchesCondition(point: Point, condition: Condition): boolean {
  if (typeof condition !== 'object' || condition === null) throw badRequest('Format error in JSON body: condition');
  if ('must' in condition || 'should' in condition || 'must_not' in condition || 'min_should' in condition) {
    return matchesFilter(point, condition);
  }
  if ('has_id' in condition) {
    const ids = condition.has_id;
    if (!Array.isArray(ids)) throw badRequest('Format error in JSON body: has_id must be a list');
    const key = idKey(point.id);
    return ids.some((id) => idKey(parsePointId(id)) === key);
  }
  if ('is_empty' in condition) {
    const key = (condition.is_empty as { key?: unknown }).key;
    if (typeof key !== 'string') throw badRequest('Format error in JSON body: is_empty.key');
    const raw = rawAt(point.payload, key);
    return raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0);
  }
  if ('is_null' in condition) {
    const key = (condition.is_null as { key?: unknown }).key;
    if (typeof key !== 'string') throw badRequest('Format error in JSON body: is_null.key');
    const raw = rawAt(point.payload, key);
    return raw === null || (Array.isArray(raw) && raw.length === 1 && raw[0] === null);
  }
  if ('has_vector' in condition) return true;
  const key = condition.key;
  if (typeof key !== 'string')
    throw badRequest('Format error in JSON body: data did not match any variant of untagged enum Condition');
  const values = valuesAt(point.payload, key);
  if ('match' in condition) return matchValue(values, condition.match as Record<string, unknown>);
  if ('range' in condition) {
    const r = condition.range as Record<string, unknown>;
    for (const [k, v] of Object.entries(r)) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(k) || (v !== null && typeof v !== 'number')) {
        throw badRequest(`Format error in JSON body: range.${k}`);
      }
    }
    return values.some(
      (v) =>
        typeof v === 'number' &&
        (typeof r.gt !== 'number' || v > r.gt) &&
        (typeof r.gte !== 'number' || v >= r.gte) &&
        (typeof r.lt !== 'number' || v < r.lt) &&
        (typeof r.lte !== 'number' || v <= r.lte),
    );
  }
  if ('values_count' in condition) {
    const r = condition.values_count as Record<string, number | undefined>;
    const n = values.length;
    return (
      (r.gt === undefined || n > r.gt) &&
      (r.gte === undefined || n >= r.gte) &&
      (r.lt === undefined || n < r.lt) &&
      (r.lte === undefined || n <= r.lte)
    );
  }
  throw badRequest(`Format error in JSON body: unsupported field condition on '${key}'`);
}

function checkMatchValue(v: unknown): void {
  const ok = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v));
  if (!ok) throw badRequest('Format error in JSON body: data did not match any variant of untagged enum ValueVariants');
}

function matchValue(values: Json[], match: Record<string, unknown>): boolean {
  if ('value' in match) {
    checkMatchValue(match.value);
    return values.some((v) => v === match.value);
  }
  if ('any' in match) {
    const any = match.any as unknown[];
    if (!Array.isArray(any)) throw badRequest('Format error in JSON body: match.any');
    for (const v of any) checkMatchValue(v);
    return values.some((v) => any.includes(v));
  }
  if ('except' in match) {
    const except = match.except as unknown[];
    if (!Array.isArray(except)) throw badRequest('Format error in JSON body: match.except');
    for (const v of except) checkMatchValue(v);
    return values.some((v) => !except.includes(v));
  }
  if ('text' in match) return values.some((v) => typeof v === 'string' && v.includes(String(match.text)));
  throw badRequest('Format error in JSON body: data did not match any variant of untagged enum Match');
}

function list(value: unknown, name: string): Condition[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as Condition[];
  if (typeof value === 'object') return [value as Condition];
  throw badRequest(`Format error in JSON body: ${name}`);
}

function matchesFilter(point: Point, filter: Record<string, unknown> | null | undefined): boolean {
  if (!filter) return true;
  const must = list(filter.must, 'must');
  const should = list(filter.should, 'should');
  const mustNot = list(filter.must_not, 'must_not');
  if (!must.every((c) => matchesCondition(point, c))) return false;
  if (should.length > 0 && !should.some((c) => matchesCondition(point, c))) return false;
  if (mustNot.some((c) => matchesCondition(point, c))) return false;
  const min = filter.min_should as { conditions?: unknown; min_count?: number } | undefined | null;
  if (min) {
    const count = list(min.conditions, 'min_should.conditions').filter((c) => matchesCondition(point, c)).length;
    if (count < (min.min_count ?? 0)) return false;
  }
  return true;
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  if (n === 0) return v;
  return v.map((x) => x / n);
}

function score(distance: Distance, a: Float32Array, b: Float32Array): number {
  let s = 0;
  if (distance === 'Euclid') {
    for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
    return Math.fround(Math.sqrt(s));
  }
  if (distance === 'Manhattan') {
    for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
    return Math.fround(s);
  }
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return Math.fround(s);
}

const DISTANCES: readonly Distance[] = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];

export class QdrantEmulator {
  private readonly http: LoopbackServer;
  private readonly collections = new Map<string, Collection>();
  private readonly faults = new FaultQueue<Fault>();
  private readonly apiKey: string | undefined;
  private readonly maxRequestBytes: number;
  private readonly onRequest: QdrantEmulatorOptions['onRequest'];
  /** Requests served, by `METHOD /path` (collection names replaced by `{c}`): for tests and benches. */
  readonly requestCounts = new Map<string, number>();
  /** Request body bytes received, by the same keys as `requestCounts`. */
  readonly requestBytes = new Map<string, number>();

  constructor(options: QdrantEmulatorOptions = {}) {
    this.apiKey = options.apiKey;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.onRequest = options.onRequest;
    this.http = new LoopbackServer((req, res) => void this.handle(req, res), {
      ...(options.port !== undefined && { port: options.port }),
    });
  }

  /** Starts listening on 127.0.0.1; resolves to the base URL. */
  async start(): Promise<string> {
    await this.http.start();
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  /** Applies `fault` to the next matching requests (in order of injection). */
  injectFault(fault: Fault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Total requests served whose key matches. */
  count(match: RegExp = /.*/): number {
    let n = 0;
    for (const [k, v] of this.requestCounts) if (match.test(k)) n += v;
    return n;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxRequestBytes) tooLarge = true;
      else chunks.push(chunk);
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const time = (performance.now() - started) / 1000;
      const text = JSON.stringify(
        status < 300 ? { result: body, status: 'ok', time } : { status: { error: body }, time },
      );
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    try {
      const fault = this.faults.take(route);
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
      if (fault?.kind === 'status') {
        const status = fault.status ?? 503;
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        send(
          status,
          status === 429 ? 'Too many requests' : `Service internal error: injected fault ${status}`,
          headers,
        );
        return;
      }
      if (this.apiKey !== undefined) {
        const given = req.headers['api-key'] ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
        if (given !== this.apiKey) {
          send(401, 'Must provide an API key or an Authorization bearer token');
          return;
        }
      }
      if (tooLarge) {
        send(
          413,
          `Payload error: JSON payload (${size} bytes) is larger than allowed (limit: ${this.maxRequestBytes} bytes).`,
        );
        return;
      }
      let body: Record<string, unknown> = {};
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch (error) {
          throw badRequest(`Format error in JSON body: ${(error as Error).message}`);
        }
      }
      if (url.pathname === '/' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ title: 'qdrant - vector search engine', version: QDRANT_EMULATOR_VERSION }));
        return;
      }
      const key = route
        .replace(/^(\w+ \/collections\/)[^/]+/, '$1{c}')
        .replace(/\/points\/[0-9a-f-]{36}$|\/points\/\d+$/, '/points/{id}');
      this.requestCounts.set(key, (this.requestCounts.get(key) ?? 0) + 1);
      this.requestBytes.set(key, (this.requestBytes.get(key) ?? 0) + size);
      this.onRequest?.(route, body);
      send(200, this.route(req.method ?? 'GET', url, body));
    } catch (error) {
      if (error instanceof HttpError) send(error.status, error.message);
      else send(500, `Service internal error: ${(error as Error).message}`);
    }
  }

  private collection(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw notFound(`Collection \`${name}\` doesn't exist!`);
    return c;
  }

  private route(method: string, url: URL, body: Record<string, unknown>): unknown {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'collections') throw notFound(`${method} ${url.pathname}`);
    if (parts.length === 1 && method === 'GET') {
      return { collections: [...this.collections.keys()].map((name) => ({ name })) };
    }
    const name = parts[1] as string;
    const rest = parts.slice(2).join('/');
    if (rest === '') {
      if (method === 'PUT') return this.createCollection(name, body);
      if (method === 'GET') return this.collectionInfo(name);
      if (method === 'DELETE') return this.collections.delete(name);
    }
    if (rest === 'exists' && method === 'GET') return { exists: this.collections.has(name) };
    const c = this.collection(name);
    switch (`${method} ${rest}`) {
      case 'PUT index':
        return this.createIndex(c, body);
      case 'PUT points':
        return this.upsert(c, body);
      case 'POST points':
        return this.retrieve(c, body);
      case 'POST points/delete':
        return this.deletePoints(c, body);
      case 'PUT points/vectors':
        return this.updateVectors(c, body);
      case 'POST points/payload':
        return this.setPayload(c, body, false);
      case 'PUT points/payload':
        return this.setPayload(c, body, true);
      case 'POST points/payload/delete':
        return this.deletePayload(c, body);
      case 'POST points/scroll':
        return this.scroll(c, body);
      case 'POST points/count':
        return { count: this.select(c, body.filter).length };
      case 'POST points/query':
        return this.query(c, body);
      case 'POST facet':
        return this.facet(c, body);
      case 'POST points/batch':
        return this.batch(c, body);
    }
    throw notFound(`${method} ${url.pathname}`);
  }

  private createCollection(name: string, body: Record<string, unknown>): boolean {
    if (!/^[^/\\\0*<>:|?"]{1,255}$/.test(name)) throw wrongInput(`Collection name '${name}' is not valid`);
    if (this.collections.has(name)) throw wrongInput(`Collection \`${name}\` already exists!`);
    const vectors = body.vectors as Record<string, unknown> | undefined;
    if (!vectors || typeof vectors.size !== 'number') {
      throw badRequest(
        'Format error in JSON body: vectors: data did not match any variant of untagged enum VectorsConfig',
      );
    }
    if (!Number.isInteger(vectors.size) || vectors.size < 1 || vectors.size > 65_536) {
      throw badRequest(
        `Validation error in JSON body: [vectors.size: value ${vectors.size} invalid, must be from 1 to 65536]`,
      );
    }
    if (!DISTANCES.includes(vectors.distance as Distance)) {
      throw badRequest(`Format error in JSON body: vectors.distance: unknown variant \`${String(vectors.distance)}\``);
    }
    const hnsw = {
      m: 16,
      ef_construct: 100,
      full_scan_threshold: 10_000,
      ...(body.hnsw_config as object),
      ...(vectors.hnsw_config as object),
    };
    if (hnsw.ef_construct < 4)
      throw badRequest('Validation error in JSON body: [hnsw_config.ef_construct: value must be at least 4]');
    this.collections.set(name, {
      size: vectors.size,
      distance: vectors.distance as Distance,
      hnsw,
      quantization: (vectors.quantization_config ?? body.quantization_config ?? null) as Json,
      points: new Map(),
      payloadSchema: {},
    });
    return true;
  }

  private collectionInfo(name: string): unknown {
    const c = this.collection(name);
    const schema: Record<string, unknown> = {};
    for (const [field, s] of Object.entries(c.payloadSchema)) {
      const points = this.select(c, null).filter((p) => valuesAt(p.payload, field).length > 0).length;
      schema[field] = { ...s, points };
    }
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: { size: c.size, distance: c.distance },
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: { ...c.hnsw, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          indexing_threshold: 10_000,
          flush_interval_sec: 5,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: c.quantization,
      },
      payload_schema: schema,
    };
  }

  private createIndex(c: Collection, body: Record<string, unknown>): unknown {
    const field = body.field_name;
    if (typeof field !== 'string' || field === '') throw badRequest('Format error in JSON body: field_name');
    const schema = body.field_schema;
    const type = typeof schema === 'string' ? schema : (schema as { type?: unknown } | undefined)?.type;
    const types = ['keyword', 'integer', 'float', 'bool', 'geo', 'text', 'datetime', 'uuid'];
    if (typeof type !== 'string' || !types.includes(type)) {
      throw badRequest(
        'Format error in JSON body: field_schema: data did not match any variant of untagged enum PayloadFieldSchema',
      );
    }
    c.payloadSchema[field] =
      typeof schema === 'string' ? { data_type: type } : { data_type: type, params: schema as Json };
    return { operation_id: 0, status: 'completed' };
  }

  private readVector(c: Collection, raw: unknown, field: string): Float32Array {
    let vector = raw;
    if (vector !== null && typeof vector === 'object' && !Array.isArray(vector)) {
      const named = vector as Record<string, unknown>;
      const keys = Object.keys(named);
      if (keys.length !== 1 || keys[0] !== '') throw wrongInput(`Not existing vector name error: ${keys.join(', ')}`);
      vector = named[''];
    }
    if (!Array.isArray(vector) || !vector.every((x) => typeof x === 'number')) {
      throw badRequest(
        `Format error in JSON body: ${field}: data did not match any variant of untagged enum VectorStruct`,
      );
    }
    if (vector.length !== c.size) {
      throw wrongInput(`Vector dimension error: expected dim: ${c.size}, got ${vector.length}`);
    }
    const v = Float32Array.from(vector as number[]);
    return c.distance === 'Cosine' ? normalise(v) : v;
  }

  private upsert(c: Collection, body: Record<string, unknown>): unknown {
    let raw: { id: unknown; vector: unknown; payload?: unknown }[];
    if (Array.isArray(body.points)) raw = body.points as typeof raw;
    else if (body.batch && typeof body.batch === 'object') {
      const b = body.batch as { ids: unknown[]; vectors: unknown[]; payloads?: unknown[] };
      raw = b.ids.map((id, i) => ({ id, vector: b.vectors[i], payload: b.payloads?.[i] }));
    } else
      throw badRequest(
        'Format error in JSON body: data did not match any variant of untagged enum PointInsertOperations',
      );
    // Validate everything first: Qdrant rejects the whole request on a bad point.
    const points = raw.map((p, i) => {
      const id = parsePointId(p.id);
      const vector = this.readVector(c, p.vector, `points[${i}].vector`);
      const payload = p.payload ?? {};
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        throw badRequest(`Format error in JSON body: points[${i}].payload`);
      }
      return { id, vector, payload: structuredClone(payload) as Payload };
    });
    const mode = (body.update_mode as string | undefined) ?? 'upsert';
    const updateFilter = body.update_filter as Record<string, unknown> | undefined;
    for (const p of points) {
      const existing = c.points.get(idKey(p.id));
      if (existing && mode === 'insert_only') continue;
      if (!existing && mode === 'update_only') continue;
      if (existing && updateFilter && !matchesFilter(existing, updateFilter)) continue;
      c.points.set(idKey(p.id), p);
    }
    return { operation_id: 0, status: 'completed' };
  }

  private selectIds(c: Collection, body: Record<string, unknown>): Point[] {
    if (Array.isArray(body.points)) {
      return (body.points as unknown[])
        .map((id) => c.points.get(idKey(parsePointId(id))))
        .filter((p): p is Point => p !== undefined);
    }
    if (body.filter !== undefined) return this.select(c, body.filter);
    throw badRequest('Format error in JSON body: data did not match any variant of untagged enum PointsSelector');
  }

  private select(c: Collection, filter: unknown): Point[] {
    const out: Point[] = [];
    for (const p of c.points.values()) if (matchesFilter(p, filter as Record<string, unknown> | null)) out.push(p);
    return out;
  }

  private shape(c: Collection, p: Point, withPayload: unknown, withVector: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = { id: p.id };
    if (withPayload === true) out.payload = structuredClone(p.payload);
    else if (Array.isArray(withPayload)) out.payload = pick(p.payload, withPayload as string[]);
    else if (withPayload && typeof withPayload === 'object') {
      const sel = withPayload as { include?: string[]; exclude?: string[] };
      if (sel.include) out.payload = pick(p.payload, sel.include);
      else if (sel.exclude) {
        const copy = structuredClone(p.payload);
        for (const k of sel.exclude) delete copy[k];
        out.payload = copy;
      }
    } else out.payload = null;
    out.vector =
      withVector === true || (Array.isArray(withVector) && withVector.includes('')) ? Array.from(p.vector) : null;
    void c;
    return out;
  }

  private retrieve(c: Collection, body: Record<string, unknown>): unknown {
    if (!Array.isArray(body.ids)) throw badRequest('Format error in JSON body: missing field `ids`');
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const raw of body.ids) {
      const key = idKey(parsePointId(raw));
      const p = c.points.get(key);
      if (!p || seen.has(key)) continue;
      seen.add(key);
      out.push(this.shape(c, p, body.with_payload ?? true, body.with_vector ?? false));
    }
    return out;
  }

  private deletePoints(c: Collection, body: Record<string, unknown>): unknown {
    for (const p of this.selectIds(c, body)) c.points.delete(idKey(p.id));
    return { operation_id: 0, status: 'completed' };
  }

  private updateVectors(c: Collection, body: Record<string, unknown>): unknown {
    const raw = body.points as { id: unknown; vector: unknown }[];
    if (!Array.isArray(raw)) throw badRequest('Format error in JSON body: missing field `points`');
    const updates = raw.map((p, i) => {
      const id = parsePointId(p.id);
      const existing = c.points.get(idKey(id));
      if (!existing) throw notFound(`No point with id ${id} found`);
      return { existing, vector: this.readVector(c, p.vector, `points[${i}].vector`) };
    });
    for (const u of updates) u.existing.vector = u.vector;
    return { operation_id: 0, status: 'completed' };
  }

  private setPayload(c: Collection, body: Record<string, unknown>, overwrite: boolean): unknown {
    const payload = body.payload as Payload;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      throw badRequest('Format error in JSON body: payload');
    const targets = this.selectIds(c, body);
    if (Array.isArray(body.points)) {
      for (const id of body.points as unknown[]) {
        if (!c.points.has(idKey(parsePointId(id)))) throw notFound(`No point with id ${String(id)} found`);
      }
    }
    for (const p of targets) {
      const copy = structuredClone(payload);
      if (overwrite) p.payload = copy;
      else if (typeof body.key === 'string') {
        const nested = p.payload[body.key];
        p.payload[body.key] =
          nested && typeof nested === 'object' && !Array.isArray(nested) ? { ...nested, ...copy } : copy;
      } else Object.assign(p.payload, copy);
    }
    return { operation_id: 0, status: 'completed' };
  }

  private deletePayload(c: Collection, body: Record<string, unknown>): unknown {
    const keys = body.keys as string[];
    if (!Array.isArray(keys)) throw badRequest('Format error in JSON body: missing field `keys`');
    for (const p of this.selectIds(c, body)) {
      for (const k of keys) {
        const path = k.split('.');
        let target: Json | undefined = p.payload;
        for (const part of path.slice(0, -1)) {
          target = target && typeof target === 'object' && !Array.isArray(target) ? target[part] : undefined;
        }
        if (target && typeof target === 'object' && !Array.isArray(target)) delete target[path.at(-1) as string];
      }
    }
    return { operation_id: 0, status: 'completed' };
  }

  private batch(c: Collection, body: Record<string, unknown>): unknown {
    const operations = body.operations as Record<string, Record<string, unknown>>[];
    if (!Array.isArray(operations)) throw badRequest('Format error in JSON body: missing field `operations`');
    const results: unknown[] = [];
    for (const op of operations) {
      if (op.upsert) results.push(this.upsert(c, op.upsert));
      else if (op.delete) results.push(this.deletePoints(c, op.delete));
      else if (op.update_vectors) results.push(this.updateVectors(c, op.update_vectors));
      else if (op.set_payload) results.push(this.setPayload(c, op.set_payload, false));
      else if (op.overwrite_payload) results.push(this.setPayload(c, op.overwrite_payload, true));
      else if (op.delete_payload) results.push(this.deletePayload(c, op.delete_payload));
      else
        throw badRequest('Format error in JSON body: data did not match any variant of untagged enum UpdateOperation');
    }
    return results;
  }

  private limit(value: unknown, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw badRequest(`Validation error in JSON body: [limit: value ${String(value)} invalid, must be 1 or more]`);
    }
    return value;
  }

  private scroll(c: Collection, body: Record<string, unknown>): unknown {
    const limit = this.limit(body.limit, 10);
    const sorted = this.select(c, body.filter).sort((a, b) => compareIds(a.id, b.id));
    let start = 0;
    if (body.offset !== undefined && body.offset !== null) {
      const offset = parsePointId(body.offset);
      start = sorted.findIndex((p) => compareIds(p.id, offset) >= 0);
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + limit);
    const next = sorted[start + limit];
    return {
      points: page.map((p) => this.shape(c, p, body.with_payload ?? true, body.with_vector ?? false)),
      next_page_offset: next ? next.id : null,
    };
  }

  private query(c: Collection, body: Record<string, unknown>): unknown {
    const limit = this.limit(body.limit, 10);
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    let raw = body.query;
    if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'nearest' in raw)
      raw = (raw as { nearest: unknown }).nearest;
    const params = body.params as Record<string, unknown> | undefined;
    if (params?.hnsw_ef !== undefined && (typeof params.hnsw_ef !== 'number' || params.hnsw_ef < 0)) {
      throw badRequest('Format error in JSON body: params.hnsw_ef');
    }
    const candidates = this.select(c, body.filter);
    let scored: { p: Point; score: number }[];
    if (raw === undefined || raw === null) {
      scored = candidates.sort((a, b) => compareIds(a.id, b.id)).map((p) => ({ p, score: 0 }));
    } else {
      const q = this.readVector(c, raw, 'query');
      const ascending = c.distance === 'Euclid' || c.distance === 'Manhattan';
      scored = candidates.map((p) => ({ p, score: score(c.distance, q, p.vector) }));
      scored.sort((a, b) => (ascending ? a.score - b.score : b.score - a.score) || compareIds(a.p.id, b.p.id));
      const threshold = body.score_threshold;
      if (typeof threshold === 'number')
        scored = scored.filter((s) => (ascending ? s.score <= threshold : s.score >= threshold));
    }
    return {
      points: scored.slice(offset, offset + limit).map(({ p, score: s }) => ({
        ...this.shape(c, p, body.with_payload ?? false, body.with_vector ?? false),
        version: 0,
        score: s,
      })),
    };
  }

  private facet(c: Collection, body: Record<string, unknown>): unknown {
    const key = body.key;
    if (typeof key !== 'string') throw badRequest('Format error in JSON body: missing field `key`');
    const schema = c.payloadSchema[key];
    if (!schema || !['keyword', 'integer', 'bool', 'uuid'].includes(schema.data_type)) {
      throw badRequest(
        `Bad request: Index required but not found for "${key}" of one of the following types: [keyword, integer, bool, uuid]`,
      );
    }
    const counts = new Map<string, { value: Json; count: number }>();
    for (const p of this.select(c, body.filter)) {
      for (const v of new Set(valuesAt(p.payload, key))) {
        const k = JSON.stringify(v);
        const entry = counts.get(k) ?? { value: v, count: 0 };
        entry.count++;
        counts.set(k, entry);
      }
    }
    const limit = this.limit(body.limit, 10);
    const hits = [...counts.values()].sort((a, b) => b.count - a.count).slice(0, limit);
    return { hits };
  }
}

function pick(payload: Payload, keys: readonly string[]): Payload {
  const out: Payload = {};
  for (const k of keys) if (Object.hasOwn(payload, k)) out[k] = structuredClone(payload[k] as Json);
  return out;
}

function compareIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
