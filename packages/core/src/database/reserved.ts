import { ValidationError } from '../shared/errors.js';
import type { Metadata, MetadataValue } from '../vector/types.js';

/**
 * QuantumDatabase keeps each record's quantum state in reserved metadata keys, so it is persisted by
 * whatever backend holds the record and moves with it on `migrate`:
 *
 * - `__qs_contexts`: the record's context names (a string list, filterable with `$in`);
 * - `__qs_amp_<context>`: the amplitude α_c of each context;
 * - `__qs_t0`: when the record was inserted (ms since the epoch);
 * - `__qs_tau`: its coherence time τ in ms (absent: no decay);
 * - `__qs_expires`: when it expires (ms since the epoch; `Number.MAX_SAFE_INTEGER` for never).
 *
 * User metadata keys and filter fields may not start with `__qs_`.
 */
export const RESERVED_PREFIX = '__qs_';
export const KEY_CONTEXTS = '__qs_contexts';
export const KEY_AMPLITUDE_PREFIX = '__qs_amp_';
export const KEY_T0 = '__qs_t0';
export const KEY_TAU = '__qs_tau';
export const KEY_EXPIRES = '__qs_expires';
export const NEVER_EXPIRES = Number.MAX_SAFE_INTEGER;

/** The quantum state stored with a record. */
export interface RecordQuantumState {
  /** Context → amplitude α_c (Σ α_c² = 1). */
  amplitudes?: Record<string, number>;
  insertedAtMs: number;
  coherenceTimeMs?: number;
  expiresAtMs: number;
}

export function assertNoReservedKeys(keys: Iterable<string>, field: string): void {
  const bad = [...keys].filter((key) => key.startsWith(RESERVED_PREFIX));
  if (bad.length > 0) {
    throw new ValidationError(
      bad.map((key) => ({ field: `${field}.${key}`, message: `keys starting with '${RESERVED_PREFIX}' are reserved` })),
    );
  }
}

export function encodeState(state: RecordQuantumState): Metadata {
  const out: Record<string, MetadataValue> = { [KEY_T0]: state.insertedAtMs, [KEY_EXPIRES]: state.expiresAtMs };
  if (state.coherenceTimeMs !== undefined) out[KEY_TAU] = state.coherenceTimeMs;
  if (state.amplitudes) {
    out[KEY_CONTEXTS] = Object.keys(state.amplitudes);
    for (const [name, amplitude] of Object.entries(state.amplitudes)) out[KEY_AMPLITUDE_PREFIX + name] = amplitude;
  }
  return out;
}

/** Splits stored metadata into the user's part and the quantum state. */
export function splitMetadata<M extends Metadata>(
  stored: Metadata | undefined,
): { user: M; state: RecordQuantumState } {
  const user: Record<string, MetadataValue> = {};
  const state: RecordQuantumState = { insertedAtMs: 0, expiresAtMs: NEVER_EXPIRES };
  let amplitudes: Record<string, number> | undefined;
  if (stored) {
    for (const [key, value] of Object.entries(stored)) {
      if (!key.startsWith(RESERVED_PREFIX)) user[key] = value;
      else if (key === KEY_T0 && typeof value === 'number') state.insertedAtMs = value;
      else if (key === KEY_TAU && typeof value === 'number') state.coherenceTimeMs = value;
      else if (key === KEY_EXPIRES && typeof value === 'number') state.expiresAtMs = value;
      else if (key.startsWith(KEY_AMPLITUDE_PREFIX) && typeof value === 'number') {
        amplitudes ??= Object.create(null) as Record<string, number>; // `__proto__` is a context name too
        amplitudes[key.slice(KEY_AMPLITUDE_PREFIX.length)] = value;
      }
    }
  }
  if (amplitudes) state.amplitudes = amplitudes;
  return { user: user as M, state };
}
