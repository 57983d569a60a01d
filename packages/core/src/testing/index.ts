/**
 * `@q-store/core/testing`: the vector-backend and quantum-backend conformance kits, the StateStore,
 * TrainingStore and CheckpointStore suites, seeded datasets
 * and OpenQASM programs with known outputs. Needs vitest
 * (an optional peer dependency of `@q-store/core`).
 */

export type { SettleHook, SettleInfo } from './conformance-views.js';
export {
  type CheckpointStoreConformanceOptions,
  describeCheckpointStoreConformance,
} from './checkpoint-store-conformance.js';
export {
  type Dataset,
  type DatasetRecord,
  FILTER_DATASET_CATEGORIES,
  FILTER_DATASET_CODES,
  FILTER_DATASET_TAGS,
  type FilterDatasetOptions,
  type GeneratedFilter,
  generateFilter,
  generateFilters,
  makeFilterDataset,
  randomVector,
} from './datasets.js';
export { createBackendHandle, ForwardingVectorBackend } from './forwarding-backend.js';
export { GROVER_QASM, QFT_ROUNDTRIP_QASM, RIPPLE_ADDER_QASM, TELEPORTATION_QASM } from './qasm-programs.js';
export {
  describeQuantumBackendConformance,
  type QuantumConformanceOptions,
  qftCircuit,
  SIGMAS,
} from './quantum-conformance.js';
export {
  QueuedJobService,
  type QueuedJobServiceOptions,
  QueuedQuantumBackend,
  type QueuedQuantumBackendOptions,
} from './queued-quantum-backend.js';
export { describeStateStoreConformance, type StateStoreConformanceOptions } from './state-store-conformance.js';
export {
  abortedSignal,
  collectSorted,
  expectStoreError,
  type StoreConformanceOptions,
  sameBits,
  TRICKY_FLOAT64,
} from './store-harness.js';
export {
  describeTrainingStoreConformance,
  type TrainingStoreConformanceOptions,
} from './training-store-conformance.js';
export {
  describeVectorBackendConformance,
  type SharedIndexOptions,
  type VectorConformanceOptions,
} from './vector-conformance.js';
export {
  EventualMemoryBackend,
  type EventualMemoryBackendOptions,
  LimitedMemoryBackend,
  type LimitedMemoryBackendOptions,
} from './vector-doubles.js';
