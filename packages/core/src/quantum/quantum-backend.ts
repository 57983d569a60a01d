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
}

export interface QuantumBackend {
  readonly name: string;
  readonly capabilities: QuantumCapabilities;
  sample(params: SampleParams): Promise<SampleResult[]>;
  /** Backends that can only sample get this from core (basis rotations + shot averages). */
  estimate?(params: EstimateParams): Promise<EstimateResult>;
  gradient?(params: GradientParams): Promise<GradientResult>;
  close(): Promise<void>;
}
