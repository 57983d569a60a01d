/**
 * Where the time of the threaded QCBM goes (`pnpm --filter @q-store/quantum-sim bench -- --only
 * threads --qcbm 20,24`): the compiled QCBM ops (as the simulator compiles them) run on one thread
 * and through a 2-thread pool, alternately, several times. Printed per run: wall time; CPU time of
 * the process; per thread (Linux, from /proc/self/task/…/schedstat) CPU time and time spent ready
 * but waiting in the run queue; the pool's counts (ops split over the threads, ops on the calling
 * thread alone, rounds = barriers, top-qubit splits) and the calling thread's time on its own
 * share, alone, and waiting at barriers, with the worker's busy time.
 *
 * On a shared machine the wall ratio is the scheduler's share; the CPU figures are not: with the
 * work split evenly, each thread's CPU time is about half the one-thread CPU time, and
 * "cpu-bound ratio" = one-thread CPU / the busiest thread's CPU is the speedup an otherwise idle
 * machine would show (barrier overhead aside).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { cpuUsage } from 'node:process';
import { execute } from '../src/executor.js';
import { compileSimd } from '../src/program.js';
import { ThreadPool } from '../src/threads.js';
import { Workspace } from '../src/workspace.js';
import { qcbmCircuit } from './circuits.js';
import { median } from './qcbm.js';

type Sched = Map<string, [number, number]>;

/** Per thread of this process: [on-CPU ms, run-queue wait ms]; empty where /proc has no schedstat. */
function sched(): Sched {
  const out: Sched = new Map();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, [(run as number) / 1e6, (wait as number) / 1e6]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Adds the per-thread change from `a` to `b` into `acc`. */
function addSched(acc: Sched, a: Sched, b: Sched): void {
  for (const [tid, [r, w]] of b) {
    const [r0, w0] = a.get(tid) ?? [0, 0];
    const [x, y] = acc.get(tid) ?? [0, 0];
    acc.set(tid, [x + r - r0, y + w - w0]);
  }
}

/** The threads that ran at least 2 % of `total` ms, busiest first: [cpu, wait] per run. */
function busyThreads(acc: Sched, reps: number, total: number): Array<[number, number]> {
  return [...acc.values()]
    .filter(([r]) => r > 0.02 * total)
    .map(([r, w]) => [r / reps, w / reps] as [number, number])
    .sort((p, q) => q[0] - p[0]);
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function threadProfileBench(sizes: readonly number[], reps = 3): Promise<void> {
  console.log(
    '\nThreads on the QCBM (compiled ops, 1 thread and a 2-thread pool alternately; per run; cpu/wait per thread from /proc schedstat)',
  );
  for (const n of sizes) {
    const ops = compileSimd(qcbmCircuit(n));
    const ws = new Workspace(n, 1, 2 ** 34, true);
    if (!ws.wasm) continue;
    const a = ws.states[0] as Float64Array;
    const pool = new ThreadPool(2);
    const once = async (threaded: boolean, acc: Sched) => {
      a.fill(0);
      a[0] = 1;
      const s0 = sched();
      const c0 = cpuUsage();
      const t0 = performance.now();
      if (threaded) await pool.run(a, n, ops, ws);
      else await execute(a, n, ops, ws.wasm);
      const wall = performance.now() - t0;
      const c = cpuUsage(c0);
      addSched(acc, s0, sched());
      return { wall, cpu: (c.user + c.system) / 1000 };
    };
    await once(true, new Map());
    await once(false, new Map());
    const stats0 = { ...pool.stats };
    const timing0 = { ...pool.timing };
    const busy0 = pool.workerBusyMs()[0] ?? 0;
    const acc1: Sched = new Map();
    const acc2: Sched = new Map();
    const w1: number[] = [];
    const w2: number[] = [];
    let cpu1 = 0;
    let cpu2 = 0;
    const load0 = loadavg()[0] as number;
    for (let r = 0; r < reps; r++) {
      const two = await once(true, acc2);
      const one = await once(false, acc1);
      w2.push(two.wall);
      w1.push(one.wall);
      cpu2 += two.cpu;
      cpu1 += one.cpu;
    }
    const load1 = loadavg()[0] as number;
    const per = (x: number) => x / reps;
    const t1 = busyThreads(acc1, reps, cpu1);
    const t2 = busyThreads(acc2, reps, cpu2);
    const busiest = t2[0]?.[0] ?? per(cpu2);
    const split = per(pool.stats.parallel - stats0.parallel);
    const serial = per(pool.stats.serial - stats0.serial);
    console.log(
      `  n = ${n}: wall 1 thread ${ms(median(w1))}, 2 threads ${ms(median(w2))} (${(median(w1) / median(w2)).toFixed(2)}×); ` +
        `process cpu ${ms(per(cpu1))} / ${ms(per(cpu2))}; load ${load0.toFixed(1)}-${load1.toFixed(1)}`,
    );
    console.log(
      `    1 thread: ${t1.map(([c, w]) => `cpu ${ms(c)} wait ${ms(w)}`).join('; ')} | 2 threads: ${t2.map(([c, w]) => `cpu ${ms(c)} wait ${ms(w)}`).join('; ')} | cpu-bound ratio ${(per(cpu1) / busiest).toFixed(2)}×`,
    );
    console.log(
      `    pool: ${split} of ${ops.length} ops split (${per(pool.stats.topSplit - stats0.topSplit)} on top qubits, ${per(pool.stats.chains - stats0.chains)} chains counted once), ${serial} alone, ` +
        `${per(pool.stats.rounds - stats0.rounds)} barriers; calling thread: share ${ms(per(pool.timing.share - timing0.share))}, ` +
        `alone ${ms(per(pool.timing.serial - timing0.serial))}, barrier wait ${ms(per(pool.timing.wait - timing0.wait))}; ` +
        `worker busy ${ms(per((pool.workerBusyMs()[0] ?? 0) - busy0))}`,
    );
    await pool.close();
  }
}
