import {
  AuthenticationError,
  CapacityError,
  ConflictError,
  NotFoundError,
  type QStoreError,
  RateLimitedError,
  redactSecrets,
  ServiceError,
  ValidationError,
} from './errors.js';

/** What an HTTP backend knows about a failed answer. */
export interface HttpErrorInfo {
  /** The HTTP status code of the answer. */
  status: number;
  /** What was being done, for the message: `"upsert into index 'docs'"`. */
  operation: string;
  /** The service's error text (body message), redacted before use. */
  detail?: string;
  /** The `Retry-After` header as sent: delta-seconds or an HTTP date. */
  retryAfter?: string | null;
  /** True when the service said the failure is a quota or plan limit (e.g. Pinecone's 403 / 429 quota bodies). */
  quota?: boolean;
  /** The field a validation answer is about, when the service names one. */
  field?: string;
  cause?: unknown;
  /** Clock for an HTTP-date `Retry-After`; `Date.now` by default. */
  now?: () => number;
}

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3): delta-seconds, or an HTTP date turned into the
 * milliseconds from `now` to it (0 when it is already past). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now());
}

/**
 * The one mapping from an HTTP status to q-store's typed errors, shared by every HTTP backend
 * (Pinecone, Qdrant, IonQ) so they fail alike:
 *
 * | status | error | retryable |
 * |---|---|---|
 * | 400, 422 | `ValidationError` (field from `info.field`, else `request`) | no |
 * | 401, 403 | `AuthenticationError` | no |
 * | 404 | `NotFoundError` | no |
 * | 409 | `ConflictError` | no |
 * | 429 | `RateLimitedError` with `retryAfterMs` from `Retry-After` | yes |
 * | `quota: true` (any status) | `CapacityError` | no |
 * | 5xx | `ServiceError` | yes |
 * | anything else | `ServiceError` | no |
 *
 * The detail text is passed through `redactSecrets` so an echoed API key never reaches a message.
 */
export function errorFromHttpStatus(info: HttpErrorInfo): QStoreError {
  const { status, operation, cause } = info;
  const detail = info.detail === undefined || info.detail === '' ? '' : `: ${redactSecrets(info.detail)}`;
  const what = `${operation} failed with HTTP ${status}${detail}`;
  if (info.quota) return new CapacityError(`${what} (quota or plan limit reached)`, status, cause);
  switch (status) {
    case 400:
    case 422:
      return new ValidationError([{ field: info.field ?? 'request', message: `${operation} rejected${detail}` }]);
    case 401:
    case 403:
      return new AuthenticationError(`${what} (check the API key and its permissions)`, cause);
    case 404:
      return new NotFoundError(`${operation}: resource (HTTP 404${detail})`);
    case 409:
      return new ConflictError(what, status, cause);
    case 429: {
      const retryAfterMs = parseRetryAfter(info.retryAfter, info.now);
      return new RateLimitedError(
        `${what}${retryAfterMs === undefined ? '' : ` (retry after ${retryAfterMs} ms)`}`,
        retryAfterMs,
        cause,
      );
    }
    default:
      return new ServiceError(what, status, cause === undefined ? {} : { cause });
  }
}
