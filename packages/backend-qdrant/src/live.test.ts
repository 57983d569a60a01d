import { describeVectorBackendConformance } from '@q-store/core/testing';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, describe, expect, it } from 'vitest';
import { QdrantCheckpointStore } from './checkpoint-store.js';
import { QdrantBackend } from './qdrant-backend.js';
import { QdrantStateStore } from './state-store.js';
import { describeCheckpointStoreSuite, describeStateStoreContract } from './store-suites.test-helper.js';

// Against a real Qdrant: QDRANT_URL (and QDRANT_API_KEY when the server wants one). Every collection
// made here is named `qstore-live-…` and dropped afterwards.
const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;
const connection = { url: url ?? '', ...(apiKey && { apiKey }) };
const run = `${Date.now().toString(36)}`;

if (!url) {
  console.log('skipping the live Qdrant tests: QDRANT_URL is not set (see docker-compose.yml for a local server)');
  describe.skip('live Qdrant (QDRANT_URL not set)', () => {
    it('runs the conformance kit and the store suites against a real Qdrant', () => undefined);
  });
} else {
  const made: string[] = [];
  afterAll(async () => {
    const client = new QdrantClient({ ...connection, checkCompatibility: false });
    for (const name of made) await client.deleteCollection(name).catch(() => undefined);
  });
  describeVectorBackendConformance({
    name: `QdrantBackend (live, ${new URL(url).host})`,
    create: (indexName) => {
      made.push(indexName);
      return new QdrantBackend({ ...connection, collectionName: indexName });
    },
    timeoutMs: 120_000,
  });
  let n = 0;
  describeStateStoreContract('QdrantStateStore (live)', () => {
    const collectionName = `qstore-live-${run}-state-${++n}`;
    made.push(collectionName);
    return new QdrantStateStore({ ...connection, collectionName });
  });
  const checkpoints = `qstore-live-${run}-ckpt`;
  made.push(checkpoints);
  describeCheckpointStoreSuite('QdrantCheckpointStore (live)', {
    open: async () => new QdrantCheckpointStore({ ...connection, collectionName: checkpoints }),
    uriPattern: (modelId, name) => new RegExp(`^qdrant://${checkpoints}/${modelId}/${name}$`),
  });
  describe('live Qdrant', () => {
    it('answers with its version', async () => {
      const client = new QdrantClient({ ...connection, checkCompatibility: false });
      expect((await client.versionInfo()).version).toMatch(/^\d+\.\d+/);
    });
  });
}
