import { describe, expect, it } from 'vitest';
import { ValidationError } from '../shared/errors.js';
import { pauliExpectation } from '../testing/quantum-math.js';
import { Circuit } from './circuit.js';
import { estimateFromSamples } from './estimate-from-samples.js';
import { observableFromString, pauli, pauliAt, validateObservables } from './observable.js';
import type { Observable, SampleParams } from './quantum-backend.js';
import { validateGradientParams, validateSampleParams } from './quantum-validation.js';
import { ReferenceBackend, simulate } from './reference-sim.test-helper.js';

describe('observables', () => {
  it('parses Pauli sums with qubit 0 rightmost and validates width and letters', () => {
    expect(observableFromString('0.5*ZZ + 0.3*XI - YY')).toEqual([
      { coefficient: 0.5, paulis: 'ZZ' },
      { coefficient: 0.3, paulis: 'XI' },
      { coefficient: -1, paulis: 'YY' },
    ]);
    expect(observableFromString('-2 ZIX')).toEqual([{ coefficient: -2, paulis: 'ZIX' }]);
    expect(pauliAt('ZIX', 0)).toBe('X');
    expect(pauliAt('ZIX', 2)).toBe('Z');
    expect(pauli('XY', 2)).toEqual({ coefficient: 2, paulis: 'XY' });
    expect(() => observableFromString('ZZ + XII')).toThrow(ValidationError);
    expect(() => observableFromString('0.5*ZQ')).toThrow(ValidationError);
    expect(() => observableFromString('')).toThrow(ValidationError);
    expect(() => pauli('ZA')).toThrow(ValidationError);
    let caught: unknown;
    try {
      validateObservables([[{ coefficient: Number.NaN, paulis: 'ZZZ' }], []], 2);
    } catch (error) {
      caught = error;
    }
    const fields = (caught as ValidationError).issues.map((i) => i.field);
    expect(fields).toEqual(['observables[0][0].coefficient', 'observables[0][0].paulis', 'observables[1]']);
  });
});

/** Wraps a backend, counting the circuits it is asked to sample. */
class CountingBackend extends ReferenceBackend {
  circuitsSampled = 0;
  override async sample(params: SampleParams) {
    this.circuitsSampled += params.circuits.length;
    return super.sample(params);
  }
}

describe('estimateFromSamples', () => {
  const circuit = new Circuit(3).ry(0, 0.7).rx(1, 1.3).cx(0, 2).ry(2, 0.4).cx(1, 0).s(1).measure().toJSON();
  const observables: Observable[] = [
    observableFromString('ZZI + 0.5*IIZ - 0.25*III'),
    observableFromString('XIX - 0.7*YYI'),
    observableFromString('2*IYZ'),
  ];
  const exact = () => {
    const state = simulate(circuit);
    return observables.map((o) => o.reduce((s, t) => s + t.coefficient * pauliExpectation(state, t.paulis), 0));
  };

  it('matches the exact values within a few standard errors, with honest standard errors', async () => {
    const backend = new CountingBackend({ exact: false });
    const shots = 20_000;
    const result = await estimateFromSamples(backend, { circuit, observables, shots, seed: 5 });
    const want = exact();
    result.values.forEach((v, i) => {
      const se = result.standardErrors[i] as number;
      expect(se).toBeGreaterThan(0);
      expect(Math.abs(v - (want[i] as number)), `observable ${i}`).toBeLessThan(4.5 * se);
    });
    // single term: SE = |c|·sqrt((1 − ⟨P⟩²)/shots)
    const p = (want[2] as number) / 2;
    expect(result.standardErrors[2]).toBeCloseTo(2 * Math.sqrt((1 - p * p) / shots), 3);
    // ZZI, IIZ share the Z basis; XIX and YYI and IYZ do not fit one group: Z, X?Y.. → 3 groups
    expect(backend.circuitsSampled).toBe(3);
    const again = await estimateFromSamples(backend, { circuit, observables, shots, seed: 5 });
    expect(again).toEqual(result);
  });

  it('is exact for identity terms and needs no circuit for them', async () => {
    const backend = new CountingBackend({ exact: false });
    const r = await estimateFromSamples(backend, { circuit, observables: [[{ coefficient: 1.5, paulis: 'III' }]] });
    expect(r).toEqual({ values: [1.5], standardErrors: [0] });
    expect(backend.circuitsSampled).toBe(0);
  });

  it('the standard error shrinks as 1/sqrt(shots) and the estimate converges', async () => {
    const backend = new ReferenceBackend({ exact: false });
    const small = await estimateFromSamples(backend, { circuit, observables, shots: 1000, seed: 1 });
    const large = await estimateFromSamples(backend, { circuit, observables, shots: 64_000, seed: 1 });
    const ratio = (small.standardErrors[1] as number) / (large.standardErrors[1] as number);
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(10);
    expect(Math.abs((large.values[1] as number) - (exact()[1] as number))).toBeLessThan(0.03);
  });

  it('rejects bad requests with typed errors', async () => {
    const backend = new ReferenceBackend({ exact: false });
    await expect(
      estimateFromSamples(backend, { circuit, observables: [[{ coefficient: 1, paulis: 'ZZ' }]] }),
    ).rejects.toThrow(ValidationError);
    await expect(estimateFromSamples(backend, { circuit, observables, shots: 0 })).rejects.toThrow(/shots/);
    const noRotations = new ReferenceBackend({ exact: false });
    Object.defineProperty(noRotations, 'capabilities', {
      value: { ...noRotations.capabilities, gates: ['ry', 'rx', 'cx', 's'] },
    });
    await expect(
      estimateFromSamples(noRotations, { circuit, observables: [observableFromString('XII')] }),
    ).rejects.toThrow(/lacks the h and sdg gates/);
  });
});

describe('request validation', () => {
  const caps = new ReferenceBackend().capabilities;
  it('binds parameters per circuit and checks shots, seed and counts', () => {
    const c = new Circuit(1).ry(0, 't').toJSON();
    const ok = validateSampleParams({ circuits: [c, c], parameters: [{ t: 1 }, { t: 2 }], shots: 5, seed: 3 }, caps);
    expect(ok.circuits.map((x) => x.operations[0]?.params)).toEqual([[1], [2]]);
    expect(() => validateSampleParams({ circuits: [c], parameters: { t: 1 }, shots: 5, seed: 2 ** 31 }, caps)).toThrow(
      /seed/,
    );
    expect(() => validateSampleParams({ circuits: [c], parameters: { t: 1 }, shots: 1e9 }, caps)).toThrow(/limit/);
    expect(() => validateSampleParams(undefined as never, caps)).toThrow(ValidationError);
  });
  it('gradient requests name existing parameters once and an offered method', () => {
    const c = new Circuit(1).ry(0, 't').rz(0, 'u').toJSON();
    const base = { circuit: c, observables: [[{ coefficient: 1, paulis: 'Z' }]], parameters: { t: 1, u: 2 } };
    expect(validateGradientParams(base, caps).wrt).toEqual(['t', 'u']);
    expect(() => validateGradientParams({ ...base, wrt: ['v'] }, caps)).toThrow(/no parameter 'v'/);
    expect(() => validateGradientParams({ ...base, wrt: ['t', 't'] }, caps)).toThrow(/twice/);
    expect(() => validateGradientParams({ ...base, method: 'parameter-shift' }, caps)).toThrow(/not supported/);
  });
});
