/**
 * Training benchmark of @q-store/ml-training on the state-vector simulator.
 *
 *   pnpm --filter @q-store/ml-training bench
 *
 * 1. Iris 2-class (setosa/versicolor, versicolor/virginica) and 3-class: test accuracy and seconds,
 *    beside a classical softmax regression trained on the same split (the peer).
 * 2. MNIST-400 digits 0 vs 1 (`@saehrimnir/dataset`), average-pooled to 4×4, amplitude-encoded on
 *    4 qubits: test accuracy and seconds per training sample-epoch.
 * 3. Gradient time at P = 120 parameters (10 qubits, 6 layers): adjoint against parameter shift.
 * 4. Distributed data-parallel steps over BullMQ with 1 and 2 worker processes (bench/distributed.ts).
 */
import { type Label, MemoryTrainingStore } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import {
  Adam,
  amplitudeEncoding,
  angleEncoding,
  createDataLoader,
  type FeatureEncoding,
  type IrisClass,
  loadIris,
  loadMnist,
  minMaxScale,
  splitDataset,
  storeDataset,
  Trainer,
  VariationalClassifier,
} from '../src/index.js';

const sim = new StateVectorSimulator();

interface Task {
  name: string;
  features: ReadonlyArray<readonly number[]>;
  labels: Label[];
  classes: Label[];
  encoding: 'angle' | 'amplitude';
  layers: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
}

/** Softmax regression by full-batch gradient descent (the classical peer on the same split). */
function softmaxRegression(
  train: Float32Array[],
  trainY: number[],
  test: Float32Array[],
  testY: number[],
  classes: number,
) {
  const d = (train[0] as Float32Array).length;
  const w = Array.from({ length: classes }, () => new Float64Array(d + 1));
  for (let it = 0; it < 2000; it++) {
    const grad = Array.from({ length: classes }, () => new Float64Array(d + 1));
    train.forEach((x, i) => {
      const z = w.map((wc) => wc.reduce((s, v, j) => s + v * (j < d ? (x[j] as number) : 1), 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((ec, c) => {
        const g = ec / sum - (c === trainY[i] ? 1 : 0);
        const row = grad[c] as Float64Array;
        for (let j = 0; j <= d; j++) row[j] = (row[j] as number) + g * (j < d ? (x[j] as number) : 1);
      });
    });
    w.forEach((wc, c) => {
      for (let j = 0; j <= d; j++)
        wc[j] = (wc[j] as number) - (0.5 * ((grad[c] as Float64Array)[j] as number)) / train.length;
    });
  }
  let correct = 0;
  test.forEach((x, i) => {
    const z = w.map((wc) => wc.reduce((s, v, j) => s + v * (j < d ? (x[j] as number) : 1), 0));
    if (z.indexOf(Math.max(...z)) === testY[i]) correct++;
  });
  return correct / test.length;
}

async function runTask(task: Task) {
  const split = splitDataset(task.features, task.labels, { test: 0.2, seed: 3 });
  const scaled =
    task.encoding === 'angle'
      ? minMaxScale(split.train.features, { test: split.test.features }, { clip: true })
      : { train: split.train.features, test: split.test.features };
  const store = new MemoryTrainingStore();
  const datasetId = task.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await storeDataset(store, { datasetId, splits: { train: { features: scaled.train, labels: split.train.labels } } });
  const loader = await createDataLoader(store, datasetId, { batchSize: task.batchSize, shuffle: true, seed: 11 });
  const numFeatures = (scaled.train[0] as Float32Array).length;
  const encoding: FeatureEncoding =
    task.encoding === 'angle' ? angleEncoding({ numFeatures }) : amplitudeEncoding({ numFeatures });
  const model = new VariationalClassifier({
    encoding,
    layers: task.layers,
    numClasses: task.classes.length,
    labels: task.classes,
    backend: sim,
  });
  const trainer = new Trainer({ model, optimizer: new Adam({ learningRate: task.learningRate }), seed: 1 });
  const test = { features: scaled.test, labels: split.test.labels };
  const t0 = performance.now();
  const result = await trainer.fit({ train: loader, epochs: task.epochs });
  const seconds = (performance.now() - t0) / 1000;
  const final = await trainer.evaluate(result.parameters, test);
  const index = new Map(task.classes.map((c, i) => [c, i]));
  const peer = softmaxRegression(
    scaled.train,
    split.train.labels.map((l) => index.get(l) as number),
    scaled.test,
    split.test.labels.map((l) => index.get(l) as number),
    task.classes.length,
  );
  const sampleEpochs = split.train.labels.length * task.epochs;
  console.log(
    `${task.name.padEnd(28)} qubits ${String(model.numQubits).padStart(2)}  P ${String(model.numParameters).padStart(3)}  ` +
      `train ${String(split.train.labels.length).padStart(3)} test ${String(split.test.labels.length).padStart(2)}  ` +
      `epochs ${String(task.epochs).padStart(2)}  test accuracy ${final.accuracy.toFixed(3)}  ` +
      `(softmax regression ${peer.toFixed(3)})  ${seconds.toFixed(2)} s  ${((seconds / sampleEpochs) * 1000).toFixed(3)} ms/sample-epoch`,
  );
  return { accuracy: final.accuracy, seconds };
}

async function gradientTimes() {
  const numQubits = 10;
  const layers = 6;
  const model = new VariationalClassifier({
    encoding: angleEncoding({ numFeatures: numQubits }),
    layers,
    numClasses: 3,
    backend: sim,
    trainableScale: false,
    bias: false,
  });
  const parameters = model.initialParameters({ seed: 2 });
  const features = Array.from({ length: 4 }, (_, i) =>
    Array.from({ length: numQubits }, (_, j) => ((i + 1) * (j + 2)) % 3),
  );
  const labels = [0, 1, 2, 0];
  const time = async (method: 'adjoint' | 'parameter-shift', reps: number) => {
    await model.lossAndGradient({ parameters, features, labels, method }); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await model.lossAndGradient({ parameters, features, labels, method });
    return (performance.now() - t0) / reps / features.length;
  };
  const adjoint = await time('adjoint', 10);
  const shift = await time('parameter-shift', 2);
  console.log(
    `gradient per sample, ${numQubits} qubits, P = ${model.numParameters}, 3 observables: adjoint ${adjoint.toFixed(2)} ms, ` +
      `parameter shift ${shift.toFixed(2)} ms (${2 * model.numParameters + 1} estimates) → adjoint ${(shift / adjoint).toFixed(1)}× faster`,
  );
}

const iris = (classes: IrisClass[]) => {
  const data = loadIris({ classes });
  return { features: data.features, labels: data.labels as Label[], classes: classes as Label[] };
};
const mnist = loadMnist({ digits: [0, 1], size: 4 });

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
await runTask({
  name: 'Iris setosa/versicolor',
  ...iris(['setosa', 'versicolor']),
  encoding: 'angle',
  layers: 2,
  epochs: 8,
  learningRate: 0.1,
  batchSize: 10,
});
await runTask({
  name: 'Iris versicolor/virginica',
  ...iris(['versicolor', 'virginica']),
  encoding: 'angle',
  layers: 3,
  epochs: 20,
  learningRate: 0.05,
  batchSize: 10,
});
const three = await runTask({
  name: 'Iris 3-class',
  ...iris(['setosa', 'versicolor', 'virginica']),
  encoding: 'angle',
  layers: 3,
  epochs: 30,
  learningRate: 0.1,
  batchSize: 10,
});
console.log(`  goal 3-class ≥ 0.9 in < 10 s: ${three.accuracy >= 0.9 && three.seconds < 10 ? 'met' : 'NOT met'}`);
const digits = await runTask({
  name: 'MNIST-400 0 vs 1 (4x4, ampl.)',
  features: mnist.features,
  labels: mnist.labels,
  classes: [0, 1],
  encoding: 'amplitude',
  layers: 3,
  epochs: 30,
  learningRate: 0.1,
  batchSize: 8,
});
console.log(`  goal MNIST binary ≥ 0.95: ${digits.accuracy >= 0.95 ? 'met' : 'NOT met'}`);
await gradientTimes();

const { distributedBench } = await import('./distributed.js');
await distributedBench();
