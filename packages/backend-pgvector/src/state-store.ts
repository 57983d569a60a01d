import { type JsonValue, type StateStore, ValidationError } from '@q-store/core';
import { encodeStateValue, throwIfAborted, validateId } from '@q-store/core/backend';
import type { SqlSession } from './driver.js';
import { PgStore, type PgStoreOptions } from './store-base.js';

/** Table of the state store's documents. */
export const STATE_TABLE = 'qstore_state';

const KEYS_PAGE = 500;

function checkTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ValidationError(
      [{ field: 'ttlMs', message: `must be a positive number, got ${String(ttlMs)}` }],
      'Invalid TTL',
    );
  }
  return ttlMs;
}

/**
 * StateStore in a PostgreSQL table `qstore_state (key, value jsonb, expires_at)`: entanglement
 * groups, dataset manifests, the model registry. Works on any PostgreSQL (no pgvector needed).
 *
 * - Keys: non-empty strings of at most 512 characters without NUL, stored verbatim (placeholders).
 * - TTL: `expires_at = clock_timestamp() + ttlMs` on the database's clock; expired rows read as
 *   absent and are replaced on the next write (`purgeExpired()` deletes them in bulk).
 * - `update` is atomic: it takes a transaction-scoped advisory lock on the key and the row lock,
 *   so concurrent updates of one key (from any process) run one after another and never lose a
 *   write; `set` takes the same lock. `fn` runs once per call.
 */
export class PgStateStore extends PgStore implements StateStore {
  private readonly tableSql: string;

  constructor(options: PgStoreOptions) {
    super(options, 'PgStateStore');
    this.tableSql = this.table(STATE_TABLE);
  }

  protected schemaStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.tableSql} (
        key text COLLATE "C" PRIMARY KEY,
        value jsonb NOT NULL,
        expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ];
  }

  private lockKey(tx: SqlSession, key: string): Promise<unknown> {
    return tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`q-store state ${this.schema} ${key}`]);
  }

  async get<T extends JsonValue>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    const checked = validateId(key, 'key');
    return this.call('get', options.signal, async (driver) => {
      const { rows } = await driver.query<{ value: T }>(
        `SELECT value FROM ${this.tableSql} WHERE key = $1 AND (expires_at IS NULL OR expires_at > clock_timestamp())`,
        [checked],
        options.signal,
      );
      return rows[0]?.value;
    });
  }

  async set<T extends JsonValue>(
    key: string,
    value: T,
    options: { ttlMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const checked = validateId(key, 'key');
    const ttl = checkTtl(options.ttlMs);
    const json = encodeStateValue(value);
    await this.inTransaction('set', options.signal, async (tx) => {
      await this.lockKey(tx, checked);
      await tx.query(
        `INSERT INTO ${this.tableSql} (key, value, expires_at)
         VALUES ($1, $2::jsonb, CASE WHEN $3::float8 IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $3::float8 / 1000) END)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, updated_at = now()`,
        [checked, json, ttl ?? null],
      );
    });
  }

  async update<T extends JsonValue>(
    key: string,
    fn: (current: T | undefined) => T | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    const checked = validateId(key, 'key');
    return this.inTransaction('update', options.signal, async (tx) => {
      await this.lockKey(tx, checked);
      const { rows } = await tx.query<{ value: T; live: boolean }>(
        `SELECT value, (expires_at IS NULL OR expires_at > clock_timestamp()) AS live
         FROM ${this.tableSql} WHERE key = $1 FOR UPDATE`,
        [checked],
      );
      const row = rows[0];
      const current = row?.live ? row.value : undefined;
      const next = fn(current);
      const json = next === undefined ? undefined : encodeStateValue(next, 'update result');
      if (json === undefined) {
        await tx.query(`DELETE FROM ${this.tableSql} WHERE key = $1`, [checked]);
      } else if (row?.live) {
        // Keeps the key's time to live, as the memory store does.
        await tx.query(`UPDATE ${this.tableSql} SET value = $2::jsonb, updated_at = now() WHERE key = $1`, [
          checked,
          json,
        ]);
      } else {
        await tx.query(
          `INSERT INTO ${this.tableSql} (key, value) VALUES ($1, $2::jsonb)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL, updated_at = now()`,
          [checked, json],
        );
      }
      return next;
    });
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const checked = validateId(key, 'key');
    return this.inTransaction('delete', options.signal, async (tx) => {
      const { rows } = await tx.query<{ live: boolean }>(
        `DELETE FROM ${this.tableSql} WHERE key = $1
         RETURNING (expires_at IS NULL OR expires_at > clock_timestamp()) AS live`,
        [checked],
      );
      return rows[0]?.live === true;
    });
  }

  /** Live keys with the prefix, in byte order, read in pages of 500. */
  async *keys(options: { prefix?: string; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string') throw new ValidationError([{ field: 'prefix', message: 'must be a string' }]);
    let after: string | undefined;
    for (;;) {
      throwIfAborted(options.signal);
      const cursor = after;
      const { rows } = await this.call('keys', options.signal, (driver) =>
        driver.query<{ key: string }>(
          `SELECT key FROM ${this.tableSql}
           WHERE starts_with(key, $1) AND ($2::text IS NULL OR key > $2::text)
             AND (expires_at IS NULL OR expires_at > clock_timestamp())
           ORDER BY key LIMIT ${KEYS_PAGE}`,
          [prefix, cursor ?? null],
          options.signal,
        ),
      );
      for (const row of rows) yield row.key;
      if (rows.length < KEYS_PAGE) return;
      after = rows[rows.length - 1]?.key;
    }
  }

  /** Deletes every expired document; returns how many. */
  purgeExpired(options: { signal?: AbortSignal } = {}): Promise<number> {
    return this.inTransaction(
      'purgeExpired',
      options.signal,
      async (tx) => (await tx.query(`DELETE FROM ${this.tableSql} WHERE expires_at <= clock_timestamp()`)).rowCount,
    );
  }
}
