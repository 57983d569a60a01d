import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgCheckpointStore, PgTrainingStore } from '@q-store/backend-pgvector';
import { ConnectionError, type TrainingBatch } from '@q-store/core';
import { Adam, createDataLoader, type EpochMetrics } from '@q-store/ml-training';
import { type ClassifierSpec, classifierFromSpec, DistributedTrainer } from '@q-store/ml-training/distributed';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { chartHtml, DATASET, demoSettings, sparkline, storeIris, type TrainingDemoOptions } from './train.js';

export interface DistributedDemoOptions extends TrainingDemoOptions {
  /** Local worker processes to start (1–16); they take one shard of every step each. */
  workers: number;
  /** Redis URL; default `REDIS_URL`, else a private `redis-server` started on a free port. */
  redis?: string;
  /** A PostgreSQL every process can reach; default `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. */
  store?: string;
}

const SCHEMA = 'qstore_demo';
const BAR_WIDTH = 24;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Waits for a child's stdout line containing `text`; rejects if it exits first. */
function waitForLine(child: ChildProcess, text: string, what: string): Promise<void> {
  return new Promise((resolveLine, reject) => {
    let seen = '';
    let errors = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) resolveLine();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}): ${errors.trim()}`)));
  });
}

/** A private redis-server on a free loopback port (no persistence), or undefined when none is installed. */
async function startRedis(): Promise<{ url: string; child: ChildProcess } | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitForLine(child, 'Ready to accept connections', 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, child };
}

/**
 * `pnpm demo train --workers N`: the Iris classifier of `runTraining`, trained data-parallel. The
 * dataset goes to PostgreSQL (schema `qstore_demo`) so every process reads the same store; N worker
 * processes (`pnpm demo worker`, i.e. the `q-store-worker` CLI) and this coordinator share Redis.
 * Each step's batch is split into N shards, one BullMQ job each. Prints a live progress bar, the
 * epochs with test accuracy and throughput, and writes the same HTML chart as the single-process demo.
 */
export async function runDistributedTraining(options: DistributedDemoOptions) {
  const { workers } = options;
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
    throw new RangeError(`--workers must be an integer from 1 to 16, got ${workers}`);
  }
  const { epochs, seed, print, progress, htmlPath } = demoSettings(options);
  const connectionString = options.store ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const children: ChildProcess[] = [];
  let ownRedis: ChildProcess | undefined;
  const store = new PgTrainingStore({ connectionString, schema: SCHEMA });
  const checkpointStore = new PgCheckpointStore({ connectionString, schema: SCHEMA });
  try {
    let redis = options.redis ?? process.env.REDIS_URL;
    if (!redis) {
      const started = await startRedis();
      if (!started) {
        throw new ConnectionError('no Redis: pass --redis redis://host:6379, set REDIS_URL, or install redis-server');
      }
      ownRedis = started.child;
      redis = started.url;
      print(`started redis-server at ${redis}`);
    }
    const manifest = await storeIris(store, seed);
    print(
      `Iris in PostgreSQL (schema ${SCHEMA}): ${manifest.splits.train} training and ${manifest.splits.test} test samples`,
    );
    const spec = new URL(connectionString);
    spec.searchParams.set('schema', SCHEMA);
    const queue = `q-store-demo-${process.pid}`;
    const ext = extname(fileURLToPath(import.meta.url));
    const cli = fileURLToPath(new URL(`./cli${ext}`, import.meta.url));
    // From source, workers run the TypeScript CLI the way `pnpm demo` does.
    // tsx is resolved from this package, so the workers start from any working directory.
    const nodeArgs = ext === '.ts' ? ['--conditions=@q-store/source', '--import', import.meta.resolve('tsx')] : [];
    for (let i = 0; i < workers; i++) {
      const child = spawn(
        process.execPath,
        [
          ...nodeArgs,
          cli,
          'worker',
          '--redis',
          redis,
          '--store',
          spec.toString(),
          '--queue',
          queue,
          '--name',
          `demo-worker-${i + 1}`,
          '--quiet',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
    }
    await Promise.all(children.map((c, i) => waitForLine(c, 'ready on', `worker ${i + 1}`)));
    print(`${workers} worker processes ready on queue ${queue}`);
    const modelSpec: ClassifierSpec = {
      encoding: { kind: 'angle', numFeatures: 4 },
      layers: 3,
      numClasses: 3,
      labels: manifest.labels,
    };
    const trainer = new DistributedTrainer({
      redis,
      queue,
      runId: `iris-${Date.now().toString(36)}`,
      model: modelSpec,
      optimizer: new Adam({ learningRate: 0.1 }),
      seed,
      shards: workers,
      checkpointStore,
      checkpointEvery: 12,
    });
    const train = await createDataLoader(store, DATASET, { batchSize: 10, shuffle: true, seed });
    const testBatches: TrainingBatch[] = [];
    for await (const b of await createDataLoader(store, DATASET, { split: 'test', batchSize: 64 })) testBatches.push(b);
    const test = { features: testBatches.flatMap((b) => b.features), labels: testBatches.flatMap((b) => b.labels) };
    const evaluator = classifierFromSpec(modelSpec, new StateVectorSimulator());
    const evaluate = (parameters: Float64Array) => evaluator.evaluate({ parameters, ...test });
    const initialTestAccuracy = (await evaluate(evaluator.initialParameters({ seed }))).accuracy;
    const total = epochs * train.length;
    let latest = new Float64Array();
    const history: Promise<EpochMetrics>[] = [];
    trainer.on('step', (s, parameters) => {
      latest = Float64Array.from(parameters);
      const filled = Math.round((s.step / total) * BAR_WIDTH);
      const p = trainer.getProgress();
      progress(
        `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] step ${s.step}/${total} epoch ${s.epoch + 1}/${epochs} ` +
          `loss ${s.loss.toFixed(3)}  ${p.workers} workers  ${p.stepsPerSecond.toFixed(1)} steps/s  ` +
          `overhead ${s.overheadMs.toFixed(0)} ms/step`,
      );
    });
    trainer.on('epoch', (m) => {
      const parameters = latest;
      const p = trainer.getProgress();
      history.push(
        evaluate(parameters).then((t) => {
          progress('');
          print(
            `epoch ${String(m.epoch).padStart(3)}  loss ${m.loss.toFixed(4)}  train accuracy ${m.accuracy.toFixed(3)}  ` +
              `test loss ${t.loss.toFixed(4)}  test accuracy ${t.accuracy.toFixed(3)}  ${m.seconds.toFixed(2)} s  ` +
              `${p.stepsPerSecond.toFixed(1)} steps/s on ${p.workers} workers`,
          );
          return { ...m, testLoss: t.loss, testAccuracy: t.accuracy };
        }),
      );
    });
    const result = await trainer.fit({ train, epochs });
    await trainer.close();
    const epochsDone = await Promise.all(history);
    const last = epochsDone.at(-1) as EpochMetrics;
    const p = trainer.getProgress();
    print('');
    print(
      `loss           ${sparkline(epochsDone.map((h) => h.loss))}  ${epochsDone[0]?.loss.toFixed(3)} → ${last.loss.toFixed(3)}`,
    );
    print(
      `test accuracy  ${sparkline(epochsDone.map((h) => h.testAccuracy ?? 0))}  ` +
        `${initialTestAccuracy.toFixed(3)} (untrained) → ${(last.testAccuracy ?? 0).toFixed(3)}`,
    );
    print(
      `${result.steps} steps on ${workers} workers: ${p.stepsPerSecond.toFixed(2)} steps/s, ` +
        `compute ${p.meanComputeMs.toFixed(1)} ms and coordination ${p.meanOverheadMs.toFixed(1)} ms per step`,
    );
    print(`checkpoints: ${result.checkpoints.length} (latest ${result.checkpoints.at(-1)})`);
    await writeFile(htmlPath, chartHtml(epochsDone, initialTestAccuracy));
    print(`chart written to ${htmlPath}`);
    return {
      history: epochsDone,
      initialTestAccuracy,
      testAccuracy: last.testAccuracy ?? 0,
      htmlPath,
      steps: result.steps,
    };
  } finally {
    progress('');
    // SIGTERM lets a worker finish its shard and disconnect; SIGKILL after 10 s if it does not.
    await Promise.all(
      children.map((c) => {
        if (c.exitCode !== null || c.signalCode !== null) return undefined;
        const exited = new Promise((done) => c.once('exit', done));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        return exited.finally(() => clearTimeout(timer));
      }),
    );
    ownRedis?.kill('SIGTERM');
    await Promise.allSettled([store.close(), checkpointStore.close()]);
  }
}
