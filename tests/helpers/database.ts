/**
 * Real databases for store tests: SQLite in a fresh temporary directory, PostgreSQL in a fresh
 * schema of the test server. Each `open()` is isolated and cleans up after itself on close.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

/** The PostgreSQL server tests use (trust auth, database `test`). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface OpenTestDatabaseOptions {
  /** Apply every migration before returning. @defaultValue true */
  migrate?: boolean;
}

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** A new, empty, isolated database; closing it deletes it. */
  open(options?: OpenTestDatabaseOptions): Promise<Database>;
}

/** Both engines, for `describe.each(databaseTargets())`. */
export function databaseTargets(): DatabaseTarget[] {
  return [
    {
      name: 'sqlite',
      async open(options) {
        const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-store-'));
        const database = await openDatabase(`sqlite:${path.join(directory, 'nested', 'syndicate.db')}`);
        return prepare(database, options, async () => {
          await database.close();
          await rm(directory, { recursive: true, force: true });
        });
      },
    },
    {
      name: 'postgres',
      async open(options) {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const database = await openDatabase(TEST_DATABASE_URL, { schema });
        return prepare(database, options, async () => {
          try {
            await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
          } finally {
            await database.close();
          }
        });
      },
    },
  ];
}

async function prepare(database: Database, options: OpenTestDatabaseOptions | undefined, cleanUp: () => Promise<void>): Promise<Database> {
  try {
    if (options?.migrate ?? true) await migrateToLatest(database);
  } catch (error) {
    // The migration error is the one worth reporting, not a failed clean-up after it.
    await cleanUp().catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    db: database.db,
    dialect: database.dialect,
    ping: () => database.ping(),
    close() {
      closing ??= cleanUp();
      return closing;
    },
  };
}
