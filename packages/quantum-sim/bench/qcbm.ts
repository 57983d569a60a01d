/**
 * The QCBM benchmark of the public quantum-benchmarks suite, through the public API: `estimate` of
 * ⟨Z0⟩ after {@link qcbmCircuit}, timed as the median of several calls (the machine may be shared,
 * so medians, not bests). Beside each figure: the published single-thread Yao and qulacs figures
 * (Xeon Gold 6230, older versions, from the suite) and the memory floor measured in the same run —
 * a native copy (`Float64Array.prototype.set`, memmove) of the state's 16·2^n bytes into another
 * buffer: as many bytes read and written as one kernel pass; past 2^27 amplitudes (two 2 GiB
 * buffers) scaled linearly from 2^27 — with our time per pass over the state divided by it.
 *
 * Steady state, as the published suites time it: small sizes warm up on the circuit, and from 17
 * to 24 qubits (states the simulator keeps between calls, up to 256 MiB) one untimed call first
 * builds the workspace; from 25 qubits each call builds its own, and it is timed with the call.
 *
 * Passes per run: one per kernel call outside cache-blocked runs, one per blocked run and one per
 * chain (chains.ts: one pass for up to 4 real 2×2s on consecutive qubits); on a split
 * state (`path` simd-split: 28–30 qubits, chunks in several WebAssembly memories) counted as run,
 * plus half a pass per exchange of a chunk-index qubit.
 */
import { availableParallelism } from 'node:os';
import { CHAIN_MIN_QUBITS_THREADS } from '../src/chains.js';
import { BLOCK_QUBITS, execute } from '../src/executor.js';
import { StateVectorSimulator } from '../src/index.js';
import type { Op } from '../src/ops.js';
import { compileSimd } from '../src/program.js';
import { passesOf, splitStats } from '../src/split-state.js';
import { ThreadPool } from '../src/threads.js';
import { fitsWasm, simdAvailable, stateBytes, TABLE_MIN_QUBITS, Workspace } from '../src/workspace.js';
import { qcbmCircuit } from './circuits.js';

/** Published single-thread figures in seconds (Yao, qulacs), from the quantum-benchmarks suite. */
export const PUBLISHED: Record<number, [number, number]> = {
  10: [0.41e-3, 0.29e-3],
  16: [32.6e-3, 40.3e-3],
  20: [303e-3, 660e-3],
  22: [3.7, 6.6],
};

/** The figures this package had before the scaling work (issue #18, quiet machine, one thread). */
export const BEFORE: Record<number, number> = { 10: 2.5e-3, 16: 29.8e-3, 20: 597e-3, 22: 3.61 };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Largest state whose floor is measured directly (two buffers of 2 GiB); beyond, scaled. */
const FLOOR_MAX_QUBITS = 27;

/**
 * Seconds of one native copy of a state on n qubits (16·2^n bytes read, as many written) between
 * two buffers, median of `repeats`; above {@link FLOOR_MAX_QUBITS} scaled from there by 2^(n − 27).
 */
export function memoryFloorPass(n: number, repeats: number): number {
  const m = Math.min(n, FLOOR_MAX_QUBITS);
  let src: Float64Array | undefined = new Float64Array(2 * 2 ** m).fill(1);
  let dst: Float64Array | undefined = new Float64Array(2 * 2 ** m);
  dst.set(src); // first touch: page faults out of the timing
  const times: number[] = [];
  const inner = Math.max(1, Math.floor(2 ** 16 / 2 ** m)); // small states: time many copies at once
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) (k % 2 === 0 ? dst : src).set(k % 2 === 0 ? src : dst);
    if (r > 0) times.push((performance.now() - t0) / 1000 / inner);
  }
  src = undefined;
  dst = undefined;
  return median(times) * 2 ** (n - m);
}

/** The kernels a state on n qubits runs on through the simulator's defaults. */
function pathOf(n: number): 'simd' | 'simd-split' | 'js' {
  if (!simdAvailable()) return 'js';
  return fitsWasm(stateBytes(n) + 4096) ? 'simd' : 'simd-split';
}

/** Warm-up time on the circuit itself before the timed calls, for n ≤ 16. */
const WARM_UP_MS = 1500;

function repeatsFor(n: number): number {
  return n <= 12 ? 101 : n <= 16 ? 21 : n <= 20 ? 7 : n <= 24 ? 3 : 1;
}

const fmtTime = (s: number) =>
  !Number.isFinite(s)
    ? '—'
    : s < 1e-2
      ? `${(s * 1e3).toFixed(2)} ms`
      : s < 1
        ? `${(s * 1e3).toFixed(1)} ms`
        : `${s.toFixed(2)} s`;

/** Simulators that have run one untimed call at the current size (cleared per size). */
const warmed = new Set<StateVectorSimulator>();

/** Median seconds of `repeats` estimates, the value of the last, and split passes per run (0 unsplit). */
async function medianSeconds(
  sim: StateVectorSimulator,
  n: number,
  repeats: number,
): Promise<{ seconds: number; value: number; splitPasses: number; exchanges: number }> {
  const circuit = qcbmCircuit(n);
  const observables = [[{ coefficient: 1, paulis: `${'I'.repeat(n - 1)}Z` }]];
  const times: number[] = [];
  let value = Number.NaN;
  // small sizes: warm up on this circuit until the JIT has settled (about a thousand calls at
  // n = 10 before the compile path stops getting faster), as the published suites time steady state
  if (n <= 16) {
    const start = performance.now();
    for (let i = 0; i < 3000 && performance.now() - start < WARM_UP_MS; i++)
      await sim.estimate({ circuit, observables });
  }
  // the workspace the simulator keeps between calls of this size (up to 256 MiB: 24 qubits)
  if (n > 16 && n <= 24 && !warmed.has(sim)) {
    warmed.add(sim);
    await sim.estimate({ circuit, observables });
  }
  const before = { ...splitStats };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    value = (await sim.estimate({ circuit, observables })).values[0] as number;
    times.push((performance.now() - t0) / 1000);
  }
  return {
    seconds: median(times),
    value,
    splitPasses: (splitStats.passes - before.passes) / repeats,
    exchanges: (splitStats.exchanges - before.exchanges) / repeats,
  };
}

type Timing = Awaited<ReturnType<typeof medianSeconds>>;

/** Calls timed one by one, as one timing: the median time, the mean passes and exchanges. */
function combine(xs: readonly Timing[]): Timing {
  return {
    seconds: median(xs.map((x) => x.seconds)),
    value: (xs.at(-1) as Timing).value,
    splitPasses: xs.reduce((p, x) => p + x.splitPasses, 0) / xs.length,
    exchanges: xs.reduce((p, x) => p + x.exchanges, 0) / xs.length,
  };
}

/** Median ms of `ops` on a state of n qubits, with `pool` (its threads) or on one thread. */
async function opsMs(ws: Workspace, n: number, ops: readonly Op[], pool: ThreadPool | undefined, repeats: number) {
  const a = ws.states[0] as Float64Array;
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    a.fill(0);
    a[0] = 1;
    const t0 = performance.now();
    if (pool) await pool.run(a, n, ops, ws);
    else await execute(a, n, ops, ws.wasm);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * How the threads are used on the QCBM at n (ops split over the threads, ops on the calling
 * thread alone, rounds = barriers), and how the kernels themselves scale from 1 to 2 threads in
 * the same run: 64 general 2×2 on low qubits (one cache-blocked run: compute in cache) and 16 on
 * qubits above the block (each a pass over memory, split in halves).
 */
async function threadReport(n: number): Promise<void> {
  const pool = new ThreadPool(2);
  const ws = new Workspace(n, 1, 2 ** 34, true);
  if (!ws.wasm) return;
  const qcbm = compileSimd(qcbmCircuit(n));
  const s0 = { ...pool.stats };
  await opsMs(ws, n, qcbm, pool, 1);
  const split = pool.stats.parallel - s0.parallel;
  const serial = pool.stats.serial - s0.serial;
  const rounds = pool.stats.rounds - s0.rounds;
  const m = Float64Array.of(0.6, 0.1, -0.2, 0.3, 0.2, 0.3, 0.6, -0.1);
  const inCache: Op[] = Array.from({ length: 64 }, (_, i) => ({ kind: 'u1', q: i % BLOCK_QUBITS, m }));
  const streaming: Op[] = Array.from({ length: 16 }, (_, i) => ({
    kind: 'u1',
    q: BLOCK_QUBITS + (i % (n - 1 - BLOCK_QUBITS)),
    m,
  }));
  const reps = n <= 20 ? 5 : 3;
  const c1 = await opsMs(ws, n, inCache, undefined, reps);
  const c2 = await opsMs(ws, n, inCache, pool, reps);
  const m1 = await opsMs(ws, n, streaming, undefined, reps);
  const m2 = await opsMs(ws, n, streaming, pool, reps);
  await pool.close();
  const ns = (ms: number, count: number) => ((ms * 1e6) / count / 2 ** n).toFixed(2);
  console.log(
    `  n = ${n}, 2 threads: ${split} of ${qcbm.length} ops split over the threads in ${rounds} rounds, ${serial} on the calling thread alone (a top-qubit target); ` +
      `kernels 1 → 2 threads: in cache ${ns(c1, 64)} → ${ns(c2, 64)} ns per amplitude per op (${(c1 / c2).toFixed(2)}×), ` +
      `streaming ${ns(m1, 16)} → ${ns(m2, 16)} ns (${(m1 / m2).toFixed(2)}×)`,
  );
}

/**
 * What chains (chains.ts) bring at n on 2 threads: the QCBM's compiled ops through a pool with
 * chains and one without, alternately, medians, and whether the two states agree bit for bit.
 */
async function chainsReport(n: number): Promise<void> {
  const ws = new Workspace(n, 2, 2 ** 34, true);
  if (!ws.wasm) return;
  const ops = compileSimd(qcbmCircuit(n));
  const pools = [new ThreadPool(2), new ThreadPool(2, BLOCK_QUBITS, false)] as const;
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < (n <= 20 ? 9 : 5); r++) {
    for (const i of [0, 1] as const) {
      const a = ws.states[i] as Float64Array;
      a.fill(0);
      a[0] = 1;
      const t0 = performance.now();
      await pools[i].run(a, n, ops, ws);
      times[i].push(performance.now() - t0);
    }
  }
  for (const p of pools) await p.close();
  const [a, b] = ws.states as [Float64Array, Float64Array];
  let same = true;
  for (let i = 0; i < a.length && same; i++) same = Object.is(a[i], b[i]);
  const [w, wo] = times.map(median) as [number, number];
  console.log(
    `  n = ${n}, chains (2 threads, alternately): with ${w.toFixed(1)} ms (${passesOf(ops, n, 2)} passes), ` +
      `without ${wo.toFixed(1)} ms (${passesOf(ops, n, 2, false)} passes) (${(wo / w).toFixed(2)}×); states ${same ? 'bit-identical' : 'DIFFER'}`,
  );
}

/**
 * What the phase tables (diagonals.ts) bring at n, on one thread: compile + run of the QCBM with
 * them and without (CNOTs folded into general 2×2s), alternately, median of several, and the
 * largest amplitude difference of the two states.
 */
async function tablesReport(n: number): Promise<void> {
  const ws = new Workspace(n, 2, 2 ** 34, true);
  if (!ws.wasm) return;
  const circuit = qcbmCircuit(n);
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < (n <= 20 ? 9 : 5); r++) {
    for (const tables of [true, false]) {
      const a = ws.states[tables ? 0 : 1] as Float64Array;
      const t0 = performance.now();
      a.fill(0);
      a[0] = 1;
      await execute(a, n, compileSimd(circuit, { tables }), ws.wasm);
      times[tables ? 0 : 1].push(performance.now() - t0);
    }
  }
  const [a, b] = ws.states as [Float64Array, Float64Array];
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  const [w, wo] = times.map(median) as [number, number];
  console.log(
    `  n = ${n}, phase tables (1 thread, compile + run, alternately): with ${w.toFixed(2)} ms, without ${wo.toFixed(2)} ms (${(wo / w).toFixed(2)}×); states agree to ${diff.toExponential(1)}`,
  );
}

/** The QCBM table at `sizes`; the `threads: 1` column up to `singleMax` qubits (— above). */
export async function qcbmBench(sizes: readonly number[], singleMax = 30): Promise<void> {
  const sim = new StateVectorSimulator();
  const single = new StateVectorSimulator({ threads: 1 });
  const threads = availableParallelism();
  const observables = (n: number) => [[{ coefficient: 1, paulis: `${'I'.repeat(n - 1)}Z` }]];
  for (let r = 0; r < 20; r++) {
    await sim.estimate({ circuit: qcbmCircuit(8), observables: observables(8) }); // warm-up
    await single.estimate({ circuit: qcbmCircuit(8), observables: observables(8) });
  }
  console.log(
    `\nQCBM (quantum-benchmarks suite): estimate ⟨Z0⟩ through the public API, median of several calls; ` +
      `"now" with the default threads (${threads} here; threads are used from 18 qubits on), and from 18 qubits on alternating call by call with threads: 1`,
  );
  console.log(
    'n   path        gates ops/passes   q-store now  issue #18 before  Yao (published)  qulacs (published)  floor/pass   ours/pass  × floor   1 thread  × floor  speedup',
  );
  for (const n of sizes) {
    const circuit = qcbmCircuit(n);
    const path = pathOf(n);
    const ops = compileSimd(circuit);
    const repeats = repeatsFor(n);
    // with threads and threads: 1 alternately, call by call, so that the machine's slower and faster
    // minutes fall on both columns
    const both = n >= 18 && threads > 1 && n <= singleMax;
    warmed.clear();
    const nowRuns: Timing[] = [];
    const oneRuns: Timing[] = [];
    for (let r = 0; r < (both ? repeats : 1); r++) {
      nowRuns.push(await medianSeconds(sim, n, both ? 1 : repeats));
      if (both) oneRuns.push(await medianSeconds(single, n, 1));
    }
    const now = combine(nowRuns);
    const t = now.seconds;
    const one = both ? combine(oneRuns) : now;
    const t1 = n <= singleMax ? one.seconds : Number.NaN;
    if (one.value !== now.value) throw new Error(`n = ${n}: ⟨Z0⟩ ${now.value} with threads, ${one.value} on one`);
    // passes over memory: as counted on the split state's run, else from the op list
    // (chains, chains.ts, make one pass of several ops, in their own way on one thread and on T)
    const T = n >= 18 && threads > 1 ? 2 ** Math.floor(Math.log2(threads)) : 1;
    const passes = path === 'simd-split' ? now.splitPasses + now.exchanges / 2 : passesOf(ops, n, T);
    const passes1 = path === 'simd-split' || !both ? passes : passesOf(ops, n, 1);
    const floor = memoryFloorPass(n, Math.max(3, Math.min(repeats, 21)));
    const [yao, qulacs] = PUBLISHED[n] ?? [Number.NaN, Number.NaN];
    const perPass = t / passes;
    const passText = path === 'simd-split' ? `${passes.toFixed(1)} (${now.exchanges} exch.)` : String(passes);
    console.log(
      `${String(n).padEnd(4)}${path.padEnd(12)}${String(circuit.operations.length).padEnd(6)}${`${ops.length}/${passText}`.padEnd(13)}${fmtTime(t).padStart(11)}${fmtTime(BEFORE[n] ?? Number.NaN).padStart(18)}${fmtTime(yao).padStart(17)}${fmtTime(qulacs).padStart(20)}${`${(floor * 1e6).toFixed(1)} µs`.padStart(13)}${`${(perPass * 1e6).toFixed(1)} µs`.padStart(12)}${(perPass / floor).toFixed(2).padStart(9)}${fmtTime(t1).padStart(11)}${(Number.isFinite(t1) ? (t1 / passes1 / floor).toFixed(2) : '—').padStart(9)}${(Number.isFinite(t1) ? `${(t1 / t).toFixed(2)}×` : '—').padStart(9)}`,
    );
    if (n >= 18 && n <= 26 && threads > 1) await threadReport(n);
    if (n >= TABLE_MIN_QUBITS && n <= 24) await tablesReport(n);
    if (n >= CHAIN_MIN_QUBITS_THREADS && n <= 24 && threads > 1) await chainsReport(n);
  }
}
