/**
 * Per-call cost of a tiny `estimate` (4 qubits, 7 gates, ⟨Z0⟩) through the public API, on the
 * default configuration and with `wasm: false` — the cost that dominates variational training on
 * few qubits. Median over batches of calls (the machine may be shared).
 */
import type { CircuitJson, EstimateResult } from '@q-store/core';
import { StateVectorSimulator } from '../src/index.js';
import { median } from './qcbm.js';

/** 4 qubits, 7 gates: RY on every qubit, a CNOT chain. */
export function smallCircuit(): CircuitJson {
  return {
    numQubits: 4,
    operations: [
      { gate: 'ry', qubits: [0], params: ['a'] },
      { gate: 'ry', qubits: [1], params: ['b'] },
      { gate: 'ry', qubits: [2], params: [0.3] },
      { gate: 'ry', qubits: [3], params: [0.4] },
      { gate: 'cx', qubits: [0, 1] },
      { gate: 'cx', qubits: [1, 2] },
      { gate: 'cx', qubits: [2, 3] },
    ],
  };
}

/** Microseconds per `estimate` call (median of 15 batches of `calls`). */
export async function microsPerCall(sim: StateVectorSimulator, calls = 400): Promise<number> {
  const circuit = smallCircuit();
  const observables = [[{ coefficient: 1, paulis: 'IIIZ' }]];
  const batch: number[] = [];
  for (let b = 0; b < 16; b++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      await sim.estimate({ circuit, observables, parameters: { a: 0.001 * i, b: 0.2 } });
    }
    if (b > 0) batch.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(batch);
}

/**
 * Figures of this bench on the code before the workspace pool (a WebAssembly instance and memory
 * per call, an await per gate), recorded on this machine under the same kind of load.
 */
const BEFORE = { simd: 252.8, js: 55.2 };

export async function smallCallsBench(): Promise<void> {
  console.log('\nsmall calls: estimate ⟨Z0⟩ of a 4-qubit, 7-gate circuit (2 parameters), µs per call');
  console.log('(median of 15 batches of 400 calls, three rounds alternating the two configurations)');
  const simd: number[] = [];
  const js: number[] = [];
  for (let r = 0; r < 3; r++) {
    simd.push(await microsPerCall(new StateVectorSimulator()));
    js.push(await microsPerCall(new StateVectorSimulator({ wasm: false })));
  }
  const core = await microsPerCall(new CoreOnly());
  const f = (xs: number[]) => median(xs).toFixed(1);
  console.log(
    `default (SIMD kernels): ${f(simd)} µs (before: ${BEFORE.simd} µs); wasm: false: ${f(js)} µs (before: ${BEFORE.js} µs); goal ≤ 10 µs`,
  );
  console.log(
    `of which core's request validation and parameter binding (doEstimate returning at once): ${core.toFixed(1)} µs`,
  );
}

/** The simulator with a doEstimate that returns at once: what a call costs before the simulator runs. */
class CoreOnly extends StateVectorSimulator {
  protected override async doEstimate(): Promise<EstimateResult> {
    return { values: [0], standardErrors: [0] };
  }
}

if (process.argv[1]?.endsWith('small-calls.ts')) await smallCallsBench();
