/**
 * Bounce and complaint reports over HTTP, each mapped to the right subscriber and state:
 * Mailgun (signed, wrongly signed, replayed, stale), Postmark (basic auth), raw DSNs from
 * Postfix and Exim and ARF reports (with and without the recipient redacted) on /webhooks/mail,
 * and the spam-rate guard. Real: Redis, SQLite and PostgreSQL, BullMQ workers, the Fastify app
 * (inject), an SMTP server whose emails the reports quote. The report samples are
 * tests/fixtures/reports, filled in with those emails' details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEWSLETTER_CHANNEL } from '../../../../../src/channels/newsletter/name.js';
import { waitFor } from '../../../../helpers/wait.js';
import {
  basicAuth,
  BOUNCE_DOMAIN,
  confirmed,
  fixture,
  INBOUND_TOKEN,
  POSTMARK_AUTH,
  postMail,
  publish,
  publishAndCollect,
  services,
  signedMailgun,
  startDesk,
  type Desk,
  type SentLetter,
} from './report-kit.js';

describe.each(['sqlite', 'postgres'] as const)('report webhooks on %s', (database) => {
  let desk: Desk;
  let counter = 0;

  beforeAll(async () => {
    desk = await startDesk(`webhooks-${database}`, database);
  });
  afterAll(async () => {
    await desk?.stop();
  });

  /** `count` new confirmed subscribers, an article sent to them, and what each email quotes. */
  async function sendTo(count: number): Promise<{ articleId: string; letters: SentLetter[] }> {
    const subscribers = [];
    for (let i = 0; i < count; i++) subscribers.push(await confirmed(desk.t, `reader-${++counter}-${database}@example.org`));
    // Everyone else confirmed gets it too: only the new ones' emails are returned.
    const others = (await services(desk.t).subscribers.countByState()).confirmed - count;
    const { articleId, letters } = await publishAndCollect(desk, others + count);
    const mine = subscribers.map((subscriber) => letters.get(subscriber.email)!);
    expect(mine.every(Boolean)).toBe(true);
    return { articleId, letters: mine };
  }

  /** Ends each test's subscribers so the next article goes to the next test's only. */
  async function retire(letters: SentLetter[]) {
    for (const letter of letters) await services(desk.t).subscribers.unsubscribe(letter.subscriberId, new Date());
  }

  const stateOf = async (letter: SentLetter) => (await services(desk.t).subscribers.get(letter.subscriberId))?.state;
  const eventsOf = (letter: SentLetter) => services(desk.t).subscribers.events(letter.subscriberId);
  const mailgun = (body: unknown) => desk.t.app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: body as object });
  const postmark = (body: unknown, authorization?: string) =>
    desk.t.app.inject({
      method: 'POST',
      url: '/webhooks/postmark',
      payload: body as object,
      headers: authorization ? { authorization } : {},
    });

  it('sends each email with a VERP return path and the same token in X-Syndicate-Recipient, Message-IDs unchanged', async () => {
    const { articleId, letters } = await sendTo(2);

    for (const letter of letters) {
      expect(letter.token).toMatch(/^[a-z2-7]{52}$/);
      expect(letter.envelopeFrom).toBe(`bounces+${letter.token}@${BOUNCE_DOMAIN}`);
      expect(letter.envelopeFrom.split('@')[0]!.length).toBeLessThanOrEqual(64);
      expect(letter.messageId).toBe(`${articleId}.${letter.subscriberId}@news.test`);
    }
    expect(letters[0]!.token).not.toBe(letters[1]!.token);
    await retire(letters);
  });

  it('Mailgun: a signed permanent failure bounces its subscriber, cancels their queued emails and records the evidence', async () => {
    const { letters } = await sendTo(1);
    const [letter] = letters as [SentLetter];
    // An email to them still queued in another article's batch.
    const queued = {
      articleId: (await publish(desk.t, 'Queued elsewhere')) as string,
      channel: NEWSLETTER_CHANNEL,
      target: letter.subscriberId,
    };
    await desk.t.syndicate.deliveries.setState(queued, 'queued', new Date());

    const response = await mailgun(signedMailgun(JSON.parse(await fixture('mailgun-failed-permanent.json', letter))));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ reports: 1, results: { bounced: 1 } });
    expect(await stateOf(letter)).toBe('bounced');
    expect((await desk.t.syndicate.deliveries.get(queued))?.state).toBe('cancelled');
    expect((await eventsOf(letter)).at(-1)).toMatchObject({
      kind: 'bounced',
      source: 'mailgun',
      channel: NEWSLETTER_CHANNEL,
      evidence: { reportType: 'mailgun:failed/permanent', eventId: 'G9Bn5sL7TbW2k4nQxJ0m1A', status: '5.1.1' },
    });
  });

  it('Mailgun: refuses a wrong signature, a replay and a stale timestamp with 401, changing nothing', async () => {
    const { letters } = await sendTo(1);
    const [letter] = letters as [SentLetter];
    const event = JSON.parse(await fixture('mailgun-failed-permanent.json', letter));
    const before = await eventsOf(letter);

    const wrong = await mailgun(signedMailgun(event, { key: 'key-of-somebody-else' }));
    const stale = await mailgun(signedMailgun(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 }));
    const unsigned = await mailgun({ 'event-data': event });

    for (const response of [wrong, stale, unsigned]) {
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('WEBHOOK_UNVERIFIED');
    }
    expect(await stateOf(letter)).toBe('confirmed');
    expect(await eventsOf(letter)).toEqual(before);

    // Signed right once: taken; the same delivery again: a replay.
    const temporary = signedMailgun(JSON.parse(await fixture('mailgun-failed-temporary.json', letter)));
    expect((await mailgun(temporary)).json()).toMatchObject({ results: { soft_bounce: 1 } });
    const replay = await mailgun(temporary);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.message).toMatch(/replay/);
    expect((await eventsOf(letter)).filter((event) => event.kind === 'soft_bounce')).toHaveLength(1);
    expect(await stateOf(letter)).toBe('confirmed');
    await retire(letters);
  });

  it('Mailgun: a complaint marks its subscriber complained and unsubscribed', async () => {
    const { letters } = await sendTo(1);
    const [letter] = letters as [SentLetter];

    const response = await mailgun(signedMailgun(JSON.parse(await fixture('mailgun-complained.json', letter))));

    expect(response.json()).toMatchObject({ results: { complained: 1 } });
    const subscriber = await services(desk.t).subscribers.get(letter.subscriberId);
    expect(subscriber).toMatchObject({ state: 'complained' });
    expect(subscriber!.unsubscribedAt).not.toBeNull();
    // One complaint among this article's few recipients is over 0.3 %: resumed here, tested below.
    await services(desk.t).spamGuard.resume();
  });

  it('Postmark: needs its basic auth, then bounces, counts soft bounces and takes complaints', async () => {
    const { letters } = await sendTo(3);
    const [hard, soft, complaining] = letters as [SentLetter, SentLetter, SentLetter];
    const hardBody = JSON.parse(await fixture('postmark-hard-bounce.json', hard));

    const missing = await postmark(hardBody);
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await postmark(hardBody, basicAuth(POSTMARK_AUTH.user, 'wrong'))).statusCode).toBe(401);
    expect(await stateOf(hard)).toBe('confirmed');

    const auth = basicAuth(POSTMARK_AUTH.user, POSTMARK_AUTH.pass);
    expect((await postmark(hardBody, auth)).json()).toMatchObject({ results: { bounced: 1 } });
    expect((await postmark(JSON.parse(await fixture('postmark-soft-bounce.json', soft)), auth)).json()).toMatchObject({
      results: { soft_bounce: 1 },
    });
    expect((await postmark(JSON.parse(await fixture('postmark-spam-complaint.json', complaining)), auth)).json()).toMatchObject({
      results: { complained: 1 },
    });

    expect([await stateOf(hard), await stateOf(soft), await stateOf(complaining)]).toEqual(['bounced', 'confirmed', 'complained']);
    await services(desk.t).spamGuard.resume();
    await retire([soft]);
  });

  it('makes the fifth soft bounce within 30 days a hard bounce', async () => {
    const { letters } = await sendTo(1);
    const [letter] = letters as [SentLetter];
    const auth = basicAuth(POSTMARK_AUTH.user, POSTMARK_AUTH.pass);
    const soft = JSON.parse(await fixture('postmark-soft-bounce.json', letter));

    for (let n = 1; n <= 4; n++) {
      expect((await postmark({ ...soft, ID: 9000 + n }, auth)).json()).toMatchObject({ results: { soft_bounce: 1 } });
    }
    // The same event delivered again counts once.
    expect((await postmark({ ...soft, ID: 9004 }, auth)).json()).toMatchObject({ results: { duplicate: 1 } });
    expect(await stateOf(letter)).toBe('confirmed');
    expect((await postmark({ ...soft, ID: 9005 }, auth)).json()).toMatchObject({ results: { bounced: 1 } });

    expect(await services(desk.t).subscribers.get(letter.subscriberId)).toMatchObject({
      state: 'bounced',
      bounceReason: '5 soft bounces within 30 days (last: 4.2.2)',
    });
  });

  it('/webhooks/mail: Postfix and Exim DSNs bounce their subscribers; a delay notice is counted, not a bounce', async () => {
    const { letters } = await sendTo(4);
    const [postfix, exim, delayed, greylisted] = letters as [SentLetter, SentLetter, SentLetter, SentLetter];

    expect((await postMail(desk.t, await fixture('postfix-dsn-550.eml', postfix))).json()).toMatchObject({
      type: 'dsn',
      results: { bounced: 1 },
    });
    expect((await postMail(desk.t, await fixture('exim-dsn-550.eml', exim))).json()).toMatchObject({ results: { bounced: 1 } });
    expect((await postMail(desk.t, await fixture('postfix-dsn-delayed-452.eml', delayed))).json()).toMatchObject({
      results: { soft_bounce: 1 },
    });
    const notice = await fixture('exim-dsn-delayed.eml', greylisted);
    expect((await postMail(desk.t, notice)).json()).toMatchObject({ results: { soft_bounce: 1 } });
    // Exim repeats its warning for the same message: it counts once.
    expect((await postMail(desk.t, notice.replace('E1wY1Kq-000D4f-9s', 'E1wY9Zz-000E7g-1t'))).json()).toMatchObject({
      results: { duplicate: 1 },
    });

    expect(await Promise.all(letters.map(stateOf))).toEqual(['bounced', 'bounced', 'confirmed', 'confirmed']);
    expect((await eventsOf(postfix)).at(-1)).toMatchObject({
      kind: 'bounced',
      source: 'dsn',
      evidence: { reportType: 'dsn:failed', status: '5.1.1', eventId: '20260303081532.4fQ2Xk1c9Tz9sVN@mail.news.test' },
    });
    await retire([delayed, greylisted]);
  });

  it('/webhooks/mail: ARF abuse reports complain their subscribers, through the token when the address is redacted', async () => {
    const { articleId, letters } = await sendTo(2);
    const [named, redacted] = letters as [SentLetter, SentLetter];

    expect((await postMail(desk.t, await fixture('arf-abuse.eml', named))).json()).toMatchObject({
      type: 'arf',
      results: { complained: 1 },
    });
    await services(desk.t).spamGuard.resume();
    expect((await postMail(desk.t, await fixture('arf-abuse-redacted.eml', redacted))).json()).toMatchObject({
      results: { complained: 1 },
    });
    await services(desk.t).spamGuard.resume();

    expect([await stateOf(named), await stateOf(redacted)]).toEqual(['complained', 'complained']);
    // The token also names the email: the complaint counts against its article.
    expect((await eventsOf(redacted)).at(-1)).toMatchObject({ kind: 'complained', source: 'arf', evidence: { articleId } });
  });

  it('/webhooks/mail: refuses a missing or wrong token, another content type and a body over the limit', async () => {
    const { letters } = await sendTo(1);
    const [letter] = letters as [SentLetter];
    const raw = await fixture('postfix-dsn-550.eml', letter);

    const missing = await desk.t.app.inject({
      method: 'POST',
      url: '/webhooks/mail',
      headers: { 'content-type': 'message/rfc822' },
      payload: raw,
    });
    const wrong = await postMail(desk.t, raw, 'not-the-inbound-token');
    const text = await desk.t.app.inject({
      method: 'POST',
      url: '/webhooks/mail',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${INBOUND_TOKEN}` },
      payload: raw,
    });
    const huge = await postMail(desk.t, raw + 'x'.repeat(1024 * 1024));

    expect([missing.statusCode, wrong.statusCode, text.statusCode, huge.statusCode]).toEqual([401, 401, 415, 413]);
    expect(await stateOf(letter)).toBe('confirmed');
    expect((await eventsOf(letter)).map((event) => event.kind)).toEqual(['requested', 'confirmed']);

    // Authenticated but no report: 200, so the MTA neither retries nor bounces it.
    const reply = await postMail(desk.t, 'From: reader@example.org\r\nSubject: Re: your newsletter\r\n\r\nThanks!\r\n');
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({ type: 'other', reports: 0 });
    await retire(letters);
  });

  it('pauses the newsletter on complaints over 0.3 %, says so in /readyz, until an operator resumes it', async () => {
    const { letters } = await sendTo(2);
    const [complaining, reader] = letters as [SentLetter, SentLetter];

    const response = await postMail(desk.t, await fixture('arf-abuse-redacted.eml', complaining));

    expect(response.json()).toMatchObject({ results: { complained: 1 }, paused: true });
    const status = await services(desk.t).spamGuard.status();
    expect(status).toMatchObject({
      paused: true,
      reason: expect.stringMatching(/spam complaints about article ".+": 1 of 2 recipients \(50\.00 %\)/),
    });
    const ready = (await desk.t.app.inject({ method: 'GET', url: '/readyz' })).json();
    expect(ready.channelsFailing[NEWSLETTER_CHANNEL]).toMatch(/paused: spam complaints/);

    // Nothing goes out while paused.
    const before = desk.sink.messages.length;
    const held = await desk.t.app.inject({
      method: 'POST',
      url: '/api/articles',
      headers: desk.t.auth,
      payload: { id: `held-${database}`, url: `https://news.test/held-${database}`, title: 'Held back', summary: 'Waits.' },
    });
    expect(held.statusCode).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(desk.sink.messages.length).toBe(before);

    expect((await services(desk.t).spamGuard.resume()).paused).toBe(true);
    await desk.sink.waitFor(before + 1);
    expect(desk.sink.messages.slice(before).map((mail) => mail.envelope.to[0])).toEqual([reader.email]);
    const again = (await desk.t.app.inject({ method: 'GET', url: '/readyz' })).json();
    expect(again.channelsFailing[NEWSLETTER_CHANNEL]).toBeUndefined();
    expect((await services(desk.t).spamGuard.status()).paused).toBe(false);
    await waitFor(async () => {
      const body = (await desk.t.app.inject({ method: 'GET', url: `/api/articles/held-${database}`, headers: desk.t.auth })).json();
      return body.deliveries.newsletter?.pending === 0;
    }, 10_000);
    await retire([reader]);
  });
});
