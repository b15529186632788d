/**
 * Outbound webhooks (SPEC §4) as a receiver sees them: a local HTTP server that checks each
 * request the way a receiver's code would (recompute the HMAC over the raw body, compare in
 * constant time, refuse an old `t`). Real: Redis, BullMQ, SQLite, the feeds channel, HTTP.
 * Faked: nothing (the receiver is the test's own server).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { eraseHandlers } from '../../../src/queue/jobs.js';
import { createRedis } from '../../../src/queue/redis.js';
import { createQueueWorker } from '../../../src/queue/worker.js';
import { WebhookPublisher } from '../../../src/webhooks/webhook-publisher.js';
import { createWebhookHandlers, WEBHOOK_JOB_OPTIONS, type WebhookJobs } from '../../../src/webhooks/webhook-queue.js';
import { TEST_REDIS_URL } from '../../helpers/redis.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'webhook-test-secret-0123456789';

interface Received {
  signature: string;
  contentType: string;
  raw: string;
  body: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  status: number;
  receivedAt: number;
}

/** What a receiver runs on every request: the signature must be ours, over these bytes, and recent. */
function receiverAccepts(header: string, raw: string, secret: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const fields = new Map(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(fields.get('t'));
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest();
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A receiver that records every request and answers with the next status scripted for its type (200 once they run out). */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  failNext(type: string, status: number, times: number): void;
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const script = new Map<string, number[]>();
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = String(request.headers['syndicate-signature'] ?? '');
      // A receiver refuses what it cannot verify before acting on it.
      const body = JSON.parse(raw) as Received['body'];
      const status = receiverAccepts(signature, raw, SECRET, Math.floor(Date.now() / 1000)) ? (script.get(body.type)?.shift() ?? 200) : 401;
      received.push({ signature, contentType: String(request.headers['content-type']), raw, body, status, receivedAt: Date.now() });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/syndicate`,
    received,
    failNext: (type, status, times) => script.set(type, [...(script.get(type) ?? []), ...Array<number>(times).fill(status)]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('outbound webhooks', () => {
  let t: TestSyndicate;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestSyndicate('webhooks', { env: { WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it('POSTs a published article and its delivery, signed so that a receiver verifies them', async () => {
    await t.syndicate.service.submit({ id: 'hooked', url: 'https://news.example.com/hooked', title: 'Hooked' });
    const [published, sent] = await Promise.all([
      waitFor(() => receiver.received.find((r) => r.body.type === 'article.published'), 10_000, 'article.published'),
      waitFor(() => receiver.received.find((r) => r.body.type === 'delivery.sent'), 10_000, 'delivery.sent'),
    ]);
    for (const request of [published, sent]) {
      expect(request.status).toBe(200);
      expect(request.contentType).toBe('application/json');
      expect(request.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(Object.keys(request.body).sort()).toEqual(['createdAt', 'data', 'id', 'type']);
      expect(request.body.id).toMatch(/^evt_[0-9a-f]{32}$/);
    }
    expect(published.body.data).toMatchObject({
      articleId: 'hooked',
      article: { url: 'https://news.example.com/hooked', title: 'Hooked' },
    });
    expect(sent.body.data).toMatchObject({ articleId: 'hooked', channel: 'feeds', state: 'sent', attempts: 1 });
  });

  it('refuses a replay: the same request, five minutes later, is stale', () => {
    const request = receiver.received.find((r) => r.body.type === 'article.published')!;
    const t0 = Number(/t=(\d+)/.exec(request.signature)![1]);
    expect(receiverAccepts(request.signature, request.raw, SECRET, t0 + 30)).toBe(true);
    expect(receiverAccepts(request.signature, request.raw, SECRET, t0 + 301)).toBe(false);
    expect(receiverAccepts(request.signature, request.raw.replace('hooked', 'hacked'), SECRET, t0)).toBe(false);
    expect(receiverAccepts(request.signature, request.raw, 'not-the-secret-0123456789', t0)).toBe(false);
  });

  it('POSTs a retraction', async () => {
    await t.syndicate.service.retract('hooked');
    const retracted = await waitFor(() => receiver.received.find((r) => r.body.type === 'article.retracted'), 10_000, 'article.retracted');
    expect(retracted.body.data).toMatchObject({ articleId: 'hooked', article: { state: 'retracted' } });
  });
});

describe('webhook retries', () => {
  let t: TestSyndicate;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let queue: Queue;
  let worker: Worker;
  let publisher: WebhookPublisher;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestSyndicate('webhook-retries');
    // The production options with a quicker back-off: the same code path, in seconds instead of a day.
    const logger = createLogger('silent');
    queue = t.syndicate.queues.channel('webhooks');
    publisher = new WebhookPublisher({
      urls: [receiver.url],
      queue,
      articles: t.syndicate.articles,
      deliveries: t.syndicate.deliveries,
      logger,
      jobOptions: { ...WEBHOOK_JOB_OPTIONS, backoff: { type: 'exponential', delay: 200 } },
    });
    publisher.listen(t.syndicate.events);
    worker = createQueueWorker('webhooks', eraseHandlers<WebhookJobs>(createWebhookHandlers({ secret: SECRET, logger })), {
      connection: createRedis(TEST_REDIS_URL),
      prefix: t.prefix,
      logger,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await t?.stop();
    await receiver?.close();
  });

  it('retries a receiver that answers 500 until it answers 200, with the same id and body each time', async () => {
    receiver.failNext('article.published', 500, 2);
    await t.syndicate.service.submit({ id: 'retried', url: 'https://news.example.com/retried', title: 'Retried' });
    const attempts = await waitFor(
      () => {
        const forPublished = receiver.received.filter((r) => r.body.type === 'article.published');
        return forPublished.some((r) => r.status === 200) ? forPublished : null;
      },
      15_000,
      'the published event accepted',
    );
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(attempts.map((r) => r.raw)).size).toBe(1);
    // Backed off: the second retry waited longer than the first.
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThan(attempts[1]!.receivedAt - attempts[0]!.receivedAt);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.filter((r) => r.body.type === 'article.published')).toHaveLength(3);
  });

  it('queues an event heard twice once', async () => {
    const event = { type: 'article.published', articleId: 'retried' } as const;
    const first = await publisher.publish(event);
    const second = await publisher.publish(event);
    expect(second!.id).toBe(first!.id);
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    expect(jobs.filter((job) => job.data.event.id === first!.id)).toHaveLength(1);
  });
});
