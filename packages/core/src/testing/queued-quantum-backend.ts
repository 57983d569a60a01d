/**
 * A test double of a remote, queued quantum service, for the job model of the conformance kit and
 * for users' tests. `QueuedJobService` plays the service: it keeps jobs by id across backend
 * objects (so a job is resumed by id after the backend is recreated), moves each job from
 * `queued` (for `queuedMs`) to `running` (for `runningMs`) to `completed` by the clock, computes the
 * result with a local engine backend when the job completes, and counts what it received.
 * `QueuedQuantumBackend` is a `BaseQuantumBackend` over it through `doSubmit` / `doPoll` /
 * `doCancel` only: the template supplies validation, budget, `wait` and `sample`.
 */

import type { EstimateRequest } from '../quantum/base-quantum-backend.js';
import { BaseQuantumBackend, type JobHookParams, type SampleRequest } from '../quantum/base-quantum-backend.js';
import { estimateFromSamples } from '../quantum/estimate-from-samples.js';
import type { JobPoll } from '../quantum/jobs.js';
import type { EstimateResult, QuantumBackend, QuantumCapabilities, SampleResult } from '../quantum/quantum-backend.js';
import { NotFoundError } from '../shared/errors.js';

interface ServiceJob {
  request: Omit<SampleRequest, 'signal'>;
  submittedAt: number;
  cancelled: boolean;
  result?: Promise<SampleResult[]>;
}

export interface QueuedJobServiceOptions {
  /** The local backend that computes results (e.g. the simulator). */
  engine: QuantumBackend;
  /** Time a job stays `queued`, in ms (default 20). */
  queuedMs?: number;
  /** Time a job stays `running`, in ms (default 20). */
  runningMs?: number;
  /** Price per shot the backends declare (default 0.0001 USD). */
  costPerShotUsd?: number;
}

/** The fake service: jobs by id, outliving any backend object. */
export class QueuedJobService {
  readonly engine: QuantumBackend;
  readonly queuedMs: number;
  readonly runningMs: number;
  readonly costPerShotUsd: number;
  /** Requests received (one per submitted job), in order. */
  readonly received: Array<Omit<SampleRequest, 'signal'>> = [];
  /** Cancel requests received, by job id. */
  readonly cancelRequests: string[] = [];
  private readonly jobs = new Map<string, ServiceJob>();
  private counter = 0;

  constructor(options: QueuedJobServiceOptions) {
    this.engine = options.engine;
    this.queuedMs = options.queuedMs ?? 20;
    this.runningMs = options.runningMs ?? 20;
    this.costPerShotUsd = options.costPerShotUsd ?? 0.0001;
  }

  submit(request: Omit<SampleRequest, 'signal'>): string {
    this.counter++;
    const id = `job-${this.counter.toString().padStart(6, '0')}`;
    this.received.push(request);
    this.jobs.set(id, { request, submittedAt: Date.now(), cancelled: false });
    return id;
  }

  async poll(id: string): Promise<JobPoll<SampleResult[]>> {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`quantum job '${id}'`);
    if (job.cancelled) return { status: 'cancelled' };
    const age = Date.now() - job.submittedAt;
    if (age < this.queuedMs) return { status: 'queued' };
    if (age < this.queuedMs + this.runningMs) return { status: 'running' };
    job.result ??= this.engine.sample({
      circuits: job.request.circuits,
      shots: job.request.shots,
      ...(job.request.seed !== undefined ? { seed: job.request.seed } : {}),
    });
    try {
      return { status: 'completed', result: await job.result };
    } catch (error) {
      return { status: 'failed', error: error as Error };
    }
  }

  cancel(id: string): void {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`quantum job '${id}'`);
    this.cancelRequests.push(id);
    const age = Date.now() - job.submittedAt;
    if (age < this.queuedMs + this.runningMs) job.cancelled = true;
  }
}

export interface QueuedQuantumBackendOptions {
  service: QueuedJobService;
  /** Poll interval of `wait` (default 2 ms, so that the kit runs fast). */
  pollIntervalMs?: number;
  /** Per-call budget default. */
  maxCostUsd?: number;
  /**
   * Offer the engine's exact `estimate` (free, not queued) when it has one, so that the kit's exact
   * checks and the template's default parameter-shift gradient run over it (default true).
   */
  exactEstimate?: boolean;
}

/** A queued remote backend over a {@link QueuedJobService}; see the module comment. */
export class QueuedQuantumBackend extends BaseQuantumBackend {
  readonly type = 'queued-test-double';
  readonly capabilities: QuantumCapabilities;
  private readonly service: QueuedJobService;
  private readonly exactEstimate: boolean;

  constructor(options: QueuedQuantumBackendOptions) {
    super({
      pollIntervalMs: options.pollIntervalMs ?? 2,
      maxPollIntervalMs: 20,
      ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
    });
    this.service = options.service;
    const engine = options.service.engine;
    this.exactEstimate = (options.exactEstimate ?? true) && engine.capabilities.exact && engine.estimate !== undefined;
    this.capabilities = Object.freeze({
      maxQubits: engine.capabilities.maxQubits,
      gates: engine.capabilities.gates,
      exact: this.exactEstimate,
      gradientMethods: ['parameter-shift', 'finite-difference'] as const,
      costPerShotUsd: options.service.costPerShotUsd,
      defaultTimeoutMs: 60_000,
      queued: true,
      ...(engine.capabilities.maxShots !== undefined ? { maxShots: engine.capabilities.maxShots } : {}),
    });
  }

  protected override async doSubmit(request: SampleRequest): Promise<{ id: string }> {
    const { signal: _signal, ...rest } = request;
    return { id: this.service.submit(rest) };
  }

  protected override doPoll(params: JobHookParams): Promise<JobPoll<SampleResult[]>> {
    return this.service.poll(params.id);
  }

  protected override async doCancel(params: JobHookParams): Promise<void> {
    this.service.cancel(params.id);
  }

  protected override async doEstimate(request: EstimateRequest): Promise<EstimateResult> {
    const engine = this.service.engine;
    if (!this.exactEstimate || request.shots !== undefined || !engine.estimate) {
      return estimateFromSamples(this, {
        circuit: request.circuit,
        observables: request.observables,
        ...(request.shots !== undefined ? { shots: request.shots } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    }
    return engine.estimate({ circuit: request.circuit, observables: request.observables });
  }
}
