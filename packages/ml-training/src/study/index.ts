/** The QML benchmark study (Bowles, Ahmed, Schuld 2024): datasets, models, training loop, protocol. */
export * from './circuits.js';
export { runStudyCli } from './cli.js';
export * from './datasets.js';
export * from './kernels.js';
export * from './kitchen-sinks.js';
export { BinaryLogisticRegression, type LbfgsOptions, type LbfgsResult, lbfgs } from './lbfgs.js';
export * from './mlp.js';
export * from './preprocessing.js';
export * from './protocol.js';
export { LegacyRandomState } from './random-state.js';
export * from './store.js';
export * from './train-loop.js';
export * from './variational.js';
