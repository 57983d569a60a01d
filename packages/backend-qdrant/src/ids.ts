import { createHash } from 'node:crypto';

/**
 * The published namespace UUID of q-store point ids on Qdrant. Never change it: every stored point
 * id is derived from it.
 */
export const QSTORE_QDRANT_ID_NAMESPACE = '4f1d7a52-8c1e-5b0f-9a3e-2d6c1b7e9f40';

const NAMESPACE_BYTES = Buffer.from(QSTORE_QDRANT_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * RFC 4122 §4.3 name-based UUID, version 5 (SHA-1): the first 16 bytes of
 * SHA-1(namespace bytes ‖ UTF-8 name), with the version nibble set to 5 and the variant bits to 10.
 * Computed with Node's native SHA-1 (the same ids as the `uuid` package's `v5`, several times faster).
 */
export function uuidV5(name: string, namespace: Buffer = NAMESPACE_BYTES): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Qdrant takes only unsigned integers and UUIDs as point ids; q-store ids are any string up to
 * 512 characters. Rule: `pointId = uuidv5(JSON.stringify([namespace, id]), QSTORE_QDRANT_ID_NAMESPACE)`
 * (RFC 4122 §4.3, SHA-1). Deterministic, so the same record always lands on the same point; the
 * namespace is part of the name, so one id in two namespaces is two points. Every id, including one
 * that already is a UUID, is mapped this way; the original string is kept in the payload
 * (`qstore_id`) and returned exactly as given.
 */
export function pointIdFor(namespace: string, id: string): string {
  return uuidV5(JSON.stringify([namespace, id]));
}
