/**
 * The study's kernel models (MODELS.md §4.4, 4.5, 4.10) and its SVC baseline (§4.11), on an SVC
 * with a precomputed kernel (libsvm compiled to WebAssembly, `libsvm-js`). Each model computes
 * every input's state (or projected features) once on {@link BatchedCircuit} and fills the Gram
 * matrix from overlaps — fidelity |⟨ψ_b|ψ_a⟩|², products of one-qubit fidelities, or one-qubit
 * reduced expectations — never one circuit per pair.
 */
import { createRequire } from 'node:module';
import { ValidationError } from '@q-store/core';
import { BatchedCircuit, type BatchedGate } from '@q-store/quantum-sim';
import {
  checkIqpEntanglers,
  type IqpEntanglers,
  oneQubitExpectations,
  rot,
  SlotAllocator,
  type StoredState,
} from './circuits.js';
import { fitMinMax, type Scaler } from './preprocessing.js';
import { LegacyRandomState } from './random-state.js';
import { accuracy, checkLabels, iqpStates, type StudyClassifier, type StudyRows } from './variational.js';

/** The part of libsvm-js's `SVM` class used here (the package ships no types). */
interface Svm {
  train(samples: ArrayLike<number>[], labels: number[]): void;
  predict(samples: ArrayLike<number>[]): number[];
  predictProbability(
    samples: ArrayLike<number>[],
  ): Array<{ prediction: number; estimates: Array<{ label: number; probability: number }> }>;
  free(): void;
}
interface SvmClass {
  new (options: Record<string, unknown>): Svm;
  SVM_TYPES: { C_SVC: string };
  KERNEL_TYPES: { RBF: string; PRECOMPUTED: string };
}
let svmLoad: Promise<SvmClass> | undefined;

/** Loads libsvm's WebAssembly build once (its streaming-compile fallback notice is silenced). */
export function loadLibsvm(): Promise<SvmClass> {
  if (!svmLoad) {
    const warn = console.warn;
    const error = console.error;
    console.warn = () => {};
    console.error = () => {};
    const req = createRequire(import.meta.url);
    svmLoad = (req('libsvm-js/wasm') as Promise<SvmClass>).finally(() => {
      console.warn = warn;
      console.error = error;
    });
  }
  return svmLoad;
}

/** scikit-learn-style C-SVC on a precomputed Gram matrix (rows: samples, columns: training samples). */
export class PrecomputedSvc {
  private svm: Svm | undefined;
  constructor(
    readonly c: number,
    readonly probability = true,
  ) {
    if (!(c > 0)) throw new ValidationError([{ field: 'c', message: 'must be > 0', limit: 0 }], 'Invalid SVC C');
  }

  async fit(gram: Float64Array[], y: readonly number[]): Promise<this> {
    const SVM = await loadLibsvm();
    this.svm?.free();
    this.svm = new SVM({
      type: SVM.SVM_TYPES.C_SVC,
      kernel: SVM.KERNEL_TYPES.PRECOMPUTED,
      cost: this.c,
      tolerance: 1e-3,
      shrinking: true,
      probabilityEstimates: this.probability,
      quiet: true,
    });
    // libsvm's precomputed format: element 0 is the sample's 1-based serial number.
    this.svm.train(
      gram.map((r, i) => [i + 1, ...r]),
      [...y],
    );
    return this;
  }

  private rows(gram: Float64Array[]) {
    if (!this.svm) throw new Error('fit the SVC first');
    return gram.map((r) => [0, ...r]);
  }

  predict(gram: Float64Array[]): number[] {
    return (this.svm as Svm).predict(this.rows(gram));
  }

  predictProba(gram: Float64Array[]): number[][] {
    if (!this.probability) throw new Error('the SVC was fitted without probability estimates');
    return (this.svm as Svm).predictProbability(this.rows(gram)).map((p) => {
      const plus = p.estimates.find((e) => e.label === 1)?.probability ?? 0;
      return [1 - plus, plus];
    });
  }
}

export interface KernelOptions {
  /** SVC regularisation C. */
  c?: number;
  scaling?: number;
  randomState?: number;
  maxVmap?: number;
}

/** Fit/predict around a Gram matrix; subclasses define the per-input representation and the kernel. */
export abstract class StudyKernelClassifier<R> implements StudyClassifier {
  c: number;
  scaling: number;
  randomState: number;
  maxVmap: number | undefined;
  fitSeconds = 0;
  protected svc: PrecomputedSvc | undefined;
  protected scaler: Scaler | undefined;
  protected trainReps: R | undefined;
  /** The training rows `fit` saw and their Gram matrix, reused when `score`/`predict` get the same array. */
  private fitRows: StudyRows | undefined;
  private trainGram: Float64Array[] | undefined;
  protected rng = new LegacyRandomState(42);

  constructor(o: KernelOptions) {
    this.c = o.c ?? 1;
    this.scaling = o.scaling ?? 1;
    this.randomState = o.randomState ?? 42;
    this.maxVmap = o.maxVmap;
  }

  protected fitScaler(x: Float64Array[]): Scaler {
    return fitMinMax(x, -Math.PI / 2, Math.PI / 2, this.scaling);
  }
  /** Called once per fit, after the SVC's seed draw, for model-level random draws. */
  protected setup(_d: number): void {}
  protected abstract represent(x: Float64Array[]): R;
  /** K[i][j] = k(a_i, b_j). */
  protected abstract kernel(a: R, b: R): Float64Array[];

  async fit(x: StudyRows, y: readonly number[]): Promise<this> {
    checkLabels(x, y);
    const t0 = performance.now();
    const raw = x.map((r) => Float64Array.from(r));
    this.rng = new LegacyRandomState(this.randomState);
    this.rng.randomSample(); // the SVC's random_state draw (only Platt scaling depends on it)
    this.scaler = this.fitScaler(raw);
    this.trainReps = undefined;
    this.setup((raw[0] as Float64Array).length);
    this.trainReps = this.represent(raw.map((r) => (this.scaler as Scaler).transform(r)));
    this.fitRows = x;
    this.trainGram = this.kernel(this.trainReps, this.trainReps);
    this.svc = await new PrecomputedSvc(this.c).fit(this.trainGram, y);
    this.fitSeconds = (performance.now() - t0) / 1000;
    return this;
  }

  /**
   * The kernel between rows and the training set. Given the very array `fit` was called with, it
   * returns the Gram matrix `fit` computed (the kernel is deterministic, so this is the same
   * matrix) instead of recomputing every state and overlap.
   */
  gramAgainstTraining(x: StudyRows): Float64Array[] {
    if (!this.scaler || !this.trainReps) throw new Error('fit the model first');
    if (x === this.fitRows && this.trainGram) return this.trainGram;
    return this.kernel(
      this.represent(x.map((r) => (this.scaler as Scaler).transform(Float64Array.from(r)))),
      this.trainReps,
    );
  }

  predict(x: StudyRows): number[] {
    return (this.svc as PrecomputedSvc).predict(this.gramAgainstTraining(x));
  }

  predictProba(x: StudyRows): number[][] {
    return (this.svc as PrecomputedSvc).predictProba(this.gramAgainstTraining(x));
  }

  score(x: StudyRows, y: readonly number[]): number {
    return accuracy(this.predict(x), y);
  }
}

/**
 * |⟨ψ_b|ψ_a⟩|² for every pair from stored states. When `b` is `a` (the training Gram matrix) each
 * unordered pair is computed once and mirrored (the overlap's real part is the same and its
 * imaginary part flips sign exactly, so the matrix equals the all-pairs one bit for bit).
 */
export function fidelityGram(a: StoredState[], b: StoredState[]): Float64Array[] {
  const same = a === b;
  const out = a.map(() => new Float64Array(b.length));
  for (let p = 0; p < a.length; p++) {
    const sa = a[p] as StoredState;
    const row = out[p] as Float64Array;
    for (let q = same ? p : 0; q < b.length; q++) {
      const sb = b[q] as StoredState;
      let r = 0;
      let i = 0;
      for (let k = 0; k < sa.re.length; k++) {
        const ar = sa.re[k] as number;
        const ai = sa.im[k] as number;
        const br = sb.re[k] as number;
        const bi = sb.im[k] as number;
        r += br * ar + bi * ai;
        i += br * ai - bi * ar;
      }
      row[q] = r * r + i * i;
      if (same) (out[q] as Float64Array)[p] = row[q] as number;
    }
  }
  return out;
}

// ————————————————————————————————————————— IQPKernel (§4.4)

export interface IQPKernelOptions extends KernelOptions {
  repeats?: number;
  /** Which repeats of the embedding carry the ZZ entanglers; default 'first-repeat' (the study's). */
  iqpEntanglers?: IqpEntanglers;
}

export class IQPKernelClassifier extends StudyKernelClassifier<StoredState[]> {
  repeats: number;
  iqpEntanglers: IqpEntanglers;
  constructor(o: IQPKernelOptions = {}) {
    super(o);
    this.repeats = o.repeats ?? 2;
    this.iqpEntanglers = checkIqpEntanglers(o.iqpEntanglers ?? 'first-repeat');
  }
  protected represent(x: Float64Array[]): StoredState[] {
    return iqpStates(x, this.repeats, this.iqpEntanglers);
  }
  protected kernel(a: StoredState[], b: StoredState[]): Float64Array[] {
    return fidelityGram(a, b);
  }
}

// ————————————————————————————————————————— ProjectedQuantumKernel (§4.5)

export interface ProjectedKernelOptions extends KernelOptions {
  gammaFactor?: number;
  /** The study's `t`. */
  evolutionTime?: number;
  trotterSteps?: number;
}

export class ProjectedQuantumKernel extends StudyKernelClassifier<Float64Array[]> {
  gammaFactor: number;
  evolutionTime: number;
  trotterSteps: number;
  private rotations = new Float64Array(0);
  private circuit: BatchedCircuit | undefined;
  private d = 0;

  constructor(o: ProjectedKernelOptions = {}) {
    super(o);
    this.gammaFactor = o.gammaFactor ?? 1;
    this.evolutionTime = o.evolutionTime ?? 1 / 3;
    this.trotterSteps = o.trotterSteps ?? 5;
  }

  /** The Hamiltonian-evolution circuit on d + 1 qubits: slots 0..3n−1 = R, then τ·x_j per gate. */
  static circuit(d: number, trotterSteps: number): BatchedCircuit {
    const n = d + 1;
    const gates: BatchedGate[] = [];
    const alloc = new SlotAllocator();
    for (let q = 0; q < n; q++) rot(gates, q, alloc);
    for (let s = 0; s < trotterSteps; s++)
      for (let j = 0; j < d; j++)
        for (const g of ['xx', 'yy', 'zz'] as const) gates.push({ gate: g, wires: [j, j + 1], angle: 3 * n + j });
    return new BatchedCircuit(n, gates, { numAngles: 3 * n + d });
  }

  protected override setup(d: number): void {
    this.d = d;
    this.rotations = Float64Array.from({ length: 3 * (d + 1) }, () => 2 * Math.PI * this.rng.randomSample());
    this.circuit = ProjectedQuantumKernel.circuit(d, this.trotterSteps);
  }

  /** ⟨X_q⟩, ⟨Y_q⟩, ⟨Z_q⟩ of every qubit, per input. */
  protected represent(x: Float64Array[]): Float64Array[] {
    const c = this.circuit as BatchedCircuit;
    const n = this.d + 1;
    const tau = (this.evolutionTime * this.d) / this.trotterSteps;
    const na = c.numAngles;
    const angles = new Float64Array(x.length * na);
    for (const [i, r] of x.entries()) {
      angles.set(this.rotations, i * na);
      for (let j = 0; j < this.d; j++) angles[i * na + 3 * n + j] = tau * (r[j] as number);
    }
    const out: Float64Array[] = [];
    c.states({ batchSize: x.length, angles }, (_b, re, im) => {
      const e = new Float64Array(3 * n);
      oneQubitExpectations(re, im, n, e, 0);
      out.push(e);
    });
    return out;
  }

  /** γ = gammaFactor / (d · Var(all of a's features)), from the first argument as the study does. */
  protected kernel(a: Float64Array[], b: Float64Array[]): Float64Array[] {
    let s = 0;
    let s2 = 0;
    let cnt = 0;
    for (const r of a)
      for (const v of r) {
        s += v;
        s2 += v * v;
        cnt++;
      }
    const mean = s / cnt;
    const gamma = this.gammaFactor / (this.d * (s2 / cnt - mean * mean));
    return a.map((ra) =>
      Float64Array.from(b, (rb) => {
        let d2 = 0;
        for (let k = 0; k < ra.length; k++) d2 += ((ra[k] as number) - (rb[k] as number)) ** 2;
        return Math.exp(-gamma * d2);
      }),
    );
  }
}

// ————————————————————————————————————————— SeparableKernel (§4.10)

export interface SeparableKernelOptions extends KernelOptions {
  encodingLayers?: number;
}

/** Per input, d one-qubit states [RY(−s)·RX(−π/4)]^L |0⟩. */
export class SeparableKernelClassifier extends StudyKernelClassifier<StoredState[][]> {
  encodingLayers: number;
  constructor(o: SeparableKernelOptions = {}) {
    super(o);
    this.encodingLayers = o.encodingLayers ?? 1;
  }

  protected represent(x: Float64Array[]): StoredState[][] {
    const L = this.encodingLayers;
    const gates: BatchedGate[] = [];
    for (let l = 0; l < L; l++) gates.push({ gate: 'rx', wire: 0, angle: 0 }, { gate: 'ry', wire: 0, angle: 1 });
    const c = new BatchedCircuit(1, gates);
    const d = (x[0] as Float64Array).length;
    const angles = new Float64Array(x.length * d * 2);
    for (const [i, r] of x.entries())
      for (let q = 0; q < d; q++) {
        angles[(i * d + q) * 2] = -Math.PI / 4;
        angles[(i * d + q) * 2 + 1] = -(r[q] as number);
      }
    const out: StoredState[][] = x.map(() => []);
    c.states({ batchSize: x.length * d, angles }, (b, re, im) => {
      (out[Math.floor(b / d)] as StoredState[]).push({ re: re.slice(), im: im.slice() });
    });
    return out;
  }

  protected kernel(a: StoredState[][], b: StoredState[][]): Float64Array[] {
    return a.map((qa) =>
      Float64Array.from(b, (qb) => {
        let k = 1;
        for (let q = 0; q < qa.length; q++)
          k *= (fidelityGram([qa[q] as StoredState], [qb[q] as StoredState])[0] as Float64Array)[0] as number;
        return k;
      }),
    );
  }
}

// ————————————————————————————————————————— SVC (RBF) baseline (§4.11)

export interface SvcOptions {
  c?: number;
  /** RBF γ; scikit-learn's default 'scale' = 1/(d·Var(X)) when omitted. */
  gamma?: number;
}

/** scikit-learn's SVC(kernel='rbf') on the raw features, through the same libsvm. */
export class SVC extends StudyKernelClassifier<Float64Array[]> {
  gamma: number | undefined;
  private g = 1;
  constructor(o: SvcOptions = {}) {
    super({ c: o.c });
    this.gamma = o.gamma;
  }
  protected override fitScaler(): Scaler {
    return { transform: (r) => r };
  }
  protected represent(x: Float64Array[]): Float64Array[] {
    if (this.gamma === undefined && !this.trainReps) {
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (const r of x)
        for (const v of r) {
          s += v;
          s2 += v * v;
          n++;
        }
      const v = s2 / n - (s / n) ** 2;
      this.g = 1 / ((x[0] as Float64Array).length * (v || 1));
    } else if (this.gamma !== undefined) this.g = this.gamma;
    return x;
  }
  protected kernel(a: Float64Array[], b: Float64Array[]): Float64Array[] {
    return a.map((ra) =>
      Float64Array.from(b, (rb) => {
        let d2 = 0;
        for (let k = 0; k < ra.length; k++) d2 += ((ra[k] as number) - (rb[k] as number)) ** 2;
        return Math.exp(-this.g * d2);
      }),
    );
  }
}
