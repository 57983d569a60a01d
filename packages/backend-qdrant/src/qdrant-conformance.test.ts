import { describeVectorBackendConformance } from '@q-store/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { QdrantBackend } from './qdrant-backend.js';
import { QdrantEmulator } from './testing/qdrant-emulator.js';

// The conformance kit through the official client against the in-process emulator.
const emulator = new QdrantEmulator();
let url = '';
beforeAll(async () => {
  url = await emulator.start();
});
afterAll(() => emulator.stop());

describeVectorBackendConformance({
  name: 'QdrantBackend (emulator)',
  create: (indexName) => new QdrantBackend({ url, collectionName: indexName }),
  // The big-metadata batch fills Qdrant's 32 MB request limit: seconds of JSON on a loaded machine.
  timeoutMs: 30_000,
});
