import { describeCheckpointStoreConformance, describeTrainingStoreConformance } from '@q-store/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { PineconeCheckpointStore } from './checkpoint-store.js';
import { PineconeBackend } from './pinecone-backend.js';
import { PineconeEmulator } from './testing/index.js';
import { PineconeTrainingStore } from './training-store.js';

/**
 * Core's TrainingStore and CheckpointStore suites against the Pinecone stores on the emulator, with
 * writes visible only after 20 ms (the stores wait for their own writes). Each test's scope is a
 * namespace of one shared index; a second store on the same scope is a second handle on the same data.
 */
const API_KEY = 'pcsk_store_suites_0123456789';
const emulator = new PineconeEmulator({ apiKey: API_KEY, visibilityDelayMs: 20 });
let backend: PineconeBackend;

beforeAll(async () => {
  await emulator.start();
  backend = new PineconeBackend({ apiKey: API_KEY, indexName: 'store-suites', controllerHostUrl: emulator.url });
  await backend.ensureIndex({ dimension: 8, metric: 'cosine' });
});
afterAll(async () => {
  await backend.close();
  await emulator.stop();
});

describeTrainingStoreConformance({
  name: 'PineconeTrainingStore on the emulator',
  create: (scope) => new PineconeTrainingStore({ backend, namespace: scope }),
  cleanup: (scope) => backend.delete({ all: true, namespace: scope }).then(() => undefined),
  timeoutMs: 60_000,
});

describeCheckpointStoreConformance({
  name: 'PineconeCheckpointStore on the emulator',
  create: (scope) => new PineconeCheckpointStore({ backend, namespace: scope }),
  cleanup: (scope) => backend.delete({ all: true, namespace: scope }).then(() => undefined),
  uriPattern: (modelId, name) => new RegExp(`^pinecone://store-suites/qs_ckpt_[a-z0-9]+/${modelId}/${name}$`),
  malformedUris: [
    'pinecone://store-suites/ns/vqc/epoch-1',
    `pinecone://store-suites/ns/vqc/epoch-${'9'.repeat(17)}`,
    'pinecone://Bad_Index/ns/vqc/epoch-0001',
    'memory://vqc/epoch-0001',
  ],
  timeoutMs: 60_000,
});
