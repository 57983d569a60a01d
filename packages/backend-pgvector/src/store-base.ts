import { Lifecycle, raceAbort } from '@q-store/core/backend';
import { type ConnectionOptions, LazyDriver, redactedView, type SqlDriver, type SqlSession } from './driver.js';
import { toQStoreError } from './errors.js';
import { qualified, quoteIdent, validateSchemaName } from './sql.js';

export type PgStoreOptions = ConnectionOptions & {
  /** PostgreSQL schema of the tables (default `public`); created when missing. */
  schema?: string;
};

/**
 * Shared plumbing of the PostgreSQL stores: one connection (opened on first use), the tables
 * created once (idempotently, under a schema-wide advisory lock so concurrent processes do not
 * race), typed errors, and the closed state. These stores need plain PostgreSQL, not pgvector.
 */
export abstract class PgStore {
  readonly schema: string;
  private readonly driver: LazyDriver;
  private ready: Promise<void> | undefined;
  private readonly lifecycle: Lifecycle;

  protected constructor(
    options: PgStoreOptions,
    private readonly label: string,
  ) {
    this.driver = new LazyDriver(options);
    this.lifecycle = new Lifecycle(() => this.label);
    this.schema = validateSchemaName(options.schema ?? 'public');
    // The connection options may hold a password: inspect and JSON show only these.
    redactedView(this, { schema: this.schema, where: this.driver.where });
  }

  /** `"schema"."table"`. */
  protected table(name: string): string {
    return qualified(this.schema, name);
  }

  /** The DDL of this store's tables (`CREATE TABLE IF NOT EXISTS …`), run once per instance. */
  protected abstract schemaStatements(): string[];

  /**
   * The tables, created once per instance and shared by every call. The shared work runs without any
   * caller's signal (one caller's abort must not fail the others); each caller races its own signal.
   */
  private createTables(driver: SqlDriver, signal?: AbortSignal): Promise<void> {
    this.ready ??= driver
      .transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`q-store ddl ${this.schema}`]);
        if (this.schema !== 'public') await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        for (const statement of this.schemaStatements()) await tx.query(statement);
      })
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    return raceAbort(this.ready, signal);
  }

  /**
   * Runs one public call: CLOSED after `close()`, ABORTED for a fired signal, the tables created
   * first, driver errors mapped to q-store errors. `close()` waits for calls in flight.
   */
  protected call<T>(
    what: string,
    signal: AbortSignal | undefined,
    work: (driver: SqlDriver) => Promise<T>,
  ): Promise<T> {
    return this.lifecycle.track(signal, async () => {
      const driver = await this.driver.get();
      try {
        await this.createTables(driver, signal);
        return await work(driver);
      } catch (error) {
        throw toQStoreError(error, `${this.label} ${what}`, driver.where, signal);
      }
    });
  }

  /** Like {@link call}, in one transaction. */
  protected inTransaction<T>(
    what: string,
    signal: AbortSignal | undefined,
    work: (tx: SqlSession) => Promise<T>,
  ): Promise<T> {
    return this.call(what, signal, (driver) => driver.transaction(work, signal));
  }

  /** Ends what this store opened (never a pool or PGlite instance you passed in). Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.driver.close());
  }
}
