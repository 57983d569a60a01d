/**
 * Pinecone's filter semantics, as its documentation states them, in executable form. The emulator
 * filters with it, and the filter compiler is tested against it: a compiled filter evaluated here
 * must give what core's reference evaluator gives for the original filter.
 *
 * - A missing field matches no operator except `$exists: false` (so `$ne` and `$nin` do not match
 *   a record without the field, unlike core's `$ne`/`$nin`).
 * - `$eq`/`$ne` take a string, number or boolean; values compare with their JSON type.
 * - `$in`/`$nin` take a list of strings or numbers (not booleans).
 * - On a list field, `$eq`/`$in` match when any element matches; `$ne`/`$nin` when none does.
 * - `$gt $gte $lt $lte` take a number and match only numeric fields.
 * - `$and`/`$or` take a list of filters; several keys in one object are an implicit `$and`.
 * - There is no `$not`.
 */

import type { Metadata, MetadataValue } from '@q-store/core';

/** Pinecone filter JSON. */
export type PineconeFilter = Record<string, unknown>;

/** A filter Pinecone would refuse with 400; the message is the one the emulator sends. */
export class PineconeFilterError extends Error {
  override name = 'PineconeFilterError';
}

const FIELD_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

function anyElement(value: MetadataValue, test: (element: string | number | boolean) => boolean): boolean {
  return Array.isArray(value) ? value.some(test) : test(value);
}

function matchOperator(op: string, operand: unknown, value: MetadataValue | undefined, field: string): boolean {
  if (!FIELD_OPERATORS.has(op)) throw new PineconeFilterError(`unknown operator ${op} on field ${field}`);
  switch (op) {
    case '$exists':
      if (typeof operand !== 'boolean') throw new PineconeFilterError(`$exists on ${field} takes a boolean`);
      return (value !== undefined) === operand;
    case '$eq':
    case '$ne': {
      if (!isScalar(operand)) throw new PineconeFilterError(`${op} on ${field} takes a string, number or boolean`);
      if (value === undefined) return false;
      const equal = anyElement(value, (e) => e === operand);
      return op === '$eq' ? equal : !equal;
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand) || operand.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
        throw new PineconeFilterError(`${op} on ${field} takes a list of strings or numbers`);
      }
      if (value === undefined) return false;
      const found = anyElement(value, (e) => (operand as unknown[]).includes(e));
      return op === '$in' ? found : !found;
    }
    default: {
      if (typeof operand !== 'number' || !Number.isFinite(operand)) {
        throw new PineconeFilterError(`${op} on ${field} takes a number`);
      }
      if (typeof value !== 'number') return false;
      if (op === '$gt') return value > operand;
      if (op === '$gte') return value >= operand;
      if (op === '$lt') return value < operand;
      return value <= operand;
    }
  }
}

/** Whether `metadata` matches a Pinecone filter; throws PineconeFilterError for what Pinecone refuses. */
export function matchesPineconeFilter(filter: PineconeFilter, metadata: Metadata | undefined): boolean {
  if (!isObject(filter)) throw new PineconeFilterError('a filter must be an object');
  const meta = metadata ?? {};
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0) {
        throw new PineconeFilterError(`${key} takes a non-empty list of filters`);
      }
      const results = condition.map((child) => matchesPineconeFilter(child as PineconeFilter, meta));
      if (key === '$and' ? !results.every(Boolean) : !results.some(Boolean)) return false;
      continue;
    }
    if (key.startsWith('$')) throw new PineconeFilterError(`unknown operator ${key}`);
    const value = Object.hasOwn(meta, key) ? meta[key] : undefined;
    if (isObject(condition)) {
      for (const [op, operand] of Object.entries(condition)) {
        if (!matchOperator(op, operand, value, key)) return false;
      }
    } else if (!matchOperator('$eq', condition, value, key)) {
      return false;
    }
  }
  return true;
}
