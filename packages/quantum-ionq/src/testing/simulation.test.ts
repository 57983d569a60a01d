import { createRng } from '@q-store/core';
import { gateMatrix } from '@q-store/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ionqToCircuitJson } from '../ionq-gates.js';
import { api, BELL_INPUT, probabilitiesOf } from './emulator.test-helper.js';
import { ARIA_FIGURES, errorRates, IonqEmulator } from './index.js';

/**
 * IonQ's published native gates ("Getting started with native gates"), phases φ and angles θ in
 * TURNS, written here straight from those formulas as row-major complex matrices [re, im][]. Two-
 * qubit matrices are in IonQ's basis order |t0 t1⟩ with targets[0] the LEFT (most significant)
 * factor.
 */
type C = [number, number];
const cis = (x: number): C => [Math.cos(x), Math.sin(x)];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const scale = (a: C, s: number): C => [a[0] * s, a[1] * s];
const MINUS_I: C = [0, -1];
const TAU = 2 * Math.PI;

function ionqGpi(phi: number): C[][] {
  return [
    [[0, 0], cis(-TAU * phi)],
    [cis(TAU * phi), [0, 0]],
  ];
}

function ionqGpi2(phi: number): C[][] {
  const s = Math.SQRT1_2;
  return [
    [[s, 0], scale(mul(MINUS_I, cis(-TAU * phi)), s)],
    [scale(mul(MINUS_I, cis(TAU * phi)), s), [s, 0]],
  ];
}

function ionqMs(phi0: number, phi1: number, theta = 0.25): C[][] {
  const c: C = [Math.cos(Math.PI * theta), 0];
  const s = Math.sin(Math.PI * theta);
  const z: C = [0, 0];
  const off = (x: number): C => scale(mul(MINUS_I, cis(TAU * x)), s);
  return [
    [c, z, z, off(-(phi0 + phi1))],
    [z, c, off(-(phi0 - phi1)), z],
    [z, off(phi0 - phi1), c, z],
    [off(phi0 + phi1), z, z, c],
  ];
}

function ionqZz(theta: number): C[][] {
  const z: C = [0, 0];
  const a = cis(-Math.PI * theta);
  const b = cis(Math.PI * theta);
  return [
    [a, z, z, z],
    [z, b, z, z],
    [z, z, b, z],
    [z, z, z, a],
  ];
}

interface NativeGate {
  gate: string;
  target?: number;
  targets?: number[];
  phase?: number;
  phases?: number[];
  angle?: number;
}

function ionqMatrix(g: NativeGate): C[][] {
  switch (g.gate) {
    case 'gpi':
      return ionqGpi(g.phase as number);
    case 'gpi2':
      return ionqGpi2(g.phase as number);
    case 'ms':
      return ionqMs(...((g.phases ?? []) as [number, number]), g.angle ?? 0.25);
    default:
      return ionqZz(g.angle as number);
  }
}

/** A dense state-vector run of IonQ-defined gates (amplitude index bit q = qubit q). */
function referenceProbabilities(n: number, gates: NativeGate[]): number[] {
  let psi: C[] = Array.from({ length: 2 ** n }, (_, k) => (k === 0 ? [1, 0] : [0, 0]));
  for (const g of gates) {
    const m = ionqMatrix(g);
    const qs = g.targets ?? [g.target as number];
    const next: C[] = psi.map(() => [0, 0]);
    psi.forEach((amp, k) => {
      // IonQ's local index: targets[0] is the most significant bit.
      const col = qs.reduce((acc, q) => (acc << 1) | ((k >> q) & 1), 0);
      m.forEach((row, r) => {
        let out = k;
        qs.forEach((q, i) => {
          const bit = (r >> (qs.length - 1 - i)) & 1;
          out = (out & ~(1 << q)) | (bit << q);
        });
        const v = mul(row[col] as C, amp);
        const cur = next[out] as C;
        next[out] = [cur[0] + v[0], cur[1] + v[1]];
      });
    });
    psi = next;
  }
  return psi.map(([re, im]) => re * re + im * im);
}

describe('native gates: the emulator’s semantics equal IonQ’s published matrices', () => {
  const rng = createRng(42);
  const gates: NativeGate[] = [
    { gate: 'gpi', target: 0, phase: rng.float() },
    { gate: 'gpi2', target: 0, phase: rng.float() },
    { gate: 'ms', targets: [0, 1], phases: [rng.float(), rng.float()] },
    { gate: 'ms', targets: [0, 1], phases: [rng.float(), rng.float()], angle: 0.25 * rng.float() },
    { gate: 'zz', targets: [0, 1], angle: rng.float() - 0.5 },
  ];
  for (const g of gates) {
    it(`${g.gate} ${JSON.stringify(g.phases ?? g.phase ?? g.angle)}: element by element, global phase included`, () => {
      const n = g.targets ? 2 : 1;
      const [op] = ionqToCircuitJson({ gateset: 'native', qubits: n, circuit: [g] }).operations;
      const core = gateMatrix(op?.gate as string, op?.params as number[]);
      const ionq = ionqMatrix(g);
      // Core's index: the first listed qubit is the LOW bit; IonQ's: targets[0] is the HIGH bit.
      const perm = (k: number) => (n === 1 ? k : ((k & 1) << 1) | (k >> 1));
      for (let r = 0; r < 2 ** n; r++) {
        for (let c = 0; c < 2 ** n; c++) {
          const e = (ionq[perm(r)] as C[])[perm(c)] as C;
          expect(core.re[r * core.dim + c]).toBeCloseTo(e[0], 12);
          expect(core.im[r * core.dim + c]).toBeCloseTo(e[1], 12);
        }
      }
    });
  }

  it('a wrong definition is caught: gpi2 with the phase sign flipped differs', () => {
    const [op] = ionqToCircuitJson({
      gateset: 'native',
      qubits: 1,
      circuit: [{ gate: 'gpi2', target: 0, phase: 0.1 }],
    }).operations;
    const core = gateMatrix(op?.gate as string, op?.params as number[]);
    const wrong = ionqGpi2(-0.1).flat();
    const distance = wrong.reduce(
      (d, [re, im], i) => d + Math.hypot((core.re[i] as number) - re, (core.im[i] as number) - im),
      0,
    );
    expect(distance).toBeGreaterThan(0.5);
  });
});

describe('native circuits end to end: emulator probabilities = IonQ’s matrices', () => {
  let emu: IonqEmulator;
  let base: string;
  beforeAll(async () => {
    emu = new IonqEmulator({ timing: { submitMs: 0, queueMs: 0, runMs: 0 } });
    base = await emu.start();
  });
  afterAll(() => emu.stop());

  it('20 random 3-qubit native circuits in one multi-circuit job', async () => {
    const rng = createRng(7);
    const circuits: NativeGate[][] = [];
    for (let c = 0; c < 20; c++) {
      const gates: NativeGate[] = [];
      for (let i = 0; i < 12; i++) {
        const kind = rng.int(0, 3);
        const a = rng.int(0, 2);
        const b = (a + rng.int(1, 2)) % 3;
        if (kind === 0) gates.push({ gate: 'gpi', target: a, phase: rng.float() });
        else if (kind === 1) gates.push({ gate: 'gpi2', target: a, phase: rng.float() });
        else if (kind === 2)
          gates.push({ gate: 'ms', targets: [a, b], phases: [rng.float(), rng.float()], angle: 0.25 * rng.float() });
        else gates.push({ gate: 'zz', targets: [a, b], angle: rng.float() });
      }
      circuits.push(gates);
    }
    const created = await api(base, 'POST', '/jobs', {
      type: 'ionq.multi-circuit.v1',
      backend: 'simulator',
      input: { gateset: 'native', qubits: 3, circuits: circuits.map((circuit) => ({ circuit })) },
    });
    const probs = (await api(base, 'GET', `/jobs/${created.body.id}/results/probabilities`)).body as Record<
      string,
      Record<string, number>
    >;
    const job = (await api(base, 'GET', `/jobs/${created.body.id}`)).body as { child_job_ids: string[] };
    let spread = 0;
    circuits.forEach((gates, c) => {
      const expected = referenceProbabilities(3, gates);
      const got = probs[job.child_job_ids[c] as string] as Record<string, number>;
      expected.forEach((p, k) => {
        expect(got[String(k)] ?? 0).toBeCloseTo(p, 10);
      });
      spread += Math.max(...expected) - Math.min(...expected);
    });
    expect(spread).toBeGreaterThan(5); // the circuits are not trivially uniform or deterministic
  });
});

describe('noise model: depolarizing after each gate + readout flips, from IonQ’s Aria figures', () => {
  const rates = errorRates(ARIA_FIGURES);
  let emu: IonqEmulator;
  let base: string;
  beforeAll(async () => {
    emu = new IonqEmulator({
      timing: { submitMs: 0, queueMs: 0, runMs: 0 },
      maxTrajectories: 1_000_000,
      noiseFigures: { 'forte-1': { oneQubit: 1, twoQubit: 1, spam: 0.9 } },
    });
    base = await emu.start();
  });
  afterAll(() => emu.stop());

  const probabilities = (body: Record<string, unknown>) => probabilitiesOf(base, body);

  const noisy = (input: unknown, shots: number, seed?: number) => ({
    type: 'ionq.circuit.v1',
    backend: 'simulator',
    shots,
    noise: seed === undefined ? { model: 'aria-1' } : { model: 'aria-1', seed },
    input,
  });

  it('rates from the fidelities: p₁ = 1.5·(1 − F₁), p₂ = 1.25·(1 − F₂), readout = 1 − F_spam', () => {
    expect(rates.p1).toBeCloseTo(0.00075, 12);
    expect(rates.p2).toBeCloseTo(0.005, 12);
    expect(rates.readout).toBeCloseTo(0.0039, 12);
  });

  it('SPAM alone: an empty 3-qubit circuit reads each bit flipped with probability 1 − F_spam', async () => {
    const shots = 200_000;
    const p = await probabilities(noisy({ gateset: 'qis', qubits: 3, circuit: [] }, shots, 11));
    const e = rates.readout;
    for (let k = 0; k < 8; k++) {
      const ones = (k & 1) + ((k >> 1) & 1) + ((k >> 2) & 1);
      const expected = e ** ones * (1 - e) ** (3 - ones);
      const sigma = Math.sqrt((expected * (1 - expected)) / shots);
      expect(Math.abs((p[String(k)] ?? 0) - expected)).toBeLessThan(5 * sigma + 1e-12);
    }
  });

  it('100 native gpi(0) (X) gates on one qubit: P(1) = P(odd flips)(1 − e) + (1 − P(odd))e, flips 2p₁/3 per gate', async () => {
    const shots = 40_000;
    const circuit = Array.from({ length: 100 }, () => ({ gate: 'gpi', target: 0, phase: 0 }));
    const p = await probabilities(noisy({ gateset: 'native', qubits: 1, circuit }, shots, 5));
    const q = (2 * rates.p1) / 3;
    const odd = (1 - (1 - 2 * q) ** 100) / 2;
    const expected = odd * (1 - rates.readout) + (1 - odd) * rates.readout;
    const sigma = Math.sqrt((expected * (1 - expected)) / shots);
    expect(expected).toBeGreaterThan(0.04); // far from the ideal 0
    expect(Math.abs((p['1'] ?? 0) - expected)).toBeLessThan(5 * sigma);
    // Counts over shots: every probability is a multiple of 1/shots.
    const count = (p['1'] ?? 0) * shots;
    expect(Math.abs(count - Math.round(count))).toBeLessThan(1e-6);
  });

  it('qis circuits are noisy as their compiled native gates: 100 qis X gates fuse away, only SPAM is left', async () => {
    const shots = 40_000;
    const circuit = Array.from({ length: 100 }, () => ({ gate: 'x', target: 0 }));
    const p = await probabilities(noisy({ gateset: 'qis', qubits: 1, circuit }, shots, 5));
    const e = rates.readout;
    expect(Math.abs((p['1'] ?? 0) - e)).toBeLessThan(5 * Math.sqrt((e * (1 - e)) / shots));
    // rz is a virtual (error-free) frame change after compilation.
    const rz = Array.from({ length: 50 }, () => ({ gate: 'rz', target: 0, rotation: 0.3 }));
    const q = await probabilities(noisy({ gateset: 'qis', qubits: 1, circuit: rz }, shots, 6));
    expect(Math.abs((q['1'] ?? 0) - e)).toBeLessThan(5 * Math.sqrt((e * (1 - e)) / shots));
  });

  it('MS Bell pair: odd parity a(1 − b) + (1 − a)b with a = 8p₂/15 (two-qubit Paulis that flip parity), b = 2e(1 − e)', async () => {
    const shots = 100_000;
    // MS(0, 0)|00⟩ = (|00⟩ − i|11⟩)/√2.
    const bell = { gateset: 'native', qubits: 2, circuit: [{ gate: 'ms', targets: [0, 1], phases: [0, 0] }] };
    const p = await probabilities(noisy(bell, shots, 3));
    const a = (8 * rates.p2) / 15;
    const b = 2 * rates.readout * (1 - rates.readout);
    const expected = a * (1 - b) + (1 - a) * b;
    const odd = (p['1'] ?? 0) + (p['2'] ?? 0);
    const sigma = Math.sqrt((expected * (1 - expected)) / shots);
    expect(Math.abs(odd - expected)).toBeLessThan(5 * sigma);
    const ideal = await probabilities({ type: 'ionq.circuit.v1', backend: 'simulator', input: bell });
    expect(Object.keys(ideal).sort()).toEqual(['0', '3']);
  });

  it('deterministic for a seed, different for another', async () => {
    const input = BELL_INPUT;
    const a = await probabilities(noisy(input, 2000, 9));
    const b = await probabilities(noisy(input, 2000, 9));
    const c = await probabilities(noisy(input, 2000, 10));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('QPU targets run under their model with shots; noiseFigures override a model', async () => {
    const input = { gateset: 'qis', qubits: 1, circuit: [] };
    const forte = await probabilities({ type: 'ionq.circuit.v1', backend: 'qpu.forte-1', shots: 20_000, input });
    // forte-1 overridden to SPAM 0.9: P(1) ≈ 0.1.
    expect(Math.abs((forte['1'] ?? 0) - 0.1)).toBeLessThan(5 * Math.sqrt((0.1 * 0.9) / 20_000));
    const aria = await probabilities({ type: 'ionq.circuit.v1', backend: 'qpu.aria-1', shots: 20_000, input });
    expect(aria['1'] ?? 0).toBeLessThan(0.01);
    expect(aria['1'] ?? 0).toBeGreaterThan(0);
  });

  it('wider circuits: error trajectories on quantum-sim’s sampler give the same rates (8 qubits)', async () => {
    const shots = 40_000;
    const circuit = [
      ...Array.from({ length: 60 }, () => ({ gate: 'gpi', target: 0, phase: 0 })),
      { gate: 'gpi', target: 7, phase: 0 },
    ];
    const p = await probabilities(noisy({ gateset: 'native', qubits: 8, circuit }, shots, 21));
    let bit0 = 0;
    for (const [k, v] of Object.entries(p)) if (Number(k) & 1) bit0 += v;
    const q = (2 * rates.p1) / 3;
    const odd = (1 - (1 - 2 * q) ** 60) / 2;
    const expected = odd * (1 - rates.readout) + (1 - odd) * rates.readout;
    expect(Math.abs(bit0 - expected)).toBeLessThan(5 * Math.sqrt((expected * (1 - expected)) / shots));
  });
});

describe('wide ideal circuits', () => {
  it('above exactMaxQubits the ideal answer is estimated from idealSamples shots', async () => {
    const emu = new IonqEmulator({ timing: { submitMs: 0, queueMs: 0, runMs: 0 }, idealSamples: 20_000 });
    const base = await emu.start();
    try {
      const n = 16;
      const circuit = [
        { gate: 'h', target: 0 },
        ...Array.from({ length: n - 1 }, (_, q) => ({ gate: 'cnot', control: q, target: q + 1 })),
      ];
      const p = await probabilitiesOf(base, {
        type: 'ionq.circuit.v1',
        backend: 'simulator',
        input: { gateset: 'qis', qubits: n, circuit },
      });
      expect(Object.keys(p).sort()).toEqual(['0', String(2 ** n - 1)].sort());
      expect(Math.abs((p['0'] as number) - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 20_000));
    } finally {
      await emu.stop();
    }
  });
});
