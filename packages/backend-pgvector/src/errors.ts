import {
  AuthenticationError,
  ConnectionError,
  isQStoreError,
  type QStoreError,
  ServiceError,
  TimeoutError,
} from '@q-store/core';
import { abortErrorFor } from '@q-store/core/backend';

/**
 * The server has no pgvector extension, or this user may not create it. The message names the fix.
 * A `SERVICE` error that is not retryable: repeating the call changes nothing until someone acts.
 */
export class PgvectorExtensionMissingError extends ServiceError {
  constructor(where: string, reason: 'not-installed' | 'no-privilege' | 'pglite-without-extension', cause?: unknown) {
    const fix = {
      'not-installed':
        'the pgvector extension is not installed on this server. Install it (e.g. the postgresql-<version>-pgvector ' +
        'package, or build it from source: https://github.com/pgvector/pgvector#installation), then run ' +
        "'CREATE EXTENSION vector;' in the database as a superuser. Or use the embedded mode: " +
        'new PgvectorBackend({indexName, embedded: {dataDir}}) runs PostgreSQL with pgvector in process (PGlite).',
      'no-privilege':
        "the pgvector extension is installed but not enabled in this database, and this user may not enable it: ask a superuser to run 'CREATE EXTENSION vector;' in the database.",
      'pglite-without-extension':
        "this PGlite instance was created without the pgvector extension: create it with `import { vector } from '@electric-sql/pglite-pgvector'` and `PGlite.create({ extensions: { vector } })`, or pass `embedded: {}` and let q-store create it.",
    }[reason];
    super(`pgvector extension missing on ${where}: ${fix}`, undefined, { cause, retryable: false });
  }
}

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** The SQLSTATE of a PostgreSQL error (pg and PGlite both expose it as `code`), else undefined. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Turns what `pg` or PGlite threw into a q-store error:
 *
 * - a fired signal: ABORTED (or TIMEOUT for `AbortSignal.timeout`);
 * - network failures (`ECONNREFUSED`, a terminated connection, SQLSTATE class 08, 57P01–57P03): CONNECTION, retryable;
 * - 28000 / 28P01: AUTHENTICATION;
 * - 57014 (statement timeout or cancel): TIMEOUT, retryable;
 * - 40001 / 40P01 (serialization failure, deadlock) and class 53 (out of resources): SERVICE, retryable;
 * - anything else: SERVICE naming the SQLSTATE and the server's message.
 *
 * `where` names the server without credentials (see `describeConnection`).
 */
export function toQStoreError(error: unknown, what: string, where: string, signal?: AbortSignal): QStoreError {
  if (isQStoreError(error)) return error;
  if (signal?.aborted) return abortErrorFor(signal);
  const message = messageOf(error);
  const code = (error as PgLikeError | null)?.code;
  const state = sqlState(error);
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /Connection terminated|connection closed|Client has encountered a connection error/i.test(message) ||
    state?.startsWith('08') ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03'
  ) {
    return new ConnectionError(`${what}: cannot reach PostgreSQL at ${where} (${state ?? code ?? message})`, error);
  }
  if (state === '28000' || state === '28P01') {
    return new AuthenticationError(`${what}: PostgreSQL at ${where} refused the credentials (${state})`, error);
  }
  if (state === '57014') return new TimeoutError(`${what} on PostgreSQL at ${where}`, undefined, error);
  const retryable = state === '40001' || state === '40P01' || state?.startsWith('53') === true;
  return new ServiceError(`${what}: PostgreSQL error${state ? ` ${state}` : ''}: ${message}`, undefined, {
    cause: error,
    retryable,
  });
}
