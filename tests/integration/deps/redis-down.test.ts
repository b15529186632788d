/**
 * Redis down or hung (SPEC §7 "Dependencies down"): requests that need Redis answer 503 with
 * Retry-After within 2 s, feeds are still served from memory, /readyz says 503, and work
 * resumes by itself when Redis is back.
 * Real: a redis-server this test starts on a free port (so it can kill, stop and restart it),
 * SQLite, the BullMQ workers, the HTTP listener on a loopback port. Faked: nothing.
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
import { freePort } from '../../helpers/ports.js';
import { PUBLISHER_TOKEN } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';

/** The bound SPEC §7 sets for a 503. */
const ANSWER_WITHIN_MS = 2000;

describe('with Redis down or hung', () => {
  let redisPort: number;
  let redisUrl: string;
  let redis: ChildProcess | undefined;
  let syndicate: Syndicate;
  let base: string;

  function startRedis(): ChildProcess {
    return spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
  }

  async function stopRedis(): Promise<void> {
    const child = redis;
    redis = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** A request with a hard bound, so a hang fails the test instead of stalling it. */
  async function timed(url: string, init: RequestInit = {}): Promise<{ response: Response; body: string; elapsedMs: number }> {
    const started = Date.now();
    const response = await fetch(`${base}${url}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    return { response, body, elapsedMs: Date.now() - started };
  }

  const publish = (id: string) =>
    timed('/api/articles', {
      method: 'POST',
      headers: { authorization: `Bearer ${PUBLISHER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, url: `https://news.test/${id}`, title: `Story ${id}`, categories: ['City'] }),
    });

  beforeAll(async () => {
    redisPort = await freePort();
    redisUrl = `redis://127.0.0.1:${redisPort}`;
    redis = startRedis();
    await waitFor(() => redisAnswers(redisUrl, 200), 5000, 'redis-server');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-redis-down-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { config } = loadConfig(
      {
        DATA_DIR: dataDir,
        REDIS_URL: redisUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: base,
        PUBLISHER_TOKEN,
        CHANNELS: 'feeds,newsletter',
        FEED_REBUILD_INTERVAL_MS: '0',
        LOG_LEVEL: 'silent',
        SHUTDOWN_TIMEOUT: '2',
      },
      { cwd: dataDir },
    );
    syndicate = await createSyndicate(config, createLogger('silent'));
    await syndicate.startWorkers(syndicate.roles);
    await syndicate.startApi();
  });

  afterAll(async () => {
    redis?.kill('SIGCONT');
    // Bounded: when a test failed with Redis down, closing cannot hand jobs back to it.
    await Promise.race([syndicate?.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    await stopRedis();
  });

  it('answers 503 with Retry-After within 2 s, keeps serving feeds from memory, and resumes when Redis returns', async () => {
    expect((await publish('before-outage')).response.status).toBe(202);
    await waitFor(async () => (await timed('/feed.xml')).body.includes('before-outage'), 15_000, 'the feed to show the first article');

    await stopRedis();
    await waitFor(async () => !(await redisAnswers(redisUrl, 200)), 5000, 'redis to stop');

    const refused = await publish('during-outage');
    expect(refused.response.status).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);

    // The sign-up's rate-limit counters live in Redis too.
    const signUp = await timed('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'reader@example.org' }),
    });
    expect(signUp.response.status).toBe(503);
    expect(signUp.response.headers.get('retry-after')).not.toBeNull();
    expect(signUp.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);

    const feed = await timed('/feed.xml');
    expect(feed.response.status).toBe(200);
    expect(feed.body).toContain('before-outage');

    const ready = await timed('/readyz');
    expect(ready.response.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'unavailable', database: 'ok' });
    expect(ready.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);

    redis = startRedis();
    await waitFor(async () => (await timed('/readyz')).response.status === 200, 20_000, '/readyz after Redis returned');
    expect((await publish('after-outage')).response.status).toBe(202);
    await waitFor(
      async () => (await timed('/feed.xml')).body.includes('after-outage'),
      20_000,
      'the feed to show an article published after',
    );
  });

  it('answers 503 within 2 s while Redis accepts connections but does not answer', async () => {
    expect((await publish('before-hang')).response.status).toBe(202);
    redis!.kill('SIGSTOP');
    try {
      const refused = await publish('during-hang');
      expect(refused.response.status).toBe(503);
      expect(refused.response.headers.get('retry-after')).not.toBeNull();
      expect(refused.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);
      const ready = await timed('/readyz');
      expect(ready.response.status).toBe(503);
      expect(ready.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      redis!.kill('SIGCONT');
    }
    await waitFor(async () => (await timed('/readyz')).response.status === 200, 20_000, '/readyz after Redis woke up');
    expect((await publish('after-hang')).response.status).toBe(202);
  });
});
