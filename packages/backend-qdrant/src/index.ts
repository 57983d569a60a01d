export { mapQdrantError, type RetryOptions, withRetry } from './errors.js';
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
export { pointIdFor, QSTORE_QDRANT_ID_NAMESPACE } from './ids.js';
