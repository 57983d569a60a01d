import { backendRegistry, type PluginConfig, type VectorBackend } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import { PineconeBackend, type PineconeBackendOptions, type PineconeIndexSpec } from './pinecone-backend.js';

/**
 * The config object for `createBackend`: the seed's
 * `{'type': 'pinecone', 'api_key': ..., 'environment': ..., 'index_name': ..., 'dimension': ..., 'metric': ...}`
 * in either spelling (`api_key` or `apiKey`, `index_name` or `indexName`, `pod_type` or `podType`,
 * `metadata_config` or `metadataConfig`). `dimension` and `metric` are what `ensureIndex` will be
 * called with (QuantumDatabase passes its own); the backend itself does not need them.
 */
export interface PineconeBackendConfig extends PluginConfig {
  type: 'pinecone';
  apiKey?: string;
  api_key?: string;
  indexName?: string;
  index_name?: string;
  /** A pod environment (`us-east1-gcp`): the index is pod-based. Without it and without `cloud`/`region`, serverless on aws us-east-1. */
  environment?: string;
  /** Serverless: the cloud and region. */
  cloud?: string;
  region?: string;
  podType?: string;
  pod_type?: string;
  pods?: number;
  replicas?: number;
  shards?: number;
  metadataConfig?: { indexed: string[] };
  metadata_config?: { indexed: string[] };
  dimension?: number;
  metric?: string;
  controllerHostUrl?: string;
  readyTimeoutMs?: number;
}

/** The backend options a registry config stands for (exported for tests and the demo). */
export function pineconeOptionsFromConfig(config: PineconeBackendConfig): PineconeBackendOptions {
  const apiKey = config.apiKey ?? config.api_key;
  const indexName = config.indexName ?? config.index_name;
  const podType = config.podType ?? config.pod_type;
  const metadataConfig = config.metadataConfig ?? config.metadata_config;
  let spec: PineconeIndexSpec | undefined;
  if (config.cloud !== undefined || config.region !== undefined) {
    spec = { serverless: { cloud: config.cloud ?? 'aws', region: config.region ?? 'us-east-1' } };
  } else if (config.environment !== undefined) {
    spec = {
      pod: {
        environment: config.environment,
        podType: podType ?? 'p1.x1',
        ...(config.pods !== undefined && { pods: config.pods }),
        ...(config.replicas !== undefined && { replicas: config.replicas }),
        ...(config.shards !== undefined && { shards: config.shards }),
        ...(metadataConfig !== undefined && { metadataConfig }),
      },
    };
  }
  return {
    apiKey: apiKey as string,
    indexName: indexName as string,
    ...(spec !== undefined && { spec }),
    ...(config.controllerHostUrl !== undefined && { controllerHostUrl: config.controllerHostUrl }),
    ...(config.readyTimeoutMs !== undefined && { readyTimeoutMs: config.readyTimeoutMs }),
  };
}

/**
 * Registers the `pinecone` type with a plugin registry (default: core's `backendRegistry`), so that
 * `createBackend({type: 'pinecone', api_key, environment, index_name, dimension, metric})` works.
 * Importing this package registers nothing by itself; call this once at start-up. Registering
 * twice is an error unless `replace` is set.
 */
export function registerPinecone(
  registry: PluginRegistry<VectorBackend> = backendRegistry,
  options: { replace?: boolean } = {},
): PluginRegistry<VectorBackend> {
  return registry.register<PineconeBackendConfig>(
    'pinecone',
    (config) => new PineconeBackend(pineconeOptionsFromConfig(config)),
    options,
  );
}
