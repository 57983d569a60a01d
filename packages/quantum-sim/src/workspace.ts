import { totalmem } from 'node:os';
import { ValidationError } from '@q-store/core';
import { KERNELS_WASM_BASE64 } from './wasm/kernels-wasm.js';

/** Bytes of one state vector on n qubits: 2^n amplitudes of two float64 numbers. */
export function stateBytes(numQubits: number): number {
  return 16 * 2 ** numQubits;
}

/**
 * The default memory budget: 75 % of the machine's physical memory (`os.totalmem()`), so that a
 * 24 GiB machine runs 30 qubits (16 GiB per state).
 */
export function defaultMemoryLimitBytes(): number {
  return Math.floor(totalmem() * 0.75);
}

/** Most qubits whose state vector fits `limitBytes`, capped at 30 (amplitude indices are 31-bit). */
export function maxQubitsFor(limitBytes: number): number {
  let n = 0;
  while (n < 30 && stateBytes(n + 1) <= limitBytes) n++;
  return n;
}

/**
 * A simulation would need more memory than the configured limit. Thrown before anything is
 * allocated. A ValidationError (code `VALIDATION`, as for any input beyond a backend's declared
 * limits) whose issue names the field (`circuit.numQubits`, `circuits[i].numQubits`), the bytes
 * needed and the limit; `numQubits`, `bytesNeeded` and `limitBytes` carry the numbers.
 */
export class SimulatorCapacityError extends ValidationError {
  constructor(
    readonly numQubits: number,
    readonly bytesNeeded: number,
    readonly limitBytes: number,
    field = 'circuit.numQubits',
    what = 'state vector',
  ) {
    super(
      [
        {
          field,
          message:
            `${numQubits} qubits need ${bytesNeeded} bytes for the ${what} (${formatBytes(bytesNeeded)}), ` +
            `more than the simulator's memory limit of ${limitBytes} bytes (${formatBytes(limitBytes)}); ` +
            `at most ${maxQubitsFor(limitBytes)} qubits fit`,
          limit: limitBytes,
        },
      ],
      'Not enough memory',
    );
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The exported functions of kernels.wat (offsets in bytes into the workspace memory). */
export interface WasmKernels {
  r1(base: number, dim: number, t: number, m00: number, m01: number, m10: number, m11: number): void;
  u1(
    base: number,
    dim: number,
    t: number,
    m00r: number,
    m00i: number,
    m01r: number,
    m01i: number,
    m10r: number,
    m10i: number,
    m11r: number,
    m11i: number,
  ): void;
  d1(base: number, dim: number, t: number, d0r: number, d0i: number, d1r: number, d1i: number): void;
  cx(base: number, dim: number, c: number, t: number): void;
  dotre(a: number, b: number, dim: number): number;
  /** General 4×4 on (q0, q1); the matrix (16 interleaved complex numbers) at byte offset `m`. */
  u2(base: number, dim: number, q0: number, q1: number, m: number): void;
  /** 32 float64 numbers of the memory, after the states, for a kernel's matrix argument. */
  matrix: Float64Array;
  /** u1 / r1 of qubit t on the pairs (p, p + 2^t) of the `len` amplitudes from `base` (threads.ts). */
  u1span(base: number, len: number, t: number, ...m: number[]): void;
  r1span(base: number, len: number, t: number, m00: number, m01: number, m10: number, m11: number): void;
  /** 2×2 m0 on the pairs of qubit t whose bit c is 0, m1 where it is 1 (8 numbers each). */
  mux(base: number, dim: number, t: number, c: number, ...m0m1: number[]): void;
  /** Real 2×2 m0 on the pairs of qubit t whose bit c is 0, m1 where it is 1 (4 numbers each). */
  muxr(base: number, dim: number, t: number, c: number, ...m0m1: number[]): void;
  /**
   * A chain of real 2×2s on qubits q … q + k − 1 in tiles of runs of w amplitudes (chains.ts; its
   * desc at byte offset `desc`), the tiles at byte places [lo0, lo1) of the sub-blocks of 2^q.
   */
  rchain(base: number, dim: number, q: number, k: number, w: number, desc: number, lo0: number, lo1: number): void;
  /** A phase table (kernels.ts applyPhaseTable) on `len` amplitudes from `base`, whole-state index g. */
  dtab(base: number, len: number, g: number, desc: number): void;
  /** Byte offset of a phase table's desc in the memory, copied into the table area when not there (−1: no room). */
  tableAt(op: { desc: Float64Array }): number;
  /** The table area, where {@link tableAt} places descs. */
  tables: TableArea;
}

/**
 * Phase tables (diagonals.ts) live in an area of the memory after the states: {@link place} copies
 * a desc in (once; it stays until the area wraps around, which forgets every placement), so a
 * kernel on another thread can read it. 2 MiB hold 255 tables of 2^6 entries in 8 variants (with their headers).
 */
export class TableArea {
  private next = 0;
  private readonly placed = new Map<Float64Array, number>();

  constructor(private readonly area: Float64Array) {}

  /** Byte offset of `desc` in the memory, copying it in when it is not there; −1 when it cannot fit. */
  place(desc: Float64Array): number {
    const at = this.placed.get(desc);
    if (at !== undefined) return at;
    const words = desc.length + (desc.length % 2);
    if (words > this.area.length) return -1;
    if (this.next + words > this.area.length) this.reset();
    this.area.set(desc, this.next);
    const offset = this.area.byteOffset + 8 * this.next;
    this.next += words;
    this.placed.set(desc, offset);
    return offset;
  }

  /** Float64 words of the area. */
  get capacity(): number {
    return this.area.length;
  }

  /** Forgets every placement (the next one starts at the area's beginning). */
  reset(): void {
    this.next = 0;
    this.placed.clear();
  }
}

/** Fewest qubits for a table area in a workspace (and for phase tables in program.ts compileSimd). */
export const TABLE_MIN_QUBITS = 15;

/** Bytes of the table area. */
const TABLE_BYTES = 2 ** 21;

/** Bytes after the states of a WebAssembly workspace for kernels' matrix arguments. */
const MATRIX_BYTES = 256;

/** A shared WebAssembly memory (its buffer is a SharedArrayBuffer, so worker threads can share it). */
export interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The part of the WebAssembly JS API used here (typed locally: Node's types do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

function kernelsModule(): object | null {
  if (compiled === undefined) {
    try {
      if (!wasmApi) throw new Error('no WebAssembly');
      compiled = new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JavaScript kernels do the work
    }
  }
  return compiled;
}

/**
 * WebAssembly memory is addressed with 32 bits (at most 65536 pages of 64 KiB = 4 GiB); the kernels
 * compute end offsets as unsigned 32-bit numbers, so every state must end below 2^32.
 */
const WASM_MAX_BYTES = 2 ** 32;

/** True when the SIMD kernels can run here (WebAssembly with SIMD). */
export function simdAvailable(): boolean {
  return kernelsModule() !== null;
}

/** True when `bytes` of state vectors can live in one WebAssembly memory for the SIMD kernels. */
export function fitsWasm(bytes: number): boolean {
  return bytes < WASM_MAX_BYTES;
}

/**
 * Memory for one simulation: `count` state vectors on n qubits, all in one WebAssembly memory when
 * they fit below 4 GiB (so the SIMD kernels can run on them: one state up to 27 qubits), else as
 * plain Float64Arrays (JavaScript kernels). Checks the budget before allocating anything.
 */
export class Workspace {
  readonly states: Float64Array[];
  readonly wasm: WasmKernels | undefined;
  /** Bytes of all its state vectors. */
  readonly bytes: number;
  /** The shared WebAssembly memory and compiled kernels, when the SIMD kernels run. */
  readonly memory: WasmMemory | undefined;
  readonly module: object | undefined;
  /** True until {@link takeFresh} or the pool's `release`: no one has written its states yet. */
  private fresh = true;

  constructor(
    readonly numQubits: number,
    readonly count: number,
    limitBytes: number,
    readonly useWasm = true,
  ) {
    const bytes = count * stateBytes(numQubits);
    this.bytes = bytes;
    if (bytes > limitBytes) {
      const what = count === 1 ? 'state vector' : `${count} state vectors`;
      throw new SimulatorCapacityError(numQubits, bytes, limitBytes, 'circuit.numQubits', what);
    }
    const len = 2 * 2 ** numQubits;
    const tableBytes = numQubits >= TABLE_MIN_QUBITS ? TABLE_BYTES : 0;
    const module = useWasm && fitsWasm(bytes + MATRIX_BYTES + tableBytes) ? kernelsModule() : null;
    if (module && wasmApi) {
      const pages = Math.max(1, Math.ceil((bytes + MATRIX_BYTES + tableBytes) / 65536));
      const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
      this.memory = memory;
      this.module = module;
      const instance = new wasmApi.Instance(module, { env: { memory } });
      const all = new Float64Array(memory.buffer);
      const matrix = all.subarray(bytes / 8, bytes / 8 + MATRIX_BYTES / 8);
      const tables = new TableArea(all.subarray((bytes + MATRIX_BYTES) / 8, (bytes + MATRIX_BYTES + tableBytes) / 8));
      const exports = instance.exports as Omit<WasmKernels, 'matrix' | 'tables' | 'tableAt'>;
      this.wasm = { ...exports, matrix, tables, tableAt: (op) => tables.place(op.desc) };
      this.states = [];
      for (let i = 0; i < count; i++) this.states.push(all.subarray(i * len, (i + 1) * len));
    } else {
      this.wasm = undefined;
      this.memory = undefined;
      this.module = undefined;
      this.states = [];
      for (let i = 0; i < count; i++) this.states.push(new Float64Array(len));
    }
  }

  /**
   * True the first time only, for the first state of a workspace no one has written: its memory is
   * still the zeros it was created with (WebAssembly memories and typed arrays start zeroed), so
   * |0…0⟩ needs no fill — and the pages are first touched by the kernels, on every thread, instead
   * of by one fill (a page fault costs microseconds here: 13 s of a 58 s call at 28 qubits).
   */
  takeFresh(a: Float64Array): boolean {
    const fresh = this.fresh && a === this.states[0];
    this.fresh = false;
    return fresh;
  }

  /** Marks its states written (the pool does, when the workspace comes back). */
  used(): void {
    this.fresh = false;
  }
}

/**
 * Reuses workspaces between calls, so that a tiny `estimate` neither instantiates the WebAssembly
 * module nor allocates its state vectors again, and a large one does not page-fault its fresh
 * memory in (measured at 20 qubits: a new 16 MiB workspace costs 7–12 ms to touch, and the call
 * through the API took 175–190 ms against 115–125 ms on a reused one): `acquire` hands out a free
 * workspace of the same shape (or builds one), `release` keeps it for the next call — a few per
 * shape up to `retainBytes` each, and the last large one up to `largeBytes` (default 256 MiB or an
 * eighth of the memory limit, the smaller). A workspace is in use by one call at a time, so
 * concurrent calls never share state vectors; larger ones go back with the call, `clear` (the
 * simulator's `close`) drops all. Reused states are not zeroed: every user overwrites them first.
 */
export class WorkspacePool {
  private readonly free = new Map<string, Workspace[]>();
  private large: Workspace | undefined;

  constructor(
    private readonly limitBytes: number,
    private readonly retainBytes = 2 ** 20,
    private readonly perShape = 4,
    private readonly largeBytes = Math.min(2 ** 28, Math.floor(limitBytes / 8)),
  ) {}

  acquire(numQubits: number, count: number, useWasm: boolean): Workspace {
    const key = shapeKey(numQubits, count, useWasm);
    const large = this.large;
    if (large && shapeKey(large.numQubits, large.count, large.useWasm) === key) {
      this.large = undefined;
      return large;
    }
    return this.free.get(key)?.pop() ?? new Workspace(numQubits, count, this.limitBytes, useWasm);
  }

  release(ws: Workspace): void {
    ws.used();
    if (ws.bytes > this.retainBytes) {
      if (ws.bytes <= this.largeBytes) this.large = ws;
      return;
    }
    const key = shapeKey(ws.numQubits, ws.count, ws.useWasm);
    let list = this.free.get(key);
    if (!list) {
      list = [];
      this.free.set(key, list);
    }
    if (list.length < this.perShape) list.push(ws);
  }

  /** Drops every kept workspace (their memory goes back). */
  clear(): void {
    this.free.clear();
    this.large = undefined;
  }
}

function shapeKey(numQubits: number, count: number, wasm: boolean): string {
  return `${numQubits}:${count}:${wasm ? 'w' : 'j'}`;
}
