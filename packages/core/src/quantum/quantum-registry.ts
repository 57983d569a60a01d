/**
 * The registry of quantum backends, the same shape as the vector one (`backendRegistry`): a config
 * object whose `type` names a registered factory turns into a backend. `type` is also the
 * backend's identity field (`QuantumBackend.type`, like `VectorBackend.type`). Backend packages
 * export a `register…` helper (e.g. `registerStateVectorSimulator` from `@q-store/quantum-sim`);
 * core registers nothing here, since it ships no quantum backend.
 */

import { type PluginConfig, PluginRegistry } from '../shared/plugin-registry.js';
import type { QuantumBackend } from './quantum-backend.js';

/** The default registry of quantum backends. */
export const quantumRegistry = new PluginRegistry<QuantumBackend>('quantum backend');

/** Builds a quantum backend from a config object such as `{type: 'state-vector'}` through `quantumRegistry`. */
export async function createQuantumBackend(config: PluginConfig): Promise<QuantumBackend> {
  return quantumRegistry.create(config);
}
