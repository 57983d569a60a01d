import type { CircuitJson } from '@q-store/core';

/** The bench circuit: H on every qubit, then `layers` × (CNOT chain 0→1→…→n−1, RY(θ) on every qubit). */
export function layeredCircuit(
  n: number,
  layers = 10,
  angle: (layer: number, qubit: number) => number | string = angleOf,
): CircuitJson {
  const operations: CircuitJson['operations'] = [];
  for (let q = 0; q < n; q++) operations.push({ gate: 'h', qubits: [q] });
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n - 1; q++) operations.push({ gate: 'cx', qubits: [q, q + 1] });
    for (let q = 0; q < n; q++) operations.push({ gate: 'ry', qubits: [q], params: [angle(l, q)] });
  }
  return { numQubits: n, operations };
}

/** The fixed angles of the bench circuit. */
export function angleOf(layer: number, qubit: number): number {
  return 0.1 * (layer + 1) + 0.01 * qubit;
}

/** Gates in the bench circuit on n qubits: n + layers·(2n − 1). */
export function gateCount(n: number, layers = 10): number {
  return n + layers * (2 * n - 1);
}

/**
 * The QCBM circuit of the public quantum-benchmarks suite: RX, RZ on every qubit; 9 × (CNOT ring
 * q → q+1 mod n; RZ, RX, RZ on every qubit); CNOT ring; RZ, RX on every qubit. 41n gates (the ring
 * counted as n CNOTs), fixed angles.
 */
export function qcbmCircuit(n: number): CircuitJson {
  const operations: CircuitJson['operations'] = [];
  let k = 0;
  const rot = (gate: 'rx' | 'rz', q: number) => operations.push({ gate, qubits: [q], params: [0.1 + 0.037 * k++] });
  const ring = () => {
    for (let q = 0; q < n; q++) operations.push({ gate: 'cx', qubits: [q, (q + 1) % n] });
  };
  for (let q = 0; q < n; q++) {
    rot('rx', q);
    rot('rz', q);
  }
  for (let l = 0; l < 9; l++) {
    ring();
    for (let q = 0; q < n; q++) {
      rot('rz', q);
      rot('rx', q);
      rot('rz', q);
    }
  }
  ring();
  for (let q = 0; q < n; q++) {
    rot('rz', q);
    rot('rx', q);
  }
  return { numQubits: n, operations };
}
