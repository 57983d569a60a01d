/**
 * Agreement with an independent peer simulator, jsqubits (a dev dependency): full state vectors of
 * 60 seeded random circuits on 1 to 10 qubits, to 1e-10 per amplitude (no global phase freedom:
 * the peer's gates have the same phases as ours). jsqubits also puts qubit 0 at the least
 * significant bit of a basis-state index (checked below). jsqubits drops amplitudes below
 * `QState.roundToZero` (1e-7 by default) to stay sparse; the test sets it to 0 so that nothing is
 * rounded away.
 */
import { type CircuitJson, createRng, type GateName } from '@q-store/core';
import { jsqubits } from 'jsqubits';
import { describe, expect, it } from 'vitest';
import { applyOps } from './executor.js';
import { compileOps } from './program.js';
import { randomCircuit } from './random-circuits.test-helper.js';
import { Workspace } from './workspace.js';

interface PeerComplex {
  real: number;
  imaginary: number;
}
interface PeerState {
  numBits(): number;
  each(callback: (component: { index: string; amplitude: PeerComplex }) => void): void;
  [gate: string]: unknown;
}
type Apply = (s: PeerState, method: string, ...args: unknown[]) => PeerState;
const call: Apply = (s, method, ...args) => (s[method] as (...a: unknown[]) => PeerState).apply(s, args);
const complex = (re: number, im: number): PeerComplex => jsqubits.complex(re, im);
jsqubits.QState.roundToZero = 0;

/** A 2×2 matrix for the peer's controlledApplicationOfqBitOperator, from (re, im) entries. */
function peerMatrix(m: ReadonlyArray<readonly [number, number]>): PeerComplex[][] {
  const c = m.map(([re, im]) => complex(re, im));
  return [
    [c[0] as PeerComplex, c[1] as PeerComplex],
    [c[2] as PeerComplex, c[3] as PeerComplex],
  ];
}
const polar = (r: number, a: number): readonly [number, number] => [r * Math.cos(a), r * Math.sin(a)];

/** Runs a circuit on the peer, written from each gate's textbook definition (not from our tables). */
function runPeer(circuit: CircuitJson): PeerState {
  let s: PeerState = jsqubits(`|${'0'.repeat(circuit.numQubits)}>`);
  for (const op of circuit.operations) {
    const [a, b, c] = op.qubits as [number, number, number];
    const [x, y, z] = (op.params ?? []) as [number, number, number];
    const matrix = (m: PeerComplex[][]) => call(s, 'controlledApplicationOfqBitOperator', null, a, m);
    switch (op.gate as GateName) {
      case 'h':
        s = call(s, 'hadamard', a);
        break;
      case 'x':
      case 'y':
      case 'z':
      case 's':
      case 't':
        s = call(s, op.gate, a);
        break;
      case 'sdg':
        s = call(s, 'r', a, -Math.PI / 2);
        break;
      case 'tdg':
        s = call(s, 'r', a, -Math.PI / 4);
        break;
      case 'sx':
        s = matrix(
          peerMatrix([
            [0.5, 0.5],
            [0.5, -0.5],
            [0.5, -0.5],
            [0.5, 0.5],
          ]),
        );
        break;
      case 'rx':
        s = call(s, 'rotateX', a, x);
        break;
      case 'ry':
        s = call(s, 'rotateY', a, x);
        break;
      case 'rz':
        s = call(s, 'rotateZ', a, x);
        break;
      case 'p':
        s = call(s, 'r', a, x);
        break;
      case 'u':
        s = matrix(
          peerMatrix([
            [Math.cos(x / 2), 0],
            polar(-Math.sin(x / 2), z),
            polar(Math.sin(x / 2), y),
            polar(Math.cos(x / 2), y + z),
          ]),
        );
        break;
      case 'gpi':
        s = matrix(peerMatrix([[0, 0], polar(1, -x), polar(1, x), [0, 0]]));
        break;
      case 'gpi2':
        s = matrix(
          peerMatrix([
            [Math.SQRT1_2, 0],
            polar(Math.SQRT1_2, -x - Math.PI / 2),
            polar(Math.SQRT1_2, x - Math.PI / 2),
            [Math.SQRT1_2, 0],
          ]),
        );
        break;
      case 'cx':
        s = call(s, 'cnot', a, b);
        break;
      case 'cy':
        s = call(s, 'controlledY', a, b);
        break;
      case 'cz':
        s = call(s, 'controlledZ', a, b);
        break;
      case 'crx':
        s = call(s, 'controlledXRotation', a, b, x);
        break;
      case 'cry':
        s = call(s, 'controlledYRotation', a, b, x);
        break;
      case 'crz':
        s = call(s, 'controlledZRotation', a, b, x);
        break;
      case 'cp':
        s = call(s, 'controlledR', a, b, x);
        break;
      case 'swap':
        s = call(s, 'swap', a, b);
        break;
      case 'ccx':
        s = call(s, 'toffoli', a, b, c);
        break;
      case 'rzz':
        // exp(−iθ/2 Z⊗Z) = cx · rz(θ) on the target · cx
        s = call(call(call(s, 'cnot', a, b), 'rotateZ', b, x), 'cnot', a, b);
        break;
      case 'rxx':
        // exp(−iθ/2 X⊗X) = (H⊗H) · rzz(θ) · (H⊗H)
        s = call(s, 'hadamard', [a, b]);
        s = call(call(call(s, 'cnot', a, b), 'rotateZ', b, x), 'cnot', a, b);
        s = call(s, 'hadamard', [a, b]);
        break;
      default:
        throw new Error(`peer: no ${op.gate}`);
    }
  }
  return s;
}

const PEER_GATES: GateName[] = [
  'h',
  'x',
  'y',
  'z',
  's',
  'sdg',
  't',
  'tdg',
  'sx',
  'rx',
  'ry',
  'rz',
  'p',
  'u',
  'gpi',
  'gpi2',
  'cx',
  'cy',
  'cz',
  'crx',
  'cry',
  'crz',
  'cp',
  'swap',
  'ccx',
  'rzz',
  'rxx',
];

function ours(circuit: CircuitJson, wasm: boolean): Float64Array {
  const ws = new Workspace(circuit.numQubits, 1, 2 ** 30, wasm);
  const a = ws.states[0] as Float64Array;
  a[0] = 1;
  applyOps(a, circuit.numQubits, compileOps(circuit), ws.wasm);
  return a;
}

function maxDiffToPeer(a: Float64Array, peer: PeerState): number {
  const expected = new Float64Array(a.length);
  peer.each(({ index, amplitude }) => {
    expected[2 * Number(index)] = amplitude.real;
    expected[2 * Number(index) + 1] = amplitude.imaginary;
  });
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (expected[i] as number)));
  return m;
}

describe('agreement with the jsqubits peer simulator', () => {
  it('uses the same bit order: x on qubit 0 is basis index 1', () => {
    const indices: number[] = [];
    runPeer({ numQubits: 3, operations: [{ gate: 'x', qubits: [0] }] }).each((c) => {
      indices.push(Number(c.index));
    });
    expect(indices).toEqual([1]);
  });

  it('60 seeded random circuits on 1–10 qubits: every amplitude within 1e-10 (SIMD and JavaScript kernels)', () => {
    const rng = createRng(2026);
    let compared = 0;
    for (let k = 0; k < 60; k++) {
      const n = 1 + (k % 10);
      const circuit = randomCircuit(rng, n, 10 + 4 * n, PEER_GATES);
      const peer = runPeer(circuit);
      expect(maxDiffToPeer(ours(circuit, true), peer), JSON.stringify(circuit)).toBeLessThan(1e-10);
      expect(maxDiffToPeer(ours(circuit, false), peer)).toBeLessThan(1e-10);
      compared++;
    }
    expect(compared).toBe(60);
  });

  it('a wrong gate convention would be caught: rz vs p differ by a global phase the comparison sees', () => {
    const a = ours(
      {
        numQubits: 1,
        operations: [
          { gate: 'h', qubits: [0] },
          { gate: 'rz', qubits: [0], params: [1] },
        ],
      },
      true,
    );
    const peer = runPeer({
      numQubits: 1,
      operations: [
        { gate: 'h', qubits: [0] },
        { gate: 'p', qubits: [0], params: [1] },
      ],
    });
    expect(maxDiffToPeer(a, peer)).toBeGreaterThan(0.1);
  });
});
