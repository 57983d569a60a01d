import { createRng, type Observable, ValidationError } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { amplitudeEncoding, angleEncoding, featureRange } from './encoding.js';

const sim = new StateVectorSimulator();

/** All 4^n Pauli strings on n qubits. */
function pauliStrings(n: number): string[] {
  let out = [''];
  for (let q = 0; q < n; q++) out = out.flatMap((s) => ['I', 'X', 'Y', 'Z'].map((p) => s + p));
  return out;
}

/**
 * ⟨a|P|a⟩ for a real vector a (computed here, independently of the simulator): P|i⟩ = phase·|i ⊕ x⟩
 * with x the X/Y positions, phase (−1)^{popcount(i & z)}·i^{#Y}·(−1)^{#Y with bit 1}.
 */
function pauliExpectation(a: Float64Array, paulis: string): number {
  const n = paulis.length;
  let xMask = 0;
  let zMask = 0;
  let ys = 0;
  for (let q = 0; q < n; q++) {
    const p = paulis[n - 1 - q];
    if (p === 'X' || p === 'Y') xMask |= 1 << q;
    if (p === 'Z' || p === 'Y') zMask |= 1 << q;
    if (p === 'Y') ys++;
  }
  // Y = i·X·Z, so P = i^{#Y} X^x Z^z; for real a the expectation is real only when #Y is even.
  if (ys % 2 === 1) return 0;
  const iPower = ys % 4 === 0 ? 1 : -1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    let parity = 0;
    for (let m = i & zMask; m !== 0; m &= m - 1) parity ^= 1;
    sum += (a[i ^ xMask] as number) * (parity ? -1 : 1) * (a[i] as number);
  }
  return iPower * sum;
}

describe('angle encoding', () => {
  it('maps each feature to φ = π·(x − min)/(max − min) on its own qubit: ⟨Z⟩ = cos φ, ⟨X⟩ = sin φ', async () => {
    const enc = angleEncoding({ numFeatures: 3, range: { min: [0, -1, 10], max: [1, 1, 20] } });
    expect(enc.numQubits).toBe(3);
    const x = [0.25, 0, 17.5];
    const phi = [Math.PI * 0.25, Math.PI * 0.5, Math.PI * 0.75];
    const observables: Observable[] = [];
    for (let q = 0; q < 3; q++) {
      for (const p of ['Z', 'X'])
        observables.push([{ coefficient: 1, paulis: `${'I'.repeat(2 - q)}${p}${'I'.repeat(q)}` }]);
    }
    const { values } = await sim.estimate({ circuit: { numQubits: 3, operations: enc.operations(x) }, observables });
    for (let q = 0; q < 3; q++) {
      expect(values[2 * q]).toBeCloseTo(Math.cos(phi[q] as number), 12);
      expect(values[2 * q + 1]).toBeCloseTo(Math.sin(phi[q] as number), 12);
    }
  });

  it('clamps to [0, π], passes [0, π] through by default, and adds RZ(φ) with rotations yz', async () => {
    const enc = angleEncoding({ numFeatures: 2, range: { min: [0, 0], max: [1, 1] } });
    const angles = enc.operations([-3, 7]).map((op) => op.params?.[0]);
    expect(angles).toEqual([0, Math.PI]);
    expect(angleEncoding({ numFeatures: 1 }).operations([1.25])[0]?.params).toEqual([1.25]);
    const yz = angleEncoding({ numFeatures: 1, rotations: 'yz' });
    const ops = yz.operations([Math.PI / 2]);
    expect(ops.map((o) => o.gate)).toEqual(['ry', 'rz']);
    // RZ(π/2)·RY(π/2)|0⟩ points along +Y: ⟨Y⟩ = 1.
    const { values } = await sim.estimate({
      circuit: { numQubits: 1, operations: ops },
      observables: [[{ coefficient: 1, paulis: 'Y' }]],
    });
    expect(values[0]).toBeCloseTo(1, 12);
  });

  it('featureRange finds per-feature bounds; bad inputs are ValidationErrors naming the field', () => {
    expect(
      featureRange([
        [1, 5],
        [3, -2],
        [2, 0],
      ]),
    ).toEqual({ min: [1, -2], max: [3, 5] });
    const enc = angleEncoding({ numFeatures: 2 });
    expect(() => enc.operations([1])).toThrow(ValidationError);
    expect(() => enc.operations([1, Number.NaN])).toThrow(/features\[1\]/);
    expect(() => angleEncoding({ numFeatures: 2, range: { min: [0, 2], max: [1, 1] } })).toThrow(/range\[1\]/);
  });
});

describe('amplitude encoding', () => {
  it('prepares exactly the normalised target state (full tomography over all 4^n Paulis)', async () => {
    const rng = createRng(11);
    for (const numFeatures of [4, 5, 8]) {
      const x = Array.from({ length: numFeatures }, () => rng.normal());
      const enc = amplitudeEncoding({ numFeatures });
      const n = enc.numQubits;
      expect(n).toBe(Math.ceil(Math.log2(numFeatures)));
      const target = new Float64Array(2 ** n);
      const norm = Math.hypot(...x);
      x.forEach((v, i) => {
        target[i] = v / norm;
      });
      const strings = pauliStrings(n);
      const { values } = await sim.estimate({
        circuit: { numQubits: n, operations: enc.operations(x) },
        observables: strings.map((paulis) => [{ coefficient: 1, paulis }]),
      });
      // ρ = 2^−n Σ_P ⟨P⟩ P, so equal Pauli expectations mean equal states (up to a global phase).
      strings.forEach((paulis, k) => {
        expect(values[k]).toBeCloseTo(pauliExpectation(target, paulis), 12);
      });
      // Probabilities |a_i|² from the projectors |i⟩⟨i| = Π_q (I + (−1)^{i_q} Z_q)/2 as Pauli sums.
      const projectors: Observable[] = Array.from({ length: 2 ** n }, (_, i) =>
        strings
          .filter((s) => /^[IZ]+$/.test(s))
          .map((s) => {
            let sign = 1;
            for (let q = 0; q < n; q++) if (s[n - 1 - q] === 'Z' && (i >> q) & 1) sign = -sign;
            return { coefficient: sign / 2 ** n, paulis: s };
          }),
      );
      const probs = await sim.estimate({
        circuit: { numQubits: n, operations: enc.operations(x) },
        observables: projectors,
      });
      probs.values.forEach((p, i) => {
        expect(p).toBeCloseTo((target[i] as number) ** 2, 12);
      });
    }
  });

  it('keeps signs: x and −x differ only by a global phase, x and a sign flip of one entry do not', async () => {
    const enc = amplitudeEncoding({ numFeatures: 4 });
    const xx: Observable = [{ coefficient: 1, paulis: 'XI' }];
    const est = async (x: number[]) =>
      (await sim.estimate({ circuit: { numQubits: 2, operations: enc.operations(x) }, observables: [xx] }))
        .values[0] as number;
    const a = await est([0.5, 0.5, 0.5, 0.5]);
    expect(a).toBeCloseTo(1, 12);
    expect(await est([-0.5, -0.5, -0.5, -0.5])).toBeCloseTo(1, 12);
    expect(await est([0.5, 0.5, -0.5, -0.5])).toBeCloseTo(-1, 12);
  });

  it('rejects an all-zero sample and a wrong length', () => {
    const enc = amplitudeEncoding({ numFeatures: 3 });
    expect(() => enc.operations([0, 0, 0])).toThrow(/all zero/);
    expect(() => enc.operations([1, 2])).toThrow(ValidationError);
  });
});
