import {
  type Checkpoint,
  type CheckpointStore,
  createRng,
  type JsonValue,
  type Label,
  type Rng,
  type TrainingBatch,
  ValidationError,
} from '@q-store/core';
import { IssueCollector, isPlainObject, throwIfAborted } from '@q-store/core/backend';
import { compareDescriptors, deriveEpochSeed, type LoaderDescriptor } from './data-loader.js';
import type { GradientMethod } from './gradients.js';
import type { LossResult, VariationalClassifier } from './model.js';
import type { Optimizer } from './optimizers.js';
import { type GradientRows, meanOfRows, sampleGradients } from './step-gradient.js';

/** Where the trainer reads one epoch of batches: `createDataLoader`'s loader fits. */
export interface EpochSource {
  /** The batches of epoch e (0-based); the same e must give the same batches. */
  epoch(epoch: number): AsyncIterable<TrainingBatch>;
  /** What fixes the batches (a `DataLoader`'s); saved in checkpoints and compared on resume. */
  readonly descriptor?: LoaderDescriptor;
}

/** Labelled samples held in memory (e.g. a test split). */
export interface LabelledSamples {
  features: ReadonlyArray<ArrayLike<number>>;
  labels: readonly Label[];
}

/** Figures of one finished epoch. */
export interface EpochMetrics {
  /** Epochs finished so far (1 after the first). */
  epoch: number;
  /** Mean training loss over the epoch's samples (each at the parameters of its batch's step). */
  loss: number;
  /** Training accuracy measured the same way. */
  accuracy: number;
  /** Loss and accuracy on the `test` data at the end of the epoch, when given. */
  testLoss?: number;
  testAccuracy?: number;
  /** Wall-clock seconds of the epoch (training and evaluation). */
  seconds: number;
}

export interface BatchMetrics {
  /** 0-based epoch index of the batch. */
  epoch: number;
  /** 0-based batch index in its epoch. */
  batch: number;
  size: number;
  loss: number;
  accuracy: number;
  /** Optimizer steps so far. */
  step: number;
}

export interface TrainerCallbacks {
  /** After each optimizer step; `parameters` are the updated ones (do not change them). */
  onBatchEnd?(metrics: BatchMetrics, parameters: Float64Array): void | Promise<void>;
  /** Return `false` to stop training after this epoch. */
  onEpochEnd?(metrics: EpochMetrics, parameters: Float64Array): undefined | boolean | Promise<undefined | boolean>;
}

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Metric to watch; default `testLoss` when test data is given, else `loss`. Accuracies are maximised, losses minimised. */
  monitor?: 'loss' | 'accuracy' | 'testLoss' | 'testAccuracy';
}

export interface TrainerOptions {
  model: VariationalClassifier;
  optimizer: Optimizer;
  /**
   * Gradient of the expectation values: default `adjoint` when the backend offers it and the model
   * has no `shots`, else `parameter-shift` (on shot-based estimates when the model has `shots`;
   * `adjoint` with `shots` is a ValidationError, as adjoint is exact).
   */
  gradientMethod?: GradientMethod;
  /** Seed of the trainer's generator (initial parameters, shot seeds); default 0. */
  seed?: number;
  /** Name of the model in checkpoints (default `model`). */
  modelId?: string;
  checkpointStore?: CheckpointStore;
  /** Save a checkpoint after every N finished epochs (needs `checkpointStore`). */
  checkpointEvery?: number;
  earlyStopping?: EarlyStoppingOptions;
  callbacks?: TrainerCallbacks;
  /** The reduce stage of every gradient step (see {@link GradientReducer}); not with SPSA. */
  reduce?: GradientReducer;
  /**
   * Runs each step's gradient stage (with SPSA: each of the step's three loss evaluations), e.g.
   * `(stage) => ionq.batch(stage)` so that a remote backend sends every circuit of it as one job.
   * The stage is a pure function of the step's inputs and may be called more than once. Default:
   * called once, as is.
   */
  runGradientStage?: <T>(stage: () => Promise<T>) => Promise<T>;
}

export interface FitParams {
  /** Training batches per epoch (a `DataLoader`, shuffled per (seed, epoch) for reproducible runs). */
  train: EpochSource;
  /** Data evaluated after every epoch (`testLoss`, `testAccuracy`). */
  test?: EpochSource | LabelledSamples;
  /** Total epochs of the run (a resumed run continues up to this number). */
  epochs: number;
  /** Starting parameters; default `model.initialParameters({rng})` from the trainer's seed. */
  initialParameters?: Float64Array;
  /** A checkpoint (or its URI in `checkpointStore`) to continue from. */
  resumeFrom?: string | Checkpoint;
  signal?: AbortSignal;
}

export interface TrainingResult {
  parameters: Float64Array;
  /** Every finished epoch, including those before a resume. */
  history: EpochMetrics[];
  /** Epochs finished (the last `history` entry's `epoch`). */
  epochs: number;
  stoppedEarly: boolean;
  /** URIs of the checkpoints written by this call. */
  checkpoints: string[];
}

/**
 * Base seed of the test evaluation after epoch e (0-based): `deriveEpochSeed(seed ^ 0x6a09e667, e)`,
 * a function of the trainer's seed and the epoch only (the training generator is not touched), so
 * shot-based test metrics — and early stopping on them — are the same in every run and on resume.
 */
export function evaluationSeed(seed: number, epoch: number): number {
  return deriveEpochSeed((seed ^ 0x6a09e667) | 0, epoch);
}

/** `adjoint` when the backend offers it and the model has no `shots`, else `parameter-shift`. */
export function defaultGradientMethod(model: VariationalClassifier): GradientMethod {
  const methods = model.backend.capabilities.gradientMethods;
  return model.shots === undefined && model.backend.gradient && methods.includes('adjoint')
    ? 'adjoint'
    : 'parameter-shift';
}

interface MonitorState {
  best: number | null;
  bestEpoch: number;
  wait: number;
}

type MonitorName = NonNullable<EarlyStoppingOptions['monitor']>;

/** What a run carries from epoch to epoch (mutated in place). */
interface RunState {
  parameters: Float64Array;
  rng: Rng;
  history: EpochMetrics[];
  monitor: MonitorState;
  /** Epochs finished before this fit. */
  start: number;
  /** A resumed run that had already stopped early. */
  stopped: boolean;
}

/** Where a step sits in the run; given to the reduce stage. */
export interface StepContext {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch index in the epoch. */
  batch: number;
  /** Optimizer steps before this one. */
  step: number;
  /** The step's seed (drawn from the trainer's generator; sample i of the batch uses seed + i). */
  seed: number;
}

/**
 * The reduce stage of a training step: given this process's per-sample rows of the step, returns
 * the rows of the whole step in sample order (a data-parallel all-reduce gathers every rank's
 * rows in rank order). `meanOfRows` then averages them.
 */
export type GradientReducer = (rows: GradientRows, context: StepContext) => Promise<GradientRows>;

/**
 * Trains a {@link VariationalClassifier}: per batch, the exact gradient of the mean loss and a
 * gradient step ({@link Trainer.trainStep}: per-sample gradients → optional reduce → mean in sample
 * order → optimizer step), or an SPSA step on the batch loss; per epoch, the metrics, the
 * callbacks, early stopping and checkpoints.
 *
 * Exact resume: a checkpoint holds the parameters (float64, exact), the optimizer's state, the
 * trainer generator's position, the early-stopping state (including whether it stopped the run:
 * resuming a stopped run returns at once) and the history. Epoch e reads
 * `train.epoch(e)`, whose order depends only on (seed, e), so training 3 epochs, saving, and
 * resuming for 3 more gives bit-for-bit the parameters of 6 uninterrupted epochs. The loader's
 * `descriptor` (dataset version, batch size, shuffle, seed, …) is saved too; resuming on a loader
 * whose descriptor differs is a ValidationError naming each differing field (`train.seed`, …).
 * A fit without `resumeFrom` starts afresh: `optimizer.reset()` and a new generator from `seed`.
 */
export class Trainer {
  readonly model: VariationalClassifier;
  readonly optimizer: Optimizer;
  readonly gradientMethod: GradientMethod;
  readonly modelId: string;
  private readonly options: TrainerOptions;

  constructor(options: TrainerOptions) {
    const issues = new IssueCollector();
    const { model, checkpointEvery, earlyStopping } = options;
    const method = options.gradientMethod ?? defaultGradientMethod(model);
    if (method !== 'adjoint' && method !== 'parameter-shift') {
      issues.add('gradientMethod', `must be 'adjoint' or 'parameter-shift', got ${String(method)}`);
    } else if (method === 'adjoint' && model.shots !== undefined) {
      issues.add(
        'gradientMethod',
        `'adjoint' is exact and ignores the model's shots (${model.shots}); use 'parameter-shift' (the default with shots)`,
      );
    }
    if (checkpointEvery !== undefined) {
      if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
        issues.add('checkpointEvery', `must be a positive integer, got ${checkpointEvery}`);
      }
      if (!options.checkpointStore) issues.add('checkpointStore', 'is needed with checkpointEvery');
    }
    if (earlyStopping) {
      if (!Number.isInteger(earlyStopping.patience) || earlyStopping.patience < 1) {
        issues.add('earlyStopping.patience', `must be a positive integer, got ${earlyStopping.patience}`);
      }
      const minDelta = earlyStopping.minDelta ?? 0;
      if (!(minDelta >= 0 && Number.isFinite(minDelta))) {
        issues.add('earlyStopping.minDelta', `must be a finite number ≥ 0, got ${minDelta}`);
      }
    }
    if (options.seed !== undefined && !(Number.isInteger(options.seed) && Math.abs(options.seed) < 2 ** 31)) {
      issues.add('seed', `must be an integer from -2^31 to 2^31-1, got ${options.seed}`);
    }
    if (options.reduce !== undefined && options.optimizer.kind === 'spsa') {
      issues.add('reduce', 'needs a gradient optimizer (SPSA steps on losses, not gradients)');
    }
    issues.throwIfAny('Invalid trainer options');
    this.model = model;
    this.optimizer = options.optimizer;
    this.gradientMethod = method;
    this.modelId = options.modelId ?? 'model';
    this.options = options;
  }

  /**
   * Trains up to `params.epochs`: {@link restoreOrInit}, then {@link runEpoch} per remaining epoch,
   * each followed by early stopping, the checkpoint and `onEpochEnd`.
   */
  async fit(params: FitParams): Promise<TrainingResult> {
    if (!Number.isInteger(params.epochs) || params.epochs < 1) {
      throw new ValidationError(
        [{ field: 'epochs', message: `must be a positive integer, got ${params.epochs}` }],
        'Invalid fit',
      );
    }
    const run = await this.restoreOrInit(params);
    const result = (stoppedEarly: boolean, checkpoints: string[]): TrainingResult => ({
      parameters: run.parameters,
      history: run.history,
      epochs: run.history.at(-1)?.epoch ?? run.start,
      stoppedEarly,
      checkpoints,
    });
    // A resumed run that had stopped early trains nothing more.
    if (run.stopped) return result(true, []);
    const early = this.options.earlyStopping;
    const monitorName = early?.monitor ?? (params.test ? 'testLoss' : 'loss');
    if (early && monitorName.startsWith('test') && !params.test) {
      throw new ValidationError(
        [{ field: 'earlyStopping.monitor', message: `'${monitorName}' needs test data` }],
        'Invalid fit',
      );
    }
    const checkpoints: string[] = [];
    let stoppedEarly = false;
    for (let e = run.start; e < params.epochs && !stoppedEarly; e++) {
      const metrics = await this.runEpoch(run, e, params);
      stoppedEarly = this.updateMonitor(run, metrics, monitorName);
      if (this.options.checkpointEvery !== undefined && (e + 1) % this.options.checkpointEvery === 0) {
        checkpoints.push(await this.save(e + 1, run, stoppedEarly, params.train, params.signal));
      }
      const verdict = await this.options.callbacks?.onEpochEnd?.(metrics, run.parameters);
      if (verdict === false) stoppedEarly = true;
    }
    return result(stoppedEarly, checkpoints);
  }

  /**
   * The state a run starts from: the checkpoint's (parameters, optimizer state, generator
   * position, history, early-stopping state) with `resumeFrom`, else a fresh one — `optimizer.reset()`,
   * a generator from the seed and `initialParameters` (or `model.initialParameters({rng})`, which
   * draws from that generator first).
   */
  private async restoreOrInit(params: FitParams): Promise<RunState> {
    const { signal } = params;
    if (params.resumeFrom !== undefined) {
      const checkpoint =
        typeof params.resumeFrom === 'string'
          ? await this.store().load(params.resumeFrom, { ...(signal && { signal }) })
          : params.resumeFrom;
      const restored = this.restore(checkpoint, params.train);
      const patience = this.options.earlyStopping?.patience;
      return {
        ...restored,
        start: checkpoint.epoch,
        stopped: restored.stopped || (patience !== undefined && restored.monitor.wait >= patience),
      };
    }
    // A new run: no moments or step count carried over from an earlier fit().
    this.optimizer.reset();
    const rng = createRng(this.options.seed ?? 0);
    const parameters = params.initialParameters
      ? Float64Array.from(params.initialParameters)
      : this.model.initialParameters({ rng });
    if (parameters.length !== this.model.numParameters) {
      throw new ValidationError(
        [
          {
            field: 'initialParameters',
            message: `has ${parameters.length} values; the model has ${this.model.numParameters}`,
          },
        ],
        'Invalid fit',
      );
    }
    return { parameters, rng, history: [], monitor: { best: null, bestEpoch: 0, wait: 0 }, start: 0, stopped: false };
  }

  /**
   * Epoch e (0-based): one {@link trainStep} per batch of `train.epoch(e)`, each with a step seed
   * drawn from the run's generator, then the test evaluation. Appends the metrics to the history.
   */
  private async runEpoch(run: RunState, e: number, params: FitParams): Promise<EpochMetrics> {
    const { signal } = params;
    throwIfAborted(signal);
    const began = performance.now();
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    let batchIndex = 0;
    for await (const batch of params.train.epoch(e)) {
      throwIfAborted(signal);
      const seed = run.rng.int(-(2 ** 31), 2 ** 31 - 1);
      const result = await this.trainStep(
        run.parameters,
        batch,
        { epoch: e, batch: batchIndex, step: this.optimizer.steps, seed },
        signal,
      );
      lossSum += result.loss * result.count;
      correct += result.accuracy * result.count;
      count += result.count;
      await this.options.callbacks?.onBatchEnd?.(
        {
          epoch: e,
          batch: batchIndex++,
          size: result.count,
          loss: result.loss,
          accuracy: result.accuracy,
          step: this.optimizer.steps,
        },
        run.parameters,
      );
    }
    const metrics: EpochMetrics = {
      epoch: e + 1,
      loss: count ? lossSum / count : 0,
      accuracy: count ? correct / count : 0,
      seconds: 0,
    };
    if (params.test) {
      const test = await this.evaluate(run.parameters, params.test, signal, evaluationSeed(this.options.seed ?? 0, e));
      metrics.testLoss = test.loss;
      metrics.testAccuracy = test.accuracy;
    }
    metrics.seconds = (performance.now() - began) / 1000;
    run.history.push(metrics);
    return metrics;
  }

  /** Early stopping after an epoch; true when the run should stop. */
  private updateMonitor(run: RunState, metrics: EpochMetrics, monitorName: MonitorName): boolean {
    const early = this.options.earlyStopping;
    if (!early) return false;
    const value = metrics[monitorName] as number;
    const minDelta = early.minDelta ?? 0;
    const { monitor } = run;
    const improved =
      monitor.best === null ||
      (monitorName.endsWith('ccuracy') ? value > monitor.best + minDelta : value < monitor.best - minDelta);
    run.monitor = improved
      ? { best: value, bestEpoch: metrics.epoch, wait: 0 }
      : { ...monitor, wait: monitor.wait + 1 };
    return run.monitor.wait >= early.patience;
  }

  /**
   * Loss and accuracy over every sample of `data` at `parameters`. `seed`: base seed of shot-based
   * estimates (sample i of the data uses seed + i); `fit` passes `evaluationSeed(trainer seed,
   * epoch)`, so a run with shots evaluates the same way every time without drawing from the
   * training generator.
   */
  async evaluate(
    parameters: Float64Array,
    data: EpochSource | LabelledSamples,
    signal?: AbortSignal,
    seed?: number,
  ): Promise<LossResult> {
    if ('features' in data) {
      return this.model.evaluate({
        parameters,
        features: data.features,
        labels: data.labels,
        ...(seed !== undefined && { seed }),
        ...(signal && { signal }),
      });
    }
    let loss = 0;
    let correct = 0;
    let count = 0;
    for await (const batch of data.epoch(0)) {
      const r = await this.model.evaluate({
        parameters,
        features: batch.features,
        labels: batch.labels,
        ...(seed !== undefined && { seed: seed + count }),
        ...(signal && { signal }),
      });
      loss += r.loss * r.count;
      correct += r.accuracy * r.count;
      count += r.count;
    }
    return { loss: count ? loss / count : 0, accuracy: count ? correct / count : 0, count };
  }

  /**
   * One optimizer step on a batch; returns the batch's loss and accuracy before the step.
   * Gradient optimizers: gradient stage (`sampleGradients`: per-sample rows) → reduce stage
   * (`options.reduce`, e.g. a data-parallel all-reduce; identity by default) → `meanOfRows` (sums in
   * sample order, then / n) → `optimizer.step`. SPSA: the batch loss at two perturbed points.
   */
  async trainStep(
    parameters: Float64Array,
    batch: TrainingBatch,
    context: StepContext,
    signal?: AbortSignal,
  ): Promise<LossResult> {
    const { model, optimizer } = this;
    if (optimizer.kind === 'spsa') {
      const data = { features: batch.features, labels: batch.labels, seed: context.seed, ...(signal && { signal }) };
      const run = this.options.runGradientStage ?? (<T>(stage: () => Promise<T>) => stage());
      const lossAt = (p: Float64Array) => run(() => model.evaluate({ ...data, parameters: p }));
      const before = await lossAt(parameters);
      await optimizer.step(parameters, async (p) => (await lossAt(p)).loss);
      return before;
    }
    const stage = () =>
      sampleGradients({
        model,
        parameters,
        features: batch.features,
        labels: batch.labels,
        method: this.gradientMethod,
        seed: context.seed,
        ...(signal && { signal }),
      });
    const local = this.options.runGradientStage ? await this.options.runGradientStage(stage) : await stage();
    const rows = this.options.reduce ? await this.options.reduce(local, context) : local;
    const result = meanOfRows(rows);
    optimizer.step(parameters, result.gradient);
    return result;
  }

  private store(): CheckpointStore {
    const store = this.options.checkpointStore;
    if (!store) {
      throw new ValidationError(
        [{ field: 'checkpointStore', message: 'is needed to resume from a URI' }],
        'Invalid fit',
      );
    }
    return store;
  }

  private async save(
    epoch: number,
    run: RunState,
    stopped: boolean,
    train: EpochSource,
    signal?: AbortSignal,
  ): Promise<string> {
    const { parameters, rng, history, monitor } = run;
    const last = history.at(-1) as EpochMetrics;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(last)) if (typeof v === 'number' && k !== 'epoch') metrics[k] = v;
    return this.store().save(
      {
        modelId: this.modelId,
        epoch,
        step: this.optimizer.steps,
        parameters: Float64Array.from(parameters),
        optimizerState: this.optimizer.state(),
        metrics,
        metadata: {
          parameterNames: [...this.model.parameterNames],
          // Where the model was trained: the backend's type and its name when it has one (e.g. 'ionq:simulator+aria-1').
          quantumBackend: { type: this.model.backend.type, name: backendName(this.model.backend) },
          rngState: rng.state(),
          ...(train.descriptor && { loader: { ...train.descriptor } }),
          earlyStopping: { best: monitor.best, bestEpoch: monitor.bestEpoch, wait: monitor.wait, stopped },
          history: history.map((h) => ({ ...h }) as { [key: string]: JsonValue }),
        },
      },
      { ...(signal && { signal }) },
    );
  }

  private restore(
    checkpoint: Checkpoint,
    train: EpochSource,
  ): {
    parameters: Float64Array;
    rng: Rng;
    history: EpochMetrics[];
    monitor: MonitorState;
    stopped: boolean;
  } {
    const issues = new IssueCollector();
    const meta = checkpoint.metadata ?? {};
    const names = meta.parameterNames;
    if (!(checkpoint.parameters instanceof Float64Array) || checkpoint.parameters.length !== this.model.numParameters) {
      issues.add('checkpoint.parameters', `must be a Float64Array of ${this.model.numParameters} values`);
    }
    if (!Array.isArray(names) || names.join(',') !== this.model.parameterNames.join(',')) {
      issues.add('checkpoint.metadata.parameterNames', 'do not match the model (a checkpoint of another architecture)');
    }
    const rngState = meta.rngState;
    if (!Array.isArray(rngState) || !rngState.every((x) => typeof x === 'number')) {
      issues.add('checkpoint.metadata.rngState', 'must be the array saved by the trainer');
    }
    const es = meta.earlyStopping;
    if (!isPlainObject(es)) {
      issues.add('checkpoint.metadata.earlyStopping', 'must be the object saved by the trainer');
    } else {
      const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
      if (!(es.best === null || (typeof es.best === 'number' && Number.isFinite(es.best)))) {
        issues.add('checkpoint.metadata.earlyStopping.best', 'must be a finite number or null');
      }
      if (!count(es.bestEpoch)) issues.add('checkpoint.metadata.earlyStopping.bestEpoch', 'must be an integer ≥ 0');
      if (!count(es.wait)) issues.add('checkpoint.metadata.earlyStopping.wait', 'must be an integer ≥ 0');
      if (es.stopped !== undefined && typeof es.stopped !== 'boolean') {
        issues.add('checkpoint.metadata.earlyStopping.stopped', 'must be a boolean');
      }
    }
    if (checkpoint.optimizerState === undefined) issues.add('checkpoint.optimizerState', 'is missing');
    const saved = meta.loader;
    if (saved !== undefined) {
      if (!isPlainObject(saved)) {
        issues.add('checkpoint.metadata.loader', 'must be the loader descriptor saved by the trainer');
      } else if (!train.descriptor) {
        issues.add('train', 'has no descriptor; the checkpoint was trained on a DataLoader (create it the same way)');
      } else {
        compareDescriptors(saved, train.descriptor, issues);
      }
    }
    issues.throwIfAny('Invalid checkpoint for this trainer');
    this.optimizer.restore(checkpoint.optimizerState as JsonValue);
    const monitor = es as unknown as MonitorState & { stopped?: boolean };
    return {
      parameters: Float64Array.from(checkpoint.parameters),
      rng: createRng({ state: rngState as number[] }),
      history: Array.isArray(meta.history) ? (meta.history as unknown as EpochMetrics[]).map((h) => ({ ...h })) : [],
      monitor: { best: monitor.best, bestEpoch: monitor.bestEpoch, wait: monitor.wait },
      stopped: monitor.stopped === true,
    };
  }
}

/** A backend's `name` (BaseQuantumBackend has one, e.g. 'ionq:simulator+aria-1'), else its `type`. */
function backendName(backend: { type: string }): string {
  const name = (backend as { name?: unknown }).name;
  return typeof name === 'string' ? name : backend.type;
}
