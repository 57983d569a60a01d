/**
 * `@q-store/core/testing`: the vector-backend conformance kit and its seeded datasets. Needs vitest
 * (an optional peer dependency of `@q-store/core`).
 */

export {
  type Dataset,
  type DatasetRecord,
  FILTER_DATASET_CATEGORIES,
  FILTER_DATASET_CODES,
  FILTER_DATASET_TAGS,
  type FilterDatasetOptions,
  type GeneratedFilter,
  generateFilter,
  generateFilters,
  makeFilterDataset,
  randomVector,
} from './datasets.js';
export { describeVectorBackendConformance, type VectorConformanceOptions } from './vector-conformance.js';
