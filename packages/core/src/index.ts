export type { Angle, CircuitValidationOptions, ParameterExpression } from './circuit.js';
export {
  bindCircuitJson,
  Circuit,
  circuitParameters,
  formatParameterExpression,
  MAX_CIRCUIT_QUBITS,
  PARAMETER_NAME_PATTERN,
  parseParameterExpression,
  validateCircuitJson,
} from './circuit.js';
export {
  bernoulliCircuit,
  CONTEXT_NAME_PATTERN,
  coherenceWeight,
  contextAmplitudes,
  contextStateCircuit,
  correlationCircuit,
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
export { QuantumRunner } from './database/quantum-runner.js';
export { RESERVED_PREFIX } from './database/reserved.js';
export type { DiversityProblem, DiversitySolution, QaoaOptions, QaoaReport } from './database/tunneling.js';
export {
  diversityObjective,
  exhaustiveDiversity,
  greedyMmr,
  isingForm,
  MAX_QAOA_POOL,
  qaoaCircuit,
  simulatedAnnealing,
  solveQaoa,
} from './database/tunneling.js';
export type { QStoreErrorCode, QStoreErrorOptions, ValidationIssue } from './errors.js';
export {
  AbortError,
  AuthenticationError,
  abortErrorFor,
  ClosedError,
  ConnectionError,
  DimensionMismatchError,
  FilterValidationError,
  IndexNotFoundError,
  IssueCollector,
  isQStoreError,
  MAX_ISSUES,
  MetricMismatchError,
  NotFoundError,
  PartialWriteError,
  QStoreError,
  RateLimitedError,
  raceAbort,
  redactSecrets,
  ServiceError,
  StorageError,
  TimeoutError,
  throwIfAborted,
  UnknownPluginError,
  UnsupportedFilterError,
  ValidationError,
} from './errors.js';
export type { MeasurementGroup } from './estimate-from-samples.js';
export { DEFAULT_ESTIMATE_SHOTS, estimateFromSamples, measurementGroups } from './estimate-from-samples.js';
export { evaluateFilter } from './filter-evaluator.js';
export { collectOperators, filterFields, parseFilter } from './filter-parser.js';
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
} from './filter-types.js';
export { FILTER_MAX_DEPTH, FILTER_MAX_IN_VALUES, FILTER_OPERATORS } from './filter-types.js';
export type {
  ComplexMatrix,
  DirectiveName,
  GateApplication,
  GateInfo,
  GateName,
  OperationName,
} from './gates.js';
export {
  DIRECTIVE_NAMES,
  GATE_NAMES,
  GATES,
  gateMatrix,
  gateMatrixDerivative,
  inverseGate,
  isDirectiveName,
  isGateName,
} from './gates.js';
export type { MemoryBackendOptions } from './memory-backend.js';
export { MemoryBackend } from './memory-backend.js';
export {
  checkpointName,
  MemoryCheckpointStore,
  MemoryStateStore,
  MemoryTrainingStore,
  validateCheckpoint,
} from './memory-stores.js';
export { norm, normalize, score } from './metrics.js';
export { observableFromString, pauli, pauliAt, validateObservable, validateObservables } from './observable.js';
export type { QasmProgram, QasmRegister } from './qasm.js';
export { parseQasm, QasmParseError, toQasm } from './qasm.js';
export type {
  BaseQuantumBackendOptions,
  EstimateRequest,
  GradientRequest,
  JobHookParams,
  SampleRequest,
} from './quantum/base-quantum-backend.js';
export {
  BaseQuantumBackend,
  DEFAULT_QUANTUM_TIMEOUT_MS,
  JobCancelledError,
} from './quantum/base-quantum-backend.js';
export type { BudgetScope } from './quantum/budget.js';
export { BudgetExceededError, estimateCostUsd } from './quantum/budget.js';
export type {
  JobCallParams,
  JobPoll,
  QuantumJob,
  QuantumJobStatus,
  RetrieveJobParams,
  WaitParams,
} from './quantum/jobs.js';
export { TERMINAL_JOB_STATUSES } from './quantum/jobs.js';
export type { DiffGate, ShiftGradientRequest } from './quantum/parameter-shift.js';
export {
  diffGates,
  finiteDifference,
  parameterShift,
  parameterShiftGradient,
  shiftRule,
} from './quantum/parameter-shift.js';
export { createQuantumBackend, quantumRegistry } from './quantum/quantum-registry.js';
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
} from './quantum.js';
export type { PreparedEstimate, PreparedGradient, PreparedSample } from './quantum-validation.js';
export {
  DEFAULT_MAX_SHOTS,
  validateEstimateParams,
  validateGradientParams,
  validateSampleParams,
} from './quantum-validation.js';
export type { Rng } from './random.js';
export { createRng } from './random.js';
export type { MemoryBackendConfig, PluginConfig, PluginFactory } from './registry.js';
export { backendRegistry, createBackend, PluginRegistry } from './registry.js';
export { prepareRealState } from './state-preparation.js';
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
} from './stores.js';
export { decodeCacheValue, encodeCacheValue } from './stores.js';
export type { ValidTrainingData } from './training-data.js';
export {
  DATASET_ID_PATTERN,
  shufflePermutation,
  sortedLabelSet,
  validateBatchWindow,
  validateTrainingData,
} from './training-data.js';
export type {
  BackendCapabilities,
  DeleteParams,
  DeleteResult,
  DeleteTarget,
  EnsureIndexParams,
  FetchParams,
  FetchResult,
  IndexDescription,
  IndexStats,
  ListParams,
  Metadata,
  MetadataValue,
  Metric,
  NormalizedQuery,
  QueryMatch,
  QueryParams,
  QueryResult,
  UpdateParams,
  UpdateResult,
  UpsertParams,
  UpsertResult,
  VectorRecord,
  VectorRecordInput,
} from './types.js';
export { METRICS } from './types.js';
export type { RecordRules } from './validation.js';
export {
  checkMergedMetadata,
  chunkRecords,
  DEFAULT_MAX_METADATA_BYTES,
  estimateRecordBytes,
  INDEX_NAME_PATTERN,
  isPlainObject,
  MAX_ID_LENGTH,
  MAX_METADATA_KEY_LENGTH,
  METADATA_KEY_PATTERN,
  NAMESPACE_PATTERN,
  textProblem,
  validateFlags,
  validateId,
  validateIds,
  validateIndexName,
  validateIndexParams,
  validateListPrefix,
  validateMetadata,
  validateNamespace,
  validateRecords,
  validateTopK,
  validateVector,
} from './validation.js';
export type { ListPage, VectorBackend } from './vector-backend.js';
export { BaseVectorBackend } from './vector-backend.js';
