import { ConnectionError, MemoryCheckpointStore, ValidationError } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataLoader } from '../data-loader.js';
import { Adam, Spsa } from '../optimizers.js';
import { DistributedTrainer, type StepProgress } from './coordinator.js';
import {
  bitDifferences,
  DATASET,
  RedisProcess,
  referenceRun,
  sharedStore,
  spawnWorker,
  TINY_MODEL,
  unavailableReason,
  type WorkerProcess,
} from './distributed.test-helper.js';
import { shardJobId } from './protocol.js';
import { openTrainingStore } from './store-spec.js';

const reason = await unavailableReason();
if (reason) console.warn(`distributed tests skipped: ${reason}`);

const SEED = 21;
const BATCH = 8; // 40 samples: 5 steps per epoch, 4 epochs = 20 steps

describe.skipIf(reason !== undefined)('DistributedTrainer with real worker processes and redis-server', () => {
  let redis: RedisProcess;
  let shared: Awaited<ReturnType<typeof sharedStore>>;
  let reference: Float64Array[];
  const workers: WorkerProcess[] = [];
  const queue = `eq-${process.pid}`;

  beforeAll(async () => {
    redis = await RedisProcess.create();
    shared = await sharedStore('eq');
    reference = await referenceRun({ store: shared.store, seed: SEED, epochs: 4, batchSize: BATCH });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await redis?.stop();
    await shared?.drop();
  });

  async function distributedRun(shards: number, runId: string) {
    const steps: StepProgress[] = [];
    const parameters: Float64Array[] = [];
    const trainer = new DistributedTrainer({
      redis: redis.url,
      queue,
      runId,
      model: TINY_MODEL,
      optimizer: new Adam({ learningRate: 0.1 }),
      seed: SEED,
      shards,
      checkpointStore: new MemoryCheckpointStore(),
      checkpointEvery: 5,
    });
    trainer.on('step', (s, p) => {
      steps.push(s);
      parameters.push(Float64Array.from(p));
    });
    const train = await createDataLoader(shared.store, DATASET, { batchSize: BATCH, shuffle: true, seed: 3 });
    const result = await trainer.fit({ train, epochs: 4 });
    const progress = trainer.getProgress();
    await trainer.close();
    return { steps, parameters, result, progress };
  }

  it('1, 2 and 3 workers: parameters bit-identical to the single-process Trainer after each of 20 steps', async () => {
    expect(reference).toHaveLength(20);
    const store = shared.spec;
    // Every worker reads through a Redis batch cache (the same redis-server).
    const cache = ['--cache', redis.url];
    workers.push(spawnWorker(redis.url, store, 'w1', ['--queue', queue, ...cache]));
    await workers[0]?.ready;
    const one = await distributedRun(1, 'eq-one');
    workers.push(spawnWorker(redis.url, store, 'w2', ['--queue', queue, ...cache]));
    await workers[1]?.ready;
    const two = await distributedRun(2, 'eq-two');
    workers.push(spawnWorker(redis.url, store, 'w3', ['--queue', queue, ...cache]));
    await workers[2]?.ready;
    const three = await distributedRun(3, 'eq-three');
    // More shards than workers: 3 shards on the 2 workers left.
    await workers[2]?.kill();
    const threeOnTwo = await distributedRun(3, 'eq-three-on-two');
    for (const run of [one, two, three, threeOnTwo]) {
      expect(run.parameters).toHaveLength(20);
      expect(run.result.steps).toBe(20);
      const differing = run.parameters.map((p, i) => bitDifferences(p, reference[i] as Float64Array));
      expect(differing).toEqual(new Array(20).fill(0));
      expect(bitDifferences(run.result.parameters, reference[19] as Float64Array)).toBe(0);
    }
    // The parameters moved (the reference is not a constant) and the work was spread over workers.
    expect(bitDifferences(reference[0] as Float64Array, reference[19] as Float64Array)).toBeGreaterThan(0);
    expect(one.steps.every((s) => s.shards.length === 1)).toBe(true);
    expect(three.steps[0]?.shards.map((s) => s.size)).toEqual([2, 3, 3]);
    const usedByThree = new Set(three.steps.flatMap((s) => s.shards.map((t) => t.worker)));
    expect(usedByThree.size).toBeGreaterThanOrEqual(2);
    // The second 3-shard run reads every shard from the cache the first one filled.
    expect(three.steps.flatMap((s) => s.shards.map((t) => t.cacheHit))).toEqual(new Array(60).fill(false));
    expect(threeOnTwo.steps.flatMap((s) => s.shards.map((t) => t.cacheHit))).toEqual(new Array(60).fill(true));
    const usedByThreeOnTwo = new Set(threeOnTwo.steps.flatMap((s) => s.shards.map((t) => t.worker)));
    expect([...usedByThreeOnTwo].sort()).toEqual(['w1', 'w2']);
    // Progress: per-step loss and accuracy, timings, throughput.
    expect(three.progress).toMatchObject({ state: 'done', step: 20, totalSteps: 20 });
    expect(three.progress.stepsPerSecond).toBeGreaterThan(0);
    expect(three.progress.workers).toBeGreaterThanOrEqual(2);
    expect(three.steps[19]?.loss).toBeLessThan(three.steps[0]?.loss as number);
    expect(three.steps.every((s) => s.shards.every((t) => t.computeMs > 0 && t.wallMs >= t.computeMs))).toBe(true);
  }, 120_000);
});

describe('DistributedTrainer options', () => {
  const base = { redis: 'redis://127.0.0.1:1', runId: 'ok-run', model: TINY_MODEL, optimizer: new Adam(), shards: 2 };
  it('names each bad field', () => {
    const bad = () =>
      new DistributedTrainer({ ...base, runId: 'Bad:Id', shards: 0, checkpointEvery: 2, redisTimeoutMs: 5 });
    expect(bad).toThrow(ValidationError);
    try {
      bad();
    } catch (error) {
      const fields = (error as ValidationError).issues.map((i) => i.field);
      expect(fields).toEqual(expect.arrayContaining(['runId', 'shards', 'checkpointStore', 'redisTimeoutMs']));
    }
    expect(() => new DistributedTrainer({ ...base, optimizer: new Spsa() as never })).toThrow(/optimizer/);
  });

  it('Redis not reachable when fit starts: a ConnectionError after redisTimeoutMs, the checkpoint store untouched', async () => {
    const { MemoryTrainingStore } = await import('@q-store/core');
    const { storeDataset } = await import('../datasets.js');
    const { tinyData } = await import('./distributed.test-helper.js');
    const store = new MemoryTrainingStore();
    await storeDataset(store, { datasetId: DATASET, splits: { train: tinyData() } });
    const checkpointStore = new MemoryCheckpointStore();
    const trainer = new DistributedTrainer({
      ...base,
      redis: 'redis://user:s3cret@127.0.0.1:1', // nothing listens on port 1
      checkpointStore,
      checkpointEvery: 1,
      redisTimeoutMs: 300,
    });
    const train = await createDataLoader(store, DATASET, { batchSize: BATCH });
    const error = await trainer.fit({ train, epochs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain('redis://127.0.0.1:1 has not answered for 300 ms');
    expect((error as Error).message).not.toContain('s3cret');
    expect(await checkpointStore.list('ok-run')).toEqual([]);
    await trainer.close();
  });

  it('job ids are run:step:shard; store specs other than postgres:// and module: are refused without echoing secrets', async () => {
    expect(shardJobId('run-a', 12, 3)).toBe('run-a:12:3');
    await expect(openTrainingStore('mysql://user:hunter2@host/db')).rejects.toThrow(ValidationError);
    await expect(openTrainingStore('mysql://user:hunter2@host/db')).rejects.not.toThrow(/hunter2/);
  });
});
