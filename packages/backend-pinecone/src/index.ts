export { CHECKPOINTS_NAMESPACE, PART_BYTES, PineconeCheckpointStore } from './checkpoint-store.js';
export type { CompileFilterOptions } from './filter-compiler.js';
export { compileFilter } from './filter-compiler.js';
export type {
  PineconeBackendOptions,
  PineconeCallOptions,
  PineconeIndexSpec,
  PodSpec,
  ServerlessSpec,
  VisibilityResult,
  WaitForVisibilityParams,
} from './pinecone-backend.js';
export { PINECONE_LIMITS, PineconeBackend, scoreFromPinecone } from './pinecone-backend.js';
export type { RetryPolicy } from './pinecone-errors.js';
export {
  failingFetch,
  HttpFailure,
  mapPineconeError,
  retryDelayMs,
  scrub,
  sleep,
  withRetry,
} from './pinecone-errors.js';
export type { PineconeFilter } from './pinecone-filter-semantics.js';
export { matchesPineconeFilter, PineconeFilterError } from './pinecone-filter-semantics.js';
export type { RecordStoreOptions } from './record-store.js';
export type { PineconeBackendConfig } from './registry.js';
export { pineconeOptionsFromConfig, registerPinecone } from './registry.js';
export type { PineconeWrite } from './settle.js';
export { settlePineconeWrite } from './settle.js';
export { PineconeTrainingStore, TRAINING_NAMESPACE } from './training-store.js';
export { WRITE_TRACKING_LIMIT } from './write-tracker.js';
