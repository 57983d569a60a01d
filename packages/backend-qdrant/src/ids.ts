import { v5 as uuidv5 } from 'uuid';

/**
 * The published namespace UUID of q-store point ids on Qdrant. Never change it: every stored point
 * id is derived from it.
 */
export const QSTORE_QDRANT_ID_NAMESPACE = '4f1d7a52-8c1e-5b0f-9a3e-2d6c1b7e9f40';

/**
 * Qdrant takes only unsigned integers and UUIDs as point ids; q-store ids are any string up to
 * 512 characters. Rule: `pointId = uuidv5(JSON.stringify([namespace, id]), QSTORE_QDRANT_ID_NAMESPACE)`
 * (RFC 4122 §4.3, SHA-1). Deterministic, so the same record always lands on the same point; the
 * namespace is part of the name, so one id in two namespaces is two points. Every id, including one
 * that already is a UUID, is mapped this way; the original string is kept in the payload
 * (`qstore_id`) and returned exactly as given.
 */
export function pointIdFor(namespace: string, id: string): string {
  return uuidv5(JSON.stringify([namespace, id]), QSTORE_QDRANT_ID_NAMESPACE);
}
