import { setImmediate as nextTurn } from 'node:timers/promises';
import { throwIfAborted } from '@q-store/core/backend';
import { applyChain, chainsFor } from './chains.js';
import { opTopQubit } from './fusion.js';
import { applyOp, blockConditional, type Op } from './ops.js';
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
  blockQubits = BLOCK_QUBITS,
): Promise<void> {
  throwIfAborted(signal);
  const dim = 2 ** n;
  // the clock is read once per CLOCK_WORK amplitudes of work, not per op (tiny ops cost less than a read)
  const every = Math.max(1, Math.floor(CLOCK_WORK / dim));
  for (const seg of segments(ops, n, blockQubits)) {
    if (!seg.blocked) {
      // real 2×2s on consecutive qubits above the blocks: one pass per chain (chains.ts)
      const list = wasm ? chainsFor(seg.ops, n, 1, blockQubits) : seg.ops;
      for (let i = 0; i < list.length; i++) {
        // no await per op: small circuits stay synchronous
        if (i % every === 0 && yielder.due()) await yielder.yieldNow();
        const op = list[i] as (typeof list)[number];
        if (op.kind === 'rchain') applyChain(a, dim, op, wasm);
        else applyOp(a, dim, op, wasm);
      }
      continue;
    }
    const block = 2 ** blockQubits;
    for (let off = 0; off < dim; off += block) {
      if (yielder.due()) await yielder.yieldNow();
      const b = a.subarray(2 * off, 2 * (off + block));
      for (const op of seg.ops) applyOp(b, block, op, wasm, off);
    }
  }
}

/**
 * Cache blocking: a run of ops that all act on qubits below `blockQubits` is applied block by
 * block — every op of the run on the first 2^blockQubits amplitudes (a block that stays in the
 * core's cache), then on the next block, … — so the run costs one pass over memory instead of one
 * per op. Each amplitude goes through the same kernels in the same order, so the result is
 * bit-identical to applying the ops one by one over the whole state (tested). 2^14 amplitudes are
 * 256 KiB, inside the L2 cache of current x86 and ARM cores.
 */
export const BLOCK_QUBITS = 14;

/**
 * Blocking starts at 2^4 blocks: a state of up to 2^17 amplitudes (2 MiB) stays in the caches
 * anyway, and there blocking only adds calls (measured on the QCBM: n = 16 10.4 ms unblocked
 * against 18.6 ms blocked, n = 17 equal, n = 18 71.6 → 57.8 ms, n = 20 best with 14 block qubits).
 */
const MIN_BLOCKS_LOG2 = 4;

/** Amplitudes of work between two reads of the clock in {@link execute}. */
const CLOCK_WORK = 2 ** 14;

/** The ops cut into runs: `blocked` runs act below `blockQubits` only and hold 2+ ops. */
export function segments(
  ops: readonly Op[],
  n: number,
  blockQubits: number,
): Array<{ ops: readonly Op[]; blocked: boolean }> {
  if (n - blockQubits < MIN_BLOCKS_LOG2) return [{ ops, blocked: false }];
  const out: Array<{ ops: Op[]; blocked: boolean }> = [];
  let cur: { ops: Op[]; blocked: boolean } | undefined;
  for (const op of ops) {
    // a phase table is elementwise: it runs inside any block (it reads the block's offset)
    // and a CNOT from above into the block is an X or nothing per block (ops.ts blockConditional)
    const low = op.kind === 'dtab' || opTopQubit(op) < blockQubits || blockConditional(op, blockQubits);
    if (!cur || cur.blocked !== low) {
      cur = { ops: [], blocked: low };
      out.push(cur);
    }
    cur.ops.push(op);
  }
  for (const seg of out) if (seg.ops.length < 2) seg.blocked = false;
  return out;
}
