/**
 * Gate-list builders for the study's circuits on {@link BatchedCircuit} (PennyLane conventions,
 * MODELS.md §1): Rot, StronglyEntanglingLayers, broadcast patterns, IQPEmbedding, amplitude
 * embedding, and the one-qubit reduced expectations the projected kernel reads.
 */
import { ValidationError } from '@q-store/core';
import type { BatchedGate } from '@q-store/quantum-sim';

/** Allocates angle slots in gate order. */
export class SlotAllocator {
  next = 0;
  take(): number {
    return this.next++;
  }
}

/** Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) (RZ(φ) acts first), as one fused gate. Returns the three slots. */
export function rot(gates: BatchedGate[], wire: number, slots: SlotAllocator): [number, number, number] {
  const s: [number, number, number] = [slots.take(), slots.take(), slots.take()];
  gates.push({ gate: 'rot', wire, angles: s });
  return s;
}

/** Pairs of the broadcast patterns `double`, `double_odd` and `ring` (§1.7). */
export function pattern(kind: 'double' | 'double_odd' | 'ring', n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (kind === 'ring') {
    if (n === 2) return [[0, 1]];
    if (n < 3) return [];
    for (let q = 0; q < n; q++) out.push([q, (q + 1) % n]);
    return out;
  }
  for (let q = kind === 'double' ? 0 : 1; q + 1 < n; q += 2) out.push([q, q + 1]);
  return out;
}

/**
 * StronglyEntanglingLayers (§1.4): per layer Rot on every wire, then the entangler on
 * [q, (q + r_l) mod n] for q = 0…n−1 with r_l = (l mod (n−1)) + 1; none when n = 1. Returns the
 * slots of weight [l, q, k] at index (l·n + q)·3 + k.
 */
export function stronglyEntanglingLayers(
  gates: BatchedGate[],
  layers: number,
  n: number,
  imprimitive: 'cnot' | 'cz',
  slots: SlotAllocator,
): number[] {
  const out: number[] = [];
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n; q++) out.push(...rot(gates, q, slots));
    if (n > 1) {
      const r = (l % (n - 1)) + 1;
      for (let q = 0; q < n; q++) {
        const t = (q + r) % n;
        gates.push(imprimitive === 'cnot' ? { gate: 'cnot', control: q, target: t } : { gate: 'cz', wires: [q, t] });
      }
    }
  }
  return out;
}

/**
 * Where IQPEmbedding's ZZ entanglers act when `n_repeats` > 1:
 * - `'first-repeat'` (the default, the study's results): U(x) = [H^⊗n · D₁(x)]^(r−1) ·
 *   D(x) · H^⊗n applied right to left, i.e. the first repeat applies H, RZ(x_q) and the
 *   entanglers exp(−i x_i x_j Z_i Z_j / 2) for all i < j, and repeats 2…r apply H and RZ(x_q)
 *   only. Older PennyLane releases kept the default all-pairs pattern as a one-shot
 *   `itertools.combinations` iterator that the first repeat consumed; the paper's IQPKernel cells
 *   with repeats > 1 match this circuit (all 15 datasets, to 4 decimals) and not the documented
 *   one, so the study's PennyLane 0.34 evidently did the same.
 * - `'every-repeat'`: PennyLane's documented definition (every repetition is the same block of H,
 *   RZ(x_q) and all entanglers), MODELS.md §1.5.
 * With one repeat both are the same circuit.
 */
export type IqpEntanglers = 'first-repeat' | 'every-repeat';

export const IQP_ENTANGLERS: readonly IqpEntanglers[] = ['first-repeat', 'every-repeat'];

/** Throws a typed error unless `v` is one of {@link IQP_ENTANGLERS}. */
export function checkIqpEntanglers(v: unknown): IqpEntanglers {
  if (!IQP_ENTANGLERS.includes(v as IqpEntanglers))
    throw new ValidationError(
      [
        {
          field: 'iqpEntanglers',
          message: `must be one of ${IQP_ENTANGLERS.join(', ')}`,
          limit: IQP_ENTANGLERS.join('|'),
        },
      ],
      'Invalid iqpEntanglers',
    );
  return v as IqpEntanglers;
}

/**
 * IQPEmbedding (§1.5) as a gate list whose angle slots are: slot q = x_q (RZ), then one slot per
 * pair i < j (lexicographic) = x_i·x_j (MultiRZ on two wires = ZZ). `iqpAngles` fills them.
 * `entanglers` chooses the repeats that carry the ZZ block (see {@link IqpEntanglers}).
 */
export function iqpEmbeddingGates(
  n: number,
  repeats: number,
  entanglers: IqpEntanglers = 'first-repeat',
): BatchedGate[] {
  const gates: BatchedGate[] = [];
  for (let r = 0; r < repeats; r++) {
    for (let q = 0; q < n; q++) gates.push({ gate: 'h', wire: q }, { gate: 'rz', wire: q, angle: q });
    if (r > 0 && entanglers === 'first-repeat') continue;
    let s = n;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) gates.push({ gate: 'zz', wires: [i, j], angle: s++ });
  }
  return gates;
}

/**
 * One repeat of IQPEmbedding in closed form: H on every qubit and then a diagonal phase, so
 * amplitude k = e^{−iφ_k}/√2ⁿ with φ_k = ½(Σ_q x_q z_q + Σ_{i<j} x_i x_j z_i z_j), z_q = +1 when
 * bit q of k (wire 0 = MSB) is 0 and −1 otherwise. With s = Σ_q x_q z_q the pair sum is
 * (s² − Σ_q x_q²)/2, so each amplitude costs O(1) after s is updated one bit at a time.
 */
export function iqpClosedFormState(x: Float64Array): StoredState {
  const n = x.length;
  const dim = 2 ** n;
  const re = new Float64Array(dim);
  const im = new Float64Array(dim);
  const s = new Float64Array(dim);
  let sq = 0;
  let all = 0;
  for (const v of x) {
    sq += v * v;
    all += v;
  }
  s[0] = all;
  // s[k] = s[k without its highest set bit] − 2 x_q for that bit's wire q.
  for (let b = 0; b < n; b++) {
    const m = 1 << b;
    const dx = 2 * (x[n - 1 - b] as number);
    for (let k = m; k < 2 * m; k++) s[k] = (s[k - m] as number) - dx;
  }
  const amp = 1 / Math.sqrt(dim);
  for (let k = 0; k < dim; k++) {
    const sk = s[k] as number;
    const phi = 0.5 * (sk + 0.5 * (sk * sk - sq));
    re[k] = amp * Math.cos(phi);
    im[k] = -amp * Math.sin(phi);
  }
  return { re, im };
}

export function iqpAngles(x: Float64Array, out: Float64Array, at: number): void {
  const n = x.length;
  for (let q = 0; q < n; q++) out[at + q] = x[q] as number;
  let s = n;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[at + s++] = (x[i] as number) * (x[j] as number);
}

/** A stored state (real and imaginary parts). */
export interface StoredState {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/** ⟨X_q⟩, ⟨Y_q⟩, ⟨Z_q⟩ for every qubit q (wire 0 = MSB), written as 3n values q-major. */
export function oneQubitExpectations(
  re: Float64Array,
  im: Float64Array,
  n: number,
  out: Float64Array,
  at: number,
): void {
  const dim = re.length;
  for (let q = 0; q < n; q++) {
    const m = 1 << (n - 1 - q);
    let x = 0;
    let y = 0;
    let z = 0;
    for (let k = 0; k < dim; k++) {
      if (k & m) continue;
      const j = k | m;
      const ar = re[k] as number;
      const ai = im[k] as number;
      const br = re[j] as number;
      const bi = im[j] as number;
      // conj(a)·b = (ar br + ai bi) + i(ar bi − ai br)
      x += ar * br + ai * bi;
      y += ar * bi - ai * br;
      z += ar * ar + ai * ai - br * br - bi * bi;
    }
    out[at + 3 * q] = 2 * x;
    out[at + 3 * q + 1] = 2 * y;
    out[at + 3 * q + 2] = z;
  }
}
