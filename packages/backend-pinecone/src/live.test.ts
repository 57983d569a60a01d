import { describeVectorBackendConformance } from '@q-store/core/testing';
import { describe, it } from 'vitest';
import { PineconeBackend } from './pinecone-backend.js';

/**
 * The conformance kit against real Pinecone, in shared-index mode (one existing index, a fresh
 * namespace per suite, so no index is created or dropped), when `PINECONE_API_KEY` and
 * `PINECONE_INDEX` are set. Otherwise skipped, saying why.
 */
const apiKey = process.env.PINECONE_API_KEY;
const indexName = process.env.PINECONE_INDEX;
const reason =
  apiKey === undefined || apiKey === ''
    ? 'PINECONE_API_KEY is not set'
    : indexName === undefined || indexName === ''
      ? 'PINECONE_INDEX is not set (the name of an existing index the kit may write to)'
      : undefined;

if (reason !== undefined) {
  console.log(`live Pinecone tests skipped: ${reason}`);
  describe('PineconeBackend against real Pinecone', () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
} else {
  describeVectorBackendConformance({
    name: `PineconeBackend against real Pinecone (index '${indexName}')`,
    create: () => new PineconeBackend({ apiKey: apiKey as string, indexName: indexName as string }),
    timeoutMs: 120_000,
  });
}
