import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { base64ToTypedArray, typedArrayToBase64 } from '../shared/binary.js';
import { nextSlice } from '../shared/cooperative.js';
import { IndexNotFoundError, StorageError, throwIfAborted, ValidationError } from '../shared/errors.js';
import { BaseVectorBackend } from './base-vector-backend.js';
import { evaluateFilter } from './filter-evaluator.js';
import { FILTER_OPERATORS } from './filter-types.js';
import { score } from './metrics.js';
import { TopK } from './top-k.js';
import type {
  BackendCapabilities,
  DeleteTarget,
  IndexDescription,
  IndexStats,
  Metadata,
  Metric,
  NormalizedQuery,
  QueryMatch,
  RecordChange,
  VectorRecord,
} from './types.js';
import { METRICS } from './types.js';
import { checkMergedMetadata, DEFAULT_MAX_METADATA_BYTES } from './validation.js';
import type { ListPage } from './vector-backend.js';

export interface MemoryBackendOptions {
  indexName: string;
  /**
   * A JSON snapshot file. When given, an existing snapshot is loaded on first use, `save()` writes
   * one atomically (temp file + rename), and `close()` saves.
   */
  snapshotPath?: string;
  /**
   * Records a query scores between two yields to the event loop; default {@link MEMORY_QUERY_SLICE}.
   * `Infinity` never yields (one query then blocks the process for its whole scan).
   */
  querySliceRecords?: number;
}

interface StoredRecord {
  vector: Float32Array;
  metadata: Metadata | undefined;
}

interface SnapshotFile {
  format: 'q-store-memory-snapshot';
  version: 1;
  index: IndexDescription;
  namespaces: Record<string, Array<{ id: string; vector: string; metadata?: Metadata }>>;
}

/** Records scored between two yields to the event loop in one exact query. */
export const MEMORY_QUERY_SLICE = 8192;

function copyMetadata<M extends Metadata>(metadata: M | undefined): M | undefined {
  if (metadata === undefined) return undefined;
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) out[k] = Array.isArray(v) ? [...v] : v;
  return out as M;
}

/**
 * The zero-dependency vector store and the reference oracle for every other backend: exact
 * brute-force search under each metric's formula, every filter operator through the reference
 * evaluator, namespaces, and an optional JSON snapshot file.
 *
 * Query cost is O(n·d) per query over the namespace; meant for tests, demos and datasets up to a
 * few hundred thousand vectors.
 */
export class MemoryBackend<M extends Metadata = Metadata> extends BaseVectorBackend<M> {
  readonly type = 'memory';
  readonly capabilities: BackendCapabilities;
  private readonly snapshotPath: string | undefined;
  private readonly querySlice: number;
  private description: IndexDescription | null = null;
  private readonly namespaces = new Map<string, Map<string, StoredRecord>>();
  private loading: Promise<void> | undefined;

  constructor(options: MemoryBackendOptions) {
    super(options.indexName);
    this.snapshotPath = options.snapshotPath;
    const slice = options.querySliceRecords ?? MEMORY_QUERY_SLICE;
    if (!(slice === Number.POSITIVE_INFINITY || (Number.isInteger(slice) && slice >= 1))) {
      throw new ValidationError([{ field: 'querySliceRecords', message: 'must be a positive integer or Infinity' }]);
    }
    this.querySlice = slice;
    this.capabilities = {
      metrics: METRICS,
      maxDimension: 20_000,
      maxBatchRecords: 1000,
      maxBatchBytes: 2 * 1024 * 1024,
      maxMetadataBytes: DEFAULT_MAX_METADATA_BYTES,
      maxTopK: 10_000,
      namespaces: true,
      filterOperators: FILTER_OPERATORS,
      persistence: options.snapshotPath ? 'file' : 'memory',
      exactSearch: true,
      consistency: 'immediate',
      listByPrefix: true,
      deleteByFilter: true,
    };
  }

  /** Writes the snapshot (temp file + rename, so a crash leaves the previous one intact). */
  async save(): Promise<void> {
    if (!this.snapshotPath) throw new StorageError('save: this MemoryBackend has no snapshotPath');
    if (!this.description) return;
    const snapshot: SnapshotFile = {
      format: 'q-store-memory-snapshot',
      version: 1,
      index: this.description,
      // Null prototype: a namespace named `__proto__` is saved like any other.
      namespaces: Object.create(null),
    };
    for (const [ns, records] of this.namespaces) {
      snapshot.namespaces[ns] = [...records].map(([id, r]) =>
        r.metadata === undefined
          ? { id, vector: typedArrayToBase64(r.vector) }
          : { id, vector: typedArrayToBase64(r.vector), metadata: r.metadata },
      );
    }
    const temp = `${this.snapshotPath}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(dirname(this.snapshotPath), { recursive: true });
      await writeFile(temp, JSON.stringify(snapshot));
      await rename(temp, this.snapshotPath);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new StorageError(`save: could not write snapshot ${this.snapshotPath}`, error);
    }
  }

  /** Loads the snapshot once; concurrent first calls share one read, and a failed read is retried. */
  private load(): Promise<void> {
    this.loading ??= this.readSnapshot().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async readSnapshot(): Promise<void> {
    if (!this.snapshotPath) return;
    let text: string;
    try {
      text = await readFile(this.snapshotPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new StorageError(`load: could not read snapshot ${this.snapshotPath}`, error);
    }
    let snapshot: SnapshotFile;
    try {
      snapshot = JSON.parse(text) as SnapshotFile;
    } catch (error) {
      throw new StorageError(`load: snapshot ${this.snapshotPath} is not valid JSON`, error);
    }
    if (snapshot.format !== 'q-store-memory-snapshot' || snapshot.version !== 1) {
      throw new StorageError(`load: ${this.snapshotPath} is not a q-store memory snapshot (version 1)`);
    }
    this.description = snapshot.index;
    for (const [ns, records] of Object.entries(snapshot.namespaces)) {
      const map = new Map<string, StoredRecord>();
      for (const r of records)
        map.set(r.id, { vector: base64ToTypedArray(r.vector, Float32Array), metadata: r.metadata });
      this.namespaces.set(ns, map);
    }
  }

  private space(namespace: string, create: true): Map<string, StoredRecord>;
  private space(namespace: string, create?: false): Map<string, StoredRecord> | undefined;
  private space(namespace: string, create = false): Map<string, StoredRecord> | undefined {
    let map = this.namespaces.get(namespace);
    if (!map && create) {
      map = new Map();
      this.namespaces.set(namespace, map);
    }
    return map;
  }

  protected async doDescribeIndex(): Promise<IndexDescription | null> {
    await this.load();
    return this.description;
  }

  protected async doCreateIndex({ dimension, metric }: { dimension: number; metric: Metric }): Promise<void> {
    this.description = { name: this.indexName, dimension, metric };
  }

  protected async doDropIndex(): Promise<void> {
    await this.load();
    this.description = null;
    this.namespaces.clear();
    if (this.snapshotPath) {
      try {
        await rm(this.snapshotPath, { force: true });
      } catch (error) {
        throw new StorageError(`dropIndex: could not remove snapshot ${this.snapshotPath}`, error);
      }
    }
  }

  /** The index as stored; IndexNotFoundError when it was dropped while a call was under way. */
  private current(): IndexDescription {
    if (!this.description) throw new IndexNotFoundError(this.indexName);
    return this.description;
  }

  protected async doUpsert({ records, namespace }: { records: VectorRecord<M>[]; namespace: string }): Promise<void> {
    this.current();
    const space = this.space(namespace, true);
    for (const r of records) space.set(r.id, { vector: r.vector, metadata: copyMetadata(r.metadata) });
  }

  /**
   * Exact search: scores every record (after the filter) and keeps the top k in a bounded heap
   * ({@link TopK}: O(n log k) time, O(k) memory), ties broken by id. A scan over more than
   * {@link MEMORY_QUERY_SLICE} records (`querySliceRecords`) waits its turn before each slice
   * (`nextSlice`: one slice per turn of the event loop across all concurrent scans), so timers,
   * other queries and an abort run while it works, and checks the signal after each wait. The scan reads
   * the namespace's records as of the query's start; a concurrent update of a record may be seen.
   */
  protected async doQuery(q: NormalizedQuery): Promise<QueryMatch<M>[]> {
    const metric = this.current().metric;
    const space = this.space(q.namespace);
    if (!space) return [];
    const top = new TopK<{ id: string; score: number; record: StoredRecord }>(q.topK);
    // A scan longer than one slice waits its turn before each slice (the first, and the snapshot of
    // the namespace it scans, included), so many concurrent scans never hold the event loop for more
    // than one slice at a time.
    const sliced = space.size > this.querySlice;
    if (sliced) {
      await nextSlice();
      throwIfAborted(q.signal);
    }
    // The snapshot as two flat arrays (no [id, record] pair per record to allocate and collect).
    const ids = [...space.keys()];
    const records = [...space.values()];
    for (let i = 0; i < ids.length; i++) {
      if (i > 0 && i % this.querySlice === 0) {
        await nextSlice();
        throwIfAborted(q.signal);
      }
      const id = ids[i] as string;
      const record = records[i] as StoredRecord;
      if (q.filter && !evaluateFilter(q.filter, record.metadata)) continue;
      const s = score(metric, q.vector, record.vector);
      if (s < top.threshold) continue;
      top.offer({ id, score: s, record });
    }
    return top.sorted().map(({ id, score: s, record }) => {
      const match: QueryMatch<M> = { id, score: s };
      if (q.includeVectors) match.vector = record.vector.slice();
      if (q.includeMetadata && record.metadata !== undefined) match.metadata = copyMetadata(record.metadata) as M;
      return match;
    });
  }

  protected async doFetch({
    ids,
    namespace,
    includeVectors,
  }: {
    ids: readonly string[];
    namespace: string;
    includeVectors: boolean;
  }): Promise<VectorRecord<M>[]> {
    const space = this.space(namespace);
    const out: VectorRecord<M>[] = [];
    for (const id of ids) {
      const record = space?.get(id);
      if (!record) continue;
      const result: VectorRecord<M> = { id, vector: includeVectors ? record.vector.slice() : new Float32Array(0) };
      if (record.metadata !== undefined) result.metadata = copyMetadata(record.metadata) as M;
      out.push(result);
    }
    return out;
  }

  protected async doUpdate({
    id,
    change,
    namespace,
  }: {
    id: string;
    change: RecordChange<M>;
    namespace: string;
  }): Promise<boolean> {
    const record = this.space(namespace)?.get(id);
    if (!record) return false;
    let metadata = record.metadata;
    if (change.metadata !== undefined) {
      metadata = copyMetadata(
        (change.metadataMode === 'replace' ? change.metadata : { ...record.metadata, ...change.metadata }) as Metadata,
      );
      checkMergedMetadata(metadata as Metadata, this.capabilities.maxMetadataBytes);
    }
    record.metadata = metadata;
    if (change.vector) record.vector = change.vector;
    return true;
  }

  protected async doDelete({ target, namespace }: { target: DeleteTarget; namespace: string }): Promise<number> {
    const space = this.space(namespace);
    if (!space) return 0;
    if ('all' in target) {
      const n = space.size;
      this.namespaces.delete(namespace);
      return n;
    }
    let n = 0;
    if ('ids' in target) {
      for (const id of target.ids) if (space.delete(id)) n++;
    } else {
      for (const [id, record] of space) {
        if (evaluateFilter(target.filter, record.metadata)) {
          space.delete(id);
          n++;
        }
      }
    }
    if (space.size === 0) this.namespaces.delete(namespace);
    return n;
  }

  protected async doListPage(params: {
    namespace: string;
    prefix?: string;
    limit: number;
    cursor?: string;
  }): Promise<ListPage> {
    const { prefix, cursor } = params;
    const ids = [...(this.space(params.namespace)?.keys() ?? [])]
      .filter((id) => (prefix === undefined || id.startsWith(prefix)) && (cursor === undefined || id > cursor))
      .sort();
    const page = ids.slice(0, params.limit);
    return ids.length > params.limit ? { ids: page, nextCursor: page[page.length - 1] as string } : { ids: page };
  }

  protected async doStats(): Promise<Omit<IndexStats, 'dimension' | 'metric'>> {
    // Null prototype: a namespace named `__proto__` is reported like any other.
    const namespaces: IndexStats['namespaces'] = Object.create(null);
    let total = 0;
    for (const [ns, space] of this.namespaces) {
      if (space.size === 0) continue;
      namespaces[ns] = { recordCount: space.size };
      total += space.size;
    }
    return { totalRecordCount: total, namespaces };
  }

  protected async doClose(): Promise<void> {
    if (this.snapshotPath && this.description) await this.save();
  }
}
