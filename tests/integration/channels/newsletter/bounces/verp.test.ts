/**
 * Each email's return path carries its recipient token (VERP), so does X-Syndicate-Recipient,
 * and the DKIM signature still verifies. Real: letters, recipient tokens, nodemailer's pooled
 * SMTP and DKIM signing with a throw-away RSA key, an SMTP server, mailauth's verifier. Faked:
 * DNS (mailauth's resolver answers with the test key's TXT record).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLetters } from '../../../../../src/channels/newsletter/letters.js';
import { createMailer, type Mailer } from '../../../../../src/channels/newsletter/send.js';
import { createRecipientTokens, createTokenSigner } from '../../../../../src/channels/newsletter/tokens.js';
import type { Subscriber } from '../../../../../src/domain/subscriber.js';
import { makeArticle } from '../../../../helpers/articles.js';
import { startSmtpSink, type SmtpSink } from '../../../../helpers/smtp-sink.js';
import { confirmedSubscriber } from '../../../../helpers/subscriber-record.js';

const SECRET = 'test-secret-key-0123456789abcdef-0123';
const DKIM_DOMAIN = 'news.example.org';
const DKIM_SELECTOR = 'mail2026';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_KEY_RECORD = `v=DKIM1; k=rsa; p=${keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const T0 = new Date('2026-03-02T08:00:00.000Z');

function subscriber(email: string, id: string = randomUUID()): Subscriber {
  return confirmedSubscriber(id, email, T0);
}

describe('VERP return paths', () => {
  let sink: SmtpSink;
  let mailer: Mailer;
  let outboxDir: string;
  const recipients = createRecipientTokens(SECRET);
  const letters = createLetters({
    site: {
      title: 'Harbour News',
      url: 'https://news.example.org/',
      publicBaseUrl: 'https://syndicate.example.org',
      postalAddress: '1 Quay St',
      language: 'en',
    },
    tokens: createTokenSigner(SECRET),
    messageDomain: DKIM_DOMAIN,
    listId: `<newsletter.${DKIM_DOMAIN}>`,
    unsubscribeMailto: null,
    confirmTtlMs: 7 * 24 * 3600 * 1000,
    recipients,
    bounceDomain: 'bounces.news.example.org',
  });

  beforeAll(async () => {
    sink = await startSmtpSink();
    outboxDir = await mkdtemp(path.join(tmpdir(), 'syndicate-verp-'));
    mailer = createMailer({
      smtpUrl: sink.url,
      from: 'Harbour News <news@news.example.org>',
      dkim: {
        domain: DKIM_DOMAIN,
        selector: DKIM_SELECTOR,
        privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      outboxDir,
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    mailer.close();
    await sink.close();
    await rm(outboxDir, { recursive: true, force: true });
  });

  it('sends from bounces+<token>@<bounce domain>, the same token in X-Syndicate-Recipient, DKIM verifying, Message-ID as before', async () => {
    const reader = subscriber('ana@example.net');
    const article = makeArticle({ id: 'harbour-bridge' });

    await mailer.send(letters.article(article)(reader));
    const [mail] = await sink.waitFor(1);

    const token = mail!.parsed.headers.get('x-syndicate-recipient') as string;
    expect(mail!.envelope).toEqual({ from: `bounces+${token}@bounces.news.example.org`, to: ['ana@example.net'] });
    expect(recipients.read(token)).toEqual({
      subscriberId: reader.id,
      letterTag: recipients.letterTag({ kind: 'article', articleId: 'harbour-bridge' }),
    });
    expect(mail!.parsed.messageId).toBe(`<harbour-bridge.${reader.id}@${DKIM_DOMAIN}>`);
    expect(mail!.parsed.from?.value[0]?.address).toBe('news@news.example.org');

    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === `${DKIM_SELECTOR}._domainkey.${DKIM_DOMAIN}`) return [[PUBLIC_KEY_RECORD]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const verdict = await dkimVerify(mail!.raw, { resolver, sender: mail!.envelope.from });
    expect(verdict.results.map((result: { status: { result: string } }) => result.status.result)).toEqual(['pass']);
  });

  it('gives digests and confirmations their own tokens, and a non-UUID subscriber id none', async () => {
    const reader = subscriber('tom@example.net');
    const article = makeArticle({ id: 'tram-line' });
    const digest = letters.digest([article], reader, { frequency: 'daily', periodEnd: T0, timeZone: 'UTC' });
    const confirmation = letters.confirmation({ ...reader, state: 'pending' }, T0);
    const legacy = letters.article(article)(subscriber('old@example.net', 'sub-old'));

    expect(recipients.read(digest.recipientToken!)?.letterTag).toBe(recipients.letterTag({ kind: 'digest', articleId: 'tram-line' }));
    expect(recipients.read(confirmation.recipientToken!)?.letterTag).toBe(recipients.letterTag({ kind: 'confirmation' }));
    expect(digest.recipientToken).not.toBe(letters.article(article)(reader).recipientToken);
    expect(legacy).not.toHaveProperty('envelopeFrom');
    expect(legacy).not.toHaveProperty('recipientToken');
  });

  it('refuses a token that is forged, altered, re-spelt or from another key, and reads one whatever its case', () => {
    const id = randomUUID();
    const token = recipients.sign(id, { kind: 'article', articleId: 'harbour-bridge' })!;
    const flip = (index: number) => `${token.slice(0, index)}${token[index] === 'a' ? 'b' : 'a'}${token.slice(index + 1)}`;

    expect(recipients.read(token.toUpperCase())?.subscriberId).toBe(id);
    expect(recipients.read(flip(3))).toBeNull();
    expect(recipients.read(flip(40))).toBeNull();
    expect(recipients.read(`${token.slice(0, -1)}${token.at(-1) === 'q' ? 'r' : 'q'}`)).toBeNull();
    expect(createRecipientTokens('another-secret-key-0123456789abcdef').read(token)).toBeNull();
    expect(recipients.read('')).toBeNull();
    expect(recipients.read('x'.repeat(5000))).toBeNull();
  });
});
