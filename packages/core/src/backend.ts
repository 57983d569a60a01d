/**
 * `@q-store/core/backend`: what a backend implementer needs beyond the user API — the templates,
 * validation helpers, chunking by declared limits, the HTTP-status error mapper, abort helpers and
 * secret redaction. Users of q-store import `@q-store/core`; backend packages import this too.
 */

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
export { measurementGroups } from './quantum/estimate-from-samples.js';
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
export type { ValidationIssue } from './shared/errors.js';
export {
  abortErrorFor,
  CapacityError,
  ConflictError,
  IssueCollector,
  raceAbort,
  redactSecrets,
  throwIfAborted,
} from './shared/errors.js';
export type { HttpErrorInfo } from './shared/http-errors.js';
export { errorFromHttpStatus, parseRetryAfter } from './shared/http-errors.js';
export { Lifecycle } from './shared/lifecycle.js';
export type { PluginConfig, PluginFactory } from './shared/plugin-registry.js';
export { PluginRegistry } from './shared/plugin-registry.js';
export { encodeStateValue } from './stores/state-values.js';
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
