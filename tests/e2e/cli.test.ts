/**
 * The command line as a user runs it: `syndicate start` in a child process, `syndicate publish`
 * beside it, curl-like requests over real HTTP.
 * Real: everything (Redis, SQLite, workers, HTTP on a loopback port). Faked: nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXmlFeed } from '../helpers/feeds.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/ports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin', 'syndicate.js');
const fixture = path.join(root, 'tests', 'fixtures', 'article.json');

function run(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', input, timeout: 30_000 });
}

function startService(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('syndicate start + publish', () => {
  let env: Record<string, string>;
  let service: ReturnType<typeof startService>;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-e2e-')),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('e2e'),
      LOG_LEVEL: 'info',
    };
    service = startService(env);
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 20_000, 'the service to be ready');
  });

  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await deletePrefix(env.QUEUE_PREFIX!);
  });

  it('prints the generated publisher token once and logs JSON without it', () => {
    expect(service.output()).toMatch(/PUBLISHER_TOKEN=\S{20,}/);
    const token = /PUBLISHER_TOKEN=(\S+)/.exec(service.output())?.[1] ?? '';
    const logLines = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(token);
    }
  });

  it('publishes the example with the CLI and serves it in every feed within a second', async () => {
    const published = run(['publish', fixture], env);
    expect(published.status, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout)).toMatchObject({ id: 'harbour-bridge-reopens', result: 'created' });
    const started = Date.now();
    for (const url of ['/feed.xml', '/atom.xml', '/feed.json', '/categories/transport-roads/feed.xml']) {
      await waitFor(async () => (await (await fetch(`${base}${url}`)).text()).includes('harbour-bridge-reopens'), 3000, url);
    }
    expect(Date.now() - started).toBeLessThan(1000);
    readXmlFeed(await (await fetch(`${base}/feed.xml`)).text());
  });

  it('publishes with curl-style HTTP and the token from DATA_DIR', async () => {
    const { PUBLISHER_TOKEN } = (await import(path.join(env.DATA_DIR!, 'secrets.json'), { with: { type: 'json' } })).default as {
      PUBLISHER_TOKEN: string;
    };
    const response = await fetch(`${base}/api/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PUBLISHER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://news.test/curl', title: 'Sent with curl' }),
    });
    expect(response.status).toBe(202);
    await waitFor(async () => (await (await fetch(`${base}/feed.xml`)).text()).includes('Sent with curl'), 3000);
  });

  it('shows status, refuses bad usage with exit 2 and bad input with exit 1', () => {
    const status = run(['status', 'harbour-bridge-reopens', '--json'], env);
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: 'harbour-bridge-reopens', deliveries: { feeds: { state: 'sent' } } });
    // For people: a table, a column per channel.
    expect(run(['status'], env).stdout).toMatch(/harbour-bridge-reopens\s+Harbour bridge reopens.*✓ sent/);
    expect(run([], env).status).toBe(2);
    expect(run(['frobnicate'], env).status).toBe(2);
    expect(run(['publish'], env).status).toBe(2);
    const invalid = run(['publish', '-'], env, JSON.stringify({ title: 'no url' }));
    expect(invalid.status).toBe(1);
    expect(JSON.parse(invalid.stderr.trim().split('\n').pop() ?? '{}').error.code).toBe('ARTICLE_INVALID');
    const notJson = run(['publish', '-'], env, '{nope');
    expect(notJson.status).toBe(1);
  });

  it('retracts from the CLI and the article leaves the feed', async () => {
    const retracted = run(['retract', 'harbour-bridge-reopens'], env);
    expect(retracted.status, retracted.stderr).toBe(0);
    await waitFor(async () => !(await (await fetch(`${base}/feed.xml`)).text()).includes('harbour-bridge-reopens'), 3000);
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});

describe('syndicate start without a Redis', () => {
  it('starts an embedded redis-server with its data in DATA_DIR/redis', async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-embedded-'));
    const service = startService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      LOG_LEVEL: 'info',
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/feed.xml`)).ok, 20_000, 'the feed');
      expect(service.output()).toMatch(/embedded redis-server/);
      const aof = spawnSync('sh', ['-c', `ls ${dataDir}/redis`], { encoding: 'utf8' }).stdout;
      expect(aof).toMatch(/appendonly/);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      const ping = spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' });
      expect(ping.stdout.trim()).not.toBe('PONG');
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('exits 1 with instructions when no Redis answers and none can be started', async () => {
    const redisPort = await freePort();
    // A PATH with node on it and nothing else: no redis-server to fall back on.
    const onlyNode = mkdtempSync(path.join(tmpdir(), 'syndicate-path-'));
    symlinkSync(process.execPath, path.join(onlyNode, 'node'));
    const result = spawnSync(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        PATH: onlyNode,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-noredis-')),
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/docker compose up -d redis/);
    expect(result.stderr).toMatch(/redis-server/);
  });
});

describe('syndicate migrate and preview', () => {
  const env = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-migrate-')) };

  it('applies migrations once, then reports the database up to date', () => {
    const first = run(['migrate'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied: 001-initial/);
    const second = run(['migrate'], env);
    expect(second.stdout).toMatch(/up to date/);
  });

  it('previews an article without Redis or storing anything', () => {
    const preview = run(['preview', fixture], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(preview.status, preview.stderr).toBe(0);
    const body = JSON.parse(preview.stdout);
    expect(readXmlFeed(body.feed.rss).items[0]?.title).toBe('Harbour bridge reopens after a year of repairs');
    expect(body.x.text).toContain('https://coastaldaily.example/2026/03/02/harbour-bridge-reopens');
    expect(body.x.weightedLength).toBeLessThanOrEqual(280);
    expect(body.facebook.link).toBe('https://coastaldaily.example/2026/03/02/harbour-bridge-reopens');
    expect(body.instagram.caption).toContain('Harbour bridge reopens');
    // The newsletter email, with its unsubscribe link and both parts.
    expect(body.email.subject).toBe('Harbour bridge reopens after a year of repairs');
    expect(body.email.html).toContain('/unsubscribe/');
    expect(body.email.text).toContain('Harbour bridge reopens');
  });
});
