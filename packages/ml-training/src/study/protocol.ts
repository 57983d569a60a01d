/**
 * The study's protocol (MODELS.md §5): a 5-fold stratified grid search on the training set
 * (scikit-learn's StratifiedKFold without shuffling, ParameterGrid order, accuracy, ties to the
 * first point, a fit that does not converge scores NaN and ranks last), then retraining the best
 * point with seeds 0…4 on the whole training set and scoring on the test set.
 */
import { ValidationError } from '@q-store/core';
import { IQPKernelClassifier, ProjectedQuantumKernel, SeparableKernelClassifier, SVC } from './kernels.js';
import { QuantumKitchenSinks } from './kitchen-sinks.js';
import { MLPClassifier } from './mlp.js';
import {
  CircuitCentricClassifier,
  DataReuploadingClassifier,
  DressedQuantumCircuitClassifier,
  IQPVariationalClassifier,
  SeparableVariationalClassifier,
  type StudyClassifier,
  type StudyRows,
  TreeTensorClassifier,
} from './variational.js';

/** Hyperparameters in the study's snake_case names (values as numbers or strings). */
export type StudyHyperparameters = Record<string, number | string>;

const CAMEL: Record<string, string> = {
  n_layers: 'nLayers',
  observable_type: 'observableType',
  learning_rate: 'learningRate',
  batch_size: 'batchSize',
  max_steps: 'maxSteps',
  convergence_interval: 'convergenceInterval',
  max_vmap: 'maxVmap',
  random_state: 'randomState',
  scaling: 'scaling',
  repeats: 'repeats',
  iqp_entanglers: 'iqpEntanglers',
  gamma_factor: 'gammaFactor',
  trotter_steps: 'trotterSteps',
  t: 'evolutionTime',
  n_input_copies: 'nInputCopies',
  encoding_layers: 'encodingLayers',
  C: 'c',
  gamma: 'gamma',
  n_episodes: 'nEpisodes',
  n_qfeatures: 'nQfeatures',
  var: 'var',
  hidden_layer_sizes: 'hiddenLayerSizes',
  learning_rate_init: 'learningRateInit',
  alpha: 'alpha',
};

type Factory = (o: Record<string, unknown>) => StudyClassifier;

/** Every model this package runs, by the study's class name. */
export const STUDY_MODELS: Record<string, Factory> = {
  DataReuploadingClassifier: (o) => new DataReuploadingClassifier(o),
  DressedQuantumCircuitClassifier: (o) => new DressedQuantumCircuitClassifier(o),
  IQPVariationalClassifier: (o) => new IQPVariationalClassifier(o),
  CircuitCentricClassifier: (o) => new CircuitCentricClassifier(o),
  SeparableVariationalClassifier: (o) => new SeparableVariationalClassifier(o),
  TreeTensorClassifier: (o) => new TreeTensorClassifier(o),
  IQPKernelClassifier: (o) => new IQPKernelClassifier(o),
  ProjectedQuantumKernel: (o) => new ProjectedQuantumKernel(o),
  SeparableKernelClassifier: (o) => new SeparableKernelClassifier(o),
  QuantumKitchenSinks: (o) => new QuantumKitchenSinks(o),
  SVC: (o) => new SVC(o),
  MLPClassifier: (o) => new MLPClassifier(o),
};

const LR = [0.001, 0.01, 0.1];
/** The study's grids (§4), in its snake_case names; max_vmap and the one-valued batch_size are left out. */
export const STUDY_GRIDS: Record<string, Record<string, Array<number | string>>> = {
  DataReuploadingClassifier: {
    learning_rate: LR,
    n_layers: [1, 5, 10, 15],
    observable_type: ['single', 'half', 'full'],
  },
  DressedQuantumCircuitClassifier: { learning_rate: LR, n_layers: [1, 5, 10, 15] },
  IQPVariationalClassifier: { learning_rate: LR, n_layers: [1, 5, 10, 15], repeats: [1, 5, 10] },
  CircuitCentricClassifier: { learning_rate: LR, n_input_copies: [1, 2, 3], n_layers: [1, 5, 10] },
  SeparableVariationalClassifier: { encoding_layers: [1, 3, 5, 10], learning_rate: LR },
  TreeTensorClassifier: { learning_rate: LR },
  IQPKernelClassifier: { C: [0.1, 1, 10, 100], repeats: [1, 5, 10] },
  ProjectedQuantumKernel: {
    C: [0.1, 1, 10, 100],
    gamma_factor: [0.1, 1, 10],
    t: [0.01, 0.1, 1],
    trotter_steps: [1, 3, 5],
  },
  SeparableKernelClassifier: { C: [0.1, 1, 10, 100], encoding_layers: [1, 3, 5, 10] },
  QuantumKitchenSinks: { n_episodes: [10, 100, 500, 2000], n_qfeatures: ['full', 'half'] },
  SVC: { C: [0.1, 1, 10, 100], gamma: [0.001, 0.01, 0.1, 1] },
  // batch_size stays: 32 is not the MLP's default ('auto').
  MLPClassifier: {
    alpha: [0.01, 0.001, 0.0001],
    batch_size: [32],
    hidden_layer_sizes: ['(100,)', '(10, 10, 10, 10)', '(50, 10, 5)'],
    learning_rate_init: LR,
  },
};

/** Builds a model from the study's class name and snake_case hyperparameters (numeric strings parsed). */
export function createStudyModel(model: string, hp: StudyHyperparameters = {}, randomState?: number): StudyClassifier {
  const factory = STUDY_MODELS[model];
  if (!factory)
    throw new ValidationError(
      [{ field: 'model', message: `must be one of ${Object.keys(STUDY_MODELS).join(', ')}` }],
      `Unknown study model ${model}`,
    );
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hp)) {
    const name = CAMEL[k];
    if (!name)
      throw new ValidationError(
        [{ field: k, message: 'is not a hyperparameter of the study' }],
        `Unknown hyperparameter ${k}`,
      );
    o[name] = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  if (randomState !== undefined) o.randomState = randomState;
  return factory(o);
}

/** scikit-learn's ParameterGrid: names sorted (code-point order), the last name varies fastest. */
export function parameterGrid(grid: Record<string, Array<number | string>>): StudyHyperparameters[] {
  const names = Object.keys(grid).sort();
  let out: StudyHyperparameters[] = [{}];
  for (const n of names) out = out.flatMap((p) => (grid[n] as Array<number | string>).map((v) => ({ ...p, [n]: v })));
  return out;
}

/**
 * StratifiedKFold(k, shuffle=False): classes numbered by first appearance, per-fold quotas from
 * dealing the sorted class codes round-robin, each class's samples (in order) filling folds
 * 0…k−1 in contiguous blocks. Returns the validation indices of each fold.
 */
export function stratifiedKFold(y: readonly (number | string)[], k = 5): number[][] {
  const code = new Map<number | string, number>();
  for (const v of y) if (!code.has(v)) code.set(v, code.size);
  const enc = y.map((v) => code.get(v) as number);
  const counts = new Array(code.size).fill(0) as number[];
  for (const c of enc) counts[c] = (counts[c] as number) + 1;
  if (Math.min(...counts) < k)
    throw new ValidationError(
      [{ field: 'y', message: `each class needs at least ${k} samples`, limit: k }],
      'Too few samples per class',
    );
  const sorted = [...enc].sort((a, b) => a - b);
  const alloc = Array.from({ length: k }, () => new Array(code.size).fill(0) as number[]);
  sorted.forEach((c, i) => {
    const f = alloc[i % k] as number[];
    f[c] = (f[c] as number) + 1;
  });
  const folds: number[][] = Array.from({ length: k }, () => []);
  const seen = new Array(code.size).fill(0) as number[];
  enc.forEach((c, i) => {
    let n = seen[c] as number;
    seen[c] = n + 1;
    let f = 0;
    while (n >= ((alloc[f] as number[])[c] as number)) n -= (alloc[f++] as number[])[c] as number;
    (folds[f] as number[]).push(i);
  });
  return folds;
}

/** A fit whose training loop did not converge counts as failed (the study raises there). */
function failed(m: StudyClassifier): boolean {
  return 'converged' in m && (m as { converged: boolean }).converged === false;
}

export interface GridPointResult {
  readonly params: StudyHyperparameters;
  /** Validation accuracy per fold (NaN where the fit failed). */
  readonly foldScores: number[];
  readonly meanScore: number;
  readonly meanFitSeconds: number;
}

export interface GridSearchResult {
  readonly points: GridPointResult[];
  readonly best: GridPointResult;
}

export interface GridSearchParams {
  readonly model: string;
  readonly x: StudyRows;
  readonly y: readonly number[];
  /** Defaults to the study's grid for the model. */
  readonly grid?: Record<string, Array<number | string>>;
  readonly folds?: number;
  /** Fixed hyperparameters added to every point (e.g. a smaller maxSteps). */
  readonly fixed?: StudyHyperparameters;
  readonly onPoint?: (r: GridPointResult, index: number, total: number) => void;
}

export async function studyGridSearch(p: GridSearchParams): Promise<GridSearchResult> {
  const grid = p.grid ?? STUDY_GRIDS[p.model];
  if (!grid) throw new ValidationError([{ field: 'grid', message: `no study grid for ${p.model}` }], 'Missing grid');
  const folds = stratifiedKFold(p.y, p.folds ?? 5);
  const points = parameterGrid(grid);
  const results: GridPointResult[] = [];
  for (const [i, params] of points.entries()) {
    const scores: number[] = [];
    let seconds = 0;
    for (const val of folds) {
      const inVal = new Set(val);
      const tr = p.y.map((_, j) => j).filter((j) => !inVal.has(j));
      const m = createStudyModel(p.model, { ...p.fixed, ...params }, 42);
      const t0 = performance.now();
      await m.fit(
        tr.map((j) => p.x[j] as ArrayLike<number>),
        tr.map((j) => p.y[j] as number),
      );
      seconds += (performance.now() - t0) / 1000;
      scores.push(
        failed(m)
          ? Number.NaN
          : m.score(
              val.map((j) => p.x[j] as ArrayLike<number>),
              val.map((j) => p.y[j] as number),
            ),
      );
    }
    const r = {
      params,
      foldScores: scores,
      meanScore: scores.reduce((a, b) => a + b, 0) / scores.length,
      meanFitSeconds: seconds / folds.length,
    };
    results.push(r);
    p.onPoint?.(r, i, points.length);
  }
  // Highest mean validation accuracy; ties to the first point; NaN ranks last.
  let best: GridPointResult | undefined;
  for (const r of results)
    if (!Number.isNaN(r.meanScore) && (best === undefined || r.meanScore > best.meanScore)) best = r;
  return { points: results, best: best ?? (results[0] as GridPointResult) };
}

export interface SeedResult {
  readonly seed: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly fitSeconds: number;
  /** CPU time of this process during the fit (user + system), the fair figure on a shared machine. */
  readonly fitCpuSeconds: number;
  readonly converged: boolean;
}

export interface RetrainParams {
  readonly model: string;
  readonly params: StudyHyperparameters;
  readonly train: { x: StudyRows; y: readonly number[] };
  readonly test: { x: StudyRows; y: readonly number[] };
  readonly seeds?: readonly number[];
}

/** §5.2: fit with random_state = each seed on the whole training set; accuracy on train and test. */
export async function studyRetrain(p: RetrainParams): Promise<SeedResult[]> {
  const out: SeedResult[] = [];
  for (const seed of p.seeds ?? [0, 1, 2, 3, 4]) {
    const m = createStudyModel(p.model, p.params, seed);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await m.fit(p.train.x, p.train.y);
    const fitSeconds = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    const fitCpuSeconds = (cu.user + cu.system) / 1e6;
    out.push({
      seed,
      trainAccuracy: m.score(p.train.x, p.train.y),
      testAccuracy: m.score(p.test.x, p.test.y),
      fitSeconds,
      fitCpuSeconds,
      converged: !failed(m),
    });
  }
  return out;
}

/** Mean and population standard deviation. */
export function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
}
