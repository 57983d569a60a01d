export type {
  BatchedCircuitOptions,
  BatchedExpectationParams,
  BatchedGate,
  BatchedGradientParams,
  BatchedGradientResult,
  BatchedRunParams,
  StatePreparation,
} from './batched-circuit.js';
export { BATCHED_SIMD_MAX_QUBITS, BATCHED_SIMD_MIN_QUBITS, BatchedCircuit } from './batched-circuit.js';
export { walshHadamard } from './pauli.js';
export type { StateVectorSimulatorConfig } from './registry.js';
export { registerStateVectorSimulator } from './registry.js';
export type { NoiseModel, StateVectorSimulatorOptions } from './state-vector-simulator.js';
export { StateVectorSimulator } from './state-vector-simulator.js';
export { defaultMemoryLimitBytes, maxQubitsFor, SimulatorCapacityError, stateBytes } from './workspace.js';
