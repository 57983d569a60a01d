import { createRng, pauli } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { hardwareEfficientAnsatz } from './ansatz.js';

describe('hardware-efficient ansatz', () => {
  it('has L layers of RY, RZ on every qubit (the last RY only) and a CX ring, with named parameters', () => {
    const { operations, parameterNames } = hardwareEfficientAnsatz({ numQubits: 3, layers: 2 });
    expect(parameterNames).toHaveLength(9);
    expect(parameterNames.slice(0, 4)).toEqual(['theta_0_0_0', 'theta_0_0_1', 'theta_0_1_0', 'theta_0_1_1']);
    expect(parameterNames.slice(6)).toEqual(['theta_1_0_0', 'theta_1_1_0', 'theta_1_2_0']);
    const layer = operations.slice(0, 9);
    expect(layer.map((o) => o.gate)).toEqual(['ry', 'rz', 'ry', 'rz', 'ry', 'rz', 'cx', 'cx', 'cx']);
    expect(layer.slice(6).map((o) => o.qubits)).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
    expect(operations.slice(9).map((o) => o.gate)).toEqual(['ry', 'ry', 'ry', 'cx', 'cx', 'cx']);
    expect(operations).toHaveLength(15);
    expect(hardwareEfficientAnsatz({ numQubits: 2, layers: 1 }).operations.filter((o) => o.gate === 'cx')).toHaveLength(
      1,
    );
    expect(() => hardwareEfficientAnsatz({ numQubits: 2, layers: 0 })).toThrow(/layers/);
  });

  it('every parameter can move the Z readout (no angle with an identically zero gradient)', async () => {
    const numQubits = 3;
    const { operations, parameterNames } = hardwareEfficientAnsatz({ numQubits, layers: 3 });
    const rng = createRng(5);
    const sim = new StateVectorSimulator();
    const observables = Array.from({ length: numQubits }, (_, q) => [
      { coefficient: 1, paulis: `${'I'.repeat(numQubits - 1 - q)}Z${'I'.repeat(q)}` },
    ]);
    // Over a few random points, each parameter's gradient column is nonzero somewhere.
    const largest = new Float64Array(parameterNames.length);
    for (let trial = 0; trial < 4; trial++) {
      const binding = Object.fromEntries(parameterNames.map((n) => [n, Math.PI * (2 * rng.float() - 1)]));
      const { gradients } = await sim.gradient({
        circuit: { numQubits, operations: [{ gate: 'h', qubits: [0] }, { gate: 'h', qubits: [1] }, ...operations] },
        observables,
        parameters: binding,
        wrt: parameterNames,
        method: 'adjoint',
      });
      for (const row of gradients) {
        for (let p = 0; p < row.length; p++) largest[p] = Math.max(largest[p] as number, Math.abs(row[p] as number));
      }
    }
    const dead = parameterNames.filter((_, p) => (largest[p] as number) < 1e-9);
    expect(dead).toEqual([]);
  });

  it('entangles: RY(π/2) on qubit 0 then the ring gives a Bell-like correlation ⟨Z0 Z1⟩ = 1, ⟨Z1⟩ = 0', async () => {
    const { operations, parameterNames } = hardwareEfficientAnsatz({ numQubits: 2, layers: 1 });
    const binding = Object.fromEntries(parameterNames.map((n) => [n, 0]));
    binding.theta_0_0_0 = Math.PI / 2;
    const sim = new StateVectorSimulator();
    const { values } = await sim.estimate({
      circuit: { numQubits: 2, operations },
      observables: [[pauli('ZZ')], [pauli('ZI')], [pauli('IZ')]],
      parameters: binding,
    });
    expect(values[0]).toBeCloseTo(1, 12);
    expect(values[1]).toBeCloseTo(0, 12);
    expect(values[2]).toBeCloseTo(0, 12);
  });
});
