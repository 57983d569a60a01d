import { DimensionMismatchError, IssueCollector, ValidationError } from '../shared/errors.js';
import type { Metadata, Metric, VectorRecord, VectorRecordInput } from './types.js';

/** Ids are non-empty strings of at most this many characters (Pinecone's limit). */
export const MAX_ID_LENGTH = 512;
/** Default limit on one record's metadata, as UTF-8 bytes of its JSON (Pinecone's 40 KB). */
export const DEFAULT_MAX_METADATA_BYTES = 40 * 1024;
/**
 * Metadata and filter keys: a letter or underscore, then letters, digits, `_` or `-`, at most 64
 * characters. Safe as a JSON key, a Qdrant payload key (no dots, which Qdrant reads as nesting) and
 * a SQL jsonb path element. `__proto__` is excluded: as a plain-object key it would be lost.
 */
export const MAX_METADATA_KEY_LENGTH = 64;
export const METADATA_KEY_PATTERN = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Namespaces: empty (the default namespace) or up to 64 of `A-Z a-z 0-9 _ - .`. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{0,64}$/;
/** Index names: lowercase letters, digits and `-`, starting with a letter, at most 45 (Pinecone's rule). */
export const INDEX_NAME_PATTERN = /^[a-z][a-z0-9-]{0,44}$/;

const utf8 = new TextEncoder();
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

/** A plain object (`{…}` or `Object.create(null)`), not an array, Map, Date or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Why a string cannot be stored everywhere, or undefined when it can: PostgreSQL text and jsonb
 * reject NUL, JSON services reject lone UTF-16 surrogates (and `pg` would silently replace them).
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'must not contain the NUL character (\\u0000)';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function checkId(id: unknown, field: string, issues: IssueCollector): id is string {
  if (typeof id !== 'string') {
    issues.add(field, `must be a string, got ${describe(id)}`);
    return false;
  }
  if (id.length === 0) {
    issues.add(field, 'must not be empty', 1);
    return false;
  }
  if (id.length > MAX_ID_LENGTH) {
    issues.add(field, `has ${id.length} characters, more than the limit of ${MAX_ID_LENGTH}`, MAX_ID_LENGTH);
    return false;
  }
  const problem = textProblem(id);
  if (problem) {
    issues.add(field, problem);
    return false;
  }
  return true;
}

/**
 * Converts to Float32Array and checks length and finiteness (a float64 that overflows float32
 * becomes Infinity and is rejected too). For `cosine`, an all-zero vector has no direction and is
 * rejected.
 */
function checkVector(
  vector: unknown,
  field: string,
  dimension: number,
  metric: Metric,
  issues: IssueCollector,
): Float32Array | undefined {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    issues.add(field, `must be a Float32Array or an array of numbers, got ${describe(vector)}`);
    return undefined;
  }
  if (vector.length !== dimension) {
    throw new DimensionMismatchError(field, dimension, vector.length);
  }
  const out = vector instanceof Float32Array ? vector.slice() : new Float32Array(vector.length);
  let nonZero = false;
  for (let i = 0; i < vector.length; i++) {
    const raw = vector[i] as unknown;
    if (typeof raw !== 'number') {
      issues.add(`${field}[${i}]`, `must be a number, got ${describe(raw)}`);
      return undefined;
    }
    const v = vector instanceof Float32Array ? raw : Math.fround(raw);
    if (!Number.isFinite(v)) {
      issues.add(
        `${field}[${i}]`,
        `must be finite, got ${raw}${Number.isFinite(raw) ? ' (outside float32 range)' : ''}`,
      );
      return undefined;
    }
    out[i] = v;
    if (v !== 0) nonZero = true;
  }
  if (metric === 'cosine' && !nonZero) {
    issues.add(field, 'is all zeros, which has no direction under the cosine metric');
    return undefined;
  }
  return out;
}

/** Checks metadata shape, key names, value types and size. Returns its byte size or -1. */
function checkMetadata(metadata: unknown, field: string, maxBytes: number, issues: IssueCollector): number {
  if (!isPlainObject(metadata)) {
    issues.add(field, `must be an object of string, number, boolean or string-list values, got ${describe(metadata)}`);
    return -1;
  }
  let ok = true;
  for (const [key, value] of Object.entries(metadata)) {
    const keyField = `${field}.${key}`;
    if (!METADATA_KEY_PATTERN.test(key)) {
      issues.add(
        keyField,
        `key must match ${METADATA_KEY_PATTERN} (a letter or _, then letters, digits, _ or -, at most ${MAX_METADATA_KEY_LENGTH} characters)`,
        MAX_METADATA_KEY_LENGTH,
      );
      ok = false;
      continue;
    }
    if (typeof value === 'boolean') continue;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) {
        issues.add(keyField, problem);
        ok = false;
      }
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        issues.add(keyField, `must be a finite number, got ${value}`);
        ok = false;
      }
      continue;
    }
    if (Array.isArray(value)) {
      const bad = value.findIndex((e) => typeof e !== 'string' || textProblem(e) !== undefined);
      if (bad >= 0) {
        const element: unknown = value[bad];
        const problem = typeof element === 'string' ? textProblem(element) : undefined;
        issues.add(`${keyField}[${bad}]`, problem ?? `lists may hold only strings, got ${describe(element)}`);
        ok = false;
      }
      continue;
    }
    issues.add(keyField, `unsupported type ${describe(value)}; allowed: string, number, boolean, string[]`);
    ok = false;
  }
  if (!ok) return -1;
  const bytes = utf8Length(JSON.stringify(metadata));
  if (bytes > maxBytes) {
    issues.add(field, `is ${bytes} bytes of JSON, more than the limit of ${maxBytes}`, maxBytes);
    return -1;
  }
  return bytes;
}

export interface RecordRules {
  dimension: number;
  metric: Metric;
  maxMetadataBytes: number;
}

/**
 * Validates a whole batch before anything is written, collecting every problem (up to 100), and
 * returns normalised records: Float32Array copies, duplicate ids collapsed (the last one wins, as
 * a sequence of upserts would leave it). Throws ValidationError (or DimensionMismatchError on the
 * first vector of the wrong length).
 */
export function validateRecords<M extends Metadata>(
  records: readonly VectorRecordInput<M>[],
  rules: RecordRules,
): VectorRecord<M>[] {
  const issues = new IssueCollector();
  if (!Array.isArray(records)) {
    issues.add('records', `must be an array, got ${describe(records)}`);
    issues.throwIfAny('Invalid records');
  }
  const byId = new Map<string, VectorRecord<M>>();
  for (let i = 0; i < records.length && !issues.full; i++) {
    const input = records[i] as VectorRecordInput<M> | undefined;
    const field = `records[${i}]`;
    if (typeof input !== 'object' || input === null) {
      issues.add(field, `must be an object, got ${describe(input)}`);
      continue;
    }
    const idOk = checkId(input.id, `${field}.id`, issues);
    const vector = checkVector(input.vector, `${field}.vector`, rules.dimension, rules.metric, issues);
    const metaOk =
      input.metadata === undefined ||
      checkMetadata(input.metadata, `${field}.metadata`, rules.maxMetadataBytes, issues) >= 0;
    if (idOk && vector && metaOk) {
      const record: VectorRecord<M> = { id: input.id, vector };
      if (input.metadata !== undefined) record.metadata = { ...input.metadata };
      byId.delete(input.id);
      byId.set(input.id, record);
    }
  }
  issues.throwIfAny('Invalid records');
  return [...byId.values()];
}

export function validateVector(vector: unknown, field: string, dimension: number, metric: Metric): Float32Array {
  const issues = new IssueCollector();
  const out = checkVector(vector, field, dimension, metric, issues);
  issues.throwIfAny('Invalid vector');
  return out as Float32Array;
}

/** Validates a metadata patch (for `update`): types, keys and size. */
export function validateMetadata(metadata: unknown, field: string, maxBytes: number): void {
  const issues = new IssueCollector();
  checkMetadata(metadata, field, maxBytes, issues);
  issues.throwIfAny('Invalid metadata');
}

/**
 * Checks the metadata an update leaves behind (the merge of old and new keys) against the size
 * limit. Storage hooks call it; a too-large result is a ValidationError and nothing changes.
 */
export function checkMergedMetadata(merged: Metadata, maxBytes: number): void {
  const bytes = utf8Length(JSON.stringify(merged));
  if (bytes > maxBytes) {
    throw new ValidationError(
      [
        {
          field: 'metadata',
          message: `the merged metadata would be ${bytes} bytes, more than the limit of ${maxBytes}`,
          limit: maxBytes,
        },
      ],
      'Invalid update',
    );
  }
}

/** Checks a list of ids and returns it without duplicates (first occurrence kept). */
export function validateIds(ids: unknown, field = 'ids'): string[] {
  const issues = new IssueCollector();
  if (!Array.isArray(ids)) {
    issues.add(field, `must be an array of ids, got ${describe(ids)}`);
  } else {
    for (const [i, id] of ids.entries()) checkId(id, `${field}[${i}]`, issues);
  }
  issues.throwIfAny('Invalid ids');
  return [...new Set(ids as string[])];
}

export function validateId(id: unknown, field = 'id'): string {
  const issues = new IssueCollector();
  checkId(id, field, issues);
  issues.throwIfAny('Invalid id');
  return id as string;
}

/** Checks a `list` id prefix; an empty prefix means none. */
export function validateListPrefix(prefix: unknown): string | undefined {
  if (prefix === undefined || prefix === '') return undefined;
  const issues = new IssueCollector();
  if (typeof prefix !== 'string') issues.add('prefix', `must be a string, got ${describe(prefix)}`);
  else if (prefix.length > MAX_ID_LENGTH)
    issues.add('prefix', `is longer than an id may be (${MAX_ID_LENGTH})`, MAX_ID_LENGTH);
  else {
    const problem = textProblem(prefix);
    if (problem) issues.add('prefix', problem);
  }
  issues.throwIfAny('Invalid list');
  return prefix as string;
}

/** Checks that optional flags are booleans when given (`'false'` is not false). */
export function validateFlags(flags: Record<string, unknown>): void {
  const issues = new IssueCollector();
  for (const [field, value] of Object.entries(flags)) {
    if (value !== undefined && typeof value !== 'boolean')
      issues.add(field, `must be true or false, got ${describe(value)}`);
  }
  issues.throwIfAny('Invalid options');
}

export function validateTopK(topK: unknown, maxTopK: number): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > maxTopK) {
    throw new ValidationError(
      [{ field: 'topK', message: `must be an integer from 1 to ${maxTopK}, got ${String(topK)}`, limit: maxTopK }],
      'Invalid query',
    );
  }
  return topK;
}

export function validateNamespace(namespace: unknown, supportsNamespaces: boolean): string {
  if (namespace === undefined) return '';
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw new ValidationError(
      [{ field: 'namespace', message: `must match ${NAMESPACE_PATTERN} (at most 64 characters)`, limit: 64 }],
      'Invalid namespace',
    );
  }
  if (namespace !== '' && !supportsNamespaces) {
    throw new ValidationError(
      [{ field: 'namespace', message: 'this backend has only the default namespace ""' }],
      'Invalid namespace',
    );
  }
  return namespace;
}

export function validateIndexName(name: unknown, field = 'indexName'): string {
  if (typeof name !== 'string' || !INDEX_NAME_PATTERN.test(name)) {
    throw new ValidationError(
      [
        {
          field,
          message: `must be 1 to 45 lowercase letters, digits or '-', starting with a letter; got ${JSON.stringify(name)}`,
          limit: 45,
        },
      ],
      'Invalid index name',
    );
  }
  return name;
}

export function validateIndexParams(
  dimension: unknown,
  metric: unknown,
  limits: { maxDimension: number; metrics: readonly Metric[] },
): { dimension: number; metric: Metric } {
  const issues = new IssueCollector();
  if (
    typeof dimension !== 'number' ||
    !Number.isInteger(dimension) ||
    dimension < 1 ||
    dimension > limits.maxDimension
  ) {
    issues.add(
      'dimension',
      `must be an integer from 1 to ${limits.maxDimension}, got ${String(dimension)}`,
      limits.maxDimension,
    );
  }
  if (!limits.metrics.includes(metric as Metric)) {
    issues.add('metric', `must be one of ${limits.metrics.join(', ')}; got ${JSON.stringify(metric)}`);
  }
  issues.throwIfAny('Invalid index parameters');
  return { dimension: dimension as number, metric: metric as Metric };
}

/**
 * Most characters one float32 value takes in a JSON request: clients send it as a float64, whose
 * shortest text is up to 24 characters (`-1.1754943508222875e-38`), plus a comma.
 */
const MAX_JSON_FLOAT_CHARS = 25;

/**
 * Upper bound of one record's bytes in a JSON write request: the escaped id, every float at its
 * widest, the metadata JSON and field names. A chunk under this bound fits a JSON body under the
 * same limit (Pinecone's 2 MB).
 */
export function estimateRecordBytes(record: VectorRecord): number {
  const metadataBytes = record.metadata === undefined ? 0 : utf8Length(JSON.stringify(record.metadata));
  return utf8Length(JSON.stringify(record.id)) + record.vector.length * MAX_JSON_FLOAT_CHARS + metadataBytes + 64;
}

/**
 * Splits records into chunks of at most `maxBatchRecords` records and at most `maxBatchBytes` bytes,
 * each record sized by `recordBytes` (default {@link estimateRecordBytes}, an upper bound: 25 bytes
 * per float, the widest JSON double). A single record larger than `maxBatchBytes` is a
 * ValidationError naming it.
 */
export function chunkRecords<R extends VectorRecord>(
  records: readonly R[],
  limits: { maxBatchRecords: number; maxBatchBytes: number },
  recordBytes: (record: R) => number = estimateRecordBytes,
): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as R;
    const size = recordBytes(record);
    if (size > limits.maxBatchBytes) {
      throw new ValidationError(
        [
          {
            field: `records[id=${JSON.stringify(record.id)}]`,
            message: `is about ${size} bytes, more than one request may carry (${limits.maxBatchBytes})`,
            limit: limits.maxBatchBytes,
          },
        ],
        'Record too large',
      );
    }
    if (current.length >= limits.maxBatchRecords || bytes + size > limits.maxBatchBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
