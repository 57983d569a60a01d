import {
  type Checkpoint,
  createRng,
  type Label,
  MemoryCheckpointStore,
  MemoryTrainingStore,
  shufflePermutation,
} from '@q-store/core';
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
 * server through a real `pg` pool of several connections (so concurrent updates really race). The
 * memory stores of core are the peer implementation the results are compared with.
 */

interface Target {
  name: string;
  skip?: string;
  open(): Promise<PgStoreOptions>;
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

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

for (const target of [pgliteTarget, serverTarget]) {
  describe.skipIf(target.skip !== undefined)(`stores on ${target.name}`, () => {
    let options: PgStoreOptions;
    beforeAll(async () => {
      options = await target.open();
    }, 60_000);
    afterAll(() => target.close(), 60_000);

    describe('PgStateStore', () => {
      it('stores JSON documents by value, with TTL, and validates keys and TTL', async () => {
        const store = new PgStateStore(options);
        const doc = { members: ['a', 'b'], correlation: 0.8, nested: { deep: [1, null, true] } };
        await store.set('group:1', doc);
        doc.members.push('c');
        expect(await store.get('group:1')).toEqual({
          members: ['a', 'b'],
          correlation: 0.8,
          nested: { deep: [1, null, true] },
        });
        await store.set('null-doc', null);
        expect(await store.get('null-doc')).toBeNull();
        expect(await store.get('never-set')).toBeUndefined();
        await store.set('temp', 1, { ttlMs: 50 });
        expect(await store.get('temp')).toBe(1);
        await new Promise((r) => setTimeout(r, 120));
        expect(await store.get('temp')).toBeUndefined();
        expect(await collect(store.keys({ prefix: 'temp' }))).toEqual([]);
        expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
        await expect(store.set('x', 1, { ttlMs: -5 })).rejects.toMatchObject({ code: 'VALIDATION' });
        await expect(store.get('')).rejects.toMatchObject({ code: 'VALIDATION' });
        await expect(store.get('nul\0key')).rejects.toMatchObject({ code: 'VALIDATION' });
        await store.close();
      });

      it('updates atomically under concurrency (200 increments from two store instances)', async () => {
        const a = new PgStateStore(options);
        const b = new PgStateStore(options);
        const increment = (n: number | undefined) => (n ?? 0) + 1;
        await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).update<number>('counter', increment)),
        );
        expect(await a.get('counter')).toBe(200);
        expect(await a.update('counter', () => undefined)).toBeUndefined();
        expect(await a.get('counter')).toBeUndefined();
        // update keeps a key's TTL; an expired key reads as absent in fn.
        await a.set('ttl-kept', 1, { ttlMs: 60_000 });
        await a.update<number>('ttl-kept', increment);
        expect(await a.get('ttl-kept')).toBe(2);
        await a.set('expired', 41, { ttlMs: 1 });
        await new Promise((r) => setTimeout(r, 20));
        expect(await a.update<number>('expired', (n) => (n === undefined ? 1 : n + 1))).toBe(1);
        await Promise.all([a.close(), b.close()]);
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

      it('lists keys by prefix across pages and deletes', async () => {
        const store = new PgStateStore(options);
        const keys = Array.from({ length: 620 }, (_, i) => `page:${String(i).padStart(4, '0')}`);
        await Promise.all(keys.map((k, i) => store.set(k, i)));
        await store.set('listed:a', 1);
        await store.set('listed:b', 2);
        expect((await collect(store.keys({ prefix: 'page:' }))).sort()).toEqual(keys);
        expect((await collect(store.keys({ prefix: 'listed:' }))).sort()).toEqual(['listed:a', 'listed:b']);
        expect(await store.delete('listed:a')).toBe(true);
        expect(await store.delete('listed:a')).toBe(false);
        await store.close();
        await expect(store.get('listed:b')).rejects.toMatchObject({ code: 'CLOSED' });
        await expect(collect(store.keys())).rejects.toMatchObject({ code: 'CLOSED' });
      });

      it('stores hostile keys verbatim and leaves its table intact', async () => {
        const store = new PgStateStore(options);
        const hostile = ["'; DROP TABLE qstore_state; --", 'a" OR "1"="1', 'back\\slash', '%_like_', '$1'];
        for (const [i, key] of hostile.entries()) await store.set(key, { i });
        for (const [i, key] of hostile.entries()) expect(await store.get(key)).toEqual({ i });
        expect(await collect(store.keys({ prefix: '%' }))).toEqual(['%_like_']);
        expect(await collect(store.keys({ prefix: "'" }))).toEqual(["'; DROP TABLE qstore_state; --"]);
        await store.close();
      });
    });

    describe('PgTrainingStore', () => {
      const count = 10_000;
      const dimension = 6;
      const rng = createRng(17);
      const features = Array.from({ length: count }, () =>
        Float32Array.from({ length: dimension }, () => rng.normal() * 3),
      );
      const labels: Label[] = features.map((_, i) => (i % 7 === 0 ? 'rare' : i % 3));
      const memory = new MemoryTrainingStore();
      let store: PgTrainingStore;

      beforeAll(async () => {
        store = new PgTrainingStore(options);
        await memory.storeTrainingData({ datasetId: 'big', features, labels });
      });
      afterAll(() => store.close());

      it(`round-trips ${count} samples bit for bit, with the same manifest as the memory store`, async () => {
        const manifest = await store.storeTrainingData({
          datasetId: 'big',
          features,
          labels,
          metadata: { src: 'rng' },
        });
        const expected = await memory.getManifest('big');
        expect(manifest).toMatchObject({
          datasetId: 'big',
          featureDimension: dimension,
          sampleCount: count,
          splits: { train: count },
          labels: expected?.labels,
          metadata: { src: 'rng' },
        });
        expect(manifest.labels).toEqual([0, 1, 2, 'rare']);
        expect(await store.getManifest('big')).toEqual(manifest);
        let seen = 0;
        for (let offset = 0; offset < count; offset += 2500) {
          const batch = await store.loadTrainingBatch({ datasetId: 'big', offset, limit: 2500 });
          expect(batch.indices).toEqual(Array.from({ length: 2500 }, (_, i) => offset + i));
          for (const [k, index] of batch.indices.entries()) {
            expect(batch.features[k]).toEqual(features[index]);
            expect(batch.labels[k]).toBe(labels[index]);
          }
          seen += batch.indices.length;
        }
        expect(seen).toBe(count);
        const tail = await store.loadTrainingBatch({ datasetId: 'big', offset: count - 3, limit: 10 });
        expect(tail.indices).toEqual([count - 3, count - 2, count - 1]);
        expect(await store.loadTrainingBatch({ datasetId: 'big', offset: count + 5, limit: 10 })).toEqual({
          features: [],
          labels: [],
          indices: [],
        });
      });

      it('reads seeded shuffles identical to the memory store, covering every sample once', async () => {
        const order = shufflePermutation(count, 99);
        const covered = new Set<number>();
        for (let offset = 0; offset < count; offset += 3000) {
          const params = { datasetId: 'big', offset, limit: 3000, shuffleSeed: 99 };
          const [ours, theirs] = await Promise.all([store.loadTrainingBatch(params), memory.loadTrainingBatch(params)]);
          expect(ours).toEqual(theirs);
          expect(ours.indices).toEqual(order.slice(offset, offset + 3000));
          for (const index of ours.indices) covered.add(index);
        }
        expect(covered.size).toBe(count);
        const other = await store.loadTrainingBatch({ datasetId: 'big', offset: 0, limit: 50, shuffleSeed: 100 });
        expect(other.indices).not.toEqual(order.slice(0, 50));
      });

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

      it('writes splits separately, replaces a split, rejects a wrong dimension, lists and deletes', async () => {
        await store.storeTrainingData({
          datasetId: 'toy',
          features: [
            [1, 2],
            [3, 4],
          ],
          labels: ['a', 'b'],
        });
        await store.storeTrainingData({ datasetId: 'toy', split: 'test', features: [[5, 6]], labels: [9] });
        expect(await store.getManifest('toy')).toMatchObject({
          sampleCount: 3,
          splits: { train: 2, test: 1 },
          labels: [9, 'a', 'b'],
        });
        await store.storeTrainingData({ datasetId: 'toy', features: [[7, 8]], labels: ['c'] });
        expect(await store.getManifest('toy')).toMatchObject({
          sampleCount: 2,
          splits: { train: 1, test: 1 },
          labels: [9, 'c'],
        });
        const batch = await store.loadTrainingBatch({ datasetId: 'toy', offset: 0, limit: 5 });
        expect(batch.features.map((f) => [...f])).toEqual([[7, 8]]);
        await expect(
          store.storeTrainingData({ datasetId: 'toy', features: [[1, 2, 3]], labels: [1] }),
        ).rejects.toMatchObject({ code: 'VALIDATION' });
        expect((await store.getManifest('toy'))?.sampleCount).toBe(2);
        await expect(
          store.storeTrainingData({ datasetId: "x'; DROP TABLE qstore_datasets; --", features: [[1]], labels: [1] }),
        ).rejects.toMatchObject({ code: 'VALIDATION', issues: [expect.objectContaining({ field: 'datasetId' })] });
        await expect(store.loadTrainingBatch({ datasetId: 'nope', offset: 0, limit: 1 })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect(await store.listDatasets()).toEqual(['big', 'toy']);
        expect(await store.deleteDataset('toy')).toBe(true);
        expect(await store.deleteDataset('toy')).toBe(false);
        expect(await store.getManifest('toy')).toBeUndefined();
        expect(await store.listDatasets()).toEqual(['big']);
      });
    });

    describe('PgCheckpointStore', () => {
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

      it('saves in one transaction and loads bit for bit; URIs name the schema, model and epoch', async () => {
        const store = new PgCheckpointStore(options);
        const memory = new MemoryCheckpointStore();
        const original = checkpoint(7, 1);
        original.parameters[0] = Number.MIN_VALUE;
        original.parameters[1] = -0;
        original.parameters[2] = 1.7976931348623157e308;
        const uri = await store.save(original);
        expect(uri).toBe(`pgvector://${options.schema ?? 'public'}/vqc-iris/epoch-0007`);
        const loaded = await store.load(uri);
        const peer = await memory.load(await memory.save(original));
        expect(loaded).toEqual({ ...peer, createdAt: loaded.createdAt });
        expect(Object.is(loaded.parameters[1], -0)).toBe(true);
        expect(new Uint8Array(loaded.parameters.buffer)).toEqual(new Uint8Array(original.parameters.buffer));
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

      it('lists oldest epoch first, replaces an epoch saved again, deletes, and rejects bad input', async () => {
        const store = new PgCheckpointStore(options);
        for (const epoch of [12, 3, 7]) await store.save(checkpoint(epoch, epoch));
        const replacement = checkpoint(3, 333);
        await store.save(replacement);
        const list = await store.list('vqc-iris');
        expect(list.map((c) => c.epoch)).toEqual([3, 7, 12]);
        expect(list[0]?.uri).toMatch(/\/vqc-iris\/epoch-0003$/);
        expect((await store.load(list[0]?.uri as string)).parameters).toEqual(replacement.parameters);
        expect(await store.delete(list[2]?.uri as string)).toBe(true);
        expect(await store.delete(list[2]?.uri as string)).toBe(false);
        await expect(store.load(list[2]?.uri as string)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(store.load("pgvector://public/x'; DROP TABLE t; --/epoch-0001")).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        await expect(store.load('pgvector://elsewhere/vqc-iris/epoch-0003')).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(
          store.save({ ...checkpoint(1, 1), parameters: Float64Array.of(Number.NaN) }),
        ).rejects.toMatchObject({ code: 'VALIDATION' });
        expect(await store.list('no-such-model')).toEqual([]);
        await store.close();
        await expect(store.list('vqc-iris')).rejects.toMatchObject({ code: 'CLOSED' });
      });
    });
  });
}
