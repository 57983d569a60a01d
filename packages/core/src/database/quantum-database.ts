import { type CachedVectorBackend, withCache } from '../cache/with-cache.js';
import type { QuantumBackend } from '../quantum/quantum-backend.js';
import {
  ClosedError,
  IssueCollector,
  NotFoundError,
  PartialWriteError,
  throwIfAborted,
  ValidationError,
} from '../shared/errors.js';
import type { PluginConfig } from '../shared/plugin-registry.js';
import { MemoryStateStore } from '../stores/memory-stores.js';
import type { CacheBackend, JsonValue, StateStore } from '../stores/stores.js';
import { filterFields, parseFilter } from '../vector/filter-parser.js';
import type { Filter, FilterOperator } from '../vector/filter-types.js';
import { normalize, score as similarityOf } from '../vector/metrics.js';
import { createBackend } from '../vector/registry.js';
import type {
  BackendOptions,
  DeleteParams,
  DeleteResult,
  IndexStats,
  Metadata,
  Metric,
  QueryMatch,
  UpdateParams,
  VectorRecord,
} from '../vector/types.js';
import {
  validateId,
  validateIds,
  validateMetadata,
  validateNamespace,
  validateTopK,
  validateVector,
} from '../vector/validation.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import {
  bernoulliCircuit,
  coherenceWeight,
  contextAmplitudes,
  contextStateCircuit,
  correlationCircuit,
  relevance,
} from './features.js';
import type { QuantumStats } from './quantum-runner.js';
import { QuantumRunner } from './quantum-runner.js';
import {
  assertNoReservedKeys,
  encodeState,
  KEY_CONTEXTS,
  KEY_EXPIRES,
  NEVER_EXPIRES,
  type RecordQuantumState,
  splitMetadata,
} from './reserved.js';
import type { DiversityProblem, DiversitySolution } from './tunneling.js';
import { diversityObjective, greedyMmr, MAX_QAOA_POOL, simulatedAnnealing, solveQaoa } from './tunneling.js';

/** The seeds' `DatabaseConfig`, in camelCase. */
export interface DatabaseConfig {
  /** A VectorBackend instance, or a registry config such as `{type: 'memory', indexName}`. */
  backend: VectorBackend | PluginConfig;
  dimension: number;
  /** Default `cosine` (the seed's `pinecone_metric`). */
  metric?: Metric;
  /** Default namespace for calls that do not name one. */
  namespace?: string;
  /** Entanglement groups and database settings. Default: an in-process MemoryStateStore. */
  stateStore?: StateStore;
  /** Optional cache of raw backend query results (see the class doc for when it is bypassed). */
  cache?: CacheBackend;
  /** Time to live of cached query results; default 60 s (the seed's `cache_ttl`). */
  cacheTtlMs?: number;
  /** Quantum backend for the sampled estimates (the seed's `quantum_sdk`). */
  quantum?: QuantumBackend;
  /** Whether calls use the quantum backend unless they say otherwise; default true when one is given. */
  enableQuantum?: boolean;
  /** Shots per quantum estimate; default 1024. */
  shots?: number;
  /**
   * A quantum call slower than this falls back to the classical value (a queued job is cancelled);
   * default the backend's `capabilities.defaultTimeoutMs`, else 5,000 ms.
   */
  quantumTimeoutMs?: number;
  /**
   * Total US dollars the database may spend on quantum work (shots × circuits × `costPerShotUsd`,
   * counted when sent). Work that would pass it is not sent and is answered classically (fallback
   * reason `budget`). Default: no limit.
   */
  maxCostUsd?: number;
  /** Seed for quantum sampling and annealing, for reproducible answers. */
  seed?: number;
  /** τ for records inserted without one (the seed's `default_coherence_time`); default none (no decay). */
  defaultCoherenceTimeMs?: number;
  /** A record with τ but no lifetime expires after `lifetimeFactor · τ`; default 5 (weight e^−5 ≈ 0.7 %). */
  lifetimeFactor?: number;
  /** Candidates fetched per result when re-ranking (the seed's `classical_candidate_pool`); default 4. */
  candidateMultiplier?: number;
  /** Default λ of tunneling's redundancy term; default 0.5. */
  tunnelingLambda?: number;
  /** Largest entanglement group (the seed's `max_entanglement_group_size`); default 64. */
  maxEntanglementGroupSize?: number;
  /** Runs `applyDecoherence()` this often; default off. */
  decoherenceSweepMs?: number;
  /** Clock in ms since the epoch; default `Date.now`. For tests and replays. */
  now?: () => number;
}

export interface InsertParams<M extends Metadata = Metadata> {
  id: string;
  vector: Float32Array | readonly number[];
  metadata?: M;
  /** Context weights w_c; stored as amplitudes α_c = sqrt(w_c / Σw). */
  contexts?: Record<string, number>;
  /** τ in ms; `null` for no decay even when the database has a default. */
  coherenceTimeMs?: number | null;
  /** Hard lifetime in ms; default `lifetimeFactor · τ` when τ is set, otherwise never. */
  lifetimeMs?: number | null;
  namespace?: string;
  signal?: AbortSignal;
}

export interface BatchInsertParams<M extends Metadata = Metadata> {
  records: ReadonlyArray<Omit<InsertParams<M>, 'namespace' | 'signal'>>;
  /** Records per write (the seed's `batch_size`); default 100. */
  batchSize?: number;
  namespace?: string;
  onProgress?: (progress: { inserted: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface TunnelingOptions {
  /** Weight of redundancy; default the database's `tunnelingLambda`. */
  lambda?: number;
  /** Candidates to choose from; default max(16, 3·topK), within the backend's topK limit. */
  poolSize?: number;
}

export interface DatabaseQueryParams<M extends Metadata = Metadata> {
  vector: Float32Array | readonly number[];
  topK: number;
  filter?: Filter<M>;
  namespace?: string;
  /** Re-rank by the probability |α_c|² of collapsing to this context. */
  context?: string;
  /** Weight of records that lack the context; default 0 (they are left out). */
  contextFallbackWeight?: number;
  /** Diversify the results (QUBO); `true` for the defaults. */
  tunneling?: boolean | TunnelingOptions;
  /** Use the quantum backend for this call; default the database's `enableQuantum`. */
  quantum?: boolean;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  /** Backend-specific options, forwarded to the vector backend's query (`{pgvector: {efSearch: 200}}`). */
  options?: BackendOptions;
  signal?: AbortSignal;
}

export interface DatabaseMatch<M extends Metadata = Metadata> {
  id: string;
  /** The ranking score: the backend's score on a plain query, otherwise r(similarity)·p_c·w. */
  score: number;
  /** The backend's similarity score. */
  similarity: number;
  /** |α_c|² of the queried context (estimated from shots on the quantum path). */
  contextProbability?: number;
  /** exp(−Δt/τ) at query time (estimated from shots on the quantum path). */
  coherence?: number;
  metadata?: M;
  vector?: Float32Array;
}

export interface TunnelingReport {
  solver: DiversitySolution['solver'];
  /** f(x) = Σ s_i x_i − λ Σ_{i<j} W_ij x_i x_j of the returned set. */
  objective: number;
  /** f of greedy MMR, the baseline. */
  baselineObjective: number;
  /** f of the plain top-k by relevance: what tunneling improved on. */
  plainObjective: number;
  lambda: number;
  poolSize: number;
  /** Circuits sampled by QAOA; 0 on the classical path. */
  circuits: number;
}

export interface DatabaseQueryResult<M extends Metadata = Metadata> {
  matches: DatabaseMatch<M>[];
  namespace: string;
  /** Whether quantum estimates were used, and whether any of them fell back to the classical value. */
  quantum: { requested: boolean; used: boolean; fallback: boolean };
  tunneling?: TunnelingReport;
}

export interface DatabaseRecord<M extends Metadata = Metadata> {
  id: string;
  vector: Float32Array;
  metadata: M;
  contexts?: Record<string, number>;
  insertedAtMs: number;
  coherenceTimeMs?: number;
  expiresAtMs?: number;
}

export interface EntangledGroup {
  groupId: string;
  ids: string[];
  /** s in [0, 1]: how strongly an update of one member moves the others. */
  correlation: number;
  /** Metadata keys copied from an updated member to its partners. */
  propagateKeys: string[];
  namespace: string;
  createdAt: string;
}

/** The backend's update params: `metadataMode: 'replace'` replaces the user keys only. */
export type DatabaseUpdateParams<M extends Metadata = Metadata> = UpdateParams<M>;

export interface DatabaseUpdateResult {
  updated: boolean;
  /** Partners whose vector or metadata moved with this update. */
  partnersUpdated: string[];
}

export interface MigrateParams {
  from: VectorBackend;
  to: VectorBackend;
  /** Default: every namespace the source reports. */
  namespaces?: readonly string[];
  batchSize?: number;
  onProgress?: (progress: { namespace: string; migrated: number; total: number }) => void;
  signal?: AbortSignal;
}

const GROUP_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkGroupId(groupId: unknown): void {
  if (typeof groupId !== 'string' || !GROUP_ID_PATTERN.test(groupId)) {
    throw new ValidationError([{ field: 'groupId', message: `must match ${GROUP_ID_PATTERN}` }]);
  }
}

/**
 * One API over any VectorBackend, with an optional cache and an optional quantum backend. The
 * quantum features compute these formulas (the classical path is exact; the quantum path estimates
 * the same numbers from `shots` measurements and falls back to the exact value on failure):
 *
 * - **Superposition**: α_c = sqrt(w_c/Σw) stored with the record; a context query scores
 *   r(s)·|α_c|² over an over-fetched candidate pool and re-sorts (r is {@link relevance}).
 * - **Decoherence**: weight exp(−Δt/τ); records past their lifetime are excluded by the backend
 *   filter `__qs_expires > now` and deleted by `applyDecoherence()`.
 * - **Entanglement**: groups with correlation s in the StateStore; updating v_i to v_i' moves each
 *   partner j to v_j + s·(v_i' − v_i) (normalised under cosine) and copies the group's keys.
 * - **Tunneling**: over a widened pool, the k results maximising Σ s_i x_i − λ Σ_{i<j} W_ij x_i x_j;
 *   QAOA on the quantum backend (pools ≤ 16), simulated annealing classically, greedy MMR baseline.
 *
 * A plain query (no context, no tunneling, no decaying records) is the backend's query with
 * reserved keys removed, and may be served from the cache; queries that depend on the clock are not
 * cached.
 */
export class QuantumDatabase<M extends Metadata = Metadata> {
  private readonly runner: QuantumRunner;
  private readonly now: () => number;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private decoherenceSeen = false;
  private queryCount = 0;
  /** The backend as given, under `backend` when a cache is configured (`backend` is then `withCache(raw, cache)`). */
  private cached: CachedVectorBackend | undefined;

  private constructor(
    readonly backend: VectorBackend,
    private readonly ownsBackend: boolean,
    readonly stateStore: StateStore,
    private readonly ownsStateStore: boolean,
    private readonly settings: Required<
      Omit<
        DatabaseConfig,
        | 'backend'
        | 'stateStore'
        | 'cache'
        | 'quantum'
        | 'seed'
        | 'defaultCoherenceTimeMs'
        | 'decoherenceSweepMs'
        | 'quantumTimeoutMs'
        | 'maxCostUsd'
      >
    > &
      Pick<
        DatabaseConfig,
        | 'cache'
        | 'seed'
        | 'defaultCoherenceTimeMs'
        | 'decoherenceSweepMs'
        | 'quantum'
        | 'quantumTimeoutMs'
        | 'maxCostUsd'
      >,
  ) {
    this.runner = new QuantumRunner(settings.quantum, {
      timeoutMs: settings.quantumTimeoutMs,
      maxCostUsd: settings.maxCostUsd,
    });
    this.now = settings.now;
  }

  /** Validates the config, creates the index if needed and loads the database's settings. */
  static async open<M extends Metadata = Metadata>(config: DatabaseConfig): Promise<QuantumDatabase<M>> {
    const issues = new IssueCollector();
    const positive = (field: keyof DatabaseConfig, integer: boolean) => {
      const value = config[field];
      if (value === undefined) return;
      if (
        typeof value !== 'number' ||
        !(value > 0) ||
        !Number.isFinite(value) ||
        (integer && !Number.isInteger(value))
      ) {
        issues.add(field, `must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
      }
    };
    positive('dimension', true);
    positive('shots', true);
    positive('quantumTimeoutMs', false);
    positive('defaultCoherenceTimeMs', false);
    positive('lifetimeFactor', false);
    positive('candidateMultiplier', true);
    positive('maxEntanglementGroupSize', true);
    positive('decoherenceSweepMs', false);
    positive('cacheTtlMs', false);
    if (config.dimension === undefined) issues.add('dimension', 'is required');
    if (
      config.tunnelingLambda !== undefined &&
      !(config.tunnelingLambda >= 0 && Number.isFinite(config.tunnelingLambda))
    ) {
      issues.add('tunnelingLambda', `must be a finite number ≥ 0, got ${String(config.tunnelingLambda)}`);
    }
    if (config.maxCostUsd !== undefined && !(config.maxCostUsd >= 0 && Number.isFinite(config.maxCostUsd))) {
      issues.add('maxCostUsd', `must be a finite number ≥ 0, got ${String(config.maxCostUsd)}`);
    }
    if (!config.backend || typeof config.backend !== 'object') issues.add('backend', 'is required');
    issues.throwIfAny('invalid database config');
    const owns = !('query' in config.backend);
    const backend = owns ? await createBackend(config.backend as PluginConfig) : (config.backend as VectorBackend);
    const metric = config.metric ?? 'cosine';
    try {
      await backend.ensureIndex({ dimension: config.dimension, metric });
    } catch (error) {
      if (owns) await backend.close();
      throw error;
    }
    // One caching story: with a cache, every call goes through withCache (query results keyed on
    // everything that changes them, generations bumped after each write, degraded to the backend
    // when the cache is down); re-ranked queries opt out through `options.cache.bypass`.
    const cached = config.cache
      ? withCache(backend, config.cache, {
          scope: `qdb:${backend.type}/${backend.indexName}`,
          l1: false,
          ttlMs: config.cacheTtlMs ?? 60_000,
        })
      : undefined;
    const db = new QuantumDatabase<M>(
      cached ?? backend,
      owns,
      config.stateStore ?? new MemoryStateStore(),
      !config.stateStore,
      {
        dimension: config.dimension,
        metric,
        namespace: config.namespace ?? '',
        cacheTtlMs: config.cacheTtlMs ?? 60_000,
        enableQuantum: config.enableQuantum ?? config.quantum !== undefined,
        shots: config.shots ?? 1024,
        ...(config.quantumTimeoutMs !== undefined && { quantumTimeoutMs: config.quantumTimeoutMs }),
        ...(config.maxCostUsd !== undefined && { maxCostUsd: config.maxCostUsd }),
        lifetimeFactor: config.lifetimeFactor ?? 5,
        candidateMultiplier: config.candidateMultiplier ?? 4,
        tunnelingLambda: config.tunnelingLambda ?? 0.5,
        maxEntanglementGroupSize: config.maxEntanglementGroupSize ?? 64,
        now: config.now ?? Date.now,
        ...(config.seed === undefined ? {} : { seed: config.seed }),
        ...(config.defaultCoherenceTimeMs === undefined
          ? {}
          : { defaultCoherenceTimeMs: config.defaultCoherenceTimeMs }),
        ...(config.decoherenceSweepMs === undefined ? {} : { decoherenceSweepMs: config.decoherenceSweepMs }),
        ...(config.quantum ? { quantum: config.quantum } : {}),
      },
    );
    db.cached = cached;
    db.decoherenceSeen =
      (await db.stateStore.get<{ decoherence?: boolean }>(db.stateKey('settings')))?.decoherence === true ||
      (await db.probeDecoherence());
    if (config.decoherenceSweepMs) {
      db.sweepTimer = setInterval(() => {
        db.sweep().catch(() => undefined);
      }, config.decoherenceSweepMs);
      db.sweepTimer.unref?.();
    }
    return db;
  }

  // ---------------------------------------------------------------- writes

  /** Inserts (or replaces) one record with its contexts and coherence time. */
  async insert(params: InsertParams<M>): Promise<void> {
    await this.batchInsert({
      records: [params],
      ...(params.namespace === undefined ? {} : { namespace: params.namespace }),
      ...(params.signal ? { signal: params.signal } : {}),
    });
  }

  /**
   * Inserts records in writes of `batchSize`. Every record is validated before the first write; if
   * a later write fails, the error is a PartialWriteError listing the ids that landed.
   */
  async batchInsert(params: BatchInsertParams<M>): Promise<{ inserted: number; batches: number }> {
    this.assertOpen();
    const namespace = params.namespace ?? this.settings.namespace;
    const batchSize = params.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValidationError([{ field: 'batchSize', message: `must be a positive integer, got ${batchSize}` }]);
    }
    throwIfAborted(params.signal);
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    if (!Array.isArray(params.records)) {
      throw new ValidationError([{ field: 'records', message: 'must be an array of records' }]);
    }
    const now = this.now();
    const issues = new IssueCollector();
    const records: VectorRecord[] = [];
    let decays = false;
    // Every record is checked before the first write, so a bad record anywhere writes nothing.
    params.records.forEach((input, i) => {
      const field = `records[${i}]`;
      const collect = (check: () => void) => {
        try {
          check();
        } catch (error) {
          if (error instanceof ValidationError)
            for (const issue of error.issues) issues.add(issue.field, issue.message);
          else throw error;
        }
      };
      collect(() => {
        const id = validateId(input.id, `${field}.id`);
        const state = this.stateFor(input, now, field);
        if (state.coherenceTimeMs !== undefined || state.expiresAtMs !== NEVER_EXPIRES) decays = true;
        if (input.metadata !== undefined) {
          validateMetadata(input.metadata, `${field}.metadata`, Number.POSITIVE_INFINITY);
          assertNoReservedKeys(Object.keys(input.metadata), `${field}.metadata`);
        }
        const vector = validateVector(input.vector, `${field}.vector`, this.settings.dimension, this.settings.metric);
        const metadata = { ...(input.metadata ?? {}), ...encodeState(state) };
        validateMetadata(metadata, `${field}.metadata`, this.backend.capabilities.maxMetadataBytes);
        records.push({ id, vector, metadata });
      });
    });
    issues.throwIfAny('invalid records');
    if (decays && !this.decoherenceSeen) {
      await this.stateStore.update<{ decoherence?: boolean }>(this.stateKey('settings'), (current) => ({
        ...(current ?? {}),
        decoherence: true,
      }));
      this.decoherenceSeen = true;
    }
    const landed: string[] = [];
    let batches = 0;
    for (let start = 0; start < records.length; start += batchSize) {
      const batch = records.slice(start, start + batchSize);
      try {
        await this.backend.upsert({ records: batch, namespace, ...(params.signal ? { signal: params.signal } : {}) });
      } catch (error) {
        const alsoLanded = error instanceof PartialWriteError ? error.landedIds : [];
        if (landed.length === 0 && alsoLanded.length === 0) throw error; // nothing landed: the cause as it is
        const failed = records.slice(start).map((r) => r.id);
        throw new PartialWriteError(
          [...landed, ...alsoLanded],
          failed.filter((id) => !alsoLanded.includes(id)),
          error,
        );
      }
      batches++;
      for (const record of batch) landed.push(record.id);
      params.onProgress?.({ inserted: landed.length, total: records.length });
    }
    return { inserted: landed.length, batches };
  }

  /**
   * Updates one record. If it belongs to entangled groups, each partner j moves by
   * v_j ← v_j + s·(v_new − v_old) (normalised under cosine), with s the largest correlation of a
   * group the two share, and the groups' `propagateKeys` present in `metadata` are copied to it.
   */
  async update(params: DatabaseUpdateParams<M>): Promise<DatabaseUpdateResult> {
    this.assertOpen();
    const id = validateId(params.id);
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    if (params.metadata !== undefined) {
      validateMetadata(params.metadata, 'metadata', Number.POSITIVE_INFINITY);
      assertNoReservedKeys(Object.keys(params.metadata), 'metadata');
    }
    if (params.metadataMode !== undefined && params.metadataMode !== 'merge' && params.metadataMode !== 'replace') {
      throw new ValidationError([{ field: 'metadataMode', message: "must be 'merge' or 'replace'" }]);
    }
    const newVector =
      params.vector === undefined
        ? undefined
        : validateVector(params.vector, 'vector', this.settings.dimension, this.settings.metric);
    const signalPart = params.signal ? { signal: params.signal } : {};
    throwIfAborted(params.signal);
    const partners = await this.partnersOf(id, namespace);
    const current = (await this.backend.fetch({ ids: [id, ...partners.keys()], namespace, ...signalPart })).records;
    const old = current.get(id);
    if (!old || this.isExpired(old.metadata)) return { updated: false, partnersUpdated: [] };
    const { state } = splitMetadata(old.metadata);
    const userMetadata = (params.metadata ?? {}) as Metadata;
    // Replace keeps the record's quantum state: only user keys are replaced.
    const metadata =
      params.metadataMode === 'replace'
        ? { ...userMetadata, ...encodeState(state) }
        : params.metadata === undefined
          ? undefined
          : userMetadata;
    const moved: VectorRecord[] = [];
    const cosine = this.settings.metric === 'cosine';
    const unit = (v: Float32Array) => (cosine ? normalize(v) : v);
    for (const [partnerId, link] of partners) {
      const partner = current.get(partnerId);
      if (!partner || this.isExpired(partner.metadata)) continue;
      const copied: Metadata = {};
      for (const key of link.propagateKeys) {
        const value = userMetadata[key];
        if (value !== undefined) copied[key] = value;
      }
      if (!newVector && Object.keys(copied).length === 0) continue;
      let vector = partner.vector;
      if (newVector) {
        // Under cosine only directions matter: the move uses unit vectors, so rescaling the
        // updated record moves nothing.
        const [vj, vNew, vOld] = [unit(partner.vector), unit(newVector), unit(old.vector)];
        const next = new Float64Array(vector.length);
        for (let d = 0; d < vector.length; d++) {
          next[d] = (vj[d] as number) + link.correlation * ((vNew[d] as number) - (vOld[d] as number));
        }
        vector = cosine ? normalize(next) : Float32Array.from(next);
      }
      moved.push({ id: partnerId, vector, metadata: { ...(partner.metadata ?? {}), ...copied } });
    }
    if (moved.length === 0) {
      const result = await this.backend.update({
        id,
        namespace,
        ...(newVector ? { vector: newVector } : {}),
        ...(metadata ? { metadata, metadataMode: params.metadataMode ?? 'merge' } : {}),
        ...signalPart,
      });
      return { updated: result.updated, partnersUpdated: [] };
    }
    // The record and its partners in one write: a backend writes one chunk all or nothing.
    const record: VectorRecord = {
      id,
      vector: newVector ?? old.vector,
      metadata:
        params.metadataMode === 'replace' ? (metadata as Metadata) : { ...(old.metadata ?? {}), ...userMetadata },
    };
    await this.backend.upsert({ records: [record, ...moved], namespace, ...signalPart });
    return { updated: true, partnersUpdated: moved.map((r) => r.id) };
  }

  /** Deletes by ids, by filter, or everything in the namespace; ids leave their entangled groups. */
  async delete(params: DeleteParams<M>): Promise<DeleteResult> {
    this.assertOpen();
    if (typeof params !== 'object' || params === null) {
      throw new ValidationError([{ field: 'params', message: 'must be an object of parameters' }], 'Invalid delete');
    }
    const namespace = params.namespace ?? this.settings.namespace;
    const signalPart = params.signal ? { signal: params.signal } : {};
    // Exactly one of ids, filter, all: true — as the backend contract says. `{}` or `{all: false}`
    // never means "everything", and ids with a filter is refused rather than ignoring the filter.
    const given = (['ids', 'filter', 'all'] as const).filter((key) => params[key] !== undefined);
    if (given.length !== 1) {
      throw new ValidationError(
        [{ field: 'ids', message: `give exactly one of ids, filter or all: true (got ${given.join(', ') || 'none'})` }],
        'Invalid delete',
      );
    }
    if (given[0] === 'all' && params.all !== true) {
      throw new ValidationError([{ field: 'all', message: 'must be true' }], 'Invalid delete');
    }
    if (params.ids !== undefined) {
      const ids = validateIds(params.ids);
      const result = await this.backend.delete({ ids, namespace, ...signalPart });
      for (const id of ids) await this.leaveGroups(id, namespace);
      return result;
    }
    if (params.filter !== undefined) {
      this.checkFilter(params.filter);
      return await this.backend.delete({ filter: params.filter as Filter<Metadata>, namespace, ...signalPart });
    }
    const result = await this.backend.delete({ all: true, namespace, ...signalPart });
    for (const prefix of [this.groupKey(namespace, ''), this.memberKey(namespace, '')]) {
      const keys: string[] = [];
      for await (const key of this.stateStore.keys({ prefix })) keys.push(key);
      for (const key of keys) await this.stateStore.delete(key);
    }
    return result;
  }

  // ---------------------------------------------------------------- reads

  /** Records by id with their quantum state; expired records are absent. */
  async fetch(params: {
    ids: readonly string[];
    namespace?: string;
    signal?: AbortSignal;
  }): Promise<Map<string, DatabaseRecord<M>>> {
    this.assertOpen();
    const namespace = params.namespace ?? this.settings.namespace;
    const found = await this.backend.fetch({
      ids: params.ids,
      namespace,
      ...(params.signal ? { signal: params.signal } : {}),
    });
    const out = new Map<string, DatabaseRecord<M>>();
    for (const [id, record] of found.records) {
      if (this.isExpired(record.metadata)) continue;
      out.set(id, toDatabaseRecord<M>(record));
    }
    return out;
  }

  /** See the class doc for the formulas; every path returns at most `topK` matches. */
  async query(params: DatabaseQueryParams<M>): Promise<DatabaseQueryResult<M>> {
    this.assertOpen();
    this.queryCount++;
    const namespace = params.namespace ?? this.settings.namespace;
    this.checkFilter(params.filter);
    const includeMetadata = params.includeMetadata ?? true;
    const includeVectors = params.includeVectors ?? false;
    const caps = this.backend.capabilities;
    const topK = validateTopK(params.topK, caps.maxTopK);
    const useQuantum = this.useQuantum(params.quantum);
    const quantumInfo = { requested: useQuantum, used: false, fallback: false };
    const signalPart = params.signal ? { signal: params.signal } : {};
    const reranks = params.context !== undefined || Boolean(params.tunneling) || this.decoherenceSeen;

    if (!reranks) {
      // Served from the cache when one is configured: `backend` is then withCache(backend, cache).
      const { matches: raw } = await this.backend.query({
        vector: params.vector,
        topK: topK,
        namespace,
        includeVectors,
        includeMetadata,
        ...(params.filter ? { filter: params.filter as Filter<Metadata> } : {}),
        ...(params.options ? { options: params.options } : {}),
        ...signalPart,
      });
      return {
        matches: raw.map((m) => toMatch<M>(m, m.score, includeMetadata, includeVectors)),
        namespace,
        quantum: quantumInfo,
      };
    }

    const tunneling = params.tunneling ? (params.tunneling === true ? {} : params.tunneling) : undefined;
    if (params.context !== undefined && (typeof params.context !== 'string' || params.context.length === 0)) {
      throw new ValidationError([{ field: 'context', message: 'must be a non-empty context name' }]);
    }
    const fallbackWeight = params.contextFallbackWeight ?? 0;
    if (typeof fallbackWeight !== 'number' || !(fallbackWeight >= 0 && fallbackWeight <= 1)) {
      throw new ValidationError([
        { field: 'contextFallbackWeight', message: `must be in [0, 1], got ${fallbackWeight}` },
      ]);
    }
    const lambda = tunneling?.lambda ?? this.settings.tunnelingLambda;
    if (typeof lambda !== 'number' || !(lambda >= 0 && Number.isFinite(lambda))) {
      throw new ValidationError([{ field: 'tunneling.lambda', message: `must be a finite number ≥ 0, got ${lambda}` }]);
    }
    const maxPool = caps.maxTopKWithPayload ?? caps.maxTopK;
    let poolSize = Math.min(maxPool, Math.max(topK * this.settings.candidateMultiplier, topK));
    if (tunneling) {
      poolSize = tunneling.poolSize ?? Math.min(maxPool, Math.max(16, 3 * topK));
      if (!Number.isInteger(poolSize) || poolSize < topK || poolSize > maxPool) {
        throw new ValidationError([
          { field: 'tunneling.poolSize', message: `must be an integer from topK (${topK}) to ${maxPool}` },
        ]);
      }
    }
    const now = this.now();
    // Expiry and context membership are pushed down to the backend when it can express them;
    // otherwise they are applied to the candidates below (expired records never reach a result).
    const operators = new Set(caps.filterOperators);
    const clauses: Filter<Metadata>[] = [];
    if (params.filter) clauses.push(params.filter as Filter<Metadata>);
    // Records written straight to the backend have no expiry key: they never expire.
    if (this.decoherenceSeen && ['$gt', '$or', '$exists'].every((op) => operators.has(op as FilterOperator))) {
      if (operators.has('$and') || clauses.length === 0) {
        clauses.push({ $or: [{ [KEY_EXPIRES]: { $gt: now } }, { [KEY_EXPIRES]: { $exists: false } }] });
      }
    }
    if (
      params.context !== undefined &&
      fallbackWeight === 0 &&
      operators.has('$in') &&
      (operators.has('$and') || clauses.length === 0)
    ) {
      clauses.push({ [KEY_CONTEXTS]: { $in: [params.context] } });
    }
    const filter: Filter<Metadata> | undefined =
      clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
    const candidates = (
      await this.backend.query({
        vector: params.vector,
        topK: poolSize,
        namespace,
        includeMetadata: true,
        includeVectors: includeVectors || Boolean(tunneling),
        ...(filter ? { filter } : {}),
        ...(tunneling && caps.exactSearch ? { exact: true } : {}),
        // Re-ranked results depend on the clock (decoherence) and the state store: never cached.
        options: { ...params.options, cache: { bypass: true } },
        ...signalPart,
      })
    ).matches.filter((c) => !this.isExpired(c.metadata));

    // Feature weights per candidate, exact or estimated.
    const states = candidates.map((c) => splitMetadata<M>(c.metadata));
    let contextProbabilities: number[] | undefined;
    if (params.context !== undefined) {
      const context = params.context;
      const exact = () => states.map(({ state }) => (state.amplitudes?.[context] ?? 0) ** 2);
      if (useQuantum) {
        const { value, quantum } = await this.runner.run(
          'superposition',
          (backend, signal) => this.estimateContextProbabilities(backend, states, context, signal),
          exact,
          params.signal,
        );
        contextProbabilities = value;
        quantumInfo.used ||= quantum;
        quantumInfo.fallback ||= !quantum;
      } else contextProbabilities = exact();
      contextProbabilities = contextProbabilities.map((p, i) =>
        states[i]?.state.amplitudes?.[context] === undefined ? fallbackWeight : p,
      );
    }
    let coherence: number[] | undefined;
    if (this.decoherenceSeen && states.some(({ state }) => state.coherenceTimeMs !== undefined)) {
      const exact = () => states.map(({ state }) => coherenceWeight(now, state.insertedAtMs, state.coherenceTimeMs));
      if (useQuantum) {
        const { value, quantum } = await this.runner.run(
          'decoherence',
          (backend, signal) => this.estimateBernoulli(backend, exact(), signal),
          exact,
          params.signal,
        );
        coherence = value;
        quantumInfo.used ||= quantum;
        quantumInfo.fallback ||= !quantum;
      } else coherence = exact();
    }
    const scores = candidates.map(
      (c, i) => relevance(this.settings.metric, c.score) * (contextProbabilities?.[i] ?? 1) * (coherence?.[i] ?? 1),
    );
    // Membership follows the exact amplitudes, so a shot estimate of 0 does not drop a record.
    const keep = (i: number) => {
      if (params.context === undefined) return true;
      const amplitude = states[i]?.state.amplitudes?.[params.context];
      return amplitude === undefined ? fallbackWeight > 0 : amplitude > 0;
    };
    const matchAt = (i: number): DatabaseMatch<M> => {
      const c = candidates[i] as QueryMatch;
      const match = toMatch<M>(c, scores[i] as number, includeMetadata, includeVectors);
      if (contextProbabilities) match.contextProbability = contextProbabilities[i] as number;
      if (coherence) match.coherence = coherence[i] as number;
      return match;
    };
    const ranked = candidates
      .map((_, i) => i)
      .filter(keep)
      .sort((a, b) => (scores[b] as number) - (scores[a] as number));

    if (!tunneling || ranked.length <= topK) {
      return { matches: ranked.slice(0, topK).map(matchAt), namespace, quantum: quantumInfo };
    }
    const pool = ranked;
    const n = pool.length;
    const similarity = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const va = (candidates[pool[a] as number] as QueryMatch).vector as Float32Array;
        const vb = (candidates[pool[b] as number] as QueryMatch).vector as Float32Array;
        const w = similarityOf('cosine', va, vb);
        similarity[a * n + b] = w;
        similarity[b * n + a] = w;
      }
    }
    const problem: DiversityProblem = {
      relevance: Float64Array.from(pool, (i) => scores[i] as number),
      similarity,
      lambda,
      k: topK,
    };
    const seed = this.settings.seed ?? 0x7a11;
    const classical = () => simulatedAnnealing(problem, { seed });
    let solution: DiversitySolution & { circuits?: number };
    const quantumCaps = this.runner.backend?.capabilities;
    const qaoaFits =
      quantumCaps !== undefined &&
      n <= Math.min(MAX_QAOA_POOL, quantumCaps.maxQubits) &&
      ['h', 'rzz', 'rz', 'rx'].every((gate) => quantumCaps.gates.includes(gate));
    if (useQuantum && qaoaFits) {
      const { value, quantum } = await this.runner.run(
        'tunneling',
        (backend, signal) => solveQaoa(problem, backend, { shots: this.settings.shots, seed: this.nextSeed(), signal }),
        classical,
        params.signal,
      );
      solution = value;
      quantumInfo.used ||= quantum;
      quantumInfo.fallback ||= !quantum;
    } else solution = classical();
    const plain = Array.from({ length: topK }, (_, i) => i);
    return {
      matches: solution.selected.map((position) => matchAt(pool[position] as number)),
      namespace,
      quantum: quantumInfo,
      tunneling: {
        solver: solution.solver,
        objective: solution.objective,
        baselineObjective: greedyMmr(problem).objective,
        plainObjective: diversityObjective(problem, plain),
        lambda,
        poolSize: n,
        circuits: solution.circuits ?? 0,
      },
    };
  }

  // ---------------------------------------------------------------- entanglement

  /** Creates (or replaces) a group. Every id must exist; correlation s ∈ [0, 1]. */
  async createEntangledGroup(params: {
    groupId: string;
    ids: readonly string[];
    correlation: number;
    propagateKeys?: readonly string[];
    namespace?: string;
    signal?: AbortSignal;
  }): Promise<EntangledGroup> {
    this.assertOpen();
    const namespace = params.namespace ?? this.settings.namespace;
    const issues = new IssueCollector();
    if (typeof params.groupId !== 'string' || !GROUP_ID_PATTERN.test(params.groupId)) {
      issues.add('groupId', `must match ${GROUP_ID_PATTERN}`);
    }
    let ids: string[] = [];
    try {
      ids = validateIds(params.ids);
    } catch (error) {
      if (error instanceof ValidationError) for (const issue of error.issues) issues.add(issue.field, issue.message);
      else throw error;
    }
    if (ids.length < 2 || ids.length > this.settings.maxEntanglementGroupSize) {
      issues.add('ids', `a group holds 2 to ${this.settings.maxEntanglementGroupSize} distinct ids, got ${ids.length}`);
    }
    if (typeof params.correlation !== 'number' || !(params.correlation >= 0 && params.correlation <= 1)) {
      issues.add('correlation', `must be a number in [0, 1], got ${String(params.correlation)}`);
    }
    const propagateKeys = [...(params.propagateKeys ?? [])];
    for (const key of propagateKeys) {
      if (typeof key !== 'string' || key.startsWith('__qs_')) issues.add('propagateKeys', `invalid key ${String(key)}`);
    }
    issues.throwIfAny('invalid entangled group');
    const found = await this.fetch({ ids, namespace, ...(params.signal ? { signal: params.signal } : {}) });
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundError(`records ${missing.map((id) => `'${id}'`).join(', ')}`);
    const previous = await this.stateStore.get<JsonValue>(this.groupKey(namespace, params.groupId));
    const group: EntangledGroup = {
      groupId: params.groupId,
      ids,
      correlation: params.correlation,
      propagateKeys,
      namespace,
      createdAt: new Date(this.now()).toISOString(),
    };
    if (previous) {
      for (const id of (previous as unknown as EntangledGroup).ids) await this.unlink(id, namespace, params.groupId);
    }
    await this.stateStore.set(this.groupKey(namespace, params.groupId), group as unknown as JsonValue);
    for (const id of ids) {
      await this.stateStore.update<string[]>(this.memberKey(namespace, id), (current) =>
        [...new Set([...(current ?? []), params.groupId])].sort(),
      );
    }
    return group;
  }

  async getEntangledGroup(groupId: string, options: { namespace?: string } = {}): Promise<EntangledGroup | undefined> {
    this.assertOpen();
    checkGroupId(groupId);
    const namespace = options.namespace ?? this.settings.namespace;
    return (await this.stateStore.get<JsonValue>(this.groupKey(namespace, groupId))) as unknown as
      | EntangledGroup
      | undefined;
  }

  async deleteEntangledGroup(groupId: string, options: { namespace?: string } = {}): Promise<boolean> {
    this.assertOpen();
    checkGroupId(groupId);
    const namespace = options.namespace ?? this.settings.namespace;
    const group = await this.getEntangledGroup(groupId, { namespace });
    if (!group) return false;
    for (const id of group.ids) await this.unlink(id, namespace, groupId);
    return this.stateStore.delete(this.groupKey(namespace, groupId));
  }

  /** Partners of a record: every member of a group it is in, with the largest shared correlation. */
  async getEntangledPartners(
    id: string,
    options: { namespace?: string } = {},
  ): Promise<Array<{ id: string; correlation: number; groups: string[] }>> {
    this.assertOpen();
    const namespace = options.namespace ?? this.settings.namespace;
    const partners = await this.livePartners(validateId(id), namespace);
    return [...partners].map(([partnerId, link]) => ({
      id: partnerId,
      correlation: link.correlation,
      groups: link.groups,
    }));
  }

  /**
   * The correlation of two records: the largest s of a group they share, 0 if none. With `quantum`,
   * estimated as 2·P(agree) − 1 from a two-qubit circuit whose bits agree with probability (1+s)/2.
   */
  async getCorrelation(
    a: string,
    b: string,
    options: { namespace?: string; quantum?: boolean; signal?: AbortSignal } = {},
  ): Promise<number> {
    this.assertOpen();
    const partners = await this.livePartners(validateId(a, 'a'), options.namespace ?? this.settings.namespace);
    const exact = partners.get(validateId(b, 'b'))?.correlation ?? 0;
    if (!this.useQuantum(options.quantum)) return exact;
    const { value } = await this.runner.run(
      'entanglement',
      async (backend, signal) => {
        const [result] = await backend.sample({
          circuits: [correlationCircuit(exact)],
          shots: this.settings.shots,
          seed: this.nextSeed(),
          signal,
        });
        if (!result) throw new Error('no result');
        const agree = ((result.counts['00'] ?? 0) + (result.counts['11'] ?? 0)) / result.shots;
        return 2 * agree - 1;
      },
      () => exact,
      options.signal,
    );
    return value;
  }

  // ---------------------------------------------------------------- decoherence, stats, lifecycle

  /** Deletes every record whose lifetime has passed; returns how many were deleted (when known). */
  async applyDecoherence(
    options: { namespace?: string; signal?: AbortSignal } = {},
  ): Promise<{ deletedCount?: number }> {
    this.assertOpen();
    const namespace = options.namespace ?? this.settings.namespace;
    if (!this.decoherenceSeen) return { deletedCount: 0 };
    return await this.backend.delete({
      filter: { [KEY_EXPIRES]: { $lte: this.now() } },
      namespace,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async getStats(
    options: { signal?: AbortSignal } = {},
  ): Promise<IndexStats & { queries: number; cacheHits: number; entangledGroups: number; decoherence: boolean }> {
    this.assertOpen();
    const stats = await this.backend.stats(options.signal ? { signal: options.signal } : {});
    let groups = 0;
    for await (const key of this.stateStore.keys({ prefix: this.stateKey('group/') })) if (key) groups++;
    return {
      ...stats,
      queries: this.queryCount,
      cacheHits: this.cacheHitCount(),
      entangledGroups: groups,
      decoherence: this.decoherenceSeen,
    };
  }

  getQuantumStats(): QuantumStats {
    return this.runner.stats();
  }

  /**
   * Copies every record of the source backend into the target, namespace by namespace, in batches,
   * reporting progress. Reserved keys (contexts, decoherence) travel with the records. Returns the
   * number copied per namespace.
   */
  static async migrate(params: MigrateParams): Promise<{ migrated: number; byNamespace: Record<string, number> }> {
    const batchSize = params.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValidationError([{ field: 'batchSize', message: `must be a positive integer, got ${batchSize}` }]);
    }
    const signalPart = params.signal ? { signal: params.signal } : {};
    const source = await params.from.describeIndex(signalPart);
    if (!source) throw new NotFoundError(`source index '${params.from.indexName}'`);
    await params.to.ensureIndex({ dimension: source.dimension, metric: source.metric, ...signalPart });
    const stats = await params.from.stats(signalPart);
    const namespaces = params.namespaces ?? Object.keys(stats.namespaces);
    const byNamespace: Record<string, number> = {};
    let migrated = 0;
    for (const namespace of namespaces) {
      const total = stats.namespaces[namespace]?.recordCount ?? 0;
      let done = 0;
      let ids: string[] = [];
      const flush = async () => {
        if (ids.length === 0) return;
        const fetched = await params.from.fetch({ ids, namespace, ...signalPart });
        await params.to.upsert({ records: [...fetched.records.values()], namespace, ...signalPart });
        done += fetched.records.size;
        ids = [];
        params.onProgress?.({ namespace, migrated: done, total });
      };
      for await (const id of params.from.list({ namespace, ...signalPart })) {
        ids.push(id);
        if (ids.length >= batchSize) await flush();
      }
      await flush();
      byNamespace[namespace] = done;
      migrated += done;
    }
    return { migrated, byNamespace };
  }

  /** Stops the sweep and closes the backend and state store if the database created them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // withCache's close closes the backend it wraps, so a backend the caller owns is left open.
    if (this.ownsBackend) await this.backend.close();
    if (this.ownsStateStore) await this.stateStore.close();
  }

  // ---------------------------------------------------------------- internals

  /**
   * Whether the backend already holds a record that can expire (inserted by another database, or
   * copied by `migrate` without its settings): one filtered top-1 query per namespace.
   */
  private async probeDecoherence(): Promise<boolean> {
    const caps = this.backend.capabilities;
    if (!caps.filterOperators.includes('$lt')) return false;
    const probe = new Float32Array(this.settings.dimension);
    probe[0] = 1;
    const stats = await this.backend.stats();
    for (const namespace of Object.keys(stats.namespaces)) {
      const found = await this.backend.query({
        vector: probe,
        topK: 1,
        namespace,
        includeMetadata: false,
        filter: { [KEY_EXPIRES]: { $lt: NEVER_EXPIRES } },
      });
      if (found.matches.length > 0) return true;
    }
    return false;
  }

  /** The decoherence sweep: `applyDecoherence` in every namespace the backend reports. */
  private async sweep(): Promise<void> {
    if (this.closed || !this.decoherenceSeen) return;
    const stats = await this.backend.stats();
    for (const namespace of Object.keys(stats.namespaces)) await this.applyDecoherence({ namespace });
  }

  /** Whether a call runs on the quantum backend; asking for it without one is an error. */
  private useQuantum(flag: boolean | undefined): boolean {
    if (flag !== undefined && typeof flag !== 'boolean') {
      throw new ValidationError([{ field: 'quantum', message: 'must be a boolean' }]);
    }
    if (flag === true && !this.runner.backend) {
      throw new ValidationError([{ field: 'quantum', message: 'no quantum backend is configured (config.quantum)' }]);
    }
    return (flag ?? this.settings.enableQuantum) && this.runner.backend !== undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError(`QuantumDatabase on index '${this.backend.indexName}'`);
  }

  private stateFor(
    input: Omit<InsertParams<M>, 'namespace' | 'signal'>,
    now: number,
    field: string,
  ): RecordQuantumState {
    const issues = new IssueCollector();
    const tau =
      input.coherenceTimeMs === null ? undefined : (input.coherenceTimeMs ?? this.settings.defaultCoherenceTimeMs);
    if (tau !== undefined && !(typeof tau === 'number' && tau > 0 && Number.isFinite(tau))) {
      issues.add(`${field}.coherenceTimeMs`, `must be a positive number of ms, got ${String(tau)}`);
    }
    const lifetime =
      input.lifetimeMs === null
        ? undefined
        : (input.lifetimeMs ?? (tau === undefined ? undefined : tau * this.settings.lifetimeFactor));
    if (lifetime !== undefined && !(typeof lifetime === 'number' && lifetime > 0 && Number.isFinite(lifetime))) {
      issues.add(`${field}.lifetimeMs`, `must be a positive number of ms, got ${String(lifetime)}`);
    }
    issues.throwIfAny('invalid record');
    const state: RecordQuantumState = {
      insertedAtMs: now,
      expiresAtMs: lifetime === undefined ? NEVER_EXPIRES : Math.min(NEVER_EXPIRES, now + lifetime),
    };
    if (tau !== undefined) state.coherenceTimeMs = tau;
    if (input.contexts !== undefined) state.amplitudes = contextAmplitudes(input.contexts, `${field}.contexts`);
    return state;
  }

  private isExpired(metadata: Metadata | undefined): boolean {
    const expires = metadata?.[KEY_EXPIRES];
    return typeof expires === 'number' && expires <= this.now();
  }

  private checkFilter(filter: unknown): void {
    const node = parseFilter(filter);
    assertNoReservedKeys(filterFields(node), 'filter');
  }

  private stateKey(suffix: string): string {
    return `qdb/${this.backend.indexName}/${suffix}`;
  }

  private groupKey(namespace: string, groupId: string): string {
    return this.stateKey(`group/${namespace}/${groupId}`);
  }

  private memberKey(namespace: string, id: string): string {
    return this.stateKey(`member/${namespace}/${id}`);
  }

  private async partnersOf(
    id: string,
    namespace: string,
  ): Promise<Map<string, { correlation: number; propagateKeys: string[]; groups: string[] }>> {
    const groupIds = (await this.stateStore.get<string[]>(this.memberKey(namespace, id))) ?? [];
    const partners = new Map<string, { correlation: number; propagateKeys: string[]; groups: string[] }>();
    for (const groupId of groupIds) {
      const group = await this.getEntangledGroup(groupId, { namespace });
      if (!group) continue;
      for (const member of group.ids) {
        if (member === id) continue;
        const link = partners.get(member) ?? { correlation: 0, propagateKeys: [], groups: [] };
        link.correlation = Math.max(link.correlation, group.correlation);
        link.propagateKeys = [...new Set([...link.propagateKeys, ...group.propagateKeys])];
        link.groups.push(groupId);
        partners.set(member, link);
      }
    }
    return partners;
  }

  /**
   * Partners that still exist: records removed by a filter delete or by decoherence leave their
   * groups' documents untouched (the backend cannot say which ids it removed), so lookups check.
   */
  private async livePartners(id: string, namespace: string) {
    const partners = await this.partnersOf(id, namespace);
    if (partners.size === 0) return partners;
    const found = await this.fetch({ ids: [id, ...partners.keys()], namespace });
    if (!found.has(id)) return new Map<string, { correlation: number; propagateKeys: string[]; groups: string[] }>();
    for (const partnerId of [...partners.keys()]) if (!found.has(partnerId)) partners.delete(partnerId);
    return partners;
  }

  private async unlink(id: string, namespace: string, groupId: string): Promise<void> {
    await this.stateStore.update<string[]>(this.memberKey(namespace, id), (current) => {
      const rest = (current ?? []).filter((g) => g !== groupId);
      return rest.length > 0 ? rest : undefined;
    });
  }

  private async leaveGroups(id: string, namespace: string): Promise<void> {
    const groupIds = (await this.stateStore.get<string[]>(this.memberKey(namespace, id))) ?? [];
    for (const groupId of groupIds) {
      let dissolved: string[] = [];
      await this.stateStore.update<JsonValue>(this.groupKey(namespace, groupId), (current) => {
        dissolved = [];
        if (!current) return undefined;
        const group = current as unknown as EntangledGroup;
        const ids = group.ids.filter((member) => member !== id);
        if (ids.length >= 2) return { ...group, ids } as unknown as JsonValue;
        dissolved = ids;
        return undefined;
      });
      // A group left with one member is gone: its last member must not point at the id any more.
      for (const member of dissolved) await this.unlink(member, namespace, groupId);
    }
    await this.stateStore.delete(this.memberKey(namespace, id));
  }

  private seedCounter = 0;
  private nextSeed(): number | undefined {
    if (this.settings.seed === undefined) return undefined;
    this.seedCounter = (this.seedCounter + 1) % 1_000_000;
    return (this.settings.seed + this.seedCounter * 7919) | 0;
  }

  private async estimateContextProbabilities(
    backend: QuantumBackend,
    states: ReadonlyArray<{ state: RecordQuantumState }>,
    context: string,
    signal: AbortSignal,
  ): Promise<number[]> {
    // One circuit per distinct amplitude set; P(context) is the frequency of its basis state.
    const circuits = new Map<string, { index: number; names: string[]; circuit: number }>();
    const list: ReturnType<typeof contextStateCircuit>[] = [];
    const plan = states.map(({ state }) => {
      if (!state.amplitudes || state.amplitudes[context] === undefined) return undefined;
      const names = Object.keys(state.amplitudes);
      const key = JSON.stringify(state.amplitudes);
      let entry = circuits.get(key);
      if (!entry) {
        entry = { index: names.indexOf(context), names, circuit: list.length };
        list.push(contextStateCircuit(names.map((name) => state.amplitudes?.[name] as number)));
        circuits.set(key, entry);
      }
      return entry;
    });
    if (list.length === 0) return states.map(() => 0);
    const results = await backend.sample({ circuits: list, shots: this.settings.shots, seed: this.nextSeed(), signal });
    return plan.map((entry) => {
      if (!entry) return 0;
      const result = results[entry.circuit];
      if (!result) throw new Error('missing sample result');
      const width = list[entry.circuit]?.numQubits ?? 1;
      const key = entry.index.toString(2).padStart(width, '0');
      return (result.counts[key] ?? 0) / result.shots;
    });
  }

  private async estimateBernoulli(backend: QuantumBackend, weights: number[], signal: AbortSignal): Promise<number[]> {
    const results = await backend.sample({
      circuits: weights.map((w) => bernoulliCircuit(w)),
      shots: this.settings.shots,
      seed: this.nextSeed(),
      signal,
    });
    return results.map((r) => (r.counts['0'] ?? 0) / r.shots);
  }

  /** Cache hits (in-process and shared) of the query cache, 0 without one. */
  private cacheHitCount(): number {
    if (!this.cached) return 0;
    const stats = this.cached.cacheStats();
    return stats.l1Hits + stats.l2Hits;
  }
}

function toMatch<M extends Metadata>(
  raw: QueryMatch,
  score: number,
  includeMetadata: boolean,
  includeVectors: boolean,
): DatabaseMatch<M> {
  const match: DatabaseMatch<M> = { id: raw.id, score, similarity: raw.score };
  if (includeMetadata) match.metadata = splitMetadata<M>(raw.metadata).user;
  if (includeVectors && raw.vector) match.vector = raw.vector;
  return match;
}

function toDatabaseRecord<M extends Metadata>(record: VectorRecord): DatabaseRecord<M> {
  const { user, state } = splitMetadata<M>(record.metadata);
  const out: DatabaseRecord<M> = {
    id: record.id,
    vector: record.vector,
    metadata: user,
    insertedAtMs: state.insertedAtMs,
  };
  if (state.amplitudes) {
    out.contexts = Object.fromEntries(Object.entries(state.amplitudes).map(([name, a]) => [name, a * a]));
  }
  if (state.coherenceTimeMs !== undefined) out.coherenceTimeMs = state.coherenceTimeMs;
  if (state.expiresAtMs !== NEVER_EXPIRES) out.expiresAtMs = state.expiresAtMs;
  return out;
}
