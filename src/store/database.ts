/**
 * Opens the one database Syndicate keeps its state in: SQLite (a file, or memory) or
 * PostgreSQL, behind the same kysely instance so every query is written once.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  /** Resolves when the database answers a trivial query; rejects otherwise. */
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
  if (!inMemory) await mkdir(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets readers run beside the writer and makes each ledger write a short append.
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable across application crashes; only a power loss can drop the last commits.
  sqlite.pragma('synchronous = NORMAL');
  // Several processes (API, workers) share the file: wait for a lock rather than fail at once.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  return wrap(db, 'sqlite');
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
    prepare(sql) {
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
  const pool = new pg.Pool({ connectionString: url, max: POSTGRES_POOL_SIZE, types: postgresTypes(pg.types) });
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
  return wrap(db, 'postgres');
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

function wrap(db: Kysely<Schema>, dialect: DialectName): Database {
  let closing: Promise<void> | null = null;
  return {
    db,
    dialect,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}
