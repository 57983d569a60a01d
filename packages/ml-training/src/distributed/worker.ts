import { hostname } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IssueCollector } from '@q-store/core/backend';
import { Worker } from 'bullmq';
import { connectionOf, describeRedis, type RedisLocation } from './connection.js';
import { CACHE_ENV, DEFAULT_QUEUE, NAME_ENV, type ShardJobData, type ShardJobResult, STORE_ENV } from './protocol.js';

export interface TrainingWorkerOptions {
  /** Redis shared with the coordinator. */
  redis: RedisLocation;
  /** The TrainingStore spec (see `openTrainingStore`): `postgres://…` or `module:<path>`. */
  store: string;
  /**
   * Redis URL of a batch cache (`RedisCache` of `@q-store/cache-redis`, needed then): each shard
   * read goes through the data loader's cache, keyed by dataset version, order, batch and shard.
   */
  cache?: string;
  /** Queue name; default `q-store-training` (the coordinator's default too). */
  queue?: string;
  /** Shards computed at once, each in its own child process (default 1; one per core is the most that helps). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal (BullMQ `lockDuration`, default 30000 ms). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (BullMQ `stalledInterval`, default 30000 ms). */
  stalledIntervalMs?: number;
  /** How often a job may stall (its worker die) before it fails (default 3). */
  maxStalledCount?: number;
  /** Name shown as the job's `processedBy`; default `host:pid`. */
  name?: string;
}

export interface TrainingWorker {
  readonly name: string;
  readonly worker: Worker<ShardJobData, ShardJobResult>;
  /** Waits for the running shard (or drops it with `force`) and disconnects. */
  close(force?: boolean): Promise<void>;
}

const processorFile = () => {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./shard-processor${extname(here)}`, import.meta.url));
};

/**
 * A training worker: a BullMQ worker on the shared queue whose processor is sandboxed — BullMQ
 * forks a child process per concurrent job slot and keeps it for later jobs, so the simulation
 * runs off the process that renews the job locks. Each child opens the store once (from `store`),
 * rebuilds a shard's data loader (`rank` = shard, `worldSize` = shards) and model from the job, and
 * returns the shard's per-sample rows. A job whose worker dies is found stalled after
 * `lockDurationMs` and processed again by another worker.
 */
export async function startTrainingWorker(options: TrainingWorkerOptions): Promise<TrainingWorker> {
  const issues = new IssueCollector();
  if (typeof options.store !== 'string' || options.store === '') issues.add('store', 'must be a store spec string');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    issues.add('concurrency', `must be an integer from 1 to 64, got ${concurrency}`, 64);
  }
  for (const field of ['lockDurationMs', 'stalledIntervalMs'] as const) {
    const v = options[field];
    if (v !== undefined && !(Number.isInteger(v) && v >= 100)) issues.add(field, `must be an integer ≥ 100, got ${v}`);
  }
  issues.throwIfAny('Invalid training worker options');
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const worker = new Worker<ShardJobData, ShardJobResult>(options.queue ?? DEFAULT_QUEUE, processorFile(), {
    connection: connectionOf(options.redis, { maxRetriesPerRequest: null }),
    concurrency,
    name,
    useWorkerThreads: false,
    workerForkOptions: {
      env: {
        ...process.env,
        [STORE_ENV]: options.store,
        [NAME_ENV]: name,
        ...(options.cache && { [CACHE_ENV]: options.cache }),
      },
    },
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
    removeOnFail: { count: 1000 },
  });
  worker.on('error', (error) => {
    // Connection trouble is retried by the client; report it without secrets.
    process.emitWarning(`training worker on ${describeRedis(options.redis)}: ${error.message}`);
  });
  await worker.waitUntilReady();
  return {
    name,
    worker,
    close: (force = false) => worker.close(force),
  };
}
