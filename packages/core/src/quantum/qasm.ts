/**
 * OpenQASM 2.0 import ({@link parseQasm}) and export ({@link toQasm}).
 *
 * ## Import
 * A hand-written tokenizer and recursive-descent parser for the OpenQASM 2.0 grammar:
 * `OPENQASM 2.0;` (an `include` may come before it), `include "qelib1.inc";`, several `qreg` and
 * `creg` declarations, `gate name(params) qubits { … }` definitions (nested calls, `barrier`
 * inside, parameter expressions with `+ − * / ^`, unary minus, `pi`, `sin cos tan exp ln sqrt`),
 * the builtins `U(θ,φ,λ)` and `CX`, register broadcast (`h q;`, `cx a, b;` over equal-size
 * registers, mixed with single qubits), `barrier`, `measure q[i] -> c[j];` and `measure q -> c;`,
 * and `//` comments. Quantum registers map to global qubit indices in declaration order: the first
 * register's qubit 0 is qubit 0, the next register follows.
 *
 * Not supported, each a {@link QasmParseError} naming the line and column: `if (c == n)`
 * (classically controlled operations: use the deferred-measurement form with controlled gates),
 * `reset`, `opaque`, an `include` of any file other than `qelib1.inc`, a gate on a qubit after its
 * measurement (measurements are terminal), a version other than 2.x.
 *
 * Limits, each a {@link QasmParseError} at the line that crosses it (checked before the work it
 * guards, so a hostile file fails fast instead of exhausting the stack, memory or time): at most
 * {@link MAX_CIRCUIT_QUBITS} qubits over all `qreg`s (the running total is checked at each `qreg`),
 * {@link MAX_QASM_CLASSICAL_BITS} classical bits, {@link MAX_QASM_EXPRESSION_DEPTH} levels of
 * nesting in one parameter expression, 64 levels of gate definitions, and
 * {@link MAX_QASM_OPERATIONS} operations after expansion (each definition's expanded size is the sum
 * of its body's sizes, computed when it is defined). A leading UTF-8 byte-order mark is skipped.
 *
 * qelib1 gates map onto the gate table as follows (exact, including the relative phases that
 * matter under control; a global phase of an uncontrolled gate is not observable):
 * u3 → u; u2(φ,λ) → u(π/2,φ,λ); u1 → p; u → u; p → p; cu1, cp → cp; id, u0 → nothing (identity);
 * x y z h s sdg t tdg sx rx ry rz cx cy cz crx cry crz swap ccx rxx rzz → the same names;
 * sxdg → h·sdg·h; ch → ry(−π/4), cz, ry(π/4) on the target; cswap → cx, ccx, cx; csx → h, cp(π/2), h;
 * cu3 and cu(θ,φ,λ,γ) → qelib1's own definitions in p, cx, u; the multi-controlled gates of Qiskit's
 * qelib1 → its definitions: rccx (Toffoli up to relative phases, Margolus), rc3x (C³X up to relative
 * phases), c3x (C³X), c3sqrtx (C³-√X), c4x (C⁴X). `U` → u and `CX` → cx. User gate
 * definitions are expanded into these operations. IonQ's gpi, gpi2, ms and ryy are not qelib1
 * gates: a file defines them (as {@link toQasm} writes them) and they import as their definitions.
 *
 * ## Export
 * `OPENQASM 2.0;`, `include "qelib1.inc";`, one register `q` (and `c` when the circuit measures),
 * angles written at full precision (the shortest decimal that reads back to the same double).
 * u → u3, p → u1, cp → cu1 (the original qelib1 names, so older tools read the file); gates
 * without a qelib1 equivalent (gpi, gpi2, ms, ryy) are emitted as `gate` definitions at the top, so
 * the file re-imports to the same unitary. Symbolic parameters cannot be written in OpenQASM 2.0:
 * bind them first.
 */

import { ValidationError } from '../shared/errors.js';
import { Circuit, MAX_CIRCUIT_QUBITS } from './circuit.js';
import { GATES, type GateName, isGateName, type OperationName } from './gates.js';
import type { CircuitJson } from './quantum-backend.js';

/** A QASM program that does not parse or uses an unsupported feature; names line and column. */
export class QasmParseError extends ValidationError {
  readonly line: number;
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super([{ field: `line ${line}, column ${column}`, message }], 'Invalid OpenQASM 2.0');
    this.line = line;
    this.column = column;
  }
}

export interface QasmRegister {
  name: string;
  size: number;
  /** Global index of the register's element 0 (qubit index for qreg, classical bit for creg). */
  offset: number;
}

/** The result of {@link parseQasm}. */
export interface QasmProgram {
  circuit: Circuit;
  quantumRegisters: QasmRegister[];
  classicalRegisters: QasmRegister[];
  /**
   * Each `measure`, as global qubit → global classical bit. Sample counts are keyed by qubit
   * (qubit 0 rightmost); use this map to re-key them by classical bit.
   */
  measurements: Array<{ qubit: number; clbit: number }>;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'id' | 'real' | 'int' | 'string' | 'sym' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
}

const SYMBOLS = ['->', '==', ';', ',', '(', ')', '[', ']', '{', '}', '+', '-', '*', '/', '^'];

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER_LITERAL = /(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = () => ({ line, column: i - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const start = at();
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new QasmParseError('unterminated /* comment', start.line, start.column);
      for (let k = i; k < end; k++) {
        if (source[k] === '\n') {
          line++;
          lineStart = k + 1;
        }
      }
      i = end + 2;
      continue;
    }
    const pos = at();
    IDENTIFIER.lastIndex = i;
    const id = IDENTIFIER.exec(source);
    if (id) {
      tokens.push({ kind: 'id', text: id[0], ...pos });
      i += id[0].length;
      continue;
    }
    NUMBER_LITERAL.lastIndex = i;
    const num = NUMBER_LITERAL.exec(source);
    if (num) {
      const isInt = /^\d+$/.test(num[0]);
      tokens.push({ kind: isInt ? 'int' : 'real', text: num[0], ...pos });
      i += num[0].length;
      continue;
    }
    if (ch === '"') {
      const end = source.indexOf('"', i + 1);
      if (end < 0 || source.slice(i, end).includes('\n'))
        throw new QasmParseError('unterminated string', pos.line, pos.column);
      tokens.push({ kind: 'string', text: source.slice(i + 1, end), ...pos });
      i = end + 1;
      continue;
    }
    const sym = SYMBOLS.find((s) => source.startsWith(s, i));
    if (sym) {
      tokens.push({ kind: 'sym', text: sym, ...pos });
      i += sym.length;
      continue;
    }
    throw new QasmParseError(`unexpected character '${ch}'`, pos.line, pos.column);
  }
  tokens.push({ kind: 'eof', text: '', line, column: i - lineStart + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Expressions

/** `depth` is the height of the tree below the node (a leaf is 1); evaluation recurses that deep. */
type Expr =
  | { kind: 'num'; value: number; depth: 1 }
  | { kind: 'param'; name: string; token: Token; depth: 1 }
  | { kind: 'neg'; arg: Expr; depth: number }
  | { kind: 'bin'; op: BinaryOp; left: Expr; right: Expr; depth: number }
  | { kind: 'call'; fn: string; arg: Expr; depth: number };

type BinaryOp = '+' | '-' | '*' | '/' | '^';

/**
 * Most nesting in one parameter expression: parentheses, unary signs, `^` chains and the height of
 * the operator tree each count one level. Constant subexpressions fold to one number as they are
 * parsed (same left-to-right IEEE arithmetic as evaluating them), so a long sum of literals is one
 * level; a long sum over gate parameters is as deep as it is long.
 */
export const MAX_QASM_EXPRESSION_DEPTH = 256;

/**
 * Most primitive operations one program may expand into (gate calls after every user and qelib1
 * definition is inlined, and broadcasts repeated). Each definition's expanded size is computed
 * when it is defined, so a program over the limit fails at the offending line before any expansion.
 */
export const MAX_QASM_OPERATIONS = 1_000_000;

/** Most classical bits over all `creg` declarations. */
export const MAX_QASM_CLASSICAL_BITS = 4096;

/** Most levels of gate definitions calling gate definitions. */
const MAX_GATE_NESTING = 64;

function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    default:
      return a ** b;
  }
}

const FUNCTIONS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  exp: Math.exp,
  ln: Math.log,
  sqrt: Math.sqrt,
};

function evaluate(e: Expr, env: ReadonlyMap<string, number>): number {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'param': {
      const v = env.get(e.name);
      if (v === undefined) throw new QasmParseError(`unknown parameter '${e.name}'`, e.token.line, e.token.column);
      return v;
    }
    case 'neg':
      return -evaluate(e.arg, env);
    case 'call':
      return (FUNCTIONS[e.fn] as (x: number) => number)(evaluate(e.arg, env));
    case 'bin':
      return applyBinary(e.op, evaluate(e.left, env), evaluate(e.right, env));
  }
}

// ---------------------------------------------------------------------------------------------
// Gate definitions

/** One statement in a gate body: a call on the definition's qubit arguments, or a barrier. */
interface BodyCall {
  name: string;
  params: Expr[];
  args: string[];
  token: Token;
}

interface GateDefinition {
  name: string;
  params: string[];
  qubits: string[];
  body: BodyCall[];
  /** A primitive maps straight to a gate of the table (or to nothing, for the identity). */
  primitive?: GateName | 'identity';
  /** Primitive operations one call expands into: 1 for a primitive, the sum over the body otherwise. */
  size: number;
  /** Levels of definitions below this one (a primitive is 0). */
  nesting: number;
}

/** qelib1 gates defined by a decomposition (in QASM, over primitives). */
const QELIB1_DEFINITIONS = `
gate u3(theta,phi,lambda) q { u(theta,phi,lambda) q; }
gate u2(phi,lambda) q { u(pi/2,phi,lambda) q; }
gate u1(lambda) q { p(lambda) q; }
gate cu1(lambda) a,b { cp(lambda) a,b; }
gate sxdg a { h a; sdg a; h a; }
gate ch a,b { ry(-pi/4) b; cz a,b; ry(pi/4) b; }
gate cswap a,b,c { cx c,b; ccx a,b,c; cx c,b; }
gate csx a,b { h b; cp(pi/2) a,b; h b; }
gate cu3(theta,phi,lambda) c,t { p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c,t; u(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u(theta/2,phi,0) t; }
gate cu(theta,phi,lambda,gamma) c,t { p(gamma) c; p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c,t; u(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u(theta/2,phi,0) t; }
gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c; cx b,c; u1(-pi/4) c; u2(0,pi) c; }
gate rc3x a,b,c,d { u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; }
gate c3x a,b,c,d { h d; p(pi/8) a; p(pi/8) b; p(pi/8) c; p(pi/8) d; cx a,b; p(-pi/8) b; cx a,b; cx b,c; p(-pi/8) c; cx a,c; p(pi/8) c; cx b,c; p(-pi/8) c; cx a,c; cx c,d; p(-pi/8) d; cx b,d; p(pi/8) d; cx c,d; p(-pi/8) d; cx a,d; p(pi/8) d; cx c,d; p(-pi/8) d; cx b,d; p(pi/8) d; cx c,d; p(-pi/8) d; cx a,d; h d; }
gate c3sqrtx a,b,c,d { h d; cu1(pi/8) a,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d; cx a,b; h d; cu1(pi/8) b,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; }
gate c4x a,b,c,d,e { h e; cu1(pi/2) d,e; h e; c3x a,b,c,d; h e; cu1(-pi/2) d,e; h e; c3x a,b,c,d; c3sqrtx a,b,c,e; }
`;

/** Gates of the table that qelib1 (as Qiskit ships it) defines under the same name. */
const QELIB1_PRIMITIVES: readonly GateName[] = [
  'u',
  'p',
  'x',
  'y',
  'z',
  'h',
  's',
  'sdg',
  't',
  'tdg',
  'sx',
  'rx',
  'ry',
  'rz',
  'cx',
  'cy',
  'cz',
  'crx',
  'cry',
  'crz',
  'cp',
  'swap',
  'ccx',
  'rxx',
  'rzz',
];

function primitive(name: string, gate: GateName | 'identity', numParams: number, numQubits: number): GateDefinition {
  return {
    name,
    params: Array.from({ length: numParams }, (_, i) => `p${i}`),
    qubits: Array.from({ length: numQubits }, (_, i) => `q${i}`),
    body: [],
    primitive: gate,
    size: gate === 'identity' ? 0 : 1,
    nesting: 0,
  };
}

let qelib1Cache: Map<string, GateDefinition> | undefined;

function qelib1(): Map<string, GateDefinition> {
  if (qelib1Cache) return qelib1Cache;
  const defs = new Map<string, GateDefinition>();
  for (const g of QELIB1_PRIMITIVES) defs.set(g, primitive(g, g, GATES[g].numParams, GATES[g].numQubits));
  defs.set('id', primitive('id', 'identity', 0, 1));
  defs.set('u0', primitive('u0', 'identity', 1, 1));
  const parser = new Parser(tokenize(QELIB1_DEFINITIONS), defs);
  parser.parseLibrary();
  qelib1Cache = defs;
  return defs;
}

// ---------------------------------------------------------------------------------------------
// Parser

type QubitRef = { register: QasmRegister; index: number | undefined; token: Token };

class Parser {
  private pos = 0;
  readonly qregs = new Map<string, QasmRegister>();
  readonly cregs = new Map<string, QasmRegister>();
  private numQubits = 0;
  private numClbits = 0;
  readonly ops: Array<{ gate: OperationName; qubits: number[]; params: number[]; token: Token }> = [];
  readonly measurements: Array<{ qubit: number; clbit: number }> = [];
  private readonly measured = new Set<number>();
  private included = false;
  private sawHeader = false;

  constructor(
    private readonly tokens: Token[],
    private readonly gates: Map<string, GateDefinition>,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private fail(message: string, token: Token = this.peek()): never {
    throw new QasmParseError(message, token.line, token.column);
  }
  private describe(t: Token): string {
    return t.kind === 'eof' ? 'the end of the program' : `'${t.text}'`;
  }
  private expectSym(sym: string): Token {
    const t = this.peek();
    if (t.kind !== 'sym' || t.text !== sym) this.fail(`expected '${sym}', found ${this.describe(t)}`);
    return this.next();
  }
  private isSym(sym: string): boolean {
    const t = this.peek();
    return t.kind === 'sym' && t.text === sym;
  }
  private expectId(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected ${what}, found ${this.describe(t)}`);
    return this.next();
  }
  private expectInt(what: string): number {
    const t = this.peek();
    if (t.kind !== 'int') this.fail(`expected ${what} (a non-negative integer), found ${this.describe(t)}`);
    this.next();
    return Number(t.text);
  }

  /** Definitions only (the built-in library). */
  parseLibrary(): void {
    while (this.peek().kind !== 'eof') this.parseGateDefinition();
  }

  parseProgram(): void {
    while (this.peek().kind !== 'eof') this.parseStatement();
    if (!this.sawHeader) {
      const t = this.tokens[0] as Token;
      this.fail("missing the header 'OPENQASM 2.0;'", t);
    }
  }

  private parseStatement(): void {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected a statement, found ${this.describe(t)}`);
    switch (t.text) {
      case 'OPENQASM': {
        if (this.sawHeader) this.fail("a second 'OPENQASM' header");
        if (this.ops.length > 0 || this.qregs.size > 0 || this.cregs.size > 0) {
          this.fail("'OPENQASM 2.0;' must come first (only an include may precede it)");
        }
        this.next();
        const v = this.peek();
        if (v.kind !== 'real' && v.kind !== 'int') this.fail(`expected a version number, found ${this.describe(v)}`);
        this.next();
        if (!/^2(\.\d*)?$/.test(v.text))
          this.fail(`OpenQASM version ${v.text} is not supported; this parser reads 2.0`, v);
        this.expectSym(';');
        this.sawHeader = true;
        return;
      }
      case 'include': {
        this.next();
        const file = this.peek();
        if (file.kind !== 'string') this.fail(`expected a file name in double quotes, found ${this.describe(file)}`);
        this.next();
        this.expectSym(';');
        if (file.text !== 'qelib1.inc')
          this.fail(`cannot include '${file.text}': only "qelib1.inc" is available`, file);
        if (!this.included) {
          for (const [name, def] of qelib1()) {
            if (this.gates.has(name)) this.fail(`gate '${name}' from qelib1.inc is already defined`, file);
            this.gates.set(name, def);
          }
        }
        this.included = true;
        return;
      }
      case 'qreg':
      case 'creg': {
        this.requireHeader(t);
        this.next();
        const name = this.expectId('a register name');
        this.expectSym('[');
        const size = this.expectInt('the register size');
        this.expectSym(']');
        this.expectSym(';');
        if (size < 1) this.fail('a register needs at least one element', name);
        if (this.qregs.has(name.text) || this.cregs.has(name.text)) {
          this.fail(`register '${name.text}' is already declared`, name);
        }
        // The running total is checked here, before any register is expanded into qubit lists.
        if (t.text === 'qreg' && this.numQubits + size > MAX_CIRCUIT_QUBITS) {
          this.fail(
            `qreg '${name.text}[${size}]' brings the program to ${this.numQubits + size} qubits, more than the limit of ${MAX_CIRCUIT_QUBITS}`,
            name,
          );
        }
        if (t.text === 'creg' && this.numClbits + size > MAX_QASM_CLASSICAL_BITS) {
          this.fail(
            `creg '${name.text}[${size}]' brings the program to ${this.numClbits + size} classical bits, more than the limit of ${MAX_QASM_CLASSICAL_BITS}`,
            name,
          );
        }
        if (t.text === 'qreg') {
          this.qregs.set(name.text, { name: name.text, size, offset: this.numQubits });
          this.numQubits += size;
        } else {
          this.cregs.set(name.text, { name: name.text, size, offset: this.numClbits });
          this.numClbits += size;
        }
        return;
      }
      case 'gate':
        this.requireHeader(t);
        this.parseGateDefinition();
        return;
      case 'opaque':
        this.fail("'opaque' gates are not supported: they have no definition to simulate");
        break;
      case 'reset':
        this.fail("'reset' is not supported: circuits here are unitary with terminal measurements");
        break;
      case 'if':
        this.fail(
          "'if' (a classically controlled operation) is not supported; use the deferred-measurement form: a controlled gate from the qubit instead of the classical bit",
        );
        break;
      case 'measure':
        this.requireHeader(t);
        this.parseMeasure();
        return;
      case 'barrier': {
        this.requireHeader(t);
        this.next();
        const refs = this.parseArgList();
        this.expectSym(';');
        const qubits = [...new Set(refs.flatMap((r) => this.expand(r)))];
        this.reserve(1, t);
        this.ops.push({ gate: 'barrier', qubits, params: [], token: t });
        return;
      }
      default:
        this.requireHeader(t);
        this.parseGateCall();
    }
  }

  private requireHeader(t: Token): void {
    if (!this.sawHeader) this.fail("missing the header 'OPENQASM 2.0;' before the first statement", t);
  }

  private parseGateDefinition(): void {
    this.expectId("'gate'");
    const name = this.expectId('a gate name');
    if (this.gates.has(name.text) || name.text === 'U' || name.text === 'CX') {
      this.fail(`gate '${name.text}' is already defined`, name);
    }
    const params: string[] = [];
    if (this.isSym('(')) {
      this.next();
      if (!this.isSym(')')) {
        do {
          params.push(this.expectId('a parameter name').text);
        } while (this.isSym(',') && this.next());
      }
      this.expectSym(')');
    }
    const qubits: string[] = [];
    do {
      qubits.push(this.expectId('a qubit argument name').text);
    } while (this.isSym(',') && this.next());
    if (new Set(qubits).size !== qubits.length) this.fail(`gate '${name.text}' lists a qubit argument twice`, name);
    this.expectSym('{');
    const body: BodyCall[] = [];
    while (!this.isSym('}')) {
      const t = this.expectId('a gate call or barrier');
      if (t.text === 'measure' || t.text === 'reset' || t.text === 'if') {
        this.fail(`'${t.text}' is not allowed inside a gate definition`, t);
      }
      const callParams: Expr[] = [];
      if (t.text !== 'barrier' && this.isSym('(')) {
        this.next();
        if (!this.isSym(')')) {
          do {
            callParams.push(this.parseExpr(params));
          } while (this.isSym(',') && this.next());
        }
        this.expectSym(')');
      }
      const args: string[] = [];
      do {
        const a = this.expectId('a qubit argument');
        if (!qubits.includes(a.text)) this.fail(`'${a.text}' is not a qubit argument of gate '${name.text}'`, a);
        if (this.isSym('[')) this.fail('qubit arguments inside a gate definition cannot be indexed');
        args.push(a.text);
      } while (this.isSym(',') && this.next());
      this.expectSym(';');
      if (t.text !== 'barrier') {
        const def = this.lookup(t.text, t);
        if (callParams.length !== def.params.length) {
          this.fail(`gate '${t.text}' takes ${def.params.length} parameter(s), got ${callParams.length}`, t);
        }
        if (args.length !== def.qubits.length) {
          this.fail(`gate '${t.text}' acts on ${def.qubits.length} qubit(s), got ${args.length}`, t);
        }
        if (new Set(args).size !== args.length) this.fail(`gate '${t.text}' is given the same qubit twice`, t);
        body.push({ name: t.text, params: callParams, args, token: t });
      }
    }
    this.expectSym('}');
    let size = 0;
    let nesting = 0;
    for (const call of body) {
      const inner = this.lookup(call.name, call.token);
      size += inner.size;
      nesting = Math.max(nesting, inner.nesting + 1);
    }
    if (nesting > MAX_GATE_NESTING) {
      this.fail(
        `gate '${name.text}' nests definitions ${nesting} deep, more than the limit of ${MAX_GATE_NESTING}`,
        name,
      );
    }
    if (size > MAX_QASM_OPERATIONS) {
      this.fail(
        `gate '${name.text}' expands to ${size} operations, more than the limit of ${MAX_QASM_OPERATIONS}`,
        name,
      );
    }
    this.gates.set(name.text, { name: name.text, params, qubits, body, size, nesting });
  }

  /** Fails at `token` unless `count` more operations fit within MAX_QASM_OPERATIONS. */
  private reserve(count: number, token: Token): void {
    if (this.ops.length + count > MAX_QASM_OPERATIONS) {
      this.fail(
        `the program expands to more than ${MAX_QASM_OPERATIONS} operations (the limit) at this statement`,
        token,
      );
    }
  }

  private lookup(name: string, token: Token): GateDefinition {
    if (name === 'U') return primitive('U', 'u', 3, 1);
    if (name === 'CX') return primitive('CX', 'cx', 0, 2);
    const def = this.gates.get(name);
    if (!def) {
      const hint = !this.included && qelib1().has(name) ? `; add include "qelib1.inc";` : '';
      this.fail(`gate '${name}' is not defined${hint}`, token);
    }
    return def;
  }

  // expression := term (('+'|'-') term)*; term := unary (('*'|'/') unary)*;
  // unary := '-' unary | power; power := atom ('^' unary)?
  // Recursion is bounded: `exprDepth` counts the nested parse calls (parentheses, signs, powers,
  // function calls) and every node records its height; both stop at MAX_QASM_EXPRESSION_DEPTH.
  private exprDepth = 0;

  private enter(token: Token): void {
    if (++this.exprDepth > MAX_QASM_EXPRESSION_DEPTH) {
      this.fail(`the expression nests more than ${MAX_QASM_EXPRESSION_DEPTH} levels deep`, token);
    }
  }

  private node(e: Expr, token: Token): Expr {
    if (e.depth > MAX_QASM_EXPRESSION_DEPTH) {
      this.fail(`the expression nests more than ${MAX_QASM_EXPRESSION_DEPTH} levels deep`, token);
    }
    return e;
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, token: Token): Expr {
    if (left.kind === 'num' && right.kind === 'num') {
      return { kind: 'num', value: applyBinary(op, left.value, right.value), depth: 1 };
    }
    return this.node({ kind: 'bin', op, left, right, depth: Math.max(left.depth, right.depth) + 1 }, token);
  }

  private parseExpr(params: readonly string[]): Expr {
    let left = this.parseTerm(params);
    while (this.isSym('+') || this.isSym('-')) {
      const t = this.next();
      left = this.binary(t.text as BinaryOp, left, this.parseTerm(params), t);
    }
    return left;
  }
  private parseTerm(params: readonly string[]): Expr {
    let left = this.parseUnary(params);
    while (this.isSym('*') || this.isSym('/')) {
      const t = this.next();
      left = this.binary(t.text as BinaryOp, left, this.parseUnary(params), t);
    }
    return left;
  }
  private parseUnary(params: readonly string[]): Expr {
    const t = this.peek();
    this.enter(t);
    try {
      if (this.isSym('-')) {
        this.next();
        const arg = this.parseUnary(params);
        if (arg.kind === 'num') return { kind: 'num', value: -arg.value, depth: 1 };
        return this.node({ kind: 'neg', arg, depth: arg.depth + 1 }, t);
      }
      if (this.isSym('+')) {
        this.next();
        return this.parseUnary(params);
      }
      const base = this.parseAtom(params);
      if (this.isSym('^')) {
        const op = this.next();
        return this.binary('^', base, this.parseUnary(params), op);
      }
      return base;
    } finally {
      this.exprDepth--;
    }
  }
  private parseAtom(params: readonly string[]): Expr {
    const t = this.peek();
    if (t.kind === 'real' || t.kind === 'int') {
      this.next();
      return { kind: 'num', value: Number(t.text), depth: 1 };
    }
    if (this.isSym('(')) {
      this.next();
      const e = this.parseExpr(params);
      this.expectSym(')');
      return e;
    }
    if (t.kind === 'id') {
      this.next();
      if (t.text === 'pi') return { kind: 'num', value: Math.PI, depth: 1 };
      if (Object.hasOwn(FUNCTIONS, t.text)) {
        this.expectSym('(');
        const arg = this.parseExpr(params);
        this.expectSym(')');
        const fn = FUNCTIONS[t.text] as (x: number) => number;
        if (arg.kind === 'num') return { kind: 'num', value: fn(arg.value), depth: 1 };
        return this.node({ kind: 'call', fn: t.text, arg, depth: arg.depth + 1 }, t);
      }
      if (params.includes(t.text)) return { kind: 'param', name: t.text, token: t, depth: 1 };
      this.fail(`unknown identifier '${t.text}' in an expression`, t);
    }
    this.fail(`expected an expression, found ${this.describe(t)}`, t);
  }

  private parseArg(): QubitRef {
    const name = this.expectId('a qubit register');
    const register = this.qregs.get(name.text);
    if (!register) {
      this.fail(
        this.cregs.has(name.text)
          ? `'${name.text}' is a classical register`
          : `unknown quantum register '${name.text}'`,
        name,
      );
    }
    let index: number | undefined;
    if (this.isSym('[')) {
      this.next();
      const it = this.peek();
      index = this.expectInt('a qubit index');
      this.expectSym(']');
      if (index >= register.size) {
        this.fail(`index ${index} is out of range for register '${register.name}' of size ${register.size}`, it);
      }
    }
    return { register, index, token: name };
  }

  private parseArgList(): QubitRef[] {
    const refs: QubitRef[] = [];
    do {
      refs.push(this.parseArg());
    } while (this.isSym(',') && this.next());
    return refs;
  }

  private expand(ref: QubitRef): number[] {
    if (ref.index !== undefined) return [ref.register.offset + ref.index];
    return Array.from({ length: ref.register.size }, (_, i) => ref.register.offset + i);
  }

  private parseMeasure(): void {
    const t = this.next();
    const q = this.parseArg();
    this.expectSym('->');
    const name = this.expectId('a classical register');
    const creg = this.cregs.get(name.text);
    if (!creg) this.fail(`unknown classical register '${name.text}'`, name);
    let cindex: number | undefined;
    if (this.isSym('[')) {
      this.next();
      const it = this.peek();
      cindex = this.expectInt('a bit index');
      this.expectSym(']');
      if (cindex >= creg.size)
        this.fail(`index ${cindex} is out of range for register '${creg.name}' of size ${creg.size}`, it);
    }
    this.expectSym(';');
    const qubits = this.expand(q);
    const clbits =
      cindex !== undefined ? [creg.offset + cindex] : Array.from({ length: creg.size }, (_, i) => creg.offset + i);
    if (qubits.length !== clbits.length) {
      this.fail(`measure: ${qubits.length} qubit(s) into ${clbits.length} bit(s); sizes must match`, t);
    }
    this.reserve(qubits.length, t);
    qubits.forEach((qubit, i) => {
      if (this.measured.has(qubit)) this.fail(`qubit ${qubit} is measured twice (measurements are terminal)`, t);
      this.measured.add(qubit);
      this.measurements.push({ qubit, clbit: clbits[i] as number });
      this.ops.push({ gate: 'measure', qubits: [qubit], params: [], token: t });
    });
  }

  private parseGateCall(): void {
    const t = this.next();
    const def = this.lookup(t.text, t);
    const params: number[] = [];
    if (this.isSym('(')) {
      this.next();
      if (!this.isSym(')')) {
        do {
          params.push(evaluate(this.parseExpr([]), new Map()));
        } while (this.isSym(',') && this.next());
      }
      this.expectSym(')');
    }
    if (params.length !== def.params.length) {
      this.fail(`gate '${t.text}' takes ${def.params.length} parameter(s), got ${params.length}`, t);
    }
    for (const p of params) if (!Number.isFinite(p)) this.fail(`gate '${t.text}': a parameter evaluates to ${p}`, t);
    const refs = this.parseArgList();
    this.expectSym(';');
    if (refs.length !== def.qubits.length) {
      this.fail(`gate '${t.text}' acts on ${def.qubits.length} qubit(s), got ${refs.length}`, t);
    }
    // Broadcast: whole registers must share one size; single qubits repeat.
    const sizes = new Set(refs.filter((r) => r.index === undefined).map((r) => r.register.size));
    if (sizes.size > 1) this.fail(`gate '${t.text}': registers of different sizes cannot be broadcast together`, t);
    const times = sizes.size === 1 ? ([...sizes][0] as number) : 1;
    this.reserve(times * def.size, t);
    for (let k = 0; k < times; k++) {
      const qubits = refs.map((r) => r.register.offset + (r.index ?? k));
      if (new Set(qubits).size !== qubits.length) this.fail(`gate '${t.text}' is given the same qubit twice`, t);
      this.apply(def, params, qubits, t, 0);
    }
  }

  private apply(
    def: GateDefinition,
    params: readonly number[],
    qubits: readonly number[],
    token: Token,
    depth: number,
  ): void {
    if (depth > MAX_GATE_NESTING) this.fail(`gate definitions nest more than ${MAX_GATE_NESTING} deep`, token);
    if (def.primitive) {
      if (def.primitive === 'identity') return;
      for (const q of qubits) {
        if (this.measured.has(q))
          this.fail(`a gate acts on qubit ${q} after its measurement (measurements are terminal)`, token);
      }
      this.ops.push({ gate: def.primitive, qubits: [...qubits], params: [...params], token });
      return;
    }
    const env = new Map(def.params.map((name, i) => [name, params[i] as number]));
    const where = new Map(def.qubits.map((name, i) => [name, qubits[i] as number]));
    for (const call of def.body) {
      const inner = this.lookup(call.name, call.token);
      const values = call.params.map((e) => evaluate(e, env));
      for (const v of values)
        if (!Number.isFinite(v)) this.fail(`gate '${call.name}': a parameter evaluates to ${v}`, token);
      this.apply(
        inner,
        values,
        call.args.map((a) => where.get(a) as number),
        token,
        depth + 1,
      );
    }
  }

  get totalQubits(): number {
    return this.numQubits;
  }
}

/**
 * Parses an OpenQASM 2.0 program into a {@link Circuit} on all declared qubits (registers in
 * declaration order), with the registers and the measurement map. Throws {@link QasmParseError}
 * (a ValidationError) naming the line and column of the first problem.
 */
export function parseQasm(source: string): QasmProgram {
  if (typeof source !== 'string') throw new QasmParseError('the program must be a string', 1, 1);
  // A leading UTF-8 byte-order mark (U+FEFF, as some editors on Windows write) is not part of the program.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const parser = new Parser(tokenize(text), new Map());
  parser.parseProgram();
  if (parser.totalQubits === 0) throw new QasmParseError("the program declares no qubits ('qreg')", 1, 1);
  const circuit = new Circuit(parser.totalQubits);
  for (const op of parser.ops) {
    try {
      circuit.append(op.gate, op.qubits, op.params);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new QasmParseError(error.issues.map((i) => i.message).join('; '), op.token.line, op.token.column);
      }
      throw error;
    }
  }
  return {
    circuit,
    quantumRegisters: [...parser.qregs.values()],
    classicalRegisters: [...parser.cregs.values()],
    measurements: parser.measurements,
  };
}

// ---------------------------------------------------------------------------------------------
// Export

/** A number in QASM syntax at full precision (shortest round-trip decimal, with a '.' before any exponent). */
function formatNumber(x: number): string {
  const text = String(Object.is(x, -0) ? 0 : x);
  if (/e/i.test(text) && !text.includes('.')) return text.replace(/e/i, '.0e');
  return text;
}

const EXPORT_NAMES: Partial<Record<GateName, string>> = { u: 'u3', p: 'u1', cp: 'cu1' };

/** Definitions written for gates that qelib1 lacks; each equals the gate-table matrix exactly (up to global phase). */
const EXTRA_DEFINITIONS: Partial<Record<GateName, string>> = {
  gpi: 'gate gpi(phi) a { u3(pi, phi, pi - phi) a; }',
  gpi2: 'gate gpi2(phi) a { u3(pi/2, phi - pi/2, pi/2 - phi) a; }',
  ryy: 'gate ryy(theta) a, b { sdg a; sdg b; h a; h b; cx a, b; rz(theta) b; cx a, b; h a; h b; s a; s b; }',
  ms: 'gate ms(phi0, phi1, theta) a, b { rz(-phi0) a; rz(-phi1) b; h a; h b; cx a, b; rz(theta) b; cx a, b; h a; h b; rz(phi0) a; rz(phi1) b; }',
};

/**
 * Writes a circuit (or its JSON form) as OpenQASM 2.0. Throws a ValidationError when an angle is
 * still symbolic (OpenQASM 2.0 has no free parameters) or the circuit is invalid.
 */
export function toQasm(circuit: Circuit | CircuitJson): string {
  const json = circuit instanceof Circuit ? circuit.toJSON() : Circuit.fromJSON(circuit).toJSON();
  const unbound = json.operations.findIndex((op) => (op.params ?? []).some((p) => typeof p !== 'number'));
  if (unbound >= 0) {
    throw new ValidationError(
      [
        {
          field: `operations[${unbound}].params`,
          message: 'OpenQASM 2.0 cannot hold symbolic parameters; bind them first',
        },
      ],
      'Cannot export to OpenQASM',
    );
  }
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";'];
  const used = new Set(json.operations.map((op) => op.gate));
  for (const [gate, def] of Object.entries(EXTRA_DEFINITIONS)) if (used.has(gate)) lines.push(def);
  lines.push(`qreg q[${json.numQubits}];`);
  if (used.has('measure')) lines.push(`creg c[${json.numQubits}];`);
  for (const op of json.operations) {
    const args = op.qubits.map((q) => `q[${q}]`).join(', ');
    if (op.gate === 'measure') {
      lines.push(`measure q[${op.qubits[0]}] -> c[${op.qubits[0]}];`);
    } else if (op.gate === 'barrier') {
      lines.push(`barrier ${args};`);
    } else if (isGateName(op.gate)) {
      const name = EXPORT_NAMES[op.gate] ?? op.gate;
      const params = (op.params ?? []) as number[];
      lines.push(params.length > 0 ? `${name}(${params.map(formatNumber).join(', ')}) ${args};` : `${name} ${args};`);
    }
  }
  return `${lines.join('\n')}\n`;
}
