export type { CompileFilterOptions } from './filter-compiler.js';
export { compileFilter } from './filter-compiler.js';
export type { PineconeFilter } from './pinecone-filter-semantics.js';
export { matchesPineconeFilter, PineconeFilterError } from './pinecone-filter-semantics.js';
