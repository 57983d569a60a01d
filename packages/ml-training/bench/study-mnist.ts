/**
 * The study report's `--set mnist` cell: DataReuploadingClassifier (4 qubits) on the paper's own
 * MNIST 3-vs-5 PCA 10-d files (11,552 training and 1,902 test samples, from
 * `../shared/qml-benchmarks/paper/plots/datasets-for-plots/mnist_pca/`), written to embedded
 * PGlite pgvector and streamed back through the data loader (both timed), then retrained with the
 * paper's best hyperparameters for that cell for each seed. A seed-0 fit on the CSV's float64 rows
 * shows what the store's float32 rounding changes. Without the files (a user's clone) it says so
 * and returns no row.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgTrainingStore } from '@q-store/backend-pgvector';
import {
  createStudyModel,
  loadStudyCsvPair,
  meanStd,
  type StudyHyperparameters,
  storeStudyDataset,
  streamStudySplit,
  studyRetrain,
} from '../src/study/index.js';
import { combinedZ } from './z-score.js';

const MODEL = 'DataReuploadingClassifier';
const DATASET = 'mnist_3-5_10d';
/** The paper's best point for this cell (paper-results.csv), used when that file is absent. */
const BUILT_IN: StudyHyperparameters = { learning_rate: 0.01, n_layers: 15, observable_type: 'single' };

/** What the report needs of the paper's row for this cell. */
export interface MnistPaperCell {
  hyperparameters: StudyHyperparameters;
  mean: number;
  std: number;
  fitSeconds: number | undefined;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const load = () => `load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} cores`;

/**
 * Runs the MNIST cell with seeds 0…seeds−1 and returns its report row (the fields of
 * `bench/study.ts`'s rows plus `storeSeconds` and `streamSeconds`; none when the paper's files are
 * absent). Writes the row, each seed's result and the load average to `<outDir>/study-mnist.json`.
 */
export async function runStudyMnist(options: { paper: MnistPaperCell | undefined; seeds: number; outDir: string }) {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = process.env.QML_BENCHMARKS_DIR ?? resolve(here, '../../../../shared/qml-benchmarks');
  const dir = join(root, 'paper/plots/datasets-for-plots/mnist_pca');
  if (!existsSync(join(dir, `${DATASET}_train.csv`))) {
    console.log(
      `mnist: the paper's ${DATASET} files (../shared/qml-benchmarks/paper/plots/datasets-for-plots/mnist_pca/) are ABSENT — skipping the MNIST cell`,
    );
    return [];
  }
  console.log(`mnist: ${load()} at the start`);
  let t0 = performance.now();
  const csv = await loadStudyCsvPair(dir, DATASET);
  console.log(
    `mnist: read ${csv.train.x.length} training and ${csv.test.x.length} test samples from the CSVs in ${seconds(t0).toFixed(2)} s`,
  );

  const store = new PgTrainingStore({ embedded: true });
  let storeSeconds: number;
  let streamSeconds: number;
  let train: Awaited<ReturnType<typeof streamStudySplit>>;
  let test: Awaited<ReturnType<typeof streamStudySplit>>;
  try {
    await store.listDatasets(); // starts PGlite and creates the schema, outside the timings
    t0 = performance.now();
    const manifest = await storeStudyDataset(store, DATASET, csv, { metadata: { source: 'paper CSV' } });
    storeSeconds = seconds(t0);
    console.log(
      `mnist: stored ${manifest.sampleCount} samples × ${manifest.featureDimension} features in embedded PGlite pgvector in ${storeSeconds.toFixed(2)} s`,
    );
    t0 = performance.now();
    train = await streamStudySplit(store, DATASET, { split: 'train' });
    test = await streamStudySplit(store, DATASET, { split: 'test' });
    streamSeconds = seconds(t0);
    console.log(
      `mnist: streamed them back through the data loader (${train.batches} + ${test.batches} batches of ≤ 2048) in ${streamSeconds.toFixed(2)} s`,
    );
  } finally {
    await store.close();
  }

  const p = options.paper;
  const hp: StudyHyperparameters = { ...(p?.hyperparameters ?? BUILT_IN) };
  delete hp.batch_size; // 32, the variational default
  if (!p) console.log(`mnist: paper-results.csv absent — the paper's best point ${JSON.stringify(hp)} built in`);
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  const runs = await studyRetrain({ model: MODEL, params: hp, train, test, seeds });
  for (const r of runs)
    console.log(
      `mnist: seed ${r.seed} test ${r.testAccuracy.toFixed(4)} train ${r.trainAccuracy.toFixed(4)} fit ${r.fitSeconds.toFixed(2)} s (cpu ${r.fitCpuSeconds.toFixed(2)} s)${r.converged ? '' : ' NOT CONVERGED'}`,
    );
  const te = meanStd(runs.map((r) => r.testAccuracy));
  const fit = meanStd(runs.map((r) => r.fitSeconds)).mean;
  const cpu = meanStd(runs.map((r) => r.fitCpuSeconds)).mean;

  // The store holds float32: the same seed-0 fit on the CSV's float64 rows shows what that changes.
  const m64 = createStudyModel(MODEL, hp, 0);
  await m64.fit(csv.train.x, csv.train.y);
  const acc64 = m64.score(csv.test.x, csv.test.y);
  console.log(
    `mnist: seed 0 on the CSV's float64 rows: test ${acc64.toFixed(4)} (from the store's float32 rows: ${runs[0]?.testAccuracy.toFixed(4)})`,
  );

  const z = p ? combinedZ(te, p) : undefined;
  const row = {
    model: MODEL,
    family: 'mnist_pca',
    dataset: DATASET,
    features: 10,
    qubits: '4',
    seeds: seeds.length,
    ourMean: te.mean,
    ourStd: te.std,
    ourTrainMean: meanStd(runs.map((r) => r.trainAccuracy)).mean,
    ...(p && { paperMean: p.mean, paperStd: p.std, z }),
    ourFitSeconds: fit,
    ourFitCpuSeconds: cpu,
    ...(p?.fitSeconds !== undefined && { paperFitSeconds: p.fitSeconds }),
    nonConverged: runs.filter((r) => !r.converged).length,
    hyperparameters: JSON.stringify(hp),
    storeSeconds,
    streamSeconds,
  };
  const pf = row.paperFitSeconds;
  console.log(
    `${MODEL.padEnd(32)} ${DATASET.padEnd(32)} ours ${te.mean.toFixed(4)} ± ${te.std.toFixed(4)}` +
      (p ? `  paper ${p.mean.toFixed(4)} ± ${p.std.toFixed(4)}  z ${z?.toFixed(2)}` : '') +
      `  fit ${fit.toFixed(2)} s (cpu ${cpu.toFixed(2)} s)${pf ? ` vs ${pf.toFixed(1)} s (${(pf / fit).toFixed(1)}× wall)` : ''}` +
      `  store ${storeSeconds.toFixed(2)} s, stream ${streamSeconds.toFixed(2)} s; ${load()}`,
  );
  await mkdir(options.outDir, { recursive: true });
  await writeFile(
    join(options.outDir, 'study-mnist.json'),
    `${JSON.stringify({ ...row, seedResults: runs, float64Seed0TestAccuracy: acc64, loadAverage: loadavg() }, null, 2)}\n`,
  );
  return [row];
}
