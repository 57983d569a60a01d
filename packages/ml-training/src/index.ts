// @q-store/ml-training — public API (each module adds its own export lines).

export type { Ansatz, HardwareEfficientAnsatzOptions } from './ansatz.js';
export { ansatzParameterName, hardwareEfficientAnsatz } from './ansatz.js';
export type { IrisClass, LabelledData, MnistOptions } from './builtin-datasets.js';
export { averagePool, IRIS_CLASSES, IRIS_FEATURES, loadIris, loadMnist, MNIST_SIDE } from './builtin-datasets.js';
export { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoints.js';
export type {
  DataLoader,
  DataLoaderOptions,
  DataLoaderStats,
  EpochBatches,
  LoaderDescriptor,
  ShardRange,
} from './data-loader.js';
export { createDataLoader, deriveEpochSeed, shardRange } from './data-loader.js';
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
export type { AngleEncodingOptions, FeatureEncoding, FeatureRange } from './encoding.js';
export { amplitudeEncoding, angleEncoding, featureRange } from './encoding.js';
export type { FileCheckpointStoreOptions } from './file-checkpoint-store.js';
export { CHECKPOINT_FORMAT, FileCheckpointStore } from './file-checkpoint-store.js';
export type {
  ExpectationGradient,
  ExpectationGradientParams,
  ExpectationParams,
  GradientMethod,
  SpsaGradient,
  SpsaGradientParams,
} from './gradients.js';
export { expectationGradient, expectationValues, parameterShiftJacobian, spsaGradient } from './gradients.js';
export { accuracy, argmax, crossEntropy, softmax } from './metrics.js';
export type {
  LabelledParams,
  LossGradient,
  LossGradientParams,
  LossResult,
  Prediction,
  PredictParams,
  VariationalClassifierOptions,
} from './model.js';
export { VariationalClassifier } from './model.js';
export type {
  AdamOptions,
  GradientOptimizer,
  LossOptimizer,
  Optimizer,
  SgdOptions,
  SpsaOptions,
} from './optimizers.js';
export { Adam, Sgd, Spsa } from './optimizers.js';
export type { EncodedRows, GradientRows, SampleGradientParams } from './step-gradient.js';
export { concatRows, decodeRows, encodeRows, meanOfRows, sampleGradients } from './step-gradient.js';
export type { StudyDataset, StudyFamily, StudySplit } from './study/datasets.js';
export {
  generateStudyDataset,
  loadStudyCsvPair,
  parseStudyCsv,
  STUDY_VARIANTS,
  studyDatasetName,
  toSplitData,
} from './study/datasets.js';
export { LegacyRandomState } from './study/random-state.js';
export type {
  BatchMetrics,
  EarlyStoppingOptions,
  EpochMetrics,
  EpochSource,
  FitParams,
  GradientReducer,
  LabelledSamples,
  StepContext,
  TrainerCallbacks,
  TrainerOptions,
  TrainingResult,
} from './trainer.js';
export { defaultGradientMethod, evaluationSeed, Trainer } from './trainer.js';
