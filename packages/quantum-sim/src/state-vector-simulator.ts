import { availableParallelism } from 'node:os';
import {
  type CircuitJson,
  createRng,
  type EstimateResult,
  GATE_NAMES,
  type GradientResult,
  type Observable,
  type QuantumCapabilities,
  type Rng,
  type SampleResult,
} from '@q-store/core';
import {
  BaseQuantumBackend,
  type BaseQuantumBackendOptions,
  type DiffGate,
  diffGates,
  type EstimateRequest,
  estimateFromSamples,
  type GradientRequest,
  IssueCollector,
  type SampleRequest,
  throwIfAborted,
} from '@q-store/core/backend';
import { applyOps, execute, Yielder } from './executor.js';
import { JS_COSTS } from './fusion.js';
import { adjointSweep, dotRe } from './gradients.js';
import { applyOp, gateOp, type Op } from './ops.js';
import { applyObservable, observableExpectation } from './pauli.js';
import { boundGates, compileOps, compileSimd } from './program.js';
import { countsByBitstring, sampleIndices } from './sampling.js';
import { MAX_CHUNK_QUBITS, MIN_CHUNK_QUBITS, SplitState } from './split-state.js';
import { ThreadPool } from './threads.js';
import {
  defaultMemoryLimitBytes,
  fitsWasm,
  maxQubitsFor,
  SimulatorCapacityError,
  simdAvailable,
  stateBytes,
  type Workspace,
  WorkspacePool,
} from './workspace.js';

/**
 * Noise applied by Monte-Carlo **trajectories** (not a density matrix): after every gate, each
 * qubit the gate acted on independently suffers
 * - a bit flip X with probability `bitFlip`, then
 * - a depolarizing error with probability `depolarizing`: X, Y or Z, each with probability p/3
 *   (so ⟨Z⟩ of a qubit shrinks by the factor 1 − 4p/3 per gate, and by 1 − 2p per bit flip).
 * Each trajectory is a pure-state run with its own random Pauli insertions, drawn from the call's
 * seed. Results are unbiased estimates of the noisy channel's statistics, not exact values.
 */
export interface NoiseModel {
  /** Depolarizing probability per qubit per gate, in [0, 1]. */
  depolarizing?: number;
  /** Bit-flip probability per qubit per gate, in [0, 1]. */
  bitFlip?: number;
  /**
   * Trajectories per circuit (default 256). `sample` runs min(shots, trajectories) trajectories and
   * splits the shots evenly between them; `estimate` without shots averages the exact expectation
   * of each trajectory (standard error = sample standard deviation / √trajectories).
   */
  trajectories?: number;
}

export interface StateVectorSimulatorOptions extends BaseQuantumBackendOptions {
  /**
   * Memory budget in bytes for state vectors (default 75 % of `os.totalmem()`). A request that
   * would need more throws SimulatorCapacityError before allocating; `capabilities.maxQubits` is
   * the largest n whose state (16·2^n bytes) fits.
   */
  memoryLimitBytes?: number;
  /** Optional noise by trajectories; results are then estimates and `capabilities.exact` is false. */
  noise?: NoiseModel;
  /** Use the WebAssembly SIMD kernels when available (default true); false forces plain JavaScript. */
  wasm?: boolean;
  /** Fuse runs of single-qubit gates (default true). */
  fuse?: boolean;
  /**
   * Fuse runs of gates on up to this many qubits (1–5) into one dense unitary where the measured
   * cost model says it saves time (default 2; 1 = single-qubit fusion only). Needs `fuse`.
   */
  fuseQubits?: number;
  /**
   * Threads for the forward pass of `sample` and `estimate` on the SIMD kernels (default: the
   * machine's cores, `os.availableParallelism()`; rounded down to a power of two; 1 = no workers).
   * Used from `threadMinQubits` qubits on; results are bit-identical to one thread.
   */
  threads?: number;
  /**
   * Qubits per chunk of a split state (2–27): a circuit on more qubits runs on 2^(n − c) chunks of
   * 2^c amplitudes, each in its own WebAssembly memory, with the SIMD kernels (split-state.ts).
   * Default: split only what one WebAssembly memory cannot hold (28–30 qubits, or the several
   * 2 + k states of an adjoint gradient when together they reach 4 GiB, as from 26 qubits with
   * two observables), in chunks of up to 27 qubits. Smaller values
   * exercise the split path on small circuits (tests).
   */
  chunkQubits?: number;
  /** Fewest qubits for which threads are used (default {@link THREAD_MIN_QUBITS} = 18). */
  threadMinQubits?: number;
  /** Step of `gradient({method: 'finite-difference'})` (default 1e-5 exact, 0.05 with shots or noise). */
  finiteDifferenceStep?: number;
  /** Default timeout for callers such as QuantumDatabase (`capabilities.defaultTimeoutMs`); default 5000 ms. */
  defaultTimeoutMs?: number;
}

const DEFAULT_TRAJECTORIES = 256;

/**
 * Fewest qubits for which the forward pass runs on several threads: below, one barrier per op
 * (tens of µs on a loaded machine) costs more than the op (measured: QCBM n = 16 ran 2× slower on
 * 2 threads, n = 20 1.08× faster, on a loaded 2-core machine).
 */
export const THREAD_MIN_QUBITS = 18;

/**
 * Most work (amplitudes × gates) of an exact `estimate` that runs synchronously, without the
 * executor's yields: 2^20 amplitude updates take about a millisecond at most (either kernels).
 */
const AT_ONCE_WORK = 2 ** 20;

function validateOptions(options: StateVectorSimulatorOptions): void {
  const issues = new IssueCollector();
  const prob = (v: unknown, field: string) => {
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) {
      issues.add(field, `must be a probability in [0, 1], got ${String(v)}`);
    }
  };
  if (options.memoryLimitBytes !== undefined && !(options.memoryLimitBytes > 0)) {
    issues.add('memoryLimitBytes', `must be a positive number of bytes, got ${String(options.memoryLimitBytes)}`);
  }
  if (options.noise !== undefined) {
    prob(options.noise.depolarizing, 'noise.depolarizing');
    prob(options.noise.bitFlip, 'noise.bitFlip');
    const t = options.noise.trajectories;
    if (t !== undefined && !(Number.isInteger(t) && t >= 1)) {
      issues.add('noise.trajectories', `must be a positive integer, got ${String(t)}`, 1);
    }
  }
  const timeout = options.defaultTimeoutMs;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    issues.add('defaultTimeoutMs', `must be a positive number of ms, got ${String(timeout)}`);
  }
  const th = options.threads;
  if (th !== undefined && !(Number.isInteger(th) && th >= 1 && th <= 256)) {
    issues.add('threads', `must be an integer from 1 to 256, got ${String(th)}`, 256);
  }
  const tm = options.threadMinQubits;
  if (tm !== undefined && !(Number.isInteger(tm) && tm >= 1)) {
    issues.add('threadMinQubits', `must be a positive integer, got ${String(tm)}`);
  }
  const k = options.fuseQubits;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 5)) {
    issues.add('fuseQubits', `must be an integer from 1 to 5, got ${String(k)}`, 5);
  }
  const cq = options.chunkQubits;
  if (cq !== undefined && !(Number.isInteger(cq) && cq >= MIN_CHUNK_QUBITS && cq <= MAX_CHUNK_QUBITS)) {
    issues.add(
      'chunkQubits',
      `must be an integer from ${MIN_CHUNK_QUBITS} to ${MAX_CHUNK_QUBITS}, got ${String(cq)}`,
      MAX_CHUNK_QUBITS,
    );
  }
  const step = options.finiteDifferenceStep;
  if (step !== undefined && !(typeof step === 'number' && step > 0 && Number.isFinite(step))) {
    issues.add('finiteDifferenceStep', `must be a positive number, got ${String(step)}`);
  }
  issues.throwIfAny('Invalid simulator options');
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

const PAULI_Y: Float64Array = Float64Array.of(0, 0, 0, -1, 0, 1, 0, 0);

/**
 * A dense state-vector simulator on core's `BaseQuantumBackend` (which does validation, closed
 * state, abort, shot and cost limits and the job model: a job completes inside `submit`).
 *
 * - `sample` (`doSample`): runs each circuit on |0…0⟩ and draws `shots` bitstrings of all qubits
 *   (qubit 0 rightmost) from |ψ_i|², seeded. `measure` operations are terminal and only mark intent.
 * - `estimate` (`doEstimate`): exact ⟨ψ|O|ψ⟩ per observable without `shots` (standard errors 0);
 *   with `shots`, core's `estimateFromSamples` over this sampler (basis rotations, shot averages,
 *   standard errors).
 * - `gradient` (`doGradient`): `adjoint` (default when exact and without shots, one forward and
 *   one backward sweep); `parameter-shift` (the default with shots or noise) and
 *   `finite-difference` from core's general rules over `estimate`.
 * - With `noise`, every result comes from trajectories (see {@link NoiseModel}); `name` ends in
 *   `+trajectories` and `capabilities.exact` is false. `type` is `'state-vector'` either way.
 */
export class StateVectorSimulator extends BaseQuantumBackend {
  readonly type = 'state-vector';
  readonly capabilities: QuantumCapabilities;
  private readonly memoryLimitBytes: number;
  private readonly noise: Required<NoiseModel> | undefined;
  private readonly useWasm: boolean;
  private readonly fuse: boolean;
  private readonly fuseQubits: number;
  private readonly finiteDifferenceStep: number | undefined;
  private readonly pool: WorkspacePool;
  private readonly threads: ThreadPool | undefined;
  private readonly threadMinQubits: number;
  private readonly chunkQubits: number | undefined;

  constructor(options: StateVectorSimulatorOptions = {}) {
    validateOptions(options);
    super(options);
    this.memoryLimitBytes = options.memoryLimitBytes ?? defaultMemoryLimitBytes();
    this.pool = new WorkspacePool(this.memoryLimitBytes);
    const threads = options.threads ?? availableParallelism();
    this.threads = threads >= 2 ? new ThreadPool(threads) : undefined;
    this.threadMinQubits = options.threadMinQubits ?? THREAD_MIN_QUBITS;
    this.chunkQubits = options.chunkQubits;
    this.noise = options.noise
      ? {
          depolarizing: options.noise.depolarizing ?? 0,
          bitFlip: options.noise.bitFlip ?? 0,
          trajectories: options.noise.trajectories ?? DEFAULT_TRAJECTORIES,
        }
      : undefined;
    this.useWasm = options.wasm ?? true;
    this.fuse = options.fuse ?? true;
    this.fuseQubits = options.fuseQubits ?? 2;
    this.finiteDifferenceStep = options.finiteDifferenceStep;
    this.capabilities = Object.freeze({
      maxQubits: Math.max(1, maxQubitsFor(this.memoryLimitBytes)),
      gates: GATE_NAMES,
      exact: this.noise === undefined,
      gradientMethods: this.noise
        ? (['parameter-shift', 'finite-difference'] as const)
        : (['adjoint', 'parameter-shift', 'finite-difference'] as const),
      defaultTimeoutMs: options.defaultTimeoutMs ?? 5000,
    });
  }

  /** `state-vector`, or `state-vector+trajectories` with noise. */
  override get name(): string {
    return this.noise ? 'state-vector+trajectories' : 'state-vector';
  }

  /** The noise model, when results come from trajectories. */
  get noiseModel(): Readonly<Required<NoiseModel>> | undefined {
    return this.noise;
  }

  protected override async doSample(prepared: SampleRequest): Promise<SampleResult[]> {
    const signal = prepared.signal;
    const rng = createRng(prepared.seed ?? randomSeed());
    const results: SampleResult[] = [];
    for (const circuit of prepared.circuits) {
      throwIfAborted(signal);
      const n = circuit.numQubits;
      const c = this.noise ? undefined : this.splitChunk(n, 1);
      if (c !== undefined) {
        const state = await this.runSplit(circuit, c, signal);
        results.push(sampleResult(state.sample(prepared.shots, rng), n, prepared.shots));
        continue;
      }
      const ws = this.workspace(n, 1);
      try {
        const a = ws.states[0] as Float64Array;
        let counts: Map<number, number>;
        if (this.noise) {
          counts = new Map();
          const runs = Math.min(prepared.shots, this.noise.trajectories);
          const ops = gateOpList(circuit);
          const yielder = new Yielder(signal);
          for (let t = 0; t < runs; t++) {
            const share = Math.floor(prepared.shots / runs) + (t < prepared.shots % runs ? 1 : 0);
            await this.runTrajectory(a, n, ops, ws, rng, yielder);
            for (const [i, c] of sampleIndices(a, 2 ** n, share, rng)) counts.set(i, (counts.get(i) ?? 0) + c);
          }
        } else {
          await this.run(a, circuit, ws, signal);
          counts = sampleIndices(a, 2 ** n, prepared.shots, rng);
        }
        results.push(sampleResult(counts, n, prepared.shots));
      } finally {
        this.pool.release(ws);
      }
    }
    return results;
  }

  protected override async doEstimate(prepared: EstimateRequest): Promise<EstimateResult> {
    const { circuit, observables, shots, signal } = prepared;
    if (shots === undefined && !this.noise && this.runsAtOnce(circuit)) {
      return this.evaluateAtOnce(circuit, observables, signal);
    }
    return this.evaluate(circuit, observables, shots, prepared.seed, signal);
  }

  protected override async doGradient(request: GradientRequest): Promise<GradientResult> {
    const { circuit, observables, shots, wrt, symbolic, signal } = request;
    const method = request.method ?? (this.noise || shots !== undefined ? 'parameter-shift' : 'adjoint');
    if (method === 'adjoint' && shots !== undefined) {
      const issues = new IssueCollector();
      issues.add('shots', "the adjoint method is exact and takes no shots; use method 'parameter-shift'");
      issues.throwIfAny('Invalid gradient request');
    }
    if (method === 'adjoint') {
      const gates = diffGates(symbolic, circuit);
      const { values, gradients } = await this.adjoint(circuit, gates, observables, wrt, signal);
      return { values, standardErrors: values.map(() => 0), gradients, parameterNames: [...wrt] };
    }
    // Core's rules over `estimate`, one seed for every evaluation: with noise or shots, shifted
    // circuits share their random numbers (common random numbers), which keeps the variance low.
    return this.defaultGradient(
      { ...request, method },
      { step: this.finiteDifferenceStep ?? (this.noise || shots !== undefined ? 0.05 : 1e-5) },
    );
  }

  protected override async doClose(): Promise<void> {
    this.pool.clear();
    await this.threads?.close();
  }

  /** A circuit wider than the memory allows: SimulatorCapacityError (bytes and limit) before validation. */
  protected override checkCapacity(circuit: unknown, field: string): void {
    const n = (circuit as { numQubits?: unknown } | undefined)?.numQubits;
    if (typeof n === 'number' && Number.isInteger(n) && n > this.capabilities.maxQubits) {
      throw new SimulatorCapacityError(n, stateBytes(n), this.memoryLimitBytes, field);
    }
  }

  /** A workspace from the pool (give it back with `this.pool.release`). */
  private workspace(numQubits: number, count: number): Workspace {
    return this.pool.acquire(numQubits, count, this.useWasm);
  }

  /** Runs `f` on a pooled workspace and gives the workspace back afterwards. */
  private async withWorkspace<T>(numQubits: number, count: number, f: (ws: Workspace) => Promise<T>): Promise<T> {
    const ws = this.workspace(numQubits, count);
    try {
      return await f(ws);
    } finally {
      this.pool.release(ws);
    }
  }

  /**
   * Chunk qubits when `count` states on n qubits run split (split-state.ts), else undefined: with
   * the SIMD kernels, n above `chunkQubits`, or states that one WebAssembly memory cannot hold.
   */
  private splitChunk(n: number, count: number): number | undefined {
    if (!this.useWasm || !simdAvailable()) return undefined;
    if (this.chunkQubits !== undefined && n > this.chunkQubits) return this.chunkQubits;
    if (fitsWasm(count * stateBytes(n) + 4096 + 2 ** 21)) return undefined;
    return Math.min(n, this.chunkQubits ?? MAX_CHUNK_QUBITS);
  }

  /** `count` split states on n qubits in chunks of c, within the memory budget. */
  private splitStates(n: number, c: number, count: number): SplitState[] {
    const bytes = count * stateBytes(n);
    if (bytes > this.memoryLimitBytes) {
      const what = count === 1 ? 'state vector' : `${count} state vectors`;
      throw new SimulatorCapacityError(n, bytes, this.memoryLimitBytes, 'circuit.numQubits', what);
    }
    return Array.from({ length: count }, () => new SplitState(n, c, this.memoryLimitBytes, true));
  }

  /**
   * The circuit's ops for a split state of chunks of c qubits (fused blocks fit a chunk; CNOTs
   * folded, unfolded again where the control sits on a chunk bit).
   */
  private compileSplit(circuit: CircuitJson, c: number): Op[] {
    return compileSimd(circuit, { fuse: this.fuse, fuseQubits: Math.min(this.fuseQubits, c) });
  }

  /** |ψ⟩ = U|0…0⟩ into `state` (or a new split state in chunks of c qubits). */
  private async runSplit(
    circuit: CircuitJson,
    c: number,
    signal?: AbortSignal,
    state = this.splitStates(circuit.numQubits, c, 1)[0] as SplitState,
  ): Promise<SplitState> {
    throwIfAborted(signal);
    state.reset();
    const ops = this.compileSplit(circuit, c);
    await state.run(ops, { signal, threads: this.threads, threadMinQubits: this.threadMinQubits });
    return state;
  }

  /**
   * True for a circuit small enough to run without yielding to the event loop and on one thread
   * (2^n × gates ≤ {@link AT_ONCE_WORK}): a few hundred µs at most, so no await is needed at all.
   */
  private runsAtOnce(circuit: CircuitJson): boolean {
    const n = circuit.numQubits;
    return (
      this.splitChunk(n, 1) === undefined &&
      (n < this.threadMinQubits || this.threads === undefined) &&
      2 ** n * Math.max(1, circuit.operations.length) <= AT_ONCE_WORK
    );
  }

  /**
   * An exact `estimate` of a circuit that {@link runsAtOnce}, synchronously: the same ops and
   * kernels as {@link run} (so the same results, bit for bit) without the promise of each step.
   */
  private evaluateAtOnce(
    circuit: CircuitJson,
    observables: readonly Observable[],
    signal: AbortSignal | undefined,
  ): EstimateResult {
    throwIfAborted(signal);
    const n = circuit.numQubits;
    const ws = this.workspace(n, 1);
    try {
      const a = ws.states[0] as Float64Array;
      if (!ws.takeFresh(a)) a.fill(0);
      a[0] = 1;
      applyOps(a, n, this.compile(circuit, ws), ws.wasm);
      const values = observables.map((o) => observableExpectation(a, 2 ** n, o));
      return { values, standardErrors: values.map(() => 0) };
    } finally {
      this.pool.release(ws);
    }
  }

  /** The circuit's kernel ops, fused with the cost model of the workspace's kernels. */
  private compile(circuit: CircuitJson, ws: Workspace): Op[] {
    if (!ws.wasm) return compileOps(circuit, { fuse: this.fuse, fuseQubits: this.fuseQubits, costs: JS_COSTS });
    // CNOTs fold into 2×2s (the SIMD mux kernel); the same ops for every thread count
    return compileSimd(circuit, { fuse: this.fuse, fuseQubits: this.fuseQubits });
  }

  /** |ψ⟩ = U|0…0⟩ into `a` (fused ops). */
  private async run(a: Float64Array, circuit: CircuitJson, ws: Workspace, signal?: AbortSignal): Promise<void> {
    if (!ws.takeFresh(a)) a.fill(0);
    a[0] = 1;
    const ops = this.compile(circuit, ws);
    if (this.threads && ws.wasm && circuit.numQubits >= this.threadMinQubits) {
      throwIfAborted(signal);
      await this.threads.run(a, circuit.numQubits, ops, ws, new Yielder(signal));
    } else {
      await execute(a, circuit.numQubits, ops, ws.wasm, signal);
    }
  }

  private async runTrajectory(
    a: Float64Array,
    n: number,
    ops: ReadonlyArray<{ op: Op | undefined; qubits: number[] }>,
    ws: Workspace,
    rng: Rng,
    yielder: Yielder,
  ): Promise<void> {
    const noise = this.noise as Required<NoiseModel>;
    const dim = 2 ** n;
    ws.used();
    a.fill(0);
    a[0] = 1;
    for (const { op, qubits } of ops) {
      if (yielder.due()) await yielder.yieldNow();
      if (op) applyOp(a, dim, op, ws.wasm);
      for (const q of qubits) {
        if (noise.bitFlip > 0 && rng.float() < noise.bitFlip) applyOp(a, dim, { kind: 'x', controls: 0, q }, ws.wasm);
        if (noise.depolarizing > 0 && rng.float() < noise.depolarizing) {
          const which = rng.int(0, 2);
          const pauli: Op =
            which === 0
              ? { kind: 'x', controls: 0, q }
              : which === 1
                ? { kind: 'u1', q, m: PAULI_Y }
                : { kind: 'phase', mask: 1 << q, re: -1, im: 0 };
          applyOp(a, dim, pauli, ws.wasm);
        }
      }
    }
  }

  /** Expectation values of a bound circuit: exact, sampled (`shots`), or over noise trajectories. */
  private async evaluate(
    circuit: CircuitJson,
    observables: readonly Observable[],
    shots: number | undefined,
    seed: number | undefined,
    signal?: AbortSignal,
  ): Promise<EstimateResult> {
    if (shots !== undefined) {
      return estimateFromSamples(this, { circuit, observables, shots, seed: seed ?? randomSeed(), signal });
    }
    const c = this.noise ? undefined : this.splitChunk(circuit.numQubits, 1);
    if (c !== undefined) {
      const state = await this.runSplit(circuit, c, signal);
      const values = observables.map((o) => state.pauliSum(o));
      return { values, standardErrors: values.map(() => 0) };
    }
    return this.withWorkspace(circuit.numQubits, 1, (ws) => this.evaluateIn(ws, circuit, observables, seed, signal));
  }

  private async evaluateIn(
    ws: Workspace,
    circuit: CircuitJson,
    observables: readonly Observable[],
    seed: number | undefined,
    signal?: AbortSignal,
  ): Promise<EstimateResult> {
    const n = circuit.numQubits;
    const dim = 2 ** n;
    const a = ws.states[0] as Float64Array;
    if (!this.noise) {
      await this.run(a, circuit, ws, signal);
      const values = observables.map((o) => observableExpectation(a, dim, o));
      return { values, standardErrors: values.map(() => 0) };
    }
    const rng = createRng(seed ?? randomSeed());
    const runs = this.noise.trajectories;
    const ops = gateOpList(circuit);
    const yielder = new Yielder(signal);
    const sum = new Array<number>(observables.length).fill(0);
    const sumSq = new Array<number>(observables.length).fill(0);
    for (let t = 0; t < runs; t++) {
      await this.runTrajectory(a, n, ops, ws, rng, yielder);
      observables.forEach((o, k) => {
        const v = observableExpectation(a, dim, o);
        sum[k] = (sum[k] as number) + v;
        sumSq[k] = (sumSq[k] as number) + v * v;
      });
    }
    const values = sum.map((s) => s / runs);
    const standardErrors = values.map((mean, k) => {
      if (runs < 2) return Number.POSITIVE_INFINITY;
      const variance = Math.max(0, ((sumSq[k] as number) - runs * mean * mean) / (runs - 1));
      return Math.sqrt(variance / runs);
    });
    return { values, standardErrors };
  }

  private async adjoint(
    circuit: CircuitJson,
    gates: readonly DiffGate[],
    observables: readonly Observable[],
    wrt: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ values: number[]; gradients: number[][] }> {
    const c = this.splitChunk(circuit.numQubits, 2 + observables.length);
    if (c !== undefined) return this.adjointSplit(circuit, c, gates, observables, wrt, signal);
    return this.withWorkspace(circuit.numQubits, 2 + observables.length, async (ws) => {
      const dim = 2 ** circuit.numQubits;
      const [psi, mu, ...lambdas] = ws.states as [Float64Array, Float64Array, ...Float64Array[]];
      await this.run(psi, circuit, ws, signal);
      const wasm = ws.wasm;
      const dot = wasm
        ? (x: Float64Array, y: Float64Array) => wasm.dotre(x.byteOffset, y.byteOffset, dim)
        : (x: Float64Array, y: Float64Array) => dotRe(x, y);
      const values = observables.map((o, k) => {
        const lambda = lambdas[k] as Float64Array;
        applyObservable(psi, lambda, dim, o);
        return dot(psi, lambda);
      });
      const gradients = await adjointSweep(
        gates,
        wrt,
        { psi, mu, lambdas, dot, apply: (x, op) => applyOp(x, dim, op, wasm), copy: (to, from) => to.set(from) },
        signal,
      );
      return { values, gradients };
    });
  }

  /** {@link adjoint} on split states (chunks of c qubits). */
  private async adjointSplit(
    circuit: CircuitJson,
    c: number,
    gates: readonly DiffGate[],
    observables: readonly Observable[],
    wrt: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ values: number[]; gradients: number[][] }> {
    const [psi, mu, ...lambdas] = this.splitStates(circuit.numQubits, c, 2 + observables.length) as [
      SplitState,
      SplitState,
      ...SplitState[],
    ];
    await this.runSplit(circuit, c, signal, psi);
    const values = observables.map((o, k) => {
      const lambda = lambdas[k] as SplitState;
      psi.applyObservable(o, lambda);
      return psi.dot(lambda);
    });
    const gradients = await adjointSweep(
      gates,
      wrt,
      {
        psi,
        mu,
        lambdas,
        dot: (x, y) => x.dot(y),
        apply: (x, op) => x.applySync(op),
        copy: (to, from) => to.copyFrom(from),
      },
      signal,
    );
    return { values, gradients };
  }
}

/** A sample result from counts by index. */
function sampleResult(counts: Map<number, number>, n: number, shots: number): SampleResult {
  const byKey = countsByBitstring(counts, n);
  const probabilities: Record<string, number> = {};
  for (const [k, c] of Object.entries(byKey)) probabilities[k] = c / shots;
  return { counts: byKey, probabilities, shots };
}

/** Unfused kernel ops of a bound circuit with the qubits of each gate (for noise after each gate). */
function gateOpList(circuit: CircuitJson): Array<{ op: Op | undefined; qubits: number[] }> {
  const out: Array<{ op: Op | undefined; qubits: number[] }> = [];
  for (const g of boundGates(circuit)) {
    if ('barrier' in g) continue;
    out.push({ op: gateOp(g.name, g.qubits, g.params), qubits: g.qubits });
  }
  return out;
}
