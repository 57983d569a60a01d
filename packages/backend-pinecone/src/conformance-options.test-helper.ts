import type { FilterNode } from '@q-store/core';

/** The kit's dataset: these fields hold a number wherever they are present (see makeFilterDataset). */
export const NUMERIC_FIELDS = ['price', 'year', 'rating'];

/**
 * Pinecone's documented limit, stated apart from the compiler: a range under an odd number of
 * `$not`s on a field that may hold strings (core's "not greater" matches the strings; no Pinecone
 * operator selects them). The kit then expects UnsupportedFilterError, never results.
 */
export function negatedRangeOnMixedField(node: FilterNode, negated = false): boolean {
  if (node.type === 'not') return negatedRangeOnMixedField(node.child, !negated);
  if (node.type === 'and' || node.type === 'or') return node.children.some((c) => negatedRangeOnMixedField(c, negated));
  const range = node.op === '$gt' || node.op === '$gte' || node.op === '$lt' || node.op === '$lte';
  return negated && range && !NUMERIC_FIELDS.includes(node.field);
}
