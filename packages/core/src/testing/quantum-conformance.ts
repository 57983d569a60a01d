/**
 * The quantum-backend conformance kit: the executable contract of {@link QuantumBackend}. Every
 * quantum backend package calls {@link describeQuantumBackendConformance} from a vitest test file.
 *
 * Capability-driven: a case runs only when the backend lists the gates it needs, has enough
 * qubits, and offers the method it checks (`estimate`, `gradient`); otherwise it is skipped with the
 * reason in its title. Exact backends (`capabilities.exact`) are held to 1e-9 on expectation
 * values; every sampled quantity is held to a binomial bound of {@link SIGMAS} standard deviations
 * at fixed seeds, so a run is reproducible and a correct backend fails with probability < 1e-5
 * per check.
 *
 * Known answers (closed form, no simulator in the kit): Bell and GHZ counts; bit order (X on one
 * qubit gives the key with a 1 at that qubit's position from the right); the QFT of a basis state
 * |x⟩, whose qubit q is (|0⟩ + e^{2πi·x·2^q/2^n}|1⟩)/√2 so ⟨X_q⟩ = cos(2π·x·2^q/2^n) and
 * ⟨Y_q⟩ = sin(…), and QFT⁻¹·QFT|x⟩ = |x⟩; teleportation in its deferred-measurement form (qubit 2
 * ends with qubit 0's Bloch vector); QASM programs (a ripple-carry adder with a deterministic sum,
 * Grover search whose success probability is sin²((2k+1)·asin(1/√N))). Every gate of the table is
 * checked by state tomography (all 4^k − 1 Pauli expectations) of gate·(product state) against
 * `gateMatrix`, with the gate's qubits in natural and in reversed order.
 */

import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { BudgetExceededError } from '../quantum/budget.js';
import { estimateCostUsd } from '../quantum/budget.js';
import { Circuit, formatParameterExpression } from '../quantum/circuit.js';
import { estimateFromSamples } from '../quantum/estimate-from-samples.js';
import { GATE_NAMES, GATES, type GateName, gateMatrix } from '../quantum/gates.js';
import type { QuantumJobStatus } from '../quantum/jobs.js';
import { parseQasm } from '../quantum/qasm.js';
import type {
  CircuitJson,
  EstimateParams,
  EstimateResult,
  Observable,
  QuantumBackend,
  SampleResult,
} from '../quantum/quantum-backend.js';
import { isQStoreError, type QStoreErrorCode, type ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { GROVER_QASM, RIPPLE_ADDER_QASM, TELEPORTATION_QASM } from './qasm-programs.js';
import {
  allPauliStrings,
  matVec,
  pauliExpectation,
  productState,
  reverseQubits,
  type StateVector,
} from './quantum-math.js';

/** Options of {@link describeQuantumBackendConformance}. */
export interface QuantumConformanceOptions {
  /** Suite title, e.g. 'StateVectorSimulator'. */
  name: string;
  /** A fresh backend; called once per describe block. */
  create(): QuantumBackend | Promise<QuantumBackend>;
  /** Optional: called after each created backend has been closed. */
  cleanup?(): void | Promise<void>;
  /** Per-hook/test timeout in ms for slow backends (default vitest's). */
  timeoutMs?: number;
  /** Shots per sampling check (default 2000). Fewer shots widen the tolerances, never skip checks. */
  shots?: number;
  /** Largest GHZ state to check (default min(capabilities.maxQubits, 12)). */
  maxGhzQubits?: number;
  /**
   * Hooks for the job-model checks of a queued backend (`capabilities.queued`): a new backend object
   * on the same service or account (to resume a job by id), and how many requests the service has
   * received so far (to show that a refused call sent nothing). Without them those cases are
   * skipped, saying so.
   */
  jobs?: {
    recreate(): QuantumBackend | Promise<QuantumBackend>;
    received(): number | Promise<number>;
  };
}

/** Standard deviations allowed for a sampled quantity: two-sided P(|Z| > 4.5) ≈ 7e-6. */
export const SIGMAS = 4.5;
const EXACT_TOLERANCE = 1e-9;
const SEED = 20_260_101;

// ---------------------------------------------------------------------------------------------
// Harness

class Harness {
  private current: QuantumBackend | undefined;
  constructor(readonly options: QuantumConformanceOptions) {}

  get backend(): QuantumBackend {
    if (!this.current) throw new Error('conformance: the backend was not created (did beforeAll fail?)');
    return this.current;
  }
  set(backend: QuantumBackend | undefined): void {
    this.current = backend;
  }
  get shots(): number {
    return this.options.shots ?? 2000;
  }
  supports(gates: readonly string[]): boolean {
    const have = new Set(this.backend.capabilities.gates);
    return gates.every((g) => have.has(g));
  }
  /** `backend.estimate` when offered, else core's estimate from samples. */
  estimate(params: EstimateParams): Promise<EstimateResult> {
    const b = this.backend;
    return b.estimate ? b.estimate(params) : estimateFromSamples(b, params);
  }
  /** Estimate to check a known value: exact when the backend is exact, else with shots. */
  async expectations(circuit: CircuitJson, observables: Observable[]): Promise<EstimateResult> {
    const exact = this.backend.capabilities.exact && this.backend.estimate !== undefined;
    return this.estimate({ circuit, observables, ...(exact ? {} : { shots: this.shots, seed: SEED }) });
  }
  expectClose(result: EstimateResult, expected: readonly number[], what: string): void {
    expect(result.values.length, `${what}: one value per observable`).toBe(expected.length);
    expected.forEach((e, i) => {
      const v = result.values[i] as number;
      const se = result.standardErrors[i] as number;
      const tol = this.backend.capabilities.exact && se === 0 ? EXACT_TOLERANCE : SIGMAS * Math.max(se, 1e-3) + 1e-9;
      expect(Math.abs(v - e), `${what} [${i}]: got ${v}, expected ${e} ± ${tol}`).toBeLessThanOrEqual(tol);
    });
  }
}

function useBackend(options: QuantumConformanceOptions): Harness {
  const h = new Harness(options);
  let created = false;
  beforeAll(async () => {
    h.set(await options.create());
    created = true;
  }, options.timeoutMs);
  afterAll(async () => {
    if (!created) return;
    try {
      await h.backend.close();
    } finally {
      h.set(undefined);
      await options.cleanup?.();
    }
  }, options.timeoutMs);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Skips a case the backend cannot run (a missing gate, too few qubits, a method it does not offer). */
function skip(ctx: TestContext): void {
  ctx.skip('the backend lacks a gate, enough qubits or a method this case needs');
}

/** The gates (not measure/barrier) a circuit uses. */
function programGates(circuit: CircuitJson): string[] {
  return [...new Set(circuit.operations.map((o) => o.gate))].filter((g) => g !== 'measure' && g !== 'barrier');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function zeros(n: number): string {
  return '0'.repeat(n);
}

/** The Pauli string with `p` at the given qubits and I elsewhere (qubit 0 rightmost). */
function pauliOn(n: number, at: Record<number, string>): string {
  let s = '';
  for (let q = n - 1; q >= 0; q--) s += at[q] ?? 'I';
  return s;
}

function checkShape(result: SampleResult | undefined, numQubits: number, shots: number): SampleResult {
  expect(result, 'one result per circuit').toBeDefined();
  const r = result as SampleResult;
  expect(r.shots).toBe(shots);
  let total = 0;
  for (const [key, count] of Object.entries(r.counts)) {
    expect(key, 'bitstring keys are numQubits characters of 0/1').toMatch(new RegExp(`^[01]{${numQubits}}$`));
    expect(Number.isInteger(count) && count > 0, `count of ${key} is a positive integer`).toBe(true);
    expect(r.probabilities[key]).toBeCloseTo(count / shots, 12);
    total += count;
  }
  expect(total, 'counts sum to shots').toBe(shots);
  expect(Object.keys(r.probabilities).sort()).toEqual(Object.keys(r.counts).sort());
  return r;
}

/** |count − shots·p| ≤ SIGMAS·sqrt(shots·p·(1−p)) + 1 for each outcome; unexpected outcomes fail. */
function expectDistribution(counts: Record<string, number>, expected: Record<string, number>, shots: number): void {
  for (const key of Object.keys(counts)) {
    expect((expected[key] ?? 0) > 0, `outcome ${key} has probability 0 but appeared ${counts[key]} times`).toBe(true);
  }
  for (const [key, p] of Object.entries(expected)) {
    const c = counts[key] ?? 0;
    const bound = SIGMAS * Math.sqrt(shots * p * (1 - p)) + 1;
    expect(
      Math.abs(c - shots * p),
      `outcome ${key}: ${c} of ${shots}, expected ${shots * p} ± ${bound}`,
    ).toBeLessThanOrEqual(bound);
  }
}

async function expectError(run: () => Promise<unknown>, code: QStoreErrorCode, field?: string): Promise<void> {
  let caught: unknown;
  let threw = false;
  try {
    await run();
  } catch (error) {
    threw = true;
    caught = error;
  }
  expect(threw, `expected a ${code} error, but the call succeeded`).toBe(true);
  expect(isQStoreError(caught), `expected a q-store error, got ${String(caught)}`).toBe(true);
  const error = caught as ValidationError;
  expect(error.code, error.message).toBe(code);
  if (field !== undefined) {
    const fields = (error.issues ?? []).map((i) => i.field);
    const named = fields.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`));
    expect(named || error.message.includes(field), `error names '${field}': ${error.message}`).toBe(true);
  }
}

/** QFT on n qubits (little-endian, Qiskit's `QFT` with swaps): |x⟩ → Σ_y e^{2πi·x·y/2^n}|y⟩/√2^n. */
export function qftCircuit(n: number): Circuit {
  const c = new Circuit(n);
  for (let j = n - 1; j >= 0; j--) {
    c.h(j);
    for (let k = j - 1; k >= 0; k--) c.cp(k, j, Math.PI / 2 ** (j - k));
  }
  for (let i = 0; i < Math.floor(n / 2); i++) c.swap(i, n - 1 - i);
  return c;
}

/** A 2×1 state as a StateVector. */
function qubitState(re0: number, im0: number, re1: number, im1: number): StateVector {
  return { re: Float64Array.from([re0, re1]), im: Float64Array.from([im0, im1]) };
}

/** ry(a)·then rz(b) applied to |0⟩, and the gates that prepare it. */
function preparedQubit(a: number, b: number): StateVector {
  // rz(b)·ry(a)|0⟩ = (e^{−ib/2} cos a/2, e^{ib/2} sin a/2)
  return qubitState(
    Math.cos(-b / 2) * Math.cos(a / 2),
    Math.sin(-b / 2) * Math.cos(a / 2),
    Math.cos(b / 2) * Math.sin(a / 2),
    Math.sin(b / 2) * Math.sin(a / 2),
  );
}

// ---------------------------------------------------------------------------------------------
// The suite

/**
 * Registers the quantum-backend conformance suite for one backend. Cases skip themselves (with the
 * reason in the title) when the backend lacks a gate, qubits or a method they need.
 */
export function describeQuantumBackendConformance(options: QuantumConformanceOptions): void {
  describe(`QuantumBackend conformance: ${options.name}`, () => {
    const h = useBackend(options);
    const t = options.timeoutMs;

    it('declares sane capabilities', () => {
      const caps = h.backend.capabilities;
      expect(typeof h.backend.type).toBe('string');
      expect(Number.isInteger(caps.maxQubits) && caps.maxQubits >= 1).toBe(true);
      for (const g of caps.gates) expect(GATE_NAMES, `gate '${g}' is in the gate table`).toContain(g);
      for (const m of caps.gradientMethods) expect(['adjoint', 'parameter-shift', 'finite-difference']).toContain(m);
      if (caps.gradientMethods.length > 0) expect(typeof h.backend.gradient).toBe('function');
      if (caps.maxShots !== undefined) expect(Number.isInteger(caps.maxShots) && caps.maxShots >= 1).toBe(true);
    });

    describe('sampling known answers', () => {
      it(
        'Bell state: only 00 and 11, about half each',
        async (ctx) => {
          if (!h.supports(['h', 'cx']) || h.backend.capabilities.maxQubits < 2) return skip(ctx);
          const [r] = await h.backend.sample({
            circuits: [new Circuit(2).h(0).cx(0, 1).measure().toJSON()],
            shots: h.shots,
            seed: SEED,
          });
          const result = checkShape(r, 2, h.shots);
          expectDistribution(result.counts, { '00': 0.5, '11': 0.5 }, h.shots);
        },
        t,
      );

      it(
        'GHZ states on 3 and more qubits: only all-zeros and all-ones',
        async (ctx) => {
          const caps = h.backend.capabilities;
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const top = Math.min(options.maxGhzQubits ?? 12, caps.maxQubits);
          const sizes = [...new Set([3, 5, top].filter((n) => n >= 3 && n <= top))];
          const circuits = sizes.map((n) => {
            const c = new Circuit(n).h(0);
            for (let q = 1; q < n; q++) c.cx(q - 1, q);
            return c.toJSON();
          });
          if (circuits.length === 0) return skip(ctx);
          const results = await h.backend.sample({ circuits, shots: h.shots, seed: SEED });
          expect(results.length).toBe(circuits.length);
          sizes.forEach((n, i) => {
            const r = checkShape(results[i], n, h.shots);
            expectDistribution(r.counts, { [zeros(n)]: 0.5, ['1'.repeat(n)]: 0.5 }, h.shots);
          });
        },
        t,
      );

      it(
        'bit order: qubit 0 is the rightmost character of a key',
        async (ctx) => {
          if (!h.supports(['x']) || h.backend.capabilities.maxQubits < 3) return skip(ctx);
          const results = await h.backend.sample({
            circuits: [new Circuit(3).x(0).toJSON(), new Circuit(3).x(2).toJSON(), new Circuit(3).x(0).x(1).toJSON()],
            shots: 50,
            seed: SEED,
          });
          expect(checkShape(results[0], 3, 50).counts).toEqual({ '001': 50 });
          expect(checkShape(results[1], 3, 50).counts).toEqual({ '100': 50 });
          expect(checkShape(results[2], 3, 50).counts).toEqual({ '011': 50 });
        },
        t,
      );

      it(
        'QFT then inverse QFT returns the basis state',
        async (ctx) => {
          const n = 4;
          if (!h.supports(['h', 'cp', 'swap', 'x']) || h.backend.capabilities.maxQubits < n) return skip(ctx);
          const x = 0b1011;
          const prep = new Circuit(n).x(0).x(1).x(3);
          const qft = qftCircuit(n);
          const circuit = prep.compose(qft).compose(qft.inverse());
          const [r] = await h.backend.sample({ circuits: [circuit.toJSON()], shots: 100, seed: SEED });
          expect(checkShape(r, n, 100).counts).toEqual({ [x.toString(2).padStart(n, '0')]: 100 });
        },
        t,
      );

      it(
        'sampling statistics within binomial bounds for a fixed seed; same seed, same counts',
        async (ctx) => {
          if (!h.supports(['ry', 'cx']) || h.backend.capabilities.maxQubits < 3) return skip(ctx);
          const angles = [0.9, 2.1, 1.4];
          const c = new Circuit(3);
          angles.forEach((a, q) => {
            c.ry(q, a);
          });
          c.cx(0, 1).cx(1, 2);
          // ry(a)|0⟩ gives 1 with probability sin²(a/2); cx(0,1) then cx(1,2) maps bits b → (b0, b1⊕b0, b2⊕b1⊕b0).
          const expected: Record<string, number> = {};
          for (let b = 0; b < 8; b++) {
            let p = 1;
            for (let q = 0; q < 3; q++) {
              const s = Math.sin((angles[q] as number) / 2) ** 2;
              p *= (b >> q) & 1 ? s : 1 - s;
            }
            const b0 = b & 1;
            const b1 = ((b >> 1) & 1) ^ b0;
            const b2 = ((b >> 2) & 1) ^ b1;
            const key = `${b2}${b1}${b0}`;
            expected[key] = (expected[key] ?? 0) + p;
          }
          const json = c.toJSON();
          const first = await h.backend.sample({ circuits: [json], shots: h.shots, seed: SEED });
          const again = await h.backend.sample({ circuits: [json], shots: h.shots, seed: SEED });
          const r = checkShape(first[0], 3, h.shots);
          expectDistribution(r.counts, expected, h.shots);
          let chi2 = 0;
          for (const [key, p] of Object.entries(expected))
            chi2 += ((r.counts[key] ?? 0) - h.shots * p) ** 2 / (h.shots * p);
          // 7 degrees of freedom: P(χ² > 35) ≈ 1e-5.
          expect(chi2, 'chi-square over 8 outcomes').toBeLessThan(35);
          expect(again[0]?.counts, 'same seed, same counts').toEqual(r.counts);
          const others = await Promise.all(
            [1, 2, 3].map((s) => h.backend.sample({ circuits: [json], shots: h.shots, seed: SEED + s })),
          );
          const differs = others.some((o) => JSON.stringify(o[0]?.counts) !== JSON.stringify(r.counts));
          expect(differs, 'other seeds give other counts').toBe(true);
        },
        t,
      );
    });

    describe('expectation values', () => {
      it(
        'QFT of a basis state has the known phases: ⟨X_q⟩ = cos(2πx·2^q/2^n), ⟨Y_q⟩ = sin(…)',
        async (ctx) => {
          const n = 3;
          if (!h.supports(['h', 'cp', 'swap', 'x']) || h.backend.capabilities.maxQubits < n) return skip(ctx);
          const x = 0b101;
          const circuit = new Circuit(n).x(0).x(2).compose(qftCircuit(n)).toJSON();
          const observables: Observable[] = [];
          const expected: number[] = [];
          for (let q = 0; q < n; q++) {
            const phase = (2 * Math.PI * x * 2 ** q) / 2 ** n;
            observables.push([{ coefficient: 1, paulis: pauliOn(n, { [q]: 'X' }) }]);
            expected.push(Math.cos(phase));
            observables.push([{ coefficient: 1, paulis: pauliOn(n, { [q]: 'Y' }) }]);
            expected.push(Math.sin(phase));
            observables.push([{ coefficient: 1, paulis: pauliOn(n, { [q]: 'Z' }) }]);
            expected.push(0);
          }
          h.expectClose(await h.expectations(circuit, observables), expected, 'QFT|5⟩');
        },
        t,
      );

      it(
        "teleportation (deferred measurement): qubit 2 ends with qubit 0's Bloch vector",
        async (ctx) => {
          if (!h.supports(['ry', 'rz', 'h', 'cx', 'cz']) || h.backend.capabilities.maxQubits < 3) return skip(ctx);
          const [a, b] = [1.1, 0.7];
          const circuit = new Circuit(3).ry(0, a).rz(0, b).h(1).cx(1, 2).cx(0, 1).h(0).cx(1, 2).cz(0, 2).toJSON();
          const bloch = [Math.sin(a) * Math.cos(b), Math.sin(a) * Math.sin(b), Math.cos(a)];
          const result = await h.expectations(circuit, [
            [{ coefficient: 1, paulis: 'XII' }],
            [{ coefficient: 1, paulis: 'YII' }],
            [{ coefficient: 1, paulis: 'ZII' }],
          ]);
          h.expectClose(result, bloch, 'teleported Bloch vector');
        },
        t,
      );

      it(
        'Pauli sums: coefficients add, identity terms count, correlations of a Bell state',
        async (ctx) => {
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const circuit = new Circuit(2).h(0).cx(0, 1).toJSON();
          const result = await h.expectations(circuit, [
            [
              { coefficient: 0.5, paulis: 'ZZ' },
              { coefficient: 0.25, paulis: 'XX' },
              { coefficient: -2, paulis: 'II' },
            ],
            [{ coefficient: 1, paulis: 'YY' }],
            [{ coefficient: 3, paulis: 'ZI' }],
          ]);
          h.expectClose(result, [0.5 + 0.25 - 2, -1, 0], 'Bell correlations');
        },
        t,
      );

      it(
        'every gate of the table matches its matrix (state tomography, natural and reversed qubit order)',
        async (ctx) => {
          const caps = h.backend.capabilities;
          if (!h.supports(['ry', 'rz'])) return skip(ctx);
          const rng = createRng(SEED);
          for (const name of caps.gates as readonly GateName[]) {
            const g = GATES[name];
            if (g.numQubits > caps.maxQubits) continue;
            const k = g.numQubits;
            const params = range(g.numParams).map(() => rng.float() * 4 - 2);
            const prep = range(k).map(() => [rng.float() * Math.PI, rng.float() * 2 * Math.PI - Math.PI] as const);
            const input = productState(prep.map(([a, b]) => preparedQubit(a, b)));
            const m = gateMatrix(name, params);
            for (const order of ['natural', 'reversed'] as const) {
              if (order === 'reversed' && k === 1) continue;
              const qubits = order === 'natural' ? range(k) : range(k).reverse();
              const c = new Circuit(k);
              prep.forEach(([a, b], q) => {
                c.ry(q, a).rz(q, b);
              });
              c.append(name, qubits, params);
              // Reversed: listed qubit j is register qubit k−1−j, so the register state is
              // R·M·R·input with R the qubit reversal.
              const expected =
                order === 'natural' ? matVec(m, input) : reverseQubits(matVec(m, reverseQubits(input, k)), k);
              const paulis = allPauliStrings(k);
              const result = await h.expectations(
                c.toJSON(),
                paulis.map((p) => [{ coefficient: 1, paulis: p }]),
              );
              h.expectClose(
                result,
                paulis.map((p) => pauliExpectation(expected, p)),
                `${name}(${params.map((p) => p.toFixed(3)).join(', ')}) on qubits [${qubits.join(', ')}]`,
              );
            }
          }
        },
        t,
      );

      it(
        'estimate agrees with an estimate from samples within a few standard errors',
        async (ctx) => {
          if (!h.backend.estimate || !h.supports(['ry', 'rx', 'cx', 'h', 'sdg'])) return skip(ctx);
          const c = new Circuit(3).ry(0, 0.8).rx(1, 1.9).cx(0, 2).ry(2, -0.4).cx(1, 0).toJSON();
          const observables: Observable[] = [
            [{ coefficient: 1, paulis: 'ZZI' }],
            [
              { coefficient: 0.7, paulis: 'XIZ' },
              { coefficient: -0.3, paulis: 'IYY' },
            ],
            [{ coefficient: 1.5, paulis: 'IIX' }],
          ];
          const direct = await h.backend.estimate({ circuit: c, observables });
          const sampled = await estimateFromSamples(h.backend, { circuit: c, observables, shots: 4000, seed: SEED });
          direct.values.forEach((v, i) => {
            const se = Math.max(sampled.standardErrors[i] as number, 1e-3) + (direct.standardErrors[i] as number);
            expect(
              sampled.standardErrors[i] as number,
              'a sampled estimate has a non-zero standard error',
            ).toBeGreaterThan(0);
            expect(Math.abs(v - (sampled.values[i] as number)), `observable ${i}`).toBeLessThanOrEqual(SIGMAS * se);
          });
          if (h.backend.capabilities.exact) expect(direct.standardErrors).toEqual([0, 0, 0]);
        },
        t,
      );
    });

    describe('QASM programs with known outputs', () => {
      it(
        'ripple-carry adder: 5 + 6 = 11 (and 3 + 7 = 10 with its carry)',
        async (ctx) => {
          const program = parseQasm(RIPPLE_ADDER_QASM);
          const n = program.circuit.numQubits;
          if (!h.supports(['x', ...programGates(program.circuit.toJSON())]) || h.backend.capabilities.maxQubits < n)
            return skip(ctx);
          // Registers: cin[1] a[4] b[4] cout[1] → qubits 0, 1–4, 5–8, 9. The adder leaves a, writes a+b into b.
          const run = async (a: number, b: number): Promise<number> => {
            const prep = new Circuit(n);
            for (let i = 0; i < 4; i++) {
              if ((a >> i) & 1) prep.x(1 + i);
              if ((b >> i) & 1) prep.x(5 + i);
            }
            const [r] = await h.backend.sample({
              circuits: [prep.compose(program.circuit).toJSON()],
              shots: 20,
              seed: SEED,
            });
            const counts = checkShape(r, n, 20).counts;
            const keys = Object.keys(counts);
            expect(keys.length, 'the adder is deterministic').toBe(1);
            const bits = keys[0] as string;
            const bitAt = (q: number) => (bits[n - 1 - q] === '1' ? 1 : 0);
            let aOut = 0;
            let sum = 0;
            for (let i = 0; i < 4; i++) {
              aOut |= bitAt(1 + i) << i;
              sum |= bitAt(5 + i) << i;
            }
            sum |= bitAt(9) << 4;
            expect(aOut, 'the a register is restored').toBe(a);
            expect(bitAt(0), 'the carry-in ancilla is restored').toBe(0);
            return sum;
          };
          expect(await run(5, 6)).toBe(11);
          expect(await run(3, 7)).toBe(10);
          expect(await run(15, 15)).toBe(30);
        },
        t,
      );

      it(
        'Grover search on 3 qubits finds |101⟩ with probability sin²(5·asin(1/√8)) after 2 iterations',
        async (ctx) => {
          const program = parseQasm(GROVER_QASM);
          if (!h.supports(programGates(program.circuit.toJSON())) || h.backend.capabilities.maxQubits < 3)
            return skip(ctx);
          const p = Math.sin(5 * Math.asin(1 / Math.sqrt(8))) ** 2;
          const [r] = await h.backend.sample({ circuits: [program.circuit.toJSON()], shots: h.shots, seed: SEED });
          const counts = checkShape(r, 3, h.shots).counts;
          const expected: Record<string, number> = {};
          for (let b = 0; b < 8; b++) expected[b.toString(2).padStart(3, '0')] = b === 0b101 ? p : (1 - p) / 7;
          expectDistribution(counts, expected, h.shots);
        },
        t,
      );

      it(
        'teleportation program: the Bloch vector arrives on qubit 2',
        async (ctx) => {
          const program = parseQasm(TELEPORTATION_QASM);
          if (!h.supports(programGates(program.circuit.toJSON())) || h.backend.capabilities.maxQubits < 3)
            return skip(ctx);
          // The program prepares qubit 0 with u(θ=1.2, φ=0.4, λ=0): Bloch (sin θ cos φ, sin θ sin φ, cos θ).
          const circuit = program.circuit.toJSON();
          circuit.operations = circuit.operations.filter((o) => o.gate !== 'measure');
          const result = await h.expectations(circuit, [
            [{ coefficient: 1, paulis: 'XII' }],
            [{ coefficient: 1, paulis: 'YII' }],
            [{ coefficient: 1, paulis: 'ZII' }],
          ]);
          h.expectClose(
            result,
            [Math.sin(1.2) * Math.cos(0.4), Math.sin(1.2) * Math.sin(0.4), Math.cos(1.2)],
            'teleported',
          );
        },
        t,
      );
    });

    describe('parameters', () => {
      it(
        'binds named parameters, one binding for all circuits or one per circuit, with scaled expressions',
        async (ctx) => {
          if (!h.supports(['ry']) || h.backend.capabilities.maxQubits < 2) return skip(ctx);
          const c = new Circuit(2).ry(0, 'a').ry(1, '2*b').toJSON();
          const perCircuit = await h.backend.sample({
            circuits: [c, c],
            parameters: [
              { a: Math.PI, b: 0 },
              { a: 0, b: Math.PI / 2 },
            ],
            shots: 30,
            seed: SEED,
          });
          expect(checkShape(perCircuit[0], 2, 30).counts).toEqual({ '01': 30 });
          expect(checkShape(perCircuit[1], 2, 30).counts).toEqual({ '10': 30 });
          const shared = await h.backend.sample({
            circuits: [c],
            parameters: { a: Math.PI, b: Math.PI / 2, unused: 1 },
            shots: 30,
            seed: SEED,
          });
          expect(checkShape(shared[0], 2, 30).counts).toEqual({ '11': 30 });
        },
        t,
      );

      it(
        'gradient agrees with central finite differences of estimate (every offered method)',
        async (ctx) => {
          const b = h.backend;
          const methods = b.capabilities.gradientMethods;
          if (!b.gradient || methods.length === 0 || !b.capabilities.exact || !b.estimate) return skip(ctx);
          const gates: GateName[] = ['ry', 'rx', 'rz', 'cx', 'crx', 'rzz', 'u', 'cp'];
          if (!h.supports(gates) || b.capabilities.maxQubits < 3) return skip(ctx);
          const circuit = new Circuit(3)
            .ry(0, 'a')
            .rx(1, 'b')
            .ry(2, '0.5*c + 0.3')
            .cx(0, 1)
            .crx(1, 2, 'a')
            .rzz(0, 2, '-2*b')
            .u(1, 'c', 0.4, 'd')
            .cp(2, 0, 'd')
            .rz(0, 'b')
            .ry(1, 1.1)
            .toJSON();
          const binding = { a: 0.7, b: -0.4, c: 1.3, d: 0.9 };
          const observables: Observable[] = [
            [{ coefficient: 1, paulis: 'IIZ' }],
            [
              { coefficient: 0.5, paulis: 'XZI' },
              { coefficient: -1.2, paulis: 'YIY' },
            ],
            [{ coefficient: 2, paulis: 'ZXX' }],
          ];
          const names = ['a', 'b', 'c', 'd'] as const;
          const step = 1e-5;
          const fd = await Promise.all(
            names.map(async (name) => {
              const plus = await b.estimate?.({
                circuit,
                observables,
                parameters: { ...binding, [name]: binding[name] + step },
              });
              const minus = await b.estimate?.({
                circuit,
                observables,
                parameters: { ...binding, [name]: binding[name] - step },
              });
              return observables.map(
                (_, o) => ((plus?.values[o] as number) - (minus?.values[o] as number)) / (2 * step),
              );
            }),
          );
          const exact = await b.estimate({ circuit, observables, parameters: binding });
          for (const method of methods) {
            const g = await b.gradient({ circuit, observables, parameters: binding, method });
            expect(g.parameterNames).toEqual([...names]);
            g.values.forEach((v, o) => {
              expect(v).toBeCloseTo(exact.values[o] as number, 9);
            });
            let largest = 0;
            observables.forEach((_, o) => {
              names.forEach((_name, p) => {
                const got = (g.gradients[o] as number[])[p] as number;
                const want = (fd[p] as number[])[o] as number;
                largest = Math.max(largest, Math.abs(want));
                expect(
                  Math.abs(got - want),
                  `${method}: ∂O${o}/∂${names[p]} = ${got}, finite differences ${want}`,
                ).toBeLessThan(1e-6);
              });
            });
            expect(largest, 'the gradient is not trivially zero').toBeGreaterThan(0.05);
            const partial = await b.gradient({ circuit, observables, parameters: binding, method, wrt: ['c', 'a'] });
            expect(partial.parameterNames).toEqual(['c', 'a']);
            expect((partial.gradients[1] as number[])[0]).toBeCloseTo((g.gradients[1] as number[])[2] as number, 9);
          }
        },
        t,
      );

      it(
        'gradient of a seeded random circuit over every parameterised gate agrees with finite differences',
        async (ctx) => {
          const b = h.backend;
          const methods = b.capabilities.gradientMethods;
          if (!b.gradient || methods.length === 0 || !b.capabilities.exact || !b.estimate) return skip(ctx);
          if (b.capabilities.maxQubits < 3 || !h.supports(['h'])) return skip(ctx);
          const rng = createRng(SEED + 1);
          const n = 3;
          const names = ['w0', 'w1', 'w2', 'w3', 'w4'];
          const circuit = new Circuit(n);
          for (let q = 0; q < n; q++) circuit.h(q);
          const parameterised = (b.capabilities.gates as readonly GateName[]).filter((g) => GATES[g].numParams > 0);
          for (const round of [0, 1]) {
            for (const name of parameterised) {
              const g = GATES[name];
              const qubits = rng.shuffle(range(n)).slice(0, g.numQubits);
              const params = range(g.numParams).map((k) =>
                (k + round) % 2 === 0
                  ? formatParameterExpression({
                      name: rng.pick(names),
                      coefficient: rng.float() * 2 - 1,
                      offset: rng.float() - 0.5,
                    })
                  : rng.float() * 2 - 1,
              );
              circuit.append(name, qubits, params);
            }
          }
          const json = circuit.toJSON();
          const used = circuit.parameters;
          const binding = Object.fromEntries(used.map((name) => [name, rng.float() * 4 - 2]));
          const observables: Observable[] = [
            [{ coefficient: 1, paulis: 'ZZZ' }],
            [
              { coefficient: 0.8, paulis: 'XYI' },
              { coefficient: -0.6, paulis: 'IZX' },
            ],
          ];
          const step = 1e-5;
          const fd: number[][] = [];
          for (const name of used) {
            const plus = await b.estimate({
              circuit: json,
              observables,
              parameters: { ...binding, [name]: (binding[name] as number) + step },
            });
            const minus = await b.estimate({
              circuit: json,
              observables,
              parameters: { ...binding, [name]: (binding[name] as number) - step },
            });
            fd.push(observables.map((_, o) => ((plus.values[o] as number) - (minus.values[o] as number)) / (2 * step)));
          }
          for (const method of methods) {
            const g = await b.gradient({ circuit: json, observables, parameters: binding, method });
            expect(g.parameterNames).toEqual(used);
            let largest = 0;
            observables.forEach((_, o) => {
              used.forEach((name, p) => {
                const got = (g.gradients[o] as number[])[p] as number;
                const want = (fd[p] as number[])[o] as number;
                largest = Math.max(largest, Math.abs(want));
                expect(
                  Math.abs(got - want),
                  `${method}: ∂O${o}/∂${name} = ${got}, finite differences ${want}`,
                ).toBeLessThan(1e-6);
              });
            });
            expect(largest, 'the gradient is not trivially zero').toBeGreaterThan(0.01);
          }
        },
        t,
      );
    });

    describe('job model', () => {
      const bell = () => new Circuit(2).h(0).cx(0, 1).toJSON();
      const ORDER: QuantumJobStatus[] = ['queued', 'running', 'completed'];
      const jobSkip = (ctx: TestContext, what: string) => ctx.skip(`the backend ${what}`);

      it(
        'submit returns a job with an id; wait yields what sample yields for the same seed',
        async (ctx) => {
          const b = h.backend;
          if (!b.submit || !h.supports(['h', 'cx'])) return jobSkip(ctx, 'has no submit (no job model)');
          const job = await b.submit({ circuits: [bell()], shots: 200, seed: SEED });
          expect(typeof job.id).toBe('string');
          expect(job.id.length).toBeGreaterThan(0);
          expect(job.backend).toBe(b.type);
          expect(['queued', 'running', 'completed']).toContain(job.status);
          const [fromJob] = await job.wait();
          expect(job.status).toBe('completed');
          const [direct] = await b.sample({ circuits: [bell()], shots: 200, seed: SEED });
          expect(fromJob?.counts).toEqual(direct?.counts);
          expect(Object.values(fromJob?.counts ?? {}).reduce((x, y) => x + y, 0)).toBe(200);
        },
        t,
      );

      it(
        'a local backend completes a job at once and keeps no jobs to retrieve',
        async (ctx) => {
          const b = h.backend;
          if (!b.submit || b.capabilities.queued) return jobSkip(ctx, 'is queued or has no submit');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const job = await b.submit({ circuits: [bell()], shots: 10, seed: SEED });
          expect(job.status).toBe('completed');
          expect(await job.refresh()).toBe('completed');
          await job.cancel();
          expect(job.status, 'cancel leaves a finished job as it is').toBe('completed');
          if (b.retrieve) await expectError(() => b.retrieve?.({ id: job.id }) as Promise<unknown>, 'NOT_FOUND');
        },
        t,
      );

      it(
        'a queued job moves queued → running → completed over time, never backwards',
        async (ctx) => {
          const b = h.backend;
          if (!b.submit || !b.capabilities.queued) return jobSkip(ctx, 'is not queued');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const job = await b.submit({ circuits: [bell()], shots: 50, seed: SEED });
          const seen: QuantumJobStatus[] = [job.status];
          for (let i = 0; i < 10_000 && job.status !== 'completed'; i++) {
            await new Promise((resolve) => setTimeout(resolve, 2));
            const status = await job.refresh();
            if (status !== seen[seen.length - 1]) seen.push(status);
          }
          expect(seen[0]).toBe('queued');
          expect(seen[seen.length - 1]).toBe('completed');
          expect(seen.length, `statuses seen: ${seen.join(' → ')}`).toBeGreaterThanOrEqual(2);
          const ranks = seen.map((s) => ORDER.indexOf(s));
          expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
          expect(Object.keys((await job.wait())[0]?.counts ?? {}).sort()).toEqual(['00', '11']);
        },
        t,
      );

      it(
        'a job is resumed by id after the backend object is recreated',
        async (ctx) => {
          const b = h.backend;
          const hooks = options.jobs;
          if (!b.capabilities.queued || !hooks) return jobSkip(ctx, 'is not queued or the kit got no jobs.recreate');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const first = await hooks.recreate();
          const job = await first.submit?.({ circuits: [bell()], shots: 300, seed: SEED });
          if (!job) return jobSkip(ctx, 'has no submit');
          await first.close();
          const second = await hooks.recreate();
          try {
            const resumed = await second.retrieve?.({ id: job.id });
            expect(resumed?.id).toBe(job.id);
            const [result] = (await resumed?.wait()) ?? [];
            expect(resumed?.status).toBe('completed');
            expect(Object.values(result?.counts ?? {}).reduce((x, y) => x + y, 0)).toBe(300);
            expect(Object.keys(result?.counts ?? {}).sort()).toEqual(['00', '11']);
            await expectError(
              () => second.retrieve?.({ id: `${job.id}-no-such-job` }) as Promise<unknown>,
              'NOT_FOUND',
            );
          } finally {
            await second.close();
          }
        },
        t,
      );

      it(
        'a cancelled job ends cancelled and its wait rejects with JOB_CANCELLED',
        async (ctx) => {
          const b = h.backend;
          if (!b.submit || !b.capabilities.queued) return jobSkip(ctx, 'is not queued');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const job = await b.submit({ circuits: [bell()], shots: 50, seed: SEED });
          await job.cancel();
          expect(job.status).toBe('cancelled');
          await expectError(() => job.wait(), 'JOB_CANCELLED');
          expect(await job.refresh(), 'cancelled is terminal').toBe('cancelled');
        },
        t,
      );

      it(
        'wait past its deadline rejects with TIMEOUT, and with cancelOnStop the job is cancelled',
        async (ctx) => {
          const b = h.backend;
          if (!b.submit || !b.capabilities.queued) return jobSkip(ctx, 'is not queued');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          // A loaded machine may stall past the whole job before the 1 ms deadline is checked, or
          // before the cancel reaches the service; such a job is legitimately completed, so try again
          // with a fresh one (at most three times).
          for (let attempt = 1; ; attempt++) {
            const job = await b.submit({ circuits: [bell()], shots: 50, seed: SEED });
            const outcome = await job.wait({ timeoutMs: 1, cancelOnStop: true }).then(
              () => undefined,
              (error: unknown) => error,
            );
            if (job.status === 'completed' && attempt < 3) continue;
            expect(outcome, 'wait past its deadline rejects').toMatchObject({ code: 'TIMEOUT' });
            expect(job.status).toBe('cancelled');
            break;
          }
        },
        t,
      );

      it(
        'work over maxCostUsd is refused before anything is sent, naming the budget and the estimate',
        async (ctx) => {
          const b = h.backend;
          const price = b.capabilities.costPerShotUsd ?? 0;
          if (!(price > 0)) return jobSkip(ctx, 'declares no costPerShotUsd');
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const before = await options.jobs?.received();
          const circuits = [bell(), bell()];
          const cost = estimateCostUsd(b.capabilities, { shots: 1000, circuits: 2 });
          expect(cost).toBeCloseTo(1000 * 2 * price, 12);
          const refusals: Array<() => Promise<unknown>> = [
            () => b.sample({ circuits, shots: 1000, maxCostUsd: cost / 2 }),
            () =>
              b.estimate?.({
                circuit: bell(),
                observables: [[{ coefficient: 1, paulis: 'XX' }]],
                shots: 1000,
                maxCostUsd: (cost / 2) * 0.999,
              }) ?? Promise.resolve(),
          ];
          if (b.submit)
            refusals.push(() => b.submit?.({ circuits, shots: 1000, maxCostUsd: cost / 2 }) as Promise<unknown>);
          for (const refuse of refusals) {
            const error = await refuse().catch((e: unknown) => e);
            expect(isQStoreError(error) && error.code, String(error)).toBe('BUDGET_EXCEEDED');
            const budget = error as BudgetExceededError;
            expect(budget.budget).toBe('call');
            expect(budget.estimateUsd).toBeGreaterThan(budget.limitUsd);
            expect(budget.message).toMatch(/maxCostUsd/);
          }
          if (options.jobs) expect(await options.jobs.received(), 'a refused call sent nothing').toBe(before);
          // Within the budget the same work goes through.
          const ok = await b.sample({ circuits, shots: 1000, seed: SEED, maxCostUsd: cost });
          expect(ok).toHaveLength(2);
          if (options.jobs) expect(await options.jobs.received()).toBeGreaterThan(before as number);
        },
        t,
      );
    });

    describe('bad input is a typed error', () => {
      const bell = () => new Circuit(2).h(0).cx(0, 1).toJSON();
      const sample = (circuit: unknown, extra: Record<string, unknown> = {}) =>
        h.backend.sample({ circuits: [circuit as CircuitJson], shots: 10, ...extra });

      it(
        'qubit out of range, unknown gate, duplicate qubits, NaN angle',
        async (ctx) => {
          if (!h.supports(['h', 'cx', 'rx'])) return skip(ctx);
          await expectError(
            () => sample({ numQubits: 2, operations: [{ gate: 'h', qubits: [2] }] }),
            'VALIDATION',
            'circuits[0].operations[0].qubits[0]',
          );
          await expectError(
            () => sample({ numQubits: 2, operations: [{ gate: 'frobnicate', qubits: [0] }] }),
            'VALIDATION',
            'circuits[0].operations[0].gate',
          );
          await expectError(() => sample({ numQubits: 2, operations: [{ gate: 'cx', qubits: [1, 1] }] }), 'VALIDATION');
          await expectError(
            () => sample({ numQubits: 2, operations: [{ gate: 'rx', qubits: [0], params: [Number.NaN] }] }),
            'VALIDATION',
            'circuits[0].operations[0].params[0]',
          );
          await expectError(
            () => sample({ numQubits: 2, operations: [{ gate: 'rx', qubits: [0], params: [] }] }),
            'VALIDATION',
          );
        },
        t,
      );

      it(
        'more qubits than capabilities.maxQubits',
        async (ctx) => {
          const max = h.backend.capabilities.maxQubits;
          if (!h.supports(['h'])) return skip(ctx);
          await expectError(
            () => sample({ numQubits: max + 1, operations: [{ gate: 'h', qubits: [0] }] }),
            'VALIDATION',
            'circuits[0].numQubits',
          );
        },
        t,
      );

      it(
        'unbound parameters and parameter lists of the wrong length',
        async (ctx) => {
          if (!h.supports(['ry'])) return skip(ctx);
          const c = new Circuit(1).ry(0, 'theta').toJSON();
          await expectError(() => sample(c), 'VALIDATION', 'parameters.theta');
          await expectError(() => sample(c, { parameters: { other: 1 } }), 'VALIDATION', 'parameters.theta');
          await expectError(
            () => h.backend.sample({ circuits: [c, c], parameters: [{ theta: 1 }], shots: 10 }),
            'VALIDATION',
            'parameters',
          );
        },
        t,
      );

      it(
        'shots must be a positive integer',
        async (ctx) => {
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          for (const shots of [0, -5, 2.5, Number.NaN]) {
            await expectError(() => h.backend.sample({ circuits: [bell()], shots }), 'VALIDATION', 'shots');
          }
          await expectError(() => h.backend.sample({ circuits: [], shots: 10 }), 'VALIDATION', 'circuits');
        },
        t,
      );

      it(
        'observables must be as wide as the circuit',
        async (ctx) => {
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          await expectError(
            () => h.estimate({ circuit: bell(), observables: [[{ coefficient: 1, paulis: 'ZZZ' }]] }),
            'VALIDATION',
            'observables[0][0].paulis',
          );
          await expectError(
            () => h.estimate({ circuit: bell(), observables: [[{ coefficient: 1, paulis: 'ZQ' }]] }),
            'VALIDATION',
            'observables[0][0].paulis',
          );
        },
        t,
      );

      it(
        'an aborted signal rejects with ABORTED',
        async (ctx) => {
          if (!h.supports(['h', 'cx'])) return skip(ctx);
          const controller = new AbortController();
          controller.abort();
          await expectError(
            () => h.backend.sample({ circuits: [bell()], shots: 10, signal: controller.signal }),
            'ABORTED',
          );
          await expectError(
            () =>
              h.estimate({
                circuit: bell(),
                observables: [[{ coefficient: 1, paulis: 'ZZ' }]],
                signal: controller.signal,
              }),
            'ABORTED',
          );
        },
        t,
      );
    });
  });
}
