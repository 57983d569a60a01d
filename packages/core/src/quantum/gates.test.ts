import { describe, expect, it } from 'vitest';
import { type ComplexMatrix, GATE_NAMES, GATES, gateMatrix, gateMatrixDerivative, inverseGate } from './gates.js';

function mul(a: ComplexMatrix, b: ComplexMatrix): ComplexMatrix {
  const d = a.dim;
  const re = new Float64Array(d * d);
  const im = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < d; k++) {
        const ar = a.re[r * d + k] as number;
        const ai = a.im[r * d + k] as number;
        const br = b.re[k * d + c] as number;
        const bi = b.im[k * d + c] as number;
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      re[r * d + c] = sr;
      im[r * d + c] = si;
    }
  }
  return { dim: d, re, im };
}

function dagger(a: ComplexMatrix): ComplexMatrix {
  const d = a.dim;
  const re = new Float64Array(d * d);
  const im = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      re[c * d + r] = a.re[r * d + c] as number;
      im[c * d + r] = -(a.im[r * d + c] as number);
    }
  }
  return { dim: d, re, im };
}

function expectClose(a: ComplexMatrix, b: ComplexMatrix, tol = 1e-12): void {
  expect(a.dim).toBe(b.dim);
  for (let i = 0; i < a.dim * a.dim; i++) {
    expect(Math.abs((a.re[i] as number) - (b.re[i] as number))).toBeLessThan(tol);
    expect(Math.abs((a.im[i] as number) - (b.im[i] as number))).toBeLessThan(tol);
  }
}

function identity(d: number): ComplexMatrix {
  const re = new Float64Array(d * d);
  for (let i = 0; i < d; i++) re[i * d + i] = 1;
  return { dim: d, re, im: new Float64Array(d * d) };
}

function from(rows: Array<Array<[number, number]>>): ComplexMatrix {
  const d = rows.length;
  const re = new Float64Array(d * d);
  const im = new Float64Array(d * d);
  rows.forEach((row, r) => {
    row.forEach(([x, y], c) => {
      re[r * d + c] = x;
      im[r * d + c] = y;
    });
  });
  return { dim: d, re, im };
}

const angles = [0.37, -1.21, 2.05];

describe('gate table', () => {
  it('every gate is unitary, has dimension 2^k, and its inverse undoes it exactly', () => {
    for (const name of GATE_NAMES) {
      const g = GATES[name];
      const p = angles.slice(0, g.numParams);
      const m = gateMatrix(name, p);
      expect(m.dim).toBe(1 << g.numQubits);
      expectClose(mul(dagger(m), m), identity(m.dim));
      let inv = identity(m.dim);
      for (const step of inverseGate(name, p)) inv = mul(gateMatrix(step.gate, step.params), inv);
      expectClose(mul(inv, m), identity(m.dim));
    }
  });

  it('diagonal flags match the matrices', () => {
    for (const name of GATE_NAMES) {
      const g = GATES[name];
      const m = gateMatrix(name, angles.slice(0, g.numParams));
      let off = 0;
      for (let r = 0; r < m.dim; r++)
        for (let c = 0; c < m.dim; c++)
          if (r !== c) off += Math.abs(m.re[r * m.dim + c] as number) + Math.abs(m.im[r * m.dim + c] as number);
      expect(off === 0, name).toBe(g.diagonal);
    }
  });

  it('uses Qiskit conventions and puts the first listed qubit on the low matrix bit', () => {
    const t = 0.7;
    const c = Math.cos(t / 2);
    const s = Math.sin(t / 2);
    expectClose(
      gateMatrix('rz', [t]),
      from([
        [
          [Math.cos(-t / 2), Math.sin(-t / 2)],
          [0, 0],
        ],
        [
          [0, 0],
          [Math.cos(t / 2), Math.sin(t / 2)],
        ],
      ]),
    );
    expectClose(
      gateMatrix('sx'),
      from([
        [
          [0.5, 0.5],
          [0.5, -0.5],
        ],
        [
          [0.5, -0.5],
          [0.5, 0.5],
        ],
      ]),
    );
    // cx [control, target]: control is bit 0, so |c=1,t=0⟩ = index 1 ↔ index 3
    const one: [number, number] = [1, 0];
    const o: [number, number] = [0, 0];
    expectClose(
      gateMatrix('cx'),
      from([
        [one, o, o, o],
        [o, o, o, one],
        [o, o, one, o],
        [o, one, o, o],
      ]),
    );
    // u(θ, φ, λ) with φ = −π/2, λ = π/2 is rx(θ)
    expectClose(gateMatrix('u', [t, -Math.PI / 2, Math.PI / 2]), gateMatrix('rx', [t]));
    // rxx(θ) = c I − i s X⊗X
    const rxx = gateMatrix('rxx', [t]);
    expect(rxx.re[0]).toBeCloseTo(c, 14);
    expect(rxx.im[3]).toBeCloseTo(-s, 14);
    // sx = h s h, sx² = x
    expectClose(mul(gateMatrix('h'), mul(gateMatrix('s'), gateMatrix('h'))), gateMatrix('sx'));
    expectClose(mul(gateMatrix('sx'), gateMatrix('sx')), gateMatrix('x'));
  });

  it('IonQ natives: gpi2 = exp(−iπ/4 σ_φ), ms = exp(−iθ/2 σ_φ0⊗σ_φ1) with φ0 on the first listed qubit', () => {
    const phi = 0.9;
    const sigma = gateMatrix('gpi', [phi]);
    const r = Math.SQRT1_2;
    const expected = {
      dim: 2,
      re: new Float64Array([r, r * (sigma.im[1] as number), r * (sigma.im[2] as number), r]),
      im: new Float64Array([0, -r * (sigma.re[1] as number), -r * (sigma.re[2] as number), 0]),
    };
    expectClose(gateMatrix('gpi2', [phi]), expected);
    const [p0, p1, th] = [0.3, 1.1, 0.8];
    const ms = gateMatrix('ms', [p0, p1, th]);
    const c = Math.cos(th / 2);
    const s = Math.sin(th / 2);
    const e = (a: number, k: number): [number, number] => [s * Math.sin(a) * k, -s * Math.cos(a) * k]; // −i s e^{ia}
    const o: [number, number] = [0, 0];
    expectClose(
      ms,
      from([
        [[c, 0], o, o, e(-(p0 + p1), 1)],
        [o, [c, 0], e(p0 - p1, 1), o],
        [o, e(-(p0 - p1), 1), [c, 0], o],
        [e(p0 + p1, 1), o, o, [c, 0]],
      ]),
    );
    // With θ = π/2 and both phases 0 the MS gate maps |00⟩ to (|00⟩ − i|11⟩)/√2.
    const full = gateMatrix('ms', [0, 0, Math.PI / 2]);
    expect(full.re[0]).toBeCloseTo(r, 14);
    expect(full.im[3 * 4]).toBeCloseTo(-r, 14);
  });

  it('derivatives match central finite differences', () => {
    for (const name of GATE_NAMES) {
      const g = GATES[name];
      const p = angles.slice(0, g.numParams);
      for (let k = 0; k < g.numParams; k++) {
        const d = gateMatrixDerivative(name, p, k);
        const h = 1e-6;
        const plus = gateMatrix(
          name,
          p.map((v, i) => (i === k ? v + h : v)),
        );
        const minus = gateMatrix(
          name,
          p.map((v, i) => (i === k ? v - h : v)),
        );
        for (let i = 0; i < d.dim * d.dim; i++) {
          expect(d.re[i] as number).toBeCloseTo(((plus.re[i] as number) - (minus.re[i] as number)) / (2 * h), 7);
          expect(d.im[i] as number).toBeCloseTo(((plus.im[i] as number) - (minus.im[i] as number)) / (2 * h), 7);
        }
      }
    }
  });

  it('rejects unknown gates, wrong angle counts and non-finite angles', () => {
    expect(() => gateMatrix('foo')).toThrow(/unknown gate/);
    expect(() => gateMatrix('rx', [])).toThrow(/takes 1/);
    expect(() => gateMatrix('rx', [Number.NaN])).toThrow(/finite/);
  });
});
