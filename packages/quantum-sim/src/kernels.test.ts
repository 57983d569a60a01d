import { createRng, GATE_NAMES, GATES } from '@q-store/core';
import { gateMatrix } from '@q-store/core/backend';
import { describe, expect, it } from 'vitest';
import { applyOps } from './executor.js';
import { applyK } from './kernels.js';
import { applyOp, gateMatrixInterleaved, gateOp, interleave, inverseOp, type Op } from './ops.js';
import { compileOps } from './program.js';
import { maxDiff, pickQubits, randomCircuit, randomState } from './random-circuits.test-helper.js';
import { Workspace } from './workspace.js';

const N = 6;
const DIM = 2 ** N;

/** Runs `f` on a copy of `state` inside a WebAssembly workspace and returns the result. */
function inWasm(state: Float64Array, f: (a: Float64Array, ws: Workspace) => void): Float64Array {
  const ws = new Workspace(N, 1, 2 ** 30, true);
  expect(ws.wasm, 'WebAssembly SIMD is available on Node 20').toBeDefined();
  const a = ws.states[0] as Float64Array;
  a.set(state);
  f(a, ws);
  return Float64Array.from(a);
}

describe('specialised kernels agree with the generic matrix application of gateMatrix', () => {
  for (const name of GATE_NAMES) {
    it(`${name}: JavaScript and SIMD kernels = applyK(gateMatrix) on random states and qubits`, () => {
      const rng = createRng(1000 + GATE_NAMES.indexOf(name));
      const info = GATES[name];
      for (let trial = 0; trial < 12; trial++) {
        const qubits = pickQubits(rng, N, info.numQubits);
        const params = Array.from({ length: info.numParams }, () => (rng.float() * 2 - 1) * 7);
        const state = randomState(rng, N);
        const reference = Float64Array.from(state);
        applyK(reference, DIM, qubits, interleave(gateMatrix(name, params)));
        const op = gateOp(name, qubits, params);
        const js = Float64Array.from(state);
        if (op) applyOp(js, DIM, op);
        expect(maxDiff(js, reference)).toBeLessThan(1e-12);
        const simd = inWasm(state, (a, ws) => {
          if (op) applyOp(a, DIM, op, ws.wasm);
        });
        expect(maxDiff(simd, reference)).toBeLessThan(1e-12);
        // the inverse op undoes the gate
        if (op) applyOp(js, DIM, inverseOp(op));
        expect(maxDiff(js, state)).toBeLessThan(1e-12);
      }
    });
  }

  it('every qubit of a 2×2, real 2×2 and diagonal, and every CNOT pair, on the SIMD path (qubits 0 and 1 take their own loops)', () => {
    const rng = createRng(77);
    const state = randomState(rng, N);
    const ops: Array<ReturnType<typeof gateOp>> = [];
    for (let q = 0; q < N; q++) {
      ops.push(gateOp('u', [q], [0.7, -1.3, 2.1]), gateOp('ry', [q], [0.9]), gateOp('rz', [q], [1.7]));
      for (let t = 0; t < N; t++) if (t !== q) ops.push(gateOp('cx', [q, t], []));
    }
    expect(new Set(ops.map((op) => op?.kind))).toEqual(new Set(['u1', 'r1', 'd1', 'x']));
    for (const op of ops) {
      if (!op) throw new Error('every gate has an op');
      const js = Float64Array.from(state);
      applyOp(js, DIM, op);
      const simd = inWasm(state, (a, ws) => applyOp(a, DIM, op, ws.wasm));
      if (op.kind === 'x') expect(simd, `CNOT control ${op.controls} target ${op.q}`).toEqual(js);
      else expect(maxDiff(simd, js), `${op.kind} on qubit ${'q' in op ? op.q : '?'}`).toBeLessThan(1e-12);
      expect(maxDiff(simd, state), `${op.kind} changes the state`).toBeGreaterThan(1e-3);
    }
  });

  it('mux and real mux (a CNOT folded into a 2×2): SIMD = JavaScript = the two ops apart, bit for bit on SIMD, for every target and control', () => {
    const rng = createRng(78);
    const state = randomState(rng, N);
    const u = gateOp('u', [0], [0.7, -1.3, 2.1]);
    const ry = gateOp('ry', [0], [0.9]);
    if (u?.kind !== 'u1' || ry?.kind !== 'r1') throw new Error('u is a general 2×2, ry a real one');
    const pick = (m: Float64Array, order: number[]) => Float64Array.from(order.map((i) => m[i] as number));
    for (const [kind, m, rows, cols] of [
      ['mux', u.m, pick(u.m, [4, 5, 6, 7, 0, 1, 2, 3]), pick(u.m, [2, 3, 0, 1, 6, 7, 4, 5])],
      ['muxr', ry.m, pick(ry.m, [2, 3, 0, 1]), pick(ry.m, [1, 0, 3, 2])],
    ] as const) {
      for (let t = 0; t < N; t++) {
        for (let c = 0; c < N; c++) {
          if (c === t) continue;
          const cx: Op = { kind: 'x', controls: 1 << c, q: t };
          const u1: Op = kind === 'mux' ? { kind: 'u1', q: t, m } : { kind: 'r1', q: t, m };
          for (const [m1, apart] of [
            [rows, [u1, cx]],
            [cols, [cx, u1]],
          ] as const) {
            const mux: Op = { kind, q: t, c, m0: m, m1 };
            const simd = inWasm(state, (a, ws) => applyOp(a, DIM, mux, ws.wasm));
            const simdApart = inWasm(state, (a, ws) => {
              for (const op of apart) applyOp(a, DIM, op, ws.wasm);
            });
            expect(simd, `mux t = ${t}, c = ${c} against the two ops on SIMD`).toEqual(simdApart);
            const js = Float64Array.from(state);
            applyOp(js, DIM, mux);
            const reference = Float64Array.from(state);
            for (const op of apart) applyOp(reference, DIM, op);
            expect(maxDiff(js, reference), `JavaScript mux t = ${t}, c = ${c}`).toBeLessThan(1e-12);
            expect(maxDiff(simd, state)).toBeGreaterThan(1e-3);
            // the inverse undoes it
            applyOp(js, DIM, inverseOp(mux));
            expect(maxDiff(js, state)).toBeLessThan(1e-12);
          }
        }
      }
    }
  });

  it('a gate that moves amplitude changes the state (the comparison is not vacuous)', () => {
    const state = randomState(createRng(5), N);
    const a = Float64Array.from(state);
    applyOp(a, DIM, gateOp('ry', [3], [0.4]) as NonNullable<ReturnType<typeof gateOp>>);
    expect(maxDiff(a, state)).toBeGreaterThan(1e-3);
  });

  it('classifies gates into their fast kernels', () => {
    expect(gateOp('cx', [2, 0], [])).toEqual({ kind: 'x', controls: 4, q: 0 });
    expect(gateOp('ccx', [0, 3, 1], [])).toEqual({ kind: 'x', controls: 9, q: 1 });
    expect(gateOp('cz', [1, 4], [])).toMatchObject({ kind: 'phase', mask: 18, re: -1 });
    expect(gateOp('ry', [1], [0.3])?.kind).toBe('r1');
    expect(gateOp('rz', [1], [0.3])?.kind).toBe('d1');
    expect(gateOp('t', [1], [])?.kind).toBe('phase');
    expect(gateOp('rzz', [1, 2], [0.3])?.kind).toBe('d2');
    expect(gateOp('cry', [1, 2], [0.3])?.kind).toBe('cu1');
    expect(gateOp('rxx', [1, 2], [0.3])?.kind).toBe('u2');
    expect(gateOp('swap', [1, 2], [])?.kind).toBe('swap');
    expect(gateOp('rx', [0], [0])).toBeUndefined();
  });
});

describe('fusion of single-qubit runs', () => {
  it('fused and unfused circuits give the same state on random circuits (JS and SIMD)', () => {
    const rng = createRng(77);
    for (let trial = 0; trial < 20; trial++) {
      const circuit = randomCircuit(rng, N, 80);
      if (trial % 3 === 0) circuit.operations.splice(40, 0, { gate: 'barrier', qubits: [0, 1, 2] });
      const fused = compileOps(circuit, { fuse: true });
      const plain = compileOps(circuit, { fuse: false });
      expect(fused.length).toBeLessThanOrEqual(plain.length);
      const a = new Float64Array(2 * DIM);
      a[0] = 1;
      const b = Float64Array.from(a);
      applyOps(a, N, fused);
      applyOps(b, N, plain);
      expect(maxDiff(a, b)).toBeLessThan(1e-12);
      const zero = new Float64Array(2 * DIM);
      zero[0] = 1;
      const c = inWasm(zero, (s, ws) => applyOps(s, N, fused, ws.wasm));
      expect(maxDiff(c, b)).toBeLessThan(1e-12);
    }
  });

  it('folding CNOTs into 2×2s (foldBelow) gives the same state bits on random circuits, and only folds adjacent pairs', () => {
    const rng = createRng(79);
    let folds = 0;
    let realFolds = 0;
    for (let trial = 0; trial < 20; trial++) {
      const circuit = randomCircuit(rng, N, 80, trial % 2 === 0 ? ['u', 'cx'] : ['ry', 'cx', 'h', 'rz']);
      // (one-qubit fusion only: with two-qubit blocks the fold changes which blocks form)
      const plain = compileOps(circuit);
      const folded = compileOps(circuit, { foldBelow: N });
      folds += folded.filter((op) => op.kind === 'mux').length;
      realFolds += folded.filter((op) => op.kind === 'muxr').length;
      const zero = new Float64Array(2 * DIM);
      zero[0] = 1;
      const a = inWasm(zero, (s, ws) => applyOps(s, N, plain, ws.wasm));
      const b = inWasm(zero, (s, ws) => applyOps(s, N, folded, ws.wasm));
      expect(b).toEqual(a);
      const js = Float64Array.from(zero);
      applyOps(js, N, folded);
      expect(maxDiff(js, a)).toBeLessThan(1e-12);
    }
    expect(folds, 'random circuits of u and cx have folded CNOTs').toBeGreaterThan(20);
    expect(realFolds, 'random circuits of ry and cx have CNOTs folded into real 2×2s').toBeGreaterThan(5);
    const u = (q: number) => ({ gate: 'u', qubits: [q], params: [0.3, 0.4, 0.5] });
    const kinds = (ops: Array<{ gate: string; qubits: number[]; params?: number[] }>, below = N) =>
      compileOps({ numQubits: N, operations: ops }, { foldBelow: below }).map((op) => op.kind);
    // a 2×2 on the target, then the CNOT: one mux; the CNOT, then a 2×2 on its target: one mux
    expect(kinds([u(1), { gate: 'cx', qubits: [4, 1] }])).toEqual(['mux']);
    expect(
      kinds([
        { gate: 'ry', qubits: [1], params: [0.7] },
        { gate: 'cx', qubits: [4, 1] },
      ]),
    ).toEqual(['muxr']);
    expect(
      kinds([
        { gate: 'cx', qubits: [4, 1] },
        { gate: 'ry', qubits: [1], params: [0.7] },
      ]),
    ).toEqual(['muxr']);
    expect(kinds([{ gate: 'cx', qubits: [4, 1] }, u(1)])).toEqual(['mux']);
    // an op on the control between them: no fold (the control's value differs); the barrier makes
    // the 2×2 come before the X (single-qubit gates otherwise wait for the next gate on their qubit)
    const barrier = { gate: 'barrier', qubits: [1] };
    expect(kinds([u(1), barrier, { gate: 'x', qubits: [4] }, { gate: 'cx', qubits: [4, 1] }])).toEqual([
      'u1',
      'x',
      'x',
    ]);
    expect(kinds([u(1), barrier, { gate: 'cx', qubits: [4, 1] }])).toEqual(['mux']);
    // a low control folds too; a qubit at or above foldBelow does not
    expect(kinds([u(4), { gate: 'cx', qubits: [0, 4] }])).toEqual(['mux']);
    expect(kinds([u(1), { gate: 'cx', qubits: [4, 1] }], 4)).toEqual(['u1', 'x']);
    // a CNOT on a 2×2's control qubit does not fold (only one on its target)
    expect(kinds([u(4), { gate: 'cx', qubits: [4, 1] }])).toEqual(['u1', 'x']);
  });

  it('merges a run on one qubit into one op and drops an identity run', () => {
    const circuit = {
      numQubits: 2,
      operations: [
        { gate: 'h', qubits: [0] },
        { gate: 'rz', qubits: [0], params: [0.3] },
        { gate: 'h', qubits: [0] },
        { gate: 'x', qubits: [1] },
        { gate: 'x', qubits: [1] },
      ],
    };
    const ops = compileOps(circuit);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ kind: 'u1', q: 0 });
  });

  it('does not fuse across a two-qubit gate on the same qubit', () => {
    const circuit = {
      numQubits: 2,
      operations: [
        { gate: 'h', qubits: [0] },
        { gate: 'cx', qubits: [0, 1] },
        { gate: 'h', qubits: [0] },
      ],
    };
    expect(compileOps(circuit).map((o) => o.kind)).toEqual(['r1', 'x', 'r1']);
  });
});

describe('gateMatrixInterleaved', () => {
  it('is bit for bit interleave(gateMatrix) for every gate (written-out RX, RY, RZ included)', () => {
    const rng = createRng(404);
    for (const name of GATE_NAMES) {
      for (let trial = 0; trial < 20; trial++) {
        const params = Array.from({ length: GATES[name].numParams }, () => (rng.float() * 2 - 1) * 20);
        expect(Array.from(gateMatrixInterleaved(name, params))).toEqual(
          Array.from(interleave(gateMatrix(name, params))),
        );
      }
    }
  });
});
