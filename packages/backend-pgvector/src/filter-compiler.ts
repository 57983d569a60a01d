import {
  type FieldNode,
  type FilterNode,
  type FilterScalar,
  FilterValidationError,
  METADATA_KEY_PATTERN,
} from '@q-store/core';
import type { SqlParams } from './sql.js';

/**
 * Compiles core's filter AST to a parameterised SQL boolean over a jsonb column, with exactly the
 * semantics of core's reference evaluator (`evaluateFilter`):
 *
 * | filter            | SQL (m = the metadata column, k = the key, both as placeholders)                      |
 * | ----------------- | ------------------------------------------------------------------------------------- |
 * | `$eq v`           | `m @> {"k": v}` (same JSON type and value) `OR m @> {"k": [v]}` (a list holding v)      |
 * | `$in [v…]`        | `[v…] @> [m->k]` (a scalar equal to one of them) `OR m->k ?| {strings}` (a list holding one) |
 * | `$gt $gte $lt $lte n` | `CASE WHEN jsonb_typeof(m->k) = 'number' THEN (m->k)::float8 > n ELSE false END`    |
 * | `$exists b`       | `m ? k` (or its negation)                                                              |
 * | `$ne`, `$nin`     | `NOT` of `$eq`, `$in`                                                                  |
 * | `and or not`      | `AND OR NOT`                                                                           |
 *
 * Every leaf is wrapped in `coalesce(…, false)`, so a row without metadata or without the key gives
 * false rather than NULL and `NOT` stays two-valued ($ne and $nin match a missing key, as in core).
 * Range operators look at the JSON type first (`CASE` evaluates in order), so a string or list under
 * a numeric comparison is "no match", never a cast error. jsonb containment compares types strictly
 * (`"5"` ≠ `5`, `true` ≠ `"true"`) and numbers by value (`1` = `1.0`), as JavaScript's `===` does.
 *
 * Keys and values never reach SQL text: both are placeholders. Keys are also checked against
 * `METADATA_KEY_PATTERN` here, so a hand-built AST cannot smuggle anything through.
 */
/**
 * PostgreSQL's limit on placeholders in one statement (the wire protocol counts them in an int16).
 * A filter's share is this less what the statement itself needs ({@link RESERVED_SQL_PARAMETERS}).
 */
export const MAX_SQL_PARAMETERS = 65_535;
/** Placeholders a vector statement keeps for itself (vector, namespace, limit, …). */
export const RESERVED_SQL_PARAMETERS = 16;

/**
 * Compiles a filter (see {@link compileNode}) and checks the placeholder budget: `$eq`/`$in` on one
 * key under an `or` become one array parameter, `$ne`/`$nin` on one key under an `and` likewise, so
 * a 40,001-clause `$or` of equalities is one clause; a filter that still needs more than
 * PostgreSQL's 65,535 placeholders is an `INVALID_FILTER` naming the limit, never a failed statement.
 */
export function compileFilter(node: FilterNode, params: SqlParams, column: string): string {
  return compileNode(node, params, column, MAX_SQL_PARAMETERS - RESERVED_SQL_PARAMETERS);
}

function tooManyParameters(): never {
  throw new FilterValidationError([
    {
      field: 'filter',
      message: `needs more than ${MAX_SQL_PARAMETERS - RESERVED_SQL_PARAMETERS} SQL parameters (PostgreSQL takes at most ${MAX_SQL_PARAMETERS} per statement): use $in lists instead of many separate clauses`,
      limit: MAX_SQL_PARAMETERS - RESERVED_SQL_PARAMETERS,
    },
  ]);
}

/**
 * Merges the set-like children of an `and`/`or`: under `or`, every `$eq`/`$in` on one key into one
 * `$in` (x = a OR x = b ≡ x ∈ {a, b}); under `and`, every `$ne`/`$nin` on one key into one `$nin`.
 * Exact for core's semantics: `$in` is "equal to one of the values" (a list holding one), so the
 * union of the sets matches what the separate clauses did. The merged clause takes the place of
 * the first one it replaces; other children keep their order.
 */
function mergeSets(type: 'and' | 'or', children: readonly FilterNode[]): FilterNode[] {
  const [single, set] = type === 'or' ? (['$eq', '$in'] as const) : (['$ne', '$nin'] as const);
  const merged = new Map<string, { node: FieldNode; values: FilterScalar[]; count: number }>();
  const out: FilterNode[] = [];
  for (const child of children) {
    if (child.type !== 'field' || (child.op !== single && child.op !== set)) {
      out.push(child);
      continue;
    }
    const values = child.op === set ? (child.value as readonly FilterScalar[]) : [child.value as FilterScalar];
    const group = merged.get(child.field);
    if (group) {
      group.values.push(...values);
      group.count++;
      continue;
    }
    const node = { ...child } as FieldNode;
    merged.set(child.field, { node, values: [...values], count: 1 });
    out.push(node);
  }
  for (const { node, values, count } of merged.values()) {
    if (count > 1) Object.assign(node, { op: set, value: values });
  }
  return out;
}

/**
 * Compiles core's filter AST to a parameterised SQL boolean over a jsonb column, with exactly the
 * semantics of core's reference evaluator (`evaluateFilter`):
 *
 * | filter            | SQL (m = the metadata column, k = the key, both as placeholders)                      |
 * | ----------------- | ------------------------------------------------------------------------------------- |
 * | `$eq v`           | `m @> {"k": v}` (same JSON type and value) `OR m @> {"k": [v]}` (a list holding v)      |
 * | `$in [v…]`        | `[v…] @> [m->k]` (a scalar equal to one of them) `OR m->k ?| {strings}` (a list holding one) |
 * | `$gt $gte $lt $lte n` | `CASE WHEN jsonb_typeof(m->k) = 'number' THEN (m->k)::float8 > n ELSE false END`    |
 * | `$exists b`       | `m ? k` (or its negation)                                                              |
 * | `$ne`, `$nin`     | `NOT` of `$eq`, `$in`                                                                  |
 * | `and or not`      | `AND OR NOT`                                                                           |
 *
 * Every leaf is wrapped in `coalesce(…, false)`, so a row without metadata or without the key gives
 * false rather than NULL and `NOT` stays two-valued ($ne and $nin match a missing key, as in core).
 * Range operators look at the JSON type first (`CASE` evaluates in order), so a string or list under
 * a numeric comparison is "no match", never a cast error. jsonb containment compares types strictly
 * (`"5"` ≠ `5`, `true` ≠ `"true"`) and numbers by value (`1` = `1.0`), as JavaScript's `===` does.
 *
 * Keys and values never reach SQL text: both are placeholders. Keys are also checked against
 * `METADATA_KEY_PATTERN` here, so a hand-built AST cannot smuggle anything through.
 */
function compileNode(node: FilterNode, params: SqlParams, column: string, maxParams: number): string {
  switch (node.type) {
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.type === 'and' ? 'true' : 'false';
      const joiner = node.type === 'and' ? ' AND ' : ' OR ';
      const parts: string[] = [];
      for (const child of mergeSets(node.type, node.children)) {
        parts.push(compileNode(child, params, column, maxParams));
      }
      return `(${parts.join(joiner)})`;
    }
    case 'not':
      return `(NOT ${compileNode(node.child, params, column, maxParams)})`;
    case 'field': {
      const sql = compileField(node, params, column);
      if (params.values.length > maxParams) tooManyParameters();
      return sql;
    }
  }
}

function checkKey(field: string): string {
  if (typeof field !== 'string' || !METADATA_KEY_PATTERN.test(field)) {
    throw new FilterValidationError([
      { field: 'filter', message: `key ${JSON.stringify(field)} does not match ${METADATA_KEY_PATTERN}` },
    ]);
  }
  return field;
}

function equals(column: string, key: string, value: FilterScalar, params: SqlParams): string {
  const scalar = `${column} @> ${params.add(JSON.stringify({ [key]: value }))}::jsonb`;
  if (typeof value !== 'string') return `coalesce(${scalar}, false)`;
  const inList = `${column} @> ${params.add(JSON.stringify({ [key]: [value] }))}::jsonb`;
  return `coalesce(${scalar} OR ${inList}, false)`;
}

function isIn(column: string, key: string, values: readonly FilterScalar[], params: SqlParams): string {
  if (values.length === 0) return 'false';
  const field = `${column} -> ${params.add(key)}::text`;
  const parts = [`${params.add(JSON.stringify(values))}::jsonb @> jsonb_build_array(${field})`];
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (strings.length > 0) parts.push(`(${field}) ?| ${params.add(strings)}::text[]`);
  return `coalesce(${parts.join(' OR ')}, false)`;
}

const RANGE_SQL = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function compileField(node: FieldNode, params: SqlParams, column: string): string {
  const key = checkKey(node.field);
  switch (node.op) {
    case '$eq':
      return equals(column, key, node.value, params);
    case '$ne':
      return `(NOT ${equals(column, key, node.value, params)})`;
    case '$in':
      return isIn(column, key, node.value, params);
    case '$nin':
      return `(NOT ${isIn(column, key, node.value, params)})`;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof node.value !== 'number' || !Number.isFinite(node.value)) {
        throw new FilterValidationError([{ field: `filter.${key}.${node.op}`, message: 'needs a finite number' }]);
      }
      const k = params.add(key);
      const n = params.add(node.value);
      return `coalesce(CASE WHEN jsonb_typeof(${column} -> ${k}::text) = 'number' THEN (${column} -> ${k}::text)::float8 ${RANGE_SQL[node.op]} ${n}::float8 ELSE false END, false)`;
    }
    case '$exists': {
      const present = `coalesce(${column} ? ${params.add(key)}::text, false)`;
      return node.value ? present : `(NOT ${present})`;
    }
  }
}
