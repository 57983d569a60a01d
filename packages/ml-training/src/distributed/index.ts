// @q-store/ml-training/distributed — data-parallel training over BullMQ (needs the optional peer `bullmq`).

export type { RedisLocation } from './connection.js';
export type {
  DistributedEpochMetrics,
  DistributedFitParams,
  DistributedProgress,
  DistributedTrainerEvents,
  DistributedTrainerOptions,
  DistributedTrainingResult,
  ShardTiming,
  StepProgress,
} from './coordinator.js';
export { DistributedTrainer, ShardFailedError } from './coordinator.js';
export type { ShardDataset, ShardJobData, ShardJobResult } from './protocol.js';
export { DEFAULT_QUEUE, shardJobId, stepDigest } from './protocol.js';
export type { ClassifierSpec, EncodingSpec, QuantumBackendSpec } from './spec.js';
export {
  classifierFromSpec,
  DEFAULT_QUANTUM_BACKEND,
  encodingFromSpec,
  openQuantumBackend,
  RUN_ID_PATTERN,
} from './spec.js';
export { openTrainingStore } from './store-spec.js';
export type { TrainingWorker, TrainingWorkerOptions } from './worker.js';
export { startTrainingWorker } from './worker.js';
export { workerCli } from './worker-cli.js';
