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
export function compileFilter(node: FilterNode, params: SqlParams, column: string): string {
  switch (node.type) {
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.type === 'and' ? 'true' : 'false';
      const joiner = node.type === 'and' ? ' AND ' : ' OR ';
      return `(${node.children.map((child) => compileFilter(child, params, column)).join(joiner)})`;
    }
    case 'not':
      return `(NOT ${compileFilter(node.child, params, column)})`;
    case 'field':
      return compileField(node, params, column);
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
