import { backendRegistry, type PluginConfig, type VectorBackend } from '@q-store/core';
import type { PluginRegistry } from '@q-store/core/backend';
import type { EmbeddedOptions } from './driver.js';
import { PgvectorBackend, type VectorIndexOptions } from './pgvector-backend.js';

/**
 * The config object for `createBackend`: the seed's `{'type': 'pgvector', ...}` dict. Give exactly
 * one way in: `connectionString` (a server; q-store owns the pool) or `embedded` (PGlite with
 * pgvector in process, in `dataDir` or in memory). A `pg.Pool` or PGlite instance of your own is
 * passed to `new PgvectorBackend(...)` directly.
 */
export interface PgvectorBackendConfig extends PluginConfig {
  type: 'pgvector';
  indexName: string;
  connectionString?: string;
  embedded?: EmbeddedOptions | true;
  schema?: string;
  index?: VectorIndexOptions;
  maintenanceWorkMem?: string;
}

/**
 * Registers the `pgvector` type with a plugin registry (default: core's `backendRegistry`), so that
 * `createBackend({type: 'pgvector', indexName, embedded: {dataDir}})` works. Importing this package
 * registers nothing by itself (it is side-effect free); call this once at start-up. Registering twice
 * is an error unless `replace` is set.
 */
export function registerPgvector(
  registry: PluginRegistry<VectorBackend> = backendRegistry,
  options: { replace?: boolean } = {},
): PluginRegistry<VectorBackend> {
  return registry.register<PgvectorBackendConfig>(
    'pgvector',
    (config) => {
      const common = {
        indexName: config.indexName,
        ...(config.schema !== undefined && { schema: config.schema }),
        ...(config.index !== undefined && { index: config.index }),
        ...(config.maintenanceWorkMem !== undefined && { maintenanceWorkMem: config.maintenanceWorkMem }),
      };
      if (config.connectionString !== undefined && config.embedded !== undefined) {
        // Let the backend's validation report the conflict with its usual error.
        return new PgvectorBackend({
          ...common,
          connectionString: config.connectionString,
          embedded: config.embedded,
        } as never);
      }
      return config.connectionString !== undefined
        ? new PgvectorBackend({ ...common, connectionString: config.connectionString })
        : new PgvectorBackend({ ...common, embedded: config.embedded ?? true });
    },
    options,
  );
}
