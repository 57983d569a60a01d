/**
 * Test doubles of vector stores that behave like remote services where MemoryBackend does not:
 * one eventually consistent, one lacking list by prefix and delete by filter. Both are built on
 * MemoryBackend from outside, run the vector conformance kit (with `settle` and with the flags
 * they declare), and let users try their own code against such a service in-process.
 */

import { UnsupportedOperationError } from '../shared/errors.js';
import { parseFilter } from '../vector/filter-parser.js';
import { MemoryBackend } from '../vector/memory-backend.js';
import type {
  BackendCapabilities,
  CallParams,
  DeleteParams,
  DeleteResult,
  EnsureIndexParams,
  IndexDescription,
  ListParams,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
} from '../vector/types.js';
import { MAX_ID_LENGTH } from '../vector/validation.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import { ForwardingVectorBackend } from './forwarding-backend.js';

export interface EventualMemoryBackendOptions {
  indexName: string;
  /** How long after it is acknowledged a write becomes visible to reads, in ms (default 20). */
  visibilityDelayMs?: number;
  /**
   * Overrides of the declared capabilities (default: MemoryBackend's with `consistency:
   * 'eventual'`). Declaring `consistency: 'immediate'` makes a store that lies about it.
   */
  capabilities?: Partial<BackendCapabilities>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A copy of write params taken when the write is acknowledged, so later caller mutations don't leak. */
function copyRecords(params: UpsertParams): UpsertParams {
  const records = params.records.map((r) => ({
    ...r,
    vector: Float32Array.from(r.vector),
    ...(r.metadata !== undefined && { metadata: structuredClone(r.metadata) }),
  }));
  return { ...params, records, signal: undefined };
}

/**
 * An eventually consistent store, like Pinecone's serverless indexes: writes are acknowledged at
 * once (validated whole, with the usual results and errors) and become visible to reads
 * (`describeIndex`, `query`, `fetch`, `list`, `stats`) `visibilityDelayMs` later, in the order
 * they were acknowledged. Index creation and removal are writes too.
 *
 * It keeps two MemoryBackends: a primary that takes every write as it is acknowledged, and a
 * replica that serves every read and replays the primary's writes after the delay.
 * `settled()` resolves once every write acknowledged so far is visible; pass it as the kit's
 * `settle` hook.
 */
export class EventualMemoryBackend extends ForwardingVectorBackend {
  private readonly declared: BackendCapabilities;
  /** Takes every write as it is acknowledged; the inner backend (the replica) serves the reads. */
  private readonly primary: MemoryBackend;
  private readonly delayMs: number;
  /** The replication chain: resolves after the last acknowledged write was replayed. */
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private replayError: unknown;

  constructor(options: EventualMemoryBackendOptions) {
    const delay = options.visibilityDelayMs ?? 20;
    if (!(Number.isFinite(delay) && delay >= 0)) throw new RangeError(`visibilityDelayMs must be >= 0, got ${delay}`);
    super(new MemoryBackend({ indexName: options.indexName }));
    this.delayMs = delay;
    this.primary = new MemoryBackend({ indexName: options.indexName });
    this.declared = { ...this.primary.capabilities, consistency: 'eventual', ...options.capabilities };
  }

  override get type(): string {
    return 'eventual-memory';
  }

  override get capabilities(): BackendCapabilities {
    return this.declared;
  }

  /** Writes acknowledged but not yet visible. */
  get pendingWrites(): number {
    return this.pending;
  }

  /** Resolves once every write acknowledged so far is visible to reads. */
  async settled(): Promise<void> {
    await this.tail;
    if (this.replayError !== undefined) throw this.replayError;
  }

  /** Queues `apply` on the replica `delayMs` after now, behind every earlier write. */
  private replicate(apply: (replica: VectorBackend) => Promise<unknown>): void {
    const due = Date.now() + this.delayMs;
    this.pending++;
    this.tail = this.tail.then(async () => {
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        await apply(this.inner);
      } catch (error) {
        this.replayError ??= error;
      } finally {
        this.pending--;
      }
    });
  }

  override async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    const description = await this.primary.ensureIndex(params);
    const { dimension, metric } = description;
    this.replicate((r) => r.ensureIndex({ dimension, metric }));
    return description;
  }

  override async dropIndex(params?: CallParams): Promise<void> {
    await this.primary.dropIndex(params);
    this.replicate((r) => r.dropIndex());
  }

  override async upsert(params: UpsertParams): Promise<UpsertResult> {
    const result = await this.primary.upsert(params);
    const copy = copyRecords(params);
    this.replicate((r) => r.upsert(copy));
    return result;
  }

  override async update(params: UpdateParams): Promise<UpdateResult> {
    const result = await this.primary.update(params);
    if (result.updated) {
      const copy: UpdateParams = { ...params, signal: undefined };
      if (params.vector !== undefined) copy.vector = Float32Array.from(params.vector);
      if (params.metadata !== undefined) copy.metadata = structuredClone(params.metadata);
      this.replicate((r) => r.update(copy));
    }
    return result;
  }

  override async delete(params: DeleteParams): Promise<DeleteResult> {
    const result = await this.primary.delete(params);
    const copy = { ...params, signal: undefined } as DeleteParams;
    this.replicate((r) => r.delete(copy));
    return result;
  }

  override async close(): Promise<void> {
    await this.tail;
    await Promise.all([this.primary.close(), this.inner.close()]);
  }
}

export interface LimitedMemoryBackendOptions {
  indexName: string;
  /**
   * Overrides of the declared capabilities (default: MemoryBackend's with `listByPrefix: false`
   * and `deleteByFilter: false`). Claiming them back makes a store that lies about them.
   */
  capabilities?: Partial<BackendCapabilities>;
}

/**
 * A store without list by prefix and delete by filter, as some managed services are (pod-based
 * Pinecone indexes list no ids by prefix; several services delete only by id): `list({prefix})`
 * and `delete({filter})` fail with UnsupportedOperationError, after the usual validation (a
 * malformed prefix or filter is still a VALIDATION / INVALID_FILTER error). Everything else is
 * MemoryBackend's.
 */
export class LimitedMemoryBackend extends ForwardingVectorBackend {
  private readonly declared: BackendCapabilities;

  constructor(options: LimitedMemoryBackendOptions) {
    const inner = new MemoryBackend({ indexName: options.indexName });
    super(inner);
    this.declared = { ...inner.capabilities, listByPrefix: false, deleteByFilter: false, ...options.capabilities };
  }

  override get capabilities(): BackendCapabilities {
    return this.declared;
  }

  override get type(): string {
    return 'limited-memory';
  }

  override list(params?: ListParams): AsyncIterable<string> {
    const prefix = params?.prefix;
    // A prefix that validation would reject goes to MemoryBackend, which rejects it.
    if (typeof prefix !== 'string' || prefix === '' || prefix.length > MAX_ID_LENGTH) return this.inner.list(params);
    const backend = this.type;
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new UnsupportedOperationError(backend, 'list.prefix', 'listByPrefix')),
      }),
    };
  }

  override async delete(params: DeleteParams): Promise<DeleteResult> {
    const filter = (params as { filter?: unknown } | undefined)?.filter;
    const byFilter =
      typeof filter === 'object' && filter !== null && Object.keys(filter).length > 0 && !('ids' in params);
    if (!byFilter) return this.inner.delete(params);
    parseFilter(filter); // an invalid filter is an INVALID_FILTER error first
    throw new UnsupportedOperationError(this.type, 'delete.filter', 'deleteByFilter');
  }
}
