import { describe, expect, it } from 'vitest';
import { ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import {
  bindCircuitJson,
  bindOwnedCircuitJson,
  Circuit,
  formatParameterExpression,
  parseParameterExpression,
  validateCircuitJson,
} from './circuit.js';
import { GATE_NAMES, GATES } from './gates.js';
import { simulate, unitaryColumns, unitaryDistance } from './reference-sim.test-helper.js';

function randomCircuit(n: number, seed: number, symbolic = false): Circuit {
  const rng = createRng(seed);
  const c = new Circuit(n);
  let k = 0;
  for (const name of [...GATE_NAMES, ...GATE_NAMES]) {
    const g = GATES[name];
    const qubits = rng.shuffle([...Array(n).keys()]).slice(0, g.numQubits);
    const params = Array.from({ length: g.numParams }, () =>
      symbolic && rng.float() < 0.5 ? `${(rng.float() * 2 - 1).toFixed(3)}*w${k++ % 5} + 0.25` : rng.float() * 6 - 3,
    );
    c.append(name, qubits, params);
  }
  return c;
}

function expectValidation(run: () => unknown, field: string | RegExp): ValidationError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.code).toBe('VALIDATION');
  const fields = error.issues.map((i) => i.field);
  if (typeof field === 'string') expect(fields).toContain(field);
  else
    expect(
      fields.some((f) => field.test(f)),
      fields.join(', '),
    ).toBe(true);
  return error;
}

describe('parameter expressions', () => {
  it('parses [k*]name[ ± c] and formats it back', () => {
    expect(parseParameterExpression('theta')).toEqual({ name: 'theta', coefficient: 1, offset: 0 });
    expect(parseParameterExpression('-theta')).toEqual({ name: 'theta', coefficient: -1, offset: 0 });
    expect(parseParameterExpression('2*theta')).toEqual({ name: 'theta', coefficient: 2, offset: 0 });
    expect(parseParameterExpression(' -0.5 * w[3] - 1e-3 ')).toEqual({
      name: 'w[3]',
      coefficient: -0.5,
      offset: -0.001,
    });
    expect(parseParameterExpression('theta + 1.5')).toEqual({ name: 'theta', coefficient: 1, offset: 1.5 });
    for (const bad of ['2theta', 'theta*2', 'a+b', '', '3', 'theta + x', 'θ']) {
      expect(parseParameterExpression(bad), bad).toBeUndefined();
    }
    for (const text of ['theta', '-theta', '2*theta', '-0.5*w[3] - 0.001', 'x + 3.141592653589793']) {
      const e = parseParameterExpression(text);
      expect(e).toBeDefined();
      if (e) expect(parseParameterExpression(formatParameterExpression(e))).toEqual(e);
    }
  });
});

describe('Circuit', () => {
  it('builds with chainable typed methods and round-trips through JSON', () => {
    const c = new Circuit(3).h(0).cx(0, 1).ry(2, 'theta').rz(1, '2*phi').u(0, 0.1, 0.2, 0.3).ms(1, 2, 0.1, 0.2);
    c.barrier().measure(0, 1);
    const json = c.toJSON();
    expect(json.operations[0]).toEqual({ gate: 'h', qubits: [0] });
    expect(json.operations[5]).toEqual({ gate: 'ms', qubits: [1, 2], params: [0.1, 0.2, Math.PI / 2] });
    expect(json.operations[6]).toEqual({ gate: 'barrier', qubits: [0, 1, 2] });
    const again = Circuit.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(again.toJSON()).toEqual(json);
    expect(c.parameters).toEqual(['theta', 'phi']);
    expect(c.isBound).toBe(false);
    // toJSON is a copy
    json.operations.pop();
    expect(c.size).toBe(9);
  });

  it('binds parameters by name, partially, and rejects names the circuit lacks', () => {
    const c = new Circuit(2).ry(0, 'a').rz(1, '-2*b + 0.5').rx(0, 'a');
    const partial = c.bind({ a: 0.3 });
    expect(partial.parameters).toEqual(['b']);
    expect(partial.toJSON().operations.map((o) => o.params?.[0])).toEqual([0.3, '-2*b + 0.5', 0.3]);
    const full = partial.bind({ b: 1 });
    expect(full.isBound).toBe(true);
    expect(full.toJSON().operations[1]?.params?.[0]).toBeCloseTo(-1.5, 15);
    expectValidation(() => c.bind({ typo: 1 }), 'parameters.typo');
    expectValidation(() => c.bind({ a: Number.NaN }), 'parameters.a');
    expectValidation(() => bindCircuitJson(c.toJSON(), { a: 1 }, { complete: true }), 'parameters.b');
    // complete binding ignores extra names (one binding may serve several circuits)
    expect(bindCircuitJson(c.toJSON(), { a: 1, b: 2, other: 3 }, { complete: true }).operations[0]?.params).toEqual([
      1,
    ]);
  });

  it('rejects bad operations with typed errors naming the field', () => {
    expectValidation(() => new Circuit(0), 'numQubits');
    expectValidation(() => new Circuit(2).h(2), 'operations[0].qubits[0]');
    expectValidation(() => new Circuit(2).cx(1, 1), 'operations[0].qubits[1]');
    expectValidation(() => new Circuit(2).rx(0, Number.NaN), 'operations[0].params[0]');
    expectValidation(() => new Circuit(2).rx(0, Number.POSITIVE_INFINITY), 'operations[0].params[0]');
    expectValidation(() => new Circuit(2).rx(0, '2theta'), 'operations[0].params[0]');
    expectValidation(() => new Circuit(2).h(0).measure(0).x(0), 'operations[2]');
    expectValidation(() => new Circuit(2).append('frob' as never, [0]), 'operations[0].gate');
    expectValidation(() => new Circuit(2).append('cx', [0]), 'operations[0].qubits');
    expectValidation(() => new Circuit(2).append('rx', [0], []), 'operations[0].params');
    const many = expectValidation(
      () =>
        validateCircuitJson({
          numQubits: 2,
          operations: [
            { gate: 'h', qubits: [5] },
            { gate: 'nope', qubits: [0] },
            { gate: 'rx', qubits: [0], params: [Number.NaN] },
            { gate: 'cx', qubits: [0, 0] },
          ],
        }),
      'circuit.operations[0].qubits[0]',
    );
    expect(many.issues.length).toBeGreaterThanOrEqual(4);
    expectValidation(
      () => validateCircuitJson({ numQubits: 40, operations: [] }, { maxQubits: 30 }),
      'circuit.numQubits',
    );
    expectValidation(
      () =>
        validateCircuitJson(
          { numQubits: 2, operations: [{ gate: 'ms', qubits: [0, 1], params: [0, 0, 1] }] },
          { gates: ['h'] },
        ),
      'circuit.operations[0].gate',
    );
    expectValidation(
      () => Circuit.fromJSON({ numQubits: 1, operations: [{ gate: 'h', qubits: [0], extra: 1 }] }),
      'circuit.operations[0].extra',
    );
    expectValidation(
      () =>
        validateCircuitJson(
          { numQubits: 1, operations: [{ gate: 'ry', qubits: [0], params: ['t'] }] },
          { requireBound: true },
        ),
      'circuit.operations[0].params[0]',
    );
  });

  it('inverse undoes the circuit exactly: U†·U = I, for numeric and symbolic angles', () => {
    const c = randomCircuit(3, 11);
    const product = c.compose(c.inverse());
    const identity = new Circuit(3).toJSON();
    expect(unitaryDistance(unitaryColumns(product.toJSON()), unitaryColumns(identity))).toBeLessThan(1e-12);
    // Without the global-phase allowance: U†U|0⟩ is exactly |0⟩ (no phase).
    const state = simulate(product.toJSON());
    expect(state.re[0]).toBeCloseTo(1, 12);
    expect(state.im[0]).toBeCloseTo(0, 12);
    const s = randomCircuit(3, 12, true);
    const values = Object.fromEntries(s.parameters.map((p, i) => [p, 0.3 + i]));
    const viaSymbolic = s.inverse().bind(values);
    const viaBound = s.bind(values).inverse();
    expect(unitaryDistance(unitaryColumns(viaSymbolic.toJSON()), unitaryColumns(viaBound.toJSON()))).toBeLessThan(
      1e-12,
    );
    expectValidation(() => new Circuit(1).h(0).measure(0).inverse(), 'operations[1]');
  });

  it('composes with a qubit map, and reports depth and operation counts', () => {
    const bell = new Circuit(2).h(0).cx(0, 1);
    const c = new Circuit(3).x(2).compose(bell, [2, 0]);
    expect(c.toJSON().operations).toEqual([
      { gate: 'x', qubits: [2] },
      { gate: 'h', qubits: [2] },
      { gate: 'cx', qubits: [2, 0] },
    ]);
    expect(c.depth()).toBe(3);
    expect(new Circuit(3).h(0).h(1).h(2).cx(0, 1).depth()).toBe(2);
    // a barrier aligns but adds no layer
    expect(new Circuit(2).h(0).barrier().h(1).depth()).toBe(2);
    expect(new Circuit(2).h(0).h(1).depth()).toBe(1);
    expect(new Circuit(2).h(0).h(1).cx(0, 1).measure().countOps()).toEqual({ h: 2, cx: 1, measure: 2 });
    expectValidation(() => c.compose(bell, [0]), 'qubits');
  });
});

describe('validation of long circuits (allocation-free check of valid operations, full check of the rest)', () => {
  type Json = { numQubits: number; operations: Array<Record<string, unknown>> };
  /** One bad operation at index i of a valid circuit, and the field its error must name. */
  /** Sets fields of operation i; the error must name `suffix` under that operation. */
  const set =
    (fields: Record<string, unknown>, suffix: string) =>
    (c: Json, i: number): string => {
      Object.assign(opAt(c, i), fields);
      return suffix;
    };
  const mutations: Array<{ name: string; apply: (c: Json, i: number) => string }> = [
    { name: 'qubit out of range', apply: (c, i) => setQubit0(c, i, c.numQubits) },
    { name: 'non-integer qubit', apply: (c, i) => setQubit0(c, i, 0.5) },
    { name: 'negative qubit', apply: (c, i) => setQubit0(c, i, -1) },
    { name: 'repeated qubit', apply: set({ gate: 'cx', qubits: [1, 1], params: undefined }, 'qubits[1]') },
    { name: 'wrong arity', apply: set({ gate: 'cx', qubits: [0], params: undefined }, 'qubits') },
    { name: 'unknown gate', apply: set({ gate: 'frob' }, 'gate') },
    { name: 'unknown field', apply: set({ extra: 1 }, 'extra') },
    { name: 'qubits not an array', apply: set({ qubits: 3 }, 'qubits') },
    { name: 'params not an array', apply: set({ gate: 'rx', qubits: [0], params: 'a' }, 'params') },
    { name: 'too few angles', apply: set({ gate: 'rx', qubits: [0], params: [] }, 'params') },
    { name: 'NaN angle', apply: set({ gate: 'rx', qubits: [0], params: [Number.NaN] }, 'params[0]') },
    { name: 'bad expression', apply: set({ gate: 'rx', qubits: [0], params: ['2theta'] }, 'params[0]') },
    { name: 'angle of the wrong type', apply: set({ gate: 'rx', qubits: [0], params: [true] }, 'params[0]') },
    {
      name: 'not an object',
      apply: (c, i) => {
        c.operations[i] = null as never;
        return '';
      },
    },
    {
      name: 'gate after a measurement',
      apply: (c, i) => {
        c.operations.splice(i, 0, { gate: 'measure', qubits: [0] });
        Object.assign(opAt(c, i + 1), { gate: 'h', qubits: [0], params: undefined });
        return `#${i + 1}`;
      },
    },
  ];

  function opAt(c: Json, i: number): Record<string, unknown> {
    return c.operations[i] as Record<string, unknown>;
  }

  function setQubit0(c: Json, i: number, q: number): string {
    const qubits = [...(opAt(c, i).qubits as number[])];
    qubits[0] = q;
    opAt(c, i).qubits = qubits;
    return 'qubits[0]';
  }

  function longCircuit(seed: number): Json {
    return randomCircuit(4, seed, true).toJSON() as unknown as Json;
  }

  it('names the field of one bad operation anywhere in a long circuit, for every kind of problem', () => {
    const rng = createRng(5);
    for (const m of mutations) {
      for (let trial = 0; trial < 4; trial++) {
        const c = longCircuit(trial);
        const i = rng.int(0, c.operations.length - 1);
        const suffix = m.apply(c, i);
        const field = suffix.startsWith('#')
          ? `circuit.operations[${suffix.slice(1)}]`
          : `circuit.operations[${i}]${suffix === '' ? '' : `.${suffix}`}`;
        const error = expectValidation(() => validateCircuitJson(c), field);
        if (suffix.startsWith('#')) {
          // every later gate on the measured qubit is reported too; the first one is this one
          expect(error.issues[0]?.field, m.name).toBe(field);
        } else {
          expect(error.issues, `${m.name}: only the bad operation is reported`).toHaveLength(1);
        }
      }
    }
  });

  it('checks gates against the allowed list and angles against requireBound in every operation', () => {
    const c = longCircuit(1);
    const gates = Object.freeze(GATE_NAMES.filter((g) => g !== 'cz'));
    const at = c.operations.findIndex((op) => op.gate === 'cz');
    expect(at).toBeGreaterThan(0);
    expectValidation(() => validateCircuitJson(c, { gates }), `circuit.operations[${at}].gate`);
    // another frozen list is another set: cz allowed again
    expect(validateCircuitJson(c, { gates: Object.freeze([...GATE_NAMES]) }).operations).toHaveLength(
      c.operations.length,
    );
    const symbolic = c.operations.findIndex((op) =>
      (op.params as unknown[] | undefined)?.some((p) => typeof p === 'string'),
    );
    expect(symbolic).toBeGreaterThanOrEqual(0);
    const error = expectValidation(() => validateCircuitJson(c, { requireBound: true }), /params\[\d\]$/);
    expect(error.issues[0]?.field.startsWith(`circuit.operations[${symbolic}].`)).toBe(true);
  });

  it('returns a deep copy, and bindOwnedCircuitJson binds that copy in place like bindCircuitJson', () => {
    const json = randomCircuit(3, 4, true).toJSON();
    const before = JSON.stringify(json);
    const copy = validateCircuitJson(json);
    expect(copy).toEqual(json);
    expect(copy.operations[0]).not.toBe(json.operations[0]);
    expect(copy.operations[0]?.qubits).not.toBe(json.operations[0]?.qubits);
    const values = { w0: 0.1, w1: -0.2, w2: 0.3, w3: 0.4, w4: 0.5 };
    const expected = bindCircuitJson(json, values, { complete: true });
    const bound = bindOwnedCircuitJson(copy, values, { complete: true });
    expect(bound).toBe(copy);
    expect(bound).toEqual(expected);
    expect(bound.operations.every((op) => (op.params ?? []).every((p) => typeof p === 'number'))).toBe(true);
    expect(JSON.stringify(json)).toBe(before); // the input is untouched
    // the same errors as bindCircuitJson
    expectValidation(
      () => bindOwnedCircuitJson(validateCircuitJson(json), { w0: 1 }, { complete: true }),
      'parameters.w1',
    );
    expectValidation(
      () => bindOwnedCircuitJson(validateCircuitJson(json), { ...values, w0: Number.NaN }),
      'parameters.w0',
    );
  });
});
