/**
 * openDatabase against real SQLite files and a real PostgreSQL server.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { databaseTargets, TEST_DATABASE_URL } from '../../helpers/database.js';

describe.each(databaseTargets())('openDatabase on $name', (target) => {
  const opened: Database[] = [];

  async function open(): Promise<Database> {
    const database = await target.open();
    opened.push(database);
    return database;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  it('answers a ping', async () => {
    await expect((await open()).ping()).resolves.toBeUndefined();
  });

  it('returns BIGINT values as JavaScript numbers', async () => {
    const database = await open();
    const result = await sql<{ big: unknown }>`select cast(9007199254740991 as bigint) as big`.execute(database.db);

    expect(result.rows[0]?.big).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('keeps each opened database separate from the others', async () => {
    const first = await open();
    const second = await open();
    await first.db.insertInto('feed_documents').values(feedRow('site/rss')).execute();

    expect(await second.db.selectFrom('feed_documents').select('key').execute()).toEqual([]);
  });

  it('can be closed twice', async () => {
    const database = await open();
    await database.close();
    await expect(database.close()).resolves.toBeUndefined();
  });
});

describe('openDatabase', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('refuses an unsupported URL, naming DATABASE_URL', async () => {
    await expect(openDatabase('mysql://root@localhost/syndicate')).rejects.toThrow(/DATABASE_URL/);
    await expect(openDatabase('/var/lib/syndicate.db')).rejects.toThrow(/DATABASE_URL/);
  });

  it('creates the SQLite file’s directory and opens it in WAL mode with foreign keys on', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-open-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const file = path.join(directory, 'a', 'b', 'syndicate.db');
    const database = await openDatabase(`sqlite:${file}`);
    cleanups.push(() => database.close());

    const pragma = async (name: string) =>
      Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(database.db)).rows[0] ?? {})[0];
    expect(existsSync(file)).toBe(true);
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1); // NORMAL
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
  });

  it('opens an in-memory SQLite database', async () => {
    const database = await openDatabase('sqlite::memory:');
    cleanups.push(() => database.close());

    expect(await migrateToLatest(database)).toEqual(['001-initial', '002-media', '003-subscribers']);
    expect(database.dialect).toBe('sqlite');
  });

  it('creates the PostgreSQL schema it is given and works inside it', async () => {
    const schema = `t_open_${Date.now().toString(36)}`;
    const database = await openDatabase(TEST_DATABASE_URL, { schema });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    });

    const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
    expect(result.rows[0]?.schema).toBe(schema);
    expect(database.dialect).toBe('postgres');
  });

  it('refuses a PostgreSQL schema name that is not a plain identifier', async () => {
    await expect(openDatabase(TEST_DATABASE_URL, { schema: 'x"; drop table articles; --' })).rejects.toThrow(/schema/);
  });

  it('leaves the process-wide pg BIGINT parser alone', async () => {
    const database = await openDatabase(TEST_DATABASE_URL);
    cleanups.push(() => database.close());
    await database.ping();

    expect(pg.types.getTypeParser(pg.types.builtins.INT8, 'text')('42')).toBe('42');
  });
});

function feedRow(key: string) {
  return {
    key,
    content_type: 'text/plain',
    body: Buffer.from('x'),
    gzip: Buffer.from('x'),
    brotli: Buffer.from('x'),
    etag: '"x"',
    last_modified: 0,
    updated_at: 0,
  };
}
