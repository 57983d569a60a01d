import { type CircuitJson, createRng, GATE_NAMES, GATES, type Observable, type Rng } from '@q-store/core';
import { gateMatrix, gateMatrixDerivative } from '@q-store/core/backend';
import { describe, expect, it } from 'vitest';
import { derivativeOp } from './gradients.js';
import { applyOp, gateOp, interleave, opFromMatrix } from './ops.js';
import { randomCircuit } from './random-circuits.test-helper.js';
import { StateVectorSimulator } from './state-vector-simulator.js';

const NAMES = ['a', 'b', 'c', 'd'];

/** Random parameterised circuit: every angle is a parameter expression over a few shared names. */
function parameterised(rng: Rng, n: number, gates: number): CircuitJson {
  return randomCircuit(rng, n, gates, GATE_NAMES, (r) => {
    const name = r.pick(NAMES);
    const k = r.pick([1, -1, 2, 0.5]);
    return k === 1 ? name : `${k}*${name} + 0.25`;
  });
}

function randomObservable(rng: Rng, n: number): Observable {
  return Array.from({ length: 3 }, () => ({
    coefficient: rng.float() * 2 - 1,
    paulis: Array.from({ length: n }, () => rng.pick(['I', 'X', 'Y', 'Z'])).join(''),
  }));
}

describe('gradients: adjoint, parameter-shift and finite differences agree', () => {
  it('on 12 random parameterised circuits over every gate, three observables each', async () => {
    const rng = createRng(31);
    const sim = new StateVectorSimulator();
    const js = new StateVectorSimulator({ wasm: false });
    let largest = 0;
    for (let trial = 0; trial < 12; trial++) {
      const n = 2 + (trial % 4);
      const circuit = parameterised(rng, n, 25);
      const observables = [randomObservable(rng, n), randomObservable(rng, n), randomObservable(rng, n)];
      const parameters = Object.fromEntries(NAMES.map((name) => [name, rng.float() * 6 - 3]));
      const request = { circuit, observables, parameters };
      const adjoint = await sim.gradient({ ...request, method: 'adjoint' });
      const adjointJs = await js.gradient({ ...request, method: 'adjoint' });
      const shift = await sim.gradient({ ...request, method: 'parameter-shift' });
      const fd = await sim.gradient({ ...request, method: 'finite-difference' });
      expect(adjoint.parameterNames).toEqual(shift.parameterNames);
      adjoint.gradients.forEach((row, o) => {
        row.forEach((g, p) => {
          largest = Math.max(largest, Math.abs(g));
          expect(shift.gradients[o]?.[p]).toBeCloseTo(g, 10);
          expect(adjointJs.gradients[o]?.[p]).toBeCloseTo(g, 10);
          expect(Math.abs((fd.gradients[o]?.[p] as number) - g)).toBeLessThan(1e-7);
        });
      });
      adjoint.values.forEach((v, o) => {
        expect(shift.values[o]).toBeCloseTo(v, 11);
      });
    }
    expect(largest, 'the gradients are not all zero').toBeGreaterThan(0.1);
  });

  it('a known gradient: d⟨Z⟩/dθ of ry(θ) is −sin θ, and a parameter used twice gets the sum', async () => {
    const sim = new StateVectorSimulator();
    const observables: Observable[] = [[{ coefficient: 1, paulis: 'Z' }]];
    for (const method of ['adjoint', 'parameter-shift', 'finite-difference'] as const) {
      const one = await sim.gradient({
        circuit: { numQubits: 1, operations: [{ gate: 'ry', qubits: [0], params: ['t'] }] },
        observables,
        parameters: { t: 0.8 },
        method,
      });
      expect(one.gradients[0]?.[0]).toBeCloseTo(-Math.sin(0.8), 8);
      // ry(t)·ry(2t) = ry(3t): d/dt cos 3t = −3 sin 3t
      const twice = await sim.gradient({
        circuit: {
          numQubits: 1,
          operations: [
            { gate: 'ry', qubits: [0], params: ['t'] },
            { gate: 'ry', qubits: [0], params: ['2*t'] },
          ],
        },
        observables,
        parameters: { t: 0.8 },
        method,
      });
      expect(twice.gradients[0]?.[0]).toBeCloseTo(-3 * Math.sin(2.4), 8);
    }
  });

  it('wrt restricts and orders the parameters', async () => {
    const sim = new StateVectorSimulator();
    const circuit = {
      numQubits: 2,
      operations: [
        { gate: 'ry', qubits: [0], params: ['a'] },
        { gate: 'rx', qubits: [1], params: ['b'] },
        { gate: 'cx', qubits: [0, 1] },
      ],
    };
    const r = await sim.gradient({
      circuit,
      observables: [[{ coefficient: 1, paulis: 'ZZ' }]],
      parameters: { a: 0.3, b: 0.7 },
      wrt: ['b'],
    });
    expect(r.parameterNames).toEqual(['b']);
    // ⟨Z0 Z1⟩ after cx = ⟨Z1⟩ before = cos b
    expect(r.gradients[0]?.[0]).toBeCloseTo(-Math.sin(0.7), 10);
  });

  it('with shots: parameter-shift by default, within 4.5 standard errors of the exact gradient', async () => {
    const sim = new StateVectorSimulator();
    const circuit = {
      numQubits: 1,
      operations: [
        { gate: 'ry', qubits: [0], params: ['t'] },
        { gate: 'rz', qubits: [0], params: ['0.5*t'] },
      ],
    };
    const observables: Observable[] = [[{ coefficient: 1, paulis: 'Z' }]];
    const shots = 40_000;
    const r = await sim.gradient({ circuit, observables, parameters: { t: 1.1 }, shots, seed: 3 });
    // two shifted evaluations, each with standard error ≤ 1/√shots, weights ½: SE ≤ √2·½/√shots
    const se = Math.SQRT2 * 0.5 * (1 / Math.sqrt(shots));
    expect(Math.abs((r.gradients[0]?.[0] as number) + Math.sin(1.1))).toBeLessThan(4.5 * se);
    await expect(
      sim.gradient({ circuit, observables, parameters: { t: 1 }, shots, method: 'adjoint' }),
    ).rejects.toThrow(/adjoint method is exact/);
  });

  it('with noise: parameter-shift on trajectories estimates the damped gradient', async () => {
    const p = 0.1;
    const sim = new StateVectorSimulator({ noise: { bitFlip: p, trajectories: 3000 } });
    const r = await sim.gradient({
      circuit: { numQubits: 1, operations: [{ gate: 'ry', qubits: [0], params: ['t'] }] },
      observables: [[{ coefficient: 1, paulis: 'Z' }]],
      parameters: { t: 0.9 },
      seed: 2,
    });
    // ⟨Z⟩ = (1 − 2p) cos t after one gate with a bit flip
    const expected = -(1 - 2 * p) * Math.sin(0.9);
    expect(Math.abs((r.gradients[0]?.[0] as number) - expected)).toBeLessThan(0.05);
  });
});

describe('derivative ops', () => {
  it('rx, ry, rz derivatives are bit for bit core gateMatrixDerivative; every gate op is its gateMatrix', () => {
    const rng = createRng(8);
    for (let t = 0; t < 50; t++) {
      const theta = (rng.float() * 2 - 1) * 10;
      for (const name of ['rx', 'ry', 'rz'] as const) {
        const gate = { index: 0, name, qubits: [1], params: [theta], expressions: [undefined] };
        const expected = opFromMatrix([1], interleave(gateMatrixDerivative(name, [theta], 0)));
        expect(derivativeOp(gate, 0)).toEqual(expected);
      }
    }
    for (const name of GATE_NAMES) {
      const info = GATES[name];
      const qubits = [2, 0, 1].slice(0, info.numQubits);
      const params = Array.from({ length: info.numParams }, () => rng.float() * 6 - 3);
      const op = gateOp(name, qubits, params);
      if (!op) continue;
      // the op applied to each basis state gives the columns of core's matrix (qubits[j] = bit j)
      const m = interleave(gateMatrix(name, params));
      const size = 1 << info.numQubits;
      for (let c = 0; c < size; c++) {
        const state = new Float64Array(16);
        let index = 0;
        qubits.forEach((q, j) => {
          if ((c >> j) & 1) index |= 1 << q;
        });
        state[2 * index] = 1;
        applyOp(state, 8, op);
        for (let r = 0; r < size; r++) {
          let at = 0;
          qubits.forEach((q, j) => {
            if ((r >> j) & 1) at |= 1 << q;
          });
          expect(state[2 * at], `${name} (${r}, ${c})`).toBeCloseTo(m[2 * (r * size + c)] as number, 14);
          expect(state[2 * at + 1], `${name} (${r}, ${c})`).toBeCloseTo(m[2 * (r * size + c) + 1] as number, 14);
        }
      }
    }
  });
});
