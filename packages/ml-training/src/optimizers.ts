import { createRng, type JsonValue, type Rng, ValidationError } from '@q-store/core';
import { IssueCollector, isPlainObject } from '@q-store/core/backend';
import { spsaGradient } from './gradients.js';

/**
 * Optimizers with serialisable state: `state()` is plain JSON (float64 numbers survive JSON text
 * exactly), and `restore(state)` on a fresh instance continues bit for bit where the saved one
 * stopped — what a checkpoint needs.
 */

/** An optimizer that steps on a gradient. */
export interface GradientOptimizer {
  readonly kind: 'adam' | 'sgd';
  /** Steps taken so far. */
  readonly steps: number;
  /** Updates `parameters` in place from the gradient of the loss. */
  step(parameters: Float64Array, gradient: Float64Array): void;
  state(): JsonValue;
  restore(
    state: JsonValue,
  ): void /** Back to the freshly constructed state (step 0, no moments, the initial generator). */;
  reset(): void;
}

/** An optimizer that needs only loss values (SPSA). */
export interface LossOptimizer {
  readonly kind: 'spsa';
  readonly steps: number;
  /** Updates `parameters` in place; returns the two loss evaluations it made. */
  step(
    parameters: Float64Array,
    loss: (parameters: Float64Array) => Promise<number>,
  ): Promise<{ lossPlus: number; lossMinus: number }>;
  state(): JsonValue;
  restore(
    state: JsonValue,
  ): void /** Back to the freshly constructed state (step 0, no moments, the initial generator). */;
  reset(): void;
}

export type Optimizer = GradientOptimizer | LossOptimizer;

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam (Kingma & Ba 2015). Step t = 1, 2, …:
 *
 *     m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *     θ ← θ − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε)
 *
 * Defaults lr 0.01, β1 0.9, β2 0.999, ε 1e-8. The first step is lr·g/(|g| + ε) ≈ lr·sign(g).
 */
export class Adam implements GradientOptimizer {
  readonly kind = 'adam' as const;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private m: Float64Array | undefined;
  private v: Float64Array | undefined;

  constructor(options: AdamOptions = {}) {
    this.learningRate = options.learningRate ?? 0.01;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    const issues = new IssueCollector();
    positive(issues, 'learningRate', this.learningRate);
    unitInterval(issues, 'beta1', this.beta1);
    unitInterval(issues, 'beta2', this.beta2);
    positive(issues, 'epsilon', this.epsilon);
    issues.throwIfAny('Invalid Adam options');
  }

  get steps(): number {
    return this.t;
  }

  step(parameters: Float64Array, gradient: Float64Array): void {
    checkGradient(parameters, gradient);
    const n = parameters.length;
    checkStateLength(this.m, n);
    this.m ??= new Float64Array(n);
    this.v ??= new Float64Array(n);
    const { m, v, beta1, beta2 } = this;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < n; i++) {
      const g = gradient[i] as number;
      m[i] = beta1 * (m[i] as number) + (1 - beta1) * g;
      v[i] = beta2 * (v[i] as number) + (1 - beta2) * g * g;
      const mHat = (m[i] as number) / c1;
      const vHat = (v[i] as number) / c2;
      parameters[i] = (parameters[i] as number) - (this.learningRate * mHat) / (Math.sqrt(vHat) + this.epsilon);
    }
  }

  state(): JsonValue {
    return {
      kind: this.kind,
      steps: this.t,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      m: this.m ? Array.from(this.m) : [],
      v: this.v ? Array.from(this.v) : [],
    };
  }

  restore(state: JsonValue): void {
    const s = readState(state, this.kind, ['m', 'v']);
    if (s.arrays.m?.length !== s.arrays.v?.length) {
      throw new ValidationError(
        [{ field: 'state.v', message: `has ${s.arrays.v?.length} values; state.m has ${s.arrays.m?.length}` }],
        'Invalid optimizer state',
      );
    }
    this.t = s.steps;
    this.m = s.arrays.m && s.arrays.m.length > 0 ? s.arrays.m : undefined;
    this.v = s.arrays.v && s.arrays.v.length > 0 ? s.arrays.v : undefined;
  }

  reset(): void {
    this.t = 0;
    this.m = undefined;
    this.v = undefined;
  }
}

export interface SgdOptions {
  learningRate?: number;
  /** μ in [0, 1); default 0 (plain gradient descent). */
  momentum?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with momentum (the PyTorch form):
 *
 *     v ← μ·v + g,   θ ← θ − lr·v            (Nesterov: θ ← θ − lr·(g + μ·v))
 *
 * Default lr 0.01, μ 0.
 */
export class Sgd implements GradientOptimizer {
  readonly kind = 'sgd' as const;
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private t = 0;
  private velocity: Float64Array | undefined;

  constructor(options: SgdOptions = {}) {
    this.learningRate = options.learningRate ?? 0.01;
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    const issues = new IssueCollector();
    positive(issues, 'learningRate', this.learningRate);
    if (!(this.momentum >= 0 && this.momentum < 1)) issues.add('momentum', `must be in [0, 1), got ${this.momentum}`);
    issues.throwIfAny('Invalid SGD options');
  }

  get steps(): number {
    return this.t;
  }

  step(parameters: Float64Array, gradient: Float64Array): void {
    checkGradient(parameters, gradient);
    const n = parameters.length;
    checkStateLength(this.velocity, n);
    this.velocity ??= new Float64Array(n);
    const v = this.velocity;
    this.t += 1;
    for (let i = 0; i < n; i++) {
      const g = gradient[i] as number;
      v[i] = this.momentum * (v[i] as number) + g;
      const update = this.nesterov ? g + this.momentum * (v[i] as number) : (v[i] as number);
      parameters[i] = (parameters[i] as number) - this.learningRate * update;
    }
  }

  state(): JsonValue {
    return {
      kind: this.kind,
      steps: this.t,
      learningRate: this.learningRate,
      momentum: this.momentum,
      nesterov: this.nesterov,
      velocity: this.velocity ? Array.from(this.velocity) : [],
    };
  }

  restore(state: JsonValue): void {
    const s = readState(state, this.kind, ['velocity']);
    this.t = s.steps;
    this.velocity = s.arrays.velocity && s.arrays.velocity.length > 0 ? s.arrays.velocity : undefined;
  }

  reset(): void {
    this.t = 0;
    this.velocity = undefined;
  }
}

export interface SpsaOptions {
  /** a of the gain a_k = a / (k + 1 + A)^α; default 0.2. */
  learningRate?: number;
  /** c of the perturbation c_k = c / (k + 1)^γ; default 0.1. */
  perturbation?: number;
  /** A (stability constant); default 0. */
  stability?: number;
  /** α; default 0.602 (Spall's practical value). */
  alpha?: number;
  /** γ; default 0.101. */
  gamma?: number;
  /** Seed of the perturbation directions; default 0. */
  seed?: number;
}

/**
 * SPSA (Spall 1998, "Implementation of the simultaneous perturbation algorithm"): step k = 0, 1, …
 *
 *     θ ← θ − a_k · ĝ_k,   ĝ_k = [L(θ + c_kΔ) − L(θ − c_kΔ)] / (2c_k) · Δ⁻¹
 *
 * with Δ uniform in {−1, +1}ⁿ from a seeded generator whose position is part of the state, so a
 * restored optimizer draws the same directions as an uninterrupted one. Two loss evaluations per
 * step regardless of the number of parameters (the choice for shot budgets on hardware).
 */
export class Spsa implements LossOptimizer {
  readonly kind = 'spsa' as const;
  readonly learningRate: number;
  readonly perturbation: number;
  readonly stability: number;
  readonly alpha: number;
  readonly gamma: number;
  private rng: Rng;
  private k = 0;
  private readonly seed: number;

  constructor(options: SpsaOptions = {}) {
    this.learningRate = options.learningRate ?? 0.2;
    this.perturbation = options.perturbation ?? 0.1;
    this.stability = options.stability ?? 0;
    this.alpha = options.alpha ?? 0.602;
    this.gamma = options.gamma ?? 0.101;
    const issues = new IssueCollector();
    positive(issues, 'learningRate', this.learningRate);
    positive(issues, 'perturbation', this.perturbation);
    if (!(this.stability >= 0 && Number.isFinite(this.stability))) {
      issues.add('stability', `must be a finite number ≥ 0, got ${this.stability}`);
    }
    positive(issues, 'alpha', this.alpha);
    positive(issues, 'gamma', this.gamma);
    issues.throwIfAny('Invalid SPSA options');
    this.seed = options.seed ?? 0;
    this.rng = createRng(this.seed);
  }

  reset(): void {
    this.k = 0;
    this.rng = createRng(this.seed);
  }

  get steps(): number {
    return this.k;
  }

  /** a_k and c_k of the next step. */
  gains(): { learningRate: number; perturbation: number } {
    return {
      learningRate: this.learningRate / (this.k + 1 + this.stability) ** this.alpha,
      perturbation: this.perturbation / (this.k + 1) ** this.gamma,
    };
  }

  async step(
    parameters: Float64Array,
    loss: (parameters: Float64Array) => Promise<number>,
  ): Promise<{ lossPlus: number; lossMinus: number }> {
    const { learningRate, perturbation } = this.gains();
    const { gradient, lossPlus, lossMinus } = await spsaGradient({ loss, parameters, perturbation, rng: this.rng });
    for (let i = 0; i < parameters.length; i++) {
      parameters[i] = (parameters[i] as number) - learningRate * (gradient[i] as number);
    }
    this.k += 1;
    return { lossPlus, lossMinus };
  }

  state(): JsonValue {
    return {
      kind: this.kind,
      steps: this.k,
      learningRate: this.learningRate,
      perturbation: this.perturbation,
      stability: this.stability,
      alpha: this.alpha,
      gamma: this.gamma,
      rngState: this.rng.state(),
    };
  }

  restore(state: JsonValue): void {
    const s = readState(state, this.kind, []);
    const rngState = (state as { rngState?: unknown }).rngState;
    if (!Array.isArray(rngState) || !rngState.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      throw new ValidationError(
        [{ field: 'state.rngState', message: 'must be an array of integers' }],
        'Invalid optimizer state',
      );
    }
    this.k = s.steps;
    this.rng = createRng({ state: rngState as number[] });
  }
}

function positive(issues: IssueCollector, field: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) issues.add(field, `must be a finite number > 0, got ${value}`);
}

function unitInterval(issues: IssueCollector, field: string, value: number): void {
  if (!(value >= 0 && value < 1)) issues.add(field, `must be in [0, 1), got ${value}`);
}

function checkGradient(parameters: Float64Array, gradient: Float64Array): void {
  if (gradient.length !== parameters.length) {
    throw new ValidationError(
      [
        {
          field: 'gradient',
          message: `has ${gradient.length} values for ${parameters.length} parameters`,
          limit: parameters.length,
        },
      ],
      'Invalid gradient',
    );
  }
}

/** A restored moment vector must have one value per parameter (a state of another model otherwise). */
function checkStateLength(state: Float64Array | undefined, n: number): void {
  if (state && state.length !== n) {
    throw new ValidationError(
      [
        {
          field: 'parameters',
          message: `has ${n} values; the optimizer's state holds ${state.length} (restored from another model?)`,
          limit: state.length,
        },
      ],
      'Optimizer state does not fit the parameters',
    );
  }
}

/** Checks a saved state's kind and step count and reads its number arrays. */
function readState(
  state: JsonValue,
  kind: string,
  arrayFields: readonly string[],
): { steps: number; arrays: Record<string, Float64Array> } {
  const issues = new IssueCollector();
  if (!isPlainObject(state)) {
    issues.add('state', 'must be an object saved by state()');
    issues.throwIfAny('Invalid optimizer state');
  }
  const s = state as Record<string, unknown>;
  if (s.kind !== kind) issues.add('state.kind', `is ${JSON.stringify(s.kind)}; this optimizer is '${kind}'`);
  const steps = s.steps;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
    issues.add('state.steps', `must be an integer ≥ 0, got ${String(steps)}`);
  }
  const arrays: Record<string, Float64Array> = {};
  for (const field of arrayFields) {
    const value = s[field];
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      issues.add(`state.${field}`, 'must be an array of finite numbers');
    } else {
      arrays[field] = Float64Array.from(value as number[]);
    }
  }
  issues.throwIfAny('Invalid optimizer state');
  return { steps: steps as number, arrays };
}
