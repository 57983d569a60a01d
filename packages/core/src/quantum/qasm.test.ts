import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import { GROVER_QASM, QFT_ROUNDTRIP_QASM, RIPPLE_ADDER_QASM, TELEPORTATION_QASM } from '../testing/qasm-programs.js';
import { pauliExpectation, type StateVector } from '../testing/quantum-math.js';
import { Circuit } from './circuit.js';
import { GATE_NAMES, GATES, gateMatrix } from './gates.js';
import { parseQasm, QasmParseError, toQasm } from './qasm.js';
import {
  applyMatrix,
  basisState,
  probabilities,
  simulate,
  unitaryColumns,
  unitaryDistance,
} from './reference-sim.test-helper.js';

const HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';

function randomCircuit(n: number, seed: number): Circuit {
  const rng = createRng(seed);
  const c = new Circuit(n);
  for (let round = 0; round < 3; round++) {
    for (const name of GATE_NAMES) {
      const g = GATES[name];
      const qubits = rng.shuffle([...Array(n).keys()]).slice(0, g.numQubits);
      c.append(
        name,
        qubits,
        Array.from({ length: g.numParams }, () => rng.float() * 8 - 4),
      );
    }
  }
  return c;
}

/** The unitary of a k-qubit matrix applied to the listed qubits of an n-qubit register, as columns. */
function embedded(n: number, name: string, params: number[], qubits: number[]): StateVector[] {
  return Array.from({ length: 1 << n }, (_, c) => {
    const s = basisState(n, c);
    applyMatrix(s, n, gateMatrix(name, params), qubits);
    return s;
  });
}

function expectParseError(source: string, line: number, message: RegExp): QasmParseError {
  let caught: unknown;
  try {
    parseQasm(source);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(QasmParseError);
  const error = caught as QasmParseError;
  expect(error.code).toBe('VALIDATION');
  expect(error.line).toBe(line);
  expect(error.message).toMatch(message);
  expect(error.issues[0]?.field).toMatch(/^line \d+, column \d+$/);
  return error;
}

function keyOfMax(p: Float64Array, n: number): string {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best.toString(2).padStart(n, '0');
}

describe('OpenQASM 2.0 round trip', () => {
  it('import(export(c)) has the same unitary for random circuits over every gate', () => {
    for (const seed of [1, 2, 3]) {
      const c = randomCircuit(4, seed);
      const text = toQasm(c);
      const back = parseQasm(text).circuit;
      expect(unitaryDistance(unitaryColumns(c.toJSON()), unitaryColumns(back.toJSON()))).toBeLessThan(1e-11);
    }
  });

  it('keeps angles at full precision and maps u/p/cp to u3/u1/cu1', () => {
    const angle = 0.1 + 0.2; // 0.30000000000000004
    const c = new Circuit(2)
      .rx(0, angle)
      .u(1, 1e-7, -2.5e-12, Math.PI)
      .p(0, 0)
      .cp(0, 1, 1 / 3)
      .measure();
    const text = toQasm(c);
    expect(text).toContain('rx(0.30000000000000004) q[0];');
    expect(text).toContain('u3(1.0e-7, -2.5e-12, 3.141592653589793) q[1];');
    expect(text).toContain('u1(0) q[0];');
    expect(text).toContain('cu1(0.3333333333333333) q[0], q[1];');
    expect(text).toContain('measure q[1] -> c[1];');
    const back = parseQasm(text);
    expect(back.circuit.toJSON()).toEqual(c.toJSON());
    expect(back.measurements).toEqual([
      { qubit: 0, clbit: 0 },
      { qubit: 1, clbit: 1 },
    ]);
  });

  it('writes IonQ natives and ryy as gate definitions that re-import exactly', () => {
    const c = new Circuit(2).gpi(0, 0.3).gpi2(1, -1.2).ms(0, 1, 0.4, 1.1, 0.7).ryy(1, 0, 0.9);
    const text = toQasm(c);
    expect(text).toMatch(/gate gpi\(phi\) a/);
    expect(text).toMatch(/gate ms\(phi0, phi1, theta\) a, b/);
    const back = parseQasm(text).circuit;
    expect(unitaryDistance(unitaryColumns(c.toJSON()), unitaryColumns(back.toJSON()))).toBeLessThan(1e-12);
  });

  it('refuses to export symbolic parameters', () => {
    expect(() => toQasm(new Circuit(1).ry(0, 'theta'))).toThrow(/bind them first/);
  });
});

describe('OpenQASM 2.0 import', () => {
  it('maps qelib1 gates without a table entry exactly (controlled gates keep their relative phases)', () => {
    const cases: Array<[string, StateVector[]]> = [
      ['sxdg q[0];', unitaryColumns(new Circuit(2).sx(0).inverse().toJSON())],
      ['u2(0.3, -0.8) q[1];', embedded(2, 'u', [Math.PI / 2, 0.3, -0.8], [1])],
      ['u1(0.7) q[0];', embedded(2, 'p', [0.7], [0])],
      ['cu1(0.7) q[1], q[0];', embedded(2, 'cp', [0.7], [1, 0])],
      ['cu3(0.5, 0.2, -0.4) q[1], q[0];', controlledU(0.5, 0.2, -0.4, 0)],
      ['cu(0.5, 0.2, -0.4, 0) q[1], q[0];', controlledU(0.5, 0.2, -0.4, 0)],
      ['cu(0.5, 0.2, -0.4, 0.9) q[1], q[0];', controlledU(0.5, 0.2, -0.4, 0.9)],
      ['csx q[0], q[1];', controlled1(gateMatrix('sx'), 0, 1)],
      ['ch q[0], q[1];', controlled1(gateMatrix('h'), 0, 1)],
      ['id q[0]; u0(0.4) q[1];', unitaryColumns(new Circuit(2).toJSON())],
    ];
    for (const [body, expected] of cases) {
      const circuit = parseQasm(`${HEADER}qreg q[2];\n${body}\n`).circuit;
      const got = unitaryColumns(circuit.toJSON());
      // exact: compare without a global-phase allowance
      got.forEach((col, c) => {
        for (let r = 0; r < col.re.length; r++) {
          expect(col.re[r], `${body} [${r},${c}]`).toBeCloseTo((expected[c] as StateVector).re[r] as number, 12);
          expect(col.im[r], `${body} [${r},${c}]`).toBeCloseTo((expected[c] as StateVector).im[r] as number, 12);
        }
      });
    }
    const cswap = parseQasm(`${HEADER}qreg q[3];\nx q[0]; x q[1];\ncswap q[0], q[1], q[2];\n`).circuit;
    expect(keyOfMax(probabilities(simulate(cswap.toJSON())), 3)).toBe('101');
  });

  it('broadcasts over registers, maps registers in declaration order, evaluates expressions', () => {
    const program = parseQasm(
      `${HEADER}
qreg a[2]; qreg b[2];
creg c[4];
h a;                 // h on qubits 0, 1
cx a, b;             // cx 0→2, 1→3
cx a[1], b;          // cx 1→2, 1→3
rz(-pi/2 + 2*sin(pi/6)^2) b[1];
U(pi, 0, pi) a[0];
CX a[0], b[0];
barrier a, b[0];
measure b -> c[0];
measure a[0] -> c[3];
`.replace('measure b -> c[0];', 'measure b[0] -> c[0];\nmeasure b[1] -> c[1];'),
    );
    const ops = program.circuit.toJSON().operations;
    expect(program.quantumRegisters).toEqual([
      { name: 'a', size: 2, offset: 0 },
      { name: 'b', size: 2, offset: 2 },
    ]);
    expect(ops.slice(0, 6)).toEqual([
      { gate: 'h', qubits: [0] },
      { gate: 'h', qubits: [1] },
      { gate: 'cx', qubits: [0, 2] },
      { gate: 'cx', qubits: [1, 3] },
      { gate: 'cx', qubits: [1, 2] },
      { gate: 'cx', qubits: [1, 3] },
    ]);
    expect(ops[6]?.gate).toBe('rz');
    expect(ops[6]?.params?.[0]).toBeCloseTo(-Math.PI / 2 + 2 * 0.25, 14);
    expect(ops[7]).toEqual({ gate: 'u', qubits: [0], params: [Math.PI, 0, Math.PI] });
    expect(ops[8]).toEqual({ gate: 'cx', qubits: [0, 2] });
    expect(ops[9]).toEqual({ gate: 'barrier', qubits: [0, 1, 2] });
    expect(program.measurements).toEqual([
      { qubit: 2, clbit: 0 },
      { qubit: 3, clbit: 1 },
      { qubit: 0, clbit: 3 },
    ]);
    const whole = parseQasm(`${HEADER}qreg q[3]; creg m[3]; x q[1]; measure q -> m;`);
    expect(whole.measurements).toEqual([0, 1, 2].map((i) => ({ qubit: i, clbit: i })));
  });

  it('rejects unsupported and malformed programs with errors naming the line', () => {
    expectParseError(`${HEADER}qreg q[1];\ncreg c[1];\nif (c == 1) x q[0];\n`, 5, /'if'.*deferred-measurement/);
    expectParseError(`${HEADER}qreg q[1];\nreset q[0];\n`, 4, /'reset' is not supported/);
    expectParseError(`${HEADER}opaque magic q;\n`, 3, /'opaque'/);
    expectParseError('OPENQASM 2.0;\ninclude "stdgates.inc";\n', 2, /only "qelib1.inc"/);
    expectParseError('OPENQASM 3.0;\n', 1, /version 3.0/);
    expectParseError('qreg q[1];\n', 1, /missing the header/);
    expectParseError('OPENQASM 2.0;\nqreg q[1];\nh q[0];\n', 3, /'h' is not defined; add include "qelib1.inc"/);
    expectParseError(`${HEADER}qreg q[2];\nh q[2];\n`, 4, /out of range/);
    expectParseError(`${HEADER}qreg q[2];\nh q[0]\nx q[1];\n`, 5, /expected ';'/);
    expectParseError(`${HEADER}qreg q[2];\nqreg r[3];\ncx q, r;\n`, 5, /different sizes/);
    expectParseError(`${HEADER}qreg q[2];\ncx q[0], q[0];\n`, 4, /same qubit twice/);
    expectParseError(`${HEADER}qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nx q[0];\n`, 6, /after its measurement/);
    expectParseError(`${HEADER}qreg q[1];\nrx q[0];\n`, 4, /takes 1 parameter/);
    expectParseError(`${HEADER}gate g(t) a { rx(s) a; }\n`, 3, /unknown identifier 's'/);
    expectParseError(`${HEADER}gate h a { x a; }\n`, 3, /already defined/);
    expectParseError(`${HEADER}qreg q[1];\nfoo q[0];\n`, 4, /'foo' is not defined/);
    expectParseError(`${HEADER}qreg q[1];\nx q[0]; $\n`, 4, /unexpected character '\$'/);
  });
});

function controlledU(theta: number, phi: number, lambda: number, gamma: number): StateVector[] {
  // control = qubit 1, target = qubit 0; U = e^{iγ} u(θ, φ, λ)
  const u = gateMatrix('u', [theta, phi, lambda]);
  const m = {
    dim: 2,
    re: u.re.map((x, i) => x * Math.cos(gamma) - (u.im[i] as number) * Math.sin(gamma)),
    im: u.im.map((y, i) => (u.re[i] as number) * Math.sin(gamma) + y * Math.cos(gamma)),
  };
  return controlled1(m, 1, 0);
}

function controlled1(
  m: { dim: number; re: Float64Array; im: Float64Array },
  control: number,
  target: number,
): StateVector[] {
  return Array.from({ length: 4 }, (_, c) => {
    const s = basisState(2, c);
    if ((c >> control) & 1) applyMatrix(s, 2, m, [target]);
    return s;
  });
}

describe('QASM programs with known outputs (reference simulator)', () => {
  it('teleportation moves the Bloch vector of qubit 0 to qubit 2', () => {
    const { circuit } = parseQasm(TELEPORTATION_QASM);
    const state = simulate(circuit.toJSON());
    expect(pauliExpectation(state, 'XII')).toBeCloseTo(Math.sin(1.2) * Math.cos(0.4), 12);
    expect(pauliExpectation(state, 'YII')).toBeCloseTo(Math.sin(1.2) * Math.sin(0.4), 12);
    expect(pauliExpectation(state, 'ZII')).toBeCloseTo(Math.cos(1.2), 12);
  });

  it('the ripple-carry adder adds every pair of 4-bit numbers', () => {
    const { circuit } = parseQasm(RIPPLE_ADDER_QASM);
    for (let a = 0; a < 16; a++) {
      for (let b = 0; b < 16; b += 3) {
        const input = a * 2 + b * 32; // cin = qubit 0, a = qubits 1–4, b = qubits 5–8
        const p = probabilities(simulate(circuit.toJSON(), basisState(10, input)));
        const out = p.findIndex((x) => x > 0.999999);
        expect(out).toBeGreaterThanOrEqual(0);
        expect((out >> 1) & 15, 'a restored').toBe(a);
        expect(((out >> 5) & 15) | (((out >> 9) & 1) << 4), `${a} + ${b}`).toBe(a + b);
        expect(out & 1, 'cin restored').toBe(0);
      }
    }
  });

  it('Grover finds |101⟩ with probability sin²(5·asin(1/√8))', () => {
    const { circuit } = parseQasm(GROVER_QASM);
    const p = probabilities(simulate(circuit.toJSON()));
    const expected = Math.sin(5 * Math.asin(1 / Math.sqrt(8))) ** 2;
    expect(p[0b101]).toBeCloseTo(expected, 12);
    for (let i = 0; i < 8; i++) if (i !== 0b101) expect(p[i]).toBeCloseTo((1 - expected) / 7, 12);
  });

  it('QFT followed by its inverse returns |101⟩', () => {
    const { circuit } = parseQasm(QFT_ROUNDTRIP_QASM);
    expect(probabilities(simulate(circuit.toJSON()))[0b101]).toBeCloseTo(1, 12);
  });
});

/** The unitary of C^k(U) with controls 0..k-1 and target k (qubit 0 = LSB), as columns. */
function multiControlled(k: number, m: { dim: number; re: Float64Array; im: Float64Array }): StateVector[] {
  const n = k + 1;
  const controls = (1 << k) - 1;
  return Array.from({ length: 1 << n }, (_, c) => {
    const s = basisState(n, c);
    if ((c & controls) === controls) applyMatrix(s, n, m, [k]);
    return s;
  });
}

describe('OpenQASM 2.0 limits', () => {
  it('a deep or long expression is a QasmParseError with its line, not a stack overflow', () => {
    const nested = `${'('.repeat(5605)}1${')'.repeat(5605)}`;
    expectParseError(`${HEADER}qreg q[1];\nrx(${nested}) q[0];\n`, 4, /nests more than 256 levels/);
    expectParseError(`${HEADER}qreg q[1];\nrx(${'-'.repeat(20_000)}1) q[0];\n`, 4, /nests more than 256/);
    expectParseError(`${HEADER}qreg q[1];\nrx(${Array(20_000).fill('2').join('^')}) q[0];\n`, 4, /nests more/);
    // a long sum over a gate parameter cannot fold: its tree is as deep as it is long
    const sum = Array(7256).fill('t').join(' + ');
    expectParseError(`${HEADER}gate g(t) a { rx(${sum}) a; }\nqreg q[1];\n`, 3, /nests more than 256/);
  });

  it('a long sum of literals folds to one number with the same value as evaluating it', () => {
    const terms = Array.from({ length: 7256 }, (_, i) => `${(i % 7) / 1000}`);
    const expected = terms.reduce((acc, t) => acc + Number(t), 0);
    const circuit = parseQasm(`${HEADER}qreg q[1];\nrx(${terms.join(' + ')}) q[0];\n`).circuit;
    expect(circuit.operations[0]?.params).toEqual([expected]);
    // depth below the limit still works, with parameters
    const nested = `${'('.repeat(200)}t${')'.repeat(200)}`;
    const g = parseQasm(`${HEADER}gate g(t) a { rx(${nested} * 2) a; }\nqreg q[1];\ng(0.25) q[0];\n`).circuit;
    expect(g.operations[0]?.params).toEqual([0.5]);
  });

  it('40 levels of definitions doubling fail fast at the definition that crosses the expansion budget', () => {
    const lines = ['gate g0 a { x a; }'];
    for (let i = 1; i <= 40; i++) lines.push(`gate g${i} a { g${i - 1} a; g${i - 1} a; }`);
    const source = `${HEADER}${lines.join('\n')}\nqreg q[1];\ng40 q[0];\n`;
    const started = performance.now();
    // g20 expands to 2^20 = 1,048,576 > 1,000,000 operations; it is on line 3 + 20
    expectParseError(source, 23, /gate 'g20' expands to 1048576 operations, more than the limit of 1000000/);
    expect(performance.now() - started).toBeLessThan(5000);
    // under the per-definition budget, a broadcast over the budget fails at its call
    const wide = `${HEADER}${lines.slice(0, 16).join('\n')}\nqreg q[40];\ng15 q;\n`;
    expectParseError(wide, 20, /expands to more than 1000000 operations/);
  });

  it('the running qubit total is checked at each qreg, with its line', () => {
    expectParseError(`${HEADER}qreg q[100000000];\nh q;\n`, 3, /100000000 qubits, more than the limit of 62/);
    expectParseError(`${HEADER}qreg q[100000000000000000000];\n`, 3, /more than the limit of 62/);
    expectParseError(`${HEADER}qreg q[1e20];\n`, 3, /register size/);
    expectParseError(`${HEADER}qreg a[40];\nqreg b[30];\n`, 4, /'b\[30\]' brings the program to 70 qubits/);
    expectParseError(`${HEADER}qreg q[1];\ncreg c[100000000];\n`, 4, /classical bits, more than the limit of 4096/);
    expect(parseQasm(`${HEADER}qreg a[40];\nqreg b[22];\n`).circuit.numQubits).toBe(62);
  });

  it('skips a leading UTF-8 byte-order mark', () => {
    const program = parseQasm(`\uFEFF${HEADER}qreg q[1];\nx q[0];\n`);
    expect(program.circuit.operations.map((op) => op.gate)).toEqual(['x']);
    // a BOM anywhere else is still an unexpected character
    expectParseError(`${HEADER}qreg q[1];\n\uFEFFx q[0];\n`, 4, /unexpected character/);
  });

  it("Qiskit qelib1's multi-controlled gates match their matrices on the reference simulator", () => {
    const x = gateMatrix('x');
    const cases: Array<[string, number, StateVector[]]> = [
      ['c3x q[0], q[1], q[2], q[3];', 4, multiControlled(3, x)],
      ['c3sqrtx q[0], q[1], q[2], q[3];', 4, multiControlled(3, gateMatrix('sx'))],
      ['c4x q[0], q[1], q[2], q[3], q[4];', 5, multiControlled(4, x)],
    ];
    for (const [body, n, expected] of cases) {
      const got = unitaryColumns(parseQasm(`${HEADER}qreg q[${n}];\n${body}\n`).circuit.toJSON());
      expect(unitaryDistance(got, expected), body).toBeLessThan(1e-12);
    }
    // rccx: Qiskit's RCCXGate matrix (a = qubit 0): Toffoli with a -1 on |101⟩ and ∓i on the swapped pair
    const rccx = unitaryColumns(parseQasm(`${HEADER}qreg q[3];\nrccx q[0], q[1], q[2];\n`).circuit.toJSON());
    const rccxExpected = Array.from({ length: 8 }, (_, c) => basisState(3, c));
    const set = (col: number, row: number, re: number, im: number) => {
      const s = rccxExpected[col] as StateVector;
      s.re.fill(0);
      s.im.fill(0);
      s.re[row] = re;
      s.im[row] = im;
    };
    set(3, 7, 0, 1);
    set(7, 3, 0, -1);
    set(5, 5, -1, 0);
    rccx.forEach((col, c) => {
      for (let r = 0; r < 8; r++) {
        expect(col.re[r], `rccx [${r},${c}]`).toBeCloseTo((rccxExpected[c] as StateVector).re[r] as number, 12);
        expect(col.im[r], `rccx [${r},${c}]`).toBeCloseTo((rccxExpected[c] as StateVector).im[r] as number, 12);
      }
    });
    // rc3x: C³X up to relative phases — every column is C³X's column times a unit phase, and not all
    // phases are equal (it is not C³X itself)
    const rc3x = unitaryColumns(parseQasm(`${HEADER}qreg q[4];\nrc3x q[0], q[1], q[2], q[3];\n`).circuit.toJSON());
    const c3x = multiControlled(3, x);
    const phases = rc3x.map((col, c) => {
      const ref = c3x[c] as StateVector;
      const row = ref.re.findIndex((v) => Math.abs(v) > 0.5);
      expect(Math.hypot(col.re[row] as number, col.im[row] as number), `rc3x column ${c}`).toBeCloseTo(1, 12);
      return Math.atan2(col.im[row] as number, col.re[row] as number);
    });
    expect(Math.max(...phases) - Math.min(...phases)).toBeGreaterThan(0.5);
  });
});
