import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import {
  type CircuitJson,
  type EstimateResult,
  GATE_NAMES,
  type GradientResult,
  isQStoreError,
  NotFoundError,
  type QuantumCapabilities,
  type SampleParams,
  type SampleResult,
  ValidationError,
} from '@q-store/core';
import {
  BaseQuantumBackend,
  type BaseQuantumBackendOptions,
  type EstimateRequest,
  estimateFromSamples,
  type GradientRequest,
  type JobHookParams,
  type JobPoll,
  type SampleRequest,
  validateSampleParams,
} from '@q-store/core/backend';
import {
  errorFromFailure,
  IonqClient,
  type IonqClientOptions,
  type IonqJob,
  type IonqJobPayload,
  type IonqRequestEvent,
} from './client.js';
import {
  type Distribution,
  exactExpectations,
  groupCircuits,
  readDistribution,
  samplesFromDistributions,
} from './distributions.js';
import { compileCircuit } from './gate-compiler.js';
import type { IonqCircuit, IonqGateset } from './ionq-gates.js';
import { IONQ_LIMITS, IONQ_NOISE_MODELS } from './ionq-limits.js';

/**
 * `IonQBackend`: core's `BaseQuantumBackend` on IonQ's REST API v0.4 (a remote, queued backend).
 *
 * - **Jobs.** One `sample` call is one job: `ionq.circuit.v1` for one circuit, `ionq.multi-circuit.v1`
 *   for several (so an estimate's measurement groups and a gradient's shifted circuits go out
 *   together). `submit` returns at once with IonQ's job id; `wait` polls with core's backoff
 *   (min(maxPoll, poll·2^k)), cancels on abort or at the deadline (`timeoutMs`, the capabilities'
 *   `defaultTimeoutMs`); `retrieve({id})` resumes a job on a new backend object: what it needs to
 *   decode the answer (shots, seed, qubits per circuit) travels in the job's IonQ metadata.
 * - **Targets.** `simulator` (ideal, or with `noiseModel` such as `aria-1`, `forte-1`) and the QPUs
 *   (`qpu.forte-1`, …). The ideal simulator returns exact probabilities: counts are drawn from them
 *   with the call's seed (multinomial, like hardware), and `estimate`/`gradient` without shots are
 *   exact (`capabilities.exact`). Noisy simulator and QPUs return probabilities of the shots IonQ
 *   ran; the counts are recovered exactly (largest remainder), and the seed goes to `noise.seed`.
 * - **Gradients.** The parameter-shift rule of core, with every shifted circuit (× every measurement
 *   group) sent as ONE multi-circuit job ({@link IonQBackend.batch}); `batch(fn)` does the same for
 *   any deterministic computation, e.g. a training step.
 * - **Cost.** shots × circuits × `pricePerShotUsd` of the target (0 for the simulator), checked by
 *   core against `maxCostUsd` before anything is sent; `usage()` keeps jobs, requests, estimated and
 *   actual cost.
 * - **Limits** (declared in `capabilities`, checked before sending): qubits per target, shots ≤
 *   1,000,000, ≤ 5,000 circuits and 150,000 gates per job, metadata ≤ 10 keys of ≤ 40 characters
 *   with values ≤ 40,000 characters, job name ≤ 100 characters.
 */

/** Qubits per IonQ target (IonQ's published system sizes; the cloud simulator runs up to 29). */
export const IONQ_TARGET_QUBITS: Readonly<Record<string, number>> = Object.freeze({
  simulator: 29,
  'qpu.aria-1': 25,
  'qpu.aria-2': 25,
  'qpu.forte-1': 36,
  'qpu.forte-enterprise-1': 36,
});

/**
 * Default price per shot in USD, per target, for the budget check: 0 for the simulator; the QPU
 * figures are planning numbers, not IonQ's contract prices (which depend on gates and plan). Set
 * `pricePerShotUsd` to your own.
 */
export const IONQ_DEFAULT_PRICE_PER_SHOT_USD: Readonly<Record<string, number>> = Object.freeze({
  simulator: 0,
  'qpu.aria-1': 0.03,
  'qpu.aria-2': 0.03,
  'qpu.forte-1': 0.08,
  'qpu.forte-enterprise-1': 0.08,
});

/** Metadata keys this backend writes on every job (user metadata may not use them). */
const META = { shots: 'qstore_shots', seed: 'qstore_seed', qubits: 'qstore_qubits', exact: 'qstore_exact' } as const;

export interface IonQCapabilities extends QuantumCapabilities {
  target: string;
  noiseModel: string | undefined;
  gateset: IonqGateset;
  maxCircuitsPerJob: number;
  maxGatesPerJob: number;
  maxMetadataKeys: number;
  maxMetadataKeyLength: number;
  maxMetadataValueLength: number;
  maxJobNameLength: number;
}

export interface IonQBackendOptions extends BaseQuantumBackendOptions, Omit<IonqClientOptions, 'apiKey' | 'onRequest'> {
  /** IonQ API key (sent as `Authorization: apiKey <key>`). */
  apiKey: string;
  /** `simulator` (default) or a QPU such as `qpu.forte-1`. */
  target?: string;
  /** Simulator only: `ideal` (default) or a noise model such as `aria-1`, `forte-1`. */
  noiseModel?: string;
  /** Gate set sent to IonQ: `qis` (default) or `native` (gpi, gpi2, ms/zz, phases in turns). */
  gateset?: IonqGateset;
  /** Native two-qubit gate for `rzz`: `ms` (default) or `zz` (Forte). */
  entangler?: 'ms' | 'zz';
  /** Price per shot in USD for the budget (default {@link IONQ_DEFAULT_PRICE_PER_SHOT_USD} of the target). */
  pricePerShotUsd?: number;
  /** Qubits of the target, when not in {@link IONQ_TARGET_QUBITS}. */
  maxQubits?: number;
  /** Prefix of job names (default `q-store`). */
  jobName?: string;
  /** Metadata put on every job (strings; IonQ's limits, the `qstore_` prefix is reserved). */
  metadata?: Record<string, string>;
  /** Deadline of `sample` and default deadline for databases, in ms (simulator 120 s, QPU 1 h). */
  timeoutMs?: number;
  /** Called after every HTTP exchange with IonQ (never carries the key). */
  onRequest?: (event: IonqRequestEvent) => void;
}

/** What the backend has sent and spent (see {@link IonQBackend.usage}). */
export interface IonQUsage {
  jobs: number;
  circuits: number;
  shots: number;
  httpRequests: number;
  /** Σ shots × circuits × price per shot of the jobs sent. */
  estimatedCostUsd: number;
  /** Σ of IonQ's reported cost of completed jobs (`GET /jobs/{id}/cost`; the estimate when IonQ gives none; 0 on the simulator). */
  actualCostUsd: number;
}

interface Recorded {
  kind: 'sample' | 'exact';
  circuits: CircuitJson[];
  shots: number;
  seed: number | undefined;
}

interface Recorder {
  mode: 'record' | 'replay';
  calls: Recorded[];
  answers: Array<SampleResult[] | Distribution[]>;
  next: number;
}

export class IonQBackend extends BaseQuantumBackend {
  readonly type = 'ionq';
  readonly capabilities: IonQCapabilities;
  readonly target: string;
  readonly noiseModel: string | undefined;
  private readonly client: IonqClient;
  private readonly compileOptions: { gateset: IonqGateset; entangler: 'ms' | 'zz' };
  private readonly jobName: string;
  private readonly userMetadata: Readonly<Record<string, string>>;
  private readonly deadlineMs: number;
  private readonly stats: IonQUsage = {
    jobs: 0,
    circuits: 0,
    shots: 0,
    httpRequests: 0,
    estimatedCostUsd: 0,
    actualCostUsd: 0,
  };
  /** Exact distributions of completed `exact` jobs, until read. */
  private readonly exactResults = new Map<string, Distribution[]>();
  private readonly costed = new Set<string>();
  private recorder: Recorder | undefined;

  constructor(options: IonQBackendOptions) {
    super({
      ...(options?.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
      pollIntervalMs: options?.pollIntervalMs ?? 250,
      // QPU queues take minutes to hours: poll at most every 30 s there, every 5 s on the simulator.
      maxPollIntervalMs:
        options?.maxPollIntervalMs ?? ((options?.target ?? 'simulator') === 'simulator' ? 5000 : 30_000),
    });
    const issues: Array<{ field: string; message: string; limit?: number }> = [];
    const target = options?.target ?? 'simulator';
    if (typeof target !== 'string' || !/^(simulator|qpu\.[a-z0-9-]+)$/.test(target)) {
      issues.push({ field: 'target', message: `must be 'simulator' or 'qpu.<system>', got ${String(target)}` });
    }
    const noise = options?.noiseModel;
    if (noise !== undefined) {
      if (target !== 'simulator') issues.push({ field: 'noiseModel', message: 'applies to the simulator target only' });
      else if (!IONQ_NOISE_MODELS.includes(noise)) {
        issues.push({ field: 'noiseModel', message: `must be one of ${IONQ_NOISE_MODELS.join(', ')}, got ${noise}` });
      }
    }
    const gateset = options?.gateset ?? 'qis';
    if (gateset !== 'qis' && gateset !== 'native') {
      issues.push({ field: 'gateset', message: `must be 'qis' or 'native', got ${String(gateset)}` });
    }
    const entangler = options?.entangler ?? 'ms';
    if (entangler !== 'ms' && entangler !== 'zz') {
      issues.push({ field: 'entangler', message: `must be 'ms' or 'zz', got ${String(entangler)}` });
    }
    const maxQubits = options?.maxQubits ?? IONQ_TARGET_QUBITS[target];
    if (maxQubits === undefined || !Number.isInteger(maxQubits) || maxQubits < 1) {
      issues.push({
        field: 'maxQubits',
        message: `target '${target}' is not in the known list (${Object.keys(IONQ_TARGET_QUBITS).join(', ')}); give maxQubits (an integer ≥ 1)`,
      });
    }
    const price = options?.pricePerShotUsd ?? IONQ_DEFAULT_PRICE_PER_SHOT_USD[target] ?? 0;
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
      issues.push({ field: 'pricePerShotUsd', message: `must be a finite number ≥ 0, got ${String(price)}` });
    }
    const jobName = options?.jobName ?? 'q-store';
    if (typeof jobName !== 'string' || jobName.length === 0 || jobName.length > 60) {
      issues.push({ field: 'jobName', message: 'must be 1 to 60 characters (IonQ names are kept ≤ 100)', limit: 60 });
    }
    const metadata = options?.metadata ?? {};
    checkUserMetadata(metadata, issues);
    const timeoutMs = options?.timeoutMs ?? (target === 'simulator' ? 120_000 : 3_600_000);
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      issues.push({ field: 'timeoutMs', message: `must be a finite number > 0, got ${String(timeoutMs)}` });
    }
    if (issues.length > 0) throw new ValidationError(issues, 'Invalid IonQ backend options');
    const onRequest = options.onRequest;
    this.client = new IonqClient({
      apiKey: options.apiKey,
      ...pick(options, [
        'baseUrl',
        'maxRetries',
        'retryBaseDelayMs',
        'retryMaxDelayMs',
        'requestTimeoutMs',
        'fetch',
        'random',
      ]),
      onRequest: (event) => {
        this.stats.httpRequests++;
        onRequest?.(event);
      },
    });
    this.target = target;
    this.noiseModel = noise === 'ideal' ? undefined : noise;
    this.compileOptions = { gateset, entangler };
    this.jobName = jobName;
    this.userMetadata = Object.freeze({ ...metadata });
    this.deadlineMs = timeoutMs;
    const exact = target === 'simulator' && this.noiseModel === undefined;
    this.capabilities = Object.freeze({
      maxQubits: maxQubits as number,
      gates: GATE_NAMES,
      exact,
      gradientMethods: ['parameter-shift', 'finite-difference'] as const,
      maxShots: IONQ_LIMITS.maxShots,
      ...(price > 0 ? { costPerShotUsd: price } : {}),
      defaultTimeoutMs: timeoutMs,
      queued: true,
      target,
      noiseModel: this.noiseModel,
      gateset,
      maxCircuitsPerJob: IONQ_LIMITS.maxCircuitsPerJob,
      maxGatesPerJob: IONQ_LIMITS.maxGatesPerJob,
      maxMetadataKeys: IONQ_LIMITS.maxMetadataKeys,
      maxMetadataKeyLength: IONQ_LIMITS.maxMetadataKeyLength,
      maxMetadataValueLength: IONQ_LIMITS.maxMetadataValueLength,
      maxJobNameLength: IONQ_LIMITS.maxJobNameLength,
    });
  }

  override get name(): string {
    return this.noiseModel ? `ionq:${this.target}+${this.noiseModel}` : `ionq:${this.target}`;
  }

  /** Jobs, HTTP requests and cost so far (a copy). */
  usage(): IonQUsage {
    return { ...this.stats };
  }

  /** The client's base URL (never the key). */
  get baseUrl(): string {
    return this.client.baseUrl;
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, target: this.target, noiseModel: this.noiseModel, baseUrl: this.baseUrl, apiKey: '***' };
  }

  [inspect.custom](): string {
    return `IonQBackend { target: '${this.target}'${this.noiseModel ? `, noiseModel: '${this.noiseModel}'` : ''}, baseUrl: '${this.baseUrl}', apiKey: '***' }`;
  }

  // -------------------------------------------------------------------------------------------
  // Sampling with a deadline; batching

  /** `submit` then `wait` with the deadline `timeoutMs` (the job is cancelled when it passes or on abort). */
  override async sample(params: SampleParams): Promise<SampleResult[]> {
    if (this.recorder) {
      this.checkOpen();
      const prepared = validateSampleParams(params, this.capabilities);
      return (await this.recorded({ kind: 'sample', ...prepared })) as SampleResult[];
    }
    const job = await this.submit(params);
    return job.wait({
      ...(params.signal ? { signal: params.signal } : {}),
      cancelOnStop: true,
      timeoutMs: this.deadlineMs,
    });
  }

  /**
   * Runs `fn` so that every circuit it sends to this backend goes out in ONE multi-circuit job (one
   * per distinct shot count; more only past IonQ's 5,000 circuits per job). `fn` runs twice: a
   * recording pass in which `sample`/`estimate` answer placeholders and nothing is sent, then — after
   * the job has completed — a replay pass that gets the real answers in the same order. So `fn` must
   * ask for the same circuits whatever the answers are (true of parameter-shift gradients and of a
   * training step's gradient stage), must not change state outside itself in the first pass, and
   * must not run other work on this backend concurrently. Calls with their own seed keep it on the
   * ideal simulator (counts are drawn per call); on a noisy target the job has one seed (the first).
   * Nested `batch` calls join the outer one.
   */
  async batch<T>(fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    if (this.recorder) return fn();
    this.checkOpen();
    const recorder: Recorder = { mode: 'record', calls: [], answers: [], next: 0 };
    this.recorder = recorder;
    try {
      await fn();
    } finally {
      this.recorder = undefined;
    }
    recorder.answers = await this.runRecorded(recorder.calls, options.signal);
    recorder.mode = 'replay';
    this.recorder = recorder;
    try {
      const value = await fn();
      if (recorder.next !== recorder.calls.length) {
        throw new Error(
          `IonQBackend.batch: the replay made ${recorder.next} of ${recorder.calls.length} calls (fn is not deterministic)`,
        );
      }
      return value;
    } finally {
      this.recorder = undefined;
    }
  }

  /** Parameter shift (or finite differences) with every evaluation in one job. */
  protected override doGradient(request: GradientRequest): Promise<GradientResult> {
    return this.batch(() => this.defaultGradient(request), request.signal ? { signal: request.signal } : {});
  }

  /** Exact on the ideal simulator without shots; otherwise core's estimate from samples (one job). */
  protected override async doEstimate(request: EstimateRequest): Promise<EstimateResult> {
    if (request.shots === undefined && this.capabilities.exact) {
      const { groups, constants, circuits } = groupCircuits(request.circuit, request.observables);
      const dists = circuits.length === 0 ? [] : await this.exactDistributions(circuits, request.signal);
      return exactExpectations(groups, constants, dists);
    }
    return estimateFromSamples(this, request);
  }

  /** Exact distributions of bound circuits from the ideal simulator (one job). */
  private async exactDistributions(circuits: CircuitJson[], signal: AbortSignal | undefined): Promise<Distribution[]> {
    if (this.recorder)
      return (await this.recorded({ kind: 'exact', circuits, shots: 1, seed: undefined })) as Distribution[];
    return this.runExact(circuits, signal);
  }

  private async runExact(circuits: CircuitJson[], signal: AbortSignal | undefined): Promise<Distribution[]> {
    this.exactNext = true;
    let job: Awaited<ReturnType<BaseQuantumBackend['submit']>>;
    try {
      job = await this.submit({ circuits, shots: 1, seed: 0, ...(signal ? { signal } : {}) });
    } finally {
      this.exactNext = false;
    }
    await job.wait({ ...(signal ? { signal } : {}), cancelOnStop: true, timeoutMs: this.deadlineMs });
    const dists = this.exactResults.get(job.id);
    this.exactResults.delete(job.id);
    if (!dists) throw new Error(`internal: exact job '${job.id}' has no distributions`);
    return dists;
  }

  private exactNext = false;

  private async recorded(call: Recorded): Promise<SampleResult[] | Distribution[]> {
    const rec = this.recorder as Recorder;
    if (rec.mode === 'record') {
      rec.calls.push({ ...call, circuits: call.circuits.map((c) => structuredClone(c)) });
      return call.kind === 'exact'
        ? call.circuits.map((c) => ({ numQubits: c.numQubits, entries: [{ key: 0, p: 1 }] }))
        : call.circuits.map((c) => {
            const zeros = '0'.repeat(c.numQubits);
            return { counts: { [zeros]: call.shots }, probabilities: { [zeros]: 1 }, shots: call.shots };
          });
    }
    const i = rec.next++;
    const want = rec.calls[i];
    if (
      !want ||
      want.kind !== call.kind ||
      want.shots !== call.shots ||
      JSON.stringify(want.circuits) !== JSON.stringify(call.circuits)
    ) {
      throw new Error(
        `IonQBackend.batch: call ${i} of the replay differs from the recording (fn is not deterministic)`,
      );
    }
    return rec.answers[i] as SampleResult[] | Distribution[];
  }

  /**
   * Sends the recorded calls: all exact ones in one exact job, sampled ones in one job per shot
   * count; on the ideal simulator sampled calls also go out as exact distributions and are drawn
   * per call with their own seed (what the unbatched call would have drawn).
   */
  private async runRecorded(
    calls: Recorded[],
    signal: AbortSignal | undefined,
  ): Promise<Array<SampleResult[] | Distribution[]>> {
    const answers: Array<SampleResult[] | Distribution[]> = new Array(calls.length);
    const exact = this.capabilities.exact;
    const exactCalls = calls.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === 'exact' || exact);
    if (exactCalls.length > 0) {
      const dists = await this.chunked(
        exactCalls.flatMap(({ c }) => c.circuits),
        (cs) => this.runExact(cs, signal),
      );
      let at = 0;
      for (const { c, i } of exactCalls) {
        const mine = dists.slice(at, at + c.circuits.length);
        at += c.circuits.length;
        answers[i] = c.kind === 'exact' ? mine : samplesFromDistributions(mine, c.shots, c.seed ?? randomSeed(), true);
      }
    }
    const byShots = new Map<number, Array<{ c: Recorded; i: number }>>();
    calls.forEach((c, i) => {
      if (c.kind === 'sample' && !exact) byShots.set(c.shots, [...(byShots.get(c.shots) ?? []), { c, i }]);
    });
    for (const [shots, group] of byShots) {
      const first = group[0]?.c.seed;
      const results = await this.chunked(
        group.flatMap(({ c }) => c.circuits),
        async (cs) => {
          const job = await this.submit({
            circuits: cs,
            shots,
            ...(first !== undefined ? { seed: first } : {}),
            ...(signal ? { signal } : {}),
          });
          return job.wait({ ...(signal ? { signal } : {}), cancelOnStop: true, timeoutMs: this.deadlineMs });
        },
      );
      let at = 0;
      for (const { c, i } of group) {
        answers[i] = results.slice(at, at + c.circuits.length);
        at += c.circuits.length;
      }
    }
    return answers;
  }

  /** Runs circuits in jobs of at most IonQ's circuits and gates per job, in order. */
  private async chunked<R>(circuits: CircuitJson[], run: (chunk: CircuitJson[]) => Promise<R[]>): Promise<R[]> {
    const out: R[] = [];
    let chunk: CircuitJson[] = [];
    let gates = 0;
    for (const c of circuits) {
      const g = c.operations.length * 8;
      if (
        chunk.length > 0 &&
        (chunk.length >= IONQ_LIMITS.maxCircuitsPerJob || gates + g > IONQ_LIMITS.maxGatesPerJob)
      ) {
        out.push(...(await run(chunk)));
        chunk = [];
        gates = 0;
      }
      chunk.push(c);
      gates += g;
    }
    if (chunk.length > 0) out.push(...(await run(chunk)));
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Hooks

  protected override checkCapacity(circuit: unknown, field: string): void {
    const n = (circuit as { numQubits?: unknown } | undefined)?.numQubits;
    if (typeof n === 'number' && Number.isInteger(n) && n > this.capabilities.maxQubits) {
      throw new ValidationError(
        [
          {
            field,
            message: `needs ${n} qubits; IonQ target '${this.target}' has ${this.capabilities.maxQubits} (not enough qubits)`,
            limit: this.capabilities.maxQubits,
          },
        ],
        'Circuit too large for the IonQ target',
      );
    }
  }

  protected override async doSubmit(request: SampleRequest): Promise<{ id: string }> {
    // Read and cleared synchronously: `submit` calls this hook before its first await.
    const exact = this.exactNext;
    this.exactNext = false;
    const payload = this.payload(request, exact);
    // No signal on the POST: once it reached IonQ the job exists, so an abort is handled by
    // cancelling the job as soon as its id is known (the template has already rejected the call).
    const { id } = await this.client.createJob(payload);
    if (typeof id !== 'string' || id === '') throw new Error('IonQ answered POST /jobs without a job id');
    if (request.signal?.aborted) {
      await this.client.cancelJob(id).catch(() => undefined);
    }
    const price = this.capabilities.costPerShotUsd ?? 0;
    this.stats.jobs++;
    this.stats.circuits += request.circuits.length;
    this.stats.shots += request.shots * request.circuits.length;
    this.stats.estimatedCostUsd += price * request.shots * request.circuits.length;
    return { id };
  }

  protected override async doPoll({ id, signal }: JobHookParams): Promise<JobPoll<SampleResult[]>> {
    const job = await this.client.getJob(id, signal);
    switch (job.status) {
      case 'submitted':
      case 'ready':
        return { status: 'queued' };
      case 'started':
        return { status: 'running' };
      case 'canceled':
        return { status: 'cancelled' };
      case 'failed':
        return { status: 'failed', error: errorFromFailure(id, job.failure) };
      case 'completed':
        return { status: 'completed', result: await this.results(job, signal) };
      default:
        return { status: 'failed', error: new Error(`IonQ job '${id}' has an unknown status '${String(job.status)}'`) };
    }
  }

  /**
   * `PUT /jobs/{id}/status/cancel`. A job that ended meanwhile (IonQ answers 400: already completed,
   * failed or canceled) is left as it is: the template's next poll reads its final status.
   */
  protected override async doCancel({ id, signal }: JobHookParams): Promise<void> {
    try {
      await this.client.cancelJob(id, signal);
    } catch (error) {
      if (isQStoreError(error) && error.code === 'VALIDATION') return;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Payload and results

  private payload(request: SampleRequest, exact: boolean): IonqJobPayload {
    const issues: Array<{ field: string; message: string; limit?: number }> = [];
    const count = request.circuits.length;
    if (count > IONQ_LIMITS.maxCircuitsPerJob) {
      issues.push({
        field: 'circuits',
        message: `${count} circuits, more than IonQ's ${IONQ_LIMITS.maxCircuitsPerJob} per job`,
        limit: IONQ_LIMITS.maxCircuitsPerJob,
      });
    }
    const compiled: IonqCircuit[] = [];
    request.circuits.forEach((c, i) => {
      compiled.push(compileCircuit(c, { ...this.compileOptions, field: `circuits[${i}]` }));
    });
    const gates = compiled.reduce((s, c) => s + c.circuit.length, 0);
    if (gates > IONQ_LIMITS.maxGatesPerJob) {
      issues.push({
        field: 'circuits',
        message: `${gates} IonQ gates in total, more than IonQ's ${IONQ_LIMITS.maxGatesPerJob} per job`,
        limit: IONQ_LIMITS.maxGatesPerJob,
      });
    }
    const seed = request.seed ?? randomSeed();
    const widths = encodeWidths(request.circuits.map((c) => c.numQubits));
    if (widths.length > IONQ_LIMITS.maxMetadataValueLength) {
      issues.push({
        field: 'circuits',
        message: `the circuits' widths take ${widths.length} characters of job metadata, more than ${IONQ_LIMITS.maxMetadataValueLength}; send circuits of fewer distinct widths per call`,
      });
    }
    const metadata: Record<string, string> = {
      ...this.userMetadata,
      [META.shots]: String(request.shots),
      [META.seed]: String(seed),
      [META.qubits]: widths,
      ...(exact ? { [META.exact]: '1' } : {}),
    };
    const name = `${this.jobName} ${exact ? 'exact' : 'sample'} ${count} circuit${count === 1 ? '' : 's'}`.slice(
      0,
      IONQ_LIMITS.maxJobNameLength,
    );
    const qubits = Math.max(...request.circuits.map((c) => c.numQubits));
    const gateset = this.compileOptions.gateset;
    const payload: IonqJobPayload = {
      type: count === 1 ? 'ionq.circuit.v1' : 'ionq.multi-circuit.v1',
      backend: this.target,
      shots: request.shots,
      name,
      metadata,
      ...(this.noiseModel ? { noise: { model: this.noiseModel, seed: seed | 0 } } : {}),
      input:
        count === 1
          ? (compiled[0] as IonqCircuit)
          : {
              gateset,
              qubits,
              circuits: compiled.map((c, i) => ({ name: `circuit ${i}`, qubits: c.qubits, circuit: c.circuit })),
            },
    };
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    if (bytes > IONQ_LIMITS.maxBodyBytes) {
      issues.push({
        field: 'circuits',
        message: `the job body is ${bytes} bytes, more than IonQ's ${IONQ_LIMITS.maxBodyBytes}`,
        limit: IONQ_LIMITS.maxBodyBytes,
      });
    }
    if (issues.length > 0) throw new ValidationError(issues, 'Job over IonQ limits');
    return payload;
  }

  /** Results of a completed job, decoded with the shots, seed and widths from its metadata. */
  private async results(job: IonqJob, signal: AbortSignal | undefined): Promise<SampleResult[]> {
    const meta = job.metadata ?? {};
    const shots = Number(meta[META.shots] ?? job.shots);
    const seed = Number(meta[META.seed] ?? 0);
    const widths = decodeWidths(meta[META.qubits]);
    if (!Number.isInteger(shots) || shots < 1 || widths === undefined) {
      throw new NotFoundError(`IonQ job '${job.id}' was not submitted by q-store (no ${META.qubits} metadata)`);
    }
    const raw = await this.probabilities(job, widths.length, signal);
    const dists = raw.map((p, i) => readDistribution(p, widths[i] as number));
    const exactJob = meta[META.exact] === '1';
    if (exactJob) this.exactResults.set(job.id, dists);
    await this.recordActualCost(job, shots * widths.length, signal);
    return samplesFromDistributions(dists, shots, seed | 0, this.isExactTarget(job));
  }

  private isExactTarget(job: IonqJob): boolean {
    return job.backend === 'simulator' && (job.noise === undefined || job.noise.model === 'ideal');
  }

  /** One distribution per circuit, in circuit order. */
  private async probabilities(
    job: IonqJob,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<Array<Record<string, number>>> {
    if (job.type !== 'ionq.multi-circuit.v1') return [await this.client.getProbabilities(job.id, signal)];
    const children = job.child_job_ids ?? [];
    if (children.length !== count) {
      throw new Error(`IonQ job '${job.id}' has ${children.length} child jobs for ${count} circuits`);
    }
    const aggregate = job.results?.['ionq.result.probabilities-aggregate.json.v1'];
    if (aggregate?.id) {
      const all = (await this.client.getArtifact(job.id, aggregate.id, signal)) as Record<
        string,
        Record<string, number>
      >;
      if (children.every((c) => all?.[c] !== undefined)) return children.map((c) => all[c] as Record<string, number>);
    }
    const out: Array<Record<string, number>> = [];
    for (const child of children) out.push(await this.client.getProbabilities(child, signal));
    return out;
  }

  private async recordActualCost(job: IonqJob, shotsTotal: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.costed.has(job.id)) return;
    this.costed.add(job.id);
    const price = this.capabilities.costPerShotUsd ?? 0;
    if (job.backend === 'simulator' || price === 0) return;
    try {
      const cost = await this.client.getJobCost(job.id, signal);
      const value = cost.cost?.value;
      this.stats.actualCostUsd += typeof value === 'number' && cost.cost?.unit === 'usd' ? value : price * shotsTotal;
    } catch {
      this.stats.actualCostUsd += price * shotsTotal;
    }
  }
}

/** Widths of the circuits as run-length pairs: `3` for one width, `2x4,3x1` otherwise. */
export function encodeWidths(widths: readonly number[]): string {
  const runs: Array<[number, number]> = [];
  for (const w of widths) {
    const last = runs[runs.length - 1];
    if (last && last[0] === w) last[1]++;
    else runs.push([w, 1]);
  }
  return runs.map(([w, k]) => `${w}x${k}`).join(',');
}

export function decodeWidths(text: string | undefined): number[] | undefined {
  if (typeof text !== 'string' || !/^\d+x\d+(,\d+x\d+)*$/.test(text)) return undefined;
  return text.split(',').flatMap((run) => {
    const [w, k] = run.split('x').map(Number) as [number, number];
    return new Array<number>(k).fill(w);
  });
}

function randomSeed(): number {
  return randomInt(0, 2 ** 31 - 1);
}

function checkUserMetadata(metadata: unknown, issues: Array<{ field: string; message: string; limit?: number }>) {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    issues.push({ field: 'metadata', message: 'must be an object of strings' });
    return;
  }
  const entries = Object.entries(metadata as Record<string, unknown>);
  const room = IONQ_LIMITS.maxMetadataKeys - Object.keys(META).length;
  if (entries.length > room) {
    issues.push({
      field: 'metadata',
      message: `${entries.length} keys; IonQ allows ${IONQ_LIMITS.maxMetadataKeys} and q-store uses ${Object.keys(META).length}`,
      limit: room,
    });
  }
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > IONQ_LIMITS.maxMetadataKeyLength) {
      issues.push({
        field: `metadata.${k}`,
        message: `keys are 1 to ${IONQ_LIMITS.maxMetadataKeyLength} characters`,
        limit: IONQ_LIMITS.maxMetadataKeyLength,
      });
    }
    if (k.startsWith('qstore_')) issues.push({ field: `metadata.${k}`, message: "the 'qstore_' prefix is reserved" });
    if (typeof v !== 'string' || v.length > IONQ_LIMITS.maxMetadataValueLength) {
      issues.push({
        field: `metadata.${k}`,
        message: `must be a string of at most ${IONQ_LIMITS.maxMetadataValueLength} characters`,
        limit: IONQ_LIMITS.maxMetadataValueLength,
      });
    }
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}
