import { Lifecycle, raceAbort, validateIndexName } from '@q-store/core/backend';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantConnection, type QdrantConnectionOptions } from './connection.js';
import { uuidV5 } from './ids.js';

export interface QdrantStoreOptions extends QdrantConnectionOptions {
  /** Collection of this store (each store has a default: `qstore-state`, `qstore-training`, `qstore-checkpoints`). */
  collectionName?: string;
}

/** Qdrant collections need a vector: the stores' points carry this one-dimensional placeholder. */
export const PLACEHOLDER_VECTOR = [1];

/**
 * Shared plumbing of the Qdrant stores: one connection, the store's collection created once
 * (a one-dimensional placeholder vector, keyword indexes on the fields the store filters by), the
 * closed state and `close()` waiting for calls in flight (core's `Lifecycle`). Point ids are
 * `uuidv5(JSON.stringify([kind, ...parts]), QSTORE_QDRANT_ID_NAMESPACE)`.
 */
export abstract class QdrantStore {
  readonly collectionName: string;
  protected readonly connection: QdrantConnection;
  #ready: Promise<void> | undefined;
  readonly #lifecycle: Lifecycle;

  protected constructor(
    options: QdrantStoreOptions,
    defaultCollection: string,
    private readonly label: string,
    private readonly keywordFields: readonly string[],
  ) {
    this.collectionName = validateIndexName(options.collectionName ?? defaultCollection);
    this.connection = new QdrantConnection(options);
    this.#lifecycle = new Lifecycle(() => `${this.label} on collection '${this.collectionName}'`);
  }

  /** A deterministic point id for a store key made of parts. */
  protected pointId(...parts: Array<string | number>): string {
    return uuidV5(JSON.stringify([this.label, ...parts]));
  }

  /** The collection, created once per instance (shared work, without any one caller's signal). */
  private ready(signal?: AbortSignal): Promise<void> {
    this.#ready ??= (async () => {
      const name = this.collectionName;
      await this.connection.createCollectionIfMissing(name, { vectors: { size: 1, distance: 'Dot' } });
      const info = await this.connection.collectionInfo(name);
      const indexed = new Set(Object.keys(info?.payload_schema ?? {}));
      for (const field of this.keywordFields) {
        if (indexed.has(field)) continue;
        await this.connection.call('createPayloadIndex', (c) =>
          c.createPayloadIndex(name, { wait: true, field_name: field, field_schema: 'keyword' }),
        );
      }
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return raceAbort(this.#ready, signal);
  }

  /**
   * Runs one public call: CLOSED after `close()`, ABORTED for a fired signal, the collection created
   * first; `close()` waits for it.
   */
  protected run<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    return this.#lifecycle.track(signal, async () => {
      await this.ready(signal);
      return work();
    });
  }

  /** One client call on this store's collection with retries and typed errors. */
  protected call<T>(what: string, fn: (client: QdrantClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.connection.call(`${this.label} ${what}`, fn, signal, this.collectionName);
  }

  /** Every point matching `filter`, its payload only, in pages of `pageSize`. */
  protected async *scrollAll(
    what: string,
    filter: Record<string, unknown>,
    withPayload: string[] | true,
    signal?: AbortSignal,
    pageSize = 1000,
  ): AsyncGenerator<{ id: string | number; payload: Record<string, unknown> }> {
    let offset: string | number | undefined;
    for (;;) {
      const page = await this.call(
        what,
        (c) =>
          c.scroll(this.collectionName, {
            filter: filter as never,
            limit: pageSize,
            with_payload: withPayload,
            with_vector: false,
            ...(offset !== undefined && { offset }),
          }),
        signal,
      );
      for (const point of page.points) {
        yield { id: point.id, payload: (point.payload ?? {}) as Record<string, unknown> };
      }
      const next = page.next_page_offset as string | number | null | undefined;
      if (next === null || next === undefined) return;
      offset = next;
    }
  }

  /** Ends this store (never a client you passed in). Idempotent. */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => undefined);
  }

  toJSON(): Record<string, unknown> {
    return { store: this.label, collectionName: this.collectionName, endpoint: this.connection.endpoint };
  }
}
