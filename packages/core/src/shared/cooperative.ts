/**
 * Cooperative slicing of long CPU work across the whole process. Each long scan awaits
 * `nextSlice()` before each slice of its work; the scheduler lets **one** waiter go per turn of the
 * event loop (a `setImmediate`), in arrival order. So however many scans run at once, a turn of the
 * loop holds at most one slice of work: timers (`AbortSignal.timeout`), I/O and other calls run
 * between slices, and concurrent scans share the CPU round-robin.
 *
 * (Yielding with a bare `setImmediate` per scan is not enough: Node runs every queued immediate in
 * one check phase, so N concurrent scans would still block the loop for N slices at a time.)
 */

const waiting: Array<() => void> = [];
let scheduled = false;

function turn(): void {
  scheduled = false;
  const next = waiting.shift();
  if (waiting.length > 0) schedule();
  next?.();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(turn);
}

/** Resolves on a later turn of the event loop, after the slices queued before it. */
export function nextSlice(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}
