import { describe, expect, it } from 'vitest';
import { BaseQuantumBackend, type EstimateRequest, type SampleRequest } from './base-quantum-backend.js';
import { GATE_NAMES, GATES } from './gates.js';
import { shiftRule } from './parameter-shift.js';
import type { CircuitJson, QuantumCapabilities, SampleResult } from './quantum-backend.js';
import { ReferenceBackend } from './reference-sim.test-helper.js';

/** A backend with only `doSample` and exact estimates from the reference simulator: gradients come from the template. */
class ShiftOnly extends BaseQuantumBackend {
  readonly type = 'shift-only';
  private readonly reference = new ReferenceBackend();
  readonly capabilities: QuantumCapabilities = {
    ...this.reference.capabilities,
    gradientMethods: ['parameter-shift', 'finite-difference'],
    costPerShotUsd: 0.001,
  };
  sent = 0;
  constructor(maxCostUsd?: number) {
    super(maxCostUsd === undefined ? {} : { maxCostUsd });
  }
  protected override doSample(request: SampleRequest): Promise<SampleResult[]> {
    this.sent++;
    return this.reference.sample({ circuits: request.circuits, shots: request.shots });
  }
  protected override doEstimate(request: EstimateRequest) {
    return this.reference.estimate({ circuit: request.circuit, observables: request.observables });
  }
}

describe('the general parameter-shift rule', () => {
  it('R = 1 is ½[f(θ + π/2) − f(θ − π/2)]; the controlled rotations have the four-term rule', () => {
    const [[s1, w1], [s2, w2]] = shiftRule('ry', 0) as [[number, number], [number, number]];
    expect(s1).toBeCloseTo(Math.PI / 2, 15);
    expect(w1).toBeCloseTo(0.5, 15);
    expect(s2).toBeCloseTo((3 * Math.PI) / 2, 15);
    expect(w2).toBeCloseTo(-0.5, 15);
    const a = (Math.SQRT2 + 1) / (4 * Math.SQRT2);
    const b = (Math.SQRT2 - 1) / (4 * Math.SQRT2);
    for (const gate of ['crx', 'cry', 'crz'] as const) {
      const rule = shiftRule(gate, 0);
      expect(rule.map(([s]) => s)).toEqual([1, 3, 5, 7].map((k) => expect.closeTo((k * Math.PI) / 2, 12)));
      expect(rule.map(([, w]) => w)).toEqual([a, -b, b, -a].map((w) => expect.closeTo(w, 12)));
    }
    for (const name of GATE_NAMES) {
      for (let j = 0; j < GATES[name].numParams; j++) expect(shiftRule(name, j).length).toBeGreaterThanOrEqual(2);
    }
  });

  it("every parameterised gate's rule agrees with finite differences through BaseQuantumBackend's default gradient", async () => {
    const backend = new ShiftOnly();
    const observables = [
      [{ coefficient: 1, paulis: 'ZZ' }],
      [
        { coefficient: 0.7, paulis: 'XY' },
        { coefficient: -0.4, paulis: 'YI' },
      ],
    ];
    let checked = 0;
    let largest = 0;
    for (const name of GATE_NAMES) {
      const info = GATES[name];
      if (info.numParams === 0 || info.numQubits > 2) continue;
      for (let j = 0; j < info.numParams; j++) {
        const params: Array<number | string> = Array.from({ length: info.numParams }, (_, k) => 0.3 + 0.4 * k);
        params[j] = '1.5*t - 0.2';
        const circuit: CircuitJson = {
          numQubits: 2,
          operations: [
            { gate: 'h', qubits: [0] },
            { gate: 'ry', qubits: [1], params: [0.8] },
            { gate: name, qubits: info.numQubits === 1 ? [1] : [0, 1], params },
            { gate: 'rx', qubits: [0], params: [0.5] },
          ],
        };
        const g = await backend.gradient({ circuit, observables, parameters: { t: 0.9 } });
        const fd = await backend.gradient({
          circuit,
          observables,
          parameters: { t: 0.9 },
          method: 'finite-difference',
        });
        for (let o = 0; o < 2; o++) {
          expect(
            Math.abs((g.gradients[o]?.[0] as number) - (fd.gradients[o]?.[0] as number)),
            `${name}[${j}]`,
          ).toBeLessThan(1e-7);
        }
        largest = Math.max(largest, ...g.gradients.map((row) => Math.abs(row[0] as number)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
    expect(largest, 'the gradients are not trivially zero').toBeGreaterThan(0.1);
    expect(backend.sent, 'exact estimates send no sample jobs').toBe(0);
  });
});

describe('BaseQuantumBackend', () => {
  const bell: CircuitJson = {
    numQubits: 2,
    operations: [
      { gate: 'h', qubits: [0] },
      { gate: 'cx', qubits: [0, 1] },
    ],
  };

  it('closed: every call is CLOSED, close twice is fine', async () => {
    const backend = new ShiftOnly();
    await backend.close();
    await backend.close();
    expect(backend.isClosed).toBe(true);
    await expect(backend.sample({ circuits: [bell], shots: 10 })).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(
      backend.estimate({ circuit: bell, observables: [[{ coefficient: 1, paulis: 'ZZ' }]] }),
    ).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(backend.retrieve({ id: 'x' })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it("the backend's maxCostUsd option is the per-call budget when a call gives none; the call's own wins", async () => {
    const backend = new ShiftOnly(0.5);
    const error = await backend.sample({ circuits: [bell, bell], shots: 1000 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'call', limitUsd: 0.5, estimateUsd: 2 });
    expect(error.message).toMatch(/1000 shots × 2 circuits × \$0\.001 per shot/);
    expect(backend.sent).toBe(0);
    expect(await backend.sample({ circuits: [bell, bell], shots: 1000, maxCostUsd: 2 })).toHaveLength(2);
    expect(backend.sent).toBe(1);
    await expect(backend.sample({ circuits: [bell], shots: 10, maxCostUsd: -1 })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(() => new ShiftOnly(Number.NaN)).toThrow(/maxCostUsd/);
  });

  it('a gradient is priced over all its evaluations before any is sent', async () => {
    const backend = new ShiftOnly();
    const circuit: CircuitJson = {
      numQubits: 2,
      operations: [
        { gate: 'ry', qubits: [0], params: ['a'] },
        { gate: 'crx', qubits: [0, 1], params: ['b'] },
      ],
    };
    // 1 centre + 2 (ry) + 4 (crx) evaluations × 1 group × 100 shots × $0.001 = $0.7
    const error = await backend
      .gradient({
        circuit,
        observables: [[{ coefficient: 1, paulis: 'ZZ' }]],
        parameters: { a: 1, b: 2 },
        shots: 100,
        maxCostUsd: 0.69,
      })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', estimateUsd: expect.closeTo(0.7, 12) });
    expect(backend.sent).toBe(0);
  });
});
