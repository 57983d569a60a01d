import {
  QdrantBackend,
  QdrantCheckpointStore,
  type QdrantConnectionOptions,
  QdrantStateStore,
  QdrantTrainingStore,
} from '@q-store/backend-qdrant';
import { QdrantEmulator } from '@q-store/backend-qdrant/testing';
import type { DemoStores, StoreChoiceOptions } from '../choices.js';

/**
 * `--store qdrant`: the vectors, the state documents, training data and checkpoints on Qdrant —
 * the server at `QDRANT_URL` (with `QDRANT_API_KEY` when set), or else the in-process Qdrant
 * emulator of `@q-store/backend-qdrant/testing` on a free loopback port.
 */
export async function openStores(options: StoreChoiceOptions): Promise<DemoStores> {
  const live = process.env.QDRANT_URL;
  const emulator = live ? undefined : new QdrantEmulator();
  const url = live ?? (await (emulator as QdrantEmulator).start());
  const connection: QdrantConnectionOptions = {
    url,
    ...(process.env.QDRANT_API_KEY && { apiKey: process.env.QDRANT_API_KEY }),
  };
  const backend = new QdrantBackend({ ...connection, collectionName: options.indexName, indexedFields: ['topic'] });
  const prefix = options.indexName;
  const stateStore = new QdrantStateStore({ ...connection, collectionName: `${prefix}-state` });
  const trainingStore = new QdrantTrainingStore({ ...connection, collectionName: `${prefix}-training` });
  const checkpointStore = new QdrantCheckpointStore({ ...connection, collectionName: `${prefix}-checkpoints` });
  return {
    backend,
    stateStore,
    trainingStore,
    checkpointStore,
    description: live
      ? `Qdrant at ${backend.endpoint} (QDRANT_URL)`
      : `Qdrant emulator in process at ${url} (set QDRANT_URL for a real server)`,
    async close() {
      await Promise.all([backend.close(), stateStore.close(), trainingStore.close(), checkpointStore.close()]);
      await emulator?.stop();
    },
  };
}
