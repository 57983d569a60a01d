/**
 * The reference filter evaluator: the oracle every backend's filtering is compared against.
 */

import type { FieldNode, FilterNode, FilterScalar } from './filter-types.js';
import type { Metadata, MetadataValue } from './types.js';

/** The value stored under `field`, or undefined when the key is absent (own keys only: `toString` is not a key). */
function lookup(metadata: Metadata, field: string): MetadataValue | undefined {
  return Object.hasOwn(metadata, field) ? metadata[field] : undefined;
}

/** Strict JSON-type equality; a list field matches when any element equals `expected`. */
function equals(value: MetadataValue | undefined, expected: FilterScalar): boolean {
  if (value === undefined) return false;
  if (Array.isArray(value)) return value.some((element) => element === expected);
  return value === expected;
}

function isIn(value: MetadataValue | undefined, expected: readonly FilterScalar[]): boolean {
  if (value === undefined) return false;
  if (Array.isArray(value)) return value.some((element) => expected.includes(element));
  return expected.includes(value);
}

function evaluateField(node: FieldNode, metadata: Metadata): boolean {
  const value = lookup(metadata, node.field);
  switch (node.op) {
    case '$eq':
      return equals(value, node.value);
    case '$ne':
      return !equals(value, node.value);
    case '$in':
      return isIn(value, node.value);
    case '$nin':
      return !isIn(value, node.value);
    case '$gt':
      return typeof value === 'number' && value > node.value;
    case '$gte':
      return typeof value === 'number' && value >= node.value;
    case '$lt':
      return typeof value === 'number' && value < node.value;
    case '$lte':
      return typeof value === 'number' && value <= node.value;
    case '$exists':
      return (value !== undefined) === node.value;
  }
}

function evaluateNode(node: FilterNode, metadata: Metadata): boolean {
  switch (node.type) {
    case 'and':
      return node.children.every((child) => evaluateNode(child, metadata));
    case 'or':
      return node.children.some((child) => evaluateNode(child, metadata));
    case 'not':
      return !evaluateNode(node.child, metadata);
    case 'field':
      return evaluateField(node, metadata);
  }
}

/**
 * Whether `metadata` matches the filter `node` (from `parseFilter`). The reference semantics:
 *
 * - No filter (`undefined`) matches everything; missing metadata means every key is absent. A key
 *   is present when it is an own property whose value is not `undefined`.
 * - `$eq v`: the value is `v` with the same JSON type (`'1'` ≠ `1`, `true` ≠ `'true'`); on a list
 *   field, any element equals `v`. `$in [v…]`: `$eq` for one of the values; `$in []` matches nothing.
 * - `$ne` is exactly not-`$eq` and `$nin` exactly not-`$in`: both match an absent key, a value of
 *   another type and a list without the value; `$nin []` matches everything.
 * - `$gt $gte $lt $lte` match numeric values only; absent keys and other types never match.
 * - `$exists true` matches a present key, `$exists false` an absent one.
 * - `and`: every child matches; `or`: some child matches; `not`: the child does not match.
 */
export function evaluateFilter(node: FilterNode | undefined, metadata: Metadata | undefined): boolean {
  if (node === undefined) return true;
  return evaluateNode(node, metadata ?? {});
}
