import { type FieldNode, type FilterNode, type FilterScalar, UnsupportedFilterError } from '@q-store/core';

/** Qdrant's filter grammar (the part q-store emits). */
export type QdrantCondition =
  | { key: string; match: { value: string | number | boolean } | { any: string[] } }
  | { key: string; range: { gt?: number; gte?: number; lt?: number; lte?: number } }
  | { has_id: string[] }
  | QdrantFilter;

export interface QdrantFilter {
  must?: QdrantCondition[];
  should?: QdrantCondition[];
  must_not?: QdrantCondition[];
  min_should?: { conditions: QdrantCondition[]; min_count: number };
}

/** Payload layout of a q-store point. */
export const PAYLOAD_ID = 'qstore_id';
export const PAYLOAD_NAMESPACE = 'qstore_ns';
/** The list of metadata keys present on the record: the exact answer to `$exists` (see below). */
export const PAYLOAD_KEYS = 'qstore_keys';
export const PAYLOAD_METADATA = 'metadata';
/** Base64 of the float32 vector as written (Cosine collections only; Qdrant normalises the vector). */
export const PAYLOAD_VECTOR = 'qstore_vector';

const metadataKey = (field: string) => `${PAYLOAD_METADATA}.${field}`;
/** A condition that matches no point (`has_id` of the empty set). */
const NOTHING: QdrantCondition = { has_id: [] };

function scalarCondition(field: string, value: FilterScalar): QdrantCondition {
  // Numbers: a closed range [v, v] matches integer and float payloads alike and never a string,
  // a bool or a list of strings (Qdrant's range is numeric only). Strings and bools: `match`, which
  // is type-strict in Qdrant and matches a list field when any element is equal.
  if (typeof value === 'number') return { key: metadataKey(field), range: { gte: value, lte: value } };
  return { key: metadataKey(field), match: { value } };
}

function inCondition(field: string, values: readonly FilterScalar[]): QdrantCondition {
  if (values.length === 0) return NOTHING;
  const strings = values.filter((v): v is string => typeof v === 'string');
  const others = values.filter((v) => typeof v !== 'string');
  const parts: QdrantCondition[] = [];
  if (strings.length > 0) parts.push({ key: metadataKey(field), match: { any: strings } });
  for (const v of others) parts.push(scalarCondition(field, v));
  return parts.length === 1 ? (parts[0] as QdrantCondition) : { should: parts };
}

function compileField(node: FieldNode, backend: string): QdrantCondition {
  const { field } = node;
  switch (node.op) {
    case '$eq':
      return scalarCondition(field, node.value);
    case '$ne':
      // Qdrant's must_not holds for a point without the key, like core's $ne (not-$eq).
      return { must_not: [scalarCondition(field, node.value)] };
    case '$in':
      return inCondition(field, node.value);
    case '$nin':
      return { must_not: [inCondition(field, node.value)] };
    case '$gt':
      return { key: metadataKey(field), range: { gt: node.value } };
    case '$gte':
      return { key: metadataKey(field), range: { gte: node.value } };
    case '$lt':
      return { key: metadataKey(field), range: { lt: node.value } };
    case '$lte':
      return { key: metadataKey(field), range: { lte: node.value } };
    case '$exists': {
      // Qdrant's is_empty treats [] like a missing key, but core's $exists counts [] as present, so
      // the compiler matches the record's own key list instead.
      const present: QdrantCondition = { key: PAYLOAD_KEYS, match: { value: field } };
      return node.value ? present : { must_not: [present] };
    }
    default:
      throw new UnsupportedFilterError(backend, [(node as { op: string }).op]);
  }
}

/**
 * Compiles core's filter AST to Qdrant's filter, clause for clause (see the README's table):
 * `and` → `must`, `or` → `should` (at least one), `not` → `must_not`, fields as above. Nothing is
 * dropped; an unknown node is an UnsupportedFilterError.
 */
export function compileFilter(node: FilterNode, backend = 'qdrant'): QdrantCondition {
  switch (node.type) {
    case 'and':
      return { must: node.children.map((c) => compileFilter(c, backend)) };
    case 'or':
      return { should: node.children.map((c) => compileFilter(c, backend)) };
    case 'not':
      return { must_not: [compileFilter(node.child, backend)] };
    case 'field':
      return compileField(node, backend);
    default:
      throw new UnsupportedFilterError(backend, [String((node as { type: unknown }).type)]);
  }
}

/** The filter of one namespace, with the compiled user filter when there is one. */
export function namespaceFilter(
  namespace: string,
  node: FilterNode | undefined,
  compile: (node: FilterNode) => QdrantCondition = compileFilter,
): QdrantFilter {
  const must: QdrantCondition[] = [{ key: PAYLOAD_NAMESPACE, match: { value: namespace } }];
  if (node !== undefined) must.push(compile(node));
  return { must };
}
