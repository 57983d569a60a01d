import {
  describeCheckpointStoreConformance,
  describeStateStoreConformance,
  describeTrainingStoreConformance,
  describeVectorBackendConformance,
} from '@q-store/core/testing';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, describe, expect, it } from 'vitest';
import { QdrantCheckpointStore } from './checkpoint-store.js';
import { QdrantBackend } from './qdrant-backend.js';
import { QdrantStateStore } from './state-store.js';
import { QdrantTrainingStore } from './training-store.js';

// Against a real Qdrant: QDRANT_URL (and QDRANT_API_KEY when the server wants one). Every collection
// made here is named `qstore-live-…` and dropped afterwards.
const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;
const connection = { url: url ?? '', ...(apiKey && { apiKey }) };

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
  const inScope = (scope: string) => ({ ...connection, collectionName: `qstore-live-${scope.replaceAll('_', '-')}` });
  const suite = {
    cleanup: (scope: string) =>
      new QdrantClient({ ...connection, checkCompatibility: false })
        .deleteCollection(inScope(scope).collectionName)
        .then(() => undefined),
    timeoutMs: 120_000,
  };
  describeStateStoreConformance({
    name: 'QdrantStateStore (live)',
    create: (scope) => new QdrantStateStore(inScope(scope)),
    ttlMs: 1000,
    ...suite,
  });
  describeTrainingStoreConformance({
    name: 'QdrantTrainingStore (live)',
    create: (scope) => new QdrantTrainingStore(inScope(scope)),
    ...suite,
  });
  describeCheckpointStoreConformance({
    name: 'QdrantCheckpointStore (live)',
    create: (scope) => new QdrantCheckpointStore(inScope(scope)),
    uriPattern: (modelId, name) => new RegExp(`^qdrant://qstore-live-qs-ckpt-[a-z0-9]+/${modelId}/${name}$`),
    ...suite,
  });
  describe('live Qdrant', () => {
    it('answers with its version', async () => {
      const client = new QdrantClient({ ...connection, checkCompatibility: false });
      expect((await client.versionInfo()).version).toMatch(/^\d+\.\d+/);
    });
  });
}
