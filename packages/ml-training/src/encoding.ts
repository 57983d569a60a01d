import { type CircuitOperation, ValidationError } from '@q-store/core';
import { IssueCollector, prepareRealState } from '@q-store/core/backend';

/**
 * A feature encoding: the gates that load one feature vector into a circuit that starts in |0…0⟩.
 * Its angles are numbers (the features are data, not trainable parameters).
 */
export interface FeatureEncoding {
  readonly kind: 'angle' | 'amplitude';
  /** Features per sample. */
  readonly numFeatures: number;
  /** Qubits the encoding acts on (qubits 0 … numQubits−1). */
  readonly numQubits: number;
  /** The encoding gates for one sample (throws a ValidationError on a wrong length or a non-finite value). */
  operations(features: ArrayLike<number>): CircuitOperation[];
}

/** Per-feature bounds of the data: the value mapped to angle 0 (`min`) and to angle π (`max`). */
export interface FeatureRange {
  min: number[];
  max: number[];
}

export interface AngleEncodingOptions {
  numFeatures: number;
  /**
   * `y`: RY(φ_i) on qubit i; `yz`: RY(φ_i) then RZ(φ_i) on qubit i (so the phase carries the
   * feature too). Default `y`.
   */
  rotations?: 'y' | 'yz';
  /**
   * Bounds per feature (see {@link featureRange}); default [0, π] for every feature, so features
   * already scaled to angles (`minMaxScale`) pass through unchanged.
   */
  range?: FeatureRange;
}

/**
 * Angle encoding: feature i on qubit i as the angle
 *
 *     φ_i = π · clamp((x_i − min_i) / (max_i − min_i), 0, 1)   ∈ [0, π]
 *
 * (φ_i = 0 when max_i = min_i). RY(φ)|0⟩ = cos(φ/2)|0⟩ + sin(φ/2)|1⟩, so ⟨Z_i⟩ = cos φ_i spans [−1, 1]
 * monotonically over the range. One qubit per feature.
 */
export function angleEncoding(options: AngleEncodingOptions): FeatureEncoding {
  const issues = new IssueCollector();
  const { numFeatures } = options;
  const rotations = options.rotations ?? 'y';
  if (!Number.isInteger(numFeatures) || numFeatures < 1 || numFeatures > 30) {
    issues.add('numFeatures', `must be an integer from 1 to 30 (one qubit per feature), got ${numFeatures}`, 30);
  }
  if (rotations !== 'y' && rotations !== 'yz') issues.add('rotations', `must be 'y' or 'yz', got ${String(rotations)}`);
  const min = options.range?.min ?? new Array<number>(Math.max(0, numFeatures)).fill(0);
  const max = options.range?.max ?? new Array<number>(Math.max(0, numFeatures)).fill(Math.PI);
  if (min.length !== numFeatures || max.length !== numFeatures) {
    issues.add('range', `needs min and max of length ${numFeatures}, got ${min.length} and ${max.length}`, numFeatures);
  }
  for (let i = 0; i < min.length && i < max.length; i++) {
    const lo = min[i] as number;
    const hi = max[i] as number;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
      issues.add(`range[${i}]`, `needs finite min ≤ max, got [${lo}, ${hi}]`);
    }
  }
  issues.throwIfAny('Invalid angle encoding');
  const lows = [...min];
  const highs = [...max];
  return {
    kind: 'angle',
    numFeatures,
    numQubits: numFeatures,
    operations(features) {
      checkFeatures(features, numFeatures);
      const ops: CircuitOperation[] = [];
      for (let i = 0; i < numFeatures; i++) {
        const lo = lows[i] as number;
        const width = (highs[i] as number) - lo;
        const t = width > 0 ? Math.min(1, Math.max(0, ((features[i] as number) - lo) / width)) : 0;
        const angle = Math.PI * t;
        ops.push({ gate: 'ry', qubits: [i], params: [angle] });
        if (rotations === 'yz') ops.push({ gate: 'rz', qubits: [i], params: [angle] });
      }
      return ops;
    },
  };
}

/**
 * Amplitude encoding: the features x (zero-padded to length 2^n, n = ⌈log2(numFeatures)⌉, at least
 * 1) become the state |ψ⟩ = Σ_i x_i |i⟩ / ‖x‖ (qubit 0 the least significant bit of i), prepared
 * exactly by core's `prepareRealState` (uniformly controlled RY rotations; 2^n − 1 RY and
 * 2^n − 2 CNOT). Signs are kept; the norm is lost, so scale-only differences are not seen. An
 * all-zero sample is a ValidationError.
 */
export function amplitudeEncoding(options: { numFeatures: number }): FeatureEncoding {
  const { numFeatures } = options;
  if (!Number.isInteger(numFeatures) || numFeatures < 2 || numFeatures > 2 ** 20) {
    throw new ValidationError(
      [{ field: 'numFeatures', message: `must be an integer from 2 to 2^20, got ${numFeatures}`, limit: 2 ** 20 }],
      'Invalid amplitude encoding',
    );
  }
  const numQubits = Math.ceil(Math.log2(numFeatures));
  const length = 2 ** numQubits;
  return {
    kind: 'amplitude',
    numFeatures,
    numQubits,
    operations(features) {
      checkFeatures(features, numFeatures);
      const padded = new Float64Array(length);
      for (let i = 0; i < numFeatures; i++) padded[i] = features[i] as number;
      try {
        return prepareRealState(padded);
      } catch (error) {
        if (error instanceof ValidationError) {
          throw new ValidationError(
            [{ field: 'features', message: 'must not be all zero (amplitude encoding normalises the vector)' }],
            'Invalid features',
          );
        }
        throw error;
      }
    },
  };
}

/** Per-feature minimum and maximum over a data set (for {@link angleEncoding}'s `range`). */
export function featureRange(features: ReadonlyArray<ArrayLike<number>>): FeatureRange {
  const first = features[0];
  if (first === undefined) {
    throw new ValidationError([{ field: 'features', message: 'must not be empty' }], 'Invalid features');
  }
  const min = Array.from(first, Number);
  const max = Array.from(first, Number);
  for (const row of features) {
    for (let i = 0; i < min.length; i++) {
      const v = row[i] as number;
      if (v < (min[i] as number)) min[i] = v;
      if (v > (max[i] as number)) max[i] = v;
    }
  }
  return { min, max };
}

function checkFeatures(features: ArrayLike<number>, numFeatures: number): void {
  const issues = new IssueCollector();
  if (features.length !== numFeatures) {
    issues.add('features', `has ${features.length} values; the encoding takes ${numFeatures}`, numFeatures);
  } else {
    for (let i = 0; i < numFeatures; i++) {
      if (!Number.isFinite(features[i])) issues.add(`features[${i}]`, `must be finite, got ${String(features[i])}`);
    }
  }
  issues.throwIfAny('Invalid features');
}
