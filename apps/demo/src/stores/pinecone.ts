import {
  PineconeBackend,
  type PineconeBackendOptions,
  PineconeCheckpointStore,
  PineconeTrainingStore,
} from '@q-store/backend-pinecone';
import { MemoryStateStore } from '@q-store/core';
import type { DemoStores, StoreChoiceOptions } from '../choices.js';

/**
 * `--store pinecone`: the vectors, training data and checkpoints on Pinecone — real Pinecone when
 * `PINECONE_API_KEY` is set (index `PINECONE_INDEX`, default the demo's name; serverless in
 * `PINECONE_CLOUD`/`PINECONE_REGION`, default aws us-east-1), otherwise the in-process emulator of
 * `@q-store/backend-pinecone/testing`, started here. Pinecone has no compare-and-set, so the state
 * documents (entanglement groups) go to an in-memory state store; use Redis or pgvector for
 * durable state.
 */
export async function openStores(options: StoreChoiceOptions): Promise<DemoStores> {
  const apiKey = process.env.PINECONE_API_KEY;
  let stopEmulator: (() => Promise<void>) | undefined;
  let where: string;
  let backendOptions: PineconeBackendOptions;
  if (apiKey) {
    const indexName = process.env.PINECONE_INDEX ?? options.indexName;
    backendOptions = {
      apiKey,
      indexName,
      spec: {
        serverless: { cloud: process.env.PINECONE_CLOUD ?? 'aws', region: process.env.PINECONE_REGION ?? 'us-east-1' },
      },
    };
    where = `Pinecone (index '${indexName}')`;
  } else {
    const { PineconeEmulator } = await import('@q-store/backend-pinecone/testing');
    const emulator = new PineconeEmulator();
    await emulator.start();
    stopEmulator = () => emulator.stop();
    backendOptions = { apiKey: 'demo-emulator-key', indexName: options.indexName, controllerHostUrl: emulator.url };
    where = `the Pinecone emulator at ${emulator.url} (set PINECONE_API_KEY for real Pinecone)`;
  }
  const backend = new PineconeBackend(backendOptions);
  const trainingStore = new PineconeTrainingStore({ backend });
  const checkpointStore = new PineconeCheckpointStore({ backend });
  const stateStore = new MemoryStateStore();
  return {
    backend,
    stateStore,
    // Real Pinecone is eventually consistent: let the bulk load become visible before the queries.
    ...(apiKey && { buildIndex: () => waitUntilCountSettles(backend) }),
    trainingStore,
    checkpointStore,
    description: `${where}; state documents in memory (Pinecone cannot compare-and-set; pair it with Redis or pgvector)`,
    async close() {
      await Promise.all([trainingStore.close(), checkpointStore.close(), stateStore.close()]);
      await backend.close();
      await stopEmulator?.();
    },
  };
}

/** Polls describe_index_stats until the record count is the same twice, 500 ms apart (at most 60 s). */
async function waitUntilCountSettles(backend: PineconeBackend): Promise<void> {
  let last = -1;
  for (let round = 0; round < 120; round++) {
    const count = (await backend.stats()).totalRecordCount;
    if (count === last && count > 0) return;
    last = count;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
