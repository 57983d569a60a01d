// @q-store/ml-training — public API (each module adds its own export lines).
export type { IrisClass, LabelledData, MnistOptions } from './builtin-datasets.js';
export { averagePool, IRIS_CLASSES, IRIS_FEATURES, loadIris, loadMnist, MNIST_SIDE } from './builtin-datasets.js';
export { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoints.js';
export type { DataLoader, DataLoaderOptions, DataLoaderStats, EpochBatches } from './data-loader.js';
export { createDataLoader, deriveEpochSeed } from './data-loader.js';
export type {
  FeatureRows,
  MinMaxOptions,
  MinMaxScaler,
  SplitData,
  SplitOptions,
  SplitPart,
  SplitResult,
  StoreDatasetParams,
} from './datasets.js';
export {
  DATASET_VERSION_KEY,
  fitMinMaxScaler,
  getDatasetManifest,
  minMaxScale,
  splitDataset,
  storeDataset,
} from './datasets.js';
export type { FileCheckpointStoreOptions } from './file-checkpoint-store.js';
export { CHECKPOINT_FORMAT, FileCheckpointStore } from './file-checkpoint-store.js';
