import type { CircuitOperation } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';

export interface HardwareEfficientAnsatzOptions {
  numQubits: number;
  /** Number of layers L (each: RY and RZ on every qubit, then the entangling ring; the last without RZ). */
  layers: number;
  /** `ring`: CX(q, q+1 mod n) for q = 0 … n−1 (one CX for n = 2, none for n = 1). Default `ring`. */
  entanglement?: 'ring' | 'none';
}

export interface Ansatz {
  operations: CircuitOperation[];
  /**
   * Trainable parameter names in circuit order: `theta_<layer>_<qubit>_<k>`, k = 0 for RY, 1 for RZ
   * (the last layer has only k = 0).
   */
  parameterNames: string[];
}

/** Name of the angle of rotation k (0 = RY, 1 = RZ) on `qubit` in `layer`. */
export function ansatzParameterName(layer: number, qubit: number, k: 0 | 1): string {
  return `theta_${layer}_${qubit}_${k}`;
}

/**
 * The hardware-efficient ansatz (Kandala et al. 2017, DESIGN §4):
 *
 *     U(θ) = [ ENT · ⊗_q RY(θ_{L−1,q,0}) ] · Π_{l=0}^{L−2} [ ENT · ⊗_q RZ(θ_{l,q,1}) RY(θ_{l,q,0}) ]
 *
 * with ENT the ring of CNOTs CX(0,1) CX(1,2) … CX(n−1,0). The last layer has no RZ: a diagonal
 * phase followed only by CNOTs (a permutation of basis states) and a Z-basis readout cannot change
 * any Z probability, so its angles would have exactly zero gradient. (2L − 1)·n parameters; every
 * parameter enters exactly one rotation gate with coefficient 1, so the two-term parameter-shift
 * rule (±π/2) is exact for each.
 */
export function hardwareEfficientAnsatz(options: HardwareEfficientAnsatzOptions): Ansatz {
  const { numQubits, layers } = options;
  const entanglement = options.entanglement ?? 'ring';
  const issues = new IssueCollector();
  if (!Number.isInteger(numQubits) || numQubits < 1 || numQubits > 30) {
    issues.add('numQubits', `must be an integer from 1 to 30, got ${numQubits}`, 30);
  }
  if (!Number.isInteger(layers) || layers < 1 || layers > 1000) {
    issues.add('layers', `must be an integer from 1 to 1000, got ${layers}`, 1000);
  }
  if (entanglement !== 'ring' && entanglement !== 'none') {
    issues.add('entanglement', `must be 'ring' or 'none', got ${String(entanglement)}`);
  }
  issues.throwIfAny('Invalid ansatz');
  const operations: CircuitOperation[] = [];
  const parameterNames: string[] = [];
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    for (let q = 0; q < numQubits; q++) {
      const ry = ansatzParameterName(l, q, 0);
      operations.push({ gate: 'ry', qubits: [q], params: [ry] });
      parameterNames.push(ry);
      if (last) continue;
      const rz = ansatzParameterName(l, q, 1);
      operations.push({ gate: 'rz', qubits: [q], params: [rz] });
      parameterNames.push(rz);
    }
    if (entanglement === 'ring' && numQubits > 1) {
      const pairs = numQubits === 2 ? 1 : numQubits;
      for (let q = 0; q < pairs; q++) operations.push({ gate: 'cx', qubits: [q, (q + 1) % numQubits] });
    }
  }
  return { operations, parameterNames };
}
