import {
  type CircuitJson,
  createRng,
  pauli,
  type QuantumBackend,
  type SampleParams,
  ValidationError,
} from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { amplitudeEncoding, angleEncoding } from './encoding.js';
import { expectationGradient, parameterShiftJacobian, spsaGradient } from './gradients.js';
import { VariationalClassifier } from './model.js';

const sim = new StateVectorSimulator();

/** Central finite differences of the model's mean loss (h = 1e-5; exact estimates). */
async function finiteDifferenceLoss(
  model: VariationalClassifier,
  parameters: Float64Array,
  features: number[][],
  labels: number[],
): Promise<Float64Array> {
  const h = 1e-5;
  const out = new Float64Array(parameters.length);
  for (let p = 0; p < parameters.length; p++) {
    const plus = Float64Array.from(parameters);
    const minus = Float64Array.from(parameters);
    plus[p] = (plus[p] as number) + h;
    minus[p] = (minus[p] as number) - h;
    const lp = (await model.evaluate({ parameters: plus, features, labels })).loss;
    const lm = (await model.evaluate({ parameters: minus, features, labels })).loss;
    out[p] = (lp - lm) / (2 * h);
  }
  return out;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('loss gradients: adjoint = parameter shift = finite differences of the loss', () => {
  const cases = [
    {
      name: '3 classes, angle encoding (RY+RZ), trained scale and biases',
      model: () =>
        new VariationalClassifier({
          encoding: angleEncoding({ numFeatures: 4, rotations: 'yz' }),
          layers: 2,
          numClasses: 3,
          backend: sim,
        }),
      features: (rng: ReturnType<typeof createRng>) => Array.from({ length: 4 }, () => Math.PI * rng.float()),
      classes: 3,
    },
    {
      name: 'binary, amplitude encoding of 8 features, fixed scale, no bias',
      model: () =>
        new VariationalClassifier({
          encoding: amplitudeEncoding({ numFeatures: 8 }),
          layers: 3,
          numClasses: 2,
          backend: sim,
          readoutScale: 2.5,
          trainableScale: false,
          bias: false,
        }),
      features: (rng: ReturnType<typeof createRng>) => Array.from({ length: 8 }, () => rng.normal()),
      classes: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const rng = createRng(42);
      const model = c.model();
      const parameters = model.initialParameters({ seed: 3, spread: Math.PI });
      // Non-zero biases and a scale off its initial value, so the head's gradient is exercised too.
      for (let i = model.quantumParameterNames.length; i < parameters.length; i++) parameters[i] = rng.normal();
      const features = Array.from({ length: 3 }, () => c.features(rng));
      const labels = Array.from({ length: 3 }, (_, i) => i % c.classes);
      const adjoint = await model.lossAndGradient({ parameters, features, labels, method: 'adjoint' });
      const shift = await model.lossAndGradient({ parameters, features, labels, method: 'parameter-shift' });
      const fd = await finiteDifferenceLoss(model, parameters, features, labels);
      expect(adjoint.gradient).toHaveLength(model.numParameters);
      // A zero (or missing) gradient fails here: every method must see a clearly non-zero slope.
      expect(norm(adjoint.gradient)).toBeGreaterThan(0.05);
      expect(maxAbsDiff(adjoint.gradient, fd)).toBeLessThan(1e-6);
      expect(maxAbsDiff(shift.gradient, fd)).toBeLessThan(1e-6);
      expect(maxAbsDiff(adjoint.gradient, shift.gradient)).toBeLessThan(1e-10);
      // Most single components are non-zero as well (not just one lucky entry).
      const nonZero = Array.from(fd).filter((g) => Math.abs(g) > 1e-4).length;
      expect(nonZero).toBeGreaterThan(model.numParameters / 2);
      expect(adjoint.loss).toBeCloseTo((await model.evaluate({ parameters, features, labels })).loss, 12);
    });
  }
});

describe('parameter-shift Jacobian on expectation values', () => {
  const circuit: CircuitJson = {
    numQubits: 2,
    operations: [
      { gate: 'h', qubits: [0] },
      { gate: 'ry', qubits: [0], params: ['2*a + 0.3'] },
      { gate: 'rz', qubits: [1], params: ['-b'] },
      { gate: 'cx', qubits: [0, 1] },
      { gate: 'rx', qubits: [1], params: ['a'] },
      { gate: 'rzz', qubits: [0, 1], params: ['0.5*b - 1'] },
      { gate: 'ry', qubits: [1], params: ['c'] },
    ],
  };
  const observables = [[pauli('ZI')], [pauli('XX', 0.5), pauli('IZ')], [pauli('YZ')]];
  const parameters = { a: 0.4, b: -1.1, c: 2.2 };

  it('matches the simulator adjoint for repeated parameters with coefficients and offsets', async () => {
    const wrt = ['c', 'a', 'b'];
    const exact = await expectationGradient({ backend: sim, circuit, observables, parameters, wrt, method: 'adjoint' });
    const shifted = await parameterShiftJacobian({
      backend: sim,
      circuit,
      observables,
      parameters,
      wrt,
      method: 'parameter-shift',
    });
    expect(norm(exact.jacobian.flat())).toBeGreaterThan(0.5);
    for (let o = 0; o < observables.length; o++) {
      expect(maxAbsDiff(shifted.jacobian[o] as number[], exact.jacobian[o] as number[])).toBeLessThan(1e-12);
      expect(shifted.values[o]).toBeCloseTo(exact.values[o] as number, 12);
    }
  });

  it('works on a backend that can only sample (estimates from shots), and refuses adjoint there', async () => {
    const sampleOnly: QuantumBackend = {
      type: 'sample-only',
      capabilities: { ...sim.capabilities, exact: false, gradientMethods: [] },
      sample: (p: SampleParams) => sim.sample(p),
      close: async () => {},
    };
    const wrt = ['a', 'b'];
    const exact = await expectationGradient({ backend: sim, circuit, observables, parameters, wrt, method: 'adjoint' });
    const sampled = await expectationGradient({
      backend: sampleOnly,
      circuit,
      observables,
      parameters,
      wrt,
      method: 'parameter-shift',
      shots: 40_000,
      seed: 5,
    });
    for (let o = 0; o < observables.length; o++) {
      expect(maxAbsDiff(sampled.jacobian[o] as number[], exact.jacobian[o] as number[])).toBeLessThan(0.05);
    }
    await expect(
      expectationGradient({ backend: sampleOnly, circuit, observables, parameters, wrt, method: 'adjoint' }),
    ).rejects.toThrow(/does not offer adjoint/);
  });

  it('refuses an adjoint result that lacks a wrt parameter (instead of a silent 0)', async () => {
    const dropping: QuantumBackend = {
      ...sim,
      type: 'dropping',
      capabilities: sim.capabilities,
      sample: (p: SampleParams) => sim.sample(p),
      close: async () => {},
      gradient: async (p) => {
        const r = await sim.gradient(p);
        return { ...r, parameterNames: r.parameterNames.slice(1), gradients: r.gradients.map((row) => row.slice(1)) };
      },
    };
    const error = await expectationGradient({
      backend: dropping,
      circuit,
      observables,
      parameters,
      wrt: ['a', 'b'],
      method: 'adjoint',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe('wrt');
    expect(String((error as Error).message) + JSON.stringify((error as ValidationError).issues)).toMatch(/"a"/);
  });

  it('refuses adjoint with shots (adjoint is exact; it would silently ignore them)', async () => {
    const request = { backend: sim, circuit, observables, parameters, wrt: ['a', 'b'] };
    const error = await expectationGradient({ ...request, method: 'adjoint', shots: 100, seed: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe('method');
    // Parameter shift with shots estimates from samples: not the exact values.
    const exact = await expectationGradient({ ...request, method: 'adjoint' });
    const sampled = await expectationGradient({ ...request, method: 'parameter-shift', shots: 100, seed: 1 });
    expect(sampled.values).not.toEqual(exact.values);
  });

  it('differentiates the controlled rotations (four-term rule) like the adjoint and finite differences', async () => {
    const controlled: CircuitJson = {
      numQubits: 2,
      operations: [
        { gate: 'h', qubits: [0] },
        { gate: 'ry', qubits: [1], params: [0.7] },
        { gate: 'crx', qubits: [0, 1], params: ['a'] },
        { gate: 'cry', qubits: [1, 0], params: ['2*b - 0.2'] },
        { gate: 'crz', qubits: [0, 1], params: ['a + 0.5'] },
        { gate: 'h', qubits: [1] },
      ],
    };
    const at = { a: 0.9, b: -0.6 };
    const request = { backend: sim, circuit: controlled, observables, parameters: at, wrt: ['a', 'b'] };
    const shifted = await parameterShiftJacobian({ ...request, method: 'parameter-shift' });
    const exact = await expectationGradient({ ...request, method: 'adjoint' });
    expect(norm(exact.jacobian.flat())).toBeGreaterThan(0.1);
    const h = 1e-6;
    for (const [p, name] of ['a', 'b'].entries()) {
      const plus = (
        await sim.estimate({
          circuit: controlled,
          observables,
          parameters: { ...at, [name]: ((at as Record<string, number>)[name] as number) + h },
        })
      ).values;
      const minus = (
        await sim.estimate({
          circuit: controlled,
          observables,
          parameters: { ...at, [name]: ((at as Record<string, number>)[name] as number) - h },
        })
      ).values;
      for (let o = 0; o < observables.length; o++) {
        const fd = ((plus[o] as number) - (minus[o] as number)) / (2 * h);
        expect(Math.abs((shifted.jacobian[o]?.[p] as number) - fd)).toBeLessThan(1e-8);
        expect(Math.abs((shifted.jacobian[o]?.[p] as number) - (exact.jacobian[o]?.[p] as number))).toBeLessThan(1e-12);
      }
    }
  });
});

describe('SPSA gradient estimate', () => {
  it('is unbiased on a quadratic: the mean of many estimates approaches the true gradient', async () => {
    const weights = [1, -2, 0.5, 3];
    const loss = async (p: Float64Array) => p.reduce((s, x, i) => s + (weights[i] as number) * x * x, 0);
    const parameters = Float64Array.of(0.3, -0.7, 1.2, 0.1);
    const truth = Array.from(parameters, (x, i) => 2 * (weights[i] as number) * x);
    const rng = createRng(9);
    const mean = new Float64Array(4);
    const runs = 4000;
    for (let r = 0; r < runs; r++) {
      const { gradient, lossPlus, lossMinus } = await spsaGradient({ loss, parameters, perturbation: 0.05, rng });
      expect(lossPlus).not.toBe(lossMinus);
      for (let i = 0; i < 4; i++) mean[i] = (mean[i] as number) + (gradient[i] as number) / runs;
    }
    // Standard error per component ≈ ‖g‖/√runs ≈ 0.05.
    expect(maxAbsDiff(mean, truth)).toBeLessThan(0.2);
    expect(norm(truth)).toBeGreaterThan(2);
  });
});
