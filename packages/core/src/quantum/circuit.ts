/**
 * The circuit model: a {@link Circuit} builder with one typed method per gate of the gate table
 * ({@link GATES}), symbolic parameters bound by name, validation with typed errors, and a JSON form
 * ({@link CircuitJson}) that every quantum backend accepts.
 *
 * Bit order: qubit 0 is the least significant bit of a basis-state index (see `gates.ts`).
 *
 * ## Parameters
 * An angle is a number (radians) or a **parameter expression** string of the form
 * `[k*]name[ ± c]`: a name (`theta`, `w_3`, `theta[2]`), optionally scaled by a number `k`
 * (`2*theta`, `-theta`, `-0.5*theta`) and shifted by a number `c` (`theta + 1.5707963267948966`).
 * Its value is k·binding[name] + c. That is enough for everything q-store builds (encodings with
 * a scale, inverses, parameter shifts) and keeps every angle affine in one parameter, so the
 * chain rule for gradients is just the factor k. `circuit.parameters` lists the names in order of
 * first appearance.
 */

import { IssueCollector, ValidationError } from '../shared/errors.js';
import { isPlainObject } from '../vector/validation.js';
import { GATES, type GateName, inverseGate, isDirectiveName, isGateName, type OperationName } from './gates.js';
import type { CircuitJson, CircuitOperation, ParameterBinding } from './quantum-backend.js';

/** Hard ceiling on `numQubits` of any circuit (a state vector of 2^62 amplitudes is far beyond anything). */
export const MAX_CIRCUIT_QUBITS = 62;

/** A parameter name: an identifier, optionally with one `[index]` (Qiskit's ParameterVector style). */
export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?$/;

/** An angle of a gate method: radians, or a parameter expression such as `'theta'` or `'2*theta'`. */
export type Angle = number | string;

/** A parsed parameter expression: value = coefficient · binding[name] + offset. */
export interface ParameterExpression {
  name: string;
  coefficient: number;
  offset: number;
}

const NUMBER = String.raw`(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const EXPRESSION = new RegExp(
  String.raw`^\s*(?:(-)?\s*(${NUMBER})\s*\*\s*|(-)\s*)?([A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\])?)\s*(?:([+-])\s*(${NUMBER}))?\s*$`,
);

/**
 * Parses `[k*]name[ ± c]`; returns undefined when the text is not of that form or a number in it is
 * not finite.
 */
export function parseParameterExpression(text: string): ParameterExpression | undefined {
  const m = EXPRESSION.exec(text);
  if (!m) return undefined;
  const [, kSign, k, negate, name, offsetSign, offset] = m;
  let coefficient = k === undefined ? 1 : Number(k);
  if (kSign === '-' || negate === '-') coefficient = -coefficient;
  let shift = offset === undefined ? 0 : Number(offset);
  if (offsetSign === '-') shift = -shift;
  if (!Number.isFinite(coefficient) || !Number.isFinite(shift) || name === undefined) return undefined;
  return { name, coefficient, offset: shift };
}

/** Parsed expressions by text (never mutated), so a circuit run in a loop parses each angle once. */
const parsedExpressions = new Map<string, Readonly<ParameterExpression> | undefined>();
const PARSED_EXPRESSIONS_MAX = 4096;

/** {@link parseParameterExpression}, memoised (a shared, read-only result). */
function parsedExpression(text: string): Readonly<ParameterExpression> | undefined {
  let expr = parsedExpressions.get(text);
  if (expr === undefined && !parsedExpressions.has(text)) {
    expr = parseParameterExpression(text);
    if (parsedExpressions.size >= PARSED_EXPRESSIONS_MAX) parsedExpressions.clear();
    parsedExpressions.set(text, expr);
  }
  return expr;
}

/** The canonical text of an expression: `name`, `-name`, `k*name`, with ` + c` / ` - c` (full precision). */
export function formatParameterExpression(expression: ParameterExpression): string {
  const { name, coefficient, offset } = expression;
  let text = coefficient === 1 ? name : coefficient === -1 ? `-${name}` : `${String(coefficient)}*${name}`;
  if (offset !== 0 && !Object.is(offset, -0)) text += offset < 0 ? ` - ${String(-offset)}` : ` + ${String(offset)}`;
  return text;
}

/** Options of {@link validateCircuitJson}. */
export interface CircuitValidationOptions {
  /** Most qubits allowed (a backend's `capabilities.maxQubits`). */
  maxQubits?: number;
  /** Gate names allowed (a backend's `capabilities.gates`); `measure` and `barrier` are always allowed. */
  gates?: readonly string[];
  /** Prefix of field paths in error messages, e.g. `circuits[2]`. Default `circuit`. */
  field?: string;
  /** When true, every angle must be a number (no parameter expressions left). */
  requireBound?: boolean;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/**
 * Checks a circuit's JSON form and returns a normalised deep copy (params omitted when empty).
 * Collects every problem into one {@link ValidationError}: `numQubits` not a positive integer or
 * above the limit, an unknown gate (or one the backend does not list), a wrong number of qubits
 * or angles, a qubit out of range or not an integer, the same qubit twice in one operation, an
 * angle that is not finite (NaN, ±Infinity) or not a parameter expression, and a gate on a qubit
 * after its `measure` (measurements are terminal).
 */
export function validateCircuitJson(json: unknown, options: CircuitValidationOptions = {}): CircuitJson {
  const field = options.field ?? 'circuit';
  const issues = new IssueCollector();
  collectCircuitIssues(json, options, field, issues);
  issues.throwIfAny('Invalid circuit');
  return copyCircuitJson(json as CircuitJson);
}

/** A deep copy of a circuit's JSON form (params omitted when empty). */
function copyCircuitJson(json: CircuitJson): CircuitJson {
  const operations: CircuitOperation[] = new Array(json.operations.length);
  for (let i = 0; i < operations.length; i++) {
    const op = json.operations[i] as CircuitOperation;
    operations[i] =
      op.params && op.params.length > 0
        ? { gate: op.gate, qubits: op.qubits.slice(), params: op.params.slice() }
        : { gate: op.gate, qubits: op.qubits.slice() };
  }
  return { numQubits: json.numQubits, operations };
}

function collectCircuitIssues(
  json: unknown,
  options: CircuitValidationOptions,
  field: string,
  issues: IssueCollector,
): void {
  if (!isPlainObject(json)) {
    issues.add(field, `must be an object {numQubits, operations}, got ${describeValue(json)}`);
    return;
  }
  const limit = Math.min(options.maxQubits ?? MAX_CIRCUIT_QUBITS, MAX_CIRCUIT_QUBITS);
  const n = json.numQubits;
  let numQubits = 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    issues.add(`${field}.numQubits`, `must be a positive integer, got ${describeValue(n)}`, 1);
  } else if (n > limit) {
    issues.add(`${field}.numQubits`, `is ${n}, more than the limit of ${limit} qubits`, limit);
  } else {
    numQubits = n;
  }
  const ops = json.operations;
  if (!Array.isArray(ops)) {
    issues.add(`${field}.operations`, `must be an array, got ${describeValue(ops)}`);
    return;
  }
  const context: OperationContext = {
    numQubits,
    allowed: options.gates ? gateSet(options.gates) : undefined,
    measured: new Set<number>(),
    requireBound: options.requireBound === true,
  };
  for (let i = 0; i < ops.length && !issues.full; i++) {
    // the common case (a valid operation) is checked without allocating; anything else goes
    // through the full check, which names every problem
    if (!isValidOperation(ops[i], context)) {
      collectOperationIssues(ops[i], `${field}.operations[${i}]`, context, issues);
    }
  }
}

/** Sets of a frozen gate list (a backend's `capabilities.gates`), built once per list. */
const gateSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function gateSet(gates: readonly string[]): ReadonlySet<string> {
  if (!Object.isFrozen(gates)) return new Set(gates);
  let set = gateSets.get(gates);
  if (set === undefined) {
    set = new Set(gates);
    gateSets.set(gates, set);
  }
  return set;
}

/**
 * True when {@link collectOperationIssues} would find nothing wrong with `op` (and then records a
 * `measure` in `context.measured` as it would). Allocates nothing; false means "check it fully",
 * not necessarily "invalid".
 */
function isValidOperation(op: unknown, context: OperationContext): boolean {
  const { numQubits, allowed, measured } = context;
  if (numQubits === 0 || !isPlainObject(op)) return false;
  for (const key in op) if (key !== 'gate' && key !== 'qubits' && key !== 'params') return false;
  const gate = op.gate;
  const isGate = isGateName(gate);
  if (!isGate && !isDirectiveName(gate)) return false;
  if (isGate && allowed && !allowed.has(gate)) return false;
  const qubits = op.qubits;
  if (!Array.isArray(qubits)) return false;
  const arity = isGate ? GATES[gate].numQubits : gate === 'measure' ? 1 : undefined;
  if (arity !== undefined ? qubits.length !== arity : qubits.length === 0) return false;
  for (let j = 0; j < qubits.length; j++) {
    const q: unknown = qubits[j];
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q >= numQubits) return false;
    for (let k = 0; k < j; k++) if (qubits[k] === q) return false;
    if (isGate && measured.size > 0 && measured.has(q)) return false;
  }
  const params: unknown = op.params ?? NO_ANGLES;
  if (!Array.isArray(params) || params.length !== (isGate ? GATES[gate].numParams : 0)) return false;
  for (let j = 0; j < params.length; j++) {
    const p: unknown = params[j];
    if (typeof p === 'number') {
      if (!Number.isFinite(p)) return false;
    } else if (typeof p !== 'string' || context.requireBound || parsedExpression(p) === undefined) {
      return false;
    }
  }
  if (gate === 'measure') measured.add(qubits[0] as number);
  return true;
}

const NO_ANGLES: readonly Angle[] = [];

interface OperationContext {
  /** 0 when numQubits itself is invalid (range checks are then skipped). */
  numQubits: number;
  allowed: ReadonlySet<string> | undefined;
  /** Qubits measured so far; updated by a valid `measure`. */
  measured: Set<number>;
  requireBound: boolean;
}

/** Checks one operation `op` (field path `f`) in the context of the circuit so far. */
function collectOperationIssues(op: unknown, f: string, context: OperationContext, issues: IssueCollector): void {
  const { numQubits, allowed, measured } = context;
  const before = issues.issues.length;
  if (!isPlainObject(op)) {
    issues.add(f, `must be an object {gate, qubits, params?}, got ${describeValue(op)}`);
    return;
  }
  for (const key of Object.keys(op)) {
    if (key !== 'gate' && key !== 'qubits' && key !== 'params') issues.add(`${f}.${key}`, 'is not a known field');
  }
  const gate = op.gate;
  const known = isGateName(gate) || isDirectiveName(gate);
  if (!known) {
    issues.add(`${f}.gate`, `unknown gate ${JSON.stringify(gate)}`);
  } else if (allowed && isGateName(gate) && !allowed.has(gate)) {
    issues.add(`${f}.gate`, `gate '${gate}' is not supported by this backend`);
  }
  const qubits = op.qubits;
  if (!Array.isArray(qubits)) {
    issues.add(`${f}.qubits`, `must be an array of qubit indices, got ${describeValue(qubits)}`);
    return;
  }
  if (known) {
    const arity = isGateName(gate) ? GATES[gate].numQubits : gate === 'measure' ? 1 : undefined;
    if (arity !== undefined && qubits.length !== arity) {
      issues.add(`${f}.qubits`, `gate '${gate}' acts on ${arity} qubit(s), got ${qubits.length}`, arity);
    } else if (arity === undefined && qubits.length === 0) {
      issues.add(`${f}.qubits`, 'barrier needs at least one qubit', 1);
    }
  }
  const seen = new Set<number>();
  qubits.forEach((q: unknown, j) => {
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0) {
      issues.add(`${f}.qubits[${j}]`, `must be a non-negative integer, got ${describeValue(q)}`);
    } else if (numQubits > 0 && q >= numQubits) {
      issues.add(`${f}.qubits[${j}]`, `qubit ${q} is out of range for ${numQubits} qubits`, numQubits - 1);
    } else if (seen.has(q)) {
      issues.add(`${f}.qubits[${j}]`, `qubit ${q} appears twice in one operation`);
    } else {
      seen.add(q);
    }
  });
  if (isGateName(gate)) {
    for (const q of seen) {
      if (measured.has(q)) {
        issues.add(f, `gate '${gate}' acts on qubit ${q} after it was measured (measurements are terminal)`);
        break;
      }
    }
  }
  const params = op.params ?? [];
  if (!Array.isArray(params)) {
    issues.add(`${f}.params`, `must be an array of angles, got ${describeValue(params)}`);
    return;
  }
  const expected = isGateName(gate) ? GATES[gate].numParams : 0;
  if (known && params.length !== expected) {
    issues.add(`${f}.params`, `gate '${String(gate)}' takes ${expected} angle(s), got ${params.length}`, expected);
  }
  params.forEach((p: unknown, j) => {
    checkAngle(p, `${f}.params[${j}]`, issues, context.requireBound);
  });
  if (gate === 'measure' && issues.issues.length === before) for (const q of seen) measured.add(q);
}

function checkAngle(p: unknown, field: string, issues: IssueCollector, requireBound: boolean): void {
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) issues.add(field, `angle must be a finite number, got ${String(p)}`);
  } else if (typeof p === 'string') {
    const expr = parsedExpression(p);
    if (!expr) {
      issues.add(field, `'${p}' is not a parameter expression of the form [k*]name[ ± c]`);
    } else if (requireBound) {
      issues.add(field, `parameter '${expr.name}' is not bound`);
    }
  } else {
    issues.add(field, `angle must be a number or a parameter expression string, got ${describeValue(p)}`);
  }
}

/** The parameter names of a (valid) circuit JSON, in order of first appearance. */
export function circuitParameters(json: CircuitJson): string[] {
  const names = new Set<string>();
  for (const op of json.operations) {
    for (const p of op.params ?? []) {
      if (typeof p === 'string') {
        const expr = parsedExpression(p);
        if (expr) names.add(expr.name);
      }
    }
  }
  return [...names];
}

function checkBinding(values: unknown, field: string, issues: IssueCollector): values is ParameterBinding {
  if (!isPlainObject(values)) {
    issues.add(field, `must be an object of parameter values by name, got ${describeValue(values)}`);
    return false;
  }
  let ok = true;
  for (const name of Object.keys(values)) {
    const v = values[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.add(`${field}.${name}`, `must be a finite number, got ${describeValue(v)}`);
      ok = false;
    }
  }
  return ok;
}

/**
 * Substitutes parameter values into a valid circuit JSON. With `complete` every parameter must
 * get a value (a backend running the circuit needs that); without, the rest stay symbolic. Names in
 * `values` that the circuit does not use are ignored when `complete` (one binding may serve several
 * circuits), and are an error otherwise (a typo would silently leave a parameter unbound).
 */
export function bindCircuitJson(
  json: CircuitJson,
  values: ParameterBinding | undefined,
  options: { complete?: boolean; field?: string } = {},
): CircuitJson {
  return bindOwnedCircuitJson(copyCircuitJson(json), values, options);
}

/**
 * {@link bindCircuitJson} on a circuit the caller owns (e.g. the copy `validateCircuitJson`
 * returned): the angles are substituted in place, so no second copy is made. Same checks and errors.
 */
export function bindOwnedCircuitJson(
  circuit: CircuitJson,
  values: ParameterBinding | undefined,
  options: { complete?: boolean; field?: string } = {},
): CircuitJson {
  const field = options.field ?? 'parameters';
  const issues = new IssueCollector();
  const binding = values ?? {};
  if (checkBinding(binding, field, issues) && options.complete !== true) {
    const used = new Set(circuitParameters(circuit));
    for (const name of Object.keys(binding)) {
      if (!used.has(name)) issues.add(`${field}.${name}`, `the circuit has no parameter '${name}'`);
    }
  }
  issues.throwIfAny('Invalid parameter values');
  let missing: Set<string> | undefined;
  for (const op of circuit.operations) {
    const params = op.params as Angle[] | undefined;
    if (params === undefined) continue;
    for (let j = 0; j < params.length; j++) {
      const p = params[j] as Angle;
      if (typeof p === 'number') continue;
      const expr = parsedExpression(p) as ParameterExpression;
      const v = Object.hasOwn(binding, expr.name) ? binding[expr.name] : undefined;
      if (v !== undefined) params[j] = expr.coefficient * v + expr.offset;
      else {
        missing ??= new Set();
        missing.add(expr.name);
      }
    }
  }
  if (options.complete === true && missing !== undefined) {
    for (const name of missing) issues.add(`${field}.${name}`, `parameter '${name}' is not bound`);
    issues.throwIfAny('Unbound parameters');
  }
  return circuit;
}

type Op = CircuitOperation;

/**
 * A quantum circuit on `numQubits` qubits: an ordered list of gates, measurements and barriers.
 * Gate methods validate their arguments, append, and return `this` (chainable, as in Qiskit):
 *
 * ```ts
 * const bell = new Circuit(2).h(0).cx(0, 1);
 * const ansatz = new Circuit(2).ry(0, 'theta0').ry(1, 'theta1').cx(0, 1);
 * const bound = ansatz.bind({ theta0: 0.1, theta1: 0.2 });
 * ```
 *
 * Controlled gates take the control(s) first and the target last. `compose`, `inverse`, `bind` and
 * `copy` return new circuits.
 */
export class Circuit {
  readonly numQubits: number;
  private readonly ops: Op[] = [];
  private readonly measured = new Set<number>();

  constructor(numQubits: number) {
    const issues = new IssueCollector();
    if (!Number.isInteger(numQubits) || numQubits < 1) {
      issues.add('numQubits', `must be a positive integer, got ${describeValue(numQubits)}`, 1);
    } else if (numQubits > MAX_CIRCUIT_QUBITS) {
      issues.add('numQubits', `is ${numQubits}, more than the limit of ${MAX_CIRCUIT_QUBITS}`, MAX_CIRCUIT_QUBITS);
    }
    issues.throwIfAny('Invalid circuit');
    this.numQubits = numQubits;
  }

  /** The operations, as copies (mutating them does not change the circuit). */
  get operations(): CircuitOperation[] {
    return this.toJSON().operations;
  }

  /** Parameter names in order of first appearance. */
  get parameters(): string[] {
    return circuitParameters({ numQubits: this.numQubits, operations: this.ops });
  }

  /** Number of operations (gates, measurements and barriers). */
  get size(): number {
    return this.ops.length;
  }

  /** Appends any gate or directive by name, validated like {@link validateCircuitJson}. */
  append(gate: OperationName, qubits: readonly number[], params: readonly Angle[] = []): this {
    const op: Op =
      params.length > 0 ? { gate, qubits: [...qubits], params: [...params] } : { gate, qubits: [...qubits] };
    const issues = new IssueCollector();
    const context = { numQubits: this.numQubits, allowed: undefined, measured: this.measured, requireBound: false };
    collectOperationIssues(op, `operations[${this.ops.length}]`, context, issues);
    issues.throwIfAny(`Invalid operation '${String(gate)}'`);
    this.ops.push(op);
    return this;
  }

  h(q: number): this {
    return this.append('h', [q]);
  }
  x(q: number): this {
    return this.append('x', [q]);
  }
  y(q: number): this {
    return this.append('y', [q]);
  }
  z(q: number): this {
    return this.append('z', [q]);
  }
  s(q: number): this {
    return this.append('s', [q]);
  }
  sdg(q: number): this {
    return this.append('sdg', [q]);
  }
  t(q: number): this {
    return this.append('t', [q]);
  }
  tdg(q: number): this {
    return this.append('tdg', [q]);
  }
  sx(q: number): this {
    return this.append('sx', [q]);
  }
  rx(q: number, theta: Angle): this {
    return this.append('rx', [q], [theta]);
  }
  ry(q: number, theta: Angle): this {
    return this.append('ry', [q], [theta]);
  }
  rz(q: number, theta: Angle): this {
    return this.append('rz', [q], [theta]);
  }
  p(q: number, lambda: Angle): this {
    return this.append('p', [q], [lambda]);
  }
  u(q: number, theta: Angle, phi: Angle, lambda: Angle): this {
    return this.append('u', [q], [theta, phi, lambda]);
  }
  cx(control: number, target: number): this {
    return this.append('cx', [control, target]);
  }
  cy(control: number, target: number): this {
    return this.append('cy', [control, target]);
  }
  cz(control: number, target: number): this {
    return this.append('cz', [control, target]);
  }
  crx(control: number, target: number, theta: Angle): this {
    return this.append('crx', [control, target], [theta]);
  }
  cry(control: number, target: number, theta: Angle): this {
    return this.append('cry', [control, target], [theta]);
  }
  crz(control: number, target: number, theta: Angle): this {
    return this.append('crz', [control, target], [theta]);
  }
  cp(control: number, target: number, lambda: Angle): this {
    return this.append('cp', [control, target], [lambda]);
  }
  swap(a: number, b: number): this {
    return this.append('swap', [a, b]);
  }
  ccx(control0: number, control1: number, target: number): this {
    return this.append('ccx', [control0, control1, target]);
  }
  rxx(a: number, b: number, theta: Angle): this {
    return this.append('rxx', [a, b], [theta]);
  }
  ryy(a: number, b: number, theta: Angle): this {
    return this.append('ryy', [a, b], [theta]);
  }
  rzz(a: number, b: number, theta: Angle): this {
    return this.append('rzz', [a, b], [theta]);
  }
  /** IonQ GPi(φ), φ in radians. */
  gpi(q: number, phi: Angle): this {
    return this.append('gpi', [q], [phi]);
  }
  /** IonQ GPi2(φ), φ in radians. */
  gpi2(q: number, phi: Angle): this {
    return this.append('gpi2', [q], [phi]);
  }
  /** IonQ Mølmer–Sørensen gate; φ0 acts on `a`, φ1 on `b`; θ defaults to π/2 (fully entangling). */
  ms(a: number, b: number, phi0: Angle, phi1: Angle, theta: Angle = Math.PI / 2): this {
    return this.append('ms', [a, b], [phi0, phi1, theta]);
  }
  /** Terminal measurement of the given qubits (all qubits when none are given). */
  measure(...qubits: number[]): this {
    const list = qubits.length > 0 ? qubits : Array.from({ length: this.numQubits }, (_, i) => i);
    for (const q of list) this.append('measure', [q]);
    return this;
  }
  /** A barrier across the given qubits (all qubits when none are given). */
  barrier(...qubits: number[]): this {
    const list = qubits.length > 0 ? qubits : Array.from({ length: this.numQubits }, (_, i) => i);
    return this.append('barrier', list);
  }

  /** A new circuit with every parameter named in `values` substituted (others stay symbolic). */
  bind(values: ParameterBinding): Circuit {
    const bound = bindCircuitJson(this.toJSON(), values);
    return Circuit.fromJSON(bound);
  }

  /** True when no angle is symbolic. */
  get isBound(): boolean {
    return this.ops.every((op) => (op.params ?? []).every((p) => typeof p === 'number'));
  }

  copy(): Circuit {
    return Circuit.fromJSON(this.toJSON());
  }

  /**
   * A new circuit: this one followed by `other`, whose qubit i goes to `qubits[i]` (default: the
   * same index; `other` must not have more qubits than this one).
   */
  compose(other: Circuit, qubits?: readonly number[]): Circuit {
    const map = qubits ?? Array.from({ length: other.numQubits }, (_, i) => i);
    const issues = new IssueCollector();
    if (map.length !== other.numQubits) {
      issues.add(
        'qubits',
        `must list ${other.numQubits} qubits (one per qubit of the other circuit), got ${map.length}`,
      );
    }
    issues.throwIfAny('Invalid compose');
    const out = this.copy();
    for (const op of other.ops) {
      out.append(
        op.gate as OperationName,
        op.qubits.map((q) => map[q] as number),
        op.params ?? [],
      );
    }
    return out;
  }

  /**
   * The inverse circuit U†: gates in reverse order, each replaced by its exact inverse
   * ({@link inverseGate}); symbolic angles are negated as expressions. Barriers are kept; a
   * circuit with measurements has no inverse (a typed error).
   */
  inverse(): Circuit {
    const out = new Circuit(this.numQubits);
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i] as Op;
      if (op.gate === 'measure') {
        throw new ValidationError(
          [{ field: `operations[${i}]`, message: 'a circuit with measurements has no inverse' }],
          'Invalid inverse',
        );
      }
      if (op.gate === 'barrier') {
        out.append('barrier', op.qubits);
        continue;
      }
      const gate = op.gate as GateName;
      const params = op.params ?? [];
      if (params.every((p) => typeof p === 'number')) {
        for (const step of inverseGate(gate, params as number[])) out.append(step.gate, op.qubits, step.params);
      } else {
        for (const step of symbolicInverse(gate, params)) out.append(step.gate, op.qubits, step.params);
      }
    }
    return out;
  }

  /**
   * Circuit depth: the longest chain of operations that share qubits. Gates and measurements count
   * one layer each; a barrier counts none but aligns its qubits (nothing after it starts before
   * everything before it on those qubits).
   */
  depth(): number {
    const level = new Array<number>(this.numQubits).fill(0);
    for (const op of this.ops) {
      const top = Math.max(...op.qubits.map((q) => level[q] as number));
      const next = op.gate === 'barrier' ? top : top + 1;
      for (const q of op.qubits) level[q] = next;
    }
    return Math.max(0, ...level);
  }

  /** How many times each operation name occurs. */
  countOps(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const op of this.ops) counts[op.gate] = (counts[op.gate] ?? 0) + 1;
    return counts;
  }

  /** The JSON form (a deep copy; params omitted when a gate has none). */
  toJSON(): CircuitJson {
    return copyCircuitJson({ numQubits: this.numQubits, operations: this.ops });
  }

  /** A circuit from its JSON form, validated ({@link validateCircuitJson}): throws ValidationError. */
  static fromJSON(json: unknown, options: CircuitValidationOptions = {}): Circuit {
    const valid = validateCircuitJson(json, options);
    const c = new Circuit(valid.numQubits);
    for (const op of valid.operations) {
      c.ops.push(op);
      if (op.gate === 'measure') for (const q of op.qubits) c.measured.add(q);
    }
    return c;
  }
}

function negate(p: Angle): Angle {
  if (typeof p === 'number') return -p;
  const e = parseParameterExpression(p) as ParameterExpression;
  return formatParameterExpression({ name: e.name, coefficient: -e.coefficient, offset: -e.offset });
}

function shift(p: Angle, by: number): Angle {
  if (typeof p === 'number') return p + by;
  const e = parseParameterExpression(p) as ParameterExpression;
  return formatParameterExpression({ ...e, offset: e.offset + by });
}

/** {@link inverseGate} for angles that may be expressions (same identities). */
function symbolicInverse(gate: GateName, p: readonly Angle[]): Array<{ gate: GateName; params: Angle[] }> {
  switch (gate) {
    case 'u':
      return [{ gate, params: [negate(p[0] as Angle), negate(p[2] as Angle), negate(p[1] as Angle)] }];
    case 'gpi2':
      return [{ gate, params: [shift(p[0] as Angle, Math.PI)] }];
    case 'ms':
      return [{ gate, params: [p[0] as Angle, p[1] as Angle, negate(p[2] as Angle)] }];
    case 'gpi':
      return [{ gate, params: [...p] }];
    default:
      return [{ gate, params: [negate(p[0] as Angle)] }];
  }
}
