/**
 * /readyz follows Redis and the database: 200 while both would take work, 503 naming the one
 * that would not (Redis stopped; the SQLite write lock held by another process).
 * Real: a redis-server started by this test on a free port (so it can be stopped), SQLite and
 * a second connection to its file, Fastify (inject).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createSyndicate, type Syndicate } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { redisAnswers } from '../../../src/queue/redis.js';
import { waitFor } from '../../helpers/wait.js';
import { freePort } from '../../helpers/ports.js';
import { startTestSyndicate } from '../../helpers/syndicate.js';

describe('/readyz', () => {
  let redis: ChildProcess;
  let syndicate: Syndicate;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(() => redisAnswers(url, 200), 5000, 'redis-server');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-ready-'));
    const { config } = loadConfig({ DATA_DIR: dataDir, REDIS_URL: url, CHANNELS: 'feeds', LOG_LEVEL: 'silent' }, { cwd: dataDir });
    syndicate = await createSyndicate(config, createLogger('silent'));
  });

  afterAll(async () => {
    redis.kill('SIGKILL');
    syndicate.redis.disconnect();
    await syndicate.database.close();
  });

  it('is 200 while Redis and the database answer, 503 naming Redis when it stops', async () => {
    const app = await syndicate.startApi({ listen: false });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);

    redis.kill('SIGKILL');
    await waitFor(async () => !(await redisAnswers(url, 200)), 5000, 'redis to stop');
    const down = await app.inject({ method: 'GET', url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unavailable', database: 'ok' });
    expect(down.json().redis).not.toBe('ok');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('/readyz with the SQLite file locked', () => {
  it('is 503 naming the database while another process holds the write lock, quickly, and 200 again after', async () => {
    const t = await startTestSyndicate('ready-locked');
    const locker = new SQLite(path.join(t.dataDir, 'syndicate.db'));
    try {
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      locker.exec('BEGIN IMMEDIATE');

      const started = Date.now();
      const locked = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(locked.statusCode).toBe(503);
      expect(locked.json()).toMatchObject({ status: 'unavailable', redis: 'ok' });
      expect(locked.json().database).not.toBe('ok');

      locker.exec('ROLLBACK');
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
      await t.stop();
    }
  });
});
