/**
 * One error hierarchy for every q-store package.
 *
 * Every error carries a stable `code` (for programs), a message that names the field, the problem
 * and the limit (for people), an optional `cause`, and `retryable` (whether repeating the same call
 * unchanged may succeed). `isQStoreError` recognises errors across duplicated copies of this package
 * through a `Symbol.for` marker, so `instanceof` is not needed at package boundaries.
 *
 * Messages never carry secrets: anything built from user configuration passes through
 * {@link redactSecrets} first.
 */

const MARKER = Symbol.for('q-store.error');

export type QStoreErrorCode =
  | 'VALIDATION'
  | 'DIMENSION_MISMATCH'
  | 'METRIC_MISMATCH'
  | 'INVALID_FILTER'
  | 'UNSUPPORTED_FILTER'
  | 'UNSUPPORTED_OPERATION'
  | 'INDEX_NOT_FOUND'
  | 'NOT_FOUND'
  | 'UNKNOWN_PLUGIN'
  | 'PARTIAL_WRITE'
  | 'CLOSED'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'CONNECTION'
  | 'AUTHENTICATION'
  | 'RATE_LIMITED'
  | 'SERVICE'
  | 'CONFLICT'
  | 'CAPACITY'
  | 'STORAGE'
  | 'BUDGET_EXCEEDED'
  | 'JOB_CANCELLED';

export interface QStoreErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export class QStoreError extends Error {
  readonly code: QStoreErrorCode;
  readonly retryable: boolean;
  readonly [MARKER] = true;

  constructor(code: QStoreErrorCode, message: string, options: QStoreErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: redactCause(options.cause) });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** True for any q-store error, including one thrown by another copy of this package. */
export function isQStoreError(value: unknown): value is QStoreError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
}

/** One problem found in an input: where it is, what is wrong, and the limit when there is one. */
export interface ValidationIssue {
  /** Path of the offending input, e.g. `records[3].values[17]`, `filter.price.$gt`, `topK`. */
  field: string;
  message: string;
  /** The limit the value broke, when the rule is a limit. */
  limit?: number | string;
}

function describeIssues(summary: string, issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 10).map((i) => `${i.field}: ${i.message}`);
  const more = issues.length > 10 ? ` (and ${issues.length - 10} more)` : '';
  return `${summary}: ${shown.join('; ')}${more}`;
}

/** Most issues one error lists; past this a last issue says that more were found. */
export const MAX_ISSUES = 100;

/** Collects validation problems so that one error reports all of them (up to {@link MAX_ISSUES}). */
export class IssueCollector {
  readonly issues: ValidationIssue[] = [];
  private dropped = 0;

  add(field: string, message: string, limit?: number | string): void {
    if (this.issues.length >= MAX_ISSUES) {
      this.dropped++;
      return;
    }
    this.issues.push(limit === undefined ? { field, message } : { field, message, limit });
  }

  get full(): boolean {
    return this.issues.length >= MAX_ISSUES;
  }

  /** Throws one ValidationError (or the given subclass) listing every issue, if there are any. */
  throwIfAny(summary: string, make?: (issues: ValidationIssue[]) => QStoreError): void {
    if (this.issues.length === 0) return;
    const issues =
      this.dropped > 0
        ? [...this.issues, { field: '(more)', message: `${this.dropped} further problems were not listed` }]
        : this.issues;
    throw make ? make(issues) : new ValidationError(issues, summary);
  }
}

/** Bad input. Carries every problem found, not only the first. Nothing was written. */
export class ValidationError extends QStoreError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], summary = 'Invalid input', code: QStoreErrorCode = 'VALIDATION') {
    const clean = issues.map((i) => ({ ...i, field: redactSecrets(i.field), message: redactSecrets(i.message) }));
    super(code, describeIssues(summary, clean));
    this.issues = clean;
  }

  /** The first offending field, for callers that report one. */
  get field(): string {
    return this.issues[0]?.field ?? '';
  }
}

/** A vector's length differs from the index dimension, or `ensureIndex` asked for another one. */
export class DimensionMismatchError extends ValidationError {
  readonly expected: number;
  readonly actual: number;

  constructor(field: string, expected: number, actual: number) {
    super(
      [{ field, message: `dimension ${actual} does not match the index dimension ${expected}`, limit: expected }],
      'Dimension mismatch',
      'DIMENSION_MISMATCH',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** `ensureIndex` asked for another metric than the existing index has. */
export class MetricMismatchError extends QStoreError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('METRIC_MISMATCH', `metric: the index uses '${expected}', the request asked for '${actual}'`);
  }
}

/** A filter that does not parse: unknown operator, wrong value type, bad nesting. Lists every problem. */
export class FilterValidationError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super(issues, 'Invalid filter', 'INVALID_FILTER');
  }
}

/** A valid filter that this backend cannot express natively. Never dropped silently. */
export class UnsupportedFilterError extends QStoreError {
  constructor(
    readonly backend: string,
    readonly operators: readonly string[],
  ) {
    super(
      'UNSUPPORTED_FILTER',
      `filter: backend '${backend}' cannot express ${operators.map((o) => `'${o}'`).join(', ')}`,
    );
  }
}

/**
 * A valid call this backend cannot serve because it lacks the capability (for example
 * `list({prefix})` without `capabilities.listByPrefix`, `delete({filter})` without
 * `capabilities.deleteByFilter`). `operation` names the call and parameter.
 */
export class UnsupportedOperationError extends QStoreError {
  constructor(
    readonly backend: string,
    readonly operation: string,
    readonly capability: string,
  ) {
    super(
      'UNSUPPORTED_OPERATION',
      `${operation}: backend '${backend}' does not support it (capabilities.${capability} is false)`,
    );
  }
}

export class IndexNotFoundError extends QStoreError {
  constructor(indexName: string) {
    super('INDEX_NOT_FOUND', `index '${indexName}' does not exist: call ensureIndex({dimension, metric}) first`);
  }
}

export class NotFoundError extends QStoreError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** `createBackend` (or another registry) was asked for a type nobody registered. */
export class UnknownPluginError extends QStoreError {
  constructor(
    readonly kind: string,
    readonly type: string,
    readonly known: readonly string[],
  ) {
    super(
      'UNKNOWN_PLUGIN',
      `type: unknown ${kind} type '${type}'; known types: ${known.length ? known.join(', ') : '(none registered)'}`,
    );
  }
}

/**
 * A batch write failed after some chunks had landed. `landedIds` are the records whose chunks the
 * backend confirmed; `failedIds` are the rest. When the failure was a timeout or a lost connection,
 * the failed chunk may still have landed on the server: upserts are idempotent, so retrying
 * `failedIds` is safe. The cause is the error of the first chunk that failed.
 */
export class PartialWriteError extends QStoreError {
  constructor(
    readonly landedIds: readonly string[],
    readonly failedIds: readonly string[],
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'PARTIAL_WRITE',
      `batch write stopped: ${landedIds.length} records landed, ${failedIds.length} did not (${reason})`,
      { cause, retryable: isQStoreError(cause) ? cause.retryable : false },
    );
  }
}

export class ClosedError extends QStoreError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

export class AbortError extends QStoreError {
  constructor(reason?: unknown) {
    super('ABORTED', 'operation aborted', { cause: reason });
  }
}

export class TimeoutError extends QStoreError {
  constructor(what: string, timeoutMs?: number, cause?: unknown) {
    super('TIMEOUT', `${what} timed out${timeoutMs === undefined ? '' : ` after ${timeoutMs} ms`}`, {
      cause,
      retryable: true,
    });
  }
}

/** Network-level failure talking to a service (refused, reset, DNS). Retryable. */
export class ConnectionError extends QStoreError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION', message, { cause, retryable: true });
  }
}

export class AuthenticationError extends QStoreError {
  constructor(message: string, cause?: unknown) {
    super('AUTHENTICATION', message, { cause });
  }
}

export class RateLimitedError extends QStoreError {
  constructor(
    message: string,
    /** Milliseconds the service asked us to wait (`Retry-After`), when it said. */
    readonly retryAfterMs?: number,
    cause?: unknown,
  ) {
    super('RATE_LIMITED', message, { cause, retryable: true });
  }
}

/** The service answered with an error of its own. Retryable for 5xx answers. */
export class ServiceError extends QStoreError {
  constructor(
    message: string,
    readonly status?: number,
    options: QStoreErrorOptions = {},
  ) {
    super('SERVICE', message, { retryable: status !== undefined && status >= 500, ...options });
  }
}

/** The service refused a write that conflicts with its current state (HTTP 409). Not retryable as is. */
export class ConflictError extends QStoreError {
  constructor(
    message: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super('CONFLICT', message, { cause });
  }
}

/**
 * A quota or plan limit of the service is used up (index count, storage, monthly credits). Not
 * retryable: waiting does not help, the account or plan has to change.
 */
export class CapacityError extends QStoreError {
  constructor(
    message: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super('CAPACITY', message, { cause });
  }
}

/** Disk or snapshot trouble in a store that persists locally. */
export class StorageError extends QStoreError {
  constructor(message: string, cause?: unknown) {
    super('STORAGE', message, { cause });
  }
}

/**
 * The typed error for a fired signal: {@link TimeoutError} (retryable) when its reason is a timeout
 * (`AbortSignal.timeout(ms)`), {@link AbortError} otherwise.
 */
export function abortErrorFor(signal: AbortSignal): QStoreError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('operation', undefined, reason);
  }
  return new AbortError(reason);
}

/**
 * Resolves `work`, or rejects with the typed abort error ({@link abortErrorFor}) as soon as the
 * signal fires, even if the work itself ignores the signal. Work that finishes after an abort is
 * handed to `onLate` (e.g. to release a pool client nobody waits for). With `abandonable`, an abort
 * only rejects while it returns true; afterwards `work` decides the outcome.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal?: AbortSignal,
  onLate?: (value: T) => void,
  abandonable?: () => boolean,
): Promise<T> {
  if (!signal) return work;
  const late = () =>
    work.then(
      (value) => onLate?.(value),
      () => undefined,
    );
  if (signal.aborted && (!abandonable || abandonable())) {
    late();
    return Promise.reject(abortErrorFor(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (abandonable && !abandonable()) return;
      late();
      reject(abortErrorFor(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Throws {@link AbortError} (or a timeout error) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFor(signal);
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // user:password@ in URLs; the password may hold '@' or '/' (the last '@' of the token ends it).
  [/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):\S*@/gi, '$1$2:***@'],
  // token@ in URLs (https://ghp_token@host).
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+@/gi, '$1***@'],
  // Authorization values: apiKey / Bearer / Basic followed by a credential.
  [/\b(apikey|bearer|basic)(\s+)[A-Za-z0-9._~+/=:-]{6,}/gi, '$1$2***'],
  // key = "quoted value" or key: 'quoted value', whole.
  [/((?:api[-_]?key|apikey|password|passwd|pwd|secret|token|auth)["']?\s*[:=]\s*)(["'])(?:(?!\2).)*\2/gi, '$1$2***$2'],
  // key = value, key: value, ?key=value
  [/((?:api[-_]?key|apikey|password|passwd|pwd|secret|token)["']?\s*[:=]\s*)[^\s"',}&]+/gi, '$1***'],
];

/** Replaces credentials in URLs, API keys, tokens, passwords and Authorization values with `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A cause whose message or stack holds a secret is replaced by a redacted copy (same name, code and
 * redacted message and stack), so that printing the error's cause chain leaks nothing. Causes
 * without secrets are kept as they are.
 */
function redactCause(cause: unknown): unknown {
  if (!(cause instanceof Error) || isQStoreError(cause)) {
    return typeof cause === 'string' ? redactSecrets(cause) : cause;
  }
  const message = redactSecrets(cause.message);
  const stack = cause.stack === undefined ? undefined : redactSecrets(cause.stack);
  if (message === cause.message && stack === cause.stack) return cause;
  const copy = new Error(message);
  copy.name = cause.name;
  if (stack !== undefined) copy.stack = stack;
  const code = (cause as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}
