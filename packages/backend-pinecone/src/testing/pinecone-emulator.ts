import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, LoopbackServer } from '@q-store/core/backend';
import {
  EmulatedIndex,
  GRPC,
  invalid,
  type Metric,
  notFound,
  PINECONE_LIMITS,
  PineconeHttpError,
} from './emulator-index.js';

/**
 * An in-process Pinecone emulator: one HTTP server on 127.0.0.1 serving both the control plane
 * that `@pinecone-database/pinecone` 8.2 calls (`POST/GET /indexes`, `GET/PATCH/DELETE
 * /indexes/{name}`, API version 2026-04) and each index's data plane (the 2026-04 data contract:
 * `/vectors/upsert`, `/query`, `/vectors/fetch`, `/vectors/update`, `/vectors/delete`,
 * `/vectors/fetch_by_metadata`, `/vectors/list`, `/describe_index_stats`, `/namespaces`), so the official client runs against it
 * unchanged: give it `controllerHostUrl: emulator.url`; the `host` that describe returns is
 * `http://127.0.0.1:<port>/data/<index>` (the client accepts a host with scheme and path).
 *
 * Errors carry Pinecone's bodies: the control plane `{"error": {"code": "…", "message": "…"},
 * "status": n}`, the data plane gRPC-style `{"code": n, "message": "…", "details": []}`.
 * Every request needs an `Api-Key` header (401 otherwise). Filters are evaluated with PINECONE's
 * documented semantics (`matchesPineconeFilter`), not q-store's. Search is exact; scores are the
 * cosine similarity, the dot product, or — for `euclidean` — the SQUARED Euclidean distance, sorted
 * ascending, as Pinecone reports it. Vectors are stored as given (Pinecone does not normalise).
 */

export type { Metric } from './emulator-index.js';
export { PINECONE_LIMITS } from './emulator-index.js';

/** One injected fault, applied to the next `times` requests whose route matches. */
export interface PineconeFault {
  /** `status`: answer with an error; `delay`: answer late (then normally); `drop`: cut the connection. */
  kind: 'status' | 'delay' | 'drop';
  /** For `status`: the status code (default 503). 429 answers carry `Retry-After`. */
  status?: number;
  /** For `status`: the error message (a default per status otherwise). */
  message?: string;
  /** For `delay`: milliseconds before the request is handled. */
  delayMs?: number;
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests whose route key (`METHOD /path`, e.g. `POST /vectors/upsert`, `GET /indexes/{name}`) matches. */
  match?: RegExp;
  /** For 429: the `Retry-After` header in seconds (default 1). */
  retryAfterSeconds?: number;
}

/** One request the emulator received. */
export interface ReceivedRequest {
  method: string;
  /** Route key: `POST /vectors/upsert`, `GET /indexes/{name}`, … */
  route: string;
  /** The index addressed (data plane, or control plane `/indexes/{name}`). */
  index?: string;
  /** Answer status. */
  status: number;
  /** Request body size in bytes. */
  bytes: number;
  /** `X-Pinecone-Api-Version` header, if sent. */
  apiVersion?: string;
}

export interface PineconeEmulatorOptions {
  /** When set, the only accepted `Api-Key`; otherwise any non-empty key is accepted. */
  apiKey?: string;
  /** Port; default a free one. */
  port?: number;
  /** Milliseconds from create until describe reports `Ready` (default 0: ready at the first describe). */
  indexReadyDelayMs?: number;
  /**
   * Milliseconds a deleted index stays `Terminating` (listed, described, its name taken) before it
   * is gone (default 0: gone at once).
   */
  indexDeleteDelayMs?: number;
  /** Milliseconds until a write is visible to query, fetch, list and stats (default 0). */
  visibilityDelayMs?: number;
  /** Serverless indexes allowed in the project (default 20, the Standard plan); more → 403 QUOTA_EXCEEDED. */
  maxServerlessIndexes?: number;
  /** Pods allowed in the project across pod-based indexes (default 20); more → 403 QUOTA_EXCEEDED. */
  maxPods?: number;
  /** Added latency for every request, milliseconds (default 0). */
  latencyMs?: number;
  /** Project id used in messages (default `emulator`). */
  projectName?: string;
  /**
   * Data-plane requests per second allowed per index, operation and namespace (Pinecone's
   * request-per-second limits); beyond it 429 with `Retry-After: 1`. Default: unlimited.
   */
  maxRequestsPerSecond?: number;
  /** At most this many requests are kept in {@link PineconeEmulator.requests} (default 10,000). */
  maxRequestLog?: number;
}

export const PINECONE_EMULATOR_API_VERSION = '2026-04';

interface IndexEntry {
  name: string;
  dimension: number;
  metric: Metric;
  createdAt: number;
  readyDelayMs: number;
  /** When deleted with a delay: the time it disappears. */
  goneAt?: number;
  deletionProtection: 'enabled' | 'disabled';
  tags: Record<string, string> | undefined;
  spec:
    | { serverless: { cloud: string; region: string } }
    | {
        pod: {
          environment: string;
          pod_type: string;
          pods: number;
          replicas: number;
          shards: number;
          metadata_config?: { indexed?: string[] };
        };
      };
  data: EmulatedIndex;
}

const INDEX_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dotproduct'];
const CLOUDS = ['aws', 'gcp', 'azure'];
const POD_TYPES = /^(s1|p1|p2)\.(x1|x2|x4|x8)$/;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function controlCodeFor(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ALREADY_EXISTS';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'UNKNOWN';
  }
}

function grpcCodeFor(status: number): number {
  switch (status) {
    case 400:
      return GRPC.INVALID_ARGUMENT;
    case 401:
      return GRPC.UNAUTHENTICATED;
    case 403:
      return GRPC.PERMISSION_DENIED;
    case 404:
      return GRPC.NOT_FOUND;
    case 409:
      return GRPC.ALREADY_EXISTS;
    case 429:
      return GRPC.RESOURCE_EXHAUSTED;
    case 501:
      return GRPC.UNIMPLEMENTED;
    case 503:
      return GRPC.UNAVAILABLE;
    default:
      return GRPC.INTERNAL;
  }
}

function defaultFaultMessage(status: number, dataPlane: boolean): string {
  if (status === 429) {
    return dataPlane
      ? 'Request failed. You have exceeded the request-per-second limit for this namespace. Please slow down and retry.'
      : 'Too many requests. Please retry shortly.';
  }
  if (status === 503) return 'Service Unavailable';
  if (status >= 500) return 'Internal Server Error';
  return `Injected fault ${status}`;
}

export class PineconeEmulator {
  private readonly http: LoopbackServer;
  private readonly indexes = new Map<string, IndexEntry>();
  private readonly faults = new FaultQueue<PineconeFault>();
  /** ES-private, so that `util.inspect` of the emulator does not show it. */
  readonly #apiKey: string | undefined;
  private readonly maxRequestLog: number;
  /** Ready delay for indexes created from now on. */
  indexReadyDelayMs: number;
  /** Terminating period for indexes deleted from now on. */
  indexDeleteDelayMs: number;
  /** Visibility delay for writes from now on. */
  visibilityDelayMs: number;
  maxServerlessIndexes: number;
  maxPods: number;
  latencyMs: number;
  maxRequestsPerSecond: number | undefined;
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly projectName: string;
  /** Requests served, by route key (`POST /vectors/upsert`, `GET /indexes/{name}`): for tests and benches. */
  readonly requestCounts = new Map<string, number>();
  /** The last requests received, oldest first. */
  readonly requests: ReceivedRequest[] = [];

  constructor(options: PineconeEmulatorOptions = {}) {
    this.#apiKey = options.apiKey;
    // Fetch sends up to 1,000 ids in the query string: long request lines are allowed.
    this.http = new LoopbackServer((req, res) => void this.handle(req, res), {
      ...(options.port !== undefined && { port: options.port }),
      maxHeaderSize: 1024 * 1024,
      keepAliveTimeoutMs: 5000,
    });
    this.indexReadyDelayMs = options.indexReadyDelayMs ?? 0;
    this.visibilityDelayMs = options.visibilityDelayMs ?? 0;
    this.indexDeleteDelayMs = options.indexDeleteDelayMs ?? 0;
    this.maxServerlessIndexes = options.maxServerlessIndexes ?? 20;
    this.maxPods = options.maxPods ?? 20;
    this.latencyMs = options.latencyMs ?? 0;
    this.maxRequestsPerSecond = options.maxRequestsPerSecond;
    this.projectName = options.projectName ?? 'emulator';
    this.maxRequestLog = options.maxRequestLog ?? 10_000;
  }

  /** Starts listening on 127.0.0.1; resolves to the control-plane URL (give it as `controllerHostUrl`). */
  async start(): Promise<string> {
    await this.http.start();
    return this.url;
  }

  /** The control-plane URL. */
  get url(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  /** What `JSON.stringify` shows: no key, no sockets. */
  toJSON(): { url: string; indexes: string[] } {
    return { url: this.url, indexes: this.indexNames() };
  }

  /** The data-plane host of an index (what describe returns as `host`). */
  hostOf(indexName: string): string {
    return `${this.url}/data/${encodeURIComponent(indexName)}`;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** Queues `fault` for the next matching requests (faults apply in the order injected). */
  injectFault(fault: PineconeFault): void {
    this.faults.push(fault);
  }

  /** Throttles the next `times` matching requests: 429 with `Retry-After: retryAfterSeconds`. */
  throttle(options: { times?: number; match?: RegExp; retryAfterSeconds?: number } = {}): void {
    this.injectFault({ kind: 'status', status: 429, retryAfterSeconds: options.retryAfterSeconds ?? 1, ...options });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Faults still queued. */
  get pendingFaults(): number {
    return this.faults.size;
  }

  /** Total requests served whose route key matches. */
  count(match: RegExp = /.*/): number {
    let n = 0;
    for (const [k, v] of this.requestCounts) if (match.test(k)) n += v;
    return n;
  }

  resetCounts(): void {
    this.requestCounts.clear();
    this.requests.length = 0;
  }

  /** Makes every pending write visible now (all indexes, or one). */
  settle(indexName?: string): void {
    for (const entry of this.indexes.values()) if (!indexName || entry.name === indexName) entry.data.settle(true);
  }

  /** Writes accepted but not yet visible. */
  pendingWrites(indexName?: string): number {
    let n = 0;
    for (const entry of this.indexes.values())
      if (!indexName || entry.name === indexName) n += entry.data.pendingWrites;
    return n;
  }

  /** Names of the indexes that exist. */
  indexNames(): string[] {
    return [...this.indexes.keys()];
  }

  private record(entry: ReceivedRequest): void {
    this.requestCounts.set(entry.route, (this.requestCounts.get(entry.route) ?? 0) + 1);
    this.requests.push(entry);
    if (this.requests.length > this.maxRequestLog) this.requests.splice(0, this.requests.length - this.maxRequestLog);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const dataPlane = parts[0] === 'data';
    const indexName = dataPlane ? parts[1] : parts[0] === 'indexes' ? parts[1] : undefined;
    const path = dataPlane ? `/${parts.slice(2).join('/')}` : url.pathname;
    const route = dataPlane
      ? `${method} ${path.replace(/^\/namespaces\/.+$/, '/namespaces/{namespace}')}`
      : `${method} ${url.pathname.replace(/^\/indexes\/(?!create-for-model$)[^/]+/, '/indexes/{name}')}`;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    const apiVersion = req.headers['x-pinecone-api-version'];
    const log = (status: number) =>
      this.record({
        method,
        route,
        ...(indexName !== undefined && { index: indexName }),
        status,
        bytes: size,
        ...(typeof apiVersion === 'string' && { apiVersion }),
      });
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log(status);
      if (res.destroyed) return;
      if (body === undefined) {
        res.writeHead(status, headers);
        res.end();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    const sendError = (status: number, message: string, codes?: { grpc: number; control: string }, headers = {}) => {
      const body = dataPlane
        ? { code: codes?.grpc ?? grpcCodeFor(status), message, details: [] }
        : { error: { code: codes?.control ?? controlCodeFor(status), message }, status };
      sendJson(status, body, headers);
    };
    try {
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const fault = this.faults.take(route);
      if (fault?.kind === 'drop') {
        log(0);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 1000);
      if (fault?.kind === 'status') {
        const status = fault.status ?? 503;
        const headers: Record<string, string> =
          status === 429 || fault.retryAfterSeconds !== undefined
            ? { 'retry-after': String(fault.retryAfterSeconds ?? 1) }
            : {};
        sendError(status, fault.message ?? defaultFaultMessage(status, dataPlane), undefined, headers);
        return;
      }
      const given = req.headers['api-key'];
      if (typeof given !== 'string' || given === '' || (this.#apiKey !== undefined && given !== this.#apiKey)) {
        sendError(401, 'Invalid API Key');
        return;
      }
      let body: Record<string, unknown> = {};
      if (size > 0) {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const parsed = JSON.parse(text) as unknown;
          body = isObject(parsed) ? parsed : {};
        } catch (error) {
          throw invalid(`Failed to deserialize the JSON body into the target type: ${(error as Error).message}`);
        }
      }
      if (dataPlane) {
        const result = this.routeData(method, indexName, path, url.searchParams, body, size);
        sendJson(200, result);
      } else {
        const [status, result] = this.routeControl(method, parts, body);
        sendJson(status, result);
      }
    } catch (error) {
      if (error instanceof PineconeHttpError) {
        const headers: Record<string, string> = error instanceof ThrottledError ? { 'retry-after': '1' } : {};
        sendError(error.status, error.message, { grpc: error.grpcCode, control: error.controlCode }, headers);
      } else sendError(500, `Internal Server Error: ${(error as Error).message}`);
    }
  }

  // ── Control plane ─────────────────────────────────────────────────────────

  /** Removes the indexes whose Terminating period is over. */
  private purge(): void {
    const now = Date.now();
    for (const [name, e] of this.indexes) if (e.goneAt !== undefined && now >= e.goneAt) this.indexes.delete(name);
  }

  private routeControl(method: string, parts: string[], body: Record<string, unknown>): [number, unknown] {
    this.purge();
    if (parts[0] !== 'indexes') {
      throw new PineconeHttpError(
        501,
        GRPC.UNIMPLEMENTED,
        'UNIMPLEMENTED',
        `${method} /${parts.join('/')} is not emulated`,
      );
    }
    if (parts.length === 1) {
      if (method === 'POST') return [201, this.createIndex(body)];
      if (method === 'GET') return [200, { indexes: [...this.indexes.values()].map((e) => this.model(e)) }];
    }
    const name = parts[1] as string;
    if (parts.length === 2 && name !== 'create-for-model') {
      if (method === 'GET') return [200, this.model(this.entry(name))];
      if (method === 'DELETE') {
        const entry = this.entry(name);
        if (entry.deletionProtection === 'enabled') {
          throw new PineconeHttpError(
            403,
            GRPC.PERMISSION_DENIED,
            'FORBIDDEN',
            'Deletion protection is enabled for this index. Disable deletion protection before retrying.',
          );
        }
        if (entry.goneAt !== undefined) return [202, undefined];
        if (this.indexDeleteDelayMs > 0) entry.goneAt = Date.now() + this.indexDeleteDelayMs;
        else this.indexes.delete(name);
        return [202, undefined];
      }
      if (method === 'PATCH') return [200, this.configureIndex(this.entry(name), body)];
    }
    throw new PineconeHttpError(
      501,
      GRPC.UNIMPLEMENTED,
      'UNIMPLEMENTED',
      `${method} /${parts.join('/')} is not emulated`,
    );
  }

  private entry(name: string): IndexEntry {
    const entry = this.indexes.get(name);
    if (!entry) throw notFound(`Resource ${name} not found`);
    return entry;
  }

  private state(entry: IndexEntry): { ready: boolean; state: string } {
    if (entry.goneAt !== undefined) return { ready: false, state: 'Terminating' };
    const ready = Date.now() - entry.createdAt >= entry.readyDelayMs;
    return ready ? { ready: true, state: 'Ready' } : { ready: false, state: 'Initializing' };
  }

  private model(entry: IndexEntry, status = this.state(entry)): unknown {
    const spec =
      'serverless' in entry.spec
        ? {
            serverless: {
              ...entry.spec.serverless,
              read_capacity: { mode: 'OnDemand', status: { state: 'Ready' } },
            },
          }
        : { pod: structuredClone(entry.spec.pod) };
    return {
      name: entry.name,
      dimension: entry.dimension,
      metric: entry.metric,
      host: this.hostOf(entry.name),
      deletion_protection: entry.deletionProtection,
      ...(entry.tags && { tags: { ...entry.tags } }),
      spec,
      status,
      vector_type: 'dense',
    };
  }

  private createIndex(body: Record<string, unknown>): unknown {
    const name = body.name;
    if (typeof name !== 'string' || name.length === 0) throw invalid('Missing required field: name');
    if (name.length > PINECONE_LIMITS.maxIndexNameLength || !INDEX_NAME.test(name)) {
      throw invalid(
        `Invalid index name '${name}': it must be 1 to ${PINECONE_LIMITS.maxIndexNameLength} characters, consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character`,
      );
    }
    const vectorType = body.vector_type ?? 'dense';
    if (vectorType !== 'dense') {
      throw new PineconeHttpError(
        400,
        GRPC.INVALID_ARGUMENT,
        'INVALID_ARGUMENT',
        `vector_type '${String(vectorType)}' is not supported by the emulator (dense only)`,
      );
    }
    const dimension = body.dimension;
    if (
      typeof dimension !== 'number' ||
      !Number.isInteger(dimension) ||
      dimension < 1 ||
      dimension > PINECONE_LIMITS.maxDimension
    ) {
      throw invalid(`Dimension must be an integer between 1 and ${PINECONE_LIMITS.maxDimension}`);
    }
    const metric = (body.metric ?? 'cosine') as Metric;
    if (!METRICS.includes(metric)) {
      throw invalid(`Invalid metric '${String(metric)}': expected one of cosine, euclidean, dotproduct`);
    }
    const rawSpec = body.spec;
    if (!isObject(rawSpec)) throw invalid('Missing required field: spec');
    let spec: IndexEntry['spec'];
    if (isObject(rawSpec.serverless)) {
      const { cloud, region } = rawSpec.serverless;
      if (typeof cloud !== 'string' || !CLOUDS.includes(cloud)) {
        throw invalid(`Invalid cloud '${String(cloud)}': expected one of aws, gcp, azure`);
      }
      if (typeof region !== 'string' || region === '') throw invalid('Missing required field: spec.serverless.region');
      if (this.countServerless() >= this.maxServerlessIndexes) {
        throw new PineconeHttpError(
          403,
          GRPC.PERMISSION_DENIED,
          'QUOTA_EXCEEDED',
          `Request failed. You've reached the max serverless indexes allowed in project ${this.projectName} (${this.maxServerlessIndexes}). To add more serverless indexes, upgrade your plan.`,
        );
      }
      spec = { serverless: { cloud, region } };
    } else if (isObject(rawSpec.pod)) {
      const p = rawSpec.pod;
      if (typeof p.environment !== 'string' || p.environment === '') {
        throw invalid('Missing required field: spec.pod.environment');
      }
      const podType = p.pod_type ?? 'p1.x1';
      if (typeof podType !== 'string' || !POD_TYPES.test(podType)) {
        throw invalid(`Invalid pod type '${String(podType)}'`);
      }
      const replicas = p.replicas ?? 1;
      const shards = p.shards ?? 1;
      const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
      if (!positive(replicas)) throw invalid('replicas must be a positive integer');
      if (!positive(shards)) throw invalid('shards must be a positive integer');
      const pods = p.pods ?? (replicas as number) * (shards as number);
      if (!positive(pods)) throw invalid('pods must be a positive integer');
      if (this.countPods() + (pods as number) > this.maxPods) {
        throw new PineconeHttpError(
          403,
          GRPC.PERMISSION_DENIED,
          'QUOTA_EXCEEDED',
          `Request failed. You've reached the max pods allowed in project ${this.projectName} (${this.maxPods}). To increase this limit, adjust your project settings in the console.`,
        );
      }
      const indexed = isObject(p.metadata_config) ? p.metadata_config.indexed : undefined;
      if (indexed !== undefined && (!Array.isArray(indexed) || !indexed.every((f) => typeof f === 'string'))) {
        throw invalid('metadata_config.indexed must be a list of field names');
      }
      spec = {
        pod: {
          environment: p.environment,
          pod_type: podType,
          pods: pods as number,
          replicas: replicas as number,
          shards: shards as number,
          ...(indexed && { metadata_config: { indexed: indexed as string[] } }),
        },
      };
    } else {
      throw invalid('spec must have exactly one of serverless or pod');
    }
    if (this.indexes.has(name)) {
      throw new PineconeHttpError(409, GRPC.ALREADY_EXISTS, 'ALREADY_EXISTS', `Resource ${name} already exists`);
    }
    const deletionProtection = body.deletion_protection === 'enabled' ? 'enabled' : 'disabled';
    const tags = isObject(body.tags) ? (structuredClone(body.tags) as Record<string, string>) : undefined;
    const kind = 'serverless' in spec ? 'serverless' : 'pod';
    const entry: IndexEntry = {
      name,
      dimension,
      metric,
      createdAt: Date.now(),
      readyDelayMs: this.indexReadyDelayMs,
      deletionProtection,
      tags,
      spec,
      data: new EmulatedIndex(
        dimension,
        metric,
        kind,
        () => this.visibilityDelayMs,
        'pod' in spec ? spec.pod.metadata_config?.indexed : undefined,
      ),
    };
    this.indexes.set(name, entry);
    // Pinecone answers create before the index is up.
    return this.model(entry, { ready: false, state: 'Initializing' });
  }

  private countServerless(): number {
    let n = 0;
    for (const e of this.indexes.values()) if ('serverless' in e.spec) n++;
    return n;
  }

  private countPods(): number {
    let n = 0;
    for (const e of this.indexes.values()) if ('pod' in e.spec) n += e.spec.pod.pods;
    return n;
  }

  private configureIndex(entry: IndexEntry, body: Record<string, unknown>): unknown {
    if (body.deletion_protection !== undefined) {
      if (body.deletion_protection !== 'enabled' && body.deletion_protection !== 'disabled') {
        throw invalid(`Invalid deletion_protection '${String(body.deletion_protection)}'`);
      }
      entry.deletionProtection = body.deletion_protection;
    }
    if (isObject(body.tags)) {
      const tags = { ...entry.tags };
      for (const [k, v] of Object.entries(body.tags)) {
        if (v === '' || v === null) delete tags[k];
        else tags[k] = String(v);
      }
      entry.tags = tags;
    }
    const spec = isObject(body.spec) ? body.spec : undefined;
    if (spec && isObject(spec.pod)) {
      if (!('pod' in entry.spec)) throw invalid('Cannot configure pod settings on a serverless index');
      const p = spec.pod;
      if (p.replicas !== undefined) {
        if (typeof p.replicas !== 'number' || !Number.isInteger(p.replicas) || p.replicas < 1) {
          throw invalid('replicas must be a positive integer');
        }
        entry.spec.pod.replicas = p.replicas;
        entry.spec.pod.pods = p.replicas * entry.spec.pod.shards;
      }
      if (p.pod_type !== undefined) {
        if (typeof p.pod_type !== 'string' || !POD_TYPES.test(p.pod_type)) {
          throw invalid(`Invalid pod type '${String(p.pod_type)}'`);
        }
        entry.spec.pod.pod_type = p.pod_type;
      }
    }
    return this.model(entry);
  }

  // ── Data plane ────────────────────────────────────────────────────────────

  private rateLimit(index: string, method: string, path: string, namespace: string): void {
    const limit = this.maxRequestsPerSecond;
    if (limit === undefined) return;
    const key = `${index}\0${method} ${path}\0${namespace}`;
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= 1000) {
      this.windows.set(key, { start: now, count: 1 });
      return;
    }
    window.count++;
    if (window.count > limit) {
      const operation = path.replace(/^\/(vectors\/)?/, '').replace(/\/.*$/, '');
      throw new ThrottledError(
        `Request failed. You've reached the max ${operation} requests per second limit (${limit}) for namespace '${namespace}'. Please slow down and retry.`,
      );
    }
  }

  private routeData(
    method: string,
    indexName: string | undefined,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    bodyBytes: number,
  ): unknown {
    this.purge();
    const entry = indexName === undefined ? undefined : this.indexes.get(indexName);
    if (!entry || entry.goneAt !== undefined) throw notFound(`Index ${indexName ?? ''} not found`);
    if (!this.state(entry).ready) {
      throw new PineconeHttpError(503, GRPC.UNAVAILABLE, 'UNAVAILABLE', `Index ${entry.name} is not ready`);
    }
    const data = entry.data;
    this.rateLimit(
      entry.name,
      method,
      path,
      typeof body.namespace === 'string' ? body.namespace : (query.get('namespace') ?? ''),
    );
    switch (`${method} ${path}`) {
      case 'POST /vectors/upsert':
        if (bodyBytes > PINECONE_LIMITS.maxUpsertBytes) {
          throw invalid(
            `Request size ${Math.ceil(bodyBytes / (1024 * 1024))}MB exceeds the maximum supported size of 2MB`,
          );
        }
        return data.upsert(body);
      case 'POST /query':
        return data.query(body);
      case 'POST /vectors/fetch_by_metadata':
        return data.fetchByMetadata(body);
      case 'GET /vectors/fetch':
        return data.fetch(query.getAll('ids'), query.get('namespace'));
      case 'POST /vectors/update':
        return data.update(body);
      case 'POST /vectors/delete':
        return data.delete(body);
      case 'GET /vectors/list':
        return data.list(query);
      case 'POST /describe_index_stats':
        return data.stats(body);
      case 'GET /namespaces':
        return data.listNamespaces(query);
      case 'POST /namespaces':
        return data.createNamespace(body);
    }
    const ns = /^\/namespaces\/(.+)$/.exec(path);
    if (ns) {
      const name = ns[1] as string;
      if (method === 'GET') return data.describeNamespace(name);
      if (method === 'DELETE') return data.deleteNamespace(name);
    }
    throw new PineconeHttpError(501, GRPC.UNIMPLEMENTED, 'UNIMPLEMENTED', `${method} ${path} is not emulated`);
  }
}

/** 429 from {@link PineconeEmulator.rateLimit}, with its Retry-After. */
class ThrottledError extends PineconeHttpError {
  constructor(message: string) {
    super(429, GRPC.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED', message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
