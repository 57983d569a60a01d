/**
 * Seeded datasets and random filter trees for the vector-backend conformance kit. Everything here
 * is deterministic: the same seed gives the same records and filters on every machine.
 */

import type { Rng } from '../shared/random.js';
import { createRng } from '../shared/random.js';
import { FILTER_OPERATORS, type Filter, type FilterOperator, type FilterScalar } from '../vector/filter-types.js';
import type { Metadata } from '../vector/types.js';

/** A record of a conformance dataset (vectors are already float32, so they round-trip exactly). */
export interface DatasetRecord {
  id: string;
  vector: Float32Array;
  /** Absent on a few records of the filter dataset: every key is then missing. */
  metadata?: Metadata;
}

/** A set of records sharing one dimension. */
export interface Dataset {
  dimension: number;
  records: DatasetRecord[];
}

/** Options of {@link makeFilterDataset}. */
export interface FilterDatasetOptions {
  /** Number of records (default 240). */
  size?: number;
  /** Vector dimension (default 8). */
  dimension?: number;
}

/** Values of the filter dataset's `category` field. */
export const FILTER_DATASET_CATEGORIES = ['books', 'music', 'film', 'games'] as const;
/** Elements of the filter dataset's `tags` lists. */
export const FILTER_DATASET_TAGS = ['new', 'sale', 'popular', 'limited', 'eco'] as const;
/** Values of the filter dataset's `code` field, whose type varies: strings mirror some numbers. */
export const FILTER_DATASET_CODES: readonly (string | number)[] = ['A1', 'B2', '42', '7', 42, 7, 13, 99.5];

/** A vector of standard normal components times `scale`, as float32. */
export function randomVector(rng: Rng, dimension: number, scale = 1): Float32Array {
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * The dataset the filter conformance cases run on. Metadata fields:
 *
 * - `category`: one of {@link FILTER_DATASET_CATEGORIES};
 * - `price`: a float with two decimals, from a pool of 60 so equal prices recur;
 * - `year`: an integer from 1990 to 2024;
 * - `inStock`: a boolean;
 * - `tags`: a list of 0–3 of {@link FILTER_DATASET_TAGS} (some lists are empty);
 * - `sku`: a string unique to the record;
 * - `rating`: an integer from 1 to 5, present on about 60% of the records;
 * - `code`: a string in some records, a number in others, absent in a few (see {@link FILTER_DATASET_CODES}).
 *
 * Every 60th record (ids `f-000`, `f-060`, …) has no metadata at all.
 */
export function makeFilterDataset(seed = 1, options: FilterDatasetOptions = {}): Dataset {
  const size = options.size ?? 240;
  const dimension = options.dimension ?? 8;
  const rng = createRng(seed);
  const prices: number[] = [];
  while (prices.length < 60) {
    const price = Math.round(rng.float() * 20_000) / 100 + 0.01;
    const rounded = Math.round(price * 100) / 100;
    if (!prices.includes(rounded)) prices.push(rounded);
  }
  const records: DatasetRecord[] = [];
  for (let i = 0; i < size; i++) {
    const id = `f-${String(i).padStart(3, '0')}`;
    const vector = randomVector(rng, dimension);
    if (i % 60 === 0) {
      records.push({ id, vector });
      continue;
    }
    const metadata: Metadata = {
      category: rng.pick(FILTER_DATASET_CATEGORIES),
      price: rng.pick(prices),
      year: rng.int(1990, 2024),
      inStock: rng.float() < 0.6,
      tags: rng.shuffle([...FILTER_DATASET_TAGS]).slice(0, rng.int(0, 3)),
      sku: `sku-${String((i * 7919) % 10_007).padStart(5, '0')}`,
    };
    if (rng.float() < 0.6) metadata.rating = rng.int(1, 5);
    if (rng.float() < 0.9) metadata.code = rng.pick(FILTER_DATASET_CODES);
    records.push({ id, vector, metadata });
  }
  return { dimension, records };
}

/** A filter in the surface syntax, as generated (keys are the dataset's metadata keys). */
export type GeneratedFilter = Filter;

const FIELD_OPERATORS: readonly FilterOperator[] = FILTER_OPERATORS.filter(
  (op) => !['$and', '$or', '$not'].includes(op),
);
const RANGE_OPERATORS: readonly FilterOperator[] = ['$gt', '$gte', '$lt', '$lte'];
/** A key no dataset record has, so generated filters also probe missing keys. */
const ABSENT_KEY = 'absent_key';

interface ValuePools {
  fields: string[];
  /** Scalars seen under each key (list elements flattened), deduplicated. */
  values: Map<string, FilterScalar[]>;
  /** Every number seen under any key. */
  numbers: number[];
  /** Every scalar seen under any key. */
  all: FilterScalar[];
}

function valuePools(dataset: Dataset): ValuePools {
  const values = new Map<string, Set<FilterScalar>>();
  for (const record of dataset.records) {
    for (const [key, value] of Object.entries(record.metadata ?? {})) {
      let set = values.get(key);
      if (!set) {
        set = new Set();
        values.set(key, set);
      }
      if (Array.isArray(value)) for (const element of value) set.add(element);
      else set.add(value);
    }
  }
  const pools = new Map<string, FilterScalar[]>();
  const all = new Set<FilterScalar>();
  for (const [key, set] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const list = [...set].sort((a, b) => String(a).localeCompare(String(b)));
    pools.set(key, list);
    for (const v of list) all.add(v);
  }
  const allList = [...all];
  return {
    fields: [...pools.keys()],
    values: pools,
    numbers: allList.filter((v): v is number => typeof v === 'number'),
    all: allList,
  };
}

function chance(rng: Rng, p: number): boolean {
  return rng.float() < p;
}

function pickValue(rng: Rng, pools: ValuePools, field: string): FilterScalar {
  const own = pools.values.get(field) ?? [];
  if (own.length === 0 || chance(rng, 0.08)) {
    // A value of another key (often of another type), or one that no record holds.
    return chance(rng, 0.5) && pools.all.length > 0 ? rng.pick(pools.all) : rng.pick(['zz-nobody', 123_456, false]);
  }
  return rng.pick(own);
}

function pickNumber(rng: Rng, pools: ValuePools, field: string): number {
  const own = (pools.values.get(field) ?? []).filter((v): v is number => typeof v === 'number');
  const source = own.length > 0 && !chance(rng, 0.1) ? own : pools.numbers;
  if (source.length === 0) return rng.int(-10, 10);
  const a = rng.pick(source);
  if (chance(rng, 0.7)) return a; // exactly a stored value: probes inclusive vs exclusive bounds
  const b = rng.pick(source);
  return (a + b) / 2;
}

function operand(rng: Rng, pools: ValuePools, field: string, op: FilterOperator): unknown {
  if (RANGE_OPERATORS.includes(op)) return pickNumber(rng, pools, field);
  if (op === '$exists') return chance(rng, 0.5);
  if (op === '$in' || op === '$nin') {
    if (chance(rng, 0.05)) return [];
    const n = rng.int(1, 4);
    const out: FilterScalar[] = [];
    for (let i = 0; i < n; i++) {
      const v = pickValue(rng, pools, field);
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }
  return pickValue(rng, pools, field);
}

function isRange(op: FilterOperator): boolean {
  return RANGE_OPERATORS.includes(op);
}

/** Keys holding numbers (the ones range operators are mostly drawn for). */
function numericFields(pools: ValuePools): string[] {
  return pools.fields.filter((f) => (pools.values.get(f) ?? []).some((v) => typeof v === 'number'));
}

/** The condition on one key: a bare value, one or two operators, maybe under a key-level `$not`. */
function condition(
  rng: Rng,
  pools: ValuePools,
  field: string,
  op: FilterOperator,
  ops: ReadonlySet<FilterOperator>,
): unknown {
  let cond: unknown;
  if (op === '$eq' && chance(rng, 0.5)) {
    cond = operand(rng, pools, field, op);
  } else {
    const obj: Record<string, unknown> = { [op]: operand(rng, pools, field, op) };
    // Two operators on one key parse to an implicit $and; pair them so the result is rarely empty.
    if (ops.has('$and') && chance(rng, 0.2)) {
      const lower = ['$gt', '$gte'] as const;
      const upper = ['$lt', '$lte'] as const;
      const opposite = (lower as readonly string[]).includes(op)
        ? upper
        : (upper as readonly string[]).includes(op)
          ? lower
          : [];
      const candidates =
        opposite.length > 0
          ? opposite.filter((o) => ops.has(o))
          : (['$ne', '$nin'] as const).filter((o) => ops.has(o) && o !== op);
      if (candidates.length > 0) {
        const second = rng.pick(candidates);
        obj[second] = operand(rng, pools, field, second);
        if (isRange(op) && typeof obj[op] === 'number' && typeof obj[second] === 'number') {
          // Order the bounds so the range is not empty.
          const [lo, hi] = [obj[op] as number, obj[second] as number].sort((a, b) => a - b);
          const loOp = lower.includes(op as (typeof lower)[number]) ? op : second;
          const hiOp = loOp === op ? second : op;
          obj[loOp] = lo;
          obj[hiOp] = hi;
        }
      }
    }
    cond = obj;
  }
  if (ops.has('$not') && chance(rng, 0.12)) cond = { $not: cond };
  return cond;
}

/** A key and an operator for one leaf: range operators go to numeric keys nine times in ten. */
function pickFieldAndOp(rng: Rng, pools: ValuePools, ops: ReadonlySet<FilterOperator>): [string, FilterOperator] {
  const op = rng.pick(FIELD_OPERATORS.filter((o) => ops.has(o)));
  const numeric = numericFields(pools);
  if (isRange(op) && numeric.length > 0 && !chance(rng, 0.1)) return [rng.pick(numeric), op];
  if (pools.fields.length === 0 || chance(rng, 0.04)) return [ABSENT_KEY, op];
  return [rng.pick(pools.fields), op];
}

function leaf(rng: Rng, pools: ValuePools, ops: ReadonlySet<FilterOperator>): Record<string, unknown> {
  const [field, op] = pickFieldAndOp(rng, pools, ops);
  return { [field]: condition(rng, pools, field, op, ops) };
}

function node(
  rng: Rng,
  pools: ValuePools,
  ops: ReadonlySet<FilterOperator>,
  depth: number,
  maxDepth: number,
): Record<string, unknown> {
  const logical = (['$and', '$or', '$not', 'keys'] as const).filter((op) =>
    op === 'keys' ? ops.has('$and') : ops.has(op),
  );
  if (depth >= maxDepth || logical.length === 0 || chance(rng, 0.3 + 0.2 * depth)) return leaf(rng, pools, ops);
  const kind = rng.pick(logical);
  if (kind === '$not') return { $not: node(rng, pools, ops, depth + 1, maxDepth) };
  const n = rng.int(2, 3);
  if (kind === 'keys') {
    // Several keys in one object: an implicit $and.
    const out: Record<string, unknown> = {};
    for (let i = 0; i < 2; i++) {
      const [field, op] = pickFieldAndOp(rng, pools, ops);
      if (!(field in out)) out[field] = condition(rng, pools, field, op, ops);
    }
    return out;
  }
  const children: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) children.push(node(rng, pools, ops, depth + 1, maxDepth));
  const out: Record<string, unknown> = { [kind]: children };
  // Sometimes a key next to $and/$or (also an implicit $and).
  if (ops.has('$and') && chance(rng, 0.15)) {
    const [field, op] = pickFieldAndOp(rng, pools, ops);
    out[field] = condition(rng, pools, field, op, ops);
  }
  return out;
}

/**
 * One random filter tree over `dataset`'s metadata keys using only `operators` (an implicit `$and` of
 * several keys or operators is produced only when `$and` is among them). Logical nesting is at most
 * `maxDepth` levels; operands are drawn from the values the dataset actually holds (plus, rarely, a
 * value of another type or one nobody holds), so results are mostly non-trivial. Returns undefined
 * when `operators` has no field operator.
 */
export function generateFilter(
  rng: Rng,
  operators: readonly FilterOperator[],
  dataset: Dataset,
  maxDepth = 3,
): GeneratedFilter | undefined {
  const ops = new Set(operators);
  if (!FIELD_OPERATORS.some((op) => ops.has(op))) return undefined;
  return node(rng, valuePools(dataset), ops, 0, maxDepth) as GeneratedFilter;
}

/** `count` filters from {@link generateFilter} (none when `operators` has no field operator). */
export function generateFilters(
  rng: Rng,
  count: number,
  operators: readonly FilterOperator[],
  dataset: Dataset = makeFilterDataset(),
  maxDepth = 3,
): GeneratedFilter[] {
  const out: GeneratedFilter[] = [];
  for (let i = 0; i < count; i++) {
    const filter = generateFilter(rng, operators, dataset, maxDepth);
    if (filter === undefined) return [];
    out.push(filter);
  }
  return out;
}
