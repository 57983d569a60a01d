import { Circuit, createRng, isQStoreError, type Observable, ValidationError } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { assembleKernels, kernelsModuleSource } from '../scripts/build-wasm.js';
import { applyOps, execute } from './executor.js';
import { JS_COSTS, SIMD_COSTS } from './fusion.js';
import { observableExpectation } from './pauli.js';
import { compileOps, compileSimd } from './program.js';
import { randomCircuit } from './random-circuits.test-helper.js';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { KERNELS_WASM_BASE64 } from './wasm/kernels-wasm.js';
import { fitsWasm, maxQubitsFor, SimulatorCapacityError, stateBytes, Workspace } from './workspace.js';

const Z = (n: number, q: number): Observable => [
  { coefficient: 1, paulis: `${'I'.repeat(n - 1 - q)}Z${'I'.repeat(q)}` },
];

describe('state vector', () => {
  it('random circuits over every gate preserve the norm to 1e-12 (12 qubits, 300 gates, SIMD and JavaScript)', () => {
    const rng = createRng(11);
    for (const wasm of [true, false]) {
      for (let trial = 0; trial < 5; trial++) {
        const n = 12;
        const ws = new Workspace(n, 1, 2 ** 30, wasm);
        const a = ws.states[0] as Float64Array;
        a[0] = 1;
        applyOps(a, n, compileOps(randomCircuit(rng, n, 300)), ws.wasm);
        let norm = 0;
        let spread = 0;
        for (let i = 0; i < a.length; i += 2) {
          const p = (a[i] as number) ** 2 + (a[i + 1] as number) ** 2;
          norm += p;
          if (p > 1e-6) spread++;
        }
        expect(Math.abs(norm - 1)).toBeLessThan(1e-12);
        expect(spread, 'the circuit spreads the state (the check is not on |0…0⟩)').toBeGreaterThan(100);
      }
    }
  });

  it('the generated WebAssembly module matches kernels.wat', async () => {
    const base64 = await assembleKernels();
    expect(base64).toBe(KERNELS_WASM_BASE64);
    expect(kernelsModuleSource(base64)).toContain(base64.slice(0, 50));
  });
});

describe('memory limit', () => {
  it('the SIMD kernels take states that end below 4 GiB (one state up to 27 qubits)', () => {
    expect(fitsWasm(stateBytes(27))).toBe(true);
    expect(fitsWasm(stateBytes(28))).toBe(false);
    expect(fitsWasm(2 * stateBytes(27))).toBe(false);
    expect(fitsWasm(3 * stateBytes(26))).toBe(true);
  });

  it('maxQubits follows the memory budget; 30 qubits need 16 GiB', () => {
    expect(stateBytes(30)).toBe(16 * 2 ** 30);
    expect(maxQubitsFor(24 * 2 ** 30)).toBe(30);
    expect(maxQubitsFor(2 ** 20)).toBe(16);
    expect(new StateVectorSimulator({ memoryLimitBytes: 2 ** 20 }).capabilities.maxQubits).toBe(16);
  });

  it('a circuit past the budget is a typed error naming qubits, bytes and limit, before any allocation', async () => {
    const sim = new StateVectorSimulator({ memoryLimitBytes: 2 ** 20 });
    const circuit = { numQubits: 17, operations: [{ gate: 'h', qubits: [0] }] };
    const error = await sim.sample({ circuits: [circuit], shots: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulatorCapacityError);
    expect(error).toBeInstanceOf(ValidationError);
    expect(isQStoreError(error) && error.code).toBe('VALIDATION');
    const e = error as SimulatorCapacityError;
    expect(e.field).toBe('circuits[0].numQubits');
    expect([e.numQubits, e.bytesNeeded, e.limitBytes]).toEqual([17, 16 * 2 ** 17, 2 ** 20]);
    expect(e.message).toMatch(/17 qubits need 2097152 bytes.*limit of 1048576 bytes.*at most 16 qubits/);
    // 40 qubits on the default budget: rejected without trying to allocate 16 TiB
    const big = await new StateVectorSimulator()
      .estimate({
        circuit: { numQubits: 40, operations: [] },
        observables: [[{ coefficient: 1, paulis: 'Z'.repeat(40) }]],
      })
      .catch((x: unknown) => x);
    expect(big).toBeInstanceOf(SimulatorCapacityError);
  });

  it('the adjoint gradient counts all its state vectors against the budget', async () => {
    // 16 qubits = 1 MiB per state: one fits 1.5 MiB, the adjoint's ψ, μ and λ do not
    const sim = new StateVectorSimulator({ memoryLimitBytes: 1.5 * 2 ** 20 });
    const circuit = new Circuit(16).ry(0, 'a').toJSON();
    const observables = [Z(16, 0)];
    await expect(sim.estimate({ circuit, observables, parameters: { a: 0.1 } })).resolves.toBeDefined();
    const error = await sim.gradient({ circuit, observables, parameters: { a: 0.1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulatorCapacityError);
    expect((error as Error).message).toContain('3 state vectors');
  });
});

describe('sampling', () => {
  const circuit = new Circuit(3).ry(0, 0.9).ry(1, 2.1).h(2).cx(0, 1).toJSON();

  it('same seed, same counts; another seed, other counts', async () => {
    const sim = new StateVectorSimulator();
    const [a] = await sim.sample({ circuits: [circuit], shots: 4000, seed: 7 });
    const [b] = await sim.sample({ circuits: [circuit], shots: 4000, seed: 7 });
    const [c] = await sim.sample({ circuits: [circuit], shots: 4000, seed: 8 });
    expect(a?.counts).toEqual(b?.counts);
    expect(a?.counts).not.toEqual(c?.counts);
    expect(Object.values(a?.counts ?? {}).reduce((s, v) => s + v, 0)).toBe(4000);
  });

  it('frequencies match |ψ_i|² within 4.5 binomial standard deviations (50 000 shots)', async () => {
    const sim = new StateVectorSimulator();
    const shots = 50_000;
    const [r] = await sim.sample({ circuits: [circuit], shots, seed: 3 });
    const ws = new Workspace(3, 1, 2 ** 20, false);
    const a = ws.states[0] as Float64Array;
    a[0] = 1;
    applyOps(a, 3, compileOps(circuit));
    for (let i = 0; i < 8; i++) {
      const p = (a[2 * i] as number) ** 2 + (a[2 * i + 1] as number) ** 2;
      const observed = r?.counts[i.toString(2).padStart(3, '0')] ?? 0;
      expect(Math.abs(observed - shots * p)).toBeLessThanOrEqual(4.5 * Math.sqrt(shots * p * (1 - p)) + 1e-9);
    }
  });

  it('more shots than one sorting batch (2^20) are all counted', async () => {
    const sim = new StateVectorSimulator();
    const [r] = await sim.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 1_500_000, seed: 1 });
    const zeros = r?.counts['0'] ?? 0;
    expect(zeros + (r?.counts['1'] ?? 0)).toBe(1_500_000);
    expect(Math.abs(zeros - 750_000)).toBeLessThan(4.5 * Math.sqrt(1_500_000 / 4));
  });

  it('an aborted signal stops a run with ABORTED', async () => {
    const sim = new StateVectorSimulator();
    const controller = new AbortController();
    controller.abort();
    const error = await sim
      .sample({ circuits: [circuit], shots: 1, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isQStoreError(error) && error.code).toBe('ABORTED');
  });

  it('a signal that fires during a long run stops it (the run yields to the event loop)', async () => {
    const sim = new StateVectorSimulator();
    const long = new Circuit(18);
    for (let layer = 0; layer < 100; layer++)
      for (let q = 0; q < 18; q++) long.rx(q, 0.1 * layer + q).cx(q, (q + 1) % 18);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await sim
      .estimate({ circuit: long.toJSON(), observables: [Z(18, 0)], signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isQStoreError(error) && error.code).toBe('ABORTED');
    const ansatz = new Circuit(16);
    for (let layer = 0; layer < 300; layer++) for (let q = 0; q < 16; q++) ansatz.ry(q, 'a').cx(q, (q + 1) % 16);
    const timeout = await sim
      .gradient({
        circuit: ansatz.toJSON(),
        observables: [Z(16, 0)],
        parameters: { a: 0.1 },
        signal: AbortSignal.timeout(30),
      })
      .catch((e: unknown) => e);
    expect(isQStoreError(timeout) && timeout.code).toBe('TIMEOUT');
  });

  it('after close, calls fail with CLOSED', async () => {
    const sim = new StateVectorSimulator();
    await sim.close();
    const error = await sim.sample({ circuits: [circuit], shots: 1 }).catch((e: unknown) => e);
    expect(isQStoreError(error) && error.code).toBe('CLOSED');
  });
});

describe('exact estimates', () => {
  it('⟨Z⟩ = cos θ after ry(θ); ⟨X⟩ = sin θ; ⟨Y⟩ after rx(θ) = −sin θ; ZZ on a Bell state = 1', async () => {
    const sim = new StateVectorSimulator();
    for (const theta of [0.3, 1.7, -2.4]) {
      const r = await sim.estimate({
        circuit: new Circuit(1).ry(0, theta).toJSON(),
        observables: [[{ coefficient: 1, paulis: 'Z' }], [{ coefficient: 2, paulis: 'X' }]],
      });
      expect(r.values[0]).toBeCloseTo(Math.cos(theta), 12);
      expect(r.values[1]).toBeCloseTo(2 * Math.sin(theta), 12);
      expect(r.standardErrors).toEqual([0, 0]);
      const y = await sim.estimate({
        circuit: new Circuit(1).rx(0, theta).toJSON(),
        observables: [[{ coefficient: 1, paulis: 'Y' }]],
      });
      expect(y.values[0]).toBeCloseTo(-Math.sin(theta), 12);
    }
    const bell = await sim.estimate({
      circuit: new Circuit(2).h(0).cx(0, 1).toJSON(),
      observables: [
        [{ coefficient: 1, paulis: 'ZZ' }],
        [{ coefficient: 1, paulis: 'XX' }],
        [{ coefficient: 1, paulis: 'YY' }],
        [{ coefficient: 1, paulis: 'ZI' }],
      ],
    });
    expect(bell.values.map((v) => Number(v.toFixed(12)))).toEqual([1, 1, -1, 0]);
  });

  it('small circuits (run at once, without the executor) give bit for bit what the executor gives', async () => {
    const rng = createRng(21);
    for (const wasm of [true, false]) {
      const sim = new StateVectorSimulator({ wasm });
      for (let trial = 0; trial < 12; trial++) {
        const n = 2 + (trial % 7);
        const circuit = randomCircuit(rng, n, 10 + 5 * trial);
        const observables: Observable[] = [0, 1].map(() =>
          [0, 1, 2].map(() => ({
            coefficient: rng.float() * 2 - 1,
            paulis: Array.from({ length: n }, () => rng.pick(['I', 'X', 'Y', 'Z'])).join(''),
          })),
        );
        const { values } = await sim.estimate({ circuit, observables });
        // the peer: the same compiled ops through the (async, yielding) executor
        const ws = new Workspace(n, 1, 2 ** 30, wasm);
        const a = ws.states[0] as Float64Array;
        a[0] = 1;
        const costs = ws.wasm ? SIMD_COSTS : JS_COSTS;
        // compiled as the simulator does (CNOTs folded into 2×2s on SIMD)
        const ops = ws.wasm ? compileSimd(circuit) : compileOps(circuit, { fuseQubits: 2, costs });
        await execute(a, n, ops, ws.wasm);
        expect(values).toEqual(observables.map((o) => observableExpectation(a, 2 ** n, o)));
        expect(a[0], 'the circuit moved the state off |0…0⟩').not.toBe(1);
      }
    }
  });

  it('with shots: a sampled estimate within 4.5 standard errors of the exact value', async () => {
    const sim = new StateVectorSimulator();
    const circuit = new Circuit(3).ry(0, 0.4).rx(1, 1.1).cx(0, 2).h(1).toJSON();
    const observables: Observable[] = [
      [
        { coefficient: 0.5, paulis: 'ZIZ' },
        { coefficient: -1, paulis: 'IXI' },
      ],
      [{ coefficient: 1, paulis: 'YZX' }],
    ];
    const exact = await sim.estimate({ circuit, observables });
    const sampled = await sim.estimate({ circuit, observables, shots: 20_000, seed: 5 });
    observables.forEach((_, o) => {
      const se = sampled.standardErrors[o] as number;
      expect(se).toBeGreaterThan(0);
      expect(Math.abs((sampled.values[o] as number) - (exact.values[o] as number))).toBeLessThan(4.5 * se + 1e-12);
    });
  });
});

describe('noise by trajectories', () => {
  it('is marked: name, exact false, no adjoint', () => {
    const sim = new StateVectorSimulator({ noise: { bitFlip: 0.1 } });
    expect(sim.name).toBe('state-vector+trajectories');
    expect(sim.capabilities.exact).toBe(false);
    expect(sim.capabilities.gradientMethods).not.toContain('adjoint');
    expect(new StateVectorSimulator().capabilities.exact).toBe(true);
  });

  it('bit flip p after x: ⟨Z⟩ = −(1 − 2p); ⟨X⟩ of |+⟩ is untouched by bit flips', async () => {
    const p = 0.15;
    const sim = new StateVectorSimulator({ noise: { bitFlip: p, trajectories: 4000 } });
    const r = await sim.estimate({ circuit: new Circuit(1).x(0).toJSON(), observables: [Z(1, 0)], seed: 1 });
    const se = r.standardErrors[0] as number;
    expect(se).toBeGreaterThan(0);
    expect(Math.abs((r.values[0] as number) + (1 - 2 * p))).toBeLessThan(4.5 * se);
    const plus = await sim.estimate({
      circuit: new Circuit(1).h(0).toJSON(),
      observables: [[{ coefficient: 1, paulis: 'X' }]],
      seed: 2,
    });
    expect(plus.values[0]).toBeCloseTo(1, 12);
  });

  it('depolarizing p shrinks ⟨Z⟩ by (1 − 4p/3) per gate', async () => {
    const p = 0.1;
    const gates = 3;
    const sim = new StateVectorSimulator({ noise: { depolarizing: p, trajectories: 6000 } });
    // three identity-like gates on |0⟩: rz leaves |0⟩ alone, so only the noise acts
    const circuit = new Circuit(1).rz(0, 0.3).rz(0, 0.2).rz(0, -0.1).toJSON();
    const r = await sim.estimate({ circuit, observables: [Z(1, 0)], seed: 4 });
    const expected = (1 - (4 * p) / 3) ** gates;
    expect(Math.abs((r.values[0] as number) - expected)).toBeLessThan(4.5 * (r.standardErrors[0] as number));
    expect(r.values[0] as number).toBeLessThan(0.95);
  });

  it('noisy sampling: the flip rate of a bit-flip channel, seeded and reproducible', async () => {
    const p = 0.2;
    const sim = new StateVectorSimulator({ noise: { bitFlip: p, trajectories: 500 } });
    const params = { circuits: [new Circuit(2).x(0).toJSON()], shots: 20_000, seed: 9 };
    const [r] = await sim.sample(params);
    const [again] = await sim.sample(params);
    expect(r?.counts).toEqual(again?.counts);
    // qubit 0 reads 0 with probability p (one gate on it); qubit 1 is never touched
    const zeros = (r?.counts['00'] ?? 0) + (r?.counts['10'] ?? 0);
    expect(r?.counts['10'] ?? 0).toBe(0);
    // 500 trajectories of 40 shots each: the flip is shared by a trajectory's shots
    const sd = Math.sqrt(500 * p * (1 - p)) * 40;
    expect(Math.abs(zeros - 20_000 * p)).toBeLessThan(4.5 * sd);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => new StateVectorSimulator({ noise: { depolarizing: 1.5 } })).toThrow(ValidationError);
  });
});
