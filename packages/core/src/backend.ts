/**
 * `@q-store/core/backend`: what a backend implementer needs beyond the user API — the templates,
 * validation helpers, chunking by declared limits, the HTTP-status error mapper, abort helpers and
 * secret redaction. Users of q-store import `@q-store/core`; backend packages import this too.
 */

export { decodeCacheValue, encodeCacheValue } from './cache/cache-codec.js';
export { bernoulliCircuit, contextStateCircuit, correlationCircuit } from './database/features.js';
export { QuantumRunner } from './database/quantum-runner.js';
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
export type {
  BaseQuantumBackendOptions,
  EstimateRequest,
  GradientRequest,
  JobHookParams,
  SampleRequest,
} from './quantum/base-quantum-backend.js';
export { BaseQuantumBackend, JobCancelledError } from './quantum/base-quantum-backend.js';
export { BudgetExceededError, checkBudget, costDetail, estimateCostUsd } from './quantum/budget.js';
export type { MeasurementGroup } from './quantum/estimate-from-samples.js';
export {
  DEFAULT_ESTIMATE_SHOTS,
  estimateFromSamples,
  measurementCircuits,
  measurementGroups,
} from './quantum/estimate-from-samples.js';
export type { ComplexMatrix } from './quantum/gates.js';
export { gateMatrix, gateMatrixDerivative, inverseGate } from './quantum/gates.js';
export type { JobPoll } from './quantum/jobs.js';
export { TERMINAL_JOB_STATUSES } from './quantum/jobs.js';
export type { DiffGate, ShiftGradientRequest } from './quantum/parameter-shift.js';
export {
  diffGates,
  finiteDifference,
  parameterShift,
  parameterShiftGradient,
  shiftRule,
} from './quantum/parameter-shift.js';
export type { PreparedEstimate, PreparedGradient, PreparedSample } from './quantum/quantum-validation.js';
export { validateEstimateParams, validateGradientParams, validateSampleParams } from './quantum/quantum-validation.js';
export { prepareRealState } from './quantum/state-preparation.js';
export type { ValidationIssue } from './shared/errors.js';
export {
  abortErrorFor,
  CapacityError,
  ConflictError,
  IssueCollector,
  MAX_ISSUES,
  raceAbort,
  redactSecrets,
  throwIfAborted,
} from './shared/errors.js';
export type { HttpErrorInfo } from './shared/http-errors.js';
export { errorFromHttpStatus, parseRetryAfter } from './shared/http-errors.js';
export { Lifecycle } from './shared/lifecycle.js';
export { FaultQueue, LoopbackServer } from './shared/loopback-server.js';
export type { PluginConfig, PluginFactory } from './shared/plugin-registry.js';
export { PluginRegistry } from './shared/plugin-registry.js';
export { checkpointName, validateCheckpoint } from './stores/memory-stores.js';
export { encodeStateValue } from './stores/state-values.js';
export type { ValidTrainingData } from './stores/training-data.js';
export { sortedLabelSet, validateBatchWindow, validateTrainingData } from './stores/training-data.js';
export { BaseVectorBackend } from './vector/base-vector-backend.js';
export { collectOperators, filterFields, parseFilter } from './vector/filter-parser.js';
export type { DeleteTarget, HookParams, NormalizedQuery, RecordChange } from './vector/types.js';
export type { RecordRules } from './vector/validation.js';
export {
  checkMergedMetadata,
  chunkRecords,
  estimateRecordBytes,
  isPlainObject,
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
} from './vector/validation.js';
export type { ListPage, VectorBackend } from './vector/vector-backend.js';
