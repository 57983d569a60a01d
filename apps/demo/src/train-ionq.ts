import { MemoryTrainingStore } from '@q-store/core';
import {
  Adam,
  angleEncoding,
  createDataLoader,
  loadIris,
  minMaxScale,
  splitDataset,
  storeDataset,
  Trainer,
  VariationalClassifier,
} from '@q-store/ml-training';
import { IonQBackend } from '@q-store/quantum-ionq';
import { IonqEmulator } from '@q-store/quantum-ionq/testing';

export interface IonqTrainingOptions {
  epochs: number;
  seed: number;
  /** Noise model of the noisy run (default `aria-1`). */
  noiseModel?: string;
  /** Shots per estimate of the noisy run (default 500). */
  shots?: number;
  print?: (line: string) => void;
}

/**
 * `pnpm demo train --quantum ionq`: a small variational classifier (Iris versicolor vs virginica,
 * 4 features on 4 qubits, 2 layers) trained on IonQ's simulator twice, noiseless (exact
 * expectations) and under a noise model (`aria-1`, with shots), with parameter shift and one
 * multi-circuit job per training step (`runGradientStage: backend.batch`). On the in-process IonQ
 * emulator unless `IONQ_API_KEY` is set. Prints each run's test accuracy side by side.
 */
export async function runIonqTraining(options: IonqTrainingOptions): Promise<Array<{ run: string; accuracy: number }>> {
  const print = options.print ?? ((line: string) => console.log(line));
  const noiseModel = options.noiseModel ?? 'aria-1';
  const shots = options.shots ?? 500;
  const apiKey = process.env.IONQ_API_KEY;
  const emulator = apiKey ? undefined : new IonqEmulator({ apiKeys: ['demo-key'], seed: options.seed });
  const baseUrl = emulator ? await emulator.start() : undefined;
  print(`IonQ simulator on ${emulator ? `the local IonQ emulator (${baseUrl})` : 'IonQ (IONQ_API_KEY)'}`);
  try {
    const classes = ['versicolor', 'virginica'] as const;
    const iris = loadIris({ classes: [...classes] });
    const split = splitDataset(iris.features, iris.labels, { test: 0.2, seed: options.seed });
    const scaled = minMaxScale(split.train.features, { test: split.test.features }, { clip: true });
    const store = new MemoryTrainingStore();
    await storeDataset(store, {
      datasetId: 'iris-2',
      splits: { train: { features: scaled.train, labels: split.train.labels } },
    });
    const test = { features: scaled.test, labels: split.test.labels };
    const out: Array<{ run: string; accuracy: number }> = [];
    for (const noisy of [false, true]) {
      const backend = new IonQBackend({
        apiKey: apiKey ?? 'demo-key',
        target: 'simulator',
        jobName: 'q-store demo train',
        ...(noisy ? { noiseModel } : {}),
        ...(baseUrl ? { baseUrl, pollIntervalMs: 2, maxPollIntervalMs: 20 } : {}),
      });
      const model = new VariationalClassifier({
        encoding: angleEncoding({ numFeatures: 4 }),
        layers: 2,
        numClasses: 2,
        labels: [...classes],
        backend,
        ...(noisy ? { shots } : {}),
      });
      const run = noisy ? `${noiseModel}, ${shots} shots` : 'noiseless, exact';
      const trainer = new Trainer({
        model,
        optimizer: new Adam({ learningRate: 0.1 }),
        gradientMethod: 'parameter-shift',
        seed: options.seed,
        runGradientStage: (stage) => backend.batch(stage),
        callbacks: {
          onEpochEnd: (m) => {
            print(
              `  [${run}] epoch ${m.epoch}  loss ${m.loss.toFixed(4)}  train accuracy ${m.accuracy.toFixed(3)}  ${m.seconds.toFixed(1)} s`,
            );
            return undefined;
          },
        },
      });
      const train = await createDataLoader(store, 'iris-2', { batchSize: 10, shuffle: true, seed: options.seed });
      const result = await trainer.fit({ train, epochs: options.epochs });
      const final = await backend.batch(() => trainer.evaluate(result.parameters, test, undefined, options.seed));
      const usage = backend.usage();
      print(
        `  [${run}] test accuracy ${final.accuracy.toFixed(3)} (test loss ${final.loss.toFixed(3)}); ${usage.jobs} IonQ jobs, ${usage.circuits} circuits, ${usage.httpRequests} HTTP requests`,
      );
      out.push({ run, accuracy: final.accuracy });
      await backend.close();
    }
    print(`test accuracy: ${out.map((r) => `${r.run} ${r.accuracy.toFixed(3)}`).join(' · ')}`);
    return out;
  } finally {
    await emulator?.stop();
  }
}
