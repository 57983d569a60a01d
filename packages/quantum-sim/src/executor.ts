import { setImmediate as nextTurn } from 'node:timers/promises';
import { throwIfAborted } from '@q-store/core';
import { applyOp, type Op } from './ops.js';
import type { WasmKernels } from './workspace.js';

/** Longest stretch of work between two turns of the event loop, in milliseconds. */
const SLICE_MS = 25;

/**
 * Lets a long simulation be aborted: `tick()` returns at once until {@link SLICE_MS} of work has
 * passed, then yields one turn of the event loop (so timers, and the caller's abort or timeout,
 * can run) and throws AbortError / TimeoutError if `signal` has fired. Costs one clock read per call.
 */
export class Yielder {
  private last = performance.now();
  constructor(private readonly signal: AbortSignal | undefined) {}

  async tick(): Promise<void> {
    if (this.due()) await this.yieldNow();
  }

  /** True when {@link SLICE_MS} of work has passed since the last turn (checked without awaiting). */
  due(): boolean {
    return performance.now() - this.last >= SLICE_MS;
  }

  /** Yields one turn of the event loop, then throws if the signal has fired. */
  async yieldNow(): Promise<void> {
    await nextTurn();
    throwIfAborted(this.signal);
    this.last = performance.now();
  }
}

/**
 * Applies `ops` in order to the interleaved state `a` of n qubits, with the SIMD kernels when
 * `wasm` is given (and `a` lives in its memory), without yielding.
 */
export function applyOps(a: Float64Array, n: number, ops: readonly Op[], wasm?: WasmKernels): void {
  const dim = 2 ** n;
  for (const op of ops) applyOp(a, dim, op, wasm);
}

/**
 * {@link applyOps} for the backend: between ops it yields to the event loop every few
 * milliseconds and stops with the signal's error once it has fired.
 */
export async function execute(
  a: Float64Array,
  n: number,
  ops: readonly Op[],
  wasm?: WasmKernels,
  signal?: AbortSignal,
  yielder = new Yielder(signal),
): Promise<void> {
  throwIfAborted(signal);
  const dim = 2 ** n;
  for (let i = 0; i < ops.length; i++) {
    if (yielder.due()) await yielder.yieldNow(); // no await per op: small circuits stay synchronous
    applyOp(a, dim, ops[i] as Op, wasm);
  }
}
