/**
 * The quantum job model, after Qiskit's `run(...) -> Job`: a request sent to a backend becomes a
 * job with an `id` and a `status`; `wait` polls it until it ends; `cancel` stops it; a backend's
 * `retrieve({id})` gives the job again after a restart (a new backend object, same service).
 *
 * Status moves one way: `queued` → `running` → one of the terminal states `completed`, `failed`,
 * `cancelled` (a service may skip `running`). A local backend's job is `completed` when `submit`
 * returns.
 *
 * Polling rule of `wait`: the k-th poll (k = 0, 1, …) happens after
 * d_k = min(maxPollIntervalMs, pollIntervalMs · 2^k) ms, no jitter; it stops at the first terminal
 * status, or with TimeoutError when the overall deadline `timeoutMs` (counted from the call) passes,
 * or with AbortError on the caller's signal. With `cancelOnStop`, a deadline or an abort also
 * cancels the job (best effort) so that it is not run and billed for nobody.
 */

import type { QStoreError } from '../shared/errors.js';

export type QuantumJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The terminal states: no later poll changes them. */
export const TERMINAL_JOB_STATUSES: ReadonlySet<QuantumJobStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface RetrieveJobParams {
  id: string;
  signal?: AbortSignal;
}

export interface JobCallParams {
  signal?: AbortSignal;
}

export interface WaitParams {
  signal?: AbortSignal;
  /** Overall deadline from the call, in ms; default: no deadline (the signal still applies). */
  timeoutMs?: number;
  /** First poll interval in ms (default the backend's, 250 ms for `BaseQuantumBackend`). */
  pollIntervalMs?: number;
  /** Longest poll interval in ms (default 10,000). */
  maxPollIntervalMs?: number;
  /** Cancel the job when the deadline passes or the signal fires (default false). */
  cancelOnStop?: boolean;
}

/** A job of a quantum backend; `R` is what it yields (`SampleResult[]` for a sample job). */
export interface QuantumJob<R> {
  readonly id: string;
  /** The `type` of the backend that ran it. */
  readonly backend: string;
  /** The status seen at the last poll (or at submit). */
  readonly status: QuantumJobStatus;
  /** Estimated cost in US dollars (shots × circuits × cost per shot), 0 when free. */
  readonly costUsd: number;
  /** Polls the backend once and returns the fresh status. */
  refresh(params?: JobCallParams): Promise<QuantumJobStatus>;
  /**
   * Polls until the job ends (see the module comment for the backoff) and returns its result.
   * Rejects with the job's error when it failed, and with `JobCancelledError` (code
   * `JOB_CANCELLED`) when it was cancelled.
   */
  wait(params?: WaitParams): Promise<R>;
  /** Asks the backend to cancel the job; a job already ended is left as it is. */
  cancel(params?: JobCallParams): Promise<void>;
}

/** What a remote backend's `doPoll` hook reports for a job. */
export type JobPoll<R> =
  | { status: 'queued' | 'running' }
  | { status: 'completed'; result: R }
  | { status: 'failed'; error: QStoreError | Error }
  | { status: 'cancelled' };
