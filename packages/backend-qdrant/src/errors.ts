import {
  AbortError,
  ConnectionError,
  IndexNotFoundError,
  isQStoreError,
  type QStoreError,
  RateLimitedError,
  ServiceError,
  TimeoutError,
} from '@q-store/core';
import { abortErrorFor, errorFromHttpStatus, throwIfAborted } from '@q-store/core/backend';

/** The error text of a Qdrant answer (`{"status": {"error": "…"}}`), when there is one. */
export function serviceText(data: unknown): string {
  if (data && typeof data === 'object') {
    const status = (data as { status?: unknown }).status;
    if (status && typeof status === 'object' && typeof (status as { error?: unknown }).error === 'string') {
      return (status as { error: string }).error;
    }
  }
  return typeof data === 'string' ? data.slice(0, 300) : '';
}

const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function transportCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSPORT_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What Qdrant says for a collection that does not exist (404 `Collection `x` doesn't exist!`). */
export function isMissingCollection(error: unknown): boolean {
  const e = error as { status?: unknown; data?: unknown };
  return e?.status === 404 && /collection .* (doesn't|does not) exist|not found: collection/i.test(serviceText(e.data));
}

/**
 * Maps what the official client throws to core's typed errors. HTTP answers (`ApiError` with
 * `status`, Qdrant's body and the response headers) go through core's shared
 * `errorFromHttpStatus` (400/422 → ValidationError, 401/403 → AuthenticationError, 404 →
 * NotFoundError, 409 → ConflictError, 429 → RateLimitedError with Retry-After, 5xx → retryable
 * ServiceError, other → ServiceError), with one Qdrant case first: a 404 naming the collection is
 * `IndexNotFoundError` when `collection` is given. The client's own timeout → TimeoutError; a
 * refused, reset or dropped connection → ConnectionError (retryable). Messages are redacted by core;
 * the API key never reaches them (the client keeps it in a request header that no error carries).
 */
export function mapQdrantError(error: unknown, what: string, collection?: string): QStoreError {
  if (isQStoreError(error)) return error;
  const e = error as { name?: string; status?: unknown; data?: unknown; headers?: unknown; message?: string };
  if (e?.name === 'QdrantClientTimeoutError') return new TimeoutError(`qdrant ${what}`, undefined, error);
  if (e?.name === 'QdrantClientResourceExhaustedError') {
    const seconds = (error as { retry_after?: number }).retry_after;
    return new RateLimitedError(
      `qdrant ${what}: rate limited (429)`,
      seconds === undefined ? undefined : seconds * 1000,
      error,
    );
  }
  if (typeof e?.status === 'number') {
    if (collection !== undefined && isMissingCollection(error)) return new IndexNotFoundError(collection);
    const headers = e.headers as Headers | undefined;
    return errorFromHttpStatus({
      status: e.status,
      operation: `qdrant ${what}`,
      detail: serviceText(e.data),
      retryAfter: typeof headers?.get === 'function' ? headers.get('retry-after') : undefined,
      cause: error,
    });
  }
  const code = transportCode(error);
  if (code !== undefined || (error instanceof TypeError && /fetch failed/i.test(error.message))) {
    return new ConnectionError(`qdrant ${what}: connection failed${code ? ` (${code})` : ''}`, error);
  }
  if (e?.name === 'AbortError') return new AbortError(error);
  return new ServiceError(`qdrant ${what}: ${e?.message ?? String(error)}`, undefined, { cause: error });
}

export interface RetryOptions {
  /** Attempts after the first for a retryable error (default 3). */
  retries?: number;
  /** First backoff, ms (default 100); doubles each attempt, capped by `maxDelayMs` (default 2,000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFor(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `call`, mapping failures with {@link mapQdrantError} and retrying retryable ones: delay before
 * attempt n (n ≥ 1) = `Retry-After` when the service sent it, else a uniform random value in
 * [0, min(maxDelayMs, baseDelayMs · 2^(n−1))] ("full jitter"). The sleep aborts with the signal.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions & { collection?: string },
  signal?: AbortSignal,
): Promise<T> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 2_000;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await call();
    } catch (raw) {
      if (signal?.aborted) throw abortErrorFor(signal);
      const error = mapQdrantError(raw, what, options.collection);
      if (!error.retryable || attempt >= retries) throw error;
      const retryAfter = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
      await sleep(retryAfter ?? Math.random() * Math.min(cap, base * 2 ** attempt), signal);
    }
  }
}
