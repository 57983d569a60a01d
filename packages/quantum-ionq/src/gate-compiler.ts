import { type CircuitJson, type CircuitOperation, GATES, type GateName, isGateName } from '@q-store/core';
import { gateMatrix, IssueCollector } from '@q-store/core/backend';
import type { IonqCircuit, IonqGate, IonqGateset } from './ionq-gates.js';

/**
 * Compiles core circuits (bound: every angle a number) to IonQ's circuit JSON.
 *
 * Every gate of core's table compiles; `measure` and `barrier` are dropped (IonQ measures every
 * qubit at the end; there is no barrier in its JSON). Each rewrite below is exact up to a global
 * phase, and each is checked on quantum-sim (gate by gate and on random circuits) in
 * `gate-compiler.test.ts`.
 *
 * ## To `qis` (radians)
 * h x y z s t, sdg → si, tdg → ti, sx → v, rx ry rz; cx → cnot; cy/cz/crx/cry/crz → y/z/rx/ry/rz with
 * `controls`; ccx → not with two controls; swap; rxx/ryy/rzz → xx/yy/zz. Rewrites:
 * - p(λ) = rz(λ) (phase e^{iλ/2}); u(θ, φ, λ) = rz(φ)·ry(θ)·rz(λ) (λ applied first)
 * - cp(λ)[c, t] = rz(λ/2)[c] then crz(λ)[c, t]
 * - gpi(φ) = rz(φ)·x·rz(−φ); gpi2(φ) = rz(φ)·rx(π/2)·rz(−φ);
 *   ms(φ0, φ1, θ) = (rz(φ0)⊗rz(φ1))·xx(θ)·(rz(−φ0)⊗rz(−φ1)), since rz(φ)·X·rz(−φ) = σ_φ
 *
 * ## To `native` (turns: 1 turn = 2π)
 * Two-qubit gates are first rewritten to single-qubit gates and MS (or ZZ when
 * `entangler: 'zz'`): rxx(θ) = ms(0, 0, θ), ryy(θ) = ms(¼, ¼ turn, θ), rzz = (h⊗h)·rxx·(h⊗h),
 * cz = e^{iπ/4}·(rz(π/2)⊗rz(π/2))·rzz(−π/2), cx[c, t] = h[t]·cz·h[t], cy = s[t]·cx·sdg[t],
 * crz(θ) = cx·rz(−θ/2)[t]·cx·rz(θ/2)[t], cry likewise with ry, crx = h[t]·crz·h[t],
 * cp(λ) = crz(λ)·rz(λ/2)[c], swap = e^{iπ/4}·rxx(π/2)·ryy(π/2)·rzz(π/2), ccx by the standard
 * 6-CNOT/7-T circuit (Nielsen & Chuang, fig. 4.9). An MS angle θ is reduced to (−π, π] (θ + 2π
 * is a global sign), a negative θ becomes a half-turn on φ0 (σ_{φ+π} = −σ_φ), and |θ| > π/2 is
 * split into ms(π/2) and ms(|θ| − π/2), since IonQ takes MS angles in [0, ¼] turn.
 *
 * Runs of single-qubit gates on one qubit are multiplied into one 2×2 matrix U, then emitted with
 * **virtual Z**: each qubit carries a frame angle f such that the true circuit is
 * rz(f) · (emitted circuit). rz(α) only adds α to f; a native gate with phase φ is emitted with
 * phase φ − f, because rz(−f)·σ_φ·rz(f) = σ_{φ−f}. U is emitted as
 * - diagonal: U ∝ rz(α), α = arg U11 − arg U00: frame only, no gate;
 * - anti-diagonal: U ∝ gpi(φ), φ = ½·arg(U10/U01): one gpi;
 * - |U00| = 1/√2: U ∝ rz(a)·rx(π/2)·rz(b) with a + b = arg U11 − arg U00, a − b = arg(U10/U01)
 *   (of the two halvings, the one with U00 and U01 sharing the global phase): one gpi2
 *   (rx(π/2) = gpi2(0));
 * - otherwise, with U ∝ u(θ, φ, λ): U ∝ rz(φ+π)·rx(π/2)·rz(θ+π)·rx(π/2)·rz(λ): two gpi2.
 * The final frames are rotations about Z just before a Z-basis measurement, so they change no
 * probability and are dropped, unless `keepFinalPhases` (then each f ≠ 0 is emitted as
 * rz(f) ∝ gpi(f/2)·gpi(0), making the compiled unitary equal to the original up to global phase).
 */
export interface CompileOptions {
  gateset?: IonqGateset;
  /** Native two-qubit gate: `ms` (all systems, default) or `zz` (Forte) for rzz. */
  entangler?: 'ms' | 'zz';
  /** Emit the trailing virtual-Z frames (native only; default false: they do not change results). */
  keepFinalPhases?: boolean;
  /** Field name in error messages (default `circuit`). */
  field?: string;
}

const TURN = 2 * Math.PI;
const EPS = 1e-12;

type Op = { gate: GateName; qubits: number[]; params: number[] };

/**
 * Checks that every operation is a known gate with numeric angles and returns the unitary ops
 * (measure and barrier dropped). Throws one ValidationError listing every problem, before
 * anything is sent.
 */
function boundOps(circuit: CircuitJson, field: string): Op[] {
  const issues = new IssueCollector();
  const ops: Op[] = [];
  circuit.operations.forEach((op: CircuitOperation, i) => {
    const f = `${field}.operations[${i}]`;
    if (op.gate === 'measure' || op.gate === 'barrier') return;
    if (!isGateName(op.gate)) {
      issues.add(`${f}.gate`, `'${op.gate}' is not a gate IonQ can run (no compilation for it)`);
      return;
    }
    const params = op.params ?? [];
    let ok = true;
    params.forEach((p, k) => {
      if (typeof p !== 'number' || !Number.isFinite(p)) {
        issues.add(
          `${f}.params[${k}]`,
          `unbound parameter '${String(p)}': bind every parameter before sending to IonQ`,
        );
        ok = false;
      }
    });
    if (ok) ops.push({ gate: op.gate, qubits: [...op.qubits], params: params as number[] });
  });
  issues.throwIfAny('Circuit cannot be compiled for IonQ');
  return ops;
}

const op = (gate: GateName, qubits: number[], params: number[] = []): Op => ({ gate, qubits, params });

/** One rewrite step toward {single-qubit gates, ms, rzz (when kept)}; undefined when `o` is final. */
function lowerNative(o: Op, keepRzz: boolean): Op[] | undefined {
  const [a, b, c] = o.qubits as [number, number, number];
  const [x] = o.params as [number];
  const h = Math.PI / 2;
  switch (o.gate) {
    case 'rxx':
      return [op('ms', [a, b], [0, 0, x])];
    case 'ryy':
      return [op('ms', [a, b], [h, h, x])];
    case 'rzz':
      if (keepRzz) return undefined;
      return [op('h', [a]), op('h', [b]), op('ms', [a, b], [0, 0, x]), op('h', [a]), op('h', [b])];
    case 'cz':
      return [op('rz', [a], [h]), op('rz', [b], [h]), op('rzz', [a, b], [-h])];
    case 'cx':
      return [op('h', [b]), op('cz', [a, b]), op('h', [b])];
    case 'cy':
      return [op('sdg', [b]), op('cx', [a, b]), op('s', [b])];
    case 'crz':
      return [op('rz', [b], [x / 2]), op('cx', [a, b]), op('rz', [b], [-x / 2]), op('cx', [a, b])];
    case 'cry':
      return [op('ry', [b], [x / 2]), op('cx', [a, b]), op('ry', [b], [-x / 2]), op('cx', [a, b])];
    case 'crx':
      return [op('h', [b]), op('crz', [a, b], [x]), op('h', [b])];
    case 'cp':
      return [op('rz', [a], [x / 2]), op('crz', [a, b], [x])];
    case 'swap':
      return [op('rxx', [a, b], [h]), op('ryy', [a, b], [h]), op('rzz', [a, b], [h])];
    case 'ccx':
      return ccx(a, b, c);
    default:
      return undefined;
  }
}

/** Toffoli on (c0, c1) → t: Nielsen & Chuang fig. 4.9, exact. */
function ccx(c0: number, c1: number, t: number): Op[] {
  return [
    op('h', [t]),
    op('cx', [c1, t]),
    op('tdg', [t]),
    op('cx', [c0, t]),
    op('t', [t]),
    op('cx', [c1, t]),
    op('tdg', [t]),
    op('cx', [c0, t]),
    op('t', [c1]),
    op('t', [t]),
    op('h', [t]),
    op('cx', [c0, c1]),
    op('t', [c0]),
    op('tdg', [c1]),
    op('cx', [c0, c1]),
  ];
}

function lowerAll(ops: Op[], step: (o: Op) => Op[] | undefined): Op[] {
  const out: Op[] = [];
  const visit = (o: Op) => {
    const next = step(o);
    if (next === undefined) out.push(o);
    else for (const n of next) visit(n);
  };
  for (const o of ops) visit(o);
  return out;
}

/** Compiles one bound circuit (see {@link CompileOptions}). */
export function compileCircuit(circuit: CircuitJson, options: CompileOptions = {}): IonqCircuit {
  const field = options.field ?? 'circuit';
  const ops = boundOps(circuit, field);
  if ((options.gateset ?? 'qis') === 'qis') {
    return { gateset: 'qis', qubits: circuit.numQubits, circuit: ops.flatMap(toQis) };
  }
  const lowered = lowerAll(ops, (o) => lowerNative(o, options.entangler === 'zz'));
  return { gateset: 'native', qubits: circuit.numQubits, circuit: emitNative(circuit.numQubits, lowered, options) };
}

function toQis(o: Op): IonqGate[] {
  const [a, b, c] = o.qubits as [number, number, number];
  const [x, y, z] = o.params as [number, number, number];
  const rz = (q: number, r: number): IonqGate => ({ gate: 'rz', target: q, rotation: r });
  switch (o.gate) {
    case 'h':
    case 'x':
    case 'y':
    case 'z':
    case 's':
    case 't':
      return [{ gate: o.gate, target: a }];
    case 'sdg':
      return [{ gate: 'si', target: a }];
    case 'tdg':
      return [{ gate: 'ti', target: a }];
    case 'sx':
      return [{ gate: 'v', target: a }];
    case 'rx':
    case 'ry':
    case 'rz':
      return [{ gate: o.gate, target: a, rotation: x }];
    case 'p':
      return [rz(a, x)];
    case 'u':
      return [rz(a, z), { gate: 'ry', target: a, rotation: x }, rz(a, y)];
    case 'cx':
      return [{ gate: 'cnot', control: a, target: b }];
    case 'cy':
    case 'cz':
      return [{ gate: o.gate.slice(1), controls: [a], target: b }];
    case 'crx':
    case 'cry':
    case 'crz':
      return [{ gate: o.gate.slice(1), controls: [a], target: b, rotation: x }];
    case 'cp':
      return [rz(a, x / 2), { gate: 'rz', controls: [a], target: b, rotation: x }];
    case 'swap':
      return [{ gate: 'swap', targets: [a, b] }];
    case 'ccx':
      return [{ gate: 'not', controls: [a, b], target: c }];
    case 'rxx':
    case 'ryy':
    case 'rzz':
      return [{ gate: o.gate.slice(1), targets: [a, b], rotation: x }];
    case 'gpi':
      return [rz(a, -x), { gate: 'x', target: a }, rz(a, x)];
    case 'gpi2':
      return [rz(a, -x), { gate: 'rx', target: a, rotation: Math.PI / 2 }, rz(a, x)];
    case 'ms':
      return [rz(a, -x), rz(b, -y), { gate: 'xx', targets: [a, b], rotation: z }, rz(a, x), rz(b, y)];
  }
}

/** A 2×2 complex matrix, row-major [u00, u01, u10, u11] as re/im pairs. */
interface M2 {
  re: [number, number, number, number];
  im: [number, number, number, number];
}

const IDENTITY = (): M2 => ({ re: [1, 0, 0, 1], im: [0, 0, 0, 0] });

/** b·a (a applied first). */
function mul(b: M2, a: M2): M2 {
  const re: M2['re'] = [0, 0, 0, 0];
  const im: M2['im'] = [0, 0, 0, 0];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < 2; k++) {
        const br = b.re[r * 2 + k] as number;
        const bi = b.im[r * 2 + k] as number;
        const ar = a.re[k * 2 + c] as number;
        const ai = a.im[k * 2 + c] as number;
        sr += br * ar - bi * ai;
        si += br * ai + bi * ar;
      }
      re[r * 2 + c] = sr;
      im[r * 2 + c] = si;
    }
  }
  return { re, im };
}

function m2(gate: GateName, params: number[]): M2 {
  const m = gateMatrix(gate, params);
  return { re: [...m.re] as M2['re'], im: [...m.im] as M2['im'] };
}

const abs = (m: M2, i: number) => Math.hypot(m.re[i] as number, m.im[i] as number);
const arg = (m: M2, i: number) => Math.atan2(m.im[i] as number, m.re[i] as number);

/** Phase in turns, reduced to [0, 1). */
function turns(rad: number): number {
  const t = rad / TURN;
  const r = t - Math.floor(t);
  return r >= 1 - 1e-15 ? 0 : r;
}

function emitNative(n: number, ops: Op[], options: CompileOptions): IonqGate[] {
  const out: IonqGate[] = [];
  const pending: Array<M2 | undefined> = new Array(n).fill(undefined);
  const frame = new Float64Array(n);
  const gpi = (q: number, phi: number) =>
    out.push({ gate: 'gpi', target: q, phase: turns(phi - (frame[q] as number)) });
  const gpi2 = (q: number, phi: number) =>
    out.push({ gate: 'gpi2', target: q, phase: turns(phi - (frame[q] as number)) });
  const flush = (q: number) => {
    const u = pending[q];
    if (u === undefined) return;
    pending[q] = undefined;
    const rz = (a: number) => {
      frame[q] = (frame[q] as number) + a;
    };
    if (abs(u, 1) < EPS && abs(u, 2) < EPS) {
      rz(arg(u, 3) - arg(u, 0));
    } else if (abs(u, 0) < EPS && abs(u, 3) < EPS) {
      gpi(q, (arg(u, 2) - arg(u, 1)) / 2);
    } else if (Math.abs(abs(u, 0) - Math.SQRT1_2) < 1e-12) {
      const sum = arg(u, 3) - arg(u, 0);
      const diff = arg(u, 2) - arg(u, 1);
      let a = (sum + diff) / 2;
      let b = (sum - diff) / 2;
      // Halving leaves (a, b) and (a + π, b + π) to choose from; they differ in the sign of the
      // diagonal against the off-diagonal. Keep the one whose global phase from U00 matches U01's.
      const fromDiagonal = arg(u, 0) + sum / 2;
      const fromOffDiagonal = arg(u, 1) + Math.PI / 2 + (a - b) / 2;
      if (Math.cos(fromDiagonal - fromOffDiagonal) < 0) {
        a += Math.PI;
        b += Math.PI;
      }
      rz(b);
      gpi2(q, 0);
      rz(a);
    } else {
      // U = e^{iγ}·u(θ, φ, λ): |U00| = cos θ/2, arg U10 = γ + φ, arg(−U01) = γ + λ, arg U00 = γ.
      const theta = 2 * Math.atan2(abs(u, 2), abs(u, 0));
      const gamma = arg(u, 0);
      const phi = arg(u, 2) - gamma;
      const lambda = Math.atan2(-(u.im[1] as number), -(u.re[1] as number)) - gamma;
      rz(lambda);
      gpi2(q, 0);
      rz(theta + Math.PI);
      gpi2(q, 0);
      rz(phi + Math.PI);
    }
  };
  for (const o of ops) {
    if (GATES[o.gate].numQubits === 1) {
      const q = o.qubits[0] as number;
      pending[q] = mul(m2(o.gate, o.params), pending[q] ?? IDENTITY());
      continue;
    }
    const [a, b] = o.qubits as [number, number];
    flush(a);
    flush(b);
    if (o.gate === 'rzz') {
      out.push({ gate: 'zz', targets: [a, b], angle: (o.params[0] as number) / TURN });
      continue;
    }
    // ms(φ0, φ1, θ): θ reduced to (−π, π]; −θ → φ0 + π; |θ| > π/2 → two MS gates.
    const [phi0, phi1, rawTheta] = o.params as [number, number, number];
    let theta = rawTheta - TURN * Math.round(rawTheta / TURN);
    let p0 = phi0;
    if (theta < 0) {
      theta = -theta;
      p0 += Math.PI;
    }
    const parts = theta > Math.PI / 2 + 1e-15 ? [Math.PI / 2, theta - Math.PI / 2] : [theta];
    for (const part of parts) {
      if (part < EPS) continue;
      out.push({
        gate: 'ms',
        targets: [a, b],
        phases: [turns(p0 - (frame[a] as number)), turns(phi1 - (frame[b] as number))],
        angle: part / TURN,
      });
    }
  }
  for (let q = 0; q < n; q++) flush(q);
  if (options.keepFinalPhases === true) {
    for (let q = 0; q < n; q++) {
      const f = frame[q] as number;
      if (Math.abs(turns(f)) < EPS || Math.abs(turns(f) - 1) < EPS) continue;
      // rz(f) ∝ gpi(f/2)·gpi(0); emitted in the lab frame, so reset the frame first.
      frame[q] = 0;
      gpi(q, 0);
      gpi(q, f / 2);
    }
  }
  return out;
}
