import {
  type BackendCapabilities,
  DEFAULT_MAX_METADATA_BYTES,
  FILTER_OPERATORS,
  type IndexDescription,
  IndexNotFoundError,
  type IndexStats,
  METRICS,
  type Metadata,
  type Metric,
  type QueryMatch,
  StorageError,
  ValidationError,
  type VectorRecord,
} from '@q-store/core';
import type { HookParams, RecordChange } from '@q-store/core/backend';
import {
  BaseVectorBackend,
  checkMergedMetadata,
  type DeleteTarget,
  IssueCollector,
  type ListPage,
  type NormalizedQuery,
} from '@q-store/core/backend';
import { encodeVectorArray, encodeVectorCopy } from './copy-binary.js';
import {
  type ConnectionOptions,
  ensureVectorExtension,
  LazyDriver,
  redactedView,
  type SqlDriver,
  type SqlSession,
  vectorTypeOid,
} from './driver.js';
import { sqlState, toQStoreError } from './errors.js';
import { compileFilter } from './filter-compiler.js';
import {
  decodeVectorSend,
  qualified,
  quoteIdent,
  SqlParams,
  validateSchemaName,
  vectorTableName,
  vectorText,
} from './sql.js';

/** pgvector's largest `vector` dimension. */
export const MAX_VECTOR_DIMENSION = 16_000;
/** Largest dimension an HNSW or IVFFlat index takes on `vector` columns. */
export const MAX_INDEXED_VECTOR_DIMENSION = 2_000;
/** Largest dimension an index takes on `halfvec` (half-precision) expressions. */
export const MAX_INDEXED_HALFVEC_DIMENSION = 4_000;
/**
 * With `index: {type: 'none'}` (every query an exact scan), vectors up to this dimension are stored
 * in the row (`STORAGE PLAIN`, at most 6 KB), so a scan reads them without TOAST lookups. With an
 * HNSW or IVFFlat index the column keeps pgvector's default (`EXTERNAL`: out of line once the row
 * is large), so the rows the filters read stay small. Measured at 20,000 × 768-d (bench:selectivity):
 * PLAIN makes the unfiltered exact scan 3.1× faster (57 against 179 ms) but pushes the jsonb
 * metadata out of line too, and filtered exact scans — what selective filters now run — become
 * 2–13× slower (108–295 against 23–113 ms); HNSW queries are the same either way (5.8 against 6.3 ms).
 */
export const MAX_INLINE_DIMENSION = 1_500;
/** Name of the table that records each index's dimension and metric. */
export const INDEX_REGISTRY_TABLE = 'qstore_indexes';

/**
 * The approximate-nearest-neighbour index on the vector column.
 *
 * - `hnsw` (default): `m` links per node (default 16), `efConstruction` candidates while building
 *   (default 64), `efSearch` candidates per query (default {@link DEFAULT_EF_SEARCH}, {@link DEFAULT_FILTERED_EF_SEARCH}
 *   with a filter; raised to `topK` when that is larger,
 *   up to pgvector's 1,000).
 * - `ivfflat`: `lists` clusters (default 100; pgvector suggests rows/1000), `probes` lists searched
 *   per query (default 1). Build it after loading data (`deferBuild: true`, then `buildIndex()`):
 *   the lists are chosen from the rows present at build time.
 * - `none`: exact search only (sequential scan); allows up to 16,000 dimensions.
 *
 * Up to 2,000 dimensions the index is on the `vector` column; from 2,001 to 4,000 it is on the
 * column cast to `halfvec` (half precision) and results are re-scored on the full-precision vectors.
 * `deferBuild: true` makes `ensureIndex` create only the table; `buildIndex()` then builds the index
 * (loading first and building after is several times faster for bulk loads).
 * `exactBelow` (default {@link DEFAULT_EXACT_BELOW}; 0 turns it off): a filtered approximate query
 * first counts the matching rows, capped at this number, and answers exactly when there are no
 * more; graph searches filtered down to few rows lose recall and are slower than the exact scan.
 */
export type VectorIndexOptions =
  | { type: 'hnsw'; m?: number; efConstruction?: number; efSearch?: number; deferBuild?: boolean; exactBelow?: number }
  | { type: 'ivfflat'; lists?: number; probes?: number; deferBuild?: boolean; exactBelow?: number }
  | { type: 'none' };

/**
 * Default of `index.exactBelow`: a filtered approximate query whose filter (with the namespace)
 * matches at most this many rows is answered exactly. PostgreSQL estimates every jsonb filter at a
 * fixed fraction of the rows, so the planner cannot tell a filter matching 0.1 % of the rows from
 * one matching half of them, and a graph search filtered down to a few rows loses recall (and time).
 */
export const DEFAULT_EXACT_BELOW = 10_000;
/**
 * Default HNSW `ef_search`, chosen on GloVe 100-d (bench:glove, 50,000 base words, 200 held-out
 * queries, m 16, ef_construction 64): recall@10 0.945 at 40 (pgvector's default), 0.987 at 100,
 * 0.996 at 200, 0.999 at 400. For more recall pass `options: {pgvector: {efSearch: 200}}` per query or
 * `index: {efSearch: 200}`.
 */
export const DEFAULT_EF_SEARCH = 100;
/**
 * Default HNSW `ef_search` of a filtered query answered by the graph (the filter matches more than
 * the exact cap), unless `efSearch` is given in the index options or the query. On GloVe 100-d
 * filtered to 10 % of 50,000 rows (bench:glove, m 16, ef_construction 64): recall@10 0.931 at 100,
 * 0.966 at 200, 0.989 at 400.
 */
export const DEFAULT_FILTERED_EF_SEARCH = 200;
/**
 * A filter matching at most this share of the rows is answered exactly (up to `exactBelow` rows).
 * Measured at 20,000 × 768-d (bench:selectivity): the forced graph search keeps recall@10 1.0 at
 * 10 % of the rows but falls to 0.84 at 1 % and 0.89 at 0.1 % (and is slower than exact there).
 */
export const EXACT_FRACTION = 0.05;

export type PgvectorBackendOptions = ConnectionOptions & {
  indexName: string;
  /** PostgreSQL schema of the tables (default `public`); created when missing. */
  schema?: string;
  index?: VectorIndexOptions;
  /** `maintenance_work_mem` while building the index, e.g. `'512MB'` (default: the server's). */
  maintenanceWorkMem?: string;
};

/**
 * Per-call options of the pgvector backend, under `options.pgvector` of a query:
 * `backend.query({vector, topK, options: {pgvector: {efSearch: 400}}})`.
 */
export type PgvectorQueryOptions = {
  /** HNSW candidates for this query (1–1,000); default the index option, raised to topK. */
  efSearch?: number;
  /** IVFFlat lists searched for this query (1–32,768). */
  probes?: number;
};

interface ResolvedIndex {
  type: 'hnsw' | 'ivfflat' | 'none';
  m: number;
  efConstruction: number;
  efSearch: number;
  /** Whether `efSearch` was given (then filtered queries use it too). */
  efSearchGiven: boolean;
  lists: number;
  probes: number;
  deferBuild: boolean;
  exactBelow: number;
}

/** Distance operator, operator-class suffix, and distance → score for each metric (higher is better). */
const METRIC_SQL: Record<Metric, { operator: string; ops: string; score: (distance: number) => number }> = {
  // <=> is cosine distance 1 − cos: score = 1 − distance.
  cosine: { operator: '<=>', ops: 'cosine_ops', score: (d) => 1 - d },
  // <#> is the negated inner product: score = a·b = −distance.
  dot: { operator: '<#>', ops: 'ip_ops', score: (d) => 0 - d },
  // <-> is the Euclidean distance: score = −distance (0, not −0, for identical vectors).
  euclidean: { operator: '<->', ops: 'l2_ops', score: (d) => 0 - d },
};

function intIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function resolveIndexOptions(index: VectorIndexOptions | undefined): ResolvedIndex {
  const issues = new IssueCollector();
  const options = (index ?? { type: 'hnsw' }) as Record<string, unknown>;
  const type = options.type;
  if (type !== 'hnsw' && type !== 'ivfflat' && type !== 'none') {
    issues.add('index.type', `must be 'hnsw', 'ivfflat' or 'none', got ${JSON.stringify(type)}`);
  }
  const pick = (key: string, fallback: number, min: number, max: number): number => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (!intIn(value, min, max)) issues.add(`index.${key}`, `must be an integer from ${min} to ${max}`, max);
    return value as number;
  };
  const resolved: ResolvedIndex = {
    type: type as ResolvedIndex['type'],
    m: pick('m', 16, 2, 100),
    efConstruction: pick('efConstruction', 64, 4, 1000),
    efSearch: pick('efSearch', DEFAULT_EF_SEARCH, 1, 1000),
    efSearchGiven: options.efSearch !== undefined,
    lists: pick('lists', 100, 1, 32_768),
    probes: pick('probes', 1, 1, 32_768),
    deferBuild: options.deferBuild === true,
    exactBelow: pick('exactBelow', DEFAULT_EXACT_BELOW, 0, 1_000_000),
  };
  if (options.deferBuild !== undefined && typeof options.deferBuild !== 'boolean') {
    issues.add('index.deferBuild', 'must be true or false');
  }
  if (resolved.type === 'hnsw' && resolved.efConstruction < 2 * resolved.m) {
    issues.add('index.efConstruction', `must be at least 2 × m (${2 * resolved.m})`, 2 * resolved.m);
  }
  issues.throwIfAny('Invalid index options');
  return resolved;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

interface IndexRow {
  dimension: number;
  metric: Metric;
}

/**
 * VectorBackend on PostgreSQL with pgvector, through a `pg` pool or an embedded PGlite.
 *
 * One index is one table `qstore_v_<name>` in the schema: `namespace text, id text` (primary key
 * together, ids compared byte-wise), `embedding vector(d)`, `metadata jsonb`, `created_at`,
 * `updated_at`; plus a row in `qstore_indexes` with the dimension and metric. Scores follow core's
 * formulas, computed by pgvector from the stored float32 values (higher is better):
 *
 * - cosine: 1 − (a <=> b) = a·b / (‖a‖ ‖b‖)
 * - dot: −(a <#> b) = a·b
 * - euclidean: −(a <-> b) = −‖a − b‖₂
 *
 * `query({exact: true})` scans every row of the namespace (index scans disabled for the query);
 * otherwise the HNSW or IVFFlat index answers, with pgvector's iterative scans (0.8+) continuing
 * past `ef_search` while the namespace and metadata filter reject candidates — but only up to
 * `hnsw.max_scan_tuples` / `ivfflat.max_probes`. When the index returns fewer than `topK` rows the
 * query is rerun exactly, so a short result holds every match. Writes go in one transaction per chunk:
 * on PGlite, the replaced versions are deleted (their `created_at` kept) and the chunk is loaded with
 * binary `COPY`; on `pg`, one `INSERT … SELECT FROM unnest(…) ON CONFLICT (namespace, id) DO UPDATE`
 * with the rows in id order (concurrent writers lock shared ids in one order: no deadlock) and the
 * vectors as one binary `vector[]` parameter (no text formatting or parsing).
 */
export class PgvectorBackend<M extends Metadata = Metadata> extends BaseVectorBackend<M, PgvectorQueryOptions> {
  readonly type = 'pgvector';
  readonly capabilities: BackendCapabilities;
  readonly schema: string;
  private readonly maintenanceWorkMem: string | undefined;
  private readonly driver: LazyDriver;
  private readonly ann: ResolvedIndex;
  private readonly table: string;
  private readonly tableSql: string;
  private readonly registrySql: string;
  /** PGlite has no autovacuum: rows written since this instance last ran ANALYZE, and the count then. */
  private rowsSinceAnalyze = 0;
  private rowsAtAnalyze = 0;

  constructor(options: PgvectorBackendOptions) {
    super(options.indexName);
    this.driver = new LazyDriver(options);
    this.maintenanceWorkMem = options.maintenanceWorkMem;
    this.schema = validateSchemaName(options.schema ?? 'public');
    this.ann = resolveIndexOptions(options.index);
    if (options.maintenanceWorkMem !== undefined && !/^\d{1,7}\s?(kB|MB|GB)$/.test(options.maintenanceWorkMem)) {
      throw new ValidationError([{ field: 'maintenanceWorkMem', message: "must look like '512MB' (kB, MB or GB)" }]);
    }
    this.table = vectorTableName(this.indexName);
    this.tableSql = qualified(this.schema, this.table);
    this.registrySql = qualified(this.schema, INDEX_REGISTRY_TABLE);
    this.capabilities = {
      metrics: METRICS,
      maxDimension: this.ann.type === 'none' ? MAX_VECTOR_DIMENSION : MAX_INDEXED_HALFVEC_DIMENSION,
      maxBatchRecords: 1000,
      maxBatchBytes: 16 * 1024 * 1024,
      maxMetadataBytes: DEFAULT_MAX_METADATA_BYTES,
      maxTopK: 10_000,
      maxIdsPerRequest: 1000,
      maxListPageSize: 10_000,
      namespaces: true,
      filterOperators: FILTER_OPERATORS,
      persistence: persistenceOf(options),
      exactSearch: true,
      consistency: 'immediate',
      listByPrefix: true,
      deleteByFilter: true,
    };
    // The connection options may hold a password: inspect and JSON show only these.
    redactedView(this, { type: this.type, indexName: this.indexName, schema: this.schema, where: this.driver.where });
  }

  /** Runs storage work and turns driver errors into q-store errors (a vanished table: INDEX_NOT_FOUND). */
  private async run<T>(what: string, signal: AbortSignal | undefined, work: (driver: SqlDriver) => Promise<T>) {
    const driver = await this.driver.get();
    try {
      return await work(driver);
    } catch (error) {
      if (sqlState(error) === '42P01' && !signal?.aborted) {
        this.forgetIndex();
        throw new IndexNotFoundError(this.indexName);
      }
      throw toQStoreError(error, `${what} on index '${this.indexName}'`, driver.where, signal);
    }
  }

  /** Serialises DDL on this schema across processes (a transaction-scoped advisory lock). */
  private lockDdl(session: SqlSession): Promise<unknown> {
    return session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`q-store ddl ${this.schema}`]);
  }

  private annIndexName(): string {
    return `${this.table}_ann`;
  }

  private usesHalfvec(dimension: number): boolean {
    return dimension > MAX_INDEXED_VECTOR_DIMENSION;
  }

  /** The indexed expression and operator class for a dimension and metric. */
  private annTarget(dimension: number, metric: Metric): { expression: string; ops: string } {
    const half = this.usesHalfvec(dimension);
    return {
      expression: half ? `(embedding::halfvec(${dimension}))` : 'embedding',
      ops: `${half ? 'halfvec' : 'vector'}_${METRIC_SQL[metric].ops}`,
    };
  }

  private annIndexSql(dimension: number, metric: Metric): string | undefined {
    const { expression, ops } = this.annTarget(dimension, metric);
    const name = quoteIdent(this.annIndexName());
    if (this.ann.type === 'hnsw') {
      return `CREATE INDEX IF NOT EXISTS ${name} ON ${this.tableSql} USING hnsw (${expression} ${ops}) WITH (m = ${this.ann.m}, ef_construction = ${this.ann.efConstruction})`;
    }
    if (this.ann.type === 'ivfflat') {
      return `CREATE INDEX IF NOT EXISTS ${name} ON ${this.tableSql} USING ivfflat (${expression} ${ops}) WITH (lists = ${this.ann.lists})`;
    }
    return undefined;
  }

  private async setMaintenanceMemory(session: SqlSession): Promise<void> {
    if (this.maintenanceWorkMem !== undefined) {
      await session.query("SELECT set_config('maintenance_work_mem', $1, true)", [this.maintenanceWorkMem]);
    }
  }

  protected async doDescribeIndex({ signal }: HookParams): Promise<IndexDescription | null> {
    return this.run('describeIndex', signal, async (driver) => {
      try {
        const { rows } = await driver.query<IndexRow>(
          `SELECT dimension, metric FROM ${this.registrySql} WHERE name = $1 AND to_regclass($2) IS NOT NULL`,
          [this.indexName, `${quoteIdent(this.schema)}.${quoteIdent(this.table)}`],
          signal,
        );
        const row = rows[0];
        return row ? { name: this.indexName, dimension: row.dimension, metric: row.metric } : null;
      } catch (error) {
        // No registry table (or no schema) yet: no index either.
        if (sqlState(error) === '42P01' || sqlState(error) === '3F000') return null;
        throw error;
      }
    });
  }

  protected async doCreateIndex({
    dimension,
    metric,
    signal,
  }: HookParams & { dimension: number; metric: Metric }): Promise<void> {
    if (this.ann.type !== 'none' && dimension > MAX_INDEXED_HALFVEC_DIMENSION) {
      throw new ValidationError([
        {
          field: 'dimension',
          message: `pgvector indexes hold at most ${MAX_INDEXED_HALFVEC_DIMENSION} dimensions (as halfvec); use index: {type: 'none'} for exact search up to ${MAX_VECTOR_DIMENSION}`,
          limit: MAX_INDEXED_HALFVEC_DIMENSION,
        },
      ]);
    }
    await this.run('ensureIndex', signal, async (driver) => {
      await ensureVectorExtension(driver, signal);
      await driver.transaction(async (tx) => {
        await this.lockDdl(tx);
        if (this.schema !== 'public') await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await tx.query(
          `CREATE TABLE IF NOT EXISTS ${this.registrySql} (
            name text PRIMARY KEY,
            table_name text NOT NULL,
            dimension integer NOT NULL,
            metric text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          )`,
        );
        const { rows } = await tx.query<{ registered: boolean; table_exists: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM ${this.registrySql} WHERE name = $1) AS registered,
                  to_regclass($2) IS NOT NULL AS table_exists`,
          [this.indexName, `${quoteIdent(this.schema)}.${quoteIdent(this.table)}`],
        );
        const state = rows[0];
        if (state?.registered && state.table_exists) return; // created meanwhile: the base compares
        if (state?.table_exists) {
          throw new StorageError(
            `ensureIndex: table ${this.schema}.${this.table} exists but is not a registered q-store index; drop or rename it first`,
          );
        }
        await tx.query(
          `CREATE TABLE ${this.tableSql} (
            namespace text NOT NULL DEFAULT '',
            id text COLLATE "C" NOT NULL,
            embedding vector(${dimension}) NOT NULL,
            metadata jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (namespace, id)
          )`,
        );
        if (dimension <= MAX_INLINE_DIMENSION && this.ann.type === 'none') {
          // Keep vectors in the row instead of TOAST: scans read them without a second lookup.
          await tx.query(`ALTER TABLE ${this.tableSql} ALTER COLUMN embedding SET STORAGE PLAIN`);
        }
        const ann = this.annIndexSql(dimension, metric);
        if (ann !== undefined && !this.ann.deferBuild) {
          await this.setMaintenanceMemory(tx);
          await tx.query(ann);
        }
        await tx.query(
          `INSERT INTO ${this.registrySql} (name, table_name, dimension, metric) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO UPDATE SET table_name = EXCLUDED.table_name, dimension = EXCLUDED.dimension,
             metric = EXCLUDED.metric, created_at = now()`,
          [this.indexName, this.table, dimension, metric],
        );
      }, signal);
    });
  }

  protected async doDropIndex({ signal }: HookParams): Promise<void> {
    await this.run('dropIndex', signal, (driver) =>
      driver.transaction(async (tx) => {
        await this.lockDdl(tx);
        await tx.query(`DROP TABLE IF EXISTS ${this.tableSql}`);
        const { rows } = await tx.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
          this.registrySql,
        ]);
        if (rows[0]?.exists) await tx.query(`DELETE FROM ${this.registrySql} WHERE name = $1`, [this.indexName]);
      }, signal),
    );
  }

  /**
   * Builds the approximate index declared in the options (HNSW or IVFFlat) if it is not there yet:
   * after a bulk load into an index created with `deferBuild: true`. Nothing to do for `none`.
   */
  buildIndex(params: { signal?: AbortSignal } = {}): Promise<void> {
    return this.admit(params, async () => {
      const { dimension, metric } = await this.requireIndex(params.signal);
      const ann = this.annIndexSql(dimension, metric);
      if (ann === undefined) return;
      await this.run('buildIndex', params.signal, (driver) =>
        driver.transaction(async (tx) => {
          await this.setMaintenanceMemory(tx);
          await tx.query(ann);
          await tx.query(`ANALYZE ${this.tableSql}`);
        }, params.signal),
      );
      this.rowsAtAnalyze += this.rowsSinceAnalyze;
      this.rowsSinceAnalyze = 0;
    });
  }

  /** Whether the approximate index exists (false before `buildIndex` with `deferBuild`). */
  hasApproximateIndex(params: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.admit(params, async () => {
      await this.requireIndex(params.signal);
      return this.run('hasApproximateIndex', params.signal, async (driver) => {
        const { rows } = await driver.query<{ exists: boolean }>(
          'SELECT to_regclass($1) IS NOT NULL AS exists',
          [`${quoteIdent(this.schema)}.${quoteIdent(this.annIndexName())}`],
          params.signal,
        );
        return rows[0]?.exists === true;
      });
    });
  }

  /** `options.pgvector` of a query: `efSearch` (1–1,000) and `probes` (1–32,768); no other call takes options. */
  protected override parseOptions(
    raw: Readonly<Record<string, unknown>> | undefined,
    operation: string,
  ): PgvectorQueryOptions {
    if (raw === undefined) return {};
    const issues = new IssueCollector();
    const tuning: PgvectorQueryOptions = {};
    for (const [key, value] of Object.entries(raw)) {
      const field = `options.pgvector.${key}`;
      if (operation !== 'query' || (key !== 'efSearch' && key !== 'probes')) {
        issues.add(
          field,
          operation === 'query'
            ? "unknown option (pgvector takes 'efSearch' and 'probes')"
            : `pgvector takes no options on ${operation}`,
        );
      } else if (key === 'efSearch') {
        if (intIn(value, 1, 1000)) tuning.efSearch = value;
        else issues.add(field, 'must be an integer from 1 to 1000', 1000);
      } else if (intIn(value, 1, 32_768)) tuning.probes = value;
      else issues.add(field, 'must be an integer from 1 to 32768', 32_768);
    }
    issues.throwIfAny('Invalid options');
    return tuning;
  }

  protected async doUpsert({
    records,
    namespace,
    signal,
  }: HookParams & { records: VectorRecord<M>[]; namespace: string }): Promise<void> {
    const { dimension } = await this.requireIndex(signal);
    const conflict = `ON CONFLICT (namespace, id) DO UPDATE SET embedding = EXCLUDED.embedding,
      metadata = EXCLUDED.metadata, updated_at = now()`;
    await this.run('upsert', signal, async (driver) => {
      // Looked up before the transaction takes a connection (a pool of one would wait on itself).
      const oid = driver.dialect === 'pg' ? await vectorTypeOid(driver, signal) : 0;
      await driver.transaction(async (tx) => {
        if (tx.copyFrom) {
          // PGlite: drop the versions being replaced (keeping their created_at), then binary COPY
          // straight into the table; no staging copy, no text parsing.
          const { rows: replaced } = await tx.query<{ id: string; created_at: string }>(
            `DELETE FROM ${this.tableSql} WHERE namespace = $1 AND id = ANY($2::text[])
             RETURNING id, created_at::text AS created_at`,
            [namespace, records.map((r) => r.id)],
          );
          await tx.copyFrom(
            `COPY ${this.tableSql} (namespace, id, embedding, metadata) FROM '/dev/blob' WITH (FORMAT binary)`,
            encodeVectorCopy(records, dimension, namespace),
          );
          if (replaced.length > 0) {
            await tx.query(
              `UPDATE ${this.tableSql} AS t SET created_at = r.created_at::timestamptz
               FROM unnest($2::text[], $3::text[]) AS r(id, created_at) WHERE t.namespace = $1 AND t.id = r.id`,
              [namespace, replaced.map((r) => r.id), replaced.map((r) => r.created_at)],
            );
          }
          return;
        }
        // pg: one statement, rows in id order (two writers of the same ids then lock them in the
        // same order and cannot deadlock); the vectors go as one binary vector[] parameter.
        const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        await tx.query(
          `INSERT INTO ${this.tableSql} (namespace, id, embedding, metadata)
           SELECT $1, u.id, u.embedding::vector(${dimension}), u.metadata::jsonb
           FROM unnest($2::text[], $3::vector[], $4::text[]) AS u(id, embedding, metadata) ${conflict}`,
          [
            namespace,
            sorted.map((r) => r.id),
            encodeVectorArray(
              sorted.map((r) => r.vector),
              dimension,
              oid,
            ),
            sorted.map((r) => (r.metadata === undefined ? null : JSON.stringify(r.metadata))),
          ],
        );
      }, signal);
    });
    this.rowsSinceAnalyze += records.length;
    // Statistics right after a bulk load (on a server autovacuum may be minutes away): without
    // them the planner takes the empty-table estimate and never picks the vector index. A failed
    // ANALYZE does not fail the write that committed; the next query tries again.
    await this.run('analyze', signal, (driver) => this.analyzeIfStale(driver, signal)).catch(() => undefined);
  }

  /**
   * PGlite runs no autovacuum, and a server's may not have run yet after a bulk load, so the planner
   * would keep its empty-table statistics and never pick the vector index. After a write and before
   * an approximate query, re-analyse once the rows written since the last ANALYZE reach the count
   * then (at least 1,000): a handful of ANALYZE runs over any bulk load, on PGlite and on a server.
   */
  private async analyzeIfStale(driver: SqlDriver, signal: AbortSignal | undefined): Promise<void> {
    if (this.rowsSinceAnalyze < Math.max(1000, this.rowsAtAnalyze)) return;
    await driver.query(`ANALYZE ${this.tableSql}`, [], signal);
    this.rowsAtAnalyze += this.rowsSinceAnalyze;
    this.rowsSinceAnalyze = 0;
  }

  protected async doQuery(q: NormalizedQuery): Promise<QueryMatch<M>[]> {
    const { dimension, metric } = await this.requireIndex(q.signal);
    const { operator, score } = METRIC_SQL[metric];
    const tuning = q.options as PgvectorQueryOptions;
    const params = new SqlParams();
    const vector = params.add(vectorText(q.vector));
    const distance = `embedding ${operator} ${vector}::vector(${dimension})`;
    const where = [`namespace = ${params.add(q.namespace)}`];
    if (q.filter) where.push(compileFilter(q.filter, params, 'metadata'));
    const columns = ['id', `${distance} AS distance`];
    if (q.includeMetadata) columns.push('metadata');
    if (q.includeVectors) columns.push('vector_send(embedding) AS vector');
    const limit = params.add(q.topK);
    const approximate = !q.exact && this.ann.type !== 'none';
    const select = (order: string) =>
      `SELECT ${columns.join(', ')} FROM ${this.tableSql} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${limit}`;
    const exactSql = select('distance, id');
    const exactSettings = this.ann.type === 'none' ? [] : [['enable_indexscan', 'off'] as const];

    const rows = await this.run('query', q.signal, async (driver) => {
      if (!approximate) return this.select<M>(driver, exactSql, params.values, exactSettings, q.signal);
      await this.analyzeIfStale(driver, q.signal);
      const order = this.usesHalfvec(dimension)
        ? `embedding::halfvec(${dimension}) ${operator} ${vector}::halfvec(${dimension})`
        : distance;
      if (q.filter && this.ann.exactBelow > 0) {
        // A real count of the matching rows, capped: scanning stops after cap + 1 of them, where the
        // cap is exactBelow or EXACT_FRACTION of the table's rows (from its statistics), whichever is
        // smaller. At or below it the same statement has already ranked them exactly.
        const cap = `(SELECT least(${this.ann.exactBelow}, CASE WHEN reltuples > 0 THEN ceil(reltuples * ${EXACT_FRACTION}) ELSE ${this.ann.exactBelow} END)::bigint
           FROM pg_class WHERE oid = '${this.tableSql.replaceAll("'", "''")}'::regclass)`;
        const probe = await this.select<M>(
          driver,
          `WITH c AS MATERIALIZED (SELECT ${cap} AS cap),
           m AS MATERIALIZED (SELECT ${['id', 'embedding', ...(q.includeMetadata ? ['metadata'] : [])].join(', ')}
             FROM ${this.tableSql} WHERE ${where.join(' AND ')} LIMIT (SELECT cap + 1 FROM c))
           SELECT ${columns.join(', ')}, (SELECT count(*) FROM m) <= (SELECT cap FROM c) AS small
           FROM m ORDER BY distance, id LIMIT ${limit}`,
          params.values,
          [],
          q.signal,
        );
        if (probe.length === 0 || probe[0]?.small === true) return probe;
      }
      const settings = await this.searchSettings(driver, q, tuning, q.signal);
      const found = await this.select<M>(driver, select(order), params.values, settings, q.signal);
      // pgvector's iterative scan stops after hnsw.max_scan_tuples (20,000) / ivfflat.max_probes
      // candidates, so a selective filter or namespace can leave it short of topK although matches
      // exist further away. Short of topK, the exact answer is the only right one: rerun exactly.
      if (found.length >= q.topK) return found;
      return this.select<M>(driver, exactSql, params.values, exactSettings, q.signal);
    });
    const matches = rows.map((row) => {
      const match: QueryMatch<M> = { id: row.id, score: score(Number(row.distance)) };
      if (q.includeVectors && row.vector) match.vector = decodeVectorSend(row.vector);
      if (q.includeMetadata && row.metadata !== null && row.metadata !== undefined) match.metadata = row.metadata;
      return match;
    });
    // Best first, ties by id: the index returns candidates in (approximately) this order already.
    return matches.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Runs a query's SELECT, in a transaction with the settings (`set_config(…, true)`) when given. */
  private async select<N extends Metadata>(
    driver: SqlDriver,
    sql: string,
    values: readonly unknown[],
    settings: ReadonlyArray<readonly [string, string]>,
    signal: AbortSignal | undefined,
  ): Promise<Array<{ id: string; distance: number; metadata?: N | null; vector?: Uint8Array; small?: boolean }>> {
    type Row = { id: string; distance: number; metadata?: N | null; vector?: Uint8Array; small?: boolean };
    if (settings.length === 0) return (await driver.query<Row>(sql, values, signal)).rows;
    return driver.transaction(async (tx) => {
      const set = new SqlParams();
      const calls = settings.map(([name, value]) => `set_config(${set.add(name)}, ${set.add(value)}, true)`);
      await tx.query(`SELECT ${calls.join(', ')}`, set.values);
      return (await tx.query<Row>(sql, values)).rows;
    }, signal);
  }

  /** Session settings for an approximate query: candidate list size and iterative scans. */
  private async searchSettings(
    driver: SqlDriver,
    q: NormalizedQuery,
    tuning: PgvectorQueryOptions,
    signal: AbortSignal | undefined,
  ): Promise<Array<readonly [string, string]>> {
    const iterative = versionAtLeast(await ensureVectorExtension(driver, signal), 0, 8);
    if (this.ann.type === 'hnsw') {
      const fallback = q.filter && !this.ann.efSearchGiven ? DEFAULT_FILTERED_EF_SEARCH : this.ann.efSearch;
      const efSearch = Math.min(1000, Math.max(tuning.efSearch ?? fallback, q.topK));
      return [
        ['hnsw.ef_search', String(efSearch)],
        ...(iterative ? ([['hnsw.iterative_scan', 'strict_order']] as const) : []),
      ];
    }
    return [
      ['ivfflat.probes', String(tuning.probes ?? this.ann.probes)],
      ...(iterative ? ([['ivfflat.iterative_scan', 'relaxed_order']] as const) : []),
    ];
  }

  protected async doFetch({
    ids,
    namespace,
    includeVectors,
    signal,
  }: HookParams & { ids: readonly string[]; namespace: string; includeVectors: boolean }): Promise<VectorRecord<M>[]> {
    const { rows } = await this.run('fetch', signal, (driver) =>
      driver.query<{ id: string; metadata: M | null; vector?: Uint8Array }>(
        `SELECT id, metadata${includeVectors ? ', vector_send(embedding) AS vector' : ''}
         FROM ${this.tableSql} WHERE namespace = $1 AND id = ANY($2::text[])`,
        [namespace, [...ids]],
        signal,
      ),
    );
    return rows.map((row) => {
      const record: VectorRecord<M> = {
        id: row.id,
        vector: includeVectors && row.vector ? decodeVectorSend(row.vector) : new Float32Array(0),
      };
      if (row.metadata !== null) record.metadata = row.metadata;
      return record;
    });
  }

  protected async doUpdate({
    id,
    change,
    namespace,
    signal,
  }: HookParams & { id: string; change: RecordChange<M>; namespace: string }): Promise<boolean> {
    const { dimension } = await this.requireIndex(signal);
    return this.run('update', signal, (driver) =>
      driver.transaction(async (tx) => {
        const { rows } = await tx.query<{ metadata: Metadata | null }>(
          `SELECT metadata FROM ${this.tableSql} WHERE namespace = $1 AND id = $2 FOR UPDATE`,
          [namespace, id],
        );
        const row = rows[0];
        if (!row) return false;
        const params = new SqlParams();
        const sets = ['updated_at = now()'];
        if (change.vector) sets.push(`embedding = ${params.add(vectorText(change.vector))}::vector(${dimension})`);
        if (change.metadata !== undefined) {
          const merged = (
            change.metadataMode === 'replace' ? change.metadata : { ...(row.metadata ?? {}), ...change.metadata }
          ) as Metadata;
          checkMergedMetadata(merged, this.capabilities.maxMetadataBytes);
          sets.push(`metadata = ${params.add(JSON.stringify(merged))}::jsonb`);
        }
        await tx.query(
          `UPDATE ${this.tableSql} SET ${sets.join(', ')} WHERE namespace = ${params.add(namespace)} AND id = ${params.add(id)}`,
          params.values,
        );
        return true;
      }, signal),
    );
  }

  protected async doDelete({
    target,
    namespace,
    signal,
  }: HookParams & { target: DeleteTarget; namespace: string }): Promise<number> {
    const params = new SqlParams();
    const where = [`namespace = ${params.add(namespace)}`];
    if ('ids' in target) where.push(`id = ANY(${params.add([...target.ids])}::text[])`);
    else if ('filter' in target) where.push(compileFilter(target.filter, params, 'metadata'));
    return this.run('delete', signal, (driver) =>
      driver.transaction(
        async (tx) =>
          (await tx.query(`DELETE FROM ${this.tableSql} WHERE ${where.join(' AND ')}`, params.values)).rowCount,
        signal,
      ),
    );
  }

  protected async doListPage(
    request: HookParams & { namespace: string; prefix?: string; limit: number; cursor?: string },
  ): Promise<ListPage> {
    const { signal } = request;
    const params = new SqlParams();
    const where = [`namespace = ${params.add(request.namespace)}`];
    if (request.prefix !== undefined) where.push(`starts_with(id, ${params.add(request.prefix)})`);
    if (request.cursor !== undefined) where.push(`id > ${params.add(request.cursor)}`);
    const { rows } = await this.run('list', signal, (driver) =>
      driver.query<{ id: string }>(
        `SELECT id FROM ${this.tableSql} WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${params.add(request.limit + 1)}`,
        params.values,
        signal,
      ),
    );
    const ids = rows.slice(0, request.limit).map((row) => row.id);
    return rows.length > request.limit ? { ids, nextCursor: ids[ids.length - 1] as string } : { ids };
  }

  protected async doStats({ signal }: HookParams): Promise<Omit<IndexStats, 'dimension' | 'metric'>> {
    const { rows } = await this.run('stats', signal, (driver) =>
      driver.query<{ namespace: string; count: number }>(
        `SELECT namespace, count(*)::integer AS count FROM ${this.tableSql} GROUP BY namespace`,
        [],
        signal,
      ),
    );
    const namespaces: IndexStats['namespaces'] = Object.create(null); // '__proto__' is a valid namespace
    let total = 0;
    for (const row of rows) {
      namespaces[row.namespace] = { recordCount: row.count };
      total += row.count;
    }
    return { totalRecordCount: total, namespaces };
  }

  protected async doClose(): Promise<void> {
    await this.driver.close();
  }
}

function persistenceOf(options: ConnectionOptions): BackendCapabilities['persistence'] {
  if (options.embedded !== undefined) {
    return options.embedded !== true && options.embedded.dataDir ? 'durable' : 'memory';
  }
  if (options.pglite !== undefined) {
    const dataDir = (options.pglite as { dataDir?: unknown }).dataDir;
    return typeof dataDir === 'string' && dataDir !== '' && !dataDir.startsWith('memory://') ? 'durable' : 'memory';
  }
  return 'durable';
}
