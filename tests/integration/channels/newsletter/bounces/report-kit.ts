/**
 * Shared by the deliverability tests: the report samples in tests/fixtures/reports (templates
 * whose {{TOKEN}}, {{EMAIL}}, {{MESSAGE_ID}} and {{BOUNCE_DOMAIN}} are filled with a real
 * email's), a Syndicate whose newsletter sends to an SMTP sink with every report route
 * configured, Mailgun signatures, and a throw-away SNS signing certificate under a test CA.
 */
import { execFile } from 'node:child_process';
import { createHmac, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { newsletterModule } from '../../../../../src/channels/newsletter/module.js';
import type { SubscriptionInput } from '../../../../../src/domain/subscriber.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../../../helpers/smtp-sink.js';
import { startTestSyndicate, type TestSyndicate } from '../../../../helpers/syndicate.js';
import { waitFor } from '../../../../helpers/wait.js';

export const MAILGUN_KEY = 'key-0d9e3b7f5a1c2e4b6d8f0a1c3e5b7d9f';
export const POSTMARK_AUTH = { user: 'postmark', pass: 'hook-secret-7f3a9c2e' };
export const INBOUND_TOKEN = 'inbound-token-4b8d2f6a1c9e3b7d';
export const BOUNCE_DOMAIN = 'bounces.news.test';

const FIXTURES = new URL('../../../../fixtures/reports/', import.meta.url);

/** One email as the sink received it, with what a report about it would quote. */
export interface SentLetter {
  email: string;
  subscriberId: string;
  /** The VERP return path. */
  envelopeFrom: string;
  /** `X-Syndicate-Recipient`. */
  token: string;
  /** Without `<>`. */
  messageId: string;
}

/** A report sample with an email's details filled in. */
export async function fixture(name: string, letter: Partial<SentLetter> = {}, extra: Record<string, string> = {}): Promise<string> {
  const template = await readFile(new URL(name, FIXTURES), 'utf8');
  const values: Record<string, string> = {
    TOKEN: letter.token ?? '',
    EMAIL: letter.email ?? '',
    MESSAGE_ID: letter.messageId ?? '',
    BOUNCE_DOMAIN,
    ...extra,
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, key: string) => values[key] ?? '');
}

/** A Mailgun webhook body: `event-data` signed with `key` at `timestamp` (Unix seconds). */
export function signedMailgun(eventData: unknown, options: { key?: string; timestamp?: number; token?: string } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const token =
    options.token ?? `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`.padEnd(50, '0').slice(0, 50);
  const signature = createHmac('sha256', options.key ?? MAILGUN_KEY)
    .update(timestamp + token)
    .digest('hex');
  return { signature: { timestamp, token, signature }, 'event-data': eventData };
}

/** Basic auth for Postmark. */
export function basicAuth(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export interface Desk {
  sink: SmtpSink;
  t: TestSyndicate;
  stop(): Promise<void>;
}

/** An SMTP sink and a Syndicate whose newsletter sends to it, every report route configured. */
export async function startDesk(name: string, database: 'sqlite' | 'postgres' = 'sqlite', env: Record<string, string> = {}): Promise<Desk> {
  const sink = await startSmtpSink();
  const t = await startTestSyndicate(name, {
    database,
    env: {
      CHANNELS: 'newsletter',
      SMTP_URL: sink.url,
      MAIL_RATE: '0',
      MAIL_FROM: 'Test Desk <desk@news.test>',
      MAIL_BOUNCE_DOMAIN: BOUNCE_DOMAIN,
      MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY,
      POSTMARK_WEBHOOK_AUTH: `${POSTMARK_AUTH.user}:${POSTMARK_AUTH.pass}`,
      INBOUND_TOKEN,
      ...env,
    },
  });
  return {
    sink,
    t,
    stop: async () => {
      await t.stop();
      await sink.close();
    },
  };
}

/** The newsletter's services of a test Syndicate. */
export const services = (t: TestSyndicate) => t.syndicate.channel(newsletterModule).services;

/** A confirmed immediate subscriber, made directly in the store. */
export async function confirmed(t: TestSyndicate, email: string, extra: Partial<SubscriptionInput> = {}) {
  const input: SubscriptionInput = { email, frequency: 'immediate', categories: [], name: null, ...extra };
  const { subscriber } = await services(t).subscribers.subscribe(input, { now: new Date() });
  await services(t).subscribers.confirm(subscriber.id, new Date());
  return subscriber;
}

let published = 0;

/** Publishes an article and waits until its newsletter settled. */
export async function publish(t: TestSyndicate, title = 'Harbour bridge reopens after repairs'): Promise<string> {
  published += 1;
  const id = `story-${process.pid}-${published}`;
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/articles',
    headers: t.auth,
    payload: { id, url: `https://news.test/${id}`, title, summary: 'What happened.' },
  });
  expect(response.statusCode).toBe(202);
  await waitFor(
    async () => {
      const body = (await t.app.inject({ method: 'GET', url: `/api/articles/${id}`, headers: t.auth })).json();
      const newsletter = body.deliveries.newsletter;
      return newsletter && newsletter.state === 'sent' && newsletter.pending === 0;
    },
    15_000,
    `newsletter of ${id} to settle`,
  );
  return id;
}

/** What a report would quote of each email the sink holds for `articleId`. */
export function lettersOf(mails: ReceivedMail[], articleId: string): Map<string, SentLetter> {
  const letters = new Map<string, SentLetter>();
  for (const mail of mails) {
    const messageId = (mail.parsed.messageId ?? '').replace(/^<|>$/g, '');
    if (!messageId.startsWith(`${articleId}.`)) continue;
    const token = mail.parsed.headers.get('x-syndicate-recipient');
    const email = mail.envelope.to[0]!;
    letters.set(email, {
      email,
      subscriberId: messageId.slice(articleId.length + 1, messageId.indexOf('@')),
      envelopeFrom: mail.envelope.from,
      token: typeof token === 'string' ? token : '',
      messageId,
    });
  }
  return letters;
}

/** Publishes an article and returns what each confirmed subscriber's email quotes, by address. */
export async function publishAndCollect(desk: Desk, expected: number, title?: string) {
  const before = desk.sink.messages.length;
  const articleId = await publish(desk.t, title);
  await desk.sink.waitFor(before + expected);
  return { articleId, letters: lettersOf(desk.sink.messages.slice(before), articleId) };
}

/** Posts a raw report to `/webhooks/mail`. */
export function postMail(t: TestSyndicate, raw: string, token = INBOUND_TOKEN) {
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/mail',
    headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${token}` },
    payload: raw,
  });
}

const run = promisify(execFile);

/** A test CA, an SNS-like signing certificate it issued, and a look-alike it did not. */
export interface SnsKeys {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Self-signed, same subject: what an impostor could serve. */
  rogueCertPem: string;
  rogueKeyPem: string;
  remove(): Promise<void>;
}

/** RSA keys as SNS uses (openssl, like tests/helpers/tls.ts), valid for a day. */
export async function createSnsKeys(): Promise<SnsKeys> {
  const dir = await mkdtemp(path.join(tmpdir(), 'syndicate-sns-'));
  const file = (name: string) => path.join(dir, name);
  const rsa = ['-newkey', 'rsa:2048', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...rsa,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=Syndicate test SNS CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', ...rsa, '-keyout', file('sns.key'), '-out', file('sns.csr'), '-subj', '/CN=sns.amazonaws.com']);
  await writeFile(
    file('sns.ext'),
    ['subjectAltName=DNS:sns.amazonaws.com', 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'].join('\n'),
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('sns.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('sns.pem'),
    '-days',
    '1',
    '-extfile',
    file('sns.ext'),
  ]);
  await run('openssl', [
    'req',
    '-x509',
    ...rsa,
    '-keyout',
    file('rogue.key'),
    '-out',
    file('rogue.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=sns.amazonaws.com',
    '-addext',
    'subjectAltName=DNS:sns.amazonaws.com',
  ]);
  const [caPem, certPem, keyPem, rogueCertPem, rogueKeyPem] = await Promise.all(
    ['ca.pem', 'sns.pem', 'sns.key', 'rogue.pem', 'rogue.key'].map((name) => readFile(file(name), 'utf8')),
  );
  return {
    caPem: caPem!,
    certPem: certPem!,
    keyPem: keyPem!,
    rogueCertPem: rogueCertPem!,
    rogueKeyPem: rogueKeyPem!,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Signs an SNS message the way SNS does (SignatureVersion 1: SHA1, 2: SHA256). */
export function signSns(message: Record<string, string>, keyPem: string): Record<string, string> {
  const names =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = names
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
  const signature = sign(message.SignatureVersion === '1' ? 'sha1' : 'sha256', Buffer.from(text), keyPem).toString('base64');
  return { ...message, Signature: signature };
}
