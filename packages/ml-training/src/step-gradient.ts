import { type Label, ValidationError } from '@q-store/core';
import { throwIfAborted } from '@q-store/core/backend';
import type { GradientMethod } from './gradients.js';
import type { LossGradient, VariationalClassifier } from './model.js';

/**
 * The per-sample results of one step's samples, in sample order: what the gradient stage of a
 * training step produces and what the reduce stage combines. Row i holds sample i's loss, whether
 * it was classified correctly, and its gradient ∂loss_i/∂parameters (`gradients[i·P … i·P+P)`, P =
 * `numParameters`).
 */
export interface GradientRows {
  count: number;
  numParameters: number;
  losses: Float64Array;
  /** 1 where the sample was classified correctly, else 0. */
  correct: Uint8Array;
  gradients: Float64Array;
}

export interface SampleGradientParams {
  model: VariationalClassifier;
  parameters: Float64Array;
  features: ReadonlyArray<ArrayLike<number>>;
  labels: readonly Label[];
  method: GradientMethod;
  /**
   * Base seed of shot-based estimates: sample i uses `seed + firstIndex + i`, so a shard starting at
   * sample `firstIndex` of its batch draws exactly what the whole batch would.
   */
  seed?: number;
  /** Index of the first sample within its step's batch (default 0). */
  firstIndex?: number;
  signal?: AbortSignal;
}

/**
 * The gradient stage: one `model.lossAndGradient` per sample (a batch of one, so its mean is the
 * sample's own value exactly), collected as {@link GradientRows}.
 */
export async function sampleGradients(params: SampleGradientParams): Promise<GradientRows> {
  const { model, parameters, features, labels, method, signal } = params;
  const count = features.length;
  if (labels.length !== count) {
    throw new ValidationError(
      [{ field: 'labels', message: `has ${labels.length} labels for ${count} samples` }],
      'Invalid labels',
    );
  }
  const P = model.numParameters;
  const rows: GradientRows = {
    count,
    numParameters: P,
    losses: new Float64Array(count),
    correct: new Uint8Array(count),
    gradients: new Float64Array(count * P),
  };
  const first = params.firstIndex ?? 0;
  for (let i = 0; i < count; i++) {
    throwIfAborted(signal);
    const r = await model.lossAndGradient({
      parameters,
      features: [features[i] as ArrayLike<number>],
      labels: [labels[i] as Label],
      method,
      ...(params.seed !== undefined && { seed: params.seed + first + i }),
      ...(signal && { signal }),
    });
    rows.losses[i] = r.loss;
    rows.correct[i] = r.accuracy === 1 ? 1 : 0;
    rows.gradients.set(r.gradient, i * P);
  }
  return rows;
}

/**
 * Joins shards' rows in the order given (shard 0 first): the rows of the whole batch when the
 * shards are its consecutive slices. Pure copying, so no rounding.
 */
export function concatRows(parts: readonly GradientRows[]): GradientRows {
  const P = parts[0]?.numParameters ?? 0;
  const count = parts.reduce((n, p) => n + p.count, 0);
  const out: GradientRows = {
    count,
    numParameters: P,
    losses: new Float64Array(count),
    correct: new Uint8Array(count),
    gradients: new Float64Array(count * P),
  };
  let at = 0;
  for (const part of parts) {
    if (part.numParameters !== P) {
      throw new ValidationError(
        [{ field: 'numParameters', message: `shards disagree: ${part.numParameters} and ${P}` }],
        'Invalid gradient rows',
      );
    }
    out.losses.set(part.losses, at);
    out.correct.set(part.correct, at);
    out.gradients.set(part.gradients, at * P);
    at += part.count;
  }
  return out;
}

/**
 * The reduce rule of a step, the same in one process and across workers:
 *
 *     g_p = (Σ_{i=0}^{n−1} g_{i,p}) / n,   loss = (Σ_i loss_i) / n,   accuracy = (Σ_i correct_i) / n
 *
 * with every sum taken left to right in sample order, starting from 0. The float result therefore
 * depends only on the per-sample values and their order, never on how the batch was split into
 * shards or which process computed which shard.
 */
export function meanOfRows(rows: GradientRows): LossGradient {
  const { count: n, numParameters: P } = rows;
  const gradient = new Float64Array(P);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    loss += rows.losses[i] as number;
    correct += rows.correct[i] as number;
    const base = i * P;
    for (let p = 0; p < P; p++) gradient[p] = (gradient[p] as number) + (rows.gradients[base + p] as number);
  }
  if (n > 0) for (let p = 0; p < P; p++) gradient[p] = (gradient[p] as number) / n;
  return { loss: n ? loss / n : 0, accuracy: n ? correct / n : 0, count: n, gradient };
}

/** Rows as JSON-safe base64 of their bytes (exact: no decimal round trip). */
export interface EncodedRows {
  count: number;
  numParameters: number;
  losses: string;
  correct: string;
  gradients: string;
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function encodeRows(rows: GradientRows): EncodedRows {
  return {
    count: rows.count,
    numParameters: rows.numParameters,
    losses: b64(rows.losses),
    correct: b64(rows.correct),
    gradients: b64(rows.gradients),
  };
}

/** Decodes {@link encodeRows}; a ValidationError when the lengths do not match the counts. */
export function decodeRows(encoded: EncodedRows): GradientRows {
  const f64 = decodeFloat64;
  const rows: GradientRows = {
    count: encoded.count,
    numParameters: encoded.numParameters,
    losses: f64(encoded.losses),
    correct: new Uint8Array(Buffer.from(encoded.correct, 'base64')),
    gradients: f64(encoded.gradients),
  };
  if (
    rows.losses.length !== rows.count ||
    rows.correct.length !== rows.count ||
    rows.gradients.length !== rows.count * rows.numParameters
  ) {
    throw new ValidationError(
      [{ field: 'rows', message: 'lengths do not match count × numParameters' }],
      'Invalid rows',
    );
  }
  return rows;
}

export const encodeFloat64 = (a: Float64Array): string => b64(a);
export function decodeFloat64(s: string): Float64Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float64Array(buf.byteLength / 8);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
