/**
 * Secrets on a first start, as a user runs it: only the publisher token is printed; DATA_DIR,
 * the generated secrets, the database and the outbox are readable by their owner alone; no
 * signed link reaches the logs.
 * Real: everything (`syndicate start` in a child process, Redis, SQLite, the workers, HTTP on a
 * loopback port, the outbox for the newsletter and X). Faked: nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin', 'syndicate.js');

const modeOf = (file: string) => statSync(file).mode & 0o777;
/** A first start (tsx, migrations, every worker) on a busy 2-core machine can take half a minute. */
const STARTUP_MS = 60_000;

/** `promise`, failing with the service's output appended: what it logged is the diagnosis. */
async function explained<T>(promise: Promise<T>, output: () => string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- service output ---\n${output()}`);
  }
}

describe('a first start', () => {
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let dataDir: string;
  let base: string;
  let prefix: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Not there yet: the first start makes it.
    dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'syndicate-secrets-')), 'data');
    prefix = uniquePrefix('secrets');
    // Secrets from the environment would not be generated; the first start must make them.
    const { PUBLISHER_TOKEN: _publisher, ADMIN_TOKEN: _admin, SECRET_KEY: _key, ...inherited } = process.env;
    child = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...inherited,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: base,
        DATA_DIR: dataDir,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        CHANNELS: 'feeds,newsletter,x',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await explained(
      waitFor(async () => (await fetch(`${base}/readyz`)).ok, STARTUP_MS, 'the service to be ready'),
      () => output,
    );
  }, STARTUP_MS + 10_000);

  afterAll(async () => {
    if (child?.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (prefix) await deletePrefix(prefix);
  });

  it('prints the publisher token and neither the admin token nor the secret key', () => {
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(secrets.PUBLISHER_TOKEN).toMatch(/\S{20,}/);
    expect(secrets.ADMIN_TOKEN).toMatch(/\S{20,}/);
    expect(secrets.SECRET_KEY).toMatch(/\S{20,}/);

    expect(output).toContain(`PUBLISHER_TOKEN=${secrets.PUBLISHER_TOKEN}`);
    expect(output).not.toContain(secrets.ADMIN_TOKEN);
    expect(output).not.toContain(secrets.SECRET_KEY);
  });

  it('keeps DATA_DIR, the secrets, the database and the outbox to their owner, and no signed link in the logs', async () => {
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const signUp = await fetch(`${base}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'reader@example.org' }),
    });
    expect(signUp.status).toBe(202);
    const published = await fetch(`${base}/api/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.PUBLISHER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'modes', url: 'https://news.example/modes', title: 'Who may read the outbox' }),
    });
    expect(published.status).toBe(202);

    const mailDir = path.join(dataDir, 'outbox', 'mail');
    const xDir = path.join(dataDir, 'outbox', 'x');
    const emailsIn = () => readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
    const emails = await explained(
      waitFor(() => emailsIn().length > 0 && emailsIn(), 20_000, 'the confirmation email in the outbox'),
      () => output,
    );
    await explained(
      waitFor(() => readdirSync(xDir).includes('modes.json'), 20_000, 'the X outbox file'),
      () => output,
    );

    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(path.join(dataDir, 'secrets.json'))).toBe(0o600);
    for (const name of ['syndicate.db', 'syndicate.db-wal', 'syndicate.db-shm']) expect(modeOf(path.join(dataDir, name)), name).toBe(0o600);
    for (const directory of [path.join(dataDir, 'outbox'), mailDir, xDir]) expect(modeOf(directory), directory).toBe(0o700);
    for (const file of [...emails.map((name) => path.join(mailDir, name)), path.join(xDir, 'modes.json')]) {
      expect(modeOf(file), file).toBe(0o600);
    }

    const email = readFileSync(path.join(mailDir, emails[0]!), 'utf8').replace(/=\r?\n/g, '');
    const confirmToken = /\/confirm\/([A-Za-z0-9._~-]+)/.exec(email)?.[1];
    expect(confirmToken).toBeDefined();
    expect(output).not.toContain(confirmToken);
  });
});
