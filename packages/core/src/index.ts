export type { MemoryCacheOptions } from './cache/memory-cache.js';
export { MemoryCache } from './cache/memory-cache.js';
export type {
  CachedTrainingStore,
  TrainingBatchCacheOptions,
  TrainingBatchCacheStats,
} from './cache/training-batch-cache.js';
export { withTrainingBatchCache } from './cache/training-batch-cache.js';
export type { CachedVectorBackend, CacheStats, WithCacheOptions } from './cache/with-cache.js';
export { withCache } from './cache/with-cache.js';
export {
  CONTEXT_NAME_PATTERN,
  coherenceWeight,
  contextAmplitudes,
  MAX_CONTEXTS,
  relevance,
} from './database/features.js';
export type {
  BatchInsertParams,
  DatabaseConfig,
  DatabaseMatch,
  DatabaseQueryParams,
  DatabaseQueryResult,
  DatabaseRecord,
  DatabaseUpdateParams,
  DatabaseUpdateResult,
  EntangledGroup,
  InsertParams,
  MigrateParams,
  TunnelingOptions,
  TunnelingReport,
} from './database/quantum-database.js';
export { QuantumDatabase } from './database/quantum-database.js';
export type { QuantumFeature, QuantumStats } from './database/quantum-runner.js';
export { RESERVED_PREFIX } from './database/reserved.js';
export { MAX_ANNEALING_STEPS, MAX_TUNNELING_POOL, simulatedAnnealingAsync } from './database/tunneling.js';
export { DEFAULT_QUANTUM_TIMEOUT_MS, JobCancelledError } from './quantum/base-quantum-backend.js';
export type { BudgetScope } from './quantum/budget.js';
export { BudgetExceededError, estimateCostUsd } from './quantum/budget.js';
export type { Angle, CircuitValidationOptions, ParameterExpression } from './quantum/circuit.js';
export {
  bindCircuitJson,
  Circuit,
  circuitParameters,
  formatParameterExpression,
  MAX_CIRCUIT_QUBITS,
  PARAMETER_NAME_PATTERN,
  parseParameterExpression,
  validateCircuitJson,
} from './quantum/circuit.js';
export type { DirectiveName, GateApplication, GateInfo, GateName, OperationName } from './quantum/gates.js';
export { DIRECTIVE_NAMES, GATE_NAMES, GATES, isDirectiveName, isGateName } from './quantum/gates.js';
export type { JobCallParams, QuantumJob, QuantumJobStatus, RetrieveJobParams, WaitParams } from './quantum/jobs.js';
export {
  observableFromString,
  pauli,
  pauliAt,
  validateObservable,
  validateObservables,
} from './quantum/observable.js';
export type { QasmProgram, QasmRegister } from './quantum/qasm.js';
export { parseQasm, QasmParseError, toQasm } from './quantum/qasm.js';
export type {
  CircuitJson,
  CircuitOperation,
  EstimateParams,
  EstimateResult,
  GradientParams,
  GradientResult,
  Observable,
  ParameterBinding,
  PauliTerm,
  QuantumBackend,
  QuantumCapabilities,
  SampleParams,
  SampleResult,
} from './quantum/quantum-backend.js';
export { createQuantumBackend, quantumRegistry } from './quantum/quantum-registry.js';
export { DEFAULT_MAX_SHOTS } from './quantum/quantum-validation.js';
export type { QStoreErrorCode, QStoreErrorOptions, ValidationIssue } from './shared/errors.js';
export {
  AbortError,
  AuthenticationError,
  CapacityError,
  ClosedError,
  ConflictError,
  ConnectionError,
  DimensionMismatchError,
  FilterValidationError,
  IndexNotFoundError,
  isQStoreError,
  MetricMismatchError,
  NotFoundError,
  PartialWriteError,
  QStoreError,
  RateLimitedError,
  ServiceError,
  StorageError,
  TimeoutError,
  UnknownPluginError,
  UnsupportedFilterError,
  UnsupportedOperationError,
  ValidationError,
} from './shared/errors.js';
export type { PluginConfig } from './shared/plugin-registry.js';
export type { Rng } from './shared/random.js';
export { createRng } from './shared/random.js';
export { MemoryCheckpointStore, MemoryStateStore, MemoryTrainingStore } from './stores/memory-stores.js';
export type {
  CacheBackend,
  Checkpoint,
  CheckpointInfo,
  CheckpointStore,
  DatasetManifest,
  JsonValue,
  Label,
  LoadTrainingBatchParams,
  StateStore,
  StoreTrainingDataParams,
  TrainingBatch,
  TrainingStore,
} from './stores/stores.js';
export { DATASET_ID_PATTERN, shufflePermutation } from './stores/training-data.js';
export { evaluateFilter } from './vector/filter-evaluator.js';
export type {
  ComparisonOperator,
  FieldCondition,
  FieldNode,
  FieldOperator,
  Filter,
  FilterNode,
  FilterOperator,
  FilterScalar,
  LogicalOperator,
  RangeOperator,
  SetOperator,
} from './vector/filter-types.js';
export { FILTER_MAX_DEPTH, FILTER_MAX_IN_VALUES, FILTER_OPERATORS } from './vector/filter-types.js';
export type { MemoryBackendOptions } from './vector/memory-backend.js';
export { MemoryBackend } from './vector/memory-backend.js';
export { norm, normalize, score } from './vector/metrics.js';
export type { MemoryBackendConfig } from './vector/registry.js';
export { backendRegistry, createBackend } from './vector/registry.js';
export type {
  BackendCapabilities,
  BackendOptions,
  CallParams,
  DeleteParams,
  DeleteResult,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  MetadataValue,
  Metric,
  QueryMatch,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
  VectorRecord,
  VectorRecordInput,
} from './vector/types.js';
export { METRICS } from './vector/types.js';
export {
  DEFAULT_MAX_METADATA_BYTES,
  INDEX_NAME_PATTERN,
  MAX_ID_LENGTH,
  MAX_METADATA_KEY_LENGTH,
  METADATA_KEY_PATTERN,
  NAMESPACE_PATTERN,
} from './vector/validation.js';
export type { VectorBackend } from './vector/vector-backend.js';
