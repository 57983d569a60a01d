import { randomBytes } from 'node:crypto';
import { type Metadata, type Metric, ValidationError, type VectorBackend, type VectorRecordInput } from '@q-store/core';
import { Lifecycle, throwIfAborted } from '@q-store/core/backend';
import type { WaitForVisibilityParams } from './pinecone-backend.js';

export interface RecordStoreOptions {
  /** The index the store keeps its records in (a PineconeBackend, or any VectorBackend). */
  backend: VectorBackend;
  /** The namespace of the store's records (each store has its own default). */
  namespace?: string;
  /** When the index does not exist yet, it is created with this dimension (default 8) and cosine. */
  indexDimension?: number;
  /** How long a write waits for its records to become visible before failing (default 60 s). */
  visibilityTimeoutMs?: number;
}

/** A backend that can wait for its writes to become visible (PineconeBackend does). */
interface SettlingBackend {
  waitForVisibility(params: WaitForVisibilityParams): Promise<unknown>;
}

function settles(backend: VectorBackend): backend is VectorBackend & SettlingBackend {
  return typeof (backend as Partial<SettlingBackend>).waitForVisibility === 'function';
}

/** Bytes as base64 chunks that fit in one record's metadata (with room for the other keys). */
export function splitBase64(bytes: Uint8Array, chunkBytes: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < bytes.byteLength; start += chunkBytes) {
    parts.push(Buffer.from(bytes.subarray(start, start + chunkBytes)).toString('base64'));
  }
  if (parts.length === 0) parts.push('');
  return parts;
}

export function joinBase64(parts: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p, 'base64'))));
}

/** A short random token naming one write's records, so a new write never overwrites records a reader may be reading. */
export function generationToken(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Tails of the per-key queues of {@link RecordStore.exclusive}, shared by every store in the process
 * (two handles on one namespace queue together).
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * Shared plumbing of the Pinecone stores: records in one namespace of one index, the index adopted
 * (or created) once, writes that return only when visible to reads (Pinecone is eventually
 * consistent: the store waits with `waitForVisibility`), the closed state, and calls in flight
 * awaited by `close()` (which never closes the backend it was given).
 */
export abstract class RecordStore {
  protected readonly backend: VectorBackend;
  readonly namespace: string;
  private readonly indexDimension: number;
  private readonly visibilityTimeoutMs: number;
  private dimension: number | undefined;
  private metric: Metric = 'cosine';
  private ready: Promise<void> | undefined;
  private readonly lifecycle: Lifecycle;

  protected constructor(options: RecordStoreOptions, defaultNamespace: string, label: string) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object') {
      throw new ValidationError([{ field: 'backend', message: 'must be a VectorBackend' }], `Invalid ${label} options`);
    }
    this.backend = options.backend;
    this.namespace = options.namespace ?? defaultNamespace;
    this.indexDimension = options.indexDimension ?? 8;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 60_000;
    this.lifecycle = new Lifecycle(() => label);
  }

  /** Adopts the index, or creates it (dimension `indexDimension`, cosine). Shared by every call. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      let index = await this.backend.describeIndex();
      if (!index) index = await this.backend.ensureIndex({ dimension: this.indexDimension, metric: 'cosine' });
      this.dimension = index.dimension;
      this.metric = index.metric;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Runs one public call: CLOSED after close, ABORTED for a fired signal, the index prepared first. */
  protected call<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    return this.lifecycle.track(signal, async () => {
      await this.prepare();
      throwIfAborted(signal);
      return work();
    });
  }

  /**
   * Runs `work` after every earlier `exclusive` call with the same key (in this process) settled.
   * Pinecone has no transactions or conditional writes, so a read-modify-write of a manifest is
   * safe only among the writers of one process; writers in other processes can still race.
   */
  protected exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const full = `${this.backend.indexName}\u0000${this.namespace}\u0000${key}`;
    const previous = queues.get(full) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    queues.set(full, tail);
    void tail.then(() => {
      if (queues.get(full) === tail) queues.delete(full);
    });
    return run;
  }

  /**
   * The vector of a record whose payload is in its metadata: `features` when they fit the index
   * (same dimension, and not all zero under cosine), else the unit vector e₀ — valid under every metric.
   */
  protected vectorFor(features?: Float32Array): Float32Array {
    const d = this.dimension as number;
    if (features && features.length === d && (this.metric !== 'cosine' || features.some((x) => x !== 0))) {
      return features;
    }
    const unit = new Float32Array(d);
    unit[0] = 1;
    return unit;
  }

  /** Writes records and waits until reads see them (their metadata, when `exact`). */
  protected async write(records: VectorRecordInput[], signal: AbortSignal | undefined, exact = false): Promise<void> {
    if (records.length === 0) return;
    await this.backend.upsert({ records, namespace: this.namespace, ...(signal && { signal }) });
    if (!settles(this.backend)) return;
    await this.backend.waitForVisibility({
      namespace: this.namespace,
      ...(exact
        ? { records: records.map((r) => ({ id: r.id, ...(r.metadata !== undefined && { metadata: r.metadata }) })) }
        : { ids: records.map((r) => r.id) }),
      deadlineMs: this.visibilityTimeoutMs,
      ...(signal && { signal }),
    });
  }

  /** Deletes ids and waits until reads no longer see them. */
  protected async remove(ids: string[], signal: AbortSignal | undefined): Promise<void> {
    if (ids.length === 0) return;
    await this.backend.delete({ ids, namespace: this.namespace, ...(signal && { signal }) });
    if (!settles(this.backend)) return;
    await this.backend.waitForVisibility({
      namespace: this.namespace,
      deletedIds: ids,
      deadlineMs: this.visibilityTimeoutMs,
      ...(signal && { signal }),
    });
  }

  protected async fetchMetadata(
    ids: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Metadata>> {
    const out = new Map<string, Metadata>();
    if (ids.length === 0) return out;
    const { records } = await this.backend.fetch({
      ids,
      namespace: this.namespace,
      includeVectors: false,
      ...(signal && { signal }),
    });
    for (const [id, record] of records) out.set(id, record.metadata ?? {});
    return out;
  }

  protected async listIds(prefix: string, signal: AbortSignal | undefined): Promise<string[]> {
    const ids: string[] = [];
    for await (const id of this.backend.list({ namespace: this.namespace, prefix, ...(signal && { signal }) })) {
      ids.push(id);
    }
    return ids;
  }

  /** Ends the store's calls; the backend stays open (it was given, not created). Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => undefined);
  }
}
