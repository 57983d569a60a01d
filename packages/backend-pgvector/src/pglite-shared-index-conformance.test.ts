import { describeVectorBackendConformance } from '@q-store/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedPostgres, type PgliteLike } from './driver.js';
import { PgvectorBackend } from './pgvector-backend.js';

// The kit's shared-index mode: every group on one table, in namespaces of its own, as on a managed
// Postgres where each table counts. A file of its own, so it runs beside pglite-conformance.test.ts.
let db: PgliteLike | undefined;
beforeAll(async () => {
  db = await openEmbeddedPostgres();
}, 60_000);
afterAll(() => db?.close());

function client(indexName: string): PgvectorBackend {
  if (!db) throw new Error('PGlite did not open');
  return new PgvectorBackend({ indexName, pglite: db });
}

const indexNames = new Set<string>();
describeVectorBackendConformance({
  name: 'PgvectorBackend on in-process PGlite',
  create: (indexName) => {
    indexNames.add(indexName);
    return client(indexName);
  },
  sharedIndex: true,
  timeoutMs: 60_000,
});

describe('shared-index mode on PGlite', () => {
  it('ran every group on one table and dropped it after', async () => {
    expect(indexNames.size).toBe(1);
    const backend = client([...indexNames][0] as string);
    expect(await backend.describeIndex()).toBeNull();
    await backend.close();
  });
});
