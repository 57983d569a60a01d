import { pauli } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { hardwareEfficientAnsatz } from './ansatz.js';

describe('hardware-efficient ansatz', () => {
  it('has L layers of RY, RZ on every qubit and a CX ring, with named parameters', () => {
    const { operations, parameterNames } = hardwareEfficientAnsatz({ numQubits: 3, layers: 2 });
    expect(parameterNames).toHaveLength(12);
    expect(parameterNames.slice(0, 4)).toEqual(['theta_0_0_0', 'theta_0_0_1', 'theta_0_1_0', 'theta_0_1_1']);
    expect(parameterNames.at(-1)).toBe('theta_1_2_1');
    const layer = operations.slice(0, 9);
    expect(layer.map((o) => o.gate)).toEqual(['ry', 'rz', 'ry', 'rz', 'ry', 'rz', 'cx', 'cx', 'cx']);
    expect(layer.slice(6).map((o) => o.qubits)).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
    expect(operations).toHaveLength(18);
    expect(hardwareEfficientAnsatz({ numQubits: 2, layers: 1 }).operations.filter((o) => o.gate === 'cx')).toHaveLength(
      1,
    );
    expect(() => hardwareEfficientAnsatz({ numQubits: 2, layers: 0 })).toThrow(/layers/);
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
