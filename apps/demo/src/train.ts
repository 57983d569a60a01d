import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openEmbeddedPostgres, PgCheckpointStore, PgTrainingStore } from '@q-store/backend-pgvector';
import { type DatasetManifest, isQStoreError, type TrainingStore } from '@q-store/core';
import {
  Adam,
  angleEncoding,
  createDataLoader,
  type EpochMetrics,
  loadIris,
  minMaxScale,
  splitDataset,
  storeDataset,
  Trainer,
  VariationalClassifier,
} from '@q-store/ml-training';
import { StateVectorSimulator } from '@q-store/quantum-sim';

export interface TrainingDemoOptions {
  /** Epochs (default 30). */
  epochs?: number;
  seed?: number;
  /** Path of the HTML chart (default `q-store-training.html` in the current directory). */
  out?: string;
  /** Where result lines go; default console.log. */
  print?: (line: string) => void;
  /** Where the progress bar goes (overwritten in place); default stderr when it is a terminal. */
  progress?: (text: string) => void;
}

export interface TrainingDemoResult {
  history: EpochMetrics[];
  /** Test accuracy of the untrained model (initial parameters). */
  initialTestAccuracy: number;
  testAccuracy: number;
  htmlPath: string;
  checkpoints: string[];
}

export const DATASET = 'iris';

/** Iris split 80/20 with `seed`, scaled to [0, π] on the training split, stored as dataset `iris`. */
export async function storeIris(store: TrainingStore, seed: number): Promise<DatasetManifest> {
  const iris = loadIris();
  const split = splitDataset(iris.features, iris.labels, { test: 0.2, seed });
  const scaled = minMaxScale(split.train.features, { test: split.test.features }, { clip: true });
  return storeDataset(store, {
    datasetId: DATASET,
    splits: {
      train: { features: scaled.train, labels: split.train.labels },
      test: { features: scaled.test, labels: split.test.labels },
    },
  });
}
const BAR_WIDTH = 24;

/**
 * Trains a variational quantum classifier on the three Iris species, stored in the embedded
 * PostgreSQL (PGlite in memory) through `PgTrainingStore`, with checkpoints in `PgCheckpointStore`.
 * 4 qubits, angle encoding, 3 layers of the hardware-efficient ansatz, Adam, exact adjoint
 * gradients on the state-vector simulator. Prints a progress bar, the loss and accuracy per epoch,
 * ASCII curves, and writes an HTML chart (inline SVG, no external resources).
 */
export async function runTraining(options: TrainingDemoOptions = {}): Promise<TrainingDemoResult> {
  const { epochs, seed, print, progress, htmlPath } = demoSettings(options);
  const db = await openEmbeddedPostgres();
  const store = new PgTrainingStore({ pglite: db });
  const checkpointStore = new PgCheckpointStore({ pglite: db });
  try {
    const manifest = await storeIris(store, seed);
    print(
      `Iris in the embedded pgvector store: ${manifest.splits.train} training and ${manifest.splits.test} test samples, ` +
        `${manifest.featureDimension} features, labels ${manifest.labels.join(', ')}`,
    );
    const train = await createDataLoader(store, DATASET, { batchSize: 10, shuffle: true, seed, numWorkers: 2 });
    const test = await createDataLoader(store, DATASET, { split: 'test', batchSize: 64 });
    const model = new VariationalClassifier({
      encoding: angleEncoding({ numFeatures: 4 }),
      layers: 3,
      numClasses: 3,
      labels: manifest.labels,
      backend: new StateVectorSimulator(),
    });
    print(
      `model: ${model.numQubits} qubits, ${model.layers} layers, ${model.numParameters} parameters; Adam, adjoint gradients`,
    );
    const trainer = new Trainer({
      model,
      optimizer: new Adam({ learningRate: 0.1 }),
      seed,
      modelId: 'iris-vqc',
      checkpointStore,
      checkpointEvery: 10,
      callbacks: {
        onBatchEnd: (m) => {
          const done = m.epoch * train.length + m.batch + 1;
          const total = epochs * train.length;
          const filled = Math.round((done / total) * BAR_WIDTH);
          progress(
            `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] epoch ${m.epoch + 1}/${epochs} ` +
              `batch ${m.batch + 1}/${train.length} loss ${m.loss.toFixed(3)}`,
          );
        },
        onEpochEnd: (m) => {
          progress('');
          print(
            `epoch ${String(m.epoch).padStart(3)}  loss ${m.loss.toFixed(4)}  train accuracy ${m.accuracy.toFixed(3)}  ` +
              `test loss ${(m.testLoss ?? 0).toFixed(4)}  test accuracy ${(m.testAccuracy ?? 0).toFixed(3)}  ${m.seconds.toFixed(2)} s`,
          );
          return undefined;
        },
      },
    });
    const initial = model.initialParameters({ seed });
    const initialTestAccuracy = (await trainer.evaluate(initial, test)).accuracy;
    const result = await trainer.fit({ train, test, epochs, initialParameters: initial });
    const last = result.history.at(-1) as EpochMetrics;
    print('');
    print(
      `loss           ${sparkline(result.history.map((h) => h.loss))}  ${result.history[0]?.loss.toFixed(3)} → ${last.loss.toFixed(3)}`,
    );
    print(
      `test accuracy  ${sparkline(result.history.map((h) => h.testAccuracy ?? 0))}  ` +
        `${initialTestAccuracy.toFixed(3)} (untrained) → ${(last.testAccuracy ?? 0).toFixed(3)}`,
    );
    print(`checkpoints: ${result.checkpoints.join(', ')}`);
    await writeFile(htmlPath, chartHtml(result.history, initialTestAccuracy));
    print(`chart written to ${htmlPath}`);
    return {
      history: result.history,
      initialTestAccuracy,
      testAccuracy: last.testAccuracy ?? 0,
      htmlPath,
      checkpoints: result.checkpoints,
    };
  } finally {
    await Promise.all([store.close(), checkpointStore.close()]);
    await db.close();
  }
}

/** The defaults of the training demos: 30 epochs, seed 7, console output, a bar on a TTY's stderr. */
export function demoSettings(options: TrainingDemoOptions) {
  return {
    epochs: options.epochs ?? 30,
    seed: options.seed ?? 7,
    print: options.print ?? ((line: string) => console.log(line)),
    progress:
      options.progress ??
      (process.stderr.isTTY ? (text: string) => process.stderr.write(`\r${text}\u001b[K`) : () => {}),
    htmlPath: resolve(options.out ?? 'q-store-training.html'),
  };
}

const TICKS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the series' minimum and maximum. */
export function sparkline(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values
    .map((v) => TICKS[max > min ? Math.round(((v - min) / (max - min)) * (TICKS.length - 1)) : 0] as string)
    .join('');
}

/** A self-contained HTML page with the loss and accuracy curves as inline SVG polylines. */
export function chartHtml(history: readonly EpochMetrics[], initialTestAccuracy: number): string {
  const width = 640;
  const height = 240;
  const pad = 36;
  const n = history.length;
  const x = (i: number) => pad + (n > 1 ? (i / (n - 1)) * (width - 2 * pad) : 0);
  const maxLoss = Math.max(...history.map((h) => Math.max(h.loss, h.testLoss ?? 0)), 1e-9);
  const y = (v: number, max: number) => height - pad - (v / max) * (height - 2 * pad);
  const line = (values: number[], max: number, color: string, label: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${values
      .map((v, i) => `${x(i).toFixed(1)},${y(v, max).toFixed(1)}`)
      .join(' ')}"><title>${label}</title></polyline>`;
  const chart = (title: string, body: string, max: number) => `
  <figure>
    <figcaption>${title}</figcaption>
    <svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">
      <line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#888"/>
      <line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#888"/>
      <text x="${pad - 4}" y="${pad + 4}" text-anchor="end" font-size="11">${max.toFixed(2)}</text>
      <text x="${pad - 4}" y="${height - pad}" text-anchor="end" font-size="11">0</text>
      <text x="${width - pad}" y="${height - pad + 16}" text-anchor="end" font-size="11">epoch ${n}</text>
      ${body}
    </svg>
  </figure>`;
  const lossChart = chart(
    'Loss (cross-entropy): <span style="color:#1f77b4">train</span>, <span style="color:#ff7f0e">test</span>',
    line(
      history.map((h) => h.loss),
      maxLoss,
      '#1f77b4',
      'train loss',
    ) +
      line(
        history.map((h) => h.testLoss ?? 0),
        maxLoss,
        '#ff7f0e',
        'test loss',
      ),
    maxLoss,
  );
  const accuracyChart = chart(
    'Accuracy: <span style="color:#1f77b4">train</span>, <span style="color:#ff7f0e">test</span>',
    line(
      history.map((h) => h.accuracy),
      1,
      '#1f77b4',
      'train accuracy',
    ) +
      line(
        history.map((h) => h.testAccuracy ?? 0),
        1,
        '#ff7f0e',
        'test accuracy',
      ),
    1,
  );
  const last = history.at(-1);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>q-store training: Iris variational quantum classifier</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}figure{margin:1em 0}figcaption{font-weight:600}</style></head>
<body>
<h1>Iris, variational quantum classifier</h1>
<p>${n} epochs; test accuracy ${initialTestAccuracy.toFixed(3)} untrained → ${(last?.testAccuracy ?? 0).toFixed(3)}.</p>
${lossChart}
${accuracyChart}
</body>
</html>
`;
}

/** `pnpm demo train [--epochs N] [--seed S] [--out FILE]`. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string', default: '30' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: 'q-store-training.html' },
      workers: { type: 'string' },
      redis: { type: 'string' },
      store: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: pnpm demo train [--epochs N] [--seed S] [--out q-store-training.html]\n' +
        '                       [--workers N [--redis redis://…] [--store postgres://…]]   (distributed, see train-distributed.ts)',
    );
    return;
  }
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000) {
    console.error(`--epochs must be an integer from 1 to 1000, got ${values.epochs}`);
    process.exitCode = 2;
    return;
  }
  if (!Number.isInteger(seed)) {
    console.error(`--seed must be an integer, got ${values.seed}`);
    process.exitCode = 2;
    return;
  }
  try {
    if (values.workers !== undefined) {
      const { runDistributedTraining } = await import('./train-distributed.js');
      await runDistributedTraining({
        epochs,
        seed,
        out: values.out,
        workers: Number(values.workers),
        ...(values.redis && { redis: values.redis }),
        ...(values.store && { store: values.store }),
      });
      return;
    }
    await runTraining({ epochs, seed, out: values.out });
  } catch (error) {
    console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
    process.exitCode = 1;
  }
}
