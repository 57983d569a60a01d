/**
 * The study's variational classifiers (MODELS.md §4.1–4.3, 4.7–4.9) with a scikit-learn-like
 * surface. Each compiles its circuit once per fit as a {@link BatchedCircuit}, evaluates a whole
 * batch in one call and gets per-sample adjoint gradients of the angle slots, which are mapped back
 * to the trainable parameters by the chain rule (inputs enter the angles linearly, or through the
 * Dressed model's tanh layer). Training is {@link trainStudyLoop}.
 */
import { ValidationError } from '@q-store/core';
import { BatchedCircuit, type BatchedGate } from '@q-store/quantum-sim';
import {
  checkIqpEntanglers,
  type IqpEntanglers,
  iqpAngles,
  iqpClosedFormState,
  iqpEmbeddingGates,
  pattern,
  rot,
  SlotAllocator,
  type StoredState,
  stronglyEntanglingLayers,
} from './circuits.js';
import { fitMinMax, fitStandard, identityScaler, type Scaler } from './preprocessing.js';
import { LegacyRandomState } from './random-state.js';
import { type StudyTrainResult, trainStudyLoop } from './train-loop.js';

/** Rows as arrays or Float64Arrays. */
export type StudyRows = ReadonlyArray<ArrayLike<number>>;

export interface StudyClassifier {
  fit(x: StudyRows, y: readonly number[]): Promise<this>;
  /** N rows of [P(−1), P(+1)]. */
  predictProba(x: StudyRows): number[][];
  predict(x: StudyRows): number[];
  /** Accuracy. */
  score(x: StudyRows, y: readonly number[]): number;
}

export interface VariationalOptions {
  learningRate?: number;
  batchSize?: number;
  maxSteps?: number;
  convergenceInterval?: number;
  scaling?: number;
  randomState?: number;
  /** Accepted for parity with the study; chunking has no numerical effect here. */
  maxVmap?: number;
  /** Zero the gradient (a control for tests: the model must not learn). */
  freezeGradient?: boolean;
}

/** One term of an angle: param[p]·x[f], param[p] (f = −1), or x[f] (p = −1). */
interface Term {
  readonly p: number;
  readonly f: number;
}

/** What a model builds in `fit`. */
export interface Built {
  readonly circuit: BatchedCircuit;
  readonly observables: number[][];
  readonly params: Float64Array;
  /** Angle = Σ terms, per slot; a model with its own `fillAngles` may leave it empty. */
  readonly slots: Term[][];
}

export function checkLabels(x: StudyRows, y: readonly number[]): void {
  const issues = [];
  if (x.length === 0) issues.push({ field: 'x', message: 'must have at least one row', limit: 1 });
  if (x.length !== y.length) issues.push({ field: 'y', message: `must have ${x.length} labels`, limit: x.length });
  if (y.some((v) => v !== 1 && v !== -1)) issues.push({ field: 'y', message: 'labels must be −1 or +1' });
  else if (!y.includes(1) || !y.includes(-1)) issues.push({ field: 'y', message: 'needs both classes −1 and +1' });
  const d = x[0]?.length ?? 0;
  if (x.some((r) => r.length !== d || !Array.from(r).every(Number.isFinite)))
    issues.push({ field: 'x', message: `rows must be ${d} finite numbers`, limit: d });
  if (issues.length > 0) throw new ValidationError(issues, 'Invalid training data');
}

export const accuracy = (pred: readonly number[], y: readonly number[]): number =>
  pred.reduce((s, p, i) => s + (p === y[i] ? 1 : 0), 0) / y.length;

/** Shared fit/predict machinery; subclasses define the circuit, readout and loss. */
export abstract class StudyVariationalClassifier implements StudyClassifier {
  learningRate: number;
  batchSize: number;
  maxSteps: number;
  convergenceInterval: number;
  scaling: number;
  randomState: number;
  maxVmap: number | undefined;
  freezeGradient: boolean;
  /** Set by fit. */
  params: Float64Array | undefined;
  training: StudyTrainResult | undefined;
  fitSeconds = 0;
  protected built: Built | undefined;
  protected scaler: Scaler | undefined;
  protected numFeatures = 0;

  constructor(o: VariationalOptions, defaults: { learningRate: number; maxSteps?: number }) {
    this.learningRate = o.learningRate ?? defaults.learningRate;
    this.batchSize = o.batchSize ?? 32;
    this.maxSteps = o.maxSteps ?? defaults.maxSteps ?? 10_000;
    this.convergenceInterval = o.convergenceInterval ?? 200;
    this.scaling = o.scaling ?? 1;
    this.randomState = o.randomState ?? 42;
    this.maxVmap = o.maxVmap;
    this.freezeGradient = o.freezeGradient ?? false;
  }

  get converged(): boolean {
    return this.training?.converged ?? false;
  }

  protected abstract fitScaler(x: Float64Array[]): Scaler;
  protected abstract build(d: number, rng: LegacyRandomState): Built;
  /** Writes ∂ℓ/∂⟨O_j⟩ into `cot`, adds ∂ℓ/∂(readout params)·weight into `grad`, returns ℓ. */
  protected abstract readout(
    params: Float64Array,
    values: Float64Array,
    y: number,
    cot: Float64Array,
    grad: Float64Array,
    weight: number,
  ): number;
  /** P(+1) from the observables. */
  protected abstract probaPlus(params: Float64Array, values: Float64Array): number;

  /** Per-sample initial states (amplitude or IQP embeddings), computed once for a set of rows. */
  protected prepareStates(_x: Float64Array[]): StoredState[] | undefined {
    return undefined;
  }

  protected fillAngles(params: Float64Array, x: Float64Array, out: Float64Array, at: number): void {
    const slots = (this.built as Built).slots;
    for (let s = 0; s < slots.length; s++) {
      let a = 0;
      for (const t of slots[s] as Term[])
        a += (t.p < 0 ? 1 : (params[t.p] as number)) * (t.f < 0 ? 1 : (x[t.f] as number));
      out[at + s] = a;
    }
  }

  protected backprop(
    _params: Float64Array,
    x: Float64Array,
    ag: Float64Array,
    at: number,
    grad: Float64Array,
    weight: number,
  ): void {
    const slots = (this.built as Built).slots;
    for (let s = 0; s < slots.length; s++) {
      const g = (ag[at + s] as number) * weight;
      if (g === 0) continue;
      for (const t of slots[s] as Term[])
        if (t.p >= 0) grad[t.p] = (grad[t.p] as number) + g * (t.f < 0 ? 1 : (x[t.f] as number));
    }
  }

  /** Batch-mean loss and gradient over the rows `idx` of the transformed set. */
  lossAndGrad(
    params: Float64Array,
    xs: Float64Array[],
    ys: readonly number[],
    idx: ArrayLike<number>,
    grad: Float64Array,
    states?: StoredState[],
  ): number {
    const built = this.built as Built;
    const b = idx.length;
    const na = built.circuit.numAngles;
    const angles = new Float64Array(b * na);
    for (let i = 0; i < b; i++) this.fillAngles(params, xs[idx[i] as number] as Float64Array, angles, i * na);
    const w = 1 / b;
    let loss = 0;
    const r = built.circuit.valueAndGradient({
      batchSize: b,
      angles,
      observables: built.observables,
      prepare: states ? prepareFrom(states, idx) : undefined,
      cotangent: (i, values, cot) => {
        loss += this.readout(params, values, ys[idx[i] as number] as number, cot, grad, w) * w;
      },
    });
    for (let i = 0; i < b; i++)
      this.backprop(params, xs[idx[i] as number] as Float64Array, r.angleGradients, i * na, grad, w);
    return loss;
  }

  async fit(x: StudyRows, y: readonly number[]): Promise<this> {
    checkLabels(x, y);
    const t0 = performance.now();
    const raw = x.map((r) => Float64Array.from(r));
    this.numFeatures = (raw[0] as Float64Array).length;
    this.scaler = this.fitScaler(raw);
    const xs = raw.map((r) => (this.scaler as Scaler).transform(r));
    const rng = new LegacyRandomState(this.randomState);
    this.built = this.build(this.numFeatures, rng);
    const states = this.prepareStates(xs);
    this.training = trainStudyLoop({
      params: this.built.params,
      numSamples: xs.length,
      lossAndGrad: (p, batch, g) => this.lossAndGrad(p, xs, y, batch, g, states),
      learningRate: this.learningRate,
      batchSize: this.batchSize,
      maxSteps: this.maxSteps,
      convergenceInterval: this.convergenceInterval,
      random: rng,
      freezeGradient: this.freezeGradient,
    });
    this.params = this.training.params;
    this.fitSeconds = (performance.now() - t0) / 1000;
    return this;
  }

  /** Raw observables for rows (after the model's preprocessing), N × observables. */
  observe(x: StudyRows, params = this.params): Float64Array {
    const built = this.built;
    if (!built || !params || !this.scaler) throw new Error('fit the model first');
    const xs = x.map((r) => (this.scaler as Scaler).transform(Float64Array.from(r)));
    const na = built.circuit.numAngles;
    const angles = new Float64Array(xs.length * na);
    for (const [i, r] of xs.entries()) this.fillAngles(params, r, angles, i * na);
    const states = this.prepareStates(xs);
    return built.circuit.expectations({
      batchSize: xs.length,
      angles,
      observables: built.observables,
      prepare: states ? prepareFrom(states, Array.from(xs.keys())) : undefined,
    });
  }

  predictProba(x: StudyRows): number[][] {
    const v = this.observe(x);
    const k = (this.built as Built).observables.length;
    return x.map((_, i) => {
      const p = this.probaPlus(this.params as Float64Array, v.subarray(i * k, (i + 1) * k));
      return [1 - p, p];
    });
  }

  /** +1 iff P(+1) > P(−1); an exact tie goes to −1 (§2.3). */
  predict(x: StudyRows): number[] {
    return this.predictProba(x).map(([p0, p1]) => ((p1 as number) > (p0 as number) ? 1 : -1));
  }

  score(x: StudyRows, y: readonly number[]): number {
    return accuracy(this.predict(x), y);
  }
}

function prepareFrom(states: StoredState[], idx: ArrayLike<number>) {
  return (b: number, re: Float64Array, im: Float64Array) => {
    const s = states[idx[b] as number] as StoredState;
    re.set(s.re);
    im.set(s.im);
  };
}

const uniform = (rng: LegacyRandomState, n: number, scale = 1) =>
  Float64Array.from({ length: n }, () => scale * rng.randomSample());
const normal = (rng: LegacyRandomState, n: number, scale = 1) =>
  Float64Array.from({ length: n }, () => scale * rng.gauss());
const concat = (...parts: Float64Array[]) => {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

// ————————————————————————————————————————— DataReuploading (§4.1)

export interface DataReuploadingOptions extends VariationalOptions {
  nLayers?: number;
  observableType?: 'single' | 'half' | 'full';
}

export class DataReuploadingClassifier extends StudyVariationalClassifier {
  nLayers: number;
  observableType: 'single' | 'half' | 'full';
  private alphaAt = 0;

  constructor(o: DataReuploadingOptions = {}) {
    super(o, { learningRate: 0.05 });
    this.nLayers = o.nLayers ?? 4;
    this.observableType = o.observableType ?? 'single';
  }

  protected fitScaler(x: Float64Array[]): Scaler {
    return fitMinMax(x, -Math.PI / 2, Math.PI / 2, this.scaling);
  }

  /** Observed qubits w. */
  static observedQubits(n: number, type: 'single' | 'half' | 'full'): number {
    return type === 'single' ? 1 : type === 'full' ? n : Math.max(1, Math.floor(n / 2));
  }

  protected build(d: number, rng: LegacyRandomState): Built {
    const n = Math.ceil(d / 3);
    const L = this.nLayers;
    const w = DataReuploadingClassifier.observedQubits(n, this.observableType);
    // θ (n, L+1, 3) at 0; ω (L+1, 3n) after; α (2, w) last. fit initialises twice; the second draw trains.
    uniform(rng, n * (L + 1) * 3);
    uniform(rng, (L + 1) * 3 * n);
    const theta = uniform(rng, n * (L + 1) * 3);
    const omega = uniform(rng, (L + 1) * 3 * n);
    const omegaAt = theta.length;
    this.alphaAt = omegaAt + omega.length;
    const params = concat(theta, omega, new Float64Array(2 * w).fill(1));
    const th = (q: number, l: number, k: number) => (q * (L + 1) + l) * 3 + k;
    const om = (l: number, f: number) => omegaAt + l * 3 * n + f;
    const gates: BatchedGate[] = [];
    const slots: Term[][] = [];
    const alloc = new SlotAllocator();
    const enc = (l: number, q: number, k: number): Term[] =>
      3 * q + k < d ? [{ p: om(l, 3 * q + k), f: 3 * q + k }] : [];
    for (let l = 0; l < L; l++) {
      for (let q = 0; q < n; q++) {
        const e = rot(gates, q, alloc);
        e.forEach((s, k) => {
          slots[s] = enc(l, q, k);
        });
        const t = rot(gates, q, alloc);
        t.forEach((s, k) => {
          slots[s] = [{ p: th(q, l, k), f: -1 }];
        });
      }
      for (const [a, b] of pattern(l % 2 === 0 ? 'double' : 'double_odd', n)) gates.push({ gate: 'cz', wires: [a, b] });
    }
    for (let q = 0; q < n; q++) {
      rot(gates, q, alloc).forEach((s, k) => {
        slots[s] = [...enc(L, q, k), { p: th(q, L, k), f: -1 }];
      });
    }
    const observables = Array.from({ length: w }, (_, q) => [q]);
    return { circuit: new BatchedCircuit(n, gates), observables, params, slots };
  }

  protected readout(
    p: Float64Array,
    e: Float64Array,
    y: number,
    cot: Float64Array,
    grad: Float64Array,
    weight: number,
  ) {
    const w = e.length;
    const t0 = y === -1 ? 1 : 0;
    const t1 = 1 - t0;
    let loss = 0;
    for (let q = 0; q < w; q++) {
      const a0 = p[this.alphaAt + q] as number;
      const a1 = p[this.alphaAt + w + q] as number;
      const p1 = (1 - (e[q] as number)) / 2;
      const p0 = (1 + (e[q] as number)) / 2;
      const r0 = a0 * p1 - t0;
      const r1 = a1 * p0 - t1;
      loss += 0.5 * (r0 * r0 + r1 * r1);
      cot[q] = -0.5 * r0 * a0 + 0.5 * r1 * a1;
      grad[this.alphaAt + q] = (grad[this.alphaAt + q] as number) + weight * r0 * p1;
      grad[this.alphaAt + w + q] = (grad[this.alphaAt + w + q] as number) + weight * r1 * p0;
    }
    return loss;
  }

  protected probaPlus(_p: Float64Array, e: Float64Array): number {
    let m = 0;
    for (const v of e) m += v / e.length;
    return (1 + m) / 2;
  }
}

// ————————————————————————————————————————— IQPVariational (§4.3)

export interface IQPVariationalOptions extends VariationalOptions {
  repeats?: number;
  /** Which repeats of the embedding carry the ZZ entanglers; default 'first-repeat' (the study's). */
  iqpEntanglers?: IqpEntanglers;
  nLayers?: number;
}

/**
 * IQPEmbedding states of rows, each computed once: in closed form for one repeat
 * ({@link iqpClosedFormState}), on the gate list otherwise.
 */
export function iqpStates(
  xs: Float64Array[],
  repeats: number,
  entanglers: IqpEntanglers = 'first-repeat',
): StoredState[] {
  if (repeats === 1) return xs.map((x) => iqpClosedFormState(x));
  const n = (xs[0] as Float64Array).length;
  const circuit = new BatchedCircuit(n, iqpEmbeddingGates(n, repeats, entanglers), {
    numAngles: n + (n * (n - 1)) / 2,
  });
  const na = circuit.numAngles;
  const angles = new Float64Array(xs.length * na);
  for (const [i, x] of xs.entries()) iqpAngles(x, angles, i * na);
  const out: StoredState[] = [];
  circuit.states({ batchSize: xs.length, angles }, (_b, re, im) => {
    out.push({ re: re.slice(), im: im.slice() });
  });
  return out;
}

export class IQPVariationalClassifier extends StudyVariationalClassifier {
  repeats: number;
  iqpEntanglers: IqpEntanglers;
  nLayers: number;

  constructor(o: IQPVariationalOptions = {}) {
    super(o, { learningRate: 0.001 });
    this.repeats = o.repeats ?? 1;
    this.nLayers = o.nLayers ?? 10;
    this.iqpEntanglers = checkIqpEntanglers(o.iqpEntanglers ?? 'first-repeat');
  }

  protected fitScaler(x: Float64Array[]): Scaler {
    if ((x[0] as Float64Array).length < 2)
      throw new ValidationError(
        [{ field: 'x', message: 'needs at least 2 features', limit: 2 }],
        'IQPVariational needs d ≥ 2',
      );
    return fitMinMax(x, -Math.PI / 2, Math.PI / 2, this.scaling);
  }

  protected build(d: number, rng: LegacyRandomState): Built {
    const params = uniform(rng, this.nLayers * d * 3, 2 * Math.PI);
    const gates: BatchedGate[] = [];
    const w = stronglyEntanglingLayers(gates, this.nLayers, d, 'cz', new SlotAllocator());
    const slots = w.map((_, i) => [{ p: i, f: -1 }]);
    return { circuit: new BatchedCircuit(d, gates), observables: [[0, 1]], params, slots };
  }

  protected override prepareStates(x: Float64Array[]): StoredState[] {
    return iqpStates(x, this.repeats, this.iqpEntanglers);
  }

  protected override fillAngles(p: Float64Array, _x: Float64Array, out: Float64Array, at: number): void {
    out.set(p, at);
  }

  protected override backprop(
    _p: Float64Array,
    _x: Float64Array,
    ag: Float64Array,
    at: number,
    grad: Float64Array,
    w: number,
  ) {
    for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) + w * (ag[at + i] as number);
  }

  protected readout(_p: Float64Array, v: Float64Array, y: number, cot: Float64Array) {
    cot[0] = -y / 2;
    return (1 - y * (v[0] as number)) / 2;
  }

  protected probaPlus(_p: Float64Array, v: Float64Array): number {
    return (1 + (v[0] as number)) / 2;
  }
}

// ————————————————————————————————————————— DressedQuantumCircuit (§4.2)

export interface DressedOptions extends VariationalOptions {
  nLayers?: number;
}

export class DressedQuantumCircuitClassifier extends StudyVariationalClassifier {
  nLayers: number;

  constructor(o: DressedOptions = {}) {
    super(o, { learningRate: 0.001, maxSteps: 100_000 });
    this.nLayers = o.nLayers ?? 3;
  }

  protected fitScaler(x: Float64Array[]): Scaler {
    return fitStandard(x, this.scaling);
  }

  // Params: Θ (L, d) at 0; W_in (d, d) at L·d; W_out (2, d) after.
  protected build(d: number, rng: LegacyRandomState): Built {
    const L = this.nLayers;
    const theta = uniform(rng, L * d, 2 * Math.PI);
    const win = normal(rng, d * d, 1 / d);
    const wout = normal(rng, 2 * d, 1 / d);
    const gates: BatchedGate[] = [];
    for (let q = 0; q < d; q++) gates.push({ gate: 'h', wire: q }, { gate: 'ry', wire: q, angle: q });
    for (let l = 0; l < L; l++) {
      for (let q = 0; q < d; q++) gates.push({ gate: 'ry', wire: q, angle: d + l * d + q });
      for (const [c, t] of pattern('ring', d)) gates.push({ gate: 'cnot', control: c, target: t });
    }
    const observables = Array.from({ length: d }, (_, q) => [q]);
    return { circuit: new BatchedCircuit(d, gates), observables, params: concat(theta, win, wout), slots: [] };
  }

  protected override fillAngles(p: Float64Array, x: Float64Array, out: Float64Array, at: number): void {
    const d = x.length;
    const win = this.nLayers * d;
    for (let q = 0; q < d; q++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (p[win + q * d + j] as number) * (x[j] as number);
      out[at + q] = (Math.PI / 2) * Math.tanh(s);
    }
    for (let i = 0; i < win; i++) out[at + d + i] = p[i] as number;
  }

  protected override backprop(
    p: Float64Array,
    x: Float64Array,
    ag: Float64Array,
    at: number,
    grad: Float64Array,
    w: number,
  ) {
    const d = x.length;
    const win = this.nLayers * d;
    for (let i = 0; i < win; i++) grad[i] = (grad[i] as number) + w * (ag[at + d + i] as number);
    for (let q = 0; q < d; q++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (p[win + q * d + j] as number) * (x[j] as number);
      const th = Math.tanh(s);
      const g = w * (ag[at + q] as number) * (Math.PI / 2) * (1 - th * th);
      for (let j = 0; j < d; j++) grad[win + q * d + j] = (grad[win + q * d + j] as number) + g * (x[j] as number);
    }
  }

  private logits(p: Float64Array, z: Float64Array): [number, number] {
    const d = z.length;
    const at = this.nLayers * d + d * d;
    let o0 = 0;
    let o1 = 0;
    for (let j = 0; j < d; j++) {
      o0 += (p[at + j] as number) * (z[j] as number);
      o1 += (p[at + d + j] as number) * (z[j] as number);
    }
    return [o0, o1];
  }

  protected readout(
    p: Float64Array,
    z: Float64Array,
    y: number,
    cot: Float64Array,
    grad: Float64Array,
    weight: number,
  ) {
    const d = z.length;
    const at = this.nLayers * d + d * d;
    const [o0, o1] = this.logits(p, z);
    const m = Math.max(o0, o1);
    const lse = m + Math.log(Math.exp(o0 - m) + Math.exp(o1 - m));
    const e0 = Math.exp(o0 - lse) - (y === -1 ? 1 : 0);
    const e1 = Math.exp(o1 - lse) - (y === 1 ? 1 : 0);
    for (let j = 0; j < d; j++) {
      cot[j] = e0 * (p[at + j] as number) + e1 * (p[at + d + j] as number);
      grad[at + j] = (grad[at + j] as number) + weight * e0 * (z[j] as number);
      grad[at + d + j] = (grad[at + d + j] as number) + weight * e1 * (z[j] as number);
    }
    return lse - (y === 1 ? o1 : o0);
  }

  protected probaPlus(p: Float64Array, z: Float64Array): number {
    const [o0, o1] = this.logits(p, z);
    return 1 / (1 + Math.exp(o0 - o1));
  }
}

// ————————————————————————————————————————— amplitude-encoded models (§4.7, §4.8)

/** Pads x to `len` with `pad`, then divides by the Euclidean norm. */
export function padNormalise(x: Float64Array, len: number, pad: number): Float64Array {
  const out = new Float64Array(len).fill(pad);
  out.set(x);
  let s = 0;
  for (const v of out) s += v * v;
  const nrm = Math.sqrt(s) || 1;
  for (let i = 0; i < len; i++) out[i] = (out[i] as number) / nrm;
  return out;
}

function kron(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) out[i * b.length + j] = (a[i] as number) * (b[j] as number);
  return out;
}

/** f = ⟨Z_0⟩ + b with a trainable scalar b in the last parameter. */
abstract class BiasedZ0Classifier extends StudyVariationalClassifier {
  /** ½ for CircuitCentric, 1 for TreeTensor. */
  protected abstract readonly lossFactor: number;

  protected fitScaler(): Scaler {
    return identityScaler(this.scaling);
  }

  protected override fillAngles(p: Float64Array, _x: Float64Array, out: Float64Array, at: number): void {
    out.set(p.subarray(0, p.length - 1), at);
  }

  protected override backprop(
    _p: Float64Array,
    _x: Float64Array,
    ag: Float64Array,
    at: number,
    grad: Float64Array,
    w: number,
  ) {
    for (let i = 0; i < grad.length - 1; i++) grad[i] = (grad[i] as number) + w * (ag[at + i] as number);
  }

  protected readout(
    p: Float64Array,
    v: Float64Array,
    y: number,
    cot: Float64Array,
    grad: Float64Array,
    weight: number,
  ) {
    const bi = p.length - 1;
    const r = (v[0] as number) + (p[bi] as number) - y;
    cot[0] = 2 * this.lossFactor * r;
    grad[bi] = (grad[bi] as number) + weight * 2 * this.lossFactor * r;
    return this.lossFactor * r * r;
  }

  protected probaPlus(p: Float64Array, v: Float64Array): number {
    return (1 + (v[0] as number) + (p[p.length - 1] as number)) / 2;
  }
}

export interface CircuitCentricOptions extends VariationalOptions {
  nInputCopies?: number;
  nLayers?: number;
}

export class CircuitCentricClassifier extends BiasedZ0Classifier {
  nInputCopies: number;
  nLayers: number;
  protected readonly lossFactor = 0.5;

  constructor(o: CircuitCentricOptions = {}) {
    super(o, { learningRate: 0.001 });
    this.nInputCopies = o.nInputCopies ?? 2;
    this.nLayers = o.nLayers ?? 4;
  }

  static qubitsPerCopy(d: number): number {
    return Math.max(1, Math.ceil(Math.log2(d)));
  }

  protected build(d: number, rng: LegacyRandomState): Built {
    const n = this.nInputCopies * CircuitCentricClassifier.qubitsPerCopy(d);
    const w = uniform(rng, this.nLayers * n * 3, 2 * Math.PI);
    const gates: BatchedGate[] = [];
    stronglyEntanglingLayers(gates, this.nLayers, n, 'cnot', new SlotAllocator());
    const params = concat(w, Float64Array.of(0.01));
    return { circuit: new BatchedCircuit(n, gates, { numAngles: w.length }), observables: [[0]], params, slots: [] };
  }

  protected override prepareStates(x: Float64Array[]): StoredState[] {
    const m = CircuitCentricClassifier.qubitsPerCopy(this.numFeatures);
    return x.map((r) => {
      const one = padNormalise(r, 2 ** m, 1 / 2 ** m);
      let amp = one;
      for (let c = 1; c < this.nInputCopies; c++) amp = kron(amp, one);
      return { re: amp, im: new Float64Array(amp.length) };
    });
  }
}

export class TreeTensorClassifier extends BiasedZ0Classifier {
  protected readonly lossFactor = 1;

  constructor(o: VariationalOptions = {}) {
    super(o, { learningRate: 0.01 });
  }

  static qubits(d: number): number {
    if (d <= 2) return 1;
    return 2 ** Math.ceil(Math.log2(Math.ceil(Math.log2(d))));
  }

  protected build(d: number, rng: LegacyRandomState): Built {
    const n = TreeTensorClassifier.qubits(d);
    const w = uniform(rng, 2 * n - 1, 2 * Math.PI);
    const b = normal(rng, 1, 0.1);
    const gates: BatchedGate[] = [];
    const alloc = new SlotAllocator();
    for (let l = 0; 2 ** l < n; l++) {
      const s = 2 ** l;
      for (let q = 0; q < n; q += s) gates.push({ gate: 'ry', wire: q, angle: alloc.take() });
      for (let i = 0; i < n; i += 2 * s) gates.push({ gate: 'cnot', control: i + s, target: i });
    }
    gates.push({ gate: 'ry', wire: 0, angle: alloc.take() });
    return { circuit: new BatchedCircuit(n, gates), observables: [[0]], params: concat(w, b), slots: [] };
  }

  protected override prepareStates(x: Float64Array[]): StoredState[] {
    const n = TreeTensorClassifier.qubits(this.numFeatures);
    return x.map((r) => {
      const amp = padNormalise(r, 2 ** n, 1 / 2 ** n);
      return { re: amp, im: new Float64Array(amp.length) };
    });
  }
}

// ————————————————————————————————————————— SeparableVariational (§4.9)

export interface SeparableVariationalOptions extends VariationalOptions {
  encodingLayers?: number;
}

/**
 * d independent qubits: one-qubit circuit, batched over (sample, qubit) pairs. The loss couples
 * the qubits through f = mean_q ⟨Z_q⟩, so values come first, then one gradient sweep.
 */
export class SeparableVariationalClassifier extends StudyVariationalClassifier {
  encodingLayers: number;

  constructor(o: SeparableVariationalOptions = {}) {
    super(o, { learningRate: 0.001 });
    this.encodingLayers = o.encodingLayers ?? 1;
  }

  protected fitScaler(x: Float64Array[]): Scaler {
    return fitMinMax(x, -Math.PI / 2, Math.PI / 2, this.scaling);
  }

  // Slots per qubit circuit: for ℓ < L: Rot (3), RY(x) (1); final Rot (3). W[q, ℓ, k] at (q(L+1)+ℓ)·3+k.
  protected build(d: number, rng: LegacyRandomState): Built {
    const L = this.encodingLayers;
    const gates: BatchedGate[] = [];
    const alloc = new SlotAllocator();
    for (let l = 0; l < L; l++) {
      rot(gates, 0, alloc);
      gates.push({ gate: 'ry', wire: 0, angle: alloc.take() });
    }
    rot(gates, 0, alloc);
    return {
      circuit: new BatchedCircuit(1, gates),
      observables: [[0]],
      params: uniform(rng, d * (L + 1) * 3, 2 * Math.PI),
      slots: [],
    };
  }

  private angles(p: Float64Array, xs: Float64Array[], idx: ArrayLike<number>): Float64Array {
    const L = this.encodingLayers;
    const d = this.numFeatures;
    const na = 4 * L + 3;
    const out = new Float64Array(idx.length * d * na);
    for (let i = 0; i < idx.length; i++) {
      const x = xs[idx[i] as number] as Float64Array;
      for (let q = 0; q < d; q++) {
        let at = (i * d + q) * na;
        for (let l = 0; l <= L; l++) {
          for (let k = 0; k < 3; k++) out[at++] = p[(q * (L + 1) + l) * 3 + k] as number;
          if (l < L) out[at++] = x[q] as number;
        }
      }
    }
    return out;
  }

  override lossAndGrad(
    p: Float64Array,
    xs: Float64Array[],
    ys: readonly number[],
    idx: ArrayLike<number>,
    grad: Float64Array,
  ): number {
    const { circuit } = this.built as Built;
    const d = this.numFeatures;
    const L = this.encodingLayers;
    const b = idx.length;
    const angles = this.angles(p, xs, idx);
    const e = circuit.expectations({ batchSize: b * d, angles, observables: [[0]] });
    const dfs = new Float64Array(b);
    let loss = 0;
    for (let i = 0; i < b; i++) {
      let f = 0;
      for (let q = 0; q < d; q++) f += (e[i * d + q] as number) / d;
      const t = ys[idx[i] as number] === 1 ? 1 : 0;
      const z = 6 * f;
      // softplus(z) − t z, stable
      loss += (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z) / b;
      dfs[i] = (6 * (1 / (1 + Math.exp(-z)) - t)) / d / b;
    }
    const r = circuit.valueAndGradient({
      batchSize: b * d,
      angles,
      observables: [[0]],
      cotangent: (j, _v, cot) => {
        cot[0] = dfs[Math.floor(j / d)] as number;
      },
    });
    const na = 4 * L + 3;
    for (let j = 0; j < b * d; j++) {
      const q = j % d;
      let at = j * na;
      for (let l = 0; l <= L; l++) {
        for (let k = 0; k < 3; k++) {
          const pi = (q * (L + 1) + l) * 3 + k;
          grad[pi] = (grad[pi] as number) + (r.angleGradients[at++] as number);
        }
        if (l < L) at++;
      }
    }
    return loss;
  }

  override observe(x: StudyRows, params = this.params): Float64Array {
    if (!this.built || !params || !this.scaler) throw new Error('fit the model first');
    const xs = x.map((r) => (this.scaler as Scaler).transform(Float64Array.from(r)));
    const d = this.numFeatures;
    const e = this.built.circuit.expectations({
      batchSize: xs.length * d,
      angles: this.angles(params, xs, Array.from(xs.keys())),
      observables: [[0]],
    });
    return Float64Array.from(xs, (_, i) => {
      let f = 0;
      for (let q = 0; q < d; q++) f += (e[i * d + q] as number) / d;
      return f;
    });
  }

  override predictProba(x: StudyRows): number[][] {
    return Array.from(this.observe(x), (f) => [(1 - f) / 2, (1 + f) / 2]);
  }

  protected readout(): number {
    throw new Error('unused');
  }

  protected probaPlus(): number {
    throw new Error('unused');
  }
}
