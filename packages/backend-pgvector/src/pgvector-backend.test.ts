import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  createBackend,
  createRng,
  evaluateFilter,
  type Metadata,
  PartialWriteError,
  score,
  type VectorBackend,
} from '@q-store/core';
import { PluginRegistry, parseFilter } from '@q-store/core/backend';
import { randomVector } from '@q-store/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCheckpointStore } from './checkpoint-store.js';
import { ensureVectorExtension, openDriver, openEmbeddedPostgres, type PgliteLike } from './driver.js';
import { PgvectorExtensionMissingError } from './errors.js';
import { compileFilter } from './filter-compiler.js';
import { PgvectorBackend } from './pgvector-backend.js';
import { registerPgvector } from './registry.js';
import { SqlParams } from './sql.js';
import { PgStateStore } from './state-store.js';
import {
  onSystemPostgres,
  type ServedPglite,
  SYSTEM_POSTGRES_URL,
  servePglite,
  systemHasPgvector,
  systemPostgresUnavailable,
} from './test-support.js';
import { PgTrainingStore } from './training-store.js';

let db: PgliteLike;
let served: ServedPglite;
let counter = 0;
const fresh = (label: string): string => `t-${label}-${Date.now().toString(36)}-${counter++}`;

beforeAll(async () => {
  [db, served] = await Promise.all([openEmbeddedPostgres(), servePglite()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.close(), served?.stop()]);
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often PostgreSQL scanned the backend's approximate index (statistics flushed first). */
async function annScans(indexName: string): Promise<number> {
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<{ scans: number }>(
    'SELECT idx_scan::integer AS scans FROM pg_stat_user_indexes WHERE indexrelname = $1',
    [`qstore_v_${indexName.replaceAll('-', '_')}_ann`],
  );
  return rows[0]?.scans ?? -1;
}

describe('a PostgreSQL without pgvector', () => {
  it('gives a typed error that names the fix (the machine’s PostgreSQL 15)', async (ctx) => {
    const reason = await systemPostgresUnavailable();
    if (reason) {
      console.log(`skipping the extension-missing test: ${reason}`);
      return ctx.skip(reason);
    }
    if (await systemHasPgvector()) {
      const why = `PostgreSQL at ${SYSTEM_POSTGRES_URL} has pgvector installed, so it cannot show the missing-extension error`;
      console.log(`skipping the extension-missing test: ${why}`);
      return ctx.skip(why);
    }
    const applicationName = `qstore-ext-${counter++}`;
    // Its own schema, dropped afterwards, so nothing is left behind whatever the backend created.
    const schema = `qstore_noext_${process.pid}_${counter++}`;
    const backend = new PgvectorBackend({
      indexName: 'needs-pgvector',
      schema,
      connectionString: SYSTEM_POSTGRES_URL,
      poolConfig: { application_name: applicationName },
    });
    try {
      const error = await backend.ensureIndex({ dimension: 3, metric: 'cosine' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PgvectorExtensionMissingError);
      expect(error).toMatchObject({ code: 'SERVICE', retryable: false, name: 'PgvectorExtensionMissingError' });
      const message = (error as Error).message;
      expect(message).toContain('CREATE EXTENSION vector');
      expect(message).toMatch(/install/i);
      expect(message).toContain('embedded');
      expect(await backend.describeIndex()).toBeNull();
    } finally {
      await backend.close();
      const left = await onSystemPostgres(async (client) => {
        const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        return found.rowCount;
      });
      // A failed first step creates nothing: not even the schema.
      expect(left).toBe(0);
    }
    // The backend created the pool from the connection string, so close() ended it.
    const rows = await onSystemPostgres(
      async (check) =>
        (
          await check.query<{ n: number }>(
            'SELECT count(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          )
        ).rows,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('an unreachable server is a retryable CONNECTION error without the password', async () => {
    const backend = new PgvectorBackend({
      indexName: 'nowhere',
      connectionString: 'postgres://app:s3cret-pw@127.0.0.1:1/db',
      poolConfig: { connectionTimeoutMillis: 2000 },
    });
    const error = await backend.ensureIndex({ dimension: 3, metric: 'dot' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTION', retryable: true });
    expect(String((error as Error).message)).toContain('127.0.0.1:1');
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('s3cret-pw');
    await backend.close();
  });
});

describe('injection attempts are rejected or harmless', () => {
  let backend: PgvectorBackend;
  const indexName = fresh('inject');
  beforeAll(async () => {
    backend = new PgvectorBackend({ indexName, pglite: db });
    await backend.ensureIndex({ dimension: 3, metric: 'euclidean' });
  });
  afterAll(() => backend.close());

  const hostile = [
    "'; DROP TABLE qstore_indexes; --",
    `x'); DELETE FROM qstore_v_${indexName.replaceAll('-', '_')}; --`,
    'a" OR "1"="1',
    '$1::text',
    '\\x00 back\\slash',
  ];

  it('ids and metadata values are stored and returned verbatim; the tables stay intact', async () => {
    await backend.upsert({
      records: hostile.map((id, i) => ({ id, vector: [i, 1, 2], metadata: { note: id, i } })),
      namespace: 'ns',
    });
    const fetched = await backend.fetch({ ids: hostile, namespace: 'ns' });
    expect([...fetched.records.keys()].sort()).toEqual([...hostile].sort());
    for (const id of hostile) expect(fetched.records.get(id)?.metadata?.note).toBe(id);
    const byValue = await backend.query({ vector: [0, 1, 2], topK: 10, namespace: 'ns', filter: { note: hostile[0] } });
    expect(byValue.matches.map((m) => m.id)).toEqual([hostile[0]]);
    const listed: string[] = [];
    for await (const id of backend.list({ namespace: 'ns', prefix: "'" })) listed.push(id);
    expect(listed).toEqual([hostile[0]]);
    expect((await backend.stats()).totalRecordCount).toBe(hostile.length);
    expect((await db.query("SELECT to_regclass('qstore_indexes') IS NOT NULL AS ok")).rows[0]).toEqual({ ok: true });
    await backend.delete({ ids: [hostile[1] as string], namespace: 'ns' });
    expect((await backend.stats()).totalRecordCount).toBe(hostile.length - 1);
  });

  it('hostile metadata keys, filter keys, namespaces, index and schema names are rejected', async () => {
    await expect(
      backend.upsert({ records: [{ id: 'k', vector: [1, 1, 1], metadata: { "a'); DROP TABLE x; --": 1 } }] }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(backend.query({ vector: [1, 1, 1], topK: 1, filter: { "x' OR 1=1 --": 1 } })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
    });
    await expect(
      backend.query({ vector: [1, 1, 1], topK: 1, filter: { $or: [{ 'a->>0': 1 }, { ok: 1 }] } }),
    ).rejects.toMatchObject({ code: 'INVALID_FILTER' });
    await expect(backend.query({ vector: [1, 1, 1], topK: 1, namespace: "'; DROP TABLE x; --" })).rejects.toMatchObject(
      {
        code: 'VALIDATION',
      },
    );
    expect(() => new PgvectorBackend({ indexName: 'x"; DROP TABLE y; --', pglite: db })).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    expect(
      () => new PgvectorBackend({ indexName: 'ok', schema: 'public"; DROP SCHEMA public; --', pglite: db }),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    // A hand-built AST bypassing the parser is still checked by the compiler.
    expect(() =>
      compileFilter({ type: 'field', field: "k') OR true --", op: '$eq', value: 1 }, new SqlParams(), 'metadata'),
    ).toThrow(expect.objectContaining({ code: 'INVALID_FILTER' }));
    expect((await backend.stats()).totalRecordCount).toBe(hostile.length - 1);
  });
});

describe('filter compiler', () => {
  it('puts keys and values in placeholders, never in SQL text', () => {
    const params = new SqlParams();
    const sql = compileFilter(
      parseFilter({ $or: [{ genre: 'drama' }, { year: { $gte: 2000 } }, { tags: { $in: ['x', 7] } }] }) as never,
      params,
      'metadata',
    );
    expect(sql).not.toContain('drama');
    expect(sql).not.toContain('genre');
    expect(sql).not.toContain('2000');
    expect(params.values).toContain('year');
    expect(params.values).toContain(2000);
  });

  it('matches the reference evaluator on edge cases: types, lists, missing keys, no metadata', async () => {
    const backend = new PgvectorBackend({ indexName: fresh('edge'), pglite: db });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const rows: Array<{ id: string; metadata?: Metadata }> = [
      { id: 'none' },
      { id: 'empty', metadata: {} },
      { id: 'num5', metadata: { v: 5 } },
      { id: 'str5', metadata: { v: '5' } },
      { id: 'float', metadata: { v: 5.5 } },
      { id: 'big', metadata: { v: 1e300 } },
      { id: 'bool', metadata: { v: true } },
      { id: 'list', metadata: { v: ['5', 'x'] } },
      { id: 'emptylist', metadata: { v: [] } },
      { id: 'neg', metadata: { v: -0.5 } },
    ];
    await backend.upsert({ records: rows.map((r, i) => ({ ...r, vector: [1, i] })) });
    const filters = [
      { v: 5 },
      { v: '5' },
      { v: { $ne: 5 } },
      { v: { $ne: '5' } },
      { v: { $gt: 4 } },
      { v: { $gte: 5 } },
      { v: { $lt: 5.5 } },
      { v: { $lte: 1e300 } },
      { v: { $gt: -1e308 } },
      { v: { $in: [5, 'x'] } },
      { v: { $in: ['5'] } },
      { v: { $in: [true] } },
      { v: { $in: [] } },
      { v: { $nin: [5, '5'] } },
      { v: { $nin: [] } },
      { v: { $exists: true } },
      { v: { $exists: false } },
      { v: { $not: { $gt: 0 } } },
      { $not: { v: { $in: ['x'] } } },
      { $and: [{ v: { $exists: true } }, { $or: [{ v: true }, { v: { $lt: 0 } }] }] },
      // Merged into one array parameter by the compiler: the same rows as the separate clauses.
      { $or: [{ v: 5 }, { v: 'x' }, { v: { $in: ['5'] } }, { v: { $gt: 5 } }] },
      { $or: [{ v: true }, { w: 1 }, { v: 5.5 }, { v: { $in: [-0.5] } }] },
      { $and: [{ v: { $ne: 5 } }, { v: { $nin: ['x'] } }, { v: { $ne: '5' } }] },
      { $and: [{ v: { $ne: true } }, { v: { $exists: true } }, { v: { $ne: 1e300 } }] },
    ];
    for (const filter of filters) {
      const expected = rows
        .filter((r) => evaluateFilter(parseFilter(filter), r.metadata))
        .map((r) => r.id)
        .sort();
      const result = await backend.query({ vector: [1, 0], topK: 100, filter, exact: true });
      expect(result.matches.map((m) => m.id).sort(), JSON.stringify(filter)).toEqual(expected);
      const approximate = await backend.query({ vector: [1, 0], topK: 100, filter });
      expect(approximate.matches.map((m) => m.id).sort(), JSON.stringify(filter)).toEqual(expected);
    }
    await backend.dropIndex();
    await backend.close();
  });
});

describe('filters past the 65,535 parameters of PostgreSQL', () => {
  it('a 40,001-clause $or of equalities is one array parameter and answers through pg', async () => {
    const backend = new PgvectorBackend({ indexName: fresh('bigor'), pool: served.pool });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({
      records: [
        { id: 'a', vector: [1, 0], metadata: { n: 7 } },
        { id: 'b', vector: [1, 1], metadata: { n: 40_000 } },
        { id: 'c', vector: [1, 2], metadata: { n: 40_001 } },
        { id: 'd', vector: [1, 3], metadata: { s: 'k123' } },
      ],
    });
    const equalities = Array.from({ length: 40_001 }, (_, i) => ({ n: i }));
    const strings = Array.from({ length: 40_001 }, (_, i) => ({ s: `k${i}` }));
    for (const [filter, ids] of [
      [{ $or: equalities }, ['a', 'b']],
      [{ $or: [...equalities, ...strings] }, ['a', 'b', 'd']],
      [{ $and: Array.from({ length: 40_001 }, (_, i) => ({ n: { $ne: i } })) }, ['c', 'd']],
    ] as const) {
      for (const exact of [true, false]) {
        const result = await backend.query({ vector: [1, 0], topK: 10, filter, exact });
        expect(result.matches.map((m) => m.id).sort()).toEqual(ids);
      }
    }
    expect(await backend.delete({ filter: { $or: equalities } })).toEqual({ deletedCount: 2 });
    await backend.dropIndex();
    await backend.close();
  }, 60_000);

  it('a filter that still needs more placeholders is INVALID_FILTER naming the limit, not CONNECTION', async () => {
    const backend = new PgvectorBackend({ indexName: fresh('bigrange'), pool: served.pool });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({ records: [{ id: 'a', vector: [1, 0], metadata: { n: 1 } }] });
    const filter = { $or: Array.from({ length: 40_001 }, (_, i) => ({ n: { $gt: i } })) };
    for (const run of [
      () => backend.query({ vector: [1, 0], topK: 1, filter }),
      () => backend.query({ vector: [1, 0], topK: 1, filter, exact: true }),
      () => backend.delete({ filter }),
    ]) {
      const error = await run().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_FILTER', retryable: false });
      expect((error as { issues: Array<{ limit?: number }> }).issues[0]?.limit).toBe(65_535 - 16);
      expect((error as Error).message + JSON.stringify(error)).toMatch(/65535|65,535/);
    }
    expect((await backend.stats()).totalRecordCount).toBe(1);
    await backend.dropIndex();
    await backend.close();
  }, 60_000);
});

describe('writes and statistics through pg', () => {
  it('ANALYZE runs after a bulk load, so the planner answers through the HNSW index', async () => {
    const indexName = fresh('analyze');
    const backend = new PgvectorBackend({ indexName, pool: served.pool });
    await backend.ensureIndex({ dimension: 16, metric: 'cosine' });
    const rng = createRng(5);
    for (let chunk = 0; chunk < 3; chunk++) {
      const records = Array.from({ length: 1000 }, (_, i) => ({ id: `r${chunk}-${i}`, vector: randomVector(rng, 16) }));
      await backend.upsert({ records });
    }
    const table = `qstore_v_${indexName.replaceAll('-', '_')}`;
    const { rows } = await served.pool.query(
      `EXPLAIN SELECT id FROM ${table} WHERE namespace = '' ORDER BY embedding <=> $1::vector(16) LIMIT 10`,
      [`[${Array.from(randomVector(rng, 16)).join(',')}]`],
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(`${table}_ann`);
    const stats = await served.pool.query('SELECT reltuples::integer AS n FROM pg_class WHERE relname = $1', [table]);
    expect(stats.rows[0]?.n).toBeGreaterThanOrEqual(1000);
    await backend.dropIndex();
    await backend.close();
  }, 60_000);

  it('upserts send rows in id order (concurrent writers of the same ids lock them in one order)', async () => {
    const sent: unknown[][] = [];
    const pool = served.pool;
    const spy = new Proxy(pool, {
      get(target, key, receiver) {
        if (key !== 'connect') return Reflect.get(target, key, receiver);
        return async () => {
          const client = await target.connect();
          return new Proxy(client, {
            get(c, k, r) {
              if (k !== 'query') return Reflect.get(c, k, r);
              return (text: unknown, values?: unknown[]) => {
                if (typeof text === 'string' && text.includes('INSERT INTO') && values) sent.push(values);
                return c.query(text as string, values);
              };
            },
          });
        };
      },
    });
    const backend = new PgvectorBackend({ indexName: fresh('order'), pool: spy });
    await backend.ensureIndex({ dimension: 4, metric: 'dot' });
    const ids = ['m', 'b', 'z', 'a', 'é', 'A', '10', '9'];
    await backend.upsert({ records: ids.map((id, i) => ({ id, vector: [i, 1, 2, 3] })) });
    const written = sent.find((values) => Array.isArray(values[1]) && (values[1] as string[]).includes('é'));
    expect(written?.[1]).toEqual([...ids].sort());
    // Each vector landed under its own id, exactly.
    const fetched = await backend.fetch({ ids, includeVectors: true });
    for (const [i, id] of ids.entries()) {
      expect(Array.from(fetched.records.get(id)?.vector ?? [])).toEqual([i, 1, 2, 3]);
    }
    await backend.dropIndex();
    await backend.close();
  });
});

describe('vector column storage', () => {
  it('stays out of line with an approximate index (filters read small rows), inline with none', async () => {
    for (const [type, expected] of [
      ['hnsw', 'e'],
      ['ivfflat', 'e'],
      ['none', 'p'],
    ] as const) {
      const indexName = fresh(`storage-${type}`);
      const backend = new PgvectorBackend({ indexName, pglite: db, index: { type } });
      await backend.ensureIndex({ dimension: 8, metric: 'cosine' });
      const { rows } = await db.query<{ s: string }>(
        `SELECT attstorage AS s FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'`,
        [`qstore_v_${indexName.replaceAll('-', '_')}`],
      );
      expect(rows[0]?.s, type).toBe(expected);
      await backend.dropIndex();
      await backend.close();
    }
  });
});

describe('secrets and malformed connection options', () => {
  const SECRET = 'pw-Very-Secret-42';
  it('util.inspect and JSON.stringify of the backend and the stores never show the password', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'app', password: SECRET, database: 'db' });
    const made = [
      new PgvectorBackend({ indexName: 'secret', connectionString: `postgres://app:${SECRET}@127.0.0.1:1/db` }),
      new PgvectorBackend({
        indexName: 'secret',
        connectionString: 'postgres://app@127.0.0.1:1/db',
        poolConfig: { password: SECRET },
      }),
      new PgvectorBackend({ indexName: 'secret', pool }),
      new PgStateStore({ connectionString: `postgres://app:${SECRET}@127.0.0.1:1/db` }),
      new PgTrainingStore({ pool }),
      new PgCheckpointStore({ connectionString: `postgresql://app:${SECRET}@127.0.0.1:1/db` }),
    ];
    for (const thing of made) {
      const views = [
        inspect(thing, { depth: 20, showHidden: true }),
        inspect({ nested: [thing] }, { depth: 20 }),
        JSON.stringify(thing),
        JSON.stringify({ thing }),
      ];
      for (const view of views) {
        expect(view).not.toContain(SECRET);
        expect(view).toContain('127.0.0.1:1');
      }
    }
    // Also after a failed first call has opened the driver and its pool.
    const backend = made[0] as PgvectorBackend;
    await backend.describeIndex().catch(() => undefined);
    expect(inspect(backend, { depth: 20, showHidden: true }) + JSON.stringify(backend)).not.toContain(SECRET);
    await Promise.all(made.map((thing) => thing.close()));
    await pool.end();
  });

  it('a malformed pg URL or port fails at construction as VALIDATION naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ connectionString: `postgres://app:${SECRET}@127.0.0.1:99999/db` }, 'connectionString'],
      [{ connectionString: `postgres://app:${SECRET}@127.0.0.1:0/db` }, 'connectionString.port'],
      [{ connectionString: `postgres://app:${SECRET}@127.0.0.1:5x/db` }, 'connectionString'],
      [{ connectionString: `postgres://app:${SECRET}@[::1/db` }, 'connectionString'],
      [{ connectionString: `postgres://app:${SECRET}@/db` }, 'connectionString'],
      [{ connectionString: 'postgres://app@127.0.0.1/db', poolConfig: { port: 70_000 } }, 'poolConfig.port'],
      [{ connectionString: 'postgres://app@127.0.0.1/db', poolConfig: { port: 'x' } }, 'poolConfig.port'],
    ];
    for (const [connection, field] of cases) {
      const builds = [
        () => new PgvectorBackend({ indexName: 'bad', ...(connection as { connectionString: string }) }),
        () => new PgStateStore(connection as { connectionString: string }),
      ];
      for (const build of builds) {
        let error: unknown;
        try {
          build();
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(connection.poolConfig ?? field)).toMatchObject({ code: 'VALIDATION' });
        const issues = (error as { issues: Array<{ field: string }> }).issues;
        expect(issues.map((i) => i.field)).toContain(field);
        expect(inspect(error, { depth: 10 }) + JSON.stringify(error)).not.toContain(SECRET);
      }
    }
    // Forms pg takes besides a URL still pass.
    expect(() => new PgStateStore({ connectionString: 'socket:/var/run/postgresql?db=x' })).not.toThrow();
  });
});

describe('timestamps', () => {
  it.each(['pglite', 'pg'] as const)(
    'a replacing upsert keeps created_at and moves updated_at (%s path)',
    async (path) => {
      const indexName = fresh(`ts-${path}`);
      const backend =
        path === 'pglite'
          ? new PgvectorBackend({ indexName, pglite: db })
          : new PgvectorBackend({ indexName, pool: served.pool });
      const raw = path === 'pglite' ? db : served.db;
      await backend.ensureIndex({ dimension: 2, metric: 'dot' });
      await backend.upsert({ records: [{ id: 'r', vector: [1, 2], metadata: { v: 1 } }] });
      const read = async () =>
        (
          await raw.query<{ created: string; updated: string }>(
            `SELECT created_at::text AS created, updated_at::text AS updated FROM qstore_v_${indexName.replaceAll('-', '_')}`,
          )
        ).rows;
      const [first] = await read();
      await sleep(20);
      await backend.upsert({ records: [{ id: 'r', vector: [3, 4], metadata: { v: 2 } }] });
      const after = await read();
      expect(after).toHaveLength(1);
      expect(after[0]?.created).toBe(first?.created);
      expect(after[0]?.updated).not.toBe(first?.updated);
      expect((await backend.fetch({ ids: ['r'] })).records.get('r')?.metadata).toEqual({ v: 2 });
      await backend.dropIndex();
      await backend.close();
    },
  );
});

describe('approximate search', () => {
  const dimension = 32;
  const count = 3000;
  const rng = createRng(2024);
  const records = Array.from({ length: count }, (_, i) => ({
    id: `v-${i}`,
    vector: randomVector(rng, dimension),
    metadata: { group: i % 20, tag: i % 2 === 0 ? 'even' : 'odd' },
  }));
  const queries = Array.from({ length: 20 }, () => randomVector(rng, dimension));

  function recallAt10(approximate: string[], exact: string[]): number {
    const truth = new Set(exact);
    return approximate.filter((id) => truth.has(id)).length / exact.length;
  }

  it('HNSW (the default) answers non-exact queries through the index, with high recall', async () => {
    const indexName = fresh('hnsw');
    // ef_search 40: on a table this small the planner prefers an exact scan to a wider graph search.
    const backend = new PgvectorBackend({
      indexName,
      pglite: db,
      index: { type: 'hnsw', m: 16, efConstruction: 64, efSearch: 40, deferBuild: true },
    });
    await backend.ensureIndex({ dimension, metric: 'cosine' });
    await backend.upsert({ records });
    expect(await backend.hasApproximateIndex()).toBe(false);
    await backend.buildIndex();
    expect(await backend.hasApproximateIndex()).toBe(true);
    const before = await annScans(indexName);
    let recall = 0;
    for (const vector of queries) {
      const exact = await backend.query({ vector, topK: 10, exact: true, includeMetadata: false });
      const approximate = await backend.query({ vector, topK: 10, includeMetadata: false });
      recall += recallAt10(
        approximate.matches.map((m) => m.id),
        exact.matches.map((m) => m.id),
      );
      for (const m of approximate.matches) {
        const stored = records[Number(m.id.slice(2))]?.vector as Float32Array;
        expect(m.score).toBeCloseTo(score('cosine', vector, stored), 5);
      }
    }
    const scans = (await annScans(indexName)) - before;
    expect(scans, 'non-exact queries used the HNSW index; exact ones did not').toBe(queries.length);
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.9);
    // A wider candidate list per query (the planner may then prefer an exact scan of this small table).
    const wide = await backend.query({
      vector: queries[1] as Float32Array,
      topK: 10,
      options: { pgvector: { efSearch: 400 } },
    });
    const truth = await backend.query({ vector: queries[1] as Float32Array, topK: 10, exact: true });
    expect(wide.matches.map((m) => m.id)).toEqual(truth.matches.map((m) => m.id));
    // A selective filter (5%) still fills topK: pgvector's iterative scan continues past ef_search.
    const filtered = await backend.query({ vector: queries[0] as Float32Array, topK: 40, filter: { group: 3 } });
    expect(filtered.matches).toHaveLength(40);
    for (const m of filtered.matches) expect(m.metadata?.group).toBe(3);
    await expect(
      backend.query({ vector: queries[0] as Float32Array, topK: 1, options: { pgvector: { efSearch: 0 } } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ field: 'options.pgvector.efSearch' })],
    });
    // Unknown keys and options on calls that take none are refused, naming the key; other backends' entries are ignored.
    await expect(
      backend.query({ vector: queries[0] as Float32Array, topK: 1, options: { pgvector: { efsearch: 10 } } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ field: 'options.pgvector.efsearch' })],
    });
    await expect(backend.stats({ options: { pgvector: { efSearch: 10 } } })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ field: 'options.pgvector.efSearch' })],
    });
    const other = await backend.query({
      vector: queries[0] as Float32Array,
      topK: 3,
      options: { qdrant: { hnswEf: 5 } },
    });
    expect(other.matches).toHaveLength(3);
    await backend.dropIndex();
    await backend.close();
  }, 60_000);

  it('a filter matching few rows is answered exactly (real count, capped); a broad one through the index', async () => {
    const indexName = fresh('selective');
    const backend = new PgvectorBackend({
      indexName,
      pglite: db,
      index: { type: 'hnsw', m: 4, efConstruction: 8, efSearch: 10, exactBelow: 200 },
    });
    await backend.ensureIndex({ dimension, metric: 'cosine' });
    // 0.5 % of the rows are 'rare'; a weak graph (m 4) so a filtered graph search would miss some.
    const rows = records.map((r, i) => ({
      ...r,
      metadata: { ...r.metadata, kind: i % 200 === 7 ? 'rare' : 'common' },
    }));
    await backend.upsert({ records: rows });
    let recall = 0;
    const before = await annScans(indexName);
    for (const vector of queries) {
      const exact = await backend.query({ vector, topK: 10, exact: true, filter: { kind: 'rare' } });
      const chosen = await backend.query({ vector, topK: 10, filter: { kind: 'rare' } });
      expect(chosen.matches.map((m) => m.id)).toEqual(exact.matches.map((m) => m.id));
      expect(chosen.matches.map((m) => m.score)).toEqual(exact.matches.map((m) => m.score));
      recall += recallAt10(
        chosen.matches.map((m) => m.id),
        exact.matches.map((m) => m.id),
      );
    }
    expect(recall / queries.length).toBe(1);
    expect(await annScans(indexName), 'selective filters never touched the index').toBe(before);
    // 99.5 % of the rows: above the cap, the index answers.
    const broad = await backend.query({ vector: queries[0] as Float32Array, topK: 10, filter: { kind: 'common' } });
    expect(broad.matches).toHaveLength(10);
    expect(await annScans(indexName)).toBeGreaterThan(before);
    // includeVectors and includeMetadata work on the exact branch too.
    const full = await backend.query({
      vector: queries[0] as Float32Array,
      topK: 3,
      filter: { kind: 'rare' },
      includeVectors: true,
    });
    const first = full.matches[0];
    expect(first?.metadata?.kind).toBe('rare');
    expect(Array.from(first?.vector ?? [])).toEqual(Array.from(records[Number(first?.id.slice(2))]?.vector ?? []));
    expect(() => new PgvectorBackend({ indexName, pglite: db, index: { type: 'hnsw', exactBelow: -1 } })).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    await backend.dropIndex();
    await backend.close();
  }, 60_000);

  it('HNSW with a filter that only far rows pass still returns them (exact rerun past max_scan_tuples)', async () => {
    const indexName = fresh('far');
    // exactBelow 0: the graph search is tried first whatever the filter matches (the rerun under test).
    const backend = new PgvectorBackend({
      indexName,
      pglite: db,
      index: { type: 'hnsw', deferBuild: true, exactBelow: 0 },
    });
    await backend.ensureIndex({ dimension: 4, metric: 'euclidean' });
    const near = createRng(7);
    // 30,000 rows around the query, 10 far away: the iterative scan gives up after
    // hnsw.max_scan_tuples (20,000) candidates, all near ones, before reaching any far row.
    const bulk = Array.from({ length: 30_000 }, (_, i) => ({
      id: `n-${i}`,
      vector: Float32Array.from({ length: 4 }, () => near.normal()),
    }));
    const far = Array.from({ length: 10 }, (_, i) => ({
      id: `f-${i}`,
      vector: Float32Array.of(100 + i, 100, 100, 100),
      metadata: { far: true },
    }));
    await backend.upsert({ records: [...bulk, ...far] });
    await backend.buildIndex();
    const before = await annScans(indexName);
    const result = await backend.query({ vector: [0, 0, 0, 0], topK: 10, filter: { far: true } });
    expect((await annScans(indexName)) - before, 'the approximate index was tried first').toBe(1);
    expect(result.matches.map((m) => m.id)).toEqual(far.map((r) => r.id));
    // Not enough matches at all: the exact rerun returns every one there is.
    const few = await backend.query({ vector: [0, 0, 0, 0], topK: 20, filter: { far: true } });
    expect(few.matches).toHaveLength(10);
    await backend.dropIndex();
    await backend.close();
  }, 120_000);

  it('IVFFlat built after loading (deferBuild, buildIndex) finds the exact top 10 with probes = lists', async () => {
    const indexName = fresh('ivf');
    const backend = new PgvectorBackend({
      indexName,
      pglite: db,
      index: { type: 'ivfflat', lists: 20, probes: 2, deferBuild: true },
    });
    await backend.ensureIndex({ dimension, metric: 'euclidean' });
    await backend.upsert({ records });
    expect(await backend.hasApproximateIndex()).toBe(false);
    await backend.buildIndex();
    expect(await backend.hasApproximateIndex()).toBe(true);
    const before = await annScans(indexName);
    for (const vector of queries.slice(0, 5)) {
      const exact = await backend.query({ vector, topK: 10, exact: true });
      const all = await backend.query({ vector, topK: 10, options: { pgvector: { probes: 20 } } });
      expect(all.matches.map((m) => m.id)).toEqual(exact.matches.map((m) => m.id));
    }
    expect((await annScans(indexName)) - before).toBe(5);
    await backend.dropIndex();
    await backend.close();
  }, 60_000);

  it('over 2,000 dimensions indexes a halfvec expression; over 4,000 needs index none', async () => {
    const wide = 2500;
    const indexName = fresh('half');
    const backend = new PgvectorBackend({ indexName, pglite: db });
    await backend.ensureIndex({ dimension: wide, metric: 'dot' });
    const data = Array.from({ length: 50 }, (_, i) => ({ id: `w-${i}`, vector: randomVector(rng, wide) }));
    await backend.upsert({ records: data });
    const { rows } = await db.query<{ def: string }>('SELECT indexdef AS def FROM pg_indexes WHERE indexname = $1', [
      `qstore_v_${indexName.replaceAll('-', '_')}_ann`,
    ]);
    expect(rows[0]?.def).toContain('halfvec(2500)');
    const query = data[7]?.vector as Float32Array;
    const result = await backend.query({ vector: query, topK: 3 });
    expect(result.matches[0]?.score).toBeCloseTo(score('dot', query, query), 1);
    const fetched = await backend.fetch({ ids: ['w-7'] });
    expect(fetched.records.get('w-7')?.vector).toEqual(query); // stored at full precision
    await backend.dropIndex();
    await backend.close();

    const tooWide = new PgvectorBackend({ indexName: fresh('wide'), pglite: db });
    await expect(tooWide.ensureIndex({ dimension: 5000, metric: 'cosine' })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ field: 'dimension' })],
    });
    const exactOnly = new PgvectorBackend({ indexName: fresh('wide'), pglite: db, index: { type: 'none' } });
    await exactOnly.ensureIndex({ dimension: 5000, metric: 'cosine' });
    const v = randomVector(rng, 5000);
    await exactOnly.upsert({ records: [{ id: 'only', vector: v }] });
    expect((await exactOnly.query({ vector: v, topK: 1 })).matches[0]?.score).toBeCloseTo(1, 5);
    await exactOnly.dropIndex();
    await Promise.all([tooWide.close(), exactOnly.close()]);
  }, 60_000);
});

describe('embedded mode', () => {
  it('persists to a data directory across close and reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-pglite-'));
    try {
      const first = new PgvectorBackend({ indexName: 'persisted', embedded: { dataDir: dir } });
      expect(first.capabilities.persistence).toBe('durable');
      await first.ensureIndex({ dimension: 3, metric: 'cosine' });
      await first.upsert({ records: [{ id: 'a', vector: [0.1, 0.2, 0.3], metadata: { kept: true } }] });
      await first.close();
      const second = new PgvectorBackend({ indexName: 'persisted', embedded: { dataDir: dir } });
      expect(await second.describeIndex()).toEqual({ name: 'persisted', dimension: 3, metric: 'cosine' });
      const record = (await second.fetch({ ids: ['a'] })).records.get('a');
      expect(record?.vector).toEqual(Float32Array.of(0.1, 0.2, 0.3));
      expect(record?.metadata).toEqual({ kept: true });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('registers with a plugin registry and builds from a config object', async () => {
    const registry = new PluginRegistry<VectorBackend>('vector backend');
    registerPgvector(registry);
    expect(registry.types()).toEqual(['pgvector']);
    expect(() => registerPgvector(registry)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    const backend = await registry.create({ type: 'pgvector', indexName: 'from-config', embedded: true });
    expect(backend).toBeInstanceOf(PgvectorBackend);
    expect(backend.capabilities.persistence).toBe('memory');
    await backend.ensureIndex({ dimension: 2, metric: 'euclidean' });
    await backend.upsert({ records: [{ id: 'p', vector: [3, 4] }] });
    expect((await backend.query({ vector: [0, 0], topK: 1 })).matches[0]).toMatchObject({ id: 'p', score: -5 });
    await backend.close();
    // The default registry knows the type only after registerPgvector().
    await expect(createBackend({ type: 'pgvector', indexName: 'x', embedded: true })).rejects.toMatchObject({
      code: 'UNKNOWN_PLUGIN',
    });
    expect(() => new PgvectorBackend({ indexName: 'both', embedded: true, pglite: db } as never)).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  }, 60_000);
});

describe('pool hygiene and abort', () => {
  const inUse = (pool: pg.Pool) => pool.totalCount - pool.idleCount;

  it('releases every client on every path and never ends a pool it did not create', async () => {
    const { pool } = served;
    const indexName = fresh('hygiene');
    const backend = new PgvectorBackend({ indexName, pool });
    await backend.ensureIndex({ dimension: 2, metric: 'cosine' });
    await backend.upsert({ records: [{ id: 'a', vector: [1, 0], metadata: { n: 1 } }] });
    await expect(backend.upsert({ records: [{ id: '', vector: [1, 0] }] })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(backend.update({ id: 'a', metadata: { big: 'x'.repeat(50_000) } })).rejects.toMatchObject({
      code: 'VALIDATION',
    }); // thrown inside the transaction: rolled back, client released
    expect((await backend.fetch({ ids: ['a'] })).records.get('a')?.metadata).toEqual({ n: 1 });
    // The table vanishes behind the backend's back: a server error on the write path.
    const other = new PgvectorBackend({ indexName, pool });
    await other.dropIndex();
    await expect(backend.upsert({ records: [{ id: 'b', vector: [0, 1] }] })).rejects.toMatchObject({
      code: 'INDEX_NOT_FOUND',
    });
    await expect(backend.query({ vector: [0, 1], topK: 1, exact: true })).rejects.toMatchObject({
      code: 'INDEX_NOT_FOUND',
    });
    expect(inUse(pool)).toBe(0);
    expect(pool.waitingCount).toBe(0);
    await Promise.all([backend.close(), other.close()]);
    expect(pool.ended).toBe(false);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('pg: an abort stops waiting for a busy pool, and the late client goes back to the pool', async () => {
    const { pool } = served;
    const backend = new PgvectorBackend({ indexName: fresh('abort'), pool });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const held = await pool.connect(); // the pool's only client
    const controller = new AbortController();
    const waiting = backend.upsert({ records: [{ id: 'late', vector: [1, 1] }], signal: controller.signal });
    await sleep(50);
    expect(pool.waitingCount).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    held.release();
    await sleep(50);
    expect(inUse(pool)).toBe(0);
    expect(pool.waitingCount).toBe(0);
    expect((await pool.query('SELECT now() = statement_timestamp() AS fresh')).rows).toEqual([{ fresh: true }]);
    expect((await backend.fetch({ ids: ['late'] })).records.size).toBe(0); // never written
    await backend.dropIndex();
    await backend.close();
  });

  it('pg: an abort inside a transaction never returns a client with its transaction open', async () => {
    const { pool } = served;
    const driver = await openDriver({ pool });
    for (const abortAt of ['between statements', 'before COMMIT'] as const) {
      const controller = new AbortController();
      const aborted = driver.transaction(async (tx) => {
        await tx.query('SELECT 1');
        if (abortAt === 'between statements') controller.abort();
        await tx.query('SELECT 2');
        controller.abort();
      }, controller.signal);
      await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
      expect(inUse(pool)).toBe(0);
      // Outside a transaction a statement is its own transaction: now() (its start) = statement_timestamp().
      const { rows } = await pool.query<{ fresh: boolean }>('SELECT now() = statement_timestamp() AS fresh');
      expect(rows, `no open transaction after an abort ${abortAt}`).toEqual([{ fresh: true }]);
    }
    await driver.close();
  });

  it('PGlite: a chunk aborted as its COPY starts rolls back; PartialWriteError names exactly what landed', async () => {
    const indexName = fresh('partial');
    const controller = new AbortController();
    let copies = 0;
    const wrapped: PgliteLike = {
      query: (text, params, options) => db.query(text, params, options),
      transaction: (callback) =>
        db.transaction((tx) =>
          callback({
            query: (text, params, options) => {
              if (options?.blob && ++copies === 2) controller.abort(); // chunk 2's COPY starts
              return tx.query(text, params, options);
            },
          }),
        ),
      close: () => db.close(),
      get closed() {
        return db.closed;
      },
    };
    const backend = new PgvectorBackend({ indexName, pglite: wrapped });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const records = Array.from({ length: 2500 }, (_, i) => ({ id: `p-${i}`, vector: [i, 1] }));
    const error = await backend.upsert({ records, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    const { landedIds, failedIds } = error as PartialWriteError;
    expect(landedIds).toHaveLength(1000);
    expect(failedIds).toHaveLength(1500);
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM qstore_v_${indexName.replaceAll('-', '_')} ORDER BY id`,
    );
    expect(rows.map((r) => r.id)).toEqual([...landedIds].sort());
    await backend.dropIndex();
    await backend.close();
  });

  it('an abort while the shared vector-extension check waits fails only its own caller', async () => {
    const driver = await openDriver({ pglite: db }); // a new driver: nothing cached
    let release: () => void = () => undefined;
    const blocker = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const first = ensureVectorExtension(driver, controller.signal);
    const second = ensureVectorExtension(driver);
    await sleep(30);
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    release();
    await blocker;
    await expect(second).resolves.toMatch(/^\d+\.\d+/);
    await driver.close();
  });

  it('PGlite: an abort while waiting for the database lock writes nothing', async () => {
    const backend = new PgvectorBackend({ indexName: fresh('lock'), pglite: db });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    let release: () => void = () => undefined;
    const blocker = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiting = backend.upsert({ records: [{ id: 'late', vector: [1, 1] }], signal: controller.signal });
    await sleep(30);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    release();
    await blocker;
    expect((await backend.fetch({ ids: ['late'] })).records.size).toBe(0);
    const live = new AbortController();
    await backend.upsert({ records: [{ id: 'kept', vector: [1, 2] }], signal: live.signal });
    live.abort(); // after the write resolved: nothing to undo
    expect((await backend.fetch({ ids: ['kept'] })).records.size).toBe(1);
    await backend.dropIndex();
    await backend.close();
  });
});
