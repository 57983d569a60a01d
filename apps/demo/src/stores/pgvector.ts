import {
  openEmbeddedPostgres,
  PgCheckpointStore,
  PgStateStore,
  PgTrainingStore,
  PgvectorBackend,
} from '@q-store/backend-pgvector';
import type { VectorBackend } from '@q-store/core';
import type { DemoStores, StoreChoiceOptions } from '../choices.js';

export interface EmbeddedStores extends DemoStores {
  backend: PgvectorBackend;
  /** Builds the HNSW index after a bulk load (the index is created deferred). */
  buildIndex(): Promise<void>;
}

/**
 * The demo's embedded defaults (`--store pgvector`): one in-process PostgreSQL (PGlite with
 * pgvector), in memory or in `dataDir`, holding the vectors (HNSW, built after loading), the state
 * documents, training data and checkpoints.
 */
export async function openEmbeddedPgvector(options: { indexName: string; dataDir?: string }): Promise<EmbeddedStores> {
  const pglite = await openEmbeddedPostgres(options.dataDir ? { dataDir: options.dataDir } : {});
  const backend = new PgvectorBackend({
    indexName: options.indexName,
    pglite,
    index: { type: 'hnsw', deferBuild: true },
  });
  const stateStore = new PgStateStore({ pglite });
  const trainingStore = new PgTrainingStore({ pglite });
  const checkpointStore = new PgCheckpointStore({ pglite });
  return {
    backend,
    stateStore,
    trainingStore,
    checkpointStore,
    description: `pgvector on embedded PGlite (${options.dataDir ? 'data directory' : 'in memory'})`,
    buildIndex: () => backend.buildIndex(),
    async close() {
      await Promise.all([backend.close(), stateStore.close(), trainingStore.close(), checkpointStore.close()]);
      await pglite.close();
    },
  };
}

/** `--store pgvector`. */
export function openStores(options: StoreChoiceOptions): Promise<DemoStores> {
  return openEmbeddedPgvector(options);
}

export type { VectorBackend };
