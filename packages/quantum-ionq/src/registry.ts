import { type PluginConfig, type QuantumBackend, quantumRegistry } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import { IonQBackend, type IonQBackendOptions } from './ionq-backend.js';

/**
 * The config object for `createQuantumBackend`: `{type: 'ionq', apiKey, target?, noiseModel?, ...}`
 * with the options of {@link IonQBackend} (the seed's `quantum_sdk='ionq', ionq_api_key=...`).
 */
export interface IonQBackendConfig extends PluginConfig, IonQBackendOptions {
  type: 'ionq';
}

/**
 * Registers `ionq` with a quantum registry (default: core's `quantumRegistry`), so that
 * `createQuantumBackend({type: 'ionq', apiKey, target: 'simulator', noiseModel: 'aria-1'})` and
 * `QuantumDatabase.open({..., quantum: {type: 'ionq', ...}})` work. Importing this package registers
 * nothing by itself (it is side-effect free); call this once at start-up. Registering twice is an
 * error unless `replace` is set.
 */
export function registerIonQ(
  registry: PluginRegistry<QuantumBackend> = quantumRegistry,
  options: { replace?: boolean } = {},
): PluginRegistry<QuantumBackend> {
  return registry.register<IonQBackendConfig>(
    'ionq',
    (config) => {
      const { type: _type, ...backendOptions } = config;
      return new IonQBackend(backendOptions);
    },
    options,
  );
}
