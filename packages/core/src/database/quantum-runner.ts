import { DEFAULT_QUANTUM_TIMEOUT_MS } from '../quantum/base-quantum-backend.js';
import { checkBudget, costDetail, estimateCostUsd } from '../quantum/budget.js';
import { TERMINAL_JOB_STATUSES } from '../quantum/jobs.js';
import type { QuantumBackend, SampleParams, SampleResult } from '../quantum/quantum-backend.js';
import {
  abortErrorFor,
  isQStoreError,
  raceAbort,
  TimeoutError,
  throwIfAborted,
  ValidationError,
} from '../shared/errors.js';

/**
 * Why a quantum call was answered classically: `timeout` (the deadline passed; a queued job is
 * cancelled), `budget` (the database's `maxCostUsd` would be exceeded; nothing was sent),
 * `unavailable` (the backend is closed, unreachable, rate limited or answered 5xx), `error`
 * (anything else).
 */
export type FallbackReason = 'timeout' | 'budget' | 'unavailable' | 'error';

export type QuantumFeature = 'superposition' | 'decoherence' | 'entanglement' | 'tunneling';

/** What `getQuantumStats()` reports. Latencies cover successful quantum calls only. */
export interface QuantumStats {
  backend: string | null;
  /** Calls sent to the quantum backend. */
  quantumCalls: number;
  /** Calls that failed or timed out and were answered by the classical formula instead. */
  fallbacks: number;
  /** (quantumCalls − fallbacks) / quantumCalls, or null before the first call. */
  successRate: number | null;
  latencyMs: { p50: number | null; p95: number | null; samples: number };
  byFeature: Record<QuantumFeature, { calls: number; fallbacks: number }>;
  /** Fallbacks by reason; the counts sum to `fallbacks`. */
  fallbackReasons: Record<FallbackReason, number>;
  /** Jobs cancelled because they were still queued or running at the deadline. */
  cancelledJobs: number;
  /** The deadline of one quantum call, in ms (the config's, else the backend's `defaultTimeoutMs`, else 5000). */
  timeoutMs: number;
  /** Estimated US dollars of the work sent (shots × circuits × cost per shot), counted when sent. */
  spentUsd: number;
  /** The database's total budget, if any. */
  maxCostUsd: number | null;
  /** The last fallback's reason, error code and message (secrets redacted), if any. */
  lastError: { reason: FallbackReason; code: string; message: string } | null;
}

export interface QuantumRunnerOptions {
  /** Deadline per call; default the backend's `capabilities.defaultTimeoutMs`, else 5000 ms. */
  timeoutMs?: number | undefined;
  /** Total budget of every call through this runner, in US dollars (default none). */
  maxCostUsd?: number | undefined;
}

const LATENCY_WINDOW = 2048;

/**
 * Runs quantum estimates with a time limit and a budget and counts them; a failure, a timeout or a
 * refusal of the budget yields the classical value, counted as a fallback with its reason. A
 * caller's own abort is not a fallback: it propagates.
 *
 * The quantum function gets a metered view of the backend: each `sample` is priced first
 * (shots × circuits × `costPerShotUsd`) and refused with BudgetExceededError when
 * spent + estimate > `maxCostUsd`; otherwise it goes out through `submit` + `wait` when the backend
 * has a job model, so that a job still queued at the deadline is cancelled (`cancelledJobs`).
 */
export class QuantumRunner {
  private calls = 0;
  private fallbacks = 0;
  private readonly latencies: number[] = [];
  private latencyCursor = 0;
  private lastError: QuantumStats['lastError'] = null;
  private readonly byFeature: QuantumStats['byFeature'] = {
    superposition: { calls: 0, fallbacks: 0 },
    decoherence: { calls: 0, fallbacks: 0 },
    entanglement: { calls: 0, fallbacks: 0 },
    tunneling: { calls: 0, fallbacks: 0 },
  };
  private readonly reasons: Record<FallbackReason, number> = { timeout: 0, budget: 0, unavailable: 0, error: 0 };
  private cancelledJobs = 0;
  private spentUsd = 0;
  readonly timeoutMs: number;
  private readonly maxCostUsd: number | undefined;

  constructor(
    readonly backend: QuantumBackend | undefined,
    options: QuantumRunnerOptions | number = {},
  ) {
    const { timeoutMs, maxCostUsd } =
      typeof options === 'number' ? { timeoutMs: options, maxCostUsd: undefined } : options;
    if (
      maxCostUsd !== undefined &&
      !(typeof maxCostUsd === 'number' && maxCostUsd >= 0 && Number.isFinite(maxCostUsd))
    ) {
      throw new ValidationError([
        { field: 'maxCostUsd', message: `must be a finite number ≥ 0, got ${String(maxCostUsd)}` },
      ]);
    }
    this.timeoutMs = timeoutMs ?? backend?.capabilities.defaultTimeoutMs ?? DEFAULT_QUANTUM_TIMEOUT_MS;
    this.maxCostUsd = maxCostUsd;
  }

  /**
   * `quantum(signal)` runs on the backend under a signal that fires on the caller's abort or after
   * `timeoutMs`; `classical()` is the exact value used when the quantum path fails.
   */
  async run<T>(
    feature: QuantumFeature,
    quantum: (backend: QuantumBackend, signal: AbortSignal) => Promise<T>,
    classical: () => T,
    callerSignal?: AbortSignal,
  ): Promise<{ value: T; quantum: boolean }> {
    const backend = this.backend;
    if (!backend) return { value: classical(), quantum: false };
    throwIfAborted(callerSignal);
    this.calls++;
    this.byFeature[feature].calls++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const started = performance.now();
    try {
      const value = await raceAbort(quantum(this.metered(backend), signal), signal);
      this.recordLatency(performance.now() - started);
      return { value, quantum: true };
    } catch (caught) {
      let error = caught;
      if (callerSignal?.aborted) throw abortErrorFor(callerSignal);
      this.fallbacks++;
      this.byFeature[feature].fallbacks++;
      if (timeout.aborted) error = new TimeoutError('quantum backend call', this.timeoutMs);
      const reason = fallbackReason(error);
      this.reasons[reason]++;
      this.lastError = isQStoreError(error)
        ? { reason, code: error.code, message: error.message }
        : { reason, code: 'QUANTUM_BACKEND', message: error instanceof Error ? error.name : 'unknown error' };
      return { value: classical(), quantum: false };
    }
  }

  stats(): QuantumStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number): number | null =>
      sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return {
      backend: this.backend?.type ?? null,
      quantumCalls: this.calls,
      fallbacks: this.fallbacks,
      successRate: this.calls === 0 ? null : (this.calls - this.fallbacks) / this.calls,
      latencyMs: { p50: pick(0.5), p95: pick(0.95), samples: sorted.length },
      byFeature: structuredClone(this.byFeature),
      fallbackReasons: { ...this.reasons },
      cancelledJobs: this.cancelledJobs,
      timeoutMs: this.timeoutMs,
      spentUsd: this.spentUsd,
      maxCostUsd: this.maxCostUsd ?? null,
      lastError: this.lastError,
    };
  }

  /** The backend as the quantum function sees it: `sample` priced, budgeted, and cancellable as a job. */
  private metered(backend: QuantumBackend): QuantumBackend {
    return {
      type: backend.type,
      capabilities: backend.capabilities,
      sample: (params) => this.sample(backend, params),
      close: async () => undefined,
    };
  }

  private async sample(backend: QuantumBackend, params: SampleParams): Promise<SampleResult[]> {
    const request = { shots: params.shots, circuits: params.circuits.length };
    const cost = estimateCostUsd(backend.capabilities, request);
    checkBudget('database', this.maxCostUsd, cost, this.spentUsd, costDetail(backend.capabilities, request));
    if (!backend.submit) {
      this.spentUsd += cost;
      return backend.sample(params);
    }
    const job = await backend.submit(params);
    this.spentUsd += cost;
    // Counted once, when the deadline (or abort) finds the job unfinished: `wait` cancels it then,
    // and the count is visible as soon as the caller has its classical answer.
    let counted = false;
    const countCancelled = () => {
      if (counted) return;
      counted = true;
      this.cancelledJobs++;
    };
    const onStop = () => {
      if (!TERMINAL_JOB_STATUSES.has(job.status)) countCancelled();
    };
    params.signal?.addEventListener('abort', onStop, { once: true });
    try {
      return await job.wait({ ...(params.signal ? { signal: params.signal } : {}), cancelOnStop: true });
    } catch (error) {
      if (job.status === 'cancelled' || !TERMINAL_JOB_STATUSES.has(job.status)) countCancelled();
      throw error;
    } finally {
      params.signal?.removeEventListener('abort', onStop);
    }
  }

  private recordLatency(ms: number): void {
    if (this.latencies.length < LATENCY_WINDOW) this.latencies.push(ms);
    else {
      this.latencies[this.latencyCursor] = ms;
      this.latencyCursor = (this.latencyCursor + 1) % LATENCY_WINDOW;
    }
  }
}

const UNAVAILABLE: ReadonlySet<string> = new Set(['CLOSED', 'CONNECTION', 'RATE_LIMITED', 'AUTHENTICATION']);

function fallbackReason(error: unknown): FallbackReason {
  if (!isQStoreError(error)) return 'error';
  if (error.code === 'TIMEOUT') return 'timeout';
  if (error.code === 'BUDGET_EXCEEDED') return 'budget';
  if (UNAVAILABLE.has(error.code) || (error.code === 'SERVICE' && error.retryable)) return 'unavailable';
  return 'error';
}
