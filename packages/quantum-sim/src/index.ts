export type {
  BatchedExpectationParams,
  BatchedGate,
  BatchedGradientParams,
  BatchedGradientResult,
  BatchedRunParams,
  StatePreparation,
} from './batched-circuit.js';
export { BatchedCircuit } from './batched-circuit.js';
export type { StateVectorSimulatorConfig } from './registry.js';
export { registerStateVectorSimulator } from './registry.js';
export type { NoiseModel, StateVectorSimulatorOptions } from './state-vector-simulator.js';
export { StateVectorSimulator } from './state-vector-simulator.js';
export { defaultMemoryLimitBytes, maxQubitsFor, SimulatorCapacityError, stateBytes } from './workspace.js';
