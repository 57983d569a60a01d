/**
 * The QuantumBackend contract, in the shape of Qiskit's primitives (Sampler / Estimator).
 *
 * Bit order, fixed once for all of q-store: **qubit 0 is the least significant bit** of a
 * basis-state index (IonQ's and Qiskit's convention). A bitstring key in `counts` is written with
 * qubit 0 as its rightmost character, so `'01'` on two qubits means qubit 0 = 1, qubit 1 = 0.
 *
 * The circuit model lives beside this contract: the gate table with exact matrices (`gates.ts`),
 * the `Circuit` builder with named parameters (`circuit.ts`), Pauli-sum observables
 * (`observable.ts`), OpenQASM 2.0 import/export (`qasm.ts`), shared request validation
 * (`quantum-validation.ts`), and `estimateFromSamples` for backends that can only sample. Every
 * backend accepts the JSON form below; `validateSampleParams` & co. check it the same way for all.
 * The executable contract is `describeQuantumBackendConformance` in `@q-store/core/testing`.
 */

import type { QuantumJob, RetrieveJobParams } from './jobs.js';

/**
 * One gate, measurement or barrier applied to qubits, as stored in a circuit's JSON form. `gate` is
 * a name of the gate table (`GATES`) or `measure` / `barrier`; `qubits` lists controls first,
 * target last; `params` are the gate's angles (see `GATES[gate].paramNames`).
 */
export interface CircuitOperation {
  gate: string;
  qubits: number[];
  /**
   * Angles in radians: numbers, or parameter expressions `[k*]name[ ± c]` (e.g. `'theta'`,
   * `'2*theta'`) bound by name at run time.
   */
  params?: Array<number | string>;
}

/** The JSON form of a circuit. */
export interface CircuitJson {
  numQubits: number;
  operations: CircuitOperation[];
}

/** A Pauli-sum observable: Σ coefficient · (tensor product of Paulis on the listed qubits). */
export interface PauliTerm {
  coefficient: number;
  /** Pauli string over qubits, rightmost character = qubit 0, e.g. `'ZIZ'`. */
  paulis: string;
}
export type Observable = PauliTerm[];

export type ParameterBinding = Record<string, number>;

export interface SampleParams {
  circuits: readonly CircuitJson[];
  /** Parameter values per circuit (one binding for all, or one per circuit). */
  parameters?: ParameterBinding | readonly ParameterBinding[];
  shots: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Most this call may cost, in US dollars: refused with BudgetExceededError before anything is
   * sent when shots × circuits × `capabilities.costPerShotUsd` is more (see `estimateCostUsd`).
   */
  maxCostUsd?: number;
}

export interface SampleResult {
  /** Measured bitstrings, `numQubits` characters wide (qubit 0 rightmost), and how often each appeared. */
  counts: Record<string, number>;
  /** counts / shots for each observed bitstring. */
  probabilities: Record<string, number>;
  shots: number;
}

export interface EstimateParams {
  circuit: CircuitJson;
  observables: readonly Observable[];
  parameters?: ParameterBinding;
  /** Omit for an exact expectation on backends that have one. */
  shots?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Most this call may cost in US dollars, over every circuit it sends (see {@link SampleParams.maxCostUsd}). */
  maxCostUsd?: number;
}

export interface EstimateResult {
  /** ⟨ψ|O|ψ⟩ per observable. */
  values: number[];
  /** Standard error per observable; 0 when exact. */
  standardErrors: number[];
}

export interface GradientParams extends EstimateParams {
  /** Names of the parameters to differentiate by; default all. */
  wrt?: readonly string[];
  method?: 'adjoint' | 'parameter-shift' | 'finite-difference';
}

export interface GradientResult extends EstimateResult {
  /** gradients[o][p] = ∂⟨O_o⟩/∂θ_p in the order of `parameterNames`. */
  gradients: number[][];
  parameterNames: string[];
}

export interface QuantumCapabilities {
  maxQubits: number;
  /** Gate names accepted in CircuitJson. */
  gates: readonly string[];
  /** True when `estimate` without shots is exact (a simulator). */
  exact: boolean;
  gradientMethods: ReadonlyArray<NonNullable<GradientParams['method']>>;
  /** Most shots per circuit (default `DEFAULT_MAX_SHOTS`). */
  maxShots?: number;
  /** Cost of one shot in US dollars, when the service charges per shot. */
  costPerShotUsd?: number;
  /**
   * How long a caller such as `QuantumDatabase` waits for one call by default, in ms: short for a
   * local simulator, minutes for a queued cloud device. A job still queued at the deadline is
   * cancelled. Default 5000 when absent.
   */
  defaultTimeoutMs?: number;
  /**
   * True when work goes to a remote queue: `submit` returns a job that is not finished yet and
   * `retrieve` can resume it after a restart. False or absent: a local backend, jobs complete at once.
   */
  queued?: boolean;
}

/**
 * A quantum backend. `type` is its identity, the same field as `VectorBackend.type` and as the
 * registry config's `type` (`createQuantumBackend({type: 'state-vector'})`). Implementers extend
 * `BaseQuantumBackend` (from `@q-store/core`), which supplies validation, closed state, abort, shot
 * and cost limits, the job model, and default `estimate` and `gradient`.
 */
export interface QuantumBackend {
  readonly type: string;
  readonly capabilities: QuantumCapabilities;
  /** Convenience over `submit` + `wait`: the results of every circuit, in order. */
  sample(params: SampleParams): Promise<SampleResult[]>;
  /** Sends a sample request and returns its job at once (a local backend's job is already completed). */
  submit?(params: SampleParams): Promise<QuantumJob<SampleResult[]>>;
  /** The job with this id, e.g. after a restart; NotFoundError when the backend does not know it. */
  retrieve?(params: RetrieveJobParams): Promise<QuantumJob<SampleResult[]>>;
  /** Backends that can only sample get this from core (basis rotations + shot averages). */
  estimate?(params: EstimateParams): Promise<EstimateResult>;
  gradient?(params: GradientParams): Promise<GradientResult>;
  close(): Promise<void>;
}
