import { type PluginConfig, type QuantumBackend, quantumRegistry } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import { StateVectorSimulator, type StateVectorSimulatorOptions } from './state-vector-simulator.js';

/**
 * The config object for `createQuantumBackend`: `{type: 'state-vector', ...options}` with the
 * options of {@link StateVectorSimulator}. `'mock'` (the seed's `quantum_sdk: 'mock'`) is the same
 * simulator.
 */
export interface StateVectorSimulatorConfig extends PluginConfig, StateVectorSimulatorOptions {
  type: 'state-vector' | 'mock';
}

/**
 * Registers `state-vector` and `mock` with a quantum registry (default: core's `quantumRegistry`),
 * so that `createQuantumBackend({type: 'state-vector'})` works. Importing this package registers
 * nothing by itself (it is side-effect free); call this once at start-up. Registering twice is an
 * error unless `replace` is set.
 */
export function registerStateVectorSimulator(
  registry: PluginRegistry<QuantumBackend> = quantumRegistry,
  options: { replace?: boolean } = {},
): PluginRegistry<QuantumBackend> {
  const factory = (config: StateVectorSimulatorConfig) => {
    const { type: _type, ...simulatorOptions } = config;
    return new StateVectorSimulator(simulatorOptions);
  };
  registry.register<StateVectorSimulatorConfig>('state-vector', factory, options);
  return registry.register<StateVectorSimulatorConfig>('mock', factory, options);
}
