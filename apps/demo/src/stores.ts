import { openEmbeddedPostgres, PgStateStore, PgvectorBackend } from '@q-store/backend-pgvector';
import type { StateStore, VectorBackend } from '@q-store/core';

export interface EmbeddedStores {
  backend: PgvectorBackend;
  stateStore: StateStore;
  /** Builds the HNSW index after a bulk load (the index is created deferred). */
  buildIndex(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The demo's embedded defaults: one in-process PostgreSQL (PGlite with pgvector), in memory or in
 * `dataDir`, holding the vectors (HNSW, built after loading) and the state documents.
 */
export async function openEmbeddedPgvector(options: { indexName: string; dataDir?: string }): Promise<EmbeddedStores> {
  const pglite = await openEmbeddedPostgres(options.dataDir ? { dataDir: options.dataDir } : {});
  const backend = new PgvectorBackend({
    indexName: options.indexName,
    pglite,
    index: { type: 'hnsw', deferBuild: true },
  });
  const stateStore = new PgStateStore({ pglite });
  return {
    backend,
    stateStore,
    buildIndex: () => backend.buildIndex(),
    async close() {
      await Promise.all([backend.close(), stateStore.close()]);
      await pglite.close();
    },
  };
}

export type { VectorBackend };
