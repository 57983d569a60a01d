import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface StallFigures {
  /** Wall time of `work`. */
  wallMs: number;
  /** The longest event-loop stall: the larger of the longest gap between ticks of a 1 ms interval and monitorEventLoopDelay's max (the histogram records nothing while the loop is blocked throughout). */
  maxStallMs: number;
  /** How late an `AbortSignal.timeout(timeoutMs)` armed as `work` starts fires. */
  timerLateMs: number;
}

/** Runs `work` and measures how responsive the process stayed meanwhile. */
export async function measureStalls(work: () => Promise<unknown>, timeoutMs: number): Promise<StallFigures> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  let timerLateMs = Number.NaN;
  const armed = performance.now();
  const fired = new Promise<void>((resolve) =>
    AbortSignal.timeout(timeoutMs).addEventListener('abort', () => {
      timerLateMs = performance.now() - armed - timeoutMs;
      resolve();
    }),
  );
  await work();
  const wallMs = performance.now() - armed;
  await fired;
  clearInterval(ticker);
  histogram.disable();
  return { wallMs, maxStallMs: Math.max(maxGapMs, histogram.max / 1e6), timerLateMs };
}
