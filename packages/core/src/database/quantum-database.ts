import { type CachedVectorBackend, withCache } from '../cache/with-cache.js';
import type { QuantumBackend } from '../quantum/quantum-backend.js';
import { createQuantumBackend } from '../quantum/quantum-registry.js';
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
import type { CacheBackend, StateStore } from '../stores/stores.js';
import { filterFields, parseFilter } from '../vector/filter-parser.js';
import type { Filter } from '../vector/filter-types.js';
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
  isPlainObject,
  validateId,
  validateIds,
  validateNamespace,
  validateTopK,
  validateVector,
} from '../vector/validation.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import {
  checkGroupId,
  correlationFromCounts,
  type EntangledGroup,
  Entanglement,
  GROUP_ID_PATTERN,
  partnerMoves,
  StateKeys,
  validatePropagateKeys,
} from './entanglement.js';
import { correlationCircuit } from './features.js';
import { checkOptions, checkParams, collectIssues } from './params.js';
import type { QuantumStats } from './quantum-runner.js';
import { QuantumRunner } from './quantum-runner.js';
import {
  baselineObjectives,
  diversify,
  featureWeights,
  fetchCandidates,
  isExpiredAt,
  type QuantumInfo,
  type QuantumStage,
  rank,
} from './query-stages.js';
import { type RecordRules, snapshotMetadata, toStoredRecord } from './records.js';
import { assertNoReservedKeys, encodeState, KEY_EXPIRES, NEVER_EXPIRES, splitMetadata } from './reserved.js';
import type { DiversitySolution } from './tunneling.js';
import { checkPoolLimit, MAX_TUNNELING_POOL } from './tunneling.js';

export type { EntangledGroup } from './entanglement.js';

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
  /**
   * Quantum backend for the sampled estimates (the seed's `quantum_sdk`): an instance, or a registry
   * config such as `{type: 'ionq', apiKey, target: 'simulator'}` (built through
   * `createQuantumBackend`; the database then closes it).
   */
  quantum?: QuantumBackend | PluginConfig;
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
  /**
   * Candidates to choose from; default max(16, 3·topK), within the backend's topK limit and
   * {@link MAX_TUNNELING_POOL} (512). A larger pool, or a topK above 512, is refused.
   */
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
  private readonly keys: StateKeys;
  private readonly entanglement: Entanglement;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private decoherenceSeen = false;
  private ownsQuantum = false;
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
        'cache' | 'seed' | 'defaultCoherenceTimeMs' | 'decoherenceSweepMs' | 'quantumTimeoutMs' | 'maxCostUsd'
      > & { quantum?: QuantumBackend },
  ) {
    this.runner = new QuantumRunner(settings.quantum, {
      timeoutMs: settings.quantumTimeoutMs,
      maxCostUsd: settings.maxCostUsd,
    });
    this.now = settings.now;
    this.keys = new StateKeys(backend.indexName);
    this.entanglement = new Entanglement(stateStore, this.keys);
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
    const { backend: quantum, owned: ownsQuantum } = await resolveQuantumBackend(config.quantum);
    const owns = !('query' in config.backend);
    const backend = owns
      ? await createBackend(config.backend as PluginConfig).catch(async (error: unknown) => {
          if (ownsQuantum) await quantum?.close();
          throw error;
        })
      : (config.backend as VectorBackend);
    const metric = config.metric ?? 'cosine';
    try {
      await backend.ensureIndex({ dimension: config.dimension, metric });
    } catch (error) {
      if (owns) await backend.close();
      if (ownsQuantum) await quantum?.close();
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
        ...(quantum ? { quantum } : {}),
      },
    );
    db.cached = cached;
    db.ownsQuantum = ownsQuantum;
    db.decoherenceSeen =
      (await db.stateStore.get<{ decoherence?: boolean }>(db.keys.settings()))?.decoherence === true ||
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
    checkParams(params, 'Invalid insert');
    const { namespace, signal, ...record } = params;
    await this.batchInsert({
      records: [record],
      ...(namespace === undefined ? {} : { namespace }),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  /**
   * Inserts records in writes of `batchSize`. Every record is validated before the first write; if
   * a later write fails, the error is a PartialWriteError listing the ids that landed. A repeated
   * id is written once (the last one wins, as a sequence of inserts would leave it) and counted once.
   *
   * Limits as the user sees them: ids up to 512 characters; user metadata up to the backend's
   * `maxMetadataBytes` minus what the record's quantum state takes (its reserved `__qs_` keys,
   * about 50 bytes without contexts); the error names that exact limit.
   */
  async batchInsert(params: BatchInsertParams<M>): Promise<{ inserted: number; batches: number }> {
    this.assertOpen();
    checkParams(params, 'Invalid batchInsert', { functions: ['onProgress'] });
    const namespace = params.namespace ?? this.settings.namespace;
    const batchSize = params.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValidationError([
        { field: 'batchSize', message: `must be a positive integer, got ${String(batchSize)}` },
      ]);
    }
    throwIfAborted(params.signal);
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    if (!Array.isArray(params.records)) {
      throw new ValidationError([{ field: 'records', message: 'must be an array of records' }]);
    }
    const now = this.now();
    const rules: RecordRules = {
      dimension: this.settings.dimension,
      metric: this.settings.metric,
      maxMetadataBytes: this.backend.capabilities.maxMetadataBytes,
      defaultCoherenceTimeMs: this.settings.defaultCoherenceTimeMs,
      lifetimeFactor: this.settings.lifetimeFactor,
    };
    const issues = new IssueCollector();
    const byId = new Map<string, VectorRecord>();
    let decays = false;
    // Every record is checked before the first write, so a bad record anywhere writes nothing.
    params.records.forEach((input: unknown, i) => {
      const field = `records[${i}]`;
      // The backend's own codes are kept: a wrong dimension is DIMENSION_MISMATCH, not VALIDATION.
      const record = collectIssues(issues, () => toStoredRecord(input, now, field, rules));
      if (!record) return;
      if (record.decays) decays = true;
      byId.delete(record.record.id);
      byId.set(record.record.id, record.record);
    });
    issues.throwIfAny('invalid records');
    const records = [...byId.values()];
    if (decays && !this.decoherenceSeen) {
      await this.stateStore.update<{ decoherence?: boolean }>(this.keys.settings(), (current) => ({
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
   * group the two share, and the groups' `propagateKeys` present in `metadata` are copied to it
   * (see {@link partnerMoves}).
   */
  async update(params: DatabaseUpdateParams<M>): Promise<DatabaseUpdateResult> {
    this.assertOpen();
    checkParams(params, 'Invalid update', { objects: ['options'] });
    const id = validateId(params.id);
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    const userMetadata = snapshotMetadata(params.metadata, 'metadata');
    if (params.metadataMode !== undefined && params.metadataMode !== 'merge' && params.metadataMode !== 'replace') {
      throw new ValidationError([{ field: 'metadataMode', message: "must be 'merge' or 'replace'" }]);
    }
    const newVector =
      params.vector === undefined
        ? undefined
        : validateVector(params.vector, 'vector', this.settings.dimension, this.settings.metric);
    const signalPart = params.signal ? { signal: params.signal } : {};
    throwIfAborted(params.signal);
    const partners = await this.entanglement.partnersOf(id, namespace);
    const current = (await this.backend.fetch({ ids: [id, ...partners.keys()], namespace, ...signalPart })).records;
    const old = current.get(id);
    if (!old || this.isExpired(old.metadata)) return { updated: false, partnersUpdated: [] };
    const { state } = splitMetadata(old.metadata);
    const patch: Metadata = userMetadata ?? {};
    // Replace keeps the record's quantum state: only user keys are replaced.
    const metadata =
      params.metadataMode === 'replace'
        ? { ...patch, ...encodeState(state) }
        : userMetadata === undefined
          ? undefined
          : patch;
    const moved = partnerMoves({
      partners,
      current,
      oldVector: old.vector,
      newVector,
      userMetadata: patch,
      cosine: this.settings.metric === 'cosine',
      isExpired: (m) => this.isExpired(m),
    });
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
      metadata: params.metadataMode === 'replace' ? (metadata as Metadata) : { ...(old.metadata ?? {}), ...patch },
    };
    await this.backend.upsert({ records: [record, ...moved], namespace, ...signalPart });
    return { updated: true, partnersUpdated: moved.map((r) => r.id) };
  }

  /**
   * Deletes by ids, by filter, or everything in the namespace; ids leave their entangled groups.
   * Every input is checked before the backend deletes anything; the state keys of any valid id
   * fit the StateStore, so the group clean-up after the delete has no input left to refuse.
   */
  async delete(params: DeleteParams<M>): Promise<DeleteResult> {
    this.assertOpen();
    checkParams(params, 'Invalid delete', { objects: ['options'] });
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
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
      for (const id of ids) await this.entanglement.leaveGroups(id, namespace);
      return result;
    }
    if (params.filter !== undefined) {
      this.checkFilter(params.filter);
      return await this.backend.delete({ filter: params.filter as Filter<Metadata>, namespace, ...signalPart });
    }
    const result = await this.backend.delete({ all: true, namespace, ...signalPart });
    await this.entanglement.clearNamespace(namespace);
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
    checkParams(params, 'Invalid fetch');
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    const found = await this.backend.fetch({
      ids: validateIds(params.ids),
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

  /**
   * A plain query (no context, no tunneling, no decaying records) is the backend's query. Otherwise
   * the stages of `query-stages.ts`: candidates → weights → rank → diversify (with tunneling).
   * Every path returns at most `topK` matches.
   */
  async query(params: DatabaseQueryParams<M>): Promise<DatabaseQueryResult<M>> {
    this.assertOpen();
    const plan = this.planQuery(params);
    this.queryCount++;
    const { namespace, topK, includeMetadata, includeVectors, context, fallbackWeight, tunneling } = plan;
    const quantum: QuantumInfo = { requested: plan.useQuantum, used: false, fallback: false };
    if (!plan.reranks) {
      // Served from the cache when one is configured: `backend` is then withCache(backend, cache).
      const { matches } = await this.backend.query({
        vector: plan.vector,
        topK,
        namespace,
        includeVectors,
        includeMetadata,
        ...(params.filter ? { filter: params.filter as Filter<Metadata> } : {}),
        ...(params.options ? { options: params.options } : {}),
        ...(params.signal ? { signal: params.signal } : {}),
      });
      return {
        matches: matches.map((m) => toMatch<M>(m, m.score, includeMetadata, includeVectors)),
        namespace,
        quantum,
      };
    }
    const now = this.now();
    const stage: QuantumStage = {
      runner: this.runner,
      enabled: plan.useQuantum,
      shots: this.settings.shots,
      nextSeed: () => this.nextSeed(),
      signal: params.signal,
      info: quantum,
    };
    const candidates = await fetchCandidates(this.backend, {
      vector: plan.vector,
      filter: params.filter as Filter<Metadata> | undefined,
      namespace,
      poolSize: plan.poolSize,
      context,
      contextFallbackWeight: fallbackWeight,
      decoherence: this.decoherenceSeen,
      now,
      includeVectors,
      tunneling: tunneling !== undefined,
      options: params.options,
      signal: params.signal,
    });
    const weights = await featureWeights(
      candidates,
      { context, contextFallbackWeight: fallbackWeight, decoherence: this.decoherenceSeen, now },
      stage,
    );
    const ranking = rank(candidates, weights, {
      metric: this.settings.metric,
      context,
      contextFallbackWeight: fallbackWeight,
    });
    const matchAt = (i: number): DatabaseMatch<M> => {
      const match = toMatch<M>(
        candidates[i] as QueryMatch,
        ranking.scores[i] as number,
        includeMetadata,
        includeVectors,
      );
      if (weights.contextProbabilities) match.contextProbability = weights.contextProbabilities[i] as number;
      if (weights.coherence) match.coherence = weights.coherence[i] as number;
      return match;
    };
    if (!tunneling || ranking.ranked.length <= topK) {
      return { matches: ranking.ranked.slice(0, topK).map(matchAt), namespace, quantum };
    }
    const { selected, solution, problem } = await diversify(
      candidates,
      ranking,
      { topK, lambda: tunneling.lambda, seed: this.settings.seed ?? 0x7a11 },
      stage,
    );
    const objectives = baselineObjectives(problem);
    return {
      matches: selected.map(matchAt),
      namespace,
      quantum,
      tunneling: {
        solver: solution.solver,
        objective: solution.objective,
        baselineObjective: objectives.baseline,
        plainObjective: objectives.plain,
        lambda: tunneling.lambda,
        poolSize: ranking.ranked.length,
        circuits: solution.circuits ?? 0,
      },
    };
  }

  /** Every option of a query checked before any work, with the pool it will fetch. */
  private planQuery(params: DatabaseQueryParams<M>) {
    checkParams(params, 'Invalid query', {
      flags: ['includeMetadata', 'includeVectors', 'quantum'],
      objects: ['options'],
    });
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    this.checkFilter(params.filter);
    const caps = this.backend.capabilities;
    // Checked here, so the error (DIMENSION_MISMATCH or VALIDATION) is the same with or without a cache.
    const vector = validateVector(params.vector, 'vector', this.settings.dimension, this.settings.metric);
    const topK = validateTopK(params.topK, caps.maxTopK);
    const useQuantum = this.useQuantum(params.quantum);
    if (params.tunneling !== undefined && typeof params.tunneling !== 'boolean' && !isPlainObject(params.tunneling)) {
      throw new ValidationError([{ field: 'tunneling', message: 'must be true, false or an object of options' }]);
    }
    const tunnelingOptions: TunnelingOptions | undefined = params.tunneling
      ? params.tunneling === true
        ? {}
        : params.tunneling
      : undefined;
    const context = params.context;
    if (context !== undefined && (typeof context !== 'string' || context.length === 0)) {
      throw new ValidationError([{ field: 'context', message: 'must be a non-empty context name' }]);
    }
    const fallbackWeight = params.contextFallbackWeight ?? 0;
    if (typeof fallbackWeight !== 'number' || !(fallbackWeight >= 0 && fallbackWeight <= 1)) {
      throw new ValidationError([
        { field: 'contextFallbackWeight', message: `must be in [0, 1], got ${String(fallbackWeight)}` },
      ]);
    }
    const lambda = tunnelingOptions?.lambda ?? this.settings.tunnelingLambda;
    if (typeof lambda !== 'number' || !(lambda >= 0 && Number.isFinite(lambda))) {
      throw new ValidationError([
        { field: 'tunneling.lambda', message: `must be a finite number ≥ 0, got ${String(lambda)}` },
      ]);
    }
    const maxPool = caps.maxTopKWithPayload ?? caps.maxTopK;
    let poolSize = Math.min(maxPool, Math.max(topK * this.settings.candidateMultiplier, topK));
    if (tunnelingOptions) {
      // Tunneling's work is O(n²) in its pool: bounded by MAX_TUNNELING_POOL, named in the error.
      if (topK > MAX_TUNNELING_POOL) checkPoolLimit(topK, 'topK');
      const limit = Math.min(maxPool, MAX_TUNNELING_POOL);
      poolSize = tunnelingOptions.poolSize ?? Math.min(limit, Math.max(16, 3 * topK));
      if (typeof poolSize === 'number' && Number.isInteger(poolSize)) checkPoolLimit(poolSize);
      if (!Number.isInteger(poolSize) || poolSize < topK || poolSize > maxPool) {
        throw new ValidationError([
          {
            field: 'tunneling.poolSize',
            message: `must be an integer from topK (${topK}) to ${limit}`,
            limit,
          },
        ]);
      }
    }
    return {
      vector,
      namespace,
      topK,
      useQuantum,
      includeMetadata: params.includeMetadata ?? true,
      includeVectors: params.includeVectors ?? false,
      context,
      fallbackWeight,
      poolSize,
      tunneling: tunnelingOptions ? { lambda } : undefined,
      reranks: context !== undefined || tunnelingOptions !== undefined || this.decoherenceSeen,
    };
  }

  // ---------------------------------------------------------------- entanglement

  /**
   * Creates (or replaces) a group. Every id must exist; correlation s ∈ [0, 1]. The members'
   * links are written before the group and undone if a step fails (see `Entanglement.writeGroup`).
   */
  async createEntangledGroup(params: {
    groupId: string;
    ids: readonly string[];
    correlation: number;
    propagateKeys?: readonly string[];
    namespace?: string;
    signal?: AbortSignal;
  }): Promise<EntangledGroup> {
    this.assertOpen();
    checkParams(params, 'Invalid entangled group');
    const namespace = params.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    const issues = new IssueCollector();
    if (typeof params.groupId !== 'string' || !GROUP_ID_PATTERN.test(params.groupId)) {
      issues.add('groupId', `must match ${GROUP_ID_PATTERN}`, 128);
    }
    const ids = collectIssues(issues, () => validateIds(params.ids)) ?? [];
    if (ids.length < 2 || ids.length > this.settings.maxEntanglementGroupSize) {
      issues.add('ids', `a group holds 2 to ${this.settings.maxEntanglementGroupSize} distinct ids, got ${ids.length}`);
    }
    if (typeof params.correlation !== 'number' || !(params.correlation >= 0 && params.correlation <= 1)) {
      issues.add('correlation', `must be a number in [0, 1], got ${String(params.correlation)}`);
    }
    const propagateKeys = collectIssues(issues, () => validatePropagateKeys(params.propagateKeys)) ?? [];
    issues.throwIfAny('invalid entangled group');
    const found = await this.fetch({ ids, namespace, ...(params.signal ? { signal: params.signal } : {}) });
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundError(`records ${missing.map((id) => `'${id}'`).join(', ')}`);
    const group: EntangledGroup = {
      groupId: params.groupId,
      ids,
      correlation: params.correlation,
      propagateKeys,
      namespace,
      createdAt: new Date(this.now()).toISOString(),
    };
    await this.entanglement.writeGroup(group);
    return group;
  }

  async getEntangledGroup(groupId: string, options: { namespace?: string } = {}): Promise<EntangledGroup | undefined> {
    this.assertOpen();
    checkGroupId(groupId);
    return this.entanglement.getGroup(this.namespaceOption(options, 'Invalid entangled group'), groupId);
  }

  async deleteEntangledGroup(groupId: string, options: { namespace?: string } = {}): Promise<boolean> {
    this.assertOpen();
    checkGroupId(groupId);
    return this.entanglement.deleteGroup(this.namespaceOption(options, 'Invalid entangled group'), groupId);
  }

  /** Partners of a record: every member of a group it is in, with the largest shared correlation. */
  async getEntangledPartners(
    id: string,
    options: { namespace?: string } = {},
  ): Promise<Array<{ id: string; correlation: number; groups: string[] }>> {
    this.assertOpen();
    const valid = validateId(id);
    const partners = await this.livePartners(valid, this.namespaceOption(options, 'Invalid partners'));
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
    const opts = checkOptions(options, 'Invalid correlation', { flags: ['quantum'] });
    const first = validateId(a, 'a');
    const second = validateId(b, 'b');
    const namespace = this.namespaceOption(opts, 'Invalid correlation');
    const useQuantum = this.useQuantum(opts.quantum);
    const partners = await this.livePartners(first, namespace);
    const exact = partners.get(second)?.correlation ?? 0;
    if (!useQuantum) return exact;
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
        return correlationFromCounts(result.counts, result.shots);
      },
      () => exact,
      opts.signal,
    );
    return value;
  }

  // ---------------------------------------------------------------- decoherence, stats, lifecycle

  /** Deletes every record whose lifetime has passed; returns how many were deleted (when known). */
  async applyDecoherence(
    options: { namespace?: string; signal?: AbortSignal } = {},
  ): Promise<{ deletedCount?: number }> {
    this.assertOpen();
    const opts = checkOptions(options, 'Invalid applyDecoherence');
    const namespace = this.namespaceOption(opts, 'Invalid applyDecoherence');
    if (!this.decoherenceSeen) return { deletedCount: 0 };
    return await this.backend.delete({
      filter: { [KEY_EXPIRES]: { $lte: this.now() } },
      namespace,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async getStats(
    options: { signal?: AbortSignal } = {},
  ): Promise<IndexStats & { queries: number; cacheHits: number; entangledGroups: number; decoherence: boolean }> {
    this.assertOpen();
    const opts = checkOptions(options, 'Invalid getStats');
    const stats = await this.backend.stats(opts.signal ? { signal: opts.signal } : {});
    const groups = await this.entanglement.countGroups();
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
    checkParams(params, 'Invalid migrate', { functions: ['onProgress'] });
    const issues = new IssueCollector();
    for (const side of ['from', 'to'] as const) {
      const backend = params[side] as Partial<VectorBackend> | undefined;
      if (typeof backend?.fetch !== 'function' || typeof backend.upsert !== 'function') {
        issues.add(side, 'must be a VectorBackend');
      }
    }
    if (params.namespaces !== undefined && !Array.isArray(params.namespaces)) {
      issues.add('namespaces', 'must be an array of namespaces');
    }
    issues.throwIfAny('Invalid migrate');
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
    // Null prototype: a namespace named `__proto__` is an entry like any other.
    const byNamespace: Record<string, number> = Object.create(null);
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
    this.closing ??= (async () => {
      this.closed = true;
      if (this.sweepTimer) clearInterval(this.sweepTimer);
      // withCache's close closes the backend it wraps, so a backend the caller owns is left open.
      if (this.ownsBackend) await this.backend.close();
      if (this.ownsStateStore) await this.stateStore.close();
      if (this.ownsQuantum) await this.runner.backend?.close();
    })();
    // A second concurrent close waits for the first.
    await this.closing;
  }

  private closing: Promise<void> | undefined;

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

  private isExpired(metadata: Metadata | undefined): boolean {
    return isExpiredAt(metadata, this.now());
  }

  private checkFilter(filter: unknown): void {
    const node = parseFilter(filter);
    assertNoReservedKeys(filterFields(node), 'filter');
  }

  /** Partners that still exist (see `Entanglement.livePartners`). */
  private livePartners(id: string, namespace: string) {
    return this.entanglement.livePartners(
      id,
      namespace,
      async (ids) => new Set((await this.fetch({ ids, namespace })).keys()),
    );
  }

  /** The `namespace` of an options object, checked; the default namespace when absent. */
  private namespaceOption(options: { namespace?: string } | undefined, summary: string): string {
    const opts = checkOptions(options, summary);
    const namespace = opts.namespace ?? this.settings.namespace;
    validateNamespace(namespace, this.backend.capabilities.namespaces);
    return namespace;
  }

  private seedCounter = 0;
  private nextSeed(): number | undefined {
    if (this.settings.seed === undefined) return undefined;
    this.seedCounter = (this.seedCounter + 1) % 1_000_000;
    return (this.settings.seed + this.seedCounter * 7919) | 0;
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

/**
 * `config.quantum` as a backend: an instance as given (the caller closes it), or a registry config
 * such as `{type: 'ionq', ...}` or `{type: 'mock'}` built through `createQuantumBackend` (owned: the
 * database closes it).
 */
async function resolveQuantumBackend(
  quantum: QuantumBackend | PluginConfig | undefined,
): Promise<{ backend: QuantumBackend | undefined; owned: boolean }> {
  if (quantum === undefined) return { backend: undefined, owned: false };
  if (typeof (quantum as Partial<QuantumBackend>).sample === 'function') {
    return { backend: quantum as QuantumBackend, owned: false };
  }
  if (typeof quantum !== 'object' || quantum === null || typeof (quantum as PluginConfig).type !== 'string') {
    throw new ValidationError([
      { field: 'quantum', message: "must be a QuantumBackend or a config such as {type: 'ionq', ...}" },
    ]);
  }
  return { backend: await createQuantumBackend(quantum as PluginConfig), owned: true };
}
