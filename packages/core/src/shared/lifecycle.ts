import { ClosedError, throwIfAborted, ValidationError } from './errors.js';

/**
 * The call-tracking lifecycle every closable q-store object shares: calls admitted while open are
 * tracked; `close()` refuses new calls at once (`CLOSED`), waits for every tracked call to settle,
 * then releases resources exactly once. A second `close()` — also a concurrent one — resolves only
 * when the first has finished releasing (never before), and with its outcome.
 *
 * Used by `BaseVectorBackend`, `withCache`, `BaseQuantumBackend` and the store packages.
 */
export class Lifecycle {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  /** @param label what a `ClosedError` names, e.g. `pgvector backend for index 'docs'`. */
  constructor(private readonly label: () => string) {}

  /** True once `close()` has begun. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Throws `ClosedError` once `close()` has begun. */
  assertOpen(): void {
    if (this.closing !== undefined) throw new ClosedError(this.label());
  }

  /**
   * Runs one call: `CLOSED` once closing began, `VALIDATION` for a `signal` that is not an
   * AbortSignal, `ABORTED`/`TIMEOUT` for a signal that already fired, otherwise `body()` tracked until it settles. Checks run before `body` starts, so a
   * refused call did nothing.
   */
  track<T>(signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      this.assertOpen();
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        // Checked before any work: a malformed signal must not let a write commit and then fail.
        throw new ValidationError([{ field: 'signal', message: 'must be an AbortSignal' }], 'Invalid call');
      }
      throwIfAborted(signal);
      running = body();
    } catch (error) {
      return Promise.reject(error);
    }
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Tracks background work started by an admitted call (a cache write-behind, say): `close()` waits for it too. */
  hold(work: Promise<unknown>): void {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
  }

  /** Number of tracked calls in flight. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Starts closing (once): waits for tracked calls to settle, then runs `release`. Every call returns the same promise. */
  close(release: () => Promise<void>): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await release();
    })();
    return this.closing;
  }
}
