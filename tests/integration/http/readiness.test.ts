/**
 * /readyz follows Redis: 200 while it answers, 503 naming it when it does not.
 * Real: a redis-server started by this test on a free port (so it can be stopped), SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createSyndicate, type Syndicate } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { redisAnswers } from '../../../src/queue/redis.js';
import { waitFor } from '../../helpers/wait.js';
import { freePort } from '../../helpers/ports.js';

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
