/** The QML benchmark study (Bowles, Ahmed, Schuld 2024): datasets, models, training loop, protocol. */
export * from './circuits.js';
export * from './datasets.js';
export * from './preprocessing.js';
export { LegacyRandomState } from './random-state.js';
export * from './train-loop.js';
export * from './variational.js';
