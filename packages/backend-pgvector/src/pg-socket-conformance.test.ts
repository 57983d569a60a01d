import { describeVectorBackendConformance } from '@q-store/core/testing';
import { afterAll } from 'vitest';
import { PgvectorBackend } from './pgvector-backend.js';
import { type ServedPglite, servePglite } from './test-support.js';

/** The kit again, through `pg` over the wire protocol: PGlite served over TCP by pglite-socket. */
let served: Promise<ServedPglite> | undefined;
const shared = (): Promise<ServedPglite> => {
  served ??= servePglite();
  return served;
};

afterAll(async () => {
  if (served) await (await served).stop();
});

describeVectorBackendConformance({
  name: 'PgvectorBackend through pg on PGlite over TCP',
  create: async (indexName) => new PgvectorBackend({ indexName, pool: (await shared()).pool }),
  cleanup: async (indexName) => {
    const backend = new PgvectorBackend({ indexName, pool: (await shared()).pool });
    await backend.dropIndex();
    await backend.close();
  },
  timeoutMs: 60_000,
});
