/**
 * GET /metrics after real deliveries, read with an independent Prometheus text parser
 * (parse-prometheus-text-format). Real: Redis, SQLite, the BullMQ workers, the feeds, the
 * newsletter and X in OUTBOX mode (no credentials: they write to DATA_DIR/outbox through the
 * same ledger), an HTTP listener for the feeds' fast path. Nothing is faked.
 */
import type { AddressInfo } from 'node:net';
import { createCommandRedis } from '../../../src/queue/redis.js';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedKey } from '../../../src/channels/feeds/document.js';
import { feedsModule } from '../../../src/channels/feeds/module.js';
import { EventBus } from '../../../src/events.js';
import { createLogger } from '../../../src/logger.js';
import { SUBSCRIBER_STATES } from '../../../src/domain/subscriber.js';
import { QUEUE_JOB_STATES } from '../../../src/metrics/catalogue.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { PUBLISHER_TOKEN, startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';
import { family, histogram, labelValues, parseExposition, series } from './exposition.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const X_SENT = { channel: 'x', state: 'sent' };

/** Every metric SPEC §3 names, with its type and labels. */
const SPEC_METRICS: Array<[name: string, type: string, labels: string[]]> = [
  ['syndicate_deliveries_total', 'COUNTER', ['channel', 'state']],
  ['syndicate_queue_jobs', 'GAUGE', ['queue', 'state']],
  ['syndicate_job_duration_seconds', 'HISTOGRAM', ['queue']],
  ['syndicate_http_request_duration_seconds', 'HISTOGRAM', ['route', 'status']],
  ['syndicate_feed_rebuilds_total', 'COUNTER', []],
  ['syndicate_ambiguous_resends_total', 'COUNTER', []],
  ['syndicate_rate_limit_waits_total', 'COUNTER', ['channel']],
  ['syndicate_subscribers', 'GAUGE', ['state']],
  ['syndicate_credential_expiry_seconds', 'GAUGE', ['channel']],
];

describe('GET /metrics', () => {
  let t: TestSyndicate;
  let base: string;

  const scrape = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(response.statusCode).toBe(200);
    return parseExposition(response.body);
  };

  beforeAll(async () => {
    t = await startTestSyndicate('metrics', { env: { CHANNELS: 'feeds,newsletter,x', OUTBOX: 'true', ADMIN_TOKEN } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const published = await t.app.inject({
      method: 'POST',
      url: '/api/articles',
      headers: t.auth,
      payload: { id: 'counted', url: 'https://news.test/counted', title: 'Counted story', categories: ['World'] },
    });
    expect(published.statusCode).toBe(202);
    for (const channel of ['x', 'feeds']) {
      await waitFor(
        async () => (await t.syndicate.deliveries.get({ articleId: 'counted', channel, target: '' }))?.state === 'sent',
        10_000,
        `the ${channel} delivery`,
      );
    }
  });
  afterAll(() => t?.stop());

  it('answers in the Prometheus text format, uncached', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('has every metric SPEC §3 names, with its type and labels', async () => {
    const families = await scrape();
    for (const [name, type, labels] of SPEC_METRICS) {
      const found = family(families, name);
      expect(found.type, name).toBe(type);
      expect(found.help, name).not.toBe('');
      const samples = type === 'HISTOGRAM' ? families.histogram(name) : found.metrics;
      if (name !== 'syndicate_credential_expiry_seconds') expect(samples.length, name).toBeGreaterThan(0);
      for (const sample of samples) expect(Object.keys(sample.labels ?? {}).sort(), name).toEqual([...labels].sort());
    }
    // Prometheus conventions: counters end in _total, durations are in seconds.
    for (const found of families.families.values()) {
      if (!found.name.startsWith('syndicate_')) continue;
      expect(found.type === 'COUNTER', found.name).toBe(found.name.endsWith('_total'));
      if (found.type === 'HISTOGRAM') expect(found.name).toMatch(/_seconds$/);
    }
  });

  it('counts the X delivery by channel and state', async () => {
    const deliveries = family(await scrape(), 'syndicate_deliveries_total');
    expect(series(deliveries, X_SENT)?.value).toBe('1');
    expect(series(deliveries, { channel: 'feeds', state: 'sent' })?.value).toBe('1');
    // Known series start at 0, so that rate() and alerts see them before the first failure.
    expect(series(deliveries, { channel: 'x', state: 'failed' })?.value).toBe('0');
    expect(labelValues(deliveries.metrics, 'channel')).toEqual(['feeds', 'newsletter', 'x']);
  });

  it('starts the counters nothing has counted yet at 0', async () => {
    const families = await scrape();
    expect(series(family(families, 'syndicate_rate_limit_waits_total'), { channel: 'x' })?.value).toBe('0');
    expect(series(family(families, 'syndicate_ambiguous_resends_total'), {})?.value).toBe('0');
  });

  it('reads every queue’s job counts from Redis at scrape time', async () => {
    const queueJobs = family(await scrape(), 'syndicate_queue_jobs');
    expect(labelValues(queueJobs.metrics, 'queue')).toEqual(['feeds', 'newsletter', 'publish', 'x']);
    for (const queue of ['feeds', 'newsletter', 'publish', 'x']) {
      for (const state of QUEUE_JOB_STATES) expect(series(queueJobs, { queue, state }), `${queue} ${state}`).toBeDefined();
    }
    expect(Number(series(queueJobs, { queue: 'x', state: 'completed' })?.value)).toBeGreaterThanOrEqual(1);

    // A scheduled article waits as a delayed publish job: the gauge sees it (after its one-second cache).
    const before = Number(series(queueJobs, { queue: 'publish', state: 'delayed' })?.value);
    await t.syndicate.service.submit({
      id: 'later',
      url: 'https://news.test/later',
      title: 'Later story',
      publishedAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await waitFor(
      async () =>
        Number(series(family(await scrape(), 'syndicate_queue_jobs'), { queue: 'publish', state: 'delayed' })?.value) === before + 1,
      5000,
      'the delayed publish job in the gauge',
    );
  });

  it('times each job attempt per queue', async () => {
    const exposition = await scrape();
    for (const queue of ['publish', 'x', 'feeds']) {
      const durations = histogram(exposition, 'syndicate_job_duration_seconds', { queue });
      expect(durations?.count, queue).toBeGreaterThanOrEqual(1);
      expect(durations?.buckets['+Inf']).toBe(durations?.count);
      expect(durations?.sum).toBeGreaterThan(0);
      // Cumulative buckets never decrease.
      const upper = (bound: string) => (bound === '+Inf' ? Infinity : Number(bound));
      const bounds = Object.keys(durations?.buckets ?? {}).sort((a, b) => upper(a) - upper(b));
      const counts = bounds.map((bound) => durations!.buckets[bound]!);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }
  });

  it('times HTTP requests by route pattern, the feeds’ fast path included', async () => {
    const feeds = t.syndicate.channel(feedsModule).services.cache;
    const get = async (path: string) => (await fetch(`${base}${path}`)).status;
    expect(await get('/feed.xml')).toBe(200);
    // The first request cached the feed: the next ones are answered before Fastify routes them.
    expect(feeds.peek(feedKey('rss'))).toBeTruthy();
    expect(await get('/feed.xml')).toBe(200);
    expect(await get('/feed.xml')).toBe(200);
    // Rendered before the feeds delivery was recorded as sent.
    expect(await get('/categories/world/feed.xml')).toBe(200);
    expect(await get('/categories/world/feed.xml')).toBe(200);
    expect(await get('/no/such/page-1')).toBe(404);
    expect(await get('/no/such/page-2')).toBe(404);

    const exposition = await scrape();
    const http = (labels: Record<string, string>) => histogram(exposition, 'syndicate_http_request_duration_seconds', labels)?.count;
    expect(http({ route: '/feed.xml', status: '200' })).toBe(3);
    expect(http({ route: '/categories/:slug/feed.xml', status: '200' })).toBe(2);
    expect(http({ route: '/api/articles', status: '202' })).toBe(1);
    expect(http({ route: 'unmatched', status: '404' })).toBe(2);
    // Patterns, never raw URLs: the label set stays bounded whatever strangers request.
    const routes = labelValues(exposition.histogram('syndicate_http_request_duration_seconds'), 'route');
    for (const route of routes) expect(route).not.toMatch(/world|no\/such/);
  });

  it('reports each channel’s own metrics through the module hook', async () => {
    const families = await scrape();
    expect(Number(series(family(families, 'syndicate_feed_rebuilds_total'), {})?.value)).toBeGreaterThanOrEqual(1);
    const subscribers = family(families, 'syndicate_subscribers');
    expect(labelValues(subscribers.metrics, 'state')).toEqual([...SUBSCRIBER_STATES].sort());
    const pendingBefore = Number(series(subscribers, { state: 'pending' })?.value);

    const subscribed = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { email: 'reader@example.com', frequency: 'immediate' },
    });
    expect(subscribed.statusCode).toBe(202);
    const after = family(await scrape(), 'syndicate_subscribers');
    expect(Number(series(after, { state: 'pending' })?.value)).toBe(pendingBefore + 1);
  });

  it('shows the time left on credentials as the credential checks find it', async () => {
    const in20Days = new Date(Date.now() + 20 * 86_400_000);
    const checked = (channel: string, state: 'valid' | 'refused', expiresAt: Date | null) =>
      t.syndicate.events.emit({ type: 'credential.checked', channel, ok: state === 'valid', state, account: '@desk', expiresAt });
    const expiry = async () => family(await scrape(), 'syndicate_credential_expiry_seconds');

    checked('x', 'valid', in20Days);
    // A channel that is not in CHANNELS is not reported.
    checked('facebook', 'valid', in20Days);
    const found = await waitFor(async () => ((await expiry()).metrics.length > 0 ? expiry() : undefined), 5000, 'the expiry');
    expect(found.type).toBe('GAUGE');
    expect(labelValues(found.metrics, 'channel')).toEqual(['x']);
    const left = Number(series(found, { channel: 'x' })?.value);
    expect(left).toBeLessThanOrEqual(20 * 86_400);
    expect(left).toBeGreaterThan(20 * 86_400 - 60);

    // A refused check says nothing new about the expiry; credentials that do not expire have no series.
    checked('x', 'refused', null);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Number(series(await expiry(), { channel: 'x' })?.value)).toBeGreaterThan(20 * 86_400 - 60);
    await t.syndicate.metrics.recordCredentialExpiry('x', null);
    expect((await expiry()).metrics).toEqual([]);
  });

  it('adds up what every process counted: a worker elsewhere shows in this API’s scrape', async () => {
    // Another process of the same deployment (same Redis, same prefix), as a worker-only one is.
    const events = new EventBus();
    const elsewhere = new Metrics({
      config: { queuePrefix: t.prefix, channels: ['feeds', 'newsletter', 'x'], adminToken: ADMIN_TOKEN },
      redis: t.syndicate.redis,
      logger: createLogger('silent'),
      events,
      queues: () => [],
      channels: [],
    });
    events.emit({ type: 'delivery.completed', key: { articleId: 'elsewhere', channel: 'x', target: '' }, state: 'sent' });
    events.emit({ type: 'delivery.rate_limited', channel: 'x', until: new Date() });
    events.emit({ type: 'delivery.ambiguous_resend', key: { articleId: 'elsewhere', channel: 'newsletter', target: 's1' } });
    await elsewhere.close();

    const families = await scrape();
    expect(series(family(families, 'syndicate_deliveries_total'), X_SENT)?.value).toBe('2');
    expect(series(family(families, 'syndicate_rate_limit_waits_total'), { channel: 'x' })?.value).toBe('1');
    expect(series(family(families, 'syndicate_ambiguous_resends_total'), {})?.value).toBe('1');
  });

  it('includes the Node.js process metrics', async () => {
    const families = await scrape();
    expect(family(families, 'process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(family(families, 'nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
  });

  it('refuses a scrape without the admin token, or with another token', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error).toMatchObject({ code: 'TOKEN_MISSING', message: expect.stringContaining('ADMIN_TOKEN') });
    for (const token of ['not-the-admin-token', PUBLISHER_TOKEN]) {
      const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('TOKEN_INVALID');
      expect(wrong.body).not.toContain('syndicate_');
    }
  });
});

describe('GET /metrics without Redis', () => {
  it('still answers within the scrape timeout, with what this process knows', async () => {
    // Nothing listens on port 1: every Redis command fails, a BullMQ queue waits for it forever.
    const redis = createCommandRedis('redis://127.0.0.1:1', { retryStrategy: () => 1000 });
    redis.on('error', () => {});
    const queue = new Queue('publish', { connection: redis, prefix: 'metrics-down' });
    queue.on('error', () => {});
    const metrics = new Metrics({
      config: { queuePrefix: 'metrics-down', channels: ['x'], adminToken: ADMIN_TOKEN },
      redis,
      logger: createLogger('silent'),
      events: new EventBus(),
      queues: () => [queue],
      channels: [],
    });
    try {
      const started = Date.now();
      const { body } = await metrics.render();
      expect(Date.now() - started).toBeLessThan(3000);
      const families = parseExposition(body);
      expect(family(families, 'syndicate_deliveries_total').metrics).toEqual([]);
      expect(family(families, 'syndicate_queue_jobs').metrics).toEqual([]);
      expect(family(families, 'process_cpu_user_seconds_total').metrics).not.toEqual([]);
    } finally {
      await metrics.close();
      await queue.close().catch(() => {});
      redis.disconnect();
    }
  });
});
