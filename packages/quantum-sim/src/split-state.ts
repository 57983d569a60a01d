import type { Observable, Rng } from '@q-store/core';
import { chainsFor } from './chains.js';
import { phaseOps } from './diagonals.js';
import { BLOCK_QUBITS, execute, segments, Yielder } from './executor.js';
import { opMask, remapOp } from './fusion.js';
import { dotRe } from './gradients.js';
import { applyOp, type Op } from './ops.js';
import { addPauliTerm, parity, pauliMasks, pauliPairSum, powI } from './pauli.js';
import { unfoldMux } from './program.js';
import { sampleChunks } from './sampling.js';
import type { ThreadPool } from './threads.js';
import { SimulatorCapacityError, stateBytes, Workspace } from './workspace.js';

/**
 * A state of n qubits held as 2^(n−c) chunks of 2^c amplitudes, each chunk in its own WebAssembly
 * memory (an instance of the same kernels module), so that the SIMD kernels run on states larger
 * than one 32-bit memory (4 GiB: 27 qubits) holds.
 *
 * The state's qubits are placed on physical bit positions by a permutation (`where[logical]`): a
 * physical position below c is a bit of the amplitude index inside a chunk, one at or above c a
 * bit of the chunk index. An op whose targets all sit below c runs inside every chunk with the
 * existing kernels; controls (and the bits of a phase) at or above c only select the chunks it
 * runs in. A target at or above c is first exchanged with a low position: for each pair of chunks
 * differing in that bit, the half of one chunk with the low bit 1 trades places with the half of
 * the other with the low bit 0 (native copies of half the state: half a pass), and the
 * permutation records the exchange. Exchanging two high positions only renames chunks (free), a
 * `swap` gate only relabels qubits. The low position traded is the one whose qubit the circuit
 * needs again last (among the top {@link EXCHANGE_WINDOW} positions, so copies stay long runs).
 *
 * Every amplitude goes through the same kernels as in one memory and exchanges copy exactly, so
 * states match the unsplit simulator's bit for bit — except for phase tables (diagonals.ts), which
 * each chunk builds for its own index bits (the same phases, grouped otherwise: agree to 1e-12);
 * sums over the state (expectations, norms) add in another order (agree to rounding).
 */

/** Most qubits of one chunk: 2^27 amplitudes are 2 GiB, one WebAssembly memory holds below 4 GiB. */
export const MAX_CHUNK_QUBITS = 27;

/** Fewest qubits of a chunk: a two-qubit gate (rxx, ryy, ms) needs both targets in one chunk. */
export const MIN_CHUNK_QUBITS = 2;

/** Low positions considered for an exchange: the top ones, so that runs of copies stay long. */
const EXCHANGE_WINDOW = 8;

/** Amplitudes copied per piece of an exchange (1 MiB: stays in the L2 cache between its copies). */
const PIECE = 2 ** 16;

/** Runs shorter than this many amplitudes are exchanged element by element. */
const SHORT_RUN = 16;

/**
 * Passes over memory of split states since the process started, for the benchmark: `passes` in
 * units of the whole state (one per kernel call outside a cache-blocked run, one per blocked run,
 * summed over the chunks it ran on), `exchanges` (each half a pass, not in `passes`).
 */
export const splitStats = { passes: 0, exchanges: 0 };

/** Bit positions of a mask, ascending. */
function bits(mask: number): number[] {
  const out: number[] = [];
  for (let q = 0; q < 31; q++) if ((mask >>> q) & 1) out.push(q);
  return out;
}

/** Qubits an op moves amplitudes or phases on that must be inside a chunk (its targets). */
function targetMask(op: Op): number {
  switch (op.kind) {
    case 'x':
    case 'cu1':
      return 1 << op.q;
    case 'phase':
    case 'dtab':
      return 0;
    default:
      return opMask(op);
  }
}

/** An op placed on physical positions, and the chunk-index bits that must all be set for it to apply. */
interface Placed {
  op: Op;
  /** Chunk-index bits (position − c) the op is conditioned on. */
  cond: number;
  /** Ops of each chunk instead of `op` (a phase table: its factors read the chunk's index bits). */
  perChunk?: Op[][];
}

export class SplitState {
  readonly chunkDim: number;
  /** Chunk j holds physical indices j·2^c … (j + 1)·2^c − 1. */
  chunks: Float64Array[];
  spaces: Workspace[];
  /** Physical position of each logical qubit, and the logical qubit at each position. */
  readonly where: number[];
  readonly which: number[];
  /** Half passes spent exchanging (one per exchange of a high and a low position), since made. */
  exchanges = 0;
  /** True until anything writes the chunks (they are still the zeros of their new memories). */
  private fresh = true;
  private readonly piece: Float64Array;

  constructor(
    readonly numQubits: number,
    readonly chunkQubits: number,
    limitBytes: number,
    useWasm = true,
  ) {
    if (!(chunkQubits >= MIN_CHUNK_QUBITS && chunkQubits <= MAX_CHUNK_QUBITS && chunkQubits <= numQubits)) {
      throw new RangeError(`internal: chunk of ${chunkQubits} qubits for a state of ${numQubits}`);
    }
    if (stateBytes(numQubits) > limitBytes) {
      throw new SimulatorCapacityError(numQubits, stateBytes(numQubits), limitBytes);
    }
    this.chunkDim = 2 ** chunkQubits;
    const count = 2 ** (numQubits - chunkQubits);
    this.spaces = Array.from({ length: count }, () => new Workspace(chunkQubits, 1, limitBytes, useWasm));
    this.chunks = this.spaces.map((ws) => ws.states[0] as Float64Array);
    this.where = Array.from({ length: numQubits }, (_, q) => q);
    this.which = [...this.where];
    this.piece = new Float64Array(2 * Math.min(PIECE, this.chunkDim));
  }

  /** True when the chunks run the SIMD kernels. */
  get simd(): boolean {
    return this.spaces[0]?.wasm !== undefined;
  }

  /**
   * |0…0⟩ with the identity placement. The first reset of a new state fills nothing: its chunks
   * are the zeros their memories were created with, and the kernels then touch the pages first, on
   * every thread (a fill page-faulted 4 GiB in 13 s of a 58 s call at 28 qubits, on one thread).
   */
  reset(): void {
    if (!this.fresh) for (const a of this.chunks) a.fill(0);
    this.fresh = false;
    (this.chunks[0] as Float64Array)[0] = 1;
    this.identity();
  }

  private identity(): void {
    for (let q = 0; q < this.numQubits; q++) {
      this.where[q] = q;
      this.which[q] = q;
    }
  }

  /** Copies `from` (same shape) into this state, placement included. */
  copyFrom(from: SplitState): void {
    this.fresh = false;
    this.chunks.forEach((a, j) => {
      a.set(from.chunks[j] as Float64Array);
    });
    for (let q = 0; q < this.numQubits; q++) {
      this.where[q] = from.where[q] as number;
      this.which[q] = from.which[q] as number;
    }
  }

  /**
   * Applies `ops` (on logical qubits) in order: runs of ops that need no exchange go to each chunk
   * as one list (cache blocking and threads as for a whole state, `threads` from `threadMinQubits`
   * chunk qubits on), exchanges between them.
   */
  async run(
    ops: readonly Op[],
    options: { signal?: AbortSignal; yielder?: Yielder; threads?: ThreadPool; threadMinQubits?: number } = {},
  ): Promise<void> {
    const yielder = options.yielder ?? new Yielder(options.signal);
    this.fresh = false;
    let batch: Placed[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as Op;
      if (op.kind === 'swap') {
        // a swap gate relabels its qubits: no data moves
        this.relabel(op.q0, op.q1);
        continue;
      }
      for (const part of this.unfolded(op)) {
        if (this.needsExchange(part)) {
          await this.runBatch(batch, yielder, options.threads, options.threadMinQubits);
          batch = [];
          this.localize(part, ops, i);
          if (yielder.due()) await yielder.yieldNow();
        }
        batch.push(this.place(part));
      }
    }
    await this.runBatch(batch, yielder, options.threads, options.threadMinQubits);
  }

  /**
   * A mux (a CNOT folded into a 2×2) whose control sits on a chunk bit, as its 2×2 and CNOT (the
   * CNOT then runs as a chunk condition, with no exchange for the control); any other op as is.
   */
  private unfolded(op: Op): readonly Op[] {
    if ((op.kind !== 'mux' && op.kind !== 'muxr') || (this.where[op.c] as number) < this.chunkQubits) return [op];
    return unfoldMux(op) ?? [op];
  }

  /** Applies one op (on logical qubits) synchronously. */
  applySync(op: Op): void {
    if (op.kind === 'swap') {
      this.relabel(op.q0, op.q1);
      return;
    }
    for (const part of this.unfolded(op)) {
      if (this.needsExchange(part)) this.localize(part, [part], 0);
      const { op: local, cond, perChunk } = this.place(part);
      this.chunks.forEach((a, j) => {
        if ((j & cond) !== cond) return;
        for (const o of perChunk?.[j] ?? [local]) applyOp(a, this.chunkDim, o, (this.spaces[j] as Workspace).wasm);
      });
    }
  }

  /** Logical qubits q0 and q1 trade positions (a swap gate): no data moves. */
  private relabel(q0: number, q1: number): void {
    this.swapPositions(this.where[q0] as number, this.where[q1] as number);
  }

  private needsExchange(op: Op): boolean {
    for (const q of bits(targetMask(op))) if ((this.where[q] as number) >= this.chunkQubits) return true;
    return false;
  }

  /** Brings every target of `ops[i]` below c, trading with the low qubits needed again last. */
  private localize(op: Op, ops: readonly Op[], i: number): void {
    const c = this.chunkQubits;
    const targets = bits(targetMask(op));
    const busy = new Set(targets.map((q) => this.where[q] as number).filter((p) => p < c));
    for (const q of targets) {
      const h = this.where[q] as number;
      if (h < c) continue;
      let best = -1;
      let bestNext = -1;
      const lowest = c - Math.min(c, EXCHANGE_WINDOW);
      for (let pass = 0; pass < 2 && best < 0; pass++) {
        for (let p = c - 1; p >= (pass === 0 ? lowest : 0); p--) {
          if (busy.has(p)) continue;
          const next = nextUse(ops, i, this.which[p] as number);
          if (next > bestNext) {
            best = p;
            bestNext = next;
          }
        }
      }
      if (best < 0) throw new Error(`internal: no chunk position free for a target of ${op.kind}`);
      this.exchange(h, best);
      busy.add(best);
    }
  }

  /** The op on physical positions: targets below c, high controls as chunk conditions. */
  private place(op: Op): Placed {
    const c = this.chunkQubits;
    const low = (1 << c) - 1;
    if (op.kind === 'dtab') {
      // each factor on physical positions; in chunk j its chunk-index bits are the constant bits
      // of j, so parity(x & mask) = parity(x_local & mask_low) ⊕ parity(j & mask_high)
      const physical = op.factors.map((f) => {
        let mask = 0;
        for (const q of bits(f.mask)) mask |= 1 << (this.where[q] as number);
        return { mask, w: f.w };
      });
      const perChunk = this.chunks.map((_, j) =>
        phaseOps(
          physical.map((f) => ({
            mask: f.mask & low,
            w: parity((f.mask >>> c) & j) ? ([f.w[2], f.w[3], f.w[0], f.w[1]] as const) : f.w,
          })),
          c,
        ),
      );
      return { op, cond: 0, perChunk };
    }
    const map = new Map<number, number>();
    for (const q of bits(opMask(op))) map.set(q, this.where[q] as number);
    const placed = remapOp(op, map);
    switch (placed.kind) {
      case 'x':
      case 'cu1': {
        // positions stay below 30: plain 32-bit masks
        const cond = placed.controls >>> c;
        const controls = placed.controls & low;
        if (placed.kind === 'cu1' && controls === 0) return { op: { kind: 'u1', q: placed.q, m: placed.m }, cond };
        return { op: { ...placed, controls }, cond };
      }
      case 'phase': {
        return { op: { ...placed, mask: placed.mask & low }, cond: placed.mask >>> c };
      }
      default:
        return { op: placed, cond: 0 };
    }
  }

  private async runBatch(
    batch: readonly Placed[],
    yielder: Yielder,
    threads: ThreadPool | undefined,
    threadMinQubits = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    if (batch.length === 0) return;
    const c = this.chunkQubits;
    for (let j = 0; j < this.chunks.length; j++) {
      const ops = batch.filter((p) => (j & p.cond) === p.cond).flatMap((p) => p.perChunk?.[j] ?? [p.op]);
      if (ops.length === 0) continue;
      const a = this.chunks[j] as Float64Array;
      const ws = this.spaces[j] as Workspace;
      const threaded = threads !== undefined && ws.wasm !== undefined && c >= threadMinQubits;
      splitStats.passes += passesOf(ops, c, threaded ? Math.min(threads.threads, 2 ** c) : 1) / this.chunks.length;
      if (threaded) await threads.run(a, c, ops, ws, yielder);
      else await execute(a, c, ops, ws.wasm, undefined, yielder);
    }
  }

  /**
   * Exchanges physical positions h ≥ c and l < c: in every pair of chunks (bit h − c clear, set),
   * the amplitudes of the first with bit l set trade places with those of the second with bit l
   * clear. Native copies through a small piece buffer.
   */
  private exchange(h: number, l: number): void {
    const c = this.chunkQubits;
    const hb = 2 ** (h - c);
    const run = 2 ** l;
    const piece = this.piece;
    for (let j = 0; j < this.chunks.length; j++) {
      if (Math.floor(j / hb) % 2 === 1) continue;
      const a = this.chunks[j] as Float64Array;
      const b = this.chunks[j + hb] as Float64Array;
      for (let base = 0; base < this.chunkDim; base += 2 * run) {
        const pa = 2 * (base + run);
        const pb = 2 * base;
        if (run < SHORT_RUN) {
          for (let e = 0; e < 2 * run; e++) {
            const t = a[pa + e] as number;
            a[pa + e] = b[pb + e] as number;
            b[pb + e] = t;
          }
          continue;
        }
        for (let e = 0; e < 2 * run; e += piece.length) {
          const len = Math.min(piece.length, 2 * run - e);
          piece.set(a.subarray(pa + e, pa + e + len));
          a.set(b.subarray(pb + e, pb + e + len), pa + e);
          b.set(len === piece.length ? piece : piece.subarray(0, len), pb + e);
        }
      }
    }
    this.exchanges++;
    splitStats.exchanges++;
    this.swapPositions(h, l);
  }

  /** Records that physical positions p and q traded their qubits. */
  private swapPositions(p: number, q: number): void {
    const lp = this.which[p] as number;
    const lq = this.which[q] as number;
    this.which[p] = lq;
    this.which[q] = lp;
    this.where[lp] = q;
    this.where[lq] = p;
  }

  /** Exchanges two physical positions, whatever their kind. */
  private swapPhysical(p: number, q: number): void {
    const c = this.chunkQubits;
    if (p === q) return;
    if (p >= c && q >= c) {
      // renaming chunks: chunk j ↔ chunk j with bits p − c and q − c exchanged
      const bp = 2 ** (p - c);
      const bq = 2 ** (q - c);
      const chunks = [...this.chunks];
      const spaces = [...this.spaces];
      for (let j = 0; j < chunks.length; j++) {
        const hasP = Math.floor(j / bp) % 2 === 1;
        const hasQ = Math.floor(j / bq) % 2 === 1;
        if (hasP === hasQ) continue;
        const k = j + (hasP ? -bp + bq : bp - bq);
        chunks[k] = this.chunks[j] as Float64Array;
        spaces[k] = this.spaces[j] as Workspace;
      }
      this.chunks = chunks;
      this.spaces = spaces;
      this.swapPositions(p, q);
    } else if (p < c && q < c) {
      const op: Op = { kind: 'swap', q0: p, q1: q };
      this.chunks.forEach((a, j) => {
        applyOp(a, this.chunkDim, op, (this.spaces[j] as Workspace).wasm);
      });
      this.swapPositions(p, q);
    } else {
      this.exchange(Math.max(p, q), Math.min(p, q));
    }
  }

  /** Moves the data so that this state's placement equals `target`'s (logical index ↔ same positions). */
  alignTo(target: readonly number[]): void {
    for (let p = this.numQubits - 1; p >= 0; p--) {
      const want = target[p] as number;
      const at = this.where[want] as number;
      if (at !== p) this.swapPhysical(p, at);
    }
  }

  /** Restores the identity placement: chunk j then holds logical indices j·2^c …. */
  unpermute(): void {
    this.alignTo(Array.from({ length: this.numQubits }, (_, q) => q));
  }

  /** Re⟨this|other⟩ (other is first placed like this state). */
  dot(other: SplitState): number {
    if (other.which.some((l, p) => l !== this.which[p])) other.alignTo(this.which);
    let s = 0;
    // the chunks live in different memories, which one kernel instance cannot both read
    this.chunks.forEach((a, j) => {
      s += dotRe(a, other.chunks[j] as Float64Array);
    });
    return s;
  }

  /** Physical x and z masks of a Pauli string on logical qubits. */
  private physicalMasks(paulis: string): { x: number; z: number; ny: number } {
    const m = pauliMasks(paulis);
    let x = 0;
    let z = 0;
    for (const q of bits(m.xMask)) x |= 1 << (this.where[q] as number);
    for (const q of bits(m.zMask)) z |= 1 << (this.where[q] as number);
    return { x, z, ny: m.ny };
  }

  /** ⟨ψ|O|ψ⟩ across the chunks: a term with X or Y on a high position pairs chunk j with chunk j ⊕ x. */
  pauliSum(observable: Observable): number {
    const c = this.chunkQubits;
    const span = 2 ** c;
    let sum = 0;
    for (const term of observable) {
      const { x, z, ny } = this.physicalMasks(term.paulis);
      const xl = x & (span - 1);
      const zl = z & (span - 1);
      const xh = x >>> c;
      const zh = z >>> c;
      let sr = 0;
      let si = 0;
      this.chunks.forEach((a, j) => {
        const [r, i] = pauliPairSum(a, this.chunks[j ^ xh] as Float64Array, this.chunkDim, xl, zl);
        const sign = parity(j & zh) ? -1 : 1;
        sr += sign * r;
        si += sign * i;
      });
      const [pr, pi] = powI(ny);
      sum += term.coefficient * (pr * sr - pi * si);
    }
    return sum;
  }

  /** out ← O·ψ across the chunks (out takes this state's placement). */
  applyObservable(observable: Observable, out: SplitState): void {
    const c = this.chunkQubits;
    const span = 2 ** c;
    for (let q = 0; q < this.numQubits; q++) {
      out.where[q] = this.where[q] as number;
      out.which[q] = this.which[q] as number;
    }
    out.fresh = false;
    for (const a of out.chunks) a.fill(0);
    for (const term of observable) {
      const { x, z, ny } = this.physicalMasks(term.paulis);
      const xh = x >>> c;
      const zh = z >>> c;
      const masks = { xMask: x & (span - 1), zMask: z & (span - 1), ny };
      this.chunks.forEach((a, j) => {
        const sign = parity(j & zh) ? -1 : 1;
        addPauliTerm(a, out.chunks[j ^ xh] as Float64Array, this.chunkDim, masks, sign * term.coefficient);
      });
    }
  }

  /** Draws `shots` indices (logical, as on the whole state) from |ψ|²; restores the identity placement first. */
  sample(shots: number, rng: Rng): Map<number, number> {
    this.unpermute();
    return sampleChunks(this.chunks, this.chunkDim, shots, rng);
  }

  /** The whole state as one array of logical indices (tests, small states). */
  toArray(): Float64Array {
    const out = new Float64Array(2 * 2 ** this.numQubits);
    const c = this.chunkQubits;
    this.chunks.forEach((a, j) => {
      for (let i = 0; i < this.chunkDim; i++) {
        const phys = j * 2 ** c + i;
        let logical = 0;
        for (let p = 0; p < this.numQubits; p++) {
          if (Math.floor(phys / 2 ** p) % 2 === 1) logical += 2 ** (this.which[p] as number);
        }
        out[2 * logical] = a[2 * i] as number;
        out[2 * logical + 1] = a[2 * i + 1] as number;
      }
    });
    return out;
  }
}

/** Index of the next op from `i` on that touches logical qubit q (∞ when none). */
function nextUse(ops: readonly Op[], i: number, q: number): number {
  const bit = 1 << q;
  for (let k = i; k < ops.length; k++) {
    const op = ops[k] as Op;
    // (a phase table reads its qubits wherever they sit: it needs none of them low)
    if (op.kind !== 'dtab' && (opMask(op) & bit) !== 0) return k;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Passes over a state of n qubits that `ops` make on `threads` threads: one per blocked run, one
 * per chain (chains.ts; none when `chains` is false) and one per other op.
 */
export function passesOf(ops: readonly Op[], n: number, threads = 1, chains = true): number {
  return segments(ops, n, BLOCK_QUBITS).reduce(
    (p, seg) => p + (seg.blocked ? 1 : chains ? chainsFor(seg.ops, n, threads, BLOCK_QUBITS).length : seg.ops.length),
    0,
  );
}
