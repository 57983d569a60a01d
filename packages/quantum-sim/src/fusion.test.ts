import { createRng } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { applyOps } from './executor.js';
import { blockMatrix, type FusionCostModel, fuseBlocks, JS_COSTS, opQubits, SIMD_COSTS } from './fusion.js';
import { applyOp, type Op } from './ops.js';
import { compileOps } from './program.js';
import { maxDiff, randomCircuit, randomState } from './random-circuits.test-helper.js';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { Workspace } from './workspace.js';

const N = 7;

/** Always fuses: exercises every block the grouping forms. */
const ALWAYS: FusionCostModel = { op: () => 1, dense: () => 0 };

function run(ops: readonly Op[], state: Float64Array, wasm: boolean): Float64Array {
  const ws = new Workspace(N, 1, 2 ** 30, wasm);
  const a = ws.states[0] as Float64Array;
  a.set(state);
  applyOps(a, N, ops, ws.wasm);
  return Float64Array.from(a);
}

describe('fusion beyond one qubit', () => {
  for (const k of [2, 3, 4, 5]) {
    it(`k = ${k}: fused and unfused agree to 1e-12 on random circuits (JavaScript and SIMD kernels)`, () => {
      const rng = createRng(500 + k);
      for (let trial = 0; trial < 8; trial++) {
        const circuit = randomCircuit(rng, N, 60);
        const state = randomState(rng, N);
        const unfused = compileOps(circuit, { fuse: false });
        const reference = run(unfused, state, false);
        const fused = compileOps(circuit, { fuseQubits: k, costs: ALWAYS });
        expect(fused.length, 'fusion merged ops').toBeLessThan(unfused.length);
        for (const op of fused) expect(opQubits(op).length).toBeLessThanOrEqual(Math.max(k, 3)); // ccx stays 3
        expect(maxDiff(run(fused, state, false), reference)).toBeLessThan(1e-12);
        expect(maxDiff(run(fused, state, true), reference)).toBeLessThan(1e-12);
        for (const costs of [SIMD_COSTS, JS_COSTS]) {
          const modelled = compileOps(circuit, { fuseQubits: k, costs });
          expect(maxDiff(run(modelled, state, true), reference)).toBeLessThan(1e-12);
        }
      }
    });
  }

  it('the cost model fuses a long run on two qubits and leaves a cheap pair alone', () => {
    const u = (q: number, s: number): Op => ({
      kind: 'u1',
      q,
      m: Float64Array.of(s, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
    });
    const cx: Op = { kind: 'x', controls: 1, q: 1 };
    const long = [u(0, 1), u(1, 2), cx, u(0, 3), u(1, 4), cx, u(0, 5), u(1, 6)];
    expect(fuseBlocks(long, 2, SIMD_COSTS).map((o) => o.kind)).toEqual(['u2']);
    const short = [u(0, 1), cx];
    expect(fuseBlocks(short, 2, SIMD_COSTS)).toEqual(short);
  });

  it('blockMatrix is the product of the ops (checked column by column on basis states)', () => {
    const rng = createRng(9);
    const circuit = randomCircuit(rng, 3, 12);
    const ops = compileOps(circuit, { fuse: false });
    const m = blockMatrix([0, 1, 2], ops);
    for (let c = 0; c < 8; c++) {
      const e = new Float64Array(16);
      e[2 * c] = 1;
      for (const op of ops) applyOp(e, 8, op);
      for (let r = 0; r < 8; r++) {
        expect(m[2 * (r * 8 + c)]).toBeCloseTo(e[2 * r] as number, 14);
        expect(m[2 * (r * 8 + c) + 1]).toBeCloseTo(e[2 * r + 1] as number, 14);
      }
    }
  });

  it('the simulator gives the same estimates for fuseQubits 1–5 and without fusion', async () => {
    const rng = createRng(77);
    const circuit = randomCircuit(rng, 6, 80);
    const observables = [[{ coefficient: 1, paulis: 'IIIIIZ' }], [{ coefficient: 0.5, paulis: 'XYZIIX' }]];
    const reference = await new StateVectorSimulator({ fuse: false, wasm: false }).estimate({ circuit, observables });
    for (const fuseQubits of [1, 2, 3, 4, 5]) {
      for (const wasm of [true, false]) {
        const r = await new StateVectorSimulator({ fuseQubits, wasm }).estimate({ circuit, observables });
        for (const [i, v] of r.values.entries()) {
          expect(Math.abs(v - (reference.values[i] as number))).toBeLessThan(1e-12);
        }
      }
    }
    expect(() => new StateVectorSimulator({ fuseQubits: 6 })).toThrow(/fuseQubits/);
  });
});
