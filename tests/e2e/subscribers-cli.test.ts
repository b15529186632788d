/**
 * `syndicate subscribers import|export` as a user runs them: the binary in a child process,
 * SQLite in a temporary DATA_DIR. Real: everything (Redis, SQLite). CHANNELS=feeds, so no
 * confirmation email is queued anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin', 'syndicate.js');
// Each command is a fresh process (tsx, database, Redis): a few seconds apiece.
const SLOW = 90_000;

describe('syndicate subscribers', () => {
  let directory: string;
  let env: Record<string, string>;

  beforeAll(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'syndicate-subscribers-'));
    env = {
      DATA_DIR: path.join(directory, 'data'),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('subscribers-cli'),
      CHANNELS: 'feeds',
    };
  });

  afterAll(async () => {
    await deletePrefix(env.QUEUE_PREFIX!);
    rmSync(directory, { recursive: true, force: true });
  });

  function run(...args: string[]) {
    return spawnSync(process.execPath, [bin, 'subscribers', ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  function file(name: string, text: string): string {
    const target = path.join(directory, name);
    writeFileSync(target, text);
    return target;
  }

  it(
    'imports a CSV, reporting bad rows by line, and exports it again',
    () => {
      const list = file(
        'list.csv',
        '\uFEFFemail,frequency,categories,name\r\nann@example.org,daily,Sport;Arts,Ann\r\nbob@example.org,,,\r\nnot-an-address,daily,,\r\ncat@example.org,hourly,,\r\n',
      );

      const imported = run('import', list, '--confirmed');

      expect(imported.status, imported.stderr).toBe(0);
      expect(imported.stderr).toContain('line 4: email: email must contain exactly one @');
      expect(imported.stderr).toContain('line 5: frequency: must be one of immediate, daily, weekly');
      expect(imported.stderr).toContain('imported 4 rows: 2 created, 0 updated, 0 unchanged, 2 bad');

      const again = run('import', list, '--confirmed');
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain('imported 4 rows: 0 created, 0 updated, 2 unchanged, 2 bad');

      const exported = run('export');
      expect(exported.status, exported.stderr).toBe(0);
      const lines = exported.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('email,frequency,categories,name,state,created_at,confirmed_at');
      expect(
        lines
          .slice(1)
          .map((line) => line.split(',').slice(0, 5).join(','))
          .sort(),
      ).toEqual(['ann@example.org,daily,sport;arts,Ann,confirmed', 'bob@example.org,immediate,,,confirmed']);

      const roundTrip = run('import', file('export.csv', exported.stdout), '--confirmed');
      expect(roundTrip.stderr).toContain('imported 2 rows: 0 created, 0 updated, 2 unchanged, 0 bad');
    },
    SLOW,
  );

  it(
    'imports without --confirmed as pending, with a progress line every 10,000 rows off a terminal',
    () => {
      const rows = Array.from({ length: 10_500 }, (_, i) => `pending${i}@example.org`);
      const imported = run('import', file('pending.csv', `email\n${rows.join('\n')}\n`));

      expect(imported.status, imported.stderr).toBe(0);
      expect(imported.stderr.match(/rows read/g)).toHaveLength(1);
      expect(imported.stderr).toContain('10000 rows read');
      expect(imported.stderr).toContain('imported 10500 rows: 10500 created, 0 updated, 0 unchanged, 0 bad');
      expect(run('export').stdout).toContain('pending42@example.org,immediate,,,pending,');
    },
    SLOW,
  );

  it(
    'fails with 1 for an unreadable file or a header without email, and 2 for usage errors',
    () => {
      const missing = run('import', path.join(directory, 'nope.csv'));
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('cannot read');

      const noEmail = run('import', file('no-email.csv', 'mail,name\nann@example.org,Ann\n'));
      expect(noEmail.status).toBe(1);
      expect(noEmail.stderr).toContain('CSV header has no "email" column (found: "mail", "name")');

      expect(run().status).toBe(2);
      expect(run('import').status).toBe(2);
      expect(run('export', '--confirmed').status).toBe(2);
      expect(run('frobnicate').status).toBe(2);
    },
    SLOW,
  );
});
