import {
  AuthenticationError,
  ClosedError,
  ConnectionError,
  isQStoreError,
  type QStoreError,
  ServiceError,
  TimeoutError,
} from '@q-store/core';
import { abortErrorFor, throwIfAborted } from '@q-store/core/backend';
import { Redis } from 'ioredis';
import type { ResolvedRedisConfig } from './config.js';

const AUTH_FAILURE = /\b(NOAUTH|WRONGPASS)\b|invalid password|invalid username-password/i;

/**
 * The ioredis error without what it carries besides its message: a ReplyError holds the command
 * and its arguments, which for `HELLO`/`AUTH` include the password.
 */
function bareCause(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const bare = new Error(message);
  if (error instanceof Error) {
    bare.name = error.name;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') Object.assign(bare, { code });
  }
  return bare;
}

/** A q-store error for anything ioredis throws; messages name the server, never credentials. */
export function mapRedisError(error: unknown, where: string): QStoreError {
  if (isQStoreError(error)) return error;
  const cause = bareCause(error);
  if (AUTH_FAILURE.test(cause.message)) return new AuthenticationError(`redis ${where}: authentication failed`, cause);
  if (cause.name === 'ReplyError') return new ServiceError(`redis ${where}: ${cause.message}`, undefined, { cause });
  return new ConnectionError(`redis ${where}: ${cause.message}`, cause);
}

/**
 * One ioredis client with the behaviour the cache and the state store need: every call has a
 * timeout and honours an AbortSignal, fails at once (ConnectionError) while the client is not
 * connected, and never leaves a rejected promise unobserved. The client reconnects by itself, and
 * is made to reconnect after `reconnectAfterTimeouts` calls in a row time out (a silent partition).
 */
export class RedisConnection {
  readonly client: Redis;
  readonly where: string;
  readonly keyPrefix: string;
  readonly ttlMs: number;
  readonly operationTimeoutMs: number;
  readonly reconnectAfterTimeouts: number;
  private readonly owned: boolean;
  /** Calls in a row that timed out on this connection; reset by any answer and by a reconnect. */
  private consecutiveTimeouts = 0;
  /** Times a connection was dropped because calls kept timing out (a silent partition). */
  forcedReconnects = 0;
  private closed = false;
  /** The last connection-level error, redacted; for diagnostics. */
  lastError: string | undefined;

  private everReady = false;

  /**
   * @param waitForConnection while (re)connecting, a call waits for the connection up to its
   *   timeout: `'always'` (the state store), `'first'` only before the first connection (the cache:
   *   later it fails fast, so that reads bypass it at once during an outage), or `'never'`.
   */
  constructor(
    config: ResolvedRedisConfig,
    private readonly waitForConnection: 'always' | 'first' | 'never' = 'never',
  ) {
    this.where = config.where;
    this.keyPrefix = config.keyPrefix;
    this.ttlMs = config.ttlMs;
    this.operationTimeoutMs = config.operationTimeoutMs;
    this.reconnectAfterTimeouts = config.reconnectAfterTimeouts;
    this.owned = config.client === undefined;
    this.client = config.client ?? new Redis(config.options ?? {});
    this.everReady = this.client.status === 'ready';
    this.client.on('ready', () => {
      this.everReady = true;
      this.consecutiveTimeouts = 0;
    });
    // Without a listener ioredis prints every connection error; we keep the last one instead.
    this.client.on('error', (error: unknown) => {
      this.lastError = mapRedisError(error, this.where).message;
    });
  }

  /** What `JSON.stringify` shows: never the client (its options hold the password). */
  toJSON(): { where: string; keyPrefix: string; status: string } {
    return { where: this.where, keyPrefix: this.keyPrefix, status: this.status };
  }

  /** What `util.inspect` shows: the same fields as {@link toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options: unknown) => string,
  ): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), options)}`;
  }

  /** `ready` when commands can be sent; `connecting`, `reconnecting`, `end`… otherwise. */
  get status(): string {
    return this.client.status;
  }

  assertOpen(what: string): void {
    if (this.closed) throw new ClosedError(`${what} on redis ${this.where}`);
  }

  /**
   * Runs one Redis call with the timeout (default `operationTimeoutMs`) and the signal. Rejects
   * with ClosedError, AbortError, TimeoutError (retryable), ConnectionError (retryable: not
   * connected, connection lost), AuthenticationError or ServiceError.
   */
  async run<T>(
    what: string,
    call: (client: Redis) => Promise<T>,
    options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
  ): Promise<T> {
    this.assertOpen(what);
    throwIfAborted(options.signal);
    const timeoutMs = options.timeoutMs ?? this.operationTimeoutMs;
    const signal = options.signal;
    if (this.client.status !== 'ready') {
      const wait = this.waitForConnection === 'always' || (this.waitForConnection === 'first' && !this.everReady);
      const reconnecting = ['connecting', 'connect', 'reconnecting', 'wait'].includes(this.client.status);
      if (wait && reconnecting) await this.ready({ timeoutMs, ...(signal && { signal }) });
      else
        throw new ConnectionError(
          `redis ${this.where}: not connected (${this.client.status})${this.lastError ? `; last error: ${this.lastError}` : ''}`,
        );
    }
    let pending: Promise<T>;
    try {
      pending = call(this.client);
    } catch (error) {
      throw mapRedisError(error, this.where);
    }
    // The call may settle after we gave up on it: observe it so that it is never unhandled.
    pending.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`redis ${what} on ${this.where}`, timeoutMs)), timeoutMs);
      if (signal) {
        onAbort = () => reject(abortErrorFor(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      const value = await Promise.race([pending, gaveUp]);
      this.consecutiveTimeouts = 0;
      return value;
    } catch (error) {
      const mapped = mapRedisError(error, this.where);
      if (mapped.code === 'TIMEOUT') this.noteTimeout();
      else if (mapped.code === 'SERVICE') this.consecutiveTimeouts = 0; // the server answered
      throw mapped;
    } finally {
      clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Counts a timed-out call; after `reconnectAfterTimeouts` in a row on a connection that looks
   * open, drops it and lets ioredis reconnect. A silent partition (packets dropped, the socket left
   * open) is noticed this way; until the new connection is ready, calls fail fast.
   */
  private noteTimeout(): void {
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts < this.reconnectAfterTimeouts || this.closed) return;
    this.consecutiveTimeouts = 0;
    if (this.client.status !== 'ready') return;
    this.forcedReconnects++;
    this.lastError = `redis ${this.where}: ${this.reconnectAfterTimeouts} calls in a row timed out; reconnecting`;
    this.client.disconnect(true);
  }

  /**
   * Waits until the client is connected (at most `timeoutMs`, default 5000). Rejects with an
   * AuthenticationError at once when the server refuses the credentials, with a ConnectionError
   * naming the last problem after the timeout.
   */
  ready(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen('ready');
    throwIfAborted(options.signal);
    if (this.client.status === 'ready') return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onError = (error: unknown) => {
        const mapped = mapRedisError(error, this.where);
        if (mapped.code !== 'AUTHENTICATION') return;
        cleanup();
        reject(mapped);
      };
      const onAbort = () => {
        cleanup();
        reject(abortErrorFor(options.signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new ConnectionError(
            `redis ${this.where}: not connected after ${timeoutMs} ms (${this.client.status})${this.lastError ? `; last error: ${this.lastError}` : ''}`,
          ),
        );
      }, timeoutMs);
      this.client.on('ready', onReady);
      this.client.on('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes the client if this connection opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned) return;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through to disconnect
      }
    }
    this.client.disconnect(false);
  }
}

/** Escapes Redis glob characters so that a literal prefix can be used in `SCAN MATCH`. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Every key matching `<literalPrefix>*`, by SCAN (never KEYS: SCAN does not block the server), in
 * batches as the cursor returns them. Keys come back with their prefix.
 */
export async function* scanKeys(
  connection: RedisConnection,
  literalPrefix: string,
  options: { signal?: AbortSignal | undefined; count?: number } = {},
): AsyncGenerator<string[]> {
  const pattern = `${escapeGlob(literalPrefix)}*`;
  let cursor = '0';
  do {
    const [next, keys] = await connection.run(
      'SCAN',
      (c) => c.scan(cursor, 'MATCH', pattern, 'COUNT', options.count ?? 500),
      { signal: options.signal, timeoutMs: Math.max(connection.operationTimeoutMs, 2000) },
    );
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}
