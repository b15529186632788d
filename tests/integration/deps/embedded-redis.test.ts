/**
 * The embedded redis-server `npm start` runs when none answers: its password stays out of
 * `ps` and out of error messages, and its data directory is the owner's alone.
 * Real: redis-server (started by ensureRedis on a free port), ps, the file system.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { ensureRedis, type EmbeddedRedis } from '../../../src/queue/embedded-redis.js';
import { freePort } from '../../helpers/ports.js';

const PASSWORD = 'embedded-pässword "with" spaces #1 \\ end';

describe('the embedded redis-server', () => {
  const started: EmbeddedRedis[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((embedded) => embedded.stop()));
  });

  it('takes the password from REDIS_URL without showing it in its command line', async () => {
    const port = await freePort();
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'syndicate-embedded-')), 'data');
    const embedded = await ensureRedis(url, dataDir, createLogger('silent'));
    expect(embedded).not.toBeNull();
    started.push(embedded!);

    const commandLine = spawnSync('ps', ['-o', 'args=', '-p', String(embedded!.child.pid)], { encoding: 'utf8' }).stdout;
    expect(commandLine).toContain('redis-server');
    expect(commandLine).not.toContain('embedded-p');
    expect(commandLine).not.toContain('requirepass');

    const authenticated = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    const anonymous = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
    anonymous.on('error', () => undefined);
    try {
      await authenticated.connect();
      expect(await authenticated.ping()).toBe('PONG');
      await anonymous.connect();
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    } finally {
      authenticated.disconnect();
      anonymous.disconnect();
    }
    expect(statSync(path.join(dataDir, 'redis')).mode & 0o777).toBe(0o700);
  });

  it('does not repeat the password when no Redis can be had', async () => {
    // A documentation address (RFC 5737): not this machine, so nothing is started for it.
    const url = `redis://:${encodeURIComponent(PASSWORD)}@192.0.2.1:6379`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-embedded-'));
    const error: unknown = await ensureRedis(url, dataDir, createLogger('silent')).then(
      () => null,
      (failure: unknown) => failure,
    );

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('192.0.2.1');
    expect(message).not.toContain(encodeURIComponent(PASSWORD));
    expect(message).not.toContain('embedded-p');
  });
});
