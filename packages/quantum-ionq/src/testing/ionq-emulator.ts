import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, LoopbackServer } from '@q-store/core/backend';
import { compileCircuit } from '../gate-compiler.js';
import { QIS_GATES } from '../ionq-gates.js';
import { IONQ_LIMITS } from '../ionq-limits.js';
import {
  ApiError,
  type BackendInfo,
  badRequest,
  type ParsedJob,
  parseCircuit,
  parseJobRequest,
} from './job-request.js';
import { ARIA_FIGURES, errorRates, type NoiseFigures, Simulation, toIonqMap, toJson } from './simulation.js';

/**
 * An in-process emulator of IonQ's Cloud API v0.4: an HTTP server on 127.0.0.1 that follows the
 * v0.4 contract for jobs (`ionq.circuit.v1`, `ionq.multi-circuit.v1`), results, backends,
 * characterizations and `whoami`, answering errors with IonQ's body
 * `{statusCode, error, message, validation?}`. Jobs walk submitted → ready → started → completed
 * (or failed / canceled) over configurable time and are computed with `@q-store/quantum-sim`:
 * exactly for the ideal simulator, under a depolarizing + readout noise model built from IonQ's
 * published figures for noisy simulator jobs and QPU targets (see `simulation.ts`).
 */

export interface IonqEmulatorTiming {
  /** submitted → ready (validation and compilation), ms. Default 5. `Infinity` keeps jobs there. */
  submitMs?: number;
  /** ready → started (the queue), ms. Default 10. */
  queueMs?: number;
  /** started → completed (execution), ms. Default 10. */
  runMs?: number;
}

/** A job failure as IonQ reports it in `job.failure`. */
export interface IonqFailure {
  code: string;
  message: string;
}

/** One injected fault, applied to the next `times` requests whose `METHOD /v0.4/path` matches. */
export interface IonqFault {
  /**
   * - `status`: answer with `status` (default 503) and IonQ's error body (429 with `Retry-After`
   *   when `retryAfterSeconds` is set);
   * - `delay`: wait `delayMs` before handling the request normally (a slow response);
   * - `drop`: destroy the connection without an answer;
   * - `fail-job`: the job created by the matching POST /v0.4/jobs runs and then fails with `failure`.
   */
  kind: 'status' | 'delay' | 'drop' | 'fail-job';
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  failure?: IonqFailure;
  /**
   * For `status`: a raw body instead of IonQ's JSON error (e.g. the HTML page a proxy returns with
   * a 520), sent as `text/html`.
   */
  rawBody?: string;
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests whose `METHOD /v0.4/path` matches (default: any). */
  match?: RegExp;
}

/** One request received, for tests counting calls (the Authorization header is not kept). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  authorized: boolean;
  at: number;
}

export interface IonqEmulatorOptions {
  /** Accepted API keys (`Authorization: apiKey <key>`). Default ['test-key']. */
  apiKeys?: readonly string[];
  timing?: IonqEmulatorTiming;
  /** Seed of noisy sampling when a job gives no `noise.seed` (default 1; each job adds its number). */
  seed?: number;
  /**
   * Widest circuit whose probabilities are computed exactly (default 12: the exact path costs
   * ~4ⁿ); the ideal simulator's answer for wider circuits is estimated from `idealSamples` shots.
   */
  exactMaxQubits?: number;
  /** Shots behind an ideal answer wider than `exactMaxQubits` (default 100,000). */
  idealSamples?: number;
  /** Largest number of noise trajectories per circuit (default 4096); shots beyond are split. */
  maxTrajectories?: number;
  /** Replaces the figures of a noise model (`aria-1`, `forte-1`, …). */
  noiseFigures?: Record<string, NoiseFigures>;
  /** Replaces or adds backends. */
  backends?: BackendInfo[];
  /** USD per shot per circuit, by backend, for GET /jobs/{id}/cost (default 0 for the simulator, 0.03 for QPUs). */
  pricePerShot?: Record<string, number>;
  /**
   * A rate limit on authenticated requests: beyond `requests` in any `windowMs`, 429 with IonQ's
   * body and `Retry-After` (whole seconds until a slot frees). Default none.
   */
  rateLimit?: { requests: number; windowMs: number };
  /** How many requests `requests` keeps, oldest dropped first (default 10,000; `count` sees all). */
  maxRecordedRequests?: number;
  /** Clock (ms), default Date.now. */
  now?: () => number;
  /** Port; default a free one. */
  port?: number;
}

const DEFAULT_BACKENDS: BackendInfo[] = [
  {
    backend: 'simulator',
    qubits: 29,
    noiseModel: 'ideal',
    nativeGates: ['gpi', 'gpi2', 'ms', 'zz'],
    status: 'available',
  },
  { backend: 'qpu.aria-1', qubits: 25, noiseModel: 'aria-1', nativeGates: ['gpi', 'gpi2', 'ms'], status: 'available' },
  {
    backend: 'qpu.forte-1',
    qubits: 36,
    noiseModel: 'forte-1',
    nativeGates: ['gpi', 'gpi2', 'ms', 'zz'],
    status: 'available',
  },
  {
    backend: 'qpu.forte-enterprise-1',
    qubits: 36,
    noiseModel: 'forte-enterprise-1',
    nativeGates: ['gpi', 'gpi2', 'ms', 'zz'],
    status: 'available',
  },
];

interface ChildJob {
  id: string;
  name: string | null;
  result: Record<string, number> | undefined;
}

/**
 * How long a status read waits for a due job's results before answering `started` (running): small
 * jobs read as completed at once, a wide noisy one (minutes of trajectories) stays cancellable.
 */
const SYNC_COMPUTE_MS = 200;

interface Job {
  id: string;
  number: number;
  request: ParsedJob;
  submittedAt: number;
  readyAt: number;
  startedAt: number;
  completedAt: number;
  canceledAt?: number;
  injectedFailure?: IonqFailure;
  failure?: IonqFailure;
  children: ChildJob[];
  computing?: Promise<void>;
  /** Aborts this job's computation (a cancel while its results are still being computed). */
  abort?: AbortController;
  computed: boolean;
  /** A single-circuit job's result. */
  result?: Record<string, number>;
}

const SUBMITTER_ID = '64b03577072d45001c85e9c4';
const PROJECT_ID = '944904d6-2e30-4cfb-8bc4-04afaabcdd42';
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized Error',
  404: 'Not Found Error',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  520: 'Unknown Error',
  521: 'Web Server Is Down',
  522: 'Connection Timed Out',
  524: 'A Timeout Occurred',
};

const notFound = () =>
  new ApiError(
    404,
    'Not Found Error',
    'Resource not found. See https://docs.ionq.com/ for details, or email support@ionq.co for help.',
  );

export class IonqEmulator {
  private readonly http: LoopbackServer;
  private readonly jobs = new Map<string, Job>();
  /** Child job id → parent job id. */
  private readonly childOf = new Map<string, string>();
  private readonly faults = new FaultQueue<IonqFault>();
  /** Aborted by `stop()`: the computations of jobs in flight end at their next trajectory or call. */
  private computeAbort = new AbortController();
  private readonly apiKeys: readonly string[];
  private timing: Required<IonqEmulatorTiming>;
  private readonly seed: number;
  private readonly maxTrajectories: number;
  private readonly noiseFigures: Record<string, NoiseFigures>;
  private readonly backends = new Map<string, BackendInfo>();
  private readonly pricePerShot: Record<string, number>;
  private readonly now: () => number;
  private readonly simulation: Simulation;
  private readonly characterizationIds = new Map<string, string>();
  private jobCounter = 0;
  /** When the emulator was made: the date of its characterizations. */
  private readonly createdAt: number;
  private readonly rateLimit: { requests: number; windowMs: number } | undefined;
  private readonly recent: number[] = [];
  private readonly maxRecordedRequests: number;
  /** Requests received by `METHOD /v0.4/path`, all of them (the log below keeps the latest). */
  private readonly counts = new Map<string, number>();
  /** The latest requests received (up to `maxRecordedRequests`), in order. */
  readonly requests: RecordedRequest[] = [];

  constructor(options: IonqEmulatorOptions = {}) {
    this.apiKeys = options.apiKeys ?? ['test-key'];
    this.timing = { submitMs: 5, queueMs: 10, runMs: 10, ...options.timing };
    this.seed = options.seed ?? 1;
    this.maxTrajectories = options.maxTrajectories ?? 4096;
    this.noiseFigures = options.noiseFigures ?? {};
    for (const b of [...DEFAULT_BACKENDS, ...(options.backends ?? [])]) this.backends.set(b.backend, b);
    this.pricePerShot = options.pricePerShot ?? {};
    this.now = options.now ?? Date.now;
    this.rateLimit = options.rateLimit;
    this.maxRecordedRequests = options.maxRecordedRequests ?? 10_000;
    this.simulation = new Simulation(options.exactMaxQubits ?? 12, options.idealSamples ?? 100_000);
    this.createdAt = this.now();
    this.http = new LoopbackServer((req, res) => void this.handle(req, res), {
      ...(options.port !== undefined && { port: options.port }),
    });
  }

  /** Starts listening on 127.0.0.1; resolves to the API base URL `http://127.0.0.1:<port>/v0.4`. */
  async start(): Promise<string> {
    await this.http.start();
    return this.url;
  }

  /** The API base URL, like `https://api.ionq.co/v0.4`. */
  get url(): string {
    return `http://127.0.0.1:${this.http.port}/v0.4`;
  }

  /**
   * Stops listening, drops open connections and stops the computations of jobs in flight (their
   * jobs read as failed if the emulator is started again), so a process can exit at once.
   */
  async stop(): Promise<void> {
    this.computeAbort.abort();
    await this.http.stop();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.computing));
    this.computeAbort = new AbortController();
  }

  /** Timing of jobs created from now on. */
  setTiming(timing: IonqEmulatorTiming): void {
    this.timing = { ...this.timing, ...timing };
  }

  /** Applies `fault` to the next matching requests (in order of injection). */
  injectFault(fault: IonqFault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Makes a job that has not finished yet fail with `failure` when it would have completed. */
  failJob(id: string, failure: IonqFailure): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    const status = this.status(job);
    if (status === 'completed' || status === 'failed' || status === 'canceled') {
      throw new Error(`job ${id} is already ${status}`);
    }
    job.injectedFailure = failure;
  }

  /** Requests received whose `METHOD /v0.4/path` matches. */
  count(match: RegExp = /.*/): number {
    let n = 0;
    for (const [route, c] of this.counts) if (match.test(route)) n += c;
    return n;
  }

  /** Forgets the requests received (log and counts). */
  clearRequests(): void {
    this.requests.length = 0;
    this.counts.clear();
  }

  /** Jobs created (parents; multi-circuit children not counted). */
  get jobCount(): number {
    return this.jobCounter;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      body: undefined,
      status: 0,
      authorized: false,
      at: this.now(),
    };
    this.requests.push(record);
    if (this.requests.length > this.maxRecordedRequests) this.requests.shift();
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= IONQ_LIMITS.maxBodyBytes) chunks.push(chunk);
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const fault = this.faults.take(route, (f) => f.kind !== 'fail-job');
      if (fault?.kind === 'drop') {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
      if (fault?.kind === 'status') {
        const status = fault.status ?? 503;
        if (fault.rawBody !== undefined) {
          record.status = status;
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
          res.end(fault.rawBody);
          return;
        }
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        throw new ApiError(status, STATUS_TEXT[status] ?? 'Error', faultMessage(status), undefined, headers);
      }
      const path = url.pathname.startsWith('/v0.4/') ? url.pathname.slice(5) : undefined;
      if (path === undefined) throw notFound();
      record.authorized = this.authorized(req);
      if (needsAuth(path) && !record.authorized) {
        throw new ApiError(
          401,
          'Unauthorized Error',
          'Invalid key provided. See https://docs.ionq.com/#authentication for details, or email support@ionq.co for help.',
        );
      }
      this.checkRateLimit();
      if (size > IONQ_LIMITS.maxBodyBytes) {
        throw new ApiError(413, 'Request Entity Too Large', 'The request body may not exceed 10MB');
      }
      let body: unknown;
      if (chunks.length > 0) {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          body = JSON.parse(text);
        } catch {
          throw badRequest([], 'Request body is not valid JSON', 'payload');
        }
      }
      record.body = body;
      const [status, answer] = await this.route(method, path, url.searchParams, body);
      send(status, answer);
    } catch (error) {
      if (error instanceof ApiError) send(error.status, error.body(), error.headers);
      else {
        send(500, {
          statusCode: 500,
          error: 'Internal Server Error',
          message: `Internal service outage: ${(error as Error).message}`,
        });
      }
    }
  }

  private checkRateLimit(): void {
    const limit = this.rateLimit;
    if (!limit) return;
    const now = this.now();
    while (this.recent.length > 0 && (this.recent[0] as number) <= now - limit.windowMs) this.recent.shift();
    if (this.recent.length >= limit.requests) {
      const wait = Math.max(1, Math.ceil(((this.recent[0] as number) + limit.windowMs - now) / 1000));
      throw new ApiError(429, 'Too Many Requests', faultMessage(429), undefined, { 'retry-after': String(wait) });
    }
    this.recent.push(now);
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const m = /^apiKey (.+)$/.exec(header);
    return m !== null && this.apiKeys.includes(m[1] as string);
  }

  private async route(method: string, path: string, query: URLSearchParams, body: unknown): Promise<[number, unknown]> {
    const parts = path.split('/').filter((p) => p !== '');
    const [head, id, sub, subsub] = parts;
    if (head === 'whoami' && parts.length === 1 && method === 'GET') {
      return [
        200,
        { key_id: 'e060759f-4348-4767-a645-8c0301265791', key_name: 'emulator key', project_id: PROJECT_ID },
      ];
    }
    if (head === 'backends') return [200, this.routeBackends(method, parts, query)];
    if (head !== 'jobs') throw notFound();
    if (parts.length === 1) {
      if (method === 'POST') return [201, this.createJob(body)];
      if (method === 'GET') return [200, await this.listJobs(query)];
      if (method === 'DELETE') return [200, { ids: this.bulk(body).map((j) => this.deleteJob(j)), status: 'deleted' }];
      throw methodNotAllowed(method, path);
    }
    if (id === 'status' && sub === 'cancel' && parts.length === 3) {
      if (method !== 'PUT') throw methodNotAllowed(method, path);
      // Every id is resolved before anything changes; jobs already finished are left as they are.
      const active = this.bulk(body).filter((j) => !['completed', 'failed'].includes(this.status(j)));
      return [200, { ids: active.map((j) => this.cancelJob(j)), status: 'canceled' }];
    }
    if (id === 'estimate' && parts.length === 2) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      return [200, this.estimate(query)];
    }
    const job = this.findJob(id as string);
    if (parts.length === 2) {
      if (method === 'GET') return [200, await this.view(job.parent, job.child)];
      if (method === 'DELETE') {
        if (job.child) throw badRequest(['UUID'], 'a child job is deleted with its parent', 'params');
        return [200, { id: this.deleteJob(job.parent), status: 'deleted' }];
      }
      throw methodNotAllowed(method, path);
    }
    if (sub === 'status' && subsub === 'cancel' && parts.length === 4) {
      if (method !== 'PUT') throw methodNotAllowed(method, path);
      return [200, { id: this.cancelJob(job.parent), status: 'canceled' }];
    }
    if (method !== 'GET') throw methodNotAllowed(method, path);
    if (sub === 'results' && subsub === 'probabilities' && parts.length === 4) {
      const sharpen = query.get('sharpen');
      if (sharpen !== null && sharpen !== 'true' && sharpen !== 'false') {
        throw badRequest(['sharpen'], '"sharpen" must be a boolean', 'query');
      }
      return [200, await this.probabilities(job.parent, job.child)];
    }
    if (sub === 'artifacts' && parts.length === 4) {
      const expected =
        job.parent.request.type === 'ionq.multi-circuit.v1' && !job.child ? 'probabilities-aggregate' : 'probabilities';
      if (subsub !== expected) throw notFound();
      return [200, await this.probabilities(job.parent, job.child)];
    }
    if (sub === 'cost' && parts.length === 3) return [200, this.cost(job.parent)];
    throw notFound();
  }

  // ---- backends -------------------------------------------------------------------------------

  private routeBackends(method: string, parts: string[], query: URLSearchParams): unknown {
    if (method !== 'GET') throw methodNotAllowed(method, `/${parts.join('/')}`);
    if (parts.length === 1) return [...this.backends.values()].map((b) => this.backendView(b));
    const backend = this.backends.get(parts[1] as string);
    if (!backend) throw notFound();
    if (parts.length === 2) return this.backendView(backend);
    if (parts[2] !== 'characterizations' || parts.length > 4) throw notFound();
    if (parts.length === 4) {
      if (parts[3] !== this.characterizationId(backend)) throw notFound();
      return this.characterization(backend);
    }
    const limit = query.get('limit');
    if (limit !== null && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 10)) {
      throw badRequest(['limit'], '"limit" must be an integer from 1 to 10', 'query');
    }
    const page = query.get('page');
    if (page !== null && !(/^\d+$/.test(page) && Number(page) >= 1)) {
      throw badRequest(['page'], '"page" must be an integer ≥ 1', 'query');
    }
    return { characterizations: page === null || page === '1' ? [this.characterization(backend)] : [], pages: 0 };
  }

  private backendView(b: BackendInfo): Record<string, unknown> {
    return {
      backend: b.backend,
      status: b.status,
      qubits: b.qubits,
      average_queue_time: this.timing.queueMs,
      last_updated: new Date(this.createdAt).toISOString(),
      characterization_id: this.characterizationId(b),
      degraded: false,
      supported_gates: [...QIS_GATES],
      supported_native_gates: [...b.nativeGates],
      supported_error_mitigations: b.backend === 'simulator' ? [] : ['debiasing'],
    };
  }

  private characterizationId(b: BackendInfo): string {
    let id = this.characterizationIds.get(b.backend);
    if (!id) {
      id = randomUUID();
      this.characterizationIds.set(b.backend, id);
    }
    return id;
  }

  /** Fidelities of the backend's noise model (the simulator: its default, ideal, has none besides 1). */
  private figures(model: string): NoiseFigures {
    if (model === 'ideal') return { oneQubit: 1, twoQubit: 1, spam: 1 };
    return this.noiseFigures[model] ?? ARIA_FIGURES;
  }

  private characterization(b: BackendInfo): Record<string, unknown> {
    const f = this.figures(b.noiseModel);
    const connectivity: number[][] = [];
    for (let a = 0; a < b.qubits; a++) for (let c = a + 1; c < b.qubits; c++) connectivity.push([a, c]);
    return {
      id: this.characterizationId(b),
      backend: b.backend,
      date: new Date(this.createdAt).toISOString(),
      qubits: b.qubits,
      connectivity,
      fidelity: { spam: { median: f.spam }, '1q': { median: f.oneQubit }, '2q': { median: f.twoQubit } },
      // IonQ's published Aria timings: T1 10–100 s, T2 1 s, 1q 135 µs, 2q 600 µs (seconds here).
      timing: { t1: 10, t2: 1, '1q': 0.000135, '2q': 0.0006, readout: 0.0003, reset: 0.00002 },
    };
  }

  // ---- jobs -----------------------------------------------------------------------------------

  private createJob(body: unknown): Record<string, unknown> {
    const request = parseJobRequest(body, this.backends);
    const injected = this.faults.take('POST /v0.4/jobs', (f) => f.kind === 'fail-job');
    const t = this.timing;
    const now = this.now();
    const id = randomUUID();
    const job: Job = {
      id,
      number: ++this.jobCounter,
      request,
      submittedAt: now,
      readyAt: now + t.submitMs,
      startedAt: now + t.submitMs + t.queueMs,
      completedAt: now + t.submitMs + t.queueMs + (request.dryRun ? 0 : t.runMs),
      children:
        request.type === 'ionq.multi-circuit.v1'
          ? request.circuits.map((c) => ({ id: randomUUID(), name: c.name, result: undefined }))
          : [],
      computed: false,
    };
    if (injected)
      job.injectedFailure = injected.failure ?? { code: 'QuantumComputerError', message: 'injected failure' };
    this.jobs.set(id, job);
    for (const c of job.children) this.childOf.set(c.id, id);
    return { id, status: 'submitted', session_id: request.sessionId };
  }

  private findJob(id: string): { parent: Job; child?: ChildJob } {
    const job = this.jobs.get(id);
    if (job) return { parent: job };
    const parentId = this.childOf.get(id);
    const parent = parentId === undefined ? undefined : this.jobs.get(parentId);
    const child = parent?.children.find((c) => c.id === id);
    if (!parent || !child) throw notFound();
    return { parent, child };
  }

  private status(job: Job): string {
    const now = this.now();
    if (job.canceledAt !== undefined) return 'canceled';
    if (now >= job.completedAt) return job.injectedFailure || job.failure ? 'failed' : 'completed';
    if (now >= job.startedAt) return 'started';
    if (now >= job.readyAt) return 'ready';
    return 'submitted';
  }

  /**
   * Runs the job's circuits once it is due. Results are ready whenever it reads as completed: a job
   * whose computation takes longer than {@link SYNC_COMPUTE_MS} reads as `started` (running) until
   * its results exist, as on IonQ, and can be cancelled meanwhile (which stops the computation).
   */
  private async settle(job: Job): Promise<string> {
    const status = this.status(job);
    if (status !== 'completed' || job.computed || job.request.dryRun) return status;
    if (!job.computing) {
      job.abort = new AbortController();
      job.computing = this.compute(job, AbortSignal.any([this.computeAbort.signal, job.abort.signal]));
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      job.computing.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), SYNC_COMPUTE_MS);
      }),
    ]);
    clearTimeout(timer);
    return done ? this.status(job) : 'started';
  }

  private async compute(job: Job, signal: AbortSignal): Promise<void> {
    const r = job.request;
    const model =
      r.backend === 'simulator' ? (r.noise?.model ?? 'ideal') : (this.backends.get(r.backend)?.noiseModel ?? 'ideal');
    const seed = r.noise?.seed ?? (this.seed + job.number) | 0;
    try {
      const results: Record<string, number>[] = [];
      for (const [i, c] of r.circuits.entries()) {
        const circuitSeed = (seed + i * 7919) | 0;
        if (model === 'ideal') {
          results.push(toIonqMap(await this.simulation.ideal(c.sim, circuitSeed, signal)));
        } else {
          // IonQ runs qis circuits after compiling them to native gates; noise acts on those.
          const sim =
            c.gateset === 'qis'
              ? parseCircuit(
                  compileCircuit(toJson(c.sim.numQubits, c.sim.gates), { gateset: 'native' }).circuit,
                  c.qubits,
                  'native',
                  'compiled',
                  null,
                ).sim
              : c.sim;
          const counts = await this.simulation.noisy(
            sim,
            errorRates(this.figures(model)),
            r.shots,
            circuitSeed,
            this.maxTrajectories,
            signal,
          );
          results.push(toIonqMap(counts, r.shots));
        }
      }
      if (job.children.length > 0) {
        job.children.forEach((c, i) => {
          c.result = results[i];
        });
      } else job.result = results[0];
    } catch (error) {
      if (job.canceledAt === undefined)
        job.failure = signal.aborted
          ? { code: 'EmulatorStopped', message: 'the emulator was stopped while it computed this job' }
          : { code: 'SimulationError', message: (error as Error).message };
    }
    job.computed = true;
  }

  private iso(t: number | undefined): string | null {
    return t === undefined ? null : new Date(t).toISOString();
  }

  private async view(job: Job, child?: ChildJob, forList = false): Promise<Record<string, unknown>> {
    const status = await this.settle(job);
    const r = job.request;
    const circuits = child ? [r.circuits[job.children.indexOf(child)]] : r.circuits;
    const started = status === 'started' || status === 'completed' || status === 'failed';
    const done = status === 'completed' || status === 'failed';
    const multi = r.type === 'ionq.multi-circuit.v1' && !child;
    const v: Record<string, unknown> = {
      id: child?.id ?? job.id,
      status,
      type: child ? 'ionq.circuit.v1' : r.type,
      backend: r.backend,
      dry_run: r.dryRun,
      submitter_id: SUBMITTER_ID,
      project_id: PROJECT_ID,
      parent_job_id: child ? job.id : null,
      session_id: r.sessionId,
      metadata: r.metadata,
      name: child ? child.name : r.name,
      submitted_at: this.iso(job.submittedAt),
      started_at: started ? this.iso(job.startedAt) : null,
      completed_at: done ? this.iso(job.completedAt) : status === 'canceled' ? this.iso(job.canceledAt) : null,
      predicted_wait_time_ms:
        (status === 'submitted' || status === 'ready') && Number.isFinite(job.startedAt)
          ? Math.max(0, job.startedAt - this.now())
          : null,
      predicted_execution_duration_ms: Number.isFinite(job.completedAt) ? job.completedAt - job.startedAt : null,
      execution_duration_ms: done ? job.completedAt - job.startedAt : null,
      failure: status === 'failed' ? (job.injectedFailure ?? job.failure ?? null) : null,
      cost_model: 'QCT',
      output: {},
      settings: r.settings,
      stats: {
        qubits: Math.max(...circuits.map((c) => c?.qubits ?? 0)),
        circuits: circuits.length,
        gate_counts: {
          '1q': circuits.reduce((s, c) => s + (c?.oneQubitGates ?? 0), 0),
          '2q': circuits.reduce((s, c) => s + (c?.multiQubitGates ?? 0), 0),
        },
      },
      results:
        status === 'completed' && !r.dryRun
          ? multi
            ? {
                'ionq.result.probabilities-aggregate.json.v1': {
                  id: 'probabilities-aggregate',
                  format: 'ionq.result.probabilities-aggregate.json.v1',
                  media_type: 'application/json',
                },
              }
            : {
                'ionq.result.probabilities.json.v1': {
                  id: 'probabilities',
                  format: 'ionq.result.probabilities.json.v1',
                  media_type: 'application/json',
                },
              }
          : null,
    };
    // The contract: `shots` is left out for the ideal simulator, `noise` is there for the simulator only.
    if (r.backend === 'simulator') v.noise = r.noise ?? { model: 'ideal' };
    if (r.backend !== 'simulator' || (r.noise !== undefined && r.noise.model !== 'ideal')) v.shots = r.shots;
    if (!forList) v.child_job_ids = multi ? job.children.map((c) => c.id) : null;
    return v;
  }

  private async probabilities(job: Job, child?: ChildJob): Promise<Record<string, unknown>> {
    const status = await this.settle(job);
    if (status !== 'completed' || job.request.dryRun) throw notFound();
    if (child) return child.result ?? {};
    if (job.request.type === 'ionq.multi-circuit.v1') {
      const out: Record<string, unknown> = {};
      for (const c of job.children) out[c.id] = c.result ?? {};
      return out;
    }
    return job.result ?? {};
  }

  private async listJobs(query: URLSearchParams): Promise<Record<string, unknown>> {
    const ids = query
      .getAll('ids')
      .flatMap((s) => s.split(','))
      .filter((s) => s !== '');
    const status = query.get('status');
    const statuses = ['submitted', 'ready', 'started', 'canceled', 'failed', 'completed'];
    if (status !== null && !statuses.includes(status)) {
      throw badRequest(['status'], `"status" must be one of [${statuses.join(', ')}]`, 'query');
    }
    const targets = query.get('target')?.split(',');
    const parent = query.get('parent_job_id');
    const limitText = query.get('limit');
    const limit = limitText === null ? 25 : Number(limitText);
    if (!(Number.isInteger(limit) && limit >= 1))
      throw badRequest(['limit'], '"limit" must be an integer ≥ 1', 'query');
    const next = query.get('next');
    const all = [...this.jobs.values()].sort((a, b) => b.number - a.number);
    const views: Array<Record<string, unknown>> = [];
    if (parent !== null) {
      const p = this.jobs.get(parent);
      if (p && p.request.type === 'ionq.multi-circuit.v1') {
        for (const c of p.children) views.push(await this.view(p, c, true));
      }
    } else {
      for (const j of all) views.push(await this.view(j, undefined, true));
    }
    let list = views.filter(
      (v) =>
        (ids.length === 0 || ids.includes(v.id as string)) &&
        (status === null || v.status === status) &&
        (targets === undefined || targets.includes(v.backend as string)),
    );
    if (next !== null) {
      const at = list.findIndex((v) => v.id === next);
      list = at < 0 ? [] : list.slice(at);
    }
    const page = list.slice(0, limit);
    return { jobs: page, next: list.length > limit ? (list[limit]?.id as string) : null };
  }

  private bulk(body: unknown): Job[] {
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { ids?: unknown }).ids)) {
      throw badRequest(['ids'], '"ids" is required and must be an array of job ids');
    }
    const extra = Object.keys(body).filter((k) => k !== 'ids');
    if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);
    const ids = (body as { ids: unknown[] }).ids;
    return ids.map((id, i) => {
      if (typeof id !== 'string') throw badRequest([`ids[${i}]`], `"ids[${i}]" must be a string`);
      const job = this.jobs.get(id);
      if (!job) throw notFound();
      return job;
    });
  }

  private cancelJob(job: Job): string {
    const status = this.status(job);
    const running = status === 'completed' && !job.computed && job.computing !== undefined;
    if ((status === 'completed' && !running) || status === 'failed') {
      throw badRequest(['UUID'], `job ${job.id} is already ${status} and cannot be canceled`, 'params');
    }
    if (job.canceledAt === undefined) job.canceledAt = this.now();
    job.abort?.abort();
    return job.id;
  }

  private deleteJob(job: Job): string {
    this.jobs.delete(job.id);
    for (const c of job.children) this.childOf.delete(c.id);
    return job.id;
  }

  private price(backend: string): number {
    return this.pricePerShot[backend] ?? (backend === 'simulator' ? 0 : 0.03);
  }

  private cost(job: Job): Record<string, unknown> {
    const r = job.request;
    const value = r.dryRun ? 0 : r.shots * r.circuits.length * this.price(r.backend);
    const out: Record<string, unknown> = { dry_run: r.dryRun, estimated_cost: { value, unit: 'usd' } };
    const status = this.status(job);
    if (status === 'completed' || status === 'failed')
      out.cost = { value: status === 'completed' ? value : 0, unit: 'usd' };
    return out;
  }

  private estimate(query: URLSearchParams): Record<string, unknown> {
    const backend = query.get('backend');
    if (backend === null || !this.backends.has(backend)) {
      throw badRequest(['backend'], '"backend" is required and must be a known backend', 'query');
    }
    const int = (name: string, def: number, min: number, max = 2 ** 31 - 1): number => {
      const raw = query.get(name);
      if (raw === null) return def;
      const v = Number(raw);
      if (!(/^\d+$/.test(raw) && v >= min && v <= max)) {
        throw badRequest([name], `"${name}" must be an integer from ${min} to ${max}`, 'query');
      }
      return v;
    };
    const type = query.get('type') ?? 'ionq.circuit.v1';
    const qubits = int('qubits', 25, 1);
    const shots = int('shots', 1000, 1, IONQ_LIMITS.maxShots);
    const oneQ = int('1q_gates', 0, 0);
    const twoQ = int('2q_gates', 0, 0);
    const value = shots * this.price(backend);
    return {
      estimate_context: {
        backend,
        type,
        qubits,
        shots,
        '1q_gates': oneQ,
        '2q_gates': twoQ,
        error_mitigation: query.get('error_mitigation') === 'true',
        organization: null,
        project: PROJECT_ID,
      },
      estimated_at: new Date(this.now()).toISOString(),
      estimated_unit: 'usd',
      rate_card: {
        id: 'emulator',
        rates: [{ sku: `${backend}-shot`, unit: 'compute_second', unit_cost: this.price(backend) }],
      },
      estimated_total_cost: value,
      estimated_execution_time: this.timing.runMs,
      current_predicted_queue_time: this.timing.queueMs,
    };
  }
}

function needsAuth(path: string): boolean {
  return !path.startsWith('/backends');
}

function methodNotAllowed(method: string, path: string): ApiError {
  return new ApiError(405, 'Method Not Allowed', `${method} is not allowed on /v0.4${path}`);
}

function faultMessage(status: number): string {
  if (status === 429) return 'Too Many Requests. To get a higher rate limit, please reach out to support@ionq.co';
  if (status === 502)
    return 'Bad Gateway, this can be caused by misbehaving proxies, or by service issues. These can be retried, and downtime can be found on status.ionq.co';
  if (status === 503) return 'Service Unavailable, this is indicative of service outage, please check status.ionq.co';
  return 'A generic server failure, please reach out to support@ionq.co for help with this error';
}
