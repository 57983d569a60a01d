import { Circuit, type CircuitJson } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCircuit } from './gate-compiler.js';
import { IonQBackend } from './ionq-backend.js';
import { ARIA_FIGURES, errorRates, IonqEmulator } from './testing/index.js';

/**
 * The noisy target (`simulator` with `noiseModel: 'aria-1'`) against known ideal distributions.
 *
 * Tolerance (documented in the README): the emulator's model puts a depolarizing error after each
 * gate (probability p1 = 1.5·(1 − F1q) for one-qubit, p2 = 1.25·(1 − F2q) for two-qubit IonQ gates)
 * and flips each measured bit with r = 1 − F_SPAM, with Aria's figures F1q = 99.95 %, F2q = 99.6 %,
 * F_SPAM = 99.61 %. A run without any error gives the ideal distribution, so
 *
 *     TVD(noisy, ideal) ≤ ε = 1 − (1 − p1)^g1 · (1 − p2)^g2 · (1 − r)^n
 *
 * for g1 one-qubit and g2 two-qubit gates on n qubits, counted on the circuit compiled to IonQ's
 * native gates (gpi/gpi2; ms), which is what the noise acts on (IonQ compiles qis jobs). The measured distribution adds shot noise:
 * we allow ε + ½ Σ_k 4.5·sqrt(p_k(1 − p_k)/shots) + 2^n/shots (4.5 σ per outcome). And noise must
 * be there: a deep identity circuit (20 CNOTs) shows wrong outcomes.
 */
let emulator: IonqEmulator;
let url: string;
beforeAll(async () => {
  emulator = new IonqEmulator({ timing: { submitMs: 1, queueMs: 2, runMs: 2 } });
  url = await emulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

const SHOTS = 4000;
const { p1, p2, readout } = errorRates(ARIA_FIGURES);

/** One-qubit and two-qubit gates of the circuit compiled to IonQ's native gate set. */
function nativeGateCounts(circuit: CircuitJson): { g1: number; g2: number } {
  const gates = compileCircuit(circuit, { gateset: 'native' }).circuit;
  const g2 = gates.filter((g) => g.gate === 'ms' || g.gate === 'zz').length;
  return { g1: gates.length - g2, g2 };
}

function tolerance(expected: Record<string, number>, circuit: CircuitJson): number {
  const { g1, g2 } = nativeGateCounts(circuit);
  const n = circuit.numQubits;
  const epsilon = 1 - (1 - p1) ** g1 * (1 - p2) ** g2 * (1 - readout) ** n;
  let shotNoise = 0;
  for (const p of Object.values(expected)) shotNoise += 4.5 * Math.sqrt((p * (1 - p)) / SHOTS);
  return epsilon + shotNoise / 2 + 2 ** n / SHOTS;
}

function tvd(counts: Record<string, number>, expected: Record<string, number>): number {
  const keys = new Set([...Object.keys(counts), ...Object.keys(expected)]);
  let sum = 0;
  for (const k of keys) sum += Math.abs((counts[k] ?? 0) / SHOTS - (expected[k] ?? 0));
  return sum / 2;
}

function ghz(n: number): CircuitJson {
  const c = new Circuit(n).h(0);
  for (let q = 1; q < n; q++) c.cx(q - 1, q);
  return c.toJSON();
}

/** ry(a) on qubit 0 fanned out by cx(0,1), cx(0,2): 000 with cos²(a/2), 111 with sin²(a/2). */
function fanOut(a: number): { circuit: CircuitJson; expected: Record<string, number> } {
  const circuit = new Circuit(3).ry(0, a).cx(0, 1).cx(0, 2).toJSON();
  return { circuit, expected: { '000': Math.cos(a / 2) ** 2, '111': Math.sin(a / 2) ** 2 } };
}

describe("noisy target: simulator with noiseModel 'aria-1' (statistical checks)", () => {
  const noisy = () => new IonQBackend({ apiKey: 'test-key', baseUrl: url, noiseModel: 'aria-1', pollIntervalMs: 1 });

  it('GHZ states and an ry fan-out are within the noise bound of their ideal distributions', async () => {
    const fan = fanOut(1.1);
    const cases = [
      ...[2, 3, 4, 5].map((n) => ({ circuit: ghz(n), expected: { ['0'.repeat(n)]: 0.5, ['1'.repeat(n)]: 0.5 } })),
      fan,
    ];
    const results = await noisy().sample({ circuits: cases.map((c) => c.circuit), shots: SHOTS, seed: 17 });
    cases.forEach((c, i) => {
      const distance = tvd(results[i]?.counts ?? {}, c.expected);
      const bound = tolerance(c.expected, c.circuit);
      expect(distance, `case ${i}: TVD ${distance} ≤ ${bound}`).toBeLessThanOrEqual(bound);
    });
  });

  it('noise is really there: 20 CNOTs that compose to the identity show wrong outcomes', async () => {
    const c = new Circuit(2).x(0);
    for (let k = 0; k < 10; k++) c.cx(0, 1).cx(0, 1);
    const [noisyResult] = await noisy().sample({ circuits: [c.toJSON()], shots: SHOTS, seed: 3 });
    const wrong = 1 - (noisyResult?.counts['01'] ?? 0) / SHOTS;
    // P(some error) ≈ 1 − (1 − p2)^20 (1 − p1)^g1 (1 − r)^2 ≈ 0.11; 12 of the 15 two-qubit Paulis flip a bit.
    const { g1, g2 } = nativeGateCounts(c.toJSON());
    const epsilon = 1 - (1 - p1) ** g1 * (1 - p2) ** g2 * (1 - readout) ** 2;
    expect(wrong).toBeGreaterThan(0.3 * epsilon);
    expect(wrong).toBeLessThanOrEqual(epsilon + 4.5 * Math.sqrt((epsilon * (1 - epsilon)) / SHOTS));
    const [ideal] = await new IonQBackend({ apiKey: 'test-key', baseUrl: url, pollIntervalMs: 1 }).sample({
      circuits: [c.toJSON()],
      shots: SHOTS,
      seed: 3,
    });
    expect(ideal?.counts).toEqual({ '01': SHOTS });
  });

  it('expectation values: ⟨ZZ⟩ of a Bell pair lies in [1 − 2ε − 4.5 SE, 1]; seeds reproduce', async () => {
    const b = noisy();
    const bell = new Circuit(2).h(0).cx(0, 1).toJSON();
    const e = await b.estimate({
      circuit: bell,
      observables: [[{ coefficient: 1, paulis: 'ZZ' }]],
      shots: SHOTS,
      seed: 9,
    });
    const { g1, g2 } = nativeGateCounts(bell);
    const epsilon = 1 - (1 - p1) ** g1 * (1 - p2) ** g2 * (1 - readout) ** 2;
    const value = e.values[0] as number;
    expect(value).toBeLessThanOrEqual(1);
    expect(value).toBeGreaterThanOrEqual(1 - 2 * epsilon - 4.5 * (e.standardErrors[0] as number));
    expect(value, 'noise lowers the correlation').toBeLessThan(1);
    const again = await b.estimate({
      circuit: bell,
      observables: [[{ coefficient: 1, paulis: 'ZZ' }]],
      shots: SHOTS,
      seed: 9,
    });
    expect(again.values).toEqual(e.values);
  });
});
