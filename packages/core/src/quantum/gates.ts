/**
 * The canonical gate table of q-store: every gate a {@link CircuitJson} may name, how many qubits
 * and angles it takes, and its exact unitary matrix.
 *
 * ## Bit order (fixed once for all of q-store)
 * Qubit 0 is the **least significant bit** of a basis-state index (IonQ's and Qiskit's convention):
 * on n qubits, basis state |b_{n−1} … b_1 b_0⟩ has index Σ b_q·2^q.
 *
 * ## Matrix layout
 * A k-qubit gate applied to listed qubits `[q_0, q_1, …, q_{k−1}]` has a 2^k × 2^k matrix whose
 * index bit j belongs to listed qubit q_j: **the first listed qubit is the matrix's least
 * significant bit**. Matrix element (r, c) is ⟨r|U|c⟩, stored row-major at `r·dim + c` in
 * {@link ComplexMatrix} `re` and `im`. This matches the state-vector order, so applying a gate is
 * ψ'[…r…] = Σ_c U[r][c] ψ[…c…] with r, c gathered from the bits of the listed qubits.
 *
 * ## Controlled gates
 * The FIRST listed qubit(s) are controls, the last listed qubit is the target: `cx [c, t]`,
 * `ccx [c0, c1, t]`. `numControls` in the table says how many. With the layout above, `cx [c, t]`
 * swaps matrix indices 1 (c=1, t=0) and 3 (c=1, t=1).
 *
 * ## Conventions (Qiskit's), angles in radians
 * Written with c = cos(θ/2), s = sin(θ/2); rows top to bottom, matrix index order above.
 * - h = 1/√2 [[1, 1], [1, −1]]; x = [[0, 1], [1, 0]]; y = [[0, −i], [i, 0]]; z = diag(1, −1)
 * - s = diag(1, i); sdg = diag(1, −i); t = diag(1, e^{iπ/4}); tdg = diag(1, e^{−iπ/4})
 * - sx = √X = ½ [[1+i, 1−i], [1−i, 1+i]]
 * - rx(θ) = exp(−iθX/2) = [[c, −is], [−is, c]]; ry(θ) = [[c, −s], [s, c]];
 *   rz(θ) = diag(e^{−iθ/2}, e^{iθ/2}); p(λ) = diag(1, e^{iλ})
 * - u(θ, φ, λ) = [[c, −e^{iλ}s], [e^{iφ}s, e^{i(φ+λ)}c]]
 * - cx, cy, cz, crx(θ), cry(θ), crz(θ), cp(λ): the 1-qubit gate on the target when the control is 1
 * - swap exchanges its two qubits; ccx flips the target when both controls are 1
 * - rxx(θ) = exp(−iθ/2 X⊗X), ryy(θ) = exp(−iθ/2 Y⊗Y), rzz(θ) = exp(−iθ/2 Z⊗Z) = diag over the
 *   parity: e^{−iθ/2} on even parity, e^{iθ/2} on odd
 *
 * ## IonQ native gates, in RADIANS here
 * IonQ's API takes phases in turns (1 turn = 2π); the IonQ backend converts. With
 * σ_φ = cos φ·X + sin φ·Y = [[0, e^{−iφ}], [e^{iφ}, 0]]:
 * - gpi(φ) = σ_φ = [[0, e^{−iφ}], [e^{iφ}, 0]]
 * - gpi2(φ) = exp(−iπ/4 σ_φ) = 1/√2 [[1, −i e^{−iφ}], [−i e^{iφ}, 1]]
 * - ms(φ0, φ1, θ) = exp(−iθ/2 σ_φ0 ⊗ σ_φ1), **always three angles** in JSON (IonQ's default
 *   θ = π/2, the fully entangling MS gate, is the default of `Circuit.ms`). σ_φ0 acts on the FIRST
 *   listed qubit, σ_φ1 on the second (IonQ's `targets[0]` carries `phases[0]`). IonQ publishes the
 *   matrix with the first target as the LEFT (most significant) tensor factor:
 *   [[c, 0, 0, −i e^{−i(φ0+φ1)} s], [0, c, −i e^{−i(φ0−φ1)} s, 0], [0, −i e^{i(φ0−φ1)} s, c, 0],
 *   [−i e^{i(φ0+φ1)} s, 0, 0, c]].
 *   In q-store's layout the first listed qubit is the LOW bit, so our matrix is that one with the
 *   two middle indices exchanged: element (1, 2) = −i e^{i(φ0−φ1)} s, element (2, 1) =
 *   −i e^{−i(φ0−φ1)} s; the corners are the same. Same operator, different index order.
 *
 * ## Non-unitary operations
 * - `measure` (one qubit, no angles): a terminal measurement of that qubit. Backends sample every
 *   qubit at the end of the circuit anyway (counts are `numQubits` wide), so `measure` marks intent
 *   (and the classical bit in OpenQASM) and must come after every gate on its qubit; a gate on a
 *   measured qubit is a validation error (no mid-circuit measurement).
 * - `barrier` (any number of qubits ≥ 1, no angles): a no-op that stops optimisers from merging
 *   gates across it. Simulators ignore it.
 */

export type GateName =
  | 'h'
  | 'x'
  | 'y'
  | 'z'
  | 's'
  | 'sdg'
  | 't'
  | 'tdg'
  | 'sx'
  | 'rx'
  | 'ry'
  | 'rz'
  | 'p'
  | 'u'
  | 'cx'
  | 'cy'
  | 'cz'
  | 'crx'
  | 'cry'
  | 'crz'
  | 'cp'
  | 'swap'
  | 'ccx'
  | 'rxx'
  | 'ryy'
  | 'rzz'
  | 'gpi'
  | 'gpi2'
  | 'ms';

/** Operations in a circuit that are not unitary gates. */
export type DirectiveName = 'measure' | 'barrier';
export type OperationName = GateName | DirectiveName;

export interface GateInfo {
  readonly name: GateName;
  readonly numQubits: 1 | 2 | 3;
  readonly numParams: 0 | 1 | 2 | 3;
  /** Names of the angles, in order (for messages and docs). */
  readonly paramNames: readonly string[];
  /** How many leading listed qubits are controls (the matrix is the identity unless all are 1). */
  readonly numControls: 0 | 1 | 2;
  /** True when the matrix is diagonal for every angle. */
  readonly diagonal: boolean;
  /** The matrix, as in the module comment. */
  readonly formula: string;
}

function info(
  name: GateName,
  numQubits: 1 | 2 | 3,
  paramNames: readonly string[],
  numControls: 0 | 1 | 2,
  diagonal: boolean,
  formula: string,
): GateInfo {
  return Object.freeze({
    name,
    numQubits,
    numParams: paramNames.length as 0 | 1 | 2 | 3,
    paramNames: Object.freeze([...paramNames]),
    numControls,
    diagonal,
    formula,
  });
}

/** The gate table. Keys are the only gate names a {@link CircuitJson} may use (plus measure, barrier). */
export const GATES: Readonly<Record<GateName, GateInfo>> = Object.freeze({
  h: info('h', 1, [], 0, false, '1/√2 [[1, 1], [1, −1]]'),
  x: info('x', 1, [], 0, false, '[[0, 1], [1, 0]]'),
  y: info('y', 1, [], 0, false, '[[0, −i], [i, 0]]'),
  z: info('z', 1, [], 0, true, 'diag(1, −1)'),
  s: info('s', 1, [], 0, true, 'diag(1, i)'),
  sdg: info('sdg', 1, [], 0, true, 'diag(1, −i)'),
  t: info('t', 1, [], 0, true, 'diag(1, e^{iπ/4})'),
  tdg: info('tdg', 1, [], 0, true, 'diag(1, e^{−iπ/4})'),
  sx: info('sx', 1, [], 0, false, '½ [[1+i, 1−i], [1−i, 1+i]]'),
  rx: info('rx', 1, ['theta'], 0, false, '[[cos θ/2, −i sin θ/2], [−i sin θ/2, cos θ/2]]'),
  ry: info('ry', 1, ['theta'], 0, false, '[[cos θ/2, −sin θ/2], [sin θ/2, cos θ/2]]'),
  rz: info('rz', 1, ['theta'], 0, true, 'diag(e^{−iθ/2}, e^{iθ/2})'),
  p: info('p', 1, ['lambda'], 0, true, 'diag(1, e^{iλ})'),
  u: info(
    'u',
    1,
    ['theta', 'phi', 'lambda'],
    0,
    false,
    '[[cos θ/2, −e^{iλ} sin θ/2], [e^{iφ} sin θ/2, e^{i(φ+λ)} cos θ/2]]',
  ),
  cx: info('cx', 2, [], 1, false, 'x on the target (2nd qubit) when the control (1st) is 1'),
  cy: info('cy', 2, [], 1, false, 'y on the target when the control is 1'),
  cz: info('cz', 2, [], 1, true, 'diag(1, 1, 1, −1)'),
  crx: info('crx', 2, ['theta'], 1, false, 'rx(θ) on the target when the control is 1'),
  cry: info('cry', 2, ['theta'], 1, false, 'ry(θ) on the target when the control is 1'),
  crz: info('crz', 2, ['theta'], 1, true, 'rz(θ) on the target when the control is 1'),
  cp: info('cp', 2, ['lambda'], 1, true, 'diag(1, 1, 1, e^{iλ})'),
  swap: info('swap', 2, [], 0, false, 'exchanges the two qubits: indices 1 ↔ 2'),
  ccx: info('ccx', 3, [], 2, false, 'x on the target (3rd qubit) when both controls are 1: indices 3 ↔ 7'),
  rxx: info('rxx', 2, ['theta'], 0, false, 'exp(−iθ/2 X⊗X) = cos θ/2 I − i sin θ/2 X⊗X'),
  ryy: info('ryy', 2, ['theta'], 0, false, 'exp(−iθ/2 Y⊗Y) = cos θ/2 I − i sin θ/2 Y⊗Y'),
  rzz: info('rzz', 2, ['theta'], 0, true, 'exp(−iθ/2 Z⊗Z) = diag(e^{−iθ/2}, e^{iθ/2}, e^{iθ/2}, e^{−iθ/2})'),
  gpi: info('gpi', 1, ['phi'], 0, false, '[[0, e^{−iφ}], [e^{iφ}, 0]]'),
  gpi2: info('gpi2', 1, ['phi'], 0, false, '1/√2 [[1, −i e^{−iφ}], [−i e^{iφ}, 1]]'),
  ms: info(
    'ms',
    2,
    ['phi0', 'phi1', 'theta'],
    0,
    false,
    'exp(−iθ/2 σ_φ0⊗σ_φ1), σ_φ0 on the 1st listed qubit (matrix LSB), σ_φ = [[0, e^{−iφ}], [e^{iφ}, 0]]',
  ),
});

/** Every gate name, in table order. */
export const GATE_NAMES: readonly GateName[] = Object.freeze(Object.keys(GATES) as GateName[]);

/** The non-unitary operations a circuit may hold. */
export const DIRECTIVE_NAMES: readonly DirectiveName[] = Object.freeze(['measure', 'barrier'] as const);

export function isGateName(name: unknown): name is GateName {
  return typeof name === 'string' && Object.hasOwn(GATES, name);
}

export function isDirectiveName(name: unknown): name is DirectiveName {
  return name === 'measure' || name === 'barrier';
}

/** A dense complex matrix, row-major: element (r, c) at `r * dim + c`. */
export interface ComplexMatrix {
  readonly dim: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
}

function zeros(dim: number): { dim: number; re: Float64Array; im: Float64Array } {
  return { dim, re: new Float64Array(dim * dim), im: new Float64Array(dim * dim) };
}

type Mut = ReturnType<typeof zeros>;

function set(m: Mut, r: number, c: number, re: number, im: number): void {
  m.re[r * m.dim + c] = re;
  m.im[r * m.dim + c] = im;
}

/** Sets element (r, c) to scale · e^{i·angle}. */
function setPolar(m: Mut, r: number, c: number, scale: number, angle: number): void {
  set(m, r, c, scale * Math.cos(angle), scale * Math.sin(angle));
}

/** The 2×2 matrix of the single-qubit gate `name`. */
function single(name: GateName, p: readonly number[]): Mut {
  const m = zeros(2);
  const a = p[0] ?? 0;
  const c = Math.cos(a / 2);
  const s = Math.sin(a / 2);
  const r = Math.SQRT1_2;
  switch (name) {
    case 'h':
      set(m, 0, 0, r, 0);
      set(m, 0, 1, r, 0);
      set(m, 1, 0, r, 0);
      set(m, 1, 1, -r, 0);
      break;
    case 'x':
      set(m, 0, 1, 1, 0);
      set(m, 1, 0, 1, 0);
      break;
    case 'y':
      set(m, 0, 1, 0, -1);
      set(m, 1, 0, 0, 1);
      break;
    case 'z':
      set(m, 0, 0, 1, 0);
      set(m, 1, 1, -1, 0);
      break;
    case 's':
      set(m, 0, 0, 1, 0);
      set(m, 1, 1, 0, 1);
      break;
    case 'sdg':
      set(m, 0, 0, 1, 0);
      set(m, 1, 1, 0, -1);
      break;
    case 't':
      set(m, 0, 0, 1, 0);
      set(m, 1, 1, r, r);
      break;
    case 'tdg':
      set(m, 0, 0, 1, 0);
      set(m, 1, 1, r, -r);
      break;
    case 'sx':
      set(m, 0, 0, 0.5, 0.5);
      set(m, 0, 1, 0.5, -0.5);
      set(m, 1, 0, 0.5, -0.5);
      set(m, 1, 1, 0.5, 0.5);
      break;
    case 'rx':
      set(m, 0, 0, c, 0);
      set(m, 0, 1, 0, -s);
      set(m, 1, 0, 0, -s);
      set(m, 1, 1, c, 0);
      break;
    case 'ry':
      set(m, 0, 0, c, 0);
      set(m, 0, 1, -s, 0);
      set(m, 1, 0, s, 0);
      set(m, 1, 1, c, 0);
      break;
    case 'rz':
      setPolar(m, 0, 0, 1, -a / 2);
      setPolar(m, 1, 1, 1, a / 2);
      break;
    case 'p':
      set(m, 0, 0, 1, 0);
      setPolar(m, 1, 1, 1, a);
      break;
    case 'u': {
      const phi = p[1] ?? 0;
      const lambda = p[2] ?? 0;
      set(m, 0, 0, c, 0);
      setPolar(m, 0, 1, -s, lambda);
      setPolar(m, 1, 0, s, phi);
      setPolar(m, 1, 1, c, phi + lambda);
      break;
    }
    case 'gpi':
      setPolar(m, 0, 1, 1, -a);
      setPolar(m, 1, 0, 1, a);
      break;
    case 'gpi2':
      set(m, 0, 0, r, 0);
      // −i e^{−iφ} = e^{−i(φ + π/2)}; −i e^{iφ} = e^{i(φ − π/2)}
      setPolar(m, 0, 1, r, -a - Math.PI / 2);
      setPolar(m, 1, 0, r, a - Math.PI / 2);
      set(m, 1, 1, r, 0);
      break;
    default:
      throw new Error(`internal: ${name} is not a single-qubit gate`);
  }
  return m;
}

const CONTROLLED_BASE: Partial<Record<GateName, GateName>> = {
  cx: 'x',
  cy: 'y',
  cz: 'z',
  crx: 'rx',
  cry: 'ry',
  crz: 'rz',
  cp: 'p',
};

/** Embeds a 2×2 target matrix as "apply when every control bit (the low bits) is 1". */
function controlled(base: Mut, numControls: number): Mut {
  const dim = 1 << (numControls + 1);
  const m = zeros(dim);
  for (let i = 0; i < dim; i++) set(m, i, i, 1, 0);
  const ctrl = (1 << numControls) - 1;
  const t = 1 << numControls;
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      set(m, ctrl | (r * t), ctrl | (c * t), base.re[r * 2 + c] as number, base.im[r * 2 + c] as number);
    }
  }
  return m;
}

/**
 * cos(θ/2)·I − i·sin(θ/2)·P for a two-qubit Pauli product P given by its entries: P maps basis
 * index k to index `k ^ flip` with phase `phase(k)` (a unit complex number as [re, im]).
 */
function pauliRotation(theta: number, flip: number, phase: (k: number) => [number, number]): Mut {
  const m = zeros(4);
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  for (let k = 0; k < 4; k++) {
    // P|k⟩ = phase(k)|k^flip⟩, so ⟨k^flip|P|k⟩ = phase(k); column k, row k^flip.
    const [pr, pi] = phase(k);
    const row = k ^ flip;
    // −i·s·(pr + i·pi) = s·pi − i·s·pr
    const idx = row * 4 + k;
    m.re[idx] = (m.re[idx] as number) + s * pi;
    m.im[idx] = (m.im[idx] as number) - s * pr;
    m.re[k * 4 + k] = (m.re[k * 4 + k] as number) + c;
  }
  return m;
}

function paramsOf(name: string, params: readonly number[] | undefined, expected: number): readonly number[] {
  const p = params ?? [];
  if (p.length !== expected) {
    throw new RangeError(`gate '${name}' takes ${expected} angle(s), got ${p.length}`);
  }
  for (const v of p) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`gate '${name}': angles must be finite numbers, got ${String(v)}`);
    }
  }
  return p;
}

/**
 * The unitary matrix of `name` with the given angles (radians), in the layout of the module
 * comment (first listed qubit = least significant matrix index bit). Throws a RangeError on an
 * unknown gate, a wrong number of angles or a non-finite angle (circuit validation reports these
 * as typed errors before any backend calls this).
 */
export function gateMatrix(name: GateName | string, params?: readonly number[]): ComplexMatrix {
  if (!isGateName(name)) throw new RangeError(`unknown gate '${String(name)}'`);
  const g = GATES[name];
  const p = paramsOf(name, params, g.numParams);
  const base = CONTROLLED_BASE[name];
  if (base !== undefined) return controlled(single(base, p), 1);
  switch (name) {
    case 'ccx':
      return controlled(single('x', []), 2);
    case 'swap': {
      const m = zeros(4);
      set(m, 0, 0, 1, 0);
      set(m, 1, 2, 1, 0);
      set(m, 2, 1, 1, 0);
      set(m, 3, 3, 1, 0);
      return m;
    }
    case 'rxx':
      return pauliRotation(p[0] as number, 3, () => [1, 0]);
    case 'ryy':
      // Y|0⟩ = i|1⟩, Y|1⟩ = −i|0⟩: Y⊗Y|k⟩ = (∏ per bit) |k^3⟩; phase +1 for k=1,2, −1 for k=0,3.
      return pauliRotation(p[0] as number, 3, (k) => (k === 0 || k === 3 ? [-1, 0] : [1, 0]));
    case 'rzz':
      return pauliRotation(p[0] as number, 0, (k) => (k === 0 || k === 3 ? [1, 0] : [-1, 0]));
    case 'ms': {
      const [phi0, phi1] = p as [number, number, number];
      // σ_φ|0⟩ = e^{iφ}|1⟩, σ_φ|1⟩ = e^{−iφ}|0⟩. Bit 0 (LSB) carries φ0, bit 1 carries φ1.
      return pauliRotation(p[2] as number, 3, (k) => {
        const a = ((k & 1) === 0 ? phi0 : -phi0) + ((k & 2) === 0 ? phi1 : -phi1);
        return [Math.cos(a), Math.sin(a)];
      });
    }
    default:
      return single(name, p);
  }
}

/**
 * ∂U/∂(angle `index`) of `gateMatrix(name, params)`, exact (used by adjoint differentiation).
 *
 * Every entry of every parameterised gate in the table is a combination of cos(ωx), sin(ωx) and
 * e^{±iωx} in the angle x, with one frequency ω per (gate, angle): ω = ½ for angles that enter
 * as θ/2 (rotations, u's θ, ms's θ), ω = 1 for phases (p, cp, u's φ and λ, gpi, gpi2, ms's φ0, φ1).
 * For such entries f'(x) = (ω/2)·(f(x + h) − f(x − h)) with ωh = π/2, exactly (no truncation
 * error), which is what this computes.
 */
export function gateMatrixDerivative(name: GateName | string, params: readonly number[], index: number): ComplexMatrix {
  if (!isGateName(name)) throw new RangeError(`unknown gate '${String(name)}'`);
  const g = GATES[name];
  const p = paramsOf(name, params, g.numParams);
  if (!Number.isInteger(index) || index < 0 || index >= g.numParams) {
    throw new RangeError(`gate '${name}' has no angle ${index}`);
  }
  const omega = HALF_ANGLE[name]?.[index] === true ? 0.5 : 1;
  const h = Math.PI / (2 * omega); // ωh = π/2: sin(ωh) = 1
  const plus = gateMatrix(
    name,
    p.map((v, i) => (i === index ? v + h : v)),
  );
  const minus = gateMatrix(
    name,
    p.map((v, i) => (i === index ? v - h : v)),
  );
  const scale = omega / 2;
  const dim = plus.dim;
  const out = zeros(dim);
  for (let i = 0; i < dim * dim; i++) {
    out.re[i] = ((plus.re[i] as number) - (minus.re[i] as number)) * scale;
    out.im[i] = ((plus.im[i] as number) - (minus.im[i] as number)) * scale;
  }
  return out;
}

/** Which angles of each gate enter through θ/2 (all others enter with frequency 1). */
const HALF_ANGLE: Partial<Record<GateName, readonly boolean[]>> = {
  rx: [true],
  ry: [true],
  rz: [true],
  u: [true, false, false],
  crx: [true],
  cry: [true],
  crz: [true],
  rxx: [true],
  ryy: [true],
  rzz: [true],
  ms: [false, false, true],
};

/** One gate with numeric angles, as produced by {@link inverseGate}. */
export interface GateApplication {
  gate: GateName;
  params: number[];
}

/**
 * Exact inverse of one gate with numeric angles, as a short list of gates in the table (applied in
 * order). Exact including global phase: sx† = h·sdg·h (since sx = h·s·h); gpi is its own inverse;
 * gpi2(φ)† = gpi2(φ + π); ms(φ0, φ1, θ)† = ms(φ0, φ1, −θ); u(θ, φ, λ)† = u(−θ, −λ, −φ); rotations
 * and phases negate their angle; s ↔ sdg, t ↔ tdg; the rest are self-inverse.
 */
export function inverseGate(name: GateName, params: readonly number[] = []): GateApplication[] {
  const p = [...params];
  switch (name) {
    case 's':
      return [{ gate: 'sdg', params: [] }];
    case 'sdg':
      return [{ gate: 's', params: [] }];
    case 't':
      return [{ gate: 'tdg', params: [] }];
    case 'tdg':
      return [{ gate: 't', params: [] }];
    case 'sx':
      return [
        { gate: 'h', params: [] },
        { gate: 'sdg', params: [] },
        { gate: 'h', params: [] },
      ];
    case 'u':
      return [{ gate: 'u', params: [-(p[0] as number), -(p[2] as number), -(p[1] as number)] }];
    case 'gpi2':
      return [{ gate: 'gpi2', params: [(p[0] as number) + Math.PI] }];
    case 'ms':
      return [{ gate: 'ms', params: [p[0] as number, p[1] as number, -(p[2] as number)] }];
    case 'gpi':
      return [{ gate: 'gpi', params: p }];
    default:
      if (GATES[name].numParams === 1) return [{ gate: name, params: [-(p[0] as number)] }];
      return [{ gate: name, params: [] }];
  }
}
