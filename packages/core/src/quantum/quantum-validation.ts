/**
 * Request validation shared by every quantum backend, so that all of them reject the same bad
 * input with the same typed errors (the conformance kit checks this): each helper collects every
 * problem into one {@link ValidationError} naming the field and the limit, and returns circuits
 * with every parameter bound to a number.
 */

import { IssueCollector, throwIfAborted, ValidationError } from '../shared/errors.js';
import { isPlainObject } from '../vector/validation.js';
import { bindOwnedCircuitJson, circuitParameters, validateCircuitJson } from './circuit.js';
import { validateObservables } from './observable.js';
import type {
  CircuitJson,
  EstimateParams,
  GradientParams,
  Observable,
  ParameterBinding,
  QuantumCapabilities,
  SampleParams,
} from './quantum-backend.js';

/** Default most shots per circuit when a backend declares no `maxShots`. */
export const DEFAULT_MAX_SHOTS = 100_000_000;

function checkShots(shots: unknown, field: string, max: number, issues: IssueCollector): void {
  if (typeof shots !== 'number' || !Number.isInteger(shots) || shots < 1) {
    issues.add(field, `must be a positive integer, got ${String(shots)}`, 1);
  } else if (shots > max) {
    issues.add(field, `is ${shots}, more than the limit of ${max}`, max);
  }
}

function checkSeed(seed: unknown, issues: IssueCollector): void {
  if (seed === undefined) return;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    issues.add('seed', `must be an integer from -2^31 to 2^31-1, got ${String(seed)}`);
  }
}

function checkParams(params: unknown): asserts params is Record<string, unknown> {
  if (!isPlainObject(params)) {
    throw new ValidationError([{ field: 'params', message: 'must be a params object' }], 'Invalid request');
  }
}

function circuitOptions(capabilities: QuantumCapabilities, field: string) {
  return { maxQubits: capabilities.maxQubits, gates: capabilities.gates, field };
}

/** A validated `sample` request: circuits with every parameter bound. */
export interface PreparedSample {
  circuits: CircuitJson[];
  shots: number;
  seed: number | undefined;
}

/**
 * Validates a `sample` request against a backend's capabilities: at least one circuit, each valid
 * and within `maxQubits` and `gates`; `parameters` one binding for all circuits or one per circuit
 * (then exactly as many as circuits), binding every parameter; `shots` a positive integer up to
 * `capabilities.maxShots`; `seed` a 32-bit integer. Throws AbortError when the signal has fired.
 */
export function validateSampleParams(params: SampleParams, capabilities: QuantumCapabilities): PreparedSample {
  checkParams(params);
  throwIfAborted(params.signal);
  const issues = new IssueCollector();
  const circuits: unknown = params.circuits;
  const valid: CircuitJson[] = [];
  if (!Array.isArray(circuits) || circuits.length === 0) {
    issues.add('circuits', 'must be a non-empty array of circuits');
  } else {
    circuits.forEach((c: unknown, i) => {
      try {
        valid.push(validateCircuitJson(c, circuitOptions(capabilities, `circuits[${i}]`)));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const issue of error.issues) issues.add(issue.field, issue.message, issue.limit);
      }
    });
  }
  checkShots(params.shots, 'shots', capabilities.maxShots ?? DEFAULT_MAX_SHOTS, issues);
  checkSeed(params.seed, issues);
  const bindings = params.parameters;
  if (Array.isArray(bindings) && Array.isArray(circuits) && bindings.length !== circuits.length) {
    issues.add(
      'parameters',
      `has ${bindings.length} bindings for ${circuits.length} circuits; give one, or one per circuit`,
    );
  }
  issues.throwIfAny('Invalid sample request');
  const bound = valid.map((c, i) => {
    const binding = Array.isArray(bindings) ? (bindings[i] as ParameterBinding) : (bindings as ParameterBinding);
    const field = Array.isArray(bindings) ? `parameters[${i}]` : 'parameters';
    return bindOwnedCircuitJson(c, binding, { complete: true, field }); // our copy: bound in place
  });
  return { circuits: bound, shots: params.shots, seed: params.seed };
}

/** A validated `estimate` request. */
export interface PreparedEstimate {
  /** The circuit with every parameter bound. */
  circuit: CircuitJson;
  observables: Observable[];
  shots: number | undefined;
  seed: number | undefined;
}

/**
 * Validates an `estimate` request: a valid circuit within the capabilities, every parameter bound
 * by `parameters`, a non-empty list of observables as wide as the circuit, `shots` (when given) a
 * positive integer, `seed` a 32-bit integer.
 */
export function validateEstimateParams(params: EstimateParams, capabilities: QuantumCapabilities): PreparedEstimate {
  checkParams(params);
  throwIfAborted(params.signal);
  const circuit = validateCircuitJson(params.circuit, circuitOptions(capabilities, 'circuit'));
  const observables = validateObservables(params.observables, circuit.numQubits);
  const issues = new IssueCollector();
  if (params.shots !== undefined) checkShots(params.shots, 'shots', capabilities.maxShots ?? DEFAULT_MAX_SHOTS, issues);
  checkSeed(params.seed, issues);
  issues.throwIfAny('Invalid estimate request');
  return {
    circuit: bindOwnedCircuitJson(circuit, params.parameters, { complete: true }), // our copy: bound in place
    observables,
    shots: params.shots,
    seed: params.seed,
  };
}

/** A validated `gradient` request. */
export interface PreparedGradient extends PreparedEstimate {
  /** The circuit with its parameters still symbolic. */
  symbolic: CircuitJson;
  binding: ParameterBinding;
  /** Names to differentiate by, in order. */
  wrt: string[];
  method: NonNullable<GradientParams['method']> | undefined;
}

/**
 * Validates a `gradient` request: as {@link validateEstimateParams}, plus `wrt` (default: every
 * parameter of the circuit, in order of first appearance) naming only parameters of the circuit,
 * without repeats, and `method` one of `capabilities.gradientMethods`.
 */
export function validateGradientParams(params: GradientParams, capabilities: QuantumCapabilities): PreparedGradient {
  const prepared = validateEstimateParams(params, capabilities);
  const symbolic = validateCircuitJson(params.circuit, circuitOptions(capabilities, 'circuit'));
  const names = circuitParameters(symbolic);
  const issues = new IssueCollector();
  const wrt = params.wrt === undefined ? names : [...params.wrt];
  if (!Array.isArray(params.wrt) && params.wrt !== undefined) issues.add('wrt', 'must be an array of parameter names');
  const seen = new Set<string>();
  const known = new Set(names);
  wrt.forEach((name, i) => {
    if (!known.has(name)) issues.add(`wrt[${i}]`, `the circuit has no parameter '${String(name)}'`);
    else if (seen.has(name)) issues.add(`wrt[${i}]`, `parameter '${name}' is listed twice`);
    seen.add(name);
  });
  if (params.method !== undefined && !capabilities.gradientMethods.includes(params.method)) {
    issues.add(
      'method',
      `'${String(params.method)}' is not supported; this backend offers ${capabilities.gradientMethods.join(', ') || 'none'}`,
    );
  }
  issues.throwIfAny('Invalid gradient request');
  return { ...prepared, symbolic, binding: { ...(params.parameters ?? {}) }, wrt, method: params.method };
}
