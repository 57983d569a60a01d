import { ConnectionError, isQStoreError, type QStoreError, RateLimitedError, ValidationError } from '@q-store/core';
import {
  abortErrorFor,
  errorFromHttpStatus,
  parseRetryAfter,
  raceAbort,
  redactSecrets,
  throwIfAborted,
} from '@q-store/core/backend';

/**
 * A non-2xx answer from Pinecone, as q-store's fetch wrapper sees it: the status, the parsed error
 * body and `Retry-After`. The official client wraps it (as the `cause` of its own error), so the
 * status and headers survive to {@link mapPineconeError}.
 */
export class HttpFailure extends Error {
  override name = 'HttpFailure';
  constructor(
    /**
     * Not named `status`: the official client's retrying fetch retries (and drops the cause of)
     * any thrown error with `status >= 500`; q-store does the retrying itself.
     */
    readonly httpStatus: number,
    /** Pinecone's error code: `error.code` (control plane) or the gRPC `code` (data plane). */
    readonly errorCode: string | number | undefined,
    readonly serviceMessage: string,
    /** The `Retry-After` header as sent (delta-seconds or an HTTP date), or null. */
    readonly retryAfter: string | null = null,
  ) {
    super(`HTTP ${httpStatus}: ${serviceMessage}`);
  }

  /** `Retry-After` in milliseconds, when the answer had a readable one. */
  get retryAfterMs(): number | undefined {
    return parseRetryAfter(this.retryAfter);
  }
}

type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Wraps `fetch` so that a non-2xx response becomes an {@link HttpFailure}. Give the result to the
 * official client as `fetchApi` (with `maxRetries: 0`: q-store retries, honouring `Retry-After`).
 */
export function failingFetch(base: FetchLike = globalThis.fetch): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let errorCode: string | number | undefined;
    let message = text;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string }; code?: number; message?: string };
      errorCode = body.error?.code ?? body.code;
      message = body.error?.message ?? body.message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new HttpFailure(response.status, errorCode, message, response.headers.get('retry-after'));
  };
}

function findHttpFailure(error: unknown): HttpFailure | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (e instanceof HttpFailure) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Removes the API key (and anything that looks like a credential) from a text. */
export function scrub(text: string, apiKey: string | undefined): string {
  const plain = apiKey && apiKey.length > 0 ? text.split(apiKey).join('***') : text;
  return redactSecrets(plain);
}

/**
 * Turns what the official client threw into core's typed errors, through core's shared
 * `errorFromHttpStatus` (so Pinecone fails like every other HTTP backend): 400/422
 * ValidationError; 401/403 AuthenticationError; 403 `QUOTA_EXCEEDED` (or any body whose code says
 * so) a non-retryable CapacityError carrying Pinecone's message, which names the quota; 404
 * NotFoundError; 409 ConflictError; 429 RateLimitedError with `retryAfterMs`; 5xx retryable
 * ServiceError; no answer at all ConnectionError (retryable). The client's own argument and
 * configuration errors are ValidationErrors. The API key never appears in a message, and the
 * raw client error is not kept as `cause` (its text may echo what the service sent).
 */
export function mapPineconeError(error: unknown, what: string, apiKey?: string): QStoreError {
  if (isQStoreError(error)) return error;
  const failure = findHttpFailure(error);
  if (failure) {
    return errorFromHttpStatus({
      status: failure.httpStatus,
      operation: what,
      detail: scrub(failure.serviceMessage, apiKey),
      retryAfter: failure.retryAfter,
      quota: failure.errorCode === 'QUOTA_EXCEEDED',
    });
  }
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = scrub(error instanceof Error ? error.message : String(error), apiKey);
  if (name === 'PineconeArgumentError' || name === 'PineconeConfigurationError') {
    return new ValidationError([{ field: 'request', message }], `Invalid ${what}`);
  }
  return new ConnectionError(`${what}: no answer from Pinecone: ${message}`);
}

export interface RetryPolicy {
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff (default 200 ms); attempt n waits up to base·2ⁿ. */
  baseDelayMs?: number;
  /** Longest wait between attempts, also caps `Retry-After` (default 20 s). */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1); default Math.random. */
  random?: () => number;
}

/** Sleeps `ms`, or rejects with the typed abort error as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The wait before retry `attempt` (0 = first retry): the service's `Retry-After` when it gave one,
 * else "equal jitter" backoff d = b/2 + U·b/2 with b = min(maxDelay, base·2^attempt); capped at maxDelay.
 */
export function retryDelayMs(error: QStoreError, attempt: number, policy: RetryPolicy = {}): number {
  const max = policy.maxDelayMs ?? 20_000;
  const after = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
  if (after !== undefined) return Math.min(max, after);
  const bound = Math.min(max, (policy.baseDelayMs ?? 200) * 2 ** attempt);
  return bound / 2 + (policy.random ?? Math.random)() * (bound / 2);
}

/**
 * Runs `attempt` (one request through the official client) and retries retryable failures (429,
 * 5xx, lost connections) with {@link retryDelayMs}; a quota error, 4xx or an abort is thrown at once.
 * Each attempt is raced with the signal, so an abort answers at once even mid-request.
 */
export async function withRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  options: {
    signal?: AbortSignal;
    policy?: RetryPolicy;
    apiKey?: string;
    /** Called before each wait, e.g. to log it (the error is already mapped and scrubbed). */
    onRetry?: (info: { attempt: number; delayMs: number; error: QStoreError }) => void;
  } = {},
): Promise<T> {
  const maxRetries = options.policy?.maxRetries ?? 4;
  for (let n = 0; ; n++) {
    throwIfAborted(options.signal);
    try {
      return await raceAbort(attempt(), options.signal);
    } catch (raw) {
      if (options.signal?.aborted) throw abortErrorFor(options.signal);
      const error = mapPineconeError(raw, what, options.apiKey);
      if (!error.retryable || n >= maxRetries) throw error;
      const delayMs = retryDelayMs(error, n, options.policy);
      options.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
