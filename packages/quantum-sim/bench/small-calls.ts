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

/** Wall-clock and CPU (user + system) microseconds per call. */
export interface CallCost {
  wall: number;
  cpu: number;
}

/**
 * Microseconds per `estimate` call (medians of 15 batches of `calls`): wall clock, and CPU time of
 * this process, which a machine shared with other jobs inflates much less than the wall clock.
 */
export async function microsPerCall(sim: StateVectorSimulator, calls = 400): Promise<CallCost> {
  const circuit = smallCircuit();
  const observables = [[{ coefficient: 1, paulis: 'IIIZ' }]];
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let b = 0; b < 16; b++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      await sim.estimate({ circuit, observables, parameters: { a: 0.001 * i, b: 0.2 } });
    }
    const t = ((performance.now() - t0) * 1000) / calls;
    const c = process.cpuUsage(c0);
    if (b > 0) {
      wall.push(t);
      cpu.push((c.user + c.system) / calls);
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/**
 * Figures of this bench on the code before the workspace pool (a WebAssembly instance and memory
 * per call, an await per gate), recorded on this machine under the same kind of load.
 */
const BEFORE_POOL = { simd: 252.8, js: 55.2 };

/**
 * Wall-clock figures of this bench before the single-pass validation and the synchronous path for
 * tiny circuits (same machine, quiet: load average 0.5): SIMD, JavaScript, core's part.
 */
const BEFORE_FAST_PATH = { simd: 13.9, js: 13.2, core: 7.1 };

export async function smallCallsBench(): Promise<void> {
  console.log('\nsmall calls: estimate ⟨Z0⟩ of a 4-qubit, 7-gate circuit (2 parameters), µs per call');
  console.log(
    '(medians of 15 batches of 400 calls, three rounds alternating the two configurations; wall clock, and CPU time of this process)',
  );
  const simd: CallCost[] = [];
  const js: CallCost[] = [];
  for (let r = 0; r < 3; r++) {
    simd.push(await microsPerCall(new StateVectorSimulator()));
    js.push(await microsPerCall(new StateVectorSimulator({ wasm: false })));
  }
  const core = await microsPerCall(new CoreOnly());
  const f = (xs: CallCost[]) =>
    `${median(xs.map((x) => x.wall)).toFixed(1)} µs (CPU ${median(xs.map((x) => x.cpu)).toFixed(1)} µs)`;
  console.log(
    `default (SIMD kernels): ${f(simd)}; wasm: false: ${f(js)}; goal ≤ 10 µs` +
      ` (before the fast path: ${BEFORE_FAST_PATH.simd} / ${BEFORE_FAST_PATH.js} µs; before the workspace pool: ${BEFORE_POOL.simd} / ${BEFORE_POOL.js} µs)`,
  );
  console.log(
    `of which core's request validation and parameter binding (doEstimate returning at once): ${f([core])} (before the fast path: ${BEFORE_FAST_PATH.core} µs)`,
  );
}

/** The simulator with a doEstimate that returns at once: what a call costs before the simulator runs. */
class CoreOnly extends StateVectorSimulator {
  protected override async doEstimate(): Promise<EstimateResult> {
    return { values: [0], standardErrors: [0] };
  }
}

if (process.argv[1]?.endsWith('small-calls.ts')) await smallCallsBench();
