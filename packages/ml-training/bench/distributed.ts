/**
 * Distributed section of the training benchmark: data-parallel steps over BullMQ with 1 and 2
 * worker processes (on this machine's cores) for a model where simulation dominates — a 12-qubit
 * classifier (angle encoding with RY and RZ per feature, 3 ansatz layers, 62 parameters, adjoint
 * gradients), batch 64 — beside the single-process Trainer (the peer), and the coordination cost
 * of the two BullMQ designs (persistent workers with a per-step barrier, which DistributedTrainer
 * uses, against a flow whose parent job waits for its shard children) on empty shards.
 *
 * Needs `redis-server` on PATH and the PostgreSQL at QSTORE_SYSTEM_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres) shared by the processes; skipped otherwise.
 */
import { spawn } from 'node:child_process';
import { createRng } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import { createDataLoader } from '../src/data-loader.js';
import { DistributedTrainer } from '../src/distributed/coordinator.js';
import {
  DATASET,
  RedisProcess,
  sharedStore,
  spawnWorker,
  unavailableReason,
  type WorkerProcess,
} from '../src/distributed/distributed.test-helper.js';
import { type ClassifierSpec, classifierFromSpec } from '../src/distributed/spec.js';
import { Adam } from '../src/optimizers.js';
import { Trainer } from '../src/trainer.js';

const MODEL: ClassifierSpec = {
  encoding: { kind: 'angle', numFeatures: 12, rotations: 'yz' },
  layers: 3,
  numClasses: 2,
};
const BATCH = 64;
const STEPS = 6; // measured steps per run, after one warm-up step
const ROUNDS = 3;

function data(n: number) {
  const rng = createRng(12);
  const features = Array.from({ length: n }, () => Array.from({ length: 12 }, () => rng.float() * Math.PI));
  return { features, labels: features.map((f) => ((f[0] as number) + (f[1] as number) > Math.PI ? 1 : 0)) };
}

/**
 * What two CPU-bound processes can gain here right now: a fixed busy loop run alone, then in two
 * processes at once; `2 · alone / together`. On an idle 2-core machine about 2; on a shared one less.
 */
async function parallelCeiling(): Promise<number> {
  const spin = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const child = spawn(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 4e8; i++) x += i % 7;'], {
        stdio: 'ignore',
      });
      child.once('error', reject);
      child.once('exit', () => resolve(performance.now() - t));
    });
  const alone = await spin();
  const together = Math.max(...(await Promise.all([spin(), spin()])));
  return (2 * alone) / together;
}

/** Per-step coordination of the two designs, on shards that do no work. */
export async function designOverhead(url: string, shards: number, steps: number) {
  const connection = { url };
  const name = `bench-overhead-${process.pid}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const parents = new Queue(`${name}-parent`, { connection });
  const parentEvents = new QueueEvents(`${name}-parent`, { connection });
  const shardWorkers = [0, 1].map(() => new Worker(name, async (job) => ({ shard: job.data.shard }), { connection }));
  const parentWorker = new Worker(`${name}-parent`, async (job) => Object.keys(await job.getChildrenValues()).length, {
    connection,
  });
  const flow = new FlowProducer({ connection });
  await Promise.all([events.waitUntilReady(), parentEvents.waitUntilReady()]);
  const time = async (run: (step: number) => Promise<unknown>) => {
    await run(-1);
    const t = performance.now();
    for (let s = 0; s < steps; s++) await run(s);
    return (performance.now() - t) / steps;
  };
  const barrier = await time(async (step) => {
    const jobs = await Promise.all(
      Array.from({ length: shards }, (_, shard) => queue.add('shard', { shard }, { jobId: `b:${step + 1}:${shard}` })),
    );
    await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 30_000)));
  });
  const flowMs = await time(async (step) => {
    const tree = await flow.add({
      name: 'reduce',
      queueName: `${name}-parent`,
      opts: { jobId: `f:${step + 1}:p` },
      children: Array.from({ length: shards }, (_, shard) => ({
        name: 'shard',
        queueName: name,
        data: { shard },
        opts: { jobId: `f:${step + 1}:${shard}` },
      })),
    });
    await tree.job.waitUntilFinished(parentEvents, 30_000);
  });
  await Promise.all([...shardWorkers, parentWorker].map((w) => w.close()));
  await Promise.all([queue.obliterate({ force: true }), parents.obliterate({ force: true })]);
  await Promise.all([queue.close(), events.close(), parents.close(), parentEvents.close(), flow.close()]);
  return { barrier, flow: flowMs };
}

export async function distributedBench(): Promise<void> {
  console.log('\nDistributed data-parallel training (BullMQ, worker processes)');
  const reason = await unavailableReason();
  if (reason) {
    console.log(`  skipped: ${reason}`);
    return;
  }
  const redis = await RedisProcess.create();
  const shared = await sharedStore('bench', data(BATCH * (STEPS + 1)));
  const workers: WorkerProcess[] = [];
  try {
    const loader = () => createDataLoader(shared.store, DATASET, { batchSize: BATCH, shuffle: true, seed: 1 });
    for (let i = 1; i <= 2; i++) {
      workers.push(spawnWorker(redis.url, shared.spec, `bench-${i}`, ['--quiet', '--queue', 'bench']));
    }
    await Promise.all(workers.map((w) => w.ready));
    const median = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    };
    /** Step times of the single-process Trainer (the peer), first step left out. */
    const singleRun = async () => {
      const times: number[] = [];
      let last = 0;
      const trainer = new Trainer({
        model: classifierFromSpec(MODEL, new StateVectorSimulator()),
        optimizer: new Adam({ learningRate: 0.05 }),
        seed: 1,
        callbacks: {
          onBatchEnd: () => {
            const now = performance.now();
            times.push(now - last);
            last = now;
          },
        },
      });
      last = performance.now();
      await trainer.fit({ train: await loader(), epochs: 1 });
      return times.slice(1);
    };
    interface Measured {
      stepMs: number;
      computeMs: number;
      overheadMs: number;
      loadMs: number;
    }
    /** Steps of a distributed run on `shards` shards (both workers up; 1 shard keeps one busy at a time). */
    const distributedRun = async (shards: number, round: number): Promise<Measured[]> => {
      const coordinator = new DistributedTrainer({
        redis: redis.url,
        queue: 'bench',
        runId: `bench-${shards}-${round}-${Date.now().toString(36)}`,
        model: MODEL,
        optimizer: new Adam({ learningRate: 0.05 }),
        seed: 1,
        shards,
      });
      const steps: Measured[] = [];
      coordinator.on('step', (s) => steps.push({ ...s, loadMs: Math.max(...s.shards.map((t) => t.loadMs)) }));
      await coordinator.fit({ train: await loader(), epochs: 1 });
      await coordinator.close();
      return steps.slice(1); // the first step of a run also warms the workers' processes up
    };
    // Rounds interleave the configurations, so a change in the machine's load hits all of them.
    const single: number[] = [];
    const runs: Record<number, Measured[]> = { 1: [], 2: [] };
    const ceilings: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      single.push(...(await singleRun()));
      for (const shards of [1, 2]) runs[shards]?.push(...(await distributedRun(shards, round)));
      ceilings.push(await parallelCeiling());
    }
    const singleSps = 1000 / median(single);
    console.log(
      `  model: 12 qubits (RY+RZ angle encoding), 3 layers, 62 parameters, adjoint; batch ${BATCH}; ` +
        `${ROUNDS} interleaved rounds of ${STEPS} steps, medians`,
    );
    console.log(`  single process (Trainer):  ${singleSps.toFixed(2)} steps/s`);
    const summary: Record<number, { stepsPerSecond: number }> = {};
    for (const shards of [1, 2]) {
      const m = runs[shards] as Measured[];
      const r = {
        stepsPerSecond: 1000 / median(m.map((x) => x.stepMs)),
        computeMs: median(m.map((x) => x.computeMs)),
        overheadMs: median(m.map((x) => x.overheadMs)),
        loadMs: median(m.map((x) => x.loadMs)),
      };
      summary[shards] = r;
      console.log(
        `  ${shards} worker${shards > 1 ? 's' : ' '} (${shards} shard${shards > 1 ? 's' : ' '}):     ${r.stepsPerSecond.toFixed(2)} steps/s; ` +
          `compute ${r.computeMs.toFixed(0)} ms/step (slowest shard, of which store read ${r.loadMs.toFixed(1)} ms), ` +
          `coordination ${r.overheadMs.toFixed(1)} ms/step (${((100 * r.overheadMs) / (r.computeMs + r.overheadMs)).toFixed(1)} %)`,
      );
    }
    const ceiling = median(ceilings);
    const speedup = (summary[2]?.stepsPerSecond ?? 0) / (summary[1]?.stepsPerSecond ?? 1);
    console.log(
      `  speedup 1 → 2 workers: ${speedup.toFixed(2)}× (goal ≥ 1.7×: ${speedup >= 1.7 ? 'met' : 'NOT met'}); ` +
        `2 workers vs single process: ${((summary[2]?.stepsPerSecond ?? 0) / singleSps).toFixed(2)}×`,
    );
    console.log(
      `  ceiling: two CPU-bound processes at once did ${ceilings.map((c) => c.toFixed(2)).join(', ')}× the work of one ` +
        `(2.00× on two free cores); the 1 → 2 speedup is ${((100 * speedup) / ceiling).toFixed(0)} % of the median`,
    );
    const overhead = await designOverhead(redis.url, 2, 40);
    console.log(
      `  coordination per step on empty shards (2 shards, 2 in-process workers): barrier ${overhead.barrier.toFixed(2)} ms, ` +
        `flow (parent waits for children) ${overhead.flow.toFixed(2)} ms → ${(overhead.flow / overhead.barrier).toFixed(2)}× for the flow`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await redis.stop();
    await shared.drop();
  }
}
