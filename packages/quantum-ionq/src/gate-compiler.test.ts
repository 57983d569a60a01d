import {
  Circuit,
  type CircuitJson,
  createRng,
  GATE_NAMES,
  GATES,
  type Observable,
  ValidationError,
} from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { type CompileOptions, compileCircuit } from './gate-compiler.js';
import { ionqToCircuitJson, NATIVE_GATES, QIS_GATES } from './ionq-gates.js';
import { probabilitiesToSample, toIonqProbabilities } from './results.js';

const sim = new StateVectorSimulator({ wasm: false });

/** Σ over subsets: Π_q (I + Z_q)/2 on `width` qubits, the projector onto |0…0⟩. */
function zeroProjector(width: number): Observable {
  const terms: Observable = [];
  for (let mask = 0; mask < 1 << width; mask++) {
    let s = '';
    for (let q = width - 1; q >= 0; q--) s += (mask >> q) & 1 ? 'Z' : 'I';
    terms.push({ coefficient: 1 / (1 << width), paulis: s });
  }
  return terms;
}

/** Projector onto basis state k of `width` qubits: Π_q (I ± Z_q)/2. */
function basisProjector(width: number, k: number): Observable {
  return zeroProjector(width).map((t) => {
    let sign = 1;
    for (let q = 0; q < width; q++) {
      if (t.paulis[width - 1 - q] === 'Z' && (k >> q) & 1) sign = -sign;
    }
    return { coefficient: sign * t.coefficient, paulis: t.paulis };
  });
}

/**
 * Entanglement fidelity |Tr(A†B)/2^n|², exact on quantum-sim: each system qubit q is Bell-paired
 * with a reference qubit q + n, B then A⁻¹ act on the system, the pairs are undone, and the
 * probability of |0…0⟩ is measured. It is 1 exactly when B = e^{iα}·A.
 */
async function fidelity(a: CircuitJson, b: CircuitJson): Promise<number> {
  const n = a.numQubits;
  const c = new Circuit(2 * n);
  for (let q = 0; q < n; q++) c.h(q).cx(q, q + n);
  const qubits = Array.from({ length: n }, (_, q) => q);
  const all = c.compose(Circuit.fromJSON(b), qubits).compose(Circuit.fromJSON(a).inverse(), qubits);
  for (let q = n - 1; q >= 0; q--) all.cx(q, q + n).h(q);
  const r = await sim.estimate({ circuit: all.toJSON(), observables: [zeroProjector(2 * n)] });
  return r.values[0] as number;
}

async function exactProbabilities(c: CircuitJson): Promise<number[]> {
  const n = c.numQubits;
  const observables = Array.from({ length: 1 << n }, (_, k) => basisProjector(n, k));
  return (await sim.estimate({ circuit: c, observables })).values;
}

function randomAngles(rng: ReturnType<typeof createRng>, k: number): number[] {
  return Array.from({ length: k }, () => (rng.float() * 2 - 1) * 2 * Math.PI);
}

function roundTrip(c: CircuitJson, options: CompileOptions): CircuitJson {
  const compiled = compileCircuit(c, options);
  for (const g of compiled.circuit) {
    expect(compiled.gateset === 'qis' ? QIS_GATES : NATIVE_GATES).toContain(g.gate);
    if (compiled.gateset === 'native') {
      if (g.phase !== undefined) expect(g.phase >= 0 && g.phase < 1).toBe(true);
      for (const p of g.phases ?? []) expect(p >= 0 && p < 1).toBe(true);
      if (g.gate === 'ms') expect((g.angle as number) > 0 && (g.angle as number) <= 0.25 + 1e-12).toBe(true);
    }
  }
  return ionqToCircuitJson(compiled);
}

const TARGETS: Array<[string, CompileOptions]> = [
  ['qis', { gateset: 'qis' }],
  ['native ms', { gateset: 'native', keepFinalPhases: true }],
  ['native zz', { gateset: 'native', entangler: 'zz', keepFinalPhases: true }],
];

describe('gate compilers: each core gate, equivalence up to global phase on quantum-sim', () => {
  const rng = createRng(14);
  for (const name of GATE_NAMES) {
    const g = GATES[name];
    for (const [label, options] of TARGETS) {
      it(`${name} → ${label}`, async () => {
        // Qubits listed high-to-low and with a spectator, so argument order and placement matter.
        const n = g.numQubits + 1;
        const qubits = Array.from({ length: g.numQubits }, (_, i) => n - 1 - i);
        for (let trial = 0; trial < 3; trial++) {
          const c = new Circuit(n).append(name, qubits, randomAngles(rng, g.numParams)).toJSON();
          expect(await fidelity(c, roundTrip(c, options))).toBeCloseTo(1, 9);
        }
      });
    }
  }

  it('the check itself fails on a wrong compilation (s for sdg, ms phases swapped)', async () => {
    const c = new Circuit(2).sdg(0).ms(0, 1, 0.3, 1.1, 0.7).toJSON();
    const wrong = new Circuit(2).s(0).ms(0, 1, 1.1, 0.3, 0.7).toJSON();
    expect(await fidelity(c, wrong)).toBeLessThan(0.99);
    expect(await fidelity(c, c)).toBeCloseTo(1, 12);
  });
});

describe('gate compilers: random circuits', () => {
  function randomCircuit(seed: number, n: number, depth: number): CircuitJson {
    const rng = createRng(seed);
    const c = new Circuit(n);
    for (let i = 0; i < depth; i++) {
      const name = rng.pick(GATE_NAMES);
      const g = GATES[name];
      const qubits: number[] = [];
      while (qubits.length < g.numQubits) {
        const q = rng.int(0, n - 1);
        if (!qubits.includes(q)) qubits.push(q);
      }
      c.append(name, qubits, randomAngles(rng, g.numParams));
    }
    return c.toJSON();
  }

  for (const [label, options] of TARGETS) {
    it(`20 random 3-qubit circuits of 15 gates → ${label}`, async () => {
      for (let s = 0; s < 20; s++) {
        const c = randomCircuit(1000 + s, 3, 15);
        expect(await fidelity(c, roundTrip(c, options))).toBeCloseTo(1, 8);
      }
    });
  }

  it('native without the final frames gives the same measurement probabilities', async () => {
    for (let s = 0; s < 8; s++) {
      const c = randomCircuit(2000 + s, 3, 15);
      const dropped = roundTrip(c, { gateset: 'native' });
      const kept = compileCircuit(c, { gateset: 'native', keepFinalPhases: true });
      expect(dropped.operations.length).toBeLessThanOrEqual(kept.circuit.length);
      const [p, q] = await Promise.all([exactProbabilities(c), exactProbabilities(dropped)]);
      for (let k = 0; k < p.length; k++) expect(q[k]).toBeCloseTo(p[k] as number, 9);
    }
  });

  it('virtual Z: runs of single-qubit gates fuse, rz costs no gate, h is one gpi2', () => {
    const c = new Circuit(1).rz(0, 0.3).t(0).s(0).z(0).toJSON();
    expect(compileCircuit(c, { gateset: 'native' }).circuit).toEqual([]);
    expect(compileCircuit(new Circuit(1).h(0).toJSON(), { gateset: 'native' }).circuit).toHaveLength(1);
    expect(compileCircuit(new Circuit(1).x(0).toJSON(), { gateset: 'native' }).circuit).toEqual([
      { gate: 'gpi', target: 0, phase: 0 },
    ]);
    // A Bell pair: one MS gate.
    const bell = compileCircuit(new Circuit(2).h(0).cx(0, 1).toJSON(), { gateset: 'native' });
    expect(bell.circuit.filter((g) => g.gate === 'ms')).toHaveLength(1);
  });
});

describe('refused before sending', () => {
  it('an unbound parameter names the operation and the parameter', () => {
    const c = new Circuit(2).ry(0, 'theta').cx(0, 1).rz(1, '2*phi').toJSON();
    let error: unknown;
    try {
      compileCircuit(c, { gateset: 'native', field: 'circuits[3]' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.issues.map((i) => i.field)).toEqual([
      'circuits[3].operations[0].params[0]',
      'circuits[3].operations[2].params[0]',
    ]);
    expect(v.message).toContain("unbound parameter 'theta'");
  });

  it('an operation outside the gate table is refused', () => {
    expect(() => compileCircuit({ numQubits: 1, operations: [{ gate: 'sqrt_swap', qubits: [0] }] })).toThrow(
      /'sqrt_swap' is not a gate IonQ can run/,
    );
  });

  it('measure and barrier are dropped', () => {
    const c = new Circuit(2).h(0).barrier(0, 1).cx(0, 1).measure(0, 1).toJSON();
    expect(compileCircuit(c).circuit).toEqual([
      { gate: 'h', target: 0 },
      { gate: 'cnot', control: 0, target: 1 },
    ]);
  });

  it('IonQ JSON that IonQ would reject is a ValidationError naming the gate', () => {
    expect(() =>
      ionqToCircuitJson({
        gateset: 'native',
        qubits: 2,
        circuit: [
          { gate: 'ms', targets: [0, 1], phases: [0, 0], angle: 0.3 },
          { gate: 'h', target: 0 },
        ],
      }),
    ).toThrow(/input\.circuit\[0\]\.angle.*input\.circuit\[1\]\.gate/s);
  });
});

describe('results: decimal keys, qubit 0 least significant', () => {
  it("the worked Bell example {'0': 0.5, '3': 0.5}", () => {
    expect(probabilitiesToSample({ 0: 0.5, 3: 0.5 }, 2, 1000)).toEqual({
      counts: { '00': 500, '11': 500 },
      probabilities: { '00': 0.5, '11': 0.5 },
      shots: 1000,
    });
  });

  it('an asymmetric circuit (x on qubit 0 of 3) reads back as key 1 = bitstring 001', async () => {
    const c = new Circuit(3)
      .x(0)
      .ry(2, Math.PI / 3)
      .toJSON();
    // P(q0 = 1) = 1, P(q2 = 1) = sin²(π/6) = 1/4: keys 1 and 5.
    const p = await exactProbabilities(roundTrip(c, { gateset: 'native' }));
    const ionq = toIonqProbabilities(p);
    expect(Object.keys(ionq).sort()).toEqual(['1', '5']);
    expect(ionq['5']).toBeCloseTo(0.25, 12);
    const sample = probabilitiesToSample(ionq, 3, 400);
    expect(sample.counts).toEqual({ '001': 300, '101': 100 });
    // The simulator's own sampler uses the same order.
    const direct = await sim.sample({ circuits: [c], shots: 200, seed: 1 });
    expect(Object.keys(direct[0]?.counts ?? {}).sort()).toEqual(['001', '101']);
  });

  it('largest remainder: counts sum to the shots and recover counts/shots exactly', () => {
    const r = probabilitiesToSample({ 0: 1 / 3, 1: 1 / 3, 2: 1 / 3 }, 2, 100);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(100);
    expect(r.counts).toEqual({ '00': 34, '01': 33, '10': 33 });
    const measured = { 0: 123 / 997, 2: 500 / 997, 3: 374 / 997 };
    expect(probabilitiesToSample(measured, 2, 997).counts).toEqual({ '00': 123, '10': 500, '11': 374 });
  });

  it('bad results are refused with the key named', () => {
    expect(() => probabilitiesToSample({ 4: 1 }, 2, 10)).toThrow(/probabilities\.4/);
    expect(() => probabilitiesToSample({ 0: 0.5 }, 2, 10)).toThrow(/sum to 1/);
    expect(() => probabilitiesToSample({ '01': 1 }, 2, 10)).toThrow(/probabilities\.01/);
  });
});
