/**
 * The filter language: one Mongo/Pinecone-style type for callers, one AST for backends.
 *
 * Surface syntax (what callers write):
 *
 *   { genre: 'drama' }                          implicit $eq
 *   { year: { $gte: 2000, $lt: 2010 } }         several operators on one key: all must hold
 *   { genre: 'drama', year: { $gt: 2000 } }     several keys: implicit $and
 *   { $or: [{ genre: 'drama' }, { tags: { $in: ['x', 'y'] } }] }
 *   { $not: { genre: 'drama' } }                negation of a whole filter
 *   { year: { $not: { $gt: 2000 } } }           negation of one key's condition
 *
 * Semantics (the reference evaluator in `filter-evaluator.ts` is the oracle every backend is tested
 * against):
 *
 * - `$eq v`: the field holds exactly `v` with the same JSON type (no coercion: `'1'` ≠ `1`).
 *   On a list field it matches when **any element** equals `v` (as Pinecone does).
 * - `$ne v` is exactly `$not {$eq v}`: it matches a missing field, a field of another type, and a
 *   list with no element equal to `v`.
 * - `$gt $gte $lt $lte` take a finite number and match only numeric fields; a missing field or a
 *   field of another type does not match (never an error).
 * - `$in [v…]` matches when the field equals one of the values; on a list field, when any element
 *   is one of them. `$in []` matches nothing. `$nin` is exactly `$not {$in …}` (so it matches a
 *   missing field, and `$nin []` matches everything).
 * - `$exists true` matches when the key is present; `$exists false` when it is absent.
 * - `$and` / `$or` take a non-empty list of filters; `$not` takes one filter (top level) or one
 *   condition (under a key).
 *
 * - A key whose value is `undefined` (`{genre: opts.genre}` with no genre given) is an error, not a
 *   dropped condition: dropping it would widen the results. `{}` means "no filter" only at the top
 *   level; nested inside `$and`/`$or`/`$not` it is an error.
 *
 * Limits: at most {@link FILTER_MAX_DEPTH} levels of nesting, {@link FILTER_MAX_IN_VALUES} values
 * per `$in`/`$nin` (Pinecone's limit), keys match the metadata key pattern.
 */

export type FilterScalar = string | number | boolean;

export type ComparisonOperator = '$eq' | '$ne';
export type RangeOperator = '$gt' | '$gte' | '$lt' | '$lte';
export type SetOperator = '$in' | '$nin';
export type FieldOperator = ComparisonOperator | RangeOperator | SetOperator | '$exists';
export type LogicalOperator = '$and' | '$or' | '$not';
export type FilterOperator = FieldOperator | LogicalOperator;

export const FILTER_OPERATORS: readonly FilterOperator[] = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$and',
  '$or',
  '$not',
];

export const FILTER_MAX_DEPTH = 10;
export const FILTER_MAX_IN_VALUES = 10_000;

type ScalarOf<V> = V extends readonly (infer E)[] ? E : V;
/** Range operators take numbers, and only on keys that can hold a number. */
type RangeOperand<V> = [Extract<ScalarOf<V>, number>] extends [never] ? never : number;

/** Conditions on one key. A bare value means `$eq`. */
export type FieldCondition<V = FilterScalar> =
  | ScalarOf<V>
  | {
      $eq?: ScalarOf<V>;
      $ne?: ScalarOf<V>;
      $gt?: RangeOperand<V>;
      $gte?: RangeOperand<V>;
      $lt?: RangeOperand<V>;
      $lte?: RangeOperand<V>;
      $in?: readonly ScalarOf<V>[];
      $nin?: readonly ScalarOf<V>[];
      $exists?: boolean;
      $not?: FieldCondition<V>;
    };

interface LogicalClauses<M extends Record<string, unknown>> {
  $and?: readonly Filter<M>[];
  $or?: readonly Filter<M>[];
  $not?: Filter<M>;
}

/**
 * A filter over metadata of type `M`. With a specific `M` (`{genre: string; year: number}`) keys
 * and value types are checked; with the default wide type any key is allowed.
 */
export type Filter<M extends Record<string, unknown> = Record<string, unknown>> = string extends keyof M
  ? LogicalClauses<M> & {
      [key: string]: FieldCondition<FilterScalar | string[]> | readonly Filter<M>[] | Filter<M> | undefined;
    }
  : LogicalClauses<M> & { [K in keyof M & string]?: FieldCondition<M[K]> };

/** The parsed, validated filter. Backends compile this, never the surface syntax. */
export type FilterNode =
  | { type: 'and'; children: FilterNode[] }
  | { type: 'or'; children: FilterNode[] }
  | { type: 'not'; child: FilterNode }
  | { type: 'field'; field: string; op: ComparisonOperator; value: FilterScalar }
  | { type: 'field'; field: string; op: RangeOperator; value: number }
  | { type: 'field'; field: string; op: SetOperator; value: FilterScalar[] }
  | { type: 'field'; field: string; op: '$exists'; value: boolean };

export type FieldNode = Extract<FilterNode, { type: 'field' }>;
