/**
 * Test helpers (not part of the build): an in-process PGlite, the same served over TCP by
 * pglite-socket for the `pg` code path, and the system PostgreSQL when it is reachable.
 */
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { openEmbeddedPostgres, type PgliteLike } from './driver.js';

export interface ServedPglite {
  db: PgliteLike;
  server: PGLiteSocketServer;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  connectionString: string;
  /** A pool of one connection: every connection shares PGlite's single backend. */
  pool: pg.Pool;
  stop(): Promise<void>;
}

/**
 * PGlite behind pglite-socket on a free loopback port. The server takes one connection
 * (`maxConnections: 1`): connections would share one backend, so interleaved extended-protocol
 * messages of two clients could mix. The pool therefore holds one client.
 */
export async function servePglite(): Promise<ServedPglite> {
  const db = await openEmbeddedPostgres();
  const server = new PGLiteSocketServer({ db: db as never, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const connectionString = `postgres://postgres@${server.getServerConn()}/postgres`;
  const pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('error', () => undefined);
  return {
    db,
    server,
    connectionString,
    pool,
    async stop() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}

/** The machine's PostgreSQL (no pgvector), used for the extension-missing error and the stores. */
export const SYSTEM_POSTGRES_URL =
  process.env.QSTORE_SYSTEM_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why the system PostgreSQL cannot be used, or undefined when it answers. */
export async function systemPostgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: SYSTEM_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${SYSTEM_POSTGRES_URL} is not reachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Why the system PostgreSQL cannot run pgvector tests (unreachable, or pgvector not installed on
 * it), or undefined when `CREATE EXTENSION vector` can work there.
 */
export async function systemPgvectorUnavailable(): Promise<string | undefined> {
  const reason = await systemPostgresUnavailable();
  if (reason) return reason;
  return (await systemHasPgvector())
    ? undefined
    : `PostgreSQL at ${SYSTEM_POSTGRES_URL} has no pgvector (pg_available_extensions lacks 'vector')`;
}

/** Whether the system PostgreSQL offers the `vector` extension (pgvector installed on the server). */
export async function systemHasPgvector(): Promise<boolean> {
  const client = new pg.Client({ connectionString: SYSTEM_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    return rows.length > 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs SQL on the system PostgreSQL (its `postgres` database unless a URL is given) on a fresh client. */
export async function onSystemPostgres<T>(
  work: (client: pg.Client) => Promise<T>,
  connectionString = SYSTEM_POSTGRES_URL,
): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A connection string to another database on the same server as `SYSTEM_POSTGRES_URL`. */
export function systemDatabaseUrl(database: string): string {
  const url = new URL(SYSTEM_POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
