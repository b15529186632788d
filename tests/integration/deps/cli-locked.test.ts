/**
 * `syndicate subscribers import` while a running service holds the SQLite write lock: the
 * command waits for the lock instead of failing with "database is locked".
 * Real: the binary in a child process, SQLite (and a second connection in this process holding
 * its write lock, as the service would), Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = path.join(root, 'bin', 'syndicate.js');

/** How long the lock stays held once the command has the file open: longer than the 5 s it used to wait. */
const LOCK_HELD_MS = 6000;

/** Whether process `pid` has `file` open (Linux: /proc/<pid>/fd). */
function hasOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('subscribers import while the database is locked', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'syndicate-cli-locked-'));
  const prefix = uniquePrefix('cli-locked');

  afterAll(async () => {
    await deletePrefix(prefix);
    rmSync(directory, { recursive: true, force: true });
  });

  it('waits for the lock and imports every row', async () => {
    const dataDir = path.join(directory, 'data');
    const file = path.join(dataDir, 'syndicate.db');
    const database = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
    await database.close();
    const list = path.join(directory, 'list.csv');
    writeFileSync(list, 'email,frequency\nann@example.org,daily\nbob@example.org,weekly\ncat@example.org,\n');

    const locker = new SQLite(file);
    locker.exec('BEGIN IMMEDIATE');
    let release: NodeJS.Timeout | undefined;
    let stderr = '';
    try {
      const child = spawn(process.execPath, [bin, 'subscribers', 'import', list, '--confirmed'], {
        env: { ...process.env, DATA_DIR: dataDir, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, CHANNELS: 'feeds' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // The service finishes its write a while after the command reached the database.
      await waitFor(() => hasOpen(child.pid!, file) || child.exitCode !== null, 30_000, 'the command to open the database');
      release = setTimeout(() => locker.exec('ROLLBACK'), LOCK_HELD_MS);
      const code = await exited;

      expect(code, stderr).toBe(0);
      expect(stderr).not.toMatch(/locked/i);
      const emails = locker.prepare('select email from subscribers order by email').pluck().all();
      expect(emails).toEqual(['ann@example.org', 'bob@example.org', 'cat@example.org']);
    } finally {
      clearTimeout(release);
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
    }
  }, 60_000);
});
