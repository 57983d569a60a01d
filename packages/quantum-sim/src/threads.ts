import { Worker } from 'node:worker_threads';
import { BLOCK_QUBITS, segments, type Yielder } from './executor.js';
import { applyOp, type Op } from './ops.js';
import type { WasmKernels, Workspace } from './workspace.js';

/**
 * Threads: the SIMD kernels run on T = 2^j threads (the calling one and T − 1 workers) over one
 * state in shared WebAssembly memory. A cache-blocked run of ops (executor.ts `segments`) is one
 * round: each thread applies the whole run to its own share of the blocks. Any other op whose
 * qubits all lie below log2(dim / T) acts inside blocks of dim / T amplitudes, so thread i applies
 * it to the i-th of them. Every amplitude goes through the same instructions as on one thread, so
 * results are bit-identical. The rest (a qubit in the top j bits, the SIMD 4×4, a gate with only a
 * JavaScript kernel) runs on the calling thread alone. The threads meet at a barrier (Atomics)
 * after each round.
 */

/** Command words in the shared op buffer. */
const CMD_DETACH = -1;
const CMD_RUN = 1;
/** A round with no worker progress for this long means a worker died. */
const STALL_MS = 600_000;
/** Where the op list starts in the op buffer, words per op, most ops per round. */
const OPS_AT = 8;
const OP_WORDS = 12;
const MAX_OPS = 128;

/** The worker's code (an eval'd script, so no file needs resolving under any loader). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ module, memory, ctrl, ops, index, count }) => {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(ctrl);
  const o = new Float64Array(ops);
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
    const B = o[2], m = o[3], per = o[4];
    for (let blk = index * per; blk < (index + 1) * per; blk++) {
      const base = o[1] + blk * B * 16;
      for (let j = 0; j < m; j++) {
        const p = ${OPS_AT} + ${OP_WORDS} * j;
        switch (o[p]) {
          case 1: k.u1(base, B, o[p + 1], o[p + 3], o[p + 4], o[p + 5], o[p + 6], o[p + 7], o[p + 8], o[p + 9], o[p + 10]); break;
          case 2: k.r1(base, B, o[p + 1], o[p + 3], o[p + 4], o[p + 5], o[p + 6]); break;
          case 3: k.d1(base, B, o[p + 1], o[p + 3], o[p + 4], o[p + 5], o[p + 6]); break;
          case 4: k.cx(base, B, o[p + 1], o[p + 2]); break;
        }
      }
    }
    if (Atomics.add(c, 1, 1) === count - 2) Atomics.notify(c, 1);
  }
});
`;

/** Highest qubit an op touches, or −1 when it has no SIMD kernel to split. */
function splitQubit(op: Op): number {
  switch (op.kind) {
    case 'u1':
    case 'r1':
    case 'd1':
      return op.q;
    case 'x':
      return op.controls !== 0 && (op.controls & (op.controls - 1)) === 0
        ? Math.max(op.q, 31 - Math.clz32(op.controls))
        : -1;
    default:
      return -1; // u2 reads its matrix from the memory; JavaScript kernels: on the calling thread
  }
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
  /** Op buffer: command, base, block, op count, blocks per thread; then the ops (OP_WORDS each). */
  private readonly opsBuf = new SharedArrayBuffer(8 * (OPS_AT + OP_WORDS * MAX_OPS));
  private readonly o = new Float64Array(this.opsBuf);
  private queue: Promise<void> = Promise.resolve();
  /** Ops run split over the threads, on the calling thread alone, and rounds (barriers), since the pool was made. */
  readonly stats = { parallel: 0, serial: 0, rounds: 0 };

  /** `threads` threads in all (the caller's included); rounded down to a power of two. */
  constructor(
    readonly threads: number,
    private readonly blockQubits = BLOCK_QUBITS,
  ) {
    this.threads = 2 ** Math.floor(Math.log2(Math.max(1, threads)));
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
    await this.attach(ws, T);
    try {
      const lowBits = n - Math.log2(T);
      const blockQubits = Math.min(this.blockQubits, lowBits);
      for (const seg of segments(ops, n, blockQubits)) {
        const split = seg.ops.every(
          (op) => splitQubit(op) >= 0 && splitQubit(op) < (seg.blocked ? blockQubits : lowBits),
        );
        if (seg.blocked && split) {
          // the whole run on every block, each thread on its own blocks, one barrier per MAX_OPS ops
          for (let i = 0; i < seg.ops.length; i += MAX_OPS) {
            if (yielder?.due()) await yielder.yieldNow();
            this.round(a, n, seg.ops.slice(i, i + MAX_OPS), 2 ** blockQubits, T, wasm);
          }
          continue;
        }
        // consecutive ops that split into T contiguous parts share one round (one barrier): each
        // part is independent of the others for all of them
        let i = 0;
        while (i < seg.ops.length) {
          if (yielder?.due()) await yielder.yieldNow();
          let j = i;
          while (j < seg.ops.length && j - i < MAX_OPS) {
            const top = splitQubit(seg.ops[j] as Op);
            if (!(top >= 0 && top < lowBits)) break;
            j++;
          }
          if (j > i) {
            this.round(a, n, seg.ops.slice(i, j), 2 ** lowBits, T, wasm);
            i = j;
            continue;
          }
          applyOp(a, dim, seg.ops[i] as Op, wasm);
          this.stats.serial++;
          i++;
        }
      }
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
   * One round: `ops` (all with SIMD kernels, all below log2(block)) on every block of `block`
   * amplitudes; thread i takes blocks [i·per, (i+1)·per), the calling thread block run 0.
   */
  private round(a: Float64Array, n: number, ops: readonly Op[], block: number, T: number, wasm: WasmKernels): void {
    const o = this.o;
    const per = 2 ** n / block / T;
    o[1] = a.byteOffset;
    o[2] = block;
    o[3] = ops.length;
    o[4] = per;
    ops.forEach((op, j) => {
      const p = OPS_AT + OP_WORDS * j;
      switch (op.kind) {
        case 'u1':
        case 'r1':
        case 'd1':
          o[p] = op.kind === 'u1' ? 1 : op.kind === 'r1' ? 2 : 3;
          o[p + 1] = op.q;
          o.set(op.m, p + 3);
          break;
        case 'x':
          o[p] = 4;
          o[p + 1] = 31 - Math.clz32(op.controls);
          o[p + 2] = op.q;
          break;
        default:
          throw new Error(`internal: no parallel kernel for ${op.kind}`);
      }
    });
    this.command(CMD_RUN);
    for (let blk = 0; blk < per; blk++) {
      const b = a.subarray(2 * blk * block, 2 * (blk + 1) * block);
      for (const op of ops) applyOp(b, block, op, wasm);
    }
    this.stats.parallel += ops.length;
    this.stats.rounds++;
    this.barrier(T);
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
