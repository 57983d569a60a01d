import { inspect } from 'node:util';
import {
  AuthenticationError,
  ConnectionError,
  type QStoreError,
  ServiceError,
  TimeoutError,
  ValidationError,
} from '@q-store/core';
import { abortErrorFor, errorFromHttpStatus, parseRetryAfter, raceAbort, throwIfAborted } from '@q-store/core/backend';
import ky, { type KyInstance } from 'ky';
import type { IonqCircuit, IonqGate, IonqGateset } from './ionq-gates.js';

/**
 * A small client of IonQ's REST API v0.4 over `ky`: the job calls the backend needs, with
 * `Authorization: apiKey <key>`, retries, typed errors and no way for the key to leak.
 *
 * ## Retries
 * Answers 429, 502–504 and 520–529 (Cloudflare's origin errors in front of IonQ), and network errors
 * of idempotent calls (GET, PUT), are retried up to `maxRetries` times. The wait before retry k
 * (k = 1, 2, …) is full jitter over an exponential backoff, d_k = U(0, min(maxDelay, base·2^(k−1))),
 * but never less than the server's `Retry-After` (delta-seconds or an HTTP date, read with core's
 * `parseRetryAfter`); a `Retry-After` longer than `maxDelay` is still honoured. The wait aborts with
 * the caller's signal. Any other failure is not retried.
 *
 * ## Errors
 * IonQ's error body `{statusCode, error, message, validation?: {keys}}` goes through core's
 * `errorFromHttpStatus`: 400/422 → ValidationError (field from `validation.keys`, or `qubits` for a
 * "not enough qubits" answer), 413 → ValidationError (`circuits`: the body is over 10 MB), 401/403 → AuthenticationError, 404 → NotFoundError, 429 →
 * RateLimitedError (with `retryAfterMs`), 402 and billing/quota/credit answers → CapacityError, 5xx →
 * ServiceError (retryable). A network failure is ConnectionError, a request past `requestTimeoutMs`
 * TimeoutError.
 *
 * ## The key
 * It lives in a private field (`#`), is sent only in the Authorization header, is cut out of every
 * message the client builds, and `util.inspect` / `JSON.stringify` of the client show `apiKey: '***'`.
 */

/** IonQ's job status (API v0.4). */
export type IonqJobStatus = 'submitted' | 'ready' | 'started' | 'canceled' | 'failed' | 'completed';

/** A job's failure as IonQ reports it. */
export interface IonqFailure {
  code: string;
  message: string;
}

/** The fields of `GET /jobs/{id}` this package reads. */
export interface IonqJob {
  id: string;
  status: IonqJobStatus;
  type: string;
  backend: string;
  name?: string | null;
  metadata?: Record<string, string> | null;
  shots?: number;
  noise?: { model: string; seed?: number };
  failure?: IonqFailure | null;
  child_job_ids?: string[] | null;
  results?: Record<string, { id: string; format: string; media_type?: string }> | null;
  execution_duration_ms?: number | null;
}

/** `POST /jobs` body (`ionq.circuit.v1` or `ionq.multi-circuit.v1`). */
export interface IonqJobPayload {
  type: 'ionq.circuit.v1' | 'ionq.multi-circuit.v1';
  backend: string;
  shots: number;
  name?: string;
  metadata?: Record<string, string>;
  noise?: { model: string; seed?: number };
  input:
    | IonqCircuit
    | {
        gateset: IonqGateset;
        qubits: number;
        circuits: Array<{ name?: string; qubits?: number; circuit: IonqGate[] }>;
      };
}

/** One HTTP exchange, for counting and logging (never carries the key). */
export interface IonqRequestEvent {
  method: string;
  path: string;
  /** 1 for the first try. */
  attempt: number;
  /** The answer's status, or undefined for a network failure. */
  status: number | undefined;
  durationMs: number;
}

export interface IonqClientOptions {
  apiKey: string;
  /** Default `https://api.ionq.co/v0.4`. */
  baseUrl?: string;
  /** Retries after the first try (default 5). */
  maxRetries?: number;
  /** First backoff step in ms (default 250). */
  retryBaseDelayMs?: number;
  /** Longest backoff in ms (default 20,000); a longer `Retry-After` is still honoured. */
  retryMaxDelayMs?: number;
  /** Timeout of one HTTP request in ms (default 30,000). */
  requestTimeoutMs?: number;
  /** Called after every HTTP exchange (for metrics and logs). */
  onRequest?: (event: IonqRequestEvent) => void;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** Random source in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

export const DEFAULT_IONQ_BASE_URL = 'https://api.ionq.co/v0.4';

/** Statuses retried: 429, 502–504, 520–529. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 502 && status <= 504) || (status >= 520 && status <= 529);
}

const BILLING = /billing|quota|credit|payment|insufficient funds|contract/i;
const QUBITS = /not enough qubits|too many qubits|qubits? (exceed|available)/i;

export class IonqClient {
  readonly baseUrl: string;
  #apiKey: string;
  #http: KyInstance;
  readonly #options: Required<Pick<IonqClientOptions, 'maxRetries' | 'retryBaseDelayMs' | 'retryMaxDelayMs'>> &
    Pick<IonqClientOptions, 'onRequest' | 'random'>;

  constructor(options: IonqClientOptions) {
    const issues: Array<{ field: string; message: string }> = [];
    if (typeof options?.apiKey !== 'string' || options.apiKey.trim() === '') {
      issues.push({ field: 'apiKey', message: 'must be a non-empty string (an IonQ API key)' });
    }
    const baseUrl = (options?.baseUrl ?? DEFAULT_IONQ_BASE_URL).replace(/\/+$/, '');
    if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) issues.push({ field: 'baseUrl', message: 'must be an http(s) URL' });
    const count = (field: keyof IonqClientOptions, value: unknown, min: number) => {
      if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
        issues.push({ field, message: `must be an integer ≥ ${min}, got ${String(value)}` });
      }
    };
    count('maxRetries', options?.maxRetries, 0);
    count('retryBaseDelayMs', options?.retryBaseDelayMs, 1);
    count('retryMaxDelayMs', options?.retryMaxDelayMs, 1);
    count('requestTimeoutMs', options?.requestTimeoutMs, 1);
    if (issues.length > 0) throw new ValidationError(issues, 'Invalid IonQ client options');
    this.baseUrl = baseUrl;
    this.#apiKey = options.apiKey;
    this.#options = {
      maxRetries: options.maxRetries ?? 5,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 250,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 20_000,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.random ? { random: options.random } : {}),
    };
    this.#http = ky.create({
      prefixUrl: `${baseUrl}/`,
      headers: { Authorization: `apiKey ${options.apiKey}`, Accept: 'application/json' },
      retry: 0,
      throwHttpErrors: false,
      timeout: options.requestTimeoutMs ?? 30_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** `POST /jobs`. */
  createJob(payload: IonqJobPayload, signal?: AbortSignal): Promise<{ id: string; status: IonqJobStatus }> {
    return this.request('post', 'jobs', 'create IonQ job', signal, payload);
  }

  /** `GET /jobs/{id}`. */
  getJob(id: string, signal?: AbortSignal): Promise<IonqJob> {
    return this.request('get', `jobs/${encodeURIComponent(id)}`, `get IonQ job '${id}'`, signal);
  }

  /** `PUT /jobs/{id}/status/cancel`. */
  cancelJob(id: string, signal?: AbortSignal): Promise<{ id: string; status: string }> {
    return this.request('put', `jobs/${encodeURIComponent(id)}/status/cancel`, `cancel IonQ job '${id}'`, signal);
  }

  /** `GET /jobs/{id}/results/probabilities`: decimal basis state → probability. */
  getProbabilities(id: string, signal?: AbortSignal): Promise<Record<string, number>> {
    return this.request(
      'get',
      `jobs/${encodeURIComponent(id)}/results/probabilities`,
      `get results of IonQ job '${id}'`,
      signal,
    );
  }

  /** `GET /jobs/{id}/artifacts/{artifactId}`. */
  getArtifact(id: string, artifactId: string, signal?: AbortSignal): Promise<unknown> {
    return this.request(
      'get',
      `jobs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(artifactId)}`,
      `get artifact '${artifactId}' of IonQ job '${id}'`,
      signal,
    );
  }

  /** `GET /jobs/{id}/cost`. */
  getJobCost(id: string, signal?: AbortSignal): Promise<{ cost?: { value?: number; unit?: string } }> {
    return this.request('get', `jobs/${encodeURIComponent(id)}/cost`, `get cost of IonQ job '${id}'`, signal);
  }

  /** `GET /backends`. */
  getBackends(signal?: AbortSignal): Promise<Array<{ backend: string; status: string; qubits: number }>> {
    return this.request('get', 'backends', 'list IonQ backends', signal);
  }

  /** `GET /whoami`: checks the key. */
  whoami(signal?: AbortSignal): Promise<{ key_id: string; key_name: string }> {
    return this.request('get', 'whoami', 'check the IonQ API key', signal);
  }

  /** Cuts the key out of a text (an answer could echo it). */
  scrub(text: string): string {
    return this.#apiKey.length > 0 ? text.split(this.#apiKey).join('***') : text;
  }

  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl, apiKey: '***' };
  }

  [inspect.custom](): string {
    return `IonqClient { baseUrl: '${this.baseUrl}', apiKey: '***' }`;
  }

  private async request<T>(
    method: 'get' | 'post' | 'put',
    path: string,
    operation: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<T> {
    const { maxRetries, onRequest } = this.#options;
    const idempotent = method !== 'post';
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      const started = performance.now();
      let response: Response;
      try {
        response = await this.#http(path, {
          method,
          ...(body === undefined ? {} : { json: body }),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        onRequest?.({ method: method.toUpperCase(), path: `/${path}`, attempt, status: undefined, durationMs: 0 });
        if (signal?.aborted) throw abortErrorFor(signal);
        const mapped = this.networkError(error, operation);
        if (!idempotent || attempt > maxRetries) throw mapped;
        await this.pause(attempt, undefined, signal);
        continue;
      }
      onRequest?.({
        method: method.toUpperCase(),
        path: `/${path}`,
        attempt,
        status: response.status,
        durationMs: performance.now() - started,
      });
      if (response.ok) {
        const text = await raceAbort(response.text(), signal);
        return (text === '' ? {} : JSON.parse(text)) as T;
      }
      const retryAfter = response.headers.get('retry-after');
      if (isRetryableStatus(response.status) && attempt <= maxRetries) {
        await response.body?.cancel().catch(() => undefined);
        await this.pause(attempt, retryAfter, signal);
        continue;
      }
      throw await this.httpError(response, operation, retryAfter);
    }
  }

  /** Full jitter over min(max, base·2^(attempt−1)), at least the server's Retry-After. */
  private async pause(attempt: number, retryAfter: string | null | undefined, signal: AbortSignal | undefined) {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.#options;
    const random = this.#options.random ?? Math.random;
    const backoff = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** (attempt - 1)) * random();
    const asked = parseRetryAfter(retryAfter);
    await sleep(Math.max(backoff, asked ?? 0), signal);
  }

  private networkError(error: unknown, operation: string): QStoreError {
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? this.scrub(error.message) : 'unknown error';
    if (name === 'TimeoutError') return new TimeoutError(operation);
    const code = (error as { cause?: { code?: string } })?.cause?.code;
    return new ConnectionError(`${operation}: ${message}${code ? ` (${code})` : ''}`);
  }

  private async httpError(response: Response, operation: string, retryAfter: string | null): Promise<QStoreError> {
    const text = this.scrub(await response.text().catch(() => ''));
    let body: { error?: unknown; message?: unknown; validation?: { keys?: unknown } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: keep the text
    }
    const message = typeof body.message === 'string' ? body.message : text.slice(0, 300);
    const kind = typeof body.error === 'string' ? body.error : '';
    const detail = [kind, message].filter((s) => s !== '').join(': ');
    const keys = Array.isArray(body.validation?.keys) ? body.validation.keys.filter((k) => typeof k === 'string') : [];
    const field = QUBITS.test(detail) ? 'qubits' : (keys[0] as string | undefined);
    const status = response.status;
    if (status === 413) {
      return new ValidationError(
        [{ field: 'circuits', message: `${operation}: the request body is over IonQ's 10 MB limit (HTTP 413)` }],
        'Request too large for IonQ',
      );
    }
    if (status === 401 || status === 403) {
      return new AuthenticationError(`${operation} failed with HTTP ${status}: ${detail} (check the IonQ API key)`);
    }
    return errorFromHttpStatus({
      status,
      operation,
      detail,
      retryAfter,
      quota: status === 402 || (status !== 429 && status < 500 && BILLING.test(detail)),
      ...(field === undefined ? {} : { field }),
    });
  }
}

/** Sleeps `ms`, rejecting with the typed abort error when the signal fires. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return raceAbort(wait, signal).finally(() => clearTimeout(timer));
}

/** Map of IonQ job failure codes to q-store's errors (the failure's code and message kept in the text). */
export function errorFromFailure(jobId: string, failure: IonqFailure | null | undefined): QStoreError {
  const code = failure?.code ?? 'Unknown';
  const what = `IonQ job '${jobId}' failed: ${code}: ${failure?.message ?? 'no reason given'}`;
  const field: Record<string, string> = {
    NotEnoughQubits: 'qubits',
    TooManyShots: 'shots',
    TooManyGates: 'circuits',
    TooManyControls: 'circuits',
    UnsupportedGate: 'circuits',
    InvalidInput: 'input',
    CompilationError: 'circuits',
    QuantumCircuitComplexityError: 'circuits',
  };
  const error: QStoreError =
    field[code] !== undefined
      ? new ValidationError([{ field: field[code] as string, message: what }], 'IonQ rejected the job')
      : ['QuotaExhaustedError', 'UnknownBillingError', 'ContractExpiredError'].includes(code)
        ? errorFromHttpStatus({ status: 402, operation: `IonQ job '${jobId}'`, detail: what, quota: true })
        : new ServiceError(what, undefined, {
            retryable: ['InternalError', 'QuantumComputerError', 'SimulationError', 'SystemCancel'].includes(code),
          });
  return Object.assign(error, { failure: { code, message: failure?.message ?? '' } });
}
