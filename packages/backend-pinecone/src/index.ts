export type { CompileFilterOptions } from './filter-compiler.js';
export { compileFilter } from './filter-compiler.js';
export type { RetryPolicy } from './pinecone-errors.js';
export {
  failingFetch,
  HttpFailure,
  mapPineconeError,
  parseRetryAfter,
  retryDelayMs,
  scrub,
  sleep,
  withRetry,
} from './pinecone-errors.js';
export type { PineconeFilter } from './pinecone-filter-semantics.js';
export { matchesPineconeFilter, PineconeFilterError } from './pinecone-filter-semantics.js';
