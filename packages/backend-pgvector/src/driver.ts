import { type QStoreError, ValidationError } from '@q-store/core';
import { raceAbort, throwIfAborted } from '@q-store/core/backend';
import pg from 'pg';
import { PgvectorExtensionMissingError, sqlState, toQStoreError } from './errors.js';
import { quoteIdent } from './sql.js';

/**
 * One SQL interface over the two ways in: a `pg` pool (a PostgreSQL server) and PGlite (PostgreSQL
 * compiled to WebAssembly, in process). Everything above this file writes the same SQL for both.
 */

export interface SqlResult<R> {
  rows: R[];
  /** Rows a write changed (or a read returned). */
  rowCount: number;
}

/** Runs statements on one connection (inside a transaction when given to a transaction callback). */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
  /**
   * PGlite only: runs `COPY … FROM '/dev/blob'` reading `data` as the file. Undefined on `pg`
   * (whose COPY needs a streaming add-on; the pg path converts on the server instead).
   */
  copyFrom?(text: string, data: Uint8Array): Promise<number>;
}

export interface SqlDriver {
  readonly dialect: 'pg' | 'pglite';
  /** Where the data lives, without credentials: `postgres://user@host:5432/db`, `PGlite (memory)`. */
  readonly where: string;
  /** `memory` for an in-memory PGlite; `durable` for a data directory or a server. */
  readonly persistence: 'memory' | 'durable';
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<SqlResult<R>>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. The signal
   * is checked before every statement and before COMMIT, so work aborted while it waited for a
   * connection (or for PGlite's lock) never starts, and aborted work is rolled back, never committed
   * (on PGlite the call then waits for the statement in progress). No connection goes back to a pool
   * with its transaction open: after an abort between statements it is rolled back; an abort during
   * a statement on `pg` destroys the connection, which rolls the transaction back on the server.
   */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Ends the pool or closes the PGlite instance only if this driver created it. */
  close(): Promise<void>;
}

/** The parts of a PGlite instance q-store uses (so PGlite stays an optional peer dependency). */
export interface PgliteLike {
  query<T>(
    query: string,
    // biome-ignore lint/suspicious/noExplicitAny: PGlite declares its parameters as any[]
    params?: any[],
    options?: { blob?: Blob },
  ): Promise<{ rows: T[]; affectedRows?: number; rowCount?: number }>;
  transaction<T>(callback: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface PgliteTransactionLike {
  query<T>(
    query: string,
    // biome-ignore lint/suspicious/noExplicitAny: PGlite declares its parameters as any[]
    params?: any[],
    options?: { blob?: Blob },
  ): Promise<{ rows: T[]; affectedRows?: number; rowCount?: number }>;
}

/**
 * How a component reaches PostgreSQL. Exactly one of:
 *
 * - `pool`: your `pg.Pool`; q-store checks clients out and always releases them, and never ends it.
 * - `connectionString`: q-store creates a `pg.Pool` (with `poolConfig`) and ends it on `close()`.
 * - `pglite`: your PGlite instance, created with the pgvector extension; never closed by q-store.
 * - `embedded`: q-store creates a PGlite instance with pgvector, persisted in `dataDir` (in memory
 *   without one), and closes it on `close()`. One data directory must be open in one instance only:
 *   to share it between a backend and the stores, open it once with `openEmbeddedPostgres` and pass
 *   it as `pglite` to each.
 */
export type ConnectionOptions =
  | { pool: pg.Pool; connectionString?: never; pglite?: never; embedded?: never }
  | {
      connectionString: string;
      poolConfig?: Omit<pg.PoolConfig, 'connectionString'>;
      pool?: never;
      pglite?: never;
      embedded?: never;
    }
  | { pglite: PgliteLike; pool?: never; connectionString?: never; embedded?: never }
  | { embedded: EmbeddedOptions | true; pool?: never; connectionString?: never; pglite?: never };

export interface EmbeddedOptions {
  /** Directory of the database files; created when missing. Without it the database lives in memory. */
  dataDir?: string;
}

/** `postgres://user@host:port/db` from a connection string, with any password left out. */
export function describeConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return `${url.protocol}//${user}${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL (unparsable connection string)';
  }
}

function describePool(pool: pg.Pool): string {
  const options = (pool as unknown as { options?: pg.PoolConfig }).options ?? {};
  if (typeof options.connectionString === 'string') return describeConnectionString(options.connectionString);
  const host = typeof options.host === 'string' ? options.host : 'localhost';
  return `postgres://${typeof options.user === 'string' ? `${options.user}@` : ''}${host}:${options.port ?? 5432}/${options.database ?? ''}`;
}

class PgDriver implements SqlDriver {
  readonly dialect = 'pg';
  readonly persistence = 'durable';
  private ended = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly owned: boolean,
    readonly where: string,
  ) {}

  /**
   * Checks a client out for `fn` and always gives it back: released normally, or destroyed
   * (`release(error)`) when a statement was abandoned on abort or the connection failed, so a
   * half-used connection never returns to the pool.
   */
  private async withClient<T>(
    signal: AbortSignal | undefined,
    fn: (connection: PgConnection) => Promise<T>,
  ): Promise<T> {
    throwIfAborted(signal);
    const client = await raceAbort(this.pool.connect(), signal, (late) => late.release());
    const connection = new PgConnection(client, signal);
    try {
      return await fn(connection);
    } finally {
      client.release(connection.broken);
    }
  }

  query<R>(text: string, params: readonly unknown[] = [], signal?: AbortSignal): Promise<SqlResult<R>> {
    return this.withClient(signal, (connection) => connection.query<R>(text, params));
  }

  /**
   * BEGIN, `fn`, COMMIT. On any failure — including an abort between statements or after the last
   * one, before COMMIT — the transaction ends before the client goes back to the pool: ROLLBACK
   * (sent regardless of the signal, as nothing is running on the connection then), or, when a
   * statement was abandoned mid-flight, the connection is destroyed (the server rolls back).
   */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.withClient(signal, async (connection) => {
      await connection.query('BEGIN');
      try {
        const result = await fn(connection);
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        if (!connection.broken) {
          await connection.run('ROLLBACK', [], undefined).catch((rollbackError: unknown) => {
            connection.broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        }
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (!this.owned || this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}

/** One checked-out `pg` client as a session; `broken` when it must be destroyed, not reused. */
class PgConnection implements SqlSession {
  broken: Error | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly signal: AbortSignal | undefined,
  ) {}

  query<R>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    throwIfAborted(this.signal);
    return this.run<R>(text, params, this.signal);
  }

  /** Sends a statement and waits for it, or (signal fired) abandons it and marks the client broken. */
  async run<R>(text: string, params: readonly unknown[], signal: AbortSignal | undefined): Promise<SqlResult<R>> {
    const running = this.client.query(text, params as unknown[]);
    try {
      const result = await raceAbort(running, signal);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      if (signal?.aborted) this.broken = new Error('statement abandoned on abort');
      else if (sqlState(error) === undefined) this.broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }
}

type PgliteResult = { rows: unknown[]; affectedRows?: number; rowCount?: number };

function fromPglite<R>(result: PgliteResult): SqlResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

class PgliteDriver implements SqlDriver {
  readonly dialect = 'pglite';

  constructor(
    private readonly db: PgliteLike,
    private readonly owned: boolean,
    readonly where: string,
    readonly persistence: 'memory' | 'durable',
  ) {}

  query<R>(text: string, params: readonly unknown[] = [], signal?: AbortSignal): Promise<SqlResult<R>> {
    throwIfAborted(signal);
    return raceAbort(this.db.query(text, [...params]).then(fromPglite<R>), signal);
  }

  /**
   * An abort stops the wait for PGlite's lock. Once `fn` runs, the outcome is what happened: a
   * statement in progress cannot be interrupted in process, so the call waits for it; the signal is
   * checked before each statement and once more after `fn` resolves, and a fired signal throws
   * there, so the transaction rolls back. A call that rejects ABORTED therefore never committed,
   * and one that committed resolves.
   */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    let started = false;
    const work = this.db.transaction(async (tx) => {
      started = true;
      throwIfAborted(signal); // aborted while waiting for the lock: run nothing
      const session: SqlSession = {
        query: async <R>(text: string, params: readonly unknown[] = []) => {
          throwIfAborted(signal);
          return fromPglite<R>(await tx.query(text, [...params]));
        },
        copyFrom: async (text: string, data: Uint8Array) => {
          throwIfAborted(signal);
          const result = await tx.query(text, [], { blob: new Blob([data as Uint8Array<ArrayBuffer>]) });
          return result.affectedRows ?? result.rowCount ?? 0;
        },
      };
      const result = await fn(session);
      throwIfAborted(signal); // rolls back instead of committing aborted work
      return result;
    });
    // Until fn starts, an abort stops the wait for the lock; afterwards the transaction's outcome decides.
    return raceAbort(work, signal, undefined, () => !started);
  }

  async close(): Promise<void> {
    if (this.owned && !this.db.closed) await this.db.close();
  }
}

/**
 * Opens a PGlite database with the pgvector extension loaded: in memory, or persisted in `dataDir`.
 * Needs the optional peer dependencies `@electric-sql/pglite` (0.5.14) and
 * `@electric-sql/pglite-pgvector` (0.0.15). Close it with `db.close()` when done.
 */
export async function openEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<PgliteLike> {
  let modules: [typeof import('@electric-sql/pglite'), typeof import('@electric-sql/pglite-pgvector')];
  try {
    modules = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector')]);
  } catch (error) {
    throw new ValidationError(
      [
        {
          field: 'embedded',
          message:
            'the embedded mode needs the packages @electric-sql/pglite@0.5.14 and @electric-sql/pglite-pgvector@0.0.15: install them next to @q-store/backend-pgvector',
        },
      ],
      `Embedded PostgreSQL unavailable (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const [{ PGlite }, { vector }] = modules;
  if (options.dataDir) return PGlite.create(options.dataDir, { extensions: { vector } });
  // In memory, PostgreSQL's default posix_fallocate extension makes Emscripten's MEMFS copy the whole
  // file on every extension (bulk loads slow down linearly with table size); writing zeros grows it
  // geometrically instead.
  return PGlite.create('memory://', {
    extensions: { vector },
    postgresqlconf: ['file_extend_method = write_zeros'],
  });
}

function checkOneWay(options: ConnectionOptions): void {
  const given = (['pool', 'connectionString', 'pglite', 'embedded'] as const).filter(
    (key) => (options as Record<string, unknown>)[key] !== undefined,
  );
  if (given.length !== 1) {
    throw new ValidationError(
      [
        {
          field: 'connection',
          message: `give exactly one of pool, connectionString, pglite or embedded; got ${given.length === 0 ? 'none' : given.join(', ')}`,
        },
      ],
      'Invalid connection options',
    );
  }
}

function validPort(port: unknown): boolean {
  const n = typeof port === 'string' && /^\d{1,5}$/.test(port) ? Number(port) : port;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65_535;
}

/**
 * A `postgres://` / `postgresql://` URL must parse, with a port (when given) from 1 to 65,535.
 * Other forms `pg` accepts (a socket directory `/var/run/postgresql db`, `socket:…`) pass as they are.
 * The message never repeats the string (it may hold a password).
 */
function checkConnectionString(connectionString: string): void {
  if (!/^postgres(ql)?:\/\//i.test(connectionString)) return;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new ValidationError(
      [
        {
          field: 'connectionString',
          message: 'is not a valid postgres:// URL (shown without its text: it may hold a password)',
        },
      ],
      'Invalid connection options',
    );
  }
  // A port the WHATWG parser rejects (> 65,535, not digits) fails above; 0 parses but is no port.
  if (url.port !== '' && !validPort(url.port)) {
    throw new ValidationError(
      [{ field: 'connectionString.port', message: `must be from 1 to 65535; got ${url.port}`, limit: 65_535 }],
      'Invalid connection options',
    );
  }
}

/** Checks the connection options without connecting (so constructors fail early, as VALIDATION). */
export function validateConnectionOptions(options: ConnectionOptions): void {
  checkOneWay(options);
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== 'string') {
      throw new ValidationError([{ field: 'connectionString', message: 'must be a string' }]);
    }
    checkConnectionString(options.connectionString);
    const port = options.poolConfig?.port;
    if (port !== undefined && !validPort(port)) {
      throw new ValidationError(
        [{ field: 'poolConfig.port', message: 'must be an integer from 1 to 65535', limit: 65_535 }],
        'Invalid connection options',
      );
    }
  }
}

/** Where a component's data lives, without credentials, known before connecting. */
export function describeConnection(options: ConnectionOptions): string {
  if (options.pool !== undefined) return describePool(options.pool);
  if (typeof options.connectionString === 'string') return describeConnectionString(options.connectionString);
  if (options.pglite !== undefined) return 'PGlite';
  const embedded = options.embedded === true ? {} : (options.embedded ?? {});
  return embedded.dataDir ? `PGlite (${embedded.dataDir})` : 'PGlite (memory)';
}

/**
 * What `util.inspect` and `JSON.stringify` show of a component holding connection options: its
 * name and fields given here, never the options (a connection string or pool config may hold a
 * password).
 */
export function redactedView(target: object, fields: Record<string, unknown>): void {
  const name = target.constructor.name;
  Object.defineProperty(target, 'toJSON', { value: () => ({ ...fields }), enumerable: false });
  Object.defineProperty(target, Symbol.for('nodejs.util.inspect.custom'), {
    value: (_depth: number, options: { stylize?: unknown }, inspect?: (value: unknown, options: unknown) => string) =>
      `${name} ${inspect ? inspect({ ...fields }, options) : JSON.stringify(fields)}`,
    enumerable: false,
  });
}

/** Opens the driver for a component's connection options. */
export async function openDriver(options: ConnectionOptions): Promise<SqlDriver> {
  validateConnectionOptions(options);
  if (options.pool !== undefined) return new PgDriver(options.pool, false, describePool(options.pool));
  if (options.connectionString !== undefined) {
    const pool = new pg.Pool({ ...options.poolConfig, connectionString: options.connectionString });
    // An idle client's network error must not crash the process; the next checkout reports it.
    pool.on('error', () => undefined);
    return new PgDriver(pool, true, describeConnectionString(options.connectionString));
  }
  if (options.pglite !== undefined) return new PgliteDriver(options.pglite, false, 'PGlite', 'durable');
  const embedded = options.embedded === true ? {} : (options.embedded ?? {});
  const db = await openEmbeddedPostgres(embedded);
  const where = embedded.dataDir ? `PGlite (${embedded.dataDir})` : 'PGlite (memory)';
  return new PgliteDriver(db, true, where, embedded.dataDir ? 'durable' : 'memory');
}

/**
 * A driver opened on first use and shared by a component's calls; a failed open is retried on the
 * next call. `close()` closes it only if this handle opened it (and the driver ends only what it
 * created).
 */
export class LazyDriver {
  readonly #options: ConnectionOptions;
  private opening: Promise<SqlDriver> | undefined;
  private opened: SqlDriver | undefined;
  /** Where the data lives, without credentials. */
  readonly where: string;

  constructor(options: ConnectionOptions) {
    validateConnectionOptions(options);
    this.#options = options;
    this.where = describeConnection(options);
  }

  get(): Promise<SqlDriver> {
    this.opening ??= openDriver(this.#options).then(
      (driver) => {
        this.opened = driver;
        return driver;
      },
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    await this.opened?.close();
  }
}

const extensionVersions = new WeakMap<SqlDriver, Map<string, Promise<string>>>();

/**
 * Makes sure the `vector` extension exists in the database (creating it when allowed) and returns
 * its version. Cached per driver; a failure is not cached. A server without pgvector gives a
 * {@link PgvectorExtensionMissingError} that names the fix. The shared check runs without any
 * caller's signal (one caller's abort must not fail the others); each caller races its own.
 */
export function ensureVectorExtension(driver: SqlDriver, signal?: AbortSignal): Promise<string> {
  return raceAbort(
    ensureExtension(driver, 'vector').catch((error: unknown) => {
      throw vectorExtensionError(error, driver);
    }),
    signal,
  );
}

/**
 * Creates an extension once per database, safe against concurrent first starts: `CREATE EXTENSION
 * IF NOT EXISTS` alone is not (two sessions both see it missing and one fails with `23505` on
 * `pg_extension_name_index`), so the creation runs in a transaction that first takes an advisory
 * lock on the extension's name (advisory locks are per database, like extensions), then checks
 * again. Returns the installed version; cached per driver, a failure is not cached.
 */
export function ensureExtension(driver: SqlDriver, name: string): Promise<string> {
  let byName = extensionVersions.get(driver);
  if (!byName) {
    byName = new Map();
    extensionVersions.set(driver, byName);
  }
  let found = byName.get(name);
  if (!found) {
    found = createExtension(driver, name);
    byName.set(name, found);
    found.catch(() => byName.delete(name));
  }
  return found;
}

async function createExtension(driver: SqlDriver, name: string): Promise<string> {
  const sql = 'SELECT extversion FROM pg_extension WHERE extname = $1';
  const existing = (await driver.query<{ extversion: string }>(sql, [name])).rows[0]?.extversion;
  if (existing !== undefined) return existing;
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`q-store create extension ${name}`]);
    await tx.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)}`);
    return (await tx.query<{ extversion: string }>(sql, [name])).rows[0]?.extversion ?? 'unknown';
  });
}

const vectorOids = new WeakMap<SqlDriver, Promise<number>>();

/**
 * The OID of the `vector` type in this database (binary `vector[]` parameters carry it); cached per
 * driver. The shared lookup runs without any caller's signal; each caller races its own.
 */
export function vectorTypeOid(driver: SqlDriver, signal?: AbortSignal): Promise<number> {
  let found = vectorOids.get(driver);
  if (!found) {
    found = driver
      .query<{ oid: number }>("SELECT 'vector'::regtype::oid::integer AS oid")
      .then((result) => result.rows[0]?.oid as number);
    vectorOids.set(driver, found);
    found.catch(() => vectorOids.delete(driver));
  }
  return raceAbort(found, signal);
}

function vectorExtensionError(error: unknown, driver: SqlDriver): QStoreError {
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  // 58P01: no control file (PostgreSQL ≤ 15); 0A000 "is not available" (16+).
  if (state === '58P01' || (state === '0A000' && /not available|control file/i.test(message))) {
    return new PgvectorExtensionMissingError(
      driver.where,
      driver.dialect === 'pglite' ? 'pglite-without-extension' : 'not-installed',
      error,
    );
  }
  if (state === '42501') return new PgvectorExtensionMissingError(driver.where, 'no-privilege', error);
  return toQStoreError(error, 'enable the vector extension', driver.where);
}
