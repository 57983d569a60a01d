/**
 * Benchmark: `pnpm --filter @q-store/quantum-sim bench`.
 *
 * 1. Memory bandwidth of this machine, measured now: best of 5 copies of a 256 MiB Float64Array
 *    (bytes read + bytes written per second).
 * 2. The circuit "H on every qubit, then 10 layers of (CNOT chain 0→1→…→n−1, RY on every qubit)"
 *    at n = 16, 20, 22, 24 on q-store (SIMD kernels, and the plain JavaScript kernels) and on the
 *    npm peers qsharp-lang, jsqubits and quantum-circuit, each peer in a child process killed after
 *    two minutes (a peer that times out is not run at larger n). Prints seconds, ms per gate, the
 *    ratio to the memory floor (32·2^n bytes per gate over the measured bandwidth) and the speedup
 *    over the fastest peer that finished.
 * 3. Adjoint gradient time over forward (estimate) time at P = 120 parameters.
 *
 * 4. The QCBM circuit of the quantum-benchmarks suite (bench/qcbm.ts) at n = 10, 16, 20, 22 beside
 *    the published Yao and qulacs figures and the memory floor per pass measured in the same run.
 *
 * Options: `-- --sizes 16,20 --peers jsqubits,qsharp-lang --timeout 120 --qcbm 10,16,20,22,24
 * --only qcbm --qcbm-single-max 28` (`--qcbm-single-max`: the largest n also timed with
 * `threads: 1`; or `--only small`: the per-call cost of a tiny estimate, bench/small-calls.ts; or
 * `--only fusion-cost`: the constants of the fusion cost model, bench/fusion-cost.ts; or
 * `--only batched`: BatchedCircuit's SIMD path against its JavaScript path, bench/batched.ts; or
 * `--only threads`: where the threaded QCBM's time goes at the --qcbm sizes, bench/thread-profile.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyOps } from '../src/executor.js';
import { JS_COSTS } from '../src/fusion.js';
import { StateVectorSimulator } from '../src/index.js';
import { compileOps, compileSimd } from '../src/program.js';
import { Workspace } from '../src/workspace.js';
import { batchedBench } from './batched.js';
import { gateCount, layeredCircuit } from './circuits.js';
import { fusionCostBench } from './fusion-cost.js';
import { qcbmBench } from './qcbm.js';
import { smallCallsBench } from './small-calls.js';
import { threadProfileBench } from './thread-profile.js';

const { values: args } = parseArgs({
  // pnpm forwards the `--` of `pnpm bench -- --flag`; it is not a positional argument here
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    sizes: { type: 'string', default: '16,20,22,24' },
    peers: { type: 'string', default: 'qsharp-lang,jsqubits,quantum-circuit' },
    timeout: { type: 'string', default: '120' },
    qcbm: { type: 'string', default: '10,16,20,22' },
    'qcbm-single-max': { type: 'string', default: '30' },
    only: { type: 'string', default: '' },
  },
});
const sizes = (args.sizes ?? '').split(',').map(Number);
const peers = (args.peers ?? '').split(',').filter((p) => p.length > 0);
const timeoutSeconds = Number(args.timeout);
const qcbmSizes = (args.qcbm ?? '')
  .split(',')
  .filter((s) => s.length > 0)
  .map(Number);
/** `--only qcbm` (or `layered`) runs one part. */
const only = args.only ?? '';

function measureBandwidth(): number {
  const len = 32 * 2 ** 20; // 256 MiB
  const src = new Float64Array(len).fill(1);
  const dst = new Float64Array(len).fill(2);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    dst.set(src);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * 8 * len) / best;
}

/** Seconds to prepare the bench state on q-store (compile + run), best of `repeats`. */
function ours(n: number, wasm: boolean, repeats: number): [number, number] {
  const circuit = layeredCircuit(n);
  let best = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let r = 0; r < repeats; r++) {
    const ws = new Workspace(n, 1, 2 ** 36, wasm);
    const a = ws.states[0] as Float64Array;
    a[0] = 1;
    const t0 = performance.now();
    // the ops the simulator runs on these kernels
    applyOps(a, n, wasm ? compileSimd(circuit) : compileOps(circuit, { fuseQubits: 2, costs: JS_COSTS }), ws.wasm);
    best = Math.min(best, (performance.now() - t0) / 1000);
    check = (a[0] as number) ** 2 + (a[1] as number) ** 2;
  }
  return [best, check];
}

function runPeer(
  peer: string,
  n: number,
): Promise<{ seconds: number; check: number | null; overhead: number | null } | 'timeout' | string> {
  const runner = fileURLToPath(new URL('./peer-runner.ts', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, peer, String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve('timeout');
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return resolve(`failed (${err.trim().split('\n').pop() ?? code})`);
      resolve(JSON.parse(line) as { seconds: number; check: number | null; overhead: number | null });
    });
  });
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

async function main(): Promise<void> {
  if (only !== '') {
    console.log(`node ${process.version}, ${process.arch}`);
    if (only === 'qcbm') await qcbmBench(qcbmSizes, Number(args['qcbm-single-max']));
    else if (only === 'small') await smallCallsBench();
    else if (only === 'fusion-cost') fusionCostBench();
    else if (only === 'batched') batchedBench();
    else if (only === 'threads') await threadProfileBench(qcbmSizes);
    else throw new Error(`--only takes qcbm, small, fusion-cost, batched or threads, got '${only}'`);
    return;
  }
  console.log(
    `node ${process.version}, ${process.arch}; peers: ${peers.join(', ') || 'none'}; timeout ${timeoutSeconds} s`,
  );
  const bandwidth = measureBandwidth();
  console.log(`memory bandwidth (256 MiB Float64Array copy, read + write): ${fmt(bandwidth / 1e9, 2)} GB/s\n`);
  ours(12, true, 3); // warm the JIT and the WebAssembly module
  ours(12, false, 3);
  console.log('circuit: H on every qubit, then 10 × (CNOT chain, RY on every qubit)');
  console.log('n   gates  simulator                 seconds    ms/gate   × memory floor  speedup vs best peer');
  const timedOut = new Set<string>();
  for (const n of sizes) {
    const gates = gateCount(n);
    const floor = (gates * 32 * 2 ** n) / bandwidth;
    const rows: Array<[string, number, string]> = [];
    const [simd, check] = ours(n, true, n <= 20 ? 3 : 1);
    const [js] = ours(n, false, 1);
    const peerSeconds: number[] = [];
    for (const peer of peers) {
      if (timedOut.has(peer)) {
        rows.push([peer, Number.NaN, `skipped (timed out at a smaller n)`]);
        continue;
      }
      const r = await runPeer(peer, n);
      if (r === 'timeout') {
        timedOut.add(peer);
        rows.push([peer, Number.NaN, `> ${timeoutSeconds} s, killed`]);
      } else if (typeof r === 'string') {
        rows.push([peer, Number.NaN, r]);
      } else {
        const peerCheck = r.check;
        const agrees =
          peerCheck === null ? '' : Math.abs(peerCheck - check) < 1e-9 ? ' (same |ψ_0|²)' : ' (DIFFERENT |ψ_0|²)';
        const overhead = r.overhead === null ? '' : ` (${fmt(r.overhead)} s of it at n = 2: compile and start-up)`;
        rows.push([peer, r.seconds, agrees + overhead]);
        peerSeconds.push(r.seconds);
      }
    }
    const bestPeer = peerSeconds.length > 0 ? Math.min(...peerSeconds) : Number.NaN;
    const line = (name: string, seconds: number, note: string, speedup: boolean) =>
      `${String(n).padEnd(4)}${String(gates).padEnd(7)}${name.padEnd(26)}${fmt(seconds).padStart(8)}${fmt((seconds * 1000) / gates).padStart(11)}${fmt(seconds / floor, 1).padStart(17)}  ${
        speedup ? (Number.isFinite(bestPeer) ? `${fmt(bestPeer / seconds, 0)}×` : 'no peer finished') : ''
      }${note}`;
    console.log(line('q-store (SIMD)', simd, '', true));
    console.log(line('q-store (JavaScript)', js, '', true));
    for (const [name, seconds, note] of rows) console.log(line(name, seconds, note, false));
  }

  // Adjoint gradient vs forward pass at P = 120: 15 qubits, 8 layers of (RY on every qubit, CNOT chain).
  const n = 15;
  const layers = 8;
  const circuit = layeredCircuit(n, layers, (l, q) => `t${l * n + q}`);
  const parameters = Object.fromEntries(Array.from({ length: n * layers }, (_, i) => [`t${i}`, 0.01 * i + 0.1]));
  const observables = [[{ coefficient: 1, paulis: `${'I'.repeat(n - 1)}Z` }]];
  const sim = new StateVectorSimulator();
  const time = async (f: () => Promise<unknown>, repeats: number) => {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await f();
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    return best;
  };
  await sim.gradient({ circuit, observables, parameters });
  const forward = await time(() => sim.estimate({ circuit, observables, parameters }), 5);
  const adjoint = await time(() => sim.gradient({ circuit, observables, parameters }), 5);
  console.log(
    `\nadjoint gradient, n = ${n}, P = ${n * layers} parameters, 1 observable: forward (estimate) ${fmt(forward * 1000, 1)} ms, ` +
      `gradient ${fmt(adjoint * 1000, 1)} ms, ratio ${fmt(adjoint / forward, 2)} forward passes`,
  );
}

await main();
if (only === '') {
  fusionCostBench();
  await smallCallsBench();
  await qcbmBench(qcbmSizes, Number(args['qcbm-single-max']));
}
