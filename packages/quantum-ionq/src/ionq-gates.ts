import type { CircuitJson, CircuitOperation } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';

/**
 * IonQ's circuit JSON (API v0.4, `ionq.circuit.v1` `input` and the entries of
 * `ionq.multi-circuit.v1` `input.circuits`), and its meaning in q-store's gate table.
 *
 * ## `qis` gates (angles in RADIANS, field `rotation`)
 * x y z h s si t ti v vi (v = √X = core `sx`, vi = v†), rx ry rz (exp(−iθσ/2)), not = x, cnot
 * (`control`, `target`), swap and xx yy zz (`targets: [a, b]`, exp(−iθ/2 σ⊗σ)). Any of x/not, y, z,
 * rx, ry, rz may carry `control` or `controls`: the gate on `target` when every control is 1
 * (`not` with two controls is the Toffoli gate).
 *
 * ## `native` gates (phases and angles in TURNS, 1 turn = 2π rad)
 * - gpi `{target, phase}`  = core `gpi(2π·phase)` = [[0, e^{−iφ}], [e^{iφ}, 0]]
 * - gpi2 `{target, phase}` = core `gpi2(2π·phase)` = exp(−iπ/4 σ_φ)
 * - ms `{targets: [a, b], phases: [φa, φb], angle?}` = core `ms(2πφa, 2πφb, 2π·angle)`, angle
 *   defaults to 0.25 turns (the fully entangling MS gate), σ_φa acts on `targets[0]`
 * - zz `{targets: [a, b], angle}` = exp(−iπ·angle Z⊗Z) = core `rzz(2π·angle)` (Forte systems)
 */
export interface IonqGate {
  gate: string;
  target?: number;
  targets?: number[];
  control?: number;
  controls?: number[];
  rotation?: number;
  phase?: number;
  phases?: number[];
  angle?: number;
}

export type IonqGateset = 'qis' | 'native';

/** One circuit as IonQ takes it. */
export interface IonqCircuit {
  gateset: IonqGateset;
  qubits: number;
  circuit: IonqGate[];
}

export const QIS_GATES: readonly string[] = Object.freeze([
  'x',
  'y',
  'z',
  'rx',
  'ry',
  'rz',
  'h',
  's',
  'si',
  'v',
  'vi',
  't',
  'ti',
  'not',
  'cnot',
  'swap',
  'xx',
  'yy',
  'zz',
]);
export const NATIVE_GATES: readonly string[] = Object.freeze(['gpi', 'gpi2', 'ms', 'zz']);

const TURN = 2 * Math.PI;

const QIS_FIXED: Record<string, string> = {
  x: 'x',
  not: 'x',
  y: 'y',
  z: 'z',
  h: 'h',
  s: 's',
  si: 'sdg',
  t: 't',
  ti: 'tdg',
  v: 'sx',
};
const QIS_CONTROLLED: Record<string, string> = {
  x: 'cx',
  not: 'cx',
  y: 'cy',
  z: 'cz',
  rx: 'crx',
  ry: 'cry',
  rz: 'crz',
};
const QIS_ROTATION: Record<string, string> = { rx: 'rx', ry: 'ry', rz: 'rz' };
const QIS_PAIR: Record<string, string> = { xx: 'rxx', yy: 'ryy', zz: 'rzz' };

function isQubit(v: unknown, n: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < n;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Reads an IonQ circuit into core's JSON form, checking every gate's shape (what IonQ's API
 * rejects with a 400 is a ValidationError here, naming `field[i]`). This is the one definition of
 * IonQ's gate semantics in q-store: the emulator runs circuits through it, and the compilers'
 * equivalence tests compare against it.
 */
export function ionqToCircuitJson(circuit: IonqCircuit, field = 'input'): CircuitJson {
  const issues = new IssueCollector();
  const n = circuit.qubits;
  if (!(Number.isInteger(n) && n >= 1)) issues.add(`${field}.qubits`, `must be an integer ≥ 1, got ${String(n)}`);
  if (circuit.gateset !== 'qis' && circuit.gateset !== 'native') {
    issues.add(`${field}.gateset`, `must be 'qis' or 'native', got ${String(circuit.gateset)}`);
  }
  if (!Array.isArray(circuit.circuit)) issues.add(`${field}.circuit`, 'must be an array of gates');
  issues.throwIfAny('Invalid IonQ circuit');
  const ops: CircuitOperation[] = [];
  circuit.circuit.forEach((g, i) => {
    const f = `${field}.circuit[${i}]`;
    const before = issues.issues.length;
    const out = circuit.gateset === 'qis' ? readQis(g, n, f, issues) : readNative(g, n, f, issues);
    if (issues.issues.length === before) ops.push(...out);
  });
  issues.throwIfAny('Invalid IonQ circuit');
  return { numQubits: n, operations: ops };
}

function targetsOf(g: IonqGate, n: number, count: number, f: string, issues: IssueCollector): number[] | undefined {
  const list = count === 1 ? (g.targets ?? (g.target === undefined ? undefined : [g.target])) : g.targets;
  if (!Array.isArray(list) || list.length !== count || !list.every((q) => isQubit(q, n))) {
    issues.add(
      count === 1 ? `${f}.target` : `${f}.targets`,
      `'${g.gate}' needs ${count === 1 ? 'one target' : `${count} targets`} in [0, ${n - 1}]`,
    );
    return undefined;
  }
  if (new Set(list).size !== list.length) {
    issues.add(`${f}.targets`, 'targets must be distinct');
    return undefined;
  }
  return list;
}

function readQis(g: IonqGate, n: number, f: string, issues: IssueCollector): CircuitOperation[] {
  if (!QIS_GATES.includes(g.gate)) {
    issues.add(`${f}.gate`, `'${String(g.gate)}' is not a qis gate (${QIS_GATES.join(', ')})`);
    return [];
  }
  const controls = g.controls ?? (g.control === undefined ? [] : [g.control]);
  if (!Array.isArray(controls) || !controls.every((q) => isQubit(q, n))) {
    issues.add(`${f}.controls`, `controls must be qubits in [0, ${n - 1}]`);
    return [];
  }
  if (g.gate === 'cnot' && controls.length !== 1) {
    issues.add(`${f}.control`, "'cnot' needs one control");
    return [];
  }
  const pair = QIS_PAIR[g.gate];
  if (g.gate === 'swap' || pair !== undefined) {
    const t = targetsOf(g, n, 2, f, issues);
    if (t === undefined) return [];
    if (controls.length > 0) {
      issues.add(`${f}.controls`, `'${g.gate}' takes no controls here`);
      return [];
    }
    if (pair === undefined) return [{ gate: 'swap', qubits: t }];
    if (!finite(g.rotation)) {
      issues.add(`${f}.rotation`, `'${g.gate}' needs a finite rotation (radians)`);
      return [];
    }
    return [{ gate: pair, qubits: t, params: [g.rotation] }];
  }
  const t = targetsOf(g, n, 1, f, issues);
  if (t === undefined) return [];
  const target = t[0] as number;
  if (controls.includes(target) || new Set(controls).size !== controls.length) {
    issues.add(`${f}.controls`, 'controls must be distinct and differ from the target');
    return [];
  }
  const rot = QIS_ROTATION[g.gate];
  if (rot !== undefined && !finite(g.rotation)) {
    issues.add(`${f}.rotation`, `'${g.gate}' needs a finite rotation (radians)`);
    return [];
  }
  const params = rot === undefined ? undefined : [g.rotation as number];
  const base = g.gate === 'cnot' ? 'x' : g.gate;
  if (controls.length === 0) {
    if (base === 'vi') return viOps(target);
    const name = rot ?? QIS_FIXED[base];
    return [params ? { gate: name as string, qubits: [target], params } : { gate: name as string, qubits: [target] }];
  }
  if (controls.length === 2 && (base === 'x' || base === 'not')) {
    return [{ gate: 'ccx', qubits: [controls[0] as number, controls[1] as number, target] }];
  }
  const controlled = QIS_CONTROLLED[base];
  if (controls.length !== 1 || controlled === undefined) {
    issues.add(`${f}.controls`, `'${g.gate}' with ${controls.length} control(s) is not supported`);
    return [];
  }
  const qubits = [controls[0] as number, target];
  return [params ? { gate: controlled, qubits, params } : { gate: controlled, qubits }];
}

/** vi = v† = √X† = h·sdg·h (exact, no global phase). */
function viOps(q: number): CircuitOperation[] {
  return [
    { gate: 'h', qubits: [q] },
    { gate: 'sdg', qubits: [q] },
    { gate: 'h', qubits: [q] },
  ];
}

function readNative(g: IonqGate, n: number, f: string, issues: IssueCollector): CircuitOperation[] {
  switch (g.gate) {
    case 'gpi':
    case 'gpi2': {
      const t = targetsOf(g, n, 1, f, issues);
      if (t === undefined) return [];
      if (!finite(g.phase)) {
        issues.add(`${f}.phase`, `'${g.gate}' needs a finite phase (turns)`);
        return [];
      }
      return [{ gate: g.gate, qubits: t, params: [g.phase * TURN] }];
    }
    case 'ms': {
      const t = targetsOf(g, n, 2, f, issues);
      if (t === undefined) return [];
      const phases = g.phases;
      if (!Array.isArray(phases) || phases.length !== 2 || !phases.every(finite)) {
        issues.add(`${f}.phases`, "'ms' needs two finite phases (turns)");
        return [];
      }
      const angle = g.angle ?? 0.25;
      if (!finite(angle) || angle < 0 || angle > 0.25) {
        issues.add(`${f}.angle`, `'ms' angle must be in [0, 0.25] turns, got ${String(angle)}`);
        return [];
      }
      return [
        { gate: 'ms', qubits: t, params: [(phases[0] as number) * TURN, (phases[1] as number) * TURN, angle * TURN] },
      ];
    }
    case 'zz': {
      const t = targetsOf(g, n, 2, f, issues);
      if (t === undefined) return [];
      if (!finite(g.angle)) {
        issues.add(`${f}.angle`, "'zz' needs a finite angle (turns)");
        return [];
      }
      return [{ gate: 'rzz', qubits: t, params: [g.angle * TURN] }];
    }
    default:
      issues.add(`${f}.gate`, `'${String(g.gate)}' is not a native gate (${NATIVE_GATES.join(', ')})`);
      return [];
  }
}
