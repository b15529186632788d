/**
 * Scale-out (SPEC §1: every process stateless apart from Redis and the database): `syndicate api`
 * and two `syndicate worker publish newsletter x` processes share one PostgreSQL database and one
 * Redis. Both workers take part of the work, MAIL_RATE and an X rate limit hold across them, and
 * nothing is done twice.
 * Real: the three processes (bin/syndicate.js), PostgreSQL (a schema of its own), Redis (a prefix
 * of its own), an SMTP server (smtp-server). Faked: X, a local HTTPS server speaking API v2,
 * trusted through NODE_EXTRA_CA_CERTS as production would trust a proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriberImporter } from '../../src/channels/newsletter/subscriber-import.js';
import { Queues } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { TEST_DATABASE_URL } from '../helpers/database.js';
import { FakeXServer, X_ERRORS, type RecordedRequest } from '../helpers/fake-x-server.js';
import { freePort } from '../helpers/ports.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { createTestTls, type TestTls } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
const TOKEN = 'scale-out-publisher-token';
const X_CREDENTIALS = { apiKey: 'x-key', apiSecret: 'x-secret', accessToken: 'x-token', accessSecret: 'x-access-secret' };
const SUBSCRIBERS = 100;
const MAIL_RATE = 20;
const WORKERS = ['worker-a', 'worker-b'] as const;

interface Service {
  child: ChildProcess;
  output: string;
}

interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

/** The JSON log lines a process printed (pino, one object per line). */
function logLines(service: Service): LogLine[] {
  return service.output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** A schema of its own on the test server, and a DATABASE_URL whose connections use it. */
async function createSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_scale_${Math.random().toString(36).slice(2, 10)}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return {
    url: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${options}`,
    drop: () => run(`DROP SCHEMA ${schema} CASCADE`),
  };
}

describe('an API process and two worker processes on one database and one Redis', { timeout: 60_000 }, () => {
  const prefix = uniquePrefix('scale');
  const services = new Map<string, Service>();
  let tls: TestTls;
  let x: FakeXServer;
  let sink: SmtpSink;
  let schema: Awaited<ReturnType<typeof createSchema>>;
  let redis: Redis;
  let queues: Queues;
  let base: string;
  // When each message's DATA ended at the sink, and when each request reached the fake X.
  const mailTimes: number[] = [];
  const requestTimes = new Map<RecordedRequest, number>();

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const outputs = () => [...services].map(([name, service]) => `--- ${name}\n${service.output.slice(-2000)}`).join('\n');

  function start(name: string, args: string[], env: Record<string, string>): void {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const service: Service = { child, output: '' };
    child.stdout?.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
    services.set(name, service);
  }

  beforeAll(async () => {
    tls = await createTestTls();
    x = await FakeXServer.start({ tls, credentials: X_CREDENTIALS });
    const record = x.requests.push.bind(x.requests);
    x.requests.push = (...requests: RecordedRequest[]) => {
      for (const request of requests) requestTimes.set(request, Date.now());
      return record(...requests);
    };
    sink = await startSmtpSink({
      parse: false,
      onMessage: () => {
        mailTimes.push(Date.now());
        return 'accept';
      },
    });
    redis = createRedis(TEST_REDIS_URL);
    queues = new Queues(redis, prefix);

    schema = await createSchema();
    const database = await openDatabase(schema.url);
    try {
      await migrateToLatest(database);
      const rows = Array.from({ length: SUBSCRIBERS }, (_, i) => ({
        email: `reader-${String(i).padStart(3, '0')}@example.org`,
        frequency: 'immediate' as const,
        categories: [],
        name: null,
      }));
      await new SubscriberImporter(database).importMany(rows, { confirmed: true, now: new Date() });
    } finally {
      await database.close();
    }

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      NODE_EXTRA_CA_CERTS: tls.caFile,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: schema.url,
      // Secrets shared by every process, as separate machines need (generated ones would differ).
      PUBLISHER_TOKEN: TOKEN,
      ADMIN_TOKEN: 'scale-out-admin-token',
      SECRET_KEY: 'scale-out-secret-key-0123456789abcdef',
      CHANNELS: 'newsletter,x',
      SMTP_URL: sink.url,
      MAIL_FROM: 'desk@news.test',
      MAIL_RATE: String(MAIL_RATE),
      X_API_KEY: X_CREDENTIALS.apiKey,
      X_API_SECRET: X_CREDENTIALS.apiSecret,
      X_ACCESS_TOKEN: X_CREDENTIALS.accessToken,
      X_ACCESS_SECRET: X_CREDENTIALS.accessSecret,
      X_API_BASE_URL: x.url,
      SHUTDOWN_TIMEOUT: '5',
      LOG_LEVEL: 'info',
    };
    // Each process its own DATA_DIR: nothing on disk is shared, as on separate machines.
    const dataDir = (name: string) => mkdtempSync(path.join(tmpdir(), `syndicate-scale-${name}-`));
    start('api', ['api'], { ...env, DATA_DIR: dataDir('api') });
    for (const name of WORKERS) start(name, ['worker', 'publish', 'newsletter', 'x'], { ...env, DATA_DIR: dataDir(name) });
    // Generous: three processes start at once, and other tests may be keeping the machine busy.
    const ready = async () => {
      if (!(await fetch(`${base}/readyz`).catch(() => null))?.ok) return false;
      const counts = await Promise.all(['publish', 'newsletter', 'x'].map((name) => queues.channel(name).getWorkersCount()));
      return counts.every((count) => count === WORKERS.length);
    };
    await waitFor(ready, 120_000, 'the API process and both workers').catch((error: Error) => {
      throw new Error(`${error.message}\n${outputs()}`);
    });
  }, 150_000);

  afterAll(async () => {
    await Promise.all(
      [...services.values()].map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await queues?.close();
    redis?.disconnect();
    await x?.close();
    await sink?.close();
    await tls?.remove();
    await schema?.drop();
    await deletePrefix(prefix);
  }, 30_000);

  it('sends each subscriber one email, at MAIL_RATE across both workers, each worker sending part', async () => {
    const published = await api('POST', '/api/articles', {
      id: 'scale-letter',
      url: 'https://news.test/scale-letter',
      title: 'One letter, two workers',
      summary: 'Sent once to each reader.',
      channels: { x: false },
    });
    expect(published.status).toBe(202);
    await sink.waitFor(SUBSCRIBERS, 40_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${outputs()}`);
    });
    const view = await waitFor(
      async () => {
        const { body } = await api('GET', '/api/articles/scale-letter');
        return body.deliveries?.newsletter?.sent === SUBSCRIBERS ? body : false;
      },
      10_000,
      'every newsletter row sent',
    );
    expect(view.deliveries.newsletter).toMatchObject({ total: SUBSCRIBERS, sent: SUBSCRIBERS, failed: 0, pending: 0 });

    // Nobody twice, even a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const recipients = sink.messages.map((mail) => mail.envelope.to.join(','));
    expect(recipients).toHaveLength(SUBSCRIBERS);
    expect(new Set(recipients).size).toBe(SUBSCRIBERS);

    // At most about a second's worth of mail at once, then MAIL_RATE for both workers together:
    // the rest takes (100 - 20) / 20 = 4 s. Each worker holding the rate on its own would take half.
    const spanMs = Math.max(...mailTimes) - Math.min(...mailTimes);
    expect(spanMs).toBeGreaterThanOrEqual(((SUBSCRIBERS - MAIL_RATE) / MAIL_RATE) * 1000);

    const sentBy = WORKERS.map((name) =>
      logLines(services.get(name)!)
        .filter((line) => line.msg === 'newsletter batch' && line.articleId === 'scale-letter')
        .reduce((sum, line) => sum + Number(line.sent ?? 0), 0),
    );
    expect(sentBy.reduce((sum, n) => sum + n, 0)).toBe(SUBSCRIBERS);
    for (const [i, sent] of sentBy.entries()) expect(sent, `${WORKERS[i]} sent ${sent}; the other ${sentBy[1 - i]}`).toBeGreaterThan(0);
  });

  it('pauses both workers on an X 429 until its reset, then posts each article once, from both', async () => {
    // X's reset is a whole second: this one is 3–4 s after the request that meets the limit.
    let resetMs = 0;
    const requestsBefore = x.requests.length;
    x.failNext('/2/tweets', {
      status: 429,
      method: 'POST',
      body: X_ERRORS.tooManyRequests,
      headers: {
        'x-rate-limit-limit': '100',
        'x-rate-limit-remaining': '0',
        get 'x-rate-limit-reset'() {
          const seconds = Math.floor(Date.now() / 1000) + 4;
          resetMs = seconds * 1000;
          return String(seconds);
        },
      },
    });
    const article = (id: string) => ({
      id,
      url: `https://news.test/${id}`,
      title: `Scale post ${id}`,
      channels: { newsletter: false },
    });
    const ids = Array.from({ length: 6 }, (_, i) => `scale-post-${i}`);
    expect((await api('POST', '/api/articles', article(ids[0]!))).status).toBe(202);
    // The first worker to try gets the 429; the queue is then rate limited in Redis, for every worker.
    const xQueue = queues.channel('x');
    await waitFor(async () => (await xQueue.getRateLimitTtl(Number.MAX_SAFE_INTEGER)) > 0, 20_000, 'the X queue to be rate limited');
    // Both workers are idle now: the limited job, back in wait, and these wait for the reset.
    const statuses = await Promise.all(ids.slice(1).map(async (id) => (await api('POST', '/api/articles', article(id))).status));
    expect(statuses).toEqual(ids.slice(1).map(() => 202));

    const settled = await waitFor(
      async () => {
        const views = await Promise.all(ids.map(async (id) => (await api('GET', `/api/articles/${id}`)).body));
        return views.every((view) => view.deliveries?.x?.state === 'sent') ? views : false;
      },
      30_000,
      'every X delivery sent',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${outputs()}`);
    });

    // Everything that reached X after the 429 (the periodic credential check aside).
    const limited = x.requests.findIndex((request, i) => i >= requestsBefore && request.method === 'POST' && request.path === '/2/tweets');
    const platformWork = x.requests.slice(limited + 1).filter((request) => request.path !== '/2/users/me');
    expect(platformWork.length).toBeGreaterThanOrEqual(ids.length);
    const early = platformWork.filter((request) => requestTimes.get(request)! < resetMs);
    expect(early.map((request) => `${request.method} ${request.path} ${resetMs - requestTimes.get(request)!} ms early`)).toEqual([]);

    // One post per article, the 429 answered once and no attempt spent on it.
    for (const id of ids)
      expect(
        [...x.tweets.values()].filter((tweet) => tweet.text.includes(`news.test/${id}`)),
        id,
      ).toHaveLength(1);
    expect(x.requestsTo('POST', '/2/tweets')).toHaveLength(ids.length + 1);
    expect(settled[0]!.deliveries.x.attempts).toBe(1);

    const postedBy = WORKERS.map(
      (name) =>
        logLines(services.get(name)!).filter((line) => line.msg === 'delivery outcome' && line.channel === 'x' && line.state === 'sent')
          .length,
    );
    expect(postedBy.reduce((sum, n) => sum + n, 0)).toBe(ids.length);
    for (const [i, posted] of postedBy.entries())
      expect(posted, `${WORKERS[i]} posted ${posted}; the other ${postedBy[1 - i]}`).toBeGreaterThan(0);
  });
});
