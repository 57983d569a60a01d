/**
 * `--only batched`: BatchedCircuit's SIMD path (batched-kernels.wat, two samples per lane) against
 * its JavaScript path in the same run, on circuits shaped like the QML study's speed cells
 * (values and adjoint gradients of a batch of 32, what one training step costs): the default
 * (light cone, then the product-state, SIMD or JS path) and both kernels on the full circuit.
 */
import { loadavg } from 'node:os';
import { BatchedCircuit, type BatchedGate } from '../src/batched-circuit.js';

interface Case {
  readonly name: string;
  readonly n: number;
  readonly gates: BatchedGate[];
  readonly observables: number[][];
  readonly prepared: boolean;
}

function rotLayer(gates: BatchedGate[], n: number, slot: { next: number }): void {
  for (let q = 0; q < n; q++) {
    gates.push({ gate: 'rot', wire: q, angles: [slot.next, slot.next + 1, slot.next + 2] });
    slot.next += 3;
  }
}

function cases(): Case[] {
  // Data re-uploading, 10 features on 4 qubits, 5 layers, every wire observed.
  const drc: BatchedGate[] = [];
  const s1 = { next: 0 };
  for (let l = 0; l < 5; l++) {
    rotLayer(drc, 4, s1);
    rotLayer(drc, 4, s1);
    for (let q = l % 2; q + 1 < 4; q += 2) drc.push({ gate: 'cz', wires: [q, q + 1] });
  }
  rotLayer(drc, 4, s1);
  // IQP variational: StronglyEntanglingLayers (CZ), 5 layers on 10 qubits after a prepared state, ⟨Z0 Z1⟩.
  const iqp: BatchedGate[] = [];
  const s2 = { next: 0 };
  for (let l = 0; l < 5; l++) {
    rotLayer(iqp, 10, s2);
    const r = (l % 9) + 1;
    for (let q = 0; q < 10; q++) iqp.push({ gate: 'cz', wires: [q, (q + r) % 10] });
  }
  // Dressed quantum circuit: H, RY(input), one layer of RY and a CNOT ring on 10 qubits, every Z.
  const dressed: BatchedGate[] = [];
  for (let q = 0; q < 10; q++) dressed.push({ gate: 'h', wire: q }, { gate: 'ry', wire: q, angle: q });
  for (let q = 0; q < 10; q++) dressed.push({ gate: 'ry', wire: q, angle: 10 + q });
  for (let q = 0; q < 10; q++) dressed.push({ gate: 'cnot', control: q, target: (q + 1) % 10 });
  const each = (n: number) => Array.from({ length: n }, (_, q) => [q]);
  return [
    { name: 'data-reuploading 4q', n: 4, gates: drc, observables: each(4), prepared: false },
    { name: 'IQP variational 10q', n: 10, gates: iqp, observables: [[0, 1]], prepared: true },
    { name: 'dressed circuit 10q', n: 10, gates: dressed, observables: each(10), prepared: false },
  ];
}

/** Median ms of one batch-of-32 valueAndGradient over repeats filling about `budgetMs`. */
function time(c: BatchedCircuit, cs: Case, budgetMs: number): number {
  const B = 32;
  const angles = Float64Array.from({ length: B * c.numAngles }, (_, i) => Math.sin(1.7 * i) * 3);
  const amp = 1 / Math.sqrt(c.dim);
  const prepare = cs.prepared
    ? (b: number, re: Float64Array, im: Float64Array) => {
        for (let k = 0; k < re.length; k++) {
          re[k] = amp * Math.cos(b + k);
          im[k] = amp * Math.sin(b + k);
        }
      }
    : undefined;
  const run = () =>
    c.valueAndGradient({
      batchSize: B,
      angles,
      observables: cs.observables,
      prepare,
      cotangent: (_b, _v, out) => out.fill(0.5),
    });
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs || times.length < 5) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export function batchedBench(budgetMs = 1500): void {
  console.log(
    `BatchedCircuit valueAndGradient, batch of 32, median ms (load average ${loadavg()[0]?.toFixed(2)}); ` +
      '"full" = every gate (lightCone: false)',
  );
  for (const cs of cases()) {
    const auto = new BatchedCircuit(cs.n, cs.gates);
    const simd = new BatchedCircuit(cs.n, cs.gates, { wasm: true, lightCone: false });
    const js = new BatchedCircuit(cs.n, cs.gates, { wasm: false, lightCone: false });
    const tAuto = time(auto, cs, budgetMs);
    const tSimd = time(simd, cs, budgetMs);
    const tJs = time(js, cs, budgetMs);
    console.log(
      `  ${cs.name.padEnd(22)} default ${tAuto.toFixed(3)} ms (${auto.pathFor(cs.observables, cs.prepared)}, ` +
        `${auto.activeGates(cs.observables)}/${cs.gates.length} gates in the light cone)  ` +
        `SIMD full ${tSimd.toFixed(3)} ms  JS full ${tJs.toFixed(3)} ms  ` +
        `SIMD vs JS ${(tJs / tSimd).toFixed(2)}×  default vs JS full ${(tJs / tAuto).toFixed(2)}×`,
    );
  }
}
