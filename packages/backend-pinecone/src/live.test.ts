import { describeVectorBackendConformance } from '@q-store/core/testing';
import { describe, it } from 'vitest';
import { NUMERIC_FIELDS, negatedRangeOnMixedField } from './conformance-options.test-helper.js';
import { PineconeBackend } from './pinecone-backend.js';
import { settlePineconeWrite } from './settle.js';

/**
 * The conformance kit against real Pinecone in shared-index mode — the whole kit on the one index
 * named by `PINECONE_INDEX` (created if missing, 32-d cosine), a fresh namespace per group, emptied
 * afterwards — when `PINECONE_API_KEY` and `PINECONE_INDEX` are set. Otherwise skipped, saying why.
 */
const apiKey = process.env.PINECONE_API_KEY;
const indexName = process.env.PINECONE_INDEX;
const reason =
  apiKey === undefined || apiKey === ''
    ? 'PINECONE_API_KEY is not set'
    : indexName === undefined || indexName === ''
      ? 'PINECONE_INDEX is not set (the name of an index the kit may write to)'
      : undefined;

if (reason !== undefined) {
  console.log(`live Pinecone tests skipped: ${reason}`);
  describe('PineconeBackend against real Pinecone', () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
} else {
  describeVectorBackendConformance({
    name: `PineconeBackend against real Pinecone (index '${indexName}')`,
    create: (name) => new PineconeBackend({ apiKey: apiKey as string, indexName: name, numericFields: NUMERIC_FIELDS }),
    settle: (backend, info) => settlePineconeWrite(backend, info, { deadlineMs: 60_000 }),
    sharedIndex: { indexName: indexName as string },
    refusesFilter: (node) => negatedRangeOnMixedField(node),
    timeoutMs: 180_000,
  });
}
