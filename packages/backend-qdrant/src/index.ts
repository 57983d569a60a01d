export { CHECKPOINT_PART_VALUES, QdrantCheckpointStore } from './checkpoint-store.js';
export { QdrantConnection, type QdrantConnectionOptions } from './connection.js';
export { isMissingCollection, mapQdrantError, type RetryOptions, withRetry } from './errors.js';
export {
  compileFilter,
  namespaceFilter,
  PAYLOAD_ID,
  PAYLOAD_KEYS,
  PAYLOAD_METADATA,
  PAYLOAD_NAMESPACE,
  PAYLOAD_VECTOR,
  type QdrantCondition,
  type QdrantFilter,
} from './filter-compiler.js';
export { pointIdFor, QSTORE_QDRANT_ID_NAMESPACE, uuidV5 } from './ids.js';
export {
  type PayloadIndexType,
  QDRANT_MAX_DIMENSION,
  QDRANT_MAX_REQUEST_BYTES,
  QdrantBackend,
  type QdrantBackendOptions,
} from './qdrant-backend.js';
export { parseQdrantOptions, type QdrantQueryOptions } from './qdrant-options.js';
export { type QdrantBackendConfig, qdrantOptionsFromConfig, registerQdrant } from './registry.js';
export { QdrantStateStore, STATE_WRITER_HISTORY } from './state-store.js';
export { PLACEHOLDER_VECTOR, type QdrantStoreOptions } from './store-base.js';
export { QdrantTrainingStore } from './training-store.js';
