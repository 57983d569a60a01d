import type { QuantumBackend } from '../quantum/quantum-backend.js';
import { abortErrorFor, isQStoreError, raceAbort, TimeoutError, throwIfAborted } from '../shared/errors.js';

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
  /** The last fallback's error code and message (secrets redacted), if any. */
  lastError: { code: string; message: string } | null;
}

const LATENCY_WINDOW = 2048;

/**
 * Runs quantum estimates with a time limit and counts them; a failure or a timeout yields the
 * classical value, counted as a fallback. A caller's own abort is not a fallback: it propagates.
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

  constructor(
    readonly backend: QuantumBackend | undefined,
    private readonly timeoutMs: number,
  ) {}

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
      const value = await raceAbort(quantum(backend, signal), signal);
      this.recordLatency(performance.now() - started);
      return { value, quantum: true };
    } catch (caught) {
      let error = caught;
      if (callerSignal?.aborted) throw abortErrorFor(callerSignal);
      this.fallbacks++;
      this.byFeature[feature].fallbacks++;
      if (timeout.aborted) error = new TimeoutError('quantum backend call', this.timeoutMs);
      this.lastError = isQStoreError(error)
        ? { code: error.code, message: error.message }
        : { code: 'QUANTUM_BACKEND', message: error instanceof Error ? error.name : 'unknown error' };
      return { value: classical(), quantum: false };
    }
  }

  stats(): QuantumStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number): number | null =>
      sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return {
      backend: this.backend?.name ?? null,
      quantumCalls: this.calls,
      fallbacks: this.fallbacks,
      successRate: this.calls === 0 ? null : (this.calls - this.fallbacks) / this.calls,
      latencyMs: { p50: pick(0.5), p95: pick(0.95), samples: sorted.length },
      byFeature: structuredClone(this.byFeature),
      lastError: this.lastError,
    };
  }

  private recordLatency(ms: number): void {
    if (this.latencies.length < LATENCY_WINDOW) this.latencies.push(ms);
    else {
      this.latencies[this.latencyCursor] = ms;
      this.latencyCursor = (this.latencyCursor + 1) % LATENCY_WINDOW;
    }
  }
}
