import { INDEX_NAME_PATTERN, ValidationError } from '@q-store/core';

/**
 * SQL text helpers. Every value reaches PostgreSQL as a placeholder (`$1`, `$2`, …); only
 * identifiers are written into SQL text, and each one is checked against a strict pattern first and
 * then double-quoted.
 */

/** Schema names: a lowercase letter or `_`, then lowercase letters, digits or `_`, at most 63 bytes. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Prefix of the table that holds one vector index: `qstore_v_<index name with '-' as '_'>`. */
export const VECTOR_TABLE_PREFIX = 'qstore_v_';

/**
 * A double-quoted identifier. Only names that match a strict pattern get here, so the quoting is a
 * second guard, not the only one: it still escapes `"` in case a caller passes something else.
 */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new ValidationError([{ field: 'identifier', message: `unsafe SQL identifier ${JSON.stringify(name)}` }]);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new ValidationError(
      [
        {
          field: 'schema',
          message: `must be 1 to 63 lowercase letters, digits or '_', starting with a letter or '_'; got ${JSON.stringify(schema)}`,
          limit: 63,
        },
      ],
      'Invalid schema name',
    );
  }
  return schema;
}

/**
 * The table name of an index. Index names (`[a-z][a-z0-9-]{0,44}`) hold no `_`, so mapping `-` to `_`
 * is one-to-one, and the result (at most 54 characters) stays under PostgreSQL's 63-byte limit.
 */
export function vectorTableName(indexName: string): string {
  if (!INDEX_NAME_PATTERN.test(indexName)) {
    throw new ValidationError([{ field: 'indexName', message: `invalid index name ${JSON.stringify(indexName)}` }]);
  }
  return `${VECTOR_TABLE_PREFIX}${indexName.replaceAll('-', '_')}`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Collects placeholder values; `add` returns the placeholder text for the value. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Text of one float32 that `strtof` reads back exactly: the shortest double form when short, else 9 digits. */
function floatText(x: number): string {
  if (Object.is(x, -0)) return '-0';
  const shortest = String(x);
  // 9 significant digits always identify a float32; they are shorter than a long double form.
  return shortest.length <= 12 ? shortest : x.toPrecision(9);
}

/**
 * pgvector's text form of a vector: `[x1,x2,…]`, each float32 written so that pgvector's `strtof`
 * gives back exactly the same float32 (−0 included).
 */
export function vectorText(vector: Float32Array): string {
  let out = '[';
  for (let i = 0; i < vector.length; i++) out += (i === 0 ? '' : ',') + floatText(vector[i] as number);
  return `${out}]`;
}

/**
 * Decodes `vector_send(embedding)`: int16 dimension, int16 unused, then big-endian float32 values.
 * Exact, and far cheaper than parsing the text form.
 */
export function decodeVectorSend(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dimension = view.getInt16(0);
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = view.getFloat32(4 + 4 * i);
  return out;
}

/** Little-endian bytes of a float array (the on-disk form of training features and checkpoint parameters). */
export function floatsToBytes(values: Float32Array | Float64Array): Uint8Array {
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  const size = values.BYTES_PER_ELEMENT;
  if (size === 4) for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i] as number, true);
  else for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i] as number, true);
  return out;
}

export function bytesToFloat32(bytes: Uint8Array, offset = 0, count = (bytes.byteLength - offset) / 4): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

export function bytesToFloat64(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}
