import {
  type CircuitJson,
  createRng,
  type Label,
  type Observable,
  type ParameterBinding,
  type QuantumBackend,
  type Rng,
  ValidationError,
} from '@q-store/core';
import { IssueCollector, throwIfAborted } from '@q-store/core/backend';
import { type Ansatz, hardwareEfficientAnsatz } from './ansatz.js';
import type { FeatureEncoding } from './encoding.js';
import { expectationGradient, expectationValues, type GradientMethod } from './gradients.js';
import { argmax, crossEntropy, softmax } from './metrics.js';

export interface VariationalClassifierOptions {
  /** How a feature vector enters the circuit (`angleEncoding`, `amplitudeEncoding`). */
  encoding: FeatureEncoding;
  /** Ansatz layers L. */
  layers: number;
  numClasses: number;
  backend: QuantumBackend;
  /** Circuit width; default and minimum: the encoding's qubits (and the readout qubits). */
  numQubits?: number;
  /** The label of each class index (default 0 … numClasses−1); labels map to classes in this order. */
  labels?: readonly Label[];
  /** Initial readout scale s (default 3). */
  readoutScale?: number;
  /** Whether s is trained (default true). */
  trainableScale?: boolean;
  /** Whether each logit has a trained bias b (default true). */
  bias?: boolean;
  /** Shots per estimate; omit for exact estimates on a backend that has them. */
  shots?: number;
}

export interface PredictParams {
  parameters: Float64Array;
  features: ReadonlyArray<ArrayLike<number>>;
  /** Base seed of shot-based estimates (sample i uses seed + i). */
  seed?: number;
  signal?: AbortSignal;
}

export interface Prediction {
  classIndices: number[];
  labels: Label[];
  probabilities: number[][];
}

export interface LabelledParams extends PredictParams {
  labels: readonly Label[];
}

export interface LossResult {
  /** Mean cross-entropy over the samples. */
  loss: number;
  /** Fraction classified correctly (argmax of the logits). */
  accuracy: number;
  count: number;
}

export interface LossGradientParams extends LabelledParams {
  method: GradientMethod;
}

export interface LossGradient extends LossResult {
  /** ∂(mean loss)/∂parameters, in the order of `parameterNames`. */
  gradient: Float64Array;
}

/**
 * A variational quantum classifier on any {@link QuantumBackend}.
 *
 * Circuit for a sample x: the encoding's gates E(x), then the hardware-efficient ansatz U(θ)
 * (`hardwareEfficientAnsatz`). Readout: ⟨Z_c⟩ on qubit c, all observables in one estimate call.
 * - multi-class (C ≥ 3, one readout qubit per class): logit_c = s·⟨Z_c⟩ + b_c;
 * - binary (C = 2, one readout qubit): m = s·⟨Z_0⟩ + b_0, logits (m, −m), so ⟨Z_0⟩ → +1 is class 0.
 *
 * Probabilities are softmax(logits); the loss is the mean cross-entropy. The parameter vector is
 * [θ (ansatz order, `theta_<layer>_<qubit>_<k>`), s (`readout_scale`, when trained), b_c
 * (`bias_<c>`, when used)].
 *
 * Gradients (`lossAndGradient`) chain the quantum Jacobian through the classical head:
 *
 *     ∂L/∂θ_p = Σ_c ∂L/∂⟨Z_c⟩ · ∂⟨Z_c⟩/∂θ_p,   ∂L/∂logit_c = softmax_c − [c = y]
 *
 * where ∂⟨Z_c⟩/∂θ comes from the backend's adjoint method or from parameter shift on the
 * expectation values (`expectationGradient`), never from shifting the loss.
 */
export class VariationalClassifier {
  readonly encoding: FeatureEncoding;
  readonly backend: QuantumBackend;
  readonly numQubits: number;
  readonly numClasses: number;
  readonly layers: number;
  readonly labels: readonly Label[];
  /** Every trainable parameter, in vector order. */
  readonly parameterNames: readonly string[];
  /** The ansatz angles (the first entries of the parameter vector). */
  readonly quantumParameterNames: readonly string[];
  /** ⟨Z_c⟩ on each readout qubit. */
  readonly observables: readonly Observable[];
  readonly shots: number | undefined;
  private readonly ansatz: Ansatz;
  private readonly readoutCount: number;
  private readonly fixedScale: number;
  private readonly scaleIndex: number;
  private readonly biasIndex: number;
  private readonly classByLabel: Map<Label, number>;

  constructor(options: VariationalClassifierOptions) {
    const issues = new IssueCollector();
    const { encoding, numClasses, layers, backend } = options;
    if (!Number.isInteger(numClasses) || numClasses < 2) {
      issues.add('numClasses', `must be an integer ≥ 2, got ${numClasses}`, 2);
    }
    const readoutCount = numClasses === 2 ? 1 : numClasses;
    const numQubits = options.numQubits ?? Math.max(encoding.numQubits, readoutCount);
    if (!Number.isInteger(numQubits) || numQubits < encoding.numQubits || numQubits < readoutCount) {
      issues.add(
        'numQubits',
        `must be an integer ≥ ${Math.max(encoding.numQubits, readoutCount)} (encoding qubits and one readout qubit per class), got ${numQubits}`,
        Math.max(encoding.numQubits, readoutCount),
      );
    } else if (numQubits > backend.capabilities.maxQubits) {
      issues.add('numQubits', `is ${numQubits}, more than the backend's ${backend.capabilities.maxQubits}`);
    }
    const labels = options.labels ?? Array.from({ length: Math.max(0, numClasses) }, (_, i) => i);
    if (labels.length !== numClasses || new Set(labels).size !== labels.length) {
      issues.add('labels', `must be ${numClasses} distinct labels, got ${labels.length}`, numClasses);
    }
    const scale = options.readoutScale ?? 3;
    if (!Number.isFinite(scale)) issues.add('readoutScale', `must be finite, got ${scale}`);
    if (options.shots !== undefined && !(Number.isInteger(options.shots) && options.shots > 0)) {
      issues.add('shots', `must be a positive integer, got ${options.shots}`);
    }
    issues.throwIfAny('Invalid variational classifier');
    this.ansatz = hardwareEfficientAnsatz({ numQubits, layers });
    this.encoding = encoding;
    this.backend = backend;
    this.numQubits = numQubits;
    this.numClasses = numClasses;
    this.layers = layers;
    this.labels = [...labels];
    this.shots = options.shots;
    this.readoutCount = readoutCount;
    this.fixedScale = scale;
    this.classByLabel = new Map(labels.map((label, i) => [label, i]));
    this.observables = Array.from({ length: readoutCount }, (_, c) => [
      { coefficient: 1, paulis: `${'I'.repeat(numQubits - 1 - c)}Z${'I'.repeat(c)}` },
    ]);
    const names = [...this.ansatz.parameterNames];
    this.quantumParameterNames = [...names];
    this.scaleIndex = options.trainableScale === false ? -1 : names.push('readout_scale') - 1;
    this.biasIndex = options.bias === false ? -1 : names.length;
    if (options.bias !== false) for (let c = 0; c < readoutCount; c++) names.push(`bias_${c}`);
    this.parameterNames = names;
  }

  get numParameters(): number {
    return this.parameterNames.length;
  }

  /**
   * A starting parameter vector: θ uniform in [−spread, spread] (default π/2), the readout scale
   * at its initial value, biases 0. Deterministic for a seed.
   */
  initialParameters(options: { seed?: number; rng?: Rng; spread?: number } = {}): Float64Array {
    const rng = options.rng ?? createRng(options.seed ?? 0);
    const spread = options.spread ?? Math.PI / 2;
    const out = new Float64Array(this.numParameters);
    for (let i = 0; i < this.quantumParameterNames.length; i++) out[i] = spread * (2 * rng.float() - 1);
    if (this.scaleIndex >= 0) out[this.scaleIndex] = this.fixedScale;
    return out;
  }

  /** The circuit for one sample: encoding gates (numbers) then the ansatz (named parameters). */
  circuit(features: ArrayLike<number>): CircuitJson {
    return {
      numQubits: this.numQubits,
      operations: [...this.encoding.operations(features), ...this.ansatz.operations],
    };
  }

  /** Class index of a label; a ValidationError for a label the model does not know. */
  classIndex(label: Label, field = 'label'): number {
    const c = this.classByLabel.get(label);
    if (c === undefined) {
      throw new ValidationError(
        [
          {
            field,
            message: `${JSON.stringify(label)} is not one of the model's labels ${JSON.stringify(this.labels)}`,
          },
        ],
        'Unknown label',
      );
    }
    return c;
  }

  /** Logits of the readout values z for a parameter vector (see the class comment). */
  logits(z: readonly number[], parameters: Float64Array): number[] {
    const s = this.scaleIndex >= 0 ? (parameters[this.scaleIndex] as number) : this.fixedScale;
    const bias = (c: number) => (this.biasIndex >= 0 ? (parameters[this.biasIndex + c] as number) : 0);
    if (this.readoutCount === 1) {
      const m = s * (z[0] as number) + bias(0);
      return [m, -m];
    }
    return z.map((zc, c) => s * zc + bias(c));
  }

  /** Class probabilities and predicted labels. */
  async predict(params: PredictParams): Promise<Prediction> {
    this.checkParameters(params.parameters);
    const out: Prediction = { classIndices: [], labels: [], probabilities: [] };
    for (let i = 0; i < params.features.length; i++) {
      const z = await this.expectations(params, i);
      const p = softmax(this.logits(z, params.parameters));
      const c = argmax(p);
      out.classIndices.push(c);
      out.labels.push(this.labels[c] as Label);
      out.probabilities.push(p);
    }
    return out;
  }

  /** Mean cross-entropy and accuracy (forward passes only). */
  async evaluate(params: LabelledParams): Promise<LossResult> {
    this.checkParameters(params.parameters);
    const targets = this.targets(params);
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < targets.length; i++) {
      const logits = this.logits(await this.expectations(params, i), params.parameters);
      loss += crossEntropy(logits, targets[i] as number);
      if (argmax(logits) === targets[i]) correct++;
    }
    const count = targets.length;
    return { loss: count ? loss / count : 0, accuracy: count ? correct / count : 0, count };
  }

  /**
   * Mean loss, accuracy and the exact gradient of the mean loss (see the class comment): one
   * Jacobian of the readout values per sample by `method`, chained through softmax/cross-entropy.
   */
  async lossAndGradient(params: LossGradientParams): Promise<LossGradient> {
    const { parameters, method } = params;
    this.checkParameters(parameters);
    const targets = this.targets(params);
    const count = targets.length;
    const gradient = new Float64Array(this.numParameters);
    const wrt = this.quantumParameterNames;
    const binding = this.binding(parameters);
    const s = this.scaleIndex >= 0 ? (parameters[this.scaleIndex] as number) : this.fixedScale;
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      throwIfAborted(params.signal);
      const { values: z, jacobian } = await expectationGradient({
        backend: this.backend,
        circuit: this.circuit(params.features[i] as ArrayLike<number>),
        observables: this.observables,
        parameters: binding,
        wrt,
        method,
        shots: this.shots,
        seed: params.seed === undefined ? undefined : params.seed + i,
        signal: params.signal,
      });
      const target = targets[i] as number;
      const logits = this.logits(z, parameters);
      loss += crossEntropy(logits, target);
      if (argmax(logits) === target) correct++;
      // ∂L/∂logit_c = softmax_c − [c = target]
      const g = softmax(logits).map((p, c) => p - (c === target ? 1 : 0));
      // Through the head: ∂L/∂z, ∂L/∂s, ∂L/∂b.
      const head = this.readoutCount === 1 ? [(g[0] as number) - (g[1] as number)] : g;
      for (let c = 0; c < this.readoutCount; c++) {
        const gc = head[c] as number;
        const dz = s * gc;
        const row = jacobian[c] as number[];
        for (let p = 0; p < wrt.length; p++) gradient[p] = (gradient[p] as number) + dz * (row[p] as number);
        if (this.scaleIndex >= 0)
          gradient[this.scaleIndex] = (gradient[this.scaleIndex] as number) + gc * (z[c] as number);
        if (this.biasIndex >= 0) gradient[this.biasIndex + c] = (gradient[this.biasIndex + c] as number) + gc;
      }
    }
    if (count > 0) for (let p = 0; p < gradient.length; p++) gradient[p] = (gradient[p] as number) / count;
    return { loss: count ? loss / count : 0, accuracy: count ? correct / count : 0, count, gradient };
  }

  /** The ansatz angles of a parameter vector as a binding. */
  binding(parameters: Float64Array): ParameterBinding {
    const binding: ParameterBinding = {};
    this.quantumParameterNames.forEach((name, i) => {
      binding[name] = parameters[i] as number;
    });
    return binding;
  }

  private async expectations(params: PredictParams, i: number): Promise<number[]> {
    throwIfAborted(params.signal);
    return expectationValues({
      backend: this.backend,
      circuit: this.circuit(params.features[i] as ArrayLike<number>),
      observables: this.observables,
      parameters: this.binding(params.parameters),
      shots: this.shots,
      seed: params.seed === undefined ? undefined : params.seed + i,
      signal: params.signal,
    });
  }

  private targets(params: LabelledParams): number[] {
    if (params.labels.length !== params.features.length) {
      throw new ValidationError(
        [{ field: 'labels', message: `has ${params.labels.length} labels for ${params.features.length} samples` }],
        'Invalid labels',
      );
    }
    return params.labels.map((label, i) => this.classIndex(label, `labels[${i}]`));
  }

  private checkParameters(parameters: Float64Array): void {
    if (!(parameters instanceof Float64Array) || parameters.length !== this.numParameters) {
      throw new ValidationError(
        [
          {
            field: 'parameters',
            message: `must be a Float64Array of ${this.numParameters} values, got ${parameters?.length}`,
            limit: this.numParameters,
          },
        ],
        'Invalid parameters',
      );
    }
  }
}
