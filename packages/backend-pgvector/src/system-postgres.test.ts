/**
 * Against the machine's PostgreSQL server (not PGlite): what only a real server with many
 * connections shows. Tests that need pgvector on the server skip, with the reason printed, where
 * it is not installed; every test works in its own database or schema and drops it afterwards.
 */
import { createRng } from '@q-store/core';
import { randomVector } from '@q-store/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureExtension, openDriver, type SqlDriver } from './driver.js';
import { PgvectorBackend } from './pgvector-backend.js';
import {
  onSystemPostgres,
  SYSTEM_POSTGRES_URL,
  systemDatabaseUrl,
  systemPgvectorUnavailable,
  systemPostgresUnavailable,
} from './test-support.js';

const noServer = await systemPostgresUnavailable();
const noPgvector = noServer ?? (await systemPgvectorUnavailable());
if (noServer) console.log(`skipping the system PostgreSQL tests: ${noServer}`);
else if (noPgvector) console.log(`skipping the pgvector tests on the system PostgreSQL: ${noPgvector}`);

let counter = 0;
const unique = (label: string) => `qstore_${label}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/** A new database on the server, dropped (connections forced out) after `work`. */
async function withFreshDatabase<T>(work: (url: string, name: string) => Promise<T>): Promise<T> {
  const name = unique('db');
  await onSystemPostgres((c) => c.query(`CREATE DATABASE "${name}"`));
  try {
    return await work(systemDatabaseUrl(name), name);
  } finally {
    await onSystemPostgres((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

describe.skipIf(noServer !== undefined)('the system PostgreSQL server', () => {
  it('8 sessions creating the same extension at once on a fresh database all succeed (lock first)', async () => {
    // pg_trgm ships with PostgreSQL (contrib), so this runs where pgvector is missing; the same
    // function creates `vector` for the backend.
    await withFreshDatabase(async (url) => {
      const drivers: SqlDriver[] = await Promise.all(
        Array.from({ length: 8 }, () => openDriver({ connectionString: url, poolConfig: { max: 2 } })),
      );
      try {
        const results = await Promise.allSettled(drivers.map((driver) => ensureExtension(driver, 'pg_trgm')));
        const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
        expect(failures).toEqual([]);
        const versions = results.map((r) => (r as PromiseFulfilledResult<string>).value);
        expect(new Set(versions).size).toBe(1);
        expect(versions[0]).toMatch(/^\d+\.\d+/);
      } finally {
        await Promise.all(drivers.map((driver) => driver.close()));
      }
    });
  }, 30_000);
});

describe.skipIf(noPgvector !== undefined)('pgvector on the system PostgreSQL server', () => {
  const schema = unique('s');
  const backends: PgvectorBackend[] = [];
  const make = (indexName: string, url = SYSTEM_POSTGRES_URL, extra: { schema?: string } = {}) => {
    const backend = new PgvectorBackend({ indexName, connectionString: url, schema, ...extra });
    backends.push(backend);
    return backend;
  };
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await onSystemPostgres((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  it('8 instances calling ensureIndex at once on a fresh database all succeed', async () => {
    await withFreshDatabase(async (url) => {
      const fleet = Array.from({ length: 8 }, () => make('race', url, { schema: 'public' }));
      const results = await Promise.allSettled(fleet.map((b) => b.ensureIndex({ dimension: 8, metric: 'cosine' })));
      expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      await Promise.all(fleet.map((b) => b.close()));
    });
  }, 60_000);

  it('two writers upserting the same ids in opposite orders never deadlock', async () => {
    const a = make('deadlock');
    const b = make('deadlock');
    await a.ensureIndex({ dimension: 16, metric: 'cosine' });
    await b.ensureIndex({ dimension: 16, metric: 'cosine' });
    const rng = createRng(1);
    const records = Array.from({ length: 500 }, (_, i) => ({
      id: `id-${i}`,
      vector: randomVector(rng, 16),
      metadata: { i },
    }));
    const reversed = [...records].reverse();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled([a.upsert({ records }), b.upsert({ records: reversed })]);
      expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
    }
    expect((await a.stats()).totalRecordCount).toBe(500);
  }, 60_000);

  it('after ensureIndex and a bulk load the planner uses the HNSW index (ANALYZE ran)', async () => {
    const backend = make('analyzed');
    await backend.ensureIndex({ dimension: 32, metric: 'cosine' });
    const rng = createRng(7);
    for (let chunk = 0; chunk < 5; chunk++) {
      const records = Array.from({ length: 1000 }, (_, i) => ({
        id: `r${chunk}-${i}`,
        vector: randomVector(rng, 32),
      }));
      await backend.upsert({ records });
    }
    const plan = await onSystemPostgres(async (c) => {
      const probe = `[${Array.from(randomVector(createRng(99), 32)).join(',')}]`;
      const { rows } = await c.query(
        `EXPLAIN SELECT id FROM "${schema}".qstore_v_analyzed WHERE namespace = '' ORDER BY embedding <=> $1::vector(32) LIMIT 10`,
        [probe],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('qstore_v_analyzed_ann');
  }, 60_000);
});
