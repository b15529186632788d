/**
 * Opens the one database Syndicate keeps its state in: SQLite (a file, or memory) or
 * PostgreSQL, behind the same kysely instance so every query is written once.
 */
import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type pg from 'pg';
import { CurrentSchemaPostgresDialect } from './postgres-introspector.js';
import type { Schema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the query builder, which engine is behind it, and its lifecycle. */
export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /**
   * Resolves when the database would take a write now (SQLite: the write lock can be had;
   * PostgreSQL: it answers and is not a read-only standby); rejects otherwise. Readiness.
   */
  ping(): Promise<void>;
  /** Closes the file or the pool. Safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * PostgreSQL only (SQLite ignores it): the schema to work in. Created when missing and set
   * as the `search_path` of every pooled connection, so tests can each have their own.
   * @defaultValue the server's default `search_path` (normally `public`)
   */
  schema?: string;
}

/** Postgres pool size: enough for the workers of one process, small enough for many processes. */
const POSTGRES_POOL_SIZE = 10;

/**
 * How long a SQLite statement waits for another connection's write lock before SQLITE_BUSY.
 * better-sqlite3 waits synchronously, so the whole process (every HTTP request) waits with
 * it: short, so a locked file is a quick 503, never a frozen process. Writers that can wait
 * longer retry without blocking ({@link retryWhileBusy}); transactions take the lock when
 * they begin, so waiting is the only way they meet another writer.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 250;

/**
 * How long a PostgreSQL query waits for a pooled connection (and a new connection for the
 * server's answer) before failing: requests answer 503 within 2 s instead of hanging.
 */
export const POSTGRES_CONNECTION_TIMEOUT_MS = 1500;

/** Owner only: the database holds subscriber addresses and signed-link material. */
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIRECTORY_MODE = 0o700;

/** Unquoted-identifier rules keep the name safe to interpolate into `SET search_path`. */
const SCHEMA_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens the database named by `url`: `sqlite:<path>` (parent directory created),
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
 *
 * @throws Error naming `DATABASE_URL` when the scheme is not one of these.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? '(none)';
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (or postgresql://); got scheme "${scheme}"`);
}

async function openSqlite(path: string): Promise<Database> {
  if (path === '') throw new Error('DATABASE_URL sqlite: needs a file path, or :memory:');
  const inMemory = path === ':memory:';
  if (!inMemory) await createPrivateFile(path);
  const sqlite = new SQLite(path);
  // WAL lets readers run beside the writer and makes each ledger write a short append.
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable across application crashes; only a power loss can drop the last commits.
  sqlite.pragma('synchronous = NORMAL');
  // Several processes (API, workers) share the file: wait for a lock briefly rather than fail at once.
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  // SQLite makes -wal and -shm with the database file's mode; older ones may still be 0644.
  if (!inMemory) await restrictModes([`${path}-wal`, `${path}-shm`]);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  return wrap(db, 'sqlite', async () => {
    await db.connection().execute(async (connection) => {
      // Takes the write lock (waiting at most the busy timeout) and gives it back at once.
      await sql`begin immediate`.execute(connection);
      await sql`rollback`.execute(connection);
    });
  });
}

/**
 * Creates the SQLite file (and its directory) readable by its owner only, before SQLite
 * makes it with the umask's 0644; an existing file is brought back to 0600.
 */
async function createPrivateFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await (await open(path, 'a', PRIVATE_FILE_MODE)).close();
  await restrictModes([path]);
}

/** Takes group and other permissions off each file that exists. */
async function restrictModes(files: readonly string[]): Promise<void> {
  for (const file of files) {
    const mode = await stat(file).then(
      (stats) => stats.mode & 0o777,
      () => null,
    );
    if (mode !== null && (mode & 0o077) !== 0) await chmod(file, mode & PRIVATE_FILE_MODE);
  }
}

/** Prepared statements kept per SQL text; enough for every query shape the stores write. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * kysely prepares a statement on every query; with better-sqlite3 the preparing costs more
 * than running a ledger claim, so statements are kept by their SQL (least recently used
 * dropped first). Safe because better-sqlite3 runs a statement to completion before the
 * next one starts; only `iterate` (kysely's `stream()`, which we do not use) holds one open.
 */
function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      // kysely begins with a deferred BEGIN: a transaction that read first and then writes after
      // another connection committed fails at once (SQLITE_BUSY_SNAPSHOT, no busy wait). Every
      // transaction here writes, so each takes the write lock when it begins.
      const sql = text === 'begin' ? 'begin immediate' : text;
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

/** BIGINT holds epoch milliseconds and counts: parse it as a number, refusing silent precision loss. */
function parseBigint(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`BIGINT ${value} does not fit a JavaScript number`);
  return parsed;
}

/** Per-pool type parsers, so the process-wide `pg.types` registry stays untouched. */
function postgresTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === types.builtins.INT8 && (format ?? 'text') === 'text'
        ? parseBigint
        : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
  };
}

async function openPostgres(url: string, schema: string | undefined): Promise<Database> {
  if (schema !== undefined && !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(`database schema "${schema}" must match ${SCHEMA_NAME_PATTERN.source}`);
  }
  // Loaded here: a SQLite deployment never needs the PostgreSQL driver in memory.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE,
    types: postgresTypes(pg.types),
    connectionTimeoutMillis: POSTGRES_CONNECTION_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle pooled connection that the server closed (restart, failover) is dropped by the pool and
  // the next query opens a new one; unheard, this event would end the process.
  pool.on('error', () => undefined);
  const quotedSchema = schema === undefined ? null : `"${schema}"`;
  if (quotedSchema !== null) {
    try {
      await createSchemaIfMissing(pool, quotedSchema);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }
  const db = new Kysely<Schema>({
    dialect: new CurrentSchemaPostgresDialect({
      pool,
      // Runs once per new pooled connection, before kysely hands it out.
      onCreateConnection:
        quotedSchema === null
          ? undefined
          : async (connection) => {
              await connection.executeQuery(CompiledQuery.raw(`SET search_path TO ${quotedSchema}`));
            },
    }),
  });
  return wrap(db, 'postgres', async () => {
    const { rows } = await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(db);
    if (rows[0]?.standby) throw new DatabaseUnavailableError('the PostgreSQL server is a read-only standby');
  });
}

async function createSchemaIfMissing(pool: pg.Pool, quotedSchema: string): Promise<void> {
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
  } catch (error) {
    // Two processes creating it at once: IF NOT EXISTS can still raise a unique violation.
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

function wrap(db: Kysely<Schema>, dialect: DialectName, ping: () => Promise<void>): Database {
  let closing: Promise<void> | null = null;
  return {
    db,
    dialect,
    ping,
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/** The database cannot take work now (a standby, a lock, a connection that failed): try again soon. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** SQLite's result codes for "another connection holds the lock" (extended codes included). */
const SQLITE_BUSY_CODES = /^SQLITE_(BUSY|LOCKED)(_|$)/;
/** Socket errors: the server is not there, or stopped answering. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs that say "not now" rather than "wrong": too many connections, shutting
 * down, starting up, cancelled by statement_timeout, a lock not available, a read-only standby.
 */
const POSTGRES_UNAVAILABLE_STATES = new Set(['53300', '57P01', '57P02', '57P03', '57014', '55P03', '25006']);
/** What node-postgres and its pool say when a connection fails or times out (they carry no code). */
const POSTGRES_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/;

/** True when `error` is SQLite's SQLITE_BUSY or SQLITE_LOCKED (any extended code). */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLITE_BUSY_CODES.test(code);
}

/**
 * True when `error` means the database is locked, unreachable or not taking work now, so
 * the caller should answer 503 and try again, rather than report a failed query.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof DatabaseUnavailableError || isDatabaseBusy(current)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || POSTGRES_UNAVAILABLE_STATES.has(code))) {
      return true;
    }
    if (POSTGRES_CONNECTION_MESSAGES.test(current.message)) return true;
    // Several addresses tried at once (localhost as ::1 and 127.0.0.1): each failure is inside.
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}

/**
 * Lets each SQLite statement wait up to `timeoutMs` for another connection's lock (SQLite
 * retries on its own meanwhile). For one-shot commands, where a synchronous wait stops
 * nobody else; a server keeps {@link SQLITE_BUSY_TIMEOUT_MS}. PostgreSQL: nothing to do.
 */
export async function waitForLocks(database: Database, timeoutMs: number): Promise<void> {
  if (database.dialect !== 'sqlite') return;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0)
    throw new RangeError(`busy timeout must be a whole number of ms, got ${timeoutMs}`);
  await sql.raw(`pragma busy_timeout = ${timeoutMs}`).execute(database.db);
}

export interface RetryWhileBusyOptions {
  /** Gives up (rethrowing SQLITE_BUSY) after this long. @defaultValue 30000 */
  budgetMs?: number;
  /** Told of each wait, with the attempt number (1 for the first retry). */
  onRetry?: (attempt: number, error: unknown) => void;
}

/**
 * Runs `work` again while it fails with SQLITE_BUSY/SQLITE_LOCKED, waiting between attempts
 * without blocking the event loop. For work that is safe to repeat: one statement, or one
 * whole transaction (rolled back when it failed). The CLI uses it while a service writes.
 */
export async function retryWhileBusy<T>(work: () => Promise<T>, options: RetryWhileBusyOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.budgetMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseBusy(error) || Date.now() >= deadline) throw error;
      options.onRetry?.(attempt, error);
      await sleep(Math.min(50 * 2 ** Math.min(attempt - 1, 5), 1000, Math.max(0, deadline - Date.now())));
    }
  }
}
