/**
 * The simulator's own gradient: adjoint differentiation over its state vectors. Parameter shift and
 * finite differences come from core (`parameterShift`, `finiteDifference`), which every backend shares.
 */

import type { DiffGate } from '@q-store/core/backend';
import { gateMatrixDerivative } from '@q-store/core/backend';
import { Yielder } from './executor.js';
import { gateMatrixInterleaved, gateOp, interleave, inverseOp, type Op, opFromMatrix } from './ops.js';

/**
 * The exact derivative ∂U/∂(angle j) of a gate as a dense op (from core's `gateMatrixDerivative`).
 * For rx, ry and rz it is computed here with core's formula, (U(θ + π) − U(θ − π)) / 4, on the
 * written-out rotation matrices (bit for bit core's result, tested), without its matrices.
 */
export function derivativeOp(gate: DiffGate, j: number): Op {
  const name = gate.name;
  const m =
    name === 'rx' || name === 'ry' || name === 'rz'
      ? rotationDerivative(name, gate.params[0] as number)
      : interleave(gateMatrixDerivative(name, gate.params, j));
  const op = opFromMatrix(gate.qubits, m);
  if (!op) throw new Error(`internal: derivative of ${gate.name} is the identity`);
  return op;
}

/** ∂R/∂θ of a rotation as core's `gateMatrixDerivative` computes it: ω = ½, h = π/(2ω), scale ω/2. */
function rotationDerivative(name: 'rx' | 'ry' | 'rz', theta: number): Float64Array {
  const h = Math.PI / (2 * 0.5);
  const plus = gateMatrixInterleaved(name, [theta + h]);
  const minus = gateMatrixInterleaved(name, [theta - h]);
  const out = new Float64Array(8);
  for (let i = 0; i < 8; i++) out[i] = ((plus[i] as number) - (minus[i] as number)) * 0.25;
  return out;
}

/** Re⟨a|b⟩ in JavaScript. */
export function dotRe(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Where the adjoint sweep keeps its vectors: ψ, a scratch μ and one λ per observable (interleaved
 * Float64Arrays, or split states: split-state.ts).
 */
export interface AdjointBuffers<S = Float64Array> {
  psi: S;
  mu: S;
  lambdas: S[];
  /** Re⟨a|b⟩ (the SIMD kernel when the buffers live in WebAssembly memory). */
  dot(a: S, b: S): number;
  apply(a: S, op: Op): void;
  /** to ← from. */
  copy(to: S, from: S): void;
}

/**
 * Adjoint differentiation (Jones & Gacon 2020, arXiv:2009.02823). With |ψ⟩ = U_L⋯U_1|0⟩ already in
 * `psi` and λ_o = O_o|ψ⟩ in `lambdas[o]`, sweep l = L … 1:
 *   ψ ← U_l† ψ (now the state before gate l);
 *   for each angle θ of U_l that depends on a parameter p (θ = k·p + c):
 *     ∂⟨O_o⟩/∂p += k · 2·Re⟨λ_o| ∂U_l/∂θ |ψ⟩  (μ = ∂U_l/∂θ ψ, one copy);
 *   λ_o ← U_l† λ_o.
 * One forward pass, then per gate one inverse on ψ and on each λ, and per parameterised angle one
 * derivative application and one inner product per observable. A parameter used by several gates
 * gets the sum of their terms. Returns gradients[o][p] in the order of `wrt`.
 */
export async function adjointSweep<S>(
  gates: readonly DiffGate[],
  wrt: readonly string[],
  buffers: AdjointBuffers<S>,
  signal?: AbortSignal,
): Promise<number[][]> {
  const yielder = new Yielder(signal);
  const { psi, mu, lambdas } = buffers;
  const position = new Map(wrt.map((name, p) => [name, p]));
  const gradients = lambdas.map(() => new Array<number>(wrt.length).fill(0));
  for (let l = gates.length - 1; l >= 0; l--) {
    if (yielder.due()) await yielder.yieldNow();
    const gate = gates[l] as DiffGate;
    const op = gateOp(gate.name, gate.qubits, gate.params);
    const inv = op ? inverseOp(op) : undefined;
    if (inv) buffers.apply(psi, inv);
    gate.expressions.forEach((expr, j) => {
      const p = expr ? position.get(expr.name) : undefined;
      if (expr === undefined || p === undefined) return;
      buffers.copy(mu, psi);
      buffers.apply(mu, derivativeOp(gate, j));
      lambdas.forEach((lambda, o) => {
        const row = gradients[o] as number[];
        row[p] = (row[p] as number) + expr.coefficient * 2 * buffers.dot(lambda, mu);
      });
    });
    if (inv && l > 0) for (const lambda of lambdas) buffers.apply(lambda, inv);
  }
  return gradients;
}
