import type { FilterNode, VectorBackend } from '@q-store/core';
import { describeVectorBackendConformance, type SettleInfo } from '@q-store/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { NUMERIC_FIELDS, negatedRangeOnMixedField } from './conformance-options.test-helper.js';
import { PineconeBackend } from './pinecone-backend.js';
import { settlePineconeWrite } from './settle.js';
import { PineconeEmulator } from './testing/index.js';

/**
 * Core's conformance kit against PineconeBackend on the in-process emulator, with a visibility
 * delay so that the kit's `settle` hook (PineconeBackend.waitForVisibility) is really needed.
 */
const API_KEY = 'pcsk_conformance_0123456789';
const emulator = new PineconeEmulator({ apiKey: API_KEY, visibilityDelayMs: 25 });

beforeAll(() => emulator.start());
afterAll(() => emulator.stop());

const open = (indexName: string) =>
  new PineconeBackend({
    apiKey: API_KEY,
    indexName,
    controllerHostUrl: emulator.url,
    retry: { baseDelayMs: 5, maxDelayMs: 100 },
    numericFields: NUMERIC_FIELDS,
  });

const common = {
  create: (indexName: string) => open(indexName),
  cleanup: async (indexName: string) => {
    const backend = open(indexName);
    await backend.dropIndex();
    await backend.close();
  },
  settle: (backend: VectorBackend, info: SettleInfo) => settlePineconeWrite(backend, info, { deadlineMs: 10_000 }),
  refusesFilter: (filter: FilterNode) => negatedRangeOnMixedField(filter),
  timeoutMs: 60_000,
};

describeVectorBackendConformance({ name: 'PineconeBackend on the emulator', ...common });
describeVectorBackendConformance({
  name: 'PineconeBackend on the emulator, shared-index mode',
  sharedIndex: true,
  ...common,
});
