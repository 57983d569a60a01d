import { type FieldNode, type FilterNode, type FilterScalar, UnsupportedFilterError } from '@q-store/core';
import type { PineconeFilter } from './pinecone-filter-semantics.js';

export interface CompileFilterOptions {
  /**
   * Fields that hold a number whenever they are present. Only on these can a negated range
   * (`{year: {$not: {$gt: 2000}}}`) compile: core's "not greater" also matches strings, booleans
   * and lists, which no Pinecone operator selects, so on other fields it is an UnsupportedFilterError.
   */
  numericFields?: readonly string[];
}

const BACKEND = 'pinecone';

/** Always true for any record: the field is present or absent. */
function always(field: string): PineconeFilter {
  return { $or: [{ [field]: { $exists: true } }, { [field]: { $exists: false } }] };
}

/** Never true for any record. */
function never(field: string): PineconeFilter {
  return { $and: [{ [field]: { $exists: true } }, { [field]: { $exists: false } }] };
}

function join(op: '$and' | '$or', parts: PineconeFilter[]): PineconeFilter {
  if (parts.length === 1) return parts[0] as PineconeFilter;
  // Flatten nested clauses of the same operator: {$and: [{$and: [a, b]}, c]} is {$and: [a, b, c]}.
  const flat = parts.flatMap((p) => {
    const keys = Object.keys(p);
    return keys.length === 1 && keys[0] === op ? (p[op] as PineconeFilter[]) : [p];
  });
  return { [op]: flat };
}

function missing(field: string): PineconeFilter {
  return { [field]: { $exists: false } };
}

/**
 * One Pinecone clause per part of a core `$in`/`$nin` list: strings and numbers in one list operator
 * (`listOp`), each boolean (which Pinecone lists do not take) in its own `boolOp` clause.
 */
function setClauses(field: string, values: readonly FilterScalar[], listOp: string, boolOp: string): PineconeFilter[] {
  const listable = values.filter((v) => typeof v !== 'boolean');
  const clauses: PineconeFilter[] = listable.length > 0 ? [{ [field]: { [listOp]: listable } }] : [];
  for (const b of new Set(values.filter((v) => typeof v === 'boolean'))) clauses.push({ [field]: { [boolOp]: b } });
  return clauses;
}

/** Core's `$in` (booleans allowed, `[]` matches nothing) in Pinecone's terms. */
function compileIn(field: string, values: readonly FilterScalar[]): PineconeFilter {
  return values.length === 0 ? never(field) : join('$or', setClauses(field, values, '$in', '$eq'));
}

/** Core's `$nin` (matches a missing field, `[]` matches everything) in Pinecone's terms. */
function compileNin(field: string, values: readonly FilterScalar[]): PineconeFilter {
  if (values.length === 0) return always(field);
  return join('$or', [join('$and', setClauses(field, values, '$nin', '$ne')), missing(field)]);
}

const RANGE_COMPLEMENT = { $gt: '$lte', $gte: '$lt', $lt: '$gte', $lte: '$gt' } as const;

function compileField(node: FieldNode, negated: boolean, options: CompileFilterOptions): PineconeFilter {
  const { field } = node;
  switch (node.op) {
    case '$eq':
      return negated
        ? join('$or', [{ [field]: { $ne: node.value } }, missing(field)])
        : { [field]: { $eq: node.value } };
    case '$ne':
      return negated
        ? { [field]: { $eq: node.value } }
        : join('$or', [{ [field]: { $ne: node.value } }, missing(field)]);
    case '$in':
      return negated ? compileNin(field, node.value) : compileIn(field, node.value);
    case '$nin':
      return negated ? compileIn(field, node.value) : compileNin(field, node.value);
    case '$exists':
      return { [field]: { $exists: negated ? !node.value : node.value } };
    default: {
      if (!negated) return { [field]: { [node.op]: node.value } };
      if (!options.numericFields?.includes(field)) throw new UnsupportedFilterError(BACKEND, [`$not of ${node.op}`]);
      return join('$or', [{ [field]: { [RANGE_COMPLEMENT[node.op]]: node.value } }, missing(field)]);
    }
  }
}

function compileNode(node: FilterNode, negated: boolean, options: CompileFilterOptions): PineconeFilter {
  switch (node.type) {
    case 'and':
    case 'or': {
      // De Morgan: not(a and b) = not a or not b, and the other way round.
      const op = (node.type === 'and') !== negated ? '$and' : '$or';
      return join(
        op,
        node.children.map((child) => compileNode(child, negated, options)),
      );
    }
    case 'not':
      return compileNode(node.child, !negated, options);
    case 'field':
      return compileField(node, negated, options);
  }
}

/**
 * Compiles core's filter AST to Pinecone filter JSON with the same meaning under Pinecone's
 * documented semantics (see `pinecone-filter-semantics.ts`); never drops a clause.
 *
 * Rules (the README has the full table):
 * - `$eq`, `$gt $gte $lt $lte`, `$exists`, `$and`, `$or` map one to one.
 * - `$ne v` → `{$or: [{f: {$ne: v}}, {f: {$exists: false}}]}` (core's `$ne` matches a missing field,
 *   Pinecone's does not); `$nin` likewise.
 * - `$in`/`$nin` with booleans: Pinecone's lists take strings and numbers, so each boolean becomes
 *   an `$eq`/`$ne` beside them. `$in []` → a clause no record matches; `$nin []` → one every record matches.
 * - `$not` is pushed down to the leaves (De Morgan; `$eq`↔`$ne`, `$in`↔`$nin`, `$exists b`↔`$exists !b`).
 *   A negated range is exact only on a field declared numeric (`options.numericFields`);
 *   elsewhere it throws UnsupportedFilterError.
 */
export function compileFilter(node: FilterNode, options: CompileFilterOptions = {}): PineconeFilter {
  return compileNode(node, false, options);
}
