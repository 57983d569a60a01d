import { applyOp, type Op } from './ops.js';
import type { WasmKernels } from './workspace.js';

/**
 * Chains: consecutive real 2×2s (r1, and muxr, a CNOT folded into one) on the qubits q, q + 1, …,
 * q + k − 1 above the cache blocks, run by the `rchain` kernel in one pass over memory instead of
 * one per op. The kernel walks tiles: the 2^k runs of w amplitudes at the same place in the 2^k
 * sub-blocks of 2^q amplitudes of each block of 2^(q+k); a tile holds every pair of every op of
 * the chain, so it stays in the L1 cache while the ops run on it one after another, with the same
 * instructions per amplitude as op by op (bit-identical results). On the QCBM above 2^14
 * amplitudes, each layer's CNOT ring folded into its rotations is such a run (muxr q : q − 1 for
 * q = 14, 15, …): chains of 4 cut its passes over memory by three quarters.
 */
export interface Chain {
  readonly kind: 'rchain';
  /** The window: qubits q … q + k − 1. */
  readonly q: number;
  readonly k: number;
  /** Amplitudes per run of a tile (a power of two, at most 2^q and 2^c for a control c below q). */
  readonly w: number;
  /** The ops, in order (each r1 or muxr, its target in the window). */
  readonly ops: readonly Op[];
  /** The kernel's desc (kernels.wat rchain): op count, then 11 numbers per op. */
  readonly desc: Float64Array;
}

/** Most qubits in a chain's window (3 and 5 measured slower on the QCBM at n = 24, 2 threads). */
export const CHAIN_MAX_QUBITS = 4;
/** Bytes of a tile, at most (2^k runs of w amplitudes, 16 bytes each): an L1 data cache. */
const TILE_BYTES = 2 ** 15;
/** Fewest amplitudes per run of a tile: below, the kernel's per-run work outweighs the pass it saves. */
const MIN_RUN = 16;
/**
 * Fewest qubits for chains on one thread, and on several (threads.ts): below, the state sits in
 * the caches and a pass costs about what the chain's tiles cost. Measured on the QCBM (2-core AMD
 * EPYC VM, interleaved in one process against the code without chains, medians): one thread n = 20
 * 1.04–1.16× slower, n = 21 equal, n = 22 1.07× faster, n = 24 1.05–1.12× faster; two threads (the
 * cores share the memory bandwidth) n = 20 equal to 1.08× faster, n = 24 1.25–1.34× faster.
 */
export const CHAIN_MIN_QUBITS = 22;
export const CHAIN_MIN_QUBITS_THREADS = 21;

/**
 * `ops` (a run outside the cache blocks of a state of n qubits) with their chains as T threads run
 * them: on one thread windows anywhere above the blocks; on several, windows below the shares' top
 * bits and the owned rounds' split bits (threads.ts: inside every share), then windows on the top
 * two qubits (run in owned rounds, each thread on its own tiles).
 */
export function chainsFor(
  ops: ReadonlyArray<Op | Chain>,
  n: number,
  T: number,
  blockQubits: number,
): Array<Op | Chain> {
  if (T < 2) return n >= CHAIN_MIN_QUBITS ? chainOps(ops, blockQubits, n) : [...ops];
  if (n < CHAIN_MIN_QUBITS_THREADS) return [...ops];
  return chainOps(chainOps(ops, blockQubits, Math.min(n - Math.log2(T), n - 2)), n - 2, n);
}

/** A 2×2 a chain can take: r1 or muxr with its target in [q, q + k). */
type Link = Op & { kind: 'r1' | 'muxr' };

function isLink(op: Op | Chain): op is Link {
  return op.kind === 'r1' || op.kind === 'muxr';
}

/**
 * The chain of `links` (targets q, q + 1, … in order), or undefined when they do not make one
 * (a control on a target of the chain, or a control below q too low for a run of MIN_RUN).
 */
function chainOf(links: readonly Link[]): Chain | undefined {
  const q = (links[0] as Link).q;
  const k = links.length;
  let w = Math.min(TILE_BYTES / 16 / 2 ** k, 2 ** q);
  const desc = new Float64Array(1 + 11 * k);
  desc[0] = k;
  for (const [i, op] of links.entries()) {
    const p = 1 + 11 * i;
    desc[p] = op.q - q;
    if (op.kind === 'r1') {
      desc.set(op.m, p + 3);
      desc.set(op.m, p + 7);
      continue;
    }
    if (op.c >= q && op.c < q + k && op.c !== op.q) {
      desc[p + 1] = 1;
      desc[p + 2] = op.c - q;
    } else if (op.c < q) {
      desc[p + 1] = 2;
      desc[p + 2] = op.c;
      w = Math.min(w, 2 ** op.c);
    } else return undefined;
    desc.set(op.m0, p + 3);
    desc.set(op.m1, p + 7);
  }
  return w >= MIN_RUN ? { kind: 'rchain', q, k, w, ops: links, desc } : undefined;
}

/**
 * `ops` with runs of consecutive real 2×2s on consecutive qubits from `minQubit` up to below
 * `belowQubit` gathered into chains of up to {@link CHAIN_MAX_QUBITS} (a lone op stays as it is;
 * chains already in `ops` pass through).
 */
export function chainOps(ops: ReadonlyArray<Op | Chain>, minQubit: number, belowQubit: number): Array<Op | Chain> {
  const out: Array<Op | Chain> = [];
  let i = 0;
  while (i < ops.length) {
    const first = ops[i] as Op | Chain;
    if (!isLink(first) || first.q < minQubit) {
      out.push(first);
      i++;
      continue;
    }
    const links: Link[] = [first];
    while (links.length < CHAIN_MAX_QUBITS) {
      const next = ops[i + links.length];
      if (next === undefined || !isLink(next) || next.q !== first.q + links.length || next.q >= belowQubit) break;
      links.push(next);
    }
    // the longest prefix that makes a chain (two links at least)
    let chain: Chain | undefined;
    for (let k = links.length; k >= 2 && chain === undefined; k--) chain = chainOf(links.slice(0, k));
    if (chain) {
      out.push(chain);
      i += chain.k;
    } else {
      out.push(first);
      i++;
    }
  }
  return out;
}

/**
 * Runs `chain` on the `dim` amplitudes of `a` (a whole number of its windows' blocks): the rchain
 * kernel when `wasm` has room for its desc, else its ops one by one (the same result).
 */
export function applyChain(a: Float64Array, dim: number, chain: Chain, wasm?: WasmKernels): void {
  const at = wasm ? wasm.tableAt(chain) : -1;
  if (wasm && at >= 0) {
    wasm.rchain(a.byteOffset, dim, chain.q, chain.k, chain.w, at, 0, 16 * 2 ** chain.q);
    return;
  }
  for (const op of chain.ops) applyOp(a, dim, op, wasm);
}
