import { ValidationError } from '../shared/errors.js';
import type { CircuitOperation } from './quantum-backend.js';

/**
 * Exact preparation of a real-amplitude state by uniformly controlled RY rotations
 * (Möttönen et al., "Transformation of quantum states using uniformly controlled rotations", 2004).
 *
 * Target: |ψ⟩ = Σ_i a_i |i⟩ / ‖a‖ on n = log2(len) qubits, qubit 0 the least significant bit of i.
 * Qubits are fixed from the most significant down. For qubit q, with the higher qubits already in
 * the pattern h, the rotation is RY(θ_h) with
 *
 *     θ_h = 2·atan2(‖a[h, q=1]‖, ‖a[h, q=0]‖)
 *
 * where ‖a[h, q=b]‖ is the norm of the amplitudes whose bits above q equal h and whose bit q is b
 * (for q = 0 the signed amplitudes themselves, so negative amplitudes are exact too). The
 * uniformly controlled rotation over the k = n−1−q control qubits is decomposed into 2^k RY and
 * 2^k CNOT gates along a Gray code: RY(α_i) then CNOT from the control whose bit flips between
 * gray(i) and gray(i+1), with α = 2^−k · Mᵀθ and M_ji = (−1)^popcount(j & gray(i)).
 *
 * Gate count: 2^n − 1 rotations and 2^n − 2 CNOTs. Returns operations on qubits
 * `offset … offset+n−1` for a circuit that starts in |0…0⟩.
 */
export function prepareRealState(amplitudes: ArrayLike<number>, options: { offset?: number } = {}): CircuitOperation[] {
  const length = amplitudes.length;
  const n = Math.log2(length);
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    throw new ValidationError([
      { field: 'amplitudes', message: `length must be a power of two from 2 to 2^20, got ${length}` },
    ]);
  }
  let normSq = 0;
  for (let i = 0; i < length; i++) {
    const a = amplitudes[i] as number;
    if (!Number.isFinite(a)) {
      throw new ValidationError([{ field: `amplitudes[${i}]`, message: `must be a finite number, got ${a}` }]);
    }
    normSq += a * a;
  }
  if (!(normSq > 0)) throw new ValidationError([{ field: 'amplitudes', message: 'must not be all zero' }]);
  const offset = options.offset ?? 0;
  const ops: CircuitOperation[] = [];
  for (let q = n - 1; q >= 0; q--) {
    const k = n - 1 - q; // number of controls: the qubits above q
    const thetas = new Float64Array(2 ** k);
    for (let h = 0; h < 2 ** k; h++) {
      let zero: number;
      let one: number;
      if (q === 0) {
        zero = amplitudes[h << 1] as number;
        one = amplitudes[(h << 1) | 1] as number;
      } else {
        zero = blockNorm(amplitudes, h, q, 0);
        one = blockNorm(amplitudes, h, q, 1);
      }
      thetas[h] = 2 * Math.atan2(one, zero);
    }
    // Control j of the uniformly controlled rotation is qubit q+1+j (bit j of h).
    ops.push(...uniformlyControlledRy(thetas, q, k, offset));
  }
  return ops;
}

/** Norm of the amplitudes whose bits above q equal h and whose bit q equals b. */
function blockNorm(amplitudes: ArrayLike<number>, h: number, q: number, b: number): number {
  const base = (h * 2 + b) * 2 ** q;
  let sum = 0;
  for (let i = base; i < base + 2 ** q; i++) sum += (amplitudes[i] as number) ** 2;
  return Math.sqrt(sum);
}

function gray(i: number): number {
  return i ^ (i >> 1);
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}

function uniformlyControlledRy(thetas: Float64Array, target: number, k: number, offset: number): CircuitOperation[] {
  if (k === 0) return [{ gate: 'ry', qubits: [target + offset], params: [thetas[0] as number] }];
  const size = 2 ** k;
  const ops: CircuitOperation[] = [];
  for (let i = 0; i < size; i++) {
    let alpha = 0;
    for (let j = 0; j < size; j++) {
      alpha += (popcount(j & gray(i)) % 2 === 0 ? 1 : -1) * (thetas[j] as number);
    }
    ops.push({ gate: 'ry', qubits: [target + offset], params: [alpha / size] });
    const changed = gray(i) ^ gray((i + 1) % size);
    const control = Math.log2(changed);
    ops.push({ gate: 'cx', qubits: [target + 1 + control + offset, target + offset] });
  }
  return ops;
}
