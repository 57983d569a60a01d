import { type CircuitJson, type CircuitOperation, GATE_NAMES, GATES, type GateName, type Rng } from '@q-store/core';
import { applyOps } from './executor.js';
import type { Op } from './ops.js';
import { Workspace } from './workspace.js';

/** Distinct random qubits. */
export function pickQubits(rng: Rng, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(all);
  return all.slice(0, k);
}

/** A random circuit over `gates` (default: every gate of the table that fits n qubits). */
export function randomCircuit(
  rng: Rng,
  n: number,
  numGates: number,
  gates: readonly GateName[] = GATE_NAMES,
  angle: (rng: Rng, gate: GateName, index: number) => number | string = (r) => (r.float() * 2 - 1) * Math.PI * 2,
): CircuitJson {
  const usable = gates.filter((g) => GATES[g].numQubits <= n);
  const operations: CircuitOperation[] = [];
  for (let i = 0; i < numGates; i++) {
    const gate = rng.pick(usable);
    const info = GATES[gate];
    const op: CircuitOperation = { gate, qubits: pickQubits(rng, n, info.numQubits) };
    if (info.numParams > 0) op.params = Array.from({ length: info.numParams }, (_, j) => angle(rng, gate, j));
    operations.push(op);
  }
  return { numQubits: n, operations };
}

/** A random normalised state on n qubits, interleaved. */
export function randomState(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(2 << n);
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    a[i] = rng.normal();
    norm += (a[i] as number) ** 2;
  }
  const s = 1 / Math.sqrt(norm);
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * s;
  return a;
}

/** max_i |a_i − b_i| over interleaved states. */
export function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/**
 * `ops` applied op by op to a copy of `state` (the reference), and a second workspace holding
 * another copy of `state` for the variant under test.
 */
export function referenceAndCopy(
  n: number,
  state: Float64Array,
  ops: readonly Op[],
  wasm: boolean,
): { reference: Float64Array; copy: Float64Array; ws: Workspace } {
  const one = new Workspace(n, 1, 2 ** 30, wasm);
  const reference = one.states[0] as Float64Array;
  reference.set(state);
  applyOps(reference, n, ops, one.wasm);
  const ws = new Workspace(n, 1, 2 ** 30, wasm);
  const copy = ws.states[0] as Float64Array;
  copy.set(state);
  return { reference, copy, ws };
}
