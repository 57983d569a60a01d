import { applyOp, type Op, opFromMatrix } from './ops.js';

/**
 * Fusion beyond one qubit: runs of ops on at most `maxQubits` qubits are multiplied into one dense
 * unitary when the cost model says that one pass of the dense kernel is cheaper than the passes
 * of the ops it replaces.
 *
 * Blocks are formed greedily in circuit order. Open blocks act on disjoint qubits (so they commute
 * and may be emitted in any order). An op joins the open blocks it touches when their qubits and
 * its own number at most `maxQubits`; otherwise the oldest of those blocks are emitted first
 * until it fits (every op that touched one of its qubits earlier has then been emitted, so the
 * order of non-commuting ops is kept). A block of one op is emitted as is; a block of several ops
 * becomes one op of its product matrix (classified again: diagonal, identity, …) if cheaper.
 */

/** Cost of one op, in passes over the state vector (measured: see bench/state-vector.ts). */
export interface FusionCostModel {
  /** Passes one op costs. */
  op(op: Op): number;
  /** Passes one dense op on k qubits costs. */
  dense(k: number): number;
}

/**
 * Kernel time per call relative to a general 2×2 on the same path, measured with
 * `pnpm --filter @q-store/quantum-sim bench --only fusion-cost` (n = 20, best of 15). On the SIMD
 * path the 2×2 kernels are cheap (about the memory floor) and the dense 4×4 costs about four of them,
 * so fusing two qubits pays only for runs of four or more general 2×2 on a pair; dense ops on 3+
 * qubits run in JavaScript (applyK) and cost tens of 2×2 calls.
 */
function costModel(u: {
  r1: number;
  d1: number;
  phase: number;
  dtab: number;
  x: number;
  u2: number;
  dense: number[];
}): FusionCostModel {
  const dense = (k: number) => (k <= 1 ? 1 : k === 2 ? u.u2 : (u.dense[k - 3] ?? 2 * (u.dense.at(-1) as number)));
  return {
    op: (op) =>
      op.kind === 'u1' || op.kind === 'cu1' || op.kind === 'mux'
        ? 1
        : op.kind === 'r1' || op.kind === 'muxr'
          ? u.r1
          : op.kind === 'd1' || op.kind === 'd2'
            ? u.d1
            : op.kind === 'phase'
              ? u.phase
              : op.kind === 'dtab'
                ? u.dtab
                : op.kind === 'x' || op.kind === 'swap'
                  ? u.x
                  : op.kind === 'u2'
                    ? u.u2
                    : dense(op.qubits.length),
    dense,
  };
}

/** Measured relative costs on the SIMD kernels. */
export const SIMD_COSTS: FusionCostModel = costModel({
  r1: 0.75,
  d1: 0.5,
  phase: 1.5,
  dtab: 1,
  x: 0.3,
  u2: 4,
  dense: [38, 77, 150],
});

/** Measured relative costs on the JavaScript kernels. */
export const JS_COSTS: FusionCostModel = costModel({
  r1: 1,
  d1: 0.8,
  phase: 0.7,
  dtab: 1.5,
  x: 0.5,
  u2: 2.5,
  dense: [17, 32, 64],
});

/** Qubits an op acts on (targets and controls), ascending. */
export function opQubits(op: Op): number[] {
  return bitsOf(opMask(op));
}

/** Bit q set for every qubit an op acts on (targets and controls). */
export function opMask(op: Op): number {
  switch (op.kind) {
    case 'u1':
    case 'r1':
    case 'd1':
      return 1 << op.q;
    case 'phase':
    case 'dtab':
      return op.mask;
    case 'x':
    case 'cu1':
      return op.controls | (1 << op.q);
    case 'swap':
    case 'd2':
    case 'u2':
      return (1 << op.q0) | (1 << op.q1);
    case 'mux':
    case 'muxr':
      return (1 << op.q) | (1 << op.c);
    case 'uk': {
      let mask = 0;
      for (const q of op.qubits) mask |= 1 << q;
      return mask;
    }
  }
}

/** Highest qubit an op acts on. */
export function opTopQubit(op: Op): number {
  return 31 - Math.clz32(opMask(op));
}

function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let q = 0; q < 31; q++) if ((mask >>> q) & 1) out.push(q);
  return out;
}

function remapMask(mask: number, local: ReadonlyMap<number, number>): number {
  let out = 0;
  for (const q of bitsOf(mask)) out |= 1 << (local.get(q) as number);
  return out;
}

/** The op with its qubits renamed by `local` (global qubit → local qubit). */
export function remapOp(op: Op, local: ReadonlyMap<number, number>): Op {
  const l = (q: number) => local.get(q) as number;
  switch (op.kind) {
    case 'u1':
    case 'r1':
    case 'd1':
      return { ...op, q: l(op.q) };
    case 'phase':
      return { ...op, mask: remapMask(op.mask, local) };
    case 'x':
    case 'cu1':
      return { ...op, controls: remapMask(op.controls, local), q: l(op.q) };
    case 'swap':
    case 'd2':
    case 'u2':
      return { ...op, q0: l(op.q0), q1: l(op.q1) };
    case 'uk':
      return { ...op, qubits: op.qubits.map(l) };
    case 'mux':
    case 'muxr':
      return { ...op, q: l(op.q), c: l(op.c) };
    case 'dtab':
      throw new Error('internal: a phase table reads whole-state indices and is never remapped');
  }
}

/** The dense matrix (interleaved, row-major, index bit j = qubits[j]) of `ops` applied in order. */
export function blockMatrix(qubits: readonly number[], ops: readonly Op[]): Float64Array {
  const k = qubits.length;
  const size = 1 << k;
  const local = new Map(qubits.map((q, j) => [q, j] as const));
  const mapped = ops.map((op) => remapOp(op, local));
  const m = new Float64Array(2 * size * size);
  const col = new Float64Array(2 * size);
  for (let c = 0; c < size; c++) {
    col.fill(0);
    col[2 * c] = 1;
    for (const op of mapped) applyOp(col, size, op);
    for (let r = 0; r < size; r++) {
      m[2 * (r * size + c)] = col[2 * r] as number;
      m[2 * (r * size + c) + 1] = col[2 * r + 1] as number;
    }
  }
  return m;
}

interface Block {
  /** Bit q set when the block acts on qubit q. */
  mask: number;
  ops: Op[];
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}

/** Fuses `ops` into blocks on at most `maxQubits` qubits where the cost model says it pays. */
export function fuseBlocks(ops: readonly Op[], maxQubits: number, costs: FusionCostModel = SIMD_COSTS): Op[] {
  if (maxQubits < 2 || !mayPay(ops, maxQubits, costs)) return [...ops];
  const out: Op[] = [];
  let open: Block[] = [];
  for (const op of ops) {
    const qmask = opMask(op);
    if (popcount(qmask) > maxQubits || op.kind === 'dtab') {
      const keep: Block[] = [];
      for (const b of open) {
        if ((b.mask & qmask) !== 0) emitBlock(b, out, costs);
        else keep.push(b);
      }
      open = keep;
      out.push(op);
      continue;
    }
    // the open blocks it touches, oldest first; emit the oldest until the union fits
    let touched = 0;
    let at = -1;
    let union = qmask;
    for (let i = 0; i < open.length; i++) {
      const b = open[i] as Block;
      if ((b.mask & qmask) !== 0) {
        touched++;
        at = i;
        union |= b.mask;
      }
    }
    if (touched === 0) {
      open.push({ mask: qmask, ops: [op] });
      continue;
    }
    if (touched === 1 && popcount(union) <= maxQubits) {
      // the common case: the op joins the one open block it touches, which becomes the newest
      const b = open[at] as Block;
      b.mask = union;
      b.ops.push(op);
      if (at !== open.length - 1) {
        open.splice(at, 1);
        open.push(b);
      }
      continue;
    }
    const touching = open.filter((b) => (b.mask & qmask) !== 0);
    let first = 0;
    while (first < touching.length && popcount(union) > maxQubits) {
      emitBlock(touching[first] as Block, out, costs);
      first++;
      union = qmask;
      for (let i = first; i < touching.length; i++) union |= (touching[i] as Block).mask;
    }
    const merged: Block = { mask: union, ops: [] };
    for (let i = first; i < touching.length; i++) for (const o of (touching[i] as Block).ops) merged.ops.push(o);
    merged.ops.push(op);
    open = open.filter((b) => (b.mask & qmask) === 0);
    open.push(merged);
  }
  for (const b of open) emitBlock(b, out, costs);
  return out;
}

/**
 * False when no block can pay: all the ops together cost no more than the cheapest dense op on
 * 2…maxQubits qubits, so every block would stay unfused (a small circuit then skips the grouping).
 */
function mayPay(ops: readonly Op[], maxQubits: number, costs: FusionCostModel): boolean {
  let cheapest = Number.POSITIVE_INFINITY;
  for (let k = 2; k <= maxQubits; k++) cheapest = Math.min(cheapest, costs.dense(k));
  let total = 0;
  for (const op of ops) {
    total += costs.op(op);
    if (total > cheapest) return true;
  }
  return false;
}

/** Appends a closed block to `out`: its ops as they are, or one dense op when the model says it pays. */
function emitBlock(b: Block, out: Op[], costs: FusionCostModel): void {
  if (b.ops.length === 1) {
    out.push(b.ops[0] as Op);
    return;
  }
  let unfused = 0;
  for (const op of b.ops) unfused += costs.op(op);
  const k = popcount(b.mask);
  if (costs.dense(k) < unfused) {
    const qubits = bitsOf(b.mask);
    const op = opFromMatrix(qubits, blockMatrix(qubits, b.ops));
    if (op) out.push(op);
  } else {
    for (const op of b.ops) out.push(op);
  }
}
