import { backendRegistry, type PluginConfig, type VectorBackend } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import { QdrantBackend, type QdrantBackendOptions } from './qdrant-backend.js';

/**
 * The config object for `createBackend`: the seed's `{'type': 'qdrant', 'host': …, 'port': …,
 * 'collection_name': …, 'dimension': …}` dict, with camelCase spellings too. `dimension` (and
 * `metric`, default cosine) are what `QuantumDatabase.open` / `ensureIndex` will use; the backend
 * itself learns them from the collection.
 */
export interface QdrantBackendConfig extends PluginConfig, Omit<QdrantBackendOptions, 'collectionName'> {
  type: 'qdrant';
  collectionName?: string;
  /** The seed's spelling of `collectionName`. */
  collection_name?: string;
  dimension?: number;
  /** The seed's `metadata_config: {indexed: [...]}`: keyword payload indexes on these keys. */
  metadata_config?: { indexed?: readonly string[] };
}

/** The backend options a registry config describes (seed spellings mapped to camelCase). */
export function qdrantOptionsFromConfig(config: QdrantBackendConfig): QdrantBackendOptions {
  const { type: _type, collection_name, collectionName, dimension: _dimension, metadata_config, ...rest } = config;
  const indexed = rest.indexedFields ?? metadata_config?.indexed;
  return {
    ...rest,
    collectionName: (collectionName ?? collection_name) as string,
    ...(indexed !== undefined && { indexedFields: indexed }),
  };
}

/**
 * Registers the `qdrant` type with a plugin registry (default: core's `backendRegistry`), so that
 * `createBackend({type: 'qdrant', host: 'localhost', port: 6333, collection_name: 'docs'})` works.
 * Importing this package registers nothing by itself; call this once at start-up.
 */
export function registerQdrant(
  registry: PluginRegistry<VectorBackend> = backendRegistry,
  options: { replace?: boolean } = {},
): PluginRegistry<VectorBackend> {
  return registry.register<QdrantBackendConfig>(
    'qdrant',
    (config) => new QdrantBackend(qdrantOptionsFromConfig(config)),
    options,
  );
}
