import {
  bindCircuitJson,
  type CircuitJson,
  type Observable,
  type ParameterBinding,
  type QuantumBackend,
  type Rng,
  ValidationError,
} from '@q-store/core';
import {
  DEFAULT_ESTIMATE_SHOTS,
  diffGates,
  estimateFromSamples,
  parameterShift,
  throwIfAborted,
} from '@q-store/core/backend';

/** How the trainer differentiates expectation values. */
export type GradientMethod = 'adjoint' | 'parameter-shift';

export interface ExpectationParams {
  backend: QuantumBackend;
  /** A circuit whose angles may be parameter expressions, bound by `parameters`. */
  circuit: CircuitJson;
  observables: readonly Observable[];
  parameters: ParameterBinding;
  /** Shots per estimate; omit for the backend's exact value (when it has one). */
  shots?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface ExpectationGradientParams extends ExpectationParams {
  /** Parameters to differentiate by, in the order of the Jacobian's columns. */
  wrt: readonly string[];
  method: GradientMethod;
}

export interface ExpectationGradient {
  /** ⟨O_o⟩ per observable. */
  values: number[];
  /** jacobian[o][p] = ∂⟨O_o⟩/∂wrt[p]. */
  jacobian: number[][];
}

/**
 * ⟨O_o⟩ for every observable in one call: the backend's `estimate` when it has one, otherwise
 * core's `estimateFromSamples` over its sampler (`shots` default `DEFAULT_ESTIMATE_SHOTS`).
 */
export async function expectationValues(params: ExpectationParams): Promise<number[]> {
  const { backend, circuit, observables, parameters, shots, seed, signal } = params;
  const request = { circuit, observables, parameters, shots, seed, signal };
  if (backend.estimate) return (await backend.estimate(request)).values;
  return (await estimateFromSamples(backend, { ...request, shots: shots ?? DEFAULT_ESTIMATE_SHOTS })).values;
}

/**
 * The Jacobian of the expectation values with respect to `wrt`:
 * - `adjoint`: the backend's own `gradient({method: 'adjoint'})` (one forward and one backward
 *   sweep; exact). A ValidationError when the backend does not list `adjoint` in
 *   `capabilities.gradientMethods`, when `shots` is set (adjoint cannot estimate from shots), or
 *   when the backend's result lacks a `wrt` parameter.
 * - `parameter-shift`: {@link parameterShiftJacobian} over `estimate` (works on any backend).
 */
export async function expectationGradient(params: ExpectationGradientParams): Promise<ExpectationGradient> {
  if (params.method === 'parameter-shift') return parameterShiftJacobian(params);
  if (params.method !== 'adjoint') {
    throw new ValidationError(
      [{ field: 'method', message: `must be 'adjoint' or 'parameter-shift', got ${String(params.method)}` }],
      'Invalid gradient method',
    );
  }
  const { backend } = params;
  if (params.shots !== undefined) {
    throw new ValidationError(
      [
        {
          field: 'method',
          message: `'adjoint' is exact and ignores shots (${params.shots} given); use 'parameter-shift' for shot-based gradients`,
        },
      ],
      'Invalid gradient method',
    );
  }
  if (!backend.gradient || !backend.capabilities.gradientMethods.includes('adjoint')) {
    throw new ValidationError(
      [
        {
          field: 'method',
          message: `backend '${backend.type}' does not offer adjoint gradients; use 'parameter-shift'`,
        },
      ],
      'Invalid gradient method',
    );
  }
  const result = await backend.gradient({
    circuit: params.circuit,
    observables: params.observables,
    parameters: params.parameters,
    wrt: params.wrt,
    method: 'adjoint',
    signal: params.signal,
  });
  const column = new Map(result.parameterNames.map((name, i) => [name, i]));
  const missing = params.wrt.filter((name) => !column.has(name));
  if (missing.length > 0) {
    throw new ValidationError(
      [
        {
          field: 'wrt',
          message: `backend '${backend.type}' returned no gradient for ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
        },
      ],
      'Incomplete adjoint gradient',
    );
  }
  const jacobian = result.gradients.map((row) => params.wrt.map((name) => row[column.get(name) as number] as number));
  return { values: result.values, jacobian };
}

/**
 * Parameter-shift Jacobian from expectation values only, by core's general parameter-shift rule
 * (`parameterShift` / `shiftRule` from `@q-store/core`): for every angle θ = k·p + c of a parameter
 * p in `wrt` (each occurrence separately, so a parameter used twice gets the sum), the circuit is
 * estimated with that one angle shifted by each shift s_μ of the gate's rule, and
 *
 *     ∂⟨O⟩/∂p = Σ_occurrences k · Σ_μ w_μ · ⟨O⟩(θ + s_μ).
 *
 * Two terms (s = ±π/2, w = ±½) for rx ry rz p cp u rxx ryy rzz; four for the controlled rotations
 * crx cry crz and for gpi gpi2 and ms's phases (see `shiftRule`). All observables per estimate; with
 * shots, every call uses the same `seed` (common random numbers). The circuit must bind every
 * parameter through `parameters`.
 */
export async function parameterShiftJacobian(params: ExpectationGradientParams): Promise<ExpectationGradient> {
  const { circuit, wrt, signal } = params;
  const bound = bindCircuitJson(circuit, params.parameters, { complete: true });
  const gates = diffGates(circuit, bound);
  const values = await expectationValues(params);
  const jacobian = await parameterShift(bound, gates, wrt, values.length, async (shifted) => {
    throwIfAborted(signal);
    return expectationValues({ ...params, circuit: shifted, parameters: {} });
  });
  return { values, jacobian };
}

export interface SpsaGradientParams {
  /** The loss at a parameter vector. */
  loss: (parameters: Float64Array) => Promise<number>;
  parameters: Float64Array;
  /** Perturbation size c > 0. */
  perturbation: number;
  /** Source of the Rademacher directions Δ (its position advances by one draw per parameter). */
  rng: Rng;
}

export interface SpsaGradient {
  gradient: Float64Array;
  lossPlus: number;
  lossMinus: number;
}

/**
 * Simultaneous-perturbation gradient estimate (Spall 1992): with Δ_i ∈ {−1, +1} uniformly,
 *
 *     ĝ_i = [L(θ + cΔ) − L(θ − cΔ)] / (2c·Δ_i)
 *
 * Two loss evaluations whatever the number of parameters; E[ĝ] = ∇L + O(c²).
 */
export async function spsaGradient(params: SpsaGradientParams): Promise<SpsaGradient> {
  const { parameters, perturbation: c, rng } = params;
  if (!(c > 0) || !Number.isFinite(c)) {
    throw new ValidationError(
      [{ field: 'perturbation', message: `must be a finite number > 0, got ${c}` }],
      'Invalid SPSA request',
    );
  }
  const n = parameters.length;
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = rng.float() < 0.5 ? -1 : 1;
  const plus = new Float64Array(n);
  const minus = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    plus[i] = (parameters[i] as number) + c * (delta[i] as number);
    minus[i] = (parameters[i] as number) - c * (delta[i] as number);
  }
  const lossPlus = await params.loss(plus);
  const lossMinus = await params.loss(minus);
  const gradient = new Float64Array(n);
  for (let i = 0; i < n; i++) gradient[i] = (lossPlus - lossMinus) / (2 * c * (delta[i] as number));
  return { gradient, lossPlus, lossMinus };
}
