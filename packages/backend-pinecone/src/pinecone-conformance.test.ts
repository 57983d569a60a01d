import type { FilterNode, VectorBackend } from '@q-store/core';
import { describeVectorBackendConformance, type SettleInfo } from '@q-store/core/testing';
import { afterAll, beforeAll } from 'vitest';
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

/** The kit's dataset: these fields hold a number wherever they are present (see makeFilterDataset). */
const NUMERIC_FIELDS = ['price', 'year', 'rating'];

/**
 * Pinecone's documented limit, stated apart from the compiler: a range under an odd number of
 * `$not`s on a field that may hold strings (core's "not greater" matches the strings; no Pinecone
 * operator selects them). The kit then expects UnsupportedFilterError, never results.
 */
function negatedRangeOnMixedField(node: FilterNode, negated = false): boolean {
  if (node.type === 'not') return negatedRangeOnMixedField(node.child, !negated);
  if (node.type === 'and' || node.type === 'or') return node.children.some((c) => negatedRangeOnMixedField(c, negated));
  const range = node.op === '$gt' || node.op === '$gte' || node.op === '$lt' || node.op === '$lte';
  return negated && range && !NUMERIC_FIELDS.includes(node.field);
}

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
