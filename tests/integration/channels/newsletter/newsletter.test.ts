/**
 * The newsletter end to end in one process: subscribe → confirmation email → confirm →
 * publish → one email per confirmed immediate subscriber; one-click unsubscribe from the
 * header; digests; 4xx retries and 5xx bounces; retraction stopping queued batches.
 * Real: Redis, SQLite and PostgreSQL, BullMQ workers, the Fastify app (inject), an SMTP
 * server (smtp-server) whose messages are parsed with mailparser.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import type { ArticleRecord } from '../../../../src/domain/article.js';
import type { SubscriptionInput } from '../../../../src/domain/subscriber.js';
import { createTokenSigner } from '../../../../src/channels/newsletter/tokens.js';
import { createSyndicate, type Syndicate } from '../../../../src/app.js';
import { createLogger } from '../../../../src/logger.js';
import { makeArticle } from '../../../helpers/articles.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../../helpers/smtp-sink.js';
import { startTestSyndicate, type TestSyndicate } from '../../../helpers/syndicate.js';
import { waitFor } from '../../../helpers/wait.js';
import { newsletterModule } from '../../../../src/channels/newsletter/module.js';

const header = (mail: ParsedMail, name: string): string => {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase());
  return line ? line.line.slice(line.line.indexOf(':') + 1).trim() : '';
};
const recipients = (mails: ReceivedMail[]) => mails.flatMap((m) => m.envelope.to).sort();
const input = (email: string, frequency: SubscriptionInput['frequency'] = 'immediate', categories: string[] = []): SubscriptionInput => ({
  email,
  frequency,
  categories,
  name: null,
});

/** An SMTP sink and a Syndicate whose newsletter sends to it, started and stopped together. */
async function startMailDesk(name: string, env: Record<string, string>, database?: 'sqlite' | 'postgres') {
  const sink = await startSmtpSink();
  const t = await startTestSyndicate(name, {
    ...(database ? { database } : {}),
    env: { CHANNELS: 'newsletter', SMTP_URL: sink.url, MAIL_RATE: '0', MAIL_FROM: 'Test Desk <desk@news.test>', ...env },
  });
  return { sink, t, stop: async () => (await t.stop(), await sink.close()) };
}

/** A confirmed subscriber, made directly in the store. */
async function confirmSubscriber(
  t: TestSyndicate,
  email: string,
  frequency: SubscriptionInput['frequency'] = 'immediate',
  categories: string[] = [],
) {
  const { subscriber } = await t.syndicate
    .channel(newsletterModule)
    .services.subscribers.subscribe(input(email, frequency, categories), { now: new Date() });
  await t.syndicate.channel(newsletterModule).services.subscribers.confirm(subscriber.id, new Date());
  return subscriber;
}

describe.each(['sqlite', 'postgres'] as const)('newsletter on %s', (database) => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let stop: () => Promise<unknown>;
  let counter = 0;

  beforeAll(async () => {
    ({ sink, t, stop } = await startMailDesk(`newsletter-${database}`, { CHANNELS: 'feeds,newsletter' }, database));
  });
  afterAll(async () => {
    await stop?.();
  });
  beforeEach(() => {
    sink.messages.length = 0;
  });

  /** A confirmed subscriber made directly in the store. */
  const confirmed = (email: string, frequency: SubscriptionInput['frequency'] = 'immediate', categories: string[] = []) =>
    confirmSubscriber(t, email, frequency, categories);

  async function publish(extra: Record<string, unknown> = {}) {
    counter += 1;
    const id = `story-${database}-${counter}`;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/articles',
      headers: t.auth,
      payload: { id, url: `https://news.test/${id}`, title: `Story ${counter}`, summary: 'What happened.', ...extra },
    });
    expect(response.statusCode).toBe(202);
    return id;
  }

  async function settled(id: string) {
    return waitFor(
      async () => {
        const body = (await t.app.inject({ method: 'GET', url: `/api/articles/${id}`, headers: t.auth })).json();
        const newsletter = body.deliveries.newsletter;
        return newsletter && newsletter.state === 'sent' && newsletter.pending === 0 ? newsletter : false;
      },
      15_000,
      `newsletter of ${id} to settle`,
    );
  }

  it('double opt-in: the request mails a confirmation link, its button confirms, then articles arrive', async () => {
    const email = `reader-${database}@example.org`;
    const response = await t.app.inject({ method: 'POST', url: '/subscribe', payload: { email, frequency: 'immediate' } });
    expect(response.statusCode).toBe(202);
    const [confirmation] = await sink.waitFor(1);
    expect(confirmation!.envelope.to).toEqual([email]);
    expect(confirmation!.parsed.subject).toMatch(/confirm/i);
    const link = /http:\/\/news\.test(\/confirm\/[A-Za-z0-9._~-]+)/.exec(confirmation!.parsed.text ?? '');
    expect(link).not.toBeNull();

    // Pending: an article published now is not theirs.
    const before = await publish();
    await settled(before);
    expect(sink.messages).toHaveLength(1);

    // Following the link (as a mail scanner does) shows a button and confirms nothing.
    const page = await t.app.inject({ method: 'GET', url: link![1]! });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`action="${link![1]!}"`);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.getByEmail(email))?.state).toBe('pending');
    const confirm = await t.app.inject({ method: 'POST', url: link![1]! });
    expect(confirm.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: link![1]! })).statusCode).toBe(200); // idempotent
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.getByEmail(email))?.state).toBe('confirmed');

    const after = await publish();
    const counts = await settled(after);
    expect(counts).toMatchObject({ total: 1, sent: 1, failed: 0, pending: 0 });
    const mails = await sink.waitFor(2);
    expect(mails[1]!.envelope.to).toEqual([email]);
    expect(mails[1]!.parsed.subject).toBe(`Story ${counter}`);
    await t.syndicate
      .channel(newsletterModule)
      .services.subscribers.unsubscribe(
        (await t.syndicate.channel(newsletterModule).services.subscribers.getByEmail(email))!.id,
        new Date(),
      );
  });

  it('sends exactly one email per confirmed immediate subscriber and none to the others', async () => {
    const wanted = [await confirmed(`a-${database}@example.org`), await confirmed(`b-${database}@example.org`)];
    const politics = await confirmed(`politics-${database}@example.org`, 'immediate', ['politics']);
    const sports = await confirmed(`sports-${database}@example.org`, 'immediate', ['sports']);
    await t.syndicate
      .channel(newsletterModule)
      .services.subscribers.subscribe(input(`pending-${database}@example.org`), { now: new Date() });
    const gone = await confirmed(`gone-${database}@example.org`);
    await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(gone.id, new Date());
    const bounced = await confirmed(`bounced-${database}@example.org`);
    await t.syndicate.channel(newsletterModule).services.subscribers.markBounced(bounced.id, '550 no such user', new Date());
    const daily = await confirmed(`daily-${database}@example.org`, 'daily');

    const id = await publish({ categories: ['Politics'] });
    const counts = await settled(id);
    // The confirmation of the pending subscriber is queued too; count only article mails.
    await waitFor(() => sink.messages.filter((m) => m.parsed.subject === `Story ${counter}`).length >= 3, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const articleMails = sink.messages.filter((m) => m.parsed.subject === `Story ${counter}`);
    expect(recipients(articleMails)).toEqual([...wanted.map((s) => s.email), politics.email].sort());
    expect(articleMails.map((m) => m.envelope.to[0])).not.toContain(sports.email);
    expect(counts).toMatchObject({ total: 3, sent: 3, failed: 0, pending: 0 });

    // Each email: both parts, a visible unsubscribe link, the List-* headers, a deterministic Message-ID.
    const mail = articleMails[0]!.parsed;
    expect(mail.html).toContain('/unsubscribe/');
    expect(mail.text).toContain('/unsubscribe/');
    expect(header(mail, 'List-Unsubscribe')).toMatch(/^<http:\/\/news\.test\/unsubscribe\/[^>]+>$/);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(mail, 'List-Id')).toContain('news.test');
    const subscriber = await t.syndicate.channel(newsletterModule).services.subscribers.getByEmail(articleMails[0]!.envelope.to[0]!);
    expect(mail.messageId).toBe(`<${id}.${subscriber!.id}@news.test>`);

    // The same article again (identical resubmission) sends nothing more.
    await t.syndicate.service.submit({
      id,
      url: `https://news.test/${id}`,
      title: `Story ${counter}`,
      summary: 'What happened.',
      categories: ['Politics'],
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sink.messages.filter((m) => m.parsed.subject === `Story ${counter}`)).toHaveLength(3);
    for (const s of [...wanted, politics, sports, daily])
      await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(s.id, new Date());
  });

  it('one-click unsubscribe from the List-Unsubscribe header stops the next email', async () => {
    const reader = await confirmed(`oneclick-${database}@example.org`);
    const first = await publish();
    await settled(first);
    const [mail] = await sink.waitFor(1);
    const url = new URL(/^<([^>]+)>/.exec(header(mail!.parsed, 'List-Unsubscribe'))![1]!);

    // A mail scanner fetching the link changes nothing.
    expect((await t.app.inject({ method: 'GET', url: url.pathname })).statusCode).toBe(200);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(reader.id))?.state).toBe('confirmed');

    const response = await t.app.inject({
      method: 'POST',
      url: url.pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(response.statusCode).toBe(200);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(reader.id))?.state).toBe('unsubscribed');

    sink.messages.length = 0;
    const second = await publish();
    expect(await settled(second)).toMatchObject({ total: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.messages).toHaveLength(0);
  });

  it('retries a 4xx answer with back-off and marks a 5xx recipient bounced', async () => {
    const slow = await confirmed(`greylisted-${database}@example.org`);
    const dead = await confirmed(`dead-${database}@example.org`);
    sink.refuse(slow.email, 451, 1);
    sink.refuse(dead.email, 550, 1);
    const id = await publish();
    const counts = await waitFor(
      async () => {
        const body = (await t.app.inject({ method: 'GET', url: `/api/articles/${id}`, headers: t.auth })).json();
        const n = body.deliveries.newsletter;
        return n && n.sent === 1 && n.failed === 1 ? n : false;
      },
      15_000,
      'one sent after a retry and one bounced',
    );
    expect(counts).toMatchObject({ total: 2, sent: 1, failed: 1, pending: 0 });
    expect(recipients(sink.messages)).toEqual([slow.email]);
    expect((await t.syndicate.deliveries.get({ articleId: id, channel: 'newsletter', target: slow.id }))?.attempts).toBe(2);
    const after = await t.syndicate.channel(newsletterModule).services.subscribers.get(dead.id);
    expect(after?.state).toBe('bounced');

    // The bounced address gets nothing more.
    sink.messages.length = 0;
    const next = await publish();
    await settled(next);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recipients(sink.messages)).toEqual([slow.email]);
    await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(slow.id, new Date());
  });

  it('re-sends a failed email when the operator retries the newsletter', async () => {
    const reader = await confirmed(`retry-${database}@example.org`);
    const id = await publish();
    await settled(id);
    await sink.waitFor(1);
    // As if every attempt had failed: the row is failed, the operator asks for a retry.
    const key = { articleId: id, channel: 'newsletter', target: reader.id };
    await t.syndicate.deliveries.setState(key, 'failed', new Date(), '451 greylisted (8 attempts)');
    sink.messages.length = 0;
    const retry = await t.app.inject({ method: 'POST', url: `/api/articles/${id}/retry?channel=newsletter`, headers: t.auth });
    expect(retry.statusCode).toBe(202);
    await sink.waitFor(1);
    await waitFor(async () => (await t.syndicate.deliveries.get(key))?.state === 'sent', 5000);
    expect(recipients(sink.messages)).toEqual([reader.email]);
    await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(reader.id, new Date());
  });

  it('deletes pending requests nobody confirmed within 7 days when the daily digest runs', async () => {
    const { subscriber } = await t.syndicate
      .channel(newsletterModule)
      .services.subscribers.subscribe(input(`stale-${database}@example.org`), {
        now: new Date(Date.now() - 8 * 24 * 3600 * 1000),
      });
    const queue = t.syndicate.queues.channel('newsletter');
    await queue.add('digest', { frequency: 'daily', periodEnd: Date.now() }, { jobId: `digest-expiry-${database}` });
    await waitFor(
      async () => (await t.syndicate.channel(newsletterModule).services.subscribers.get(subscriber.id)) === null,
      5000,
      'the stale request to go',
    );
  });

  it('digests carry the articles since the last digest, matching categories, and are skipped when empty', async () => {
    const daily = await confirmed(`digest-${database}@example.org`, 'daily');
    const dailySports = await confirmed(`digest-sports-${database}@example.org`, 'daily', ['sports']);
    const weekly = await confirmed(`weekly-${database}@example.org`, 'weekly');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const politics = await publish({ categories: ['Politics'], title: `Digest politics ${database}` });
    const sports = await publish({ categories: ['Sports'], title: `Digest sports ${database}` });
    await settled(politics);
    await settled(sports);
    sink.messages.length = 0;

    const queue = t.syndicate.queues.channel('newsletter');
    const periodEnd = Date.now() + 1000;
    await queue.add('digest', { frequency: 'daily', periodEnd }, { jobId: `digest-test-${database}-1` });
    const mails = await sink.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recipients(sink.messages)).toEqual([daily.email, dailySports.email].sort());
    const toDaily = mails.find((m) => m.envelope.to[0] === daily.email)!.parsed;
    expect(toDaily.text).toContain(`Digest politics ${database}`);
    expect(toDaily.text).toContain(`Digest sports ${database}`);
    expect(header(toDaily, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const toSports = mails.find((m) => m.envelope.to[0] === dailySports.email)!.parsed;
    expect(toSports.text).toContain(`Digest sports ${database}`);
    expect(toSports.text).not.toContain(`Digest politics ${database}`);
    expect(recipients(sink.messages)).not.toContain(weekly.email);

    // Nothing published since: the next run sends nothing.
    sink.messages.length = 0;
    await queue.add('digest', { frequency: 'daily', periodEnd: periodEnd + 60_000 }, { jobId: `digest-test-${database}-2` });
    await waitFor(async () => (await queue.getJob(`digest-test-${database}-2`))?.finishedOn, 5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sink.messages).toHaveLength(0);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(daily.id))?.lastDigestAt?.getTime()).toBe(
      periodEnd + 60_000,
    );
    for (const s of [daily, dailySports, weekly])
      await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(s.id, new Date());
  });
});

describe('subscription links and schedules', () => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let stop: () => Promise<unknown>;
  beforeAll(async () => {
    ({ sink, t, stop } = await startMailDesk('newsletter-links', {
      DIGEST_HOUR: '9',
      DIGEST_WEEKDAY: '5',
      TZ: 'Europe/Berlin',
      SUBSCRIBE_RATE_LIMIT: '100',
    }));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('schedules the daily and weekly digests at DIGEST_HOUR and DIGEST_WEEKDAY in TZ', async () => {
    const schedulers = await t.syndicate.queues.channel('newsletter').getJobSchedulers();
    const byId = Object.fromEntries(schedulers.map((s) => [s.key, s]));
    expect(byId['digest-daily']).toMatchObject({ pattern: '0 9 * * *', tz: 'Europe/Berlin' });
    expect(byId['digest-weekly']).toMatchObject({ pattern: '0 9 * * 5', tz: 'Europe/Berlin' });
  });

  it('answers the same for a new and a known address, and refuses bad input by field', async () => {
    const ask = (payload: object) => t.app.inject({ method: 'POST', url: '/subscribe', payload });
    const fresh = await ask({ email: 'fresh@example.org' });
    const again = await ask({ email: 'fresh@example.org' });
    expect([fresh.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.body).toBe(fresh.body);
    await sink.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.messages).toHaveLength(1); // the second request within 10 minutes mails nothing

    for (const [payload, field] of [
      [{ email: 'not-an-address' }, 'email'],
      [{ email: `${'a'.repeat(250)}@example.org` }, 'email'],
      [{ email: 'evil@example.org\r\nBcc: everyone@example.org' }, 'email'],
      [{ email: 'ok@example.org', frequency: 'hourly' }, 'frequency'],
      [{ email: 'ok@example.org', name: 'Eve\r\nBcc: everyone@example.org' }, 'name'],
    ] as const) {
      const response = await ask(payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('refuses forged, wrong-purpose, other-address and expired tokens', async () => {
    const tokens = createTokenSigner(t.syndicate.config.secretKey);
    const { subscriber } = await t.syndicate
      .channel(newsletterModule)
      .services.subscribers.subscribe(input('links@example.org'), { now: new Date() });
    const confirm = tokens.sign({
      purpose: 'confirm',
      subscriberId: subscriber.id,
      email: subscriber.email,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const unsubscribe = tokens.sign({ purpose: 'unsubscribe', subscriberId: subscriber.id, email: subscriber.email });
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });

    const forged = confirm.slice(0, -2) + (confirm.endsWith('AA') ? 'BB' : 'AA');
    expect((await get(`/confirm/${forged}`)).statusCode).toBe(400);
    expect((await get(`/confirm/${unsubscribe}`)).statusCode).toBe(400); // an unsubscribe link cannot confirm
    const otherAddress = tokens.sign({ purpose: 'confirm', subscriberId: subscriber.id, email: 'someone-else@example.org' });
    expect((await get(`/confirm/${otherAddress}`)).statusCode).toBe(400);
    const expired = tokens.sign({
      purpose: 'confirm',
      subscriberId: subscriber.id,
      email: subscriber.email,
      expiresAt: new Date(Date.now() - 1000),
    });
    expect((await get(`/confirm/${expired}`)).statusCode).toBe(410);
    expect((await t.app.inject({ method: 'POST', url: `/unsubscribe/${confirm}` })).statusCode).toBe(400); // nor the reverse
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(subscriber.id))?.state).toBe('pending');

    expect((await get(`/confirm/${confirm}`)).statusCode).toBe(200);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(subscriber.id))?.state).toBe('pending'); // a GET confirms nobody
    const post = (url: string) => t.app.inject({ method: 'POST', url, headers: { accept: 'application/json' } });
    expect((await post(`/confirm/${forged}`)).statusCode).toBe(400);
    expect((await post(`/confirm/${expired}`)).statusCode).toBe(410);
    expect((await post(`/confirm/${confirm}`)).statusCode).toBe(200);
    expect((await t.syndicate.channel(newsletterModule).services.subscribers.get(subscriber.id))?.state).toBe('confirmed');
  });
});

describe('newsletter at MAIL_RATE=10', () => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let stop: () => Promise<unknown>;
  beforeAll(async () => {
    ({ sink, t, stop } = await startMailDesk('newsletter-rate', { MAIL_RATE: '10' }));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('holds the rate, and a retraction stops the batches already queued', async () => {
    for (let i = 0; i < 40; i++) await confirmSubscriber(t, `many-${i}@example.org`);
    const id = 'rate-limited-story';
    await t.syndicate.service.submit({ id, url: `https://news.test/${id}`, title: 'Rate limited', summary: 'Slowly.' });
    await sink.waitFor(15, 10_000);
    // 10 messages per second: the first 15 cannot arrive in much under a second and a half.
    const arrivals = sink.messages.length;
    expect(arrivals).toBeLessThan(40);

    const response = await t.app.inject({ method: 'DELETE', url: `/api/articles/${id}`, headers: t.auth });
    expect(response.statusCode).toBe(200);
    const atRetraction = sink.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // A message already handed to SMTP may still complete; nothing new starts.
    expect(sink.messages.length - atRetraction).toBeLessThanOrEqual(2);
    const view = (await t.app.inject({ method: 'GET', url: `/api/articles/${id}`, headers: t.auth })).json();
    const n = view.deliveries.newsletter;
    expect(n.total).toBe(40);
    expect(n.cancelled).toBeGreaterThan(10);
    expect(n.sent).toBe(sink.messages.length);
  });
});

describe('MAIL_RATE across two worker processes', () => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let stop: () => Promise<unknown>;
  let second: Syndicate;
  beforeAll(async () => {
    ({ sink, t, stop } = await startMailDesk('newsletter-two-workers', { MAIL_RATE: '10' }));
    // A second process's worth of workers: the same Redis prefix and the same database.
    second = await createSyndicate(t.syndicate.config, createLogger('silent'));
    await second.startWorkers(['newsletter']);
  });
  afterAll(async () => {
    await second?.close();
    await stop?.();
  });

  it('holds 10 messages a second for both together', async () => {
    for (let i = 0; i < 30; i++) await confirmSubscriber(t, `pair-${i}@example.org`);
    await t.syndicate.service.submit({ id: 'two-workers', url: 'https://news.test/two-workers', title: 'Shared limit', summary: 'Both.' });
    const started = Date.now();
    await sink.waitFor(30, 15_000);
    // 30 messages at 10/s: about 3 s. Each process on its own limit would finish in about half.
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(new Set(recipients(sink.messages)).size).toBe(30);
  });
});

/**
 * Stored articles the newsletter cannot render (content from before the HTML limits, a row
 * changed by hand): inserted straight into the store, past ingest validation.
 */
describe('newsletter render failures', () => {
  let sink: SmtpSink;
  let t: TestSyndicate;
  let stop: () => Promise<unknown>;
  beforeAll(async () => {
    ({ sink, t, stop } = await startMailDesk('newsletter-render-failures', {}));
  });
  afterAll(async () => {
    await stop?.();
  });
  beforeEach(() => {
    sink.messages.length = 0;
  });

  /** 5,000 nested elements: past HTML_MAX_DEPTH, so sanitizeContent throws HtmlLimitError. */
  const DEEP_HTML = `${'<b>'.repeat(5000)}deep${'</b>'.repeat(5000)}`;

  async function insertStored(overrides: Partial<ArticleRecord> & { id: string }): Promise<ArticleRecord> {
    const now = new Date();
    const record: ArticleRecord = {
      ...makeArticle({ url: `https://news.test/${overrides.id}`, publishedAt: now }),
      revision: 1,
      state: 'published',
      contentHash: `hash-${overrides.id}`,
      createdAt: now,
      updatedAt: now,
      retractedAt: null,
      ...overrides,
    };
    expect(await t.syndicate.articles.insert(record)).toBe(true);
    return record;
  }

  const delivery = (articleId: string, channel: string, target: string) => t.syndicate.deliveries.get({ articleId, channel, target });

  it('fails every row of an article it cannot render, with the error, instead of retrying', async () => {
    const readers = [await confirmSubscriber(t, 'deep-a@example.org'), await confirmSubscriber(t, 'deep-b@example.org')];
    const article = await insertStored({ id: 'too-deep', title: 'Too deep', contentHtml: DEEP_HTML, state: 'scheduled' });
    await t.syndicate.queues.publish.add('publish', { articleId: article.id }, { jobId: 'publish-too-deep' });

    const counts = await waitFor(
      async () => {
        const body = (await t.app.inject({ method: 'GET', url: `/api/articles/${article.id}`, headers: t.auth })).json();
        const newsletter = body.deliveries.newsletter;
        return newsletter && newsletter.failed === 2 ? newsletter : false;
      },
      10_000,
      'both rows failed',
    );
    expect(counts).toMatchObject({ total: 2, sent: 0, failed: 2, pending: 0 });
    for (const reader of readers) {
      const row = await delivery(article.id, 'newsletter', reader.id);
      expect(row).toMatchObject({ state: 'failed', attempts: 1 });
      expect(row?.lastError).toMatch(/^render failed: HtmlLimitError: HTML has elements nested more than 100 deep/);
    }
    expect(sink.messages).toHaveLength(0);

    // The next article goes out as usual.
    await t.syndicate.service.submit({ id: 'after-deep', url: 'https://news.test/after-deep', title: 'After deep', summary: 'Fine.' });
    await sink.waitFor(2);
    expect(recipients(sink.messages)).toEqual(readers.map((reader) => reader.email).sort());
    for (const reader of readers) await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(reader.id, new Date());
  });

  it('still sends a digest with an article whose content is too deep for its own email', async () => {
    const reader = await confirmSubscriber(t, 'deep-digest@example.org', 'daily');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await insertStored({ id: 'too-deep-for-email', title: 'Deep but listed', contentHtml: DEEP_HTML });

    const queue = t.syndicate.queues.channel('newsletter');
    await queue.add('digest', { frequency: 'daily', periodEnd: Date.now() + 1000 }, { jobId: 'digest-deep' });
    const [mail] = await sink.waitFor(1);
    expect(mail!.envelope.to).toEqual([reader.email]);
    expect(mail!.parsed.text).toContain('Deep but listed');
    const row = await waitFor(
      async () => {
        const current = await delivery('too-deep-for-email', 'newsletter-digest', reader.id);
        return current?.state === 'sent' ? current : false;
      },
      5000,
      'the digest row sent',
    );
    expect(row).toMatchObject({ attempts: 1, lastError: null });
    await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(reader.id, new Date());
  });

  it('fails a digest it cannot render, with the error, instead of retrying', async () => {
    const reader = await confirmSubscriber(t, 'broken-digest@example.org', 'daily');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // An author whose name is not a string: a row no ingest would have written.
    await insertStored({ id: 'broken-author', title: 'Broken author', authors: [{ name: 42 as unknown as string }] });

    const queue = t.syndicate.queues.channel('newsletter');
    await queue.add('digest', { frequency: 'daily', periodEnd: Date.now() + 1000 }, { jobId: 'digest-broken' });
    const row = await waitFor(
      async () => {
        const current = await delivery('broken-author', 'newsletter-digest', reader.id);
        return current?.state === 'failed' ? current : false;
      },
      10_000,
      'the digest row failed',
    );
    expect(row).toMatchObject({ attempts: 1 });
    expect(row.lastError).toMatch(/^render failed: TypeError/);
    expect(sink.messages).toHaveLength(0);
    await t.syndicate.channel(newsletterModule).services.subscribers.unsubscribe(reader.id, new Date());
  });
});
