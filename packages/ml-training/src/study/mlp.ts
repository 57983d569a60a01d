/**
 * The study's classical MLP baseline (MODELS.md §4.11): scikit-learn's `MLPClassifier` with the
 * study's defaults, trained on TensorFlow.js (`@tensorflow/tfjs`, its pure-JavaScript CPU backend:
 * automatic differentiation and the Adam optimiser).
 *
 * scikit-learn semantics kept: hidden ReLU layers and one logistic output unit, the binary log-loss
 * plus (alpha/2)·Σ‖W‖²/batch on the weights (not the intercepts), Glorot-uniform initialisation
 * (weights and intercepts uniform in ±√(6/(fan_in + fan_out)), layer by layer, from NumPy's legacy
 * RandomState(random_state) — the same draws scikit-learn makes), each epoch a reshuffle of the
 * sample order by that stream and consecutive batches of `batchSize` (the last one shorter), Adam
 * (β 0.9/0.999, ε 1e-8), the epoch loss = size-weighted mean of the batch losses before each update,
 * and the stop after more than `nIterNoChange` consecutive epochs whose loss is not below the best
 * loss − tol, or after `maxIter` epochs. `predictProba` is [1 − p, p] with p the output unit;
 * `predict` is +1 iff p > 0.5. No input scaling.
 *
 * Why TensorFlow.js: it is maintained, runs on Node 20 without native code (`tfjs-node` needs a
 * native download that cannot happen here) and gives exact gradients and Adam. Its tensors are
 * float32 (scikit-learn computes in float64), and its Adam adds ε to √v̂ instead of √v (a 1e-8
 * difference); neither matters at the study's tolerances. Per-op overhead dominates at these sizes
 * (a batch step costs a few milliseconds), so each step fuses matmul, bias and ReLU.
 * The other npm networks (`brain.js`, `synaptic`, `ml-fnn`) wrap fixed training loops without this
 * control over initialisation, the L2 term, batching and the stopping rule (the last two are no
 * longer maintained).
 */
import { createRequire } from 'node:module';
import { ValidationError } from '@q-store/core';
import type * as TF from '@tensorflow/tfjs';
import { LegacyRandomState } from './random-state.js';
import { accuracy, checkLabels, type StudyClassifier, type StudyRows } from './variational.js';

type Tf = typeof TF;
let tfLoad: Tf | undefined;

/** Loads TensorFlow.js once on its CPU backend (its "install tfjs-node" notice is silenced). */
export async function loadTfjs(): Promise<Tf> {
  if (!tfLoad) {
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as Tf;
    await tf.setBackend('cpu');
    await tf.ready();
    const warn = console.warn;
    console.warn = () => {};
    try {
      tf.tensor1d([0]).dispose(); // the CPU backend prints its notice on first use
    } finally {
      console.warn = warn;
    }
    tfLoad = tf;
  }
  return tfLoad;
}

export interface MlpOptions {
  /** "(100,)", "(10, 10, 10, 10)", "100", [50, 10, 5] or 100 (default (100, 100)). */
  hiddenLayerSizes?: string | number | readonly number[];
  /** L2 penalty (default 1e-4). */
  alpha?: number;
  /** Batch size; 'auto' = min(200, N) (default 'auto'; the study's grid uses 32). */
  batchSize?: number | 'auto';
  learningRateInit?: number;
  /** Maximum epochs (default 3000). */
  maxIter?: number;
  tol?: number;
  nIterNoChange?: number;
  shuffle?: boolean;
  randomState?: number;
  /** Skip every update (a control for tests: the model must not learn). */
  freezeGradient?: boolean;
}

const bad = (field: string, message: string, limit?: number): never => {
  throw new ValidationError([{ field, message, ...(limit === undefined ? {} : { limit }) }], `Invalid ${field}`);
};

/** Parses scikit-learn's tuple notation ("(100,)", "(10, 10)"), a plain number, or an array. */
export function parseHiddenLayerSizes(v: string | number | readonly number[]): number[] {
  let sizes: unknown[];
  if (typeof v === 'number') sizes = [v];
  else if (typeof v === 'string') {
    const t = v.trim();
    sizes = /^[([]?\s*\d+\s*(,\s*\d+\s*)*,?\s*[)\]]?$/.test(t) ? (t.match(/\d+/g) ?? []).map(Number) : [];
  } else sizes = [...v];
  if (sizes.length === 0 || !sizes.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 1))
    bad('hiddenLayerSizes', 'must be positive integers, e.g. "(100,)" or [50, 10, 5]', 1);
  return sizes as number[];
}

export class MLPClassifier implements StudyClassifier {
  readonly hiddenLayerSizes: number[];
  readonly alpha: number;
  readonly batchSize: number | 'auto';
  readonly learningRateInit: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly nIterNoChange: number;
  readonly shuffle: boolean;
  readonly randomState: number;
  readonly freezeGradient: boolean;
  /** Set by fit: weights (fan_in × fan_out, row-major) and intercepts per layer, the epoch losses. */
  coefs: Float64Array[] = [];
  intercepts: Float64Array[] = [];
  lossCurve: number[] = [];
  /** Epochs run. */
  nIter = 0;
  /**
   * False when maxIter ended training. scikit-learn only warns then, so the study's protocol does
   * not count such a fit as failed (hence not named `converged`, which the protocol reads).
   */
  stoppedByTol = false;
  fitSeconds = 0;
  private layerUnits: number[] = [];

  constructor(o: MlpOptions = {}) {
    this.hiddenLayerSizes = parseHiddenLayerSizes(o.hiddenLayerSizes ?? [100, 100]);
    const num = (field: string, v: unknown, dflt: number, ok: (n: number) => boolean, msg: string, limit?: number) => {
      const n = v ?? dflt;
      return typeof n === 'number' && Number.isFinite(n) && ok(n) ? n : bad(field, msg, limit);
    };
    this.alpha = num('alpha', o.alpha, 1e-4, (n) => n >= 0, 'must be a finite number ≥ 0', 0);
    this.learningRateInit = num('learningRateInit', o.learningRateInit, 0.001, (n) => n > 0, 'must be > 0', 0);
    this.tol = num('tol', o.tol, 1e-4, (n) => n >= 0, 'must be ≥ 0', 0);
    const int = (n: number) => Number.isInteger(n) && n >= 1;
    this.maxIter = num('maxIter', o.maxIter, 3000, int, 'must be a positive integer', 1);
    this.nIterNoChange = num('nIterNoChange', o.nIterNoChange, 10, int, 'must be a positive integer', 1);
    this.batchSize =
      o.batchSize === 'auto' || o.batchSize === undefined
        ? 'auto'
        : num('batchSize', o.batchSize, 200, int, "must be a positive integer or 'auto'", 1);
    this.shuffle = o.shuffle ?? true;
    this.randomState = o.randomState ?? 42;
    this.freezeGradient = o.freezeGradient ?? false;
  }

  async fit(x: StudyRows, y: readonly number[]): Promise<this> {
    checkLabels(x, y);
    const t0 = performance.now();
    const tf = await loadTfjs();
    const n = x.length;
    const d = (x[0] as ArrayLike<number>).length;
    const units = [d, ...this.hiddenLayerSizes, 1];
    this.layerUnits = units;
    const rng = new LegacyRandomState(this.randomState);
    const init: Array<{ w: Float32Array; b: Float32Array }> = [];
    for (let l = 0; l + 1 < units.length; l++) {
      const fi = units[l] as number;
      const fo = units[l + 1] as number;
      const bound = Math.sqrt(6 / (fi + fo));
      const w = Float32Array.from({ length: fi * fo }, () => rng.uniform(-bound, bound));
      const b = Float32Array.from({ length: fo }, () => rng.uniform(-bound, bound));
      init.push({ w, b });
    }
    const W = init.map((p, l) => tf.variable(tf.tensor2d(p.w, [units[l] as number, units[l + 1] as number])));
    const B = init.map((p) => tf.variable(tf.tensor1d(p.b)));
    const xAll = tf.tensor2d(Float32Array.from(x.flatMap((r) => Array.from(r))), [n, d]);
    const tAll = tf.tensor2d(
      Float32Array.from(y, (v) => (v === 1 ? 1 : 0)),
      [n, 1],
    );
    const opt = tf.train.adam(this.learningRateInit, 0.9, 0.999, 1e-8);
    const bs = this.batchSize === 'auto' ? Math.min(200, n) : Math.min(this.batchSize, n);
    let order = Array.from({ length: n }, (_, i) => i);
    let best = Number.POSITIVE_INFINITY;
    let noImprovement = 0;
    this.lossCurve = [];
    this.stoppedByTol = false;
    try {
      for (let epoch = 0; epoch < this.maxIter; epoch++) {
        if (this.shuffle) {
          const perm = rng.permutation(n);
          order = perm.map((j) => order[j] as number);
        }
        let acc = 0;
        for (let s = 0; s < n; s += bs) {
          const idx = order.slice(s, s + bs);
          const loss = tf.tidy(() => {
            const ids = tf.tensor1d(idx, 'int32');
            const xb = tf.gather(xAll, ids);
            const tb = tf.gather(tAll, ids);
            const f = () => this.batchLoss(tf, xb, tb, W, B, idx.length);
            if (this.freezeGradient) return f();
            return opt.minimize(f, true, [...W, ...B]) as TF.Scalar;
          });
          acc += (loss.dataSync()[0] as number) * idx.length;
          loss.dispose();
        }
        const epochLoss = acc / n;
        this.lossCurve.push(epochLoss);
        this.nIter = epoch + 1;
        if (epochLoss > best - this.tol) noImprovement++;
        else noImprovement = 0;
        if (epochLoss < best) best = epochLoss;
        if (noImprovement > this.nIterNoChange) {
          this.stoppedByTol = true;
          break;
        }
      }
      this.coefs = W.map((w) => Float64Array.from(w.dataSync()));
      this.intercepts = B.map((b) => Float64Array.from(b.dataSync()));
    } finally {
      for (const v of [...W, ...B, xAll, tAll]) v.dispose();
      opt.dispose();
    }
    this.fitSeconds = (performance.now() - t0) / 1000;
    return this;
  }

  /** Mean binary log-loss of the logits plus (alpha/2)·Σ‖W‖²/batch. */
  private batchLoss(tf: Tf, xb: TF.Tensor, tb: TF.Tensor, W: TF.Variable[], B: TF.Variable[], size: number): TF.Scalar {
    const z = this.logits(tf, xb, W, B);
    // log(1 + e^z) − t·z = −[t log σ(z) + (1 − t) log(1 − σ(z))]
    const ll = tf.mean(tf.sub(tf.softplus(z), tf.mul(tb, z)));
    const l2 = tf.addN(W.map((w) => tf.sum(tf.square(w))));
    return tf.add(ll, tf.mul(l2, (0.5 * this.alpha) / size)) as TF.Scalar;
  }

  private logits(tf: Tf, x: TF.Tensor, W: ReadonlyArray<TF.Tensor>, B: ReadonlyArray<TF.Tensor>): TF.Tensor {
    let h = x as TF.Tensor2D;
    for (let l = 0; l < W.length; l++)
      h = tf.fused.matMul({
        a: h,
        b: W[l] as TF.Tensor2D,
        bias: B[l],
        activation: l < W.length - 1 ? 'relu' : 'linear',
      }) as TF.Tensor2D;
    return h;
  }

  /** The output unit's P(+1) per row. */
  private positive(x: StudyRows): Float64Array {
    const tf = tfLoad;
    if (!tf || this.coefs.length === 0) throw new Error('fit the model first');
    const d = this.layerUnits[0] as number;
    if (x.some((r) => r.length !== d || !Array.from(r).every(Number.isFinite)))
      bad('x', `rows must be ${d} finite numbers`, d);
    const units = this.layerUnits;
    const p = tf.tidy(() => {
      const W = this.coefs.map((w, l) =>
        tf.tensor2d(Float32Array.from(w), [units[l] as number, units[l + 1] as number]),
      );
      const B = this.intercepts.map((b) => tf.tensor1d(Float32Array.from(b)));
      const xs = tf.tensor2d(Float32Array.from(x.flatMap((r) => Array.from(r))), [x.length, d]);
      return tf.sigmoid(this.logits(tf, xs, W, B));
    });
    const out = Float64Array.from(p.dataSync());
    p.dispose();
    return out;
  }

  predictProba(x: StudyRows): number[][] {
    return Array.from(this.positive(x), (p) => [1 - p, p]);
  }

  predict(x: StudyRows): number[] {
    return Array.from(this.positive(x), (p) => (p > 0.5 ? 1 : -1));
  }

  score(x: StudyRows, y: readonly number[]): number {
    return accuracy(this.predict(x), y);
  }
}
