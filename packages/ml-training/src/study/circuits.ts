/**
 * Gate-list builders for the study's circuits on {@link BatchedCircuit} (PennyLane conventions,
 * MODELS.md §1): Rot, StronglyEntanglingLayers, broadcast patterns, IQPEmbedding, amplitude
 * embedding, and the one-qubit reduced expectations the projected kernel reads.
 */
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
 * IQPEmbedding (§1.5) as a gate list whose angle slots are: slot q = x_q (RZ), then one slot per
 * pair i < j (lexicographic) = x_i·x_j (MultiRZ on two wires = ZZ). `iqpAngles` fills them.
 */
export function iqpEmbeddingGates(n: number, repeats: number): BatchedGate[] {
  const gates: BatchedGate[] = [];
  for (let r = 0; r < repeats; r++) {
    for (let q = 0; q < n; q++) gates.push({ gate: 'h', wire: q }, { gate: 'rz', wire: q, angle: q });
    let s = n;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) gates.push({ gate: 'zz', wires: [i, j], angle: s++ });
  }
  return gates;
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
