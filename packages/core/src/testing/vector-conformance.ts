/**
 * The vector-backend conformance kit: the executable contract of {@link VectorBackend}. Every backend
 * package calls {@link describeVectorBackendConformance} from a vitest test file.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import {
  AbortError,
  ClosedError,
  DimensionMismatchError,
  FilterValidationError,
  IndexNotFoundError,
  isQStoreError,
  MetricMismatchError,
  type QStoreError,
  type QStoreErrorCode,
  UnsupportedFilterError,
  UnsupportedOperationError,
  ValidationError,
} from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { evaluateFilter } from '../vector/filter-evaluator.js';
import { collectOperators, parseFilter } from '../vector/filter-parser.js';
import { FILTER_OPERATORS, type Filter, type FilterNode, type FilterOperator } from '../vector/filter-types.js';
import { score } from '../vector/metrics.js';
import {
  type BackendCapabilities,
  METRICS,
  type Metadata,
  type Metric,
  type VectorRecordInput,
} from '../vector/types.js';
import { estimateRecordBytes, MAX_ID_LENGTH } from '../vector/validation.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import { type SettleHook, SettlingBackend, SharedIndexView } from './conformance-views.js';
import { type DatasetRecord, generateFilters, makeFilterDataset, randomVector } from './datasets.js';

/** Options of {@link describeVectorBackendConformance}. */
export interface VectorConformanceOptions {
  /** Suite title, e.g. 'MemoryBackend'. */
  name: string;
  /**
   * A backend for the given fresh index name (lowercase letters/digits/'-', ≤45 chars). Called once
   * per describe block, not per test.
   */
  create(indexName: string): VectorBackend | Promise<VectorBackend>;
  /** Optional: called after each created backend is done (after close); e.g. drop databases. */
  cleanup?(indexName: string): void | Promise<void>;
  /** Per-hook/test timeout in ms for slow remote backends (default vitest's). */
  timeoutMs?: number;
  /**
   * For eventually consistent stores: resolves once the write described by `info` is visible to
   * reads. The kit calls it after every write it makes (index operations included) and before it
   * reads back. Required when `capabilities.consistency` is `'eventual'`: without it every test
   * fails, saying so (the kit does not guess how long to wait).
   */
  settle?: SettleHook;
  /**
   * Shared-index mode, for managed services where each index costs quota: the whole kit runs on
   * one index (created once, or the one named here) with one namespace prefix per test group. See
   * {@link SharedIndexOptions}. Needs `capabilities.namespaces`.
   */
  sharedIndex?: SharedIndexOptions | true;
}

/** Options of the kit's shared-index mode. */
export interface SharedIndexOptions {
  /**
   * Run on this existing (or to-be-created) index and leave it in place, emptying only the
   * namespaces the kit wrote. Default: a fresh name, created once and dropped at the end.
   */
  indexName?: string;
  /** Dimension of the index the kit creates (default 32; at least 24, the widest group). */
  dimension?: number;
  /** Metric of the index the kit creates (default cosine when declared, else the first declared). */
  metric?: Metric;
  /**
   * Let the groups that need an index of their own (index lifecycle: ensureIndex mismatches and
   * dropIndex; ranking under the metrics other than the shared index's) create one each, as in
   * the default mode. Default false: those groups are skipped, saying why.
   */
  freshIndexes?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Seeds and sizes. Fixed, so a failure reproduces; only index names are random (see `uniqueName`).

const FILTER_SEED = 20_240_601;
const GENERATED_FILTER_SEED = 7;
const GENERATED_FILTER_COUNT = 200;
const RANKING_SEED = 4242;
const RANKING_DIMENSION = 24;
const RANKING_QUERIES = 6;
const RANKING_TOP_K = 10;
const BATCH_RECORDS = 2_500;
const BATCH_DIMENSION = 16;
/** Relative tolerance of score comparisons (backends may compute in float32). */
const SCORE_TOLERANCE = 1e-4;

// Index names must be unique across runs against a shared service, so they are seeded from the clock.
const nameRng = createRng((Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0);

function randomToken(length: number): string {
  let token = '';
  for (let i = 0; i < length; i++) token += '0123456789abcdefghijklmnopqrstuvwxyz'[nameRng.int(0, 35)];
  return token;
}

function uniqueName(suffix: string): string {
  const token = randomToken(8);
  return `conf-${suffix.slice(0, 45 - 5 - 1 - token.length)}-${token}`;
}

/** The widest vectors a group writes (ranking); a shared index must hold at least these. */
const SHARED_MIN_DIMENSION = RANKING_DIMENSION;
const SHARED_DEFAULT_DIMENSION = 32;

// ---------------------------------------------------------------------------------------------
// Harness: one backend per describe block.

class Harness {
  private current: VectorBackend | undefined;
  indexName = '';
  /** Set when the group cannot run in this mode; its tests are skipped with this note. */
  skipReason: string | undefined;
  /** A setup error that is not the backend's (a missing settle hook): every test fails with it. */
  setupError: Error | undefined;
  /** In shared-index mode, the shared index's metric. */
  fixedMetric: Metric | undefined;

  get backend(): VectorBackend {
    if (!this.current) throw new Error('conformance: the backend was not created (did beforeAll fail?)');
    return this.current;
  }

  get caps(): BackendCapabilities {
    return this.backend.capabilities;
  }

  /** The metric the generic groups use: cosine when declared, else the first declared one. */
  get metric(): Metric {
    return this.fixedMetric ?? defaultMetric(this.caps);
  }

  set(backend: VectorBackend | undefined): void {
    this.current = backend;
  }
}

function defaultMetric(caps: BackendCapabilities): Metric {
  return caps.metrics.includes('cosine') ? 'cosine' : (caps.metrics[0] as Metric);
}

/** The capability flags that rule tests out (only an explicit `false` does). */
type OptionalCapability = 'listByPrefix' | 'deleteByFilter';

function lacks(h: Harness, capability: OptionalCapability): boolean {
  return h.caps[capability] === false;
}

/** Skips the running test when the backend declares it lacks `capability`. */
function skipWithout(ctx: TestContext, h: Harness, capability: OptionalCapability): void {
  if (lacks(h, capability)) ctx.skip(`capabilities.${capability} is false`);
}

/** The kit's run: its options and, in shared-index mode, the shared index once it is ready. */
interface Kit {
  options: VectorConformanceOptions;
  shared?: SharedRun;
}

interface SharedRun {
  settings: SharedIndexOptions;
  indexName: string;
  dimension: number;
  metric: Metric | undefined;
  /** Real namespaces the groups wrote into (emptied at the end when the index was given). */
  namespaces: Set<string>;
  setupError?: Error;
}

/** The kit was set up wrongly for this backend; reported by every test of the group. */
class KitSetupError extends Error {
  override name = 'KitSetupError';
}

async function open(kit: Kit, indexName: string): Promise<VectorBackend> {
  const backend = await kit.options.create(indexName);
  if (backend.capabilities.consistency === 'eventual' && kit.options.settle === undefined) {
    await backend.close();
    throw new KitSetupError(
      "conformance: the backend declares capabilities.consistency 'eventual' but no settle hook was given: " +
        'pass settle(backend, info) resolving once the write described by info is visible to reads',
    );
  }
  return kit.options.settle ? new SettlingBackend(backend, kit.options.settle) : backend;
}

/** Runs a setup step; a KitSetupError is kept for the tests to report instead of failing the hook. */
async function settingUp(h: { setupError?: Error | undefined }, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof KitSetupError)) throw error;
    h.setupError = error;
  }
}

interface GroupPlan {
  /**
   * Why the group needs an index of its own, given the shared index's metric (undefined: it does
   * not). Such a group runs on a fresh index when `freshIndexes` allows, else is skipped with it.
   */
  ownIndex?: (sharedMetric: Metric) => string | undefined;
}

/**
 * Registers beforeAll/afterAll creating, closing and cleaning up a backend with a fresh index
 * name; in shared-index mode, a backend on the shared index seen through the group's namespaces.
 */
function useBackend(kit: Kit, suffix: string, setup?: (h: Harness) => Promise<void>, plan: GroupPlan = {}): Harness {
  const { options, shared } = kit;
  const h = new Harness();
  let created = false;
  let ownIndex = false;
  beforeAll(
    () =>
      settingUp(h, async () => {
        if (shared?.setupError) throw shared.setupError;
        const needsOwn = shared && plan.ownIndex?.(shared.metric as Metric);
        if (shared && needsOwn && !shared.settings.freshIndexes) {
          h.skipReason = `shared-index mode: ${needsOwn} (set sharedIndex.freshIndexes to run it on an index of its own)`;
          return;
        }
        ownIndex = !shared || needsOwn !== undefined;
        if (ownIndex) {
          h.indexName = uniqueName(suffix);
          h.set(await open(kit, h.indexName));
        } else if (shared) {
          h.indexName = shared.indexName;
          h.fixedMetric = shared.metric;
          const prefix = `${randomToken(6)}-${suffix}`;
          const onNamespace = (namespace: string): void => void shared.namespaces.add(namespace);
          const backend = await open(kit, shared.indexName);
          h.set(new SharedIndexView(backend, { dimension: shared.dimension, prefix, onNamespace }));
        }
        created = true;
        if (setup) await setup(h);
      }),
    options.timeoutMs,
  );
  beforeEach((ctx) => {
    if (h.setupError) throw h.setupError;
    if (h.skipReason !== undefined) ctx.skip(h.skipReason);
  });
  afterAll(async () => {
    if (!created) return;
    try {
      await h.backend.close();
    } finally {
      h.set(undefined);
      if (ownIndex) await options.cleanup?.(h.indexName);
    }
  }, options.timeoutMs);
  return h;
}

/** Shared-index mode: opens (or creates) the one index before the groups and cleans up after. */
function useSharedIndex(kit: Kit, settings: SharedIndexOptions): SharedRun {
  const { options } = kit;
  const run: SharedRun = {
    settings,
    indexName: settings.indexName ?? uniqueName('shared'),
    dimension: settings.dimension ?? SHARED_DEFAULT_DIMENSION,
    metric: settings.metric,
    namespaces: new Set(),
  };
  let admin: VectorBackend | undefined;
  let createdIndex = false;
  beforeAll(
    () =>
      settingUp(run, async () => {
        admin = await open(kit, run.indexName);
        const caps = admin.capabilities;
        if (!caps.namespaces) {
          throw new KitSetupError(
            'conformance: shared-index mode needs capabilities.namespaces (one namespace per test group)',
          );
        }
        const existing = await admin.describeIndex();
        if (existing) {
          run.dimension = existing.dimension;
          run.metric = existing.metric;
        } else {
          run.metric ??= defaultMetric(caps);
          await admin.ensureIndex({ dimension: run.dimension, metric: run.metric });
          createdIndex = true;
        }
        if (run.dimension < SHARED_MIN_DIMENSION) {
          throw new KitSetupError(
            `conformance: the shared index '${run.indexName}' has dimension ${run.dimension}; the kit needs at least ${SHARED_MIN_DIMENSION}`,
          );
        }
      }),
    options.timeoutMs,
  );
  afterAll(async () => {
    if (!admin) return;
    try {
      if (createdIndex && settings.indexName === undefined) {
        await admin.dropIndex();
      } else {
        for (const namespace of run.namespaces) await admin.delete({ all: true, namespace });
      }
    } finally {
      await admin.close();
      await options.cleanup?.(run.indexName);
    }
  }, options.timeoutMs);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Assertions and small helpers.

type ErrorClass = abstract new (...args: never[]) => Error;

interface ExpectedError {
  code: QStoreErrorCode;
  cls: ErrorClass;
  /** A field path the error must name, in `issues[].field` (exactly or as a prefix) or in the message. */
  field?: string;
}

function namesField(error: QStoreError, field: string): boolean {
  const issues = (error as Partial<ValidationError>).issues;
  if (Array.isArray(issues)) {
    for (const issue of issues) {
      const f = (issue as { field?: unknown }).field;
      if (typeof f !== 'string') continue;
      if (f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`)) return true;
    }
  }
  return error.message.includes(field);
}

/**
 * Runs `run`, expects a q-store error of the given code and class naming the field; returns it.
 * With `alternative`, an error of the alternative's code is accepted too (and checked against it).
 */
async function expectFailure(
  run: () => unknown,
  wanted: ExpectedError,
  alternative?: ExpectedError,
): Promise<QStoreError> {
  let expected = wanted;
  let caught: unknown;
  let threw = false;
  try {
    const result = run();
    if (isAsyncIterable(result)) {
      for await (const _ of result) {
        // drain: list() fails on the first step
      }
    } else {
      await result;
    }
  } catch (error) {
    threw = true;
    caught = error;
  }
  if (!threw) throw new Error(`expected a ${expected.code} error, but the call succeeded`);
  if (!isQStoreError(caught)) throw new Error(`expected a q-store ${expected.code} error, got ${String(caught)}`);
  if (alternative !== undefined && caught.code === alternative.code) expected = alternative;
  expect(caught.code, caught.message).toBe(expected.code);
  // By name too: an error from another copy of @q-store/core is not an instance of this copy's class.
  const { name } = caught;
  const className = expected.cls.name;
  expect(caught instanceof expected.cls || name === className, `${name} is a ${className}`).toBe(true);
  if (expected.field !== undefined) {
    const issues = JSON.stringify((caught as Partial<ValidationError>).issues ?? []);
    expect(namesField(caught, expected.field), `error names '${expected.field}': ${caught.message} ${issues}`).toBe(
      true,
    );
  }
  return caught;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of iterable) out.push(id);
  return out;
}

function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Cast for filters built as plain objects (generated or deliberately invalid). */
function asFilter(filter: unknown): Filter<Metadata> {
  return filter as Filter<Metadata>;
}

/** Cast for deliberately invalid inputs. */
function unchecked<T>(value: unknown): T {
  return value as T;
}

/** Per-test options (the timeout). */
type TestOptions = { timeout?: number };

function timeout(t: number | undefined): TestOptions {
  return t === undefined ? {} : { timeout: t };
}

function exactFlag(h: Harness): { exact?: true } {
  return h.caps.exactSearch ? { exact: true } : {};
}

async function total(h: Harness): Promise<number> {
  return (await h.backend.stats()).totalRecordCount;
}

async function nsCount(h: Harness, namespace: string): Promise<number> {
  return (await h.backend.stats()).namespaces[namespace]?.recordCount ?? 0;
}

function vec(values: readonly number[]): Float32Array {
  return Float32Array.from(values);
}

function expectSameVector(actual: Float32Array | undefined, expected: ArrayLike<number>): void {
  expect(actual, 'a Float32Array vector').toBeInstanceOf(Float32Array);
  expect(Array.from(actual as Float32Array)).toEqual(Array.from(expected, (v) => Math.fround(v)));
}

function unsupportedOperators(h: Harness, node: FilterNode | undefined): FilterOperator[] {
  return [...collectOperators(node)].filter((op) => !h.caps.filterOperators.includes(op));
}

async function expectUnsupported(run: () => unknown, operators: readonly FilterOperator[]): Promise<void> {
  const error = await expectFailure(run, { code: 'UNSUPPORTED_FILTER', cls: UnsupportedFilterError });
  const named = (error as Partial<UnsupportedFilterError>).operators;
  for (const op of operators) {
    expect(Array.isArray(named) ? named.includes(op) : error.message.includes(op), `names ${op}`).toBe(true);
  }
}

function nearlyEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= SCORE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

interface Scored {
  id: string;
  score: number;
}

/** Brute-force scores of every record against `query`, best first (ties by id). */
function bruteForce(metric: Metric, query: Float32Array, records: readonly DatasetRecord[]): Scored[] {
  return records
    .map((r) => ({ id: r.id, score: score(metric, query, r.vector) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Checks returned matches against brute force up to ties: the right length, unique ids, scores
 * descending and equal to brute force's for the same ids, the i-th score equal to brute force's i-th,
 * every returned id within the true top k (up to tied scores) and every id clearly inside it returned.
 */
function expectRanking(matches: readonly Scored[], brute: readonly Scored[], k: number): void {
  const want = Math.min(k, brute.length);
  expect(matches.length).toBe(want);
  expect(new Set(matches.map((m) => m.id)).size).toBe(matches.length);
  const exact = new Map(brute.map((b) => [b.id, b.score]));
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i] as Scored;
    const truth = exact.get(m.id);
    expect(truth, `returned id ${m.id} exists`).toBeDefined();
    expect(nearlyEqual(m.score, truth as number), `score of ${m.id}: ${m.score} vs brute force ${truth}`).toBe(true);
    const ith = (brute[i] as Scored).score;
    expect(nearlyEqual(m.score, ith), `rank ${i}: ${m.score} vs brute force ${ith}`).toBe(true);
    if (i > 0) {
      const prev = (matches[i - 1] as Scored).score;
      expect(prev >= m.score || nearlyEqual(prev, m.score), `descending at ${i}: ${prev} then ${m.score}`).toBe(true);
    }
  }
  if (want === 0) return;
  const cutoff = (brute[want - 1] as Scored).score;
  const returned = new Set(matches.map((m) => m.id));
  for (const m of matches) {
    const s = exact.get(m.id) as number;
    expect(s >= cutoff || nearlyEqual(s, cutoff), `${m.id} (${s}) is in the top ${want} (cutoff ${cutoff})`).toBe(true);
  }
  for (const b of brute.slice(0, want)) {
    if (b.score > cutoff && !nearlyEqual(b.score, cutoff)) {
      expect(returned.has(b.id), `${b.id} (${b.score}) is clearly in the top ${want} and must be returned`).toBe(true);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The kit.

/**
 * Registers the conformance suites for one backend: index lifecycle, CRUD, batching, filters
 * (hand-written and generated, compared with the reference evaluator), ranking under every declared
 * metric (compared with brute force), bad input, namespaces, delete, list, stats, concurrency,
 * abort and close. What is tested follows `backend.capabilities`; cases that do not apply to a
 * backend are reported as skipped, with a note naming the capability. Cases inside a group run in
 * order and build on each other. For remote services: `settle` waits for eventually consistent
 * writes, `sharedIndex` runs every group on one index (docs/vector-conformance-kit.md).
 *
 * ```ts
 * describeVectorBackendConformance({ name: 'MemoryBackend', create: (indexName) => new MemoryBackend({ indexName }) });
 * ```
 */
export function describeVectorBackendConformance(options: VectorConformanceOptions): void {
  const t = options.timeoutMs;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) throw new RangeError(`timeoutMs must be positive, got ${t}`);
  const o = timeout(t);

  const settings = options.sharedIndex === true ? {} : options.sharedIndex;
  if (
    settings?.dimension !== undefined &&
    !(Number.isInteger(settings.dimension) && settings.dimension >= SHARED_MIN_DIMENSION)
  ) {
    throw new RangeError(
      `sharedIndex.dimension must be an integer >= ${SHARED_MIN_DIMENSION}, got ${settings.dimension}`,
    );
  }
  const mode = settings ? ' (shared-index mode)' : '';

  describe(`VectorBackend conformance: ${options.name}${mode}`, () => {
    const kit: Kit = { options };
    if (settings) kit.shared = useSharedIndex(kit, settings);
    describeIndexLifecycle(kit, o);
    describeCrud(kit, o);
    describeBatches(kit, o);
    describeFilters(kit, o);
    for (const metric of METRICS) describeRanking(kit, metric, o);
    describeBadInput(kit, o);
    describeNamespaces(kit, o);
    describeDelete(kit, o);
    describeList(kit, o);
    describeStats(kit, o);
    describeConcurrency(kit, o);
    describeAbort(kit, o);
    describeClose(kit, o);
  });
}

// ---------------------------------------------------------------------------------------------

function describeIndexLifecycle(kit: Kit, o: TestOptions): void {
  describe('index lifecycle', () => {
    const h = useBackend(kit, 'index', undefined, {
      ownIndex: () =>
        'the index lifecycle group needs an index of its own (describeIndex before ensureIndex, mismatches, dropIndex)',
    });
    const dim = 12;
    const v = (seed: number): Float32Array => randomVector(createRng(seed), dim);

    it('describeIndex is null before ensureIndex', o, async () => {
      expect(await h.backend.describeIndex()).toBeNull();
    });

    const beforeCreate: Array<[string, (b: VectorBackend) => unknown]> = [
      ['upsert', (b) => b.upsert({ records: [{ id: 'a', vector: v(1) }] })],
      ['query', (b) => b.query({ vector: v(1), topK: 1 })],
      ['fetch', (b) => b.fetch({ ids: ['a'] })],
      ['update', (b) => b.update({ id: 'a', metadata: { x: 1 } })],
      ['delete', (b) => b.delete({ ids: ['a'] })],
      ['list', (b) => b.list()],
      ['stats', (b) => b.stats()],
    ];
    it.each(beforeCreate)('%s before ensureIndex fails with INDEX_NOT_FOUND', o, async (_name, run) => {
      await expectFailure(() => run(h.backend), { code: 'INDEX_NOT_FOUND', cls: IndexNotFoundError });
      expect(await h.backend.describeIndex()).toBeNull();
    });

    const badParams: Array<[string, () => { dimension: number; metric: Metric }, string]> = [
      ['dimension 0', () => ({ dimension: 0, metric: h.metric }), 'dimension'],
      ['dimension 1.5', () => ({ dimension: 1.5, metric: h.metric }), 'dimension'],
      ['dimension above maxDimension', () => ({ dimension: h.caps.maxDimension + 1, metric: h.metric }), 'dimension'],
      ['unknown metric', () => ({ dimension: dim, metric: unchecked<Metric>('manhattan') }), 'metric'],
    ];
    it.each(badParams)(
      'ensureIndex with %s fails with VALIDATION and creates nothing',
      o,
      async (_name, params, field) => {
        await expectFailure(() => h.backend.ensureIndex(params()), { code: 'VALIDATION', cls: ValidationError, field });
        expect(await h.backend.describeIndex()).toBeNull();
      },
    );

    it('ensureIndex creates the index', o, async () => {
      const description = await h.backend.ensureIndex({ dimension: dim, metric: h.metric });
      expect(description).toEqual({ name: h.indexName, dimension: dim, metric: h.metric });
      expect(await h.backend.describeIndex()).toEqual(description);
      const stats = await h.backend.stats();
      expect(stats).toMatchObject({ dimension: dim, metric: h.metric, totalRecordCount: 0 });
    });

    it(
      'ensureIndex twice with the same dimension and metric returns the same description and keeps records',
      o,
      async () => {
        await h.backend.upsert({ records: [{ id: 'keep', vector: v(2), metadata: { k: 'v' } }] });
        const again = await h.backend.ensureIndex({ dimension: dim, metric: h.metric });
        expect(again).toEqual({ name: h.indexName, dimension: dim, metric: h.metric });
        expect(await total(h)).toBe(1);
        expect((await h.backend.fetch({ ids: ['keep'] })).records.get('keep')?.metadata).toEqual({ k: 'v' });
      },
    );

    it('ensureIndex with another dimension fails with DIMENSION_MISMATCH', o, async () => {
      await expectFailure(() => h.backend.ensureIndex({ dimension: dim + 1, metric: h.metric }), {
        code: 'DIMENSION_MISMATCH',
        cls: DimensionMismatchError,
        field: 'dimension',
      });
      expect(await h.backend.describeIndex()).toEqual({ name: h.indexName, dimension: dim, metric: h.metric });
      expect(await total(h)).toBe(1);
    });

    it('ensureIndex with another metric fails with METRIC_MISMATCH', o, async (ctx) => {
      const other = h.caps.metrics.find((m) => m !== h.metric);
      if (other === undefined) return ctx.skip('the backend declares a single metric');
      const error = await expectFailure(() => h.backend.ensureIndex({ dimension: dim, metric: other }), {
        code: 'METRIC_MISMATCH',
        cls: MetricMismatchError,
      });
      expect(error.message).toContain(other);
      expect(await h.backend.describeIndex()).toEqual({ name: h.indexName, dimension: dim, metric: h.metric });
    });

    it('dropIndex removes the index: describeIndex is null and operations fail with INDEX_NOT_FOUND', o, async () => {
      await h.backend.dropIndex();
      expect(await h.backend.describeIndex()).toBeNull();
      await expectFailure(() => h.backend.fetch({ ids: ['keep'] }), {
        code: 'INDEX_NOT_FOUND',
        cls: IndexNotFoundError,
      });
      await expectFailure(() => h.backend.upsert({ records: [{ id: 'x', vector: v(3) }] }), {
        code: 'INDEX_NOT_FOUND',
        cls: IndexNotFoundError,
      });
    });

    it('ensureIndex after dropIndex creates a fresh, empty index (another dimension is fine)', o, async () => {
      const description = await h.backend.ensureIndex({ dimension: 6, metric: h.metric });
      expect(description).toEqual({ name: h.indexName, dimension: 6, metric: h.metric });
      expect(await total(h)).toBe(0);
      expect((await h.backend.fetch({ ids: ['keep'] })).records.size).toBe(0);
      await h.backend.upsert({ records: [{ id: 'six', vector: [1, 2, 3, 4, 5, 6] }] });
      expect(await total(h)).toBe(1);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeCrud(kit: Kit, o: TestOptions): void {
  describe('upsert, fetch, update', () => {
    const dim = 8;
    const h = useBackend(kit, 'crud', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
    });
    const rng = createRng(11);
    const v = (): Float32Array => randomVector(rng, dim);

    it('upsert then fetch returns the exact float32 values and metadata', o, async () => {
      const a = vec([0.1, -0.2, 0.3, 1e-7, 123.456, -9.87654321, 1e10, 1 / 3]);
      const metaA: Metadata = {
        title: 'ünïcødé ✓ "quoted"',
        empty: '',
        price: 19.99,
        neg: -42.5,
        big: 1e300,
        count: 0,
        flag: false,
        ok: true,
        tags: ['x', 'y z', ''],
        none: [],
      };
      const b = v();
      const result = await h.backend.upsert({
        records: [
          { id: 'a', vector: a, metadata: metaA },
          { id: 'b', vector: b },
        ],
      });
      expect(result.upsertedCount).toBe(2);
      expect(result.chunks).toBeGreaterThanOrEqual(1);
      const fetched = await h.backend.fetch({ ids: ['a', 'b'] });
      expect(fetched.namespace).toBe('');
      expect(sorted(fetched.records.keys())).toEqual(['a', 'b']);
      const ra = fetched.records.get('a');
      expect(ra?.id).toBe('a');
      expectSameVector(ra?.vector, a);
      expect(ra?.metadata).toEqual(metaA);
      expectSameVector(fetched.records.get('b')?.vector, b);
      expect(fetched.records.get('b')?.metadata ?? {}).toEqual({});
    });

    it('accepts plain number arrays and stores them as float32', o, async () => {
      const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1e-3];
      await h.backend.upsert({ records: [{ id: 'plain', vector: values, metadata: { kind: 'array' } }] });
      const r = (await h.backend.fetch({ ids: ['plain'] })).records.get('plain');
      expectSameVector(r?.vector, values);
      expect(r?.vector[0]).not.toBe(0.1); // float32, not the float64 input
      expect(r?.metadata).toEqual({ kind: 'array' });
    });

    it('fetch omits ids that do not exist', o, async () => {
      const fetched = await h.backend.fetch({ ids: ['a', 'missing-1', 'plain', 'missing-2', 'a'] });
      expect(sorted(fetched.records.keys())).toEqual(['a', 'plain']);
      expect((await h.backend.fetch({ ids: ['missing-1'] })).records.size).toBe(0);
      expect((await h.backend.fetch({ ids: [] })).records.size).toBe(0);
    });

    it('accepts unusual ids: unicode, punctuation, spaces and exactly MAX_ID_LENGTH characters', o, async () => {
      const ids = ['ü-ñ/ids:with#punct?&=', 'with space', 'x'.repeat(MAX_ID_LENGTH), 'quote\'"back\\slash', '0'];
      const before = await total(h);
      await h.backend.upsert({ records: ids.map((id) => ({ id, vector: v(), metadata: { id } })) });
      const fetched = await h.backend.fetch({ ids });
      expect(sorted(fetched.records.keys())).toEqual(sorted(ids));
      for (const id of ids) expect(fetched.records.get(id)?.metadata).toEqual({ id });
      expect(await total(h)).toBe(before + ids.length);
      await h.backend.delete({ ids });
      expect(await total(h)).toBe(before);
    });

    it('upsert of an existing id replaces its vector and its whole metadata', o, async () => {
      await h.backend.upsert({ records: [{ id: 'r', vector: v(), metadata: { keep: 'no', n: 1 } }] });
      const before = await total(h);
      const replacement = v();
      await h.backend.upsert({ records: [{ id: 'r', vector: replacement, metadata: { other: true } }] });
      const r = (await h.backend.fetch({ ids: ['r'] })).records.get('r');
      expectSameVector(r?.vector, replacement);
      expect(r?.metadata).toEqual({ other: true });
      expect(await total(h)).toBe(before);
      // A record without metadata replaces one with metadata.
      await h.backend.upsert({ records: [{ id: 'r', vector: replacement }] });
      expect((await h.backend.fetch({ ids: ['r'] })).records.get('r')?.metadata ?? {}).toEqual({});
    });

    it('upserting the same batch twice is idempotent', o, async () => {
      const batch = range(20).map((i) => ({ id: `idem-${i}`, vector: v(), metadata: { i } }));
      const before = await total(h);
      const first = await h.backend.upsert({ records: batch });
      const afterFirst = await total(h);
      const second = await h.backend.upsert({ records: batch });
      expect(first.upsertedCount).toBe(20);
      expect(second.upsertedCount).toBe(20);
      expect(afterFirst).toBe(before + 20);
      expect(await total(h)).toBe(afterFirst);
      const fetched = await h.backend.fetch({ ids: batch.map((r) => r.id) });
      for (const r of batch) {
        expectSameVector(fetched.records.get(r.id)?.vector, r.vector);
        expect(fetched.records.get(r.id)?.metadata).toEqual(r.metadata);
      }
    });

    it('duplicate ids within one batch: the last one wins and the count reflects unique ids', o, async () => {
      const first = v();
      const last = v();
      const before = await total(h);
      const result = await h.backend.upsert({
        records: [
          { id: 'dup', vector: first, metadata: { which: 'first' } },
          { id: 'dup-other', vector: v() },
          { id: 'dup', vector: v(), metadata: { which: 'middle' } },
          { id: 'dup', vector: last, metadata: { which: 'last' } },
        ],
      });
      expect(result.upsertedCount).toBe(2);
      expect(await total(h)).toBe(before + 2);
      const r = (await h.backend.fetch({ ids: ['dup'] })).records.get('dup');
      expectSameVector(r?.vector, last);
      expect(r?.metadata).toEqual({ which: 'last' });
    });

    it('update of the vector keeps the metadata', o, async () => {
      await h.backend.upsert({ records: [{ id: 'u', vector: v(), metadata: { a: 1, b: 'x' } }] });
      const next = v();
      expect(await h.backend.update({ id: 'u', vector: next })).toEqual({ updated: true });
      const r = (await h.backend.fetch({ ids: ['u'] })).records.get('u');
      expectSameVector(r?.vector, next);
      expect(r?.metadata).toEqual({ a: 1, b: 'x' });
      const top = await h.backend.query({ vector: next, topK: 1, ...exactFlag(h) });
      if (h.metric !== 'dot') expect(top.matches[0]?.id).toBe('u');
    });

    it("update with metadataMode 'merge' (the default) sets the given keys and keeps the others", o, async () => {
      const before = (await h.backend.fetch({ ids: ['u'] })).records.get('u');
      expect(await h.backend.update({ id: 'u', metadata: { b: 'y', c: true, tags: ['t'] } })).toEqual({
        updated: true,
      });
      const r = (await h.backend.fetch({ ids: ['u'] })).records.get('u');
      expect(r?.metadata).toEqual({ a: 1, b: 'y', c: true, tags: ['t'] });
      expectSameVector(r?.vector, before?.vector as Float32Array);
      await h.backend.update({ id: 'u', metadata: { a: 2 }, metadataMode: 'merge' });
      expect((await h.backend.fetch({ ids: ['u'] })).records.get('u')?.metadata).toEqual({
        a: 2,
        b: 'y',
        c: true,
        tags: ['t'],
      });
    });

    it("update with metadataMode 'replace' drops the keys not given", o, async () => {
      expect(await h.backend.update({ id: 'u', metadata: { only: 'this' }, metadataMode: 'replace' })).toEqual({
        updated: true,
      });
      expect((await h.backend.fetch({ ids: ['u'] })).records.get('u')?.metadata).toEqual({ only: 'this' });
    });

    it('update of vector and metadata together applies both', o, async () => {
      const next = v();
      await h.backend.update({ id: 'u', vector: next, metadata: { both: 1 } });
      const r = (await h.backend.fetch({ ids: ['u'] })).records.get('u');
      expectSameVector(r?.vector, next);
      expect(r?.metadata).toEqual({ only: 'this', both: 1 });
    });

    it('update of a missing id returns {updated: false} and creates nothing', o, async () => {
      const before = await total(h);
      expect(await h.backend.update({ id: 'ghost', vector: v(), metadata: { x: 1 } })).toEqual({ updated: false });
      expect(await h.backend.update({ id: 'ghost', metadata: { x: 1 }, metadataMode: 'replace' })).toEqual({
        updated: false,
      });
      expect(await total(h)).toBe(before);
      expect((await h.backend.fetch({ ids: ['ghost'] })).records.size).toBe(0);
    });

    it('query honours includeVectors and includeMetadata (defaults: metadata yes, vectors no)', o, async () => {
      const stored = (await h.backend.fetch({ ids: ['a'] })).records.get('a');
      const probe = stored?.vector as Float32Array;
      const find = async (flags: { includeVectors?: boolean; includeMetadata?: boolean }) => {
        const result = await h.backend.query({ vector: probe, topK: 50, ...flags, ...exactFlag(h) });
        expect(result.namespace).toBe('');
        const match = result.matches.find((m) => m.id === 'a');
        expect(match, 'record a is among the matches').toBeDefined();
        return match;
      };
      const byDefault = await find({});
      expect(byDefault?.metadata).toEqual(stored?.metadata);
      expect(byDefault?.vector).toBeUndefined();
      const withVectors = await find({ includeVectors: true, includeMetadata: false });
      expectSameVector(withVectors?.vector, probe);
      expect(withVectors?.metadata).toBeUndefined();
      const both = await find({ includeVectors: true, includeMetadata: true });
      expectSameVector(both?.vector, probe);
      expect(both?.metadata).toEqual(stored?.metadata);
      const neither = await find({ includeVectors: false, includeMetadata: false });
      expect(neither?.vector).toBeUndefined();
      expect(neither?.metadata).toBeUndefined();
    });

    it('query returns at most topK matches', o, async () => {
      const count = await total(h);
      expect(count).toBeGreaterThan(5);
      const result = await h.backend.query({ vector: v(), topK: 3, ...exactFlag(h) });
      expect(result.matches).toHaveLength(3);
      const all = await h.backend.query({ vector: v(), topK: count + 10, ...exactFlag(h) });
      expect(all.matches).toHaveLength(count);
    });

    it('fetch with includeVectors false still returns the metadata', o, async () => {
      const r = (await h.backend.fetch({ ids: ['a'], includeVectors: false })).records.get('a');
      expect(r?.id).toBe('a');
      expect(r?.metadata?.title).toBe('ünïcødé ✓ "quoted"');
    });

    it('returned vectors and metadata are copies: mutating them does not change the store', o, async () => {
      const first = (await h.backend.fetch({ ids: ['a'] })).records.get('a');
      const original = Array.from(first?.vector ?? []);
      first?.vector.fill(0);
      if (first?.metadata) {
        first.metadata.title = 'mutated';
        (first.metadata.tags as string[]).push('mutated');
      }
      const again = (await h.backend.fetch({ ids: ['a'] })).records.get('a');
      expect(Array.from(again?.vector ?? [])).toEqual(original);
      expect(again?.metadata?.title).toBe('ünïcødé ✓ "quoted"');
      expect(again?.metadata?.tags).toEqual(['x', 'y z', '']);
    });

    it(
      'inputs are copied: mutating an upserted vector or metadata afterwards does not change the store',
      o,
      async () => {
        const input = v();
        const copy = Array.from(input);
        const metadata: Metadata = { list: ['one'] };
        await h.backend.upsert({ records: [{ id: 'copied', vector: input, metadata }] });
        input.fill(7);
        (metadata.list as string[]).push('two');
        metadata.extra = 1;
        const r = (await h.backend.fetch({ ids: ['copied'] })).records.get('copied');
        expect(Array.from(r?.vector ?? [])).toEqual(copy);
        expect(r?.metadata).toEqual({ list: ['one'] });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------

function describeBatches(kit: Kit, o: TestOptions): void {
  describe('batches and chunking', () => {
    const h = useBackend(kit, 'batch', async (hh) => {
      await hh.backend.ensureIndex({ dimension: BATCH_DIMENSION, metric: hh.metric });
    });
    const rng = createRng(99);
    let records: Array<{ id: string; vector: Float32Array; metadata: Metadata }> = [];

    it(
      `a batch of ${BATCH_RECORDS}+ records lands completely, in at least ceil(n / maxBatchRecords) chunks`,
      o,
      async () => {
        const n = Math.max(BATCH_RECORDS, Math.min(2 * h.caps.maxBatchRecords + 7, 10_000));
        records = range(n).map((i) => ({
          id: `b-${String(i).padStart(5, '0')}`,
          vector: randomVector(rng, BATCH_DIMENSION),
          metadata: { i, even: i % 2 === 0 },
        }));
        const result = await h.backend.upsert({ records });
        expect(result.upsertedCount).toBe(n);
        const byBytes = Math.ceil(records.reduce((sum, r) => sum + estimateRecordBytes(r), 0) / h.caps.maxBatchBytes);
        expect(result.chunks).toBeGreaterThanOrEqual(Math.ceil(n / h.caps.maxBatchRecords));
        expect(result.chunks).toBeGreaterThanOrEqual(byBytes);
        expect(result.chunks).toBeLessThanOrEqual(n);
        expect(await total(h)).toBe(n);
      },
    );

    it('every record of the big batch is listed exactly once', o, async () => {
      const ids = await collect(h.backend.list({ pageSize: 1000 }));
      expect(ids).toHaveLength(records.length);
      expect(sorted(ids)).toEqual(records.map((r) => r.id));
    });

    it('every record of the big batch is fetchable with its exact vector and metadata', o, async () => {
      const fetched = await h.backend.fetch({ ids: records.map((r) => r.id) });
      expect(fetched.records.size).toBe(records.length);
      let mismatches = 0;
      for (const r of records) {
        const got = fetched.records.get(r.id);
        const same =
          got !== undefined &&
          got.vector.length === r.vector.length &&
          got.vector.every((x, i) => x === r.vector[i]) &&
          got.metadata?.i === r.metadata.i &&
          got.metadata?.even === r.metadata.even;
        if (!same) mismatches++;
      }
      expect(mismatches).toBe(0);
    });

    it('a batch over maxBatchBytes (big metadata) is split into more chunks and lands completely', o, async (ctx) => {
      const caps = h.caps;
      const idOf = (i: number): string => `big-${String(i).padStart(4, '0')}`;
      const probeVector = randomVector(rng, BATCH_DIMENSION);
      const overhead = estimateRecordBytes({ id: idOf(0), vector: probeVector, metadata: { text: '' } });
      // Metadata as large as allowed, while one record stays well under one request.
      const textLength = Math.max(
        1,
        Math.min(caps.maxMetadataBytes - 64, Math.floor((caps.maxBatchBytes - overhead) / 3)),
      );
      const perRecord = overhead + textLength;
      const perChunk = Math.max(1, Math.floor(caps.maxBatchBytes / perRecord));
      if (perChunk >= caps.maxBatchRecords || perChunk > 2_000) {
        return ctx.skip('the record limit binds before the byte limit for any allowed metadata size');
      }
      const n = 2 * perChunk + 1;
      const big = range(n).map((i) => ({
        id: idOf(i),
        vector: randomVector(rng, BATCH_DIMENSION),
        metadata: { text: String.fromCharCode(97 + (i % 26)).repeat(textLength), i },
      }));
      const totalBytes = big.reduce((sum, r) => sum + estimateRecordBytes(r), 0);
      expect(totalBytes, 'the batch exceeds maxBatchBytes').toBeGreaterThan(caps.maxBatchBytes);
      const before = await total(h);
      const result = await h.backend.upsert({ records: big });
      expect(result.upsertedCount).toBe(n);
      expect(result.chunks).toBeGreaterThanOrEqual(Math.ceil(totalBytes / caps.maxBatchBytes));
      expect(result.chunks).toBeGreaterThan(Math.ceil(n / caps.maxBatchRecords));
      expect(await total(h)).toBe(before + n);
      const fetched = await h.backend.fetch({ ids: big.map((r) => r.id) });
      expect(fetched.records.size).toBe(n);
      for (const r of [big[0], big[n >> 1], big[n - 1]]) {
        expect(fetched.records.get(r?.id ?? '')?.metadata).toEqual(r?.metadata);
      }
    });

    it('an empty batch writes nothing', o, async () => {
      const before = await total(h);
      const result = await h.backend.upsert({ records: [] });
      expect(result.upsertedCount).toBe(0);
      expect(await total(h)).toBe(before);
    });
  });
}

// ---------------------------------------------------------------------------------------------

interface HandCase {
  name: string;
  filter: unknown;
  /** An independent statement of the documented semantics, to check the reference evaluator too. */
  predicate: (m: Metadata) => boolean;
  /** How many records the filter should select: 'some' means neither none nor all. */
  size?: 'none' | 'all' | 'some';
}

function has(m: Metadata, key: string): boolean {
  return Object.hasOwn(m, key);
}

function tagsOf(m: Metadata): string[] {
  return Array.isArray(m.tags) ? m.tags : [];
}

function handCases(records: readonly DatasetRecord[]): HandCase[] {
  const metas = records.map((r) => r.metadata).filter((m): m is Metadata => m !== undefined);
  const firstWith = (key: string): Metadata => metas.find((m) => has(m, key)) as Metadata;
  const year = firstWith('year').year as number;
  const price = firstWith('price').price as number;
  const years = [...new Set(metas.map((m) => m.year as number))].slice(0, 3);
  const prices = metas.map((m) => m.price as number).sort((a, b) => a - b);
  const medianPrice = prices[prices.length >> 1] as number;
  const lowPrice = prices[Math.floor(prices.length / 4)] as number;
  return [
    { name: 'implicit $eq on a string', filter: { category: 'books' }, predicate: (m) => m.category === 'books' },
    { name: '$eq on a string', filter: { category: { $eq: 'music' } }, predicate: (m) => m.category === 'music' },
    { name: '$eq on an integer', filter: { year: { $eq: year } }, predicate: (m) => m.year === year },
    { name: '$eq on a float', filter: { price }, predicate: (m) => m.price === price },
    { name: 'implicit $eq on a boolean', filter: { inStock: true }, predicate: (m) => m.inStock === true },
    { name: '$eq false', filter: { inStock: { $eq: false } }, predicate: (m) => m.inStock === false },
    {
      name: 'implicit $eq on a list field (any element)',
      filter: { tags: 'sale' },
      predicate: (m) => tagsOf(m).includes('sale'),
    },
    { name: '$eq is type-strict: string "42"', filter: { code: '42' }, predicate: (m) => m.code === '42' },
    { name: '$eq is type-strict: number 42', filter: { code: { $eq: 42 } }, predicate: (m) => m.code === 42 },
    {
      name: '$eq on a unique value',
      filter: { sku: firstWith('sku').sku },
      predicate: (m) => m.sku === firstWith('sku').sku,
    },
    { name: '$eq on a key nobody has', filter: { nobody: 'x' }, predicate: () => false, size: 'none' },
    { name: '$ne on a string', filter: { category: { $ne: 'books' } }, predicate: (m) => m.category !== 'books' },
    { name: '$ne matches records missing the key', filter: { rating: { $ne: 3 } }, predicate: (m) => m.rating !== 3 },
    {
      name: '$ne on a list field (no element equals)',
      filter: { tags: { $ne: 'sale' } },
      predicate: (m) => !tagsOf(m).includes('sale'),
    },
    { name: '$ne is type-strict', filter: { code: { $ne: '7' } }, predicate: (m) => m.code !== '7' },
    {
      name: '$gt on a float',
      filter: { price: { $gt: medianPrice } },
      predicate: (m) => (m.price as number) > medianPrice,
    },
    { name: '$gte includes the bound', filter: { year: { $gte: year } }, predicate: (m) => (m.year as number) >= year },
    { name: '$lt on a float', filter: { price: { $lt: lowPrice } }, predicate: (m) => (m.price as number) < lowPrice },
    { name: '$lte includes the bound', filter: { year: { $lte: year } }, predicate: (m) => (m.year as number) <= year },
    {
      name: 'a range with two operators on one key',
      filter: { year: { $gte: 2000, $lt: 2010 } },
      predicate: (m) => (m.year as number) >= 2000 && (m.year as number) < 2010,
    },
    {
      name: 'range operators match only numbers (mixed-type key)',
      filter: { code: { $gt: 10 } },
      predicate: (m) => typeof m.code === 'number' && m.code > 10,
    },
    {
      name: 'range operators never match a missing key',
      filter: { rating: { $gte: 4 } },
      predicate: (m) => typeof m.rating === 'number' && m.rating >= 4,
    },
    {
      name: 'range on a string key matches nothing',
      filter: { category: { $lt: 1e9 } },
      predicate: () => false,
      size: 'none',
    },
    {
      name: '$in on strings',
      filter: { category: { $in: ['books', 'film'] } },
      predicate: (m) => m.category === 'books' || m.category === 'film',
    },
    { name: '$in on integers', filter: { year: { $in: years } }, predicate: (m) => years.includes(m.year as number) },
    {
      name: '$in on a list field (any element)',
      filter: { tags: { $in: ['eco', 'limited'] } },
      predicate: (m) => tagsOf(m).some((x) => x === 'eco' || x === 'limited'),
    },
    {
      name: '$in with mixed types is type-strict',
      filter: { code: { $in: ['42', 7] } },
      predicate: (m) => m.code === '42' || m.code === 7,
    },
    { name: '$in on booleans', filter: { inStock: { $in: [false] } }, predicate: (m) => m.inStock === false },
    { name: '$in [] matches nothing', filter: { category: { $in: [] } }, predicate: () => false, size: 'none' },
    {
      name: '$nin on strings',
      filter: { category: { $nin: ['books', 'music'] } },
      predicate: (m) => m.category !== 'books' && m.category !== 'music',
    },
    {
      name: '$nin matches records missing the key',
      filter: { rating: { $nin: [1, 2] } },
      predicate: (m) => m.rating !== 1 && m.rating !== 2,
    },
    {
      name: '$nin on a list field (no element in the set)',
      filter: { tags: { $nin: ['sale', 'new'] } },
      predicate: (m) => !tagsOf(m).some((x) => x === 'sale' || x === 'new'),
    },
    { name: '$nin [] matches everything', filter: { category: { $nin: [] } }, predicate: () => true, size: 'all' },
    { name: '$exists true', filter: { rating: { $exists: true } }, predicate: (m) => has(m, 'rating') },
    { name: '$exists false', filter: { rating: { $exists: false } }, predicate: (m) => !has(m, 'rating') },
    {
      name: '$exists true on a list key (empty lists exist)',
      filter: { tags: { $exists: true } },
      predicate: (m) => has(m, 'tags'),
    },
    {
      name: '$exists false on a key nobody has',
      filter: { nobody: { $exists: false } },
      predicate: () => true,
      size: 'all',
    },
    {
      name: '$and',
      filter: { $and: [{ category: 'books' }, { inStock: true }] },
      predicate: (m) => m.category === 'books' && m.inStock === true,
    },
    {
      name: 'several keys are an implicit $and',
      filter: { category: 'film', year: { $gte: 2005 } },
      predicate: (m) => m.category === 'film' && (m.year as number) >= 2005,
    },
    {
      name: '$or',
      filter: { $or: [{ category: 'books' }, { year: { $lt: 1995 } }] },
      predicate: (m) => m.category === 'books' || (m.year as number) < 1995,
    },
    {
      name: '$not at the top level',
      filter: { $not: { category: 'books' } },
      predicate: (m) => m.category !== 'books',
    },
    {
      name: '$not at the field level (matches missing keys)',
      filter: { rating: { $not: { $gt: 3 } } },
      predicate: (m) => !(typeof m.rating === 'number' && m.rating > 3),
    },
    {
      name: '$not of $exists',
      filter: { $not: { rating: { $exists: true } } },
      predicate: (m) => !has(m, 'rating'),
    },
    {
      name: 'nested $or / $and / $not',
      filter: {
        $or: [
          { $and: [{ category: 'film' }, { price: { $lt: medianPrice } }] },
          { $not: { $or: [{ tags: 'sale' }, { inStock: false }] } },
        ],
      },
      predicate: (m) =>
        (m.category === 'film' && (m.price as number) < medianPrice) ||
        !(tagsOf(m).includes('sale') || m.inStock === false),
    },
    {
      name: '$and of $or with a key beside it',
      filter: {
        $and: [{ $or: [{ code: { $exists: false } }, { code: { $in: ['A1', 13] } }] }],
        year: { $not: { $in: years } },
      },
      predicate: (m) => (!has(m, 'code') || m.code === 'A1' || m.code === 13) && !years.includes(m.year as number),
    },
  ];
}

/** A representative filter for one operator; logical ones combine leaves of declared field operators. */
function operatorFilter(op: FilterOperator, supported: readonly FilterOperator[]): unknown {
  const leaves: Array<[FilterOperator, string, unknown]> = [
    ['$exists', 'rating', { $exists: true }],
    ['$gt', 'year', { $gt: 2005 }],
    ['$eq', 'category', { $eq: 'books' }],
    ['$in', 'tags', { $in: ['sale', 'eco'] }],
    ['$lt', 'price', { $lt: 100 }],
    ['$gte', 'year', { $gte: 2005 }],
    ['$lte', 'price', { $lte: 100 }],
    ['$ne', 'category', { $ne: 'books' }],
    ['$nin', 'tags', { $nin: ['sale', 'eco'] }],
  ];
  const own = leaves.find(([o]) => o === op);
  if (own) return { [own[1]]: own[2] };
  // Two leaves on different keys, preferring declared operators.
  const usable = [...leaves.filter(([o]) => supported.includes(o)), ...leaves];
  const first = usable[0] as [FilterOperator, string, unknown];
  const second = usable.find(([, key]) => key !== first[1]) as [FilterOperator, string, unknown];
  const a = { [first[1]]: first[2] };
  const b = { [second[1]]: second[2] };
  return op === '$not' ? { $not: a } : { [op]: [a, b] };
}

function describeFilters(kit: Kit, o: TestOptions): void {
  describe('filters', () => {
    const dataset = makeFilterDataset(FILTER_SEED);
    let records: DatasetRecord[] = dataset.records;
    let generated: Filter[] = [];
    const queryVector = randomVector(createRng(FILTER_SEED + 1), dataset.dimension);
    const h = useBackend(kit, 'filter', async (hh) => {
      records = dataset.records.slice(0, Math.min(dataset.records.length, hh.caps.maxTopK));
      await hh.backend.ensureIndex({ dimension: dataset.dimension, metric: hh.metric });
      await hh.backend.upsert({ records });
      generated = generateFilters(createRng(GENERATED_FILTER_SEED), GENERATED_FILTER_COUNT, hh.caps.filterOperators, {
        dimension: dataset.dimension,
        records,
      });
    });

    const evaluate = (node: FilterNode | undefined): string[] =>
      records.filter((r) => evaluateFilter(node, r.metadata)).map((r) => r.id);

    /** Queries with topK = dataset size and compares the id set with the reference evaluator. */
    async function expectMatchesEvaluator(filter: unknown, node: FilterNode | undefined): Promise<string[]> {
      const expected = evaluate(node);
      const result = await h.backend.query({
        vector: queryVector,
        topK: records.length,
        filter: asFilter(filter),
        includeMetadata: true,
        ...exactFlag(h),
      });
      const ids = result.matches.map((m) => m.id);
      expect(new Set(ids).size, 'no duplicate ids').toBe(ids.length);
      expect(sorted(ids), `filter ${JSON.stringify(filter)}`).toEqual(sorted(expected));
      for (const m of result.matches) {
        expect(evaluateFilter(node, m.metadata), `returned metadata of ${m.id} matches`).toBe(true);
      }
      return expected;
    }

    it('the dataset is stored completely', o, async () => {
      expect(records.length).toBeGreaterThanOrEqual(200);
      expect(await total(h)).toBe(records.length);
      const all = await h.backend.query({ vector: queryVector, topK: records.length, ...exactFlag(h) });
      expect(all.matches).toHaveLength(records.length);
    });

    const cases = handCases(dataset.records);
    it.each(cases.map((c) => [c.name, c] as const))('%s', o, async (_name, c) => {
      const node = parseFilter(c.filter);
      const expected = evaluate(node);
      // The reference evaluator itself must follow the documented semantics.
      const independent = records.filter((r) => c.predicate(r.metadata ?? {})).map((r) => r.id);
      expect(expected, 'reference evaluator agrees with the documented semantics').toEqual(independent);
      const size = c.size ?? 'some';
      if (size === 'none') expect(expected).toHaveLength(0);
      else if (size === 'all') expect(expected).toHaveLength(records.length);
      else {
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(records.length);
      }
      const unsupported = unsupportedOperators(h, node);
      if (unsupported.length > 0) {
        await expectUnsupported(
          () => h.backend.query({ vector: queryVector, topK: 5, filter: asFilter(c.filter) }),
          unsupported,
        );
        return;
      }
      await expectMatchesEvaluator(c.filter, node);
    });

    it.each(FILTER_OPERATORS.map((op) => [op]))(
      'operator %s: matches the evaluator if declared, else UnsupportedFilterError (query and delete)',
      o,
      async (op) => {
        const filter = operatorFilter(op, h.caps.filterOperators);
        const node = parseFilter(filter);
        expect(collectOperators(node).has(op)).toBe(true);
        if (h.caps.filterOperators.includes(op) && unsupportedOperators(h, node).length === 0) {
          const expected = await expectMatchesEvaluator(filter, node);
          expect(expected.length).toBeGreaterThan(0);
          expect(expected.length).toBeLessThan(records.length);
          return;
        }
        if (h.caps.filterOperators.includes(op)) {
          // Declared, but the representative filter needs another undeclared operator.
          await expectUnsupported(
            () => h.backend.query({ vector: queryVector, topK: 5, filter: asFilter(filter) }),
            [],
          );
          return;
        }
        await expectUnsupported(
          () => h.backend.query({ vector: queryVector, topK: 5, filter: asFilter(filter) }),
          [op],
        );
        // Without delete by filter the refusal is checked by the delete group instead.
        if (lacks(h, 'deleteByFilter')) return;
        const before = await total(h);
        await expectUnsupported(() => h.backend.delete({ filter: asFilter(filter) }), [op]);
        expect(await total(h)).toBe(before);
      },
    );

    it.for(range(GENERATED_FILTER_COUNT))(
      'generated filter tree #%i matches the evaluator exactly',
      o,
      async (i, ctx) => {
        const filter = generated[i];
        if (filter === undefined) return ctx.skip('the backend declares no field operator');
        const node = parseFilter(filter);
        expect(unsupportedOperators(h, node), 'the generator used only declared operators').toEqual([]);
        await expectMatchesEvaluator(filter, node);
      },
    );

    it('generated filters are selective: a backend ignoring or faking filters would fail them', o, async (ctx) => {
      if (generated.length === 0) return ctx.skip('the backend declares no field operator');
      const sizes = generated.map((f) => evaluate(parseFilter(f)).length);
      const nonTrivial = sizes.filter((n) => n > 0 && n < records.length).length;
      const distinct = new Set(generated.map((f) => evaluate(parseFilter(f)).join(','))).size;
      expect(nonTrivial / generated.length, `non-trivial share (sizes ${sizes.join(' ')})`).toBeGreaterThanOrEqual(0.5);
      expect(distinct / generated.length).toBeGreaterThanOrEqual(0.25);
    });

    it('an empty filter {} matches every record', o, async () => {
      const result = await h.backend.query({
        vector: queryVector,
        topK: records.length,
        filter: {},
        ...exactFlag(h),
      });
      expect(result.matches).toHaveLength(records.length);
    });

    it('a filtered query still ranks by score and honours topK', o, async (ctx) => {
      const filter = { inStock: true };
      const node = parseFilter(filter);
      if (unsupportedOperators(h, node).length > 0) return ctx.skip('$eq is not declared');
      const subset = records.filter((r) => evaluateFilter(node, r.metadata));
      const brute = bruteForce(h.metric, queryVector, subset);
      const result = await h.backend.query({ vector: queryVector, topK: 10, filter, ...exactFlag(h) });
      expectRanking(result.matches, brute, 10);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function rankingData(metric: Metric): {
  records: DatasetRecord[];
  queries: Float32Array[];
  dupOf: Map<string, string>;
} {
  const rng = createRng(RANKING_SEED + METRICS.indexOf(metric));
  const records: DatasetRecord[] = [];
  const groups = ['a', 'b', 'c'];
  for (let i = 0; i < 260; i++) {
    const scale = 0.5 + rng.float() * 1.5; // different norms: dot and cosine rank differently
    records.push({
      id: `r-${i}`,
      vector: randomVector(rng, RANKING_DIMENSION, scale),
      metadata: { group: rng.pick(groups) },
    });
  }
  for (let i = 0; i < 30; i++) {
    const base = rng.pick(records.slice(0, 260)).vector;
    const near = new Float32Array(RANKING_DIMENSION);
    for (let d = 0; d < RANKING_DIMENSION; d++) near[d] = (base[d] as number) + rng.normal() * 1e-3;
    records.push({ id: `near-${i}`, vector: near, metadata: { group: rng.pick(groups) } });
  }
  const dupOf = new Map<string, string>();
  for (let i = 0; i < 10; i++) {
    const base = records[i * 7] as DatasetRecord;
    records.push({ id: `dup-${i}`, vector: base.vector.slice(), metadata: { group: rng.pick(groups) } });
    dupOf.set(`dup-${i}`, base.id);
  }
  const queries: Float32Array[] = [];
  for (let q = 0; q < RANKING_QUERIES; q++) {
    if (q === RANKING_QUERIES - 1) {
      // Right next to a near-duplicate cluster: many close scores.
      const base = (records[265] as DatasetRecord).vector;
      queries.push(base.map((x) => x + rng.normal() * 1e-4));
    } else {
      queries.push(randomVector(rng, RANKING_DIMENSION));
    }
  }
  return { records, queries, dupOf };
}

function describeRanking(kit: Kit, metric: Metric, o: TestOptions): void {
  describe(`ranking (${metric})`, () => {
    const { records, queries, dupOf } = rankingData(metric);
    const supported = (hh: Harness): boolean => hh.caps.metrics.includes(metric);
    const h = useBackend(
      kit,
      `rank-${metric}`,
      async (hh) => {
        if (!supported(hh)) return;
        await hh.backend.ensureIndex({ dimension: RANKING_DIMENSION, metric });
        await hh.backend.upsert({ records });
      },
      {
        ownIndex: (shared) => (shared === metric ? undefined : `the shared index's metric is ${shared}, not ${metric}`),
      },
    );

    it(`ensureIndex accepts '${metric}' exactly when capabilities.metrics declares it`, o, async () => {
      if (!supported(h)) {
        await expectFailure(() => h.backend.ensureIndex({ dimension: RANKING_DIMENSION, metric }), {
          code: 'VALIDATION',
          cls: ValidationError,
          field: 'metric',
        });
        expect(await h.backend.describeIndex()).toBeNull();
        return;
      }
      expect(await h.backend.describeIndex()).toEqual({ name: h.indexName, dimension: RANKING_DIMENSION, metric });
      expect(await total(h)).toBe(records.length);
    });

    const title = `query #%i: top-${RANKING_TOP_K} ids, order and scores match brute force`;
    it.for(range(RANKING_QUERIES))(title, o, async (q, ctx) => {
      if (!supported(h)) return ctx.skip(`${metric} is not declared`);
      const query = queries[q] as Float32Array;
      const result = await h.backend.query({
        vector: query,
        topK: RANKING_TOP_K,
        includeMetadata: false,
        ...exactFlag(h),
      });
      expectRanking(result.matches, bruteForce(metric, query, records), RANKING_TOP_K);
    });

    it('topK above the record count returns every record, ranked like brute force', o, async (ctx) => {
      if (!supported(h)) return ctx.skip(`${metric} is not declared`);
      const query = queries[0] as Float32Array;
      const topK = Math.min(h.caps.maxTopK, records.length + 50);
      const result = await h.backend.query({ vector: query, topK, includeMetadata: false, ...exactFlag(h) });
      expectRanking(result.matches, bruteForce(metric, query, records), topK);
    });

    it('a filtered query ranks the matching subset like brute force', o, async (ctx) => {
      if (!supported(h)) return ctx.skip(`${metric} is not declared`);
      const filter = { group: 'b' };
      if (unsupportedOperators(h, parseFilter(filter)).length > 0) return ctx.skip('$eq is not declared');
      const query = queries[1] as Float32Array;
      const subset = records.filter((r) => r.metadata?.group === 'b');
      const result = await h.backend.query({ vector: query, topK: RANKING_TOP_K, filter, ...exactFlag(h) });
      expectRanking(result.matches, bruteForce(metric, query, subset), RANKING_TOP_K);
      for (const m of result.matches) expect(m.metadata?.group).toBe('b');
    });

    it('an exact duplicate scores exactly like its original (higher is better)', o, async (ctx) => {
      if (!supported(h)) return ctx.skip(`${metric} is not declared`);
      const [dupId, baseId] = [...dupOf][0] as [string, string];
      const base = records.find((r) => r.id === baseId) as DatasetRecord;
      const result = await h.backend.query({
        vector: base.vector,
        topK: records.length,
        includeMetadata: false,
        ...exactFlag(h),
      });
      const scoreOf = (id: string): number | undefined => result.matches.find((m) => m.id === id)?.score;
      const a = scoreOf(baseId);
      const b = scoreOf(dupId);
      expect(a).toBeDefined();
      expect(nearlyEqual(a as number, b as number)).toBe(true);
      expect(nearlyEqual(a as number, score(metric, base.vector, base.vector))).toBe(true);
      if (metric !== 'dot') {
        // Under cosine and euclidean a vector is its own best match: 1 and 0 respectively.
        const best = result.matches[0]?.score as number;
        expect(nearlyEqual(best, metric === 'cosine' ? 1 : 0), `best score ${best}`).toBe(true);
        expect(nearlyEqual(a as number, best)).toBe(true);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------

interface BadRecordCase {
  name: string;
  record: () => unknown;
  code: QStoreErrorCode;
  cls: ErrorClass;
  field: string;
  /** Only meaningful under this index metric. */
  metric?: Metric;
}

interface BadCallCase {
  name: string;
  run: (h: Harness) => unknown;
  code: QStoreErrorCode;
  cls: ErrorClass;
  field?: string;
  /** Applies only when this holds. */
  when?: (h: Harness) => boolean;
  /**
   * Without this capability, refusing the whole operation (UNSUPPORTED_OPERATION) before looking
   * at its arguments is accepted too.
   */
  orUnsupportedWithout?: OptionalCapability;
}

const UNSUPPORTED_OPERATION = { code: 'UNSUPPORTED_OPERATION', cls: UnsupportedOperationError } as const;

function describeBadInput(kit: Kit, o: TestOptions): void {
  describe('bad input is rejected whole: typed error, field named, nothing written', () => {
    const dim = 8;
    const rng = createRng(5);
    const baseline = range(5).map((i) => ({
      id: `base-${i}`,
      vector: randomVector(rng, dim),
      metadata: { category: i % 2 === 0 ? 'books' : 'film', i },
    }));
    const h = useBackend(kit, 'bad', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      await hh.backend.upsert({ records: baseline });
    });
    const good = (): Float32Array => randomVector(rng, dim);
    const withVector = (vector: unknown) => () => ({ id: 'bad-record', vector });
    const withMetadata = (metadata: unknown) => () => ({ id: 'bad-record', vector: good(), metadata });
    const withId = (id: unknown) => () => ({ id, vector: good() });

    /** The baseline is intact: same count, same records. */
    async function expectBaselineIntact(): Promise<void> {
      expect(await total(h)).toBe(baseline.length);
      const fetched = await h.backend.fetch({ ids: baseline.map((r) => r.id) });
      expect(fetched.records.size).toBe(baseline.length);
      for (const r of baseline) {
        expectSameVector(fetched.records.get(r.id)?.vector, r.vector);
        expect(fetched.records.get(r.id)?.metadata).toEqual(r.metadata);
      }
    }

    const recordCases: BadRecordCase[] = [
      {
        name: 'a vector of the wrong length',
        record: withVector([1, 2, 3]),
        code: 'DIMENSION_MISMATCH',
        cls: DimensionMismatchError,
        field: 'records[1].vector',
      },
      {
        name: 'a NaN component',
        record: withVector([1, 2, Number.NaN, 4, 5, 6, 7, 8]),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'an Infinity component',
        record: withVector(vec([1, 2, 3, Number.POSITIVE_INFINITY, 5, 6, 7, 8])),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'a -Infinity component',
        record: withVector([1, 2, 3, 4, 5, 6, 7, Number.NEGATIVE_INFINITY]),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'a value outside float32 range (1e39)',
        record: withVector([1, 2, 3, 4, 1e39, 6, 7, 8]),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'a vector that is not an array',
        record: withVector('1,2,3,4,5,6,7,8'),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'a non-number component',
        record: withVector(['1', 2, 3, 4, 5, 6, 7, 8]),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      {
        name: 'a missing vector',
        record: () => ({ id: 'bad-record' }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
      },
      { name: 'an empty id', record: withId(''), code: 'VALIDATION', cls: ValidationError, field: 'records[1].id' },
      {
        name: `an id of ${MAX_ID_LENGTH + 1} characters`,
        record: withId('x'.repeat(MAX_ID_LENGTH + 1)),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].id',
      },
      { name: 'a numeric id', record: withId(42), code: 'VALIDATION', cls: ValidationError, field: 'records[1].id' },
      {
        name: 'a missing id',
        record: withId(undefined),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].id',
      },
      {
        name: 'metadata over maxMetadataBytes',
        record: () => ({ id: 'bad-record', vector: good(), metadata: { text: 'x'.repeat(h.caps.maxMetadataBytes) } }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'an id holding a NUL character',
        record: withId('nul\u0000id'),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].id',
      },
      {
        name: 'an id holding a lone UTF-16 surrogate',
        record: withId('half\uD800'),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].id',
      },
      {
        name: 'a metadata string holding a NUL character',
        record: withMetadata({ text: 'a\u0000b' }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.text',
      },
      {
        name: 'a metadata list element holding a lone surrogate',
        record: withMetadata({ tags: ['fine', '\uDC00'] }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.tags[1]',
      },
      {
        name: 'a __proto__ metadata key',
        record: withMetadata(JSON.parse('{"__proto__": ["a"], "k": "v"}')),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.__proto__',
      },
      {
        name: 'metadata that is a Map',
        record: withMetadata(new Map([['k', 'v']])),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'metadata that is a Date',
        record: withMetadata(new Date(0)),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'a nested metadata object',
        record: withMetadata({ ok: 1, nested: { a: 1 } }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.nested',
      },
      {
        name: 'a null metadata value',
        record: withMetadata({ gone: null }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.gone',
      },
      {
        name: 'a list of numbers',
        record: withMetadata({ nums: [1, 2, 3] }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.nums',
      },
      {
        name: 'a list mixing strings and numbers',
        record: withMetadata({ mixed: ['a', 1] }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.mixed',
      },
      {
        name: 'a NaN metadata number',
        record: withMetadata({ n: Number.NaN }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.n',
      },
      {
        name: 'an Infinity metadata number',
        record: withMetadata({ n: Number.POSITIVE_INFINITY }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata.n',
      },
      {
        name: 'a metadata key with a dot',
        record: withMetadata({ 'bad.key': 1 }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'bad.key',
      },
      {
        name: 'a metadata key starting with a digit',
        record: withMetadata({ '1st': 1 }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: '1st',
      },
      {
        name: 'a metadata key starting with $',
        record: withMetadata({ $and: 'x' }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: '$and',
      },
      {
        name: 'a metadata key of 65 characters',
        record: withMetadata({ ['k'.repeat(65)]: 1 }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'k'.repeat(65),
      },
      {
        name: 'an empty metadata key',
        record: withMetadata({ '': 1 }),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'metadata that is an array',
        record: withMetadata(['a']),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'metadata that is a string',
        record: withMetadata('text'),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].metadata',
      },
      {
        name: 'a record that is null',
        record: () => null,
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1]',
      },
      {
        name: 'a zero vector under cosine',
        record: withVector(new Float32Array(dim)),
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'records[1].vector',
        metric: 'cosine',
      },
    ];

    it.for(recordCases.map((c) => [c.name, c] as const))('upsert with %s', o, async ([name, c], ctx) => {
      if (c.metric !== undefined && h.metric !== c.metric) return ctx.skip(`the index metric is not ${c.metric}`);
      const slug = name.replace(/[^a-z0-9]+/gi, '-');
      const okIds = [`ok-${slug}-a`, `ok-${slug}-b`];
      const records = unchecked<VectorRecordInput[]>([
        { id: okIds[0], vector: good(), metadata: { fine: true } },
        c.record(),
        { id: okIds[1], vector: good() },
      ]);
      await expectFailure(() => h.backend.upsert({ records }), { code: c.code, cls: c.cls, field: c.field });
      expect(
        (await h.backend.fetch({ ids: [...okIds, 'bad-record'] })).records.size,
        'nothing of the batch landed',
      ).toBe(0);
      await expectBaselineIntact();
    });

    it('a batch with several bad records reports every one of them', o, async () => {
      const records = unchecked<VectorRecordInput[]>([
        { id: 'ok-several', vector: good() },
        { id: '', vector: good() },
        { id: 'bad-nan', vector: [Number.NaN, 1, 1, 1, 1, 1, 1, 1] },
        { id: 'bad-meta', vector: good(), metadata: { deep: { x: 1 } } },
      ]);
      const error = await expectFailure(() => h.backend.upsert({ records }), {
        code: 'VALIDATION',
        cls: ValidationError,
      });
      for (const field of ['records[1].id', 'records[2].vector', 'records[3].metadata.deep']) {
        expect(namesField(error, field), `names ${field}: ${error.message}`).toBe(true);
      }
      expect((await h.backend.fetch({ ids: ['ok-several', 'bad-nan', 'bad-meta'] })).records.size).toBe(0);
      await expectBaselineIntact();
    });

    const v = (): Float32Array => good();
    const q = (extra: Record<string, unknown>) => (hh: Harness) =>
      hh.backend.query(unchecked<Parameters<VectorBackend['query']>[0]>({ vector: v(), topK: 3, ...extra }));
    const filterError = { code: 'INVALID_FILTER', cls: FilterValidationError } as const;
    const validation = { code: 'VALIDATION', cls: ValidationError } as const;
    const callCases: BadCallCase[] = [
      {
        name: 'query with an unknown operator ($regex)',
        run: q({ filter: { category: { $regex: 'bo.*' } } }),
        ...filterError,
        field: 'filter.category.$regex',
      },
      {
        name: 'query with an unknown top-level operator ($nor)',
        run: q({ filter: { $nor: [{ category: 'books' }] } }),
        ...filterError,
        field: 'filter.$nor',
      },
      {
        name: 'delete with an unknown operator ($regex)',
        run: (hh) => hh.backend.delete({ filter: asFilter({ category: { $regex: '.*' } }) }),
        ...filterError,
        field: 'filter.category.$regex',
        orUnsupportedWithout: 'deleteByFilter',
      },
      {
        name: 'query with $gt of a string',
        run: q({ filter: { i: { $gt: 'three' } } }),
        ...filterError,
        field: 'filter.i.$gt',
      },
      {
        name: 'query with $in of a non-array',
        run: q({ filter: { category: { $in: 'books' } } }),
        ...filterError,
        field: 'filter.category.$in',
      },
      { name: 'query with an empty $and', run: q({ filter: { $and: [] } }), ...filterError, field: 'filter.$and' },
      {
        name: 'query with $exists of a string',
        run: q({ filter: { i: { $exists: 'yes' } } }),
        ...filterError,
        field: 'filter.i.$exists',
      },
      {
        name: 'query with a null filter value',
        run: q({ filter: { category: null } }),
        ...filterError,
        field: 'filter.category',
      },
      {
        name: 'query with an invalid filter key',
        run: q({ filter: { 'bad.key': 1 } }),
        ...filterError,
        field: 'bad.key',
      },
      { name: 'query with topK 0', run: q({ topK: 0 }), ...validation, field: 'topK' },
      {
        name: 'query with topK above maxTopK',
        run: (hh) => q({ topK: hh.caps.maxTopK + 1 })(hh),
        ...validation,
        field: 'topK',
      },
      { name: 'query with topK 1.5', run: q({ topK: 1.5 }), ...validation, field: 'topK' },
      { name: 'query with topK -1', run: q({ topK: -1 }), ...validation, field: 'topK' },
      { name: 'query with topK NaN', run: q({ topK: Number.NaN }), ...validation, field: 'topK' },
      { name: "query with topK '10' (a string)", run: q({ topK: '10' }), ...validation, field: 'topK' },
      {
        name: 'query with a vector of the wrong length',
        run: q({ vector: [1, 2, 3] }),
        code: 'DIMENSION_MISMATCH',
        cls: DimensionMismatchError,
        field: 'vector',
      },
      {
        name: 'query with a NaN in the vector',
        run: q({ vector: [1, 1, 1, Number.NaN, 1, 1, 1, 1] }),
        ...validation,
        field: 'vector',
      },
      {
        name: 'query with a zero vector under cosine',
        run: q({ vector: new Float32Array(dim) }),
        ...validation,
        field: 'vector',
        when: (hh) => hh.metric === 'cosine',
      },
      {
        name: 'query with exact: true on a backend without exact search',
        run: q({ exact: true }),
        ...validation,
        field: 'exact',
        when: (hh) => !hh.caps.exactSearch,
      },
      {
        name: 'upsert into a namespace with a space',
        run: (hh) => hh.backend.upsert({ records: [{ id: 'ns-bad', vector: v() }], namespace: 'bad namespace' }),
        ...validation,
        field: 'namespace',
      },
      {
        name: 'upsert into a namespace with a slash',
        run: (hh) => hh.backend.upsert({ records: [{ id: 'ns-bad', vector: v() }], namespace: 'a/b' }),
        ...validation,
        field: 'namespace',
      },
      {
        name: 'query of a 65-character namespace',
        run: q({ namespace: 'n'.repeat(65) }),
        ...validation,
        field: 'namespace',
      },
      {
        name: 'fetch from a non-string namespace',
        run: (hh) => hh.backend.fetch({ ids: ['base-0'], namespace: unchecked<string>(7) }),
        ...validation,
        field: 'namespace',
      },
      {
        name: 'update with neither vector nor metadata',
        run: (hh) => hh.backend.update({ id: 'base-0' }),
        ...validation,
        field: 'vector',
      },
      {
        name: 'update with a vector of the wrong length',
        run: (hh) => hh.backend.update({ id: 'base-0', vector: [1, 2] }),
        code: 'DIMENSION_MISMATCH',
        cls: DimensionMismatchError,
        field: 'vector',
      },
      {
        name: 'update with an Infinity in the vector',
        run: (hh) => hh.backend.update({ id: 'base-0', vector: [1, 1, 1, 1, 1, 1, 1, Number.POSITIVE_INFINITY] }),
        ...validation,
        field: 'vector',
      },
      {
        name: 'update with nested metadata',
        run: (hh) => hh.backend.update({ id: 'base-0', metadata: unchecked<Metadata>({ nested: { a: 1 } }) }),
        ...validation,
        field: 'metadata.nested',
      },
      {
        name: 'update with a bad metadata key',
        run: (hh) => hh.backend.update({ id: 'base-0', metadata: { 'bad key': 1 } }),
        ...validation,
        field: 'bad key',
      },
      {
        name: 'update with an unknown metadataMode',
        run: (hh) => hh.backend.update({ id: 'base-0', metadata: { x: 1 }, metadataMode: unchecked<'merge'>('patch') }),
        ...validation,
        field: 'metadataMode',
      },
      {
        name: 'update with an empty id',
        run: (hh) => hh.backend.update({ id: '', metadata: { x: 1 } }),
        ...validation,
        field: 'id',
      },
      {
        name: 'delete with both ids and filter',
        run: (hh) =>
          hh.backend.delete(
            unchecked<Parameters<VectorBackend['delete']>[0]>({ ids: ['base-0'], filter: { category: 'books' } }),
          ),
        ...validation,
        field: 'ids',
      },
      {
        name: 'delete with an empty filter',
        run: (hh) => hh.backend.delete({ filter: {} }),
        ...validation,
        field: 'filter',
        orUnsupportedWithout: 'deleteByFilter',
      },
      {
        name: 'delete with no target',
        run: (hh) => hh.backend.delete(unchecked<Parameters<VectorBackend['delete']>[0]>({})),
        ...validation,
        field: 'ids',
      },
      {
        name: 'delete with all: false',
        run: (hh) => hh.backend.delete(unchecked<Parameters<VectorBackend['delete']>[0]>({ all: false })),
        ...validation,
        field: 'all',
      },
      {
        name: 'delete with a bad id among good ones',
        run: (hh) => hh.backend.delete({ ids: ['base-0', '', 'base-1'] }),
        ...validation,
        field: 'ids[1]',
      },
      {
        name: 'fetch with an empty id',
        run: (hh) => hh.backend.fetch({ ids: ['base-0', ''] }),
        ...validation,
        field: 'ids[1]',
      },
      {
        name: 'fetch with ids that are not an array',
        run: (hh) => hh.backend.fetch({ ids: unchecked<string[]>('base-0') }),
        ...validation,
        field: 'ids',
      },
      { name: 'list with pageSize 0', run: (hh) => hh.backend.list({ pageSize: 0 }), ...validation, field: 'pageSize' },
      {
        name: 'upsert called without a params object',
        run: (hh) => hh.backend.upsert(unchecked<Parameters<VectorBackend['upsert']>[0]>(undefined)),
        ...validation,
        field: 'params',
      },
      {
        name: 'query called with null',
        run: (hh) => hh.backend.query(unchecked<Parameters<VectorBackend['query']>[0]>(null)),
        ...validation,
        field: 'params',
      },
      {
        name: 'list with a prefix that is not a string',
        run: (hh) => hh.backend.list({ prefix: unchecked<string>(5) }),
        ...validation,
        field: 'prefix',
        orUnsupportedWithout: 'listByPrefix',
      },
      {
        name: 'list with a prefix longer than an id may be',
        run: (hh) => hh.backend.list({ prefix: 'p'.repeat(MAX_ID_LENGTH + 1) }),
        ...validation,
        field: 'prefix',
        orUnsupportedWithout: 'listByPrefix',
      },
      {
        name: "query with includeMetadata 'false' (a string)",
        run: q({ includeMetadata: 'false' }),
        ...validation,
        field: 'includeMetadata',
      },
      {
        name: 'query with topK above maxTopKWithPayload while returning metadata',
        run: (hh) => q({ topK: (hh.caps.maxTopKWithPayload ?? hh.caps.maxTopK) + 1, includeMetadata: true })(hh),
        ...validation,
        field: 'topK',
      },
      {
        name: 'query with a filter string holding a NUL character',
        run: q({ filter: { category: 'bo\u0000oks' } }),
        ...filterError,
        field: 'filter.category',
      },
      {
        name: 'update whose merged metadata would exceed maxMetadataBytes',
        run: (hh) => hh.backend.update({ id: 'base-0', metadata: { big: 'x'.repeat(hh.caps.maxMetadataBytes - 20) } }),
        ...validation,
        field: 'metadata',
      },
      {
        name: 'list with pageSize 1.5',
        run: (hh) => hh.backend.list({ pageSize: 1.5 }),
        ...validation,
        field: 'pageSize',
      },
      {
        name: 'upsert with records that are not an array',
        run: (hh) => hh.backend.upsert({ records: unchecked<VectorRecordInput[]>({ id: 'x' }) }),
        ...validation,
        field: 'records',
      },
    ];

    it.for(callCases.map((c) => [c.name, c] as const))('%s', o, async ([, c], ctx) => {
      if (c.when && !c.when(h)) return ctx.skip('does not apply to this backend');
      const refusal = c.orUnsupportedWithout && lacks(h, c.orUnsupportedWithout) ? UNSUPPORTED_OPERATION : undefined;
      await expectFailure(
        () => c.run(h),
        { code: c.code, cls: c.cls, ...(c.field !== undefined && { field: c.field }) },
        refusal,
      );
      expect((await h.backend.fetch({ ids: ['ns-bad'] })).records.size).toBe(0);
      await expectBaselineIntact();
    });

    it('query with exact: true works on a backend with exact search', o, async (ctx) => {
      if (!h.caps.exactSearch) return ctx.skip('no exact search');
      const result = await h.backend.query({ vector: baseline[0]?.vector as Float32Array, topK: 2, exact: true });
      expect(result.matches).toHaveLength(2);
      if (h.metric !== 'dot') expect(result.matches[0]?.id).toBe('base-0');
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeNamespaces(kit: Kit, o: TestOptions): void {
  describe('namespaces', () => {
    const dim = 8;
    const rng = createRng(77);
    const v = (): Float32Array => randomVector(rng, dim);
    const A = 'ns-a';
    const B = 'ns_b.2';
    const inA = range(6).map((i) => ({ id: `a-${i}`, vector: v(), metadata: { ns: 'a', i } }));
    const inB = range(4).map((i) => ({ id: `b-${i}`, vector: v(), metadata: { ns: 'b', i } }));
    const inDefault = range(3).map((i) => ({ id: `d-${i}`, vector: v(), metadata: { ns: 'default', i } }));
    const shared = { a: { vector: v(), metadata: { owner: 'a' } }, b: { vector: v(), metadata: { owner: 'b' } } };
    const h = useBackend(kit, 'ns', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      if (!hh.caps.namespaces) return;
      await hh.backend.upsert({ records: [...inA, { id: 'shared', ...shared.a }], namespace: A });
      await hh.backend.upsert({ records: [...inB, { id: 'shared', ...shared.b }], namespace: B });
      await hh.backend.upsert({ records: inDefault });
    });
    const needNamespaces = (ctx: TestContext): void => {
      if (!h.caps.namespaces) ctx.skip('the backend has no namespaces');
    };

    it('a backend without namespaces rejects a named namespace; with them, accepts it', o, async () => {
      if (h.caps.namespaces) {
        expect(await nsCount(h, A)).toBe(inA.length + 1);
        return;
      }
      await expectFailure(() => h.backend.upsert({ records: [{ id: 'x', vector: v() }], namespace: A }), {
        code: 'VALIDATION',
        cls: ValidationError,
        field: 'namespace',
      });
      expect(await total(h)).toBe(0);
    });

    it('the same id in two namespaces holds different data', o, async (ctx) => {
      needNamespaces(ctx);
      const a = (await h.backend.fetch({ ids: ['shared'], namespace: A })).records.get('shared');
      const b = (await h.backend.fetch({ ids: ['shared'], namespace: B })).records.get('shared');
      expectSameVector(a?.vector, shared.a.vector);
      expect(a?.metadata).toEqual({ owner: 'a' });
      expectSameVector(b?.vector, shared.b.vector);
      expect(b?.metadata).toEqual({ owner: 'b' });
      expect((await h.backend.fetch({ ids: ['shared'] })).records.size).toBe(0);
    });

    it('fetch sees only its namespace', o, async (ctx) => {
      needNamespaces(ctx);
      const result = await h.backend.fetch({ ids: ['a-0', 'b-0', 'd-0'], namespace: A });
      expect(result.namespace).toBe(A);
      expect(sorted(result.records.keys())).toEqual(['a-0']);
      expect(sorted((await h.backend.fetch({ ids: ['a-0', 'b-0', 'd-0'] })).records.keys())).toEqual(['d-0']);
    });

    it('query sees only its namespace', o, async (ctx) => {
      needNamespaces(ctx);
      const result = await h.backend.query({ vector: v(), topK: 100, namespace: B, ...exactFlag(h) });
      expect(result.namespace).toBe(B);
      expect(sorted(result.matches.map((m) => m.id))).toEqual(sorted([...inB.map((r) => r.id), 'shared']));
      const shared = result.matches.find((m) => m.id === 'shared');
      expect(shared?.metadata).toEqual({ owner: 'b' });
      const def = await h.backend.query({ vector: v(), topK: 100, ...exactFlag(h) });
      expect(sorted(def.matches.map((m) => m.id))).toEqual(inDefault.map((r) => r.id));
      const empty = await h.backend.query({ vector: v(), topK: 100, namespace: 'never-used', ...exactFlag(h) });
      expect(empty.matches).toEqual([]);
    });

    it('list sees only its namespace', o, async (ctx) => {
      needNamespaces(ctx);
      expect(sorted(await collect(h.backend.list({ namespace: A, pageSize: 3 })))).toEqual(
        sorted([...inA.map((r) => r.id), 'shared']),
      );
      expect(sorted(await collect(h.backend.list()))).toEqual(inDefault.map((r) => r.id));
      expect(await collect(h.backend.list({ namespace: 'never-used' }))).toEqual([]);
    });

    it('stats count each namespace and the total', o, async (ctx) => {
      needNamespaces(ctx);
      const stats = await h.backend.stats();
      expect(stats.namespaces[A]?.recordCount).toBe(inA.length + 1);
      expect(stats.namespaces[B]?.recordCount).toBe(inB.length + 1);
      expect(stats.namespaces['']?.recordCount).toBe(inDefault.length);
      expect(stats.totalRecordCount).toBe(inA.length + inB.length + 2 + inDefault.length);
    });

    it('update touches only its namespace', o, async (ctx) => {
      needNamespaces(ctx);
      expect(await h.backend.update({ id: 'shared', metadata: { touched: true }, namespace: A })).toEqual({
        updated: true,
      });
      expect((await h.backend.fetch({ ids: ['shared'], namespace: A })).records.get('shared')?.metadata).toEqual({
        owner: 'a',
        touched: true,
      });
      expect((await h.backend.fetch({ ids: ['shared'], namespace: B })).records.get('shared')?.metadata).toEqual({
        owner: 'b',
      });
      expect(await h.backend.update({ id: 'a-1', metadata: { x: 1 }, namespace: B })).toEqual({ updated: false });
    });

    it('delete by ids touches only its namespace', o, async (ctx) => {
      needNamespaces(ctx);
      await h.backend.delete({ ids: ['shared', 'd-0'], namespace: A });
      expect((await h.backend.fetch({ ids: ['shared'], namespace: A })).records.size).toBe(0);
      expect((await h.backend.fetch({ ids: ['shared'], namespace: B })).records.size).toBe(1);
      expect((await h.backend.fetch({ ids: ['d-0'] })).records.size).toBe(1);
      expect(await nsCount(h, A)).toBe(inA.length);
    });

    it('delete by filter touches only its namespace (capabilities.deleteByFilter)', o, async (ctx) => {
      needNamespaces(ctx);
      skipWithout(ctx, h, 'deleteByFilter');
      const filter = { i: { $in: [0, 1] } };
      if (unsupportedOperators(h, parseFilter(filter)).length > 0) return ctx.skip('$in is not declared');
      await h.backend.delete({ filter, namespace: B });
      expect(sorted(await collect(h.backend.list({ namespace: B })))).toEqual(['b-2', 'b-3', 'shared']);
      expect(await nsCount(h, A)).toBe(inA.length);
      expect(await nsCount(h, '')).toBe(inDefault.length);
    });

    it('delete({all: true, namespace}) empties only that namespace', o, async (ctx) => {
      needNamespaces(ctx);
      const before = await h.backend.stats();
      await h.backend.delete({ all: true, namespace: A });
      const after = await h.backend.stats();
      expect(after.namespaces[A]?.recordCount ?? 0).toBe(0);
      expect(after.namespaces[B]?.recordCount).toBe(before.namespaces[B]?.recordCount);
      expect(after.namespaces['']?.recordCount).toBe(inDefault.length);
      expect(after.totalRecordCount).toBe(before.totalRecordCount - (before.namespaces[A]?.recordCount ?? 0));
      expect(await collect(h.backend.list({ namespace: A }))).toEqual([]);
      // The namespace can be used again.
      await h.backend.upsert({ records: [{ id: 'again', vector: v() }], namespace: A });
      expect(await nsCount(h, A)).toBe(1);
    });

    it('delete({all: true}) without a namespace empties only the default namespace', o, async (ctx) => {
      needNamespaces(ctx);
      await h.backend.delete({ all: true });
      expect(await nsCount(h, '')).toBe(0);
      expect(await nsCount(h, A)).toBe(1);
      expect(await nsCount(h, B)).toBeGreaterThan(0);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeDelete(kit: Kit, o: TestOptions): void {
  describe('delete', () => {
    const dataset = makeFilterDataset(FILTER_SEED + 2, { size: 120 });
    const h = useBackend(kit, 'delete', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dataset.dimension, metric: hh.metric });
      await hh.backend.upsert({ records: dataset.records });
    });
    let alive = new Set(dataset.records.map((r) => r.id));

    async function expectAlive(): Promise<void> {
      expect(await total(h)).toBe(alive.size);
      expect(sorted(await collect(h.backend.list({ pageSize: 50 })))).toEqual(sorted(alive));
    }

    it('by ids: removes exactly those, ignores unknown ids', o, async () => {
      const ids = ['f-001', 'f-002', 'f-050', 'unknown-1', 'f-002'];
      const result = await h.backend.delete({ ids });
      if (result.deletedCount !== undefined) expect(result.deletedCount).toBe(3);
      for (const id of ids) alive.delete(id);
      await expectAlive();
      expect((await h.backend.fetch({ ids })).records.size).toBe(0);
    });

    it('by ids that do not exist: nothing changes', o, async () => {
      const result = await h.backend.delete({ ids: ['nope-1', 'nope-2'] });
      if (result.deletedCount !== undefined) expect(result.deletedCount).toBe(0);
      await expectAlive();
    });

    const filterCases: Array<[string, unknown]> = [
      ['a simple $eq', { category: 'music' }],
      ['a range', { price: { $gte: 150 } }],
      ['$or with $not', { $or: [{ tags: 'eco' }, { $not: { rating: { $exists: true } } }] }],
      ['$nin on a mixed-type key', { code: { $nin: ['42', 42, 'A1'] } }],
    ];
    it.for(filterCases)(
      'by filter (%s): exactly the records the evaluator selects are gone (capabilities.deleteByFilter)',
      o,
      async ([, filter], ctx) => {
        skipWithout(ctx, h, 'deleteByFilter');
        const node = parseFilter(filter);
        const unsupported = unsupportedOperators(h, node);
        if (unsupported.length > 0) {
          // Not declared: the whole delete is refused.
          await expectUnsupported(() => h.backend.delete({ filter: asFilter(filter) }), unsupported);
          await expectAlive();
          return;
        }
        const victims = dataset.records
          .filter((r) => alive.has(r.id) && evaluateFilter(node, r.metadata))
          .map((r) => r.id);
        expect(victims.length).toBeGreaterThan(0);
        expect(victims.length).toBeLessThan(alive.size);
        const result = await h.backend.delete({ filter: asFilter(filter) });
        if (result.deletedCount !== undefined) expect(result.deletedCount).toBe(victims.length);
        for (const id of victims) alive.delete(id);
        await expectAlive();
        // The survivors keep their data.
        const survivors = await h.backend.fetch({ ids: [...alive] });
        for (const r of dataset.records.filter((x) => alive.has(x.id))) {
          expect(survivors.records.get(r.id)?.metadata ?? {}).toEqual(r.metadata ?? {});
        }
      },
    );

    it('by a filter matching nothing: nothing changes (capabilities.deleteByFilter)', o, async (ctx) => {
      skipWithout(ctx, h, 'deleteByFilter');
      const filter = { category: 'no-such-category' };
      if (unsupportedOperators(h, parseFilter(filter)).length > 0) return ctx.skip('$eq is not declared');
      const result = await h.backend.delete({ filter });
      if (result.deletedCount !== undefined) expect(result.deletedCount).toBe(0);
      await expectAlive();
    });

    it(
      'without capabilities.deleteByFilter, delete by filter fails with UNSUPPORTED_OPERATION and deletes nothing',
      o,
      async (ctx) => {
        if (!lacks(h, 'deleteByFilter'))
          return ctx.skip('capabilities.deleteByFilter is true: the by-filter cases apply');
        for (const [, filter] of filterCases) {
          await expectFailure(() => h.backend.delete({ filter: asFilter(filter) }), UNSUPPORTED_OPERATION);
        }
        await expectAlive();
      },
    );

    it('a deleted id can be upserted again', o, async () => {
      const record = dataset.records[1] as DatasetRecord;
      await h.backend.upsert({ records: [record] });
      alive.add(record.id);
      await expectAlive();
      expectSameVector((await h.backend.fetch({ ids: [record.id] })).records.get(record.id)?.vector, record.vector);
    });

    it('all: empties the namespace', o, async () => {
      const before = alive.size;
      const result = await h.backend.delete({ all: true });
      if (result.deletedCount !== undefined) expect(result.deletedCount).toBe(before);
      alive = new Set();
      await expectAlive();
      const query = await h.backend.query({
        vector: dataset.records[0]?.vector as Float32Array,
        topK: 10,
        ...exactFlag(h),
      });
      expect(query.matches).toEqual([]);
      expect((await h.backend.describeIndex())?.dimension).toBe(dataset.dimension);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeList(kit: Kit, o: TestOptions): void {
  describe('list', () => {
    const dim = 4;
    const rng = createRng(3);
    const ids = [
      ...range(20).map((i) => `apple-${String(i).padStart(2, '0')}`),
      ...range(14).map((i) => `apricot-${i}`),
      ...range(19).map((i) => `banana/${i}`),
    ];
    const h = useBackend(kit, 'list', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      await hh.backend.upsert({ records: ids.map((id) => ({ id, vector: randomVector(rng, dim) })) });
    });

    it.each([[7], [1], [53], [100], [1000]])('pageSize %i: every id appears exactly once', o, async (pageSize) => {
      const listed = await collect(h.backend.list({ pageSize }));
      expect(listed).toHaveLength(ids.length);
      expect(sorted(listed)).toEqual(sorted(ids));
    });

    it('the default page size lists every id once', o, async () => {
      const listed = await collect(h.backend.list());
      expect(sorted(listed)).toEqual(sorted(ids));
    });

    const prefixes: Array<[string, number]> = [
      ['ap', 7],
      ['apple-', 7],
      ['apricot-', 7],
      ['apple-1', 3],
      ['banana/', 7],
      ['cherry', 7],
      ['', 7],
    ];
    it.for(prefixes)(
      "prefix '%s' (pageSize %i) lists exactly the ids starting with it (capabilities.listByPrefix)",
      o,
      async ([prefix, pageSize], ctx) => {
        if (prefix !== '') skipWithout(ctx, h, 'listByPrefix');
        const listed = await collect(h.backend.list({ prefix, pageSize }));
        expect(listed).toHaveLength(new Set(listed).size);
        expect(sorted(listed)).toEqual(sorted(ids.filter((id) => id.startsWith(prefix))));
      },
    );

    it('deleted ids are no longer listed and new ones are', o, async () => {
      await h.backend.delete({ ids: ['apple-00', 'banana/3'] });
      await h.backend.upsert({ records: [{ id: 'apple-99', vector: randomVector(rng, dim) }] });
      const expected = [...ids.filter((id) => id !== 'apple-00' && id !== 'banana/3'), 'apple-99'];
      expect(sorted(await collect(h.backend.list({ pageSize: 7 })))).toEqual(sorted(expected));
      if (lacks(h, 'listByPrefix')) return;
      expect(sorted(await collect(h.backend.list({ prefix: 'apple-', pageSize: 7 })))).toEqual(
        sorted(expected.filter((id) => id.startsWith('apple-'))),
      );
    });

    it('an empty namespace lists nothing', o, async () => {
      const namespace = h.caps.namespaces ? 'empty-ns' : undefined;
      if (!lacks(h, 'listByPrefix')) {
        const listed = await collect(h.backend.list({ ...(namespace !== undefined && { namespace }), prefix: 'zzz' }));
        expect(listed).toEqual([]);
      }
      if (namespace) expect(await collect(h.backend.list({ namespace }))).toEqual([]);
    });

    it(
      'without capabilities.listByPrefix, list with a prefix fails with UNSUPPORTED_OPERATION (never lists unfiltered)',
      o,
      async (ctx) => {
        if (!lacks(h, 'listByPrefix')) return ctx.skip('capabilities.listByPrefix is true: the prefix cases apply');
        for (const prefix of ['apple-', 'banana/', 'cherry']) {
          await expectFailure(() => h.backend.list({ prefix, pageSize: 7 }), UNSUPPORTED_OPERATION);
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------

function describeStats(kit: Kit, o: TestOptions): void {
  describe('stats', () => {
    const dim = 5;
    const rng = createRng(8);
    const v = (): Float32Array => randomVector(rng, dim);
    const h = useBackend(kit, 'stats', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
    });

    it('a new index has dimension, metric and no records', o, async () => {
      const stats = await h.backend.stats();
      expect(stats.dimension).toBe(dim);
      expect(stats.metric).toBe(h.metric);
      expect(stats.totalRecordCount).toBe(0);
      expect(Object.values(stats.namespaces).reduce((s, n) => s + n.recordCount, 0)).toBe(0);
    });

    it('upserts raise the counts', o, async () => {
      await h.backend.upsert({ records: range(20).map((i) => ({ id: `s-${i}`, vector: v(), metadata: { i } })) });
      const stats = await h.backend.stats();
      expect(stats.totalRecordCount).toBe(20);
      expect(stats.namespaces['']?.recordCount).toBe(20);
    });

    it('overwriting existing ids keeps the counts', o, async () => {
      await h.backend.upsert({ records: range(5).map((i) => ({ id: `s-${i}`, vector: v() })) });
      expect(await total(h)).toBe(20);
    });

    it('deletes lower the counts', o, async (ctx) => {
      await h.backend.delete({ ids: ['s-0', 's-1', 's-2', 'not-there'] });
      expect(await total(h)).toBe(17);
      const filter = { i: { $gte: 15 } };
      if (unsupportedOperators(h, parseFilter(filter)).length > 0) return ctx.skip('$gte is not declared');
      if (lacks(h, 'deleteByFilter')) return ctx.skip('capabilities.deleteByFilter is false (by ids checked)');
      await h.backend.delete({ filter });
      const stats = await h.backend.stats();
      expect(stats.totalRecordCount).toBe(12);
      expect(stats.namespaces['']?.recordCount).toBe(12);
    });

    it('counts each namespace separately and sums them in the total', o, async (ctx) => {
      if (!h.caps.namespaces) return ctx.skip('the backend has no namespaces');
      const base = await total(h);
      await h.backend.upsert({ records: range(7).map((i) => ({ id: `x-${i}`, vector: v() })), namespace: 'stats-x' });
      await h.backend.upsert({ records: range(3).map((i) => ({ id: `y-${i}`, vector: v() })), namespace: 'stats-y' });
      let stats = await h.backend.stats();
      expect(stats.namespaces['stats-x']?.recordCount).toBe(7);
      expect(stats.namespaces['stats-y']?.recordCount).toBe(3);
      expect(stats.namespaces['']?.recordCount).toBe(base);
      expect(stats.totalRecordCount).toBe(base + 10);
      await h.backend.delete({ ids: ['x-0', 'x-1'], namespace: 'stats-x' });
      await h.backend.delete({ all: true, namespace: 'stats-y' });
      stats = await h.backend.stats();
      expect(stats.namespaces['stats-x']?.recordCount).toBe(5);
      expect(stats.namespaces['stats-y']?.recordCount ?? 0).toBe(0);
      expect(stats.totalRecordCount).toBe(base + 5);
    });

    it('the counts agree with list', o, async () => {
      const stats = await h.backend.stats();
      expect((await collect(h.backend.list())).length).toBe(stats.namespaces['']?.recordCount ?? 0);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeConcurrency(kit: Kit, o: TestOptions): void {
  describe('concurrency', () => {
    const dim = 8;
    const rng = createRng(21);
    const v = (): Float32Array => randomVector(rng, dim);
    const h = useBackend(kit, 'concurrent', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      await hh.backend.upsert({ records: range(10).map((i) => ({ id: `seed-${i}`, vector: v() })) });
    });

    it('100 concurrent operations (upserts of distinct ids interleaved with queries) all succeed', o, async () => {
      const written = new Map<string, Float32Array>();
      const ops: Array<() => Promise<unknown>> = [];
      for (let i = 0; i < 60; i++) {
        const records = range(2).map((j) => ({ id: `c-${i}-${j}`, vector: v(), metadata: { i, j } }));
        for (const r of records) written.set(r.id, r.vector);
        ops.push(async () => {
          const result = await h.backend.upsert({ records });
          expect(result.upsertedCount).toBe(2);
        });
      }
      const known = (id: string): boolean => id.startsWith('seed-') || written.has(id);
      for (let i = 0; i < 40; i++) {
        const query = v();
        ops.push(async () => {
          const result = await h.backend.query({ vector: query, topK: 5, ...exactFlag(h) });
          expect(result.matches.length).toBeGreaterThanOrEqual(5);
          expect(result.matches.length).toBeLessThanOrEqual(5);
          for (const m of result.matches) expect(known(m.id), m.id).toBe(true);
        });
      }
      createRng(22).shuffle(ops);
      const outcomes = await Promise.allSettled(ops.map((op) => op()));
      const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failures.map((f) => String(f.reason))).toEqual([]);
      expect(await total(h)).toBe(10 + written.size);
      const fetched = await h.backend.fetch({ ids: [...written.keys()] });
      expect(fetched.records.size).toBe(written.size);
      for (const [id, vector] of written) expectSameVector(fetched.records.get(id)?.vector, vector);
    });

    it('concurrent upserts of one id leave exactly one of the written records, whole', o, async () => {
      const before = await total(h);
      const versions = range(20).map((n) => ({
        id: 'hot',
        vector: new Float32Array(dim).fill(n + 1),
        metadata: { n },
      }));
      await Promise.all(versions.map((r) => h.backend.upsert({ records: [r] })));
      expect(await total(h)).toBe(before + 1);
      const got = (await h.backend.fetch({ ids: ['hot'] })).records.get('hot');
      const n = got?.metadata?.n as number;
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(20);
      expectSameVector(got?.vector, versions[n]?.vector as Float32Array);
    });

    it('concurrent updates and deletes of distinct ids all apply', o, async () => {
      const ids = range(40).map((i) => `c-${i}-0`);
      const before = await total(h);
      const updates = ids.slice(0, 20).map((id) => h.backend.update({ id, metadata: { touched: id } }));
      const deletes = ids.slice(20).map((id) => h.backend.delete({ ids: [id] }));
      const results = await Promise.all([...updates, ...deletes]);
      expect(results.slice(0, 20)).toEqual(range(20).map(() => ({ updated: true })));
      expect(await total(h)).toBe(before - 20);
      const fetched = await h.backend.fetch({ ids });
      expect(fetched.records.size).toBe(20);
      for (const id of ids.slice(0, 20)) expect(fetched.records.get(id)?.metadata?.touched).toBe(id);
    });
  });
}

// ---------------------------------------------------------------------------------------------

function describeAbort(kit: Kit, o: TestOptions): void {
  describe('abort', () => {
    const dim = 4;
    const h = useBackend(kit, 'abort', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      await hh.backend.upsert({ records: [{ id: 'kept', vector: [1, 2, 3, 4], metadata: { v: 1 } }] });
    });
    const aborted = (): AbortSignal => {
      const controller = new AbortController();
      controller.abort(new Error('test abort'));
      return controller.signal;
    };

    const cases: Array<[string, (b: VectorBackend, signal: AbortSignal) => unknown]> = [
      ['ensureIndex', (b, signal) => b.ensureIndex({ dimension: dim, metric: h.metric, signal })],
      ['describeIndex', (b, signal) => b.describeIndex({ signal })],
      ['dropIndex', (b, signal) => b.dropIndex({ signal })],
      ['upsert', (b, signal) => b.upsert({ records: [{ id: 'new', vector: [4, 3, 2, 1] }], signal })],
      ['query', (b, signal) => b.query({ vector: [1, 1, 1, 1], topK: 1, signal })],
      ['fetch', (b, signal) => b.fetch({ ids: ['kept'], signal })],
      ['update', (b, signal) => b.update({ id: 'kept', metadata: { v: 2 }, vector: [9, 9, 9, 9], signal })],
      ['delete by ids', (b, signal) => b.delete({ ids: ['kept'], signal })],
      ['delete all', (b, signal) => b.delete({ all: true, signal })],
      ['list', (b, signal) => b.list({ signal })],
      ['stats', (b, signal) => b.stats({ signal })],
    ];
    it.each(cases)(
      '%s with an already-aborted signal fails with ABORTED and changes nothing',
      o,
      async (_name, run) => {
        // Start from the same state whatever an earlier case did.
        await h.backend.upsert({ records: [{ id: 'kept', vector: [1, 2, 3, 4], metadata: { v: 1 } }] });
        await h.backend.delete({ ids: ['new'] });
        await expectFailure(() => run(h.backend, aborted()), { code: 'ABORTED', cls: AbortError });
        expect(await h.backend.describeIndex()).toEqual({ name: h.indexName, dimension: dim, metric: h.metric });
        expect(await total(h)).toBe(1);
        const kept = (await h.backend.fetch({ ids: ['kept', 'new'] })).records;
        expect(sorted(kept.keys())).toEqual(['kept']);
        expectSameVector(kept.get('kept')?.vector, [1, 2, 3, 4]);
        expect(kept.get('kept')?.metadata).toEqual({ v: 1 });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------

function describeClose(kit: Kit, o: TestOptions): void {
  describe('close', () => {
    const dim = 4;
    const h = useBackend(kit, 'close', async (hh) => {
      await hh.backend.ensureIndex({ dimension: dim, metric: hh.metric });
      await hh.backend.upsert({ records: [{ id: 'x', vector: [1, 2, 3, 4] }] });
    });

    it('close() resolves, and closing again is fine', o, async () => {
      await expect(h.backend.close()).resolves.toBeUndefined();
      await expect(h.backend.close()).resolves.toBeUndefined();
    });

    const cases: Array<[string, (b: VectorBackend) => unknown]> = [
      ['ensureIndex', (b) => b.ensureIndex({ dimension: dim, metric: h.metric })],
      ['describeIndex', (b) => b.describeIndex()],
      ['dropIndex', (b) => b.dropIndex()],
      ['upsert', (b) => b.upsert({ records: [{ id: 'y', vector: [1, 1, 1, 1] }] })],
      ['query', (b) => b.query({ vector: [1, 1, 1, 1], topK: 1 })],
      ['fetch', (b) => b.fetch({ ids: ['x'] })],
      ['update', (b) => b.update({ id: 'x', metadata: { a: 1 } })],
      ['delete', (b) => b.delete({ ids: ['x'] })],
      ['list', (b) => b.list()],
      ['stats', (b) => b.stats()],
    ];
    it.each(cases)('%s after close() fails with CLOSED', o, async (_name, run) => {
      await h.backend.close();
      await expectFailure(() => run(h.backend), { code: 'CLOSED', cls: ClosedError });
    });
  });
}
