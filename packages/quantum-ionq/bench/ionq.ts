/**
 * `pnpm --filter @q-store/quantum-ionq bench`: IonQBackend against the in-process emulator.
 *
 * 1. Client overhead per job: `sample` of one Bell circuit on an emulator with zero queue time,
 *    next to the same HTTP exchange done with bare `fetch` (POST /jobs, GET /jobs/{id} until
 *    completed, GET results) in the same run; the difference is what compiling, validation,
 *    polling backoff and decoding cost.
 * 2. Jobs and HTTP requests per training step: a VariationalClassifier step with parameter shift,
 *    all circuits in one multi-circuit job (`runGradientStage: backend.batch`) against one job per
 *    estimate.
 * 3. Accuracy of a 2-class Iris model (versicolor vs virginica, 4 features, 4 qubits) trained on
 *    the aria-1 noise model against the noiseless simulator (`--no-accuracy` skips it).
 */
import { Circuit, type Label } from '@q-store/core';
import { Adam, angleEncoding, Trainer, VariationalClassifier } from '@q-store/ml-training';
import { IonQBackend } from '../src/index.js';
import { IonqEmulator } from '../src/testing/index.js';
import { fixedBatches, irisData } from '../src/training.test-helper.js';

const KEY = 'bench-key';
const emulator = new IonqEmulator({ apiKeys: [KEY], timing: { submitMs: 0, queueMs: 0, runMs: 0 } });
const url = await emulator.start();
const fmt = (x: number, d = 2) => x.toFixed(d);

// ---------------------------------------------------------------------------------------------
// 1. Client overhead per job

async function rawJob(): Promise<void> {
  const headers = { authorization: `apiKey ${KEY}`, 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${url}/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        type: 'ionq.circuit.v1',
        backend: 'simulator',
        shots: 100,
        input: {
          gateset: 'qis',
          qubits: 2,
          circuit: [
            { gate: 'h', target: 0 },
            { gate: 'cnot', control: 0, target: 1 },
          ],
        },
      }),
    })
  ).json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${url}/jobs/${created.id}`, { headers })).json()) as { status: string };
    if (job.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await (await fetch(`${url}/jobs/${created.id}/results/probabilities`, { headers })).json();
}

const backend = new IonQBackend({ apiKey: KEY, baseUrl: url, pollIntervalMs: 1, maxPollIntervalMs: 1 });
const bell = new Circuit(2).h(0).cx(0, 1).toJSON();
const JOBS = 200;
for (let i = 0; i < 20; i++) {
  await rawJob();
  await backend.sample({ circuits: [bell], shots: 100, seed: i });
}
let t = performance.now();
for (let i = 0; i < JOBS; i++) await rawJob();
const rawMs = (performance.now() - t) / JOBS;
const requestsBefore = emulator.requests.length;
t = performance.now();
for (let i = 0; i < JOBS; i++) await backend.sample({ circuits: [bell], shots: 100, seed: i });
const clientMs = (performance.now() - t) / JOBS;
const requestsPerJob = (emulator.requests.length - requestsBefore) / JOBS;
console.log('1. one Bell job (100 shots) on the emulator, zero queue time');
console.log(`   bare fetch: ${fmt(rawMs)} ms/job · IonQBackend.sample: ${fmt(clientMs)} ms/job`);
console.log(
  `   client overhead: ${fmt(clientMs - rawMs)} ms/job (${fmt(clientMs / rawMs)}× the bare exchange), ${fmt(requestsPerJob, 1)} HTTP requests/job`,
);

// ---------------------------------------------------------------------------------------------
// 2. Jobs and requests per training step

function classifier(noiseModel: string | undefined, numFeatures: number, layers: number, classes: Label[]) {
  const b = new IonQBackend({
    apiKey: KEY,
    baseUrl: url,
    pollIntervalMs: 1,
    maxPollIntervalMs: 5,
    ...(noiseModel ? { noiseModel } : {}),
  });
  const model = new VariationalClassifier({
    encoding: angleEncoding({ numFeatures }),
    layers,
    numClasses: 2,
    labels: classes,
    backend: b,
    ...(noiseModel ? { shots: 1000 } : {}),
  });
  return { backend: b, model };
}

console.log(
  '2. one training step: VariationalClassifier, 2 features on 2 qubits, 1 layer, batch of 4, parameter shift',
);
const small = irisData(['setosa', 'versicolor'], [0, 2]);
for (const batched of [true, false]) {
  const { backend: b, model } = classifier(undefined, 2, 1, ['setosa', 'versicolor']);
  const trainer = new Trainer({
    model,
    optimizer: new Adam({ learningRate: 0.2 }),
    gradientMethod: 'parameter-shift',
    seed: 1,
    ...(batched ? { runGradientStage: <T>(stage: () => Promise<T>) => b.batch(stage) } : {}),
  });
  const jobs = emulator.jobCount;
  const requests = emulator.requests.length;
  const circuits = b.usage().circuits;
  const steps = 4;
  t = performance.now();
  await trainer.fit({ train: fixedBatches(small.train, 4, 4 * steps), epochs: 1 });
  const ms = (performance.now() - t) / steps;
  console.log(
    `   ${batched ? 'one multi-circuit job per step' : 'one job per estimate        '}: ${fmt((emulator.jobCount - jobs) / steps, 1)} jobs/step, ${fmt((emulator.requests.length - requests) / steps, 1)} HTTP requests/step, ${fmt((b.usage().circuits - circuits) / steps, 1)} circuits/step, ${fmt(ms, 1)} ms/step`,
  );
}

// ---------------------------------------------------------------------------------------------
// 3. Iris accuracy: aria-1 against noiseless

if (!process.argv.includes('--no-accuracy')) {
  const classes: Label[] = ['versicolor', 'virginica'];
  const data = irisData(classes, [0, 1, 2, 3]);
  console.log(
    `3. Iris ${classes.join(' vs ')}: 4 features on 4 qubits, 2 layers, Adam 0.1, batch 10, 3 epochs (${data.train.labels.length} train / ${data.test.labels.length} test)`,
  );
  for (const noiseModel of [undefined, 'aria-1']) {
    const { backend: b, model } = classifier(noiseModel, 4, 2, classes);
    const trainer = new Trainer({
      model,
      optimizer: new Adam({ learningRate: 0.1 }),
      gradientMethod: 'parameter-shift',
      seed: 1,
      runGradientStage: (stage) => b.batch(stage),
    });
    t = performance.now();
    const result = await trainer.fit({ train: fixedBatches(data.train, 10), epochs: 3 });
    const final = await b.batch(() => trainer.evaluate(result.parameters, data.test, undefined, 5));
    console.log(
      `   ${noiseModel ?? 'noiseless'}${noiseModel ? ' (1000 shots)' : ' (exact)   '}: test accuracy ${fmt(final.accuracy, 3)}, test loss ${fmt(final.loss, 3)}, train loss ${fmt(result.history.at(-1)?.loss ?? Number.NaN, 3)}, ${b.usage().jobs} jobs, ${fmt((performance.now() - t) / 1000, 1)} s`,
    );
  }
}

await emulator.stop();
