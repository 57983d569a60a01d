import { type Checkpoint, createRng } from '@q-store/core';
import {
  describeCheckpointStoreConformance,
  describeStateStoreConformance,
  describeTrainingStoreConformance,
} from '@q-store/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCheckpointStore } from './checkpoint-store.js';
import { openDriver, openEmbeddedPostgres, type PgliteLike } from './driver.js';
import { PgStateStore } from './state-store.js';
import type { PgStoreOptions } from './store-base.js';
import { SYSTEM_POSTGRES_URL, systemPostgresUnavailable } from './test-support.js';
import { PgTrainingStore } from './training-store.js';

/**
 * The three stores against two PostgreSQL engines: in-process PGlite, and the machine's PostgreSQL
 * server through a real `pg` pool of several connections (so concurrent updates really race). Each
 * runs core's StateStore, TrainingStore and CheckpointStore suites (one schema per test), then the
 * PostgreSQL-specific cases: transactions rolled back on abort, the one-time table setup, snapshot
 * reads, tables of earlier versions. None of these stores needs the pgvector extension, so the
 * server target is the plain PostgreSQL of the machine.
 */

interface Target {
  name: string;
  skip?: string;
  open(): Promise<PgStoreOptions>;
  /** Drops a schema the suites used. */
  dropSchema(name: string): Promise<void>;
  /** Holds what the stores' one-time table setup waits for; the returned function lets it go. */
  blockSetup(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

let pglite: PgliteLike | undefined;
const pgliteTarget: Target = {
  name: 'in-process PGlite',
  async open() {
    pglite ??= await openEmbeddedPostgres();
    return { pglite };
  },
  async dropSchema(name) {
    await pglite?.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  },
  async blockSetup() {
    let release: () => void = () => undefined;
    const holding = pglite?.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    return async () => {
      release();
      await holding;
    };
  },
  async close() {
    await pglite?.close();
  },
};

const unavailable = await systemPostgresUnavailable();
if (unavailable) console.log(`skipping the PostgreSQL server store tests: ${unavailable}`);
const schema = `qstore_test_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
const applicationName = `qstore-stores-${schema}`.slice(0, 63);
let pool: pg.Pool | undefined;
const serverTarget: Target = {
  name: 'PostgreSQL server through pg',
  ...(unavailable !== undefined && { skip: unavailable }),
  async open() {
    pool ??= new pg.Pool({ connectionString: SYSTEM_POSTGRES_URL, max: 4, application_name: applicationName });
    return { pool, schema };
  },
  async dropSchema(name) {
    await pool?.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  },
  async blockSetup() {
    const client = new pg.Client({ connectionString: SYSTEM_POSTGRES_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`q-store ddl ${schema}`]);
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  },
  async close() {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  },
};

/** Connections of the test pool the server reports as idle inside an open transaction. */
async function idleInTransaction(): Promise<number> {
  const client = new pg.Client({ connectionString: SYSTEM_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
      [applicationName],
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

for (const target of [pgliteTarget, serverTarget]) {
  describe.skipIf(target.skip !== undefined)(`stores on ${target.name}`, () => {
    let options: PgStoreOptions;
    beforeAll(async () => {
      options = await target.open();
    }, 60_000);
    afterAll(() => target.close(), 60_000);

    /** The suites' stores: one schema per test, dropped after it. */
    const inScope = (scope: string): PgStoreOptions => ({ ...options, schema: scope });
    const suite = { cleanup: (scope: string) => target.dropSchema(scope), timeoutMs: 60_000 };

    describeStateStoreConformance({
      name: `PgStateStore on ${target.name}`,
      create: (scope) => new PgStateStore(inScope(scope)),
      ...suite,
    });
    describeTrainingStoreConformance({
      name: `PgTrainingStore on ${target.name}`,
      create: (scope) => new PgTrainingStore(inScope(scope)),
      ...suite,
    });
    describeCheckpointStoreConformance({
      name: `PgCheckpointStore on ${target.name}`,
      create: (scope) => new PgCheckpointStore(inScope(scope)),
      uriPattern: (modelId, name) => new RegExp(`^pgvector://qs_ckpt_[a-z0-9]+/${modelId}/${name}$`),
      malformedUris: [
        "pgvector://public/x'; DROP TABLE t; --/epoch-0001",
        'pgvector://public/vqc/epoch-1',
        `pgvector://public/vqc/epoch-${'9'.repeat(17)}`,
        'memory://vqc/epoch-0001',
      ],
      ...suite,
    });

    describe('PgStateStore on PostgreSQL', () => {
      it('purgeExpired deletes the expired documents only', async () => {
        const store = new PgStateStore(options);
        await store.set('purge:temp', 1, { ttlMs: 20 });
        await store.set('purge:kept', 2);
        await new Promise((r) => setTimeout(r, 60));
        expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
        expect(await store.get('purge:kept')).toBe(2);
        expect(await store.delete('purge:temp')).toBe(false);
        await store.close();
      });

      it('an abort between the statements of update rolls back: no open transaction, the key stays free', async () => {
        const store = new PgStateStore(options);
        await store.set('aborted-key', 1);
        const controller = new AbortController();
        const aborted = store.update<number>(
          'aborted-key',
          (n) => {
            controller.abort(); // the next statement is never sent
            return (n ?? 0) + 100;
          },
          { signal: controller.signal },
        );
        await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
        if (target === serverTarget) expect(await idleInTransaction()).toBe(0);
        // The key's advisory lock was released: another update does not wait (bounded, to fail fast).
        const next = await store.update<number>('aborted-key', (n) => (n ?? 0) + 10, {
          signal: AbortSignal.timeout(5000),
        });
        expect(next).toBe(11);
        await store.close();
      });

      it('an abort after the last statement of a transaction, before COMMIT, rolls it back', async () => {
        const driver = await openDriver(options);
        const table = `"${options.schema ?? 'public'}".qstore_state`;
        const lock = "SELECT pg_advisory_xact_lock(hashtextextended('q-store abort probe', 0))";
        const controller = new AbortController();
        const aborted = driver.transaction(async (tx) => {
          await tx.query(lock);
          await tx.query(`INSERT INTO ${table} (key, value) VALUES ('abort-probe', '1')`);
          controller.abort();
          return 'done';
        }, controller.signal);
        await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
        if (target === serverTarget) expect(await idleInTransaction()).toBe(0);
        const { rows } = await driver.transaction(async (tx) => {
          await tx.query(lock); // free again
          return tx.query(`SELECT value FROM ${table} WHERE key = 'abort-probe'`);
        }, AbortSignal.timeout(5000));
        expect(rows).toEqual([]); // rolled back
        await driver.close();
      });

      it('an abort during the one-time table setup fails only the call it belongs to', async () => {
        const store = new PgStateStore(options);
        const release = await target.blockSetup();
        const controller = new AbortController();
        const first = store.get('setup-key', { signal: controller.signal });
        const second = store.get('setup-key');
        await new Promise((r) => setTimeout(r, 50));
        controller.abort();
        await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
        await release();
        await expect(second).resolves.toBeUndefined();
        await store.close();
      });
    });

    describe('PgTrainingStore on PostgreSQL', () => {
      let store: PgTrainingStore;
      beforeAll(() => {
        store = new PgTrainingStore(options);
      });
      afterAll(() => store.close());

      it.skipIf(target !== serverTarget)(
        'a batch read is one snapshot: a split replaced between the manifest and sample reads is not seen',
        async () => {
          const real = options.pool as pg.Pool;
          let interleave: (() => Promise<unknown>) | undefined;
          // The reader's pool: after the manifest read, another store replaces the split.
          const spliced = {
            options: (real as unknown as { options: unknown }).options,
            async connect() {
              const client = await real.connect();
              return new Proxy(client, {
                get(target, property) {
                  if (property === 'query') {
                    return async (text: string, values?: unknown[]) => {
                      const result = await target.query(text, values);
                      const run = interleave;
                      if (run && text.includes('SELECT manifest')) {
                        interleave = undefined;
                        await run();
                      }
                      return result;
                    };
                  }
                  const value = Reflect.get(target, property);
                  return typeof value === 'function' ? value.bind(target) : value;
                },
              });
            },
          } as unknown as pg.Pool;
          const features = Array.from({ length: 5 }, (_, i) => [i, i]);
          await store.storeTrainingData({ datasetId: 'torn', features, labels: [0, 1, 2, 3, 4] });
          const reader = new PgTrainingStore({ pool: spliced, schema });
          interleave = () => store.storeTrainingData({ datasetId: 'torn', features: [[9, 9]], labels: [9] });
          const batch = await reader.loadTrainingBatch({ datasetId: 'torn', offset: 0, limit: 5 });
          expect(interleave).toBeUndefined(); // the replacement ran in between
          expect(batch.labels).toEqual([0, 1, 2, 3, 4]);
          expect(batch.features.map((f) => [...f])).toEqual(features);
          expect((await store.getManifest('torn'))?.sampleCount).toBe(1);
          await reader.close();
          await store.deleteDataset('torn');
        },
      );
    });

    describe('PgCheckpointStore on PostgreSQL', () => {
      const checkpoint = (epoch: number, seed: number): Checkpoint => {
        const rng = createRng(seed);
        return {
          modelId: 'vqc-iris',
          epoch,
          step: epoch * 10,
          parameters: Float64Array.from({ length: 48 }, () => rng.normal() * Math.PI),
          optimizerState: { kind: 'adam', t: epoch, m: [0.1, -0.2, 1e-300], v: null },
          metrics: { loss: 0.123456789012345, accuracy: 0.9 },
          metadata: { note: 'ünïcødé', tags: ['a', 'b'] },
        };
      };

      it('URIs name the schema; another schema’s URI is NOT_FOUND', async () => {
        const store = new PgCheckpointStore(options);
        const uri = await store.save(checkpoint(7, 1));
        expect(uri).toBe(`pgvector://${options.schema ?? 'public'}/vqc-iris/epoch-0007`);
        await expect(store.load('pgvector://elsewhere/vqc-iris/epoch-0007')).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect(await store.delete('pgvector://elsewhere/vqc-iris/epoch-0007')).toBe(false);
        await store.close();
      });

      it('takes any safe-integer epoch (beyond 2^31), also in a table created with an integer epoch', async () => {
        const legacy = `${schema}_ckpt`;
        const raw = await openDriver(options);
        await raw.query(`CREATE SCHEMA IF NOT EXISTS "${legacy}"`);
        await raw.query(`CREATE TABLE "${legacy}".qstore_checkpoints (
          model_id text COLLATE "C" NOT NULL, epoch integer NOT NULL, parameters bytea NOT NULL,
          extras jsonb NOT NULL, created_at text NOT NULL, PRIMARY KEY (model_id, epoch))`);
        const store = new PgCheckpointStore({ ...options, schema: legacy });
        try {
          const old = await store.save(checkpoint(3, 3));
          const epochs = [2 ** 31, Number.MAX_SAFE_INTEGER];
          const uris = [];
          for (const epoch of epochs) uris.push(await store.save(checkpoint(epoch, 5)));
          expect(uris).toEqual(epochs.map((e) => `pgvector://${legacy}/vqc-iris/epoch-${e}`));
          for (const [i, uri] of uris.entries()) expect((await store.load(uri)).epoch).toBe(epochs[i]);
          const list = await store.list('vqc-iris');
          expect(list.map((c) => c.epoch)).toEqual([3, ...epochs]);
          expect(list.map((c) => c.uri)).toEqual([old, ...uris]);
          expect(await store.delete(uris[1] as string)).toBe(true);
          await expect(store.load(`pgvector://${legacy}/vqc-iris/epoch-${'9'.repeat(17)}`)).rejects.toMatchObject({
            code: 'VALIDATION',
          });
        } finally {
          await store.close();
          await raw.query(`DROP SCHEMA "${legacy}" CASCADE`);
          await raw.close();
        }
      });
    });
  });
}
