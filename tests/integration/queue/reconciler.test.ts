/**
 * The ledger reconciler (LEDGER.md "When Redis forgets"): rows that are due and have no job get
 * one again, once; what cannot make progress ends `failed` with a reason. Redis "forgetting" is
 * the test's own key prefix deleted (FLUSHALL would reach other test files' keys).
 * Real: Redis, SQLite and PostgreSQL, BullMQ queues and workers, the whole Syndicate (feeds, the newsletter
 * over a real SMTP server, X into the outbox), the Fastify app through inject().
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { newsletterModule } from '../../../src/channels/newsletter/module.js';
import type { DeliveryKey, DeliveryState } from '../../../src/domain/delivery.js';
import { createLogger } from '../../../src/logger.js';
import { jobIds } from '../../../src/queue/jobs.js';
import { Reconciler, reconcileJobId, type ReconcileReport, type ReconcilerOptions } from '../../../src/queue/reconciler.js';
import { createRedis } from '../../../src/queue/redis.js';
import { queueKeyPrefix } from '../../../src/queue/redis-keys.js';
import { deletePrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';
import { articleRecord } from '../store/article-records.js';

const LONG_AGO = () => new Date(Date.now() - 10 * 60_000);
const LEASE_MS = 1_000;

describe.each(['sqlite', 'postgres'] as const)('the ledger reconciler on %s', (database) => {
  let t: TestSyndicate | undefined;
  let sink: SmtpSink | undefined;
  const extra: Array<{ close(): Promise<unknown> }> = [];

  afterEach(async () => {
    for (const item of extra.splice(0)) await item.close();
    await t?.stop();
    await sink?.close();
    t = undefined;
    sink = undefined;
  });

  /** A Syndicate with no worker running (so no reconciler of its own) until a test starts some. */
  async function start(name: string, channels: string, env: Record<string, string> = {}) {
    sink = await startSmtpSink();
    t = await startTestSyndicate(`${name}-${database}`, {
      database,
      roles: [],
      env: { CHANNELS: channels, SMTP_URL: sink.url, MAIL_RATE: '0', MAIL_FROM: 'desk@news.test', RECONCILE_INTERVAL_S: '3600', ...env },
    });
    return t;
  }

  /** A reconciler over `t`'s Syndicate that looks at rows of any age. */
  function reconcilerOf(t: TestSyndicate, options: Partial<ReconcilerOptions> = {}): Reconciler {
    const { syndicate } = t;
    return new Reconciler(
      { ...syndicate, channels: syndicate.channelQueues, prefix: t.prefix, logger: createLogger('silent') },
      { intervalMs: 60_000, leaseMs: LEASE_MS, graceMs: 0, retryBackoffMs: 0, ...options },
    );
  }

  /** One pass, waiting for the lock when the Syndicate's own reconciler holds it. */
  const pass = (reconciler: Reconciler) =>
    waitFor(() => reconciler.reconcileOnce(), 10_000, 'the reconciler lock') as Promise<ReconcileReport>;

  async function subscribers(t: TestSyndicate, count: number): Promise<string[]> {
    const { importer, subscribers } = t.syndicate.channel(newsletterModule).services;
    const rows = Array.from({ length: count }, (_, i) => ({
      email: `reader-${i}@example.org`,
      frequency: 'immediate' as const,
      categories: [],
      name: null,
    }));
    await importer.importMany(rows, { confirmed: true, now: new Date() });
    return (await subscribers.pageRecipients('immediate', null, 1000)).map((s) => s.id);
  }

  const stateOf = async (t: TestSyndicate, key: DeliveryKey) => (await t.syndicate.deliveries.get(key))?.state;
  const recipients = () => sink!.messages.map((mail) => mail.envelope.to[0]!).sort();

  it('publishes an article whose publish job was lost, then re-delivers what a second loss took, once each', async () => {
    const t = await start('reconcile-flush', 'feeds,newsletter,x');
    await subscribers(t, 12);
    const reconciler = reconcilerOf(t);
    const post = await t.app.inject({
      method: 'POST',
      url: '/api/articles',
      headers: t.auth,
      payload: { id: 'harbour', url: 'https://news.test/harbour', title: 'Harbour reopens', summary: 'Buses return.' },
    });
    expect(post.statusCode).toBe(202);

    await deletePrefix(t.prefix); // Redis forgets the publish job
    expect(await pass(reconciler)).toMatchObject({ published: 1, requeued: {} });
    expect(await pass(reconciler)).toMatchObject({ published: 0 }); // its job is waiting: nothing added twice
    expect(await t.syndicate.queues.publish.getJobState(jobIds.publish('harbour'))).toBe('waiting');

    await t.syndicate.startWorkers(['publish']);
    const publishJob = jobIds.publish('harbour');
    await waitFor(async () => (await t.syndicate.queues.publish.getJobState(publishJob)) === 'completed', 10_000, 'the fan-out');
    expect(await t.syndicate.deliveries.listForArticle('harbour')).toHaveLength(3);
    await deletePrefix(t.prefix); // and then every channel's deliver job
    expect((await pass(reconciler)).requeued).toEqual({ feeds: 1, newsletter: 1, x: 1 });
    expect((await pass(reconciler)).requeued).toEqual({});

    await t.syndicate.startWorkers(['feeds', 'newsletter', 'x']);
    await sink!.waitFor(12, 20_000);
    await waitFor(async () => {
      const rows = await t.syndicate.deliveries.listForArticle('harbour');
      return rows.length === 15 && rows.every((row) => row.state === 'sent');
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recipients()).toEqual([...new Set(recipients())]);
    expect(recipients()).toHaveLength(12);
    expect(existsSync(path.join(t.dataDir, 'outbox', 'x', 'harbour.json'))).toBe(true);
  });

  it("re-plans a newsletter's queued, retrying and dead-claimed rows and sends nothing twice", async () => {
    const t = await start('reconcile-newsletter', 'newsletter');
    const targets = await subscribers(t, 20);
    const { articles, deliveries } = t.syndicate;
    const old = LONG_AGO();
    await articles.insert(articleRecord('tide', { state: 'published', updatedAt: old }));
    const key = (target: string) => ({ articleId: 'tide', channel: 'newsletter', target });
    await deliveries.ensure(
      [key(''), ...targets.map(key)].map((k) => ({ ...k, state: 'queued' as const })),
      old,
    );
    const complete = async (target: string, state: 'sent' | 'retry' | 'claimed') => {
      const token = randomUUID();
      await deliveries.claim(key(target), token, LEASE_MS, old);
      if (state === 'sent') await deliveries.complete(key(target), token, { state: 'sent', externalId: 'earlier' }, old);
      if (state === 'retry') await deliveries.complete(key(target), token, { state: 'retry', error: '451 try later' }, old);
    };
    await complete('', 'sent'); // the plan ran
    for (const target of targets.slice(0, 8)) await complete(target, 'sent');
    for (const target of targets.slice(8, 12)) await complete(target, 'retry');
    for (const target of targets.slice(12, 15)) await complete(target, 'claimed'); // a worker died mid-send
    // targets 15..19 are still queued

    const report = await pass(reconcilerOf(t));
    expect(report.requeued).toEqual({ newsletter: 1 });
    expect(await stateOf(t, key(targets[12]!))).toBe('retry'); // released for the plan to pick up

    await t.syndicate.startWorkers(['newsletter']);
    await sink!.waitFor(12, 20_000);
    await waitFor(async () => (await deliveries.countByState('tide', 'newsletter', { targetsOnly: true })).sent === 20, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const emails = (await t.syndicate.channel(newsletterModule).services.subscribers.getMany(targets.slice(8))).map((s) => s.email).sort();
    expect(recipients()).toEqual(emails);
  });

  it('brings back the delayed publish job of a scheduled article, and fans out a published article that has no rows', async () => {
    const t = await start('reconcile-scheduled', 'x');
    const old = LONG_AGO();
    const publishAt = new Date(Date.now() + 3_600_000);
    await t.syndicate.articles.insert(articleRecord('later', { state: 'scheduled', publishedAt: publishAt, updatedAt: old }));
    await t.syndicate.articles.insert(articleRecord('orphan', { state: 'published', publishedAt: old, updatedAt: old }));
    await t.syndicate.articles.insert(articleRecord('done', { state: 'published', publishedAt: old, updatedAt: old }));
    await t.syndicate.deliveries.ensure([{ articleId: 'done', channel: 'x', target: '', state: 'queued' }], new Date());

    expect(await pass(reconcilerOf(t))).toMatchObject({ published: 2 });
    const later = await t.syndicate.queues.publish.getJob(jobIds.publish('later'));
    expect(await later?.getState()).toBe('delayed');
    expect(later!.delay).toBeGreaterThan(3_500_000);
    expect(await t.syndicate.queues.publish.getJob(jobIds.publish('done'))).toBeUndefined();

    await t.syndicate.startWorkers(['publish', 'x']);
    await waitFor(async () => (await stateOf(t, { articleId: 'orphan', channel: 'x', target: '' })) === 'sent', 10_000);
    expect((await t.syndicate.articles.get('later'))?.state).toBe('scheduled');
  });

  it('gives a row one fresh job when the kept one finished, then fails it with the reason when that one did not help either', async () => {
    const t = await start('reconcile-give-up', 'x');
    const { articles, deliveries, queues } = t.syndicate;
    const old = LONG_AGO();
    const key = { articleId: 'stuck', channel: 'x', target: '' };
    await articles.insert(articleRecord('stuck', { state: 'published', updatedAt: old }));
    await deliveries.ensure([{ ...key, state: 'queued' }], old);
    // A worker that fails every job before it claims anything (a bug, say).
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker(
      'x',
      async () => {
        throw new UnrecoverableError('the handler broke before claiming');
      },
      { connection, prefix: queueKeyPrefix(t.prefix, 'x') },
    );
    extra.push({ close: async () => (await worker.close(), await connection.quit()) });
    const reconciler = reconcilerOf(t);
    const failedJob = (id: string) => waitFor(async () => (await queues.channel('x').getJobState(id)) === 'failed', 10_000, id);

    expect((await pass(reconciler)).requeued).toEqual({ x: 1 });
    await failedJob(jobIds.deliver('stuck'));
    expect((await pass(reconciler)).requeued).toEqual({ x: 1 });
    await failedJob(reconcileJobId('stuck', { account: true, targets: 0, attempts: 0 }));
    expect(await pass(reconciler)).toMatchObject({ requeued: {}, failed: 1 });
    const row = await deliveries.get(key);
    expect(row?.state).toBe('failed');
    expect(row?.lastError).toMatch(/without delivering: the handler broke before claiming/);
    expect(await pass(reconciler)).toMatchObject({ requeued: {}, failed: 0 });
  });

  it('fails rows tried maxAttempts times instead of enqueuing them again', async () => {
    const t = await start('reconcile-cap', 'x');
    const { articles, deliveries } = t.syndicate;
    const old = LONG_AGO();
    const key = { articleId: 'tried', channel: 'x', target: '' };
    await articles.insert(articleRecord('tried', { state: 'published', updatedAt: old }));
    await deliveries.ensure([{ ...key, state: 'queued' }], old);
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomUUID();
      await deliveries.claim(key, token, LEASE_MS, old);
      await deliveries.complete(key, token, { state: 'retry', error: 'X answered 503' }, old);
    }
    const report = await pass(reconcilerOf(t, { maxAttempts: 3 }));
    expect(report).toMatchObject({ requeued: {}, failed: 1 });
    expect(await deliveries.get(key)).toMatchObject({
      state: 'failed',
      attempts: 3,
      lastError: 'gave up after 3 attempts: X answered 503',
    });
  });

  it("cancels a retracted article's waiting rows and fails the one a dead worker held", async () => {
    const t = await start('reconcile-retracted', 'x,feeds');
    const { articles, deliveries } = t.syndicate;
    const old = LONG_AGO();
    await articles.insert(articleRecord('gone', { state: 'retracted', updatedAt: old, retractedAt: old }));
    await deliveries.ensure(
      ['x', 'feeds'].map((channel) => ({ articleId: 'gone', channel, target: '', state: 'queued' as const })),
      old,
    );
    await deliveries.claim({ articleId: 'gone', channel: 'x', target: '' }, randomUUID(), LEASE_MS, old);
    expect(await pass(reconcilerOf(t))).toMatchObject({ requeued: {}, cancelled: 1, failed: 1 });
    const states: Record<string, DeliveryState> = {};
    for (const row of await deliveries.listForArticle('gone')) states[row.channel] = row.state;
    expect(states).toEqual({ feeds: 'cancelled', x: 'failed' });
  });

  it('lets one process reconcile at a time, and notices at once when Redis forgot', async () => {
    const t = await start('reconcile-lock', 'x');
    const reconciler = reconcilerOf(t, { intervalMs: 3_600_000, probeMs: 100 });
    const redis = createRedis(TEST_REDIS_URL);
    extra.push({ close: () => redis.quit() });
    await redis.set(`${t.prefix}:reconciler:lock`, 'another process', 'PX', 5_000);
    expect(await reconciler.reconcileOnce()).toBeNull();
    await redis.del(`${t.prefix}:reconciler:lock`);

    reconciler.start();
    extra.push({ close: () => reconciler.stop() });
    await waitFor(async () => (await redis.exists(`${t.prefix}:reconciler:marker`)) === 1, 5_000, 'the first pass');
    const old = LONG_AGO();
    await t.syndicate.articles.insert(articleRecord('lost', { state: 'published', updatedAt: old }));
    await t.syndicate.deliveries.ensure([{ articleId: 'lost', channel: 'x', target: '', state: 'queued' }], old);
    await deletePrefix(t.prefix);
    // The interval is an hour: only the missing marker can bring the job back this soon.
    await waitFor(async () => (await t!.syndicate.queues.channel('x').getJobState(jobIds.deliver('lost'))) === 'waiting', 5_000, 'the job');
  });

  it('asks each channel to put back what only Redis kept, on its first pass and after Redis forgot', async () => {
    const t = await start('reconcile-restore', 'x');
    const restored: string[] = [];
    const { syndicate } = t;
    const channels = syndicate.channelQueues.map((channel) => ({ ...channel, reconcile: async () => void restored.push(channel.name) }));
    const reconciler = new Reconciler(
      { ...syndicate, channels, prefix: t.prefix, logger: createLogger('silent') },
      { intervalMs: 60_000, leaseMs: LEASE_MS, graceMs: 0 },
    );
    await pass(reconciler);
    await pass(reconciler);
    expect(restored).toEqual(['x']);
    await deletePrefix(t.prefix);
    await pass(reconciler);
    expect(restored).toEqual(['x', 'x']);
  });
});
