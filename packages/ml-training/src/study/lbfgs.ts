/**
 * Unregularised binary logistic regression fitted by L-BFGS, as scikit-learn's
 * `LogisticRegression(penalty=None, solver="lbfgs")` does it (QuantumKitchenSinks' classifier,
 * MODELS.md §4.6): the objective is the mean log-loss over the samples (scikit-learn ≥ 1.2 scales it
 * by 1/n), the intercept is fitted and unpenalised, the start is all zeros, and the solver is
 * SciPy's L-BFGS-B setting for it: 10 correction pairs, stop when max |∂f| ≤ tol (1e-3 in the
 * study), or when the relative decrease (f_k − f_{k+1})/max(|f_k|, |f_{k+1}|, 1) ≤ 64·ε, or after
 * `maxIter` (100) iterations; a strong-Wolfe line search (sufficient decrease 1e-3, curvature 0.9,
 * at most 50 trials; first step 1/‖g‖, later steps 1).
 *
 * Why hand-written: no npm library does this properly. `ml-logistic-regression` runs fixed-step
 * gradient ascent without an intercept or a stopping rule; `optimization-js`'s `minimize_L_BFGS`
 * has no line search (a "grow 1.2× / halve" step), no iteration cap and a fixed 1e-5 tolerance;
 * `fmin` has no L-BFGS (conjugate gradient only, with a fixed 1e-5 gradient-norm stop); `numeric`'s
 * `uncmin` keeps a dense n×n inverse Hessian (8,000 features here: half a gigabyte) and is no longer
 * maintained. The L-BFGS two-loop recursion and the Wolfe line search are textbook (Nocedal &
 * Wright, Algorithms 7.4, 3.5 and 3.6) and short.
 */

export interface LbfgsOptions {
  maxIter?: number;
  /** Stop when the largest gradient component is at most this. */
  gtol?: number;
  /** Stop when the relative decrease of f is at most this. */
  ftol?: number;
  /** Correction pairs kept. */
  memory?: number;
  /** Function evaluations per line search. */
  maxLineSearch?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  /** True when a tolerance stopped it (not the iteration cap or a failed line search). */
  readonly converged: boolean;
}

/** f(x) returning the value and writing the gradient into g. */
export type Objective = (x: Float64Array, g: Float64Array) => number;

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};
const maxAbs = (a: Float64Array) => {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
};

/** Minimises f from x0 by L-BFGS with a strong-Wolfe line search. */
export function lbfgs(f: Objective, x0: Float64Array, o: LbfgsOptions = {}): LbfgsResult {
  const maxIter = o.maxIter ?? 100;
  const gtol = o.gtol ?? 1e-5;
  const ftol = o.ftol ?? 64 * Number.EPSILON;
  const m = o.memory ?? 10;
  const maxLs = o.maxLineSearch ?? 50;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  if (maxAbs(g) <= gtol) return { x, f: fx, iterations: 0, converged: true };
  for (let it = 0; it < maxIter; it++) {
    // Two-loop recursion: d = −H·g.
    d.set(g);
    for (let i = S.length - 1; i >= 0; i--) {
      const a = (rho[i] as number) * dot(S[i] as Float64Array, d);
      alpha[i] = a;
      const y = Y[i] as Float64Array;
      for (let k = 0; k < n; k++) d[k] = (d[k] as number) - a * (y[k] as number);
    }
    if (S.length > 0) {
      const y = Y[S.length - 1] as Float64Array;
      const gamma = dot(S[S.length - 1] as Float64Array, y) / dot(y, y);
      for (let k = 0; k < n; k++) d[k] = (d[k] as number) * gamma;
    }
    for (let i = 0; i < S.length; i++) {
      const b = (rho[i] as number) * dot(Y[i] as Float64Array, d);
      const s = S[i] as Float64Array;
      const c = (alpha[i] as number) - b;
      for (let k = 0; k < n; k++) d[k] = (d[k] as number) + c * (s[k] as number);
    }
    for (let k = 0; k < n; k++) d[k] = -(d[k] as number);
    let dg0 = dot(d, g);
    if (!(dg0 < 0)) {
      // Not a descent direction (lost curvature): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let k = 0; k < n; k++) d[k] = -(g[k] as number);
      dg0 = dot(d, g);
    }
    const step0 = S.length === 0 ? 1 / Math.sqrt(dot(d, d)) : 1;
    const ls = wolfe(f, x, fx, g, d, dg0, step0, maxLs, xt, gt);
    if (!ls) return { x, f: fx, iterations: it, converged: false };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      s[k] = (xt[k] as number) - (x[k] as number);
      y[k] = (gt[k] as number) - (g[k] as number);
    }
    const fPrev = fx;
    x = Float64Array.from(xt);
    g = Float64Array.from(gt);
    fx = ls.f;
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    if (maxAbs(g) <= gtol) return { x, f: fx, iterations: it + 1, converged: true };
    if ((fPrev - fx) / Math.max(Math.abs(fPrev), Math.abs(fx), 1) <= ftol)
      return { x, f: fx, iterations: it + 1, converged: true };
  }
  return { x, f: fx, iterations: maxIter, converged: false };
}

/**
 * Strong-Wolfe line search (bracketing, then zoom by safeguarded cubic interpolation); writes the
 * accepted point and its gradient into xt, gt. Undefined when no acceptable step was found.
 */
function wolfe(
  f: Objective,
  x: Float64Array,
  f0: number,
  _g0: Float64Array,
  d: Float64Array,
  dg0: number,
  step: number,
  maxEval: number,
  xt: Float64Array,
  gt: Float64Array,
): { f: number } | undefined {
  const c1 = 1e-3;
  const c2 = 0.9;
  let evals = 0;
  const at = (a: number) => {
    for (let k = 0; k < x.length; k++) xt[k] = (x[k] as number) + a * (d[k] as number);
    evals++;
    const v = f(xt, gt);
    return { a, f: v, dg: dot(gt, d) };
  };
  let prev = { a: 0, f: f0, dg: dg0 };
  let a = step;
  for (;;) {
    const cur = at(a);
    if (!Number.isFinite(cur.f) || cur.f > f0 + c1 * a * dg0 || (evals > 1 && cur.f >= prev.f)) return zoom(prev, cur);
    if (Math.abs(cur.dg) <= -c2 * dg0) return { f: cur.f };
    if (cur.dg >= 0) return zoom(cur, prev);
    if (evals >= maxEval) return undefined;
    prev = cur;
    a *= 2;
  }

  function zoom(lo: { a: number; f: number; dg: number }, hi: { a: number; f: number; dg: number }) {
    while (evals < maxEval) {
      // Cubic interpolation between lo and hi, kept inside the middle 80 % of the bracket.
      const d1 = lo.dg + hi.dg - (3 * (lo.f - hi.f)) / (lo.a - hi.a);
      const disc = d1 * d1 - lo.dg * hi.dg;
      let a = (lo.a + hi.a) / 2;
      if (Number.isFinite(hi.f) && disc >= 0) {
        const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
        const c = hi.a - (hi.a - lo.a) * ((hi.dg + d2 - d1) / (hi.dg - lo.dg + 2 * d2));
        const left = Math.min(lo.a, hi.a);
        const width = Math.abs(hi.a - lo.a);
        if (Number.isFinite(c)) a = Math.min(Math.max(c, left + 0.1 * width), left + 0.9 * width);
      }
      const cur = at(a);
      if (!Number.isFinite(cur.f) || cur.f > f0 + c1 * a * dg0 || cur.f >= lo.f) hi = cur;
      else {
        if (Math.abs(cur.dg) <= -c2 * dg0) return { f: cur.f };
        if (cur.dg * (hi.a - lo.a) >= 0) hi = lo;
        lo = cur;
      }
    }
    // Out of evaluations: accept the best sufficient-decrease point found, if it moved at all.
    if (lo.a > 0) {
      at(lo.a);
      return { f: lo.f };
    }
    return undefined;
  }
}

/** Binary logistic regression (labels ±1), intercept last in `coef`. */
export class BinaryLogisticRegression {
  coef: Float64Array | undefined;
  iterations = 0;
  converged = false;
  constructor(readonly o: LbfgsOptions = {}) {}

  /** rows: N × D features, flat row-major. */
  fit(rows: Float64Array, numFeatures: number, y: readonly number[]): this {
    const n = y.length;
    const D = numFeatures;
    const z = new Float64Array(n);
    const r = new Float64Array(n);
    const objective: Objective = (w, g) => {
      let loss = 0;
      const b = w[D] as number;
      for (let i = 0; i < n; i++) {
        let s = b;
        const at = i * D;
        for (let j = 0; j < D; j++) s += (rows[at + j] as number) * (w[j] as number);
        z[i] = s;
        const t = y[i] === 1 ? 1 : 0;
        // softplus(s) − t·s, computed stably; residual σ(s) − t.
        loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t * s;
        r[i] = (s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s))) - t;
      }
      g.fill(0);
      for (let i = 0; i < n; i++) {
        const ri = (r[i] as number) / n;
        if (ri === 0) continue;
        const at = i * D;
        for (let j = 0; j < D; j++) g[j] = (g[j] as number) + ri * (rows[at + j] as number);
        g[D] = (g[D] as number) + ri;
      }
      return loss / n;
    };
    const res = lbfgs(objective, new Float64Array(D + 1), this.o);
    this.coef = res.x;
    this.iterations = res.iterations;
    this.converged = res.converged;
    return this;
  }

  /** The decision function w·x + b per row. */
  decision(rows: Float64Array, numFeatures: number): Float64Array {
    const w = this.coef;
    if (!w) throw new Error('fit the logistic regression first');
    const n = rows.length / numFeatures;
    return Float64Array.from({ length: n }, (_, i) => {
      let s = w[numFeatures] as number;
      for (let j = 0; j < numFeatures; j++) s += (rows[i * numFeatures + j] as number) * (w[j] as number);
      return s;
    });
  }
}
