import {
  type Checkpoint,
  type CheckpointInfo,
  type CheckpointStore,
  INDEX_NAME_PATTERN,
  type JsonValue,
  NotFoundError,
  ValidationError,
} from '@q-store/core';
import { checkpointName, validateCheckpoint } from '@q-store/core/backend';
import { bytesToFloat64, floatsToBytes } from './sql.js';
import { PgStore, type PgStoreOptions } from './store-base.js';

export const CHECKPOINTS_TABLE = 'qstore_checkpoints';

/** Epochs are non-negative safe integers (up to 2^53 − 1: 16 digits), at least 4 digits in URIs. */
const URI_PATTERN = /^pgvector:\/\/([a-z_][a-z0-9_]{0,62})\/([a-z][a-z0-9-]{0,44})\/epoch-(\d{4,16})$/;

/** What is kept beside the parameters, as one jsonb document. */
interface CheckpointExtras {
  step?: number;
  optimizerState?: JsonValue;
  metrics?: Record<string, number>;
  metadata?: Record<string, JsonValue>;
}

interface CheckpointRow {
  model_id: string;
  /** bigint: a string from `pg`, a number or bigint from PGlite. */
  epoch: number | string | bigint;
  parameters: Uint8Array;
  extras: CheckpointExtras;
  created_at: string;
}

/**
 * CheckpointStore in a PostgreSQL table `qstore_checkpoints (model_id, epoch, parameters bytea,
 * extras jsonb, created_at)`; works on any PostgreSQL, pgvector not needed.
 *
 * URIs are `pgvector://<schema>/<modelId>/epoch-0007`. Parameters are the Float64Array's bytes
 * (little-endian), so they round-trip bit for bit. A save is one transaction holding one
 * `INSERT … ON CONFLICT DO UPDATE` of the whole row: a crash leaves either the previous checkpoint of
 * that epoch or the new one, never a mix. Saving an epoch again replaces it (as the memory and file stores do).
 *
 * `epoch` is a `bigint` column, so every epoch core accepts (a non-negative safe integer) fits. A
 * table created by an earlier version with an `integer` epoch is altered to `bigint` once, during
 * the store's first call (a table rewrite, under the schema's DDL lock).
 */
export class PgCheckpointStore extends PgStore implements CheckpointStore {
  private readonly tableSql: string;

  constructor(options: PgStoreOptions) {
    super(options, 'PgCheckpointStore');
    this.tableSql = this.table(CHECKPOINTS_TABLE);
  }

  protected schemaStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.tableSql} (
        model_id text COLLATE "C" NOT NULL,
        epoch bigint NOT NULL,
        parameters bytea NOT NULL,
        extras jsonb NOT NULL,
        created_at text NOT NULL,
        PRIMARY KEY (model_id, epoch)
      )`,
      // Tables of earlier versions had an integer epoch (at most 2^31 − 1).
      `DO $$ BEGIN
        IF (SELECT atttypid FROM pg_attribute WHERE attrelid = '${this.tableSql}'::regclass AND attname = 'epoch')
           = 'integer'::regtype THEN
          ALTER TABLE ${this.tableSql} ALTER COLUMN epoch TYPE bigint;
        END IF;
      END $$`,
    ];
  }

  uri(modelId: string, epoch: number): string {
    return `pgvector://${this.schema}/${modelId}/${checkpointName(epoch)}`;
  }

  /** The model and epoch a URI names; a ValidationError for a malformed URI. */
  private parse(uri: unknown): { schema: string; modelId: string; epoch: number } {
    const match = typeof uri === 'string' ? URI_PATTERN.exec(uri) : null;
    if (!match) {
      throw new ValidationError(
        [{ field: 'uri', message: 'must look like pgvector://<schema>/<modelId>/epoch-0007' }],
        'Invalid checkpoint URI',
      );
    }
    const epoch = Number(match[3]);
    if (!Number.isSafeInteger(epoch)) {
      throw new ValidationError(
        [{ field: 'uri', message: `epoch must be at most ${Number.MAX_SAFE_INTEGER}`, limit: Number.MAX_SAFE_INTEGER }],
        'Invalid checkpoint URI',
      );
    }
    return { schema: match[1] as string, modelId: match[2] as string, epoch };
  }

  async save(checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<string> {
    validateCheckpoint(checkpoint);
    const extras: CheckpointExtras = {
      ...(checkpoint.step !== undefined && { step: checkpoint.step }),
      ...(checkpoint.optimizerState !== undefined && { optimizerState: checkpoint.optimizerState }),
      ...(checkpoint.metrics !== undefined && { metrics: checkpoint.metrics }),
      ...(checkpoint.metadata !== undefined && { metadata: checkpoint.metadata }),
    };
    const createdAt = checkpoint.createdAt ?? new Date().toISOString();
    await this.inTransaction('save', options.signal, (tx) =>
      tx.query(
        `INSERT INTO ${this.tableSql} (model_id, epoch, parameters, extras, created_at)
         VALUES ($1, $2, $3, $4::jsonb, $5)
         ON CONFLICT (model_id, epoch) DO UPDATE SET parameters = EXCLUDED.parameters, extras = EXCLUDED.extras,
           created_at = EXCLUDED.created_at`,
        [checkpoint.modelId, checkpoint.epoch, floatsToBytes(checkpoint.parameters), JSON.stringify(extras), createdAt],
      ),
    );
    return this.uri(checkpoint.modelId, checkpoint.epoch);
  }

  async load(uri: string, options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    const { schema, modelId, epoch } = this.parse(uri);
    if (schema !== this.schema)
      throw new NotFoundError(`checkpoint '${uri}' (this store's schema is '${this.schema}')`);
    const row = await this.call('load', options.signal, async (driver) => {
      const { rows } = await driver.query<CheckpointRow>(
        `SELECT model_id, epoch, parameters, extras, created_at FROM ${this.tableSql} WHERE model_id = $1 AND epoch = $2`,
        [modelId, epoch],
        options.signal,
      );
      return rows[0];
    });
    if (!row) throw new NotFoundError(`checkpoint '${uri}'`);
    return {
      modelId: row.model_id,
      epoch: Number(row.epoch),
      ...(row.extras.step !== undefined && { step: row.extras.step }),
      parameters: bytesToFloat64(row.parameters),
      ...(row.extras.optimizerState !== undefined && { optimizerState: row.extras.optimizerState }),
      ...(row.extras.metrics !== undefined && { metrics: row.extras.metrics }),
      ...(row.extras.metadata !== undefined && { metadata: row.extras.metadata }),
      createdAt: row.created_at,
    };
  }

  async list(modelId: string, options: { signal?: AbortSignal } = {}): Promise<CheckpointInfo[]> {
    if (typeof modelId !== 'string' || !INDEX_NAME_PATTERN.test(modelId)) return [];
    return this.call('list', options.signal, async (driver) => {
      const { rows } = await driver.query<{ epoch: CheckpointRow['epoch']; created_at: string }>(
        `SELECT epoch, created_at FROM ${this.tableSql} WHERE model_id = $1 ORDER BY epoch`,
        [modelId],
        options.signal,
      );
      return rows.map((row) => ({
        uri: this.uri(modelId, Number(row.epoch)),
        modelId,
        epoch: Number(row.epoch),
        createdAt: row.created_at,
      }));
    });
  }

  async delete(uri: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const { schema, modelId, epoch } = this.parse(uri);
    if (schema !== this.schema) return false;
    return this.inTransaction(
      'delete',
      options.signal,
      async (tx) =>
        (await tx.query(`DELETE FROM ${this.tableSql} WHERE model_id = $1 AND epoch = $2`, [modelId, epoch])).rowCount >
        0,
    );
  }
}
