import { IssueCollector, ValidationError } from '../shared/errors.js';
import type { Metadata, Metric, VectorRecord } from '../vector/types.js';
import { isPlainObject, utf8Length, validateId, validateMetadata, validateVector } from '../vector/validation.js';
import { contextAmplitudes } from './features.js';
import { collectIssues } from './params.js';
import { assertNoReservedKeys, encodeState, NEVER_EXPIRES, type RecordQuantumState } from './reserved.js';

/**
 * A record as QuantumDatabase writes it: user metadata read once, id, vector and quantum state
 * validated, the reserved `__qs_` keys merged in, and the user-metadata limit that leaves.
 */

/** What a record is checked against. */
export interface RecordRules {
  dimension: number;
  metric: Metric;
  /** The backend's limit on the stored metadata (user keys and reserved keys together). */
  maxMetadataBytes: number;
  defaultCoherenceTimeMs?: number | undefined;
  lifetimeFactor: number;
}

/** One record of `insert` / `batchInsert`, as given (every field still unchecked). */
export interface RecordInput {
  id?: unknown;
  vector?: unknown;
  metadata?: unknown;
  contexts?: unknown;
  coherenceTimeMs?: number | null | undefined;
  lifetimeMs?: number | null | undefined;
}

/**
 * One input record, validated, as the backend stores it: user metadata snapshotted once (a getter
 * is read once; the snapshot is what is checked and stored), then merged with the quantum state.
 */
export function toStoredRecord(
  input: unknown,
  now: number,
  field: string,
  rules: RecordRules,
): { record: VectorRecord; decays: boolean } {
  if (!isPlainObject(input)) {
    throw new ValidationError([{ field, message: `must be an object, got ${input === null ? 'null' : typeof input}` }]);
  }
  const raw = input as RecordInput;
  const issues = new IssueCollector();
  const attempt = <T>(check: () => T) => collectIssues(issues, check);
  const id = attempt(() => validateId(raw.id, `${field}.id`));
  const state = attempt(() => recordState(raw, now, field, rules));
  const user = attempt(() => snapshotMetadata(raw.metadata, `${field}.metadata`));
  const vector = attempt(() => validateVector(raw.vector, `${field}.vector`, rules.dimension, rules.metric));
  issues.throwIfAny('invalid record');
  const reserved = encodeState(state as RecordQuantumState);
  const maxBytes = rules.maxMetadataBytes;
  if (user && Object.keys(user).length > 0) {
    // The stored metadata is {...user, ...reserved}: its JSON is user + reserved − 1 bytes.
    const allowance = maxBytes - utf8Length(JSON.stringify(reserved)) + 1;
    const bytes = utf8Length(JSON.stringify(user));
    if (bytes > allowance) {
      throw new ValidationError(
        [
          {
            field: `${field}.metadata`,
            message:
              `is ${bytes} bytes of JSON, more than the ${allowance} this record allows: the backend ` +
              `stores at most ${maxBytes} bytes, and the record's quantum state (reserved ` +
              `'__qs_' keys) takes the rest`,
            limit: allowance,
          },
        ],
        'invalid record',
      );
    }
  }
  const metadata = { ...(user ?? {}), ...reserved };
  validateMetadata(metadata, `${field}.metadata`, maxBytes);
  const decays =
    (state as RecordQuantumState).coherenceTimeMs !== undefined ||
    (state as RecordQuantumState).expiresAtMs !== NEVER_EXPIRES;
  return { record: { id: id as string, vector: vector as Float32Array, metadata }, decays };
}

/**
 * The quantum state of a new record: t0 = now, τ (the record's, else the default; `null` for none),
 * expiry now + lifetime (the record's, else lifetimeFactor·τ, else never), α_c = sqrt(w_c/Σw).
 */
export function recordState(input: RecordInput, now: number, field: string, rules: RecordRules): RecordQuantumState {
  const issues = new IssueCollector();
  const tau = input.coherenceTimeMs === null ? undefined : (input.coherenceTimeMs ?? rules.defaultCoherenceTimeMs);
  if (tau !== undefined && !(typeof tau === 'number' && tau > 0 && Number.isFinite(tau))) {
    issues.add(`${field}.coherenceTimeMs`, `must be a positive number of ms, got ${String(tau)}`);
  }
  const lifetime =
    input.lifetimeMs === null
      ? undefined
      : (input.lifetimeMs ?? (tau === undefined ? undefined : tau * rules.lifetimeFactor));
  if (lifetime !== undefined && !(typeof lifetime === 'number' && lifetime > 0 && Number.isFinite(lifetime))) {
    issues.add(`${field}.lifetimeMs`, `must be a positive number of ms, got ${String(lifetime)}`);
  }
  issues.throwIfAny('invalid record');
  const state: RecordQuantumState = {
    insertedAtMs: now,
    expiresAtMs: lifetime === undefined ? NEVER_EXPIRES : Math.min(NEVER_EXPIRES, now + lifetime),
  };
  if (tau !== undefined) state.coherenceTimeMs = tau;
  if (input.contexts !== undefined) state.amplitudes = contextAmplitudes(input.contexts, `${field}.contexts`);
  return state;
}

/**
 * User metadata read once: own enumerable keys copied into a snapshot (a getter runs once), and
 * the snapshot is what is validated (types, keys, no reserved prefix) and stored.
 */
export function snapshotMetadata(metadata: unknown, field: string): Metadata | undefined {
  if (metadata === undefined) return undefined;
  const snapshot = isPlainObject(metadata) ? { ...metadata } : metadata;
  validateMetadata(snapshot, field, Number.POSITIVE_INFINITY);
  assertNoReservedKeys(Object.keys(snapshot as Metadata), field);
  return snapshot as Metadata;
}
