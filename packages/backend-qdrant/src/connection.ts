import { ValidationError } from '@q-store/core';
import { raceAbort } from '@q-store/core/backend';
import { QdrantClient } from '@qdrant/js-client-rest';
import { isMissingCollection, type RetryOptions, withRetry } from './errors.js';

/** How to reach Qdrant: a URL, or host and port, or a client of your own (never closed by q-store). */
export interface QdrantConnectionOptions {
  /** `http://localhost:6333`, `https://xyz.cloud.qdrant.io`. */
  url?: string;
  host?: string;
  /** REST port (default 6333). */
  port?: number;
  /** With `host`: default true when an API key is given (as the official client). */
  https?: boolean;
  /** Sent as the `api-key` header; never kept where errors, logs or `util.inspect` could show it. */
  apiKey?: string;
  /** A configured client of your own; q-store uses it and leaves it open. */
  client?: QdrantClient;
  /** Per-request timeout, ms (default 30,000); a request past it is a TimeoutError (retryable). */
  timeoutMs?: number;
  /** Retries of retryable failures (429, 5xx, timeouts, dropped connections). */
  retry?: RetryOptions;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One Qdrant client with the q-store error and retry rules: every call is retried by
 * {@link withRetry}, mapped to core's typed errors, and raced against the caller's signal (the
 * official client's methods take no signal, so an aborted call stops waiting at once and its HTTP
 * request finishes in the background). The client and the API key live in private fields, so
 * `util.inspect` and `JSON.stringify` of anything holding a connection show neither.
 */
export class QdrantConnection {
  readonly #client: QdrantClient;
  readonly #retry: RetryOptions;
  /** Where the client talks to, without credentials (for messages). */
  readonly endpoint: string;
  readonly timeoutMs: number;

  constructor(options: QdrantConnectionOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new ValidationError([{ field: 'timeoutMs', message: `must be a positive number, got ${timeoutMs}` }]);
    }
    this.timeoutMs = timeoutMs;
    this.#retry = options.retry ?? {};
    if (options.client) {
      this.#client = options.client;
      this.endpoint = 'a client of your own';
      return;
    }
    if (options.url === undefined && options.host === undefined) {
      throw new ValidationError(
        [{ field: 'url', message: 'give url, host (and port) or client' }],
        'Invalid Qdrant config',
      );
    }
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535)) {
      throw new ValidationError(
        [{ field: 'port', message: 'must be an integer from 1 to 65535' }],
        'Invalid Qdrant config',
      );
    }
    let endpoint: string;
    if (options.url !== undefined) {
      let parsed: URL;
      try {
        parsed = new URL(options.url);
      } catch {
        throw new ValidationError([{ field: 'url', message: 'is not a URL' }], 'Invalid Qdrant config');
      }
      endpoint = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
    } else {
      // As the official client: https by default when an API key is given.
      const https = options.https ?? options.apiKey !== undefined;
      endpoint = `${https ? 'https' : 'http'}://${options.host}:${options.port ?? 6333}`;
    }
    this.endpoint = endpoint;
    this.#client = new QdrantClient({
      ...(options.url !== undefined && { url: options.url }),
      ...(options.host !== undefined && { host: options.host }),
      ...(options.port !== undefined && { port: options.port }),
      ...(options.https !== undefined && { https: options.https }),
      ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
      timeout: timeoutMs,
      checkCompatibility: false,
    });
  }

  /** Runs one client call with retries, typed errors and the caller's signal. */
  call<T>(
    what: string,
    run: (client: QdrantClient) => Promise<T>,
    signal?: AbortSignal,
    collection?: string,
  ): Promise<T> {
    const work = withRetry(
      what,
      () => run(this.#client),
      collection === undefined ? this.#retry : { ...this.#retry, collection },
      signal,
    );
    return raceAbort(work, signal);
  }

  /** Creates the collection unless it exists (an "already exists" answer from a racing creator is success). */
  async createCollectionIfMissing(
    name: string,
    body: Parameters<QdrantClient['createCollection']>[1],
    signal?: AbortSignal,
  ): Promise<void> {
    const { exists } = await this.call('collectionExists', (c) => c.collectionExists(name), signal);
    if (exists) return;
    try {
      await this.call('createCollection', (c) => c.createCollection(name, body), signal);
    } catch (error) {
      if (/already exists/i.test((error as Error).message)) return;
      throw error;
    }
  }

  /** The collection's info, or null when it does not exist. */
  async collectionInfo(
    name: string,
    signal?: AbortSignal,
  ): Promise<Awaited<ReturnType<QdrantClient['getCollection']>> | null> {
    try {
      return await this.call(
        'getCollection',
        async (c) => {
          try {
            return await c.getCollection(name);
          } catch (error) {
            if (isMissingCollection(error)) return null;
            throw error;
          }
        },
        signal,
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  toJSON(): Record<string, unknown> {
    return { endpoint: this.endpoint, timeoutMs: this.timeoutMs };
  }
}
