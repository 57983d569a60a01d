import { INDEX_NAME_PATTERN, type JsonValue, type Label, type QuantumBackend } from '@q-store/core';
import { IssueCollector, isPlainObject } from '@q-store/core/backend';
import { amplitudeEncoding, angleEncoding, type FeatureEncoding, type FeatureRange } from '../encoding.js';
import { VariationalClassifier } from '../model.js';

/** A feature encoding as JSON (the arguments of `angleEncoding` or `amplitudeEncoding`). */
export type EncodingSpec =
  | { kind: 'angle'; numFeatures: number; rotations?: 'y' | 'yz'; range?: FeatureRange }
  | { kind: 'amplitude'; numFeatures: number };

/**
 * A {@link VariationalClassifier} as JSON, without its backend: what the coordinator sends to the
 * workers so each builds the same model on its own quantum backend. The fields are the
 * constructor's options.
 */
export interface ClassifierSpec {
  encoding: EncodingSpec;
  layers: number;
  numClasses: number;
  numQubits?: number;
  labels?: Label[];
  readoutScale?: number;
  trainableScale?: boolean;
  bias?: boolean;
  shots?: number;
}

/**
 * How a worker creates its quantum backend: `new (await import(module))[exportName](options)`.
 * Default: `@q-store/quantum-sim`'s `StateVectorSimulator` with no options.
 */
export interface QuantumBackendSpec {
  module: string;
  exportName: string;
  options?: { [key: string]: JsonValue };
}

export const DEFAULT_QUANTUM_BACKEND: QuantumBackendSpec = {
  module: '@q-store/quantum-sim',
  exportName: 'StateVectorSimulator',
};

/**
 * Run ids follow core's index-name rule (a lowercase letter, then up to 44 lowercase letters, digits
 * or `-`): they are the checkpoint model id and the first part of every job id `run:step:shard`.
 */
export const RUN_ID_PATTERN = INDEX_NAME_PATTERN;

export function encodingFromSpec(spec: EncodingSpec): FeatureEncoding {
  if (spec?.kind === 'amplitude') return amplitudeEncoding({ numFeatures: spec.numFeatures });
  if (spec?.kind === 'angle') {
    return angleEncoding({
      numFeatures: spec.numFeatures,
      ...(spec.rotations && { rotations: spec.rotations }),
      ...(spec.range && { range: spec.range }),
    });
  }
  const issues = new IssueCollector();
  issues.add(
    'model.encoding.kind',
    `must be 'angle' or 'amplitude', got ${String((spec as { kind?: unknown })?.kind)}`,
  );
  issues.throwIfAny('Invalid classifier spec');
  throw new Error('unreachable');
}

/** The classifier a spec describes, on `backend` (the constructor validates the fields). */
export function classifierFromSpec(spec: ClassifierSpec, backend: QuantumBackend): VariationalClassifier {
  if (!isPlainObject(spec)) {
    const issues = new IssueCollector();
    issues.add('model', 'must be a ClassifierSpec object');
    issues.throwIfAny('Invalid classifier spec');
  }
  return new VariationalClassifier({
    encoding: encodingFromSpec(spec.encoding),
    layers: spec.layers,
    numClasses: spec.numClasses,
    backend,
    ...(spec.numQubits !== undefined && { numQubits: spec.numQubits }),
    ...(spec.labels !== undefined && { labels: spec.labels }),
    ...(spec.readoutScale !== undefined && { readoutScale: spec.readoutScale }),
    ...(spec.trainableScale !== undefined && { trainableScale: spec.trainableScale }),
    ...(spec.bias !== undefined && { bias: spec.bias }),
    ...(spec.shots !== undefined && { shots: spec.shots }),
  });
}

/** Creates the backend a {@link QuantumBackendSpec} names. */
export async function openQuantumBackend(spec: QuantumBackendSpec = DEFAULT_QUANTUM_BACKEND): Promise<QuantumBackend> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const Ctor = mod[spec.exportName];
  if (typeof Ctor !== 'function') {
    const issues = new IssueCollector();
    issues.add('backend.exportName', `'${spec.exportName}' is not a class exported by '${spec.module}'`);
    issues.throwIfAny('Invalid quantum backend spec');
  }
  return new (Ctor as new (options?: unknown) => QuantumBackend)(spec.options ?? {});
}
