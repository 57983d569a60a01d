/**
 * `@q-store/core/backend`: what a backend implementer needs beyond the user API — the templates,
 * validation helpers, chunking by declared limits, the HTTP-status error mapper, abort helpers and
 * secret redaction. Users of q-store import `@q-store/core`; backend packages import this too.
 */

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
export type { PluginConfig, PluginFactory } from './shared/plugin-registry.js';
export { PluginRegistry } from './shared/plugin-registry.js';
export { BaseVectorBackend } from './vector/base-vector-backend.js';
export { collectOperators, filterFields, parseFilter } from './vector/filter-parser.js';
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
