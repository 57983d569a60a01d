import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, MemoryCheckpointStore } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint } from '../checkpoints.js';
import { createDataLoader } from '../data-loader.js';
import { Adam } from '../optimizers.js';
import { decodeFloat64 } from '../step-gradient.js';
import { DistributedTrainer, type StepProgress } from './coordinator.js';
import {
  bitDifferences,
  DATASET,
  LOADER_SEED,
  RedisProcess,
  referenceRun,
  SLOW_MODEL,
  sharedStore,
  spawnScript,
  spawnWorker,
  TINY_MODEL,
  unavailableReason,
  type WorkerProcess,
} from './distributed.test-helper.js';

const reason = await unavailableReason();
if (reason) console.warn(`distributed fault tests skipped: ${reason}`);

const SEED = 5;
const BATCH = 8;
const FAST_STALLS = ['--lock-duration-ms', '1000', '--stalled-interval-ms', '500'];

const until = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.skipIf(reason !== undefined)('DistributedTrainer faults (real processes, real redis-server)', () => {
  let redis: RedisProcess;
  let shared: Awaited<ReturnType<typeof sharedStore>>;
  const workers: WorkerProcess[] = [];
  let directory: string;

  beforeAll(async () => {
    redis = await RedisProcess.create();
    shared = await sharedStore('faults');
    directory = await mkdtemp(join(tmpdir(), 'q-store-dist-'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await redis?.stop();
    await shared?.drop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const loader = () => createDataLoader(shared.store, DATASET, { batchSize: BATCH, shuffle: true, seed: LOADER_SEED });

  it('a worker SIGKILLed mid-job: its job is retried on the other worker and the result is unchanged', async () => {
    const queue = `kill-${process.pid}`;
    const reference = await referenceRun({
      store: shared.store,
      seed: SEED,
      epochs: 1,
      batchSize: BATCH,
      model: SLOW_MODEL,
      gradientMethod: 'parameter-shift',
    });
    const a = spawnWorker(redis.url, shared.spec, 'victim', ['--queue', queue, ...FAST_STALLS]);
    const b = spawnWorker(redis.url, shared.spec, 'survivor', ['--queue', queue, ...FAST_STALLS]);
    workers.push(a, b);
    await Promise.all([a.ready, b.ready]);
    const trainer = new DistributedTrainer({
      redis: redis.url,
      queue,
      runId: 'killed-worker',
      model: SLOW_MODEL,
      gradientMethod: 'parameter-shift',
      optimizer: new Adam({ learningRate: 0.1 }),
      seed: SEED,
      shards: 2,
    });
    const steps: StepProgress[] = [];
    const parameters: Float64Array[] = [];
    trainer.on('step', (s, p) => {
      steps.push(s);
      parameters.push(Float64Array.from(p));
    });
    const run = trainer.fit({ train: await loader(), epochs: 1 });
    // Kill the victim while it holds a job of step 2 (a job it started and has not finished).
    let killedJob = '';
    await until('the victim to start a job of step 2', () => {
      const started = a.lines.filter((l) => l.startsWith('active killed-worker:2:')).at(-1);
      if (started) killedJob = started.slice('active '.length);
      return killedJob !== '';
    });
    await a.kill();
    expect(a.lines.some((l) => l.startsWith(`done ${killedJob} `))).toBe(false);
    const result = await run;
    await trainer.close();
    // The survivor picked the stalled job up and computed it.
    expect(b.lines.some((l) => l === `active ${killedJob}`)).toBe(true);
    expect(b.lines.some((l) => l.startsWith(`done ${killedJob} `))).toBe(true);
    const afterKill = steps.slice(2);
    expect(afterKill.every((s) => s.shards.every((t) => t.worker === 'survivor'))).toBe(true);
    expect(result.steps).toBe(5);
    expect(parameters.map((p, i) => bitDifferences(p, reference[i] as Float64Array))).toEqual([0, 0, 0, 0, 0]);
    await b.kill();
  }, 180_000);

  it('the coordinator SIGKILLed and restarted resumes from its latest checkpoint and ends bit-identical', async () => {
    const queue = `restart-${process.pid}`;
    const reference = await referenceRun({ store: shared.store, seed: SEED, epochs: 4, batchSize: BATCH });
    const pair = [
      spawnWorker(redis.url, shared.spec, 'r1', ['--queue', queue, '--quiet']),
      spawnWorker(redis.url, shared.spec, 'r2', ['--queue', queue, '--quiet']),
    ];
    workers.push(...pair);
    await Promise.all(pair.map((w) => w.ready));
    const config = JSON.stringify({
      redis: redis.url,
      store: shared.spec,
      queue,
      runId: 'restart-run',
      checkpointDir: directory,
      model: TINY_MODEL,
      seed: SEED,
      epochs: 4,
      batchSize: BATCH,
      shards: 2,
      checkpointEvery: 3,
    });
    const first = spawnScript('src/distributed/coordinator-child.test-helper.ts', [config]);
    // Kill it after step 7 (checkpoint at 6): step 7's jobs are done in Redis, step 6's state is on disk.
    await until('step 7 of the first coordinator', () => first.lines.some((l) => l.startsWith('step 7 ')));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.lines.some((l) => l.startsWith('done '))).toBe(false);
    expect(first.lines.filter((l) => l.startsWith('checkpoint ')).at(-1)).toBe('checkpoint 6');
    const second = spawnScript('src/distributed/coordinator-child.test-helper.ts', [config]);
    expect(await second.exited).toBe(0);
    expect(second.lines).toContain('resumed 6');
    const stepLines = second.lines.filter((l) => l.startsWith('step '));
    expect(stepLines[0]?.startsWith('step 7 ')).toBe(true);
    // Step 7 ran before the kill: its shard results are reused from Redis (counted once), not recomputed.
    expect(stepLines[0]?.endsWith('reused=2')).toBe(true);
    for (const line of stepLines) {
      const [, n, b64] = line.split(' ');
      expect(bitDifferences(decodeFloat64(b64 as string), reference[Number(n) - 1] as Float64Array)).toBe(0);
    }
    const done = second.lines.find((l) => l.startsWith('done ')) as string;
    expect(bitDifferences(decodeFloat64(done.slice(5)), reference[19] as Float64Array)).toBe(0);
    await Promise.all(pair.map((w) => w.kill()));
  }, 180_000);

  it('Redis down: fit fails with a ConnectionError, the checkpoints stay intact, and the run resumes once Redis is back', async () => {
    const queue = `down-${process.pid}`;
    const reference = await referenceRun({ store: shared.store, seed: SEED, epochs: 4, batchSize: BATCH });
    const pair = [
      spawnWorker(redis.url, shared.spec, 'd1', ['--queue', queue, '--quiet']),
      spawnWorker(redis.url, shared.spec, 'd2', ['--queue', queue, '--quiet']),
    ];
    workers.push(...pair);
    await Promise.all(pair.map((w) => w.ready));
    const checkpointStore = new MemoryCheckpointStore();
    const make = () =>
      new DistributedTrainer({
        redis: redis.url,
        queue,
        runId: 'redis-down',
        model: TINY_MODEL,
        optimizer: new Adam({ learningRate: 0.1 }),
        seed: SEED,
        shards: 2,
        checkpointStore,
        checkpointEvery: 1,
        redisTimeoutMs: 1500,
      });
    const trainer = make();
    let stopping: Promise<void> | undefined;
    trainer.on('step', (s) => {
      if (s.step === 5) stopping = redis.stop();
    });
    const failed = await trainer.fit({ train: await loader(), epochs: 4 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await stopping;
    await trainer.close();
    expect(failed).toBeInstanceOf(ConnectionError);
    expect((failed as ConnectionError).retryable).toBe(true);
    expect((failed as Error).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ has not answered for 1500 ms/);
    expect(trainer.getProgress().state).toBe('failed');
    // The latest checkpoint is whole and on the reference path.
    const saved = await latestCheckpoint(checkpointStore, 'redis-down');
    const at = saved?.step as number;
    expect(at).toBeGreaterThanOrEqual(5);
    expect(at).toBeLessThan(20);
    expect(bitDifferences(saved?.parameters as Float64Array, reference[at - 1] as Float64Array)).toBe(0);
    // Redis comes back (empty: no persistence); workers reconnect; a new fit resumes and finishes.
    await redis.start();
    const again = make();
    const result = await again.fit({ train: await loader(), epochs: 4 });
    await again.close();
    expect(result.resumedFromStep).toBe(at);
    expect(result.steps).toBe(20);
    expect(bitDifferences(result.parameters, reference[19] as Float64Array)).toBe(0);
    await Promise.all(pair.map((w) => w.kill()));
  }, 180_000);
});
