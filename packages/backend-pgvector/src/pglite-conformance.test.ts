import { describeVectorBackendConformance } from '@q-store/core/testing';
import { afterAll } from 'vitest';
import { openEmbeddedPostgres, type PgliteLike } from './driver.js';
import { PgvectorBackend } from './pgvector-backend.js';

/** One in-process PGlite for the whole kit; each suite gets its own table (index name). */
let db: Promise<PgliteLike> | undefined;
const shared = (): Promise<PgliteLike> => {
  db ??= openEmbeddedPostgres();
  return db;
};

afterAll(async () => {
  if (db) await (await db).close();
});

describeVectorBackendConformance({
  name: 'PgvectorBackend on in-process PGlite',
  create: async (indexName) => new PgvectorBackend({ indexName, pglite: await shared() }),
  cleanup: async (indexName) => {
    const backend = new PgvectorBackend({ indexName, pglite: await shared() });
    await backend.dropIndex();
    await backend.close();
  },
  timeoutMs: 60_000,
});
