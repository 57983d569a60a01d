/**
 * The benchmark study's training loop (MODELS.md §2.2): Adam (b1 0.9, b2 0.999, eps 1e-8, moments
 * from zero, bias-corrected), a fresh batch of `batchSize` indices drawn uniformly with
 * replacement at every step, the exact gradient of the batch-mean loss, and the study's
 * convergence rule: with C = `convergenceInterval` and recorded losses L_0, L_1, … (each the batch
 * loss at the parameters before that step's update), at step s > 2C stop when
 * |mean(L_{s−2C+1..s−C}) − mean(L_{s−C+1..s})| ≤ σ(L_{s−C+1..s}) / (2√C). A NaN loss stops the
 * loop unconverged; so does reaching `maxSteps`.
 */
import { ValidationError } from '@q-store/core';
import { LegacyRandomState } from './random-state.js';

export interface StudyTrainOptions {
  /** Initial parameters (copied; the result holds the trained ones). */
  readonly params: Float64Array;
  /** Number of training samples the batch indices are drawn from. */
  readonly numSamples: number;
  /**
   * Batch-mean loss at `params` over the samples `batch`, writing its gradient into `grad` (zeroed
   * by the loop before each call).
   */
  readonly lossAndGrad: (params: Float64Array, batch: Int32Array, grad: Float64Array) => number;
  readonly learningRate: number;
  readonly batchSize?: number;
  readonly maxSteps?: number;
  readonly convergenceInterval?: number;
  /** Seed of the batch draws, or a stream to draw from. */
  readonly random?: number | LegacyRandomState;
  /** Zeroes the gradient before the update when true (a control: the model must then fail to learn). */
  readonly freezeGradient?: boolean;
}

export interface StudyTrainResult {
  readonly params: Float64Array;
  /** Recorded losses, one per step. */
  readonly losses: number[];
  readonly steps: number;
  readonly converged: boolean;
}

/** Adam exactly as optax applies it, elementwise over one flat parameter vector. */
export class StudyAdam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(
    size: number,
    readonly learningRate: number,
    readonly b1 = 0.9,
    readonly b2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array): void {
    this.t++;
    const { m, v, b1, b2, eps, learningRate: lr } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] as number;
      m[i] = b1 * (m[i] as number) + (1 - b1) * g;
      v[i] = b2 * (v[i] as number) + (1 - b2) * g * g;
      params[i] = (params[i] as number) - (lr * ((m[i] as number) / c1)) / (Math.sqrt((v[i] as number) / c2) + eps);
    }
  }
}

/** True when the study's rule says the recorded losses have converged (checked at step s = length − 1). */
export function studyConverged(losses: readonly number[], interval: number): boolean {
  const s = losses.length - 1;
  if (s <= 2 * interval) return false;
  let a1 = 0;
  let a2 = 0;
  for (let i = s - interval + 1; i <= s; i++) a1 += losses[i] as number;
  for (let i = s - 2 * interval + 1; i <= s - interval; i++) a2 += losses[i] as number;
  a1 /= interval;
  a2 /= interval;
  let v = 0;
  for (let i = s - interval + 1; i <= s; i++) v += ((losses[i] as number) - a1) ** 2;
  const sigma = Math.sqrt(v / interval);
  return Math.abs(a2 - a1) <= sigma / (2 * Math.sqrt(interval));
}

export function trainStudyLoop(o: StudyTrainOptions): StudyTrainResult {
  const batchSize = o.batchSize ?? 32;
  const maxSteps = o.maxSteps ?? 10_000;
  const interval = o.convergenceInterval ?? 200;
  const issues = [];
  if (!(o.learningRate > 0)) issues.push({ field: 'learningRate', message: 'must be > 0' });
  if (!Number.isInteger(batchSize) || batchSize < 1)
    issues.push({ field: 'batchSize', message: 'must be an integer ≥ 1', limit: 1 });
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    issues.push({ field: 'maxSteps', message: 'must be an integer ≥ 1', limit: 1 });
  if (!Number.isInteger(interval) || interval < 1)
    issues.push({ field: 'convergenceInterval', message: 'must be an integer ≥ 1', limit: 1 });
  if (!Number.isInteger(o.numSamples) || o.numSamples < 1)
    issues.push({ field: 'numSamples', message: 'must be an integer ≥ 1', limit: 1 });
  if (issues.length > 0) throw new ValidationError(issues, 'Invalid study training options');
  const rng = o.random instanceof LegacyRandomState ? o.random : new LegacyRandomState(o.random ?? 42);
  const params = Float64Array.from(o.params);
  const grad = new Float64Array(params.length);
  const adam = new StudyAdam(params.length, o.learningRate);
  const batch = new Int32Array(batchSize);
  const losses: number[] = [];
  for (let step = 0; step < maxSteps; step++) {
    for (let i = 0; i < batchSize; i++) batch[i] = rng.interval(o.numSamples - 1);
    grad.fill(0);
    const loss = o.lossAndGrad(params, batch, grad);
    losses.push(loss);
    if (Number.isNaN(loss)) return { params, losses, steps: step + 1, converged: false };
    if (o.freezeGradient) grad.fill(0);
    adam.step(params, grad);
    if (studyConverged(losses, interval)) return { params, losses, steps: step + 1, converged: true };
  }
  return { params, losses, steps: maxSteps, converged: false };
}
