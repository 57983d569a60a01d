import { Worker } from 'node:worker_threads';
import { type Chain, chainsFor } from './chains.js';
import { BLOCK_QUBITS, segments, type Yielder } from './executor.js';
import { applyOp, blockConditional, type Op } from './ops.js';
import type { WasmKernels, Workspace } from './workspace.js';

/**
 * Threads: the SIMD kernels run on T = 2^j threads (the calling one and T − 1 workers) over one
 * state in shared WebAssembly memory, in rounds; the threads meet at a barrier (Atomics) after
 * each round, and every amplitude goes through the same instructions as on one thread, so results
 * are bit-identical. Three kinds of round:
 *
 * - share rounds: ops local to each thread's contiguous share of dim / T amplitudes, in phases: a
 *   cache-blocked run (executor.ts `segments`) applied block by block, each thread on its own
 *   blocks, then the ops on qubits below log2(dim / T), each thread on its share; consecutive
 *   phases share the round.
 * - owned rounds ({@link runOwned}): consecutive ops on the top qubits (which no share holds) with
 *   thread k owning the amplitudes whose bits n−2−j … n−3 read k instead, so an op on a top qubit
 *   is cut by a lower index bit; the QCBM ring's top-qubit ops (its rotation, the CNOTs into and
 *   out of it) are one such round per layer.
 * - split rounds ({@link topSplit}): a top-qubit op that touches those bits, alone, cut into T
 *   contiguous runs of its pairs.
 *
 * What none of them takes (the SIMD 4×4, JavaScript kernels, multi-control ops) runs on the
 * calling thread alone. `stats` and `timing` count and time all of it.
 */

/** Command words in the shared op buffer. */
const CMD_DETACH = -1;
const CMD_RUN = 1;
/** A round with no worker progress for this long means a worker died. */
const STALL_MS = 600_000;
/** Where the op list starts in the op buffer, words per op, most ops per round. */
const OPS_AT = 8;
const OP_WORDS = 20;
/** The word of a share round's op that holds its block size. */
const BLOCK_WORD = 19;
const MAX_OPS = 128;

/** Kernel codes of a split round's per-thread slots: [code, base (bytes), dim, args…]. */
const SLOT_CX = 11;
const SLOT_D1 = 12;
const SLOT_U1 = 13;
const SLOT_R1 = 14;
const SLOT_KERNELS: Record<number, string> = {
  [SLOT_CX]: 'cx',
  [SLOT_D1]: 'd1',
  [SLOT_U1]: 'u1span',
  [SLOT_R1]: 'r1span',
};

/** The kernels {@link runOwned} calls. */
type OwnedKernels = Pick<WasmKernels, 'cx' | 'd1' | 'u1' | 'u1span' | 'r1' | 'r1span' | 'rchain'>;
/** The kernels {@link applyWords} calls. */
type BlockKernels = Pick<WasmKernels, 'cx' | 'd1' | 'u1' | 'r1' | 'mux' | 'muxr' | 'dtab' | 'rchain'>;

/**
 * A share-round phase with at least this many blocks per share is claimed block by block: each
 * thread takes its own share's blocks first, then helps with the others' (fewer: each thread runs
 * its own share).
 */
const CLAIM_MIN = 2;
/** Words of the claim area per (phase, share): blocks claimed, blocks done. */
const CLAIM_WORDS = 2;
/** Most threads a pool runs. */
const MAX_THREADS = 256;

/**
 * An owned round on thread `index` (the worker runs this function's own source, so it must use
 * nothing from outside): thread k owns the amplitudes whose bits s … s + j − 1 read k, 2^(n−s−j)
 * runs of L = 2^s amplitudes. Each op (u1, r1, d1 or cx in the op words, qubits outside s … s + j − 1,
 * a CNOT's lower qubit below s unless both are above) is applied to the pairs inside those runs,
 * op by op. Op words: [code, q or control, target, matrix…] from word 8 on, 20 words each; word 1
 * the state's byte offset, 3 the op count, 5 s, 6 j, 7 n.
 */
export function runOwned(k: OwnedKernels, o: Float64Array, index: number): void {
  const base = o[1] as number;
  const m = o[3] as number;
  const s = o[5] as number;
  const j = o[6] as number;
  const n = o[7] as number;
  const L = 2 ** s;
  const runs = 2 ** (n - s - j);
  for (let i = 0; i < m; i++) {
    const p = 8 + 20 * i;
    const code = o[p] as number;
    const q = o[p + 1] as number;
    const t = o[p + 2] as number;
    if (code === 8) {
      // a chain on the window q … q + t − 1 above the split bits: its tiles at this thread's places
      // in the sub-blocks of 2^q (runs of L = 2^s with bits s … s + j − 1 reading index)
      for (let r = 0; r < 2 ** (q - s - j); r++) {
        const lo0 = 16 * (r * 2 ** (s + j) + index * L);
        k.rchain(base, 2 ** n, q, t, o[p + 3] as number, o[p + 4] as number, lo0, lo0 + 16 * L);
      }
      continue;
    }
    for (let r = 0; r < runs; r++) {
      const start = r * 2 ** (s + j) + index * L;
      const at = base + 16 * start;
      const bq = Math.floor(start / 2 ** q) % 2;
      if (code === 1 || code === 5) {
        // a 2×2, or a mux (target q, control t above the split bits: the run's own matrix, m0 or m1)
        const mp = p + 3 + (code === 5 ? 8 * (Math.floor(start / 2 ** t) % 2) : 0);
        const args = [
          o[mp] as number,
          o[mp + 1] as number,
          o[mp + 2] as number,
          o[mp + 3] as number,
          o[mp + 4] as number,
          o[mp + 5] as number,
          o[mp + 6] as number,
          o[mp + 7] as number,
        ] as const;
        if (q < s) k.u1(at, L, q, ...args);
        else if (bq === 0) k.u1span(at, L, q, ...args);
      } else if (code === 2 || code === 6) {
        // a real 2×2, or a real mux (its control t above the split bits: m0 from word 3, m1 from 11)
        const mp = p + 3 + (code === 6 ? 8 * (Math.floor(start / 2 ** t) % 2) : 0);
        const args = [o[mp] as number, o[mp + 1] as number, o[mp + 2] as number, o[mp + 3] as number] as const;
        if (q < s) k.r1(at, L, q, ...args);
        else if (bq === 0) k.r1span(at, L, q, ...args);
      } else if (code === 3) {
        const dr = o[p + 3 + 2 * bq] as number;
        const di = o[p + 4 + 2 * bq] as number;
        k.d1(at, L, 0, dr, di, dr, di);
      } else {
        // a CNOT, control q, target t
        const bt = Math.floor(start / 2 ** t) % 2;
        if (q >= s + j && t >= s + j) {
          if (bq === 1 && bt === 0) k.cx(at - 16 * L, 4, s, t); // the whole run swapped with its partner
        } else if (q >= s + j) {
          if (bq === 1) k.cx(at - 16 * L, 2 * L, s, t); // the target flipped on the whole run
        } else if (bt === 0) {
          k.cx(at, 2 * L, q, t); // the run's pairs with the control set
        }
      }
    }
  }
}

/**
 * The op encoded at word p of `o` ({@link encodeOp}) on the B amplitudes at byte offset `at`, whose
 * first has index g in the whole state (a worker runs this function's own source: nothing from outside).
 */
export function applyWords(k: BlockKernels, o: Float64Array, p: number, at: number, B: number, g: number): void {
  const w = (i: number) => o[p + i] as number;
  switch (w(0)) {
    case 1:
      k.u1(at, B, w(1), w(3), w(4), w(5), w(6), w(7), w(8), w(9), w(10));
      return;
    case 2:
      k.r1(at, B, w(1), w(3), w(4), w(5), w(6));
      return;
    case 3:
      k.d1(at, B, w(1), w(3), w(4), w(5), w(6));
      return;
    case 4:
      // a control above the block (ops.ts blockConditional): X on the whole block where its bit is set
      if (2 ** w(1) >= B) {
        if (Math.floor(g / 2 ** w(1)) % 2 === 1) k.cx(at - 16 * B, 2 * B, Math.log2(B), w(2));
      } else k.cx(at, B, w(1), w(2));
      return;
    case 5:
      k.mux(
        at,
        B,
        w(1),
        w(2),
        w(3),
        w(4),
        w(5),
        w(6),
        w(7),
        w(8),
        w(9),
        w(10),
        w(11),
        w(12),
        w(13),
        w(14),
        w(15),
        w(16),
        w(17),
        w(18),
      );
      return;
    case 6:
      k.muxr(at, B, w(1), w(2), w(3), w(4), w(5), w(6), w(11), w(12), w(13), w(14));
      return;
    case 7:
      k.dtab(at, B, g, w(1));
      return;
    case 8:
      k.rchain(at, B, w(1), w(2), w(3), w(4), 0, 16 * 2 ** w(1));
      return;
  }
}

/**
 * A share round on thread `index` (a worker runs this function's own source, with its own
 * `apply` = {@link applyWords}): the ops from word 8 on (20 words each, word 19 the block size B),
 * in phases of consecutive ops with the same B, each phase applied block by block over every
 * share of o[4] amplitudes (word 1 the state's byte offset, 3 the op count, 6 log2 of the threads T).
 * A phase of fewer than `claimMin` blocks per share: each thread runs its own share. Otherwise the
 * blocks are claimed one by one from counters in `sync` (words [claimed, done] per phase and share,
 * zeroed before the round): a thread takes its own share's blocks, then the others' still
 * unclaimed, so a thread slowed down (by the machine or by its share) is helped instead of waited
 * for. Before a phase touches a share, that share's previous phase must be done (a helper may
 * still hold one of its blocks). Every block goes through the same kernel calls whichever thread
 * runs it, so results stay bit-identical.
 */
export function runShare(
  apply: typeof applyWords,
  k: BlockKernels,
  o: Float64Array,
  sync: Int32Array,
  index: number,
  claimMin: number,
  stallMs: number,
): void {
  const base = o[1] as number;
  const m = o[3] as number;
  const share = o[4] as number;
  const T = 2 ** (o[6] as number);
  const at = (ph: number, s: number) => 2 * (ph * T + s);
  // waits until share s has done phase ph (all `per` of its blocks); no progress for stallMs means
  // the thread holding a block died: an error instead of a wait for ever
  const settled = (ph: number, s: number, per: number) => {
    const d = at(ph, s) + 1;
    let seen = Atomics.load(sync, d);
    let since = performance.now();
    for (let spin = 0; ; spin++) {
      const done = Atomics.load(sync, d);
      if (done >= per) return;
      if (spin <= 1000) continue;
      Atomics.wait(sync, d, done, 0.2);
      const now = performance.now();
      if (done !== seen) {
        seen = done;
        since = now;
      } else if (now - since > stallMs) {
        throw new Error(`internal: a simulator thread made no progress on its blocks in ${stallMs / 1000} s`);
      }
    }
  };
  let prevPer = 0;
  for (let j = 0, ph = 0; j < m; ph++) {
    const B = o[8 + 20 * j + 19] as number;
    let e = j + 1;
    while (e < m && o[8 + 20 * e + 19] === B) e++;
    const per = share / B;
    const run = (s: number, b: number) => {
      const blk = s * per + b;
      for (let i = j; i < e; i++) apply(k, o, 8 + 20 * i, base + 16 * blk * B, B, blk * B);
    };
    if (ph > 0) settled(ph - 1, index, prevPer);
    if (per < claimMin) {
      for (let b = 0; b < per; b++) run(index, b);
      Atomics.add(sync, at(ph, index) + 1, per);
    } else {
      for (let d = 0; d < T; d++) {
        const s = (index + d) % T;
        // nothing left to take here: do not wait for the share's previous phase
        if (Atomics.load(sync, at(ph, s)) >= per) continue;
        if (d > 0 && ph > 0) settled(ph - 1, s, prevPer);
        for (;;) {
          const b = Atomics.add(sync, at(ph, s), 1);
          if (b >= per) break;
          run(s, b);
          Atomics.add(sync, at(ph, s) + 1, 1);
        }
      }
    }
    prevPer = per;
    j = e;
  }
}

/** True when `op` can run in an owned round ({@link runOwned}) with split bits s … s + j − 1. */
function ownable(op: Op | Chain, s: number, j: number): boolean {
  if (s < 1) return false;
  // a chain above the split bits, its tiles' runs inside a thread's runs of 2^s: its controls
  // below the window read bits a run keeps (a control on s … s + j − 1 is constant in a run, one
  // below s at least log2 w)
  if (op.kind === 'rchain') return op.q >= s + j && op.w <= 2 ** s;
  const out = (q: number) => q < s || q >= s + j;
  if (op.kind === 'u1' || op.kind === 'r1' || op.kind === 'd1') return op.q >= s + j;
  // a mux with its control above the split bits: each run has one matrix (target below or above them)
  if (op.kind === 'mux' || op.kind === 'muxr') return op.c >= s + j && (op.q < s || op.q >= s + j);
  if (op.kind !== 'x' || op.controls === 0 || (op.controls & (op.controls - 1)) !== 0) return false;
  const c = 31 - Math.clz32(op.controls);
  const t = op.q;
  if (!out(c) || !out(t)) return false;
  return (c >= s + j && t >= s + j) || (c >= s + j && t < s) || (t >= s + j && c < s);
}

/** The worker's code (an eval'd script, so no file needs resolving under any loader). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
// the functions below come in as their own source text: a transpiler that keeps function names
// (tsx, esbuild's keepNames) wraps their inner functions in __name(fn, name), which returns fn
const __name = (fn) => fn;
parentPort.on('message', ({ module, memory, ctrl, ops, times, sync, index, count }) => {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(ctrl);
  const o = new Float64Array(ops);
  const busy = new Float64Array(times);
  const claims = new Int32Array(sync);
  const runOwned = ${runOwned.toString()};
  const applyWords = ${applyWords.toString()};
  const runShare = ${runShare.toString()};
  let gen = Atomics.load(c, 0);
  parentPort.postMessage('attached');
  for (;;) {
    // a notify can arrive late, after this worker already saw the command and finished it, and
    // wake the next wait with nothing new: wait until the generation really moves on
    while (Atomics.load(c, 0) === gen) Atomics.wait(c, 0, gen);
    gen = Atomics.load(c, 0);
    if (o[0] === ${CMD_DETACH}) {
      if (Atomics.add(c, 1, 1) === count - 2) Atomics.notify(c, 1);
      return;
    }
    const t0 = performance.now();
    if (o[2] === 2) runOwned(k, o, index);
    else if (o[2] === 0) {
      // a split round: slot [index] holds this thread's own kernel call (absolute base and length)
      const p = ${OPS_AT} + ${OP_WORDS} * index;
      switch (o[p]) {
        case ${SLOT_CX}: k.cx(o[p + 1], o[p + 2], o[p + 3], o[p + 4]); break;
        case ${SLOT_D1}: k.d1(o[p + 1], o[p + 2], o[p + 3], o[p + 4], o[p + 5], o[p + 6], o[p + 7]); break;
        case ${SLOT_U1}: k.u1span(o[p + 1], o[p + 2], o[p + 3], o[p + 4], o[p + 5], o[p + 6], o[p + 7], o[p + 8], o[p + 9], o[p + 10], o[p + 11]); break;
        case ${SLOT_R1}: k.r1span(o[p + 1], o[p + 2], o[p + 3], o[p + 4], o[p + 5], o[p + 6], o[p + 7]); break;
      }
    }
    else runShare(applyWords, k, o, claims, index, ${CLAIM_MIN}, ${STALL_MS});
    busy[index] += performance.now() - t0;
    if (Atomics.add(c, 1, 1) === count - 2) Atomics.notify(c, 1);
  }
});
`;

/**
 * An op's words from word p on: [code, q or control, target or mux control, matrix…]: 1 u1, 2 r1,
 * 3 d1 (the matrix from p + 3), 4 CNOT, 5 mux and 6 real mux (target, control, m0 from p + 3, m1
 * from p + 11), 7 phase table (its desc's byte offset in the memory).
 */
function encodeOp(o: Float64Array, p: number, op: Op | Chain, wasm: WasmKernels): void {
  switch (op.kind) {
    case 'rchain': {
      const at = wasm.tableAt(op);
      if (at < 0) throw new Error('internal: a chain in a round without room in the table area');
      o.set([8, op.q, op.k, op.w, at], p);
      return;
    }
    case 'dtab': {
      const at = wasm.tableAt(op);
      if (at < 0) throw new Error('internal: a phase table in a round without room in the table area');
      o[p] = 7;
      o[p + 1] = at;
      return;
    }
    case 'u1':
    case 'r1':
    case 'd1':
      o[p] = op.kind === 'u1' ? 1 : op.kind === 'r1' ? 2 : 3;
      o[p + 1] = op.q;
      o.set(op.m, p + 3);
      return;
    case 'x':
      o[p] = 4;
      o[p + 1] = 31 - Math.clz32(op.controls);
      o[p + 2] = op.q;
      return;
    case 'mux':
    case 'muxr':
      o[p] = op.kind === 'mux' ? 5 : 6;
      o[p + 1] = op.q;
      o[p + 2] = op.c;
      o.set(op.m0, p + 3);
      o.set(op.m1, p + 11);
      return;
    default:
      throw new Error(`internal: no parallel kernel for ${op.kind}`);
  }
}

/**
 * The highest qubit a block or share must hold for an op (its highest qubit; a CNOT's target,
 * since a control above the block or share reads its own index bit there), or −1 when it has no
 * SIMD kernel to split.
 */
function splitQubit(op: Op | Chain): number {
  switch (op.kind) {
    case 'rchain':
      return op.q + op.k - 1;
    case 'dtab':
      return 0; // elementwise: every block and share runs its part
    case 'u1':
    case 'r1':
    case 'd1':
      return op.q;
    case 'x':
      // (a control above the target: inside a block or share, an X on the target or nothing)
      return op.controls !== 0 && (op.controls & (op.controls - 1)) === 0 ? op.q : -1;
    case 'mux':
    case 'muxr':
      return Math.max(op.q, op.c);
    default:
      return -1; // u2 reads its matrix from the memory; JavaScript kernels: on the calling thread
  }
}

/** k with a zero bit inserted at position `bit`. */
function insertZero(k: number, bit: number): number {
  const low = k % 2 ** bit;
  return (k - low) * 2 + low;
}

/**
 * How an op on a top qubit (one of the top j = log2 T bits, so no block of dim / T amplitudes
 * holds its pairs) is split over T threads by a lower index bit instead: thread k's kernel call,
 * as a slot [code, base in bytes, dim, args…] over its own contiguous run of the pairs, or
 * undefined when there is no split (then the op runs on the calling thread alone). Each amplitude
 * goes through the same instructions as in the whole-state call, so results are bit-identical:
 *
 * - CNOT: the pairs (i, i + 2^t) with bit c set and bit t clear, numbered in order, are cut into T
 *   equal parts. When a part is one contiguous run of amplitudes (the lower of c, t is high enough)
 *   the cx kernel swaps it through a 4-amplitude window whose control is the run's own size bit;
 *   when the control is a top qubit, part k is a contiguous piece of the half with bit c set where
 *   the target is flipped unconditionally (cx with the piece's size bit as control); when the target
 *   is a top qubit, part k is a contiguous piece of the half with bit t clear (cx on that piece).
 * - general and real 2×2: the pairs (i, i + 2^q), numbered in order, cut into T equal parts, each
 *   one contiguous run of i (2^q is above the part size), run by the span kernels.
 * - diagonal: thread k's contiguous share of the state has bit q fixed, so it gets one entry of the
 *   diagonal on both halves of a d1 call.
 */
export function topSplit(op: Op, n: number, T: number, k: number, base: number): number[] | undefined {
  const j = Math.log2(T);
  if ((op.kind === 'u1' || op.kind === 'r1') && n - 1 - j >= 0) {
    const C = 2 ** (n - 1 - j);
    const s = insertZero(k * C, op.q);
    return [op.kind === 'u1' ? SLOT_U1 : SLOT_R1, base + 16 * s, C, op.q, ...op.m];
  }
  if (op.kind === 'd1' && n - j >= 1) {
    // (the d1 kernel walks pairs of halves: a share of one amplitude would run past its end)
    const M = 2 ** (n - j);
    const s = k * M;
    const hi = Math.floor(s / 2 ** op.q) % 2;
    const dr = op.m[2 * hi] as number;
    const di = op.m[2 * hi + 1] as number;
    return [SLOT_D1, base + 16 * s, M, 0, dr, di, dr, di];
  }
  if (op.kind !== 'x' || op.controls === 0 || (op.controls & (op.controls - 1)) !== 0) return undefined;
  const c = 31 - Math.clz32(op.controls);
  const t = op.q;
  const lo = Math.min(c, t);
  const hi = Math.max(c, t);
  if (n - 2 - j >= 0 && n - 2 - j <= lo) {
    const part = 2 ** (n - 2 - j);
    const s = insertZero(insertZero(k * part, lo), hi) + 2 ** c;
    return [SLOT_CX, base + 16 * (s - part), 4, n - 2 - j, t];
  }
  const C = 2 ** (n - 1 - j);
  if (c >= n - j && t < n - 1 - j) {
    const s = insertZero(k * C, c) + 2 ** c;
    return [SLOT_CX, base + 16 * (s - C), 2 * C, n - 1 - j, t];
  }
  if (t >= n - j && c < n - 1 - j) {
    const s = insertZero(k * C, t);
    return [SLOT_CX, base + 16 * s, 2 * C, c, t];
  }
  return undefined;
}

/**
 * A pool of worker threads for one simulator. `run` attaches the workers to a workspace's memory,
 * applies the ops and detaches them; one run at a time (others wait their turn). Workers do not
 * keep the process alive; `close` ends them.
 */
export class ThreadPool {
  private workers: Worker[] = [];
  private readonly ctrl = new SharedArrayBuffer(16);
  private readonly c = new Int32Array(this.ctrl);
  /**
   * Op buffer: command, state byte offset, round kind (0 split, 1 share, 2 owned), op count,
   * amplitudes per share, owned rounds' s, j and n; then the ops or per-thread slots (OP_WORDS each).
   */
  private readonly opsBuf = new SharedArrayBuffer(8 * (OPS_AT + OP_WORDS * MAX_OPS));
  private readonly o = new Float64Array(this.opsBuf);
  /** Share rounds' block claims ({@link runShare}): [claimed, done] per phase and share. */
  private readonly syncBuf = new SharedArrayBuffer(4 * CLAIM_WORDS * MAX_OPS * MAX_THREADS);
  private readonly claims = new Int32Array(this.syncBuf);
  private queue: Promise<void> = Promise.resolve();
  /**
   * Ops run split over the threads (a chain counts as one), on the calling thread alone, rounds
   * (barriers), top-qubit splits and chains (chains.ts), since the pool was made.
   */
  readonly stats = { parallel: 0, serial: 0, rounds: 0, topSplit: 0, chains: 0 };
  /** Milliseconds each worker (index 1…) spent applying its share of the rounds, since the pool was made. */
  private readonly times = new SharedArrayBuffer(8 * 256);
  private readonly busy = new Float64Array(this.times);
  /**
   * Where the calling thread's time went, in milliseconds since the pool was made: its own share
   * of the rounds, ops it ran alone, waiting at the barriers, attaching the workers.
   */
  readonly timing = { share: 0, serial: 0, wait: 0, attach: 0 };

  /** Milliseconds each worker spent on its shares of the rounds (worker i at index i − 1). */
  workerBusyMs(): number[] {
    return Array.from(this.busy.subarray(1, this.threads));
  }

  /**
   * `threads` threads in all (the caller's included); rounded down to a power of two. `chains`:
   * whether share rounds run chains (chains.ts; off only to measure what they bring).
   */
  constructor(
    readonly threads: number,
    private readonly blockQubits = BLOCK_QUBITS,
    private readonly chains = true,
  ) {
    this.threads = 2 ** Math.floor(Math.log2(Math.min(MAX_THREADS, Math.max(1, threads))));
  }

  /** Applies `ops` to `a` (a state of n qubits inside `ws`'s shared memory) on the threads. */
  async run(a: Float64Array, n: number, ops: readonly Op[], ws: Workspace, yielder?: Yielder): Promise<void> {
    const turn = this.queue.then(() => this.runNow(a, n, ops, ws, yielder));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(
    a: Float64Array,
    n: number,
    ops: readonly Op[],
    ws: Workspace,
    yielder?: Yielder,
  ): Promise<void> {
    const dim = 2 ** n;
    const wasm = ws.wasm;
    const T = Math.min(this.threads, dim);
    if (!wasm || !ws.memory || !ws.module || T < 2) {
      for (const op of ops) applyOp(a, dim, op, wasm);
      return;
    }
    const ta = performance.now();
    await this.attach(ws, T);
    this.timing.attach += performance.now() - ta;
    try {
      const lowBits = n - Math.log2(T);
      const blockQubits = Math.min(this.blockQubits, lowBits);
      // ops local to each thread's share (blocked runs inside blocks, other ops inside the dim / T
      // amplitudes of a share) gather into one round, one barrier, until an op that is not
      const pending: Array<[Op | Chain, number]> = [];
      // ops on the top qubits gather into owned rounds: thread k owns the amplitudes whose bits
      // s … s + j − 1 read k, below the top two bits, where none of the ring's top ops acts
      const j = Math.log2(T);
      const s = n - 2 - j;
      const owned: Array<Op | Chain> = [];
      // a round's phase tables must all be in the table area at once: one that does not fit
      // without wrapping around ends the round, and the area starts over
      let tableWords = 0;
      wasm.tables.reset();
      const wordsOf = (part: ReadonlyArray<Op | Chain>) => {
        let words = 0;
        for (const op of part) if (op.kind === 'dtab' || op.kind === 'rchain') words += op.desc.length + 1;
        return words;
      };
      // (a chain's desc goes to the table area too: 34–45 words)
      const chains = this.chains && wasm.tables.capacity >= 64;
      const tablesFit = (part: ReadonlyArray<Op | Chain>) => tableWords + wordsOf(part) <= wasm.tables.capacity;
      const flush = async () => {
        // a round places its tables and chains from the start of the table area (pending and
        // owned ops never wait at once: each flushes the other before it gathers)
        wasm.tables.reset();
        tableWords = 0;
        if (pending.length > 0) this.round(a, n, pending, T, wasm);
        pending.length = 0;
        if (owned.length > 0) this.ownedRound(a, n, owned, s, T, wasm);
        owned.length = 0;
        if (yielder?.due()) await yielder.yieldNow();
      };
      for (const seg of segments(ops, n, blockQubits)) {
        // (a phase table that cannot fit the table area even alone runs on the calling thread; a
        // blocked run whose tables cannot all fit at once runs op by op)
        const split = seg.ops.every(
          (op) =>
            splitQubit(op) >= 0 &&
            splitQubit(op) < (seg.blocked ? blockQubits : lowBits) &&
            wordsOf([op]) <= wasm.tables.capacity,
        );
        const parts: Op[][] = [];
        if (seg.blocked && split)
          for (let i = 0; i < seg.ops.length; i += MAX_OPS) parts.push(seg.ops.slice(i, i + MAX_OPS));
        if (parts.length > 0 && parts.every((part) => wordsOf(part) <= wasm.tables.capacity)) {
          // the whole run on every block (a phase of the round), each thread on its own blocks
          for (const part of parts) {
            if (pending.length + part.length > MAX_OPS || owned.length > 0 || !tablesFit(part)) await flush();
            for (const op of part) pending.push([op, 2 ** blockQubits]);
            tableWords += wordsOf(part);
          }
          continue;
        }
        // real 2×2s on consecutive qubits above the blocks and below the shares' top: chains
        const list = chains && !seg.blocked ? chainsFor(seg.ops, n, T, blockQubits) : seg.ops;
        for (const item of list) {
          const top = splitQubit(item);
          // (a CNOT from a top qubit alone: its share rounds would leave every other thread idle)
          const alone = item.kind !== 'rchain' && blockConditional(item, lowBits);
          if (top >= 0 && top < lowBits && !alone && wordsOf([item]) <= wasm.tables.capacity) {
            if (pending.length >= MAX_OPS || owned.length > 0 || !tablesFit([item])) await flush();
            pending.push([item, 2 ** lowBits]);
            tableWords += wordsOf([item]);
            if (item.kind === 'rchain') this.stats.chains++;
            continue;
          }
          if (ownable(item, s, j)) {
            // (an owned round's chains place their descs in the table area too)
            if (owned.length >= MAX_OPS || pending.length > 0 || !tablesFit([...owned, item])) await flush();
            owned.push(item);
            if (item.kind === 'rchain') this.stats.chains++;
            continue;
          }
          if (item.kind === 'rchain') throw new Error('internal: a chain neither in a share nor owned');
          const op = item;
          await flush();
          if (T <= MAX_OPS && topSplit(op, n, T, 0, a.byteOffset)) {
            this.splitRound(a, n, op, T, wasm);
            continue;
          }
          const ts = performance.now();
          applyOp(a, dim, op, wasm);
          this.timing.serial += performance.now() - ts;
          this.stats.serial++;
        }
      }
      await flush();
    } finally {
      this.command(CMD_DETACH);
      this.barrier(T);
    }
  }

  private async attach(ws: Workspace, T: number): Promise<void> {
    while (this.workers.length < T - 1) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      this.workers.push(w);
    }
    await Promise.all(
      this.workers.slice(0, T - 1).map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            const fail = (e: Error) => reject(e);
            w.once('error', fail);
            w.once('message', () => {
              w.off('error', fail);
              resolve();
            });
            w.postMessage({
              module: ws.module,
              memory: ws.memory,
              ctrl: this.ctrl,
              ops: this.opsBuf,
              times: this.times,
              sync: this.syncBuf,
              index: i + 1,
              count: T,
            });
          }),
      ),
    );
  }

  /** Publishes a command to the attached workers (wait for them with `barrier`). */
  private command(cmd: number): void {
    this.o[0] = cmd;
    Atomics.store(this.c, 1, 0);
    Atomics.add(this.c, 0, 1);
    Atomics.notify(this.c, 0);
  }

  /**
   * Waits until every attached worker has finished the round. A worker that makes no progress for
   * {@link STALL_MS} (it died) fails the call instead of blocking the thread for ever.
   */
  private barrier(T: number): void {
    for (;;) {
      const done = Atomics.load(this.c, 1);
      if (done >= T - 1) return;
      if (Atomics.wait(this.c, 1, done, STALL_MS) === 'timed-out' && Atomics.load(this.c, 1) === done) {
        throw new Error(`internal: a simulator worker thread made no progress in ${STALL_MS / 1000} s`);
      }
    }
  }

  /**
   * One share round: `ops`, each with its block size (all with SIMD kernels, each below log2 of
   * its block), in phases of consecutive ops with the same block size, by {@link runShare} on
   * every thread (the calling one as thread 0).
   */
  private round(
    a: Float64Array,
    n: number,
    ops: ReadonlyArray<readonly [Op | Chain, number]>,
    T: number,
    wasm: WasmKernels,
  ): void {
    const o = this.o;
    o[1] = a.byteOffset;
    o[2] = 1;
    o[3] = ops.length;
    o[4] = 2 ** n / T;
    o[6] = Math.log2(T);
    ops.forEach(([op, block], j) => {
      const p = OPS_AT + OP_WORDS * j;
      o[p + BLOCK_WORD] = block;
      encodeOp(o, p, op, wasm);
    });
    // (no more phases than ops)
    this.claims.fill(0, 0, CLAIM_WORDS * ops.length * T);
    this.command(CMD_RUN);
    const t0 = performance.now();
    runShare(applyWords, wasm, o, this.claims, 0, CLAIM_MIN, STALL_MS);
    const t1 = performance.now();
    this.stats.parallel += ops.length;
    this.stats.rounds++;
    this.barrier(T);
    this.timing.share += t1 - t0;
    this.timing.wait += performance.now() - t1;
  }

  /** One owned round: `ops` (each {@link ownable} with split bit s) by {@link runOwned} on every thread. */
  private ownedRound(
    a: Float64Array,
    n: number,
    ops: ReadonlyArray<Op | Chain>,
    s: number,
    T: number,
    wasm: WasmKernels,
  ): void {
    const o = this.o;
    o[1] = a.byteOffset;
    o[2] = 2;
    o[3] = ops.length;
    o[5] = s;
    o[6] = Math.log2(T);
    o[7] = n;
    for (const [i, op] of ops.entries()) encodeOp(o, OPS_AT + OP_WORDS * i, op, wasm);
    this.command(CMD_RUN);
    const t0 = performance.now();
    runOwned(wasm, o, 0);
    const t1 = performance.now();
    this.stats.parallel += ops.length;
    this.stats.topSplit += ops.length;
    this.stats.rounds++;
    this.barrier(T);
    this.timing.share += t1 - t0;
    this.timing.wait += performance.now() - t1;
  }

  /** One split round: `op` (on a top qubit) cut by {@link topSplit}, thread k running slot k. */
  private splitRound(a: Float64Array, n: number, op: Op, T: number, wasm: WasmKernels): void {
    const o = this.o;
    o[2] = 0;
    for (let k = 0; k < T; k++) o.set(topSplit(op, n, T, k, a.byteOffset) as number[], OPS_AT + OP_WORDS * k);
    this.command(CMD_RUN);
    const t0 = performance.now();
    const p = OPS_AT;
    const kernel = SLOT_KERNELS[o[p] as number] as 'cx' | 'd1' | 'u1span' | 'r1span';
    (wasm[kernel] as (...args: number[]) => void)(...o.subarray(p + 1, p + OP_WORDS)); // extra arguments are ignored
    const t1 = performance.now();
    this.stats.parallel++;
    this.stats.topSplit++;
    this.stats.rounds++;
    this.barrier(T);
    this.timing.share += t1 - t0;
    this.timing.wait += performance.now() - t1;
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
