import { throwIfAborted } from '@q-store/core';
import { applyOp, type Op } from './ops.js';
import type { WasmKernels } from './workspace.js';

/** How many ops run between two checks of the abort signal. */
const ABORT_CHECK_EVERY = 16;

/**
 * Applies `ops` in order to the interleaved state `a` of n qubits, with the SIMD kernels when
 * `wasm` is given (and `a` lives in its memory). Checks `signal` every few ops.
 */
export function execute(
  a: Float64Array,
  n: number,
  ops: readonly Op[],
  wasm?: WasmKernels,
  signal?: AbortSignal,
): void {
  const dim = 2 ** n;
  for (let i = 0; i < ops.length; i++) {
    if (i % ABORT_CHECK_EVERY === 0) throwIfAborted(signal);
    applyOp(a, dim, ops[i] as Op, wasm);
  }
}
