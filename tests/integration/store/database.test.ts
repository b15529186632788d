/**
 * openDatabase against real SQLite files and a real PostgreSQL server.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, openDatabase, SQLITE_BUSY_TIMEOUT_MS, type Database } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { migrationsFor } from '../../../src/store/migrations/index.js';
import { databaseTargets, TEST_DATABASE_URL } from '../../helpers/database.js';
import { freePort } from '../../helpers/ports.js';

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
    // Short: better-sqlite3 waits synchronously, and every request of the process waits with it.
    expect(await pragma('busy_timeout')).toBe(SQLITE_BUSY_TIMEOUT_MS);
    expect(SQLITE_BUSY_TIMEOUT_MS).toBeLessThanOrEqual(500);
  });

  it('keeps the SQLite file, its -wal and -shm only for their owner (0600) in a 0700 directory', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-modes-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const file = path.join(directory, 'data', 'syndicate.db');
    const database = await openDatabase(`sqlite:${file}`);
    cleanups.push(() => database.close());
    await migrateToLatest(database);

    const mode = (name: string) => statSync(name).mode & 0o777;
    expect(mode(path.dirname(file))).toBe(0o700);
    for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(mode(name), name).toBe(0o600);
  });

  it('takes an existing world-readable SQLite file back to 0600', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-modes-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const file = path.join(directory, 'syndicate.db');
    writeFileSync(file, '', { mode: 0o644 });
    const database = await openDatabase(`sqlite:${file}`);
    cleanups.push(() => database.close());
    await database.ping();

    for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(name).mode & 0o777, name).toBe(0o600);
  });

  describe('while another connection holds the SQLite write lock', () => {
    async function lockedDatabase() {
      const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-locked-'));
      cleanups.push(() => rm(directory, { recursive: true, force: true }));
      const file = path.join(directory, 'syndicate.db');
      const database = await openDatabase(`sqlite:${file}`);
      cleanups.push(() => database.close());
      await migrateToLatest(database);
      const other = new SQLite(file);
      cleanups.push(async () => void other.close());
      other.exec('BEGIN IMMEDIATE');
      cleanups.push(async () => void (other.inTransaction && other.exec('ROLLBACK')));
      return { database, other };
    }

    it('fails the ping quickly: readiness checks that a write could start, not only that reads work', async () => {
      const { database } = await lockedDatabase();
      const started = Date.now();
      const error: unknown = await database.ping().then(
        () => null,
        (failure: unknown) => failure,
      );

      expect(error).not.toBeNull();
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('answers the ping again once the lock is released', async () => {
      const { database, other } = await lockedDatabase();
      await expect(database.ping()).rejects.toThrow();
      other.exec('ROLLBACK');

      await expect(database.ping()).resolves.toBeUndefined();
    });
  });

  it('takes the write lock when a transaction begins, so one that read first never fails on a stale snapshot', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'syndicate-snapshot-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const file = path.join(directory, 'syndicate.db');
    const database = await openDatabase(`sqlite:${file}`);
    cleanups.push(() => database.close());
    await migrateToLatest(database);
    const other = new SQLite(file, { timeout: 0 });
    cleanups.push(async () => void other.close());

    let otherWrite: unknown = null;
    await database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('feed_documents').select('key').execute();
      // Another process writes between our read and our write.
      try {
        other
          .prepare(
            "insert into feed_documents (key, content_type, body, gzip, brotli, etag, last_modified, updated_at) values ('other', 't', x'00', x'00', x'00', 'e', 0, 0)",
          )
          .run();
      } catch (error) {
        otherWrite = error;
      }
      await trx.insertInto('feed_documents').values(feedRow('ours')).execute();
    });

    const keys = (await database.db.selectFrom('feed_documents').select('key').execute()).map((row) => row.key);
    expect(keys).toContain('ours');
    // The other writer had to wait for our transaction (here: refused at once, its busy timeout being 0).
    expect((otherWrite as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
  });

  it('classifies a refused PostgreSQL connection as the database being unavailable', async () => {
    const port = await freePort(); // nothing listens there
    const database = await openDatabase(`postgres://postgres@127.0.0.1:${port}/test`);
    cleanups.push(() => database.close());
    const error: unknown = await database.ping().then(
      () => null,
      (failure: unknown) => failure,
    );

    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(new Error('duplicate key value violates unique constraint'))).toBe(false);
  });

  it('gives up on a PostgreSQL server that accepts connections but never answers within 2 s', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const database = await openDatabase(`postgres://postgres@127.0.0.1:${port}/test`);
    cleanups.push(() => database.close());

    const started = Date.now();
    const error: unknown = await database.ping().then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('survives PostgreSQL closing its idle connections, and reconnects on the next query', async () => {
    const database = await openDatabase(TEST_DATABASE_URL);
    cleanups.push(() => database.close());
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]!.pid;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    cleanups.push(() => admin.end());

    // What a PostgreSQL restart or failover does to a pooled connection; an unheard pool error would end the process.
    await admin.query('select pg_terminate_backend($1)', [pid]);
    // pg_terminate_backend only signals the backend: under load it exits (and its FATAL reaches
    // our pool) later. Wait until it is gone, then give the pool a moment to hear of it.
    for (let tries = 0; tries < 100; tries++) {
      const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      if (rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));

    await expect(database.ping()).resolves.toBeUndefined();
  });

  it('opens an in-memory SQLite database', async () => {
    const database = await openDatabase('sqlite::memory:');
    cleanups.push(() => database.close());

    expect(await migrateToLatest(database)).toEqual(Object.keys(migrationsFor('sqlite')));
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
