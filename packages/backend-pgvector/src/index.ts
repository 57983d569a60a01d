export { CHECKPOINTS_TABLE, PgCheckpointStore } from './checkpoint-store.js';
export type {
  ConnectionOptions,
  EmbeddedOptions,
  PgliteLike,
  PgliteTransactionLike,
  SqlDriver,
  SqlResult,
  SqlSession,
} from './driver.js';
export { describeConnectionString, openEmbeddedPostgres } from './driver.js';
export { PgvectorExtensionMissingError } from './errors.js';
export { compileFilter, MAX_SQL_PARAMETERS, RESERVED_SQL_PARAMETERS } from './filter-compiler.js';
export type { PgvectorBackendOptions, PgvectorQueryOptions, VectorIndexOptions } from './pgvector-backend.js';
export {
  DEFAULT_EF_SEARCH,
  DEFAULT_EXACT_BELOW,
  DEFAULT_FILTERED_EF_SEARCH,
  EXACT_FRACTION,
  INDEX_REGISTRY_TABLE,
  MAX_INDEXED_HALFVEC_DIMENSION,
  MAX_INDEXED_VECTOR_DIMENSION,
  MAX_VECTOR_DIMENSION,
  PgvectorBackend,
} from './pgvector-backend.js';
export type { PgvectorBackendConfig } from './registry.js';
export { registerPgvector } from './registry.js';
export { SCHEMA_NAME_PATTERN, SqlParams, vectorTableName } from './sql.js';
export { PgStateStore, STATE_TABLE } from './state-store.js';
export type { PgStoreOptions } from './store-base.js';
export { DATASETS_TABLE, PgTrainingStore, SAMPLES_TABLE } from './training-store.js';
