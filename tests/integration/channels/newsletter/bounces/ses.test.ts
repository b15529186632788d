/**
 * Amazon SES notifications through SNS on POST /webhooks/ses: the signature checked with the
 * certificate at SigningCertURL, that certificate checked against a trust anchor (a test CA made
 * with openssl), the topic against SES_TOPIC_ARNS; subscriptions confirmed. Real: Redis, SQLite,
 * the newsletter and its report intake, SMTP, Fastify (inject), RSA signatures. Faked: AWS —
 * the certificate URL and the SubscribeURL are answered in-process (the verifier's `fetchText`).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportRoutes } from '../../../../../src/channels/newsletter/bounces/routes.js';
import { SnsVerifier } from '../../../../../src/channels/newsletter/bounces/sns.js';
import { AppError } from '../../../../../src/errors.js';
import { loadConfig } from '../../../../../config/load.js';
import {
  confirmed,
  createSnsKeys,
  fixture,
  publishAndCollect,
  services,
  signSns,
  startDesk,
  type Desk,
  type SentLetter,
  type SnsKeys,
} from './report-kit.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-reports';
const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const ROGUE_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-rogue.pem';

describe('SES notifications through SNS', () => {
  let desk: Desk;
  let keys: SnsKeys;
  let app: FastifyInstance;
  const fetched: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    keys = await createSnsKeys();
    desk = await startDesk('ses');
    const answers = new Map([
      [CERT_URL, keys.certPem],
      [ROGUE_URL, keys.rogueCertPem],
    ]);
    const verifier = new SnsVerifier({
      topicArns: [TOPIC],
      trustAnchor: keys.caPem,
      fetchText: async (url) => {
        fetched.push(url);
        if (url.includes('Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>';
        const answer = answers.get(url);
        if (answer === undefined) throw new Error(`${url} answered 404`);
        return answer;
      },
    });
    app = Fastify();
    // As the API answers our errors (src/http/app.ts).
    app.setErrorHandler((error: FastifyError, _request, reply) =>
      error instanceof AppError
        ? reply.status(error.status).send(error.toJSON())
        : reply.status(error.statusCode ?? 500).send({ error: error.message }),
    );
    await app.register(reportRoutes, {
      intake: services(desk.t).reports,
      mailgunSigningKey: null,
      replays: { claim: async () => true, release: async () => undefined },
      postmarkAuth: null,
      sns: verifier,
      inboundToken: null,
      logger: pino({ level: 'silent' }),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await desk?.stop();
    await keys?.remove();
  });

  async function sendTo(count: number): Promise<SentLetter[]> {
    const emails = [];
    for (let i = 0; i < count; i++) emails.push((await confirmed(desk.t, `ses-${++counter}@example.org`)).email);
    const total = (await services(desk.t).subscribers.countByState()).confirmed;
    const { letters } = await publishAndCollect(desk, total);
    return emails.map((email) => letters.get(email)!);
  }

  async function notification(name: string, letter: SentLetter, overrides: Record<string, string> = {}) {
    const envelope = JSON.parse(await fixture('sns-notification.json')) as Record<string, string>;
    return signSns({ ...envelope, Message: await fixture(name, letter), ...overrides }, keys.keyPem);
  }

  /** SNS posts JSON as text/plain. */
  const post = (body: unknown) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/ses',
      headers: { 'content-type': 'text/plain; charset=UTF-8' },
      payload: JSON.stringify(body),
    });
  const stateOf = async (letter: SentLetter) => (await services(desk.t).subscribers.get(letter.subscriberId))?.state;

  it('confirms the subscription by GETting its SubscribeURL, once the message verifies', async () => {
    const message = signSns(JSON.parse(await fixture('sns-subscription-confirmation.json')), keys.keyPem);

    const response = await post(message);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'subscribed', topic: TOPIC });
    expect(fetched).toContain(message.SubscribeURL);
  });

  it('bounces and complains the subscribers of verified notifications, and counts transient bounces', async () => {
    const [permanent, transient, complaining] = (await sendTo(3)) as [SentLetter, SentLetter, SentLetter];

    expect((await post(await notification('ses-bounce-permanent.json', permanent))).json()).toMatchObject({ results: { bounced: 1 } });
    expect((await post(await notification('ses-bounce-transient.json', transient))).json()).toMatchObject({ results: { soft_bounce: 1 } });
    expect((await post(await notification('ses-complaint.json', complaining))).json()).toMatchObject({ results: { complained: 1 } });
    await services(desk.t).spamGuard.resume();

    expect([await stateOf(permanent), await stateOf(transient), await stateOf(complaining)]).toEqual([
      'bounced',
      'confirmed',
      'complained',
    ]);
    expect((await services(desk.t).subscribers.events(permanent.subscriberId)).at(-1)).toMatchObject({
      kind: 'bounced',
      source: 'ses',
      evidence: { reportType: 'ses:Bounce/Permanent/General', status: '5.1.1' },
    });
    await services(desk.t).subscribers.unsubscribe(transient.subscriberId, new Date());
  });

  it('refuses, with 401 and changing nothing, a wrong signature, a certificate not from the trust anchor, a foreign topic or host', async () => {
    const [letter] = (await sendTo(1)) as [SentLetter];
    const good = await notification('ses-bounce-permanent.json', letter);
    const fetchesBefore = fetched.length;

    const tampered = { ...good, Message: good.Message!.replace('Permanent', 'Transient') };
    const impostor = signSns({ ...(await notification('ses-bounce-permanent.json', letter)), SigningCertURL: ROGUE_URL }, keys.rogueKeyPem);
    const foreignTopic = await notification('ses-bounce-permanent.json', letter, { TopicArn: 'arn:aws:sns:us-east-1:999999999999:theirs' });
    const foreignHost = await notification('ses-bounce-permanent.json', letter, {
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem',
    });
    const plainHttp = await notification('ses-bounce-permanent.json', letter, { SigningCertURL: CERT_URL.replace('https:', 'http:') });
    const otherRegion = await notification('ses-bounce-permanent.json', letter, {
      SigningCertURL: CERT_URL.replace('us-east-1', 'eu-west-1'),
    });

    for (const message of [tampered, impostor, foreignTopic, foreignHost, plainHttp, otherRegion]) {
      const response = await post(message);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('WEBHOOK_UNVERIFIED');
    }
    expect((await post({ hello: 'world' })).statusCode).toBe(401);
    expect((await post('not json at all')).statusCode).toBe(401);
    expect(await stateOf(letter)).toBe('confirmed');
    // Only the impostor's certificate was fetched: the other URLs were refused before any request.
    expect(fetched.slice(fetchesBefore)).toEqual([ROGUE_URL]);

    expect((await post(good)).json()).toMatchObject({ results: { bounced: 1 } });
  });

  it('takes its trust anchor and topics from SES_SIGNING_CERT_CA and SES_TOPIC_ARNS, refusing a PEM that is none', () => {
    const env = { DATA_DIR: desk.t.dataDir, SES_TOPIC_ARNS: `${TOPIC}, arn:aws:sns:eu-west-1:123456789012:other` };
    const { config } = loadConfig({ ...env, SES_SIGNING_CERT_CA: keys.caPem.replace(/\n/g, '\\n') }, { cwd: desk.t.dataDir });

    expect(config.reports.sesTopicArns).toEqual([TOPIC, 'arn:aws:sns:eu-west-1:123456789012:other']);
    expect(config.reports.sesSigningCertCa).toBe(keys.caPem);
    expect(() => loadConfig({ ...env, SES_SIGNING_CERT_CA: 'not a certificate' }, { cwd: desk.t.dataDir })).toThrow(/SES_SIGNING_CERT_CA/);
    expect(() => loadConfig({ ...env, SES_TOPIC_ARNS: 'my-topic' }, { cwd: desk.t.dataDir })).toThrow(/SES_TOPIC_ARNS/);
  });
});
