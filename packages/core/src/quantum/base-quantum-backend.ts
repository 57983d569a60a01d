/**
 * `BaseQuantumBackend`: the template every quantum backend extends, so that "only one place has to
 * solve each problem" (PennyLane's device API). An implementer writes one hook and gets the rest:
 *
 * | public call | what the template does | hook |
 * |---|---|---|
 * | `submit` | closed check, `checkCapacity`, validation (`validateSampleParams`: circuits, gates, qubits, shots ≤ `maxShots`, seed, bindings), abort, per-call budget | `doSample` (local: returns results) or `doSubmit` (remote: returns a job id) |
 * | `sample` | `submit` then `wait` (a deadline or abort cancels a queued job) | — |
 * | `retrieve` | closed check, one poll | `doPoll` |
 * | job `wait` / `refresh` / `cancel` | backoff polling, deadline, abort | `doPoll`, `doCancel` |
 * | `estimate` | validation, budget | `doEstimate`, default: `estimateFromSamples` over `sample` |
 * | `gradient` | validation (`wrt`, `method` ∈ `gradientMethods`), budget | `doGradient`, default: the general parameter-shift rule (or finite differences) over `estimate` |
 * | `close` | closed flag (every later call is ClosedError), then `doClose` | `doClose` |
 *
 * Hooks take one object each and receive validated input with every parameter bound. A hook may
 * ignore its signal: the template races it (`raceAbort`), so an abort always rejects at once.
 *
 * Cost (see `budget.ts`): a sample request costs shots × circuits × `costPerShotUsd`; an estimate
 * costs its measurement groups × shots (default `DEFAULT_ESTIMATE_SHOTS`; 0 for an exact backend's
 * own `doEstimate` without shots); a gradient costs (1 + number of shifted evaluations) estimates
 * (parameter shift: Σ over the angles depending on `wrt` of their shift-rule terms; finite
 * differences: 2 per parameter). The budget is `params.maxCostUsd`, else the backend's
 * `maxCostUsd` option; work over it is refused with BudgetExceededError before anything is sent.
 */

import { randomUUID } from 'node:crypto';
import {
  NotFoundError,
  QStoreError,
  raceAbort,
  TimeoutError,
  throwIfAborted,
  ValidationError,
} from '../shared/errors.js';
import { Lifecycle } from '../shared/lifecycle.js';
import { checkBudget, costDetail, estimateCostUsd } from './budget.js';
import { DEFAULT_ESTIMATE_SHOTS, estimateFromSamples, measurementGroups } from './estimate-from-samples.js';
import {
  type JobCallParams,
  type JobPoll,
  type QuantumJob,
  type QuantumJobStatus,
  type RetrieveJobParams,
  TERMINAL_JOB_STATUSES,
  type WaitParams,
} from './jobs.js';
import { diffGates, parameterShiftGradient, shiftRule } from './parameter-shift.js';
import type {
  EstimateParams,
  EstimateResult,
  GradientParams,
  GradientResult,
  QuantumBackend,
  QuantumCapabilities,
  SampleParams,
  SampleResult,
} from './quantum-backend.js';
import {
  type PreparedEstimate,
  type PreparedGradient,
  type PreparedSample,
  validateEstimateParams,
  validateGradientParams,
  validateSampleParams,
} from './quantum-validation.js';

/** A validated sample request as the hooks see it. */
export interface SampleRequest extends PreparedSample {
  signal: AbortSignal | undefined;
}
/** A validated estimate request as `doEstimate` sees it. */
export interface EstimateRequest extends PreparedEstimate {
  signal: AbortSignal | undefined;
}
/** A validated gradient request as `doGradient` sees it. */
export interface GradientRequest extends PreparedGradient {
  signal: AbortSignal | undefined;
}
/** What `doPoll` and `doCancel` receive. */
export interface JobHookParams {
  id: string;
  signal: AbortSignal | undefined;
}

export interface BaseQuantumBackendOptions {
  /** Per-call budget in US dollars for calls that give no `maxCostUsd` (default none). */
  maxCostUsd?: number;
  /** First poll interval of a job's `wait`, in ms (default 250). */
  pollIntervalMs?: number;
  /** Longest poll interval, in ms (default 10,000). */
  maxPollIntervalMs?: number;
}

/** Default timeout of a call when a backend's capabilities declare none. */
export const DEFAULT_QUANTUM_TIMEOUT_MS = 5000;

/** A job ended as `cancelled` (by `cancel`, a deadline, or the service). */
export class JobCancelledError extends QStoreError {
  constructor(
    readonly jobId: string,
    readonly backend: string,
  ) {
    super('JOB_CANCELLED', `quantum job '${jobId}' on backend '${backend}' was cancelled`);
  }
}

/**
 * The template class; see the module comment. Subclasses set `type` and `capabilities` and
 * implement `doSample` (local) or `doSubmit` + `doPoll` (+ `doCancel`) (remote, queued).
 */
export abstract class BaseQuantumBackend implements QuantumBackend {
  abstract readonly type: string;
  abstract readonly capabilities: QuantumCapabilities;
  private readonly lifecycle = new Lifecycle(() => `quantum backend '${this.type}'`);
  private readonly options: Readonly<BaseQuantumBackendOptions>;

  protected constructor(options: BaseQuantumBackendOptions = {}) {
    const issues: Array<{ field: string; message: string }> = [];
    const positive = (field: keyof BaseQuantumBackendOptions, allowZero: boolean) => {
      const v = options[field];
      if (v === undefined) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
        issues.push({ field, message: `must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${String(v)}` });
      }
    };
    positive('maxCostUsd', true);
    positive('pollIntervalMs', false);
    positive('maxPollIntervalMs', false);
    if (issues.length > 0) throw new ValidationError(issues, 'Invalid quantum backend options');
    this.options = Object.freeze({ ...options });
  }

  /** A label for logs; `type` unless a backend says more (e.g. `state-vector+trajectories`). */
  get name(): string {
    return this.type;
  }

  /** True after `close()`. */
  get isClosed(): boolean {
    return this.lifecycle.closed;
  }

  // -------------------------------------------------------------------------------------------
  // Hooks

  /** Local backends: runs the request and returns one result per circuit. */
  protected doSample?(request: SampleRequest): Promise<SampleResult[]>;
  /** Remote backends: sends the request and returns the service's job id (do not wait for it). */
  protected doSubmit?(request: SampleRequest): Promise<{ id: string }>;
  /** Remote backends: one status query of a job. An unknown id is NotFoundError. */
  protected doPoll?(params: JobHookParams): Promise<JobPoll<SampleResult[]>>;
  /** Remote backends: asks the service to cancel a job. */
  protected doCancel?(params: JobHookParams): Promise<void>;
  /** Optional: a native estimator. Default: `estimateFromSamples` over `sample`. */
  protected doEstimate?(request: EstimateRequest): Promise<EstimateResult>;
  /** Optional: a native gradient (e.g. adjoint). Default: {@link defaultGradient}. */
  protected doGradient?(request: GradientRequest): Promise<GradientResult>;
  /** Optional: release resources; runs once, on the first `close()`. */
  protected doClose?(): Promise<void>;
  /**
   * Optional: a check that runs before validation on each circuit of a request (`field` names it,
   * e.g. `circuits[0]`), for limits with their own error (a simulator's memory).
   */
  protected checkCapacity?(circuit: unknown, field: string): void;

  // -------------------------------------------------------------------------------------------
  // Sampling and jobs

  async sample(params: SampleParams): Promise<SampleResult[]> {
    const job = await this.submit(params);
    return job.wait({ ...(params.signal ? { signal: params.signal } : {}), cancelOnStop: true });
  }

  async submit(params: SampleParams): Promise<QuantumJob<SampleResult[]>> {
    this.checkOpen();
    const circuits: unknown = params?.circuits;
    if (this.checkCapacity && Array.isArray(circuits)) {
      for (let i = 0; i < circuits.length; i++) this.checkCapacity(circuits[i], `circuits[${i}].numQubits`);
    }
    const prepared = validateSampleParams(params, this.capabilities);
    const request = { shots: prepared.shots, circuits: prepared.circuits.length };
    const costUsd = estimateCostUsd(this.capabilities, request);
    this.checkCallBudget(params.maxCostUsd, request);
    const signal = params.signal;
    if (this.doSubmit) {
      const { id } = await raceAbort(this.doSubmit({ ...prepared, signal }), signal);
      return this.job(id, { status: 'queued' }, costUsd);
    }
    if (!this.doSample) throw new Error(`quantum backend '${this.type}' implements neither doSample nor doSubmit`);
    const results = await raceAbort(this.doSample({ ...prepared, signal }), signal);
    return this.job(`local-${randomUUID()}`, { status: 'completed', result: results }, costUsd);
  }

  /**
   * The job with this id, with its current status (one poll), e.g. after a restart. Only a remote
   * backend keeps jobs: on a local backend every id is NotFoundError (its jobs complete inside
   * `submit` and live in the returned object). A retrieved job's `costUsd` is 0 (unknown).
   */
  async retrieve(params: RetrieveJobParams): Promise<QuantumJob<SampleResult[]>> {
    this.checkOpen();
    const id: unknown = params?.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      throw new ValidationError([{ field: 'id', message: 'must be a job id of 1 to 256 characters', limit: 256 }]);
    }
    throwIfAborted(params.signal);
    if (!this.doPoll) throw new NotFoundError(`quantum job '${id}' on local backend '${this.type}'`);
    const state = await this.poll(id, params.signal);
    return this.job(id, state, 0);
  }

  // -------------------------------------------------------------------------------------------
  // Estimates and gradients

  async estimate(params: EstimateParams): Promise<EstimateResult> {
    this.checkOpen();
    this.checkCapacity?.(params?.circuit, 'circuit.numQubits');
    const prepared = validateEstimateParams(params, this.capabilities);
    const shots = prepared.shots ?? (this.doEstimate && this.capabilities.exact ? 0 : DEFAULT_ESTIMATE_SHOTS);
    this.checkCallBudget(params.maxCostUsd, { shots, circuits: this.pricedGroups(prepared, shots) });
    if (this.doEstimate) return raceAbort(this.doEstimate({ ...prepared, signal: params.signal }), params.signal);
    return estimateFromSamples(this, params);
  }

  async gradient(params: GradientParams): Promise<GradientResult> {
    this.checkOpen();
    this.checkCapacity?.(params?.circuit, 'circuit.numQubits');
    const prepared = validateGradientParams(params, this.capabilities);
    const shots = prepared.shots ?? (this.capabilities.exact ? 0 : DEFAULT_ESTIMATE_SHOTS);
    const groups = this.pricedGroups(prepared, shots);
    const evaluations = groups === 0 ? 0 : 1 + this.shiftedEvaluations(prepared);
    this.checkCallBudget(params.maxCostUsd, { shots, circuits: groups * evaluations });
    const request: GradientRequest = { ...prepared, signal: params.signal };
    if (this.doGradient) return raceAbort(this.doGradient(request), params.signal);
    return this.defaultGradient(request);
  }

  /**
   * The gradient every backend gets: `method` `'parameter-shift'` (the default) by the general
   * parameter-shift rule, exact for every gate of the table including `crx`/`cry`/`crz`, or
   * `'finite-difference'` (central, step `step`, default 1e-5 exact or 0.05 with shots), both over
   * this backend's `estimate` with one seed for every evaluation. `'adjoint'` needs a `doGradient`.
   */
  protected defaultGradient(request: GradientRequest, options: { step?: number } = {}): Promise<GradientResult> {
    const method = request.method ?? 'parameter-shift';
    if (method === 'adjoint') {
      throw new ValidationError(
        [{ field: 'method', message: `backend '${this.type}' has no adjoint gradient; use 'parameter-shift'` }],
        'Invalid gradient request',
      );
    }
    return parameterShiftGradient(request, (p) => this.estimate(p), {
      method,
      ...(options.step !== undefined ? { step: options.step } : {}),
    });
  }

  /** Idempotent; a concurrent second call resolves when the first has finished (see `Lifecycle`). */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      await this.doClose?.();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  protected checkOpen(): void {
    this.lifecycle.assertOpen();
  }

  /** Refuses a call whose estimated cost (shots × circuits × price) is over its budget. */
  private checkCallBudget(maxCostUsd: unknown, request: { shots: number; circuits: number }): void {
    if (
      maxCostUsd !== undefined &&
      (typeof maxCostUsd !== 'number' || !(maxCostUsd >= 0) || !Number.isFinite(maxCostUsd))
    ) {
      throw new ValidationError([
        { field: 'maxCostUsd', message: `must be a finite number ≥ 0, got ${String(maxCostUsd)}` },
      ]);
    }
    const limit = (maxCostUsd as number | undefined) ?? this.options.maxCostUsd;
    if (limit === undefined) return;
    const estimate = estimateCostUsd(this.capabilities, request);
    checkBudget('call', limit, estimate, 0, costDetail(this.capabilities, request));
  }

  /**
   * Measurement groups of an estimate or gradient (the circuits it costs per evaluation), or 0
   * when the work is free anyway (no price, or no shots): then the grouping is not computed.
   */
  private pricedGroups(prepared: PreparedEstimate, shots: number): number {
    if (!((this.capabilities.costPerShotUsd ?? 0) > 0) || shots === 0) return 0;
    return measurementGroups(prepared.observables, prepared.circuit.numQubits).groups.length;
  }

  /** Evaluations besides the centre: shift-rule terms of every angle depending on `wrt`, or 2 per parameter. */
  private shiftedEvaluations(prepared: PreparedGradient): number {
    if (prepared.method === 'finite-difference') return 2 * prepared.wrt.length;
    if (
      prepared.method === 'adjoint' ||
      (this.doGradient && prepared.method === undefined && this.capabilities.exact)
    ) {
      return 0;
    }
    const wrt = new Set(prepared.wrt);
    let count = 0;
    for (const gate of diffGates(prepared.symbolic, prepared.circuit)) {
      gate.expressions.forEach((expr, j) => {
        if (expr && wrt.has(expr.name)) count += shiftRule(gate.name, j).length;
      });
    }
    return count;
  }

  private async poll(id: string, signal: AbortSignal | undefined): Promise<JobPoll<SampleResult[]>> {
    this.checkOpen();
    const doPoll = this.doPoll;
    if (!doPoll) throw new Error('internal: poll without doPoll');
    return raceAbort(doPoll.call(this, { id, signal }), signal);
  }

  private job(id: string, initial: JobPoll<SampleResult[]>, costUsd: number): QuantumJob<SampleResult[]> {
    let state = initial;
    const refresh = async (signal: AbortSignal | undefined): Promise<QuantumJobStatus> => {
      if (!TERMINAL_JOB_STATUSES.has(state.status)) state = await this.poll(id, signal);
      return state.status;
    };
    const outcome = (): SampleResult[] => {
      if (state.status === 'completed') return state.result;
      if (state.status === 'failed') throw state.error;
      if (state.status === 'cancelled') throw new JobCancelledError(id, this.type);
      throw new Error(`internal: job '${id}' is still ${state.status}`);
    };
    const cancel = async (signal: AbortSignal | undefined): Promise<void> => {
      if (TERMINAL_JOB_STATUSES.has(state.status) || !this.doCancel) return;
      this.checkOpen();
      await raceAbort(this.doCancel({ id, signal }), signal);
      state = await this.poll(id, signal).catch(() => ({ status: 'cancelled' }) as const);
    };
    return {
      id,
      backend: this.type,
      get status() {
        return state.status;
      },
      costUsd,
      refresh: (params?: JobCallParams) => refresh(params?.signal),
      cancel: (params?: JobCallParams) => cancel(params?.signal),
      wait: async (params: WaitParams = {}) => {
        if (TERMINAL_JOB_STATUSES.has(state.status)) return outcome();
        const first = params.pollIntervalMs ?? this.options.pollIntervalMs ?? 250;
        const longest = params.maxPollIntervalMs ?? this.options.maxPollIntervalMs ?? 10_000;
        const deadline = params.timeoutMs === undefined ? undefined : AbortSignal.timeout(params.timeoutMs);
        const signals = [params.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
        const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
        try {
          for (let k = 0; !TERMINAL_JOB_STATUSES.has(state.status); k++) {
            await sleep(Math.min(longest, first * 2 ** k), signal);
            await refresh(signal);
          }
        } catch (error) {
          const stopped = signal?.aborted === true;
          if (stopped && params.cancelOnStop) await cancel(undefined).catch(() => undefined);
          if (deadline?.aborted && !params.signal?.aborted) {
            throw new TimeoutError(`quantum job '${id}' on backend '${this.type}'`, params.timeoutMs, error);
          }
          throw error;
        }
        return outcome();
      },
    };
  }
}

/** Sleeps `ms`, rejecting with the typed abort error when the signal fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return raceAbort(wait, signal).finally(() => clearTimeout(timer));
}
