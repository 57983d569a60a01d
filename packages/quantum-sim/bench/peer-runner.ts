/**
 * Runs the bench circuit on one peer simulator in its own process (the bench kills it after its
 * time limit) and prints `{"seconds": …, "check": …, "overhead": …}`: the time of the simulation,
 * one probability (to confirm that the peer computed the same state as q-store; null when the peer
 * does not expose its state), and for Q# the time of the same program at n = 2 (its compile and
 * start-up cost, included in `seconds`).
 *
 * Usage: node --import tsx bench/peer-runner.ts <jsqubits|quantum-circuit|qsharp-lang> <n>
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { angleOf, layeredCircuit } from './circuits.js';

type Peer = 'jsqubits' | 'quantum-circuit' | 'qsharp-lang';

interface JsqubitsState {
  hadamard(q: number): JsqubitsState;
  cnot(c: number, t: number): JsqubitsState;
  rotateY(q: number, angle: number): JsqubitsState;
  amplitude(index: number): { real: number; imaginary: number };
}

async function runJsqubits(n: number): Promise<[number, number]> {
  const { jsqubits } = (await import('jsqubits')) as { jsqubits: (bits: string) => JsqubitsState };
  const start = performance.now();
  let s = jsqubits(`|${'0'.repeat(n)}>`);
  for (const op of layeredCircuit(n).operations) {
    const [a, b] = op.qubits as [number, number];
    if (op.gate === 'h') s = s.hadamard(a);
    else if (op.gate === 'cx') s = s.cnot(a, b);
    else s = s.rotateY(a, op.params?.[0] as number);
  }
  const seconds = (performance.now() - start) / 1000;
  const amp = s.amplitude(0);
  return [seconds, amp.real ** 2 + amp.imaginary ** 2];
}

interface QuantumCircuitLike {
  appendGate(name: string, wires: number | number[], options?: object): void;
  run(): void;
  state: Record<string, { re: number; im: number }>;
}

async function runQuantumCircuit(n: number): Promise<[number, number]> {
  const require = createRequire(import.meta.url);
  const QuantumCircuit = require('quantum-circuit') as new (n: number) => QuantumCircuitLike;
  const c = new QuantumCircuit(n);
  for (const op of layeredCircuit(n).operations) {
    if (op.gate === 'ry') c.appendGate('ry', op.qubits[0] as number, { params: { theta: op.params?.[0] } });
    else c.appendGate(op.gate, op.qubits.length === 1 ? (op.qubits[0] as number) : op.qubits);
  }
  const start = performance.now();
  c.run();
  const seconds = (performance.now() - start) / 1000;
  const amp = c.state['0'] ?? { re: 0, im: 0 };
  return [seconds, amp.re ** 2 + amp.im ** 2];
}

/** The bench circuit in Q#, angles written out per layer; ends with M on qubit 0..n−1 reset. */
function qsharpSource(n: number): string {
  const layers: string[] = [];
  for (let l = 0; l < 10; l++) {
    layers.push(
      `    for i in 0..${n - 2} { CNOT(qs[i], qs[i + 1]); }\n` +
        `    for q in 0..${n - 1} { Ry(${angleOf(l, 0).toPrecision(17)} + 0.01 * IntAsDouble(q), qs[q]); }`,
    );
  }
  return [
    'import Std.Convert.IntAsDouble;',
    'operation Main() : Unit {',
    `    use qs = Qubit[${n}];`,
    '    ApplyToEach(H, qs);',
    ...layers,
    '    ResetAll(qs);',
    '}',
  ].join('\n');
}

async function runQsharp(n: number): Promise<[number, number, number]> {
  const qsharp = (await import('qsharp-lang')) as unknown as {
    loadWasmModule(buffer: ArrayBuffer): Promise<void>;
    getCompiler(): Promise<{ run(program: object, expr: string, shots: number, events: object): Promise<void> }>;
    QscEventTarget: new (capture: boolean) => { getResults(): Array<{ success: boolean; result: unknown }> };
  };
  const require = createRequire(import.meta.url);
  // The package does not export its .wasm file: find it beside its Node entry point.
  const wasmPath = join(dirname(require.resolve('qsharp-lang')), '..', 'lib', 'web', 'qsc_wasm_bg.wasm');
  const bytes = readFileSync(wasmPath);
  await qsharp.loadWasmModule(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const compiler = await qsharp.getCompiler();
  const run = async (width: number) => {
    const events = new qsharp.QscEventTarget(true);
    await compiler.run({ sources: [['main.qs', qsharpSource(width)]], languageFeatures: [] }, '', 1, events);
    const [result] = events.getResults();
    if (!result?.success) throw new Error(`Q# run failed: ${JSON.stringify(result?.result)}`);
  };
  await run(2); // load and warm the compiler
  let start = performance.now();
  await run(2);
  const overhead = (performance.now() - start) / 1000;
  start = performance.now();
  await run(n);
  return [(performance.now() - start) / 1000, Number.NaN, overhead];
}

const [peer, width] = process.argv.slice(2) as [Peer, string];
const n = Number(width);
const runners: Record<Peer, (n: number) => Promise<[number, number, number?]>> = {
  jsqubits: runJsqubits,
  'quantum-circuit': runQuantumCircuit,
  'qsharp-lang': runQsharp,
};
const runner = runners[peer];
if (!runner || !Number.isInteger(n)) {
  console.error('usage: peer-runner.ts <jsqubits|quantum-circuit|qsharp-lang> <n>');
  process.exit(2);
}
const [seconds, check, overhead] = await runner(n);
console.log(JSON.stringify({ seconds, check: Number.isNaN(check) ? null : check, overhead: overhead ?? null }));
