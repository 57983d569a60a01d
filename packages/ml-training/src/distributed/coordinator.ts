import { EventEmitter } from 'node:events';
import {
  type Checkpoint,
  type CheckpointStore,
  ConflictError,
  ConnectionError,
  createRng,
  isQStoreError,
  type JsonValue,
  QStoreError,
  type QuantumBackend,
  type Rng,
  ValidationError,
} from '@q-store/core';
import { IssueCollector, isPlainObject, raceAbort, throwIfAborted } from '@q-store/core/backend';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { latestCheckpoint } from '../checkpoints.js';
import { compareDescriptors, type DataLoader, type LoaderDescriptor } from '../data-loader.js';
import type { GradientMethod } from '../gradients.js';
import type { VariationalClassifier } from '../model.js';
import type { GradientOptimizer } from '../optimizers.js';
import { concatRows, decodeRows, encodeFloat64, type GradientRows, meanOfRows } from '../step-gradient.js';
import { defaultGradientMethod } from '../trainer.js';
import { connectionOf, describeRedis, type RedisLocation } from './connection.js';
import {
  DEFAULT_QUEUE,
  type ShardDataset,
  type ShardJobData,
  type ShardJobResult,
  shardJobId,
  stepDigest,
} from './protocol.js';
import {
  type ClassifierSpec,
  classifierFromSpec,
  DEFAULT_QUANTUM_BACKEND,
  openQuantumBackend,
  type QuantumBackendSpec,
  RUN_ID_PATTERN,
} from './spec.js';

/** A shard job's failure after its attempts (the worker's error message, without secrets). */
export class ShardFailedError extends QStoreError {
  constructor(
    message: string,
    readonly jobId: string,
    cause?: unknown,
  ) {
    super('SERVICE', message, { cause });
  }
}

export interface DistributedTrainerOptions {
  /** Redis shared with the workers. */
  redis: RedisLocation;
  /** Queue name (default `q-store-training`, the workers' default too). */
  queue?: string;
  /** Names the run: checkpoint model id and first part of every job id (core's index-name rule). */
  runId: string;
  /** The model every worker builds (see {@link ClassifierSpec}). */
  model: ClassifierSpec;
  /** The quantum backend every worker (and the coordinator, for the parameter layout) creates. */
  backend?: QuantumBackendSpec;
  optimizer: GradientOptimizer;
  /** Default as the single-process Trainer: adjoint when exact and offered, else parameter-shift. */
  gradientMethod?: GradientMethod;
  /** Seed of the run's generator (initial parameters, step seeds), as `TrainerOptions.seed`; default 0. */
  seed?: number;
  /** Shards (jobs) per optimizer step, 1–1024. More shards than workers is fine; they queue. */
  shards: number;
  checkpointStore?: CheckpointStore;
  /** Save a checkpoint after every N optimizer steps (needs `checkpointStore`). */
  checkpointEvery?: number;
  /** Attempts of a shard job that throws (a stalled job is retried apart from these); default 3. */
  attempts?: number;
  /** A step waiting longer than this for its shards fails (default 600000 ms). */
  stepTimeoutMs?: number;
  /** Redis unreachable this long ends `fit` with a ConnectionError (default 10000 ms). */
  redisTimeoutMs?: number;
}

export interface DistributedFitParams {
  /** The global data loader (no `rank`/`worldSize`): the one a single process would train on. */
  train: DataLoader;
  /** Total epochs of the run. */
  epochs: number;
  /** Stop after this many optimizer steps in total (e.g. to split a run); default all of them. */
  maxSteps?: number;
  /** Starting parameters of a new run; default `model.initialParameters({rng})` from the seed. */
  initialParameters?: Float64Array;
  /** Continue from the run's latest checkpoint when there is one (default true). */
  resume?: boolean;
  signal?: AbortSignal;
}

/** Timing of one shard of a step. */
export interface ShardTiming {
  shard: number;
  /** Samples in the shard. */
  size: number;
  /** `host:pid` of the worker that computed it. */
  worker: string;
  /** Store read and simulation time in the worker. */
  loadMs: number;
  computeMs: number;
  /** From sending the job to holding its result, at the coordinator. */
  wallMs: number;
  /** The result was already in Redis (a job of this id ran before, e.g. before a coordinator restart). */
  reused: boolean;
  /** The worker read the shard from its batch cache (undefined when it has none). */
  cacheHit?: boolean;
}

export interface StepProgress {
  runId: string;
  /** Optimizer steps done (1 after the first). */
  step: number;
  epoch: number;
  batch: number;
  size: number;
  /** Loss and accuracy of the step's batch before the update. */
  loss: number;
  accuracy: number;
  shards: ShardTiming[];
  /** Distinct workers that computed this step's shards. */
  workers: number;
  /** Wall time of the whole step at the coordinator. */
  stepMs: number;
  /** The slowest shard's load + compute time: the step's compute critical path. */
  computeMs: number;
  /** `stepMs − computeMs`: queueing, transport, Redis round trips, reduce and optimizer step. */
  overheadMs: number;
}

export interface DistributedEpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
}

export interface DistributedProgress {
  runId: string;
  state: 'idle' | 'running' | 'done' | 'failed';
  /** Optimizer steps done in the run (including before a resume). */
  step: number;
  /** Steps the run will have when done. */
  totalSteps: number;
  epoch: number;
  loss: number | undefined;
  accuracy: number | undefined;
  /** Distinct workers over the last 10 steps. */
  workers: number;
  /** Steps and samples per second in this `fit` call. */
  stepsPerSecond: number;
  samplesPerSecond: number;
  /** Means over this `fit` call's steps. */
  meanStepMs: number;
  meanComputeMs: number;
  meanOverheadMs: number;
  /** Shards whose result came from an earlier run of the same job id (counted once). */
  reusedShards: number;
  lastStep: StepProgress | undefined;
  /** URI of the latest checkpoint written or resumed from. */
  checkpoint: string | undefined;
  resumedFromStep: number | undefined;
}

export interface DistributedTrainingResult {
  parameters: Float64Array;
  /** Optimizer steps of the run. */
  steps: number;
  /** Epochs finished. */
  epochs: number;
  history: DistributedEpochMetrics[];
  /** URIs written by this call. */
  checkpoints: string[];
  resumedFromStep: number | undefined;
}

export interface DistributedTrainerEvents {
  /** After each optimizer step, with the updated parameters (do not change them). */
  step: [StepProgress, Float64Array];
  epoch: [DistributedEpochMetrics];
  checkpoint: [{ uri: string; step: number }];
}

/** Where a run is: what the next step reads. */
interface Position {
  epoch: number;
  batch: number;
}

interface RunState {
  parameters: Float64Array;
  rng: Rng;
  position: Position;
  history: DistributedEpochMetrics[];
  /** Sums over the current epoch so far (for its metrics after a resume mid-epoch). */
  epochLoss: number;
  epochCorrect: number;
  epochCount: number;
  epochMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The coordinator of data-parallel training over BullMQ: per optimizer step it splits the global
 * batch into `shards` consecutive slices (`shardRange`), sends one job per shard (job id
 * `run:step:shard`, so re-sending a step finds the same jobs), waits for every shard (a barrier),
 * joins the per-sample rows in shard order (`concatRows`) and steps the optimizer on
 * `meanOfRows` of them — the very reduce of the single-process `Trainer.trainStep`.
 *
 * Same result as one process: the step seeds and initial parameters come from a generator seeded
 * like the Trainer's, the loader's epoch order is the single-process one, sample i of a batch uses
 * seed + i wherever it is computed, and the mean sums the rows left to right in sample order. The
 * parameters after each step are therefore bit-identical to `Trainer.fit` on the same loader and
 * seed, for any shard count and whichever worker took which shard.
 *
 * Faults: a dead worker's job is retried by BullMQ's stalled-job check on another worker; each
 * shard index holds one result (a second run of a job cannot count twice, and a result computed
 * before a coordinator restart is reused after checking its input digest). Checkpoints — written
 * only here, every `checkpointEvery` steps — hold the run id, the step, the next (epoch, batch),
 * the optimizer state and the generator state; `fit` resumes from the latest by default. Redis
 * unreachable for `redisTimeoutMs` ends `fit` with a ConnectionError and writes nothing; calling
 * `fit` again once Redis is back resumes from the latest checkpoint.
 */
export class DistributedTrainer extends EventEmitter<DistributedTrainerEvents> {
  readonly runId: string;
  readonly queueName: string;
  readonly shards: number;
  readonly optimizer: GradientOptimizer;
  private readonly options: DistributedTrainerOptions;
  private readonly backendSpec: QuantumBackendSpec;
  private modelPromise: Promise<{ model: VariationalClassifier; backend: QuantumBackend }> | undefined;
  private progress: DistributedProgress;
  private running = false;
  private recentWorkers: string[][] = [];

  constructor(options: DistributedTrainerOptions) {
    super();
    const issues = new IssueCollector();
    if (typeof options.runId !== 'string' || !RUN_ID_PATTERN.test(options.runId)) {
      issues.add('runId', `must match ${RUN_ID_PATTERN}, got ${JSON.stringify(String(options.runId))}`);
    }
    const int = (field: string, v: number | undefined, min: number, max: number) => {
      if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) {
        issues.add(field, `must be an integer from ${min} to ${max}, got ${v}`, max);
      }
    };
    int('shards', options.shards, 1, 1024);
    if (options.shards === undefined) issues.add('shards', 'is required');
    int('checkpointEvery', options.checkpointEvery, 1, Number.MAX_SAFE_INTEGER);
    if (options.checkpointEvery !== undefined && !options.checkpointStore) {
      issues.add('checkpointStore', 'is needed with checkpointEvery');
    }
    int('attempts', options.attempts, 1, 100);
    int('stepTimeoutMs', options.stepTimeoutMs, 100, 2 ** 31 - 1);
    int('redisTimeoutMs', options.redisTimeoutMs, 100, 2 ** 31 - 1);
    if (options.seed !== undefined && !(Number.isInteger(options.seed) && Math.abs(options.seed) < 2 ** 31)) {
      issues.add('seed', `must be an integer from -2^31 to 2^31-1, got ${options.seed}`);
    }
    if ((options.optimizer as { kind?: string })?.kind === 'spsa') {
      issues.add('optimizer', 'must be a gradient optimizer (SPSA steps on losses, not per-sample gradients)');
    }
    issues.throwIfAny('Invalid distributed trainer options');
    this.options = options;
    this.runId = options.runId;
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    this.shards = options.shards;
    this.optimizer = options.optimizer;
    this.backendSpec = options.backend ?? DEFAULT_QUANTUM_BACKEND;
    this.progress = this.emptyProgress();
  }

  /** The coordinator's own copy of the model (for the parameter layout and the default gradient method). */
  async model(): Promise<VariationalClassifier> {
    this.modelPromise ??= (async () => {
      const backend = await openQuantumBackend(this.backendSpec);
      return { backend, model: classifierFromSpec(this.options.model, backend) };
    })();
    return (await this.modelPromise).model;
  }

  /** A snapshot of the run's progress (a copy). */
  getProgress(): DistributedProgress {
    return structuredClone(this.progress);
  }

  /** Closes the coordinator's own quantum backend. The queue connections close at the end of each `fit`. */
  async close(): Promise<void> {
    if (this.modelPromise) await (await this.modelPromise).backend.close?.();
  }

  private emptyProgress(): DistributedProgress {
    return {
      runId: this.runId,
      state: 'idle',
      step: 0,
      totalSteps: 0,
      epoch: 0,
      loss: undefined,
      accuracy: undefined,
      workers: 0,
      stepsPerSecond: 0,
      samplesPerSecond: 0,
      meanStepMs: 0,
      meanComputeMs: 0,
      meanOverheadMs: 0,
      reusedShards: 0,
      lastStep: undefined,
      checkpoint: undefined,
      resumedFromStep: undefined,
    };
  }

  /**
   * Trains up to `epochs` (or `maxSteps`), resuming from the run's latest checkpoint unless
   * `resume: false`. Workers must be running on the same queue and Redis.
   */
  async fit(params: DistributedFitParams): Promise<DistributedTrainingResult> {
    const issues = new IssueCollector();
    if (!Number.isInteger(params.epochs) || params.epochs < 1) {
      issues.add('epochs', `must be a positive integer, got ${params.epochs}`);
    }
    if (params.maxSteps !== undefined && !(Number.isInteger(params.maxSteps) && params.maxSteps >= 0)) {
      issues.add('maxSteps', `must be a non-negative integer, got ${params.maxSteps}`);
    }
    const train = params.train;
    if (!train || typeof train.globalBatchSize !== 'function') issues.add('train', 'must be a DataLoader');
    else if (train.shard.worldSize !== 1) {
      issues.add('train', 'must be the global loader (no rank/worldSize): the coordinator shards it');
    }
    if (this.running) issues.add('fit', 'is already running on this trainer');
    issues.throwIfAny('Invalid fit');
    this.running = true;
    try {
      return await this.run(params, train);
    } finally {
      this.running = false;
    }
  }

  private async run(params: DistributedFitParams, train: DataLoader): Promise<DistributedTrainingResult> {
    const { signal } = params;
    const model = await this.model();
    const method = this.options.gradientMethod ?? defaultGradientMethod(model);
    const run = await this.restoreOrInit(params, model);
    const totalSteps = Math.min(params.epochs * train.length, params.maxSteps ?? Number.POSITIVE_INFINITY);
    const startStep = this.optimizer.steps;
    this.progress = {
      ...this.emptyProgress(),
      state: 'running',
      step: startStep,
      totalSteps,
      epoch: run.position.epoch,
      resumedFromStep: this.progress.resumedFromStep,
      checkpoint: this.progress.checkpoint,
    };
    const descriptor = train.descriptor;
    const dataset: ShardDataset = {
      datasetId: train.datasetId,
      split: train.split,
      batchSize: Number(descriptor.batchSize),
      shuffle: descriptor.shuffle === true,
      seed: Number(descriptor.seed),
      dropLast: descriptor.dropLast === true,
      datasetVersion: String(descriptor.datasetVersion),
    };
    const connection = connectionOf(this.options.redis);
    const queue = new Queue<ShardJobData, ShardJobResult>(this.queueName, { connection });
    const events = new QueueEvents(this.queueName, { connection: connectionOf(this.options.redis) });
    queue.on('error', () => undefined); // reported through the health check below
    events.on('error', () => undefined);
    const health = this.watchRedis(queue);
    const checkpoints: string[] = [];
    const began = performance.now();
    let samples = 0;
    let sumStep = 0;
    let sumCompute = 0;
    let stepsThisFit = 0;
    try {
      await health.guard(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]));
      while (this.optimizer.steps < totalSteps && run.position.epoch < params.epochs) {
        throwIfAborted(signal);
        const { epoch, batch } = run.position;
        const step = this.optimizer.steps;
        const seed = run.rng.int(-(2 ** 31), 2 ** 31 - 1);
        const stepBegan = performance.now();
        const base = {
          runId: this.runId,
          step,
          epoch,
          batch,
          shards: this.shards,
          dataset,
          model: this.options.model,
          backend: this.backendSpec,
          method,
          seed,
          parameters: encodeFloat64(run.parameters),
        };
        const digest = stepDigest(base);
        const { rows, timings } = await health.guard(this.runStep(queue, events, { ...base, digest }, signal));
        const result = meanOfRows(rows);
        this.optimizer.step(run.parameters, result.gradient);
        const stepMs = performance.now() - stepBegan;
        const computeMs = Math.max(0, ...timings.map((t) => t.loadMs + t.computeMs));
        run.epochLoss += result.loss * result.count;
        run.epochCorrect += result.accuracy * result.count;
        run.epochCount += result.count;
        run.epochMs += stepMs;
        samples += result.count;
        sumStep += stepMs;
        sumCompute += computeMs;
        stepsThisFit++;
        const workers = [...new Set(timings.map((t) => t.worker))];
        this.recentWorkers = [...this.recentWorkers.slice(-9), workers];
        const stepProgress: StepProgress = {
          runId: this.runId,
          step: this.optimizer.steps,
          epoch,
          batch,
          size: result.count,
          loss: result.loss,
          accuracy: result.accuracy,
          shards: timings,
          workers: workers.length,
          stepMs,
          computeMs,
          overheadMs: Math.max(0, stepMs - computeMs),
        };
        const elapsedS = (performance.now() - began) / 1000;
        Object.assign(this.progress, {
          step: this.optimizer.steps,
          epoch,
          loss: result.loss,
          accuracy: result.accuracy,
          workers: new Set(this.recentWorkers.flat()).size,
          stepsPerSecond: stepsThisFit / elapsedS,
          samplesPerSecond: samples / elapsedS,
          meanStepMs: sumStep / stepsThisFit,
          meanComputeMs: sumCompute / stepsThisFit,
          meanOverheadMs: Math.max(0, (sumStep - sumCompute) / stepsThisFit),
          reusedShards: this.progress.reusedShards + timings.filter((t) => t.reused).length,
          lastStep: stepProgress,
        });
        // Advance the position; close the epoch when its last batch is done.
        run.position = batch + 1 < train.length ? { epoch, batch: batch + 1 } : { epoch: epoch + 1, batch: 0 };
        this.emit('step', stepProgress, run.parameters);
        if (run.position.batch === 0) {
          const metrics: DistributedEpochMetrics = {
            epoch: epoch + 1,
            loss: run.epochCount ? run.epochLoss / run.epochCount : 0,
            accuracy: run.epochCount ? run.epochCorrect / run.epochCount : 0,
            seconds: run.epochMs / 1000,
          };
          run.history.push(metrics);
          Object.assign(run, { epochLoss: 0, epochCorrect: 0, epochCount: 0, epochMs: 0 });
          this.emit('epoch', metrics);
        }
        const every = this.options.checkpointEvery;
        if (every !== undefined && (this.optimizer.steps % every === 0 || this.optimizer.steps === totalSteps)) {
          const uri = await this.save(run, descriptor, model, signal);
          checkpoints.push(uri);
          this.progress.checkpoint = uri;
          this.emit('checkpoint', { uri, step: this.optimizer.steps });
        }
      }
      this.progress.state = 'done';
      return {
        parameters: run.parameters,
        steps: this.optimizer.steps,
        epochs: run.history.length,
        history: run.history,
        checkpoints,
        resumedFromStep: this.progress.resumedFromStep,
      };
    } catch (error) {
      this.progress.state = 'failed';
      throw error;
    } finally {
      health.stop();
      // With Redis gone, neither close nor disconnect settles: start both, wait a moment, move on.
      const closing = health.down() ? [queue.disconnect(), events.disconnect()] : [queue.close(), events.close()];
      await Promise.race([Promise.allSettled(closing), sleep(health.down() ? 200 : 5000)]);
    }
  }

  /** Sends (or finds) the step's shard jobs and waits for all of them. */
  private async runStep(
    queue: Queue<ShardJobData, ShardJobResult>,
    events: QueueEvents,
    base: Omit<ShardJobData, 'shard'>,
    signal: AbortSignal | undefined,
  ): Promise<{ rows: GradientRows; timings: ShardTiming[] }> {
    const attempts = this.options.attempts ?? 3;
    const timeout = this.options.stepTimeoutMs ?? 600_000;
    const results = new Map<number, { rows: GradientRows; timing: ShardTiming }>();
    await Promise.all(
      Array.from({ length: this.shards }, async (_, shard) => {
        const jobId = shardJobId(this.runId, base.step, shard);
        const sent = performance.now();
        const data: ShardJobData = { ...base, shard };
        const add = () =>
          queue.add('shard', data, {
            jobId,
            attempts,
            backoff: { type: 'fixed', delay: 200 },
            removeOnComplete: { count: 2000 },
            removeOnFail: { count: 2000 },
          });
        // The id is idempotent: a job of this step and shard sent before (e.g. before a coordinator
        // restart) is found, not sent again.
        let job = (await queue.getJob(jobId)) as Job<ShardJobData, ShardJobResult> | undefined;
        const found = job !== undefined;
        if (job && job.data?.digest !== base.digest) {
          // A job of this id holds other inputs: another configuration under the same run id.
          const state = await job.getState();
          if (state !== 'completed' && state !== 'failed') {
            throw new ConflictError(
              `job ${jobId} is ${state} with other inputs: another coordinator runs '${this.runId}'; use another runId`,
            );
          }
          await job.remove();
          job = undefined;
        }
        job ??= await add();
        const reused = job.finishedOn !== undefined && job.returnvalue != null;
        let value: ShardJobResult;
        if (reused) value = job.returnvalue;
        else {
          // A job that failed for good before a restart gets its attempts again.
          if (found && (await job.getState()) === 'failed') await job.retry();
          try {
            value = (await raceAbort(job.waitUntilFinished(events, timeout), signal)) as ShardJobResult;
          } catch (error) {
            if (isQStoreError(error)) throw error;
            const message = error instanceof Error ? error.message : String(error);
            throw new ShardFailedError(`shard job ${jobId} failed: ${message}`, jobId, error);
          }
        }
        if (value?.digest !== base.digest) {
          throw new ShardFailedError(`shard job ${jobId} returned a result for other inputs`, jobId);
        }
        const rows = decodeRows(value.rows);
        // One result per shard index: a job that ran twice still counts once.
        if (!results.has(shard)) {
          results.set(shard, {
            rows,
            timing: {
              shard,
              size: rows.count,
              worker: value.worker,
              loadMs: reused ? 0 : value.loadMs,
              computeMs: reused ? 0 : value.computeMs,
              wallMs: performance.now() - sent,
              reused,
              ...(value.cacheHit !== undefined && { cacheHit: value.cacheHit }),
            },
          });
        }
      }),
    );
    const ordered = Array.from(
      { length: this.shards },
      (_, s) => results.get(s) as { rows: GradientRows; timing: ShardTiming },
    );
    const nonEmpty = ordered.filter((r) => r.rows.count > 0).map((r) => r.rows);
    return { rows: concatRows(nonEmpty), timings: ordered.map((r) => r.timing) };
  }

  /**
   * Pings Redis (a cheap queue read) every 250 ms; `guard(p)` rejects with a ConnectionError once
   * no ping has answered for `redisTimeoutMs`.
   */
  private watchRedis(queue: Queue<ShardJobData, ShardJobResult>) {
    const limit = this.options.redisTimeoutMs ?? 10_000;
    let lastOk = Date.now();
    let failed: ConnectionError | undefined;
    const waiters = new Set<(error: ConnectionError) => void>();
    let stopped = false;
    const where = describeRedis(this.options.redis);
    const tick = async () => {
      while (!stopped) {
        const ok = await Promise.race([
          queue.getJobCounts('active').then(
            () => true,
            () => false,
          ),
          sleep(Math.min(1000, limit)).then(() => false),
        ]);
        if (ok) lastOk = Date.now();
        else if (Date.now() - lastOk >= limit && !failed) {
          failed = new ConnectionError(
            `Redis at ${where} has not answered for ${limit} ms; training stopped at step ${this.optimizer.steps} ` +
              `(nothing was written after the last checkpoint${this.progress.checkpoint ? ` ${this.progress.checkpoint}` : ''}). ` +
              'Call fit again once Redis is back to resume from the latest checkpoint.',
          );
          for (const w of waiters) w(failed);
        }
        await sleep(250);
      }
    };
    void tick();
    return {
      guard<T>(p: Promise<T>): Promise<T> {
        if (failed) return Promise.reject(failed);
        return new Promise<T>((resolve, reject) => {
          waiters.add(reject);
          p.then(resolve, reject).finally(() => waiters.delete(reject));
        });
      },
      down: () => failed !== undefined,
      stop() {
        stopped = true;
      },
    };
  }

  private async restoreOrInit(params: DistributedFitParams, model: VariationalClassifier): Promise<RunState> {
    const { signal } = params;
    const store = this.options.checkpointStore;
    if (params.resume !== false && store) {
      const checkpoint = await latestCheckpoint(store, this.runId, { ...(signal && { signal }) });
      if (checkpoint) {
        const run = this.restore(checkpoint, params.train, model);
        this.progress.resumedFromStep = this.optimizer.steps;
        this.progress.checkpoint = `${checkpoint.modelId}@step ${checkpoint.step}`;
        return run;
      }
    }
    this.optimizer.reset();
    this.progress.resumedFromStep = undefined;
    const rng = createRng(this.options.seed ?? 0);
    const parameters = params.initialParameters
      ? Float64Array.from(params.initialParameters)
      : model.initialParameters({ rng });
    if (parameters.length !== model.numParameters) {
      throw new ValidationError(
        [
          {
            field: 'initialParameters',
            message: `has ${parameters.length} values; the model has ${model.numParameters}`,
          },
        ],
        'Invalid fit',
      );
    }
    return {
      parameters,
      rng,
      position: { epoch: 0, batch: 0 },
      history: [],
      epochLoss: 0,
      epochCorrect: 0,
      epochCount: 0,
      epochMs: 0,
    };
  }

  private async save(
    run: RunState,
    descriptor: LoaderDescriptor,
    model: VariationalClassifier,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const store = this.options.checkpointStore as CheckpointStore;
    const checkpoint: Checkpoint = {
      modelId: this.runId,
      // Finished epochs: a mid-epoch checkpoint replaces the previous one of the same epoch.
      epoch: run.position.epoch,
      step: this.optimizer.steps,
      parameters: Float64Array.from(run.parameters),
      optimizerState: this.optimizer.state(),
      metrics: {
        ...(this.progress.loss !== undefined && { loss: this.progress.loss, accuracy: this.progress.accuracy ?? 0 }),
      },
      metadata: {
        runId: this.runId,
        kind: 'distributed',
        parameterNames: [...model.parameterNames],
        rngState: run.rng.state(),
        position: { epoch: run.position.epoch, batch: run.position.batch },
        epochSums: { loss: run.epochLoss, correct: run.epochCorrect, count: run.epochCount, ms: run.epochMs },
        loader: { ...descriptor },
        history: run.history.map((h) => ({ ...h })),
      },
    };
    return store.save(checkpoint, { ...(signal && { signal }) });
  }

  private restore(checkpoint: Checkpoint, train: DataLoader, model: VariationalClassifier): RunState {
    const issues = new IssueCollector();
    const meta = checkpoint.metadata ?? {};
    const names = meta.parameterNames;
    if (!Array.isArray(names) || names.join(',') !== model.parameterNames.join(',')) {
      issues.add('checkpoint.metadata.parameterNames', 'do not match the model (a checkpoint of another architecture)');
    }
    if (checkpoint.parameters.length !== model.numParameters) {
      issues.add('checkpoint.parameters', `must hold ${model.numParameters} values`);
    }
    const rngState = meta.rngState;
    if (!Array.isArray(rngState) || !rngState.every((x) => typeof x === 'number')) {
      issues.add('checkpoint.metadata.rngState', 'must be the array saved by the coordinator');
    }
    const position = meta.position;
    if (!isPlainObject(position) || !Number.isInteger(position.epoch) || !Number.isInteger(position.batch)) {
      issues.add('checkpoint.metadata.position', 'must be the {epoch, batch} saved by the coordinator');
    }
    if (checkpoint.optimizerState === undefined) issues.add('checkpoint.optimizerState', 'is missing');
    const saved = meta.loader;
    if (isPlainObject(saved)) compareDescriptors(saved, train.descriptor, issues);
    else issues.add('checkpoint.metadata.loader', 'is missing');
    issues.throwIfAny(`Invalid checkpoint for run '${this.runId}'`);
    this.optimizer.restore(checkpoint.optimizerState as JsonValue);
    const sums = isPlainObject(meta.epochSums) ? (meta.epochSums as Record<string, number>) : {};
    const pos = position as { epoch: number; batch: number };
    return {
      parameters: Float64Array.from(checkpoint.parameters),
      rng: createRng({ state: rngState as number[] }),
      position: { epoch: pos.epoch, batch: pos.batch },
      history: Array.isArray(meta.history) ? (meta.history as unknown as DistributedEpochMetrics[]) : [],
      epochLoss: sums.loss ?? 0,
      epochCorrect: sums.correct ?? 0,
      epochCount: sums.count ?? 0,
      epochMs: sums.ms ?? 0,
    };
  }
}
