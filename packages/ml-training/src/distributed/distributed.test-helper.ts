/**
 * Test utilities (not part of the build): a private redis-server, real worker processes (the
 * `q-store-worker` CLI run from source), the shared store on the machine's PostgreSQL, and the
 * tiny run every distributed test trains.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgTrainingStore } from '@q-store/backend-pgvector';
import { createRng } from '@q-store/core';
import pg from 'pg';
import { storeDataset } from '../datasets.js';
import type { ClassifierSpec } from './spec.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_NODE = ['--conditions=@q-store/source', '--import', 'tsx'];
export const POSTGRES_URL = process.env.QSTORE_SYSTEM_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why these tests cannot run here (no redis-server, no PostgreSQL), or undefined. */
export async function unavailableReason(): Promise<string | undefined> {
  const found = spawnSync('redis-server', ['--version']);
  if (found.error || found.status !== 0) return 'redis-server is not on PATH';
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is not reachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) if (child.pid) killGroup(child.pid);
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const portIsOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of this test alone, in its own process group; `stop` kills it, `start` brings it back on the same port. */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  static async create(): Promise<RedisProcess> {
    const redis = new RedisProcess(await unusedPort());
    await redis.start();
    return redis;
  }
  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'q-store-dist-redis-'));
    this.child = track(
      spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
        stdio: 'ignore',
        detached: true,
      }),
    );
    for (let i = 0; i < 200 && !(await portIsOpen(this.port)); i++) await new Promise((r) => setTimeout(r, 25));
  }
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child.pid);
    await exited;
  }
}

/** A real worker process: the CLI from source. `kill()` SIGKILLs its process group (with its sandboxed children). */
export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Lines the worker printed. */
  lines: string[];
  ready: Promise<void>;
  kill(): Promise<void>;
}

export function spawnWorker(redisUrl: string, store: string, name: string, extra: string[] = []): WorkerProcess {
  const child = track(
    spawn(
      process.execPath,
      [...SOURCE_NODE, 'src/distributed/cli.ts', '--redis', redisUrl, '--store', store, '--name', name, ...extra],
      { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    ),
  );
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes('ready on')) resolve();
      }
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    name,
    lines,
    ready,
    async kill() {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child.pid);
      await exited;
    },
  };
}

/** Runs a source script as a child process in its own group (the coordinator of the restart test). */
export function spawnScript(
  script: string,
  args: string[],
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = track(
    spawn(process.execPath, [...SOURCE_NODE, script, ...args], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    }),
  );
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

export function killProcessGroup(child: ChildProcess): void {
  if (child.pid) killGroup(child.pid);
}

export const DATASET = 'dist-blobs';

/** The loader every distributed test trains on (shuffled, seed 3). */
export const LOADER_SEED = 3;

/** A heavier model (9 qubits, 3 layers, parameter shift) so a worker can be caught mid-job. */
export const SLOW_MODEL: ClassifierSpec = {
  encoding: { kind: 'angle', numFeatures: 4 },
  numQubits: 9,
  layers: 3,
  numClasses: 2,
};

/** The tiny model of the tests: 4 qubits, 1 layer, two classes. */
export const TINY_MODEL: ClassifierSpec = { encoding: { kind: 'angle', numFeatures: 4 }, layers: 1, numClasses: 2 };

/** 40 samples of two noisy blobs in [0, π]^4 (seeded). */
export function tinyData(): { features: number[][]; labels: number[] } {
  const rng = createRng(99);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 40; i++) {
    const label = i % 2;
    features.push(Array.from({ length: 4 }, () => (label ? 2.2 : 0.9) + (rng.float() - 0.5) * 1.4));
    labels.push(label);
  }
  return { features, labels };
}

/** A fresh schema on the machine's PostgreSQL holding `data` (default the tiny dataset); `spec` is what workers open. */
export async function sharedStore(
  label: string,
  data: { features: number[][]; labels: number[] } = tinyData(),
): Promise<{ store: PgTrainingStore; spec: string; drop(): Promise<void> }> {
  const schema = `qstore_${label}_${process.pid}_${Date.now().toString(36)}`.replace(/[^a-z0-9_]/g, '_');
  const store = new PgTrainingStore({ connectionString: POSTGRES_URL, schema });
  await storeDataset(store, { datasetId: DATASET, splits: { train: data } });
  return {
    store,
    spec: `${POSTGRES_URL}?schema=${schema}`,
    async drop() {
      await store.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** Per-step parameters of the single-process Trainer on the same loader, model and seed (the reference). */
export async function referenceRun(options: {
  store: import('@q-store/core').TrainingStore;
  seed: number;
  epochs: number;
  batchSize: number;
  model?: ClassifierSpec;
  gradientMethod?: 'adjoint' | 'parameter-shift';
}): Promise<Float64Array[]> {
  const { StateVectorSimulator } = await import('@q-store/quantum-sim');
  const { Trainer } = await import('../trainer.js');
  const { Adam } = await import('../optimizers.js');
  const { createDataLoader } = await import('../data-loader.js');
  const { classifierFromSpec } = await import('./spec.js');
  const steps: Float64Array[] = [];
  const trainer = new Trainer({
    model: classifierFromSpec(options.model ?? TINY_MODEL, new StateVectorSimulator()),
    optimizer: new Adam({ learningRate: 0.1 }),
    ...(options.gradientMethod && { gradientMethod: options.gradientMethod }),
    seed: options.seed,
    callbacks: { onBatchEnd: (_m, parameters) => void steps.push(Float64Array.from(parameters)) },
  });
  const train = await createDataLoader(options.store, DATASET, {
    batchSize: options.batchSize,
    shuffle: true,
    seed: 3,
  });
  await trainer.fit({ train, epochs: options.epochs });
  return steps;
}

/** Number of values that differ bit for bit (Object.is) between two parameter vectors. */
export function bitDifferences(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}
