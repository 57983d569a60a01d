/**
 * `q-store-worker --redis redis://host:6379 --store postgres://user@host/db [--cache redis://…] [--queue name]
 *  [--concurrency 1] [--lock-duration-ms 30000] [--stalled-interval-ms 30000] [--name host:pid]`
 *
 * Runs a training worker until SIGINT/SIGTERM (then finishes the running shard and exits).
 */
import { parseArgs } from 'node:util';
import { isQStoreError } from '@q-store/core';
import { redactSecrets } from '@q-store/core/backend';
import { describeRedis } from './connection.js';
import { DEFAULT_QUEUE } from './protocol.js';
import { startTrainingWorker } from './worker.js';

const USAGE = `usage: q-store-worker --redis <redis://…> --store <postgres://…|module:<path>> [--queue ${DEFAULT_QUEUE}]
       [--cache <redis://… batch cache>] [--concurrency 1] [--lock-duration-ms 30000] [--stalled-interval-ms 30000] [--name <host:pid>] [--quiet]`;

/** Runs the worker CLI on `argv` (the arguments after the command). Resolves once the worker is up. */
export async function workerCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      redis: { type: 'string' },
      store: { type: 'string' },
      cache: { type: 'string' },
      queue: { type: 'string' },
      concurrency: { type: 'string' },
      'lock-duration-ms': { type: 'string' },
      'stalled-interval-ms': { type: 'string' },
      name: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const redis = values.redis ?? process.env.REDIS_URL;
  if (!redis || !values.store) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const concurrency = num(values.concurrency);
  const lockDurationMs = num(values['lock-duration-ms']);
  const stalledIntervalMs = num(values['stalled-interval-ms']);
  let worker: Awaited<ReturnType<typeof startTrainingWorker>>;
  try {
    worker = await startTrainingWorker({
      redis,
      store: values.store,
      ...(values.cache && { cache: values.cache }),
      ...(values.queue && { queue: values.queue }),
      ...(concurrency !== undefined && { concurrency }),
      ...(lockDurationMs !== undefined && { lockDurationMs }),
      ...(stalledIntervalMs !== undefined && { stalledIntervalMs }),
      ...(values.name && { name: values.name }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`q-store-worker: ${isQStoreError(error) ? `${error.code}: ` : ''}${redactSecrets(message)}`);
    process.exitCode = 1;
    return;
  }
  const log = values.quiet ? () => {} : (line: string) => console.log(line);
  worker.worker.on('active', (job) => log(`active ${job.id}`));
  worker.worker.on('completed', (job, result) => {
    log(`done ${job.id} ${result.rows.count} samples in ${result.computeMs.toFixed(0)} ms`);
  });
  worker.worker.on('failed', (job, error) => {
    console.error(`failed ${job?.id ?? '?'}: ${redactSecrets(error.message)}`);
  });
  console.log(`q-store-worker ${worker.name} ready on ${describeRedis(redis)} queue ${values.queue ?? DEFAULT_QUEUE}`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void worker.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
