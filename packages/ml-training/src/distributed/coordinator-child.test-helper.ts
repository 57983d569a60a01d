/**
 * A coordinator as its own process (for the restart test): trains the run its JSON argument
 * describes, with checkpoints in a FileCheckpointStore, printing `resumed <step>`, `step <n> <base64
 * parameters>`, `checkpoint <n>` and `done <base64 parameters>` lines.
 */
import { createDataLoader } from '../data-loader.js';
import { FileCheckpointStore } from '../file-checkpoint-store.js';
import { Adam } from '../optimizers.js';
import { encodeFloat64 } from '../step-gradient.js';
import { DistributedTrainer } from './coordinator.js';
import { DATASET, LOADER_SEED } from './distributed.test-helper.js';
import type { ClassifierSpec } from './spec.js';
import { openTrainingStore } from './store-spec.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  redis: string;
  store: string;
  queue: string;
  runId: string;
  checkpointDir: string;
  model: ClassifierSpec;
  gradientMethod?: 'adjoint' | 'parameter-shift';
  seed: number;
  epochs: number;
  batchSize: number;
  shards: number;
  checkpointEvery: number;
};

const store = await openTrainingStore(config.store);
const trainer = new DistributedTrainer({
  redis: config.redis,
  queue: config.queue,
  runId: config.runId,
  model: config.model,
  ...(config.gradientMethod && { gradientMethod: config.gradientMethod }),
  optimizer: new Adam({ learningRate: 0.1 }),
  seed: config.seed,
  shards: config.shards,
  checkpointStore: new FileCheckpointStore({ directory: config.checkpointDir }),
  checkpointEvery: config.checkpointEvery,
});
trainer.on('step', (s, p) =>
  console.log(`step ${s.step} ${encodeFloat64(p)} reused=${s.shards.filter((t) => t.reused).length}`),
);
trainer.on('checkpoint', (c) => console.log(`checkpoint ${c.step}`));
const train = await createDataLoader(store, DATASET, { batchSize: config.batchSize, shuffle: true, seed: LOADER_SEED });
const run = trainer.fit({ train, epochs: config.epochs });
// `resumedFromStep` is known once fit has restored; print it with the first step or at the end.
const result = await run;
console.log(`resumed ${result.resumedFromStep ?? 'none'}`);
console.log(`done ${encodeFloat64(result.parameters)}`);
await trainer.close();
await store.close();
process.exit(0);
