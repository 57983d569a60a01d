/**
 * A {@link VectorBackend} that hands every call to another one. The base of the kit's test doubles
 * and views: override the calls you change, the rest pass through untouched (including any param
 * fields this file does not know about).
 */

import { ClosedError } from '../shared/errors.js';
import type {
  BackendCapabilities,
  CallParams,
  DeleteParams,
  DeleteResult,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
} from '../vector/types.js';
import type { VectorBackend } from '../vector/vector-backend.js';

export class ForwardingVectorBackend implements VectorBackend {
  constructor(protected readonly inner: VectorBackend) {}

  get type(): string {
    return this.inner.type;
  }

  get indexName(): string {
    return this.inner.indexName;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    return this.inner.ensureIndex(params);
  }

  describeIndex(params?: CallParams): Promise<IndexDescription | null> {
    return this.inner.describeIndex(params);
  }

  dropIndex(params?: CallParams): Promise<void> {
    return this.inner.dropIndex(params);
  }

  upsert(params: UpsertParams): Promise<UpsertResult> {
    return this.inner.upsert(params);
  }

  query(params: QueryParams): Promise<QueryResult> {
    return this.inner.query(params);
  }

  fetch(params: FetchParams): Promise<FetchResult> {
    return this.inner.fetch(params);
  }

  update(params: UpdateParams): Promise<UpdateResult> {
    return this.inner.update(params);
  }

  delete(params: DeleteParams): Promise<DeleteResult> {
    return this.inner.delete(params);
  }

  list(params?: ListParams): AsyncIterable<string> {
    return this.inner.list(params);
  }

  stats(params?: CallParams): Promise<IndexStats> {
    return this.inner.stats(params);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A client handle over a backend shared by several clients, as many processes share one managed
 * index: every call goes to `shared`, but `close()` ends only this handle (later calls on it fail
 * with CLOSED) and leaves `shared` open. Lets an in-process store such as MemoryBackend run the
 * conformance kit's shared-index mode, where every test group opens and closes its own client.
 */
export function createBackendHandle(shared: VectorBackend): VectorBackend {
  return new BackendHandle(shared);
}

class BackendHandle extends ForwardingVectorBackend {
  private closed = false;

  private open(): VectorBackend {
    if (this.closed) throw new ClosedError(`backend handle '${this.inner.indexName}'`);
    return this.inner;
  }

  override async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    return this.open().ensureIndex(params);
  }

  override async describeIndex(params?: CallParams): Promise<IndexDescription | null> {
    return this.open().describeIndex(params);
  }

  override async dropIndex(params?: CallParams): Promise<void> {
    return this.open().dropIndex(params);
  }

  override async upsert(params: UpsertParams): Promise<UpsertResult> {
    return this.open().upsert(params);
  }

  override async query(params: QueryParams): Promise<QueryResult> {
    return this.open().query(params);
  }

  override async fetch(params: FetchParams): Promise<FetchResult> {
    return this.open().fetch(params);
  }

  override async update(params: UpdateParams): Promise<UpdateResult> {
    return this.open().update(params);
  }

  override async delete(params: DeleteParams): Promise<DeleteResult> {
    return this.open().delete(params);
  }

  override async *list(params?: ListParams): AsyncIterable<string> {
    yield* this.open().list(params);
  }

  override async stats(params?: CallParams): Promise<IndexStats> {
    return this.open().stats(params);
  }

  override async close(): Promise<void> {
    this.closed = true;
  }
}
