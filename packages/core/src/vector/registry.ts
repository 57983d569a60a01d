import { type PluginConfig, PluginRegistry } from '../shared/plugin-registry.js';
import { MemoryBackend } from './memory-backend.js';
import type { Metadata } from './types.js';
import type { VectorBackend } from './vector-backend.js';

export interface MemoryBackendConfig extends PluginConfig {
  type: 'memory';
  indexName: string;
  snapshotPath?: string;
}

/** The default registry of vector backends. Backend packages export a `register…` helper for it. */
export const backendRegistry = new PluginRegistry<VectorBackend>('vector backend').register<MemoryBackendConfig>(
  'memory',
  (config) =>
    new MemoryBackend({
      indexName: config.indexName,
      ...(config.snapshotPath !== undefined && { snapshotPath: config.snapshotPath }),
    }),
);

/** Builds a vector backend from a config object through `backendRegistry`. */
export async function createBackend<M extends Metadata = Metadata>(config: PluginConfig): Promise<VectorBackend<M>> {
  return (await backendRegistry.create(config)) as unknown as VectorBackend<M>;
}
