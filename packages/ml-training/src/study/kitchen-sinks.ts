/**
 * QuantumKitchenSinks (Wilson et al. 2018; the study's version, MODELS.md §4.6): inputs scaled to
 * [−1, 1]·scaling, E random episodes θ_e = Ω_e x + β_e, each the circuit RX(θ_q) on every qubit,
 * CNOTs in the `double` pattern, then CNOT(q, q+2), measured with one shot; the bits of all episodes
 * (episode-major) feed an unregularised logistic regression.
 *
 * The one shot follows the study's code (§1.9): its device reuses one PRNG key for every circuit,
 * so each outcome is the first basis index k (wire 0 = most significant bit) with
 * cumsum(p)[k] ≥ (1 − u)·Σp for one uniform u drawn per fit. The features are thus a deterministic
 * function of the input and the fitted model, applied alike to training and test data.
 *
 * All E × N circuits of a call run through {@link BatchedCircuit} (one compiled circuit, one call
 * per input row over its E episodes).
 */
import { ValidationError } from '@q-store/core';
import { BatchedCircuit, type BatchedGate } from '@q-store/quantum-sim';
import { pattern } from './circuits.js';
import { BinaryLogisticRegression } from './lbfgs.js';
import { fitMinMax, type Scaler } from './preprocessing.js';
import { LegacyRandomState } from './random-state.js';
import { accuracy, checkLabels, type StudyClassifier, type StudyRows } from './variational.js';

export interface KitchenSinksOptions {
  /** Episodes E (default 100). */
  nEpisodes?: number;
  /** Qubits: 'full' = d, 'half' = ⌈d/2⌉, or a positive integer (default 'full'). */
  nQfeatures?: 'full' | 'half' | number;
  /** Variance of Ω's entries (default 1). */
  var?: number;
  /** Multiplies the features after MinMax to [−1, 1] (default 1). */
  scaling?: number;
  randomState?: number;
  /** Accepted for parity with the study; no numerical meaning. */
  maxVmap?: number;
  /**
   * 'shared-u' (default): the study's code as described (one u per fit for every circuit, so the
   * features are deterministic). 'per-circuit': a fresh u for every circuit evaluation, as a real
   * one-shot device gives (features then differ between calls, training rows included).
   */
  sampling?: 'shared-u' | 'per-circuit';
}

function positiveInteger(field: string, v: unknown, fallback: number): number {
  const n = v ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new ValidationError([{ field, message: 'must be a positive integer', limit: 1 }], `Invalid ${field}`);
  return n;
}

export class QuantumKitchenSinks implements StudyClassifier {
  readonly nEpisodes: number;
  readonly nQfeatures: 'full' | 'half' | number;
  readonly var: number;
  readonly scaling: number;
  readonly randomState: number;
  readonly maxVmap: number | undefined;
  readonly sampling: 'shared-u' | 'per-circuit';
  /** Set by fit: Ω (E × n × d, row-major), β (E × n), the shot's uniform u, the qubit count. */
  omega = new Float64Array(0);
  beta = new Float64Array(0);
  u = 0;
  numQubits = 0;
  fitSeconds = 0;
  private scaler: Scaler | undefined;
  private circuit: BatchedCircuit | undefined;
  private d = 0;
  private lr: BinaryLogisticRegression | undefined;
  /** The stream after the fit's draws; 'per-circuit' sampling continues it. */
  private shots: LegacyRandomState | undefined;

  constructor(o: KitchenSinksOptions = {}) {
    this.nEpisodes = positiveInteger('nEpisodes', o.nEpisodes, 100);
    const q = o.nQfeatures ?? 'full';
    if (q !== 'full' && q !== 'half' && !(typeof q === 'number' && Number.isInteger(q) && q >= 1))
      throw new ValidationError(
        [{ field: 'nQfeatures', message: "must be 'full', 'half' or a positive integer" }],
        'Invalid nQfeatures',
      );
    this.nQfeatures = q;
    const v = o.var ?? 1;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ValidationError([{ field: 'var', message: 'must be a finite number ≥ 0', limit: 0 }], 'Invalid var');
    this.var = v;
    const s = o.scaling ?? 1;
    if (typeof s !== 'number' || !Number.isFinite(s))
      throw new ValidationError([{ field: 'scaling', message: 'must be a finite number' }], 'Invalid scaling');
    this.scaling = s;
    this.randomState = o.randomState ?? 42;
    this.maxVmap = o.maxVmap;
    const sm = o.sampling ?? 'shared-u';
    if (sm !== 'shared-u' && sm !== 'per-circuit')
      throw new ValidationError(
        [{ field: 'sampling', message: "must be 'shared-u' or 'per-circuit'" }],
        'Invalid sampling',
      );
    this.sampling = sm;
  }

  /** Qubits for d features. */
  qubitsFor(d: number): number {
    return this.nQfeatures === 'full' ? d : this.nQfeatures === 'half' ? Math.ceil(d / 2) : this.nQfeatures;
  }

  /** RX(slot q) on every wire q, CNOT on the `double` pairs, then CNOT(q, q+2) for q = 0…n−3. */
  static circuit(n: number): BatchedCircuit {
    const gates: BatchedGate[] = [];
    for (let q = 0; q < n; q++) gates.push({ gate: 'rx', wire: q, angle: q });
    for (const [c, t] of pattern('double', n)) gates.push({ gate: 'cnot', control: c, target: t });
    for (let q = 0; q + 2 < n; q++) gates.push({ gate: 'cnot', control: q, target: q + 2 });
    return new BatchedCircuit(n, gates, { numAngles: n });
  }

  async fit(x: StudyRows, y: readonly number[]): Promise<this> {
    checkLabels(x, y);
    const t0 = performance.now();
    const raw = x.map((r) => Float64Array.from(r));
    this.d = (raw[0] as Float64Array).length;
    const n = this.qubitsFor(this.d);
    if (n > 20)
      throw new ValidationError(
        [{ field: 'nQfeatures', message: 'gives more than 20 qubits', limit: 20 }],
        'Too many qubits for QuantumKitchenSinks',
      );
    this.numQubits = n;
    this.scaler = fitMinMax(raw, -1, 1, this.scaling);
    // RNG order (§4.6): the logistic regression's random_state, the device key (→ u), Ω, β.
    const rng = new LegacyRandomState(this.randomState);
    rng.randomSample();
    this.u = rng.randomSample();
    const E = this.nEpisodes;
    const sd = Math.sqrt(this.var);
    this.omega = Float64Array.from({ length: E * n * this.d }, () => sd * rng.gauss());
    this.beta = Float64Array.from({ length: E * n }, () => 2 * Math.PI * rng.randomSample());
    this.shots = rng;
    this.circuit = QuantumKitchenSinks.circuit(n);
    const features = this.featureMatrix(raw);
    this.lr = new BinaryLogisticRegression({ maxIter: 100, gtol: 1e-3 }).fit(features, E * n, y);
    this.fitSeconds = (performance.now() - t0) / 1000;
    return this;
  }

  /** The bit features of rows (N × E·n, row-major, episode-major within a row). */
  private featureMatrix(raw: Float64Array[]): Float64Array {
    const circuit = this.circuit;
    const scaler = this.scaler;
    if (!circuit || !scaler) throw new Error('fit the model first');
    const E = this.nEpisodes;
    const n = this.numQubits;
    const d = this.d;
    const width = E * n;
    const out = new Float64Array(raw.length * width);
    const angles = new Float64Array(E * n);
    const shots = this.sampling === 'per-circuit' ? this.shots : undefined;
    const shared = 1 - this.u;
    for (const [i, r] of raw.entries()) {
      if (r.length !== d || !r.every(Number.isFinite))
        throw new ValidationError(
          [{ field: 'x', message: `rows must be ${d} finite numbers`, limit: d }],
          'Invalid rows',
        );
      const xs = scaler.transform(r);
      for (let e = 0; e < E; e++)
        for (let q = 0; q < n; q++) {
          let a = this.beta[e * n + q] as number;
          const w = (e * n + q) * d;
          for (let j = 0; j < d; j++) a += (this.omega[w + j] as number) * (xs[j] as number);
          angles[e * n + q] = a;
        }
      circuit.states({ batchSize: E, angles }, (e, re, im) => {
        let total = 0;
        for (let k = 0; k < re.length; k++) total += (re[k] as number) ** 2 + (im[k] as number) ** 2;
        const cut = (shots ? 1 - shots.randomSample() : shared) * total;
        let k = 0;
        let cum = 0;
        for (; k < re.length - 1; k++) {
          cum += (re[k] as number) ** 2 + (im[k] as number) ** 2;
          if (cum >= cut) break;
        }
        const at = i * width + e * n;
        for (let q = 0; q < n; q++) out[at + q] = (k >> (n - 1 - q)) & 1;
      });
    }
    return out;
  }

  /** One row of bits per input (length nEpisodes × qubits), as the logistic regression sees them. */
  featureMap(x: StudyRows): Float64Array[] {
    const w = this.nEpisodes * this.numQubits;
    const m = this.featureMatrix(x.map((r) => Float64Array.from(r)));
    return x.map((_, i) => m.slice(i * w, (i + 1) * w));
  }

  /** The logistic regression's decision function w·φ(x) + b. */
  decision(x: StudyRows): Float64Array {
    if (!this.lr) throw new Error('fit the model first');
    return this.lr.decision(this.featureMatrix(x.map((r) => Float64Array.from(r))), this.nEpisodes * this.numQubits);
  }

  /** The logistic regression's [P(−1), P(+1)] passed through a softmax over the two entries (§4.6). */
  predictProba(x: StudyRows): number[][] {
    return Array.from(this.decision(x), (z) => {
      const p1 = 1 / (1 + Math.exp(-z));
      const plus = 1 / (1 + Math.exp(1 - 2 * p1));
      return [1 - plus, plus];
    });
  }

  /** +1 iff the decision function is > 0 (= argmax of predictProba, a tie to −1). */
  predict(x: StudyRows): number[] {
    return Array.from(this.decision(x), (z) => (z > 0 ? 1 : -1));
  }

  score(x: StudyRows, y: readonly number[]): number {
    return accuracy(this.predict(x), y);
  }
}
