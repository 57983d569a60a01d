import { Worker } from 'node:worker_threads';
import type { Yielder } from './executor.js';
import { applyOp, type Op } from './ops.js';
import type { WasmKernels, Workspace } from './workspace.js';

/**
 * Threads: the SIMD kernels run on T = 2^j threads (the calling one and T − 1 workers) over one
 * state in shared WebAssembly memory. An op whose qubits all lie below log2(dim / T) acts inside
 * blocks of dim / T amplitudes, so thread i applies the same kernel to the i-th block; every
 * amplitude is computed by the same instructions as on one thread, so results are bit-identical.
 * Other ops (a qubit in the top j bits, or a gate without a SIMD kernel) run on the calling thread
 * alone. The threads meet at a barrier (Atomics) after each op.
 */

/** Command words in the shared op buffer. */
const CMD_DETACH = -1;
const CODE: Record<string, number> = { u1: 1, r1: 2, d1: 3, cx: 4, u2: 5 };

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
    Atomics.wait(c, 0, gen);
    gen = Atomics.load(c, 0);
    const cmd = o[0];
    if (cmd === ${CMD_DETACH}) {
      if (Atomics.add(c, 1, 1) === count - 2) Atomics.notify(c, 1);
      return;
    }
    const chunk = o[2] / count;
    const base = o[1] + index * chunk * 16;
    switch (cmd) {
      case 1: k.u1(base, chunk, o[3], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12]); break;
      case 2: k.r1(base, chunk, o[3], o[5], o[6], o[7], o[8]); break;
      case 3: k.d1(base, chunk, o[3], o[5], o[6], o[7], o[8]); break;
      case 4: k.cx(base, chunk, o[3], o[4]); break;
      case 5: k.u2(base, chunk, o[3], o[4], o[5]); break;
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
    case 'u2':
      return Math.max(op.q0, op.q1);
    default:
      return -1;
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
  /** Op buffer: command, base, dim, a, b, then up to 32 matrix numbers (u2's at `matrix`). */
  private readonly opsBuf = new SharedArrayBuffer(8 * 48);
  private readonly o = new Float64Array(this.opsBuf);
  private queue: Promise<void> = Promise.resolve();
  /** Ops run split over the threads and on the calling thread alone, since the pool was made. */
  readonly stats = { parallel: 0, serial: 0 };

  /** `threads` threads in all (the caller's included); rounded down to a power of two. */
  constructor(readonly threads: number) {
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
      for (const op of ops) {
        if (yielder?.due()) await yielder.yieldNow();
        const top = splitQubit(op);
        if (top < 0 || top >= lowBits) {
          applyOp(a, dim, op, wasm);
          this.stats.serial++;
        } else {
          this.parallel(a, dim, op, T, wasm);
          this.stats.parallel++;
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

  private barrier(T: number): void {
    for (;;) {
      const done = Atomics.load(this.c, 1);
      if (done >= T - 1) return;
      Atomics.wait(this.c, 1, done);
    }
  }

  /** Thread 0 (the caller) takes block 0; worker i block i; then all meet at the barrier. */
  private parallel(a: Float64Array, dim: number, op: Op, T: number, wasm: WasmKernels): void {
    const o = this.o;
    const chunk = dim / T;
    o[1] = a.byteOffset;
    o[2] = dim;
    switch (op.kind) {
      case 'u1':
      case 'r1':
      case 'd1':
        o[3] = op.q;
        o.set(op.m, 5);
        this.command(CODE[op.kind] as number);
        break;
      case 'x':
        o[3] = 31 - Math.clz32(op.controls);
        o[4] = op.q;
        this.command(CODE.cx as number);
        break;
      case 'u2':
        wasm.matrix.set(op.m); // every thread reads the same 4×4 from the shared memory
        o[3] = op.q0;
        o[4] = op.q1;
        o[5] = wasm.matrix.byteOffset;
        this.command(CODE.u2 as number);
        break;
      default:
        throw new Error(`internal: no parallel kernel for ${op.kind}`);
    }
    applyOp(a.subarray(0, 2 * chunk), chunk, op, wasm);
    this.barrier(T);
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
